//! [`JsonStore`]: the agavepy / tapis-cli / bash CLI compatible credential cache (`~/.agave`).
//!
//! # Directory
//! An explicit path, else [`crate::default_cache_dir`]: `$TAPIS_CACHE_DIR`, else
//! `$AGAVE_CACHE_DIR`, else `$HOME/.agave`. Nothing is created by reads; the first write creates
//! the directory with mode 0700. A path that exists but is not a directory is an error.
//!
//! # Files
//! | file | role |
//! |---|---|
//! | `config.json` | every profile (agavepy 1.0's "sessions sidecar" layout) and agavepy 0.9.5's `current` entry |
//! | `current` | the current **Agave v2** session, in the bash-CLI format, for v2 tools |
//! | `.tapis-auth.lock` | the cross-process lock file (never the data files) |
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
//!  "current": {"<client name or apikey>": {…the current v2 profile's slot, as above…}},
//!  "tapis_auth": {"format_version": 1, "writer": "libtapis_auth/0.1.0",
//!                 "current_profile": "default", "slots": {"default": ["tacc", "jdoe", "cid"]}}}
//! ```
//! - A profile's slot is `sessions[tenant id or "null"][username or "null"][client name, else
//!   client id, else "null"]`, as agavepy 1.0 keys it, stamped with `tapis_profile` and claimed
//!   in `tapis_auth.slots` (agavepy 1.0 rewrites a slot without our keys; the claim keeps it the
//!   profile's). If the key already holds another profile, `#<profile>` is appended to it. A
//!   slot another tool wrote at that key is updated in place.
//! - `current` is agavepy 0.9.5's current session (`{<client name>: <context>}`), which its
//!   `load_configs()`/`save_configs()` and the bash CLI's python session commands need. It is
//!   written with the `current` file: the current Agave v2 profile's slot, under the same key.
//! - Which record belongs to which profile, and the names of the records other tools wrote:
//!   `crates/storage/src/layout.rs`. In short: one login (base URL, user, client id) is one profile; the
//!   other records holding it are views of it, whose newer tokens a load adopts and into which
//!   a save writes the new tokens, so no copy of a spent refresh token is left behind.
//! - The CLI fields (all strings) are authoritative; the `tapis_*` keys, `client_name`,
//!   `access_expires_at` and `refresh_expires_at` carry what the old formats cannot (platform,
//!   Tapis v3 tenant fields, refresh expiry, token id). Old readers ignore them.
//! - Every other top-level key, every other slot and every unknown key inside a slot is kept on
//!   write. Writes are compact one-line JSON with sorted keys.
//! - Expiry on read: `int(created_at) + int(expires_in)` when both parse, else
//!   `access_expires_at`; `expires_at` is never parsed.
//!
//! ## `current`
//! Written (one line, every libtapis_auth value a string, never `password`, never `proxies`,
//! unknown scalar keys kept, e.g. `devurl`, `verify`; a list written by another tool stays a
//! list, its first element updated) for **Agave v2** sessions: when the saved profile is the
//! current one, and whenever it holds the saved session's login. A tenant id the session does
//! not know leaves the one already there. A Tapis v3 session is never written to `current`:
//! agavepy and tapis-cli would send its JWT to v2 services as a Bearer token. When a v3 profile
//! becomes current, `current` keeps the last v2 session so v2 tools still work.
//!
//! Before `current` (or 0.9.5's `current` entry) is pointed at another login, a login only it
//! holds is first kept in `config.json` (the entry where agavepy 0.9.5 would move it, the
//! `current` file's login as its profile), so nothing another tool wrote is lost.
//!
//! # Atomicity, durability, permissions
//! Every write goes to a temp file in the same directory (`O_EXCL`, 0600), is fsynced, renamed
//! over the target and the directory is fsynced. `config.json` is written before `current`.
//! A data file found with a looser mode is reported once through [`JsonStore::warnings`] when
//! read, and made 0600 by the next write (reads never change modes); a directory others can
//! read is tightened to 0700 by the next write and reported.
//!
//! # Hostile neighbours
//! Every read and write first checks the directory the way ssh's `StrictModes` checks
//! `~/.ssh` (see `check_dir` in `fsutil`): it, and every directory above it, must be owned by
//! the user or root and not writable by group or others (directories above it may be if they
//! are sticky, like `/tmp`). The files are opened with `O_NOFOLLOW|O_NONBLOCK` and must be
//! regular files owned by the user, not writable by group or others, at most
//! [`crate::MAX_FILE_BYTES`] long. Anything else is [`StoreError::Unsafe`],
//! naming the path and the fix; nothing is read from it or written to it.
//!
//! # Locking and refresh claims
//! `save`, `delete` and `set_current_profile` take the write lock themselves (re-entrantly, so
//! `lock()` → `load()` → `save()` works). [`Store::claim_refresh`] uses [`crate::claim`] in
//! `.tapis-auth.claims/` beside the files. How both hold on cluster file systems: [`crate::lock`].
//!
//! # Corruption and torn reads
//! A read that does not parse (or fails with `ESTALE`) is retried for a short while first (see
//! [`LockOptions::torn_read_patience`]): on a cluster file system a reader on another node may
//! see the file mid-replacement through a stale attribute cache. A file found unparsable after
//! that is reported (below); the same unchanged file is not waited for again by this process.
//!
//! # Corruption
//! A file that does not parse gives [`StoreError::Corrupt`] with its path, line and column; the
//! store never overwrites or deletes it (saves fail too) until [`crate::move_aside`] is called.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};
use tapis_auth_core::store::RefreshClaim;
use tapis_auth_core::{Platform, Secret, Session, Store, StoreError, StoreLock};

use crate::agave::{self, keys};
use crate::claim::Claims;
use crate::fsutil::{self, Warnings};
use crate::layout::{self, Layout, Login, Place, Record};
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

/// A parsed `current` file: an object, or a list whose first element is the session (kept a
/// list on write).
struct CurrentFile {
    value: Value,
}

impl CurrentFile {
    fn record(&self) -> &Map<String, Value> {
        match &self.value {
            Value::Array(a) => a[0].as_object().expect("checked on read"),
            v => v.as_object().expect("checked on read"),
        }
    }
    fn record_mut(&mut self) -> &mut Map<String, Value> {
        match &mut self.value {
            Value::Array(a) => a[0].as_object_mut().expect("checked on read"),
            v => v.as_object_mut().expect("checked on read"),
        }
    }
}

/// An object value inside `m` at `key`, replacing whatever else is there.
fn child<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = m.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().expect("object")
}

impl Config {
    fn meta(&self) -> Option<&Map<String, Value>> {
        self.root.get(META_KEY).and_then(Value::as_object)
    }
    fn meta_str(&self, key: &str) -> Option<String> {
        self.meta().and_then(|m| agave::text(m, &[key]))
    }
    fn meta_mut(&mut self) -> &mut Map<String, Value> {
        let m = child(&mut self.root, META_KEY);
        m.insert("format_version".into(), Value::from(FORMAT_VERSION));
        m.insert(
            "writer".into(),
            Value::String(format!("libtapis_auth/{}", env!("CARGO_PKG_VERSION"))),
        );
        // Written by earlier versions; which profile `current` holds is now found by login.
        m.remove("current_file_profile");
        m
    }
    fn set_meta(&mut self, key: &str, v: Option<&str>) {
        let m = self.meta_mut();
        match v {
            Some(v) => m.insert(key.into(), Value::String(v.into())),
            None => m.remove(key),
        };
    }
    /// Sets (or, when empty, removes) `tapis_auth.refresh_history.<profile>`: fingerprints of the
    /// refresh tokens this library wrote or replaced for the profile, newest first (see
    /// `newer`). Kept in `tapis_auth`, which other tools leave alone, not in the slot, which
    /// agavepy 1.0 rewrites.
    fn set_history(&mut self, profile: &str, mut fps: Vec<String>) {
        let mut seen = std::collections::HashSet::new();
        fps.retain(|h| seen.insert(h.clone()));
        fps.truncate(HISTORY_LEN);
        let has = self.meta().and_then(|m| m.get("refresh_history")).is_some();
        if fps.is_empty() && !has {
            return;
        }
        let all = child(self.meta_mut(), "refresh_history");
        if fps.is_empty() {
            all.remove(profile);
        } else {
            all.insert(
                profile.into(),
                Value::Array(fps.into_iter().map(Value::String).collect()),
            );
        }
        if all.is_empty() {
            self.meta_mut().remove("refresh_history");
        }
    }

    /// Records (or forgets) the slot key a profile's slot is at.
    fn claim(&mut self, profile: &str, key: Option<[&str; 3]>) {
        let has = |m: &Map<String, Value>| m.get("slots").and_then(|s| s.get(profile)).is_some();
        if key.is_none() && !self.meta().is_some_and(has) {
            return;
        }
        let slots = child(self.meta_mut(), "slots");
        match key {
            Some(k) => {
                slots.insert(profile.into(), Value::from(k.to_vec()));
            }
            None => {
                slots.remove(profile);
            }
        }
        if slots.is_empty() {
            self.meta_mut().remove("slots");
        }
    }

    fn sessions_mut(&mut self) -> &mut Map<String, Value> {
        child(&mut self.root, "sessions")
    }

    fn slot_mut(&mut self, tk: &str, uk: &str, ck: &str) -> Option<&mut Map<String, Value>> {
        self.root
            .get_mut("sessions")?
            .get_mut(tk)?
            .get_mut(uk)?
            .get_mut(ck)?
            .as_object_mut()
    }

    /// Removes the slot at a key, pruning maps left empty.
    fn remove_slot(&mut self, tk: &str, uk: &str, ck: &str) {
        let sessions = self.sessions_mut();
        if let Some(Value::Object(users)) = sessions.get_mut(tk) {
            if let Some(Value::Object(clients)) = users.get_mut(uk) {
                clients.remove(ck);
                if clients.is_empty() {
                    users.remove(uk);
                }
            }
            if users.is_empty() {
                sessions.remove(tk);
            }
        }
    }

    /// Removes every slot stamped with `profile`; returns the first one's key and context.
    fn remove_stamped(&mut self, profile: &str) -> Option<([String; 3], Map<String, Value>)> {
        let hits: Vec<[String; 3]> = layout::slots(&self.root)
            .filter(|(_, _, _, c)| c.get(keys::PROFILE).and_then(Value::as_str) == Some(profile))
            .map(|(t, u, c, _)| [t.to_owned(), u.to_owned(), c.to_owned()])
            .collect();
        let mut first = None;
        for k in hits {
            let ctx = self.slot_mut(&k[0], &k[1], &k[2]).map(std::mem::take);
            self.remove_slot(&k[0], &k[1], &k[2]);
            if first.is_none() {
                first = ctx.map(|c| (k, c));
            }
        }
        first
    }
}

/// Whether two sessions are the same login: base URL, user and client id.
fn same_login(a: &Session, b: &Session) -> bool {
    Login::of_session(a) == Login::of_session(b)
}

/// Whether `view` holds newer tokens than `s`: a v2 tool refreshed and wrote only its copy.
/// Decided by identity first: refresh tokens rotate, and a save of ours writes the same tokens
/// into every record of a login and records every refresh token it replaced (`history`, see
/// [`Config::history`]). So a view holding another refresh token that this library never wrote
/// or replaced was written by another tool since; one in `history` is an older write of ours
/// (read mid-save: `current` before `config.json`), even in the same second. A foreign view
/// older than `s` by its issue time (one-second grain) is not adopted either; a tie is the
/// other tool's write.
fn newer(view: &Session, s: &Session, history: &[String]) -> bool {
    let rt = |x: &Session| {
        x.tokens
            .as_ref()
            .and_then(|t| t.refresh_token.clone())
            .filter(|r| !r.is_empty())
    };
    let at = |x: &Session| x.tokens.as_ref().and_then(|t| t.issued_at);
    match rt(view) {
        Some(v) => {
            Some(&v) != rt(s).as_ref() && !history.contains(&v.fingerprint()) && at(view) >= at(s)
        }
        None => false,
    }
}

/// How many refresh-token fingerprints a profile's history keeps.
const HISTORY_LEN: usize = 8;

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

    /// Takes the lock for a write, first checking the directory and making it 0700, and making
    /// both cache files 0600 (reads never change modes; a write makes private even the file it
    /// does not rewrite).
    fn guard(&self) -> Result<crate::lock::Guard, StoreError> {
        fsutil::ensure_dir(&self.dir, &self.warnings)?;
        let g = self.process_lock().acquire()?;
        fsutil::tighten_file_mode(&self.config, &self.warnings)?;
        fsutil::tighten_file_mode(&self.current, &self.warnings)?;
        Ok(g)
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

    /// Reads `current`: `None` when missing; an object, or a list whose first element is one.
    fn read_current(&self) -> Result<Option<CurrentFile>, StoreError> {
        let Some(value) = self.read_json(&self.current)? else {
            return Ok(None);
        };
        match &value {
            Value::Object(_) => {}
            Value::Array(a) if a.first().is_some_and(Value::is_object) => {}
            Value::Array(a) if !a.is_empty() => {
                return Err(
                    self.corrupt_shape(&self.current, "the first list element is not an object")
                )
            }
            Value::Array(_) => return Err(self.corrupt_shape(&self.current, "empty list")),
            _ => return Err(self.corrupt_shape(&self.current, "not a JSON object")),
        }
        Ok(Some(CurrentFile { value }))
    }

    /// Both files, `current` first: our writer replaces `config.json` before `current`, so a
    /// `current` newer than the `config.json` read after it can only come from another tool;
    /// the other order could graft the next generation's tokens from `current` onto this
    /// generation's `config.json` while a save is under way.
    fn read_both(&self) -> Result<(Option<CurrentFile>, Config), StoreError> {
        let file = self.read_current()?;
        let cfg = self.read_config()?;
        Ok((file, cfg))
    }

    fn path_of(&self, place: &Place) -> &Path {
        match place {
            Place::File => &self.current,
            _ => &self.config,
        }
    }

    /// The session a record holds, as `profile`.
    fn record_session(&self, r: &Record, profile: &str) -> Result<Option<Session>, StoreError> {
        // A record the file holds but that is not a usable session (a base URL without a
        // scheme, say) is a damaged file: reported as corrupt (kept, and offered to `repair`).
        let mut s = agave::context_to_session(profile, r.ctx).map_err(|e| StoreError::Corrupt {
            path: self.path_of(&r.place).to_path_buf(),
            line: None,
            column: None,
            reason: format!("profile {profile:?}: {e}"),
        })?;
        // agavepy 0.9.5 keys its slots and its current entry by client name without writing
        // `client_name`: keep the name, so that a save lands in the same slot. Only in records
        // another tool wrote: ours record the name, and their key may be
        // `<client id>#<profile>`, which is no name.
        let key = match &r.place {
            Place::Slot(_, _, ck) if !r.owned => Some(ck),
            Place::Legacy(name) => Some(name),
            _ => None,
        };
        if let (Some(ck), Some(c)) = (key, s.as_mut().and_then(|s| s.client.as_mut())) {
            if c.name.is_none() && ck != "null" && ck != &c.id {
                c.name = Some(ck.clone());
            }
        }
        Ok(s)
    }

    /// `profile`'s session: its own record, with newer tokens from its views (Agave v2 tools
    /// refresh and write only their own copy).
    fn profile_session(
        &self,
        layout: &Layout,
        profile: &str,
    ) -> Result<Option<Session>, StoreError> {
        let recs = layout.of(profile);
        let Some(own) = recs.first() else {
            return Ok(None);
        };
        let Some(mut s) = self.record_session(own, profile)? else {
            return Ok(None);
        };
        if s.tenant.platform == Platform::AgaveV2 {
            let history = layout.history(profile);
            for view in &recs[1..] {
                if let Ok(Some(c)) = agave::context_to_session(profile, view.ctx) {
                    if same_login(&c, &s) && newer(&c, &s, &history) {
                        s.tokens = c.tokens;
                    }
                }
            }
        }
        Ok(Some(s))
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
            .map_err(|e| fsutil::serialise_failed(&self.config, e))?;
        bytes.push(b'\n');
        fsutil::atomic_write(&self.config, &bytes)
    }

    /// Writes `s` into `current` (keeping its unknown keys and its list form).
    fn write_current(&self, file: Option<CurrentFile>, s: &Session) -> Result<(), StoreError> {
        debug_assert_eq!(s.tenant.platform, Platform::AgaveV2);
        let mut file = file.unwrap_or(CurrentFile {
            value: Value::Object(Map::new()),
        });
        agave::session_into_context(s, file.record_mut(), false);
        let mut bytes = serde_json::to_vec(&file.value)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| fsutil::serialise_failed(&self.current, e))?;
        bytes.push(b'\n');
        fsutil::atomic_write(&self.current, &bytes)
    }

    /// Before the views (`current`, 0.9.5's entry) are pointed at `profile`: a login only they
    /// hold is put into `cfg` first, so that it is not lost — 0.9.5's entry where agavepy 0.9.5
    /// itself moves it, the `current` file's login as its profile.
    fn keep_view_logins(
        &self,
        cfg: &mut Config,
        file: Option<&CurrentFile>,
        profile: &str,
    ) -> Result<(), StoreError> {
        let root = cfg.root.clone();
        let layout = Layout::new(&root, file.map(CurrentFile::record));
        let homeless = layout
            .records()
            .iter()
            .filter(|r| r.primary && r.profile != profile && !matches!(r.place, Place::Slot(..)));
        for r in homeless {
            match &r.place {
                Place::Legacy(name) => {
                    let (tk, uk) = layout::legacy_destination(r.ctx);
                    let users = child(cfg.sessions_mut(), &tk);
                    let clients = child(users, &uk);
                    let mut ck = name.clone();
                    if clients.contains_key(&ck) {
                        ck = format!("{ck}#current");
                    }
                    let mut ctx = r.ctx.clone();
                    // Newer tokens the `current` file holds for the same login.
                    if let Some(s) = self.profile_session(&layout, &r.profile)? {
                        agave::tokens_into_context(&s, &mut ctx, false);
                    }
                    clients.insert(ck, Value::Object(ctx));
                }
                _ => {
                    if let Some(s) = self.profile_session(&layout, &r.profile)? {
                        Self::place(cfg, &s);
                    }
                }
            }
        }
        Ok(())
    }

    /// Puts `s` into its slot in `cfg` (moving it if its key changed); returns the key.
    fn place(cfg: &mut Config, s: &Session) -> [String; 3] {
        let old = cfg.remove_stamped(&s.profile);
        // A slot another tool rewrote without our stamp, still claimed.
        let claimed = {
            let root = &cfg.root;
            let layout = Layout::new(root, None);
            layout.of(&s.profile).first().and_then(|r| match &r.place {
                Place::Slot(t, u, c) if r.owned => Some([t.clone(), u.clone(), c.clone()]),
                _ => None,
            })
        };
        let tk = slot_key(s.tenant.id.as_deref());
        let uk = slot_key(s.username.as_deref());
        let c = s.client.as_ref();
        let mut ck = slot_key(
            c.and_then(|c| c.name.as_deref())
                .or(c.map(|c| c.id.as_str())),
        );
        let mut base = old.map(|x| x.1);
        if let Some(k) = claimed {
            let ctx = cfg.slot_mut(&k[0], &k[1], &k[2]).map(std::mem::take);
            cfg.remove_slot(&k[0], &k[1], &k[2]);
            base = base.or(ctx);
        }
        let clients = child(child(cfg.sessions_mut(), &tk), &uk);
        // A slot held by another profile: keep it, use a disambiguated key.
        if clients
            .get(&ck)
            .and_then(|c| c.get(keys::PROFILE))
            .and_then(Value::as_str)
            .is_some_and(|p| p != s.profile)
        {
            ck = format!("{ck}#{}", s.profile);
        }
        // Start from what was there (another tool's slot at this key, or our previous one) to
        // keep unknown keys.
        let mut ctx = match clients.remove(&ck) {
            Some(Value::Object(m)) => m,
            _ => base.unwrap_or_default(),
        };
        agave::session_into_context(s, &mut ctx, true);
        clients.insert(ck.clone(), Value::Object(ctx));
        cfg.claim(&s.profile, Some([&tk, &uk, &ck]));
        [tk, uk, ck]
    }

    /// After `s` was placed at `key`: every other record of its login gets its tokens (an
    /// Agave v2 refresh token is single-use: a stale copy would fail whoever reads it next),
    /// and when `s` is the current profile, 0.9.5's `current` entry and the `current` file are
    /// pointed at it. Returns whether `current` is to be rewritten.
    fn update_views(
        cfg: &mut Config,
        file: Option<&CurrentFile>,
        s: &Session,
        key: &[String; 3],
        is_current: bool,
    ) -> bool {
        let login = Login::of_session(s);
        let root = cfg.root.clone();
        let layout = Layout::new(&root, file.map(CurrentFile::record));
        let mut file_too = is_current;
        for r in layout.records() {
            if Login::of_context(r.ctx).as_ref() != Some(&login) {
                continue;
            }
            match &r.place {
                Place::Slot(t, u, c) if [t, u, c] != [&key[0], &key[1], &key[2]] => {
                    if let Some(m) = cfg.slot_mut(t, u, c) {
                        agave::tokens_into_context(s, m, r.owned);
                    }
                }
                Place::File => file_too = true,
                _ => {}
            }
        }
        // agavepy 0.9.5's entry: updated in place while it holds this login (its key is
        // agavepy's client name), else pointed at this profile when it is the current one.
        let (name, mut ctx) = match layout::legacy_entry(&root) {
            Some((n, c)) if Login::of_context(c).as_ref() == Some(&login) => {
                (n.to_owned(), c.clone())
            }
            _ if is_current => (key[2].clone(), Map::new()),
            _ => return file_too,
        };
        // agavepy 0.9.5's next save moves the entry to sessions[tenantid][username][name]:
        // with our keys only when that is exactly our slot, or a second slot would carry this
        // profile's stamp.
        agave::session_into_context(s, &mut ctx, false);
        let lands_on_ours =
            name == key[2] && layout::legacy_destination(&ctx) == (key[0].clone(), key[1].clone());
        if lands_on_ours {
            agave::session_into_context(s, &mut ctx, true);
        }
        let mut entry = Map::new();
        entry.insert(name, Value::Object(ctx));
        cfg.root
            .insert(layout::LEGACY_CURRENT.into(), Value::Object(entry));
        file_too
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
        let (file, cfg) = self.read_both()?;
        let layout = Layout::new(&cfg.root, file.as_ref().map(CurrentFile::record));
        self.profile_session(&layout, profile)
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        crate::validate_profile(&session.profile)?;
        let _g = self.guard()?;
        // Refuses while `current` is corrupt, whether or not it is rewritten below.
        let (file, mut cfg) = self.read_both()?;
        let current = cfg.meta_str("current_profile");
        let is_current = current.as_deref().is_none_or(|c| c == session.profile);
        let v2 = session.tenant.platform == Platform::AgaveV2;
        if is_current && v2 {
            self.keep_view_logins(&mut cfg, file.as_ref(), &session.profile)?;
        }
        // Every refresh token this save replaces (in any record of this login) joins the
        // profile's history, with the new one: see `newer`.
        let mut history: Vec<String> = session
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token.as_ref())
            .map(Secret::fingerprint)
            .into_iter()
            .collect();
        {
            let login = Login::of_session(session);
            let layout = Layout::new(&cfg.root, file.as_ref().map(CurrentFile::record));
            history.extend(
                layout
                    .records()
                    .iter()
                    .filter(|r| Login::of_context(r.ctx).as_ref() == Some(&login))
                    .filter_map(|r| agave::text(r.ctx, &["refresh_token"]))
                    .map(|rt| Secret::new(rt).fingerprint()),
            );
            history.extend(layout.history(&session.profile));
        }
        let key = Self::place(&mut cfg, session);
        cfg.set_history(&session.profile, history);
        if current.is_none() {
            cfg.set_meta("current_profile", Some(&session.profile));
        }
        let rewrite_file =
            v2 && Self::update_views(&mut cfg, file.as_ref(), session, &key, is_current);
        cfg.meta_mut();
        self.write_config(&cfg)?;
        if rewrite_file {
            self.write_current(file, session)?;
        }
        Ok(())
    }

    fn delete(&self, profile: &str) -> Result<bool, StoreError> {
        let _g = self.guard()?;
        // Refuses while `current` is corrupt: it may be removed below, and a corrupt file is
        // never deleted by the library.
        let (file, mut cfg) = self.read_both()?;
        let root = cfg.root.clone();
        let layout = Layout::new(&root, file.as_ref().map(CurrentFile::record));
        let recs = layout.of(profile);
        if recs.is_empty() {
            return Ok(false);
        }
        // Every record of the profile goes: its slot, the views of its login (`current` only
        // while it still holds that login: a v2 tool may have written another one there since).
        let mut remove_file = false;
        for r in &recs {
            match &r.place {
                Place::Slot(t, u, c) => cfg.remove_slot(t, u, c),
                Place::Legacy(_) => {
                    cfg.root.remove(layout::LEGACY_CURRENT);
                }
                Place::File => remove_file = true,
            }
        }
        cfg.remove_stamped(profile);
        cfg.claim(profile, None);
        cfg.set_history(profile, Vec::new());
        if cfg.meta_str("current_profile").as_deref() == Some(profile) {
            cfg.set_meta("current_profile", None);
        }
        if cfg.root != root {
            self.write_config(&cfg)?;
        }
        if remove_file && self.current.exists() {
            std::fs::remove_file(&self.current)
                .map_err(|e| fsutil::io("remove", &self.current, e))?;
            fsutil::sync_dir(&self.dir)?;
        }
        Ok(true)
    }

    fn list(&self) -> Result<Vec<String>, StoreError> {
        let (file, cfg) = self.read_both()?;
        let layout = Layout::new(&cfg.root, file.as_ref().map(CurrentFile::record));
        // A `current` that is not a usable session is reported (as corrupt), not skipped.
        if let Some(r) = layout.at(&Place::File) {
            self.record_session(r, &r.profile)?;
        }
        Ok(layout.profiles())
    }

    fn lock(&self, _profile: &str) -> Result<StoreLock, StoreError> {
        Ok(self.guard()?.into_store_lock())
    }

    fn claim_refresh(&self, _profile: &str, generation: &str) -> Result<RefreshClaim, StoreError> {
        fsutil::check_dir(&self.dir)?;
        Claims::new(&self.dir, self.lock_options.clone()).claim(generation)
    }

    fn current_profile(&self) -> Result<Option<String>, StoreError> {
        let (file, cfg) = self.read_both()?;
        if let Some(c) = cfg.meta_str("current_profile") {
            return Ok(Some(c));
        }
        let layout = Layout::new(&cfg.root, file.as_ref().map(CurrentFile::record));
        if let Some(r) = layout.at(&Place::File) {
            self.record_session(r, &r.profile)?;
        }
        // Another tool's current login (agavepy, the bash CLI) is the current profile; one of
        // ours is only while `current_profile` names it (not after it was logged out).
        Ok(layout
            .file_profile()
            .or(layout.legacy_profile())
            .filter(|p| !layout.is_ours(p))
            .map(str::to_owned))
    }

    fn set_current_profile(&self, profile: &str) -> Result<(), StoreError> {
        crate::validate_profile(profile)?;
        let _g = self.guard()?;
        let (file, mut cfg) = self.read_both()?;
        let session = {
            let root = cfg.root.clone();
            let layout = Layout::new(&root, file.as_ref().map(CurrentFile::record));
            self.profile_session(&layout, profile)?
        };
        cfg.set_meta("current_profile", Some(profile));
        let v2 = session
            .as_ref()
            .filter(|s| s.tenant.platform == Platform::AgaveV2);
        let mut rewrite_file = false;
        if let Some(s) = v2 {
            self.keep_view_logins(&mut cfg, file.as_ref(), profile)?;
            let key = Self::place(&mut cfg, s);
            rewrite_file = Self::update_views(&mut cfg, file.as_ref(), s, &key, true);
        }
        self.write_config(&cfg)?;
        if let Some(s) = v2.filter(|_| rewrite_file) {
            self.write_current(file, s)?;
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
