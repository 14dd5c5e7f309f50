//! A co-writer in the same second: the real agavepy 0.9.5 (from PyPI, in a virtualenv under the
//! target directory) rotates the shared `~/.agave` tokens within the same second as this
//! library. agavepy and the bash CLI stamp `created_at` in whole seconds, so timestamps tie;
//! the library must still see that agavepy's refresh token is the newer one (it is not one the
//! library wrote or replaced) and adopt it, instead of spending the refresh token agavepy
//! already used and asking the user to log in again.
//!
//! agavepy being unavailable (no python3, no PyPI) fails the test: it cannot pass without
//! running.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::*;
use tapis_auth_core::Platform;
use tapis_auth_storage::StoreKind;

/// Imports agavepy, says `ready`, then for each line on stdin restores the client from
/// `current` (AGAVE_CACHE_DIR), refreshes its tokens (agavepy writes `current`) and prints the
/// `created_at` it wrote.
const AGAVEPY: &str = r#"
import sys
from agavepy.agave import Agave
print("ready", flush=True)
for _ in sys.stdin:
    ag = Agave.restore()
    ag.token.refresh()
    print(ag.created_at, flush=True)
"#;

/// The venv's python with agavepy 0.9.5 (shared with the storage crate's interop tests).
fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agavepy-0.9.5-venv");
        let py = venv.join("bin/python");
        let imports = |p: &Path| {
            Command::new(p)
                .args(["-c", "import agavepy.agave"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !imports(&py) {
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success())
                && Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "--disable-pip-version-check", "agavepy==0.9.5"])
                    .status()
                    .is_ok_and(|s| s.success());
            assert!(
                ok && imports(&py),
                "agavepy 0.9.5 could not be installed into {} (python3 -m venv, then pip from PyPI)",
                venv.display()
            );
        }
        py
    })
}

fn current(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("current")).unwrap()).unwrap()
}

#[test]
fn agavepy_rotating_in_the_same_second_is_adopted_not_overwritten() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::AgaveV2);
    let mut agavepy = Command::new(python())
        .args(["-c", AGAVEPY])
        .env("AGAVE_CACHE_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_py = agavepy.stdin.take().unwrap();
    let mut from_py = BufReader::new(agavepy.stdout.take().unwrap());
    let mut line = String::new();
    from_py.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");

    let mut same_second = 0;
    for round in 0..10 {
        // We refresh (writing config.json and current at second T)...
        let ours = restore(dir.path(), StoreKind::Json);
        ours.refresh().unwrap();
        let our_second = current(dir.path())["created_at"]
            .as_str()
            .unwrap()
            .to_owned();
        // ...and agavepy, right after, refreshes from `current`, spending our refresh token.
        writeln!(to_py, "go").unwrap();
        line.clear();
        from_py.read_line(&mut line).unwrap();
        let their_second = line.trim().to_owned();
        let theirs = current(dir.path())["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        srv.reset_stats();
        // Our next refresh starts from agavepy's tokens, whatever the timestamps say: it spends
        // agavepy's (live) refresh token, not ours (which agavepy spent).
        let t = ours.refresh().unwrap();
        let stats = srv.stats();
        assert_eq!(
            stats.rejected_refresh("v2"),
            0,
            "round {round}: the refresh token agavepy had spent was sent (created_at {our_second} vs {their_second})"
        );
        assert_eq!(stats.grant("v2.refresh_token"), 1, "round {round}");
        assert_ne!(t.access_token.expose(), theirs);
        assert_eq!(
            current(dir.path())["access_token"].as_str(),
            Some(t.access_token.expose()),
            "round {round}: the new tokens were saved where agavepy reads them"
        );
        if our_second == their_second {
            same_second += 1;
            if same_second == 3 {
                break;
            }
        }
    }
    drop(to_py);
    let _ = agavepy.wait();
    assert!(
        same_second >= 1,
        "agavepy never wrote within the same second as we did in 10 rounds"
    );
}
