//! The shared conformance suite run against every writable store.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tapis_auth_core::Store;
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
        "keyring-ss" => Arc::new(
            KeyringStore::new(KeyringBackend::SecretService, path)
                .unwrap()
                .with_service("libtapis_auth-test"),
        ),
        #[cfg(feature = "keyring")]
        "keyring-kernel" => Arc::new(
            KeyringStore::new(KeyringBackend::KernelKeyutils, path)
                .unwrap()
                .with_service("libtapis_auth-test"),
        ),
        other => panic!("unknown store spec {other}"),
    }
}

/// Child-process entry point for the multi-process tests (does nothing in a normal run).
#[test]
fn child() {
    testing::child_entry(&open);
}

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
        let store = JsonStore::open(d.path()).unwrap();
        testing::corrupt_file_is_reported(&store, "alpha", &d.path().join("config.json"), b"{\"sessions\": {\n  \"x\": [1,}\n", true);
        // Truncated and empty files too.
        testing::corrupt_file_is_reported(&store, "alpha", &d.path().join("config.json"), b"{\"sessions\": {\"a", true);
        testing::corrupt_file_is_reported(&store, "alpha", &d.path().join("config.json"), b"", true);
    }

    #[test]
    fn corrupt_current_reported_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let store = JsonStore::open(d.path()).unwrap();
        testing::corrupt_file_is_reported(&store, "default", &d.path().join("current"), b"{\"tenantid\":\"x\",", true);
        testing::corrupt_file_is_reported(&store, "default", &d.path().join("current"), b"[]", false);
    }

    #[test]
    fn two_processes_contend_for_the_lock() {
        let d = tempfile::tempdir().unwrap();
        testing::lock_contention(&child_cmd(&format!("json:{}", d.path().display())), d.path());
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
        testing::crash_consistency(&child_cmd(&spec), &|| open(&spec), d.path(), 200, Duration::from_secs(20));
        // No temp file is left behind once a later writer has run.
        open(&spec).save(&testing::sample_v2("crash", 1)).unwrap();
        let left: Vec<_> = std::fs::read_dir(d.path().join("c")).unwrap().flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-")).collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
