//! [`AsyncSession`]: the session for async code (tokio).

use std::sync::Arc;

use crate::{AuthSession, Options, WhoAmI};
use tapis_auth_core::{
    Error, HttpRequest, HttpResponse, Secret, Session, TokenSet, TransportError, TransportErrorKind,
};
use tokio::sync::Mutex;

/// One profile's credentials for async code, with the guarantees of [`AuthSession`]: one
/// refresh in flight in the process, the cross-process refresh protocol over the shared cache
/// (one refresh for all processes and nodes), and the rotated tokens saved before they are
/// handed out.
///
/// A token that is held and still valid for what is asked comes from memory without an await
/// point that could park the task: one atomic load and a clock read. Otherwise the caller's
/// task waits — without holding a runtime thread — for its turn behind this session's other
/// callers, and the blocking driver runs the refresh on tokio's blocking pool (file locks,
/// `fsync` and the blocking HTTP client must not run on the async workers). Tasks that waited
/// their turn find the new token in memory and never reach the pool.
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
    /// Single flight in the process: one caller at a time goes to the blocking pool.
    turn: Arc<Mutex<()>>,
}

impl AsyncSession {
    /// Restores a session with the documented precedence (see [`AuthSession::restore`]).
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

    /// Wraps a blocking session; both then share one token manager.
    pub fn new(session: AuthSession) -> Self {
        Self {
            inner: session,
            turn: Arc::new(Mutex::new(())),
        }
    }

    /// The blocking session behind this one (for the calls that have no async form, such as
    /// the interactive logins), to be used on a blocking thread.
    pub fn blocking(&self) -> &AuthSession {
        &self.inner
    }

    /// The profile this session serves.
    pub fn profile(&self) -> &str {
        self.inner.profile()
    }

    /// An access token valid for at least `max(min_valid, margin)` more seconds, refreshing
    /// when needed (see [`AuthSession::access_token`]).
    pub async fn access_token(&self, min_valid: i64) -> Result<Secret, Error> {
        if let Some(t) = self.inner.manager().cached_token(min_valid) {
            return Ok(t);
        }
        let _turn = self.turn.lock().await;
        // The caller before this one may have refreshed.
        if let Some(t) = self.inner.manager().cached_token(min_valid) {
            return Ok(t);
        }
        let s = self.inner.clone();
        blocking(move || s.access_token(min_valid)).await
    }

    /// Refreshes now, unless another task, thread or process already did (see
    /// [`AuthSession::refresh`]).
    pub async fn refresh(&self) -> Result<TokenSet, Error> {
        self.in_turn(AuthSession::refresh).await
    }

    /// The session held (tokens included), as [`AuthSession::session`] reads it.
    pub async fn session(&self) -> Result<Session, Error> {
        self.in_turn(AuthSession::session).await
    }

    /// Who the server says the token belongs to (see [`AuthSession::whoami`]).
    pub async fn whoami(&self) -> Result<WhoAmI, Error> {
        let s = self.inner.clone();
        blocking(move || s.whoami()).await
    }

    /// Sends a request to the session's platform with a fresh token, refreshing once and
    /// retrying when the service says the token expired (see [`AuthSession::send`]).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        // Get the token first, in turn, so that concurrent sends do not queue refreshes on
        // the blocking pool.
        self.access_token(0).await?;
        let s = self.inner.clone();
        blocking(move || s.send(request)).await
    }

    /// Logs out: revokes what can be revoked and deletes the profile from the store (see
    /// [`AuthSession::logout`]).
    pub async fn logout(&self) -> Result<bool, Error> {
        self.in_turn(AuthSession::logout).await
    }

    /// Runs `f` on the blocking pool in this session's turn.
    async fn in_turn<R: Send + 'static>(
        &self,
        f: fn(&AuthSession) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let _turn = self.turn.lock().await;
        let s = self.inner.clone();
        blocking(move || f(&s)).await
    }
}

/// Runs `f` on tokio's blocking pool. A panic in `f` resumes in the caller; a runtime shutting
/// down is reported as a cancelled call.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Transport(TransportError::new(
            TransportErrorKind::Cancelled,
            "the async runtime shut down before the call finished",
        ))),
    }
}
