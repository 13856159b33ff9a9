//! The API's bearer token: where it comes from and how a request's token is
//! checked.
//!
//! Only the token's SHA-256 is kept in memory. Comparing digests makes the
//! check independent of where the first differing byte is and of the
//! presented token's length (an attacker learns nothing from timing about a
//! preimage), and a digest that ends up in a core dump is not the token.
//! The token never reaches a log line, an error or a `Debug` output.

use super::error::ApiError;
pub use super::error::TokenError;
use super::Daemon;
use crate::config::DaemonSettings;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// Shorter tokens are refused: anyone who can reach the API and guess the
/// token can flash the fleet.
pub const MIN_TOKEN_LEN: usize = 16;

/// The API token, kept as its digest.
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl Token {
    /// A token from its text (surrounding whitespace is not part of it).
    pub fn new(text: &str, origin: &str) -> Result<Token, TokenError> {
        let text = text.trim();
        if text.chars().count() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort {
                min: MIN_TOKEN_LEN,
                origin: origin.to_string(),
                len: text.chars().count(),
            });
        }
        Ok(Token {
            digest: Sha256::digest(text.as_bytes()).into(),
        })
    }

    /// Read the token named by `[daemon]`: the first line of `token_file`,
    /// or the value of `token_env`.
    pub fn load(settings: &DaemonSettings) -> Result<Token, TokenError> {
        match (&settings.token_file, &settings.token_env) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path).map_err(|source| TokenError::File {
                    path: path.clone(),
                    source,
                })?;
                warn_if_readable_by_others(path);
                let first = text.lines().next().unwrap_or("");
                Token::new(first, "daemon.token_file")
            }
            (None, Some(var)) => {
                let text = std::env::var(var).map_err(|_| TokenError::Env { var: var.clone() })?;
                Token::new(&text, "daemon.token_env")
            }
            (None, None) => Err(TokenError::Missing),
        }
    }

    /// Whether `presented` is the token.
    pub fn matches(&self, presented: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Every byte is looked at whatever the first difference.
        self.digest
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

fn warn_if_readable_by_others(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    "the API token file {} is readable by others (mode {:o}); run chmod 600 on it",
                    path.display(),
                    mode & 0o777
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The token presented in `Authorization: Bearer …`, if any.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

/// Middleware: every route it wraps needs the token.
pub async fn require(State(d): State<Arc<Daemon>>, req: Request, next: Next) -> Response {
    let verdict = match bearer(&req) {
        Some(t) if d.token.matches(t) => None,
        Some(_) => Some("the bearer token is not the API token"),
        None => Some("send the API token as `Authorization: Bearer TOKEN`"),
    };
    match verdict {
        None => next.run(req).await,
        Some(why) => {
            tracing::warn!(
                method = %req.method(),
                path = %req.uri().path(),
                "refused an API request without a valid token"
            );
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", why).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_themselves_and_never_print() {
        let t = Token::new("  0123456789abcdef0123  \n", "test").unwrap();
        assert!(t.matches("0123456789abcdef0123"));
        assert!(!t.matches("0123456789abcdef012"));
        assert!(!t.matches("0123456789abcdef01234"));
        assert!(!t.matches(""));
        assert_eq!(format!("{t:?}"), "Token([redacted])");
        let e = Token::new("short", "daemon.token_env")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("daemon.token_env") && e.contains("16") && !e.contains("short"),
            "{e}"
        );
    }

    #[test]
    fn tokens_load_from_a_file_or_the_environment_and_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("api.token");
        std::fs::write(&file, "abcdefabcdefabcdefabcdef\nsecond line\n").unwrap();
        let s = DaemonSettings {
            token_file: Some(file.clone()),
            ..DaemonSettings::default()
        };
        assert!(Token::load(&s).unwrap().matches("abcdefabcdefabcdefabcdef"));
        let s = DaemonSettings {
            token_file: Some(dir.path().join("missing")),
            ..DaemonSettings::default()
        };
        assert!(Token::load(&s)
            .unwrap_err()
            .to_string()
            .contains("daemon.token_file"));
        let s = DaemonSettings {
            token_env: Some("FWFLEET_TEST_TOKEN_THAT_IS_NOT_SET".into()),
            ..DaemonSettings::default()
        };
        assert!(Token::load(&s)
            .unwrap_err()
            .to_string()
            .contains("FWFLEET_TEST_TOKEN_THAT_IS_NOT_SET"));
        let e = Token::load(&DaemonSettings::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("daemon.token_file") && e.contains("hint"), "{e}");
    }
}
