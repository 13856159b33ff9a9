//! The web dashboard `fwfleet serve` serves under `/` (issue 22,
//! docs/DASHBOARD.md): server-rendered HTML that reads without JavaScript.
//!
//! Module map:
//!
//! - `mod.rs` (this file): the routes and what their handlers share.
//! - [`session`]: sign-in with an API token, the session cookie, CSRF.
//! - [`layout`]: the page frame, the security headers, the stylesheet.
//! - [`chart`]: the SVG bar chart of the compliance roll-up.
//! - [`pages`]: the fleet, hosts and host pages.
//! - [`runs`]: the runs list, the run page (phases, host grid, ETA, frozen
//!   plan, action buttons), the actions' forms (through
//!   `crate::daemon::actions::perform`, like the API) and the run's live
//!   stream (SSE) that `/static/dashboard.js` follows.
//!
//! Every page reads the daemon's cached [`crate::daemon::views::FleetView`],
//! the one `/api/v1/hosts` serves (its JSON twin), so the dashboard never
//! computes compliance of its own. HTML is built with `maud`, which escapes
//! every interpolated string: what a BMC reports cannot become markup.
//!
//! Room left for what comes next (docs/DASHBOARD.md#next): repository and
//! schedule pages as modules beside `runs`, an entry in `layout::Nav` each.

pub mod chart;
pub mod layout;
pub mod pages;
pub mod runs;
pub mod session;

use crate::daemon::Daemon;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// What every dashboard handler gets.
#[derive(Debug)]
pub struct Dash {
    pub daemon: Arc<Daemon>,
    pub sessions: session::Sessions,
    /// Live streams served at once ([`runs::MAX_STREAMS`]).
    pub streams: Arc<tokio::sync::Semaphore>,
}

/// The dashboard's routes, merged into the service's router by
/// `crate::daemon::api::router` (the API keeps `/api/v1`).
pub fn router<S: Clone + Send + Sync + 'static>(d: Arc<Daemon>) -> Router<S> {
    let state = Arc::new(Dash {
        daemon: d,
        sessions: session::Sessions::default(),
        streams: Arc::new(tokio::sync::Semaphore::new(runs::MAX_STREAMS)),
    });
    Router::new()
        .route("/", get(pages::fleet))
        .route("/hosts", get(pages::hosts))
        .route("/hosts/{name}", get(pages::host))
        .route("/runs", get(runs::list))
        .route("/runs/{id}", get(runs::run))
        .route("/runs/{id}/events", get(runs::events))
        .route("/runs/{id}/{action}", post(runs::act))
        .route("/signin", get(session::signin_form).post(session::signin))
        .route("/signout", post(session::signout))
        .route(layout::CSS_ROUTE, get(layout::css))
        .route(layout::JS_ROUTE, get(layout::js))
        .with_state(state)
}
