//! [`JsonStore`]: the agavepy / tapis-cli compatible credential cache (`~/.agave`).
//!
//! # Directory
//! An explicit path, else [`crate::default_cache_dir`]: `$TAPIS_CACHE_DIR`, else
//! `$AGAVE_CACHE_DIR`, else `$HOME/.agave`. Nothing is created by reads; the first write creates
//! the directory with mode 0700. A path that exists but is not a directory is an error.
//!
//! # Files
//! | file | role |
//! |---|---|
//! | `config.json` | every profile (the agavepy 1.0 "sessions sidecar" layout) |
//! | `current` | the current **Agave v2** session, in the bash-CLI format, for v2 tools |
//! | `.tapis-auth.lock`, `.tapis-auth.lock.excl` | the write lock (never the data files; see [`crate::lock`]) |
//! | `.tapis-auth.claims/` | refresh claims, one small file per credential state refreshed (see [`crate::claim`]) |
//!
//! ## `config.json`
//! ```json
//! {"sessions": {"<tenantid>": {"<username>": {"<client name or apikey>": {
//!     "tenantid": "tacc", "baseurl": "https://tacc.tapis.io", "apikey": "cid", "apisecret": "…",
//!     "username": "jdoe", "access_token": "…", "refresh_token": "…",
//!     "created_at": "1795324301", "expires_in": "14400", "expires_at": "Sun Nov 22 16:11:41 UTC 2026",
//!     "tapis_profile": "default", "tapis_platform": "tapis-v3", "client_name": null,
//!     "access_expires_at": 1795338701, "refresh_expires_at": 1826860301,
//!     "tapis_tenant": {"site_id": "tacc", …}, "tapis_token": {"jti": "…"}, "tapis_client": {…}}}}},
//!  "tapis_auth": {"format_version": 1, "writer": "libtapis_auth/0.1.0",
//!                 "current_profile": "default", "current_file_profile": "old-v2"}}
//! ```
//! - A slot another tool wrote (no `tapis_profile`) is the profile
//!   `agavepy:<tenant>/<user>/<client>` (its keys); saving it stamps that name into the slot in
//!   place.
//! - A profile is the slot whose `tapis_profile` equals its name; the slot key is
//!   `sessions[tenant id or "null"][username or "null"][client name, else client id, else "null"]`,
//!   as agavepy 1.0 keys it. If that slot already holds another profile, `#<profile>` is appended
//!   to the client key. A slot with no `tapis_profile` (written by agavepy) at the same key is
//!   updated in place, as agavepy itself would.
//! - The CLI fields (all strings) are authoritative; the `tapis_*` keys, `client_name`,
//!   `access_expires_at` and `refresh_expires_at` carry what the old formats cannot (platform,
//!   Tapis v3 tenant fields, refresh expiry, token id, `tapis_refresh_rejected_at`: when the
//!   server rejected the slot's refresh token, `tapis_refresh_history`: see `current` below).
//!   Old readers ignore them.
//! - Every other top-level key (agavepy 0.9.5's `current`), every other slot and every unknown key
//!   inside a slot is kept on write. Writes are compact one-line JSON with sorted keys.
//! - Expiry on read: `int(created_at) + int(expires_in)` when both parse, else
//!   `access_expires_at`; `expires_at` is never parsed.
//!
//! ## `current`
//! Written (one line, every libtapis_auth value a string, never `password`, never `proxies`,
//! unknown scalar keys kept, e.g. `devurl`, `verify`) only for **Agave v2** sessions, when the
//! saved profile is the current one. A Tapis v3 session is never written to `current`: agavepy
//! and tapis-cli would send its JWT to v2 services as a Bearer token. When a v3 profile becomes
//! current, `current` keeps the last v2 session so v2 tools still work.
//!
//! Reading: if `current` holds a session whose profile is not in `config.json` (a user with only
//! an agavepy / bash CLI cache), it is listed as `tapis_auth.current_file_profile`, else as
//! [`DEFAULT_PROFILE`]. When the profile mirrored into `current` is loaded and `current` holds
//! the same client and user with a refresh token that was written after the slot's (agavepy or
//! the bash CLI refreshed the tokens and wrote only `current`), the tokens from `current` are
//! used, so a rotated refresh token is never lost. "Written after" is decided by identity, not
//! by `created_at` (whole seconds, so a co-writer in the same second would tie): a refresh token
//! in `current` that differs from the slot's and is not in the slot's `tapis_refresh_history`
//! (fingerprints of the refresh tokens this library wrote or replaced there, newest first, at
//! most 8) came from another tool.
//!
//! # Atomicity, durability, permissions
//! Every write goes to a temp file in the same directory (`O_EXCL`, 0600), is fsynced, renamed
//! over the target and the directory is fsynced. `config.json` is written before `current`.
//! A data file found with a looser mode is replaced by a 0600 one on the next write and reported
//! once through [`JsonStore::warnings`]; a looser directory is tightened to 0700 and reported.
//!
//! # Locking
//! `save`, `delete` and `set_current_profile` take the lock themselves (re-entrantly, so the
//! token manager's `lock()` → `load()` → `save()` works). See [`crate::lock`] for the Lustre
//! `flock` mount caveat, NFS behaviour and the `O_EXCL` fallback.
//!
//! # Corruption and torn reads
//! A read that does not parse is retried for a short while first (see
//! [`LockOptions::torn_read_patience`]): on a cluster file system a reader on another node may
//! see the file mid-replacement. A file that still does not parse gives
//! [`StoreError::Corrupt`] with its path, line and column; the store never overwrites or deletes
//! it (saves fail too) until [`crate::move_aside`] is called.
//!
//! # Refresh claims
//! [`Store::claim_refresh`] uses [`crate::claim`] in `.tapis-auth.claims/` beside the files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};
use tapis_auth_core::store::RefreshClaim;
use tapis_auth_core::{Platform, Secret, Session, Store, StoreError, StoreLock, DEFAULT_PROFILE};

use crate::agave::{self, keys};
use crate::claim::Claims;
use crate::fsutil::{self, Warnings};
use crate::lock::{Backoff, LockOptions, ProcessLock};

/// File name of the all-profiles file.
pub const CONFIG_FILE: &str = "config.json";
/// File name of the current v2 session file.
pub const CURRENT_FILE: &str = "current";
/// File name of the lock file.
pub const LOCK_FILE: &str = ".tapis-auth.lock";
/// The top-level key holding libtapis_auth's metadata in `config.json`.
pub const META_KEY: &str = "tapis_auth";
/// Version of the `config.json` extensions written by this crate.
pub const FORMAT_VERSION: u64 = 1;

/// The JSON-file store. See the module documentation for the format.
pub struct JsonStore {
    dir: PathBuf,
    config: PathBuf,
    current: PathBuf,
    lock_options: LockOptions,
    lock: std::sync::OnceLock<Arc<ProcessLock>>,
    warnings: Warnings,
}

impl std::fmt::Debug for JsonStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonStore").field("dir", &self.dir).finish()
    }
}

/// A parsed `config.json` (or an empty one when the file does not exist).
struct Config {
    root: Map<String, Value>,
}

impl Config {
    fn meta(&self) -> Option<&Map<String, Value>> {
        self.root.get(META_KEY).and_then(Value::as_object)
    }
    fn meta_str(&self, key: &str) -> Option<String> {
        self.meta().and_then(|m| agave::text(m, &[key]))
    }
    fn meta_mut(&mut self) -> &mut Map<String, Value> {
        let v = self
            .root
            .entry(META_KEY)
            .or_insert_with(|| Value::Object(Map::new()));
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        let m = v.as_object_mut().expect("object");
        m.insert("format_version".into(), Value::from(FORMAT_VERSION));
        m.insert(
            "writer".into(),
            Value::String(format!("libtapis_auth/{}", env!("CARGO_PKG_VERSION"))),
        );
        m
    }
    fn set_meta(&mut self, key: &str, v: Option<&str>) {
        let m = self.meta_mut();
        match v {
            Some(v) => m.insert(key.into(), Value::String(v.into())),
            None => m.remove(key),
        };
    }
    fn file_profile(&self) -> String {
        self.meta_str("current_file_profile")
            .unwrap_or_else(|| DEFAULT_PROFILE.to_string())
    }

    /// Every slot: (tenant key, user key, client key, context).
    fn slots(&self) -> impl Iterator<Item = (&str, &str, &str, &Map<String, Value>)> {
        self.root
            .get("sessions")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|t| t.iter())
            .filter_map(|(tk, u)| u.as_object().map(|u| (tk.as_str(), u)))
            .flat_map(|(tk, u)| {
                u.iter()
                    .filter_map(move |(uk, c)| c.as_object().map(|c| (tk, uk.as_str(), c)))
            })
            .flat_map(|(tk, uk, c)| {
                c.iter()
                    .filter_map(move |(ck, ctx)| ctx.as_object().map(|x| (tk, uk, ck.as_str(), x)))
            })
    }

    fn find(&self, profile: &str) -> Option<&Map<String, Value>> {
        self.find_slot(profile).map(|x| x.3)
    }

    /// The slot of `profile`: ours (its `tapis_profile`), or one another tool wrote, by its
    /// [`foreign_profile`] name.
    fn find_slot(&self, profile: &str) -> Option<(&str, &str, &str, &Map<String, Value>)> {
        self.slots()
            .find(|(tk, uk, ck, c)| slot_is(tk, uk, ck, c, profile))
    }

    fn profiles(&self) -> Vec<String> {
        self.slots()
            .map(
                |(tk, uk, ck, c)| match c.get(keys::PROFILE).and_then(Value::as_str) {
                    Some(p) => p.to_string(),
                    None => foreign_profile(tk, uk, ck),
                },
            )
            .collect()
    }

    fn sessions_mut(&mut self) -> &mut Map<String, Value> {
        let v = self
            .root
            .entry("sessions")
            .or_insert_with(|| Value::Object(Map::new()));
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        v.as_object_mut().expect("object")
    }

    /// Removes every slot of `profile`, pruning maps left empty; returns the removed contexts.
    fn remove(&mut self, profile: &str) -> Vec<(String, String, String, Map<String, Value>)> {
        let mut out = Vec::new();
        let sessions = self.sessions_mut();
        for (tk, users) in sessions.iter_mut() {
            let Some(users) = users.as_object_mut() else {
                continue;
            };
            for (uk, clients) in users.iter_mut() {
                let Some(clients) = clients.as_object_mut() else {
                    continue;
                };
                let hits: Vec<String> = clients
                    .iter()
                    .filter(|(ck, c)| {
                        c.as_object()
                            .is_some_and(|c| slot_is(tk, uk, ck, c, profile))
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                for ck in hits {
                    if let Some(Value::Object(c)) = clients.remove(&ck) {
                        out.push((tk.clone(), uk.clone(), ck, c));
                    }
                }
            }
            users.retain(|_, c| c.as_object().is_none_or(|c| !c.is_empty()));
        }
        sessions.retain(|_, u| u.as_object().is_none_or(|u| !u.is_empty()));
        out
    }
}

/// The profile name of a slot another tool (agavepy 1.0, tapis-cli) wrote without a
/// `tapis_profile`: `agavepy:<tenant>/<user>/<client>`, its keys in `sessions`. Such a profile
/// loads like any other; saving it stamps the slot (in place) with that name.
fn foreign_profile(tk: &str, uk: &str, ck: &str) -> String {
    format!("{FOREIGN_PREFIX}{tk}/{uk}/{ck}")
}

/// The prefix of [`foreign_profile`] names.
const FOREIGN_PREFIX: &str = "agavepy:";

/// Whether the slot at `tk`/`uk`/`ck` holding `c` is the one of `profile`.
fn slot_is(tk: &str, uk: &str, ck: &str, c: &Map<String, Value>, profile: &str) -> bool {
    match c.get(keys::PROFILE).and_then(Value::as_str) {
        Some(p) => p == profile,
        None => profile.starts_with(FOREIGN_PREFIX) && foreign_profile(tk, uk, ck) == profile,
    }
}

/// Whether two sessions are the same login: base URL, user and client id.
fn same_login(a: &Session, b: &Session) -> bool {
    a.tenant.base_url == b.tenant.base_url
        && a.username == b.username
        && a.client.as_ref().map(|c| &c.id) == b.client.as_ref().map(|c| &c.id)
}

/// Device, inode, size and modification time of the file at `path`.
type FileIdentity = (u64, u64, u64, i64, i64);

fn file_identity(path: &Path) -> Option<FileIdentity> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).ok()?;
    Some((m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

/// Files found corrupt after the torn-read patience, in this process: reading one again while
/// it is unchanged fails at once (a corrupt cache makes every command wait only once).
fn known_corrupt() -> &'static std::sync::Mutex<std::collections::HashSet<FileIdentity>> {
    static K: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<FileIdentity>>> =
        std::sync::OnceLock::new();
    K.get_or_init(Default::default)
}

/// How many refresh-token fingerprints a slot remembers.
const HISTORY_LEN: usize = 8;

/// The fingerprints of refresh tokens this library wrote to (or replaced in) a slot.
fn refresh_history(ctx: &Map<String, Value>) -> Vec<String> {
    ctx.get(keys::REFRESH_HISTORY)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `theirs` (read from `current`) was written after `ours` (the slot): by identity,
/// not by timestamp. Refresh tokens rotate, so a refresh token in `current` that is not the
/// slot's and that this library never wrote nor replaced (`history`) was written by another
/// tool, later — even within the same second as ours (agavepy and the bash CLI stamp whole
/// seconds).
fn written_after(theirs: &Session, ours: &Session, history: &[String]) -> bool {
    let rt = |s: &Session| {
        s.tokens
            .as_ref()
            .and_then(|t| t.refresh_token.clone())
            .filter(|r| !r.is_empty())
    };
    match (rt(theirs), rt(ours)) {
        (Some(t), Some(o)) => t != o && !history.contains(&t.fingerprint()),
        (Some(t), None) => !history.contains(&t.fingerprint()),
        (None, _) => false,
    }
}

fn slot_key(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "null".to_string(),
    }
}

impl JsonStore {
    /// A store on `dir`. Nothing is created until the first write; `dir` existing as something
    /// other than a directory is an error.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        Self::with_lock_options(dir, LockOptions::default())
    }

    /// A store on the default directory ([`crate::default_cache_dir`] over the process
    /// environment).
    pub fn open_default() -> Result<Self, StoreError> {
        Self::open(crate::default_cache_dir(&|k| std::env::var(k).ok())?)
    }

    /// A store on `dir` with explicit lock options (timeout, mechanism).
    pub fn with_lock_options(
        dir: impl Into<PathBuf>,
        lock_options: LockOptions,
    ) -> Result<Self, StoreError> {
        let dir = dir.into();
        if dir.exists() && !dir.is_dir() {
            return Err(fsutil::not_a_dir(&dir));
        }
        Ok(Self {
            config: dir.join(CONFIG_FILE),
            current: dir.join(CURRENT_FILE),
            dir,
            lock_options,
            lock: std::sync::OnceLock::new(),
            warnings: Warnings::default(),
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// Path of `config.json`.
    pub fn config_path(&self) -> &Path {
        &self.config
    }
    /// Path of `current`.
    pub fn current_path(&self) -> &Path {
        &self.current
    }
    /// Path of the lock file.
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }

    /// Takes (and clears) the non-fatal findings so far, e.g. a cache file that was
    /// world-readable and has been rewritten 0600. Each finding is reported once.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.take()
    }

    fn process_lock(&self) -> &Arc<ProcessLock> {
        self.lock
            .get_or_init(|| ProcessLock::shared(self.lock_path(), self.lock_options.clone()))
    }

    /// Takes the lock for a write, first making the directory 0700. (Both cache files are made
    /// 0600 by the reads every write does first: `save`, `delete` and `set_current_profile`
    /// read `config.json` and `current`, even when only `config.json` is rewritten.)
    fn guard(&self) -> Result<crate::lock::Guard, StoreError> {
        fsutil::ensure_dir(&self.dir, &self.warnings)?;
        self.process_lock().acquire()
    }

    fn read_config(&self) -> Result<Config, StoreError> {
        let Some(v) = self.read_json(&self.config)? else {
            return Ok(Config { root: Map::new() });
        };
        match v {
            Value::Object(root) => {
                if let Some(reason) = shape_error(&root) {
                    return Err(self.corrupt_shape(&self.config, &reason));
                }
                Ok(Config { root })
            }
            _ => Err(self.corrupt_shape(&self.config, "the top level is not a JSON object")),
        }
    }

    /// Reads and parses a cache file (`None` when it does not exist). A read that does not
    /// parse, or fails with `ESTALE`, is retried with back-off for the torn-read patience
    /// ([`LockOptions::torn_read_patience`]) before it is reported: on a cluster file system a
    /// reader may see the file mid-replacement by a writer on another node (a stale cached
    /// size, a stale file handle). A file that stays unparsable is reported corrupt, and kept.
    fn read_json(&self, path: &Path) -> Result<Option<Value>, StoreError> {
        let start = std::time::Instant::now();
        let patience = self.lock_options.torn_read_patience;
        let mut backoff = Backoff::new(
            std::time::Duration::from_millis(20),
            std::time::Duration::from_millis(400),
        );
        loop {
            let err = match fsutil::read_private(path, &self.warnings) {
                Ok(None) => return Ok(None),
                Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
                    Ok(v) => return Ok(Some(v)),
                    Err(e) => fsutil::corrupt(path, &e),
                },
                Err(StoreError::Io { source, .. })
                    if source.raw_os_error() == Some(rustix::io::Errno::STALE.raw_os_error()) =>
                {
                    fsutil::io("read", path, source)
                }
                Err(e) => return Err(e),
            };
            // A file this process already waited for, unchanged since, is not waited for again.
            let id = file_identity(path);
            let mut known = known_corrupt().lock().unwrap_or_else(|p| p.into_inner());
            if id.is_some_and(|id| known.contains(&id)) {
                return Err(err);
            }
            if start.elapsed() >= patience {
                known.extend(id);
                return Err(err);
            }
            drop(known);
            backoff.sleep();
        }
    }

    fn corrupt_shape(&self, path: &Path, reason: &str) -> StoreError {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            line: None,
            column: None,
            reason: reason.to_string(),
        }
    }

    /// Reads `current`: `None` when missing; the object (first element of a list).
    fn read_current(&self) -> Result<Option<Map<String, Value>>, StoreError> {
        let Some(v) = self.read_json(&self.current)? else {
            return Ok(None);
        };
        match v {
            Value::Object(m) => Ok(Some(m)),
            Value::Array(mut a) if !a.is_empty() => {
                match a.swap_remove(0) {
                    Value::Object(m) => Ok(Some(m)),
                    _ => Err(self
                        .corrupt_shape(&self.current, "the first list element is not an object")),
                }
            }
            Value::Array(_) => Err(self.corrupt_shape(&self.current, "empty list")),
            _ => Err(self.corrupt_shape(&self.current, "not a JSON object")),
        }
    }

    fn session_from(
        &self,
        path: &Path,
        profile: &str,
        m: &Map<String, Value>,
    ) -> Result<Option<Session>, StoreError> {
        // A record the file holds but that is not a usable session (a base URL without a
        // scheme, say) is a damaged file: reported as corrupt (kept, and offered to `repair`).
        agave::context_to_session(profile, m).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            line: None,
            column: None,
            reason: format!("profile {profile:?}: {e}"),
        })
    }

    /// The session in `profile`'s slot of `cfg`, if there is one.
    fn slot_session(&self, cfg: &Config, profile: &str) -> Result<Option<Session>, StoreError> {
        let Some((_, _, ck, ctx)) = cfg.find_slot(profile) else {
            return Ok(None);
        };
        let mut s = self.session_from(&self.config, profile, ctx)?;
        // A slot agavepy 0.9.5 keyed by client name without writing `client_name`: keep the
        // name, so that a save lands in the same slot. Only in slots another tool wrote: ours
        // record the name, and their key may be `<client id>#<profile>`, which is no name.
        let foreign = !ctx.contains_key(keys::PROFILE);
        if let Some(c) = s.as_mut().and_then(|s| s.client.as_mut()) {
            if foreign && c.name.is_none() && ck != "null" && ck != c.id {
                c.name = Some(ck.to_owned());
            }
        }
        Ok(s)
    }

    /// The session `current` holds, if it is to be shown as its own profile.
    fn current_session(&self, cfg: &Config) -> Result<Option<Session>, StoreError> {
        let name = cfg.file_profile();
        if cfg.find(&name).is_some() {
            return Ok(None);
        }
        match self.read_current()? {
            Some(m) => self.session_from(&self.current, &name, &m),
            None => Ok(None),
        }
    }

    /// Imports the sessions of a legacy agavepy `.agpy` file (a JSON list of client objects with
    /// agavepy key names), read-only, as profiles `agpy-0`, `agpy-1`, …. Nothing is written.
    pub fn import_agpy(path: &Path) -> Result<Vec<Session>, StoreError> {
        let Some(bytes) = fsutil::read_optional(path)? else {
            return Ok(Vec::new());
        };
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| fsutil::corrupt(path, &e))?;
        let items = match v {
            Value::Array(a) => a,
            o @ Value::Object(_) => vec![o],
            _ => {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    line: None,
                    column: None,
                    reason: "not a JSON list".into(),
                })
            }
        };
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            if let Some(m) = it.as_object() {
                if let Some(s) =
                    agave::context_to_session(&format!("agpy-{i}"), m).map_err(|e| {
                        StoreError::Invalid(format!("{}: entry {i}: {e}", path.display()))
                    })?
                {
                    out.push(s);
                }
            }
        }
        Ok(out)
    }

    fn write_config(&self, cfg: &Config) -> Result<(), StoreError> {
        fsutil::remove_stale_temps(&self.dir, &[CONFIG_FILE, CURRENT_FILE]);
        // Wiped when dropped: the serialised cache holds tokens and keys.
        let mut bytes = serde_json::to_vec(&cfg.root)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| StoreError::Invalid(format!("cannot serialise config.json: {e}")))?;
        bytes.push(b'\n');
        fsutil::atomic_write(&self.config, &bytes)
    }

    fn write_current(&self, s: &Session) -> Result<(), StoreError> {
        debug_assert_eq!(s.tenant.platform, Platform::AgaveV2);
        let mut m = self.read_current()?.unwrap_or_default();
        agave::session_into_context(s, &mut m, false);
        let mut bytes = serde_json::to_vec(&m)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| StoreError::Invalid(format!("cannot serialise current: {e}")))?;
        bytes.push(b'\n');
        fsutil::atomic_write(&self.current, &bytes)
    }

    /// Before `current` is rewritten for `profile`: a login that only `current` holds (listed
    /// as its own profile) is put into `cfg` first, so that it is not lost.
    fn keep_current_login(&self, cfg: &mut Config, profile: &str) -> Result<(), StoreError> {
        if let Some(old) = self.current_session(cfg)?.filter(|s| s.profile != profile) {
            Self::place(cfg, &old, None);
        }
        Ok(())
    }

    /// Puts `s` into `cfg` (removing its old slot). `superseded`: a refresh token this write
    /// replaces elsewhere (the one in `current`), added to the slot's refresh history with the
    /// slot's own old one.
    fn place(cfg: &mut Config, s: &Session, superseded: Option<&str>) {
        let old = cfg.remove(&s.profile);
        let tk = slot_key(s.tenant.id.as_deref());
        let uk = slot_key(s.username.as_deref());
        let c = s.client.as_ref();
        let mut ck = slot_key(
            c.and_then(|c| c.name.as_deref())
                .or(c.map(|c| c.id.as_str())),
        );
        let sessions = cfg.sessions_mut();
        let users = sessions
            .entry(tk.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !users.is_object() {
            *users = Value::Object(Map::new());
        }
        let clients = users
            .as_object_mut()
            .expect("object")
            .entry(uk)
            .or_insert_with(|| Value::Object(Map::new()));
        if !clients.is_object() {
            *clients = Value::Object(Map::new());
        }
        let clients = clients.as_object_mut().expect("object");
        // A slot held by another profile: keep it, use a disambiguated key.
        if clients
            .get(&ck)
            .and_then(|c| c.get(keys::PROFILE))
            .and_then(Value::as_str)
            .is_some_and(|p| p != s.profile)
        {
            ck = format!("{ck}#{}", s.profile);
        }
        // Start from what was there (agavepy's slot, or our previous one) to keep unknown keys.
        let mut ctx = match clients.remove(&ck) {
            Some(Value::Object(m)) => m,
            _ => old.into_iter().next().map(|x| x.3).unwrap_or_default(),
        };
        let mut history: Vec<String> = s
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token.as_ref())
            .map(Secret::fingerprint)
            .into_iter()
            .collect();
        history.extend(refresh_history(&ctx));
        let replaced = agave::text(&ctx, &["refresh_token"]);
        for rt in replaced.iter().map(String::as_str).chain(superseded) {
            history.push(Secret::new(rt).fingerprint());
        }
        let mut seen = std::collections::HashSet::new();
        history.retain(|h| seen.insert(h.clone()));
        history.truncate(HISTORY_LEN);
        agave::session_into_context(s, &mut ctx, true);
        ctx.insert(
            keys::REFRESH_HISTORY.into(),
            Value::Array(history.into_iter().map(Value::String).collect()),
        );
        clients.insert(ck, Value::Object(ctx));
    }
}

/// Why `config.json` does not have the shape every writer produces (`sessions` → tenant →
/// user → client → an object; `tapis_auth` an object), if it does not. Such a file is reported
/// as corrupt rather than having the odd parts replaced on the next save.
fn shape_error(root: &Map<String, Value>) -> Option<String> {
    if root.get(META_KEY).is_some_and(|m| !m.is_object()) {
        return Some(format!("\"{META_KEY}\" is not an object"));
    }
    let sessions = match root.get("sessions") {
        None => return None,
        Some(Value::Object(m)) => m,
        Some(_) => return Some("\"sessions\" is not an object".into()),
    };
    for (t, users) in sessions {
        let Value::Object(users) = users else {
            return Some(format!("sessions.{t:?} is not an object"));
        };
        for (u, clients) in users {
            let Value::Object(clients) = clients else {
                return Some(format!("sessions.{t:?}.{u:?} is not an object"));
            };
            if let Some((c, _)) = clients.iter().find(|(_, ctx)| !ctx.is_object()) {
                return Some(format!("sessions.{t:?}.{u:?}.{c:?} is not an object"));
            }
        }
    }
    None
}

impl Store for JsonStore {
    fn load(&self, profile: &str) -> Result<Option<Session>, StoreError> {
        let mut cfg = self.read_config()?;
        if cfg.find(profile).is_none() {
            if profile == cfg.file_profile() {
                return self.current_session(&cfg);
            }
            return Ok(None);
        }
        // The profile mirrored into `current`: newer tokens a v2 tool wrote into `current` only
        // are adopted below. Read `current` and then `config.json` again. Our writer always
        // replaces `config.json` before `current`, so with this order a `current` newer than the
        // `config.json` read after it can only come from another tool; reading in the other
        // order would graft the next generation's tokens from `current` onto this generation's
        // `config.json` while a save is under way.
        let mut current = None;
        if cfg.meta_str("current_file_profile").as_deref() == Some(profile) {
            current = self.read_current()?;
            cfg = self.read_config()?;
        }
        let Some(mut s) = self.slot_session(&cfg, profile)? else {
            return Ok(None);
        };
        if let Some(m) = current.filter(|_| s.tenant.platform == Platform::AgaveV2) {
            if let Ok(Some(c)) = agave::context_to_session(profile, &m) {
                let history = cfg.find(profile).map(refresh_history).unwrap_or_default();
                if same_login(&c, &s) && written_after(&c, &s, &history) {
                    s.tokens = c.tokens;
                }
            }
        }
        Ok(Some(s))
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        crate::validate_profile(&session.profile)?;
        let _g = self.guard()?;
        let mut cfg = self.read_config()?;
        // Refuse while `current` is corrupt, whether or not it is rewritten below.
        let current_file = self.read_current()?;
        let current = cfg.meta_str("current_profile");
        let is_current = match &current {
            Some(c) => c == &session.profile,
            None => true,
        };
        let v2 = session.tenant.platform == Platform::AgaveV2;
        if is_current && v2 {
            self.keep_current_login(&mut cfg, &session.profile)?;
        }
        // The refresh token `current` holds is replaced too, when `current` is rewritten.
        let superseded = current_file
            .filter(|_| is_current && v2)
            .and_then(|m| agave::text(&m, &["refresh_token"]));
        Self::place(&mut cfg, session, superseded.as_deref());
        if current.is_none() {
            cfg.set_meta("current_profile", Some(&session.profile));
        }
        if is_current && v2 {
            cfg.set_meta("current_file_profile", Some(&session.profile));
        }
        cfg.meta_mut();
        self.write_config(&cfg)?;
        if is_current && v2 {
            self.write_current(session)?;
        }
        Ok(())
    }

    fn delete(&self, profile: &str) -> Result<bool, StoreError> {
        let _g = self.guard()?;
        let mut cfg = self.read_config()?;
        // Refuse while `current` is corrupt: it may be removed below, and a corrupt file is
        // never deleted by the library.
        let current = self.read_current()?;
        let from_current = cfg.find(profile).is_none()
            && profile == cfg.file_profile()
            && self.current_session(&cfg)?.is_some();
        let removed = cfg.remove(profile);
        let mirrored = cfg.meta_str("current_file_profile").as_deref() == Some(profile);
        if removed.is_empty() && !from_current {
            return Ok(false);
        }
        // `current` goes too only while it still holds this profile's login: a v2 tool may
        // have written another one there since, kept nowhere else.
        let in_current = from_current
            || (mirrored
                && current.is_some_and(|m| {
                    let login = |c: &Map<String, Value>| {
                        agave::context_to_session(profile, c).ok().flatten()
                    };
                    login(&m).is_some_and(|cur| {
                        removed
                            .iter()
                            .filter_map(|(_, _, _, c)| login(c))
                            .any(|s| same_login(&s, &cur))
                    })
                }));
        if mirrored {
            cfg.set_meta("current_file_profile", None);
        }
        if cfg.meta_str("current_profile").as_deref() == Some(profile) {
            cfg.set_meta("current_profile", None);
        }
        if !removed.is_empty() || mirrored {
            self.write_config(&cfg)?;
        }
        if in_current && self.current.exists() {
            std::fs::remove_file(&self.current)
                .map_err(|e| fsutil::io("remove", &self.current, e))?;
            fsutil::sync_dir(&self.dir)?;
        }
        Ok(true)
    }

    fn list(&self) -> Result<Vec<String>, StoreError> {
        let cfg = self.read_config()?;
        let mut v = cfg.profiles();
        if let Some(s) = self.current_session(&cfg)? {
            v.push(s.profile);
        }
        v.sort();
        v.dedup();
        Ok(v)
    }

    fn lock(&self, _profile: &str) -> Result<StoreLock, StoreError> {
        Ok(self.guard()?.into_store_lock())
    }

    fn claim_refresh(&self, _profile: &str, generation: &str) -> Result<RefreshClaim, StoreError> {
        fsutil::ensure_dir(&self.dir, &self.warnings)?;
        Claims::new(&self.dir, self.lock_options.clone()).claim(generation)
    }

    fn current_profile(&self) -> Result<Option<String>, StoreError> {
        let cfg = self.read_config()?;
        if let Some(c) = cfg.meta_str("current_profile") {
            return Ok(Some(c));
        }
        Ok(self.current_session(&cfg)?.map(|s| s.profile))
    }

    fn set_current_profile(&self, profile: &str) -> Result<(), StoreError> {
        crate::validate_profile(profile)?;
        let _g = self.guard()?;
        let mut cfg = self.read_config()?;
        self.read_current()?;
        let session = self.slot_session(&cfg, profile)?;
        cfg.set_meta("current_profile", Some(profile));
        let v2 = session
            .as_ref()
            .filter(|s| s.tenant.platform == Platform::AgaveV2);
        if v2.is_some() {
            self.keep_current_login(&mut cfg, profile)?;
            cfg.set_meta("current_file_profile", Some(profile));
        }
        self.write_config(&cfg)?;
        if let Some(s) = v2 {
            self.write_current(s)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("json:{}", self.dir.display())
    }

    fn take_warnings(&self) -> Vec<String> {
        self.warnings.take()
    }
}
