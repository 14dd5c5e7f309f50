//! A hostile neighbour against the credential cache: another user owning or able to change the
//! cache directory or its files, symbolic links, FIFOs, devices and absurdly large files in
//! place of cache files. Each test is named for the attack; each one fails on a store that
//! trusts what it finds (issue 11).
//!
//! Attacks that need a second user (a file or directory owned by someone else) are staged by
//! `chown` and need root; run as another user they fail under `CI=true` and are reported
//! (not silently passed) otherwise.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use tapis_auth_core::{Store, StoreError};
use tapis_auth_storage::lock::ProcessLock;
use tapis_auth_storage::{testing, JsonStore, LockOptions, SqliteStore};

/// A uid that is not ours (`nobody`).
const OTHER_UID: u32 = 65534;

/// True when this process may stage another user's files; otherwise a failure under CI.
fn can_chown() -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        assert!(
            std::env::var_os("CI").is_none(),
            "this attack needs root to stage another user's files"
        );
        eprintln!("NOT RUN: this attack needs root to stage another user's files");
    }
    root
}

fn chown_other(p: &Path) {
    rustix::fs::chown(p, Some(rustix::fs::Uid::from_raw(OTHER_UID)), None).unwrap();
}

fn mkfifo(p: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        p,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A cache directory (0700) inside a fresh temporary directory, with one saved v3 profile.
fn cache_with_profile() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("cache");
    JsonStore::open(&dir)
        .unwrap()
        .save(&testing::sample_v3("default", 1))
        .unwrap();
    (t, dir)
}

/// Runs `f` on another thread; fails the test if it does not finish within 5 s (a read that
/// blocks on a FIFO never would).
fn finishes<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("{what}: still blocked after 5 s"))
}

/// The error is `Unsafe`, names `path` and contains `words`.
#[track_caller]
fn assert_unsafe<T: std::fmt::Debug>(r: Result<T, StoreError>, path: &Path, words: &str) {
    match r {
        Err(e @ StoreError::Unsafe { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(&path.display().to_string()),
                "{text} (expected the path {})",
                path.display()
            );
            assert!(text.contains(words), "{text} (expected {words:?})");
        }
        other => panic!(
            "expected a refusal naming {} ({words}), got {other:?}",
            path.display()
        ),
    }
}

/// The attacker's config.json: the victim's profile, pointing at the attacker's server.
fn planted_config() -> &'static str {
    r#"{"sessions":{"tacc":{"testuser":{"c":{"tapis_profile":"default","tapis_platform":"tapis-v3","baseurl":"https://evil.example","tenantid":"tacc","username":"testuser","apikey":"c"}}}},"tapis_auth":{"current_profile":"default"}}"#
}

#[test]
fn a_cache_directory_owned_by_another_user_is_refused() {
    if !can_chown() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o755);
    std::fs::write(dir.join("config.json"), planted_config()).unwrap();
    chmod(&dir.join("config.json"), 0o600);
    chown_other(&dir);
    let s = JsonStore::open(&dir).unwrap();
    assert_unsafe(s.load("default"), &dir, "owned by uid 65534");
    assert_unsafe(
        s.save(&testing::sample_v3("default", 1)),
        &dir,
        "TAPIS_CACHE_DIR",
    );
}

#[test]
fn a_cache_directory_others_can_write_is_refused_with_the_fix() {
    let (_t, dir) = cache_with_profile();
    chmod(&dir, 0o777);
    let s = JsonStore::open(&dir).unwrap();
    assert_unsafe(s.load("default"), &dir, "chmod 700");
    assert_unsafe(s.list(), &dir, "writable by group or others");
    assert_unsafe(s.save(&testing::sample_v3("default", 2)), &dir, "chmod 700");
    assert_eq!(mode(&dir), 0o777, "a refused directory is left as it is");
    chmod(&dir, 0o770);
    assert_unsafe(s.load("default"), &dir, "mode 770");
}

#[test]
fn a_directory_above_the_cache_that_others_can_write_is_refused_unless_sticky() {
    let t = tempfile::tempdir().unwrap();
    let shared = t.path().join("project");
    let dir = shared.join("me").join(".agave");
    JsonStore::open(&dir)
        .unwrap()
        .save(&testing::sample_v3("default", 1))
        .unwrap();
    chmod(&shared, 0o777);
    let s = JsonStore::open(&dir).unwrap();
    assert_unsafe(s.load("default"), &shared, "chmod go-w");
    // A new cache below it is refused before anything is created.
    let fresh = shared.join("other").join(".agave");
    assert_unsafe(
        JsonStore::open(&fresh)
            .unwrap()
            .save(&testing::sample_v3("default", 1)),
        &shared,
        "no sticky bit",
    );
    assert!(!fresh.exists());
    // Sticky, like /tmp: others cannot rename what is ours.
    chmod(&shared, 0o1777);
    assert!(JsonStore::open(&dir)
        .unwrap()
        .load("default")
        .unwrap()
        .is_some());
}

#[test]
fn a_directory_above_the_cache_owned_by_another_user_is_refused() {
    if !can_chown() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let theirs = t.path().join("theirs");
    let dir = theirs.join(".agave");
    JsonStore::open(&dir)
        .unwrap()
        .save(&testing::sample_v3("default", 1))
        .unwrap();
    chmod(&theirs, 0o755);
    chown_other(&theirs);
    assert_unsafe(
        JsonStore::open(&dir).unwrap().load("default"),
        &theirs,
        "owned by uid 65534",
    );
}

#[test]
fn a_config_json_planted_by_another_user_is_refused() {
    if !can_chown() {
        return;
    }
    let (_t, dir) = cache_with_profile();
    let cfg = dir.join("config.json");
    std::fs::remove_file(&cfg).unwrap();
    std::fs::write(&cfg, planted_config()).unwrap();
    chmod(&cfg, 0o600);
    chown_other(&cfg);
    let s = JsonStore::open(&dir).unwrap();
    assert_unsafe(s.load("default"), &cfg, "owned by uid 65534");
    assert_unsafe(
        s.current_profile(),
        &cfg,
        "another user may have planted it",
    );
}

#[test]
fn a_config_json_others_can_write_is_refused() {
    let (_t, dir) = cache_with_profile();
    let cfg = dir.join("config.json");
    chmod(&cfg, 0o662);
    let s = JsonStore::open(&dir).unwrap();
    assert_unsafe(s.load("default"), &cfg, "chmod 600");
    assert_unsafe(s.save(&testing::sample_v3("default", 2)), &cfg, "mode 662");
    assert_eq!(mode(&cfg), 0o662);
}

#[test]
fn symlinked_cache_files_are_refused_and_never_chmodded_through() {
    for name in ["config.json", "current"] {
        let (t, dir) = cache_with_profile();
        let target = t.path().join("elsewhere.json");
        let path = dir.join(name);
        if name == "config.json" {
            std::fs::rename(&path, &target).unwrap();
        } else {
            std::fs::write(&target, br#"{"access_token":"x"}"#).unwrap();
        }
        chmod(&target, 0o644);
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let s = JsonStore::open(&dir).unwrap();
        if name == "config.json" {
            assert_unsafe(s.load("default"), &path, "symbolic link");
        }
        assert_unsafe(
            s.save(&testing::sample_v3("default", 2)),
            &path,
            "symbolic link",
        );
        assert_eq!(mode(&target), 0o644, "{name}: chmod went through the link");
        assert!(std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

#[test]
fn fifos_in_place_of_cache_files_fail_fast() {
    for name in ["config.json", "current"] {
        let (_t, dir) = cache_with_profile();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        mkfifo(&path);
        let d = dir.clone();
        let r = finishes(name, move || {
            let s = JsonStore::open(&d).unwrap();
            s.list()?;
            // `current` is read by every write (and by reads of the profile it mirrors).
            s.save(&testing::sample_v3("default", 2))
        });
        assert_unsafe(r, &path, "FIFO");
    }
}

#[test]
fn a_device_in_place_of_config_json_is_refused() {
    let (_t, dir) = cache_with_profile();
    let cfg = dir.join("config.json");
    std::fs::remove_file(&cfg).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &cfg).unwrap();
    let d = dir.clone();
    let r = finishes("/dev/zero", move || {
        JsonStore::open(&d).unwrap().load("default")
    });
    assert_unsafe(r, &cfg, "symbolic link");
    if rustix::process::geteuid().is_root() {
        // The device node itself (only root can make one): /dev/zero's numbers.
        std::fs::remove_file(&cfg).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &cfg,
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o600),
            rustix::fs::makedev(1, 5),
        )
        .unwrap();
        let d = dir.clone();
        let r = finishes("device", move || {
            JsonStore::open(&d).unwrap().load("default")
        });
        assert_unsafe(r, &cfg, "a device");
    }
}

#[test]
fn a_terabyte_sparse_config_json_is_refused_without_reading_it() {
    let (_t, dir) = cache_with_profile();
    let cfg = dir.join("config.json");
    let f = std::fs::OpenOptions::new().write(true).open(&cfg).unwrap();
    f.set_len(1 << 40).unwrap();
    drop(f);
    let d = dir.clone();
    let r = finishes("1 TiB", move || {
        JsonStore::open(&d).unwrap().load("default")
    });
    assert_unsafe(r, &cfg, "1099511627776 bytes");
    // A file just over the limit too.
    let f = std::fs::OpenOptions::new().write(true).open(&cfg).unwrap();
    f.set_len(tapis_auth_storage::MAX_FILE_BYTES + 1).unwrap();
    assert_unsafe(
        JsonStore::open(&dir).unwrap().load("default"),
        &cfg,
        "more than",
    );
}

#[test]
fn read_only_commands_never_change_file_modes() {
    let (_t, dir) = cache_with_profile();
    let cfg = dir.join("config.json");
    chmod(&cfg, 0o644);
    chmod(&dir, 0o755);
    let s = JsonStore::open(&dir).unwrap();
    assert!(s.load("default").unwrap().is_some());
    s.list().unwrap();
    s.current_profile().unwrap();
    assert_eq!(mode(&cfg), 0o644, "a read changed the file's mode");
    assert_eq!(mode(&dir), 0o755, "a read changed the directory's mode");
    let w = s.warnings();
    assert!(
        w.len() == 1 && w[0].contains("644") && w[0].contains("chmod 600"),
        "{w:?}"
    );
    // The next write makes both private, and says so.
    s.save(&testing::sample_v3("default", 2)).unwrap();
    assert_eq!(mode(&cfg), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let w = s.warnings();
    assert!(w.iter().any(|x| x.contains("changed to mode 600")), "{w:?}");
}

#[test]
fn the_lock_file_is_never_created_or_opened_through_a_symlink() {
    let (t, dir) = cache_with_profile();
    let lock = dir.join(".tapis-auth.lock");
    let _ = std::fs::remove_file(&lock);
    let target = t.path().join("victim-file");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let s = JsonStore::open(&dir).unwrap();
    assert_unsafe(
        s.save(&testing::sample_v3("default", 2)),
        &lock,
        "symbolic link",
    );
    assert!(
        !target.exists(),
        "the lock file was created through the link"
    );
}

#[test]
fn a_fifo_lock_file_is_refused() {
    let (_t, dir) = cache_with_profile();
    let lock = dir.join(".tapis-auth.lock");
    let _ = std::fs::remove_file(&lock);
    mkfifo(&lock);
    let d = dir.clone();
    let r = finishes("fifo lock", move || {
        JsonStore::open(&d)
            .unwrap()
            .save(&testing::sample_v3("default", 2))
    });
    assert_unsafe(r, &lock, "FIFO");
}

#[test]
fn a_fifo_excl_lock_file_fails_within_the_timeout() {
    let t = tempfile::tempdir().unwrap();
    let lock = t.path().join("x.lock");
    let excl = t.path().join("x.lock.excl");
    mkfifo(&excl);
    let l = ProcessLock::shared(
        lock,
        LockOptions {
            timeout: Duration::from_millis(500),
            ..LockOptions::default()
        },
    );
    let r = finishes("fifo .excl", move || l.acquire().map(drop));
    assert_unsafe(r, &excl, "FIFO");
}

#[test]
fn a_bearer_token_file_planted_in_tmp_by_another_user_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("bt_u4242");
    std::fs::write(&f, "attackers-token\n").unwrap();
    chmod(&f, 0o644);
    let dir = t.path().to_string_lossy().into_owned();
    let lookup = move |k: &str| (k == "XDG_RUNTIME_DIR").then(|| dir.clone());
    if can_chown() {
        chown_other(&f);
        assert_unsafe(
            tapis_auth_storage::env::wlcg_discover(&lookup, Some(4242)),
            &f,
            "owned by uid 65534",
        );
        rustix::fs::chown(&f, Some(rustix::process::geteuid()), None).unwrap();
    }
    chmod(&f, 0o666);
    assert_unsafe(
        tapis_auth_storage::env::wlcg_discover(&lookup, Some(4242)),
        &f,
        "writable by group or others",
    );
    std::fs::remove_file(&f).unwrap();
    mkfifo(&f);
    let r = finishes("fifo bearer token", move || {
        tapis_auth_storage::env::wlcg_discover(&lookup, Some(4242))
    });
    assert_unsafe(r, &f, "FIFO");
}

#[test]
fn a_symlinked_or_foreign_sqlite_database_is_refused_and_reads_never_chmod() {
    let t = tempfile::tempdir().unwrap();
    let real = t.path().join("real.sqlite3");
    SqliteStore::open(&real)
        .unwrap()
        .save(&testing::sample_v3("a", 1))
        .unwrap();
    chmod(&real, 0o644);
    let s = SqliteStore::open(&real).unwrap();
    assert!(s.load("a").unwrap().is_some());
    assert_eq!(mode(&real), 0o644, "a read changed the database's mode");
    assert!(s.take_warnings().iter().any(|w| w.contains("644")));
    s.save(&testing::sample_v3("a", 2)).unwrap();
    assert_eq!(mode(&real), 0o600, "a write makes it private");

    let link = t.path().join("link.sqlite3");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    chmod(&real, 0o644);
    assert_unsafe(
        SqliteStore::open(&link).unwrap().load("a"),
        &link,
        "symbolic link",
    );
    assert_eq!(mode(&real), 0o644);
    if can_chown() {
        chmod(&real, 0o600);
        chown_other(&real);
        assert_unsafe(
            SqliteStore::open(&real).unwrap().load("a"),
            &real,
            "owned by uid 65534",
        );
    }
}
