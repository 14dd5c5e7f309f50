//! [`SqliteStore`]: sessions in one SQLite database (bundled SQLite), one row per profile.
//!
//! # Schema (versioned with `PRAGMA user_version`)
//! Version 1:
//! ```sql
//! CREATE TABLE sessions (profile TEXT PRIMARY KEY, platform TEXT NOT NULL,
//!                        base_url TEXT NOT NULL, tenant_id TEXT, username TEXT,
//!                        session_json TEXT NOT NULL, updated_at INTEGER NOT NULL);
//! CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);  -- current_profile
//! ```
//! `session_json` is the [`Session`] in its serde form (the same record the keyring store keeps;
//! the password is never serialised). The other columns are for queries and humans. Migrations
//! run in one `BEGIN IMMEDIATE` transaction when the database is opened for writing; a database
//! with a *newer* `user_version` than this library knows is refused rather than touched.
//!
//! # Files, locking, journal
//! - The database file is created 0600 (its directory 0700) on the first write; reads never
//!   create it. SQLite creates its rollback journal with the database's mode.
//! - Writes use `BEGIN IMMEDIATE` with a busy timeout (the lock timeout, default 30 s), so each
//!   save is atomic and durable (`synchronous=FULL`) and concurrent processes queue.
//! - [`Store::lock`] takes a re-entrant `flock` on `<db>.lock` beside the database (with the
//!   same `O_EXCL` fallback as the JSON store), **not** a database transaction: a caller holding
//!   it can `load` and `save` on the same thread without deadlock, while other processes'
//!   `lock()` calls wait. A plain `save` does not need that lock (one row per profile).
//! - The journal mode is SQLite's default rollback journal (`DELETE`). Do not switch to WAL on
//!   NFS/Lustre home directories: WAL needs shared memory that works only on one host, and
//!   readers on other nodes can see a corrupt database.
//! - One connection guarded by a `Mutex`, opened lazily; SQLite's own file locks work across
//!   processes as long as the file system honours POSIX locks.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use tapis_auth_core::{Session, Store, StoreError, StoreLock};

use crate::claim::Claims;
use crate::fsutil::{self, Warnings};
use crate::lock::{LockOptions, ProcessLock};
use tapis_auth_core::store::RefreshClaim;

/// The schema version this library writes.
pub const SCHEMA_VERSION: i64 = 1;

/// The SQLite store. See the module documentation.
pub struct SqliteStore {
    path: PathBuf,
    lock_options: LockOptions,
    conn: Mutex<Option<Connection>>,
    lock: OnceLock<Arc<ProcessLock>>,
    warnings: Warnings,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// A store on the database file `path` (created on the first write).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        Self::with_lock_options(path, LockOptions::default())
    }

    /// A store with explicit lock options; the timeout is also SQLite's busy timeout.
    pub fn with_lock_options(
        path: impl Into<PathBuf>,
        lock_options: LockOptions,
    ) -> Result<Self, StoreError> {
        let path = path.into();
        if path.is_dir() {
            return Err(StoreError::Config(format!(
                "the SQLite store path {} is a directory; give a file name",
                path.display()
            )));
        }
        Ok(Self {
            path,
            lock_options,
            conn: Mutex::new(None),
            lock: OnceLock::new(),
            warnings: Warnings::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file used by [`Store::lock`].
    pub fn lock_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".lock");
        PathBuf::from(p)
    }

    /// Takes the non-fatal findings so far (a directory that was tightened to 0700).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.take()
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        use rusqlite::ffi::ErrorCode;
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) =>
            {
                StoreError::Corrupt {
                    path: self.path.clone(),
                    line: None,
                    column: None,
                    reason: e.to_string(),
                }
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
            {
                StoreError::LockTimeout {
                    path: self.path.clone(),
                    waited_secs: self.lock_options.timeout.as_secs(),
                }
            }
            _ => StoreError::Io {
                action: "use database",
                path: self.path.clone(),
                source: std::io::Error::other(e.to_string()),
            },
        }
    }

    /// Runs `f` on the connection, opening it first. `create`: create the file if missing;
    /// otherwise a missing database gives `Ok(None)`.
    fn with_conn<T>(
        &self,
        create: bool,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            if !self.path.exists() {
                if !create {
                    return Ok(None);
                }
                if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fsutil::ensure_dir(dir, &self.warnings)?;
                }
                // Create the file 0600 ourselves; SQLite accepts an empty file as a new database.
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(fsutil::FILE_MODE)
                    .open(&self.path)
                {
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(fsutil::io("create", &self.path, e)),
                }
            }
            // The database and its directory must be safe (ours, not writable by others, not a
            // link or FIFO). One others can read (made by an older tool, or copied) is reported;
            // a read changes nothing.
            fsutil::check_private(&self.path, &self.warnings)?;
            let c = Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| self.err(e))?;
            c.busy_timeout(self.lock_options.timeout.max(Duration::from_millis(1)))
                .map_err(|e| self.err(e))?;
            c.pragma_update(None, "synchronous", "FULL")
                .map_err(|e| self.err(e))?;
            *slot = Some(c);
        }
        if create {
            // A write: a database others can read is made private before a secret goes in.
            fsutil::tighten_file_mode(&self.path, &self.warnings)?;
        }
        let conn = slot.as_mut().expect("connection");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            if !create {
                // Nothing was ever written by us: no sessions.
                let has_table: bool = conn
                    .query_row(
                        "SELECT count(*) FROM sqlite_master WHERE name = 'sessions'",
                        [],
                        |r| r.get::<_, i64>(0),
                    )
                    .map_err(|e| self.err(e))?
                    > 0;
                if !has_table {
                    return Ok(None);
                }
            }
            self.migrate(conn)?;
        }
        f(conn).map(Some)
    }

    fn migrate(&self, conn: &mut Connection) -> Result<(), StoreError> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if version < 1 {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS sessions (
                    profile TEXT PRIMARY KEY,
                    platform TEXT NOT NULL,
                    base_url TEXT NOT NULL,
                    tenant_id TEXT,
                    username TEXT,
                    session_json TEXT NOT NULL,
                    updated_at INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 PRAGMA user_version = 1;",
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn parse(&self, profile: &str, json: &str) -> Result<Session, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            line: Some(e.line()),
            column: Some(e.column()),
            reason: format!(
                "row {profile:?} is not a session record ({})",
                fsutil::json_category(&e)
            ),
        })
    }

    fn process_lock(&self) -> &Arc<ProcessLock> {
        self.lock
            .get_or_init(|| ProcessLock::shared(self.lock_path(), self.lock_options.clone()))
    }
}

impl Store for SqliteStore {
    fn load(&self, profile: &str) -> Result<Option<Session>, StoreError> {
        let row = self.with_conn(false, |c| {
            c.prepare_cached("SELECT session_json FROM sessions WHERE profile = ?1")
                .and_then(|mut st| {
                    st.query_row([profile], |r| r.get::<_, String>(0))
                        .optional()
                })
                .map_err(|e| self.err(e))
        })?;
        match row.flatten() {
            Some(json) => self.parse(profile, &json).map(Some),
            None => Ok(None),
        }
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        crate::validate_profile(&session.profile)?;
        let json =
            serde_json::to_string(session).map_err(|e| fsutil::serialise_failed(&self.path, e))?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        self.with_conn(true, |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.err(e))?;
            tx.execute(
                "INSERT INTO sessions (profile, platform, base_url, tenant_id, username, session_json, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(profile) DO UPDATE SET platform = excluded.platform,
                    base_url = excluded.base_url, tenant_id = excluded.tenant_id,
                    username = excluded.username, session_json = excluded.session_json,
                    updated_at = excluded.updated_at",
                rusqlite::params![
                    session.profile,
                    session.tenant.platform.as_str(),
                    session.tenant.base_url.as_str(),
                    session.tenant.id,
                    session.username,
                    json,
                    now
                ],
            )
            .map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))
        })?;
        Ok(())
    }

    fn delete(&self, profile: &str) -> Result<bool, StoreError> {
        let n = self.with_conn(false, |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.err(e))?;
            let n = tx
                .execute("DELETE FROM sessions WHERE profile = ?1", [profile])
                .map_err(|e| self.err(e))?;
            tx.execute(
                "DELETE FROM meta WHERE key = 'current_profile' AND value = ?1",
                [profile],
            )
            .map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
            Ok(n)
        })?;
        Ok(n.unwrap_or(0) > 0)
    }

    fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .with_conn(false, |c| {
                let mut st = c
                    .prepare_cached("SELECT profile FROM sessions ORDER BY profile")
                    .map_err(|e| self.err(e))?;
                let rows = st
                    .query_map([], |r| r.get::<_, String>(0))
                    .map_err(|e| self.err(e))?;
                rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
            })?
            .unwrap_or_default())
    }

    fn lock(&self, _profile: &str) -> Result<StoreLock, StoreError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fsutil::ensure_dir(dir, &self.warnings)?;
        }
        Ok(self.process_lock().acquire()?.into_store_lock())
    }

    /// Refresh claims live beside the database, as beside a JSON cache (see [`crate::claim`]).
    fn claim_refresh(&self, _profile: &str, generation: &str) -> Result<RefreshClaim, StoreError> {
        let dir = match self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => {
                fsutil::ensure_dir(d, &self.warnings)?;
                d
            }
            None => Path::new("."),
        };
        Claims::new(dir, self.lock_options.clone()).claim(generation)
    }

    fn current_profile(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .with_conn(false, |c| {
                c.query_row(
                    "SELECT value FROM meta WHERE key = 'current_profile'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()
                .map_err(|e| self.err(e))
            })?
            .flatten())
    }

    fn set_current_profile(&self, profile: &str) -> Result<(), StoreError> {
        crate::validate_profile(profile)?;
        self.with_conn(true, |c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('current_profile', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [profile],
            )
            .map_err(|e| self.err(e))
        })?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    fn take_warnings(&self) -> Vec<String> {
        self.warnings.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database a newer library wrote is `TooNew` (not `Corrupt`, which `repair` would move
    /// aside), on reads and writes alike, and is left as it was.
    #[test]
    fn a_newer_schema_is_too_new_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(fsutil::FILE_MODE)
            .open(&path)
            .unwrap();
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let store = SqliteStore::open(&path).unwrap();
        let session = tapis_auth_core::Session::new(
            "p",
            tapis_auth_core::Tenant::new(
                tapis_auth_core::BaseUrl::parse("https://tacc.tapis.io").unwrap(),
                tapis_auth_core::Platform::TapisV3,
            ),
        );
        for e in [
            store.load("p").unwrap_err(),
            store.list().unwrap_err(),
            store.save(&session).unwrap_err(),
        ] {
            assert!(
                matches!(e, StoreError::TooNew { path: ref p, found, supported }
                    if *p == path && found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
                "{e:?}"
            );
            assert!(e.to_string().contains("upgrade"), "{e}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_directory_as_the_database_path_is_a_setting_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let e = SqliteStore::open(dir.path()).err().unwrap();
        assert!(matches!(e, StoreError::Config(_)), "{e:?}");
    }
}
