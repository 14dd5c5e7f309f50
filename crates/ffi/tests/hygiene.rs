//! Secret hygiene through the C ABI: the error objects of every failing call — a wrong
//! password, a client key the server echoes back, a server error, a refresh token spent by a
//! lost response — never carry a password, client key, access or refresh token.

#![allow(unsafe_code)]
use std::ffi::{c_char, CStr, CString};
use std::ptr;

use tapis_auth::*;
use tapis_auth_testserver::{Config, ConfigPatch, Fault, FaultKind, TestServer, V3ClientSeed};

const PASSWORD: &str = "Ffi-P@ss-0q9-secret";
const KEY: &str = "ffi-CLIENT-KEY-4r2-secret";
const WRONG_KEY: &str = "ffi-WRONG-KEY-8m1-secret";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn take_msg(err: *mut tapis_auth_error) -> String {
    assert!(!err.is_null());
    // SAFETY: a live error object; its message is valid until it is freed.
    let m = unsafe { CStr::from_ptr(tapis_auth_error_message(err)) }
        .to_string_lossy()
        .into_owned();
    tapis_auth_error_free(err);
    m
}

fn take_string(p: *mut c_char) -> String {
    // SAFETY: an owned string from the library.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    tapis_auth_string_free(p);
    s
}

fn session(
    srv: &TestServer,
    dir: &std::path::Path,
    password: &str,
    key: &str,
) -> *mut tapis_auth_session {
    let o = tapis_auth_options_new();
    let e = ptr::null_mut();
    let path = c(&dir.display().to_string());
    assert_eq!(
        tapis_auth_options_set_base_url(o, c(srv.url()).as_ptr(), e),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    tapis_auth_options_set_platform(o, c("v3").as_ptr(), e);
    tapis_auth_options_set_store(o, c("json").as_ptr(), path.as_ptr(), e);
    tapis_auth_options_set_use_environment(o, false, e);
    tapis_auth_options_set_username(o, c("ffi").as_ptr(), e);
    tapis_auth_options_set_password(o, c(password).as_ptr(), e);
    tapis_auth_options_set_client_id(o, c("ffi-client").as_ptr(), e);
    tapis_auth_options_set_client_key(o, c(key).as_ptr(), e);
    tapis_auth_options_set_max_tries(o, 1, e);
    let mut s = ptr::null_mut();
    assert_eq!(
        tapis_auth_session_open(o, &mut s, e),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    tapis_auth_options_free(o);
    s
}

#[test]
fn error_objects_never_carry_secrets() {
    let srv = TestServer::start(Config {
        users: vec![("ffi".into(), PASSWORD.into())],
        v3_clients: vec![V3ClientSeed {
            client_id: "ffi-client".into(),
            client_key: KEY.into(),
            owner: "ffi".into(),
            callback_url: "http://127.0.0.1/callback".into(),
        }],
        ..Config::default()
    });
    srv.set_config(ConfigPatch {
        v3_single_use_refresh: Some(true),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut messages = Vec::new();
    let mut tokens = Vec::new();

    // The server echoes a wrong client key in its error text.
    let s = session(&srv, dir.path(), PASSWORD, WRONG_KEY);
    let mut err = ptr::null_mut();
    assert_ne!(
        tapis_auth_login_password(s, false, &mut err),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    messages.push(take_msg(err));
    tapis_auth_session_free(s);

    // A wrong password.
    let s = session(&srv, dir.path(), "Wrong-ffi-P@ss-secret", KEY);
    let mut err = ptr::null_mut();
    assert_eq!(
        tapis_auth_login_password(s, false, &mut err),
        tapis_auth_status::TAPIS_AUTH_ERR_INVALID_CREDENTIALS
    );
    messages.push(take_msg(err));
    tapis_auth_session_free(s);

    // A working login, then a server error and a refresh token spent by a lost response.
    let s = session(&srv, dir.path(), PASSWORD, KEY);
    let mut err = ptr::null_mut();
    assert_eq!(
        tapis_auth_login_password(s, false, &mut err),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    let mut tok = ptr::null_mut();
    assert_eq!(
        tapis_auth_access_token(s, 60, &mut tok, &mut err),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    tokens.push(take_string(tok));
    srv.inject_fault(Fault::new("v3.tokens", FaultKind::Status).status(500));
    assert_ne!(
        tapis_auth_refresh(s, &mut err),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    messages.push(take_msg(err));
    srv.inject_fault(Fault::new("v3.tokens", FaultKind::DropAfter).grant("refresh_token"));
    err = ptr::null_mut();
    assert_ne!(
        tapis_auth_refresh(s, &mut err),
        tapis_auth_status::TAPIS_AUTH_OK
    );
    messages.push(take_msg(err));
    err = ptr::null_mut();
    let st = tapis_auth_refresh(s, &mut err);
    assert!(tapis_auth_status_is_login_required(st as u32), "{st:?}");
    messages.push(take_msg(err));
    tapis_auth_session_free(s);

    // The refresh token as stored, to check for it too.
    let cfg = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if let (true, Some(s)) = (k.contains("token"), x.as_str()) {
                        if s.len() > 8 {
                            out.push(s.to_owned());
                        }
                    }
                    collect(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    collect(&v, &mut tokens);

    assert_eq!(messages.len(), 5);
    for m in &messages {
        assert!(!m.is_empty());
        for secret in [PASSWORD, KEY, WRONG_KEY, "Wrong-ffi-P@ss-secret"] {
            assert!(
                !m.contains(secret),
                "an error message carries a secret: {m}"
            );
        }
        for t in &tokens {
            assert!(
                !m.contains(t.as_str()),
                "an error message carries a token: {m}"
            );
        }
    }
}
