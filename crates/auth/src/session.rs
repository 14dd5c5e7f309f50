//! [`AuthSession`]: the thread-safe session object that Rust users, the C ABI and the command
//! line call. It joins a store, the HTTP transport and a [`TokenManager`].

use std::sync::Arc;

use tapis_auth_core::flow::{clients, revoke, userinfo};
use tapis_auth_core::{
    authorize, Clock, Error, HttpRequest, HttpResponse, OAuthClient, Platform, Secret, Session,
    TokenSet, UnixTime,
};
use tapis_auth_driver::{TokenManager, TokenManagerConfig};

use crate::options::{Options, Source};
use crate::precedence::{self, process_env};
use crate::{HttpTransport, SystemClock};

/// Who a session belongs to (no secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoAmI {
    /// Profile name.
    pub profile: String,
    /// Username, when known.
    pub username: Option<String>,
    /// Tenant id, when known.
    pub tenant_id: Option<String>,
    /// Tenant base URL.
    pub base_url: String,
    /// Platform.
    pub platform: Platform,
    /// OAuth client id, when there is a client.
    pub client_id: Option<String>,
    /// Where the credentials came from.
    pub source: String,
    /// Access-token expiry.
    pub expires_at: Option<UnixTime>,
    /// Refresh-token expiry, when known.
    pub refresh_expires_at: Option<UnixTime>,
    /// Whether a refresh token is held.
    pub has_refresh_token: bool,
    /// When the server rejected the refresh token, as recorded in the store (it is never sent
    /// again).
    pub refresh_rejected_at: Option<UnixTime>,
    /// Why a person must log in before a token can be handed out; `None` when none is needed.
    pub login_required: Option<String>,
}

impl WhoAmI {
    /// What `s` says of its owner, with the claims of its access token filling the gaps.
    pub(crate) fn of(s: &Session, source: &Source, login_required: Option<String>) -> Self {
        let claims = s
            .tokens
            .as_ref()
            .and_then(|t| tapis_auth_core::JwtClaims::decode(t.access_token.expose()));
        WhoAmI {
            profile: s.profile.clone(),
            username: s
                .username
                .clone()
                .or_else(|| claims.as_ref().and_then(|c| c.username.clone())),
            tenant_id: s
                .tenant
                .id
                .clone()
                .or_else(|| claims.as_ref().and_then(|c| c.tenant_id.clone())),
            base_url: s.tenant.base_url.to_string(),
            platform: s.tenant.platform,
            client_id: s.client.as_ref().map(|c| c.id.clone()),
            source: source.to_string(),
            expires_at: s.tokens.as_ref().and_then(|t| t.expires_at),
            refresh_expires_at: s.tokens.as_ref().and_then(|t| t.refresh_expires_at),
            has_refresh_token: s.refresh_token().is_some_and(|r| !r.is_empty()),
            refresh_rejected_at: s.tokens.as_ref().and_then(|t| t.refresh_rejected_at),
            login_required,
        }
    }
}

/// What [`AuthSession::logout_with`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logout {
    /// A stored session was deleted.
    pub deleted: bool,
    /// The OAuth client the profile's login had created, deleted on the server.
    pub client_deleted: Option<String>,
    /// The login's client, kept, and why (shared with another profile, deletion not asked
    /// for, or the deletion failed).
    pub client_kept: Option<(String, String)>,
}

/// A thread-safe handle on one profile's credentials. Every method takes `&self`; clones are
/// cheap and share everything (one token manager, one connection pool), so hand a clone to each
/// thread or keep one in an `Arc`.
#[derive(Debug, Clone)]
pub struct AuthSession {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    manager: TokenManager,
    transport: HttpTransport,
    source: Source,
    options: Options,
}

impl tapis_auth_driver::HoldsTokenManager for Inner {
    fn token_manager(&self) -> &TokenManager {
        &self.manager
    }
}

impl AuthSession {
    /// Restores a session with the documented precedence — explicit arguments, then the
    /// environment, then the store (see [`Options`]; the rule itself is `choose` in
    /// `crates/auth/src/precedence.rs`) — and fails with [`Error::LoginRequired`] when none
    /// holds a session.
    pub fn restore(options: Options) -> Result<Self, Error> {
        let s = Self::build(options, true)?;
        tracing::debug!(
            "profile {}: credentials from {} (precedence: explicit arguments, then TAPIS_* variables, then the store)",
            s.profile(),
            s.source()
        );
        s.inner.manager.session()?;
        Ok(s)
    }

    /// Opens the store named by the options for logging in or managing profiles: no session
    /// needs to exist, and explicit credentials and the environment are not used as a source
    /// (a login saves into the store).
    pub fn open(options: Options) -> Result<Self, Error> {
        Self::build(options, false)
    }

    fn build(options: Options, restoring: bool) -> Result<Self, Error> {
        let transport = HttpTransport::new(options.transport.clone());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let chosen = if restoring {
            precedence::choose(&options, &process_env, &transport, &*clock)?
        } else {
            precedence::store(&options, &process_env)?
        };
        let config = TokenManagerConfig {
            profile: chosen.profile,
            margin_secs: options.margin_secs,
            password_fallback: true,
        };
        let t: Arc<dyn tapis_auth_core::Transport> = Arc::new(transport.clone());
        let manager = match chosen.explicit {
            Some(session) => TokenManager::with_session(chosen.store, t, clock, config, session),
            None => TokenManager::new(chosen.store, t, clock, config),
        };
        Ok(Self::from_parts(manager, transport, chosen.source, options))
    }

    fn from_parts(
        manager: TokenManager,
        transport: HttpTransport,
        source: Source,
        options: Options,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                manager,
                transport,
                source,
                options,
            }),
        }
    }

    /// The profile this session serves.
    pub fn profile(&self) -> &str {
        self.inner.manager.profile()
    }

    /// Where the credentials came from.
    pub fn source(&self) -> &Source {
        &self.inner.source
    }

    /// The options this session was opened with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The token manager (the refresh algorithm) behind this session.
    pub fn manager(&self) -> &TokenManager {
        &self.inner.manager
    }

    /// This session's token manager as something an async manager can share (see
    /// `AsyncSession`): the session's own shared state, no copy.
    #[cfg(feature = "tokio")]
    pub(crate) fn holder(&self) -> Arc<dyn tapis_auth_driver::HoldsTokenManager> {
        self.inner.clone()
    }

    /// The store's warnings since the last call: a cache file or directory found readable by
    /// others and made private, or one that could not be. Each is reported once; none carries
    /// a secret. Show them to the user (the CLI prints them on stderr).
    pub fn take_warnings(&self) -> Vec<String> {
        self.inner.manager.store().take_warnings()
    }

    /// The HTTP transport behind this session.
    pub fn transport(&self) -> &HttpTransport {
        &self.inner.transport
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        &**self.inner.manager.clock()
    }

    /// An access token valid for at least `max(min_valid, margin)` more seconds, refreshing
    /// when needed (the hot path does no I/O).
    pub fn access_token(&self, min_valid: i64) -> Result<Secret, Error> {
        self.inner.manager.access_token(min_valid)
    }

    /// Lends a valid access token to `f` without copying it.
    pub fn with_access_token<R>(
        &self,
        min_valid: i64,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R, Error> {
        self.inner.manager.with_access_token(min_valid, f)
    }

    /// Refreshes now and returns the new tokens.
    pub fn refresh(&self) -> Result<TokenSet, Error> {
        self.inner.manager.refresh(None)
    }

    /// The access token's expiry, when known.
    pub fn expires_at(&self) -> Result<Option<UnixTime>, Error> {
        self.inner.manager.expires_at()
    }

    /// The current session (tenant, user, client, tokens). Secrets inside stay redacted in
    /// `Debug` output.
    pub fn session(&self) -> Result<Session, Error> {
        self.inner.manager.session()
    }

    /// Who this session belongs to, from what is held locally (no network).
    pub fn whoami(&self) -> Result<WhoAmI, Error> {
        let s = self.inner.manager.session()?;
        let login_required = self.inner.manager.login_required()?;
        Ok(WhoAmI::of(&s, &self.inner.source, login_required))
    }

    /// Asks the server who the token belongs to (`/v3/oauth2/userinfo` or `/profiles/v2/me`).
    pub fn userinfo(&self) -> Result<userinfo::UserInfo, Error> {
        self.access_token(0)?;
        let s = self.inner.manager.session()?;
        userinfo::userinfo(&s)?.send(self.clock(), &self.inner.transport)
    }

    /// Sends a service call with the token attached (`X-Tapis-Token` on v3, `Authorization:
    /// Bearer` on v2). When the service says the token expired, refreshes once and retries
    /// once; a failed refresh is returned as is, never retried in a loop.
    ///
    /// The token is attached only to the session's own origin (the scheme, host and port of
    /// the tenant's base URL): a request for any other URL is refused with
    /// [`Error::Config`] before anything is sent (a token sent elsewhere can be replayed
    /// there). To send it to another origin on purpose, use
    /// [`send_to_any_origin`](Self::send_to_any_origin).
    pub fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let base = self.inner.manager.tenant()?.base_url;
        check_origin(&request.url, base.as_str())?;
        self.send_to_any_origin(request)
    }

    /// [`send`](Self::send) without the origin check: the caller has decided that the
    /// request's server may have the access token.
    pub fn send_to_any_origin(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        use tapis_auth_core::Transport as _;
        let token = self.access_token(0)?;
        let platform = self.inner.manager.platform()?;
        let first = self.inner.transport.send(&authorize::authorize_with(
            platform,
            &token,
            request.clone(),
        )?)?;
        match authorize::classify_service_response(platform, &first) {
            authorize::ServiceVerdict::RefreshAndRetry => {
                let fresh = self.inner.manager.refresh(Some(&token))?;
                Ok(self.inner.transport.send(&authorize::authorize_with(
                    platform,
                    &fresh.access_token,
                    request,
                )?)?)
            }
            _ => Ok(first),
        }
    }

    /// Revokes the tokens where the platform supports it (best effort) and deletes the
    /// session locally. Returns whether a stored session was deleted.
    pub fn logout(&self) -> Result<bool, Error> {
        if let Ok(s) = self.inner.manager.session() {
            for tok in revocable(&s) {
                if let Ok(ex) = revoke::revoke(&s, &tok) {
                    let _ = ex.send(self.clock(), &self.inner.transport);
                }
            }
        }
        self.inner.manager.forget()
    }

    /// [`logout`](Self::logout), and with `delete_login_client` also deletes (first, while the
    /// tokens still work) the OAuth client a tapis-auth login created for this profile
    /// ([`OAuthClient::created_by_login_for`]) unless another profile in the store uses it.
    /// Agave v2 needs the password ([`Options::password`]) to delete a client. A client that
    /// cannot be deleted is kept and the logout goes on; [`Logout::client_kept`] says why.
    pub fn logout_with(&self, delete_login_client: bool) -> Result<Logout, Error> {
        let mut out = Logout::default();
        let session = self.inner.manager.session().ok();
        let own = session.as_ref().and_then(|s| {
            s.client
                .clone()
                .filter(|c| c.created_by_login_for(&s.profile))
                .map(|c| (s, c))
        });
        if let Some((s, client)) = own {
            let id = client.id.clone();
            // v2 deletes by name; v3 by id.
            let handle = match s.platform() {
                Platform::AgaveV2 => client.name.clone().unwrap_or_else(|| id.clone()),
                Platform::TapisV3 => id.clone(),
            };
            let kept = |why: String| Some((id.clone(), why));
            if !delete_login_client {
                out.client_kept = kept("keeping it was asked for".into());
            } else if let Some(other) = self.other_profile_using(s, &id)? {
                out.client_kept = kept(format!("profile {other} uses it too"));
            } else if s.platform() == Platform::AgaveV2
                && s.password.is_none()
                && self.inner.options.password.is_none()
            {
                out.client_kept = kept("Agave v2 needs your password to delete a client".into());
            } else {
                match self.delete_client(&handle) {
                    Ok(()) => {
                        tracing::debug!(
                            "deleted OAuth client {id}, created by this profile's login"
                        );
                        out.client_deleted = Some(id.clone());
                    }
                    Err(e) => out.client_kept = kept(format!("deleting it failed: {e}")),
                }
            }
        }
        out.deleted = self.logout()?;
        Ok(out)
    }

    /// Another profile in this session's store whose session uses client `id` on the same
    /// tenant, if any.
    fn other_profile_using(&self, s: &Session, id: &str) -> Result<Option<String>, Error> {
        let store = self.inner.manager.store();
        for p in store.list()? {
            if p == s.profile {
                continue;
            }
            if let Ok(Some(o)) = store.load(&p) {
                if o.tenant.base_url == s.tenant.base_url
                    && o.client.as_ref().is_some_and(|c| c.id == id)
                {
                    return Ok(Some(p));
                }
            }
        }
        Ok(None)
    }

    /// Creates an OAuth client for the session's user (v3: with the access token; v2: with
    /// the username and password, which must be held in memory).
    pub fn create_client(&self, new: &clients::NewClient) -> Result<OAuthClient, Error> {
        let s = self.fresh_session()?;
        clients::create_client(&s, new)?.send(self.clock(), &self.inner.transport)
    }

    /// Lists the user's OAuth clients.
    pub fn list_clients(&self) -> Result<Vec<OAuthClient>, Error> {
        let s = self.fresh_session()?;
        clients::list_clients(&s)?.send(self.clock(), &self.inner.transport)
    }

    /// Deletes an OAuth client by id (v2: by name).
    pub fn delete_client(&self, id: &str) -> Result<(), Error> {
        let s = self.fresh_session()?;
        clients::delete_client(&s, id)?.send(self.clock(), &self.inner.transport)
    }

    pub(crate) fn fresh_session(&self) -> Result<Session, Error> {
        let mut s = self.inner.manager.session()?;
        if s.platform() == Platform::TapisV3 {
            self.access_token(0)?;
            s = self.inner.manager.session()?;
        }
        if s.password.is_none() {
            s.password = self.inner.options.password.clone();
        }
        if s.username.is_none() {
            s.username = self.inner.options.username.clone();
        }
        Ok(s)
    }
}

/// Whether URLs `a` and `b` have the same origin (scheme, host, port) — the rule for where the
/// access token may go (also used by the Python package's `requests`/`httpx` auth). Unparsable URLs have
/// none.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin().is_tuple() && a.origin() == b.origin(),
        _ => false,
    }
}

/// Refuses to attach the access token to a request for `url` unless it has the origin of the
/// tenant's `base` URL.
pub(crate) fn check_origin(url: &str, base: &str) -> Result<(), Error> {
    if same_origin(url, base) {
        return Ok(());
    }
    Err(Error::Config(format!(
        "refusing to attach the access token to a request for {}: it is not the tenant's \
         origin {} (a token sent elsewhere can be replayed there); use send_to_any_origin to \
         send it there on purpose",
        origin_of(url),
        origin_of(base)
    )))
}

/// The tokens of `s` a logout revokes: the access and refresh tokens that are not empty.
/// Revoking is best effort — an expired token cannot be revoked and v2 revoke is broken on
/// TACC — and the local deletion happens regardless.
pub(crate) fn revocable(s: &Session) -> Vec<Secret> {
    s.tokens
        .iter()
        .flat_map(|t| std::iter::once(t.access_token.clone()).chain(t.refresh_token.clone()))
        .filter(|t| !t.is_empty())
        .collect()
}

/// The origin of `url` for a message (never its path, query or credentials).
fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| "(an invalid URL)".to_owned())
}
