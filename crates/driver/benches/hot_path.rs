//! Criterion benchmark of the hot path: `TokenManager::access_token` on a valid cached token.
//! Run: `cargo bench -p tapis-auth-driver --bench hot_path`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use tapis_auth_core::*;
use tapis_auth_driver::{TokenManager, TokenManagerConfig};

struct Clk;
impl Clock for Clk {
    fn now(&self) -> UnixTime {
        UnixTime(1_000)
    }
}
struct NoNet;
impl Transport for NoNet {
    fn send(&self, _r: &HttpRequest) -> Result<HttpResponse, TransportError> {
        panic!("the hot path must not touch the network")
    }
}
struct NoStore;
impl Store for NoStore {
    fn load(&self, _p: &str) -> Result<Option<Session>, StoreError> {
        panic!("the hot path must not touch the store")
    }
    fn save(&self, _s: &Session) -> Result<(), StoreError> {
        panic!("the hot path must not touch the store")
    }
    fn delete(&self, _p: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(vec![])
    }
    fn lock(&self, _p: &str) -> Result<StoreLock, StoreError> {
        Ok(StoreLock::none())
    }
    fn is_writable(&self) -> bool {
        false
    }
    fn describe(&self) -> String {
        "none".into()
    }
}

fn bench(c: &mut Criterion) {
    let tenant = Tenant::new(
        BaseUrl::parse("https://tacc.tapis.io").unwrap(),
        Platform::TapisV3,
    );
    let mut s = Session::new("default", tenant);
    // A realistic Tapis access token is ~900 bytes.
    let token = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.{}.sig",
        "x".repeat(860)
    );
    let mut t = TokenSet::new(UnixTime(0), Secret::new(token), None, None);
    t.expires_at = Some(UnixTime(1_000_000));
    s.tokens = Some(t);
    let m = TokenManager::with_session(
        Arc::new(NoStore),
        Arc::new(NoNet),
        Arc::new(Clk),
        TokenManagerConfig::default(),
        s,
    );
    c.bench_function("access_token(valid, copy out)", |b| {
        b.iter(|| m.access_token(std::hint::black_box(600)).unwrap())
    });
    c.bench_function("with_access_token(valid, borrow)", |b| {
        b.iter(|| {
            m.with_access_token(std::hint::black_box(600), |t| t.len())
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
