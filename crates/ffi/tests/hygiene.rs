//! Secret hygiene over the whole C ABI (issue 7).
//!
//! [`every_c_function_keeps_secrets_out_of_every_output`] re-runs this test binary as a child
//! process (`RUST_LOG=trace`, `RUST_BACKTRACE=1`, output not captured, no `TAPIS_*`
//! variables) in which [`hygiene_child`] calls **every function declared in
//! `include/tapis_auth.h`** through its `extern "C"` entry point, on success and on its error
//! paths (NULL arguments, invalid UTF-8, out-of-range numbers, a bad base URL, an unreachable
//! server, plain HTTP to a remote host, a wrong password, a client key the server echoes back,
//! spent and bogus refresh tokens, faults injected into the test authenticator, a panic inside
//! the library), for Tapis v3 and Agave v2 and for the JSON and SQLite stores. It plants
//! distinctive passwords and client keys, collects every token the server issued (returned by
//! the library, or read back from the stores) and the client key `tapis_auth_client_create`
//! returned, and asserts that none of them appears in
//! - any error message, or the `Debug` print of any error object;
//! - any non-secret string the library returns (whoami getters, device strings, status
//!   names, warnings, the version);
//! - the `Debug` print of every Rust value the test can reach (options, sessions with their
//!   token manager, store and stored record, whoami, Rust-level errors, clients, device
//!   prompts);
//! - the child's stdout and stderr (logs and panic-hook output included).
//!
//! The child fails when a function of the header was never called, or was never called both
//! on a success and on an error path (`ONE_WAY` lists the two that have no error path), so a
//! new export without hygiene coverage fails this test.

#![allow(unsafe_code)]
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr;
use std::sync::Mutex;

use tapis_auth::{AuthSession, Options};
use tapis_auth_ffi::test_hooks;
use tapis_auth_ffi::*;
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{
    Config, ConfigPatch, Fault, FaultKind, RuntimeConfig, TestServer, V2ClientSeed, V3ClientSeed,
};

const OK: tapis_auth_status = tapis_auth_status::TAPIS_AUTH_OK;

const USER: &str = "hyguser";
const PASSWORD: &str = "Hyg-P@ss-7f3q-secret";
const WRONG_PASSWORD: &str = "Hyg-Wrong-P@ss-2k8-secret";
const V3_CLIENT: &str = "hyg-client";
const V3_KEY: &str = "hyg-CLIENT-KEY-9x4-secret";
const WRONG_KEY: &str = "hyg-WRONG-KEY-8m1-secret";
const V2_CLIENT: &str = "hyg-v2-consumer-id";
const V2_SECRET: &str = "hyg-V2-SECRET-5n7-secret";
const BOGUS_ACCESS: &str = "hyg-BOGUS-ACCESS-TOKEN-3c5-secret";
const BOGUS_REFRESH: &str = "hyg-BOGUS-REFRESH-TOKEN-6v2-secret";
/// Functions without an error path: they take no argument that could be wrong.
const ONE_WAY: &[&str] = &["tapis_auth_version", "tapis_auth_options_new"];

/// `[calls on a success path, calls on an error path]` per function.
static COVERAGE: Mutex<BTreeMap<&'static str, [u32; 2]>> = Mutex::new(BTreeMap::new());

fn record(name: &'static str, ok: bool) {
    let mut c = COVERAGE.lock().unwrap();
    c.entry(name).or_default()[usize::from(!ok)] += 1;
}

/// Calls a status-returning function with a fresh `&mut err` appended, records the outcome,
/// and hands the error object (if any) to `H::outcome`.
macro_rules! sc {
    ($h:expr, $f:ident ( $($a:expr),* $(,)? )) => {{
        let mut e: *mut tapis_auth_error = ptr::null_mut();
        let r = $f($($a,)* &mut e);
        record(stringify!($f), r == OK);
        $h.outcome(stringify!($f), r, e);
        r
    }};
}

/// Calls a function that returns a value, recording it as a success-path (`ok`) or error-path
/// (`bad`: NULL handle, unknown status number, ...) call.
macro_rules! v {
    (ok, $f:ident ( $($a:expr),* $(,)? )) => {{
        record(stringify!($f), true);
        $f($($a),*)
    }};
    (bad, $f:ident ( $($a:expr),* $(,)? )) => {{
        record(stringify!($f), false);
        $f($($a),*)
    }};
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn not_utf8() -> CString {
    CString::new(vec![b'h', b'y', 0xff, 0xfe, b'g']).unwrap()
}

/// A borrowed C string (NULL => None).
fn borrowed(p: *const c_char) -> Option<String> {
    // SAFETY: NULL or a NUL-terminated string borrowed from a live library object.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Takes an owned string from the library (and frees it with `tapis_auth_string_free`).
fn owned(p: *mut c_char) -> Option<String> {
    let s = borrowed(p);
    v!(ok, tapis_auth_string_free(p));
    s
}

/// What the test saw: secrets (planted and collected) and every text the library produced.
#[derive(Default)]
struct H {
    secrets: Vec<String>,
    texts: Vec<(String, String)>,
    statuses: BTreeSet<u32>,
}

impl H {
    fn secret(&mut self, s: &str) {
        if s.len() >= 8 && !self.secrets.iter().any(|x| x == s) {
            self.secrets.push(s.to_owned());
        }
    }

    fn text(&mut self, ctx: &str, t: impl Into<String>) {
        self.texts.push((ctx.to_owned(), t.into()));
    }

    /// Checks the error contract of a call and reads its error object through every accessor.
    fn outcome(&mut self, name: &str, r: tapis_auth_status, e: *mut tapis_auth_error) {
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

    fn debug_session(&mut self, ctx: &str, s: *const tapis_auth_session) {
        self.text(ctx, test_hooks::debug_session(s));
    }

    fn debug_options(&mut self, ctx: &str, o: *const tapis_auth_options) {
        self.text(ctx, test_hooks::debug_options(o));
    }

    /// Collects the tokens, client key and password held in a store (every profile's current
    /// record as the library restores it, and for the JSON cache every `*token*` field).
    fn harvest(&mut self, kind: &str, path: &Path) {
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

    fn check(&self) {
        assert!(self.secrets.len() >= 20, "too few secrets collected");
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

/// The exported functions declared in the checked-in header.
fn header_functions() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include/tapis_auth.h");
    let text = std::fs::read_to_string(path).unwrap();
    let mut names = BTreeSet::new();
    let mut in_comment = false;
    for line in text.lines() {
        let l = line.trim_start();
        if in_comment {
            in_comment = !l.contains("*/");
            continue;
        }
        if l.starts_with("/*") {
            in_comment = !l.contains("*/");
            continue;
        }
        if l.starts_with("//") || l.starts_with('#') {
            continue;
        }
        for (i, _) in l.match_indices("tapis_auth_") {
            let rest = &l[i..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if rest[name.len()..].starts_with('(') {
                names.insert(name);
            }
        }
    }
    names
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plat {
    V3,
    V2,
}

impl Plat {
    fn name(self) -> &'static str {
        match self {
            Plat::V3 => "v3",
            Plat::V2 => "v2",
        }
    }
    fn client(self) -> (&'static str, &'static str) {
        match self {
            Plat::V3 => (V3_CLIENT, V3_KEY),
            Plat::V2 => (V2_CLIENT, V2_SECRET),
        }
    }
    fn token_endpoint(self) -> &'static str {
        match self {
            Plat::V3 => "v3.tokens",
            Plat::V2 => "v2.token",
        }
    }
}

fn store_path(dir: &Path, kind: &str) -> PathBuf {
    if kind == "sqlite" {
        dir.join("sessions.db")
    } else {
        dir.to_path_buf()
    }
}

/// An options builder for the test server, every setter called through the C ABI.
#[allow(clippy::too_many_arguments)]
fn options(
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

fn open(h: &mut H, o: *const tapis_auth_options) -> *mut tapis_auth_session {
    let mut s = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_session_open(o, &mut s)), OK);
    assert!(!s.is_null());
    s
}

/// Gets a token through both token functions, collecting it as a secret.
fn token(h: &mut H, s: *mut tapis_auth_session) -> tapis_auth_status {
    let mut tok = ptr::null_mut();
    let r = sc!(h, tapis_auth_access_token(s, 0, &mut tok));
    if r == OK {
        let t = owned(tok).unwrap();
        h.secret(&t);
    }
    r
}

fn whoami(h: &mut H, ctx: &str, s: *mut tapis_auth_session) {
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
fn profile(h: &mut H, ctx: &str, s: *mut tapis_auth_session) {
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

fn inject(srv: &TestServer, endpoint: &str, kind: FaultKind, grant: Option<&str>) {
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

/// Calls that need no server: every options setter's error paths, the status functions, the
/// version, the `_free(NULL)` calls and NULL handles for every accessor.
fn without_server(h: &mut H) {
    let o = v!(ok, tapis_auth_options_new());
    let bad = not_utf8();
    let x = c("x");
    type Setter = extern "C" fn(
        *mut tapis_auth_options,
        *const c_char,
        *mut *mut tapis_auth_error,
    ) -> tapis_auth_status;
    // The string setters: NULL options, invalid UTF-8 (a would-be secret), and NULL (reset).
    macro_rules! string_setters {
        ($($f:ident),*) => {$(
            assert_ne!(sc!(h, $f(ptr::null_mut(), x.as_ptr())), OK);
            assert_ne!(sc!(h, $f(o, bad.as_ptr())), OK);
            assert_eq!(sc!(h, $f(o, ptr::null())), OK);
            let _: Setter = $f;
        )*};
    }
    string_setters!(
        tapis_auth_options_set_base_url,
        tapis_auth_options_set_tenant,
        tapis_auth_options_set_platform,
        tapis_auth_options_set_profile,
        tapis_auth_options_set_username,
        tapis_auth_options_set_password,
        tapis_auth_options_set_client_id,
        tapis_auth_options_set_client_key,
        tapis_auth_options_set_access_token,
        tapis_auth_options_set_refresh_token,
        tapis_auth_options_set_ca_file
    );
    // Secrets passed as invalid UTF-8 with a secret-looking prefix are not echoed either.
    let half = CString::new([PASSWORD.as_bytes(), &[0xff]].concat()).unwrap();
    assert_ne!(
        sc!(h, tapis_auth_options_set_password(o, half.as_ptr())),
        OK
    );
    let half = CString::new([BOGUS_REFRESH.as_bytes(), &[0xc3]].concat()).unwrap();
    assert_ne!(
        sc!(h, tapis_auth_options_set_refresh_token(o, half.as_ptr())),
        OK
    );
    assert_ne!(
        sc!(h, tapis_auth_options_set_platform(o, c("v9").as_ptr())),
        OK
    );
    assert_eq!(
        sc!(h, tapis_auth_options_set_tenant(o, c("tacc").as_ptr())),
        OK
    );
    // The store.
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(ptr::null_mut(), x.as_ptr(), ptr::null())
        ),
        OK
    );
    assert_ne!(
        sc!(h, tapis_auth_options_set_store(o, ptr::null(), ptr::null())),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(o, c("nosuch").as_ptr(), ptr::null())
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(o, bad.as_ptr(), ptr::null())
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(o, c("json").as_ptr(), bad.as_ptr())
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_store(o, c("memory").as_ptr(), ptr::null())
        ),
        OK
    );
    // Flags and numbers.
    assert_ne!(
        sc!(h, tapis_auth_options_set_persist(ptr::null_mut(), true)),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_use_environment(ptr::null_mut(), true)
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_allow_insecure_http(ptr::null_mut(), true)
        ),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_min_valid(o, -1)), OK);
    assert_ne!(
        sc!(h, tapis_auth_options_set_min_valid(ptr::null_mut(), 1)),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_connect_timeout_ms(o, 0)), OK);
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_connect_timeout_ms(ptr::null_mut(), 1)
        ),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_timeout_ms(o, 0)), OK);
    assert_ne!(
        sc!(h, tapis_auth_options_set_timeout_ms(ptr::null_mut(), 1)),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_max_tries(o, 0)), OK);
    assert_ne!(
        sc!(h, tapis_auth_options_set_max_tries(ptr::null_mut(), 1)),
        OK
    );
    // Secrets held by the builder never show in its Debug print.
    assert_eq!(
        sc!(h, tapis_auth_options_set_password(o, c(PASSWORD).as_ptr())),
        OK
    );
    assert_eq!(
        sc!(h, tapis_auth_options_set_client_key(o, c(V3_KEY).as_ptr())),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_access_token(o, c(BOGUS_ACCESS).as_ptr())
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_refresh_token(o, c(BOGUS_REFRESH).as_ptr())
        ),
        OK
    );
    h.debug_options("options with secrets", o);
    v!(ok, tapis_auth_options_free(o));
    v!(bad, tapis_auth_options_free(ptr::null_mut()));

    // Sessions: NULL out-pointers.
    assert_ne!(
        sc!(h, tapis_auth_session_open(ptr::null(), ptr::null_mut())),
        OK
    );
    assert_ne!(
        sc!(h, tapis_auth_session_restore(ptr::null(), ptr::null_mut())),
        OK
    );
    // Session functions on a NULL session.
    let mut tok = ptr::null_mut();
    let mut n = 0usize;
    let mut t = 0i64;
    let mut deleted = false;
    let mut w = ptr::null_mut();
    let mut d = ptr::null_mut();
    let (mut id, mut key) = (ptr::null_mut(), ptr::null_mut());
    let null = ptr::null_mut();
    assert_ne!(sc!(h, tapis_auth_access_token(null, 0, &mut tok)), OK);
    assert_ne!(
        sc!(
            h,
            tapis_auth_access_token_buf(null, 0, ptr::null_mut(), 0, &mut n)
        ),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_refresh(null)), OK);
    assert_ne!(sc!(h, tapis_auth_expires_at(null, &mut t)), OK);
    assert_ne!(sc!(h, tapis_auth_session_take_warnings(null, &mut tok)), OK);
    assert_ne!(sc!(h, tapis_auth_logout(null, &mut deleted)), OK);
    assert_ne!(sc!(h, tapis_auth_login_password(null, true)), OK);
    assert_ne!(sc!(h, tapis_auth_session_whoami(null, &mut w)), OK);
    let mut prof = ptr::null_mut();
    assert_ne!(sc!(h, tapis_auth_session_profile(null, &mut prof)), OK);
    assert_ne!(sc!(h, tapis_auth_device_start(null, &mut d)), OK);
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                null,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                &mut id,
                &mut key
            )
        ),
        OK
    );
    v!(bad, tapis_auth_session_free(ptr::null_mut()));
    // Device and whoami accessors on NULL.
    assert_ne!(sc!(h, tapis_auth_device_poll(ptr::null_mut())), OK);
    assert_ne!(sc!(h, tapis_auth_device_wait(ptr::null_mut(), 1)), OK);
    assert!(v!(bad, tapis_auth_device_user_code(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_device_verification_uri(ptr::null())).is_null());
    assert_eq!(v!(bad, tapis_auth_device_expires_at(ptr::null())), 0);
    assert_eq!(v!(bad, tapis_auth_device_next_poll_at(ptr::null())), 0);
    v!(bad, tapis_auth_device_free(ptr::null_mut()));
    assert!(v!(bad, tapis_auth_whoami_profile(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_username(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_tenant_id(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_base_url(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_platform(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_client_id(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_source(ptr::null())).is_null());
    assert_eq!(v!(bad, tapis_auth_whoami_expires_at(ptr::null())), 0);
    assert_eq!(
        v!(bad, tapis_auth_whoami_refresh_expires_at(ptr::null())),
        0
    );
    assert!(!v!(bad, tapis_auth_whoami_has_refresh_token(ptr::null())));
    v!(bad, tapis_auth_whoami_free(ptr::null_mut()));
    assert!(v!(bad, tapis_auth_profile_username(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_email(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_first_name(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_last_name(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_full_name(ptr::null())).is_null());
    v!(bad, tapis_auth_profile_free(ptr::null_mut()));
    // Error accessors on NULL (no error).
    assert_eq!(v!(bad, tapis_auth_error_status(ptr::null())), OK);
    assert_eq!(
        borrowed(v!(bad, tapis_auth_error_message(ptr::null()))).unwrap(),
        ""
    );
    assert_eq!(v!(bad, tapis_auth_error_http_status(ptr::null())), 0);
    assert!(!v!(bad, tapis_auth_error_is_retryable(ptr::null())));
    v!(bad, tapis_auth_error_free(ptr::null_mut()));
    v!(bad, tapis_auth_string_free(ptr::null_mut()));
    // A NULL err is allowed.
    assert_ne!(tapis_auth_refresh(null, ptr::null_mut()), OK);
    // Status functions: every known number, and an unknown one.
    for st in 0..1000 {
        h.text(
            "status_name",
            borrowed(v!(ok, tapis_auth_status_name(st))).unwrap(),
        );
    }
    h.text(
        "status_name",
        borrowed(v!(bad, tapis_auth_status_name(12_345))).unwrap(),
    );
    for st in [0u32, 100, 200, 300, 400, 500, 600, 700, 900] {
        let _ = v!(ok, tapis_auth_status_is_login_required(st));
        let _ = v!(ok, tapis_auth_status_is_pending(st));
        let _ = v!(ok, tapis_auth_status_is_network(st));
        let _ = v!(ok, tapis_auth_status_is_server(st));
        let _ = v!(ok, tapis_auth_status_is_storage(st));
        let _ = v!(ok, tapis_auth_status_is_usage(st));
    }
    for st in [12_345u32, u32::MAX] {
        assert!(!v!(bad, tapis_auth_status_is_login_required(st)));
        assert!(!v!(bad, tapis_auth_status_is_pending(st)));
        assert!(!v!(bad, tapis_auth_status_is_network(st)));
        assert!(!v!(bad, tapis_auth_status_is_server(st)));
        assert!(!v!(bad, tapis_auth_status_is_storage(st)));
        assert!(!v!(bad, tapis_auth_status_is_usage(st)));
    }
    h.text(
        "tapis_auth_version",
        borrowed(v!(ok, tapis_auth_version())).unwrap(),
    );
}

/// Connection-level failures: a bad base URL, an unreachable server, plain HTTP to a remote
/// host, a CA file that does not exist. Each with the planted password and client key.
fn bad_servers(h: &mut H, dir: &Path) {
    for url in [
        "not a url at all",
        "http://127.0.0.1:1",
        "http://tapis.example.invalid",
        "https://127.0.0.1:1",
    ] {
        for plat in [Plat::V3, Plat::V2] {
            let o = options(
                h,
                url,
                plat,
                "json",
                dir,
                Some(PASSWORD),
                Some(plat.client()),
            );
            if url.starts_with("https") {
                assert_eq!(
                    sc!(
                        h,
                        tapis_auth_options_set_ca_file(o, c("/nonexistent/ca.pem").as_ptr())
                    ),
                    OK
                );
            }
            let mut s = ptr::null_mut();
            if sc!(h, tapis_auth_session_open(o, &mut s)) == OK {
                assert_ne!(sc!(h, tapis_auth_login_password(s, true)), OK);
                h.debug_session(url, s);
                v!(ok, tapis_auth_session_free(s));
            }
            // An explicit session with a bogus refresh token against the same URL.
            assert_eq!(
                sc!(
                    h,
                    tapis_auth_options_set_refresh_token(o, c(BOGUS_REFRESH).as_ptr())
                ),
                OK
            );
            let mut s = ptr::null_mut();
            if sc!(h, tapis_auth_session_restore(o, &mut s)) == OK {
                assert_ne!(token(h, s), OK);
                assert_ne!(sc!(h, tapis_auth_refresh(s)), OK);
                v!(ok, tapis_auth_session_free(s));
            }
            v!(ok, tapis_auth_options_free(o));
        }
    }
}

/// Everything that takes a session, for one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &str) {
    let ctx = format!("{}/{kind}", plat.name());
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let url = srv.url();
    let client = Some(plat.client());

    // Nothing stored yet: restore says login required; open works.
    let o = options(h, url, plat, kind, dir, None, client);
    let mut s = ptr::null_mut();
    assert_eq!(
        sc!(h, tapis_auth_session_restore(o, &mut s)),
        tapis_auth_status::TAPIS_AUTH_ERR_LOGIN_REQUIRED
    );
    let s = open(h, o);
    assert_ne!(token(h, s), OK);
    assert_ne!(sc!(h, tapis_auth_refresh(s)), OK);
    let _ = sc!(h, tapis_auth_expires_at(s, &mut 0));
    whoami(h, &ctx, s);
    profile(h, &ctx, s);
    assert_ne!(sc!(h, tapis_auth_login_password(s, false)), OK); // no password
    v!(ok, tapis_auth_session_free(s));
    v!(ok, tapis_auth_options_free(o));

    // A wrong password, then a wrong client key (the Tapis Authenticator echoes it).
    for (pw, key) in [(WRONG_PASSWORD, plat.client().1), (PASSWORD, WRONG_KEY)] {
        let o = options(
            h,
            url,
            plat,
            kind,
            dir,
            Some(pw),
            Some((plat.client().0, key)),
        );
        let s = open(h, o);
        assert_ne!(sc!(h, tapis_auth_login_password(s, false)), OK);
        h.debug_session(&ctx, s);
        v!(ok, tapis_auth_session_free(s));
        v!(ok, tapis_auth_options_free(o));
    }

    // Login faults.
    let o = options(h, url, plat, kind, dir, Some(PASSWORD), client);
    let s = open(h, o);
    for kindf in [FaultKind::Status, FaultKind::Malformed, FaultKind::Drop] {
        inject(srv, plat.token_endpoint(), kindf, Some("password"));
        assert_ne!(sc!(h, tapis_auth_login_password(s, false)), OK);
    }

    // A working login.
    assert_eq!(sc!(h, tapis_auth_login_password(s, false)), OK);
    h.harvest(kind, &store_path(dir, kind));
    assert_eq!(token(h, s), OK);
    h.debug_session(&ctx, s);
    let mut tok = ptr::null_mut();
    assert_ne!(sc!(h, tapis_auth_access_token(s, -1, &mut tok)), OK);
    assert_ne!(sc!(h, tapis_auth_access_token(s, 0, ptr::null_mut())), OK);
    // The buffer variant: size query, too small, NULL buffer, then the copy.
    let mut needed = 0usize;
    assert_eq!(
        sc!(
            h,
            tapis_auth_access_token_buf(s, 0, ptr::null_mut(), 0, &mut needed)
        ),
        tapis_auth_status::TAPIS_AUTH_ERR_BUFFER_TOO_SMALL
    );
    let mut buf = vec![0u8; needed];
    assert_eq!(
        sc!(
            h,
            tapis_auth_access_token_buf(s, 0, buf.as_mut_ptr().cast(), 4, &mut needed)
        ),
        tapis_auth_status::TAPIS_AUTH_ERR_BUFFER_TOO_SMALL
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_access_token_buf(s, 0, ptr::null_mut(), 4, &mut needed)
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_access_token_buf(s, 0, buf.as_mut_ptr().cast(), needed, ptr::null_mut())
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_access_token_buf(s, -5, buf.as_mut_ptr().cast(), needed, &mut needed)
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_access_token_buf(s, 0, buf.as_mut_ptr().cast(), buf.len(), &mut needed)
        ),
        OK
    );
    h.secret(CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap());
    let mut t = 0i64;
    assert_eq!(sc!(h, tapis_auth_expires_at(s, &mut t)), OK);
    assert!(t > 0);
    assert_ne!(sc!(h, tapis_auth_expires_at(s, ptr::null_mut())), OK);
    whoami(h, &ctx, s);
    profile(h, &ctx, s);
    assert_ne!(sc!(h, tapis_auth_session_whoami(s, ptr::null_mut())), OK);

    // Refresh, then injected faults on the refresh grant.
    assert_eq!(sc!(h, tapis_auth_refresh(s)), OK);
    h.harvest(kind, &store_path(dir, kind));
    assert_eq!(token(h, s), OK);
    for kindf in [
        FaultKind::Status,
        FaultKind::RateLimit,
        FaultKind::Malformed,
        FaultKind::Drop,
    ] {
        inject(srv, plat.token_endpoint(), kindf, Some("refresh_token"));
        assert_ne!(sc!(h, tapis_auth_refresh(s)), OK);
    }
    h.debug_session(&ctx, s);

    // Create an OAuth client: its key is a secret too.
    let (mut id, mut key) = (ptr::null_mut(), ptr::null_mut());
    let name = c(&format!("hyg-made-{}-{kind}", plat.name()));
    let desc = c("made by the hygiene test");
    let r = sc!(
        h,
        tapis_auth_client_create(
            s,
            name.as_ptr(),
            ptr::null(),
            desc.as_ptr(),
            &mut id,
            &mut key
        )
    );
    assert_eq!(r, OK);
    h.text(&ctx, owned(id).unwrap());
    let made_key = owned(key).expect("a client key");
    h.secret(&made_key);
    let bad = not_utf8();
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                name.as_ptr(),
                ptr::null(),
                bad.as_ptr(),
                &mut id,
                &mut key
            )
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(s, bad.as_ptr(), ptr::null(), ptr::null(), &mut id, &mut key)
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(s, ptr::null(), bad.as_ptr(), ptr::null(), &mut id, &mut key)
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                ptr::null_mut(),
                &mut key
            )
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                &mut id,
                ptr::null_mut()
            )
        ),
        OK
    );
    let clients = if plat == Plat::V3 {
        "v3.clients"
    } else {
        "v2.clients"
    };
    inject(srv, clients, FaultKind::Status, None);
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                name.as_ptr(),
                ptr::null(),
                ptr::null(),
                &mut id,
                &mut key
            )
        ),
        OK
    );

    // A cache readable by others: the warning names the file, never its contents.
    let mut warnings = ptr::null_mut();
    assert_ne!(
        sc!(h, tapis_auth_session_take_warnings(s, ptr::null_mut())),
        OK
    );
    assert_eq!(
        sc!(h, tapis_auth_session_take_warnings(s, &mut warnings)),
        OK
    );
    if let Some(w) = owned(warnings) {
        h.text(&ctx, w);
    }
    loosen(dir, kind);
    let o2 = options(h, url, plat, kind, dir, None, None);
    let mut s2 = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_session_restore(o2, &mut s2)), OK);
    assert_eq!(token(h, s2), OK);
    let mut warnings = ptr::null_mut();
    assert_eq!(
        sc!(h, tapis_auth_session_take_warnings(s2, &mut warnings)),
        OK
    );
    let w = owned(warnings);
    if kind == "json" {
        assert!(w.is_some(), "{ctx}: no warning for a world-readable cache");
    }
    if let Some(w) = w {
        h.text(&ctx, w);
    }
    whoami(h, &ctx, s2);
    h.debug_session(&ctx, s2);
    v!(ok, tapis_auth_session_free(s2));

    // A panic inside the library whose message would quote a secret (a real std panic:
    // slicing inside a multi-byte character quotes the whole string).
    let planted = format!("{PASSWORD} \u{e9} {}", h.secrets.last().unwrap());
    test_hooks::panic_in_next_call(&planted);
    let mut tok = ptr::null_mut();
    assert_eq!(
        sc!(h, tapis_auth_access_token(s, 0, &mut tok)),
        tapis_auth_status::TAPIS_AUTH_ERR_PANIC
    );
    // The handle still works after a caught panic.
    assert_eq!(token(h, s), OK);

    // Device login (Tapis v3 only).
    device(h, srv, s, plat, &ctx);
    h.harvest(kind, &store_path(dir, kind));

    // A refresh token spent by a lost response (v3 made single-use; v2 always is).
    srv.set_config(ConfigPatch {
        v3_single_use_refresh: Some(true),
        ..Default::default()
    });
    assert_eq!(sc!(h, tapis_auth_refresh(s)), OK);
    h.harvest(kind, &store_path(dir, kind));
    inject(
        srv,
        plat.token_endpoint(),
        FaultKind::DropAfter,
        Some("refresh_token"),
    );
    assert_ne!(sc!(h, tapis_auth_refresh(s)), OK);
    let r = sc!(h, tapis_auth_refresh(s));
    assert!(
        v!(ok, tapis_auth_status_is_login_required(r as u32)),
        "{ctx}: {r:?}"
    );
    h.debug_session(&ctx, s);
    srv.set_config(ConfigPatch {
        v3_single_use_refresh: Some(false),
        ..Default::default()
    });

    // Explicit sessions: a real access token; a bogus one with a bogus refresh token.
    assert_eq!(sc!(h, tapis_auth_login_password(s, false)), OK);
    h.harvest(kind, &store_path(dir, kind));
    let mut tok = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_access_token(s, 0, &mut tok)), OK);
    let real = owned(tok).unwrap();
    h.secret(&real);
    let o3 = options(h, url, plat, kind, dir, None, client);
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_access_token(o3, c(&real).as_ptr())
        ),
        OK
    );
    let mut s3 = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_session_restore(o3, &mut s3)), OK);
    assert_eq!(token(h, s3), OK);
    whoami(h, &ctx, s3);
    h.debug_session(&ctx, s3);
    v!(ok, tapis_auth_session_free(s3));
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_access_token(o3, c(BOGUS_ACCESS).as_ptr())
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_refresh_token(o3, c(BOGUS_REFRESH).as_ptr())
        ),
        OK
    );
    h.debug_options(&ctx, o3);
    let mut s3 = ptr::null_mut();
    if sc!(h, tapis_auth_session_restore(o3, &mut s3)) == OK {
        let mut tok = ptr::null_mut();
        assert_ne!(
            sc!(h, tapis_auth_access_token(s3, 1_000_000_000, &mut tok)),
            OK
        );
        assert_ne!(sc!(h, tapis_auth_refresh(s3)), OK);
        whoami(h, &ctx, s3);
        h.debug_session(&ctx, s3);
        v!(ok, tapis_auth_session_free(s3));
    }
    v!(ok, tapis_auth_options_free(o3));

    // Logout: revocation fails (best effort), then succeeds; the handle then needs a login.
    let revoke = if plat == Plat::V3 {
        "v3.revoke"
    } else {
        "v2.revoke"
    };
    inject(srv, revoke, FaultKind::Status, None);
    let mut deleted = false;
    assert_eq!(sc!(h, tapis_auth_logout(s, &mut deleted)), OK);
    assert!(deleted, "{ctx}: nothing deleted");
    assert_eq!(sc!(h, tapis_auth_logout(s, ptr::null_mut())), OK);
    assert_ne!(token(h, s), OK);
    whoami(h, &ctx, s);
    profile(h, &ctx, s);
    h.debug_session(&ctx, s);
    v!(ok, tapis_auth_session_free(s));
    v!(ok, tapis_auth_options_free(o2));
    v!(ok, tapis_auth_options_free(o));
}

/// Makes the cache readable by others (the library tightens it and warns).
fn loosen(dir: &Path, kind: &str) {
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

fn device(h: &mut H, srv: &TestServer, s: *mut tapis_auth_session, plat: Plat, ctx: &str) {
    let mut d = ptr::null_mut();
    assert_ne!(sc!(h, tapis_auth_device_start(s, ptr::null_mut())), OK);
    if plat == Plat::V2 {
        assert_ne!(sc!(h, tapis_auth_device_start(s, &mut d)), OK);
        return;
    }
    inject(srv, "v3.device_code", FaultKind::Status, None);
    assert_ne!(sc!(h, tapis_auth_device_start(s, &mut d)), OK);
    // Not approved yet, then approved.
    assert_eq!(sc!(h, tapis_auth_device_start(s, &mut d)), OK);
    let code = borrowed(v!(ok, tapis_auth_device_user_code(d))).unwrap();
    let uri = borrowed(v!(ok, tapis_auth_device_verification_uri(d))).unwrap();
    h.text(ctx, format!("{code} {uri}"));
    assert!(v!(ok, tapis_auth_device_expires_at(d)) > 0);
    assert_eq!(
        sc!(h, tapis_auth_device_poll(d)),
        tapis_auth_status::TAPIS_AUTH_PENDING
    );
    assert!(v!(ok, tapis_auth_device_next_poll_at(d)) > 0);
    assert_eq!(
        sc!(h, tapis_auth_device_wait(d, 0)),
        tapis_auth_status::TAPIS_AUTH_PENDING
    );
    assert_ne!(sc!(h, tapis_auth_device_wait(d, -1)), OK);
    v!(ok, tapis_auth_device_free(d));
    // Approved before the first poll: the first poll completes at once.
    let mut d = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_device_start(s, &mut d)), OK);
    let code = borrowed(v!(ok, tapis_auth_device_user_code(d))).unwrap();
    srv.approve_device(&code, USER).unwrap();
    assert_eq!(sc!(h, tapis_auth_device_poll(d)), OK);
    assert_eq!(sc!(h, tapis_auth_device_wait(d, 5)), OK);
    assert_eq!(token(h, s), OK);
    v!(ok, tapis_auth_device_free(d));
    // A code approved too late; and a token endpoint that fails during the poll.
    srv.set_config(ConfigPatch {
        v3_device_code_lifetime: Some(-100),
        ..Default::default()
    });
    let mut d = ptr::null_mut();
    if sc!(h, tapis_auth_device_start(s, &mut d)) == OK {
        let code = borrowed(v!(ok, tapis_auth_device_user_code(d))).unwrap();
        let _ = srv.approve_device(&code, USER);
        assert_ne!(sc!(h, tapis_auth_device_poll(d)), OK);
        v!(ok, tapis_auth_device_free(d));
    }
    srv.set_config(ConfigPatch {
        v3_device_code_lifetime: Some(RuntimeConfig::default().v3_device_code_lifetime),
        ..Default::default()
    });
    let mut d = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_device_start(s, &mut d)), OK);
    let code = borrowed(v!(ok, tapis_auth_device_user_code(d))).unwrap();
    srv.approve_device(&code, USER).unwrap();
    inject(srv, "v3.tokens", FaultKind::Malformed, Some("device_code"));
    assert_ne!(sc!(h, tapis_auth_device_wait(d, 0)), OK);
    // The device handle outlives a session handle.
    v!(ok, tapis_auth_device_free(d));
}

/// Rust-level values reachable from the crates the C library is built on: their `Debug` and
/// `Display` never show a secret either.
fn rust_level(h: &mut H, srv: &TestServer) {
    let dir = tempfile::tempdir().unwrap();
    for plat in [Plat::V3, Plat::V2] {
        let (id, key) = plat.client();
        let mut o = Options {
            base_url: Some(srv.url().to_owned()),
            platform: Some(match plat {
                Plat::V3 => tapis_auth_core::Platform::TapisV3,
                Plat::V2 => tapis_auth_core::Platform::AgaveV2,
            }),
            store: StoreKind::Memory,
            use_environment: false,
            username: Some(USER.into()),
            password: Some(tapis_auth_core::Secret::new(WRONG_PASSWORD)),
            client_id: Some(id.into()),
            client_key: Some(tapis_auth_core::Secret::new(key)),
            ..Options::default()
        };
        o.transport.max_tries = 1;
        let s = AuthSession::open(o.clone()).unwrap();
        let e = s.login_password(false).unwrap_err();
        h.text("rust: login error", format!("{e:?} / {e}"));
        o.client_key = Some(tapis_auth_core::Secret::new(WRONG_KEY));
        o.password = Some(tapis_auth_core::Secret::new(PASSWORD));
        let s = AuthSession::open(o.clone()).unwrap();
        let e = s.login_password(false).unwrap_err();
        h.text("rust: wrong key error", format!("{e:?} / {e}"));
        o.client_key = Some(tapis_auth_core::Secret::new(key));
        let s = AuthSession::open(o.clone()).unwrap();
        let sess = s.login_password(false).unwrap();
        let t = sess.tokens.as_ref().unwrap();
        h.secret(t.access_token.expose());
        if let Some(r) = &t.refresh_token {
            h.secret(r.expose());
        }
        h.text("rust: Session", format!("{sess:?}"));
        let ts = s.refresh().unwrap();
        h.secret(ts.access_token.expose());
        if let Some(r) = &ts.refresh_token {
            h.secret(r.expose());
        }
        h.text("rust: TokenSet", format!("{ts:?}"));
        h.text("rust: AuthSession", format!("{s:?} {:?}", s.whoami()));
        let client = s
            .create_client(&tapis_auth_core::flow::clients::NewClient {
                client_id: Some(format!("hyg-rust-{}", plat.name())),
                ..Default::default()
            })
            .unwrap();
        if let Some(k) = &client.key {
            h.secret(k.expose());
        }
        h.text("rust: OAuthClient", format!("{client:?}"));
        if plat == Plat::V3 {
            let login = s.device_start().unwrap();
            h.text("rust: DevicePrompt", format!("{:?}", login.prompt()));
        }
        let _ = dir.path();
    }
}

fn run_child(out: &Path) {
    let srv = TestServer::start(Config {
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
    });
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
    let scratch = tempfile::tempdir().unwrap();

    without_server(&mut h);
    // The default restore (options NULL): environment (none), then the cache in
    // TAPIS_CACHE_DIR (empty, set by the parent).
    let mut s = ptr::null_mut();
    assert_eq!(
        sc!(h, tapis_auth_session_restore(ptr::null(), &mut s)),
        tapis_auth_status::TAPIS_AUTH_ERR_LOGIN_REQUIRED
    );
    assert_eq!(sc!(h, tapis_auth_session_open(ptr::null(), &mut s)), OK);
    v!(ok, tapis_auth_session_free(s));
    bad_servers(&mut h, scratch.path());
    for plat in [Plat::V3, Plat::V2] {
        for kind in ["json", "sqlite"] {
            platform_store(&mut h, &srv, plat, kind);
        }
    }
    rust_level(&mut h, &srv);

    // Hand the secrets to the parent (which scans this process's output for them), then check
    // every text seen here.
    std::fs::write(out.join("secrets"), h.secrets.join("\n")).unwrap();
    h.check();

    // Coverage: every function of the header, on a success path and on an error path.
    let header = header_functions();
    assert!(header.len() >= 60, "header parse found {}", header.len());
    let cov = COVERAGE.lock().unwrap();
    let mut missing = Vec::new();
    for f in &header {
        let [ok, err] = cov.get(f.as_str()).copied().unwrap_or_default();
        if ok == 0 || (err == 0 && !ONE_WAY.contains(&f.as_str())) {
            missing.push(format!("{f} (success {ok}, error {err})"));
        }
    }
    assert!(
        missing.is_empty(),
        "C functions without hygiene coverage:\n  {}",
        missing.join("\n  ")
    );
    for f in cov.keys() {
        assert!(header.contains(*f), "{f} is not in the header");
    }
    let statuses: Vec<_> = h
        .statuses
        .iter()
        .map(|s| borrowed(tapis_auth_status_name(*s)).unwrap())
        .collect();
    std::fs::write(
        out.join("report"),
        format!(
            "functions {} / {}\ncalls {}\ntexts {}\nsecrets {}\nstatuses {}\n",
            cov.len(),
            header.len(),
            cov.values().map(|[a, b]| a + b).sum::<u32>(),
            h.texts.len(),
            h.secrets.len(),
            statuses.join(" ")
        ),
    )
    .unwrap();
}

/// The child half of [`every_c_function_keeps_secrets_out_of_every_output`], which runs it.
#[test]
#[ignore = "child process of every_c_function_keeps_secrets_out_of_every_output, which runs it"]
fn hygiene_child() {
    let out =
        std::env::var_os("TAPIS_AUTH_HYGIENE_CHILD_OUT").expect("TAPIS_AUTH_HYGIENE_CHILD_OUT");
    run_child(Path::new(&out));
}

#[test]
fn every_c_function_keeps_secrets_out_of_every_output() {
    let out = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "hygiene_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("TAPIS_") || k.starts_with("AGAVE_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("TAPIS_AUTH_HYGIENE_CHILD_OUT", out.path())
        .env("TAPIS_CACHE_DIR", cache.path())
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "1");
    let run = cmd.output().unwrap();
    let secrets: Vec<String> = std::fs::read_to_string(out.path().join("secrets"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let redact = |b: &[u8]| {
        let mut t = String::from_utf8_lossy(b).into_owned();
        for s in &secrets {
            t = t.replace(s.as_str(), "<SECRET>");
        }
        t
    };
    let (stdout, stderr) = (redact(&run.stdout), redact(&run.stderr));
    assert!(
        run.status.success(),
        "the child failed ({:?}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        run.status
    );
    assert!(
        secrets.len() >= 20,
        "the child collected {} secrets",
        secrets.len()
    );
    assert!(
        !stdout.contains("<SECRET>") && !stderr.contains("<SECRET>"),
        "a secret reached the child's output:\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // Panics inside the library are caught without the panic hook printing anything.
    assert!(
        !stderr.contains("panicked") && !stdout.contains("panicked"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(out.path().join("report")).unwrap();
    println!("{report}");
}

/// Task: a panic inside a C entry point is reported as `TAPIS_AUTH_ERR_PANIC` with a message
/// naming the function and never quoting the payload (here a real standard-library panic
/// whose message quotes a planted secret).
#[test]
fn a_panic_inside_a_c_entry_point_never_reports_its_payload() {
    let o = tapis_auth_options_new();
    let e = ptr::null_mut();
    assert_eq!(
        tapis_auth_options_set_base_url(o, c("https://tacc.tapis.io").as_ptr(), e),
        OK
    );
    assert_eq!(tapis_auth_options_set_use_environment(o, false, e), OK);
    assert_eq!(
        tapis_auth_options_set_access_token(o, c(BOGUS_ACCESS).as_ptr(), e),
        OK
    );
    let mut s = ptr::null_mut();
    assert_eq!(tapis_auth_session_restore(o, &mut s, e), OK);
    let planted = format!("{PASSWORD}-\u{e9}-{BOGUS_ACCESS}");
    for call in 0..2 {
        test_hooks::panic_in_next_call(&planted);
        let mut err = ptr::null_mut();
        let st = if call == 0 {
            let mut tok = ptr::null_mut();
            tapis_auth_access_token(s, 0, &mut tok, &mut err)
        } else {
            tapis_auth_options_set_password(o, c(PASSWORD).as_ptr(), &mut err)
        };
        assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_PANIC);
        let m = borrowed(tapis_auth_error_message(err)).unwrap();
        assert!(
            m.contains(if call == 0 {
                "tapis_auth_access_token"
            } else {
                "tapis_auth_options_set_password"
            }),
            "{m}"
        );
        assert!(m.contains(".rs:"), "no location: {m}");
        for secret in [PASSWORD, BOGUS_ACCESS, "\u{e9}"] {
            assert!(!m.contains(secret), "the panic message leaks: {m}");
        }
        // SAFETY: a live error object.
        let debug = format!("{:?}", unsafe { &*err });
        assert!(
            !debug.contains(PASSWORD) && !debug.contains(BOGUS_ACCESS),
            "{debug}"
        );
        tapis_auth_error_free(err);
    }
    // The session still works.
    let mut tok = ptr::null_mut();
    assert_eq!(tapis_auth_access_token(s, 0, &mut tok, e), OK);
    tapis_auth_string_free(tok);
    tapis_auth_session_free(s);
    tapis_auth_options_free(o);
}
