//! File helpers: owner-only modes, atomic durable replace, corrupt-file errors and
//! [`move_aside`].

// Helpers are shared by several feature-gated stores; partial feature sets leave some unused.
#![cfg_attr(
    not(all(
        feature = "json",
        feature = "sqlite",
        feature = "keyring",
        feature = "env"
    )),
    allow(dead_code)
)]

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use tapis_auth_core::{StoreError, UnixTime};

/// Mode of every file a store writes.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every directory a store creates.
pub const DIR_MODE: u32 = 0o700;

pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A record that would not serialise on its way to `path`. Cannot happen (sessions and JSON
/// values always serialise: string keys, no non-finite numbers); if it ever did, the write
/// failed before touching the file, so it is reported as that write's failure (not as an
/// invalid stored record: nothing stored is wrong).
pub(crate) fn serialise_failed(path: &Path, e: serde_json::Error) -> StoreError {
    io("serialise a record for", path, e.into())
}

/// Largest credential-cache file read, in bytes. Caches hold a few KiB per profile; anything
/// bigger is not one of ours (a huge or sparse file planted to exhaust memory) and is refused
/// before a byte of it is read.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Opens an existing cache file for reading, safely; `Ok(None)` when it does not exist.
///
/// The open never follows a symbolic link (`O_NOFOLLOW`) and never blocks (`O_NONBLOCK`: a
/// FIFO planted in place of the file cannot hang the process); `O_CLOEXEC` keeps it out of
/// child processes. The open file must then be a regular file, owned by us, not writable by
/// group or others, and at most `max` bytes long. Anything else is [`StoreError::Unsafe`],
/// naming the file, what is wrong and how to fix it. Nothing is changed on disk.
pub(crate) fn open_checked(
    path: &Path,
    max: u64,
) -> Result<Option<(File, std::fs::Metadata)>, StoreError> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(rustix::io::Errno::LOOP) => return Err(unsafe_file(path, SYMLINK)),
        Err(e) => return Err(io("open", path, e.into())),
    };
    let f = File::from(fd);
    let m = f.metadata().map_err(|e| io("stat", path, e))?;
    check_file(path, &m, max)?;
    Ok(Some((f, m)))
}

/// Why `config.json` & co. may not be symbolic links.
const SYMLINK: &str = "it is a symbolic link, and the credential cache never follows links \
                       (another user could point it anywhere); replace the link with the file it \
                       points to, or remove it and log in again";

/// The checks of [`open_checked`] on an open file's metadata.
pub(crate) fn check_file(path: &Path, m: &std::fs::Metadata, max: u64) -> Result<(), StoreError> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let t = m.file_type();
    if !t.is_file() {
        let kind = if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_dir() {
            "a directory"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        return Err(unsafe_file(
            path,
            &format!("it is {kind}, not a regular file; remove it, then log in again"),
        ));
    }
    let me = euid();
    if m.uid() != me {
        return Err(unsafe_file(
            path,
            &format!(
                "it is owned by uid {}, not by you (uid {me}): another user may have planted it; \
                 remove it, or point TAPIS_CACHE_DIR (or --cache-dir) at a directory of your own",
                m.uid()
            ),
        ));
    }
    let mode = m.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(unsafe_file(
            path,
            &format!(
                "it is writable by group or others (mode {mode:o}): they could change where your \
                 password and tokens are sent; check its contents, then run: chmod 600 {}",
                path.display()
            ),
        ));
    }
    if m.len() > max {
        return Err(unsafe_file(
            path,
            &format!(
                "it is {} bytes long, more than the {max} bytes a credential cache file may have; \
                 it is not a credential cache: move it away, then log in again",
                m.len()
            ),
        ));
    }
    Ok(())
}

fn unsafe_file(path: &Path, reason: &str) -> StoreError {
    StoreError::Unsafe {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

/// Reads the open file `f` (at `path`) to its end, refusing more than `max` bytes (it may have
/// grown since it was checked). The bytes are wiped when dropped.
fn read_capped(
    mut f: File,
    path: &Path,
    len_hint: u64,
    max: u64,
) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
    use std::io::Read;
    // Room for the whole file up front, so that growing never leaves an unwiped copy behind
    // (unless the file grows while being read).
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(len_hint.min(max) as usize + 1));
    (&mut f)
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io("read", path, e))?;
    if bytes.len() as u64 > max {
        return Err(unsafe_file(
            path,
            &format!(
                "it grew beyond the {max} bytes a credential cache file may have while it was read"
            ),
        ));
    }
    Ok(bytes)
}

/// Reads a file the user named (an agavepy `.agpy` file to import) with the checks of
/// [`open_checked`]; `Ok(None)` when it does not exist.
pub(crate) fn read_optional(
    path: &Path,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, StoreError> {
    let Some((f, m)) = open_checked(path, MAX_FILE_BYTES)? else {
        return Ok(None);
    };
    read_capped(f, path, m.len(), MAX_FILE_BYTES).map(Some)
}

/// Reads a small file of secrets (a bearer-token file) with the checks of [`open_checked`]
/// and at most `max` bytes; `Ok(None)` when it does not exist.
pub(crate) fn read_small(
    path: &Path,
    max: u64,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, StoreError> {
    let Some((f, m)) = open_checked(path, max)? else {
        return Ok(None);
    };
    read_capped(f, path, m.len(), max).map(Some)
}

/// Reads a cache file holding secrets, as every store read does: the directory holding it
/// must pass [`check_dir`], the file [`open_checked`]. A file others can read is reported (it
/// is made private by the next write, [`tighten_file_mode`]); a read never changes anything
/// on disk.
///
/// The bytes are wiped when dropped (the file holds tokens and keys).
pub(crate) fn read_private(
    path: &Path,
    warnings: &Warnings,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        check_dir(dir)?;
    }
    let Some((f, m)) = open_checked(path, MAX_FILE_BYTES)? else {
        return Ok(None);
    };
    warn_if_readable(path, &m, warnings);
    read_capped(f, path, m.len(), MAX_FILE_BYTES).map(Some)
}

/// Reports a file others can read (it holds secrets); reads do not change it.
fn warn_if_readable(path: &Path, m: &std::fs::Metadata, warnings: &Warnings) {
    let mode = m.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        warnings.push(format!(
            "file {} has mode {mode:o} (readable by others); the next login or refresh makes it \
             private (600), or run: chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
}

/// Makes the open file `f` at `path` 0600, reporting it. For writes only: reads never change
/// modes.
fn tighten(f: &File, path: &Path, m: &std::fs::Metadata, warnings: &Warnings) {
    let mode = m.permissions().mode() & 0o777;
    let changed = f
        .set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
        .is_ok();
    warnings.push(if changed {
        format!("file {} had mode {mode:o}; changed to mode 600", path.display())
    } else {
        format!(
            "file {} has mode {mode:o} (readable by others) and could not be made private; run: chmod 600 {}",
            path.display(),
            path.display()
        )
    });
}

/// A serde_json error as [`StoreError::Corrupt`] naming the file and position.
pub(crate) fn corrupt(path: &Path, e: &serde_json::Error) -> StoreError {
    let (line, column) = if e.line() > 0 {
        (Some(e.line()), Some(e.column()))
    } else {
        (None, None)
    };
    // serde_json's message ends with " at line L column C"; the position is reported separately.
    let msg = e.to_string();
    let reason = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    StoreError::Corrupt {
        path: path.to_path_buf(),
        line,
        column,
        reason,
    }
}

/// What kind of JSON error, without the message (which may quote a secret value).
pub(crate) fn json_category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "wrong or missing field",
        serde_json::error::Category::Eof => "truncated",
    }
}

/// Non-fatal findings (loose permissions that were tightened), reported once each.
#[derive(Debug, Default)]
pub(crate) struct Warnings(Mutex<Vec<String>>);

impl Warnings {
    pub(crate) fn push(&self, w: String) {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !v.contains(&w) {
            v.push(w);
        }
    }
    pub(crate) fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Creates `dir` (and parents) with mode 0700 if missing, after checking the directories
/// above it; checks an existing one ([`check_dir`]: refused when others could change it), and
/// tightens one of ours that others can read or enter (0755 → 0700), reporting it. For
/// writes: reads never change modes. A path that exists but is not a directory is an error.
pub(crate) fn ensure_dir(dir: &Path, warnings: &Warnings) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            check_dir(dir)?;
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 && m.uid() == euid() {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))
                    .map_err(|e| io("chmod", dir, e))?;
                warnings.push(format!(
                    "directory {} had mode {:o}; tightened to {:o}",
                    dir.display(),
                    mode,
                    mode & 0o700
                ));
            }
            Ok(())
        }
        Ok(_) => Err(not_a_dir(dir)),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // The directories that exist above it must be safe before anything is created.
            let abs = absolute(dir);
            if let Some(existing) = abs.ancestors().skip(1).find(|a| a.is_dir()) {
                check_ancestors(existing)?;
            }
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(|e| io("create directory", dir, e))?;
            // The umask may have removed bits we want, never added any; make sure.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
                .map_err(|e| io("chmod", dir, e))?;
            check_dir(dir)
        }
        Err(e) => Err(io("stat", dir, e)),
    }
}

/// The effective user id of this process.
pub(crate) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// `path` made absolute against the current directory (no links resolved).
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Checks an existing credential-cache directory the way ssh's `StrictModes` checks `~/.ssh`:
/// the directory must be owned by us (or root) and not writable by group or others; every
/// directory above it — along the path as given and along the path with links resolved — must
/// be owned by us or root and not writable by group or others unless it has the sticky bit
/// (`/tmp`). Otherwise another user could replace the cache (and point the next login, and
/// its password, at their server): [`StoreError::Unsafe`] naming the directory and the fix.
/// A directory that does not exist passes (nothing can be read from it).
pub(crate) fn check_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let m = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("stat", dir, e)),
    };
    if !m.is_dir() {
        return Err(not_a_dir(dir));
    }
    let me = euid();
    if m.uid() != me && m.uid() != 0 {
        return Err(unsafe_file(
            dir,
            &format!(
                "the credential cache directory is owned by uid {}, not by you (uid {me}) or root: \
                 its owner controls what it holds (and could point your next login, and your \
                 password, at their server); point TAPIS_CACHE_DIR (or --cache-dir) at a \
                 directory of your own",
                m.uid()
            ),
        ));
    }
    let mode = m.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(unsafe_file(
            dir,
            &format!(
                "the credential cache directory is writable by group or others (mode {mode:o}): \
                 they could replace its files (and point your next login, and your password, at \
                 their server); check its contents, then run: chmod 700 {}",
                dir.display()
            ),
        ));
    }
    let abs = absolute(dir);
    if let Some(parent) = abs.parent() {
        check_ancestors(parent)?;
    }
    match std::fs::canonicalize(&abs) {
        Ok(real) if real != abs => match real.parent() {
            Some(parent) => check_ancestors(parent),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Checks `dir` and every directory above it: owned by us or root, and not writable by
/// group or others unless sticky.
fn check_ancestors(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let me = euid();
    for a in dir.ancestors() {
        let m = match std::fs::metadata(a) {
            Ok(m) => m,
            Err(e) => return Err(io("stat", a, e)),
        };
        if m.uid() != me && m.uid() != 0 {
            return Err(unsafe_file(
                a,
                &format!(
                    "this directory above the credential cache is owned by uid {}, not by you \
                     (uid {me}) or root: its owner could replace the cache directory (and point \
                     your next login, and your password, at their server); point TAPIS_CACHE_DIR \
                     (or --cache-dir) at a directory that only you and root control",
                    m.uid()
                ),
            ));
        }
        let mode = m.mode() & 0o7777;
        if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            return Err(unsafe_file(
                a,
                &format!(
                    "this directory above the credential cache is writable by group or others \
                     (mode {mode:o}) and has no sticky bit: they could replace the cache \
                     directory (and point your next login, and your password, at their server); \
                     run: chmod go-w {}, or point TAPIS_CACHE_DIR (or --cache-dir) elsewhere",
                    a.display()
                ),
            ));
        }
    }
    Ok(())
}

/// A cache directory setting that names something else (a file): the setting is wrong.
pub(crate) fn not_a_dir(dir: &Path) -> StoreError {
    StoreError::Config(format!(
        "the credential cache directory {} exists but is not a directory; point TAPIS_CACHE_DIR (or the --cache-dir option) at a directory",
        dir.display()
    ))
}

/// Makes a data file that others can read private (0600), reporting it once — for writes
/// only (a store about to write, or the SQLite database opened for a write: it is rewritten
/// in place rather than replaced by [`atomic_write`]). The file must pass [`open_checked`];
/// a missing file is fine.
pub(crate) fn tighten_file_mode(path: &Path, warnings: &Warnings) -> Result<(), StoreError> {
    if let Some((f, m)) = open_checked(path, u64::MAX)? {
        if m.permissions().mode() & 0o077 != 0 {
            tighten(&f, path, &m, warnings);
        }
    }
    Ok(())
}

/// Checks a data file that is opened by another library (the SQLite database) the way
/// [`read_private`] does, reporting a mode others can read; changes nothing. A missing file
/// is fine.
pub(crate) fn check_private(path: &Path, warnings: &Warnings) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        check_dir(dir)?;
    }
    if let Some((_, m)) = open_checked(path, u64::MAX)? {
        warn_if_readable(path, &m, warnings);
    }
    Ok(())
}

/// Atomically and durably replaces `path` with `bytes`: a temp file in the same directory
/// (`O_CREAT|O_EXCL`, 0600), write, fsync, rename over `path`, fsync the directory.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(
            ".{name}.tmp-{}-{}-{}",
            std::process::id(),
            nanos(),
            attempt
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(io("create temporary file", &tmp, e)),
        }
    };
    let res = (|| {
        // O_CREAT's mode is filtered by the umask; a umask can only remove bits, but be exact.
        f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
            .map_err(|e| io("chmod", &tmp, e))?;
        f.write_all(bytes).map_err(|e| io("write", &tmp, e))?;
        f.sync_all().map_err(|e| io("fsync", &tmp, e))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(|e| io("rename", path, e))?;
        sync_dir(dir)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Removes temp files that a killed writer left behind. Call only while holding the store's
/// lock: every writer creates its temp files under the lock, so any found then are garbage.
pub(crate) fn remove_stale_temps(dir: &Path, names: &[&str]) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let f = e.file_name();
        let f = f.to_string_lossy();
        if names.iter().any(|n| f.starts_with(&format!(".{n}.tmp-"))) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// fsyncs a directory so a rename in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("fsync directory", dir, e))
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Moves a (corrupt) file aside to `<name>.corrupt-<YYYYMMDDTHHMMSSZ>` in the same directory and
/// returns the new path. Nothing is deleted. Meant for an explicit `repair` command; no store
/// calls it on its own.
pub fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let stamp: String = UnixTime(now)
        .to_rfc3339()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let name = path
        .file_name()
        .ok_or_else(|| StoreError::Config(format!("{} has no file name", path.display())))?
        .to_string_lossy()
        .into_owned();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut target = dir.join(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(|e| io("rename", path, e))?;
    sync_dir(dir)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_is_0600_and_move_aside_keeps_bytes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.json");
        atomic_write(&p, b"{}").unwrap();
        let m = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(m, 0o600);
        let moved = move_aside(&p).unwrap();
        assert!(!p.exists());
        assert!(moved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("f.json.corrupt-"));
        assert_eq!(std::fs::read(moved).unwrap(), b"{}");
    }
}
