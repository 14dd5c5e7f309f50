//! Interoperability with the real agavepy (0.9.5, the release that imports on Python 3.11):
//! files agavepy writes are read by [`JsonStore`], and files [`JsonStore`] writes are restored by
//! `Agave.restore()`. A virtualenv is created under the target directory and agavepy is installed
//! with pip; the tests skip (printing why) only when python3 or the package cannot be had.
#![cfg(feature = "json")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use tapis_auth_core::*;
use tapis_auth_storage::JsonStore;

const SCRIPT: &str = r#"
import json, sys
from agavepy.agave import Agave
mode, d = sys.argv[1], sys.argv[2]
if mode == "restore":
    ag = Agave.restore()
    simple = {k: v for k, v in vars(ag).items() if isinstance(v, (str, int, float, bool, type(None)))}
    print(json.dumps(simple, sort_keys=True))
    ag._write_client()  # the 0.9.5 "classic" rewrite of `current`
elif mode == "save":
    ag = Agave(api_server="https://api.tacc.utexas.edu", api_key="KEY_py", api_secret="SECRET_py",
               username="pyuser", token="accesspy", refresh_token="refreshpy", client_name="pyclient",
               tenant_id="tacc.prod")
    # save_configs() serialises these attributes; after a real login they hold plain values.
    ag.token = "accesspy"; ag.refresh_token = "refreshpy"
    ag.created_at = "1795324327"; ag.expires_in = 14400; ag.expires_at = "Sun Nov 22 03:12:07 CST 2026"
    ag.save_configs(cache_dir=d)
"#;

/// The venv's python, or the reason there is none.
fn python() -> Result<&'static Path, String> {
    static PY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agavepy-0.9.5-venv");
        let py = venv.join("bin/python");
        let ok = |p: &Path| {
            Command::new(p)
                .args(["-c", "import agavepy.agave"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if ok(&py) {
            return Ok(py);
        }
        let out = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .map_err(|e| format!("python3 is not available: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "python3 -m venv failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let out = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "-q",
                "--disable-pip-version-check",
                "agavepy==0.9.5",
            ])
            .output()
            .map_err(|e| format!("pip did not run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "pip could not install agavepy 0.9.5: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            ));
        }
        if !ok(&py) {
            return Err("agavepy 0.9.5 installed but does not import".into());
        }
        Ok(py)
    })
    .as_deref()
    .map_err(Clone::clone)
}

fn run(py: &Path, mode: &str, dir: &Path) -> String {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(py)
        .args(["-c", SCRIPT, mode])
        .arg(dir)
        .env("AGAVE_CACHE_DIR", dir)
        .env("HOME", &home)
        .env_remove("TAPIS_CACHE_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "agavepy {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

macro_rules! python_or_skip {
    () => {
        match python() {
            Ok(p) => p,
            Err(why) => {
                eprintln!("SKIPPED agavepy interop: {why}");
                return;
            }
        }
    };
}

#[test]
fn files_written_by_agavepy_are_read() {
    let py = python_or_skip!();
    let d = tempfile::tempdir().unwrap();
    run(py, "save", d.path()); // interactive save_configs(): `current` + config.json (0.9.5 layout)
    let store = JsonStore::open(d.path()).unwrap();
    // `current` is the profile "default"; the same session in config.json's `sessions` is the
    // profile named by its keys there.
    assert_eq!(
        store.list().unwrap(),
        vec!["agavepy:tacc.prod/pyuser/pyclient", "default"]
    );
    let check = |s: Session| {
        assert_eq!(s.platform(), Platform::AgaveV2);
        assert_eq!(s.tenant.base_url.as_str(), "https://api.tacc.utexas.edu");
        assert_eq!(s.tenant.id.as_deref(), Some("tacc.prod"));
        assert_eq!(s.username.as_deref(), Some("pyuser"));
        let c = s.client.unwrap();
        assert_eq!(
            (c.id.as_str(), c.key.unwrap().expose()),
            ("KEY_py", "SECRET_py")
        );
        let t = s.tokens.unwrap();
        assert_eq!(t.access_token.expose(), "accesspy");
        assert_eq!(t.refresh_token.unwrap().expose(), "refreshpy");
        assert_eq!(t.expires_at, Some(UnixTime(1795324327 + 14400)));
    };
    check(store.load("default").unwrap().unwrap());
    check(
        store
            .load("agavepy:tacc.prod/pyuser/pyclient")
            .unwrap()
            .unwrap(),
    );
    // agavepy 0.9.5 restore() + _write_client() rewrites `current` in its classic shape.
    run(py, "restore", d.path());
    let v: Value = serde_json::from_slice(&std::fs::read(store.current_path()).unwrap()).unwrap();
    assert!(
        v.get("proxies").is_some(),
        "expected agavepy's own shape: {v}"
    );
    check(store.load("default").unwrap().unwrap());
}

#[test]
fn files_written_by_us_are_restored_by_agavepy() {
    let py = python_or_skip!();
    let d = tempfile::tempdir().unwrap();
    let store = JsonStore::open(d.path()).unwrap();
    let mut s = Session::new(
        "mine",
        Tenant::new(
            BaseUrl::parse("https://api.tacc.utexas.edu/").unwrap(),
            Platform::AgaveV2,
        )
        .with_id("tacc.prod"),
    );
    s.username = Some("rustuser".into());
    s.client = Some(OAuthClient::new("KEY_rs", "SECRET_rs"));
    s.tokens = Some(TokenSet::new(
        UnixTime(1795324301),
        Secret::new("accessrs"),
        Some(Secret::new("refreshrs")),
        Some(14400),
    ));
    s.password = Some(Secret::new("never-on-disk"));
    store.save(&s).unwrap();
    let out: Value = serde_json::from_str(run(py, "restore", d.path()).trim()).unwrap();
    assert_eq!(out["_token"], "accessrs", "{out}");
    assert_eq!(out["_refresh_token"], "refreshrs");
    assert_eq!(out["api_key"], "KEY_rs");
    assert_eq!(out["api_secret"], "SECRET_rs");
    assert_eq!(out["api_server"], "https://api.tacc.utexas.edu");
    assert_eq!(out["tenant_id"], "tacc.prod");
    assert_eq!(out["username"], "rustuser");
    assert_eq!(out["created_at"], "1795324301");
    assert_eq!(out["password"], Value::Null);
    // agavepy rewrote `current` (adding proxies, dropping our keys); we still load the profile,
    // and our next save writes a clean file again.
    let back = store.load("mine").unwrap().unwrap();
    s.password = None;
    assert_eq!(back, s);
    store.save(&back).unwrap();
    let v: Value = serde_json::from_slice(&std::fs::read(store.current_path()).unwrap()).unwrap();
    assert!(v.get("proxies").is_none(), "{v}");
    for f in [store.current_path(), store.config_path()] {
        assert!(!std::fs::read_to_string(f)
            .unwrap()
            .contains("never-on-disk"));
    }
}
