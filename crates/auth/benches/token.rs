//! Benchmarks of the high-level API (numbers reported in `bench/README.md`):
//! - `access_token` hot path on a valid cached token, 1 thread and 2 threads at once;
//! - cold restore from the JSON cache to a token in hand;
//! - one refresh against the local test authenticator vs one plain request to it from the same
//!   reqwest client (the difference is the cost of our logic).
//!
//! Run: `cargo bench -p tapis-auth --bench token`.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tapis_auth::{AuthSession, HttpTransport, Options};
use tapis_auth_core::{Platform, Secret, Transport};
use tapis_auth_testserver::{Config, TestServer};

fn logged_in(srv: &TestServer, dir: &std::path::Path) -> AuthSession {
    let s = AuthSession::open(Options {
        base_url: Some(srv.url().to_owned()),
        platform: Some(Platform::TapisV3),
        store_path: Some(dir.to_path_buf()),
        use_environment: false,
        username: Some("testuser".into()),
        password: Some(Secret::new("testpass")),
        client_id: Some("test-client".into()),
        client_key: Some(Secret::new("test-client-key")),
        ..Options::default()
    })
    .unwrap();
    s.login_password(false).unwrap();
    s
}

fn restore(dir: &std::path::Path) -> AuthSession {
    AuthSession::restore(Options {
        store_path: Some(dir.to_path_buf()),
        use_environment: false,
        ..Options::default()
    })
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let srv = TestServer::start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    logged_in(&srv, dir.path());
    let s = Arc::new(restore(dir.path()));
    s.access_token(60).unwrap();

    c.bench_function("access_token hot path, 1 thread", |b| {
        b.iter(|| s.access_token(std::hint::black_box(600)).unwrap())
    });
    c.bench_function("with_access_token hot path (no copy), 1 thread", |b| {
        b.iter(|| {
            s.with_access_token(std::hint::black_box(600), |t| t.len())
                .unwrap()
        })
    });
    c.bench_function("access_token hot path, 2 threads at once (per call)", |b| {
        b.iter_custom(|iters| {
            let barrier = Arc::new(Barrier::new(2));
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let (s, barrier) = (s.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        let t = Instant::now();
                        for _ in 0..iters {
                            std::hint::black_box(s.access_token(600).unwrap());
                        }
                        t.elapsed()
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .max()
                .unwrap_or(Duration::ZERO)
        })
    });
    c.bench_function("cold restore from the JSON cache to a token in hand", |b| {
        b.iter(|| restore(dir.path()).access_token(60).unwrap())
    });

    let mut g = c.benchmark_group("against the local test authenticator");
    g.sample_size(30);
    // The identical refresh-grant request, sent raw through the same transport (v3 refresh
    // tokens are reusable on this server): the server's work is the same, so the difference
    // to the full refresh below is the cost of our logic (lock, re-read, parse, atomic save).
    let session = s.session().unwrap();
    let raw = tapis_auth_core::flow::refresh::refresh(&session)
        .unwrap()
        .request()
        .clone();
    let plain: &HttpTransport = s.transport();
    g.bench_function("plain request: the same refresh grant, raw", |b| {
        b.iter(|| {
            let r = plain.send(&raw).unwrap();
            assert_eq!(r.status, 200);
        })
    });
    g.bench_function("refresh (grant + parse + lock + save)", |b| {
        b.iter(|| s.refresh().unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
