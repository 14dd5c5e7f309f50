//! Device login: starting one (refused for Agave v2, a failing device-code endpoint), polling
//! and waiting before and after the approval, a code approved too late, a token endpoint that
//! answers garbage during the poll — and the strings the device handle returns.

use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::{ConfigPatch, FaultKind, RuntimeConfig, TestServer};

use crate::common::{self, borrowed, inject, sc, token, v, LoggedIn, Plat, H, OK, USER};

common::hygiene_child!(per_store: platform_store);

/// Device login on a logged-in session of one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) {
    let l = LoggedIn::new(h, srv, plat, kind);
    let (s, ctx) = (l.s, l.ctx.as_str());

    device(h, srv, s, plat, ctx);
    l.harvest(h);

    l.close();
}

/// The device functions on session `s` (Tapis v3 only: for Agave v2, starting fails).
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
