//! Failures before any answer from a server: a base URL that does not parse, an unreachable
//! server, plain HTTP to a remote host, a CA file that does not exist — each for a login with
//! the planted password and client key, and for a session with a bogus refresh token.

use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::TestServer;

use crate::common::{self, c, options, sc, token, v, Plat, BOGUS_REFRESH, H, OK, PASSWORD};

common::hygiene_child!(scenario: scenario);

/// Connection-level failures: a bad base URL, an unreachable server, plain HTTP to a remote
/// host, a CA file that does not exist. Each with the planted password and client key.
fn scenario(h: &mut H, _srv: &TestServer) {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
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
