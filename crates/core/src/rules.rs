//! The refresh rules, pure: given the session held in memory, the one the store holds and what
//! the caller needs, what happens next. No I/O, no clock, no locks, no blocking: a driver (the
//! `TokenManager` and `AsyncTokenManager` of `tapis-auth-driver`, or your own event loop)
//! gathers the facts, asks [`next_step`], carries the answer out, and asks again.
//!
//! The rules, in order:
//! 1. Tokens valid for what is needed are handed out: the ones held, else the store's (adopted).
//!    What is needed is `max(min_valid, margin)` seconds, or, for a forced refresh, any token
//!    other than the one a service rejected that is valid for the margin.
//! 2. A token of unknown expiry (an opaque Agave v2 token from the environment) is handed out
//!    as it is when nothing could renew it or the store is read-only ([`hands_out_as_is`]).
//! 3. More validity than the server issues (the lifetime of the last token it issued) is
//!    refused without a grant.
//! 4. With a usable refresh token (present, not known expired, not rejected by the server) and
//!    a confidential client: refresh, naming the credential state ([`TokenSet::generation`]) so
//!    that the driver can claim it and exactly one process spends it.
//! 5. Else, with a username and password held in memory: the password grant.
//! 6. Else: login required, saying why ([`why_login`]).
//!
//! After a refresh the rotated tokens are merged into the session ([`merge`]: a refresh token
//! the server did not rotate is kept) and saved before they are handed out. A driver that
//! watched another process's refresh asks [`after_watch`] what the store now shows.

use crate::store::RefreshOutcome;
use crate::{Error, Secret, Session, TokenSet, UnixTime};

/// How a manager applies the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Seconds of validity always kept in hand ([`crate::DEFAULT_MARGIN_SECS`]).
    pub margin_secs: i64,
    /// Whether a username and password held in memory may log in again with the password grant.
    pub password_fallback: bool,
    /// Whether the store can be written (false: the environment; refreshed tokens stay in
    /// memory and no refresh is coordinated between processes).
    pub writable: bool,
}

/// What the caller needs.
#[derive(Clone, Copy, Debug)]
pub enum Need<'a> {
    /// A token valid for at least `min_valid` more seconds (raised to the margin).
    Valid {
        /// The caller's own minimum validity, in seconds.
        min_valid: i64,
    },
    /// A token other than `rejected` (which a service refused), valid for the margin: a forced
    /// refresh, unless another thread or process already replaced it.
    Replace {
        /// The token to replace.
        rejected: &'a Secret,
    },
}

impl Need<'_> {
    /// The seconds of validity asked for by the caller (not raised to the margin).
    pub fn asked(&self) -> i64 {
        match self {
            Need::Valid { min_valid } => (*min_valid).max(0),
            Need::Replace { .. } => 0,
        }
    }
}

/// What to do next: see the module documentation.
#[derive(Debug)]
pub enum Step {
    /// Hand these tokens out; when `adopt` is set, that session (the store's) replaces the one
    /// held in memory.
    Serve {
        /// The tokens to hand out.
        tokens: TokenSet,
        /// The session to keep in memory from now on, when it is not the one held.
        adopt: Option<Session>,
    },
    /// Nothing can be handed out without a person, or the request cannot be served.
    Refuse(Error),
    /// Spend `session`'s refresh token; `generation` names the state (claim it first when the
    /// store is shared).
    Refresh {
        /// The session to refresh.
        session: Session,
        /// Its credential state ([`TokenSet::generation`]).
        generation: String,
    },
    /// Log in again with the username and password held in memory.
    PasswordGrant(Session),
}

/// What a watcher does once the claim it watched settled, given what the store now holds.
#[derive(Debug)]
pub enum Watched {
    /// The store holds the new tokens and they serve: adopt them.
    Adopt {
        /// The tokens to hand out.
        tokens: TokenSet,
        /// The store's session.
        session: Session,
    },
    /// The store holds another state that does not serve by itself: decide again from it.
    Decide,
    /// The store still shows the claimed state although the claim says saved (a file system
    /// with a stale cache): wait a little and read again.
    ReadAgain,
    /// The claimed state cannot be refreshed (rejected, or spent by a process that could not
    /// save): fail, or log in again with a password held in memory.
    Refuse(Error),
    /// The refresh token was rejected, but a password is held: use it.
    PasswordGrant(Session),
}

/// Whether `session`'s tokens serve `need` at `now`.
pub fn satisfies(policy: &Policy, session: &Session, now: UnixTime, need: &Need<'_>) -> bool {
    let Some(t) = &session.tokens else {
        return false;
    };
    match need {
        Need::Replace { rejected } => {
            &t.access_token != *rejected && t.is_valid_for(now, crate::DEFAULT_MARGIN_SECS)
        }
        Need::Valid { min_valid } => {
            t.is_valid_for(now, (*min_valid).max(policy.margin_secs))
                || hands_out_as_is(policy, session, now)
        }
    }
}

/// Whether `session` holds a token of unknown expiry that is handed out as it is: nothing could
/// renew it, or the store is read-only (every process sharing one environment would otherwise
/// spend its single-use refresh token at its first call; the service's 401 decides instead).
/// Once true it stays true until the session is replaced.
pub fn hands_out_as_is(policy: &Policy, session: &Session, now: UnixTime) -> bool {
    session
        .tokens
        .as_ref()
        .is_some_and(|t| t.expires_at.is_none() && !t.access_token.is_empty())
        && (!policy.writable || !renewable(policy, session, now))
}

/// Whether new tokens could be had for `session` without a person.
pub fn renewable(policy: &Policy, session: &Session, now: UnixTime) -> bool {
    can_refresh(session, now) || can_password(policy, session)
}

/// Whether `session` can be refreshed: a usable refresh token and a confidential client.
pub fn can_refresh(session: &Session, now: UnixTime) -> bool {
    session.tokens.as_ref().is_some_and(|t| t.can_refresh(now))
        && session.client.as_ref().is_some_and(|c| c.is_confidential())
}

/// Whether `session` can log in again with a password held in memory.
pub fn can_password(policy: &Policy, session: &Session) -> bool {
    policy.password_fallback && session.password.is_some() && session.username.is_some()
}

/// The session to decide from: the store's (another process may have refreshed), unless the
/// store still holds `spent_in_store` — the refresh token an unsaved rotation held in memory
/// has spent — in which case memory is refreshed from, until the store holds something else.
/// `None` for `stored` means the store holds nothing (or is not read: a read-only store).
pub fn choose(
    held: Option<&Session>,
    stored: Option<Session>,
    spent_in_store: Option<&Secret>,
) -> Option<Session> {
    match stored {
        Some(s)
            if spent_in_store.is_some()
                && s.tokens.as_ref().and_then(|t| t.refresh_token.as_ref()) == spent_in_store =>
        {
            Some(held.cloned().unwrap_or(s))
        }
        Some(s) => Some(s),
        None => held.cloned(),
    }
}

/// The next step for `session` (see the module documentation). `held` tells whether `session`
/// is the one held in memory (its tokens are then served without adopting).
pub fn next_step(
    policy: &Policy,
    session: Session,
    held: bool,
    now: UnixTime,
    need: &Need<'_>,
) -> Step {
    if satisfies(policy, &session, now, need) {
        let tokens = session.tokens.clone().expect("satisfies() checked tokens");
        let adopt = (!held).then_some(session);
        return Step::Serve { tokens, adopt };
    }
    if let Err(e) = check_possible(&session, need.asked()) {
        return Step::Refuse(e);
    }
    if can_refresh(&session, now) {
        let generation = session
            .tokens
            .as_ref()
            .map(TokenSet::generation)
            .expect("can_refresh() checked tokens");
        return Step::Refresh {
            session,
            generation,
        };
    }
    if can_password(policy, &session) {
        return Step::PasswordGrant(session);
    }
    Step::Refuse(Error::LoginRequired {
        reason: why_login(&session, now),
    })
}

/// What a watcher does after the claim on `generation` settled with `outcome`, the store now
/// holding `stored`.
pub fn after_watch(
    policy: &Policy,
    outcome: RefreshOutcome,
    stored: Session,
    generation: &str,
    holder: &str,
    now: UnixTime,
    need: &Need<'_>,
) -> Watched {
    let moved = stored.tokens.as_ref().map(TokenSet::generation).as_deref() != Some(generation);
    if moved {
        // Adoption by identity: the store holds another credential state than the one claimed,
        // so it was written after the claim, whatever its timestamps say.
        if satisfies(policy, &stored, now, need) {
            let tokens = stored.tokens.clone().expect("satisfies() checked tokens");
            return Watched::Adopt {
                tokens,
                session: stored,
            };
        }
        return Watched::Decide;
    }
    match outcome {
        RefreshOutcome::Saved => Watched::ReadAgain,
        RefreshOutcome::Rejected => {
            let mut s = stored;
            if let Some(t) = s.tokens.as_mut() {
                t.refresh_rejected_at.get_or_insert(now);
            }
            if can_password(policy, &s) {
                return Watched::PasswordGrant(s);
            }
            Watched::Refuse(Error::LoginRequired {
                reason: why_login(&s, now),
            })
        }
        RefreshOutcome::Unsaved => Watched::Refuse(Error::LoginRequired {
            reason: format!(
                "{holder} refreshed the tokens but could not save them, so the refresh token the store holds is spent"
            ),
        }),
    }
}

/// `session` with the tokens a refresh returned: a refresh token the server did not rotate is
/// kept (with its expiry).
pub fn merge(mut session: Session, new: TokenSet) -> Session {
    let mut merged = new;
    if merged.refresh_token.is_none() {
        if let Some(old) = session.tokens.as_ref() {
            merged.refresh_token = old.refresh_token.clone();
            merged.refresh_expires_at = old.refresh_expires_at;
        }
    }
    session.tokens = Some(merged);
    session
}

/// `session` with its refresh token marked rejected by the server at `now` (recorded in the
/// store, so that no process sends it again).
pub fn mark_rejected(mut session: Session, now: UnixTime) -> Session {
    if let Some(t) = session.tokens.as_mut() {
        t.refresh_rejected_at = Some(now);
    }
    session
}

/// Whether the server's answer to a refresh means its refresh token is dead for everyone (so
/// the claim settles as rejected and the watchers fail at once).
pub fn is_dead_refresh_token(e: &Error) -> bool {
    matches!(
        e,
        Error::RefreshRejected { .. } | Error::InvalidClient { .. }
    )
}

/// Why a person must log in before `session` can hand out a token; `None` when none is needed
/// (its access token is good for the margin, or it can be renewed without a person).
pub fn login_required(policy: &Policy, session: &Session, now: UnixTime) -> Option<String> {
    let usable = session
        .tokens
        .as_ref()
        .is_some_and(|t| t.is_valid_for(now, policy.margin_secs))
        || hands_out_as_is(policy, session, now);
    (!usable && !renewable(policy, session, now)).then(|| why_login(session, now))
}

/// Why `session` cannot be renewed without a person.
pub fn why_login(session: &Session, now: UnixTime) -> String {
    match (&session.tokens, &session.client) {
        (None, _) => "the session has no tokens".to_owned(),
        (Some(t), _) if t.refresh_rejected_at.is_some() => format!(
            "the server rejected the refresh token (spent, revoked or expired; recorded {})",
            t.refresh_rejected_at
                .map(UnixTime::to_rfc3339)
                .unwrap_or_default()
        ),
        (Some(t), _) if t.refresh_token.is_none() => {
            "the access token has expired (or is about to) and there is no refresh token".to_owned()
        }
        (Some(t), _) if !t.can_refresh(now) => "the refresh token has expired".to_owned(),
        (Some(_), Some(c)) if !c.is_confidential() => {
            "refreshing needs the OAuth client's key, which this session does not have".to_owned()
        }
        (Some(_), None) => {
            "refreshing needs an OAuth client, which this session does not have".to_owned()
        }
        _ => "the refresh token has expired".to_owned(),
    }
}

/// Fails at once, without a grant, when the caller asks for more validity than the server has
/// ever issued for this session (the lifetime of the last token it issued).
pub fn check_possible(session: &Session, asked: i64) -> Result<(), Error> {
    match session.tokens.as_ref().and_then(TokenSet::lifetime) {
        Some(life) if asked > life => Err(too_long(life, asked)),
        _ => Ok(()),
    }
}

/// A freshly issued token must be valid for what the caller asked (not the margin).
pub fn check_fresh(tokens: &TokenSet, now: UnixTime, asked: i64) -> Result<(), Error> {
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
