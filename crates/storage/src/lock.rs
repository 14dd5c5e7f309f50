//! The cross-process protocol of the stores on disk, in one place: the **write lock** that
//! serialises read-modify-write of the cache files (this file), and the **refresh claims** that
//! elect the one process that spends a refresh token ([`crate::claim`]). Both hold on every
//! file system a credential cache lives on — a local disk, or a cluster file system whose
//! `flock` is node-local (Lustre `-o localflock`, NFS `local_lock=flock|all`, most FUSE file
//! systems) or global, with coherent attribute caches or not — with no setting to choose.
//!
//! # What the file systems give
//! - `open(O_CREAT|O_EXCL)` and `link(2)` are atomic on every one of them, across nodes (NFSv3+,
//!   Lustre, GPFS, FUSE pass-through): exactly one creator wins a name.
//! - `rename(2)` within a directory is atomic: a reader opens the old file or the new one.
//! - `flock(2)` may exclude only processes on the same node, or fail (`ENOSYS`, Lustre without
//!   `-o flock`). It is used for speed (waking waiters on the same node), never for safety.
//! - Attribute caches may be stale (FUSE's default 1 s, NFS without close-to-open): a reader may
//!   see a file whose cached size is wrong, i.e. a torn read. Readers retry a read that does not
//!   parse for a bounded time before they report the file as corrupt (see `crate::json`).
//!
//! # The write lock (`<cache>/.tapis-auth.lock` and `.tapis-auth.lock.excl`)
//! Held only around a read-modify-write of the cache files (milliseconds: a save, a delete,
//! switching the current profile), never across a network call that many processes wait on.
//! 1. An in-process re-entrant lock ([`ProcessLock`]): threads of one process take turns, and
//!    `lock()` → `load()` → `save()` on one thread never deadlocks.
//! 2. `flock(LOCK_EX)` on `.tapis-auth.lock`, polled: processes on one node queue here, so at
//!    most one per node goes on to step 3 (where `flock` is global, one in all).
//! 3. `.tapis-auth.lock.excl`, created with `O_EXCL` and holding its owner line (`owner.rs`): this
//!    excludes writers on every node. It is removed on release, only if it is still ours.
//!    A leftover file is stale when its owner is known dead (same host, boot and pid namespace;
//!    the pid's start time is checked, so a reused pid is not mistaken for it), or when its
//!    owner cannot be checked from here (another node) and it is older than the stale age
//!    ([`DEFAULT_STALE_AGE`]). A stale file is taken away by renaming it aside and checking
//!    that the renamed file is still the one judged stale (`remove_if_same`).
//!
//! Both steps poll with exponential back-off and jitter until the timeout
//! ([`DEFAULT_LOCK_TIMEOUT`], `TAPIS_AUTH_LOCK_TIMEOUT`), then fail with
//! [`StoreError::LockTimeout`] naming the lock file.
//!
//! # Refresh claims (`<cache>/.tapis-auth.claims/<generation>`)
//! See [`crate::claim`]: the first process to create the claim for a credential state spends
//! its refresh token; every other one watches the claim and then reads the new tokens from the
//! cache, without queueing on any lock. A rejected refresh token is recorded in the claim and
//! in the cache, so nobody sends it again.
//!
//! # Settings
//! `TAPIS_AUTH_LOCK_TIMEOUT` (seconds, default 30) bounds every wait. `TAPIS_AUTH_LOCK`, which
//! once chose between `flock` and an `O_EXCL` lock file, is no longer read: both are always used.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::thread::ThreadId;
use std::time::{Duration, Instant, SystemTime};

use tapis_auth_core::{StoreError, StoreLock};

use crate::owner::{self, Owner};

/// The default time to wait for the write lock, or for another process's refresh.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Age after which a lock file or refresh claim whose owner cannot be checked from here (it is
/// on another node) is considered stale. It exceeds the longest a refresh can take (three
/// attempts of 30 s with back-off, or a server's `Retry-After`), so a slow but live holder is
/// never taken for a dead one.
pub const DEFAULT_STALE_AGE: Duration = Duration::from_secs(180);

/// The default [`LockOptions::torn_read_patience`]: longer than FUSE's default attribute
/// cache time (1 s).
pub const DEFAULT_TORN_READ_PATIENCE: Duration = Duration::from_millis(1500);

/// Which cross-process mechanism a lock uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LockMode {
    /// `flock` (node-local or global; skipped where the file system refuses it) and then the
    /// `O_EXCL` lock file (global): correct on every file system.
    #[default]
    Auto,
    /// In-process exclusion only (the memory store).
    InProcess,
}

/// Options for a [`ProcessLock`] and for refresh claims.
#[derive(Clone, Debug)]
pub struct LockOptions {
    /// How long to wait before [`StoreError::LockTimeout`].
    pub timeout: Duration,
    /// Mechanism.
    pub mode: LockMode,
    /// Age after which a lock file or claim held on another node is stale.
    pub stale_age: Duration,
    /// How long a read that does not parse (or fails with `ESTALE`) is retried before the file
    /// is reported corrupt: a reader on another node may see a file mid-replacement through a
    /// stale attribute cache (FUSE caches attributes for 1 s by default).
    pub torn_read_patience: Duration,
}

impl LockOptions {
    /// Lock options from the environment (`env` supplies the variables):
    /// `TAPIS_AUTH_LOCK_TIMEOUT`, seconds to wait for the lock or for another process's refresh
    /// (default 30). A value that cannot be understood is an error naming the variable.
    /// (`TAPIS_AUTH_LOCK` is no longer read: see the module documentation.)
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let mut o = Self::default();
        let v = env("TAPIS_AUTH_LOCK_TIMEOUT").map(|v| v.trim().to_owned());
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            let secs: f64 = v
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                .ok_or_else(|| {
                    StoreError::Config(format!(
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
            torn_read_patience: DEFAULT_TORN_READ_PATIENCE,
        }
    }
}

/// What keeps the cross-process lock held.
struct Held {
    /// The `flock`ed lock file (closing it releases the lock); `None` where `flock` is refused.
    _flock: Option<File>,
    /// The `O_EXCL` lock file and its identity (device, inode) when created.
    excl: (PathBuf, (u64, u64)),
}

impl Drop for Held {
    fn drop(&mut self) {
        // Only our own lock file: if it was held past the stale age and another waiter took
        // it over, the file there now is theirs. The flock goes with the file.
        remove_if_same(&self.excl.0, self.excl.1);
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
        let l = Arc::new(Self::unshared(path.clone(), options.clone()));
        if options.mode != LockMode::InProcess {
            reg.insert(path, Arc::downgrade(&l));
        }
        l
    }

    fn unshared(path: PathBuf, options: LockOptions) -> Self {
        Self {
            path,
            options,
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options this lock was made with.
    pub fn options(&self) -> &LockOptions {
        &self.options
    }

    fn timeout_err(&self, path: &Path, start: Instant) -> StoreError {
        StoreError::LockTimeout {
            path: path.to_path_buf(),
            waited_secs: start.elapsed().as_secs().max(1),
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
                        return Err(self.timeout_err(&self.path, start));
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
            LockMode::Auto => self.flock(start).and_then(|f| {
                let excl = self.excl_lock(start)?;
                Ok(Some(Held { _flock: f, excl }))
            }),
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

    /// Step 2: `flock` on the lock file, polled. `None` where the file system refuses `flock`
    /// (the `O_EXCL` step alone then excludes).
    fn flock(&self, start: Instant) -> Result<Option<File>, StoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            // Never through a symbolic link, never blocking on a FIFO; then it must be a
            // regular file of ours.
            .custom_flags(libc_flags::NOFOLLOW | libc_flags::NONBLOCK)
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
        let meta = file.metadata().map_err(|e| io("stat", &self.path, e))?;
        crate::fsutil::check_file(&self.path, &meta, u64::MAX)?;
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(50));
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Some(file)),
                Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {}
                Err(e)
                    if e == rustix::io::Errno::NOLCK
                        || e == rustix::io::Errno::NOSYS
                        || e == rustix::io::Errno::OPNOTSUPP =>
                {
                    return Ok(None);
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
                return Err(self.timeout_err(&self.path, start));
            }
            backoff.sleep();
        }
    }

    fn excl_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".excl");
        PathBuf::from(p)
    }

    /// Step 3: the `O_EXCL` lock file holding our [`Owner`] line, born whole
    /// ([`create_whole`]): a holder killed at any moment leaves a file whose owner can be
    /// checked, never an empty one.
    fn excl_lock(&self, start: Instant) -> Result<(PathBuf, (u64, u64)), StoreError> {
        let path = self.excl_path();
        let line = format!("{}\n", Owner::me().line());
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(50));
        loop {
            if let Some(f) = create_whole(&path, &line, false)? {
                let m = f
                    .metadata()
                    .map_err(|e| io("inspect lock file", &path, e))?;
                remove_old_temps(&path, self.options.stale_age);
                return Ok((path, (m.dev(), m.ino())));
            }
            if let Some(id) = stale_file(&path, self.options.stale_age)? {
                remove_if_same(&path, id);
                continue;
            }
            if start.elapsed() >= self.options.timeout {
                return Err(self.timeout_err(&path, start));
            }
            backoff.sleep();
        }
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

/// Creates the coordination file `path` holding `line`, complete from its first instant:
/// `line` goes into a temporary file of this process's own (`flock`ed first when `lock`), which
/// is then `link(2)`ed to `path` — atomic on every file system, NFS included (the classic
/// NFS-safe lock). `Ok(None)` when `path` exists already. Where hard links are refused (some
/// FUSE file systems), `path` itself is created with `O_EXCL` and then written.
pub(crate) fn create_whole(
    path: &Path,
    line: &str,
    lock: bool,
) -> Result<Option<File>, StoreError> {
    use std::os::unix::fs::FileExt;
    let create = |p: &Path| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc_flags::NOFOLLOW)
            .open(p)
    };
    let fill = |f: &File, p: &Path| -> Result<(), StoreError> {
        if lock {
            // Nobody else can hold a lock on a file just created.
            let _ = rustix::fs::flock(f, rustix::fs::FlockOperation::NonBlockingLockExclusive);
        }
        f.write_all_at(line.as_bytes(), 0)
            .map_err(|e| io("write", p, e))
    };
    let (tmp, file) = create_temp_beside(path, create, nanos)?;
    fill(&file, &tmp)?;
    let linked = std::fs::hard_link(&tmp, path);
    let made = match &linked {
        Ok(()) => true,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => false,
        // NFS may report a link that was made (a retransmitted request): the count tells.
        Err(_) if file.metadata().is_ok_and(|m| m.nlink() == 2) => true,
        Err(_) => {
            let _ = std::fs::remove_file(&tmp);
            return match create(path) {
                Ok(f) => fill(&f, path).map(|()| Some(f)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(io("create", path, e)),
            };
        }
    };
    let _ = std::fs::remove_file(&tmp);
    Ok(made.then_some(file))
}

/// Creates a new temporary file beside `path` with `create` (which must refuse an existing
/// file): `<path>.<pid>-<ns>-<n>.tmp`, where `n` counts within the process, so threads that
/// read the same clock tick (many sessions in one process) get different names. A name that
/// exists anyway (the same pid and tick on another node of a shared file system) is skipped.
/// `tick` reads the clock (nanoseconds; a parameter so tests can stop it).
fn create_temp_beside(
    path: &Path,
    create: impl Fn(&Path) -> std::io::Result<File>,
    tick: impl Fn() -> u128,
) -> Result<(PathBuf, File), StoreError> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut tries = 0;
    loop {
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".{}-{}-{n}.tmp", std::process::id(), tick()));
        let tmp = PathBuf::from(tmp);
        match create(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists && tries < 8 => tries += 1,
            Err(e) => return Err(io("create", &tmp, e)),
        }
    }
}

/// Removes temporary files [`create_whole`] left beside `path` (its process was killed between
/// the link and the removal) once they are older than `age`.
pub(crate) fn remove_old_temps(path: &Path, age: Duration) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        if !(n.starts_with(&prefix) && n.ends_with(".tmp")) {
            continue;
        }
        let Ok(m) = e.metadata() else { continue };
        let old = m
            .modified()
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|a| a > age);
        if m.is_file() && old {
            remove_if_same(&e.path(), (m.dev(), m.ino()));
        }
    }
}

/// `open(2)` flags not in std's `OpenOptions`.
pub(crate) mod libc_flags {
    /// `O_NOFOLLOW`: never open through a symbolic link.
    pub const NOFOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    /// `O_NONBLOCK`: a FIFO put in a file's place does not hang the open.
    pub const NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits() as i32;
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The identity of the coordination file at `path` when it is stale (see
/// [`owner::is_stale`]): its owner line is read (a few bytes, through no symbolic link) and its
/// age taken from its modification time. `Ok(None)` when it is live, or gone meanwhile. One
/// that is not a regular file of ours (a link, a FIFO, another user's) is an error: no lock or
/// claim made it.
pub(crate) fn stale_file(
    path: &Path,
    stale_age: Duration,
) -> Result<Option<(u64, u64)>, StoreError> {
    let mut f = match OpenOptions::new()
        .read(true)
        .custom_flags(libc_flags::NOFOLLOW | libc_flags::NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(StoreError::Unsafe {
                path: path.to_path_buf(),
                reason: "it is a symbolic link, and the credential cache never follows links; \
                         remove it"
                    .into(),
            })
        }
        Err(e) => return Err(io("open", path, e)),
    };
    let m = f.metadata().map_err(|e| io("stat", path, e))?;
    crate::fsutil::check_file(path, &m, u64::MAX)?;
    let age = m
        .modified()
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or_default();
    let mut buf = [0u8; 512];
    let n = f.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    let line = text.lines().next().unwrap_or_default();
    // A claim's line starts with its state word; a lock file's with the owner itself.
    let owner = Owner::parse(line).or_else(|| Owner::parse(line.split_once(' ')?.1));
    Ok(owner::is_stale(owner.as_ref(), age, stale_age).then_some((m.dev(), m.ino())))
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

/// The identity (device, inode) of the file at `path` (not following a symbolic link).
pub(crate) fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Removes the stale coordination file at `path` only if it is still the file judged stale
/// (`id`). Two waiters may judge the same file stale; the second must not delete the fresh
/// file the first has created meanwhile. So the file is first renamed to a name of this
/// process's own (atomic: exactly one waiter gets it), then checked: the judged file is
/// deleted; a fresh one taken by mistake is put back with `link` (which never replaces an
/// existing file).
pub(crate) fn remove_if_same(path: &Path, id: (u64, u64)) {
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".stale-{}-{}", std::process::id(), nanos()));
    let aside = PathBuf::from(aside);
    if std::fs::rename(path, &aside).is_err() {
        return; // someone else took it away first
    }
    if file_id(&aside) != Some(id) {
        let _ = std::fs::hard_link(&aside, path);
    }
    let _ = std::fs::remove_file(&aside);
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Exponential back-off with jitter for polling loops: each sleep is a random duration in
/// `[d/2, d]`, and `d` doubles from `first` up to `max`. The jitter keeps processes that
/// started together from polling in lock-step.
pub(crate) struct Backoff {
    delay: Duration,
    max: Duration,
    seed: u64,
}

impl Backoff {
    /// A back-off starting at `first` and growing to `max`.
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Self {
            delay: first,
            max,
            seed: (nanos() as u64) ^ (u64::from(std::process::id()) << 32) | 1,
        }
    }

    /// The next sleep (and grows the delay).
    pub(crate) fn next_delay(&mut self) -> Duration {
        // xorshift64: jitter needs no more than this.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let d = self.delay;
        self.delay = (self.delay * 2).min(self.max);
        let half = d / 2;
        half + Duration::from_nanos(self.seed % (half.as_nanos() as u64).max(1))
    }

    /// Sleeps for the next delay.
    pub(crate) fn sleep(&mut self) {
        std::thread::sleep(self.next_delay());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short() -> LockOptions {
        LockOptions {
            timeout: Duration::from_millis(200),
            ..Default::default()
        }
    }

    /// Many threads of one process creating the same file at once (16 sessions in one
    /// process claiming one refresh): exactly one makes it and the others see it made — none
    /// fails on a temporary name another thread took in the same clock tick (a CI run did).
    #[test]
    fn threads_creating_one_file_at_once_never_collide_on_temporary_names() {
        const THREADS: usize = 32;
        let dir = tempfile::tempdir().unwrap();
        for round in 0..50 {
            let path = dir.path().join(format!("claim-{round}"));
            let barrier = std::sync::Barrier::new(THREADS);
            let made = std::thread::scope(|s| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            create_whole(&path, "holder\n", true).map(|f| f.is_some())
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap().unwrap())
                    .filter(|m| *m)
                    .count()
            });
            assert_eq!(made, 1, "round {round}");
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    /// Temporary names differ even when the clock does not move between two calls.
    #[test]
    fn temporary_names_differ_within_one_clock_tick() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claim");
        let create = |p: &Path| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(p)
        };
        let (a, _) = create_temp_beside(&path, create, || 42).unwrap();
        let (b, _) = create_temp_beside(&path, create, || 42).unwrap();
        assert_ne!(a, b);
        assert!(a.to_string_lossy().ends_with(".tmp"), "{a:?}");
    }

    #[test]
    fn reentrant_on_one_thread_and_exclusive_across_threads() {
        let dir = tempfile::tempdir().unwrap();
        let l = ProcessLock::shared(dir.path().join(".lock"), short());
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

    /// Another node: its flock does not see ours, so only the `O_EXCL` file excludes.
    #[test]
    fn the_excl_file_excludes_where_flock_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let a = ProcessLock::shared(dir.path().join("a.lock"), short());
        let g = a.acquire().unwrap();
        let excl = dir.path().join("a.lock.excl");
        let line = std::fs::read_to_string(&excl).unwrap();
        assert_eq!(
            Owner::parse(line.trim()),
            Some(Owner {
                at: Owner::parse(line.trim()).unwrap().at,
                ..Owner::me()
            })
        );
        // A separate lock object on the same file, as another process would have; its flock step
        // is skipped by taking the O_EXCL step directly.
        let b = ProcessLock::unshared(dir.path().join("a.lock"), short());
        let e = b.excl_lock(Instant::now()).map(|_| ()).unwrap_err();
        assert!(e.to_string().contains("a.lock.excl"), "{e}");
        drop(g);
        assert!(!excl.exists());
        let id = b.excl_lock(Instant::now()).unwrap();
        remove_if_same(&id.0, id.1);
    }

    #[test]
    fn a_lock_file_of_a_dead_owner_is_taken_over_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let excl = dir.path().join("d.lock.excl");
        let mut dead = Owner::me();
        dead.start += 1; // this pid, but another process: gone
        std::fs::write(&excl, format!("{}\n", dead.line())).unwrap();
        let l = ProcessLock::unshared(dir.path().join("d.lock"), short());
        let started = Instant::now();
        let id = l.excl_lock(started).unwrap();
        assert!(started.elapsed() < Duration::from_millis(200));
        remove_if_same(&id.0, id.1);
    }

    #[test]
    fn a_lock_file_held_on_another_node_waits_for_the_stale_age() {
        let dir = tempfile::tempdir().unwrap();
        let excl = dir.path().join("n.lock.excl");
        let mut far = Owner::me();
        far.host = "node-far".into();
        std::fs::write(&excl, format!("{}\n", far.line())).unwrap();
        let l = ProcessLock::unshared(dir.path().join("n.lock"), short());
        let e = l.excl_lock(Instant::now()).map(|_| ()).unwrap_err();
        assert!(matches!(e, StoreError::LockTimeout { .. }), "{e}");
        // Once older than the stale age, it is taken over.
        age(&excl, 200);
        let l = ProcessLock::unshared(
            dir.path().join("n.lock"),
            LockOptions {
                stale_age: Duration::from_secs(100),
                ..short()
            },
        );
        let id = l.excl_lock(Instant::now()).unwrap();
        remove_if_same(&id.0, id.1);
        // An unreadable line (an older version's, or half written) goes stale by age alone.
        std::fs::write(&excl, "garbage").unwrap();
        assert!(stale_file(&excl, Duration::from_secs(60))
            .unwrap()
            .is_none());
        age(&excl, 61);
        assert_eq!(
            stale_file(&excl, Duration::from_secs(60)).unwrap(),
            file_id(&excl)
        );
    }

    /// Sets the modification time of `path` to `secs` seconds ago.
    fn age(path: &Path, secs: u64) {
        let f = File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn the_lock_file_is_not_opened_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.path().join("s.lock")).unwrap();
        let l = ProcessLock::unshared(dir.path().join("s.lock"), short());
        assert!(l.flock(Instant::now()).is_err());
        assert!(!target.exists());
    }

    #[test]
    fn lock_timeout_from_the_environment() {
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
            ("TAPIS_AUTH_LOCK", "excl"),
            ("TAPIS_AUTH_LOCK_TIMEOUT", "2.5"),
        ]))
        .unwrap();
        assert_eq!(o.mode, LockMode::Auto, "TAPIS_AUTH_LOCK is no longer read");
        assert_eq!(o.timeout, Duration::from_millis(2500));
        for v in ["soon", "-1", "NaN"] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(vec![("TAPIS_AUTH_LOCK_TIMEOUT", v)].into_boxed_slice());
            let e = LockOptions::from_env(&env(pairs)).unwrap_err();
            // A setting to fix (C: TAPIS_AUTH_ERR_CONFIG), not an invalid stored record.
            assert!(matches!(e, StoreError::Config(_)), "{e:?}");
            let e = e.to_string();
            assert!(
                e.contains("TAPIS_AUTH_LOCK_TIMEOUT") && e.contains(v),
                "{e}"
            );
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
        let a = ProcessLock::shared(dir.path().join("t.lock"), short());
        let g = a.acquire().unwrap();
        let excl = dir.path().join("t.lock.excl");
        // Held past the stale age: another waiter removed it and made its own.
        std::fs::hard_link(&excl, dir.path().join("keep")).unwrap();
        std::fs::remove_file(&excl).unwrap();
        std::fs::write(&excl, "2 otherhost 1\n").unwrap();
        drop(g);
        assert_eq!(std::fs::read_to_string(&excl).unwrap(), "2 otherhost 1\n");
    }

    #[test]
    fn backoff_grows_with_jitter_up_to_its_cap() {
        let mut b = Backoff::new(Duration::from_millis(4), Duration::from_millis(32));
        let ds: Vec<Duration> = (0..8).map(|_| b.next_delay()).collect();
        assert!(ds[0] >= Duration::from_millis(2) && ds[0] <= Duration::from_millis(4));
        assert!(ds.iter().all(|d| *d <= Duration::from_millis(32)));
        assert!(ds[7] >= Duration::from_millis(16), "{ds:?}");
    }
}
