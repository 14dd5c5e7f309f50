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

/// Reads a file; `Ok(None)` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path, e)),
    }
}

/// Reads a file holding secrets: like [`read_optional`], and a file others can read is made
/// private (0600) on the spot when it is ours, and reported. A file that cannot be changed (a
/// read-only file system, another owner) is still read, and reported as readable by others.
///
/// The bytes are wiped when dropped (the file holds tokens and keys).
pub(crate) fn read_private(
    path: &Path,
    warnings: &Warnings,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, StoreError> {
    use std::io::Read;
    let Some((mut f, m)) = open_private(path, "read", warnings)? else {
        return Ok(None);
    };
    // Room for the whole file up front, so that growing never leaves an unwiped copy behind
    // (unless the file grows while being read).
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(m.len() as usize + 1));
    f.read_to_end(&mut bytes).map_err(|e| io("read", path, e))?;
    Ok(Some(bytes))
}

/// Opens `path` for reading (`Ok(None)` when it does not exist) and, when others can read it,
/// makes it 0600 if it is ours ([`tighten`]). `action` names the open in an error.
fn open_private(
    path: &Path,
    action: &'static str,
    warnings: &Warnings,
) -> Result<Option<(File, std::fs::Metadata)>, StoreError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(action, path, e)),
    };
    let m = f.metadata().map_err(|e| io("stat", path, e))?;
    if m.permissions().mode() & 0o077 != 0 {
        tighten(&f, path, &m, warnings);
    }
    Ok(Some((f, m)))
}

/// Makes the open file `f` at `path` 0600 when it is ours, reporting what was done (or that it
/// could not be done).
fn tighten(f: &File, path: &Path, m: &std::fs::Metadata, warnings: &Warnings) {
    let mode = m.permissions().mode() & 0o777;
    let changed = is_owned_by_me(m)
        && f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
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

/// Creates `dir` (and parents) with mode 0700 if missing; tightens an existing directory that
/// others can access, reporting it. A path that exists but is not a directory is an error.
pub(crate) fn ensure_dir(dir: &Path, warnings: &Warnings) -> Result<(), StoreError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 && is_owned_by_me(&m) {
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
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(|e| io("create directory", dir, e))?;
            // The umask may have removed bits we want, never added any; make sure.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
                .map_err(|e| io("chmod", dir, e))
        }
        Err(e) => Err(io("stat", dir, e)),
    }
}

fn is_owned_by_me(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    m.uid() == rustix::process::geteuid().as_raw()
}

pub(crate) fn not_a_dir(dir: &Path) -> StoreError {
    StoreError::Invalid(format!(
        "the credential cache directory {} exists but is not a directory; point TAPIS_CACHE_DIR (or the --cache-dir option) at a directory",
        dir.display()
    ))
}

/// Makes a data file that others can read private (0600) in place, reporting it once. For files
/// rewritten in place (the SQLite database) rather than replaced by [`atomic_write`].
pub(crate) fn tighten_file_mode(path: &Path, warnings: &Warnings) -> Result<(), StoreError> {
    open_private(path, "open", warnings).map(drop)
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
        .ok_or_else(|| StoreError::Invalid(format!("{} has no file name", path.display())))?
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
