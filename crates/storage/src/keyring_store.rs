//! [`KeyringStore`]: sessions in the OS keyring, through the `keyring` crate.
//!
//! # Names
//! | item | value |
//! |---|---|
//! | service | `libtapis_auth` ([`DEFAULT_SERVICE`]; [`KeyringStore::with_service`] changes it) |
//! | account (user) | the profile name |
//! | secret | the [`Session`] as JSON (the same record as the SQLite store; no password) |
//! | index | account [`INDEX_ACCOUNT`]: `{"profiles": [...], "current_profile": ...}`, for `list()` |
//!
//! With the Secret Service backend the items appear in the default collection with attributes
//! `service=libtapis_auth`, `username=<profile>` (`secret-tool search service libtapis_auth`).
//! With the kernel keyring backend they are `user` keys described `keyring-rs:<profile>@libtapis_auth`
//! in the session keyring, linked into the user's persistent keyring when the kernel has one
//! (`keyctl show @s`); they do not survive a reboot.
//!
//! # Backends ([`KeyringBackend`])
//! - `SecretService` (GNOME Keyring, KWallet, KeePassXC) over the D-Bus session bus;
//! - `KernelKeyutils`, the Linux kernel key retention service (no daemon needed, but keys are
//!   per login session).
//!
//! When neither is reachable (typical on HPC compute nodes: no D-Bus session) operations fail
//! with [`StoreError::Unavailable`] saying so and suggesting `--store json` or `--store sqlite`.
//!
//! # Locking
//! A keyring has no transactions, so `lock()` (and `save`/`delete`, which update the index) use
//! the same re-entrant `flock` as the JSON store on `<lock dir>/.tapis-auth-keyring.lock`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use keyring::Entry;
use serde::{Deserialize, Serialize};
use tapis_auth_core::{Session, Store, StoreError, StoreLock};

use crate::fsutil::{self, Warnings};
use crate::lock::{LockOptions, ProcessLock};

/// The default keyring service name.
pub const DEFAULT_SERVICE: &str = "libtapis_auth";
/// The account of the index entry (reserved; not a valid profile name for this store).
pub const INDEX_ACCOUNT: &str = "__libtapis_auth_index__";
/// Lock file name inside the lock directory.
pub const LOCK_FILE: &str = ".tapis-auth-keyring.lock";

/// Which keyring to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyringBackend {
    /// The freedesktop Secret Service over D-Bus (default).
    #[default]
    SecretService,
    /// The Linux kernel keyring (keyutils).
    KernelKeyutils,
}

impl KeyringBackend {
    /// `secret-service` or `kernel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecretService => "secret-service",
            Self::KernelKeyutils => "kernel",
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Index {
    profiles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current_profile: Option<String>,
}

/// The keyring store. See the module documentation.
pub struct KeyringStore {
    backend: KeyringBackend,
    service: String,
    lock_dir: PathBuf,
    lock: OnceLock<Arc<ProcessLock>>,
    lock_options: LockOptions,
    warnings: Warnings,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("backend", &self.backend)
            .field("service", &self.service)
            .finish()
    }
}

impl KeyringStore {
    /// A store on `backend`, with its lock file in `lock_dir` (created 0700 on first lock).
    /// Nothing is contacted until the first operation; see [`KeyringStore::probe`].
    pub fn new(backend: KeyringBackend, lock_dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        Ok(Self {
            backend,
            service: DEFAULT_SERVICE.to_string(),
            lock_dir: lock_dir.into(),
            lock: OnceLock::new(),
            lock_options: LockOptions::default(),
            warnings: Warnings::default(),
        })
    }

    /// Uses another service name (e.g. to keep tests apart from real credentials).
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// The backend.
    pub fn backend(&self) -> KeyringBackend {
        self.backend
    }

    /// Checks that the keyring is reachable: `Ok(())`, or [`StoreError::Unavailable`] with the
    /// reason and a suggestion.
    pub fn probe(&self) -> Result<(), StoreError> {
        self.read_index().map(|_| ())
    }

    fn unavailable(&self, e: &keyring::Error) -> StoreError {
        StoreError::Unavailable(format!(
            "no {} keyring is reachable here ({e}); use --store json or --store sqlite instead",
            match self.backend {
                KeyringBackend::SecretService => "Secret Service (D-Bus)",
                KeyringBackend::KernelKeyutils => "kernel (keyutils)",
            }
        ))
    }

    fn map_err(&self, e: keyring::Error, account: &str) -> StoreError {
        match e {
            keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
                self.unavailable(&e)
            }
            keyring::Error::BadEncoding(_) => StoreError::Corrupt {
                path: self.item_path(account),
                line: None,
                column: None,
                reason: "the stored value is not UTF-8".into(),
            },
            // The service or profile name is too long or not allowed there: a setting.
            keyring::Error::TooLong(..) | keyring::Error::Invalid(..) => {
                StoreError::Config(format!(
                    "keyring item {}: {e}; choose a shorter or plainer profile name",
                    self.item_path(account).display()
                ))
            }
            // Several items answer for one profile: what is stored is not one valid session.
            keyring::Error::Ambiguous(ref items) => StoreError::Invalid(format!(
                "keyring item {}: {} items answer for it where one is expected; remove the \
                 extra ones with the keyring's own tool",
                self.item_path(account).display(),
                items.len()
            )),
            // `NoEntry` where an item was just written, or a kind this keyring version added.
            other => fsutil::io(
                "use the keyring item",
                &self.item_path(account),
                std::io::Error::other(other.to_string()),
            ),
        }
    }

    fn item_path(&self, account: &str) -> PathBuf {
        PathBuf::from(format!(
            "keyring:{}/{}/{account}",
            self.backend.as_str(),
            self.service
        ))
    }

    fn entry(&self, account: &str) -> Result<Entry, StoreError> {
        let cred: Box<keyring::credential::Credential> = match self.backend {
            KeyringBackend::SecretService => Box::new(
                keyring::secret_service::SsCredential::new_with_target(
                    None,
                    &self.service,
                    account,
                )
                .map_err(|e| self.map_err(e, account))?,
            ),
            KeyringBackend::KernelKeyutils => Box::new(
                keyring::keyutils::KeyutilsCredential::new_with_target(
                    None,
                    &self.service,
                    account,
                )
                .map_err(|e| self.map_err(e, account))?,
            ),
        };
        Ok(Entry::new_with_credential(cred))
    }

    fn get(&self, account: &str) -> Result<Option<String>, StoreError> {
        match self.entry(account)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.map_err(e, account)),
        }
    }

    fn set(&self, account: &str, value: &str) -> Result<(), StoreError> {
        self.entry(account)?
            .set_password(value)
            .map_err(|e| self.map_err(e, account))
    }

    fn remove(&self, account: &str) -> Result<bool, StoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.map_err(e, account)),
        }
    }

    fn read_index(&self) -> Result<Index, StoreError> {
        match self.get(INDEX_ACCOUNT)? {
            None => Ok(Index::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                path: self.item_path(INDEX_ACCOUNT),
                line: Some(e.line()),
                column: Some(e.column()),
                reason: format!("not an index record ({})", fsutil::json_category(&e)),
            }),
        }
    }

    fn write_index(&self, idx: &Index) -> Result<(), StoreError> {
        let text = serde_json::to_string(idx)
            .map_err(|e| fsutil::serialise_failed(&self.item_path(INDEX_ACCOUNT), e))?;
        self.set(INDEX_ACCOUNT, &text)
    }

    fn guard(&self) -> Result<crate::lock::Guard, StoreError> {
        fsutil::ensure_dir(&self.lock_dir, &self.warnings)?;
        self.lock
            .get_or_init(|| {
                ProcessLock::shared(self.lock_dir.join(LOCK_FILE), self.lock_options.clone())
            })
            .acquire()
    }

    fn check_profile(profile: &str) -> Result<(), StoreError> {
        crate::validate_profile(profile)?;
        if profile == INDEX_ACCOUNT {
            return Err(StoreError::Config(format!(
                "{INDEX_ACCOUNT} is reserved by the keyring store"
            )));
        }
        Ok(())
    }
}

impl Store for KeyringStore {
    fn load(&self, profile: &str) -> Result<Option<Session>, StoreError> {
        if profile == INDEX_ACCOUNT {
            return Ok(None);
        }
        match self.get(profile)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path: self.item_path(profile),
                    line: Some(e.line()),
                    column: Some(e.column()),
                    reason: format!("not a session record ({})", fsutil::json_category(&e)),
                }),
        }
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        Self::check_profile(&session.profile)?;
        let _g = self.guard()?;
        let mut idx = self.read_index()?;
        let text = serde_json::to_string(session)
            .map_err(|e| fsutil::serialise_failed(&self.item_path(&session.profile), e))?;
        self.set(&session.profile, &text)?;
        if !idx.profiles.contains(&session.profile) {
            idx.profiles.push(session.profile.clone());
            idx.profiles.sort();
            self.write_index(&idx)?;
        }
        Ok(())
    }

    fn delete(&self, profile: &str) -> Result<bool, StoreError> {
        if profile == INDEX_ACCOUNT {
            return Ok(false);
        }
        let _g = self.guard()?;
        let mut idx = self.read_index()?;
        let existed = self.remove(profile)?;
        let before = idx.profiles.len();
        idx.profiles.retain(|p| p != profile);
        let was_current = idx.current_profile.as_deref() == Some(profile);
        if was_current {
            idx.current_profile = None;
        }
        if before != idx.profiles.len() || was_current {
            self.write_index(&idx)?;
        }
        Ok(existed)
    }

    fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.read_index()?.profiles)
    }

    fn lock(&self, _profile: &str) -> Result<StoreLock, StoreError> {
        Ok(self.guard()?.into_store_lock())
    }

    fn current_profile(&self) -> Result<Option<String>, StoreError> {
        Ok(self.read_index()?.current_profile)
    }

    fn set_current_profile(&self, profile: &str) -> Result<(), StoreError> {
        Self::check_profile(profile)?;
        let _g = self.guard()?;
        let mut idx = self.read_index()?;
        idx.current_profile = Some(profile.to_string());
        self.write_index(&idx)
    }

    fn describe(&self) -> String {
        format!("keyring:{}/{}", self.backend.as_str(), self.service)
    }
}
