//! The C ABI's string entry points, called as a C program would (through the `extern "C"`
//! functions): every `tapis_auth_options_set_*` setter with fuzzed NUL-terminated strings
//! (invalid UTF-8 included) or NULL, in any order and any number of times, then
//! `tapis_auth_session_restore` on the result and the local (no-network) accessors of the
//! session it returns: whoami and its getters, expires_at.
//!
//! Input: segments separated by NUL bytes; a segment's first byte picks the call, the rest
//! is its C string argument.
//!
//! Before `restore`, the options that reach outside the process are pinned: the CA file is
//! reset (it would be read), the store is a JSON cache in a scratch directory seeded with the
//! reference `current` fixture, the environment is not used and explicit credentials are not
//! persisted. Nothing here sends a request: only token, refresh or login calls would, and
//! they are not called.
//!
//! Invariants beyond "no crash":
//! - no call returns `TAPIS_AUTH_ERR_PANIC` (a caught panic; the fuzz hook aborts on it too);
//! - invalid UTF-8 is `TAPIS_AUTH_ERR_INVALID_ARGUMENT`, never accepted;
//! - every error message and every borrowed string is valid UTF-8 and never contains a
//!   planted secret that the options hold (password, client key, access or refresh token set
//!   through the setters and not replaced since).
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tapis_auth_ffi::*;
use tapis_auth_fuzz::{scratch_dir, PLANTED};

type Setter = extern "C" fn(
    *mut tapis_auth_options,
    *const c_char,
    *mut *mut tapis_auth_error,
) -> tapis_auth_status;

const SETTERS: [Setter; 11] = [
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
    tapis_auth_options_set_ca_file,
];

/// Setters that take secrets, paired with the planted value each may be given; the index of
/// each in `SETTERS` follows.
const SECRET_SETTERS: [(Setter, &str); 4] = [
    (tapis_auth_options_set_client_key, PLANTED[0]),
    (tapis_auth_options_set_access_token, PLANTED[1]),
    (tapis_auth_options_set_refresh_token, PLANTED[2]),
    (tapis_auth_options_set_password, PLANTED[3]),
];
const SECRET_SETTER_INDEX: [usize; 4] = [7, 8, 9, 5];

/// Which planted secrets the options hold right now (the fuzzer learns the planted strings
/// and may pass them to non-secret setters, where echoing them is fine).
static ACTIVE: std::sync::Mutex<[bool; 4]> = std::sync::Mutex::new([false; 4]);

fn assert_no_active(text: &str, what: &str) {
    let active = *ACTIVE.lock().expect("lock");
    for (i, s) in PLANTED.iter().enumerate() {
        assert!(!(active[i] && text.contains(s)), "{what} leaks a secret: {text:?}");
    }
}

/// Records that setter `i` of `SETTERS` replaced its value (with a non-planted one).
fn overwritten(i: usize, status: tapis_auth_status) {
    if status == tapis_auth_status::TAPIS_AUTH_OK {
        if let Some(k) = SECRET_SETTER_INDEX.iter().position(|&j| j == i) {
            ACTIVE.lock().expect("lock")[k] = false;
        }
    }
}

fn store_dir() -> &'static CString {
    static DIR: OnceLock<CString> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = scratch_dir("ffi_strings");
        std::fs::write(
            d.join("current"),
            include_bytes!("../../crates/storage/tests/fixtures/current_bash_cli.json"),
        )
        .expect("seed the scratch cache");
        CString::new(d.to_str().expect("UTF-8 path")).expect("no NUL")
    })
}

/// Checks a status and its error object, then frees the error.
fn check(status: tapis_auth_status, slot: &mut *mut tapis_auth_error, arg_utf8: Option<bool>) {
    let err = std::mem::replace(slot, ptr::null_mut());
    assert_ne!(status, tapis_auth_status::TAPIS_AUTH_ERR_PANIC, "a call panicked");
    if status == tapis_auth_status::TAPIS_AUTH_OK {
        assert!(err.is_null());
        assert_ne!(arg_utf8, Some(false), "invalid UTF-8 was accepted");
        return;
    }
    assert!(!err.is_null(), "failure without an error object");
    assert_eq!(tapis_auth_error_status(err), status);
    let msg = borrowed(tapis_auth_error_message(err)).expect("an error message");
    assert_no_active(&msg, "C error message");
    tapis_auth_error_free(err);
}

/// Reads a borrowed C string (asserting UTF-8 and no planted secret); NULL is `None`.
fn borrowed(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the library returns NUL-terminated strings that live as long as their owner.
    let s = unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("the library returned invalid UTF-8")
        .to_owned();
    assert_no_active(&s, "C string");
    Some(s)
}

fuzz_target!(|data: &[u8]| {
    *ACTIVE.lock().expect("lock") = [false; 4];
    let opts = tapis_auth_options_new();
    assert!(!opts.is_null());
    let mut err: *mut tapis_auth_error = ptr::null_mut();
    for seg in data.split(|b| *b == 0) {
        let Some((&op, arg)) = seg.split_first() else {
            continue;
        };
        let utf8 = std::str::from_utf8(arg).is_ok();
        let c = CString::new(arg).expect("segments hold no NUL");
        match op % 8 {
            // A string setter with the fuzzed argument.
            0..=2 => {
                let i = usize::from(op / 8) % SETTERS.len();
                let st = SETTERS[i](opts, c.as_ptr(), &mut err);
                check(st, &mut err, Some(utf8));
                overwritten(i, st);
            }
            // A setter reset with NULL.
            3 => {
                let i = usize::from(op / 8) % SETTERS.len();
                let st = SETTERS[i](opts, ptr::null(), &mut err);
                check(st, &mut err, None);
                overwritten(i, st);
            }
            // A secret setter with its planted value.
            4 => {
                let k = usize::from(op / 8) % SECRET_SETTERS.len();
                let (f, v) = SECRET_SETTERS[k];
                let v = CString::new(v).expect("no NUL");
                let st = f(opts, v.as_ptr(), &mut err);
                check(st, &mut err, Some(true));
                if st == tapis_auth_status::TAPIS_AUTH_OK {
                    ACTIVE.lock().expect("lock")[k] = true;
                }
            }
            // The store: fuzzed kind, fuzzed or NULL path.
            5 => {
                let path = if op & 0x80 != 0 { c.as_ptr() } else { ptr::null() };
                let st = tapis_auth_options_set_store(opts, c.as_ptr(), path, &mut err);
                check(st, &mut err, if utf8 { None } else { Some(false) });
            }
            // Numbers and flags from the argument's bytes.
            6 => {
                let mut b = [0u8; 8];
                for (d, s) in b.iter_mut().zip(arg) {
                    *d = *s;
                }
                let n = u64::from_le_bytes(b);
                let st = match op / 8 % 8 {
                    0 => tapis_auth_options_set_min_valid(opts, n as i64, &mut err),
                    1 => tapis_auth_options_set_connect_timeout_ms(opts, n, &mut err),
                    2 => tapis_auth_options_set_timeout_ms(opts, n, &mut err),
                    3 => tapis_auth_options_set_max_tries(opts, n as u32, &mut err),
                    4 => tapis_auth_options_set_allow_insecure_http(opts, n & 1 == 1, &mut err),
                    5 => tapis_auth_options_set_persist(opts, n & 1 == 1, &mut err),
                    6 => tapis_auth_options_set_use_environment(opts, n & 1 == 1, &mut err),
                    _ => {
                        let _ = borrowed(tapis_auth_status_name(n as u32));
                        tapis_auth_status::TAPIS_AUTH_OK
                    }
                };
                check(st, &mut err, None);
            }
            // Restore now, with what has been set so far.
            _ => restore(opts),
        }
    }
    restore(opts);
    tapis_auth_options_free(opts);
});

/// Pins the outside-reaching options, restores a session and reads it back locally.
fn restore(opts: *mut tapis_auth_options) {
    let mut err: *mut tapis_auth_error = ptr::null_mut();
    check(tapis_auth_options_set_ca_file(opts, ptr::null(), &mut err), &mut err, None);
    let json = CString::new("json").expect("no NUL");
    let st = tapis_auth_options_set_store(opts, json.as_ptr(), store_dir().as_ptr(), &mut err);
    check(st, &mut err, None);
    check(tapis_auth_options_set_use_environment(opts, false, &mut err), &mut err, None);
    check(tapis_auth_options_set_persist(opts, false, &mut err), &mut err, None);

    let mut session: *mut tapis_auth_session = ptr::null_mut();
    let st = tapis_auth_session_restore(opts, &mut session, &mut err);
    check(st, &mut err, None);
    if st != tapis_auth_status::TAPIS_AUTH_OK {
        assert!(session.is_null(), "*out written on failure");
        return;
    }
    assert!(!session.is_null());
    let mut who: *mut tapis_auth_whoami = ptr::null_mut();
    let st = tapis_auth_session_whoami(session, &mut who, &mut err);
    check(st, &mut err, None);
    if st == tapis_auth_status::TAPIS_AUTH_OK {
        assert!(borrowed(tapis_auth_whoami_profile(who)).is_some());
        let _ = borrowed(tapis_auth_whoami_username(who));
        let _ = borrowed(tapis_auth_whoami_tenant_id(who));
        assert!(borrowed(tapis_auth_whoami_base_url(who)).is_some());
        assert!(borrowed(tapis_auth_whoami_platform(who)).is_some());
        let _ = borrowed(tapis_auth_whoami_client_id(who));
        let _ = borrowed(tapis_auth_whoami_source(who));
        let _ = tapis_auth_whoami_expires_at(who);
        tapis_auth_whoami_free(who);
    }
    let mut at = 0i64;
    check(tapis_auth_expires_at(session, &mut at, &mut err), &mut err, None);
    tapis_auth_session_free(session);
}
