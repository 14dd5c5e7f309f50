//! The headline guarantee: when a shared cache's access token has expired and many processes
//! (or threads) ask for a token at once, every one gets a valid token and the authenticator sees
//! exactly one refresh grant — with single-use refresh tokens on, so a second refresh would fail.
//!
//! Processes are this test binary re-executed in a child role (`storm_child`), gated on a
//! start file so that they all ask at the same moment.

mod common;

use std::path::Path;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::*;
use tapis_auth::{AuthSession, Options};
use tapis_auth_core::{JwtClaims, Platform};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{Config, ConfigPatch, RuntimeConfig, TestServer};

const THREADS: usize = 16;

/// Processes per round: 64, or `STORM_PROCESSES` (the campaign runs 256).
fn processes() -> usize {
    env_usize("STORM_PROCESSES", 64)
}

/// Rounds: 20, or `STORM_ROUNDS`.
fn rounds() -> usize {
    env_usize("STORM_ROUNDS", 20)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn storm_server() -> TestServer {
    TestServer::start(Config {
        runtime: RuntimeConfig {
            v3_single_use_refresh: true,
            ..RuntimeConfig::default()
        },
        ..Config::default()
    })
}

fn kind_name(kind: StoreKind) -> &'static str {
    if kind == StoreKind::Sqlite {
        "sqlite"
    } else {
        "json"
    }
}

fn jti(token: &str) -> String {
    JwtClaims::decode(token)
        .and_then(|c| c.jti)
        .unwrap_or_default()
}

/// The child role: wait for the start file, restore, ask for a token valid 60 s, print its jti.
#[test]
#[ignore = "child process of the process storms, which run it"]
fn storm_child() {
    let dir = std::env::var("STORM_DIR").expect("STORM_DIR");
    let kind = StoreKind::parse(&std::env::var("STORM_KIND").unwrap()).unwrap();
    let go = std::env::var("STORM_GO").unwrap();
    for _ in 0..10_000 {
        if Path::new(&go).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let s = restore(Path::new(&dir), kind);
    let token = s.access_token(60).expect("child got no token");
    println!("JTI={}", jti(token.expose()));
}

fn process_storm(kind: StoreKind) {
    let srv = storm_server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), kind, Platform::TapisV3);
    let started = std::time::Instant::now();
    for round in 0..rounds() {
        expire_stored_token(dir.path(), kind);
        srv.reset_stats();
        let go = dir.path().join(format!("go-{round}"));
        let round_start = std::time::Instant::now();
        let children: Vec<_> = (0..processes())
            .map(|_| {
                spawn_child_role(
                    "storm_child",
                    &[
                        ("STORM_DIR", dir.path().as_os_str()),
                        ("STORM_KIND", kind_name(kind).as_ref()),
                        ("STORM_GO", go.as_os_str()),
                    ],
                )
            })
            .collect();
        std::fs::write(&go, b"").unwrap();
        let mut jtis = Vec::new();
        for c in children {
            let stdout = child_stdout(c, &format!("round {round}"));
            let j = stdout
                .lines()
                .find_map(|l| l.strip_prefix("JTI="))
                .unwrap_or_default()
                .to_owned();
            assert!(!j.is_empty(), "round {round}: no token printed: {stdout}");
            jtis.push(j);
        }
        let stats = srv.stats();
        assert_eq!(
            stats.grant("v3.refresh_token"),
            1,
            "round {round} ({}): refresh grants",
            kind_name(kind)
        );
        assert_eq!(
            stats.rejected_refresh("v3"),
            0,
            "round {round}: a refresh token was burned"
        );
        jtis.dedup();
        assert_eq!(
            jtis.len(),
            1,
            "round {round}: every process holds the one new token"
        );
        println!(
            "STORM {} round {round}: {} processes all hold a token after {:?}, 1 refresh, 0 failed",
            kind_name(kind),
            processes(),
            round_start.elapsed()
        );
    }
    println!(
        "STORM {}: {} rounds x {} processes in {:?}: exactly one refresh per round, zero failed callers, zero burned refresh tokens",
        kind_name(kind),
        rounds(),
        processes(),
        started.elapsed()
    );
}

#[test]
fn storm_64_processes_json_cache() {
    process_storm(StoreKind::Json);
}

#[test]
fn storm_64_processes_sqlite_store() {
    process_storm(StoreKind::Sqlite);
}

#[test]
fn storm_16_threads_one_session_and_16_sessions() {
    let srv = storm_server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    for shared in [true, false] {
        for round in 0..rounds() {
            expire_stored_token(dir.path(), StoreKind::Json);
            srv.reset_stats();
            let one = Arc::new(restore(dir.path(), StoreKind::Json));
            let barrier = Arc::new(Barrier::new(THREADS));
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (one, barrier, d) =
                        (one.clone(), barrier.clone(), dir.path().to_path_buf());
                    std::thread::spawn(move || {
                        // Either one session shared by all threads, or one per thread (each
                        // with its own token manager, meeting only at the file lock).
                        let own = (!shared).then(|| restore(&d, StoreKind::Json));
                        let s: &AuthSession = own.as_ref().unwrap_or(&one);
                        barrier.wait();
                        jti(s.access_token(60).unwrap().expose())
                    })
                })
                .collect();
            let mut jtis: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(
                srv.stats().grant("v3.refresh_token"),
                1,
                "shared={shared} round {round}"
            );
            jtis.dedup();
            assert_eq!(jtis.len(), 1);
        }
    }
    let _ = (Options::default(), ConfigPatch::default());
}
