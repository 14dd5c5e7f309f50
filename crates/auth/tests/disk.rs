//! A full disk and a read-only cache directory: a clear error naming the file, and the old
//! cache intact. Uses a small tmpfs, which needs root (or a user and mount namespace) to mount:
//! both tests are `#[ignore]`d under a plain `cargo test` and run by scripts/test-all.sh's stage
//! "disk full and read-only cache (tmpfs)" (as root, else under `unshare -rm`), where failing to
//! mount is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use tapis_auth_core::{Error, Platform, StoreError};
use tapis_auth_storage::StoreKind;

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop.
struct Tmpfs(PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let holder = tempfile::tempdir().unwrap();
        let dir = holder.path().join("mnt");
        std::fs::create_dir(&dir).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "cannot mount a tmpfs here: run as root or under `unshare --user --map-root-user --mount` (scripts/test-all.sh does)"
        );
        Self(dir, holder)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn remount(&self, opts: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(st.success(), "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.to_string_lossy().contains("lock"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

fn fill(dir: &Path) {
    // Fill every remaining block.
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
}

#[test]
#[ignore = "mounts a tmpfs (needs root or a mount namespace): run by scripts/test-all.sh"]
fn disk_full_during_refresh_keeps_the_old_cache() {
    let srv = server();
    for kind in [StoreKind::Json, StoreKind::Sqlite] {
        let fs = Tmpfs::mount("256k");
        let cache = fs.path().join("cache");
        login(&srv, &cache, kind, Platform::TapisV3);
        expire_stored_token(&cache, kind);
        let before = files(&cache);
        fill(fs.path());
        let s = restore(&cache, kind);
        let e = s.access_token(60).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::Store(_)), "{kind:?}: {e:?}");
        if kind == StoreKind::Json {
            assert!(matches!(e, Error::Store(StoreError::Io { .. })), "{e:?}");
        }
        assert!(
            (msg.contains("No space left") || msg.contains("disk is full"))
                && msg.contains(&cache.display().to_string()),
            "{kind:?}: {msg}"
        );
        assert_eq!(files(&cache), before, "{kind:?}: the old cache changed");
        // No temp file left behind, and once space is back the next call succeeds.
        std::fs::remove_file(fs.path().join("filler")).unwrap();
        assert_eq!(files(&cache).len(), before.len(), "{kind:?}");
        assert!(restore(&cache, kind).access_token(60).is_ok(), "{kind:?}");
    }
}

#[test]
#[ignore = "mounts a tmpfs (needs root or a mount namespace): run by scripts/test-all.sh"]
fn read_only_cache_directory_is_a_clear_error_and_reads_still_work() {
    let fs = Tmpfs::mount("1m");
    let srv = server();
    for kind in [StoreKind::Json, StoreKind::Sqlite] {
        let dir = fs.path().join(format!("{kind:?}"));
        login(&srv, &dir, kind, Platform::TapisV3);
        expire_stored_token(&dir, kind);
        let before = files(&dir);
        fs.remount("ro");
        let s = restore(&dir, kind);
        let e = s.access_token(60).unwrap_err();
        assert!(matches!(e, Error::Store(_)), "{kind:?}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("Read-only") || msg.contains("read-only") || msg.contains("readonly"),
            "{kind:?}: {msg}"
        );
        assert_eq!(files(&dir), before, "{kind:?}: the cache changed");
        // Reading still works: status-like calls need no write.
        assert!(s.whoami().is_ok(), "{kind:?}");
        fs.remount("rw");
        assert!(restore(&dir, kind).access_token(60).is_ok(), "{kind:?}");
    }
}
