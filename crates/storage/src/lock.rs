//! Locking shared by the stores: a re-entrant in-process lock (so `lock()` → `load()` →
//! `save()` on one thread never deadlocks) joined to a cross-process advisory lock on a lock
//! file beside the data (never on the data file itself, which is replaced by rename).
//!
//! # Cross-process lock
//! The lock is `flock(LOCK_EX)` on the lock file, polled with back-off until the timeout
//! (default [`DEFAULT_LOCK_TIMEOUT`]); on timeout the error is
//! [`StoreError::LockTimeout`] naming the lock file.
//!
//! ## Shared file systems
//! - **NFS** (v4, and v3 with `lockd`): Linux emulates `flock` with POSIX byte-range locks over
//!   NLM/NFSv4 locking, so the lock is honoured across client nodes. With `-o nolock` it is only
//!   node-local.
//! - **Lustre**: `flock` works across nodes only when clients mount with `-o flock`; with
//!   `-o localflock` it is node-local; with neither, `flock` fails with `ENOSYS`. Ask your site
//!   which option is used.
//! - **Fallback**: when `flock` fails with `ENOLCK`, `ENOSYS` or `EOPNOTSUPP`, the lock falls back
//!   to creating `<lockfile>.excl` with `O_CREAT|O_EXCL` (atomic on NFSv3+ and Lustre). The file
//!   holds `pid host unix-time`; it is considered stale and removed when its owner is on this
//!   host and no longer alive, or when it is older than the stale age (default 10 minutes).
//!   A process killed while holding a fallback lock on another host therefore blocks others
//!   until the stale age passes (or until the file is removed by hand).
//! - **Choosing**: where `flock` succeeds but is node-local (Lustre `-o localflock`, NFS
//!   `-o nolock`), set `TAPIS_AUTH_LOCK=excl` so every process uses the `O_EXCL` lock file;
//!   `TAPIS_AUTH_LOCK_TIMEOUT` sets the wait in seconds ([`LockOptions::from_env`], read by
//!   [`crate::open_store`] and so by the command, the high-level API and the C library).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::thread::ThreadId;
use std::time::{Duration, Instant, SystemTime};

use tapis_auth_core::{StoreError, StoreLock};

/// The default time to wait for the cross-process lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Age after which a fallback `O_EXCL` lock file is considered stale.
pub const DEFAULT_STALE_AGE: Duration = Duration::from_secs(600);

/// Which cross-process mechanism a lock uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LockMode {
    /// `flock`, falling back to an `O_EXCL` lock file when the file system refuses `flock`.
    #[default]
    Auto,
    /// Always use the `O_EXCL` lock file (for file systems whose `flock` is node-local only).
    ExclusiveFile,
    /// In-process exclusion only (the memory store).
    InProcess,
}

/// Options for a [`ProcessLock`].
#[derive(Clone, Debug)]
pub struct LockOptions {
    /// How long to wait before [`StoreError::LockTimeout`].
    pub timeout: Duration,
    /// Mechanism.
    pub mode: LockMode,
    /// Age after which a fallback lock file is stale.
    pub stale_age: Duration,
}

impl LockOptions {
    /// Lock options from the environment (`env` supplies the variables):
    /// - `TAPIS_AUTH_LOCK`: `auto` (default: `flock`, with the `O_EXCL` fallback) or `excl`
    ///   (always the `O_EXCL` lock file: for file systems whose `flock` is node-local only,
    ///   such as Lustre mounted with `-o localflock`, or NFS with `-o nolock`);
    /// - `TAPIS_AUTH_LOCK_TIMEOUT`: seconds to wait for the lock (default 30).
    ///
    /// A value that cannot be understood is an error naming the variable.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let mut o = Self::default();
        let get = |k: &str| {
            env(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = get("TAPIS_AUTH_LOCK") {
            o.mode = match v.to_ascii_lowercase().as_str() {
                "auto" | "flock" => LockMode::Auto,
                "excl" | "exclusive-file" => LockMode::ExclusiveFile,
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "TAPIS_AUTH_LOCK={v:?} is not a lock mode: use auto (flock) or excl (an O_EXCL lock file, for file systems whose flock is node-local)"
                    )))
                }
            };
        }
        if let Some(v) = get("TAPIS_AUTH_LOCK_TIMEOUT") {
            let secs: f64 = v
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                .ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "TAPIS_AUTH_LOCK_TIMEOUT={v:?} is not a number of seconds between 0 and 86400"
                    ))
                })?;
            o.timeout = Duration::from_secs_f64(secs);
        }
        Ok(o)
    }
}

impl Default for LockOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_LOCK_TIMEOUT,
            mode: LockMode::Auto,
            stale_age: DEFAULT_STALE_AGE,
        }
    }
}

enum Held {
    Flock(#[allow(dead_code)] File),
    /// The lock file and its identity (device, inode) when created.
    Excl(PathBuf, Option<(u64, u64)>),
}

impl Drop for Held {
    fn drop(&mut self) {
        // Only our own lock file: if it was held past the stale age and another waiter took
        // it over, the file there now is theirs.
        match self {
            Held::Excl(p, Some(id)) => remove_if_same(p, *id),
            Held::Excl(p, None) => {
                let _ = std::fs::remove_file(p);
            }
            Held::Flock(_) => {}
        }
        // Flock: closing the file releases the lock.
    }
}

#[derive(Default)]
struct State {
    owner: Option<ThreadId>,
    depth: usize,
    held: Option<Held>,
}

/// A re-entrant lock, shared by every store instance in this process that uses the same lock
/// file, plus the cross-process lock taken while the outermost guard is held.
pub struct ProcessLock {
    path: PathBuf,
    options: LockOptions,
    state: Mutex<State>,
    cv: Condvar,
}

impl std::fmt::Debug for ProcessLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessLock")
            .field("path", &self.path)
            .finish()
    }
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Weak<ProcessLock>>> {
    static R: OnceLock<Mutex<HashMap<PathBuf, Weak<ProcessLock>>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

impl ProcessLock {
    /// The process-wide lock for `path` (created on first use; instances share it so threads
    /// of one process exclude each other too). Options of the first caller win.
    pub fn shared(path: PathBuf, options: LockOptions) -> Arc<Self> {
        let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
        reg.retain(|_, w| w.strong_count() > 0);
        if options.mode != LockMode::InProcess {
            if let Some(l) = reg.get(&path).and_then(Weak::upgrade) {
                return l;
            }
        }
        let l = Arc::new(Self {
            path: path.clone(),
            options: options.clone(),
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
        });
        if options.mode != LockMode::InProcess {
            reg.insert(path, Arc::downgrade(&l));
        }
        l
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn timeout_err(&self, waited: Duration) -> StoreError {
        StoreError::LockTimeout {
            path: self.path.clone(),
            waited_secs: waited.as_secs().max(1),
        }
    }

    /// Acquires the lock (re-entrantly on the same thread), waiting up to the timeout.
    pub fn acquire(self: &Arc<Self>) -> Result<Guard, StoreError> {
        let start = Instant::now();
        let me = std::thread::current().id();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match st.owner {
                Some(o) if o == me => {
                    st.depth += 1;
                    return Ok(Guard(self.clone()));
                }
                None => break,
                Some(_) => {
                    let left = self.options.timeout.saturating_sub(start.elapsed());
                    if left.is_zero() {
                        return Err(self.timeout_err(start.elapsed()));
                    }
                    st = self
                        .cv
                        .wait_timeout(st, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
        // We own the in-process lock now; take the cross-process one.
        st.owner = Some(me);
        st.depth = 1;
        drop(st);
        let held = match self.options.mode {
            LockMode::InProcess => Ok(None),
            LockMode::ExclusiveFile => self.excl_lock(start).map(Some),
            LockMode::Auto => self.flock(start).map(Some),
        };
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let waited = start.elapsed();
        match &held {
            Ok(_) if waited >= Duration::from_millis(100) => tracing::debug!(
                "waited {} ms for the lock {} (another thread or process held it)",
                waited.as_millis(),
                self.path.display()
            ),
            Ok(_) => tracing::trace!(
                "took the lock {} in {} ms",
                self.path.display(),
                waited.as_millis()
            ),
            Err(e) => tracing::debug!(
                "no lock {} after {} ms: {e}",
                self.path.display(),
                waited.as_millis()
            ),
        }
        match held {
            Ok(h) => {
                st.held = h;
                Ok(Guard(self.clone()))
            }
            Err(e) => {
                st.owner = None;
                st.depth = 0;
                self.cv.notify_one();
                Err(e)
            }
        }
    }

    fn flock(&self, start: Instant) -> Result<Held, StoreError> {
        // Never through a symbolic link, never blocking on a FIFO; then it must be a regular
        // file of ours.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(no_follow_no_block())
            .open(&self.path)
            .map_err(|source| match source.raw_os_error() {
                Some(e) if e == rustix::io::Errno::LOOP.raw_os_error() => StoreError::Unsafe {
                    path: self.path.clone(),
                    reason: "the lock file is a symbolic link, and the credential cache never \
                             follows links; remove it"
                        .into(),
                },
                _ => StoreError::Io {
                    action: "open lock file",
                    path: self.path.clone(),
                    source,
                },
            })?;
        let meta = file.metadata().map_err(|source| StoreError::Io {
            action: "stat",
            path: self.path.clone(),
            source,
        })?;
        crate::fsutil::check_file(&self.path, &meta, u64::MAX)?;
        let mut delay = Duration::from_millis(1);
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Held::Flock(file)),
                Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {}
                Err(e)
                    if e == rustix::io::Errno::NOLCK
                        || e == rustix::io::Errno::NOSYS
                        || e == rustix::io::Errno::OPNOTSUPP =>
                {
                    return self.excl_lock(start);
                }
                Err(e) => {
                    return Err(StoreError::Io {
                        action: "lock",
                        path: self.path.clone(),
                        source: e.into(),
                    })
                }
            }
            if start.elapsed() >= self.options.timeout {
                return Err(self.timeout_err(start.elapsed()));
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(50));
        }
    }

    fn excl_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".excl");
        PathBuf::from(p)
    }

    fn excl_lock(&self, start: Instant) -> Result<Held, StoreError> {
        let path = self.excl_path();
        let mut delay = Duration::from_millis(2);
        let host = hostname();
        loop {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    let now = SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let _ = writeln!(f, "{} {} {}", std::process::id(), host, now);
                    let _ = f.sync_all();
                    let id = f.metadata().ok().map(|m| {
                        use std::os::unix::fs::MetadataExt;
                        (m.dev(), m.ino())
                    });
                    return Ok(Held::Excl(path, id));
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if let Some(id) = file_id(&path) {
                        if self.is_stale(&path, &host)? {
                            remove_if_same(&path, id);
                            continue;
                        }
                    }
                }
                Err(source) => {
                    return Err(StoreError::Io {
                        action: "create lock file",
                        path,
                        source,
                    })
                }
            }
            if start.elapsed() >= self.options.timeout {
                return Err(StoreError::LockTimeout {
                    path,
                    waited_secs: start.elapsed().as_secs().max(1),
                });
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(100));
        }
    }

    /// Whether the `O_EXCL` lock file at `path` was left by a process that is gone. One that
    /// is not a regular file of ours (a link, a FIFO, another user's) is an error: it was not
    /// made by a lock.
    fn is_stale(&self, path: &Path, host: &str) -> Result<bool, StoreError> {
        let text = match crate::fsutil::read_small(path, EXCL_MAX_BYTES) {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(false), // released meanwhile
            Err(e @ StoreError::Unsafe { .. }) => return Err(e),
            Err(_) => return Ok(false),
        };
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if let Ok(age) = meta.modified().and_then(|m| {
                SystemTime::now()
                    .duration_since(m)
                    .map_err(std::io::Error::other)
            }) {
                if age > self.options.stale_age {
                    return Ok(true);
                }
            }
        }
        let text = String::from_utf8_lossy(&text);
        let mut it = text.split_whitespace();
        let (Some(pid), Some(h)) = (it.next(), it.next()) else {
            return Ok(false); // being written right now
        };
        if h != host {
            return Ok(false);
        }
        Ok(
            match pid
                .parse::<i32>()
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                Some(pid) => matches!(
                    rustix::process::test_kill_process(pid),
                    Err(rustix::io::Errno::SRCH)
                ),
                None => false,
            },
        )
    }

    fn release(&self) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.depth = st.depth.saturating_sub(1);
        if st.depth == 0 {
            st.held = None;
            st.owner = None;
            self.cv.notify_one();
        }
    }
}

fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// A held lock; released when dropped.
pub struct Guard(Arc<ProcessLock>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl Guard {
    /// Wraps the guard for the `Store::lock` API.
    pub fn into_store_lock(self) -> StoreLock {
        StoreLock::new(self)
    }
}

/// The identity (device, inode) of the file at `path` (a link itself, not its target).
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Largest `O_EXCL` lock file read: `pid host unix-time`.
const EXCL_MAX_BYTES: u64 = 4096;

/// `O_NOFOLLOW | O_NONBLOCK` for [`OpenOptions::custom_flags`].
fn no_follow_no_block() -> i32 {
    (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32
}

/// Removes the stale lock file at `path` only if it is still the file judged stale (`id`).
/// Two waiters may judge the same file stale; the second must not delete the fresh lock the
/// first has created meanwhile. So the file is first renamed to a name of this process's own
/// (atomic: exactly one waiter gets it), then checked: the judged file is deleted; a fresh one
/// taken by mistake is put back with `link` (which never replaces an existing file).
fn remove_if_same(path: &Path, id: (u64, u64)) {
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(
        ".stale-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let aside = PathBuf::from(aside);
    if std::fs::rename(path, &aside).is_err() {
        return; // someone else took it away first
    }
    if file_id(&aside) != Some(id) {
        let _ = std::fs::hard_link(&aside, path);
    }
    let _ = std::fs::remove_file(&aside);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reentrant_on_one_thread_and_exclusive_across_threads() {
        let dir = tempfile::tempdir().unwrap();
        let l = ProcessLock::shared(
            dir.path().join(".lock"),
            LockOptions {
                timeout: Duration::from_millis(200),
                ..Default::default()
            },
        );
        let g1 = l.acquire().unwrap();
        let g2 = l.acquire().unwrap();
        let l2 = l.clone();
        let r = std::thread::spawn(move || l2.acquire().map(|_| ()))
            .join()
            .unwrap();
        assert!(matches!(r, Err(StoreError::LockTimeout { .. })), "{r:?}");
        drop(g1);
        drop(g2);
        let l3 = l.clone();
        std::thread::spawn(move || l3.acquire().map(|_| ()))
            .join()
            .unwrap()
            .unwrap();
    }

    #[test]
    fn excl_fallback_excludes_and_detects_stale() {
        let dir = tempfile::tempdir().unwrap();
        let opts = LockOptions {
            timeout: Duration::from_millis(200),
            mode: LockMode::ExclusiveFile,
            ..Default::default()
        };
        let a = ProcessLock::shared(dir.path().join("a.lock"), opts.clone());
        let g = a.acquire().unwrap();
        assert!(dir.path().join("a.lock.excl").exists());
        // A second, separate lock object on the same file (as another process would see it).
        let b = Arc::new(ProcessLock {
            path: dir.path().join("a.lock"),
            options: opts.clone(),
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
        });
        let e = b.acquire().map(|_| ()).unwrap_err();
        assert!(e.to_string().contains("a.lock.excl"), "{e}");
        drop(g);
        assert!(!dir.path().join("a.lock.excl").exists());
        // A lock file left by a dead process on this host is stale.
        std::fs::write(
            dir.path().join("a.lock.excl"),
            format!("999999999 {} 0\n", hostname()),
        )
        .unwrap();
        drop(b.acquire().unwrap());
    }

    #[test]
    fn lock_options_from_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let d = LockOptions::from_env(&env(&[])).unwrap();
        assert_eq!((d.mode, d.timeout), (LockMode::Auto, DEFAULT_LOCK_TIMEOUT));
        let o = LockOptions::from_env(&env(&[
            ("TAPIS_AUTH_LOCK", "EXCL"),
            ("TAPIS_AUTH_LOCK_TIMEOUT", "2.5"),
        ]))
        .unwrap();
        assert_eq!(o.mode, LockMode::ExclusiveFile);
        assert_eq!(o.timeout, Duration::from_millis(2500));
        assert_eq!(
            LockOptions::from_env(&env(&[("TAPIS_AUTH_LOCK", "flock")]))
                .unwrap()
                .mode,
            LockMode::Auto
        );
        for (k, v) in [
            ("TAPIS_AUTH_LOCK", "posix"),
            ("TAPIS_AUTH_LOCK_TIMEOUT", "soon"),
            ("TAPIS_AUTH_LOCK_TIMEOUT", "-1"),
            ("TAPIS_AUTH_LOCK_TIMEOUT", "NaN"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(vec![(k, v)].into_boxed_slice());
            let e = LockOptions::from_env(&env(pairs)).unwrap_err().to_string();
            assert!(e.contains(k) && e.contains(v), "{e}");
        }
    }

    #[test]
    fn a_fresh_lock_is_never_removed_as_stale() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock.excl");
        std::fs::write(&p, "1 h 0\n").unwrap();
        let stale_id = file_id(&p).unwrap();
        // Another waiter replaced the stale file with its fresh lock in the meantime (a second
        // link keeps the old inode alive, so the new file cannot reuse its number).
        std::fs::hard_link(&p, dir.path().join("pad")).unwrap();
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, "2 h 1\n").unwrap();
        assert_ne!(file_id(&p), Some(stale_id));
        remove_if_same(&p, stale_id);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "2 h 1\n");
        // The judged file itself is removed.
        let id = file_id(&p).unwrap();
        remove_if_same(&p, id);
        assert!(!p.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "only pad is left"
        );
    }

    #[test]
    fn releasing_a_lock_taken_over_as_stale_leaves_the_new_holders_file() {
        let dir = tempfile::tempdir().unwrap();
        let opts = LockOptions {
            timeout: Duration::from_millis(200),
            mode: LockMode::ExclusiveFile,
            ..Default::default()
        };
        let a = ProcessLock::shared(dir.path().join("t.lock"), opts);
        let g = a.acquire().unwrap();
        let excl = dir.path().join("t.lock.excl");
        // Held past the stale age: another waiter removed it and made its own.
        std::fs::hard_link(&excl, dir.path().join("keep")).unwrap();
        std::fs::remove_file(&excl).unwrap();
        std::fs::write(&excl, "2 otherhost 1\n").unwrap();
        drop(g);
        assert_eq!(std::fs::read_to_string(&excl).unwrap(), "2 otherhost 1\n");
    }
}
