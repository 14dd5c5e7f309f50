//! Every fault the test authenticator can inject — 500, 502, 503, 504, 429, an answer slower
//! than the timeout, a connection dropped before or after the request was processed, a
//! malformed 200 body — on every flow in each dialect that has it: password login, refresh,
//! device-code start and poll (v3), OAuth client create / list / delete, userinfo, a service
//! call, logout (revoke) and the tenants listing.
//!
//! Every case asserts:
//! - **bounded time**: the operation ends within (requests to the faulted endpoint) × (tries ×
//!   timeout + the waits between tries) + a fixed slack — a correctness bound on the retry
//!   policy, not a benchmark;
//! - **a classified outcome**: the error variant (retryable where trying later may help), or
//!   the documented success (a logout always deletes locally; a client delete accepts any 2xx;
//!   a service call hands the status back);
//! - **the replay policy**: how many times the faulted endpoint was hit (token grants, client
//!   creation and the device-code request are never replayed once they may have been
//!   processed; reads and revocations are);
//! - **the store**: byte for byte unchanged after any failure; for logout, deleted;
//! - **the User-Agent**: every request the server saw carried `tapis-auth/<version>`.
//!
//! Cases run in parallel, each with its own server and cache directory.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use tapis_auth::http::USER_AGENT;
use tapis_auth::{AuthSession, DeviceLogin, Options, TransportConfig};
use tapis_auth_core::flow::clients::NewClient;
use tapis_auth_core::{
    BaseUrl, Error, HttpRequest, Method, Platform, Replay, Secret, TransportErrorKind,
};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{ConfigPatch, Fault, FaultKind, Stats, TestServer};

/// Per-request timeout of the transport under test (small: the whole file must stay fast).
const TIMEOUT: Duration = Duration::from_millis(1_000);
/// Attempts per request.
const TRIES: u32 = 3;
/// Everything that is not a faulted request: unfaulted requests, the store, a debug build,
/// cases running in parallel.
const SLACK: Duration = Duration::from_secs(5);
/// How long the "too slow" fault holds each answer back (well beyond [`TIMEOUT`]).
const TOO_SLOW_MS: u64 = 2_500;
/// How long the "slow but in time" fault holds an answer back (well within [`TIMEOUT`]).
const SLOW_MS: u64 = 100;

fn quick() -> TransportConfig {
    TransportConfig {
        connect_timeout: TIMEOUT,
        timeout: TIMEOUT,
        max_tries: TRIES,
        backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_millis(20),
        ..TransportConfig::default()
    }
}

/// The longest one request may take through the transport configured by `c`: every try
/// times out, and each wait between tries is the longer of the backoff and the longest
/// honoured `Retry-After`.
fn request_bound(c: &TransportConfig) -> Duration {
    let waits: Duration = (1..c.max_tries)
        .map(|attempt| {
            c.backoff
                .saturating_mul(1 << (attempt - 1))
                .max(c.max_retry_after)
        })
        .sum();
    c.timeout.saturating_mul(c.max_tries) + waits
}

fn restore_quick(dir: &Path) -> AuthSession {
    AuthSession::restore(Options {
        store_path: Some(dir.to_path_buf()),
        use_environment: false,
        transport: quick(),
        ..Options::default()
    })
    .unwrap()
}

fn token_endpoint(p: Platform) -> &'static str {
    if p == Platform::TapisV3 {
        "v3.tokens"
    } else {
        "v2.token"
    }
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().contains("lock"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

/// Every request the server counted carried the library's `User-Agent`.
fn assert_user_agent(stats: &Stats, what: &str) {
    assert_eq!(
        USER_AGENT,
        concat!("tapis-auth/", env!("CARGO_PKG_VERSION")),
        "the User-Agent names the library and its version"
    );
    if stats.total == 0 {
        return;
    }
    assert_eq!(
        stats.last_user_agent.as_deref(),
        Some(USER_AGENT),
        "{what}: last User-Agent"
    );
    let others: Vec<_> = stats
        .user_agents
        .keys()
        .filter(|ua| *ua != USER_AGENT)
        .collect();
    assert!(
        others.is_empty(),
        "{what}: other User-Agents seen: {others:?}"
    );
}

/// An operation of the library, run against a faulted endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    PasswordLogin,
    Refresh,
    DeviceStart,
    DevicePoll,
    ClientCreate,
    ClientList,
    ClientDelete,
    UserInfo,
    ServiceCall,
    Logout,
    Tenants,
}

const OPS: [Op; 11] = [
    Op::PasswordLogin,
    Op::Refresh,
    Op::DeviceStart,
    Op::DevicePoll,
    Op::ClientCreate,
    Op::ClientList,
    Op::ClientDelete,
    Op::UserInfo,
    Op::ServiceCall,
    Op::Logout,
    Op::Tenants,
];

impl Op {
    /// The dialects that have this operation (Agave v2 has no device flow).
    fn platforms(self) -> &'static [Platform] {
        match self {
            Op::DeviceStart | Op::DevicePoll => &[Platform::TapisV3],
            _ => &[Platform::TapisV3, Platform::AgaveV2],
        }
    }

    /// The endpoint key (and grant type) the fault is injected on.
    fn target(self, p: Platform) -> (&'static str, Option<&'static str>) {
        let v3 = p == Platform::TapisV3;
        let pick = |a, b| if v3 { a } else { b };
        match self {
            Op::PasswordLogin => (token_endpoint(p), Some("password")),
            Op::Refresh => (token_endpoint(p), Some("refresh_token")),
            Op::DeviceStart => ("v3.device_code", None),
            Op::DevicePoll => ("v3.tokens", Some("device_code")),
            Op::ClientCreate | Op::ClientList => (pick("v3.clients", "v2.clients"), None),
            Op::ClientDelete => (pick("v3.client", "v2.client"), None),
            Op::UserInfo => (pick("v3.userinfo", "v2.profile"), None),
            Op::ServiceCall => (pick("v3.systems", "v2.profile"), None),
            Op::Logout => (pick("v3.revoke", "v2.revoke"), None),
            Op::Tenants => (pick("v3.tenants", "v2.tenants"), None),
        }
    }

    /// Requests to the faulted endpoint that may be replayed after they may have been
    /// processed ([`Replay::Safe`]): reads, deletes and revocations. Token grants, client
    /// creation and the device-code request are not.
    fn replayable(self) -> bool {
        matches!(
            self,
            Op::ClientList
                | Op::ClientDelete
                | Op::UserInfo
                | Op::ServiceCall
                | Op::Logout
                | Op::Tenants
        )
    }

    /// Requests the operation sends to the faulted endpoint (logout revokes the access and
    /// the refresh token).
    fn requests(self) -> u32 {
        if self == Op::Logout {
            2
        } else {
            1
        }
    }

    /// Whether a successful run writes the store.
    fn writes(self) -> bool {
        matches!(self, Op::PasswordLogin | Op::Refresh | Op::Logout)
    }
}

/// A fault, as injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Status(u16),
    RateLimit,
    TooSlow,
    Slow,
    Drop,
    DropAfter,
    Malformed,
}

impl Kind {
    fn fault(self) -> Fault {
        match self {
            Kind::Status(s) => Fault::new("", FaultKind::Status).status(s),
            Kind::RateLimit => Fault::new("", FaultKind::RateLimit).retry_after(1),
            Kind::TooSlow => Fault::new("", FaultKind::Delay).delay_ms(TOO_SLOW_MS),
            Kind::Slow => Fault::new("", FaultKind::Delay).delay_ms(SLOW_MS),
            Kind::Drop => Fault::new("", FaultKind::Drop),
            Kind::DropAfter => Fault::new("", FaultKind::DropAfter),
            Kind::Malformed => Fault::new("", FaultKind::Malformed),
        }
    }

    /// Whether the transport tries again after this fault, for a request of `op`.
    fn retried(self, op: Op) -> bool {
        match self {
            // The server did not process a 429: always safe to send again.
            Kind::RateLimit => true,
            Kind::Status(502..=504) | Kind::TooSlow | Kind::Drop | Kind::DropAfter => {
                op.replayable()
            }
            Kind::Status(_) | Kind::Slow | Kind::Malformed => false,
        }
    }
}

/// The error a failed operation must report.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// `Error::Server` with this status, retryable.
    Server(u16),
    /// A transport timeout, retryable.
    Timeout,
    /// A broken connection, retryable.
    Broken,
    /// `Error::Malformed`.
    Malformed,
}

impl Want {
    fn matches(self, e: &Error) -> bool {
        let kind = match (self, e) {
            (Want::Server(s), Error::Server { status, .. }) => *status == s,
            (Want::Timeout, Error::Transport(t)) => t.kind == TransportErrorKind::Timeout,
            (Want::Broken, Error::Transport(t)) => t.kind == TransportErrorKind::Other,
            (Want::Malformed, Error::Malformed { .. }) => return true,
            _ => false,
        };
        kind && e.is_retryable()
    }
}

/// What an operation must produce under a fault.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Fails with this error; the store is unchanged.
    Fails(Want),
    /// Succeeds (the store is unchanged unless the operation writes it).
    Succeeds,
    /// A service call hands back a response with this status.
    Status(u16),
    /// Logout: succeeds and the session is gone from the store (documented: revocation is
    /// best effort, local deletion happens regardless).
    LoggedOut,
}

/// What an operation that fails for good on every try must report.
fn expect_persistent(op: Op, kind: Kind) -> Expect {
    let want = match kind {
        Kind::Status(s) => Want::Server(s),
        Kind::RateLimit => Want::Server(429),
        Kind::TooSlow => Want::Timeout,
        Kind::Drop | Kind::DropAfter => Want::Broken,
        Kind::Malformed => Want::Malformed,
        Kind::Slow => return Expect::Succeeds,
    };
    match (op, want) {
        (Op::Logout, _) => Expect::LoggedOut,
        // `send` classifies nothing: the caller gets the service's answer.
        (Op::ServiceCall, Want::Server(s)) => Expect::Status(s),
        (Op::ServiceCall, Want::Malformed) => Expect::Status(200),
        // Documented: any 2xx answer to a delete is success, with or without a body.
        (Op::ClientDelete, Want::Malformed) => Expect::Succeeds,
        _ => Expect::Fails(want),
    }
}

/// What an operation must report when the fault hits only its first try.
fn expect_transient(op: Op, kind: Kind) -> Expect {
    if kind.retried(op) || kind == Kind::Slow {
        return match op {
            Op::Logout => Expect::LoggedOut,
            Op::ServiceCall => Expect::Status(200),
            _ => Expect::Succeeds,
        };
    }
    expect_persistent(op, kind)
}

#[derive(Clone, Copy, Debug)]
struct Case {
    op: Op,
    platform: Platform,
    kind: Kind,
    /// Matching requests the fault applies to.
    count: u32,
    expect: Expect,
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} under {:?} ×{}",
            self.platform, self.op, self.kind, self.count
        )
    }
}

/// The operation, set up and ready to run.
enum Ready {
    Session(AuthSession),
    Device(Box<DeviceLogin>),
}

/// What a successful run produced.
#[derive(Debug)]
enum Done {
    Ok,
    Status(u16),
    Deleted(bool),
}

fn client_options(o: &mut Options, p: Platform) {
    let (id, key) = match p {
        Platform::TapisV3 => ("test-client", "test-client-key"),
        _ => ("v2-test-key", "v2-test-secret"),
    };
    o.client_id = Some(id.into());
    o.client_key = Some(Secret::new(key));
}

/// Logs in, then sets up what the operation needs — all before the fault is injected. The
/// login's session (quick transport) runs the operation; a refresh runs in a session restored
/// from the store, as in a new process.
fn prepare(srv: &TestServer, dir: &Path, op: Op, p: Platform) -> Ready {
    let mut o = options(srv, dir, StoreKind::Json, p);
    o.transport = quick();
    o.tenants_url = Some(format!("{}/tenants", srv.url()));
    o.username = Some("testuser".into());
    // Kept in memory: Agave v2 manages clients with the password.
    o.password = Some(Secret::new("testpass"));
    client_options(&mut o, p);
    let s = AuthSession::open(o).unwrap();
    s.login_password(false).unwrap();
    match op {
        Op::Refresh => {
            expire_stored_token(dir, StoreKind::Json);
            Ready::Session(restore_quick(dir))
        }
        Op::ClientDelete => {
            s.create_client(&NewClient {
                client_id: Some("doomed-client".into()),
                ..Default::default()
            })
            .unwrap();
            Ready::Session(s)
        }
        Op::DevicePoll => Ready::Device(Box::new(s.device_start().unwrap())),
        _ => Ready::Session(s),
    }
}

fn execute(srv: &TestServer, op: Op, p: Platform, ready: Ready) -> Result<Done, Error> {
    let s = match ready {
        Ready::Device(mut login) => return login.poll().map(|_| Done::Ok),
        Ready::Session(s) => s,
    };
    match op {
        Op::PasswordLogin => s.login_password(false).map(|_| Done::Ok),
        Op::Refresh => s.access_token(60).map(|_| Done::Ok),
        Op::DeviceStart => s.device_start().map(|_| Done::Ok),
        Op::DevicePoll => unreachable!("prepared as a device login"),
        Op::ClientCreate => s
            .create_client(&NewClient {
                client_id: Some("fault-client".into()),
                ..Default::default()
            })
            .map(|_| Done::Ok),
        Op::ClientList => s.list_clients().map(|_| Done::Ok),
        Op::ClientDelete => s.delete_client("doomed-client").map(|_| Done::Ok),
        Op::UserInfo => s.userinfo().map(|_| Done::Ok),
        Op::ServiceCall => {
            let path = match p {
                Platform::TapisV3 => "/v3/systems",
                _ => "/profiles/v2/me",
            };
            let url = format!("{}{path}", srv.url());
            s.send(HttpRequest::new(Method::Get, url, Replay::Safe))
                .map(|r| Done::Status(r.status))
        }
        Op::Logout => s.logout().map(Done::Deleted),
        Op::Tenants => {
            let base = BaseUrl::parse(srv.url()).unwrap();
            s.list_tenants(&base, p).map(|_| Done::Ok)
        }
    }
}

fn hits(stats: &Stats, op: Op, p: Platform) -> u64 {
    let (endpoint, grant) = op.target(p);
    match grant {
        Some(g) => stats.grant(&format!("{}.{g}", &endpoint[..2])),
        None => stats.endpoint(endpoint),
    }
}

/// How many requests reach the faulted endpoint: each try takes one fault while any are
/// left; a faulted try is followed by another only when the transport replays it, up to
/// [`TRIES`]; an operation stops at its first failed request, except logout (revocation is
/// best effort).
fn expected_hits(c: &Case) -> u32 {
    let mut faults_left = c.count;
    let mut hits = 0;
    for _ in 0..c.op.requests() {
        let mut attempt = 0;
        let answered = loop {
            attempt += 1;
            hits += 1;
            if faults_left == 0 {
                break true;
            }
            faults_left -= 1;
            if c.kind == Kind::Slow {
                break true; // late, but in time
            }
            if !c.kind.retried(c.op) || attempt == TRIES {
                break false;
            }
        };
        if !answered && c.op != Op::Logout {
            break;
        }
    }
    hits
}

fn run_case(c: &Case) {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let ready = prepare(&srv, dir.path(), c.op, c.platform);
    assert_user_agent(&srv.stats(), &format!("{c}: setup"));
    let before = snapshot(dir.path());
    let (endpoint, grant) = c.op.target(c.platform);
    let mut fault = c.kind.fault().times(c.count);
    fault.endpoint = endpoint.into();
    fault.grant = grant.map(String::from);
    srv.inject_fault(fault);
    srv.reset_stats();

    let started = Instant::now();
    let result = execute(&srv, c.op, c.platform, ready);
    let elapsed = started.elapsed();

    let bound = request_bound(&quick()) * c.op.requests() + SLACK;
    assert!(elapsed < bound, "{c}: took {elapsed:?}, bound {bound:?}");
    let stats = srv.stats();
    assert_user_agent(&stats, &c.to_string());
    assert!(
        stats.faults_fired.values().sum::<u64>() >= 1,
        "{c}: the fault never fired"
    );

    // The replay policy: how often the faulted endpoint was asked.
    let expected_hits = expected_hits(c);
    assert_eq!(
        hits(&stats, c.op, c.platform),
        u64::from(expected_hits),
        "{c}: requests to {endpoint} ({result:?})"
    );

    match (c.expect, result) {
        (Expect::Fails(want), Err(e)) => {
            assert!(want.matches(&e), "{c}: expected {want:?}, got {e:?}");
            let text = e.to_string();
            for secret in ["testpass", "test-client-key", "v2-test-secret"] {
                assert!(!text.contains(secret), "{c}: {secret} in {text}");
            }
            assert_eq!(
                snapshot(dir.path()),
                before,
                "{c}: store changed after a failure"
            );
        }
        (Expect::Succeeds, Ok(Done::Ok)) => {
            if !c.op.writes() {
                assert_eq!(snapshot(dir.path()), before, "{c}: store changed");
            }
        }
        (Expect::Status(want), Ok(Done::Status(got))) => {
            assert_eq!(got, want, "{c}: status handed back");
            assert_eq!(snapshot(dir.path()), before, "{c}: store changed");
        }
        (Expect::LoggedOut, Ok(Done::Deleted(deleted))) => {
            assert!(deleted, "{c}: logout reported nothing deleted");
            let e = AuthSession::restore(Options {
                store_path: Some(dir.path().to_path_buf()),
                use_environment: false,
                ..Options::default()
            })
            .unwrap_err();
            assert!(e.is_login_required(), "{c}: session still stored: {e:?}");
        }
        (expect, got) => panic!("{c}: expected {expect:?}, got {got:?}"),
    }
}

/// Runs the cases on a few threads and reports every failed one.
fn run_all(cases: &[Case]) {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    // Most of a case is spent waiting for timeouts, not computing: more workers than CPUs.
    let workers = 12;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = cases.get(i) else { break };
                if let Err(p) = catch_unwind(AssertUnwindSafe(|| run_case(c))) {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panicked".into());
                    failures.lock().unwrap().push(msg);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn cases(kinds: &[Kind], count: u32, expect: fn(Op, Kind) -> Expect) -> Vec<Case> {
    let mut v = Vec::new();
    for &kind in kinds {
        for op in OPS {
            for &platform in op.platforms() {
                v.push(Case {
                    op,
                    platform,
                    kind,
                    count,
                    expect: expect(op, kind),
                });
            }
        }
    }
    v
}

/// Faults on every try: each operation fails in bounded time with a classified error (or
/// its documented outcome) and the store is left as it was.
#[test]
fn every_flow_under_every_persistent_fault() {
    let kinds = [
        Kind::TooSlow, // the slowest first
        Kind::Status(500),
        Kind::Status(502),
        Kind::Status(503),
        Kind::RateLimit,
        Kind::Drop,
        Kind::DropAfter,
        Kind::Malformed,
    ];
    let all = cases(&kinds, 100, expect_persistent);
    assert_eq!(all.len(), 8 * 20);
    run_all(&all);
}

/// A fault on the first try only: replayable requests (and every request after a 429) go
/// through on the next try; the others fail without being replayed.
#[test]
fn every_flow_after_one_transient_fault() {
    let kinds = [Kind::Status(503), Kind::RateLimit, Kind::Drop, Kind::Slow];
    let all = cases(&kinds, 1, expect_transient);
    assert_eq!(all.len(), 4 * 20);
    run_all(&all);
}

#[test]
fn a_refresh_token_spent_by_a_dropped_response_is_reported_as_login_required() {
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        let srv = server();
        srv.set_config(ConfigPatch {
            v3_single_use_refresh: Some(true),
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        login(&srv, dir.path(), StoreKind::Json, platform);
        expire_stored_token(dir.path(), StoreKind::Json);
        let before = snapshot(dir.path());
        srv.inject_fault(Fault {
            endpoint: token_endpoint(platform).into(),
            ..Fault::new("", FaultKind::DropAfter).grant("refresh_token")
        });
        let e = restore_quick(dir.path()).access_token(60).unwrap_err();
        assert!(matches!(e, Error::Transport(_)), "{platform}: {e:?}");
        assert_eq!(
            snapshot(dir.path()),
            before,
            "{platform}: nothing written after a lost response"
        );
        // The server spent the token: the next attempt is a clear login-required error, and
        // the stored session is still there (never silently deleted), its refresh token
        // marked rejected so that no process sends it again.
        srv.reset_stats();
        let e = restore_quick(dir.path()).access_token(60).unwrap_err();
        assert!(e.is_login_required(), "{platform}: {e:?}");
        assert_eq!(
            without_rejection_mark(snapshot(dir.path())),
            without_rejection_mark(before.clone()),
            "{platform}: the stored session changed beyond the rejection mark"
        );
        assert_ne!(
            snapshot(dir.path()),
            before,
            "{platform}: no rejection recorded"
        );
        let e = restore_quick(dir.path()).access_token(60).unwrap_err();
        assert!(e.is_login_required(), "{platform}: {e:?}");
        let key = format!("{}.refresh_token", platform_key(platform));
        assert_eq!(
            srv.stats().grant(&key),
            1,
            "{platform}: the dead token was sent again"
        );
    }
}

/// The snapshot with every `tapis_refresh_rejected_at` key taken out of `config.json`.
fn without_rejection_mark(files: Vec<(String, Vec<u8>)>) -> Vec<(String, serde_json::Value)> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("tapis_refresh_rejected_at");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    files
        .into_iter()
        .map(|(p, b)| {
            let mut v: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
            strip(&mut v);
            (p, v)
        })
        .collect()
}

fn platform_key(p: Platform) -> &'static str {
    match p {
        Platform::TapisV3 => "v3",
        _ => "v2",
    }
}

#[test]
fn after_a_failed_refresh_the_stored_credentials_still_work() {
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        let srv = server();
        let dir = tempfile::tempdir().unwrap();
        login(&srv, dir.path(), StoreKind::Json, platform);
        expire_stored_token(dir.path(), StoreKind::Json);
        srv.inject_fault(Fault {
            endpoint: token_endpoint(platform).into(),
            ..Fault::new("", FaultKind::Status)
                .status(503)
                .grant("refresh_token")
        });
        let e = restore_quick(dir.path()).access_token(60).unwrap_err();
        assert!(e.is_retryable(), "{platform}: {e:?}");
        // The fault has passed: the same stored refresh token works.
        assert!(
            restore_quick(dir.path()).access_token(60).is_ok(),
            "{platform}: credentials lost"
        );
    }
}

#[test]
fn safe_service_calls_are_retried_through_gateway_errors() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    srv.inject_fault(
        Fault::new("v3.systems", FaultKind::Status)
            .status(503)
            .times(2),
    );
    let s = restore_quick(dir.path());
    let resp = s
        .send(HttpRequest::new(
            Method::Get,
            format!("{}/v3/systems", srv.url()),
            Replay::Safe,
        ))
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(
        srv.stats().endpoint("v3.systems"),
        3,
        "two 503s, then success"
    );
    assert_user_agent(&srv.stats(), "service call");
}

#[test]
fn an_unreachable_server_is_a_network_error_and_the_store_is_kept() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    expire_stored_token(dir.path(), StoreKind::Json);
    let before = snapshot(dir.path());
    drop(srv); // the authenticator goes away
    let started = Instant::now();
    let e = restore_quick(dir.path()).access_token(60).unwrap_err();
    assert!(started.elapsed() < request_bound(&quick()) + SLACK);
    assert!(
        matches!(e, Error::Transport(ref t) if t.kind == TransportErrorKind::Connect),
        "{e:?}"
    );
    assert!(e.is_retryable());
    assert_eq!(snapshot(dir.path()), before);
}
