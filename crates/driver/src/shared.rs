//! [`Shared`]: what the two drivers of one session have in common — the store, the clock, the
//! settings, the token served from memory, the session held and the single-flight lock — with
//! the hot path and the bookkeeping done between I/O calls. No I/O here.

use std::sync::{Arc, MutexGuard};

use arc_swap::ArcSwapOption;
use tapis_auth_core::rules::{self, Policy};
use tapis_auth_core::{Clock, Error, Secret, Session, Store, UnixTime};

use crate::TokenManagerConfig;

/// The access token currently handed out, with its expiry.
struct Cached {
    token: Secret,
    expires_at: UnixTime,
}

/// One session's state, shared by a [`TokenManager`](crate::TokenManager) and the
/// `AsyncTokenManager`s made from it.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: TokenManagerConfig,
    cache: ArcSwapOption<Cached>,
    /// The last session seen. The mutex is also the single-flight lock, held across the slow
    /// path's I/O: blocking callers take it with `lock_blocking`, async ones with `lock().await`
    /// (or `lock_arc().await`, to hand the guard to a task of its own).
    pub(crate) state: Arc<async_lock::Mutex<Option<Session>>>,
    /// After a failed save: the refresh token the store still holds, which the unsaved
    /// rotation in `state` has spent (changed under `state`'s lock only). While the store
    /// holds exactly that token, `state`, not the store, is refreshed from; a store that holds
    /// anything else (a new login, another process's refresh) wins as usual. Never held across
    /// an await point.
    spent_in_store: std::sync::Mutex<Option<Secret>>,
}

impl Shared {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: TokenManagerConfig,
    ) -> Self {
        Self {
            store,
            clock,
            config,
            cache: ArcSwapOption::empty(),
            state: Arc::new(async_lock::Mutex::new(None)),
            spent_in_store: std::sync::Mutex::new(None),
        }
    }

    /// The profile served.
    pub(crate) fn profile(&self) -> &str {
        &self.config.profile
    }

    /// The hot path: lends the cached token to `f` when it is valid for at least
    /// `max(min_valid, margin)` more seconds; gives `f` back otherwise. One atomic load, one
    /// clock read; no lock, no I/O.
    #[inline]
    pub(crate) fn lend_cached<R, F: FnOnce(&str) -> R>(
        &self,
        min_valid: i64,
        f: F,
    ) -> Result<R, F> {
        let need = min_valid.max(self.config.margin_secs);
        let now = self.clock.now();
        if let Some(c) = self.cache.load().as_deref() {
            if c.expires_at.since(now) >= need {
                if tracing::level_enabled!(tracing::Level::DEBUG) {
                    self.report_cached(c.expires_at, now, need);
                }
                return Ok(f(c.token.expose()));
            }
        }
        Err(f)
    }

    /// The hot path's event, out of line so that the hot path stays small.
    #[cold]
    #[inline(never)]
    fn report_cached(&self, expires_at: UnixTime, now: UnixTime, need: i64) {
        tracing::debug!(
            "profile {}: cached access token, valid {} s more (at least {need} s needed)",
            self.config.profile,
            expires_at.since(now)
        );
    }

    /// How the rules are applied to this session.
    pub(crate) fn policy(&self) -> Policy {
        Policy {
            margin_secs: self.config.margin_secs,
            password_fallback: self.config.password_fallback,
            writable: self.store.is_writable(),
        }
    }

    /// Login required: nothing is stored under the profile.
    pub(crate) fn no_session(&self) -> Error {
        Error::LoginRequired {
            reason: format!(
                "no session saved under profile {:?} in {}",
                self.config.profile,
                self.store.describe()
            ),
        }
    }

    /// Holds `session` and serves its access token from the hot path.
    pub(crate) fn adopt(&self, state: &mut Option<Session>, session: Session) {
        let cached = session.tokens.as_ref().and_then(|t| {
            let expires_at = match t.expires_at {
                Some(e) => e,
                // Handed out whatever validity is asked for (see `rules::hands_out_as_is`), and
                // it stays so until the session is replaced: serve it from the hot path too.
                None if rules::hands_out_as_is(&self.policy(), &session, self.clock.now()) => {
                    UnixTime(i64::MAX)
                }
                None => return None,
            };
            Some(Arc::new(Cached {
                token: t.access_token.clone(),
                expires_at,
            }))
        });
        self.cache.store(cached);
        *state = Some(session);
    }

    /// Forgets everything held in memory (logout).
    pub(crate) fn clear(&self, state: &mut Option<Session>) {
        self.cache.store(None);
        *state = None;
        *self.spent_in_store() = None;
    }

    /// Stores never hold a password, so one held in memory (explicit arguments, the
    /// environment) is carried over to the loaded session when it belongs to the same user on
    /// the same tenant: adopting the store's copy must not lose it.
    pub(crate) fn carry_password(
        &self,
        mut loaded: Option<Session>,
        state: &Option<Session>,
    ) -> Option<Session> {
        if let (Some(s), Some(held)) = (loaded.as_mut(), state.as_ref()) {
            if s.password.is_none()
                && s.username == held.username
                && s.tenant.base_url == held.tenant.base_url
            {
                s.password = held.password.clone();
            }
        }
        loaded
    }

    pub(crate) fn spent_in_store(&self) -> MutexGuard<'_, Option<Secret>> {
        // Every write is a single assignment: a panic elsewhere leaves valid data.
        self.spent_in_store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `stored` still holds the refresh token an unsaved rotation spent.
    pub(crate) fn holds_spent_token(&self, stored: &Session) -> bool {
        let spent = self.spent_in_store();
        spent.is_some()
            && spent.as_ref()
                == stored
                    .tokens
                    .as_ref()
                    .and_then(|t| t.refresh_token.as_ref())
    }

    /// After a save of rotated tokens: a good save forgets the spent token; a failed one
    /// records `spent` (the token the store still holds) unless one is recorded already (a
    /// second failed save in a row: the store has not moved since the first).
    pub(crate) fn note_save(&self, saved: bool, spent: Option<Secret>) {
        let mut in_store = self.spent_in_store();
        if saved {
            *in_store = None;
        } else if in_store.is_none() {
            *in_store = spent;
        }
    }
}
