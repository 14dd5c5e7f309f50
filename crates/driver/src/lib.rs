//! # tapis-auth-driver
//!
//! The token managers: the refresh rules of [`tapis_auth_core::rules`] carried out over a
//! [`Store`] and a transport, so that however many threads, tasks, processes and nodes ask for
//! a token, one refresh is made, its rotated tokens are saved before anyone uses them, and a
//! failed refresh never loses a working credential.
//!
//! - [`TokenManager`] blocks (threads, the C library, the command line).
//! - `AsyncTokenManager` (feature `tokio`) awaits: the HTTP request goes through an
//!   [`AsyncTransport`](tapis_auth_core::AsyncTransport), store calls run on tokio's blocking
//!   pool, and a task waiting its turn holds no thread.
//!
//! Both run one sequence (`sequence.rs`, written once over the `io.rs` seam) and can share one
//! session: `AsyncTokenManager::sharing` gives an async manager with the blocking one's
//! memory and single-flight lock.
//!
//! The core crate alone decides ([`tapis_auth_core::rules::next_step`]); this crate holds the
//! locks and makes the calls. `tapis-auth-storage` gives the stores, `tapis-auth-http` the
//! transports, and the `tapis-auth` facade puts them together.
//!
//! ```
//! use std::sync::Arc;
//! use tapis_auth_core::{HttpRequest, HttpResponse, SystemClock, TransportError, TransportErrorKind};
//! use tapis_auth_driver::{TokenManager, TokenManagerConfig};
//! # use tapis_auth_core::{Session, Store, StoreError, StoreLock};
//! # struct Empty;
//! # impl Store for Empty {
//! #     fn load(&self, _: &str) -> Result<Option<Session>, StoreError> { Ok(None) }
//! #     fn save(&self, _: &Session) -> Result<(), StoreError> { Ok(()) }
//! #     fn delete(&self, _: &str) -> Result<bool, StoreError> { Ok(false) }
//! #     fn list(&self) -> Result<Vec<String>, StoreError> { Ok(vec![]) }
//! #     fn lock(&self, _: &str) -> Result<StoreLock, StoreError> { Ok(StoreLock::none()) }
//! #     fn describe(&self) -> String { "nothing".into() }
//! # }
//! # let store: Arc<dyn tapis_auth_core::Store> = Arc::new(Empty);
//! let offline = |_: &HttpRequest| -> Result<HttpResponse, TransportError> {
//!     Err(TransportError::new(TransportErrorKind::Connect, "offline"))
//! };
//! let manager = TokenManager::new(store, Arc::new(offline), Arc::new(SystemClock), TokenManagerConfig::default());
//! let err = manager.access_token(600).unwrap_err();
//! assert!(err.is_login_required(), "{err}"); // nothing is stored under "default"
//! ```

use std::sync::Arc;

use tapis_auth_core::rules::{self, Need};
use tapis_auth_core::{
    Clock, Error, Platform, Secret, Session, Store, Tenant, TokenSet, Transport, UnixTime,
};

#[cfg(feature = "tokio")]
mod async_manager;
mod config;
mod io;
mod sequence;
mod shared;
#[cfg(feature = "tokio")]
mod tokio_io;

#[cfg(feature = "tokio")]
pub use async_manager::{joined, AsyncTokenManager};
pub use config::TokenManagerConfig;

use io::{now_or_never, Blocking};
use shared::Shared;

/// Hands out access tokens for one profile, refreshing through a [`Transport`] and persisting
/// through a [`Store`], blocking the calling thread while it does. `Send + Sync`: share one
/// between threads (e.g. in an `Arc`).
pub struct TokenManager {
    /// Inline, not behind an `Arc`: the hot path is one pointer hop shorter. An async manager
    /// shares it through whatever holds this manager ([`HoldsTokenManager`]).
    shared: Shared,
    transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("store", &self.shared.store.describe())
            .field("profile", &self.shared.config.profile)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager for `config.profile` in `store`. Nothing is loaded until the first call.
    pub fn new(
        store: Arc<dyn Store>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        config: TokenManagerConfig,
    ) -> Self {
        Self {
            shared: Shared::new(store, clock, config),
            transport,
        }
    }

    /// A manager that starts from `session` (e.g. built from explicit arguments). The session
    /// is used when the store holds none for its profile; it is not saved until it changes.
    pub fn with_session(
        store: Arc<dyn Store>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        mut config: TokenManagerConfig,
        session: Session,
    ) -> Self {
        config.profile = session.profile.clone();
        let m = Self::new(store, transport, clock, config);
        m.shared.adopt(&mut m.shared.state.lock_blocking(), session);
        m
    }

    /// The profile this manager serves.
    pub fn profile(&self) -> &str {
        self.shared.profile()
    }

    /// The store behind this manager.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.shared.store
    }

    /// The transport behind this manager.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// The clock behind this manager.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }

    /// An access token valid for at least `max(min_valid, margin)` more seconds, refreshing
    /// when needed. The hot path does no I/O and takes no lock.
    pub fn access_token(&self, min_valid: i64) -> Result<Secret, Error> {
        self.with_access_token(min_valid, |t| Secret::new(t))
    }

    /// Like [`access_token`](Self::access_token) but lends the token to `f` instead of
    /// copying it (the C ABI's buffer variant uses this to avoid an allocation).
    #[inline]
    pub fn with_access_token<R>(
        &self,
        min_valid: i64,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R, Error> {
        match self.shared.lend_cached(min_valid, f) {
            Ok(r) => Ok(r),
            Err(f) => self.lend_after_slow_path(min_valid, f),
        }
    }

    /// The rest of [`with_access_token`](Self::with_access_token) when the held token does
    /// not serve: out of line, so that the hot path stays a few instructions.
    #[cold]
    #[inline(never)]
    fn lend_after_slow_path<R>(
        &self,
        min_valid: i64,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R, Error> {
        let tokens = self.slow_path(Need::Valid { min_valid })?;
        Ok(f(tokens.access_token.expose()))
    }

    /// The hot path alone: the access token held in memory when it is valid for at least
    /// `max(min_valid, margin)` more seconds, else `None`. No I/O, no lock, never blocks.
    pub fn cached_token(&self, min_valid: i64) -> Option<Secret> {
        self.shared.lend_cached(min_valid, |t| Secret::new(t)).ok()
    }

    /// Refreshes now, whatever the cached expiry says, unless another thread or process
    /// already did since `rejected` (the token a service just rejected) was handed out.
    /// Returns the new token set.
    pub fn refresh(&self, rejected: Option<&Secret>) -> Result<TokenSet, Error> {
        // Without a rejected token, the one to replace is the session's current one (loaded
        // now if nothing is held yet: an empty cache must not make any stored token count as
        // "already refreshed").
        let forced = match rejected {
            Some(r) => r.clone(),
            None => self
                .session()?
                .tokens
                .map(|t| t.access_token)
                .unwrap_or_default(),
        };
        self.slow_path(Need::Replace { rejected: &forced })
    }

    /// The current session, loading it from the store when none is held yet.
    pub fn session(&self) -> Result<Session, Error> {
        let mut state = self.shared.state.lock_blocking();
        now_or_never(sequence::session(&self.shared, &self.io(), &mut state))
    }

    /// The platform of the session held in memory (loading it from the store only when none
    /// is held yet).
    pub fn platform(&self) -> Result<Platform, Error> {
        Ok(self.tenant()?.platform)
    }

    /// The tenant of the session held in memory (loading it from the store only when none is
    /// held yet): where the tokens this manager hands out belong. No store read once a session
    /// is held, so a service call can check its origin without one.
    pub fn tenant(&self) -> Result<Tenant, Error> {
        if let Some(s) = self.shared.state.lock_blocking().as_ref() {
            return Ok(s.tenant.clone());
        }
        Ok(self.session()?.tenant)
    }

    /// Why a person must log in before this session can hand out a token (`None` when it can:
    /// its access token is good, or it can be renewed without a person). The refresh token's
    /// rejection recorded in the store counts: no process will send it again. No I/O beyond
    /// reading the store.
    pub fn login_required(&self) -> Result<Option<String>, Error> {
        let s = self.session()?;
        Ok(rules::login_required(
            &self.shared.policy(),
            &s,
            self.shared.clock.now(),
        ))
    }

    /// The expiry of the current access token, if known.
    pub fn expires_at(&self) -> Result<Option<UnixTime>, Error> {
        Ok(self.session()?.tokens.and_then(|t| t.expires_at))
    }

    /// Replaces the session (after a login): saves it under the store lock when the store is
    /// writable, then serves its tokens.
    pub fn set_session(&self, session: Session) -> Result<(), Error> {
        let mut state = self.shared.state.lock_blocking();
        now_or_never(sequence::set_session(
            &self.shared,
            &self.io(),
            &mut state,
            session,
        ))
    }

    /// Forgets the session in memory and deletes it from the store (logout).
    pub fn forget(&self) -> Result<bool, Error> {
        let mut state = self.shared.state.lock_blocking();
        now_or_never(sequence::forget(&self.shared, &self.io(), &mut state))
    }

    /// Steps 2–6 of the sequence, under the single-flight lock.
    fn slow_path(&self, need: Need<'_>) -> Result<TokenSet, Error> {
        let mut state = self.shared.state.lock_blocking();
        now_or_never(sequence::slow_path(
            &self.shared,
            &self.io(),
            &mut state,
            need,
        ))
    }

    /// The blocking I/O of this manager.
    fn io(&self) -> Blocking<'_> {
        Blocking {
            transport: &*self.transport,
            clock: &*self.shared.clock,
        }
    }
}

/// Something shared that holds a [`TokenManager`] — the manager itself in an `Arc`, or a session
/// that owns one (the facade's `AuthSession`) — so that an `AsyncTokenManager` (feature
/// `tokio`) can share its state (`AsyncTokenManager::sharing`).
pub trait HoldsTokenManager: Send + Sync + 'static {
    /// The token manager held.
    fn token_manager(&self) -> &TokenManager;
}

impl HoldsTokenManager for TokenManager {
    fn token_manager(&self) -> &TokenManager {
        self
    }
}

#[cfg(test)]
mod tests;
