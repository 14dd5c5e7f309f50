//! [`MemoryStore`]: sessions in a `Mutex<BTreeMap>`, for tests and for processes that must not
//! touch any file.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tapis_auth_core::{Session, Store, StoreError, StoreLock};

use crate::lock::{LockMode, LockOptions, ProcessLock};

/// An in-memory store. `lock()` excludes other threads (re-entrantly for the holding thread);
/// nothing is shared with other processes.
pub struct MemoryStore {
    sessions: Mutex<BTreeMap<String, Session>>,
    current: Mutex<Option<String>>,
    lock: Arc<ProcessLock>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            sessions: Mutex::new(BTreeMap::new()),
            current: Mutex::new(None),
            lock: ProcessLock::shared(
                "<memory>".into(),
                LockOptions {
                    mode: LockMode::InProcess,
                    ..Default::default()
                },
            ),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemoryStore {
    fn load(&self, profile: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.map().get(profile).cloned())
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        crate::validate_profile(&session.profile)?;
        let _g = self.lock.acquire()?;
        let mut s = session.clone();
        s.password = None; // the contract: passwords are never stored
        self.map().insert(s.profile.clone(), s);
        Ok(())
    }

    fn delete(&self, profile: &str) -> Result<bool, StoreError> {
        let _g = self.lock.acquire()?;
        Ok(self.map().remove(profile).is_some())
    }

    fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.map().keys().cloned().collect())
    }

    fn lock(&self, _profile: &str) -> Result<StoreLock, StoreError> {
        Ok(self.lock.acquire()?.into_store_lock())
    }

    fn current_profile(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }

    fn set_current_profile(&self, profile: &str) -> Result<(), StoreError> {
        crate::validate_profile(profile)?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(profile.to_string());
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}
