//! [`AsyncTokenManager`]: the async driver of the refresh sequence, on tokio.

use std::sync::Arc;

use tapis_auth_core::rules::{self, Need};
use tapis_auth_core::{
    AsyncTransport, Clock, Error, Platform, Secret, Session, Store, Tenant, TokenSet,
    TransportError, TransportErrorKind, UnixTime,
};

use crate::sequence;
use crate::shared::Shared;
use crate::tokio_io::TokioIo;
use crate::{HoldsTokenManager, TokenManagerConfig};

/// Where an async manager's state lives: its own, or a blocking manager's, reached through
/// whatever holds that one.
#[derive(Clone)]
enum Owner {
    Alone(Arc<Shared>),
    Sharing(Arc<dyn HoldsTokenManager>),
}

impl Owner {
    fn shared(&self) -> &Shared {
        match self {
            Owner::Alone(shared) => shared,
            Owner::Sharing(holder) => &holder.token_manager().shared,
        }
    }
}

/// Hands out access tokens for one profile in async code, with the guarantees of
/// [`TokenManager`](crate::TokenManager): one refresh in flight in the process, the cross-process refresh protocol
/// over the shared cache (one refresh for all processes and nodes), and the rotated tokens
/// saved before they are handed out. It runs the same sequence as the blocking manager.
///
/// - A token held and valid for what is asked comes from memory at once: one atomic load
///   and a clock read, no await point that could park the task.
/// - Otherwise the task waits its turn on the session's single-flight lock without holding a
///   thread; tasks that waited find the new token in memory.
/// - The refresh request is awaited through the [`AsyncTransport`] (any async HTTP client).
/// - Store calls (file locks, `fsync`, watching another process's refresh claim) run on
///   tokio's blocking pool, never on the async workers.
///
/// Its methods must be awaited within a tokio runtime. `Send + Sync`; the futures are `Send`.
///
/// ```
/// # use std::sync::Arc;
/// # use tapis_auth_core::{HttpRequest, HttpResponse, SystemClock, TransportError, TransportErrorKind, Store};
/// use tapis_auth_driver::{AsyncTokenManager, TokenManagerConfig};
/// # async fn run(store: Arc<dyn Store>) {
/// let offline = |_: HttpRequest| async {
///     Err::<HttpResponse, _>(TransportError::new(TransportErrorKind::Connect, "offline"))
/// };
/// let manager = AsyncTokenManager::new(store, Arc::new(offline), Arc::new(SystemClock), TokenManagerConfig::default());
/// let token = manager.access_token(600).await;
/// # let _ = token; }
/// ```
#[derive(Clone)]
pub struct AsyncTokenManager {
    owner: Owner,
    transport: Arc<dyn AsyncTransport>,
}

impl std::fmt::Debug for AsyncTokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncTokenManager")
            .field("store", &self.shared().store.describe())
            .field("profile", &self.shared().config.profile)
            .finish_non_exhaustive()
    }
}

impl AsyncTokenManager {
    /// A manager for `config.profile` in `store`. Nothing is loaded until the first call.
    pub fn new(
        store: Arc<dyn Store>,
        transport: Arc<dyn AsyncTransport>,
        clock: Arc<dyn Clock>,
        config: TokenManagerConfig,
    ) -> Self {
        let owner = Owner::Alone(Arc::new(Shared::new(store, clock, config)));
        Self { owner, transport }
    }

    /// An async manager sharing the session of the blocking manager `holder` holds (an
    /// `Arc<TokenManager>`, or a session that owns one): its memory, its single-flight lock and
    /// its store. Blocking and async callers then see one session, and one of them refreshes.
    pub fn sharing(holder: Arc<dyn HoldsTokenManager>, transport: Arc<dyn AsyncTransport>) -> Self {
        Self {
            owner: Owner::Sharing(holder),
            transport,
        }
    }

    /// The session state (this manager's own, or the blocking manager's it shares).
    fn shared(&self) -> &Shared {
        self.owner.shared()
    }

    /// The I/O of one call (its store calls on one blocking-pool thread).
    fn io(&self) -> TokioIo {
        TokioIo::new(self.transport.clone(), self.shared().clock.clone())
    }

    /// The profile this manager serves.
    pub fn profile(&self) -> &str {
        self.shared().profile()
    }

    /// The store behind this manager.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.shared().store
    }

    /// The transport behind this manager.
    pub fn transport(&self) -> &Arc<dyn AsyncTransport> {
        &self.transport
    }

    /// The clock behind this manager.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared().clock
    }

    /// The hot path alone: the access token held in memory when it is valid for at least
    /// `max(min_valid, margin)` more seconds, else `None`. No I/O, no lock, never waits.
    pub fn cached_token(&self, min_valid: i64) -> Option<Secret> {
        self.shared()
            .lend_cached(min_valid, |t| Secret::new(t))
            .ok()
    }

    /// An access token valid for at least `max(min_valid, margin)` more seconds, refreshing
    /// when needed.
    ///
    /// Cancel-safe: a caller that stops waiting (a timeout, a dropped task) never abandons a
    /// refresh half-way. Once this session's turn has come, the refresh runs in a task of its
    /// own to its end — the rotated tokens are saved and the claim settled — whether or not
    /// anyone still waits for it (a refresh token may be single-use: the server has spent it
    /// once the request is sent).
    pub async fn access_token(&self, min_valid: i64) -> Result<Secret, Error> {
        if let Some(t) = self.cached_token(min_valid) {
            return Ok(t);
        }
        let tokens = self.slow_path(None, min_valid).await?;
        Ok(tokens.access_token)
    }

    /// Refreshes now, whatever the cached expiry says, unless another task, thread or process
    /// already did since `rejected` (the token a service just rejected) was handed out.
    /// Cancel-safe like [`access_token`](Self::access_token).
    pub async fn refresh(&self, rejected: Option<&Secret>) -> Result<TokenSet, Error> {
        let forced = match rejected {
            Some(r) => r.clone(),
            None => self
                .session()
                .await?
                .tokens
                .map(|t| t.access_token)
                .unwrap_or_default(),
        };
        self.slow_path(Some(forced), 0).await
    }

    /// The current session, loading it from the store when none is held yet.
    pub async fn session(&self) -> Result<Session, Error> {
        let mut state = self.shared().state.lock().await;
        sequence::session(self.shared(), &self.io(), &mut state).await
    }

    /// The platform of the session held in memory (loading it from the store only when none
    /// is held yet).
    pub async fn platform(&self) -> Result<Platform, Error> {
        Ok(self.tenant().await?.platform)
    }

    /// The tenant of the session held in memory (loading it from the store only when none is
    /// held yet); see [`TokenManager::tenant`](crate::TokenManager::tenant).
    pub async fn tenant(&self) -> Result<Tenant, Error> {
        if let Some(s) = self.shared().state.lock().await.as_ref() {
            return Ok(s.tenant.clone());
        }
        Ok(self.session().await?.tenant)
    }

    /// Why a person must log in before this session can hand out a token (`None` when it
    /// can); see [`TokenManager::login_required`](crate::TokenManager::login_required).
    pub async fn login_required(&self) -> Result<Option<String>, Error> {
        let s = self.session().await?;
        Ok(rules::login_required(
            &self.shared().policy(),
            &s,
            self.shared().clock.now(),
        ))
    }

    /// The expiry of the current access token, if known.
    pub async fn expires_at(&self) -> Result<Option<UnixTime>, Error> {
        Ok(self.session().await?.tokens.and_then(|t| t.expires_at))
    }

    /// Replaces the session (after a login): saves it under the store lock when the store is
    /// writable, then serves its tokens.
    pub async fn set_session(&self, session: Session) -> Result<(), Error> {
        let mut state = self.shared().state.lock().await;
        sequence::set_session(self.shared(), &self.io(), &mut state, session).await
    }

    /// Forgets the session in memory and deletes it from the store (logout).
    pub async fn forget(&self) -> Result<bool, Error> {
        let mut state = self.shared().state.lock().await;
        sequence::forget(self.shared(), &self.io(), &mut state).await
    }

    /// The sequence's slow path for a token other than `rejected` (a forced refresh), or else
    /// one valid `min_valid` more seconds. It waits for this session's turn here, then runs in
    /// a task of its own, which goes on if the caller stops waiting.
    async fn slow_path(&self, rejected: Option<Secret>, min_valid: i64) -> Result<TokenSet, Error> {
        let mut state = self.shared().state.lock_arc().await;
        let (owner, io) = (self.owner.clone(), self.io());
        let run = tokio::spawn(async move {
            let need = match &rejected {
                Some(rejected) => Need::Replace { rejected },
                None => Need::Valid { min_valid },
            };
            sequence::slow_path(owner.shared(), &io, &mut state, need).await
        });
        joined(run.await, "the refresh")
    }
}

/// The result of a task the caller waited for (`tokio::spawn` or `spawn_blocking`): a panic in
/// the task resumes in the caller; a runtime that shut down before the task finished is a
/// cancelled call, naming `what` was cut short.
pub fn joined<R>(
    joined: Result<Result<R, Error>, tokio::task::JoinError>,
    what: &str,
) -> Result<R, Error> {
    match joined {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Transport(TransportError::new(
            TransportErrorKind::Cancelled,
            format!("the async runtime shut down before {what} finished"),
        ))),
    }
}
