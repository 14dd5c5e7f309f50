//! The [`Store`] seam: where sessions live between processes. Implementations are in the
//! storage crate (JSON cache, SQLite, keyring, environment, memory).
//!
//! Contract every implementation keeps:
//! - `load` of a missing profile is `Ok(None)`, not an error; a corrupt record is
//!   [`StoreError::Corrupt`] and is never overwritten or deleted by the store.
//! - `save` is atomic (a reader sees the old or the new session, never a mix) and durable, and
//!   leaves other profiles and unknown data untouched.
//! - `lock` returns a guard that excludes other processes *and* other threads holding a guard
//!   from the same store until it is dropped. The token manager holds it across
//!   *re-load → refresh → save*.
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
