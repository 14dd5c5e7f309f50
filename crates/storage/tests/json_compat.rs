//! The JSON store against the verbatim cache files of agavepy 0.9.5, agavepy 1.0 / tapis-cli and
//! the bash CLI (fixtures copied from the compatibility reference).
#![cfg(feature = "json")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;
use tapis_auth_core::{Platform, Store, UnixTime};
use tapis_auth_storage::JsonStore;

/// The bash CLI's key set (`current` and agavepy 0.9.5's `load_configs()`), every one a string.
const CLI_KEYS: [&str; 10] = [
    "tenantid",
    "baseurl",
    "apikey",
    "apisecret",
    "username",
    "access_token",
    "refresh_token",
    "created_at",
    "expires_in",
    "expires_at",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn with_current(bytes: &[u8]) -> (tempfile::TempDir, JsonStore) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("current"), bytes).unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    (d, s)
}

#[test]
fn bash_cli_current_all_strings_with_trailing_newline() {
    let (_d, s) = with_current(&fixture("current_bash_cli.json"));
    assert_eq!(s.list().unwrap(), vec!["default"]);
    assert_eq!(s.current_profile().unwrap().as_deref(), Some("default"));
    let x = s.load("default").unwrap().unwrap();
    assert_eq!(x.platform(), Platform::AgaveV2);
    assert_eq!(x.tenant.id.as_deref(), Some("iplantc.org"));
    assert_eq!(x.tenant.base_url.as_str(), "https://agave.iplantc.org");
    assert_eq!(x.username.as_deref(), Some("urrutia"));
    let c = x.client.as_ref().unwrap();
    assert_eq!(c.id, "CkbfA7nes6aCac2ygyAfLMLI0IYa");
    assert_eq!(
        c.key.as_ref().unwrap().expose(),
        "zXsxx5pJYxDGyzOIOzj14Axk7l0a"
    );
    let t = x.tokens.as_ref().unwrap();
    assert_eq!(t.access_token.expose(), "fb5126cba3fdad20e532c2545eced");
    assert_eq!(
        t.refresh_token.as_ref().unwrap().expose(),
        "206f62e1ec40f5e16bcf36b24b2c4657"
    );
    assert_eq!(t.expires_at, Some(UnixTime(1569422581 + 14400)));
    assert_eq!(t.issued_at, Some(UnixTime(1569422581)));
}

#[test]
fn agavepy_current_variants() {
    for (name, created, ttl, url) in [
        (
            "current_agavepy095_save_configs.json",
            1795324327,
            14400,
            "https://127.0.0.1",
        ),
        (
            "current_agavepy095_write_client.json",
            1795324340,
            14400,
            "https://127.0.0.1",
        ),
        (
            "current_agavepy10_write_client.json",
            1795324301,
            3600,
            "https://127.0.0.1",
        ),
    ] {
        let (_d, s) = with_current(&fixture(name));
        let x = s
            .load("default")
            .unwrap()
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(x.tenant.base_url.as_str(), url, "{name}");
        assert_eq!(x.tenant.id.as_deref(), Some("tacc.prod"), "{name}");
        let t = x.tokens.unwrap();
        assert_eq!(
            t.expires_at,
            Some(UnixTime(created + ttl)),
            "{name}: never parse expires_at"
        );
        assert!(t.refresh_token.is_some(), "{name}");
    }
}

#[test]
fn list_wrapped_float_strings_and_agavepy_names() {
    let (_d, s) = with_current(br#"[{"api_server": "https://h.example/", "token": "tok", "api_key": "k", "api_secret": "s", "created_at": "100.9", "expires_in": 50.0, "username": "u", "tenant_id": "t"}]"#);
    let x = s.load("default").unwrap().unwrap();
    assert_eq!(x.tokens.as_ref().unwrap().access_token.expose(), "tok");
    assert_eq!(x.tokens.as_ref().unwrap().expires_at, Some(UnixTime(150)));
    assert_eq!(
        x.client.as_ref().unwrap().key.as_ref().unwrap().expose(),
        "s"
    );
    assert_eq!(x.tenant.id.as_deref(), Some("t"));
}

#[test]
fn revoked_and_tenants_init_files_have_no_tokens() {
    let (_d, s) = with_current(br#"{"tenantid":"tacc.prod","baseurl":"https://api.tacc.utexas.edu","devurl":"","apisecret":"","apikey":"","username":"u","access_token":"","refresh_token":"","created_at":"","expires_in":"","expires_at":""}"#);
    let x = s.load("default").unwrap().unwrap();
    assert!(x.tokens.is_none() && x.client.is_none());
    let (_d, s) = with_current(br#"{"baseurl":"https://x.example","access_token":"a","created_at":null,"expires_in":null,"tenantid":null}"#);
    let x = s.load("default").unwrap().unwrap();
    assert_eq!(x.tokens.unwrap().expires_at, None, "unknown expiry");
    assert_eq!(x.tenant.id, None);
}

#[test]
fn agavepy_config_json_layouts_are_kept_on_write() {
    for name in ["config_agavepy095.json", "config_agavepy10.json"] {
        let d = tempfile::tempdir().unwrap();
        let original: Value = serde_json::from_slice(&fixture(name)).unwrap();
        std::fs::write(d.path().join("config.json"), fixture(name)).unwrap();
        let s = JsonStore::open(d.path()).unwrap();
        let foreign = s.list().unwrap();
        assert!(
            !foreign.is_empty() && foreign.iter().all(|p| p.starts_with("agavepy:")),
            "{name}: the other tool's sessions are listed by their keys: {foreign:?}"
        );
        s.save(&tapis_auth_storage_sample("mine")).unwrap();
        let after: Value =
            serde_json::from_slice(&std::fs::read(d.path().join("config.json")).unwrap()).unwrap();
        // Every original top-level key and every original slot is unchanged.
        for (k, v) in original.as_object().unwrap() {
            if k == "sessions" {
                for (tk, users) in v.as_object().unwrap() {
                    for (uk, clients) in users.as_object().unwrap() {
                        for (ck, ctx) in clients.as_object().unwrap() {
                            assert_eq!(
                                &after["sessions"][tk][uk][ck], ctx,
                                "{name}: slot {tk}/{uk}/{ck} changed"
                            );
                        }
                    }
                }
            } else {
                assert_eq!(&after[k], v, "{name}: top-level {k} changed");
            }
        }
        let mut want = foreign.clone();
        want.push("mine".into());
        want.sort();
        assert_eq!(s.list().unwrap(), want);
    }
}

/// A session agavepy or tapis-cli left in `config.json` is the profile
/// `agavepy:<tenant>/<user>/<client>`: it loads, and saving it (after a refresh, say) updates
/// the same slot in place, keeping the keys only the other tool knows.
#[test]
fn foreign_config_json_sessions_are_profiles() {
    for (name, profile, key) in [
        (
            "config_agavepy10.json",
            "agavepy:tacc.prod/u/K",
            ["tacc.prod", "u", "K"],
        ),
        (
            "config_agavepy095.json",
            "agavepy:tacc.prod/testuser/myclient",
            ["tacc.prod", "testuser", "myclient"],
        ),
    ] {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("config.json"), fixture(name)).unwrap();
        let s = JsonStore::open(d.path()).unwrap();
        assert!(s.list().unwrap().contains(&profile.to_string()), "{name}");
        let mut x = s.load(profile).unwrap().expect(profile);
        assert_eq!(x.profile, profile);
        assert!(x.tokens.is_some() && x.client.is_some(), "{name}");
        let before: Value =
            serde_json::from_slice(&std::fs::read(d.path().join("config.json")).unwrap()).unwrap();
        let old_slot = before["sessions"][key[0]][key[1]][key[2]].clone();
        // A refresh rotates the tokens; the save lands in the same slot.
        let t = x.tokens.as_mut().unwrap();
        t.access_token = tapis_auth_core::Secret::new("rotated-access");
        s.save(&x).unwrap();
        let after: Value =
            serde_json::from_slice(&std::fs::read(d.path().join("config.json")).unwrap()).unwrap();
        let slot = &after["sessions"][key[0]][key[1]][key[2]];
        assert_eq!(slot["access_token"], "rotated-access", "{name}: {after}");
        assert_eq!(slot["tapis_profile"], profile, "{name}");
        for (k, v) in old_slot.as_object().unwrap() {
            if k == "baseurl" {
                // Normalised (no trailing slash): the same URL to every reader.
                let strip = |v: &Value| v.as_str().unwrap().trim_end_matches('/').to_owned();
                assert_eq!(strip(&slot[k]), strip(v), "{name}");
            } else if !["access_token", "expires_at", "expires_in", "created_at"]
                .contains(&k.as_str())
            {
                assert_eq!(&slot[k], v, "{name}: key {k} changed");
            }
        }
        assert_eq!(
            s.load(profile)
                .unwrap()
                .unwrap()
                .tokens
                .unwrap()
                .access_token
                .expose(),
            "rotated-access"
        );
        assert_eq!(
            s.list().unwrap().iter().filter(|p| *p == profile).count(),
            1,
            "{name}: one profile, one slot"
        );
    }
}

fn tapis_auth_storage_sample(profile: &str) -> tapis_auth_core::Session {
    use tapis_auth_core::*;
    let mut s = Session::new(
        profile,
        Tenant::new(
            BaseUrl::parse("https://tacc.tapis.io").unwrap(),
            Platform::TapisV3,
        )
        .with_id("tacc"),
    );
    s.username = Some("jdoe".into());
    s.client = Some(OAuthClient::new("cid", "ckey"));
    s.tokens = Some(TokenSet::new(
        UnixTime(1000),
        Secret::new("eyJ.a.b"),
        Some(Secret::new("eyJ.r.b")),
        Some(14400),
    ));
    s
}

fn v2_sample(profile: &str) -> tapis_auth_core::Session {
    use tapis_auth_core::*;
    let mut s = Session::new(
        profile,
        Tenant::new(
            BaseUrl::parse("https://api.tacc.utexas.edu").unwrap(),
            Platform::AgaveV2,
        )
        .with_id("tacc.prod"),
    );
    s.username = Some("u".into());
    s.client = Some(OAuthClient::new("K", "S"));
    s.tokens = Some(TokenSet::new(
        UnixTime(1795324301),
        Secret::new("access1"),
        Some(Secret::new("refresh1")),
        Some(14400),
    ));
    s.password = Some(Secret::new("do-not-write-me"));
    s
}

#[test]
fn duplicate_keys_last_wins() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config.json"),
        br#"{"sessions": {"null": {"u": {"k": {"tapis_profile": "p", "baseurl": "https://old.example", "tapis_profile": "p"}}}, "null": {"u": {"k": {"tapis_profile": "p", "baseurl": "https://new.example"}}}}}"#,
    )
    .unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    assert_eq!(
        s.load("p").unwrap().unwrap().tenant.base_url.as_str(),
        "https://new.example"
    );
}

#[test]
fn v2_sessions_are_mirrored_into_current_v3_never() {
    let d = tempfile::tempdir().unwrap();
    // Start from a bash CLI file: its devurl must survive, proxies must not be written.
    std::fs::write(d.path().join("current"), br#"{"baseurl":"https://api.tacc.utexas.edu","devurl":"https://dev","verify":false,"proxies":{"https":"http://proxy:3128"},"apikey":"K"}"#).unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    s.save(&v2_sample("default")).unwrap();
    let text = std::fs::read_to_string(d.path().join("current")).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    for k in CLI_KEYS {
        assert!(v[k].is_string(), "{k} must be a string: {text}");
    }
    assert_eq!(v["created_at"], "1795324301");
    assert_eq!(v["expires_in"], "14400");
    assert_eq!(v["devurl"], "https://dev");
    assert_eq!(v["verify"], false);
    assert!(
        v.get("proxies").is_none() && v.get("password").is_none(),
        "{text}"
    );
    assert!(!std::fs::read_to_string(d.path().join("config.json"))
        .unwrap()
        .contains("do-not-write-me"));
    // A v3 session, even when current, never goes into `current`.
    let mut v3 = tapis_auth_storage_sample("default");
    v3.profile = "default".into();
    s.save(&v3).unwrap();
    assert_eq!(
        std::fs::read_to_string(d.path().join("current")).unwrap(),
        text
    );
    s.set_current_profile("default").unwrap();
    assert_eq!(
        std::fs::read_to_string(d.path().join("current")).unwrap(),
        text
    );
}

/// Adoption by identity, not timestamp: `current` read mid-save (before this library's own
/// save replaced it, then `config.json` after) holds an older refresh token of ours with the
/// same `created_at` second; it is never taken for a newer write of another tool. The same
/// second from agavepy (a refresh token never seen) is.
#[test]
fn an_older_current_of_ours_in_the_same_second_is_not_adopted() {
    let d = tempfile::tempdir().unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    s.save(&v2_sample("v2")).unwrap();
    let old_current = std::fs::read(d.path().join("current")).unwrap();
    // The next refresh, in the same second (created_at unchanged).
    let mut next = v2_sample("v2");
    let t = next.tokens.as_mut().unwrap();
    t.access_token = "access2".into();
    t.refresh_token = Some("refresh2".into());
    s.save(&next).unwrap();
    // A reader that read `current` before that save and `config.json` after it.
    std::fs::write(d.path().join("current"), &old_current).unwrap();
    let x = s.load("v2").unwrap().unwrap();
    assert_eq!(x.refresh_token().unwrap().expose(), "refresh2");
    // agavepy refreshing in that same second writes a refresh token never seen: adopted.
    let mut v: Value = serde_json::from_slice(&old_current).unwrap();
    v["access_token"] = "access3".into();
    v["refresh_token"] = "refresh3".into();
    std::fs::write(d.path().join("current"), serde_json::to_vec(&v).unwrap()).unwrap();
    let x = s.load("v2").unwrap().unwrap();
    assert_eq!(x.refresh_token().unwrap().expose(), "refresh3");
}

#[test]
fn newer_tokens_written_by_agavepy_into_current_are_adopted() {
    let d = tempfile::tempdir().unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    s.save(&v2_sample("v2")).unwrap();
    // agavepy 0.9.5 classic refreshes and rewrites only `current`.
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("current")).unwrap()).unwrap();
    v["access_token"] = "access2".into();
    v["refresh_token"] = "refresh2".into();
    v["created_at"] = 1795324999.into();
    std::fs::write(d.path().join("current"), serde_json::to_vec(&v).unwrap()).unwrap();
    let x = s.load("v2").unwrap().unwrap();
    assert_eq!(x.refresh_token().unwrap().expose(), "refresh2");
}

#[test]
fn loose_modes_are_tightened_and_reported_once() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("c");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("config.json"), b"{}").unwrap();
    std::fs::set_permissions(
        dir.join("config.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let s = JsonStore::open(&dir).unwrap();
    s.save(&tapis_auth_storage_sample("a")).unwrap();
    let w = s.warnings();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w.iter()
            .any(|x| x.contains("config.json") && x.contains("644")),
        "{w:?}"
    );
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        std::fs::metadata(dir.join("config.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    s.save(&tapis_auth_storage_sample("a")).unwrap();
    assert!(s.warnings().is_empty());

    // A `current` others can read (v2 secrets) is made private by a save that only rewrites
    // config.json, and reported.
    std::fs::write(dir.join("current"), br#"{"access_token":"v2-secret"}"#).unwrap();
    std::fs::set_permissions(dir.join("current"), std::fs::Permissions::from_mode(0o644)).unwrap();
    s.save(&tapis_auth_storage_sample("a")).unwrap();
    let w = s.warnings();
    assert!(
        w.len() == 1 && w[0].contains("current") && w[0].contains("644"),
        "{w:?}"
    );
    assert_eq!(
        std::fs::metadata(dir.join("current"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

#[test]
fn reads_create_nothing_and_a_file_is_not_a_directory() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("missing");
    let s = JsonStore::open(&dir).unwrap();
    assert_eq!(s.load("x").unwrap(), None);
    assert!(s.list().unwrap().is_empty());
    assert!(!dir.exists());
    let f = d.path().join("file");
    std::fs::write(&f, b"").unwrap();
    let e = JsonStore::open(&f).unwrap_err().to_string();
    assert!(e.contains("not a directory"), "{e}");
}

#[test]
fn move_aside_then_save_works() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("config.json"), b"{oops").unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    assert!(s.save(&tapis_auth_storage_sample("a")).is_err());
    let moved = tapis_auth_storage::move_aside(s.config_path()).unwrap();
    assert_eq!(std::fs::read(moved).unwrap(), b"{oops");
    s.save(&tapis_auth_storage_sample("a")).unwrap();
    assert_eq!(s.list().unwrap(), vec!["a"]);
}

#[test]
fn legacy_agpy_import() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(".agpy");
    std::fs::write(&p, br#"[{"token": "t", "refresh_token": "r", "api_server": "https://api.tacc.utexas.edu", "tenant_id": "tacc.prod", "api_key": "k", "api_secret": "s", "username": "u", "created_at": 10, "expires_in": 5, "proxies": {}}]"#).unwrap();
    let v = JsonStore::import_agpy(&p).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].tokens.as_ref().unwrap().expires_at, Some(UnixTime(15)));
}

/// A `current` whose record is valid JSON but not a usable session (a base URL without a
/// scheme) is reported as corrupt, naming the file and the reason, and kept.
#[test]
fn unusable_record_in_current_is_corrupt_and_kept() {
    let d = tempfile::tempdir().unwrap();
    let bytes = br#"{"baseurl": "api.tacc.utexas.edu", "tenantid": "tacc.prod", "access_token": "x", "username": "u"}"#;
    std::fs::write(d.path().join("current"), bytes).unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    match s.list() {
        Err(tapis_auth_core::StoreError::Corrupt { path, reason, .. }) => {
            assert_eq!(path, d.path().join("current"));
            assert!(reason.contains("api.tacc.utexas.edu"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Saving a v3 profile (which never goes into `current`) leaves the file as it is.
    s.save(&tapis_auth_storage_sample("a")).unwrap();
    assert_eq!(std::fs::read(d.path().join("current")).unwrap(), bytes);
}

/// An agavepy 0.9.5 slot (keyed by client name, no `client_name` field) that is also the
/// session mirrored into `current` keeps its client name on load, so a save after a refresh
/// lands in the same slot instead of moving it under the client id.
#[test]
fn mirrored_agavepy095_slot_keeps_its_key_on_save() {
    let profile = "agavepy:tacc.prod/testuser/myclient";
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config.json"),
        fixture("config_agavepy095.json"),
    )
    .unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    s.set_current_profile(profile).unwrap();
    let mut x = s.load(profile).unwrap().expect(profile);
    assert_eq!(x.client.as_ref().unwrap().name.as_deref(), Some("myclient"));
    x.tokens.as_mut().unwrap().access_token = tapis_auth_core::Secret::new("rotated-access");
    s.save(&x).unwrap();
    let after: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("config.json")).unwrap()).unwrap();
    let users = &after["sessions"]["tacc.prod"]["testuser"];
    assert_eq!(
        users["myclient"]["access_token"], "rotated-access",
        "{after}"
    );
    assert!(users.get("KEY_myclient").is_none(), "{after}");
    // 0.9.5's current entry (otherclient) was about to be replaced: it was first kept where
    // agavepy 0.9.5 itself moves it, and now its `current` is myclient.
    assert_eq!(
        users["otherclient"]["refresh_token"], "refresh0005",
        "{after}"
    );
    assert_eq!(
        after["current"]["myclient"]["access_token"], "rotated-access",
        "{after}"
    );
    assert_eq!(
        s.list().unwrap(),
        vec![
            profile.to_string(),
            "agavepy:tacc.prod/testuser/otherclient".to_string()
        ]
    );
}

/// Two profiles of one unnamed client share a slot key, so the second is stored under
/// `<client id>#<profile>`; that key is not mistaken for a client name (agavepy 0.9.5's
/// keying), so the client loads without a name and saving keeps the file as it was.
#[test]
fn disambiguated_slot_key_is_not_a_client_name() {
    let d = tempfile::tempdir().unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    s.save(&tapis_auth_storage_sample("p1")).unwrap();
    s.save(&tapis_auth_storage_sample("p2")).unwrap();
    let x = s.load("p2").unwrap().unwrap();
    assert_eq!(x.client.as_ref().unwrap().name, None);
    let before = std::fs::read(d.path().join("config.json")).unwrap();
    s.save(&x).unwrap();
    let after = std::fs::read(d.path().join("config.json")).unwrap();
    assert_eq!(
        String::from_utf8(after).unwrap(),
        String::from_utf8(before).unwrap()
    );
}

/// Deleting the profile mirrored into `current` removes `current` only while it still holds
/// that session: a v2 tool (the bash CLI, agavepy) may have written another login there since,
/// which `current` alone keeps.
#[test]
fn delete_keeps_a_current_another_tool_rewrote() {
    let d = tempfile::tempdir().unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    // While it still holds the deleted session (tokens refreshed by agavepy, say), `current`
    // goes with it.
    s.save(&v2_sample("v2")).unwrap();
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("current")).unwrap()).unwrap();
    v["access_token"] = "access2".into();
    std::fs::write(d.path().join("current"), serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(s.delete("v2").unwrap());
    assert!(!d.path().join("current").exists());
    assert!(s.list().unwrap().is_empty());
    // Another login in `current` stays, as the profile it now is.
    s.save(&v2_sample("v2")).unwrap();
    let other = fixture("current_bash_cli.json");
    std::fs::write(d.path().join("current"), &other).unwrap();
    assert!(s.delete("v2").unwrap());
    assert_eq!(std::fs::read(d.path().join("current")).unwrap(), other);
    assert_eq!(s.list().unwrap(), vec!["default".to_string()]);
}

/// A login only `current` holds (a bash CLI or agavepy user's) is the profile `default`; making
/// another v2 profile current (its first save, or set_current_profile) rewrites `current`, so
/// that login is first kept in `config.json` instead of being lost.
#[test]
fn a_login_only_current_holds_survives_another_v2_profile_becoming_current() {
    for via_set_current in [false, true] {
        let (d, s) = with_current(&fixture("current_bash_cli.json"));
        let before = s.load("default").unwrap().unwrap();
        if via_set_current {
            s.set_current_profile("default").unwrap();
            let mut x = v2_sample("work");
            x.password = None;
            s.save(&x).unwrap();
            s.set_current_profile("work").unwrap();
        } else {
            s.save(&v2_sample("work")).unwrap();
        }
        let cur: Value =
            serde_json::from_slice(&std::fs::read(d.path().join("current")).unwrap()).unwrap();
        assert_eq!(cur["access_token"], "access1", "work is in current now");
        let kept = s.load("default").unwrap().expect("default was lost");
        assert_eq!(
            kept.refresh_token().unwrap().expose(),
            before.refresh_token().unwrap().expose()
        );
        assert_eq!(
            s.list().unwrap(),
            vec!["default".to_string(), "work".to_string()]
        );
    }
}

/// Every record holding one login, as the issue's tools left them after agavepy 0.9.5's first
/// `save_configs()`: the `sessions` slot and `current` entry keyed by client name, and the
/// `current` file.
fn agavepy095_first_save(d: &Path) {
    let ctx = serde_json::json!({
        "tenantid": "tacc.prod", "baseurl": "https://api.tacc.utexas.edu", "devurl": "",
        "apisecret": "S", "apikey": "K", "username": "u", "access_token": "a0",
        "refresh_token": "r0", "created_at": "1795324327", "expires_in": 14400,
        "expires_at": "Sun Nov 22 03:12:07 CST 2026"});
    let cfg = serde_json::json!({"current": {"mine": ctx},
                                 "sessions": {"tacc.prod": {"u": {"mine": ctx}}}});
    std::fs::write(
        d.join("config.json"),
        serde_json::to_vec_pretty(&cfg).unwrap(),
    )
    .unwrap();
    std::fs::write(d.join("current"), serde_json::to_vec(&ctx).unwrap()).unwrap();
}

fn json_at(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// One login is one profile, whichever records hold it; a save after a refresh writes the new
/// tokens into every one of them (the slot agavepy 0.9.5 reads back with `load_configs()`
/// included), so no copy of the spent single-use refresh token is left, and no second slot
/// keyed by the api key appears.
#[test]
fn a_refresh_updates_every_record_of_the_login() {
    let d = tempfile::tempdir().unwrap();
    agavepy095_first_save(d.path());
    let s = JsonStore::open(d.path()).unwrap();
    let p = "agavepy:tacc.prod/u/mine";
    assert_eq!(s.list().unwrap(), vec![p]);
    assert_eq!(s.current_profile().unwrap().as_deref(), Some(p));
    let mut x = s.load(p).unwrap().unwrap();
    assert_eq!(x.client.as_ref().unwrap().name.as_deref(), Some("mine"));
    let t = x.tokens.as_mut().unwrap();
    t.access_token = tapis_auth_core::Secret::new("a1");
    t.refresh_token = Some(tapis_auth_core::Secret::new("r1"));
    t.issued_at = Some(UnixTime(1795330000));
    s.save(&x).unwrap();
    let cfg = json_at(&d.path().join("config.json"));
    let cur = json_at(&d.path().join("current"));
    for (what, rec) in [
        ("slot", &cfg["sessions"]["tacc.prod"]["u"]["mine"]),
        ("0.9.5 current entry", &cfg["current"]["mine"]),
        ("current file", &cur),
    ] {
        assert_eq!(rec["refresh_token"], "r1", "{what}: {cfg} {cur}");
        assert_eq!(rec["access_token"], "a1", "{what}");
        assert_eq!(rec["tenantid"], "tacc.prod", "{what}");
    }
    assert_eq!(
        cfg["sessions"]["tacc.prod"]["u"].as_object().unwrap().len(),
        1,
        "{cfg}"
    );
    assert_eq!(cfg["current"].as_object().unwrap().len(), 1, "{cfg}");
    assert_eq!(s.list().unwrap(), vec![p]);
}

/// agavepy 0.9.5's `load_configs()` reads config.json's top-level `current` and its
/// `save_configs()` needs it: saving the current v2 profile writes it, keyed like the slot.
#[test]
fn the_current_v2_profile_is_agavepy095s_current_entry() {
    let d = tempfile::tempdir().unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    s.save(&v2_sample("work")).unwrap();
    let cfg = json_at(&d.path().join("config.json"));
    let entry = &cfg["current"]["K"];
    for k in CLI_KEYS {
        assert!(entry[k].is_string(), "{k}: {cfg}");
    }
    assert_eq!(entry["refresh_token"], "refresh1");
    assert!(entry.get("password").is_none());
    // Its keys land exactly on our slot when 0.9.5 moves it there, so it keeps the profile.
    assert_eq!(entry["tapis_profile"], "work");
    assert_eq!(
        cfg["sessions"]["tacc.prod"]["u"]["K"]["refresh_token"],
        "refresh1"
    );
    // A v3 profile never becomes 0.9.5's current session (a v2 client).
    s.save(&tapis_auth_storage_sample("v3")).unwrap();
    s.set_current_profile("v3").unwrap();
    assert_eq!(
        json_at(&d.path().join("config.json"))["current"],
        cfg["current"]
    );
}

/// A `current` another tool wrote as a list (agavepy accepts one) stays a list: its first
/// element is updated, the others are kept.
#[test]
fn a_list_form_current_stays_a_list() {
    let (d, s) = with_current(br#"[{"baseurl":"https://api.tacc.utexas.edu","tenantid":"tacc.prod","apikey":"K","apisecret":"S","username":"u","access_token":"a0","refresh_token":"r0","created_at":"1","expires_in":"10","verify":true},{"baseurl":"https://other.example","apikey":"O"}]"#);
    let mut x = s.load("default").unwrap().unwrap();
    x.tokens.as_mut().unwrap().refresh_token = Some(tapis_auth_core::Secret::new("r1"));
    s.save(&x).unwrap();
    let v = json_at(&d.path().join("current"));
    let a = v.as_array().expect("still a list");
    assert_eq!(a.len(), 2, "{v}");
    assert_eq!(a[0]["refresh_token"], "r1");
    assert_eq!(a[0]["verify"], true);
    assert_eq!(a[1]["apikey"], "O");
}

/// agavepy 1.0 / tapis-cli rewrite the slot of the login in `current` without our keys; the
/// slot stays the profile's (claimed in `tapis_auth.slots`) and adopts their newer tokens.
#[test]
fn a_slot_agavepy10_rewrote_stays_the_profiles() {
    let d = tempfile::tempdir().unwrap();
    let s = JsonStore::open(d.path()).unwrap();
    s.save(&v2_sample("work")).unwrap();
    // What 1.0's _write_client leaves after a refresh: both files, no tapis_* keys.
    let theirs = serde_json::json!({"refresh_token": "refresh2", "expires_in": 3600,
        "expires_at": "Sun Nov 22 06:11:41 2026", "created_at": 1795329999, "username": "u",
        "token_username": null, "client_name": null, "use_nonce": false, "verify": true,
        "proxies": {}, "tenantid": "tacc.prod", "apisecret": "S", "apikey": "K",
        "baseurl": "https://api.tacc.utexas.edu", "access_token": "access2"});
    let mut cfg = json_at(&d.path().join("config.json"));
    cfg["sessions"]["tacc.prod"]["u"]["K"] = theirs.clone();
    std::fs::write(
        d.path().join("config.json"),
        serde_json::to_vec(&cfg).unwrap(),
    )
    .unwrap();
    std::fs::write(
        d.path().join("current"),
        serde_json::to_vec(&theirs).unwrap(),
    )
    .unwrap();
    assert_eq!(s.list().unwrap(), vec!["work"]);
    assert_eq!(s.current_profile().unwrap().as_deref(), Some("work"));
    let x = s.load("work").unwrap().unwrap();
    assert_eq!(x.refresh_token().unwrap().expose(), "refresh2");
    s.save(&x).unwrap();
    let cfg = json_at(&d.path().join("config.json"));
    assert_eq!(
        cfg["sessions"]["tacc.prod"]["u"]["K"]["tapis_profile"],
        "work"
    );
    assert_eq!(s.list().unwrap(), vec!["work"]);
}

/// A session whose tenant id is unknown does not blank the one `current` has: the bash CLI
/// refuses a `current` without one ("Please run auth-session-init").
#[test]
fn an_unknown_tenant_id_keeps_the_one_in_current() {
    let (d, s) = with_current(&fixture("current_bash_cli.json"));
    let mut x = s.load("default").unwrap().unwrap();
    x.tenant.id = None;
    s.save(&x).unwrap();
    assert_eq!(
        json_at(&d.path().join("current"))["tenantid"],
        "iplantc.org"
    );
}
