//! The API's bearer tokens and their roles: where they come from, how a
//! request's token is checked, and what each role may do
//! (docs/SECURITY.md#the-api).
//!
//! `daemon.token_file` / `token_env` is the `admin` token named `default`
//! (as it was before roles); `[[daemon.tokens]]` adds named tokens, each a
//! `viewer` (read-only routes and `/metrics`), `operator` (also runs) or
//! `admin` (also downgrades, forced resets and the audit trail).
//!
//! Only the token's SHA-256 is kept in memory. Comparing digests makes the
//! check independent of where the first differing byte is and of the
//! presented token's length (an attacker learns nothing from timing about a
//! preimage), and a digest that ends up in a core dump is not the token.
//! The token never reaches a log line, an error or a `Debug` output.

use super::error::ApiError;
pub use super::error::TokenError;
use super::Daemon;
use crate::audit::{self, Call, Caller};
use crate::config::{DaemonSettings, TokenFrom, DEFAULT_TOKEN_NAME};
use crate::vocab::ApiRole;
use axum::extract::{ConnectInfo, MatchedPath};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
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
            (Some(path), _) => read(&TokenFrom::File(path.clone()), "daemon.token_file"),
            (None, Some(var)) => read(&TokenFrom::Env(var.clone()), "daemon.token_env"),
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

/// Read a token's text from where the config says it is.
fn read(from: &TokenFrom, key: &str) -> Result<Token, TokenError> {
    match from {
        TokenFrom::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| TokenError::File {
                key: key.to_string(),
                path: path.clone(),
                source,
            })?;
            warn_if_readable_by_others(path);
            Token::new(text.lines().next().unwrap_or(""), key)
        }
        TokenFrom::Env(var) => {
            let text = std::env::var(var).map_err(|_| TokenError::Env {
                key: key.to_string(),
                var: var.clone(),
            })?;
            Token::new(&text, key)
        }
    }
}

/// One named token and what it may do.
#[derive(Debug, Clone)]
struct Key {
    name: String,
    role: ApiRole,
    token: Token,
}

/// Every token the API accepts, each with its name and role. Only digests
/// are kept (see [`Token`]).
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<Key>,
}

/// The single token of before roles: the `admin` named `default`.
impl From<Token> for Keyring {
    fn from(token: Token) -> Keyring {
        Keyring::default().with(DEFAULT_TOKEN_NAME, ApiRole::Admin, token)
    }
}

impl Keyring {
    /// Add a token (names are checked unique by the config).
    pub fn with(mut self, name: &str, role: ApiRole, token: Token) -> Keyring {
        self.keys.push(Key {
            name: name.to_string(),
            role,
            token,
        });
        self
    }

    /// Read every token `[daemon]` names. At least one is needed, and no
    /// two names may share a value: the audit trail records who by name.
    pub fn load(settings: &DaemonSettings) -> Result<Keyring, TokenError> {
        let mut ring = Keyring::default();
        let mut keys: Vec<String> = Vec::new();
        match (&settings.token_file, &settings.token_env) {
            (Some(path), _) => {
                ring = ring.with(
                    DEFAULT_TOKEN_NAME,
                    ApiRole::Admin,
                    read(&TokenFrom::File(path.clone()), "daemon.token_file")?,
                );
                keys.push("daemon.token_file".into());
            }
            (None, Some(var)) => {
                ring = ring.with(
                    DEFAULT_TOKEN_NAME,
                    ApiRole::Admin,
                    read(&TokenFrom::Env(var.clone()), "daemon.token_env")?,
                );
                keys.push("daemon.token_env".into());
            }
            (None, None) => {}
        }
        for (i, t) in settings.tokens.iter().enumerate() {
            let key = match &t.from {
                TokenFrom::File(_) => format!("daemon.tokens[{i}].token_file"),
                TokenFrom::Env(_) => format!("daemon.tokens[{i}].token_env"),
            };
            let token = read(&t.from, &key)?;
            if let Some(j) = ring
                .keys
                .iter()
                .position(|k| k.token.digest == token.digest)
            {
                return Err(TokenError::Shared {
                    first: keys[j].clone(),
                    second: key,
                });
            }
            ring = ring.with(&t.name, t.role, token);
            keys.push(key);
        }
        if ring.keys.is_empty() {
            return Err(TokenError::Missing);
        }
        Ok(ring)
    }

    /// The key `presented` is. Every key is compared, whichever matches.
    fn find(&self, presented: &str) -> Option<&Key> {
        self.keys
            .iter()
            .fold(None, |found, k| match (found, k.token.matches(presented)) {
                (None, true) => Some(k),
                (found, _) => found,
            })
    }

    /// The name and role of the token `presented` is, for the dashboard's
    /// sign-in (`crate::dashboard::session`): the same comparison as the
    /// bearer check, so both accept exactly the same tokens.
    pub fn identify(&self, presented: &str) -> Option<(String, ApiRole)> {
        self.find(presented.trim())
            .map(|k| (k.name.clone(), k.role))
    }

    /// The names and roles, for the startup log (never the values).
    pub fn describe(&self) -> String {
        self.keys
            .iter()
            .map(|k| format!("{} ({})", k.name, k.role))
            .collect::<Vec<_>>()
            .join(", ")
    }
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

/// The role a route needs before its handler runs: reads are for every
/// token, the audit trail is the admin's, anything else changes something
/// and needs an operator. Handlers ask for more where the body does
/// ([`need`]: a downgrade or a forced reset needs an admin).
fn route_role(method: &Method, path: &str) -> ApiRole {
    if path == super::api::AUDIT_ROUTE {
        ApiRole::Admin
    } else if method == Method::GET || method == Method::HEAD {
        ApiRole::Viewer
    } else {
        ApiRole::Operator
    }
}

/// Middleware: every route it wraps needs a valid token whose role the
/// route allows. The caller (token name, role, peer) is handed to the
/// handler as a [`Caller`] extension for its audit row. A mutating call a
/// role does not allow is recorded `denied`; a request without a valid
/// token is only logged (anyone can send those, and they would fill the
/// trail).
pub async fn require(State(d): State<Arc<Daemon>>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let key = match bearer(&req) {
        Some(t) => d.keys.find(t).ok_or("the bearer token is not an API token"),
        None => Err("send an API token as `Authorization: Bearer TOKEN`"),
    };
    let key = match key {
        Ok(k) => k,
        Err(why) => {
            tracing::warn!(
                method = %req.method(),
                path = %req.uri().path(),
                peer = %peer.map_or_else(|| "unknown".into(), |p| p.to_string()),
                "refused an API request without a valid token"
            );
            return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", why).into_response();
        }
    };
    let caller = Caller::token(&key.name, key.role, peer);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    let needed = route_role(req.method(), &route);
    if key.role < needed {
        let action = super::api::action_of(req.method(), &route);
        if let Some(action) = action {
            let target = req.uri().path().to_string();
            if let Err(e) = audit::denied(
                &d.store,
                &caller,
                Call {
                    action,
                    target: Some(&target),
                    detail: Some(&format!("needs role {needed}")),
                },
            )
            .await
            {
                tracing::error!("cannot record a denied API call in the audit trail: {e}");
            }
        }
        return forbidden(
            &key.name,
            key.role,
            needed,
            &format!("{} {}", req.method(), route),
        );
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// 403 naming the token, its role and the role needed.
pub fn forbidden(name: &str, role: ApiRole, needed: ApiRole, what: &str) -> Response {
    tracing::warn!(token = name, role = %role, "refused {what}: needs role {needed}");
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("{what} needs role {needed}; token {name} is {role}\n  hint: use a token with role {needed} (docs/SECURITY.md#roles)"),
    )
    .into_response()
}

/// Whether `caller` may do something that needs `needed` (from the body).
pub fn need(caller: &Caller, needed: ApiRole) -> bool {
    caller.role.is_some_and(|r| r >= needed)
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
