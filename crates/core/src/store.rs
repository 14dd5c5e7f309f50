//! The [`Store`] seam: where sessions live between processes. Implementations are in the
//! storage crate (JSON cache, SQLite, keyring, environment, memory).
//!
//! Contract every implementation keeps:
//! - `load` of a missing profile is `Ok(None)`, not an error; a corrupt record is
//!   [`StoreError::Corrupt`] and is never overwritten or deleted by the store.
//! - `save` is atomic (a reader sees the old or the new session, never a mix) and durable, and
//!   leaves other profiles and unknown data untouched.
//! - `lock` returns a guard that excludes other processes *and* other threads holding a guard
//!   from the same store until it is dropped (logins and logouts hold it across their save). It
//!   is re-entrant on the thread holding it: `lock()` → `load()` → `save()` (which may lock
//!   again) does not deadlock.
//! - `claim_refresh` names the one process that may spend a refresh token (see
//!   [`RefreshClaim`]); the others watch instead of queueing. Stores that do not coordinate
//!   refreshes themselves fall back on `lock`.
//! - Secrets are written only to files or services that no other user can read.

use std::any::Any;

use crate::{Session, StoreError};

/// A held cross-process lock; dropping it releases the lock.
#[must_use = "the lock is released when the guard is dropped"]
pub struct StoreLock(#[allow(dead_code)] Box<dyn Any + Send>);

impl StoreLock {
    /// Wraps whatever keeps the lock held (a file lock, a transaction, a mutex guard).
    pub fn new(inner: impl Any + Send) -> Self {
        Self(Box::new(inner))
    }

    /// A guard that holds nothing (for stores that need no lock, such as the read-only
    /// environment store).
    pub fn none() -> Self {
        Self(Box::new(()))
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreLock")
    }
}

/// Who spends a refresh token, from [`Store::claim_refresh`].
///
/// A refresh token may be single-use (Agave v2 always, Tapis v3 optionally): when many
/// processes find the shared access token stale at once, exactly one of them must send the
/// refresh grant. The claim names that one; the others wait for it to settle and then read the
/// store, where the new tokens are, without queueing on any lock.
#[derive(Debug)]
pub enum RefreshClaim {
    /// No other process or thread has claimed this credential state: spend it, then report how
    /// it went with [`RefreshTicket::settle`]. A ticket dropped unsettled gives the state back
    /// (another process may try it).
    Won(RefreshTicket),
    /// Another process or thread claimed it first: [`RefreshWatch::wait`] for it to settle,
    /// then read the store.
    Taken(RefreshWatch),
}

/// How a claimed refresh ended (what the watchers learn).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The new tokens are in the store.
    Saved,
    /// The server rejected the refresh token (spent, revoked or expired); it is recorded in the
    /// store and must never be sent again.
    Rejected,
    /// The server issued new tokens but they could not be saved (disk full, read-only): the
    /// stored refresh token is spent, and only the refreshing process holds the new ones.
    Unsaved,
}

/// What a [`RefreshWatch`] learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimState {
    /// The claim settled with this outcome.
    Settled(RefreshOutcome),
    /// The claim was given back (its holder failed before spending the token, or it died and
    /// the claim went stale): claim again.
    Released,
}

/// The winner's side of a [`RefreshClaim`].
pub trait RefreshTicketImpl: Send {
    /// Records the outcome for the watchers and ends the claim. Best effort: a claim that cannot
    /// be updated goes stale and is released by the watchers.
    fn settle(&mut self, outcome: RefreshOutcome);
}

/// A watcher's side of a [`RefreshClaim`].
pub trait RefreshWatchImpl: Send {
    /// Blocks until the claim settles or is released, or fails with
    /// [`StoreError::LockTimeout`] after the store's wait limit. Called again after it returned
    /// `Settled`, it waits a little (a back-off step) and returns the same state: the caller
    /// re-reads the store in between, which a file system with a stale cache may need.
    fn wait(&mut self) -> Result<ClaimState, StoreError>;
    /// Who holds the claim, for messages (`pid 4711 on node12`; never a secret).
    fn holder(&self) -> String;
}

/// The winner's ticket: see [`RefreshClaim::Won`].
pub struct RefreshTicket(Option<Box<dyn RefreshTicketImpl>>);

impl RefreshTicket {
    /// Wraps a store's ticket.
    pub fn new(inner: impl RefreshTicketImpl + 'static) -> Self {
        Self(Some(Box::new(inner)))
    }

    /// A ticket backed by a held [`StoreLock`] (stores that serialise refreshes with their lock:
    /// nobody watches, so settling only releases the lock).
    pub fn from_lock(lock: StoreLock) -> Self {
        struct Locked(#[allow(dead_code)] StoreLock);
        impl RefreshTicketImpl for Locked {
            fn settle(&mut self, _outcome: RefreshOutcome) {}
        }
        Self::new(Locked(lock))
    }

    /// Records the outcome for the watchers and ends the claim.
    pub fn settle(mut self, outcome: RefreshOutcome) {
        if let Some(mut t) = self.0.take() {
            t.settle(outcome);
        }
    }
}

impl std::fmt::Debug for RefreshTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshTicket")
    }
}

/// A watcher's handle: see [`RefreshClaim::Taken`].
pub struct RefreshWatch(Box<dyn RefreshWatchImpl>);

impl RefreshWatch {
    /// Wraps a store's watch.
    pub fn new(inner: impl RefreshWatchImpl + 'static) -> Self {
        Self(Box::new(inner))
    }

    /// See [`RefreshWatchImpl::wait`].
    pub fn wait(&mut self) -> Result<ClaimState, StoreError> {
        self.0.wait()
    }

    /// See [`RefreshWatchImpl::holder`].
    pub fn holder(&self) -> String {
        self.0.holder()
    }
}

impl std::fmt::Debug for RefreshWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RefreshWatch").field(&self.holder()).finish()
    }
}

/// A place sessions are kept, by profile name.
pub trait Store: Send + Sync {
    /// Loads the session saved under `profile`; `Ok(None)` when there is none.
    fn load(&self, profile: &str) -> Result<Option<Session>, StoreError>;

    /// Saves `session` under `session.profile`, atomically, replacing what was there.
    fn save(&self, session: &Session) -> Result<(), StoreError>;

    /// Deletes the session saved under `profile`; returns whether one existed.
    fn delete(&self, profile: &str) -> Result<bool, StoreError>;

    /// Lists the saved profile names, sorted.
    fn list(&self) -> Result<Vec<String>, StoreError>;

    /// Takes the store's cross-process lock for `profile` (a store may lock more than the
    /// profile, e.g. the whole cache directory).
    fn lock(&self, profile: &str) -> Result<StoreLock, StoreError>;

    /// Asks to be the one process that spends the credential state `generation` (see
    /// [`crate::TokenSet::generation`]) of `profile`. The default serialises refreshes with
    /// [`lock`](Self::lock): every caller wins in turn, and re-reads the store before spending.
    fn claim_refresh(&self, profile: &str, generation: &str) -> Result<RefreshClaim, StoreError> {
        let _ = generation;
        Ok(RefreshClaim::Won(RefreshTicket::from_lock(
            self.lock(profile)?,
        )))
    }

    /// The profile marked current (used when the caller names none), if any.
    fn current_profile(&self) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    /// Marks `profile` as current.
    fn set_current_profile(&self, profile: &str) -> Result<(), StoreError> {
        let _ = profile;
        Err(StoreError::ReadOnly(self.describe()))
    }

    /// False for read-only stores (the environment): refreshed tokens then stay in memory.
    fn is_writable(&self) -> bool {
        true
    }

    /// A short description for messages and `status`, e.g. `json:/home/u/.agave`.
    fn describe(&self) -> String;

    /// Takes the warnings collected since the last call (e.g. "cache file was readable by
    /// others; tightened to 0600"), each reported once. Libraries never print; callers such as
    /// the command line show these.
    fn take_warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Forwards every `Store` method through a smart pointer.
macro_rules! forward_store {
    ($($ptr:ident)::+) => {
        impl<S: Store + ?Sized> Store for $($ptr)::+<S> {
            fn load(&self, profile: &str) -> Result<Option<Session>, StoreError> {
                (**self).load(profile)
            }
            fn save(&self, session: &Session) -> Result<(), StoreError> {
                (**self).save(session)
            }
            fn delete(&self, profile: &str) -> Result<bool, StoreError> {
                (**self).delete(profile)
            }
            fn list(&self) -> Result<Vec<String>, StoreError> {
                (**self).list()
            }
            fn lock(&self, profile: &str) -> Result<StoreLock, StoreError> {
                (**self).lock(profile)
            }
            fn claim_refresh(
                &self,
                profile: &str,
                generation: &str,
            ) -> Result<RefreshClaim, StoreError> {
                (**self).claim_refresh(profile, generation)
            }
            fn current_profile(&self) -> Result<Option<String>, StoreError> {
                (**self).current_profile()
            }
            fn set_current_profile(&self, profile: &str) -> Result<(), StoreError> {
                (**self).set_current_profile(profile)
            }
            fn is_writable(&self) -> bool {
                (**self).is_writable()
            }
            fn describe(&self) -> String {
                (**self).describe()
            }
            fn take_warnings(&self) -> Vec<String> {
                (**self).take_warnings()
            }
        }
    };
}

forward_store!(std::sync::Arc);
forward_store!(Box);
