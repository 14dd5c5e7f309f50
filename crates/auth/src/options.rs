//! [`Options`]: what a caller can say when restoring or logging in, and the precedence rule:
//! **explicit arguments > environment > store**.
//!
//! - *Explicit*: a tenant — a base URL, or a tenant id — plus a token, refresh token or
//!   password given in the options. A tenant id alone resolves as [`Options::tenant_id`]
//!   says: Tapis v3 to `https://<id>.tapis.io` (no request), Agave v2 (platform set to v2)
//!   through the tenants listing (one request, at restore). The session lives in memory
//!   (nothing is written) unless a store is named explicitly with
//!   [`Options::persist_explicit`]. A password or username given *without* any tenant does
//!   not make a session of its own: it is lent to the session found in the environment or
//!   the store (Agave v2 manages OAuth clients with it).
//! - *Environment*: `TAPIS_BASE_URL` plus credentials in the `TAPIS_*` variables (see the
//!   storage crate's environment store for the six profiles and both spellings). Read-only:
//!   refreshed tokens stay in memory, so thousands of job processes never touch the shared cache.
//! - *Store*: the chosen store (default: the JSON cache in `TAPIS_CACHE_DIR`,
//!   `AGAVE_CACHE_DIR` or `~/.agave`), profile = the one named, else the store's current
//!   profile, else `default`.
//!
//! The rule is applied in one place: `choose` in `crates/auth/src/precedence.rs`. `.env` files
//! are never read.

use std::path::PathBuf;

use tapis_auth_core::{OAuthClient, Platform, Secret, DEFAULT_MARGIN_SECS};
use tapis_auth_storage::StoreKind;

use crate::TransportConfig;

/// Settings for [`crate::AuthSession::restore`] and the login functions.
#[derive(Clone, Debug)]
pub struct Options {
    /// Profile name; default: the store's current profile, else `default`.
    pub profile: Option<String>,
    /// Which store (default JSON cache).
    pub store: StoreKind,
    /// Store location (cache directory or database file); default per store.
    pub store_path: Option<PathBuf>,
    /// Tenant base URL, e.g. `https://tacc.tapis.io`.
    pub base_url: Option<String>,
    /// Tenant id, e.g. `tacc`, used when no base URL is given: Tapis v3 resolves it to
    /// `https://<id>.tapis.io`; Agave v2 (with [`Options::platform`] set to v2) looks it up in
    /// the tenants listing ([`Options::tenants_url`]).
    pub tenant_id: Option<String>,
    /// Platform; default: detected from the URL or the server.
    pub platform: Option<Platform>,
    /// Username.
    pub username: Option<String>,
    /// Password (memory only; never stored).
    pub password: Option<Secret>,
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client key.
    pub client_key: Option<Secret>,
    /// An access token to start from.
    pub access_token: Option<Secret>,
    /// A refresh token to start from.
    pub refresh_token: Option<Secret>,
    /// Read `TAPIS_*` variables (default true).
    pub use_environment: bool,
    /// Save an explicit session into the store instead of keeping it in memory (default false).
    pub persist_explicit: bool,
    /// Seconds of validity always kept in hand (default 60).
    pub margin_secs: i64,
    /// Where Agave v2 tenants are listed (default: `TAPIS_TENANTS_URL`, else
    /// `AGAVE_TENANTS_API_BASEURL`, else TACC's).
    pub tenants_url: Option<String>,
    /// A login makes its profile the store's current one (default true). The current profile
    /// is what every process that names no profile uses — running jobs included.
    pub make_current: bool,
    /// HTTP settings.
    pub transport: TransportConfig,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            profile: None,
            store: StoreKind::Json,
            store_path: None,
            base_url: None,
            tenant_id: None,
            platform: None,
            username: None,
            password: None,
            client_id: None,
            client_key: None,
            access_token: None,
            refresh_token: None,
            use_environment: true,
            persist_explicit: false,
            margin_secs: DEFAULT_MARGIN_SECS,
            tenants_url: None,
            make_current: true,
            transport: TransportConfig::default(),
        }
    }
}

impl Options {
    /// True when the options themselves carry a credential (access token, refresh token or
    /// password) *and* name the tenant (base URL or tenant id): the explicit source applies.
    pub fn has_explicit_credentials(&self) -> bool {
        (self.base_url.is_some() || self.tenant_id.is_some())
            && (self.access_token.is_some()
                || self.refresh_token.is_some()
                || self.password.is_some())
    }

    /// The OAuth client named by [`client_id`](Self::client_id) (with
    /// [`client_key`](Self::client_key) when given), if any.
    pub(crate) fn client(&self) -> Option<OAuthClient> {
        self.client_id.as_ref().map(|id| OAuthClient {
            key: self.client_key.clone(),
            ..OAuthClient::public(id.clone())
        })
    }
}

/// Where a session's credentials came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Explicit arguments.
    Explicit,
    /// `TAPIS_*` environment variables.
    Environment,
    /// A store, described (e.g. `json:/home/u/.agave`).
    Store(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Explicit => f.write_str("explicit arguments"),
            Source::Environment => f.write_str("environment (TAPIS_*)"),
            Source::Store(d) => f.write_str(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_client_is_the_id_with_its_key_if_any() {
        assert_eq!(Options::default().client(), None);
        let public = Options {
            client_id: Some("cli".into()),
            ..Options::default()
        };
        assert_eq!(public.client(), Some(OAuthClient::public("cli")));
        let confidential = Options {
            client_key: Some(Secret::new("key")),
            ..public
        };
        assert_eq!(confidential.client(), Some(OAuthClient::new("cli", "key")));
        // A key without an id names no client.
        let key_only = Options {
            client_id: None,
            ..confidential
        };
        assert_eq!(key_only.client(), None);
    }
}
