//! Rust-side checks of the C contract that do not need a server.

#![allow(unsafe_code)]
use std::ffi::{CStr, CString};
use std::ptr;

use tapis_auth::*;

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
    assert_send_sync::<tapis_auth_http::AuthSession>();
}
