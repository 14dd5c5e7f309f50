//! Environment profiles: `EnvStore::from_map` (and `EnvStore::build` with WLCG bearer-token
//! discovery) over fuzzed values of every variable the store reads. Input: segments separated
//! by 0xFF; a segment's first byte picks the variable, the rest is its value (lossy UTF-8, as
//! an environment snapshot would hold it).
//!
//! Invariants beyond "no panic":
//! - no error, and neither the store's nor the session's `Debug`, contains the value of a
//!   secret variable (token, refresh token, client key, password, bearer token);
//! - the store is read-only: `save` and `delete` fail with `StoreError::ReadOnly`;
//! - `load` of the profile returns exactly `session()`; an explicit `TAPIS_PLATFORM` wins;
//! - the reported `EnvProfile` matches the session (e.g. `Standard` has a confidential client,
//!   a username and a password and no tokens).
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::{Platform, Store, StoreError};
use tapis_auth_storage::env::{EnvOptions, EnvProfile, EnvStore};

/// Every variable the store reads (not `BEARER_TOKEN_FILE` / `XDG_RUNTIME_DIR`: they name
/// files, and a fuzzed path could be `/dev/zero`); `true` marks secrets.
const VARS: [(&str, bool); 17] = [
    ("TAPIS_BASE_URL", false),
    ("TAPIS_TOKEN", true),
    ("TAPIS_API_TOKEN", true),
    ("TAPIS_REFRESH_TOKEN", true),
    ("TAPIS_API_REFRESH_TOKEN", true),
    ("TAPIS_CLIENT_ID", false),
    ("TAPIS_API_KEY", false),
    ("TAPIS_CLIENT_KEY", true),
    ("TAPIS_API_SECRET", true),
    ("TAPIS_USERNAME", false),
    ("TAPIS_API_USERNAME", false),
    ("TAPIS_PASSWORD", true),
    ("TAPIS_API_PASSWORD", true),
    ("TAPIS_TENANT_ID", false),
    ("TAPIS_PLATFORM", false),
    ("BEARER_TOKEN", true),
    ("TAPIS_BASE_URL", false),
];

fuzz_target!(|data: &[u8]| {
    let mut vars = HashMap::new();
    for seg in data.split(|b| *b == 0xFF) {
        let Some((sel, value)) = seg.split_first() else {
            continue;
        };
        let (name, _) = VARS[usize::from(*sel) % VARS.len()];
        vars.insert(name.to_string(), String::from_utf8_lossy(value).into_owned());
    }
    let wlcg = data.first().is_some_and(|b| b & 0x80 != 0);
    let result = if wlcg {
        let lookup = |k: &str| vars.get(k).cloned();
        let options = EnvOptions {
            wlcg_discovery: true,
            // A uid with no `/tmp/bt_u<uid>` file.
            euid: Some(3_999_999_999),
            ..Default::default()
        };
        EnvStore::build(&lookup, options)
    } else {
        EnvStore::from_map(&vars)
    };

    // Secret values that cannot appear in fixed text or in a non-secret variable by chance.
    let public: Vec<&String> = VARS
        .iter()
        .filter(|(_, secret)| !secret)
        .filter_map(|(n, _)| vars.get(*n))
        .collect();
    let secrets: Vec<&String> = VARS
        .iter()
        .filter(|(_, secret)| *secret)
        .filter_map(|(n, _)| vars.get(*n))
        .filter(|v| looks_secret(v) && !public.iter().any(|p| p.contains(v.as_str())))
        .collect();
    let clean = |text: &str, what: &str| {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} leaks a secret variable: {text}");
        }
    };

    let store = match result {
        Ok(store) => store,
        Err(e) => {
            clean(&e.to_string(), "error Display");
            clean(&format!("{e:?}"), "error Debug");
            return;
        }
    };
    clean(&format!("{store:?}"), "EnvStore Debug");
    assert!(!store.is_writable());
    let loaded = store.load("default").expect("load never fails");
    assert_eq!(loaded.as_ref(), store.session());
    let Some(s) = loaded else {
        assert!(store.profile_kind().is_none());
        return;
    };
    clean(&format!("{s:?}"), "Session Debug");
    assert!(matches!(store.save(&s), Err(StoreError::ReadOnly(_))));
    assert!(matches!(store.delete("default"), Err(StoreError::ReadOnly(_))));
    if let Some(p) = vars.get("TAPIS_PLATFORM").filter(|p| !p.trim().is_empty()) {
        assert_eq!(Ok(s.tenant.platform), Platform::parse(p).map_err(|_| ()));
    }
    let confidential = s.client.as_ref().is_some_and(|c| c.is_confidential());
    match store.profile_kind().expect("a session has a kind") {
        EnvProfile::Standard => {
            assert!(confidential && s.username.is_some() && s.password.is_some());
            assert!(s.tokens.is_none());
        }
        EnvProfile::AccessOnly => {
            assert!(s.client.is_none());
            let t = s.tokens.as_ref().expect("AccessOnly has a token");
            assert!(!t.access_token.is_empty() && t.refresh_token.is_none());
        }
        EnvProfile::TokenRefresh => {
            assert!(confidential && s.refresh_token().is_some());
        }
        EnvProfile::BareRefresh => {
            assert!(s.client.is_none() && s.refresh_token().is_some());
        }
        EnvProfile::ClientManager => {
            assert!(s.client.is_none() && s.username.is_some() && s.password.is_some());
        }
        EnvProfile::Other => {}
    }
});

/// At least 8 characters with an upper-case letter, a lower-case letter and a digit.
fn looks_secret(v: &str) -> bool {
    v.trim().len() >= 8
        && v.chars().any(|c| c.is_ascii_uppercase())
        && v.chars().any(|c| c.is_ascii_lowercase())
        && v.chars().any(|c| c.is_ascii_digit())
}
