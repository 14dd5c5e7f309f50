//! [`TokenManagerConfig`]: the settings both token managers take.

use tapis_auth_core::{DEFAULT_MARGIN_SECS, DEFAULT_PROFILE};

/// Settings of a [`TokenManager`](crate::TokenManager) or an
/// `AsyncTokenManager` (feature `tokio`).
#[derive(Clone, Debug)]
pub struct TokenManagerConfig {
    /// The profile whose session is managed.
    pub profile: String,
    /// Seconds of validity always kept in hand (default [`DEFAULT_MARGIN_SECS`]).
    pub margin_secs: i64,
    /// When the session holds a username and password (environment Standard profile) but no
    /// usable refresh token, log in with the password grant. Default: true.
    pub password_fallback: bool,
}

impl Default for TokenManagerConfig {
    fn default() -> Self {
        Self {
            profile: DEFAULT_PROFILE.to_owned(),
            margin_secs: DEFAULT_MARGIN_SECS,
            password_fallback: true,
        }
    }
}
