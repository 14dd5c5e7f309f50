//! # tapis-auth-storage
//!
//! Implementations of [`tapis_auth_core::Store`], each behind a cargo feature:
//!
//! | store | feature | where sessions live |
//! |---|---|---|
//! | [`JsonStore`] | `json` (default) | `~/.agave/config.json` + `current`, compatible with agavepy, tapis-cli and the bash CLI |
//! | [`SqliteStore`] | `sqlite` | one SQLite database, one row per profile |
//! | [`KeyringStore`] | `keyring` | the OS keyring (Secret Service or the Linux kernel keyring) |
//! | [`EnvStore`] | `env` | `TAPIS_*` environment variables (read-only) |
//! | [`MemoryStore`] | always | process memory |
//!
//! Every store keeps the same contract (see [`tapis_auth_core::store`]): missing profile ⇒
//! `Ok(None)`; corrupt data ⇒ [`StoreError::Corrupt`] and the data is never overwritten;
//! atomic, durable saves that leave other profiles alone; a re-entrant lock that excludes other
//! threads and processes; files 0600 in 0700 directories; passwords never stored. The `testing`
//! feature exposes the conformance suite each store's tests run.
//!
//! ```
//! use tapis_auth_storage::{open_store, StoreKind};
//! let dir = tempfile::tempdir().unwrap();
//! let store = open_store(StoreKind::Memory, None).unwrap();
//! assert_eq!(store.list().unwrap(), Vec::<String>::new());
//! # let _ = dir;
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tapis_auth_core::{Store, StoreError};

#[cfg(feature = "json")]
mod agave;
pub mod claim;
mod fsutil;
#[cfg(feature = "json")]
mod layout;
pub mod lock;
mod memory;
mod owner;

#[cfg(feature = "env")]
pub mod env;
#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "keyring")]
pub mod keyring_store;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "env")]
pub use env::{EnvProfile, EnvStore};
pub use fsutil::{move_aside, DIR_MODE, FILE_MODE, MAX_FILE_BYTES};
#[cfg(feature = "json")]
pub use json::JsonStore;
#[cfg(feature = "keyring")]
pub use keyring_store::{KeyringBackend, KeyringStore};
pub use lock::{LockMode, LockOptions, DEFAULT_LOCK_TIMEOUT};
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// Which store [`open_store`] builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// [`JsonStore`]; `path` is the cache directory.
    Json,
    /// [`SqliteStore`]; `path` is the database file.
    Sqlite,
    /// [`KeyringStore`] (default backend); `path` is the directory of its lock file.
    Keyring,
    /// [`EnvStore`] over the process environment; `path` is ignored.
    Env,
    /// [`MemoryStore`]; `path` is ignored.
    Memory,
}

impl StoreKind {
    /// Parses `json`, `sqlite`, `keyring`, `env` or `memory`.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "json" | "file" => Ok(Self::Json),
            "sqlite" => Ok(Self::Sqlite),
            "keyring" => Ok(Self::Keyring),
            "env" => Ok(Self::Env),
            "memory" => Ok(Self::Memory),
            other => Err(StoreError::Config(format!(
                "unknown store {other:?}: expected json, sqlite, keyring, env or memory"
            ))),
        }
    }
}

#[allow(dead_code)]
fn not_built(kind: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "the {kind} store is not built into this library (enable the cargo feature `{kind}`)"
    ))
}

/// The default file name of the SQLite database inside the cache directory.
pub const SQLITE_FILE: &str = "tapis-auth.sqlite3";

/// Builds a store. `path` overrides the default location ([`default_cache_dir`] for json and
/// keyring; `<cache dir>/tapis-auth.sqlite3` for sqlite). Nothing is created on disk here.
pub fn open_store(kind: StoreKind, path: Option<&Path>) -> Result<Arc<dyn Store>, StoreError> {
    open_store_with_env(kind, path, &|k: &str| std::env::var(k).ok())
}

/// [`open_store`] reading its variables (`TAPIS_CACHE_DIR`, `AGAVE_CACHE_DIR`, `HOME`,
/// `TAPIS_AUTH_LOCK_TIMEOUT`, the environment store's `TAPIS_*`) through `env`, for a caller
/// that took one snapshot of the environment and hands it to everything that reads one.
pub fn open_store_with_env(
    kind: StoreKind,
    path: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn Store>, StoreError> {
    let env = |k: &str| env(k);
    let dir = || -> Result<PathBuf, StoreError> {
        match path {
            Some(p) => Ok(p.to_path_buf()),
            None => default_cache_dir(&env),
        }
    };
    let _ = &dir;
    match kind {
        StoreKind::Memory => Ok(Arc::new(MemoryStore::new())),
        #[cfg(feature = "json")]
        StoreKind::Json => Ok(Arc::new(JsonStore::with_lock_options(
            dir()?,
            LockOptions::from_env(&env)?,
        )?)),
        #[cfg(feature = "sqlite")]
        StoreKind::Sqlite => {
            let p = match path {
                Some(p) => p.to_path_buf(),
                None => default_cache_dir(&env)?.join(SQLITE_FILE),
            };
            Ok(Arc::new(SqliteStore::with_lock_options(
                p,
                LockOptions::from_env(&env)?,
            )?))
        }
        #[cfg(feature = "keyring")]
        StoreKind::Keyring => Ok(Arc::new(
            KeyringStore::new(KeyringBackend::default(), dir()?)?
                .with_lock_options(LockOptions::from_env(&env)?),
        )),
        #[cfg(feature = "env")]
        StoreKind::Env => Ok(Arc::new(EnvStore::from_env(env)?)),
        #[allow(unreachable_patterns)]
        other => Err(not_built(&format!("{other:?}").to_ascii_lowercase())),
    }
}

/// The cache directory: `$TAPIS_CACHE_DIR`, else `$AGAVE_CACHE_DIR`, else `$HOME/.agave`
/// (agavepy 1.0 / tapis-cli order). Pure: `env` supplies the variables, nothing is created.
/// A path that exists but is not a directory is an error naming the variable it came from.
pub fn default_cache_dir(env: &impl Fn(&str) -> Option<String>) -> Result<PathBuf, StoreError> {
    let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let (var, path) = if let Some(d) = get("TAPIS_CACHE_DIR") {
        ("TAPIS_CACHE_DIR", PathBuf::from(d))
    } else if let Some(d) = get("AGAVE_CACHE_DIR") {
        ("AGAVE_CACHE_DIR", PathBuf::from(d))
    } else if let Some(h) = get("HOME") {
        ("HOME", PathBuf::from(h).join(".agave"))
    } else {
        return Err(StoreError::Config(
            "cannot find the credential cache: none of TAPIS_CACHE_DIR, AGAVE_CACHE_DIR or HOME is set".into(),
        ));
    };
    if path.exists() && !path.is_dir() {
        return Err(StoreError::Config(format!(
            "the credential cache directory {} (from {var}) exists but is not a directory",
            path.display()
        )));
    }
    Ok(path)
}

/// Checks a profile name: non-empty, at most 256 bytes, no control characters.
pub fn validate_profile(profile: &str) -> Result<(), StoreError> {
    if profile.is_empty() {
        return Err(StoreError::Config("the profile name is empty".into()));
    }
    if profile.len() > 256 {
        return Err(StoreError::Config(
            "the profile name is longer than 256 bytes".into(),
        ));
    }
    if profile.chars().any(char::is_control) {
        return Err(StoreError::Config(format!(
            "the profile name {profile:?} contains control characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variables come from the lookup given, not from the process environment.
    #[cfg(feature = "json")]
    #[test]
    fn open_store_with_env_reads_only_the_lookup_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_owned();
        let env = move |k: &str| (k == "TAPIS_CACHE_DIR").then(|| d.clone());
        let s = open_store_with_env(StoreKind::Json, None, &env).unwrap();
        assert_eq!(s.describe(), format!("json:{}", dir.path().display()));
        let bad = |k: &str| (k == "TAPIS_AUTH_LOCK_TIMEOUT").then(|| "soon".to_owned());
        let r = open_store_with_env(StoreKind::Json, Some(dir.path()), &bad);
        assert!(matches!(r, Err(StoreError::Config(_))), "{:?}", r.err());
    }

    #[test]
    fn cache_dir_order_and_errors() {
        let env = |m: &'static [(&'static str, &'static str)]| {
            move |k: &str| m.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(
            default_cache_dir(&env(&[("HOME", "/h"), ("AGAVE_CACHE_DIR", "/a")])).unwrap(),
            PathBuf::from("/a")
        );
        assert_eq!(
            default_cache_dir(&env(&[
                ("HOME", "/h"),
                ("AGAVE_CACHE_DIR", "/a"),
                ("TAPIS_CACHE_DIR", "/t")
            ]))
            .unwrap(),
            PathBuf::from("/t")
        );
        assert_eq!(
            default_cache_dir(&env(&[("HOME", "/h")])).unwrap(),
            PathBuf::from("/h/.agave")
        );
        assert!(default_cache_dir(&env(&[])).is_err());
        let f = tempfile::NamedTempFile::new().unwrap();
        let p = f.path().to_string_lossy().into_owned();
        let e = default_cache_dir(&|k: &str| (k == "TAPIS_CACHE_DIR").then(|| p.clone()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not a directory") && e.contains("TAPIS_CACHE_DIR"),
            "{e}"
        );
    }

    #[test]
    fn store_kind_parse() {
        assert_eq!(StoreKind::parse("SQLite").unwrap(), StoreKind::Sqlite);
        assert!(StoreKind::parse("redis")
            .unwrap_err()
            .to_string()
            .contains("redis"));
    }
}
