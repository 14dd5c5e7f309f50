//! Rust-side checks of the C contract that do not need a server.

#![allow(unsafe_code)]
use std::ffi::{CStr, CString};
use std::ptr;

use tapis_auth_ffi::*;

fn msg(err: *const tapis_auth_error) -> String {
    // SAFETY: the message is a NUL-terminated string borrowed from a live error object.
    unsafe { CStr::from_ptr(tapis_auth_error_message(err)) }
        .to_string_lossy()
        .into_owned()
}

#[test]
fn null_arguments_are_rejected_and_outputs_untouched() {
    let mut err: *mut tapis_auth_error = ptr::null_mut();
    let sentinel: *mut std::ffi::c_char = ptr::dangling_mut();
    let mut tok = sentinel;
    let st = tapis_auth_access_token(ptr::null_mut(), 0, &mut tok, &mut err);
    assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_INVALID_ARGUMENT);
    assert_eq!(tok, sentinel);
    assert!(msg(err).contains("session"));
    assert_eq!(tapis_auth_error_status(err), st);
    tapis_auth_error_free(err);
}

#[test]
fn invalid_utf8_names_the_argument_without_echoing_it() {
    let opts = tapis_auth_options_new();
    let bad = CString::new(vec![b's', b'3', 0xff, b'k']).unwrap();
    let mut err: *mut tapis_auth_error = ptr::null_mut();
    let st = tapis_auth_options_set_password(opts, bad.as_ptr(), &mut err);
    assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_INVALID_ARGUMENT);
    let m = msg(err);
    assert!(m.contains("password") && !m.contains("s3"), "{m}");
    tapis_auth_error_free(err);
    tapis_auth_options_free(opts);
}

#[test]
fn owned_strings_round_trip() {
    tapis_auth_string_free(ptr::null_mut());
    tapis_auth_error_free(ptr::null_mut());
    tapis_auth_session_free(ptr::null_mut());
    // SAFETY: static strings from the library.
    let name = unsafe { CStr::from_ptr(tapis_auth_status_name(301)) };
    assert_eq!(name.to_str().unwrap(), "TAPIS_AUTH_ERR_LOGIN_FAILED");
    assert!(tapis_auth_status_is_login_required(203));
    assert!(!tapis_auth_status_is_login_required(300));
}

#[test]
fn sessions_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<tapis_auth::AuthSession>();
}

/// A cached access token holding a NUL byte (JSON `\u0000`) cannot be handed to C: both token
/// calls report a malformed token (never a truncated one, never the token in the message), and
/// the caller's buffer is left as it was.
#[test]
fn a_token_with_a_nul_byte_is_refused_by_both_token_calls() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let slot = serde_json::json!({
        "tenantid": "tacc", "baseurl": "https://tacc.tapis.io", "apikey": "cid",
        "username": "jdoe", "access_token": "opaque-tok\u{0}en-Zq9", "refresh_token": "refresh-Zq9",
        "created_at": now.to_string(), "expires_in": "14400",
        "tapis_profile": "default", "tapis_platform": "tapis-v3"
    });
    let config = serde_json::json!({
        "sessions": {"tacc": {"jdoe": {"cid": slot}}},
        "tapis_auth": {"format_version": 1, "current_profile": "default"}
    });
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let opts = tapis_auth_options_new();
    let e = ptr::null_mut();
    let path = CString::new(dir.path().to_str().unwrap()).unwrap();
    let json = CString::new("json").unwrap();
    assert_eq!(
        tapis_auth_options_set_store(opts, json.as_ptr(), path.as_ptr(), e),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    assert_eq!(
        tapis_auth_options_set_use_environment(opts, false, e),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    let mut s = ptr::null_mut();
    let mut err = ptr::null_mut();
    let st = tapis_auth_session_restore(opts, &mut s, &mut err);
    assert_eq!(st, tapis_auth_status::TAPIS_AUTH_OK, "{}", msg(err));
    tapis_auth_options_free(opts);

    let sentinel: *mut std::ffi::c_char = ptr::dangling_mut();
    let mut tok = sentinel;
    let mut err = ptr::null_mut();
    let st = tapis_auth_access_token(s, 0, &mut tok, &mut err);
    assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_MALFORMED_RESPONSE);
    assert_eq!(tok, sentinel);
    let m = msg(err);
    assert!(m.contains("NUL") && !m.contains("Zq9"), "{m}");
    tapis_auth_error_free(err);

    let mut buf = [b'x' as std::ffi::c_char; 64];
    let mut needed = 0usize;
    let mut err = ptr::null_mut();
    let st = tapis_auth_access_token_buf(s, 0, buf.as_mut_ptr(), buf.len(), &mut needed, &mut err);
    assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_MALFORMED_RESPONSE);
    assert!(buf.iter().all(|&b| b == b'x' as std::ffi::c_char));
    let m = msg(err);
    assert!(m.contains("NUL") && !m.contains("Zq9"), "{m}");
    tapis_auth_error_free(err);
    tapis_auth_session_free(s);
}
