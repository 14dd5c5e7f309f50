//! The conformance suite every store's tests run (feature `testing`).
//!
//! - [`conformance`]: single-process checks (round trip of every field for v2 and v3 sessions,
//!   list, delete, profiles kept apart, passwords never stored, re-entrant lock → load → save,
//!   lock excludes other threads).
//! - [`lock_contention`], [`concurrent_updates`], [`crash_consistency`]: multi-process checks.
//!   They re-run the current test binary as children: the test file must contain a test named
//!   like [`ChildCommand::test_name`] whose body calls [`child_entry`] first thing.
//! - [`corrupt_file_is_reported`] and [`assert_mode`] for file-backed stores.
//!
//! Every failure panics with a message saying what broke.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tapis_auth_core::{
    BaseUrl, OAuthClient, Platform, Secret, Session, Store, StoreError, Tenant, TokenSet, UnixTime,
};

/// Environment variable telling a re-executed test binary which child role to play.
pub const CHILD_ROLE_VAR: &str = "TAPIS_STORAGE_CHILD_ROLE";
/// Environment variable carrying the store specification to the child.
pub const CHILD_SPEC_VAR: &str = "TAPIS_STORAGE_CHILD_SPEC";
const CHILD_ARG_VAR: &str = "TAPIS_STORAGE_CHILD_ARG";

/// A Tapis v3 session with every field set.
pub fn sample_v3(profile: &str, n: u32) -> Session {
    let mut t = Tenant::new(
        BaseUrl::parse("https://tacc.tapis.io").unwrap(),
        Platform::TapisV3,
    )
    .with_id("tacc");
    t.name = Some("TACC".into());
    t.site_id = Some("tacc".into());
    t.status = Some("ACTIVE".into());
    t.token_service = Some("https://tacc.tapis.io/v3/tokens".into());
    t.authenticator = Some("https://tacc.tapis.io/v3/oauth2".into());
    t.public_key = Some("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----".into());
    let mut s = Session::new(profile, t);
    s.username = Some("jdoe".into());
    let mut c = OAuthClient::new("cid-v3", format!("client-key-{profile}"));
    c.name = Some("my_client".into());
    c.callback_url = Some("http://localhost:8765/cb".into());
    c.description = Some("test client".into());
    s.client = Some(c);
    s.tokens = Some(TokenSet {
        access_token: Secret::new(format!("eyJ.access-{profile}-{n}.sig")),
        refresh_token: Some(Secret::new(format!("eyJ.refresh-{profile}-{n}.sig"))),
        expires_at: Some(UnixTime(1_795_338_701 + i64::from(n))),
        issued_at: Some(UnixTime(1_795_324_301 + i64::from(n))),
        refresh_expires_at: Some(UnixTime(1_826_860_301)),
        token_type: None,
        jti: Some(format!("jti-{n}")),
        scope: Some("openid".into()),
    });
    s
}

/// An Agave v2 session with every field set.
pub fn sample_v2(profile: &str, n: u32) -> Session {
    let mut t = Tenant::new(
        BaseUrl::parse("https://api.tacc.utexas.edu").unwrap(),
        Platform::AgaveV2,
    )
    .with_id("tacc.prod");
    t.name = Some("TACC production".into());
    let mut s = Session::new(profile, t);
    s.username = Some("tacobot".into());
    let mut c = OAuthClient::new("KEY_v2", format!("SECRET-{profile}"));
    c.name = Some("cariad-major-puma".into());
    s.client = Some(c);
    s.tokens = Some(TokenSet {
        access_token: Secret::new(format!("access{profile}{n:06}")),
        refresh_token: Some(Secret::new(format!("refresh{profile}{n:06}"))),
        expires_at: Some(UnixTime(1_795_338_701 + i64::from(n))),
        issued_at: Some(UnixTime(1_795_324_301 + i64::from(n))),
        refresh_expires_at: None,
        token_type: Some("bearer".into()),
        jti: None,
        scope: Some("PRODUCTION".into()),
    });
    s
}

fn counter(s: &Session) -> u32 {
    s.tokens
        .as_ref()
        .and_then(|t| t.jti.as_deref())
        .and_then(|j| j.strip_prefix("jti-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Single-process conformance: `make` opens the store under test (fresh and empty for the first
/// call; later calls must open the *same* underlying store).
pub fn conformance(make: &dyn Fn() -> Arc<dyn Store>) {
    let store = make();
    assert!(store.is_writable());
    assert_eq!(
        store.load("nobody").unwrap(),
        None,
        "missing profile must be Ok(None)"
    );
    assert_eq!(store.list().unwrap(), Vec::<String>::new());
    assert!(!store.delete("nobody").unwrap());

    // Round trip of every field, v2 and v3; password never stored.
    let mut v3 = sample_v3("alpha", 1);
    v3.password = Some(Secret::new("pa55word"));
    store.save(&v3).unwrap();
    v3.password = None;
    let v2 = sample_v2("bravo", 1);
    store.save(&v2).unwrap();
    let again = make();
    assert_eq!(
        again.load("alpha").unwrap().as_ref(),
        Some(&v3),
        "v3 round trip"
    );
    assert_eq!(
        again.load("bravo").unwrap().as_ref(),
        Some(&v2),
        "v2 round trip"
    );
    assert_eq!(again.list().unwrap(), vec!["alpha", "bravo"]);

    // Profiles kept apart, even with the same tenant, user and client.
    let mut twin = sample_v3("charlie", 7);
    twin.tokens.as_mut().unwrap().access_token = Secret::new("eyJ.twin.sig");
    store.save(&twin).unwrap();
    assert_eq!(
        store.load("alpha").unwrap().as_ref(),
        Some(&v3),
        "alpha untouched by charlie"
    );
    assert_eq!(store.load("charlie").unwrap().as_ref(), Some(&twin));
    let v3b = sample_v3("alpha", 2);
    store.save(&v3b).unwrap();
    assert_eq!(store.load("alpha").unwrap().as_ref(), Some(&v3b), "replace");
    assert_eq!(
        store.load("charlie").unwrap().as_ref(),
        Some(&twin),
        "charlie untouched by alpha"
    );
    assert_eq!(store.load("bravo").unwrap().as_ref(), Some(&v2));

    // A session without client or tokens.
    let bare = Session::new(
        "delta",
        Tenant::new(
            BaseUrl::parse("https://dev.tapis.io").unwrap(),
            Platform::TapisV3,
        ),
    );
    store.save(&bare).unwrap();
    assert_eq!(store.load("delta").unwrap().as_ref(), Some(&bare));

    // Delete.
    assert!(store.delete("charlie").unwrap());
    assert!(!store.delete("charlie").unwrap());
    assert_eq!(store.load("charlie").unwrap(), None);
    assert_eq!(make().list().unwrap(), vec!["alpha", "bravo", "delta"]);

    // Re-entrant: lock → load → save on one thread does not deadlock.
    {
        let _g = store.lock("alpha").unwrap();
        let mut s = store.load("alpha").unwrap().unwrap();
        s.tokens.as_mut().unwrap().jti = Some("jti-3".into());
        store.save(&s).unwrap();
        let _g2 = store.lock("alpha").unwrap();
    }
    assert_eq!(counter(&store.load("alpha").unwrap().unwrap()), 3);

    // The lock excludes other threads (of this store and of another instance on the same data).
    {
        let g = store.lock("alpha").unwrap();
        let other = make();
        let (tx, rx) = std::sync::mpsc::channel();
        let h = std::thread::spawn(move || {
            let _g = other.lock("alpha").unwrap();
            tx.send(Instant::now()).unwrap();
        });
        std::thread::sleep(Duration::from_millis(150));
        let released = Instant::now();
        drop(g);
        let entered = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        h.join().unwrap();
        assert!(
            entered >= released,
            "another thread entered while the lock was held"
        );
    }

    // No secret in Debug or Display.
    let dbg = format!("{:?} {}", store.load("alpha").unwrap(), store.describe());
    for secret in ["client-key-alpha", "eyJ.access-alpha", "eyJ.refresh-alpha"] {
        assert!(!dbg.contains(secret), "{secret} leaked: {dbg}");
    }

    // Current profile.
    store.set_current_profile("bravo").unwrap();
    assert_eq!(make().current_profile().unwrap().as_deref(), Some("bravo"));
}

/// How to re-run this test binary as a child holding the same store.
#[derive(Clone, Debug)]
pub struct ChildCommand {
    /// The name of the test (in the same binary) that calls [`child_entry`].
    pub test_name: String,
    /// Opaque text handed to the child's `open` function (e.g. `json:/tmp/x`).
    pub spec: String,
}

impl ChildCommand {
    fn spawn(&self, role: &str, arg: &str) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                &self.test_name,
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ROLE_VAR, role)
            .env(CHILD_SPEC_VAR, &self.spec)
            .env(CHILD_ARG_VAR, arg)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child test process")
    }
}

fn wait_ok(mut c: Child, what: &str) {
    let st = c.wait().unwrap();
    assert!(st.success(), "{what} child failed: {st}");
}

/// Runs a child role if this process is a child; returns normally (doing nothing) otherwise.
/// Call it first thing in the test named by [`ChildCommand::test_name`]; `open` receives
/// [`ChildCommand::spec`].
pub fn child_entry(open: &dyn Fn(&str) -> Arc<dyn Store>) {
    let Ok(role) = std::env::var(CHILD_ROLE_VAR) else {
        return;
    };
    let spec = std::env::var(CHILD_SPEC_VAR).unwrap();
    let arg = std::env::var(CHILD_ARG_VAR).unwrap_or_default();
    let store = open(&spec);
    match role.as_str() {
        "lock" => {
            // arg: log file. Enter/exit 5 times, holding the lock for a while each time.
            for _ in 0..5 {
                let g = store.lock("p").unwrap();
                append(&arg, &format!("enter {}\n", std::process::id()));
                std::thread::sleep(Duration::from_millis(20));
                append(&arg, &format!("exit {}\n", std::process::id()));
                drop(g);
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        "update" => {
            // arg: "<profile> <n>": n read-modify-writes of its own profile.
            let (arg, n) = arg.split_once(' ').unwrap();
            let arg = arg.to_string();
            let n: u32 = n.parse().unwrap();
            for i in 1..=n {
                let _g = store.lock(&arg).unwrap();
                let mut s = store
                    .load(&arg)
                    .unwrap()
                    .unwrap_or_else(|| sample_v3(&arg, 0));
                assert_eq!(counter(&s), i - 1, "lost update in {arg}");
                s.tokens.as_mut().unwrap().jti = Some(format!("jti-{i}"));
                store.save(&s).unwrap();
            }
        }
        "crash" => {
            // Write forever; the parent kills us. arg: "<first counter> <progress file>".
            let (first, progress) = arg.split_once(' ').unwrap();
            let mut n: u32 = first.parse().unwrap();
            loop {
                n += 1;
                store.save(&sample_v2("crash", n)).unwrap();
                append_sync(progress, n);
            }
        }
        "read" => {
            // Read until the stop file appears; every session read must be whole (the old or
            // the new one, never a mix). arg: "<stop file> <count file>".
            let (stop, count_file) = arg.split_once(' ').unwrap();
            let mut reads = 0u64;
            let parent = std::os::unix::process::parent_id();
            // Stop with the parent too, so a failed campaign never leaves readers behind.
            while !Path::new(stop).exists() && std::os::unix::process::parent_id() == parent {
                // Read as often as a busy job would, without starving the writer.
                std::thread::sleep(Duration::from_micros(300));
                match store.load("crash") {
                    Ok(Some(s)) => {
                        let n = counter_v2(&s);
                        assert_eq!(s, sample_v2("crash", n), "a reader saw a torn session");
                        reads += 1;
                    }
                    Ok(None) => panic!("a reader found no session"),
                    Err(e) => panic!("a reader could not read the store: {e}"),
                }
            }
            let _ = std::fs::write(count_file, reads.to_string());
        }
        other => panic!("unknown child role {other}"),
    }
    std::process::exit(0);
}

fn append(path: &str, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(line.as_bytes()).unwrap();
}

fn append_sync(path: &str, n: u32) {
    // Progress marker: the last counter value known to be saved.
    let _ = std::fs::write(path, n.to_string());
}

/// Two processes contend for the lock; at most one is ever inside.
pub fn lock_contention(child: &ChildCommand, scratch: &Path) {
    let log = scratch.join("lock.log");
    let _ = std::fs::remove_file(&log);
    let log_s = log.to_string_lossy().into_owned();
    let a = child.spawn("lock", &log_s);
    let b = child.spawn("lock", &log_s);
    wait_ok(a, "lock");
    wait_ok(b, "lock");
    let text = std::fs::read_to_string(&log).unwrap();
    let mut inside: Option<&str> = None;
    let mut enters = 0;
    for line in text.lines() {
        let (what, pid) = line.split_once(' ').unwrap();
        match (what, inside) {
            ("enter", None) => {
                inside = Some(pid);
                enters += 1;
            }
            ("exit", Some(p)) if p == pid => inside = None,
            _ => panic!("two processes inside the lock at once:\n{text}"),
        }
    }
    assert_eq!(enters, 10, "{text}");
}

/// 16 processes each update their own profile 10 times; no update is lost.
pub fn concurrent_updates(child: &ChildCommand, open: &dyn Fn() -> Arc<dyn Store>) {
    concurrent_updates_n(child, open, 16, 10)
}

/// `procs` processes each update their own profile `iters` times; no update is lost.
pub fn concurrent_updates_n(
    child: &ChildCommand,
    open: &dyn Fn() -> Arc<dyn Store>,
    procs: usize,
    iters: u32,
) {
    let kids: Vec<_> = (0..procs)
        .map(|i| child.spawn("update", &format!("p{i:02} {iters}")))
        .collect();
    for k in kids {
        wait_ok(k, "update");
    }
    let store = open();
    for i in 0..procs {
        let s = store.load(&format!("p{i:02}")).unwrap().unwrap();
        assert_eq!(counter(&s), iters, "profile p{i:02} lost an update");
    }
}

/// Kills a writer with SIGKILL at random moments `rounds` times; after each kill the store must
/// load and hold a complete session at least as new as the last one known saved.
/// `open` opens the store fresh; `scratch` is a directory for the child's progress file.
pub fn crash_consistency(
    child: &ChildCommand,
    open: &dyn Fn() -> Arc<dyn Store>,
    scratch: &Path,
    rounds: u32,
    budget: Duration,
) {
    let progress: PathBuf = scratch.join("crash.progress");
    let start = Instant::now();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id());
    let mut last_known = 0u32;
    open().save(&sample_v2("crash", 0)).unwrap();
    let mut done = 0;
    let mut advanced = 0;
    for _ in 0..rounds {
        if start.elapsed() > budget {
            break;
        }
        let mut c = child.spawn("crash", &format!("{last_known} {}", progress.display()));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(2_000 + seed % 25_000));
        c.kill().unwrap(); // SIGKILL on Unix
        let _ = c.wait();
        let s = match open().load("crash") {
            Ok(Some(s)) => s,
            other => panic!("after a kill the store gives {other:?}"),
        };
        let n = counter_v2(&s);
        assert_eq!(
            s,
            sample_v2("crash", n),
            "after a kill the session is a mix"
        );
        let saved: u32 = std::fs::read_to_string(&progress)
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        assert!(
            n >= saved.max(last_known),
            "lost a durable save: have {n}, saved {saved}"
        );
        if n > last_known {
            advanced += 1;
        }
        last_known = n;
        done += 1;
    }
    assert!(done >= 20, "only {done} crash rounds fitted in the budget");
    assert!(
        advanced * 4 >= done,
        "the writer rarely got to write: {advanced} of {done} rounds"
    );
    eprintln!(
        "crash consistency: {done} kills, {advanced} with progress, final counter {last_known}"
    );
    let _ = std::fs::remove_file(progress);
}

/// The crash campaign: `readers` processes read the store continuously while a writer is
/// killed with SIGKILL `cycles` times (see [`crash_consistency`]). Every read must return a whole
/// session and every read after a kill the old or the new one. Returns (kills, reads).
pub fn crash_campaign(
    child: &ChildCommand,
    open: &dyn Fn() -> Arc<dyn Store>,
    scratch: &Path,
    cycles: u32,
    readers: usize,
    budget: Duration,
) -> (u32, u64) {
    open().save(&sample_v2("crash", 0)).unwrap();
    let stop = scratch.join("readers.stop");
    let _ = std::fs::remove_file(&stop);
    let counts: Vec<PathBuf> = (0..readers)
        .map(|i| scratch.join(format!("reader-{i}.count")))
        .collect();
    let children: Vec<Child> = counts
        .iter()
        .map(|c| child.spawn("read", &format!("{} {}", stop.display(), c.display())))
        .collect();
    crash_consistency(child, open, scratch, cycles, budget);
    std::fs::write(&stop, b"").unwrap();
    for c in children {
        wait_ok(c, "reader");
    }
    let reads = counts
        .iter()
        .map(|c| {
            std::fs::read_to_string(c)
                .ok()
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert!(reads > 0, "the readers never read");
    (cycles, reads)
}

fn counter_v2(s: &Session) -> u32 {
    s.tokens
        .as_ref()
        .map(|t| t.access_token.expose())
        .and_then(|a| a.strip_prefix("accesscrash"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

/// Asserts the permission bits of `path`.
pub fn assert_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let m = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        m,
        mode,
        "{} has mode {m:o}, expected {mode:o}",
        path.display()
    );
}

/// Writes `garbage` to `file`, then checks that load (of `profile`), list and save all fail with
/// [`StoreError::Corrupt`] naming the file (and a line and column when `with_position`), and
/// that the file is byte-for-byte unchanged.
pub fn corrupt_file_is_reported(
    store: &dyn Store,
    profile: &str,
    file: &Path,
    garbage: &[u8],
    with_position: bool,
) {
    std::fs::write(file, garbage).unwrap();
    let check = |r: Result<(), StoreError>, op: &str| match r {
        Err(StoreError::Corrupt {
            path, line, column, ..
        }) => {
            assert_eq!(path, file, "{op}: wrong path");
            if with_position {
                assert!(line.is_some() && column.is_some(), "{op}: no position");
            }
        }
        other => panic!("{op} on a corrupt file gave {other:?}"),
    };
    check(store.load(profile).map(|_| ()), "load");
    check(store.list().map(|_| ()), "list");
    check(store.save(&sample_v3(profile, 9)), "save");
    check(store.delete(profile).map(|_| ()), "delete");
    check(store.set_current_profile(profile), "set_current_profile");
    let msg = store.load(profile).unwrap_err().to_string();
    assert!(msg.contains(&file.display().to_string()), "{msg}");
    assert_eq!(
        std::fs::read(file).unwrap(),
        garbage,
        "the corrupt file was changed"
    );
}
