//! [`TokenManager`]: the blocking driver of the refresh rules ([`crate::rules`], where every
//! decision is made and explained). This file only gathers facts and carries decisions out:
//!
//! 1. **Hot path** — the cached access token is valid for `max(min_valid, margin)` more
//!    seconds: return it. One atomic load, one clock read, one string copy; no lock, no I/O.
//! 2. Otherwise take the in-process lock (single flight: one thread refreshes, the others
//!    wait and then find the fresh token held in memory).
//! 3. Read the store (another process may have refreshed) and ask [`rules::next_step`].
//! 4. **Claim** a refresh ([`Store::claim_refresh`]): exactly one process spends a refresh
//!    token. The winner reads the store again (the decisive read) and refreshes only if the
//!    state is still the one it claimed; it saves the rotated tokens **before** handing the
//!    new access token out (Agave v2 refresh tokens are single-use), then settles the claim.
//! 5. The others **watch** the claim instead of queueing on a lock, then read the store and do
//!    what [`rules::after_watch`] says (adopt, decide again, read again, or fail at once).
//! 6. On any failure nothing is written but the record of a rejected refresh token: a failed
//!    refresh never deletes or overwrites the stored credentials. After a failed *save*, the
//!    next refresh starts from the tokens held in memory (the store's refresh token may be
//!    spent) and tries the save again. Read-only stores keep refreshed tokens in memory only.
//!
//! Every decision is reported as a `tracing` event at `debug` level (target
//! `tapis_auth_core::driver`): served from memory, adopted from the store, claimed, watched,
//! refreshed (and why), or failed. Events never hold a secret. Without a subscriber they cost
//! one relaxed load.

use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwapOption;

use crate::flow::{password, refresh};
use crate::rules::{self, Need, Policy, Step, Watched};
use crate::store::{ClaimState, RefreshClaim, RefreshOutcome, RefreshTicket, RefreshWatch};
use crate::{
    Clock, Error, Secret, Session, Store, StoreError, TokenSet, Transport, UnixTime,
    DEFAULT_MARGIN_SECS, DEFAULT_PROFILE,
};

/// Settings of a [`TokenManager`].
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

/// The access token currently handed out, with its expiry.
struct Cached {
    token: Secret,
    expires_at: UnixTime,
}

/// Hands out access tokens for one profile, refreshing through a [`Transport`] and persisting
/// through a [`Store`]. `Send + Sync`: share one between threads (e.g. in an `Arc`).
pub struct TokenManager {
    store: Arc<dyn Store>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    config: TokenManagerConfig,
    cache: ArcSwapOption<Cached>,
    /// The last session seen; the mutex is also the single-flight lock.
    state: Mutex<Option<Session>>,
    /// After a failed save: the refresh token the store still holds, which the unsaved
    /// rotation in `state` has spent (changed under `state`'s lock only). While the store
    /// holds exactly that token, `state`, not the store, is refreshed from; a store that holds
    /// anything else (a new login, another process's refresh) wins as usual.
    spent_in_store: Mutex<Option<Secret>>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("store", &self.store.describe())
            .field("profile", &self.config.profile)
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
            store,
            transport,
            clock,
            config,
            cache: ArcSwapOption::empty(),
            state: Mutex::new(None),
            spent_in_store: Mutex::new(None),
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
        m.adopt(&mut m.lock_state(), session);
        m
    }

    /// The profile this manager serves.
    pub fn profile(&self) -> &str {
        &self.config.profile
    }

    /// The store behind this manager.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The transport behind this manager.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// The clock behind this manager.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
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
        match self.lend_cached(min_valid, f) {
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
    /// `max(min_valid, margin)` more seconds, else `None`. No I/O, no lock, never blocks — an
    /// async driver or event loop asks this first and goes to the slow path only on `None`.
    pub fn cached_token(&self, min_valid: i64) -> Option<Secret> {
        self.lend_cached(min_valid, |t| Secret::new(t)).ok()
    }

    /// Lends the cached token to `f` when it serves `min_valid`; gives `f` back otherwise.
    #[inline]
    fn lend_cached<R, F: FnOnce(&str) -> R>(&self, min_valid: i64, f: F) -> Result<R, F> {
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
            valid_for(expires_at, now)
        );
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
        let mut state = self.lock_state();
        if state.is_none() || self.store.is_writable() {
            if let Some(s) = self.load(&state)? {
                self.adopt(&mut state, s);
            }
        }
        state.clone().ok_or_else(|| self.no_session())
    }

    /// The platform of the session held in memory (loading it from the store only when none is
    /// held yet).
    pub fn platform(&self) -> Result<crate::Platform, Error> {
        if let Some(s) = self.lock_state().as_ref() {
            return Ok(s.platform());
        }
        Ok(self.session()?.platform())
    }

    /// Why a person must log in before this session can hand out a token (`None` when it can:
    /// its access token is good, or it can be renewed without a person). The refresh token's
    /// rejection recorded in the store counts: no process will send it again. No I/O beyond
    /// reading the store.
    pub fn login_required(&self) -> Result<Option<String>, Error> {
        let s = self.session()?;
        Ok(rules::login_required(&self.policy(), &s, self.clock.now()))
    }

    /// The expiry of the current access token, if known.
    pub fn expires_at(&self) -> Result<Option<UnixTime>, Error> {
        Ok(self.session()?.tokens.and_then(|t| t.expires_at))
    }

    /// Replaces the session (after a login): saves it under the store lock when the store is
    /// writable, then serves its tokens.
    pub fn set_session(&self, mut session: Session) -> Result<(), Error> {
        session.profile = self.config.profile.clone();
        let mut state = self.lock_state();
        if self.store.is_writable() {
            let _lock = self.store.lock(&self.config.profile)?;
            self.store.save(&session)?;
        }
        self.adopt(&mut state, session);
        *self.spent_in_store() = None;
        Ok(())
    }

    /// Forgets the session in memory and deletes it from the store (logout).
    pub fn forget(&self) -> Result<bool, Error> {
        let mut state = self.lock_state();
        self.cache.store(None);
        *state = None;
        *self.spent_in_store() = None;
        if self.store.is_writable() {
            let _lock = self.store.lock(&self.config.profile)?;
            return Ok(self.store.delete(&self.config.profile)?);
        }
        Ok(false)
    }

    fn spent_in_store(&self) -> MutexGuard<'_, Option<Secret>> {
        self.spent_in_store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `stored` still holds the refresh token an unsaved rotation spent.
    fn holds_spent_token(&self, stored: &Session) -> bool {
        let spent = self.spent_in_store();
        spent.is_some()
            && spent.as_ref()
                == stored
                    .tokens
                    .as_ref()
                    .and_then(|t| t.refresh_token.as_ref())
    }

    fn lock_state(&self) -> MutexGuard<'_, Option<Session>> {
        // A panic in another thread while holding the lock leaves valid data behind (every
        // write to the state is a single assignment), so poisoning is ignored.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn no_session(&self) -> Error {
        Error::LoginRequired {
            reason: format!(
                "no session saved under profile {:?} in {}",
                self.config.profile,
                self.store.describe()
            ),
        }
    }

    /// Loads the profile from the store. Stores never hold a password, so one held in memory
    /// (explicit arguments, the environment) is carried over to the loaded session when it
    /// belongs to the same user on the same tenant: adopting the store's copy must not lose it.
    fn load(&self, state: &Option<Session>) -> Result<Option<Session>, Error> {
        let mut loaded = self.store.load(&self.config.profile)?;
        if let (Some(s), Some(held)) = (loaded.as_mut(), state.as_ref()) {
            if s.password.is_none()
                && s.username == held.username
                && s.tenant.base_url == held.tenant.base_url
            {
                s.password = held.password.clone();
            }
        }
        Ok(loaded)
    }

    fn adopt(&self, state: &mut Option<Session>, session: Session) {
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

    fn policy(&self) -> Policy {
        Policy {
            margin_secs: self.config.margin_secs,
            password_fallback: self.config.password_fallback,
            writable: self.store.is_writable(),
        }
    }

    /// The store's session, or the one held, as [`rules::choose`] picks; `held` tells which.
    fn read(&self, state: &Option<Session>) -> Result<(Session, bool), Error> {
        let stored = if self.store.is_writable() || state.is_none() {
            self.load(state)?
        } else {
            None
        };
        let from_store = stored.is_some() && !self.holds_spent_token(stored.as_ref().unwrap());
        let spent = self.spent_in_store().clone();
        let chosen = rules::choose(state.as_ref(), stored, spent.as_ref())
            .ok_or_else(|| self.no_session())?;
        Ok((chosen, !from_store))
    }

    fn slow_path(&self, need: Need<'_>) -> Result<TokenSet, Error> {
        let mut state = self.lock_state();
        let policy = self.policy();
        let now = self.clock.now();

        // Another thread may have refreshed while this one waited for the lock.
        if let Some(s) = state.as_ref() {
            if rules::satisfies(&policy, s, now, &need) {
                tracing::debug!(
                    "profile {}: another thread refreshed while this one waited",
                    self.config.profile
                );
                return Ok(s.tokens.clone().expect("satisfies() checked tokens"));
            }
        }

        // Each round ends in an answer or follows a change: the store moved on, or a claim was
        // given back. The bound only stops a store that changes under us forever.
        for _ in 0..MAX_ROUNDS {
            let (session, held) = self.read(&state)?;
            let now = self.clock.now();
            let why = why_refresh(Some(&session), now, &need, &policy);
            match rules::next_step(&policy, session, held, now, &need) {
                Step::Serve { tokens, adopt } => {
                    if let Some(s) = adopt {
                        tracing::debug!(
                            "profile {}: adopted the access token in {} (valid {} s more)",
                            self.config.profile,
                            self.store.describe(),
                            describe_validity(&tokens, now)
                        );
                        self.adopt(&mut state, s);
                    }
                    return Ok(tokens);
                }
                Step::Refuse(e) => return Err(e),
                Step::PasswordGrant(_) => return self.password_grant(&mut state, &need),
                Step::Refresh {
                    session,
                    generation,
                } => {
                    if !self.store.is_writable() {
                        // Tokens refreshed from a read-only store stay in this process.
                        return self.refresh_and_keep(&mut state, session, None, &need);
                    }
                    tracing::debug!(
                        "profile {}: {why}; claiming the refresh in {}",
                        self.config.profile,
                        self.store.describe()
                    );
                    match self
                        .store
                        .claim_refresh(&self.config.profile, &generation)?
                    {
                        RefreshClaim::Won(ticket) => {
                            // The decisive read: the store may have moved on before the claim.
                            let (session, _) = self.read(&state)?;
                            if generation_of(&session).as_deref() != Some(generation.as_str()) {
                                tracing::debug!(
                                    "profile {}: the store changed before the claim; reading it again",
                                    self.config.profile
                                );
                                drop(ticket);
                                continue;
                            }
                            return self.refresh_and_keep(&mut state, session, Some(ticket), &need);
                        }
                        RefreshClaim::Taken(mut watch) => {
                            tracing::debug!(
                                "profile {}: {} is refreshing; watching its claim",
                                self.config.profile,
                                watch.holder()
                            );
                            if let Some(t) =
                                self.await_claim(&mut state, &mut watch, &generation, &need)?
                            {
                                return Ok(t);
                            }
                        }
                    }
                }
            }
        }
        Err(Error::Store(StoreError::Unavailable(format!(
            "the session in {} kept changing while a refresh was coordinated; try again",
            self.store.describe()
        ))))
    }

    /// Waits for the process that claimed `generation` to settle. `Some(tokens)` when the
    /// store then serves the request; `None` to go round again (the store moved on, or the
    /// claim was given back).
    fn await_claim(
        &self,
        state: &mut Option<Session>,
        watch: &mut RefreshWatch,
        generation: &str,
        need: &Need<'_>,
    ) -> Result<Option<TokenSet>, Error> {
        loop {
            let outcome = match watch.wait()? {
                ClaimState::Released => {
                    tracing::debug!(
                        "profile {}: the claim was given back; claiming again",
                        self.config.profile
                    );
                    return Ok(None);
                }
                ClaimState::Settled(o) => o,
            };
            let (stored, _) = self.read(state)?;
            let now = self.clock.now();
            let policy = self.policy();
            match rules::after_watch(
                &policy,
                outcome,
                stored,
                generation,
                &watch.holder(),
                now,
                need,
            ) {
                Watched::Adopt { tokens, session } => {
                    tracing::debug!(
                        "profile {}: {} refreshed; adopted its token (valid {} s more)",
                        self.config.profile,
                        watch.holder(),
                        describe_validity(&tokens, now)
                    );
                    self.adopt(state, session);
                    return Ok(Some(tokens));
                }
                Watched::Decide => return Ok(None),
                // A file system with a stale cache may still show the old state: wait() paces
                // the re-reads until the store's wait limit.
                Watched::ReadAgain => continue,
                Watched::Refuse(e) => return Err(e),
                Watched::PasswordGrant(s) => {
                    self.adopt(state, s);
                    return self.password_grant(state, need).map(Some);
                }
            }
        }
    }

    /// Refreshes `session` (the claimed state, or the memory of a read-only store), saves the
    /// rotated tokens before handing them out and settles the claim.
    fn refresh_and_keep(
        &self,
        state: &mut Option<Session>,
        session: Session,
        ticket: Option<RefreshTicket>,
        need: &Need<'_>,
    ) -> Result<TokenSet, Error> {
        let now = self.clock.now();
        tracing::debug!("profile {}: refresh-token grant", self.config.profile);
        let new_tokens = match refresh::refresh(&session)?.send(&*self.clock, &*self.transport) {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(
                    "profile {}: the refresh failed; the stored credentials are kept: {e}",
                    self.config.profile
                );
                if matches!(e, Error::RefreshRejected { .. }) {
                    self.record_rejection(state, &session, now);
                }
                match ticket {
                    // The watchers fail at once instead of sending it again.
                    Some(t) if rules::is_dead_refresh_token(&e) => {
                        t.settle(RefreshOutcome::Rejected)
                    }
                    // Not spent as far as is known: another process may try it.
                    other => drop(other),
                }
                if e.is_login_required() && rules::can_password(&self.policy(), &session) {
                    return self.password_grant(state, need);
                }
                return Err(e);
            }
        };
        let spent = session
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token.clone());
        let session = rules::merge(session, new_tokens);
        let merged = session.tokens.clone().expect("merge() sets tokens");
        let saved = self.keep(state, session, spent);
        match &saved {
            Ok(()) => tracing::debug!(
                "profile {}: refreshed (valid {} s more) and saved to {}",
                self.config.profile,
                describe_validity(&merged, self.clock.now()),
                self.store.describe()
            ),
            Err(e) => tracing::debug!(
                "profile {}: refreshed, but saving failed (kept in memory): {e}",
                self.config.profile
            ),
        }
        if let Some(t) = ticket {
            t.settle(if saved.is_ok() {
                RefreshOutcome::Saved
            } else {
                RefreshOutcome::Unsaved
            });
        }
        saved?;
        rules::check_fresh(&merged, self.clock.now(), need.asked())?;
        Ok(merged)
    }

    /// Saves `session` (when the store is writable) and serves it. Even if saving failed, the
    /// new tokens are kept in memory so they are not lost, and the next refresh starts from them
    /// (`spent`: the refresh token the store still holds, which they replaced) and tries the
    /// save again.
    fn keep(
        &self,
        state: &mut Option<Session>,
        session: Session,
        spent: Option<Secret>,
    ) -> Result<(), Error> {
        let saved = if self.store.is_writable() {
            self.store.save(&session)
        } else {
            Ok(())
        };
        self.adopt(state, session);
        let mut in_store = self.spent_in_store();
        if saved.is_ok() {
            *in_store = None;
        } else if in_store.is_none() {
            // The store still holds the token this refresh spent (a second failed save in a
            // row leaves the first one recorded: the store has not moved since).
            *in_store = spent;
        }
        Ok(saved?)
    }

    /// Records in the store that the server rejected `session`'s refresh token, unless the
    /// store has moved on meanwhile (a login, another tool's refresh). Best effort: the claim
    /// records it too.
    fn record_rejection(&self, state: &mut Option<Session>, session: &Session, now: UnixTime) {
        let rejected = rules::mark_rejected(session.clone(), now);
        if self.store.is_writable() {
            let generation = generation_of(session);
            let recorded = self.store.lock(&self.config.profile).and_then(|_lock| {
                match self.store.load(&self.config.profile)? {
                    Some(s) if generation_of(&s) == generation => self.store.save(&rejected),
                    _ => Ok(()),
                }
            });
            drop(recorded);
        }
        self.adopt(state, rejected);
    }

    /// The password grant with the username and password held in memory, serialised by the
    /// store's lock and re-reading the store under it.
    fn password_grant(
        &self,
        state: &mut Option<Session>,
        need: &Need<'_>,
    ) -> Result<TokenSet, Error> {
        let _lock = self.store.lock(&self.config.profile)?;
        let (session, held) = self.read(state)?;
        let now = self.clock.now();
        if rules::satisfies(&self.policy(), &session, now, need) {
            let t = session.tokens.clone().expect("satisfies() checked tokens");
            if !held {
                self.adopt(state, session);
            }
            return Ok(t);
        }
        tracing::debug!("profile {}: password grant", self.config.profile);
        let tokens = password::password_grant(&session)?.send(&*self.clock, &*self.transport)?;
        let mut session = session;
        session.tokens = Some(tokens.clone());
        self.keep(state, session, None)?;
        rules::check_fresh(&tokens, self.clock.now(), need.asked())?;
        Ok(tokens)
    }
}

/// Rounds of [`TokenManager`]'s slow path before giving up on a store that keeps changing.
const MAX_ROUNDS: usize = 16;

/// The credential state of `session` (see [`TokenSet::generation`]).
fn generation_of(session: &Session) -> Option<String> {
    session.tokens.as_ref().map(TokenSet::generation)
}

/// Seconds from `now` until `expires_at` (negative once past).
fn valid_for(expires_at: UnixTime, now: UnixTime) -> i64 {
    expires_at.since(now)
}

/// How long `t` stays valid, for a diagnostic: seconds, or `an unknown number of`.
fn describe_validity(t: &TokenSet, now: UnixTime) -> String {
    t.expires_at.map_or_else(
        || "an unknown number of".to_owned(),
        |e| valid_for(e, now).to_string(),
    )
}

/// Why a refresh is needed, for a diagnostic (never a secret).
fn why_refresh(held: Option<&Session>, now: UnixTime, need: &Need<'_>, policy: &Policy) -> String {
    let tokens = held.and_then(|s| s.tokens.as_ref());
    match (tokens, need) {
        (_, Need::Replace { .. }) => {
            "a refresh was asked for (forced, or a service rejected the token)".to_owned()
        }
        (None, _) => "no access token held".to_owned(),
        (Some(t), Need::Valid { min_valid }) => match t.expires_at {
            Some(e) => format!(
                "the access token is valid {} s more, less than the {} s needed",
                valid_for(e, now),
                (*min_valid).max(policy.margin_secs)
            ),
            None => "the access token's expiry is unknown and it can be renewed".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests;
