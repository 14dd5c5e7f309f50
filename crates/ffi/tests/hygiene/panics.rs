//! Panics inside the library: a real standard-library panic whose message quotes the planted
//! password and a collected token, planted in a call on a logged-in session, is reported as
//! `TAPIS_AUTH_ERR_PANIC` without its payload (in the error, and on stderr through the panic
//! hook), and the handle still works afterwards; and the same in this process, outside the
//! child, for a status-returning call and an options setter.

use std::ptr;

use tapis_auth_ffi::test_hooks;
use tapis_auth_ffi::*;
use tapis_auth_testserver::TestServer;

use crate::common::{self, borrowed, c, sc, token, LoggedIn, Plat, BOGUS_ACCESS, H, OK, PASSWORD};

common::hygiene_child!(per_store: platform_store);

/// A planted panic on a logged-in session of one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) {
    let l = LoggedIn::new(h, srv, plat, kind);
    let s = l.s;

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

    l.close();
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
