//! The shared conformance suite run against every writable store.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tapis_auth_core::{Store, StoreError};
use tapis_auth_storage::testing::{self, ChildCommand};
#[allow(unused_imports)]
use tapis_auth_storage::*;

/// Opens a store from a spec `kind:path`.
fn open(spec: &str) -> Arc<dyn Store> {
    let (kind, path) = spec.split_once(':').unwrap_or((spec, ""));
    let path = Path::new(path);
    match kind {
        "memory" => Arc::new(MemoryStore::new()),
        #[cfg(feature = "json")]
        "json" => Arc::new(JsonStore::open(path).unwrap()),
        #[cfg(feature = "sqlite")]
        "sqlite" => Arc::new(SqliteStore::open(path).unwrap()),
        #[cfg(feature = "keyring")]
        "keyring-ss" | "keyring-kernel" => Arc::new(keyring_store(kind, path)),
        other => panic!("unknown store spec {other}"),
    }
}

/// Child-process entry point for the multi-process tests, which run it.
#[test]
#[ignore = "child process of the multi-process tests, which run it"]
fn child() {
    testing::child_entry(&open);
}

/// The quick crash tests of the normal suite: kills that land inside a save, per store.
#[cfg(any(feature = "json", feature = "sqlite"))]
const QUICK_INTERRUPTED_SAVES: u32 = 60;
/// Time allowed to the quick crash tests (they take a few seconds).
#[cfg(any(feature = "json", feature = "sqlite"))]
const QUICK_BUDGET: Duration = Duration::from_secs(60);

fn child_cmd(spec: &str) -> ChildCommand {
    ChildCommand {
        test_name: "child".into(),
        spec: spec.into(),
    }
}

#[test]
fn memory_conformance() {
    let s: Arc<dyn Store> = Arc::new(MemoryStore::new());
    testing::conformance(&|| s.clone());
}

#[cfg(feature = "json")]
mod json {
    use super::*;

    /// A store that gives up on an unparsable file quickly (the corruption tests are about
    /// reporting, not about waiting out a writer on another node).
    fn impatient(dir: &Path) -> JsonStore {
        JsonStore::with_lock_options(
            dir,
            LockOptions {
                torn_read_patience: Duration::from_millis(50),
                ..LockOptions::default()
            },
        )
        .unwrap()
    }

    /// A reader that meets a file mid-replacement (as through a stale attribute cache on
    /// another node) waits for the writer instead of reporting corruption.
    #[test]
    fn a_torn_read_is_retried_until_the_writer_is_done() {
        let d = tempfile::tempdir().unwrap();
        let store = JsonStore::open(d.path()).unwrap();
        store.save(&testing::sample_v3("alpha", 1)).unwrap();
        let whole = std::fs::read(d.path().join("config.json")).unwrap();
        std::fs::write(d.path().join("config.json"), &whole[..whole.len() / 2]).unwrap();
        let dir = d.path().to_path_buf();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let tmp = dir.join("config.json.new");
            std::fs::write(&tmp, &whole).unwrap();
            std::fs::rename(&tmp, dir.join("config.json")).unwrap();
        });
        let s = store.load("alpha").unwrap().unwrap();
        assert_eq!(s, testing::sample_v3("alpha", 1));
        writer.join().unwrap();
    }

    /// A corruption that persists is reported after the patience, once: the same unchanged
    /// file is not waited for again.
    #[test]
    fn a_lasting_corruption_is_waited_for_once() {
        let d = tempfile::tempdir().unwrap();
        let store = JsonStore::open(d.path()).unwrap();
        std::fs::write(d.path().join("config.json"), b"{\"sessions\": {").unwrap();
        let t = std::time::Instant::now();
        assert!(matches!(store.list(), Err(StoreError::Corrupt { .. })));
        let first = t.elapsed();
        assert!(
            first >= LockOptions::default().torn_read_patience,
            "{first:?}"
        );
        let t = std::time::Instant::now();
        for _ in 0..5 {
            assert!(matches!(store.list(), Err(StoreError::Corrupt { .. })));
        }
        assert!(t.elapsed() < first, "{:?} after {first:?}", t.elapsed());
        assert_eq!(
            std::fs::read(d.path().join("config.json")).unwrap(),
            b"{\"sessions\": {"
        );
    }

    #[test]
    fn conformance() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("cache");
        testing::conformance(&|| open(&format!("json:{}", dir.display())));
        testing::assert_mode(&dir, 0o700);
        testing::assert_mode(&dir.join("config.json"), 0o600);
        testing::assert_mode(&dir.join("current"), 0o600);
    }

    #[test]
    fn corrupt_config_reported_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let store = impatient(d.path());
        testing::corrupt_file_is_reported(
            &store,
            "alpha",
            &d.path().join("config.json"),
            b"{\"sessions\": {\n  \"x\": [1,}\n",
            true,
        );
        // Truncated and empty files too.
        testing::corrupt_file_is_reported(
            &store,
            "alpha",
            &d.path().join("config.json"),
            b"{\"sessions\": {\"a",
            true,
        );
        testing::corrupt_file_is_reported(
            &store,
            "alpha",
            &d.path().join("config.json"),
            b"",
            true,
        );
        // Valid JSON of the wrong shape: reported and kept, never replaced by a save.
        for shape in [
            &b"{\"sessions\": {\"tacc\": \"a string\"}}"[..],
            b"{\"sessions\": {\"tacc\": {\"u\": [1, 2]}}}",
            b"{\"sessions\": {\"tacc\": {\"u\": {\"c\": 7}}}}",
            b"{\"sessions\": {}, \"tapis_auth\": \"v1\"}",
        ] {
            testing::corrupt_file_is_reported(
                &store,
                "alpha",
                &d.path().join("config.json"),
                shape,
                false,
            );
        }
    }

    #[test]
    fn corrupt_current_reported_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let store = impatient(d.path());
        testing::corrupt_file_is_reported(
            &store,
            "default",
            &d.path().join("current"),
            b"{\"tenantid\":\"x\",",
            true,
        );
        testing::corrupt_file_is_reported(
            &store,
            "default",
            &d.path().join("current"),
            b"[]",
            false,
        );
    }

    /// A v2 profile mirrored into `current`: loading, saving, deleting or re-selecting it while
    /// `current` is corrupt is refused, and `current` is left byte for byte.
    #[test]
    fn corrupt_mirrored_current_is_not_deleted() {
        let d = tempfile::tempdir().unwrap();
        let store = impatient(d.path());
        store.save(&testing::sample_v2("old", 1)).unwrap();
        let current = d.path().join("current");
        let garbage = b"{\"access_token\": \"trunc";
        std::fs::write(&current, garbage).unwrap();
        let corrupt = |r: Result<(), StoreError>, op: &str| match r {
            Err(StoreError::Corrupt { path, .. }) => assert_eq!(path, current, "{op}"),
            other => panic!("{op} with a corrupt current gave {other:?}"),
        };
        corrupt(store.load("old").map(|_| ()), "load");
        corrupt(store.save(&testing::sample_v2("old", 2)), "save");
        corrupt(store.delete("old").map(|_| ()), "delete");
        corrupt(store.set_current_profile("old"), "set_current_profile");
        assert_eq!(std::fs::read(&current).unwrap(), garbage);
    }

    #[test]
    fn two_processes_contend_for_the_lock() {
        let d = tempfile::tempdir().unwrap();
        testing::lock_contention(
            &child_cmd(&format!("json:{}", d.path().display())),
            d.path(),
        );
    }

    #[test]
    fn sixteen_processes_no_lost_update() {
        let d = tempfile::tempdir().unwrap();
        let spec = format!("json:{}", d.path().join("c").display());
        testing::concurrent_updates(&child_cmd(&spec), &|| open(&spec));
    }

    #[test]
    fn crash_consistency() {
        let d = tempfile::tempdir().unwrap();
        let spec = format!("json:{}", d.path().join("c").display());
        testing::crash_consistency(
            &child_cmd(&spec),
            &|| open(&spec),
            QUICK_INTERRUPTED_SAVES,
            QUICK_BUDGET,
        );
        // No temp file is left behind once a later writer has run.
        open(&spec).save(&testing::sample_v2("crash", 1)).unwrap();
        let left: Vec<_> = std::fs::read_dir(d.path().join("c"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[cfg(feature = "keyring")]
fn keyring_store(kind: &str, lock_dir: &Path) -> KeyringStore {
    let backend = if kind == "keyring-ss" {
        KeyringBackend::SecretService
    } else {
        KeyringBackend::KernelKeyutils
    };
    // A service name per scratch directory keeps runs apart from each other and from real items.
    let tag = lock_dir.file_name().unwrap().to_string_lossy().into_owned();
    // Secret Service round trips are slow (each process opens a D-Bus session and exchanges
    // keys; every update is several calls under the store's one lock), and on a loaded 2-core
    // CI machine 16 processes queueing for it have waited past the 30 s default. These tests
    // check that no update is lost, not how fast the queue moves (suite() prints that).
    let lock = LockOptions {
        timeout: Duration::from_secs(300),
        ..LockOptions::default()
    };
    KeyringStore::new(backend, lock_dir)
        .unwrap()
        .with_service(format!("libtapis_auth-test-{tag}"))
        .with_lock_options(lock)
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;

    #[test]
    fn conformance() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("sub").join("s.sqlite3");
        testing::conformance(&|| open(&format!("sqlite:{}", db.display())));
        testing::assert_mode(&d.path().join("sub"), 0o700);
        testing::assert_mode(&db, 0o600);
        let journal: String = rusqlite::Connection::open(&db)
            .unwrap()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(
            journal.to_ascii_lowercase(),
            "delete",
            "rollback journal by default"
        );
    }

    #[test]
    fn reads_never_create_the_database() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("none.sqlite3");
        let s = SqliteStore::open(&db).unwrap();
        assert_eq!(s.load("x").unwrap(), None);
        assert!(s.list().unwrap().is_empty());
        assert!(!db.exists());
    }

    #[test]
    fn loose_database_mode_is_reported_on_read_and_tightened_on_write() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("s.sqlite3");
        SqliteStore::open(&db)
            .unwrap()
            .save(&testing::sample_v3("a", 1))
            .unwrap();
        std::fs::set_permissions(&db, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        let s = SqliteStore::open(&db).unwrap();
        assert!(s.load("a").unwrap().is_some());
        testing::assert_mode(&db, 0o644);
        let w = s.take_warnings();
        assert!(w.len() == 1 && w[0].contains("644"), "{w:?}");
        assert!(s.take_warnings().is_empty(), "reported once");
        s.save(&testing::sample_v3("a", 2)).unwrap();
        testing::assert_mode(&db, 0o600);
        let w = s.take_warnings();
        assert!(
            w.len() == 1 && w[0].contains("changed to mode 600"),
            "{w:?}"
        );
    }

    #[test]
    fn corrupt_database_reported_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("s.sqlite3");
        let garbage = b"this is not a database, it is a text file that is long enough to have a header.....................................".repeat(8);
        testing::corrupt_file_is_reported(
            &SqliteStore::open(&db).unwrap(),
            "alpha",
            &db,
            &garbage,
            false,
        );
    }

    #[test]
    fn corrupt_row_reported() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("s.sqlite3");
        let s = SqliteStore::open(&db).unwrap();
        s.save(&testing::sample_v3("alpha", 1)).unwrap();
        rusqlite::Connection::open(&db).unwrap()
            .execute("UPDATE sessions SET session_json = '{\"profile\": \"alpha\", \"tenant\": {\"base_url\": \"secret-value' ", []).unwrap();
        let e = SqliteStore::open(&db).unwrap().load("alpha").unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, tapis_auth_core::StoreError::Corrupt { .. }),
            "{msg}"
        );
        assert!(
            msg.contains("s.sqlite3") && !msg.contains("secret-value"),
            "{msg}"
        );
    }

    #[test]
    fn two_processes_contend_for_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let spec = format!("sqlite:{}", d.path().join("s.sqlite3").display());
        testing::lock_contention(&child_cmd(&spec), d.path());
    }

    #[test]
    fn sixteen_processes_no_lost_update() {
        let d = tempfile::tempdir().unwrap();
        let spec = format!("sqlite:{}", d.path().join("s.sqlite3").display());
        testing::concurrent_updates(&child_cmd(&spec), &|| open(&spec));
    }

    #[test]
    fn crash_consistency() {
        let d = tempfile::tempdir().unwrap();
        let spec = format!("sqlite:{}", d.path().join("s.sqlite3").display());
        testing::crash_consistency(
            &child_cmd(&spec),
            &|| open(&spec),
            QUICK_INTERRUPTED_SAVES,
            QUICK_BUDGET,
        );
    }
}

#[cfg(feature = "keyring")]
mod keyring {
    use super::*;

    /// The spec of a reachable backend; fails when it cannot be reached (these tests are
    /// `#[ignore]`d and run by the keyring CI stage, under with-keyring.sh).
    fn reachable(kind: &str, dir: &Path) -> String {
        if let Err(e) = keyring_store(kind, dir).probe() {
            panic!("{kind} unreachable: {e} (run under crates/storage/scripts/with-keyring.sh)")
        }
        format!("{kind}:{}", dir.display())
    }

    fn cleanup(spec: &str) {
        let s = open(spec);
        for p in s.list().unwrap_or_default() {
            let _ = s.delete(&p);
        }
    }

    fn suite(kind: &str) {
        let d = tempfile::tempdir().unwrap();
        let spec = reachable(kind, d.path());
        testing::conformance(&|| open(&spec));
        cleanup(&spec);
        testing::lock_contention(&child_cmd(&spec), d.path());
        // Secret Service round trips are slow (a D-Bus session and key exchange per item).
        let iters = if kind == "keyring-ss" { 2 } else { 10 };
        let t = std::time::Instant::now();
        testing::concurrent_updates_n(&child_cmd(&spec), &|| open(&spec), 16, iters);
        eprintln!(
            "{kind}: 16 processes x {iters} updates in {:?}",
            t.elapsed()
        );
        cleanup(&spec);
        let s = keyring_store(kind, d.path());
        let _ = s.delete(tapis_auth_storage::keyring_store::INDEX_ACCOUNT);
    }

    #[test]
    #[ignore = "needs a Secret Service: run by scripts/test-all.sh's keyring stage (with-keyring.sh)"]
    fn secret_service_conformance() {
        suite("keyring-ss");
    }

    #[test]
    #[ignore = "needs a kernel keyring session: run by scripts/test-all.sh's keyring stage (with-keyring.sh)"]
    fn kernel_keyring_conformance() {
        suite("keyring-kernel");
    }

    #[test]
    fn unreachable_secret_service_says_so() {
        // Point D-Bus at nothing (in a child process: the variable is process-wide): the error
        // must say the keyring is unavailable and suggest a fallback.
        if std::env::var_os("UNREACHABLE_SS_CHILD").is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "keyring::unreachable_secret_service_says_so",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("UNREACHABLE_SS_CHILD", "1")
                .env(
                    "DBUS_SESSION_BUS_ADDRESS",
                    "unix:path=/nonexistent/tapis-auth-test-bus",
                )
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{text}");
            assert!(text.contains("1 passed"), "{text}");
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let e = keyring_store("keyring-ss", d.path())
            .probe()
            .unwrap_err()
            .to_string();
        assert!(e.contains("--store json"), "{e}");
    }
}

/// The crash campaign (`scripts/campaign.sh`): SIGKILLs of a writer until `CAMPAIGN_CYCLES`
/// (default 1000) kills have landed inside a save, while `CAMPAIGN_READERS` (default 4)
/// processes read continuously. Prints one `CAMPAIGN` line with the real counts.
#[cfg(any(feature = "json", feature = "sqlite"))]
fn campaign(spec: &str, scratch: &Path) {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let cycles = env("CAMPAIGN_CYCLES", 1000) as u32;
    let readers = env("CAMPAIGN_READERS", 4) as usize;
    let report = testing::crash_campaign(
        &child_cmd(spec),
        &|| open(spec),
        scratch,
        cycles,
        readers,
        Duration::from_secs(1800),
    );
    assert!(report.interrupted_saves >= cycles, "{report}");
    let kind = spec.split(':').next().unwrap_or(spec);
    println!("CAMPAIGN {kind}: {report}");
}

#[cfg(feature = "json")]
#[test]
#[ignore = "long campaign: run with scripts/campaign.sh"]
fn campaign_json() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("cache");
    campaign(&format!("json:{}", dir.display()), d.path());
}

#[cfg(feature = "sqlite")]
#[test]
#[ignore = "long campaign: run with scripts/campaign.sh"]
fn campaign_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("s.db");
    campaign(&format!("sqlite:{}", db.display()), d.path());
}
