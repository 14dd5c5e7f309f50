//! Store benchmarks: load of one session from a warm JSON cache and from SQLite, and a durable
//! save (fsync) to each.

use criterion::{criterion_group, criterion_main, Criterion};
use tapis_auth_core::*;
use tapis_auth_storage::{JsonStore, SqliteStore};

fn session(profile: &str, n: i64) -> Session {
    let mut s = Session::new(
        profile,
        Tenant::new(
            BaseUrl::parse("https://tacc.tapis.io").unwrap(),
            Platform::TapisV3,
        )
        .with_id("tacc"),
    );
    s.username = Some("jdoe".into());
    s.client = Some(OAuthClient::new("cid", "client-key"));
    s.tokens = Some(TokenSet::new(
        UnixTime(1_795_324_301 + n),
        Secret::new("eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3OTUzMzg3MDF9.c2ln".repeat(8)),
        Some(Secret::new(
            "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE4MjY4NjAzMDF9.c2ln".repeat(8),
        )),
        Some(14400),
    ));
    s
}

fn benches(c: &mut Criterion) {
    let d = tempfile::tempdir().unwrap();
    let json = JsonStore::open(d.path().join("json")).unwrap();
    let sqlite = SqliteStore::open(d.path().join("s.sqlite3")).unwrap();
    // A cache with a few profiles, as a user would have.
    for i in 0..4 {
        json.save(&session(&format!("p{i}"), i)).unwrap();
        sqlite.save(&session(&format!("p{i}"), i)).unwrap();
    }
    c.bench_function("json load (warm)", |b| {
        b.iter(|| json.load("p2").unwrap().unwrap())
    });
    c.bench_function("sqlite load (warm)", |b| {
        b.iter(|| sqlite.load("p2").unwrap().unwrap())
    });
    let mut g = c.benchmark_group("save with fsync");
    g.sample_size(20);
    let mut n = 0;
    g.bench_function("json save", |b| {
        b.iter(|| {
            n += 1;
            json.save(&session("p1", n)).unwrap()
        })
    });
    g.bench_function("sqlite save", |b| {
        b.iter(|| {
            n += 1;
            sqlite.save(&session("p1", n)).unwrap()
        })
    });
    g.finish();
}

criterion_group!(store, benches);
criterion_main!(store);
