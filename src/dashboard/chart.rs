//! The compliance roll-up as an inline SVG bar chart: drawn on the server,
//! so it needs no script, and coloured with presentation attributes, which
//! the Content-Security-Policy (no inline styles) allows.

use maud::{html, Markup};

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar<'a> {
    pub label: &'a str,
    pub count: usize,
    pub colour: &'static str,
}

const WIDTH: usize = 480;
const ROW: usize = 26;
const LABEL: usize = 130;

/// Horizontal bars, one per status, scaled to the largest count.
pub fn bars(title: &str, bars: &[Bar<'_>]) -> Markup {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let span = WIDTH - LABEL - 60;
    let height = ROW * bars.len() + 8;
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" role="img" width=(WIDTH) height=(height)
            viewBox=(format!("0 0 {WIDTH} {height}")) {
            title { (title) }
            @for (i, b) in bars.iter().enumerate() {
                @let y = 4 + i * ROW;
                text x="4" y=(y + 17) font-size="13" { (b.label) }
                rect x=(LABEL) y=(y + 4) height=(ROW - 8)
                    width=(if b.count == 0 { 0 } else { (b.count * span / max).max(2) })
                    fill=(b.colour) {}
                text x=(LABEL + (b.count * span / max) + 6) y=(y + 17) font-size="13" { (b.count) }
            }
        }
    }
}
