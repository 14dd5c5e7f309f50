//! Refreshing: a refresh with faults injected into the refresh grant (a 500, a 429, a body that
//! does not parse, a dropped connection), then a refresh token spent by a response that was
//! lost (Tapis v3 made single-use; Agave v2 always is), which leaves "login required".

use tapis_auth_ffi::*;
use tapis_auth_testserver::{ConfigPatch, FaultKind, TestServer};

use crate::common::{self, inject, sc, token, v, LoggedIn, Plat, H, OK};

common::hygiene_child!(per_store: platform_store);

/// Refreshes for one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) {
    let l = LoggedIn::new(h, srv, plat, kind);
    let (s, ctx) = (l.s, l.ctx.as_str());

    // Refresh, then injected faults on the refresh grant.
    assert_eq!(sc!(h, tapis_auth_refresh(s)), OK);
    l.harvest(h);
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
    h.debug_session(ctx, s);

    // A refresh token spent by a lost response (v3 made single-use; v2 always is).
    srv.set_config(ConfigPatch {
        v3_single_use_refresh: Some(true),
        ..Default::default()
    });
    assert_eq!(sc!(h, tapis_auth_refresh(s)), OK);
    l.harvest(h);
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
    h.debug_session(ctx, s);
    srv.set_config(ConfigPatch {
        v3_single_use_refresh: Some(false),
        ..Default::default()
    });

    l.close();
}
