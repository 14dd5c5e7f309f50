//! Logging out: a revocation that fails (best effort) still deletes the stored session; a second
//! logout succeeds; the handle then needs a login, and `whoami`, the profile and the session's
//! `Debug` show nothing of what it held.

use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::{FaultKind, TestServer};

use crate::common::{self, inject, profile, sc, token, whoami, LoggedIn, Plat, H, OK};

common::hygiene_child!(per_store: platform_store);

/// Logout from a logged-in session of one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) {
    let l = LoggedIn::new(h, srv, plat, kind);
    let (s, ctx) = (l.s, l.ctx.as_str());

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
    whoami(h, ctx, s);
    profile(h, ctx, s);
    h.debug_session(ctx, s);

    l.close();
}
