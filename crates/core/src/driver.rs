//! [`TokenManager`]: the refresh algorithm. One file, one place:
//!
//! 1. **Hot path** — the cached access token is valid for `max(min_valid, margin)` more
//!    seconds: return it. One atomic load, one clock read, one string copy; no lock, no I/O.
//! 2. Otherwise take the in-process lock (single flight: one thread refreshes, the others
//!    wait and then find the fresh token on the hot path's re-check).
//! 3. Read the store: another process may already have refreshed; if its token is good
//!    enough, adopt it.
//! 4. Refuse what no refresh can give, without a grant: more validity than the server issues
//!    (the lifetime of the last token it issued), or a refresh token the server has rejected
//!    (recorded in the store by the first process that met the rejection): login required.
//! 5. **Claim** the credential state ([`Store::claim_refresh`], named by
//!    [`TokenSet::generation`]): exactly one process spends a refresh token. The winner reads
//!    the store again (the decisive read) and refreshes only if the state is still the one it
//!    claimed.
//! 6. The others **watch** the claim instead of queueing on a lock, then read the store and
//!    adopt what they find — by identity: a state other than the claimed one was written after
//!    it, whatever its timestamps. A rejection is answered at once; a claim given back (its
//!    holder failed before spending, or died) is claimed again.
//! 7. Save the rotated tokens **before** handing the new access token out (Agave v2 refresh
//!    tokens are single-use: an unsaved rotation would strand every other process), then settle
//!    the claim.
//! 8. On any failure nothing is written but the record of a rejected refresh token: a failed
//!    refresh never deletes or overwrites the stored credentials.
//!
//! Every decision is reported as a `tracing` event at `debug` level (target
//! `tapis_auth_core::driver`): served from memory, adopted from the store, claimed, watched,
//! refreshed (and why), or failed. Events never hold a secret. Without a subscriber they cost
//! one relaxed load.
//!
//! Read-only stores (the environment) keep refreshed tokens in memory only. After a failed save,
//! the next refresh starts from the tokens held in memory (the store's refresh token may be
//! spent) and tries the save again.
//!
//! A token whose expiry is unknown (an opaque Agave v2 token from the environment) is handed out
//! as it is when nothing could renew it or the store is read-only (processes sharing an
//! environment must not each spend its single-use refresh token); the service's 401 then
//! decides (see [`crate::authorize`](mod@crate::authorize)). In a writable store it counts as expired when it can be
//! renewed.

use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwapOption;

use crate::flow::{drive, password, refresh};
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
    pub fn with_access_token<R>(
        &self,
        min_valid: i64,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R, Error> {
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
        let tokens = self.slow_path(need, min_valid.max(0), None)?;
        Ok(f(tokens.access_token.expose()))
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
        self.slow_path(i64::MAX, 0, Some(&forced))
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
        let now = self.clock.now();
        let usable = s
            .tokens
            .as_ref()
            .is_some_and(|t| t.is_valid_for(now, self.config.margin_secs))
            || self.hands_out_as_is(&s, now);
        if usable || self.renewable(&s, now) {
            return Ok(None);
        }
        Ok(Some(Self::why_login(&s, now)))
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
                // Handed out whatever validity is asked for (see `satisfies`), and it stays so
                // until the session is replaced: serve it from the hot path too.
                None if self.hands_out_as_is(&session, self.clock.now()) => UnixTime(i64::MAX),
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

    /// Whether `session`'s tokens satisfy the request: valid for `need` seconds and, when a
    /// forced refresh names a rejected token, not that token.
    fn satisfies(
        &self,
        session: &Session,
        now: UnixTime,
        need: i64,
        rejected: Option<&Secret>,
    ) -> bool {
        let Some(t) = &session.tokens else {
            return false;
        };
        match rejected {
            Some(r) => &t.access_token != r && t.is_valid_for(now, DEFAULT_MARGIN_SECS),
            // A token of unknown expiry (an opaque Agave v2 token given through the
            // environment) is handed out as it is when nothing could renew it, or when the
            // store is read-only: every process sharing that environment would otherwise
            // spend the same single-use refresh token at its first call. The service's
            // verdict on it (a 401, then `refresh(Some(token))`), not a guess, decides.
            None => t.is_valid_for(now, need) || self.hands_out_as_is(session, now),
        }
    }

    /// Whether `session` holds a token of unknown expiry that is handed out as it is: nothing
    /// could renew it, or the store is read-only. Once true it stays true until the session is
    /// replaced (renewal only ever becomes impossible as time passes).
    fn hands_out_as_is(&self, session: &Session, now: UnixTime) -> bool {
        session
            .tokens
            .as_ref()
            .is_some_and(|t| t.expires_at.is_none() && !t.access_token.is_empty())
            && (!self.store.is_writable() || !self.renewable(session, now))
    }

    /// Whether new tokens could be obtained for `session` without a person: a refresh token
    /// and a confidential client, or (with `password_fallback`) a username and password.
    fn renewable(&self, session: &Session, now: UnixTime) -> bool {
        Self::can_refresh(session, now) || self.can_password(session)
    }

    fn can_password(&self, session: &Session) -> bool {
        self.config.password_fallback && session.password.is_some() && session.username.is_some()
    }

    fn can_refresh(session: &Session, now: UnixTime) -> bool {
        session.tokens.as_ref().is_some_and(|t| t.can_refresh(now))
            && session.client.as_ref().is_some_and(|c| c.is_confidential())
    }

    /// `need`: the validity wanted (the caller's `min_valid` raised to the margin); `asked`: the
    /// caller's own `min_valid`. The margin only makes the refresh happen early: a freshly
    /// issued token that is shorter than the margin (a tenant with very short tokens) is still
    /// handed out, but one shorter than what the caller asked for is an error.
    fn slow_path(
        &self,
        need: i64,
        asked: i64,
        rejected: Option<&Secret>,
    ) -> Result<TokenSet, Error> {
        let mut state = self.lock_state();
        let now = self.clock.now();

        // Step 2: another thread may have refreshed while this one waited for the lock.
        if let Some(s) = state.as_ref() {
            if self.satisfies(s, now, need, rejected) {
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
            // Step 3: read the store: another process may have refreshed.
            let session = self.read_for_refresh(&state)?;
            let now = self.clock.now();
            if self.satisfies(&session, now, need, rejected) {
                let t = session.tokens.clone().expect("satisfies() checked tokens");
                tracing::debug!(
                    "profile {}: adopted the access token in {} (valid {} s more)",
                    self.config.profile,
                    self.store.describe(),
                    describe_validity(&t, now)
                );
                self.adopt(&mut state, session);
                return Ok(t);
            }
            // Step 4: a request no refresh can serve spends no grant.
            check_possible(&session, asked)?;
            if !Self::can_refresh(&session, now) {
                return self.renew_without_refresh_token(&mut state, need, asked);
            }
            let generation = session.tokens.as_ref().map(TokenSet::generation);
            let generation = generation.expect("can_refresh() checked tokens");
            if !self.store.is_writable() {
                // Tokens refreshed from a read-only store stay in this process.
                return self.refresh_and_keep(&mut state, session, None, need, asked);
            }
            // Step 5: exactly one process spends this credential state.
            tracing::debug!(
                "profile {}: {}; claiming the refresh in {}",
                self.config.profile,
                why_refresh(Some(&session), now, need, rejected),
                self.store.describe()
            );
            match self
                .store
                .claim_refresh(&self.config.profile, &generation)?
            {
                RefreshClaim::Won(ticket) => {
                    // The decisive read: the store may have moved on before the claim.
                    let session = self.read_for_refresh(&state)?;
                    if generation_of(&session).as_deref() != Some(generation.as_str()) {
                        tracing::debug!(
                            "profile {}: the store changed before the claim; reading it again",
                            self.config.profile
                        );
                        drop(ticket);
                        continue;
                    }
                    return self.refresh_and_keep(&mut state, session, Some(ticket), need, asked);
                }
                RefreshClaim::Taken(mut watch) => {
                    // Step 6: watch the winner instead of queueing behind it.
                    tracing::debug!(
                        "profile {}: {} is refreshing; watching its claim",
                        self.config.profile,
                        watch.holder()
                    );
                    if let Some(t) =
                        self.await_claim(&mut state, &mut watch, &generation, need, asked)?
                    {
                        return Ok(t);
                    }
                }
            }
        }
        Err(Error::Store(StoreError::Unavailable(format!(
            "the session in {} kept changing while a refresh was coordinated; try again",
            self.store.describe()
        ))))
    }

    /// The session to refresh from: the store's (another process may have refreshed), unless
    /// the store lags behind memory after a failed save (its refresh token is then spent, so
    /// memory is refreshed from, until the store holds something else). A read-only store's
    /// session is the one held in memory.
    fn read_for_refresh(&self, state: &Option<Session>) -> Result<Session, Error> {
        if !self.store.is_writable() {
            return match state.clone() {
                Some(s) => Ok(s),
                None => self
                    .store
                    .load(&self.config.profile)?
                    .ok_or_else(|| self.no_session()),
            };
        }
        match self.load(state)? {
            Some(s) if self.holds_spent_token(&s) => Ok(state.clone().unwrap_or(s)),
            Some(s) => Ok(s),
            None => state.clone().ok_or_else(|| self.no_session()),
        }
    }

    /// Waits for the process that claimed `generation` to settle. `Some(tokens)` when the
    /// store then serves the request; `None` to go round again (the store moved on, or the
    /// claim was given back).
    fn await_claim(
        &self,
        state: &mut Option<Session>,
        watch: &mut RefreshWatch,
        generation: &str,
        need: i64,
        asked: i64,
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
            let session = self.read_for_refresh(state)?;
            if generation_of(&session).as_deref() != Some(generation) {
                // Adoption by identity: the store holds another credential state than the one
                // claimed, so it was written after the claim, whatever its timestamps say.
                let now = self.clock.now();
                if self.satisfies(&session, now, need, None) {
                    let t = session.tokens.clone().expect("satisfies() checked tokens");
                    tracing::debug!(
                        "profile {}: {} refreshed; adopted its token (valid {} s more)",
                        self.config.profile,
                        watch.holder(),
                        describe_validity(&t, now)
                    );
                    self.adopt(state, session);
                    return Ok(Some(t));
                }
                return Ok(None);
            }
            match outcome {
                // A file system with a stale cache may still show the old state: wait() paces
                // the re-reads until the store's wait limit.
                RefreshOutcome::Saved => continue,
                RefreshOutcome::Rejected => {
                    let mut session = session;
                    if let Some(t) = session.tokens.as_mut() {
                        t.refresh_rejected_at.get_or_insert(self.clock.now());
                    }
                    self.adopt(state, session);
                    return self
                        .renew_without_refresh_token(state, need, asked)
                        .map(Some);
                }
                RefreshOutcome::Unsaved => {
                    return Err(Error::LoginRequired {
                        reason: format!(
                            "{} refreshed the tokens but could not save them in {}, so the refresh token stored there is spent",
                            watch.holder(),
                            self.store.describe()
                        ),
                    })
                }
            }
        }
    }

    /// Refreshes `session` (the claimed state, or the memory of a read-only store), saves the
    /// rotated tokens before handing them out and settles the claim.
    fn refresh_and_keep(
        &self,
        state: &mut Option<Session>,
        mut session: Session,
        ticket: Option<RefreshTicket>,
        need: i64,
        asked: i64,
    ) -> Result<TokenSet, Error> {
        let now = self.clock.now();
        tracing::debug!("profile {}: refresh-token grant", self.config.profile);
        let new_tokens = match drive(
            &mut refresh::refresh(&session)?,
            &*self.clock,
            &*self.transport,
        ) {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(
                    "profile {}: the refresh failed; the stored credentials are kept: {e}",
                    self.config.profile
                );
                let dead = matches!(
                    e,
                    Error::RefreshRejected { .. } | Error::InvalidClient { .. }
                );
                if matches!(e, Error::RefreshRejected { .. }) {
                    self.record_rejection(state, &session, now);
                }
                match ticket {
                    // The watchers fail at once instead of sending it again.
                    Some(t) if dead => t.settle(RefreshOutcome::Rejected),
                    // Not spent as far as is known: another process may try it.
                    other => drop(other),
                }
                if e.is_login_required() && self.can_password(&session) {
                    return self.renew_without_refresh_token(state, need, asked);
                }
                return Err(e);
            }
        };
        let spent = session
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token.clone());
        let mut merged = new_tokens;
        if merged.refresh_token.is_none() {
            // Keep a refresh token the server did not rotate.
            if let Some(old) = session.tokens.as_ref() {
                merged.refresh_token = old.refresh_token.clone();
                merged.refresh_expires_at = old.refresh_expires_at;
            }
        }
        session.tokens = Some(merged.clone());
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
        check_fresh(&merged, self.clock.now(), asked)?;
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
        let mut rejected = session.clone();
        if let Some(t) = rejected.tokens.as_mut() {
            t.refresh_rejected_at = Some(now);
        }
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

    /// Without a usable refresh token: the password grant when a password is held in memory
    /// (serialised by the store's lock, re-reading the store under it), else a login-required
    /// error saying why.
    fn renew_without_refresh_token(
        &self,
        state: &mut Option<Session>,
        need: i64,
        asked: i64,
    ) -> Result<TokenSet, Error> {
        let session = self.read_for_refresh(state)?;
        if !self.can_password(&session) {
            return Err(Error::LoginRequired {
                reason: Self::why_login(&session, self.clock.now()),
            });
        }
        let _lock = self.store.lock(&self.config.profile)?;
        let mut session = self.read_for_refresh(state)?;
        let now = self.clock.now();
        if self.satisfies(&session, now, need, None) {
            let t = session.tokens.clone().expect("satisfies() checked tokens");
            self.adopt(state, session);
            return Ok(t);
        }
        tracing::debug!("profile {}: password grant", self.config.profile);
        let tokens = drive(
            &mut password::password_grant(&session)?,
            &*self.clock,
            &*self.transport,
        )?;
        session.tokens = Some(tokens.clone());
        self.keep(state, session, None)?;
        check_fresh(&tokens, self.clock.now(), asked)?;
        Ok(tokens)
    }

    /// Why `session` cannot be renewed without a person.
    fn why_login(session: &Session, now: UnixTime) -> String {
        match (&session.tokens, &session.client) {
            (None, _) => "the session has no tokens".to_owned(),
            (Some(t), _) if t.refresh_rejected_at.is_some() => {
                format!(
                "the server rejected the refresh token (spent, revoked or expired; recorded {})",
                t.refresh_rejected_at.map(UnixTime::to_rfc3339).unwrap_or_default()
            )
            }
            (Some(t), _) if t.refresh_token.is_none() => {
                "the access token has expired (or is about to) and there is no refresh token"
                    .to_owned()
            }
            (Some(t), _) if !t.can_refresh(now) => "the refresh token has expired".to_owned(),
            (Some(_), Some(c)) if !c.is_confidential() => {
                "refreshing needs the OAuth client's key, which this session does not have"
                    .to_owned()
            }
            (Some(_), None) => {
                "refreshing needs an OAuth client, which this session does not have".to_owned()
            }
            _ => "the refresh token has expired".to_owned(),
        }
    }
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
fn why_refresh(
    held: Option<&Session>,
    now: UnixTime,
    need: i64,
    rejected: Option<&Secret>,
) -> String {
    let tokens = held.and_then(|s| s.tokens.as_ref());
    match (tokens, rejected) {
        (_, Some(_)) => {
            "a refresh was asked for (forced, or a service rejected the token)".to_owned()
        }
        (None, _) => "no access token held".to_owned(),
        (Some(t), _) => match t.expires_at {
            Some(e) => format!(
                "the access token is valid {} s more, less than the {need} s needed",
                valid_for(e, now)
            ),
            None => "the access token's expiry is unknown and it can be renewed".to_owned(),
        },
    }
}

/// Rounds of [`TokenManager`]'s slow path before giving up on a store that keeps changing.
const MAX_ROUNDS: usize = 16;

/// The credential state of `session` (see [`TokenSet::generation`]).
fn generation_of(session: &Session) -> Option<String> {
    session.tokens.as_ref().map(TokenSet::generation)
}

/// Fails at once, without a grant, when the caller asks for more validity than the server has
/// ever issued for this session (the lifetime of the last token it issued).
fn check_possible(session: &Session, asked: i64) -> Result<(), Error> {
    match session.tokens.as_ref().and_then(TokenSet::lifetime) {
        Some(life) if asked > life => Err(too_long(life, asked)),
        _ => Ok(()),
    }
}

/// A freshly issued token must be valid for what the caller asked (not the margin).
fn check_fresh(tokens: &TokenSet, now: UnixTime, asked: i64) -> Result<(), Error> {
    if tokens.is_valid_for(now, asked) {
        return Ok(());
    }
    Err(too_long(tokens.remaining(now).unwrap_or(0), asked))
}

fn too_long(valid: i64, asked: i64) -> Error {
    Error::Config(format!(
        "a freshly issued access token is valid for only {valid} s, less than the {asked} s asked for"
    ))
}

#[cfg(test)]
mod tests;
