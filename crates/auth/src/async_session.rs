//! [`AsyncSession`]: the session for async code (tokio), on the async token manager.

use std::sync::Arc;

use crate::session::{check_origin, revocable};
use crate::{AuthSession, Options, WhoAmI};
use tapis_auth_core::flow::revoke;
use tapis_auth_core::{
    authorize, AsyncTransport, Error, HttpRequest, HttpResponse, Secret, Session, TokenSet,
};
use tapis_auth_driver::{joined, AsyncTokenManager};
use tapis_auth_http::AsyncHttpTransport;

/// One profile's credentials for async code, with the guarantees of [`AuthSession`]: one
/// refresh in flight in the process, the cross-process refresh protocol over the shared cache
/// (one refresh for all processes and nodes), and the rotated tokens saved before they are
/// handed out.
///
/// Tokens come from an [`AsyncTokenManager`] that shares the blocking session's memory and
/// single-flight lock ([`blocking`](Self::blocking) and this session are one session):
///
/// - a token held and valid for what is asked comes from memory at once (one atomic load and a
///   clock read, no await point that could park the task);
/// - otherwise the task waits its turn without holding a thread, and the refresh request is
///   awaited on reqwest's async client ([`AsyncHttpTransport`], with the blocking transport's
///   trust, proxy, timeout and retry settings); store calls (file locks, `fsync`) run on
///   tokio's blocking pool.
///
/// Service calls ([`send`](Self::send)) and logout are async too. Logins and client management
/// have no async form: call them on [`blocking`](Self::blocking) from a blocking thread.
///
/// Clones are cheap and share everything.
///
/// ```no_run
/// # async fn f() -> Result<(), tapis_auth::Error> {
/// let session = tapis_auth::AsyncSession::restore(tapis_auth::Options::default()).await?;
/// let token = session.access_token(600).await?;
/// # let _ = token; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AsyncSession {
    inner: AuthSession,
    manager: AsyncTokenManager,
}

impl AsyncSession {
    /// Restores a session with the documented precedence (see [`AuthSession::restore`]). The
    /// environment and the store are read on the blocking pool.
    pub async fn restore(options: Options) -> Result<Self, Error> {
        blocking(move || AuthSession::restore(options))
            .await
            .map(Self::new)
    }

    /// Opens the store named by the options without needing a session (see
    /// [`AuthSession::open`]): for logins and profile management.
    pub async fn open(options: Options) -> Result<Self, Error> {
        blocking(move || AuthSession::open(options))
            .await
            .map(Self::new)
    }

    /// The async face of a blocking session: both share one token manager's memory and lock.
    /// HTTP goes through an [`AsyncHttpTransport`] with the session's transport settings.
    pub fn new(session: AuthSession) -> Self {
        let transport = AsyncHttpTransport::new(session.transport().config().clone());
        Self::with_transport(session, Arc::new(transport))
    }

    /// Like [`new`](Self::new), sending the token grants and service calls through your own
    /// async HTTP client.
    pub fn with_transport(session: AuthSession, transport: Arc<dyn AsyncTransport>) -> Self {
        let manager = AsyncTokenManager::sharing(session.holder(), transport);
        Self {
            inner: session,
            manager,
        }
    }

    /// The blocking session behind this one (for the calls that have no async form, such as
    /// the interactive logins), to be used on a blocking thread.
    pub fn blocking(&self) -> &AuthSession {
        &self.inner
    }

    /// The async token manager behind this session.
    pub fn manager(&self) -> &AsyncTokenManager {
        &self.manager
    }

    /// The profile this session serves.
    pub fn profile(&self) -> &str {
        self.inner.profile()
    }

    /// An access token valid for at least `max(min_valid, margin)` more seconds, refreshing
    /// when needed (see [`AuthSession::access_token`]).
    pub async fn access_token(&self, min_valid: i64) -> Result<Secret, Error> {
        self.manager.access_token(min_valid).await
    }

    /// Refreshes now, unless another task, thread or process already did (see
    /// [`AuthSession::refresh`]).
    pub async fn refresh(&self) -> Result<TokenSet, Error> {
        self.manager.refresh(None).await
    }

    /// The session held (tokens included), as [`AuthSession::session`] reads it.
    pub async fn session(&self) -> Result<Session, Error> {
        self.manager.session().await
    }

    /// Who this session belongs to, from what is held locally (see [`AuthSession::whoami`]).
    pub async fn whoami(&self) -> Result<WhoAmI, Error> {
        let session = self.manager.session().await?;
        let login_required = self.manager.login_required().await?;
        Ok(WhoAmI::of(&session, self.inner.source(), login_required))
    }

    /// Sends a service call to the session's own origin with a fresh token, refreshing once
    /// and retrying once when the service says the token expired (see [`AuthSession::send`]).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let base = self.manager.tenant().await?.base_url;
        check_origin(&request.url, base.as_str())?;
        self.send_to_any_origin(request).await
    }

    /// [`send`](Self::send) without the origin check (see
    /// [`AuthSession::send_to_any_origin`]).
    pub async fn send_to_any_origin(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let transport = self.manager.transport();
        let token = self.manager.access_token(0).await?;
        let platform = self.manager.platform().await?;
        let first = authorize::authorize_with(platform, &token, request.clone())?;
        let first = transport.send(&first).await?;
        match authorize::classify_service_response(platform, &first) {
            authorize::ServiceVerdict::RefreshAndRetry => {
                let fresh = self.manager.refresh(Some(&token)).await?;
                let again = authorize::authorize_with(platform, &fresh.access_token, request)?;
                Ok(transport.send(&again).await?)
            }
            _ => Ok(first),
        }
    }

    /// Logs out: revokes what can be revoked (best effort) and deletes the profile from the
    /// store (see [`AuthSession::logout`]).
    pub async fn logout(&self) -> Result<bool, Error> {
        if let Ok(s) = self.manager.session().await {
            for token in revocable(&s) {
                if let Ok(pending) = revoke::revoke(&s, &token) {
                    let clock = self.manager.clock();
                    drop(
                        pending
                            .send_async(&**clock, &**self.manager.transport())
                            .await,
                    );
                }
            }
        }
        self.manager.forget().await
    }
}

/// Runs `f` on tokio's blocking pool (see [`joined`] for a panic or a runtime shutting down).
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    joined(tokio::task::spawn_blocking(f).await, "the call")
}
