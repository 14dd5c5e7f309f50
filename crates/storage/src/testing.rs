//! The conformance suite every store's tests run (feature `testing`).
//!
//! - [`conformance`]: single-process checks (round trip of every field for v2 and v3 sessions,
//!   list, delete, profiles kept apart, passwords never stored, re-entrant lock → load → save,
//!   lock excludes other threads).
//! - [`lock_contention`], [`concurrent_updates`], [`crash_consistency`], [`crash_campaign`]:
//!   multi-process checks.
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
        refresh_rejected_at: None,
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
        refresh_rejected_at: None,
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
        self.spawn_with(role, arg, Stdio::null())
    }

    fn spawn_with(&self, role: &str, arg: &str, stdout: Stdio) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                &self.test_name,
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ROLE_VAR, role)
            .env(CHILD_SPEC_VAR, &self.spec)
            .env(CHILD_ARG_VAR, arg)
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child test process")
    }
}

fn wait_ok(mut c: Child, what: &str) {
    let st = c.wait().unwrap();
    assert!(st.success(), "{what} child failed: {st}");
}

/// Runs the child role this process was started for by a [`ChildCommand`]. Call it first thing
/// in the test named by [`ChildCommand::test_name`], marked `#[ignore]` (run on its own it
/// panics: it is not a test by itself); `open` receives [`ChildCommand::spec`].
pub fn child_entry(open: &dyn Fn(&str) -> Arc<dyn Store>) {
    let role = std::env::var(CHILD_ROLE_VAR).expect(
        "a child role runs only when a multi-process test starts it (run it with that test)",
    );
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
        "crash" => crash_writer(&*store, &arg),
        "read" => crash_reader(&*store, &arg),
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

/// The marker that starts every line a crash writer reports on its stdout; the test harness may
/// print its own text on the same pipe, so the parent looks for the marker anywhere in a line.
const CRASH_MARK: &str = "@crash ";

/// Child role "crash": saves generation after generation until the parent kills it.
/// arg: the generation the store holds. Reports on stdout, each line flushed before going on:
/// `ready` once the store is open, `B n` just before save `n` starts, `E n <µs>` once it returned.
fn crash_writer(store: &dyn Store, arg: &str) {
    let mut n: u32 = arg.trim().parse().unwrap();
    let mut out = std::io::stdout().lock();
    let mut report = |line: std::fmt::Arguments<'_>| {
        // A failed report means the parent is gone: stop writing.
        if writeln!(out, "\n{CRASH_MARK}{line}")
            .and_then(|()| out.flush())
            .is_err()
        {
            std::process::exit(0);
        }
    };
    report(format_args!("ready"));
    loop {
        n += 1;
        let session = sample_v2("crash", n);
        report(format_args!("B {n}"));
        let t = Instant::now();
        store.save(&session).unwrap();
        report(format_args!("E {n} {}", t.elapsed().as_micros()));
    }
}

/// Child role "read": loads the session until the stop file appears (or the parent exits) and
/// writes `reads torn regressions unreadable max_generation` to the count file.
/// arg: "<stop file> <count file>".
fn crash_reader(store: &dyn Store, arg: &str) {
    let (stop, count_file) = arg.split_once(' ').unwrap();
    let (mut reads, mut torn, mut regressions, mut unreadable) = (0u64, 0u64, 0u64, 0u64);
    let mut newest: Option<u32> = None;
    let mut complaints = 0;
    let mut complain = |what: String| {
        if complaints < 5 {
            eprintln!("crash reader {}: {what}", std::process::id());
        }
        complaints += 1;
    };
    let parent = std::os::unix::process::parent_id();
    // Stop with the parent too, so a failed campaign never leaves readers behind.
    while !Path::new(stop).exists() && std::os::unix::process::parent_id() == parent {
        // Read as often as a busy job would, without starving the writer.
        std::thread::sleep(Duration::from_micros(300));
        reads += 1;
        match store.load("crash") {
            Ok(Some(s)) => {
                let n = counter_v2(&s);
                if s != sample_v2("crash", n) {
                    torn += 1;
                    complain(format!("torn session (access token generation {n})"));
                } else if newest.is_some_and(|m| n < m) {
                    regressions += 1;
                    complain(format!(
                        "generation {n} after generation {}",
                        newest.unwrap_or_default()
                    ));
                } else {
                    newest = Some(n);
                }
            }
            Ok(None) => {
                unreadable += 1;
                complain("no session".into());
            }
            Err(e) => {
                unreadable += 1;
                complain(format!("cannot read the store: {e}"));
            }
        }
    }
    let max = newest.map_or_else(|| "-".to_string(), |m| m.to_string());
    let _ = std::fs::write(
        count_file,
        format!("{reads} {torn} {regressions} {unreadable} {max}"),
    );
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

/// What a crash run did and checked; see [`crash_consistency`] and [`crash_campaign`].
///
/// A report is only returned when every check passed, so `torn`, `regressions` and `unreadable`
/// are always 0 in it; they are counted (not assumed) by the reader processes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashReport {
    /// Writer processes killed with SIGKILL.
    pub kills: u32,
    /// Kills that landed inside a save: after the writer announced save `n` and before it
    /// reported that save `n` returned.
    pub interrupted_saves: u32,
    /// Interrupted saves whose new session was in the store after the kill (the others left the
    /// previous session in place).
    pub interrupted_landed: u32,
    /// Saves the writers reported as returned, over all writer processes.
    pub saves_completed: u64,
    /// The newest generation any writer started to save.
    pub newest_generation: u32,
    /// Reader processes.
    pub readers: usize,
    /// Loads done by the readers, each checked.
    pub reads: u64,
    /// Reads that were not exactly one generation's whole session.
    pub torn: u64,
    /// Reads that returned an older generation than an earlier read by the same reader.
    pub regressions: u64,
    /// Reads that failed or found no session.
    pub unreadable: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl std::fmt::Display for CrashReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} kills, {} interrupted saves ({} landed, {} rolled back), {} saves completed, \
             newest generation {}, {} readers, {} reads checked, {} torn, {} regressions, \
             {} unreadable, {:.1} s",
            self.kills,
            self.interrupted_saves,
            self.interrupted_landed,
            self.interrupted_saves - self.interrupted_landed,
            self.saves_completed,
            self.newest_generation,
            self.readers,
            self.reads,
            self.torn,
            self.regressions,
            self.unreadable,
            self.elapsed.as_secs_f64()
        )
    }
}

/// One line a crash writer reported.
enum WriterEvent {
    Ready,
    Begin(u32),
    End(u32, u64),
}

fn parse_writer_line(line: &str) -> Option<WriterEvent> {
    let (_, rec) = line.split_once(CRASH_MARK)?;
    let mut w = rec.split_whitespace();
    match (w.next()?, w.next(), w.next()) {
        ("ready", None, None) => Some(WriterEvent::Ready),
        ("B", Some(n), None) => Some(WriterEvent::Begin(n.parse().ok()?)),
        ("E", Some(n), Some(us)) => Some(WriterEvent::End(n.parse().ok()?, us.parse().ok()?)),
        _ => None,
    }
}

/// xorshift64*: enough randomness for kill points, no dependency.
struct KillRng(u64);

impl KillRng {
    fn new() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self((0x9E37_79B9_7F4A_7C15 ^ t ^ (u64::from(std::process::id()) << 32)) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// What one crash writer has reported so far.
struct WriterState {
    /// The generation the store held when the writer started.
    held: u32,
    ready: bool,
    begun: Option<u32>,
    ended: Option<u32>,
}

impl WriterState {
    fn apply(&mut self, ev: WriterEvent, report: &mut CrashReport, save_us: &mut f64) {
        match ev {
            WriterEvent::Ready => self.ready = true,
            WriterEvent::Begin(n) => {
                assert!(self.ready, "the writer saved before it reported ready");
                assert_eq!(
                    n,
                    self.begun.unwrap_or(self.held) + 1,
                    "the writer skipped a generation"
                );
                self.begun = Some(n);
                report.newest_generation = report.newest_generation.max(n);
            }
            WriterEvent::End(n, us) => {
                assert_eq!(
                    Some(n),
                    self.begun,
                    "the writer finished a save it never started"
                );
                self.ended = Some(n);
                report.saves_completed += 1;
                *save_us = 0.9 * *save_us + 0.1 * us as f64;
            }
        }
    }
}

/// Spawns one writer, kills it with SIGKILL inside one of its first saves, and checks the store:
/// it loads, holds one generation's whole session, and that generation is the last one the
/// writer finished (old) or, when the kill interrupted a save, the one it was saving (new).
/// Returns the generation the store now holds.
fn kill_one_writer(
    child: &ChildCommand,
    open: &dyn Fn() -> Arc<dyn Store>,
    rng: &mut KillRng,
    save_us: &mut f64,
    held: u32,
    report: &mut CrashReport,
) -> u32 {
    use std::io::BufRead;
    use std::sync::mpsc::{self, RecvTimeoutError};

    let mut c = child.spawn_with("crash", &held.to_string(), Stdio::piped());
    let out = c.stdout.take().expect("writer stdout");
    let (tx, rx) = mpsc::channel();
    let pump = std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Some(ev) = parse_writer_line(&line) {
                if tx.send(ev).is_err() {
                    break;
                }
            }
        }
    });
    let mut w = WriterState {
        held,
        ready: false,
        begun: None,
        ended: None,
    };
    // The writer reports `ready` once its store is open, then `B n` as each save starts. Kill it
    // at a random point after it has started save number `target` (its 1st, 2nd or 3rd): a
    // random delay of up to one average save time lands the kill somewhere inside that save,
    // or rarely inside a later one or between two.
    let target = held + 1 + rng.below(3) as u32;
    let deadline = Instant::now() + Duration::from_secs(60);
    while w.begun != Some(target) {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(ev) => w.apply(ev, report, save_us),
            Err(RecvTimeoutError::Disconnected) => {
                let st = c.wait().unwrap();
                panic!("the crash writer exited before it was killed: {st}");
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = c.kill();
                let _ = c.wait();
                panic!("the crash writer did not reach save {target} within 60 s");
            }
        }
    }
    let delay = rng.below(save_us.max(50.0) as u64);
    std::thread::sleep(Duration::from_micros(delay));
    c.kill().unwrap(); // SIGKILL on Unix
    let _ = c.wait();
    // Everything the writer reported before it died.
    for ev in rx.iter() {
        w.apply(ev, report, save_us);
    }
    pump.join().unwrap();
    report.kills += 1;

    let old = w.ended.unwrap_or(held);
    let interrupted = w.begun.filter(|&b| Some(b) != w.ended);
    let s = match open().load("crash") {
        Ok(Some(s)) => s,
        other => panic!("after a kill the store gives {other:?}"),
    };
    let n = counter_v2(&s);
    assert_eq!(
        s,
        sample_v2("crash", n),
        "after a kill the session is not one generation's whole session"
    );
    match interrupted {
        Some(new) => {
            assert!(
                n == old || n == new,
                "after a kill inside save {new} the store holds generation {n}, \
                 neither the old ({old}) nor the new one"
            );
            report.interrupted_saves += 1;
            if n == new {
                report.interrupted_landed += 1;
            }
        }
        None => assert_eq!(
            n, old,
            "after a kill between saves the store holds generation {n}, not the last saved"
        ),
    }
    n
}

/// Kills writers until `interrupted` kills have landed inside a save.
fn kill_writers(
    child: &ChildCommand,
    open: &dyn Fn() -> Arc<dyn Store>,
    interrupted: u32,
    budget: Duration,
    report: &mut CrashReport,
) {
    let start = Instant::now();
    let mut rng = KillRng::new();
    let mut save_us = 2_000.0;
    let mut held = 0;
    while report.interrupted_saves < interrupted {
        assert!(
            start.elapsed() < budget,
            "only {} of {interrupted} interrupted saves fitted in {budget:?} ({} kills)",
            report.interrupted_saves,
            report.kills
        );
        assert!(
            report.kills < 2 * interrupted + 100,
            "kills rarely land inside a save: {} of {} kills",
            report.interrupted_saves,
            report.kills
        );
        held = kill_one_writer(child, open, &mut rng, &mut save_us, held, report);
    }
}

/// Kills a writer process with SIGKILL at random points inside its save loop until `interrupted`
/// kills have landed inside a save (not before the first save, not between two). After every
/// kill the store must load and hold one generation's whole session: the one being saved when
/// the kill interrupted a save, or the last one saved. The writer reports each save's start and
/// end on a pipe, so every kill is classified exactly. Panics when `budget` runs out first.
/// `open` opens the store fresh.
pub fn crash_consistency(
    child: &ChildCommand,
    open: &dyn Fn() -> Arc<dyn Store>,
    interrupted: u32,
    budget: Duration,
) -> CrashReport {
    let start = Instant::now();
    open().save(&sample_v2("crash", 0)).unwrap();
    let mut report = CrashReport::default();
    kill_writers(child, open, interrupted, budget, &mut report);
    report.elapsed = start.elapsed();
    eprintln!("crash consistency: {report}");
    report
}

/// The crash campaign: `readers` processes load the session continuously while a writer is
/// killed with SIGKILL until `interrupted` kills have landed inside a save (see
/// [`crash_consistency`]). Every read of every reader must be exactly the whole session of a
/// generation some writer saved, and each reader's generations must never go backwards.
/// Returns the real counts; panics when a check fails or `budget` runs out first.
/// `scratch` holds the readers' stop and count files.
pub fn crash_campaign(
    child: &ChildCommand,
    open: &dyn Fn() -> Arc<dyn Store>,
    scratch: &Path,
    interrupted: u32,
    readers: usize,
    budget: Duration,
) -> CrashReport {
    let start = Instant::now();
    open().save(&sample_v2("crash", 0)).unwrap();
    let stop = scratch.join("readers.stop");
    let _ = std::fs::remove_file(&stop);
    let counts: Vec<PathBuf> = (0..readers)
        .map(|i| scratch.join(format!("reader-{i}.count")))
        .collect();
    for c in &counts {
        let _ = std::fs::remove_file(c);
    }
    let children: Vec<Child> = counts
        .iter()
        .map(|c| child.spawn("read", &format!("{} {}", stop.display(), c.display())))
        .collect();
    let mut report = CrashReport {
        readers,
        ..CrashReport::default()
    };
    kill_writers(child, open, interrupted, budget, &mut report);
    std::fs::write(&stop, b"").unwrap();
    for c in children {
        wait_ok(c, "reader");
    }
    for (i, c) in counts.iter().enumerate() {
        let text = std::fs::read_to_string(c)
            .unwrap_or_else(|e| panic!("reader {i} left no counts in {}: {e}", c.display()));
        let f: Vec<&str> = text.split_whitespace().collect();
        let num = |k: usize| -> u64 {
            f.get(k)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("reader {i}: bad counts {text:?}"))
        };
        let reads = num(0);
        assert!(reads > 0, "reader {i} never read");
        report.reads += reads;
        report.torn += num(1);
        report.regressions += num(2);
        report.unreadable += num(3);
        let newest = num(4);
        assert!(
            newest <= u64::from(report.newest_generation),
            "reader {i} read generation {newest}, but no writer went past {}",
            report.newest_generation
        );
    }
    report.elapsed = start.elapsed();
    eprintln!("crash campaign: {report}");
    assert!(
        report.torn == 0 && report.regressions == 0 && report.unreadable == 0,
        "readers saw bad reads: {report}"
    );
    report
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
