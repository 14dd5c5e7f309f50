//! The legacy agavepy `.agpy` file (a JSON list of client objects), imported read-only through
//! `JsonStore::import_agpy`, as an old agavepy or a damaged disk may have left it.
//! Invariants: never a panic; bytes that are not JSON are `StoreError::Corrupt` naming the
//! file; the file is never changed; imported sessions are named `agpy-<index>`, in order, and
//! their Debug output never shows a token or key from the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::StoreError;
use tapis_auth_storage::JsonStore;

fuzz_target!(|data: &[u8]| {
    use std::sync::OnceLock;
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| tapis_auth_fuzz::scratch_dir("agpy_import"));
    let path = dir.join(".agpy");
    std::fs::write(&path, data).expect("write fuzzed file");
    let result = JsonStore::import_agpy(&path);
    assert_eq!(std::fs::read(&path).unwrap(), data, "import changed the file");
    match result {
        Ok(sessions) => {
            let mut last = None;
            for s in &sessions {
                let i: usize = s
                    .profile
                    .strip_prefix("agpy-")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("profile name {:?}", s.profile));
                assert!(last.is_none_or(|l| i > l), "profiles out of order");
                last = Some(i);
                let debug = format!("{s:?}");
                // A secret that also occurs inside a field printed on purpose (tenant id,
                // username, URL, client id) is not a leak of the secret.
                let public = format!(
                    "{:?} {:?} {} {:?} {:?}",
                    s.profile,
                    s.username,
                    s.tenant.base_url,
                    s.tenant.id,
                    s.client.as_ref().map(|c| (&c.id, &c.name))
                );
                let leaks = |secret: &str| {
                    secret.len() >= 4 && !public.contains(secret) && debug.contains(secret)
                };
                if let Some(t) = &s.tokens {
                    assert!(!leaks(t.access_token.expose()), "access token in Debug");
                    if let Some(r) = &t.refresh_token {
                        assert!(!leaks(r.expose()), "refresh token in Debug");
                    }
                }
                if let Some(k) = s.client.as_ref().and_then(|c| c.key.as_ref()) {
                    assert!(!leaks(k.expose()), "client key in Debug");
                }
            }
        }
        Err(StoreError::Corrupt { path: p, .. }) => assert_eq!(p, path),
        Err(StoreError::Invalid(m)) => assert!(m.contains(".agpy"), "{m}"),
        Err(e) => panic!("unexpected error kind: {e:?}"),
    }
    if serde_json::from_slice::<serde_json::Value>(data).is_err() {
        assert!(matches!(
            JsonStore::import_agpy(&path),
            Err(StoreError::Corrupt { .. })
        ));
    }
});
