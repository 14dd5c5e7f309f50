//! Restoring and logging in, and the token functions: the default restore with nothing stored,
//! a wrong password, a wrong client key (which the Tapis Authenticator echoes in its error),
//! faults injected into the password grant, then a working login and every way to read its
//! access token (both token functions, the buffer variant's size query and its errors), its
//! expiry, `whoami` and the server-side profile.

use std::ffi::CStr;
use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::{FaultKind, TestServer};

use crate::common::{
    self, inject, open, options, profile, sc, store_path, token, v, whoami, Plat, H, OK, PASSWORD,
    PLATFORM_STORES, WRONG_KEY, WRONG_PASSWORD,
};

common::hygiene_child!(scenario: scenario);

fn scenario(h: &mut H, srv: &TestServer) {
    // The default restore (options NULL): environment (none), then the cache in
    // TAPIS_CACHE_DIR (empty, set by the parent).
    let mut s = ptr::null_mut();
    assert_eq!(
        sc!(h, tapis_auth_session_restore(ptr::null(), &mut s)),
        tapis_auth_status::TAPIS_AUTH_ERR_LOGIN_REQUIRED
    );
    assert_eq!(sc!(h, tapis_auth_session_open(ptr::null(), &mut s)), OK);
    v!(ok, tapis_auth_session_free(s));
    for (plat, kind) in PLATFORM_STORES {
        platform_store(h, srv, plat, kind);
    }
}

/// Restore, login and the token functions for one platform and one store.
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
    v!(ok, tapis_auth_session_free(s));
    v!(ok, tapis_auth_options_free(o));
}
