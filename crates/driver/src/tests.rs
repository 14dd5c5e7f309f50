//! Token manager tests with in-memory fakes of `Transport`, `Store` and `Clock`. Every test
//! body runs twice: against the blocking [`TokenManager`] (module `blocking`) and against the
//! `AsyncTokenManager` on a tokio runtime (module `on_tokio`), whose fake transport yields
//! to the runtime before it answers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use base64::Engine;

use tapis_auth_core::store::{
    ClaimState, RefreshClaim, RefreshOutcome, RefreshTicket, RefreshWatch,
};
use tapis_auth_core::{
    BaseUrl, Clock, Error, HttpRequest, HttpResponse, OAuthClient, Platform, Secret, Session,
    Store, StoreError, StoreLock, Tenant, TokenSet, Transport, TransportError, UnixTime,
};

#[cfg(feature = "tokio")]
use crate::AsyncTokenManager;
use crate::{TokenManager, TokenManagerConfig};
#[cfg(feature = "tokio")]
use tapis_auth_core::{AsyncTransport, ResponseFuture};

/// Which driver a test body runs against.
#[derive(Clone, Copy, Debug)]
enum Driver {
    Blocking,
    #[cfg(feature = "tokio")]
    Tokio,
}

/// A manager under test, whichever driver runs it; the async one is driven from the calling
/// thread with `block_on` on a shared multi-thread runtime.
enum Under {
    Blocking(TokenManager),
    #[cfg(feature = "tokio")]
    Tokio(AsyncTokenManager),
}

#[cfg(feature = "tokio")]
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// The fake server as an async transport: it yields to the runtime once, then answers.
#[cfg(feature = "tokio")]
struct Yielding(Arc<dyn Transport>);
#[cfg(feature = "tokio")]
impl AsyncTransport for Yielding {
    fn send<'a>(&'a self, request: &'a HttpRequest) -> ResponseFuture<'a> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.0.send(request)
        })
    }
}

impl Driver {
    fn manager(
        self,
        store: Arc<dyn Store>,
        server: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        config: TokenManagerConfig,
    ) -> Under {
        match self {
            Driver::Blocking => Under::Blocking(TokenManager::new(store, server, clock, config)),
            #[cfg(feature = "tokio")]
            Driver::Tokio => Under::Tokio(AsyncTokenManager::new(
                store,
                Arc::new(Yielding(server)),
                clock,
                config,
            )),
        }
    }

    fn manager_with_session(
        self,
        store: Arc<dyn Store>,
        server: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        config: TokenManagerConfig,
        session: Session,
    ) -> Under {
        let blocking = TokenManager::with_session(store, server.clone(), clock, config, session);
        match self {
            Driver::Blocking => Under::Blocking(blocking),
            #[cfg(feature = "tokio")]
            Driver::Tokio => Under::Tokio(AsyncTokenManager::sharing(
                Arc::new(blocking),
                Arc::new(Yielding(server)),
            )),
        }
    }
}

impl Under {
    fn access_token(&self, min_valid: i64) -> Result<Secret, Error> {
        match self {
            Under::Blocking(m) => m.access_token(min_valid),
            #[cfg(feature = "tokio")]
            Under::Tokio(m) => runtime().block_on(m.access_token(min_valid)),
        }
    }

    fn refresh(&self, rejected: Option<&Secret>) -> Result<TokenSet, Error> {
        match self {
            Under::Blocking(m) => m.refresh(rejected),
            #[cfg(feature = "tokio")]
            Under::Tokio(m) => runtime().block_on(m.refresh(rejected)),
        }
    }

    fn tenant(&self) -> Result<Tenant, Error> {
        match self {
            Under::Blocking(m) => m.tenant(),
            #[cfg(feature = "tokio")]
            Under::Tokio(m) => runtime().block_on(m.tenant()),
        }
    }

    fn session(&self) -> Result<Session, Error> {
        match self {
            Under::Blocking(m) => m.session(),
            #[cfg(feature = "tokio")]
            Under::Tokio(m) => runtime().block_on(m.session()),
        }
    }
}

struct FakeClock(AtomicI64);
impl Clock for FakeClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

/// The thread holding a re-entrant lock and how deep, with its condition variable.
type ReentrantLock = (
    Mutex<Option<(std::thread::ThreadId, usize)>>,
    std::sync::Condvar,
);

#[derive(Default)]
struct MemStore {
    map: Mutex<BTreeMap<String, Session>>,
    loads: AtomicUsize,
    /// The thread holding the lock and how deep (the lock is re-entrant, as the contract says).
    lock: Arc<ReentrantLock>,
    saves: AtomicUsize,
    fail_save: std::sync::atomic::AtomicBool,
    /// Behave like the environment store: nothing is written.
    read_only: std::sync::atomic::AtomicBool,
}
impl Store for MemStore {
    fn is_writable(&self) -> bool {
        !self.read_only.load(Ordering::SeqCst)
    }
    fn load(&self, p: &str) -> Result<Option<Session>, StoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        Ok(self.map.lock().unwrap().get(p).cloned())
    }
    fn save(&self, s: &Session) -> Result<(), StoreError> {
        if self.fail_save.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("disk full".into()));
        }
        // Like the stores on disk: a save takes the lock itself, re-entrantly on the thread
        // that holds it — a driver that took it on another thread times out here.
        let _lock = self.lock(&s.profile)?;
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.map
            .lock()
            .unwrap()
            .insert(s.profile.clone(), s.clone());
        Ok(())
    }
    fn delete(&self, p: &str) -> Result<bool, StoreError> {
        Ok(self.map.lock().unwrap().remove(p).is_some())
    }
    fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.map.lock().unwrap().keys().cloned().collect())
    }
    fn lock(&self, _p: &str) -> Result<StoreLock, StoreError> {
        struct Held(Arc<ReentrantLock>);
        impl Drop for Held {
            fn drop(&mut self) {
                let mut o = self.0 .0.lock().unwrap();
                match o.as_mut() {
                    Some((_, n)) if *n > 1 => *n -= 1,
                    _ => *o = None,
                }
                self.0 .1.notify_all();
            }
        }
        let me = std::thread::current().id();
        let mut o = self.lock.0.lock().unwrap();
        loop {
            match o.as_mut() {
                None => {
                    *o = Some((me, 1));
                    break;
                }
                Some((t, n)) if *t == me => {
                    *n += 1;
                    break;
                }
                Some(_) => {
                    let (next, waited) = self
                        .lock
                        .1
                        .wait_timeout(o, std::time::Duration::from_secs(5))
                        .unwrap();
                    if waited.timed_out() {
                        return Err(StoreError::LockTimeout {
                            path: "memory".into(),
                            waited_secs: 5,
                        });
                    }
                    o = next;
                }
            }
        }
        Ok(StoreLock::new(Held(self.lock.clone())))
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

/// A Tapis v3 authenticator that answers every refresh grant with a new pair.
struct FakeServer {
    clock: Arc<FakeClock>,
    refreshes: AtomicUsize,
    status: AtomicUsize,
    ttl: i64,
    /// The refresh token each grant presented, in order.
    presented: Mutex<Vec<String>>,
}
impl FakeServer {
    fn new(clock: Arc<FakeClock>, ttl: i64) -> Self {
        Self {
            clock,
            refreshes: AtomicUsize::new(0),
            status: AtomicUsize::new(200),
            ttl,
            presented: Mutex::new(Vec::new()),
        }
    }
}
fn jwt(claims: &str) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        e.encode(r#"{"typ":"JWT","alg":"RS256"}"#),
        e.encode(claims)
    )
}
impl Transport for FakeServer {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        assert!(req.url.ends_with("/v3/oauth2/tokens"), "{}", req.url);
        let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
        let body: serde_json::Value =
            serde_json::from_slice(&req.body.as_ref().expect("a grant has a body").bytes).unwrap();
        self.presented.lock().unwrap().push(
            body["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        let status = self.status.load(Ordering::SeqCst) as u16;
        if status >= 500 {
            return Ok(HttpResponse::new(status, "upstream unavailable"));
        }
        if status != 200 {
            return Ok(HttpResponse::new(
                status,
                r#"{"result":null,"status":"error","version":"1.6.0","message":"Invalid refresh_token.","metadata":{}}"#,
            ));
        }
        let now = self.clock.now().secs();
        let at = jwt(&format!(
            r#"{{"exp":{},"jti":"a{n}","tapis/username":"u"}}"#,
            now + self.ttl
        ));
        let rt = jwt(&format!(
            r#"{{"exp":{},"jti":"r{n}","tapis/token_type":"refresh"}}"#,
            now + 100_000
        ));
        let body = format!(
            r#"{{"result":{{"access_token":{{"access_token":"{at}","expires_in":{ttl},"jti":"a{n}","expires_at":"x"}},"refresh_token":{{"refresh_token":"{rt}","expires_in":100000,"jti":"r{n}"}}}},"status":"success","message":"Token created successfully.","version":"1.6.0","metadata":{{}}}}"#,
            ttl = self.ttl
        );
        Ok(HttpResponse::new(200, body))
    }
}

fn session(expires_at: i64) -> Session {
    let mut s = Session::new(
        "default",
        Tenant::new(
            BaseUrl::parse("https://tacc.tapis.io").unwrap(),
            Platform::TapisV3,
        ),
    );
    s.username = Some("u".into());
    s.client = Some(OAuthClient::new("cid", "ckey"));
    let mut t = TokenSet::new(
        UnixTime(expires_at - 14_400),
        Secret::new(jwt(&format!(r#"{{"exp":{expires_at}}}"#))),
        Some(Secret::new("refresh-0")),
        None,
    );
    t.expires_at = Some(UnixTime(expires_at));
    s.tokens = Some(t);
    s
}

fn setup(
    d: Driver,
    now: i64,
    expires_at: i64,
) -> (Arc<MemStore>, Arc<FakeServer>, Arc<FakeClock>, Arc<Under>) {
    let clock = Arc::new(FakeClock(AtomicI64::new(now)));
    let store = Arc::new(MemStore::default());
    store.save(&session(expires_at)).unwrap();
    store.saves.store(0, Ordering::SeqCst);
    let server = Arc::new(FakeServer::new(clock.clone(), 14_400));
    let m = Arc::new(d.manager(
        store.clone(),
        server.clone(),
        clock.clone(),
        TokenManagerConfig::default(),
    ));
    (store, server, clock, m)
}

fn valid_token_needs_no_refresh(d: Driver) {
    let (store, server, _c, m) = setup(d, 1_000, 10_000);
    let t = m.access_token(600).unwrap();
    assert_eq!(t, session(10_000).tokens.unwrap().access_token);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
    assert_eq!(store.saves.load(Ordering::SeqCst), 0);
}

fn eight_threads_one_refresh(d: Driver) {
    let (store, server, _c, m) = setup(d, 1_000, 1_010); // 10 s left < 60 s margin
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (m, b) = (m.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                m.access_token(60).unwrap()
            })
        })
        .collect();
    let tokens: Vec<Secret> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(store.saves.load(Ordering::SeqCst), 1);
    let saved = store.load("default").unwrap().unwrap().tokens.unwrap();
    assert_eq!(saved.access_token, tokens[0]);
    assert!(
        saved.refresh_token.unwrap().expose().starts_with("ey"),
        "rotated refresh token saved"
    );
}

fn fresher_token_in_store_means_no_refresh(d: Driver) {
    let (store, server, _c, m) = setup(d, 1_000, 1_010);
    // Prime the manager with the stale session, then let "another process" refresh.
    assert!(m.session().is_ok());
    store.save(&session(50_000)).unwrap();
    let t = m.access_token(60).unwrap();
    assert_eq!(t, session(50_000).tokens.unwrap().access_token);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
}

/// Once a session is held, its tenant (what a service call checks its origin against) comes
/// from memory: no store read per call. Before, it is loaded.
fn the_tenant_is_read_from_memory_once_held(d: Driver) {
    let (store, _server, _c, m) = setup(d, 1_000, 10_000);
    assert_eq!(
        m.tenant().unwrap(),
        session(10_000).tenant,
        "loaded when nothing is held"
    );
    assert_eq!(store.loads.load(Ordering::SeqCst), 1);
    m.access_token(60).unwrap();
    let loads = store.loads.load(Ordering::SeqCst);
    for _ in 0..3 {
        assert_eq!(
            m.tenant().unwrap().base_url.as_str(),
            "https://tacc.tapis.io"
        );
    }
    assert_eq!(
        store.loads.load(Ordering::SeqCst),
        loads,
        "no store read once held"
    );
}

/// A server error (not a verdict on the refresh token) writes nothing.
fn failed_refresh_keeps_stored_credentials(d: Driver) {
    let (store, server, _c, m) = setup(d, 1_000, 1_010);
    server.status.store(503, Ordering::SeqCst);
    let before = store.load("default").unwrap();
    let e = m.access_token(60).unwrap_err();
    assert!(matches!(e, Error::Server { .. }), "{e:?}");
    assert_eq!(store.load("default").unwrap(), before);
    assert_eq!(store.saves.load(Ordering::SeqCst), 0);
    // The state was given back: the next call tries again.
    server.status.store(200, Ordering::SeqCst);
    m.access_token(60).unwrap();
}

/// A rejected refresh token keeps the stored credentials, marked rejected, so that no process
/// sends it again; every later call fails at once with login required and no request.
fn a_rejected_refresh_token_is_recorded_and_never_sent_again(d: Driver) {
    let (store, server, clock, m) = setup(d, 1_000, 1_010);
    server.status.store(400, Ordering::SeqCst);
    let before = store.load("default").unwrap().unwrap();
    let e = m.access_token(60).unwrap_err();
    assert!(matches!(e, Error::RefreshRejected { .. }), "{e:?}");
    assert!(e.is_login_required());
    let after = store.load("default").unwrap().unwrap();
    let mut t = after.tokens.clone().unwrap();
    assert_eq!(t.refresh_rejected_at, Some(UnixTime(1_000)));
    t.refresh_rejected_at = None;
    assert_eq!(
        Some(t),
        before.tokens,
        "the credentials themselves are kept"
    );
    // This process, and another one on the same store: no second grant.
    let other = d.manager(
        store.clone(),
        server.clone(),
        clock.clone(),
        TokenManagerConfig::default(),
    );
    for mgr in [&*m, &other] {
        let e = mgr.access_token(60).unwrap_err();
        assert!(matches!(e, Error::LoginRequired { .. }), "{e:?}");
        assert!(e.to_string().contains("rejected the refresh token"), "{e}");
    }
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    // A new login replaces the record.
    store.save(&session(50_000)).unwrap();
    assert!(other.access_token(60).is_ok());
}

/// A request for more validity than the server ever issues spends no grant, however often it
/// is made.
fn an_impossible_min_valid_spends_no_grant(d: Driver) {
    let (_s, server, _c, m) = setup(d, 1_000, 1_010);
    for _ in 0..5 {
        let e = m.access_token(20_000).unwrap_err().to_string();
        assert!(
            e.contains("valid for only 14400 s, less than the 20000 s asked for"),
            "{e}"
        );
    }
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
    // Without a known lifetime, the first call learns it from the grant; later ones spend none.
    let (store, server, _c, m) = setup(d, 1_000, 1_010);
    let mut s = store.load("default").unwrap().unwrap();
    s.tokens.as_mut().unwrap().issued_at = None;
    store.save(&s).unwrap();
    for _ in 0..5 {
        assert!(m.access_token(20_000).is_err());
    }
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
}

/// Adoption by identity: a stored credential state other than the one held was written after
/// it, even with the same timestamps (another tool rotating in the same second).
fn another_state_in_the_store_is_adopted_whatever_its_timestamps(d: Driver) {
    let (store, server, clock, m) = setup(d, 1_000, 2_000);
    m.access_token(60).unwrap();
    let mut theirs = session(2_000);
    theirs.tokens.as_mut().unwrap().refresh_token = Some(Secret::new("refresh-theirs"));
    theirs.tokens.as_mut().unwrap().access_token =
        Secret::new(jwt(r#"{"exp":2000,"jti":"theirs"}"#));
    store.save(&theirs).unwrap();
    clock.0.store(1_950, Ordering::SeqCst);
    m.access_token(60).unwrap();
    assert_eq!(
        *server.presented.lock().unwrap(),
        vec!["refresh-theirs"],
        "the state held in memory was refreshed from"
    );
}

fn save_failure_keeps_rotated_tokens_in_memory(d: Driver) {
    let (store, server, _c, m) = setup(d, 1_000, 1_010);
    store.fail_save.store(true, Ordering::SeqCst);
    assert!(matches!(m.access_token(60), Err(Error::Store(_))));
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    // The next call is served from memory, without spending the refresh token again.
    let t = m.access_token(60).unwrap();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    assert!(t.expose().starts_with("ey"));
}

/// After a failed save, the next refresh presents the rotated refresh token held in memory
/// (not the spent one still in the store), and that refresh's save repairs the store.
fn refresh_after_failed_save_uses_the_rotated_token(d: Driver) {
    let (store, server, clock, m) = setup(d, 1_000, 1_010);
    store.fail_save.store(true, Ordering::SeqCst);
    assert!(matches!(m.access_token(60), Err(Error::Store(_))));
    store.fail_save.store(false, Ordering::SeqCst);
    // The first token expires; the store still holds the spent "refresh-0".
    clock.0.store(1_000 + 20_000, Ordering::SeqCst);
    let t = m.access_token(60).unwrap();
    let presented = server.presented.lock().unwrap().clone();
    assert_eq!(presented.len(), 2);
    assert_eq!(presented[0], "refresh-0");
    assert_ne!(
        presented[1], "refresh-0",
        "the spent refresh token was sent again"
    );
    assert!(presented[1].starts_with("ey"));
    let saved = store.load("default").unwrap().unwrap().tokens.unwrap();
    assert_eq!(saved.access_token, t);
}

/// After a failed save, a new login written into the store meanwhile (a refresh token other
/// than the spent one) wins over the unsaved rotation in memory: it is refreshed from, and
/// not overwritten by the older session.
fn a_new_login_after_a_failed_save_is_not_overwritten(d: Driver) {
    let (store, server, clock, m) = setup(d, 1_000, 1_010);
    store.fail_save.store(true, Ordering::SeqCst);
    assert!(matches!(m.access_token(60), Err(Error::Store(_))));
    store.fail_save.store(false, Ordering::SeqCst);
    // Another process logs in again: a new refresh token, an access token about to expire.
    let mut fresh = session(1_030);
    fresh.tokens.as_mut().unwrap().refresh_token = Some(Secret::new("refresh-new-login"));
    store.save(&fresh).unwrap();
    clock.0.store(1_000 + 20_000, Ordering::SeqCst);
    m.access_token(60).unwrap();
    let presented = server.presented.lock().unwrap().clone();
    assert_eq!(presented, vec!["refresh-0", "refresh-new-login"]);
}

fn min_valid_beyond_remaining_triggers_refresh(d: Driver) {
    let (_s, server, clock, m) = setup(d, 1_000, 2_000);
    m.access_token(60).unwrap();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
    m.access_token(3_600).unwrap();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    clock.0.store(1_000 + 14_400 - 30, Ordering::SeqCst);
    m.access_token(0).unwrap(); // inside the 60 s margin
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 2);
}

fn min_valid_beyond_token_lifetime_is_a_clear_error(d: Driver) {
    let (_s, _server, _c, m) = setup(d, 1_000, 1_010);
    let e = m.access_token(1_000_000).unwrap_err().to_string();
    assert!(e.contains("1000000"), "{e}");
}

fn forced_refresh_skips_when_someone_else_rotated(d: Driver) {
    let (store, server, _c, m) = setup(d, 1_000, 50_000);
    let old = m.access_token(60).unwrap();
    store.save(&session(60_000)).unwrap(); // another process refreshed
    let t = m.refresh(Some(&old)).unwrap();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
    assert_ne!(t.access_token, old);
    let t2 = m.refresh(Some(&t.access_token)).unwrap();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    assert_ne!(t2.access_token, t.access_token);
}

fn no_session_is_login_required_naming_profile_and_store(d: Driver) {
    let clock = Arc::new(FakeClock(AtomicI64::new(0)));
    let server = Arc::new(FakeServer::new(clock.clone(), 10));
    let m = d.manager(
        Arc::new(MemStore::default()),
        server,
        clock,
        TokenManagerConfig::default(),
    );
    let e = m.access_token(0).unwrap_err();
    assert!(e.is_login_required());
    let msg = e.to_string();
    assert!(msg.contains("default") && msg.contains("memory"), "{msg}");
}

#[cfg(feature = "tokio")]
#[test]
fn managers_and_their_futures_are_send() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<TokenManager>();
    assert_send_sync::<AsyncTokenManager>();
    let (_s, _server, _c, m) = setup(Driver::Tokio, 1_000, 1_010);
    let Under::Tokio(m) = &*m else { unreachable!() };
    // Made, never polled: a task spawned on a multi-thread runtime needs them `Send`.
    assert_send(&m.access_token(60));
    assert_send(&m.refresh(None));
    assert_send(&m.session());
    assert_send(&m.set_session(session(0)));
    assert_send(&m.forget());
}

fn tokens_shorter_than_the_margin_are_still_handed_out(d: Driver) {
    let (_s, server, _c, _m) = setup(d, 1_000, 1_010);
    drop(server);
    // A tenant whose tokens live 30 s, less than the 60 s margin.
    let clock = Arc::new(FakeClock(AtomicI64::new(1_000)));
    let store = Arc::new(MemStore::default());
    store.save(&session(1_010)).unwrap();
    let short = Arc::new(FakeServer::new(clock.clone(), 30));
    let m = d.manager(store, short.clone(), clock, TokenManagerConfig::default());
    assert!(
        m.access_token(0).is_ok(),
        "the margin must not make a short token an error"
    );
    assert_eq!(short.refreshes.load(Ordering::SeqCst), 1);
    let e = m.access_token(45).unwrap_err().to_string();
    assert!(
        e.contains("45"),
        "an explicit request the server cannot meet is an error: {e}"
    );
}

fn explicit_refresh_on_a_fresh_manager_really_refreshes(d: Driver) {
    // Nothing loaded yet and a stored token that is still valid: refresh() must still refresh.
    let (store, server, _c, m) = setup(d, 1_000, 50_000);
    let before = store
        .load("default")
        .unwrap()
        .unwrap()
        .tokens
        .unwrap()
        .access_token;
    let t = m.refresh(None).unwrap();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    assert_ne!(t.access_token, before);
    assert_eq!(
        store
            .load("default")
            .unwrap()
            .unwrap()
            .tokens
            .unwrap()
            .access_token,
        t.access_token
    );
}

/// An opaque token of unknown expiry (environment Access-Only / Bare-Refresh profiles) that
/// nothing could renew is handed out as it is; once a service has rejected it, a login is
/// required. With a way to renew it, it is renewed instead.
fn unknown_expiry_without_renewal_is_handed_out(d: Driver) {
    let clock = Arc::new(FakeClock(AtomicI64::new(1_000)));
    let server = Arc::new(FakeServer::new(clock.clone(), 14_400));
    let mut s = session(0);
    s.client = None;
    let mut t = TokenSet::new(UnixTime(0), Secret::new("b9ffb4ed-opaque"), None, None);
    t.expires_at = None;
    s.tokens = Some(t);
    let store = Arc::new(MemStore::default());
    store.save(&s).unwrap();
    let m = d.manager(
        store.clone(),
        server.clone(),
        clock.clone(),
        TokenManagerConfig::default(),
    );
    assert_eq!(m.access_token(600).unwrap().expose(), "b9ffb4ed-opaque");
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
    let e = m
        .refresh(Some(&Secret::new("b9ffb4ed-opaque")))
        .unwrap_err();
    assert!(e.is_login_required(), "{e:?}");

    // The same token with a refresh token and a confidential client is refreshed.
    s.client = Some(OAuthClient::new("cid", "ckey"));
    s.tokens.as_mut().unwrap().refresh_token = Some(Secret::new("refresh-0"));
    store.save(&s).unwrap();
    let m = d.manager(
        store.clone(),
        server.clone(),
        clock.clone(),
        TokenManagerConfig::default(),
    );
    assert!(m.access_token(600).unwrap().expose().starts_with("ey"));
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);

    // In a read-only store (the environment, shared by many processes) it is handed out as it
    // is, so that no process spends the single-use refresh token on a guess; once a service
    // rejects it, it is refreshed (in memory).
    let ro = Arc::new(MemStore::default());
    ro.save(&s).unwrap();
    ro.read_only.store(true, Ordering::SeqCst);
    let m = d.manager(ro, server.clone(), clock, TokenManagerConfig::default());
    assert_eq!(m.access_token(600).unwrap().expose(), "b9ffb4ed-opaque");
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    let t = m.refresh(Some(&Secret::new("b9ffb4ed-opaque"))).unwrap();
    assert!(t.access_token.expose().starts_with("ey"));
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 2);
    assert_eq!(m.access_token(600).unwrap(), t.access_token);
}

/// A password held in memory (explicit arguments persisted to a file store) survives adopting
/// the store's copy of the session, which never holds one: the password grant stays available.
fn password_in_memory_survives_adopting_the_stored_session(d: Driver) {
    let clock = Arc::new(FakeClock(AtomicI64::new(1_000)));
    let server = Arc::new(FakeServer::new(clock.clone(), 14_400));
    let store = Arc::new(MemStore::default());
    // Another process refreshed: the store holds a fresher token, no refresh token.
    let mut stored = session(50_000);
    stored.tokens.as_mut().unwrap().refresh_token = None;
    store.save(&stored).unwrap();
    let mut explicit = session(1_010);
    explicit.tokens.as_mut().unwrap().refresh_token = None;
    explicit.password = Some(Secret::new("pw-in-memory"));
    let m = d.manager_with_session(
        store.clone(),
        server.clone(),
        clock.clone(),
        TokenManagerConfig::default(),
        explicit,
    );
    // The stale explicit token is replaced by the store's fresher one.
    assert_eq!(
        m.access_token(60).unwrap(),
        stored.tokens.as_ref().unwrap().access_token
    );
    assert!(m.session().unwrap().password.is_some());
    // When that one expires, the password grant renews it.
    clock.0.store(60_000, Ordering::SeqCst);
    let t = m.access_token(60).unwrap();
    assert!(t.expose().starts_with("ey"));
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
}

/// A token of unknown expiry that is handed out as it is (read-only store) is served by the hot
/// path: one clock read, no lock, like any other valid cached token.
fn unknown_expiry_handed_out_as_is_takes_the_hot_path(d: Driver) {
    struct CountingClock(AtomicUsize);
    impl Clock for CountingClock {
        fn now(&self) -> UnixTime {
            self.0.fetch_add(1, Ordering::SeqCst);
            UnixTime(1_000)
        }
    }
    let clock = Arc::new(CountingClock(AtomicUsize::new(0)));
    let server = Arc::new(FakeServer::new(
        Arc::new(FakeClock(AtomicI64::new(1_000))),
        14_400,
    ));
    let mut s = session(0);
    s.tokens = Some(TokenSet::new(
        UnixTime(0),
        Secret::new("b9ffb4ed-opaque"),
        Some(Secret::new("refresh-0")),
        None,
    ));
    let ro = Arc::new(MemStore::default());
    ro.save(&s).unwrap();
    ro.read_only.store(true, Ordering::SeqCst);
    let m = d.manager(
        ro,
        server.clone(),
        clock.clone(),
        TokenManagerConfig::default(),
    );
    assert_eq!(m.access_token(600).unwrap().expose(), "b9ffb4ed-opaque");
    let before = clock.0.load(Ordering::SeqCst);
    for _ in 0..3 {
        assert_eq!(m.access_token(600).unwrap().expose(), "b9ffb4ed-opaque");
    }
    assert_eq!(
        clock.0.load(Ordering::SeqCst) - before,
        3,
        "one clock read per call"
    );
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
    // Once a service rejects it, it is refreshed, and the new token is served as usual.
    let t = m.refresh(Some(&Secret::new("b9ffb4ed-opaque"))).unwrap();
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(m.access_token(600).unwrap(), t.access_token);
}

/// A store whose refresh claims are scripted: each `claim_refresh` takes the next script entry.
/// `Taken` watches run their closure (what the other process does) and report its state.
struct ClaimingStore {
    inner: Arc<MemStore>,
    script: Mutex<Vec<Scripted>>,
}

enum Scripted {
    Won,
    Taken(Box<dyn FnMut(&MemStore) -> ClaimState + Send>),
}

struct ScriptedWatch {
    store: Arc<MemStore>,
    f: Box<dyn FnMut(&MemStore) -> ClaimState + Send>,
}
impl tapis_auth_core::store::RefreshWatchImpl for ScriptedWatch {
    fn wait(&mut self) -> Result<ClaimState, StoreError> {
        Ok((self.f)(&self.store))
    }
    fn holder(&self) -> String {
        "pid 7 on node9".into()
    }
}

impl Store for ClaimingStore {
    fn load(&self, p: &str) -> Result<Option<Session>, StoreError> {
        self.inner.load(p)
    }
    fn save(&self, s: &Session) -> Result<(), StoreError> {
        self.inner.save(s)
    }
    fn delete(&self, p: &str) -> Result<bool, StoreError> {
        self.inner.delete(p)
    }
    fn list(&self) -> Result<Vec<String>, StoreError> {
        self.inner.list()
    }
    fn lock(&self, p: &str) -> Result<StoreLock, StoreError> {
        self.inner.lock(p)
    }
    fn claim_refresh(&self, _p: &str, _g: &str) -> Result<RefreshClaim, StoreError> {
        let next = self.script.lock().unwrap().remove(0);
        Ok(match next {
            Scripted::Won => RefreshClaim::Won(RefreshTicket::new(NoTicket)),
            Scripted::Taken(f) => RefreshClaim::Taken(RefreshWatch::new(ScriptedWatch {
                store: self.inner.clone(),
                f,
            })),
        })
    }
    fn describe(&self) -> String {
        "claiming".into()
    }
}

struct NoTicket;
impl tapis_auth_core::store::RefreshTicketImpl for NoTicket {
    fn settle(&mut self, _o: RefreshOutcome) {}
}

fn claiming(d: Driver, script: Vec<Scripted>) -> (Arc<MemStore>, Arc<FakeServer>, Under) {
    let (mem, server, clock, _m) = setup(d, 1_000, 1_010);
    let store = Arc::new(ClaimingStore {
        inner: mem.clone(),
        script: Mutex::new(script),
    });
    let m = d.manager(store, server.clone(), clock, TokenManagerConfig::default());
    (mem, server, m)
}

/// The watcher adopts what the winner saved and sends nothing.
fn a_watcher_adopts_the_winners_tokens_without_a_grant(d: Driver) {
    let (_mem, server, m) = claiming(
        d,
        vec![Scripted::Taken(Box::new(|s: &MemStore| {
            s.save(&session(20_000)).unwrap();
            ClaimState::Settled(RefreshOutcome::Saved)
        }))],
    );
    let t = m.access_token(60).unwrap();
    assert_eq!(t, session(20_000).tokens.unwrap().access_token);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
}

/// A watcher told "saved" while its store still shows the old state (a stale file-system
/// cache) waits again, and adopts once the new state shows.
fn a_watcher_rereads_until_the_saved_state_shows(d: Driver) {
    let mut calls = 0;
    let (_mem, server, m) = claiming(
        d,
        vec![Scripted::Taken(Box::new(move |s: &MemStore| {
            calls += 1;
            if calls == 3 {
                s.save(&session(20_000)).unwrap();
            }
            ClaimState::Settled(RefreshOutcome::Saved)
        }))],
    );
    assert!(m.access_token(60).is_ok());
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
}

/// A manager that finds the refresh claimed by another process, whose claim says `told`.
fn watching(d: Driver, told: ClaimState) -> (Arc<FakeServer>, Under) {
    let (_mem, server, m) = claiming(d, vec![Scripted::Taken(Box::new(move |_: &MemStore| told))]);
    (server, m)
}

/// Told "rejected", the watcher fails at once with login required, sending nothing.
fn a_watcher_told_rejected_fails_fast(d: Driver) {
    let (server, m) = watching(d, ClaimState::Settled(RefreshOutcome::Rejected));
    let e = m.access_token(60).unwrap_err();
    assert!(matches!(e, Error::LoginRequired { .. }), "{e:?}");
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
}

/// A claim given back (its holder failed before spending, or died) is claimed again.
fn a_released_claim_is_claimed_again(d: Driver) {
    let (_mem, server, m) = claiming(
        d,
        vec![
            Scripted::Taken(Box::new(|_s: &MemStore| ClaimState::Released)),
            Scripted::Won,
        ],
    );
    assert!(m.access_token(60).is_ok());
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
}

/// New tokens the winner could not save are out of reach: say who and why.
fn a_watcher_told_unsaved_says_who_spent_the_token(d: Driver) {
    let (server, m) = watching(d, ClaimState::Settled(RefreshOutcome::Unsaved));
    let e = m.access_token(60).unwrap_err().to_string();
    assert!(
        e.contains("pid 7 on node9") && e.contains("could not save"),
        "{e}"
    );
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
}

/// The winner re-reads after winning: a state written meanwhile is adopted, not refreshed.
fn a_winner_adopts_a_state_written_before_its_claim(d: Driver) {
    let (mem, server, clock, _m) = setup(d, 1_000, 1_010);
    struct Racing(Arc<MemStore>);
    impl Store for Racing {
        fn load(&self, p: &str) -> Result<Option<Session>, StoreError> {
            self.0.load(p)
        }
        fn save(&self, s: &Session) -> Result<(), StoreError> {
            self.0.save(s)
        }
        fn delete(&self, p: &str) -> Result<bool, StoreError> {
            self.0.delete(p)
        }
        fn list(&self) -> Result<Vec<String>, StoreError> {
            self.0.list()
        }
        fn lock(&self, p: &str) -> Result<StoreLock, StoreError> {
            self.0.lock(p)
        }
        fn claim_refresh(&self, _p: &str, _g: &str) -> Result<RefreshClaim, StoreError> {
            // Another tool rotated between our read and our claim.
            self.0.save(&session(20_000))?;
            Ok(RefreshClaim::Won(RefreshTicket::new(NoTicket)))
        }
        fn describe(&self) -> String {
            "racing".into()
        }
    }
    let m = d.manager(
        Arc::new(Racing(mem)),
        server.clone(),
        clock,
        TokenManagerConfig::default(),
    );
    assert!(m.access_token(60).is_ok());
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);
}

/// Runs each named test body against both drivers.
macro_rules! both_drivers {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            $(#[test] fn $name() { super::$name(super::Driver::Blocking) })*
        }
        #[cfg(feature = "tokio")]
        mod on_tokio {
            $(#[test] fn $name() { super::$name(super::Driver::Tokio) })*
        }
    };
}

both_drivers!(
    the_tenant_is_read_from_memory_once_held,
    valid_token_needs_no_refresh,
    eight_threads_one_refresh,
    fresher_token_in_store_means_no_refresh,
    failed_refresh_keeps_stored_credentials,
    a_rejected_refresh_token_is_recorded_and_never_sent_again,
    an_impossible_min_valid_spends_no_grant,
    another_state_in_the_store_is_adopted_whatever_its_timestamps,
    save_failure_keeps_rotated_tokens_in_memory,
    refresh_after_failed_save_uses_the_rotated_token,
    a_new_login_after_a_failed_save_is_not_overwritten,
    min_valid_beyond_remaining_triggers_refresh,
    min_valid_beyond_token_lifetime_is_a_clear_error,
    forced_refresh_skips_when_someone_else_rotated,
    no_session_is_login_required_naming_profile_and_store,
    tokens_shorter_than_the_margin_are_still_handed_out,
    explicit_refresh_on_a_fresh_manager_really_refreshes,
    unknown_expiry_without_renewal_is_handed_out,
    password_in_memory_survives_adopting_the_stored_session,
    unknown_expiry_handed_out_as_is_takes_the_hot_path,
    a_watcher_adopts_the_winners_tokens_without_a_grant,
    a_watcher_rereads_until_the_saved_state_shows,
    a_watcher_told_rejected_fails_fast,
    a_released_claim_is_claimed_again,
    a_watcher_told_unsaved_says_who_spent_the_token,
    a_winner_adopts_a_state_written_before_its_claim,
);

/// A caller that stops waiting while the refresh request is in flight (here: a timeout) does
/// not abandon the refresh: the server has already rotated the tokens, and they are saved all
/// the same, so the spent refresh token is never all that is left.
#[cfg(feature = "tokio")]
#[test]
fn an_async_caller_giving_up_mid_refresh_loses_no_tokens() {
    /// The server answers at once (the grant is spent), the answer arrives 200 ms later.
    struct Slow(Arc<dyn Transport>);
    impl AsyncTransport for Slow {
        fn send<'a>(&'a self, request: &'a HttpRequest) -> ResponseFuture<'a> {
            let answered = self.0.send(request);
            Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                answered
            })
        }
    }
    let (store, server, clock, _m) = setup(Driver::Blocking, 1_000, 1_010);
    let m = AsyncTokenManager::new(
        store.clone(),
        Arc::new(Slow(server.clone())),
        clock,
        TokenManagerConfig::default(),
    );
    runtime().block_on(async {
        let wait = std::time::Duration::from_millis(20);
        let gave_up = tokio::time::timeout(wait, m.access_token(60)).await;
        assert!(gave_up.is_err(), "the caller stopped waiting");
        assert_eq!(
            server.refreshes.load(Ordering::SeqCst),
            1,
            "the grant was sent"
        );
        for _ in 0..100 {
            if store.saves.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            store.saves.load(Ordering::SeqCst),
            1,
            "the rotated tokens were saved"
        );
        let saved = store.load("default").unwrap().unwrap().tokens.unwrap();
        assert_eq!(m.access_token(60).await.unwrap(), saved.access_token);
        assert_eq!(
            server.refreshes.load(Ordering::SeqCst),
            1,
            "no second grant"
        );
    });
}
