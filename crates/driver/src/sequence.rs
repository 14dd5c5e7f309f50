//! The refresh sequence: the order in which a token manager gathers facts, asks the refresh
//! rules ([`tapis_auth_core::rules`], where every decision is made and explained) and carries
//! the decisions out. Written once, over [`Io`], for both drivers:
//!
//! 1. **Hot path** (in `shared.rs`) — the cached access token is valid for
//!    `max(min_valid, margin)` more seconds: return it. One atomic load, one clock read; no
//!    lock, no I/O.
//! 2. Otherwise the driver takes the session's single-flight lock (one thread or task
//!    refreshes, the others wait and then find the fresh token held in memory) and calls
//!    [`slow_path`].
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
//! `tapis_auth_driver::sequence`): served from memory, adopted from the store, claimed,
//! watched, refreshed (and why), or failed. Events never hold a secret. Without a subscriber
//! they cost one relaxed load.
//!
//! [`Store::claim_refresh`]: tapis_auth_core::Store::claim_refresh

use tapis_auth_core::flow::{password, refresh};
use tapis_auth_core::rules::{self, Need, Policy, Step, Watched};
use tapis_auth_core::store::{
    ClaimState, RefreshClaim, RefreshOutcome, RefreshTicket, RefreshWatch,
};
use tapis_auth_core::{Error, Secret, Session, StoreError, TokenSet, UnixTime};

use crate::io::Io;
use crate::shared::Shared;

/// Rounds of the slow path before giving up on a store that keeps changing.
const MAX_ROUNDS: usize = 16;

/// The store's session for the profile, with the password held in memory carried over.
async fn load<I: Io>(
    sh: &Shared,
    io: &I,
    state: &Option<Session>,
) -> Result<Option<Session>, Error> {
    let (store, profile) = (sh.store.clone(), sh.config.profile.clone());
    let loaded = io.store(move || store.load(&profile)).await?;
    Ok(sh.carry_password(loaded, state))
}

/// The current session, loading it from the store when none is held yet (and every time the
/// store is writable: another process may have moved it on).
pub(crate) async fn session<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
) -> Result<Session, Error> {
    if state.is_none() || sh.store.is_writable() {
        if let Some(s) = load(sh, io, state).await? {
            sh.adopt(state, s);
        }
    }
    state.clone().ok_or_else(|| sh.no_session())
}

/// Replaces the session (after a login): saves it under the store lock when the store is
/// writable, then serves its tokens.
pub(crate) async fn set_session<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    mut session: Session,
) -> Result<(), Error> {
    session.profile = sh.config.profile.clone();
    if sh.store.is_writable() {
        let (store, copy) = (sh.store.clone(), session.clone());
        io.store(move || {
            let _lock = store.lock(&copy.profile)?;
            store.save(&copy)
        })
        .await?;
    }
    sh.adopt(state, session);
    *sh.spent_in_store() = None;
    Ok(())
}

/// Forgets the session in memory and deletes it from the store (logout).
pub(crate) async fn forget<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
) -> Result<bool, Error> {
    sh.clear(state);
    if !sh.store.is_writable() {
        return Ok(false);
    }
    let (store, profile) = (sh.store.clone(), sh.config.profile.clone());
    Ok(io
        .store(move || {
            let _lock = store.lock(&profile)?;
            store.delete(&profile)
        })
        .await?)
}

/// The store's session, or the one held, as [`rules::choose`] picks; the flag tells whether
/// it is the one held.
async fn read<I: Io>(
    sh: &Shared,
    io: &I,
    state: &Option<Session>,
) -> Result<(Session, bool), Error> {
    let stored = if sh.store.is_writable() || state.is_none() {
        load(sh, io, state).await?
    } else {
        None
    };
    let from_store = stored.as_ref().is_some_and(|s| !sh.holds_spent_token(s));
    let spent = sh.spent_in_store().clone();
    let chosen =
        rules::choose(state.as_ref(), stored, spent.as_ref()).ok_or_else(|| sh.no_session())?;
    Ok((chosen, !from_store))
}

/// Steps 3–6: a token set for `need`, refreshing when the rules say so. The caller holds the
/// single-flight lock (`state` is what it guards).
pub(crate) async fn slow_path<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    need: Need<'_>,
) -> Result<TokenSet, Error> {
    let policy = sh.policy();
    let now = sh.clock.now();

    // Another thread or task may have refreshed while this one waited for the lock.
    if let Some(s) = state.as_ref() {
        if rules::satisfies(&policy, s, now, &need) {
            tracing::debug!(
                "profile {}: another thread or task refreshed while this one waited",
                sh.profile()
            );
            return Ok(s.tokens.clone().expect("satisfies() checked tokens"));
        }
    }

    // Each round ends in an answer or follows a change: the store moved on, or a claim was
    // given back. The bound only stops a store that changes under us forever.
    for _ in 0..MAX_ROUNDS {
        let (session, held) = read(sh, io, state).await?;
        let now = sh.clock.now();
        let why = why_refresh(Some(&session), now, &need, &policy);
        match rules::next_step(&policy, session, held, now, &need) {
            Step::Serve { tokens, adopt } => {
                if let Some(s) = adopt {
                    tracing::debug!(
                        "profile {}: adopted the access token in {} (valid {} s more)",
                        sh.profile(),
                        sh.store.describe(),
                        describe_validity(&tokens, now)
                    );
                    sh.adopt(state, s);
                }
                return Ok(tokens);
            }
            Step::Refuse(e) => return Err(e),
            Step::PasswordGrant(_) => return password_grant(sh, io, state, &need).await,
            Step::Refresh {
                session,
                generation,
            } => {
                if !sh.store.is_writable() {
                    // Tokens refreshed from a read-only store stay in this process.
                    return refresh_and_keep(sh, io, state, session, None, &need).await;
                }
                tracing::debug!(
                    "profile {}: {why}; claiming the refresh in {}",
                    sh.profile(),
                    sh.store.describe()
                );
                let (store, profile, claimed) = (
                    sh.store.clone(),
                    sh.config.profile.clone(),
                    generation.clone(),
                );
                match io
                    .store(move || store.claim_refresh(&profile, &claimed))
                    .await?
                {
                    RefreshClaim::Won(ticket) => {
                        // The decisive read: the store may have moved on before the claim.
                        let (session, _) = read(sh, io, state).await?;
                        if generation_of(&session).as_deref() != Some(generation.as_str()) {
                            tracing::debug!(
                                "profile {}: the store changed before the claim; reading it again",
                                sh.profile()
                            );
                            release(io, ticket).await;
                            continue;
                        }
                        return refresh_and_keep(sh, io, state, session, Some(ticket), &need).await;
                    }
                    RefreshClaim::Taken(watch) => {
                        tracing::debug!(
                            "profile {}: {} is refreshing; watching its claim",
                            sh.profile(),
                            watch.holder()
                        );
                        if let Some(t) =
                            await_claim(sh, io, state, watch, &generation, &need).await?
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
        sh.store.describe()
    ))))
}

/// Gives a won claim back unused (another process may then claim the state).
async fn release<I: Io>(io: &I, ticket: RefreshTicket) {
    // Dropping a ticket removes its claim file (or releases the lock it is made of).
    on_store_thread(io, move || drop(ticket)).await;
}

/// Settles a won claim with `outcome`, for the processes watching it.
async fn settle<I: Io>(io: &I, ticket: RefreshTicket, outcome: RefreshOutcome) {
    on_store_thread(io, move || ticket.settle(outcome)).await;
}

/// Runs `f`, store I/O that cannot fail (releasing a claim or a lock), where store calls run:
/// what a store call took belongs to that thread.
async fn on_store_thread<I: Io>(io: &I, f: impl FnOnce() + Send + 'static) {
    let ran: Result<(), StoreError> = io
        .store(move || {
            f();
            Ok(())
        })
        .await;
    drop(ran);
}

/// Waits for the process that claimed `generation` to settle. `Some(tokens)` when the store
/// then serves the request; `None` to go round again (the store moved on, or the claim was
/// given back).
async fn await_claim<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    mut watch: RefreshWatch,
    generation: &str,
    need: &Need<'_>,
) -> Result<Option<TokenSet>, Error> {
    loop {
        let (back, waited) = io
            .store(move || {
                let waited = watch.wait();
                Ok((watch, waited))
            })
            .await?;
        watch = back;
        let outcome = match waited? {
            ClaimState::Released => {
                tracing::debug!(
                    "profile {}: the claim was given back; claiming again",
                    sh.profile()
                );
                return Ok(None);
            }
            ClaimState::Settled(o) => o,
        };
        let (stored, _) = read(sh, io, state).await?;
        let now = sh.clock.now();
        let holder = watch.holder();
        match rules::after_watch(
            &sh.policy(),
            outcome,
            stored,
            generation,
            &holder,
            now,
            need,
        ) {
            Watched::Adopt { tokens, session } => {
                tracing::debug!(
                    "profile {}: {holder} refreshed; adopted its token (valid {} s more)",
                    sh.profile(),
                    describe_validity(&tokens, now)
                );
                sh.adopt(state, session);
                return Ok(Some(tokens));
            }
            Watched::Decide => return Ok(None),
            // A file system with a stale cache may still show the old state: wait() paces
            // the re-reads until the store's wait limit.
            Watched::ReadAgain => continue,
            Watched::Refuse(e) => return Err(e),
            Watched::PasswordGrant(s) => {
                sh.adopt(state, s);
                return password_grant(sh, io, state, need).await.map(Some);
            }
        }
    }
}

/// Refreshes `session` (the claimed state, or the memory of a read-only store), saves the
/// rotated tokens before handing them out and settles the claim.
async fn refresh_and_keep<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    session: Session,
    ticket: Option<RefreshTicket>,
    need: &Need<'_>,
) -> Result<TokenSet, Error> {
    let now = sh.clock.now();
    tracing::debug!("profile {}: refresh-token grant", sh.profile());
    let new_tokens = match io.send(refresh::refresh(&session)?).await {
        Ok(t) => t,
        Err(e) => {
            tracing::debug!(
                "profile {}: the refresh failed; the stored credentials are kept: {e}",
                sh.profile()
            );
            if matches!(e, Error::RefreshRejected { .. }) {
                record_rejection(sh, io, state, &session, now).await;
            }
            match ticket {
                // The watchers fail at once instead of sending it again.
                Some(t) if rules::is_dead_refresh_token(&e) => {
                    settle(io, t, RefreshOutcome::Rejected).await
                }
                // Not spent as far as is known: another process may try it.
                Some(t) => release(io, t).await,
                None => {}
            }
            if e.is_login_required() && rules::can_password(&sh.policy(), &session) {
                return password_grant(sh, io, state, need).await;
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
    let saved = keep(sh, io, state, session, spent).await;
    match &saved {
        Ok(()) => tracing::debug!(
            "profile {}: refreshed (valid {} s more) and saved to {}",
            sh.profile(),
            describe_validity(&merged, sh.clock.now()),
            sh.store.describe()
        ),
        Err(e) => tracing::debug!(
            "profile {}: refreshed, but saving failed (kept in memory): {e}",
            sh.profile()
        ),
    }
    if let Some(t) = ticket {
        let outcome = if saved.is_ok() {
            RefreshOutcome::Saved
        } else {
            RefreshOutcome::Unsaved
        };
        settle(io, t, outcome).await;
    }
    saved?;
    rules::check_fresh(&merged, sh.clock.now(), need.asked())?;
    Ok(merged)
}

/// Saves `session` (when the store is writable) and serves it. Even if saving failed, the new
/// tokens are kept in memory so they are not lost, and the next refresh starts from them
/// (`spent`: the refresh token the store still holds, which they replaced) and tries the save
/// again.
async fn keep<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    session: Session,
    spent: Option<Secret>,
) -> Result<(), Error> {
    let saved = if sh.store.is_writable() {
        let (store, copy) = (sh.store.clone(), session.clone());
        io.store(move || store.save(&copy)).await
    } else {
        Ok(())
    };
    sh.adopt(state, session);
    sh.note_save(saved.is_ok(), spent);
    Ok(saved?)
}

/// Records in the store that the server rejected `session`'s refresh token, unless the store
/// has moved on meanwhile (a login, another tool's refresh). Best effort: the claim records it
/// too.
async fn record_rejection<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    session: &Session,
    now: UnixTime,
) {
    let rejected = rules::mark_rejected(session.clone(), now);
    if sh.store.is_writable() {
        let (store, profile, copy) = (
            sh.store.clone(),
            sh.config.profile.clone(),
            rejected.clone(),
        );
        let generation = generation_of(session);
        let recorded = io
            .store(move || {
                let _lock = store.lock(&profile)?;
                match store.load(&profile)? {
                    Some(s) if generation_of(&s) == generation => store.save(&copy),
                    _ => Ok(()),
                }
            })
            .await;
        drop(recorded);
    }
    sh.adopt(state, rejected);
}

/// The password grant with the username and password held in memory, serialised by the
/// store's lock (held across the request) and re-reading the store under it.
async fn password_grant<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    need: &Need<'_>,
) -> Result<TokenSet, Error> {
    let (store, profile) = (sh.store.clone(), sh.config.profile.clone());
    let lock = io.store(move || store.lock(&profile)).await?;
    let granted = password_grant_locked(sh, io, state, need).await;
    on_store_thread(io, move || drop(lock)).await;
    granted
}

/// [`password_grant`] once the store's lock is held.
async fn password_grant_locked<I: Io>(
    sh: &Shared,
    io: &I,
    state: &mut Option<Session>,
    need: &Need<'_>,
) -> Result<TokenSet, Error> {
    let (session, held) = read(sh, io, state).await?;
    let now = sh.clock.now();
    if rules::satisfies(&sh.policy(), &session, now, need) {
        let t = session.tokens.clone().expect("satisfies() checked tokens");
        if !held {
            sh.adopt(state, session);
        }
        return Ok(t);
    }
    tracing::debug!("profile {}: password grant", sh.profile());
    let tokens = io.send(password::password_grant(&session)?).await?;
    let mut session = session;
    session.tokens = Some(tokens.clone());
    keep(sh, io, state, session, None).await?;
    rules::check_fresh(&tokens, sh.clock.now(), need.asked())?;
    Ok(tokens)
}

/// The credential state of `session` (see [`TokenSet::generation`]).
fn generation_of(session: &Session) -> Option<String> {
    session.tokens.as_ref().map(TokenSet::generation)
}

/// How long `t` stays valid, for a diagnostic: seconds, or `an unknown number of`.
fn describe_validity(t: &TokenSet, now: UnixTime) -> String {
    t.expires_at.map_or_else(
        || "an unknown number of".to_owned(),
        |e| e.since(now).to_string(),
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
                e.since(now),
                (*min_valid).max(policy.margin_secs)
            ),
            None => "the access token's expiry is unknown and it can be renewed".to_owned(),
        },
    }
}
