//! The async API keeps the headline guarantee, on both drivers at once: tokio tasks (the async
//! token manager) and threads (the blocking one), in one process and in several, find one
//! shared cache's access token expired at the same moment; every caller gets the one new token
//! and the authenticator sees exactly one refresh grant — with single-use refresh tokens, so a
//! second refresh would have failed.
//!
//! Processes are this test binary re-executed in a child role (`async_storm_child`, ignored
//! when run on its own), gated on a start file so that they all ask at the same moment; half
//! of them run tasks on the async driver, half threads on the blocking one.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::{child_stdout, expire_stored_token, login, spawn_child_role};
use tapis_auth::{AsyncSession, Options, Platform, StoreKind};
use tapis_auth_testserver::{Config, RuntimeConfig, TestServer};
use tempfile::TempDir;

const TASKS: usize = 64;
const THREADS: usize = 16;
const PROCESSES: usize = 4;

fn single_use_server() -> TestServer {
    TestServer::start(Config {
        runtime: RuntimeConfig {
            v3_single_use_refresh: true,
            ..RuntimeConfig::default()
        },
        ..Config::default()
    })
}

/// A test authenticator with single-use refresh tokens and a cache logged in to it whose access
/// token has expired; the grant counts start from zero.
fn expired_cache() -> (TestServer, TempDir) {
    let srv = single_use_server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    expire_stored_token(dir.path(), StoreKind::Json);
    srv.reset_stats();
    (srv, dir)
}

fn options(dir: &Path) -> Options {
    Options {
        store: StoreKind::Json,
        store_path: Some(dir.to_path_buf()),
        use_environment: false,
        ..Options::default()
    }
}

/// `TASKS` tasks on one session ask at once; returns each task's token fingerprint or error.
async fn ask_at_once(session: &AsyncSession) -> Vec<Result<String, String>> {
    let handles: Vec<_> = (0..TASKS)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.access_token(60).await })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(match h.await.expect("task panicked") {
            Ok(t) => Ok(t.fingerprint()),
            Err(e) => Err(e.to_string()),
        });
    }
    out
}

/// `THREADS` threads on the blocking session behind `session` ask at once (on the runtime's
/// blocking pool, as a service's blocking code would); returns each one's fingerprint or error.
fn blocking_at_once(
    session: &AsyncSession,
) -> Vec<tokio::task::JoinHandle<Result<String, String>>> {
    (0..THREADS)
        .map(|_| {
            let s = session.blocking().clone();
            tokio::task::spawn_blocking(move || {
                s.access_token(60)
                    .map(|t| t.fingerprint())
                    .map_err(|e| e.to_string())
            })
        })
        .collect()
}

/// A multi-threaded runtime like a service's.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn tasks_in_one_process_share_one_refresh() {
    // The set-up uses the blocking API, outside the runtime (as blocking code must).
    let (srv, dir) = expired_cache();

    runtime().block_on(async {
        let session = AsyncSession::restore(options(dir.path())).await.unwrap();
        // Threads on the blocking driver and tasks on the async one, on one session.
        let threads = blocking_at_once(&session);
        let mut results = ask_at_once(&session).await;
        for t in threads {
            results.push(t.await.expect("a thread panicked"));
        }
        assert_eq!(results.len(), TASKS + THREADS);
        let tokens: BTreeSet<_> = results
            .into_iter()
            .map(|r| r.expect("a task or thread failed"))
            .collect();
        assert_eq!(tokens.len(), 1, "every caller holds the one new token");
        let stats = srv.stats();
        assert_eq!(stats.grant("v3.refresh_token"), 1, "refresh grants");
        assert_eq!(
            stats.rejected_refresh("v3"),
            0,
            "a refresh token was burned"
        );

        // Served from memory now: no further grant. The session is dropped inside the
        // runtime, as a service would drop it.
        session.access_token(60).await.unwrap();
        assert_eq!(srv.stats().grant("v3.refresh_token"), 1);
    });
}

/// The child role: wait for the start file, then `TASKS` tasks ask at once (`ASYNC_STORM_DRIVER`
/// `async`), or `THREADS` threads on the blocking session (`blocking`); prints one line per
/// caller (`OK <fingerprint>` or `ERR <message>`).
#[test]
#[ignore = "child process of tasks_in_several_processes_share_one_refresh, which runs it"]
fn async_storm_child() {
    let dir = std::env::var("ASYNC_STORM_DIR").expect("ASYNC_STORM_DIR");
    let go = std::env::var("ASYNC_STORM_GO").expect("ASYNC_STORM_GO");
    let on_async = std::env::var("ASYNC_STORM_DRIVER").expect("ASYNC_STORM_DRIVER") == "async";
    while !Path::new(&go).exists() {
        std::thread::sleep(Duration::from_millis(2));
    }
    runtime().block_on(async {
        let session = AsyncSession::restore(options(Path::new(&dir))).await;
        let results = match session {
            Ok(s) if on_async => ask_at_once(&s).await,
            Ok(s) => {
                let mut out = Vec::new();
                for t in blocking_at_once(&s) {
                    out.push(t.await.expect("a thread panicked"));
                }
                out
            }
            Err(e) => vec![Err(e.to_string())],
        };
        for r in results {
            match r {
                Ok(f) => println!("OK {f}"),
                Err(e) => println!("ERR {e}"),
            }
        }
    });
}

#[test]
fn tasks_in_several_processes_share_one_refresh() {
    let (srv, dir) = expired_cache();
    let go = dir.path().join("go");
    let drivers = ["async", "blocking"];
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            spawn_child_role(
                "async_storm_child",
                &[
                    ("ASYNC_STORM_DIR", dir.path().as_os_str()),
                    ("ASYNC_STORM_GO", go.as_os_str()),
                    ("ASYNC_STORM_DRIVER", drivers[i % 2].as_ref()),
                ],
            )
        })
        .collect();
    std::fs::write(&go, b"").unwrap();

    let mut tokens = BTreeSet::new();
    let mut served = 0;
    for c in children {
        let stdout = child_stdout(c, "async storm");
        for line in stdout.lines() {
            if let Some(f) = line.strip_prefix("OK ") {
                tokens.insert(f.to_owned());
                served += 1;
            }
            assert!(!line.starts_with("ERR "), "a task failed: {line}");
        }
    }
    assert_eq!(
        served,
        (TASKS + THREADS) * PROCESSES / 2,
        "every task and thread of every process served"
    );
    assert_eq!(tokens.len(), 1, "every caller holds the one new token");
    let stats = srv.stats();
    assert_eq!(stats.grant("v3.refresh_token"), 1, "refresh grants");
    assert_eq!(
        stats.rejected_refresh("v3"),
        0,
        "a refresh token was burned"
    );
}
