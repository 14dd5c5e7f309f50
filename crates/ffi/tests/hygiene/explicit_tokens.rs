//! Sessions from tokens the caller gives: a real access token, then a bogus access token with a
//! bogus refresh token, which must fail without showing either.

use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::TestServer;

use crate::common::{
    self, c, options, owned, sc, token, v, whoami, LoggedIn, Plat, BOGUS_ACCESS, BOGUS_REFRESH, H,
    OK,
};

common::hygiene_child!(per_store: platform_store);

/// Explicit tokens for one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) {
    let l = LoggedIn::new(h, srv, plat, kind);
    let (s, dir, ctx) = (l.s, l.dir.path(), l.ctx.as_str());
    let url = srv.url();
    let client = Some(plat.client());

    // Explicit sessions: a real access token; a bogus one with a bogus refresh token.
    assert_eq!(sc!(h, tapis_auth_login_password(s, false)), OK);
    l.harvest(h);
    let mut tok = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_access_token(s, 0, &mut tok)), OK);
    let real = owned(tok).unwrap();
    h.secret(&real);
    let o3 = options(h, url, plat, kind, dir, None, client);
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_access_token(o3, c(&real).as_ptr())
        ),
        OK
    );
    let mut s3 = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_session_restore(o3, &mut s3)), OK);
    assert_eq!(token(h, s3), OK);
    whoami(h, ctx, s3);
    h.debug_session(ctx, s3);
    v!(ok, tapis_auth_session_free(s3));
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_access_token(o3, c(BOGUS_ACCESS).as_ptr())
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_refresh_token(o3, c(BOGUS_REFRESH).as_ptr())
        ),
        OK
    );
    h.debug_options(ctx, o3);
    let mut s3 = ptr::null_mut();
    if sc!(h, tapis_auth_session_restore(o3, &mut s3)) == OK {
        let mut tok = ptr::null_mut();
        assert_ne!(
            sc!(h, tapis_auth_access_token(s3, 1_000_000_000, &mut tok)),
            OK
        );
        assert_ne!(sc!(h, tapis_auth_refresh(s3)), OK);
        whoami(h, ctx, s3);
        h.debug_session(ctx, s3);
        v!(ok, tapis_auth_session_free(s3));
    }
    v!(ok, tapis_auth_options_free(o3));

    l.close();
}
