//! What the concerns share: the planted secrets, the call recorder (`sc!`, `v!`) and its
//! count of success and error paths per C function, the collector [`H`] of secrets and texts,
//! C-string helpers, options and sessions for the test authenticator, and [`child`], the run of
//! one concern as a child process.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Mutex;

use tapis_auth::{AuthSession, Options};
use tapis_auth_ffi::test_hooks;
use tapis_auth_ffi::*;
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{Config, Fault, FaultKind, TestServer, V2ClientSeed, V3ClientSeed};

pub(crate) const OK: tapis_auth_status = tapis_auth_status::TAPIS_AUTH_OK;

pub(crate) const USER: &str = "hyguser";
pub(crate) const PASSWORD: &str = "Hyg-P@ss-7f3q-secret";
pub(crate) const WRONG_PASSWORD: &str = "Hyg-Wrong-P@ss-2k8-secret";
pub(crate) const V3_CLIENT: &str = "hyg-client";
pub(crate) const V3_KEY: &str = "hyg-CLIENT-KEY-9x4-secret";
pub(crate) const WRONG_KEY: &str = "hyg-WRONG-KEY-8m1-secret";
pub(crate) const V2_CLIENT: &str = "hyg-v2-consumer-id";
pub(crate) const V2_SECRET: &str = "hyg-V2-SECRET-5n7-secret";
pub(crate) const BOGUS_ACCESS: &str = "hyg-BOGUS-ACCESS-TOKEN-3c5-secret";
pub(crate) const BOGUS_REFRESH: &str = "hyg-BOGUS-REFRESH-TOKEN-6v2-secret";
/// Functions without an error path: they take no argument that could be wrong.
pub(crate) const ONE_WAY: &[&str] = &["tapis_auth_version", "tapis_auth_options_new"];

/// `[calls on a success path, calls on an error path]` per function.
static COVERAGE: Mutex<BTreeMap<&'static str, [u32; 2]>> = Mutex::new(BTreeMap::new());

pub(crate) fn record(name: &'static str, ok: bool) {
    let mut c = COVERAGE.lock().unwrap();
    c.entry(name).or_default()[usize::from(!ok)] += 1;
}

/// Calls a status-returning function with a fresh `&mut err` appended, records the outcome,
/// and hands the error object (if any) to `H::outcome`.
macro_rules! sc {
    ($h:expr, $f:ident ( $($a:expr),* $(,)? )) => {{
        let mut e: *mut tapis_auth_ffi::tapis_auth_error = std::ptr::null_mut();
        let r = $f($($a,)* &mut e);
        $crate::common::record(stringify!($f), r == $crate::common::OK);
        $h.outcome(stringify!($f), r, e);
        r
    }};
}

/// Calls a function that returns a value, recording it as a success-path (`ok`) or error-path
/// (`bad`: NULL handle, unknown status number, ...) call.
macro_rules! v {
    (ok, $f:ident ( $($a:expr),* $(,)? )) => {{
        $crate::common::record(stringify!($f), true);
        $f($($a),*)
    }};
    (bad, $f:ident ( $($a:expr),* $(,)? )) => {{
        $crate::common::record(stringify!($f), false);
        $f($($a),*)
    }};
}
/// The concern's ignored child test, `hygiene_child`, which
/// [`crate::every_c_function_keeps_secrets_out_of_every_output`] runs as a child process (it
/// finds every `<concern>::hygiene_child`): `scenario: f` runs `f` once ([`child`]);
/// `per_store: f` runs it for every platform and store ([`child_per_store`]).
macro_rules! hygiene_child {
    (scenario: $f:path) => {
        $crate::common::hygiene_child!(@test $crate::common::child($f));
    };
    (per_store: $f:path) => {
        $crate::common::hygiene_child!(@test $crate::common::child_per_store($f));
    };
    (@test $run:expr) => {
        /// This concern's half of the parent test, run as a child process.
        #[test]
        #[ignore = "child process of every_c_function_keeps_secrets_out_of_every_output, which runs it"]
        fn hygiene_child() {
            $run;
        }
    };
}
pub(crate) use {hygiene_child, sc, v};

pub(crate) fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

pub(crate) fn not_utf8() -> CString {
    CString::new(vec![b'h', b'y', 0xff, 0xfe, b'g']).unwrap()
}

/// A borrowed C string (NULL => None).
pub(crate) fn borrowed(p: *const c_char) -> Option<String> {
    // SAFETY: NULL or a NUL-terminated string borrowed from a live library object.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Takes an owned string from the library (and frees it with `tapis_auth_string_free`).
pub(crate) fn owned(p: *mut c_char) -> Option<String> {
    let s = borrowed(p);
    v!(ok, tapis_auth_string_free(p));
    s
}

/// What the test saw: secrets (planted and collected) and every text the library produced.
#[derive(Default)]
pub(crate) struct H {
    /// Planted and collected secrets, in the order first seen.
    pub(crate) secrets: Vec<String>,
    /// Every text the library produced, with where it came from.
    pub(crate) texts: Vec<(String, String)>,
    /// Every status a call returned.
    pub(crate) statuses: BTreeSet<u32>,
}

impl H {
    pub(crate) fn secret(&mut self, s: &str) {
        if s.len() >= 8 && !self.secrets.iter().any(|x| x == s) {
            self.secrets.push(s.to_owned());
        }
    }

    pub(crate) fn text(&mut self, ctx: &str, t: impl Into<String>) {
        self.texts.push((ctx.to_owned(), t.into()));
    }

    /// Checks the error contract of a call and reads its error object through every accessor.
    pub(crate) fn outcome(&mut self, name: &str, r: tapis_auth_status, e: *mut tapis_auth_error) {
        self.statuses.insert(r as u32);
        let sname = borrowed(v!(ok, tapis_auth_status_name(r as u32))).unwrap();
        self.text(name, sname);
        if r == OK {
            assert!(e.is_null(), "{name}: OK but *err was set");
            return;
        }
        assert!(!e.is_null(), "{name}: {r:?} without an error object");
        assert_eq!(v!(ok, tapis_auth_error_status(e)), r, "{name}");
        let m = borrowed(v!(ok, tapis_auth_error_message(e))).unwrap();
        assert!(!m.is_empty(), "{name}: empty message");
        let http = v!(ok, tapis_auth_error_http_status(e));
        let retry = v!(ok, tapis_auth_error_is_retryable(e));
        // SAFETY: a live error object.
        let debug = format!("{:?}", unsafe { &*e });
        if std::env::var_os("HYGIENE_DEBUG").is_some() {
            eprintln!("{name}: {r:?}: {m}");
        }
        self.text(name, format!("{m} (http {http}, retryable {retry})"));
        self.text(name, debug);
        v!(ok, tapis_auth_error_free(e));
    }

    pub(crate) fn debug_session(&mut self, ctx: &str, s: *const tapis_auth_session) {
        self.text(ctx, test_hooks::debug_session(s));
    }

    pub(crate) fn debug_options(&mut self, ctx: &str, o: *const tapis_auth_options) {
        self.text(ctx, test_hooks::debug_options(o));
    }

    /// Collects the tokens, client key and password held in a store (every profile's current
    /// record as the library restores it, and for the JSON cache every `*token*` field).
    pub(crate) fn harvest(&mut self, kind: &str, path: &Path) {
        let k = StoreKind::parse(kind).unwrap();
        if let Ok(s) = AuthSession::restore(Options {
            store: k,
            store_path: Some(path.to_path_buf()),
            use_environment: false,
            ..Options::default()
        }) {
            self.text("rust: AuthSession", format!("{s:?}"));
            if let Ok(sess) = s.session() {
                self.text("rust: Session", format!("{sess:?}"));
                if let Some(t) = &sess.tokens {
                    self.secret(t.access_token.expose());
                    if let Some(r) = &t.refresh_token {
                        self.secret(r.expose());
                    }
                }
                if let Some(k) = sess.client.as_ref().and_then(|c| c.key.as_ref()) {
                    self.secret(k.expose());
                }
            }
        }
        if kind == "json" {
            for f in ["config.json", "current"] {
                if let Ok(text) = std::fs::read_to_string(path.join(f)) {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                        collect_tokens(&v, &mut self.secrets);
                    }
                }
            }
        }
    }

    /// Fails when a secret appears in any text seen (the parent checks that enough secrets
    /// were collected over all children).
    pub(crate) fn check(&self) {
        for (ctx, t) in &self.texts {
            for (i, s) in self.secrets.iter().enumerate() {
                if t.contains(s.as_str()) {
                    panic!(
                        "secret #{i} leaked in the output of {ctx}: {}",
                        t.replace(s.as_str(), "<SECRET>")
                    );
                }
            }
        }
    }
}

fn collect_tokens(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if let (true, Some(s)) = (k.ends_with("token") || k.contains("secret"), x.as_str())
                {
                    if s.len() >= 16 && !out.iter().any(|o| o == s) {
                        out.push(s.to_owned());
                    }
                }
                collect_tokens(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_tokens(x, out)),
        _ => {}
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Plat {
    V3,
    V2,
}

impl Plat {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Plat::V3 => "v3",
            Plat::V2 => "v2",
        }
    }
    pub(crate) fn client(self) -> (&'static str, &'static str) {
        match self {
            Plat::V3 => (V3_CLIENT, V3_KEY),
            Plat::V2 => (V2_CLIENT, V2_SECRET),
        }
    }
    pub(crate) fn token_endpoint(self) -> &'static str {
        match self {
            Plat::V3 => "v3.tokens",
            Plat::V2 => "v2.token",
        }
    }
}

pub(crate) fn store_path(dir: &Path, kind: &str) -> PathBuf {
    if kind == "sqlite" {
        dir.join("sessions.db")
    } else {
        dir.to_path_buf()
    }
}

/// An options builder for the test server, every setter called through the C ABI.
#[allow(clippy::too_many_arguments)]
pub(crate) fn options(
    h: &mut H,
    base_url: &str,
    plat: Plat,
    kind: &str,
    dir: &Path,
    password: Option<&str>,
    client: Option<(&str, &str)>,
) -> *mut tapis_auth_options {
    let o = v!(ok, tapis_auth_options_new());
    assert!(!o.is_null());
    let path = c(&store_path(dir, kind).display().to_string());
    assert_eq!(
        sc!(h, tapis_auth_options_set_base_url(o, c(base_url).as_ptr())),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_platform(o, c(plat.name()).as_ptr())
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_store(o, c(kind).as_ptr(), path.as_ptr())
        ),
        OK
    );
    assert_eq!(sc!(h, tapis_auth_options_set_use_environment(o, false)), OK);
    assert_eq!(
        sc!(h, tapis_auth_options_set_username(o, c(USER).as_ptr())),
        OK
    );
    if let Some(p) = password {
        assert_eq!(
            sc!(h, tapis_auth_options_set_password(o, c(p).as_ptr())),
            OK
        );
    }
    if let Some((id, key)) = client {
        assert_eq!(
            sc!(h, tapis_auth_options_set_client_id(o, c(id).as_ptr())),
            OK
        );
        assert_eq!(
            sc!(h, tapis_auth_options_set_client_key(o, c(key).as_ptr())),
            OK
        );
    }
    assert_eq!(sc!(h, tapis_auth_options_set_max_tries(o, 1)), OK);
    assert_eq!(
        sc!(h, tapis_auth_options_set_connect_timeout_ms(o, 3000)),
        OK
    );
    assert_eq!(sc!(h, tapis_auth_options_set_timeout_ms(o, 20_000)), OK);
    assert_eq!(sc!(h, tapis_auth_options_set_min_valid(o, 60)), OK);
    assert_eq!(
        sc!(h, tapis_auth_options_set_allow_insecure_http(o, false)),
        OK
    );
    assert_eq!(sc!(h, tapis_auth_options_set_ca_file(o, ptr::null())), OK);
    assert_eq!(sc!(h, tapis_auth_options_set_profile(o, ptr::null())), OK);
    assert_eq!(sc!(h, tapis_auth_options_set_tenant(o, ptr::null())), OK);
    assert_eq!(sc!(h, tapis_auth_options_set_persist(o, false)), OK);
    h.debug_options("options", o);
    o
}

pub(crate) fn open(h: &mut H, o: *const tapis_auth_options) -> *mut tapis_auth_session {
    let mut s = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_session_open(o, &mut s)), OK);
    assert!(!s.is_null());
    s
}

/// Gets a token through both token functions, collecting it as a secret.
pub(crate) fn token(h: &mut H, s: *mut tapis_auth_session) -> tapis_auth_status {
    let mut tok = ptr::null_mut();
    let r = sc!(h, tapis_auth_access_token(s, 0, &mut tok));
    if r == OK {
        let t = owned(tok).unwrap();
        h.secret(&t);
    }
    r
}

pub(crate) fn whoami(h: &mut H, ctx: &str, s: *mut tapis_auth_session) {
    let mut w = ptr::null_mut();
    if sc!(h, tapis_auth_session_whoami(s, &mut w)) != OK {
        return;
    }
    let strings = [
        v!(ok, tapis_auth_whoami_profile(w)),
        v!(ok, tapis_auth_whoami_username(w)),
        v!(ok, tapis_auth_whoami_tenant_id(w)),
        v!(ok, tapis_auth_whoami_base_url(w)),
        v!(ok, tapis_auth_whoami_platform(w)),
        v!(ok, tapis_auth_whoami_client_id(w)),
        v!(ok, tapis_auth_whoami_source(w)),
    ];
    for p in strings {
        if let Some(t) = borrowed(p) {
            h.text(ctx, t);
        }
    }
    let (e, r, has) = (
        v!(ok, tapis_auth_whoami_expires_at(w)),
        v!(ok, tapis_auth_whoami_refresh_expires_at(w)),
        v!(ok, tapis_auth_whoami_has_refresh_token(w)),
    );
    h.text(ctx, format!("{e} {r} {has}"));
    v!(ok, tapis_auth_whoami_free(w));
}

/// The server-side profile: every string it holds is scanned for secrets.
pub(crate) fn profile(h: &mut H, ctx: &str, s: *mut tapis_auth_session) {
    let mut p = ptr::null_mut();
    if sc!(h, tapis_auth_session_profile(s, &mut p)) != OK {
        return;
    }
    let strings = [
        v!(ok, tapis_auth_profile_username(p)),
        v!(ok, tapis_auth_profile_email(p)),
        v!(ok, tapis_auth_profile_first_name(p)),
        v!(ok, tapis_auth_profile_last_name(p)),
        v!(ok, tapis_auth_profile_full_name(p)),
    ];
    for t in strings.into_iter().filter_map(borrowed) {
        h.text(ctx, t);
    }
    v!(ok, tapis_auth_profile_free(p));
}

pub(crate) fn inject(srv: &TestServer, endpoint: &str, kind: FaultKind, grant: Option<&str>) {
    let mut f = Fault::new(endpoint, kind);
    if let Some(g) = grant {
        f = f.grant(g);
    }
    if kind == FaultKind::Status {
        f = f.status(500);
    }
    if kind == FaultKind::RateLimit {
        f = f.retry_after(1);
    }
    srv.inject_fault(f);
}

/// Makes the cache readable by others (the library tightens it and warns).
pub(crate) fn loosen(dir: &Path, kind: &str) {
    use std::os::unix::fs::PermissionsExt;
    let files = if kind == "json" {
        vec![dir.join("config.json"), dir.join("current")]
    } else {
        vec![dir.join("sessions.db")]
    };
    for f in files {
        if f.exists() {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

/// Every platform with every store, in the order the scenarios go through them.
pub(crate) const PLATFORM_STORES: [(Plat, &str); 4] = [
    (Plat::V3, "json"),
    (Plat::V3, "sqlite"),
    (Plat::V2, "json"),
    (Plat::V2, "sqlite"),
];

/// A session logged in with the planted password and the platform's client, on a store of
/// its own.
pub(crate) struct LoggedIn {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) o: *mut tapis_auth_options,
    pub(crate) s: *mut tapis_auth_session,
    pub(crate) kind: &'static str,
    /// `platform/store`, naming where a text came from.
    pub(crate) ctx: String,
}

impl LoggedIn {
    /// Logs in (and collects the tokens the store holds then).
    pub(crate) fn new(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) -> LoggedIn {
        let dir = tempfile::tempdir().unwrap();
        let o = options(
            h,
            srv.url(),
            plat,
            kind,
            dir.path(),
            Some(PASSWORD),
            Some(plat.client()),
        );
        let s = open(h, o);
        assert_eq!(sc!(h, tapis_auth_login_password(s, false)), OK);
        let l = LoggedIn {
            dir,
            o,
            s,
            kind,
            ctx: format!("{}/{kind}", plat.name()),
        };
        l.harvest(h);
        l
    }

    /// Collects the tokens the store holds now.
    pub(crate) fn harvest(&self, h: &mut H) {
        h.harvest(self.kind, &store_path(self.dir.path(), self.kind));
    }

    /// Frees the session and its options.
    pub(crate) fn close(self) {
        v!(ok, tapis_auth_session_free(self.s));
        v!(ok, tapis_auth_options_free(self.o));
    }
}

/// The test authenticator every child runs against: the planted user, password and clients.
fn server() -> TestServer {
    TestServer::start(Config {
        users: vec![(USER.into(), PASSWORD.into())],
        v3_clients: vec![V3ClientSeed {
            client_id: V3_CLIENT.into(),
            client_key: V3_KEY.into(),
            owner: USER.into(),
            callback_url: "http://127.0.0.1/callback".into(),
        }],
        v2_clients: vec![V2ClientSeed {
            name: "hyg-v2".into(),
            key: V2_CLIENT.into(),
            secret: V2_SECRET.into(),
            owner: USER.into(),
        }],
        ..Config::default()
    })
}

/// The variable naming the directory where a child leaves what its parent reads.
pub(crate) const CHILD_OUT: &str = "TAPIS_AUTH_HYGIENE_CHILD_OUT";

/// One concern's run as a child process of the parent test (`main.rs`): its scenario, with the
/// planted secrets and a test authenticator of its own. It leaves in [`CHILD_OUT`] the secrets
/// (for the parent to look for in this process's output), which C functions it called on which
/// path (`coverage`: `name successes errors` lines) and the statuses it saw, then checks every
/// text the scenario collected.
///
/// Run by hand (`cargo test --test hygiene -- --ignored login::`), without [`CHILD_OUT`], it
/// leaves them in a temporary directory: only its own checks count then.
pub(crate) fn child(scenario: impl FnOnce(&mut H, &TestServer)) {
    let scratch = tempfile::tempdir().unwrap();
    let out = std::env::var_os(CHILD_OUT).unwrap_or_else(|| scratch.path().into());
    let out = Path::new(&out);
    let srv = server();
    let mut h = H::default();
    for s in [
        PASSWORD,
        WRONG_PASSWORD,
        V3_KEY,
        WRONG_KEY,
        V2_SECRET,
        BOGUS_ACCESS,
        BOGUS_REFRESH,
    ] {
        h.secret(s);
    }
    scenario(&mut h, &srv);
    std::fs::write(out.join("secrets"), h.secrets.join("\n")).unwrap();
    let coverage: String = COVERAGE
        .lock()
        .unwrap()
        .iter()
        .map(|(f, [ok, err])| format!("{f} {ok} {err}\n"))
        .collect();
    std::fs::write(out.join("coverage"), coverage).unwrap();
    let statuses: Vec<String> = h.statuses.iter().map(u32::to_string).collect();
    std::fs::write(
        out.join("statuses"),
        format!("{}\n{}\n", h.texts.len(), statuses.join(" ")),
    )
    .unwrap();
    h.check();
}

/// [`child`] for a concern that runs `per_store` once for every platform and store in
/// [`PLATFORM_STORES`].
pub(crate) fn child_per_store(per_store: fn(&mut H, &TestServer, Plat, &'static str)) {
    child(|h, srv| {
        for (plat, kind) in PLATFORM_STORES {
            per_store(h, srv, plat, kind);
        }
    });
}
