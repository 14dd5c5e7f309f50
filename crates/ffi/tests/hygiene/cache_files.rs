//! The cache's file modes: a cache made readable by others is tightened on the next restore
//! with a warning that names the file and never shows what it holds.

use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::TestServer;

use crate::common::{self, loosen, options, owned, sc, token, v, whoami, LoggedIn, Plat, H, OK};

common::hygiene_child!(per_store: platform_store);

/// The loosened cache of one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) {
    let l = LoggedIn::new(h, srv, plat, kind);
    let (s, dir, ctx) = (l.s, l.dir.path(), l.ctx.as_str());
    let url = srv.url();

    // A cache readable by others: the warning names the file, never its contents.
    let mut warnings = ptr::null_mut();
    assert_ne!(
        sc!(h, tapis_auth_session_take_warnings(s, ptr::null_mut())),
        OK
    );
    assert_eq!(
        sc!(h, tapis_auth_session_take_warnings(s, &mut warnings)),
        OK
    );
    if let Some(w) = owned(warnings) {
        h.text(ctx, w);
    }
    loosen(dir, kind);
    let o2 = options(h, url, plat, kind, dir, None, None);
    let mut s2 = ptr::null_mut();
    assert_eq!(sc!(h, tapis_auth_session_restore(o2, &mut s2)), OK);
    assert_eq!(token(h, s2), OK);
    let mut warnings = ptr::null_mut();
    assert_eq!(
        sc!(h, tapis_auth_session_take_warnings(s2, &mut warnings)),
        OK
    );
    let w = owned(warnings);
    if kind == "json" {
        assert!(w.is_some(), "{ctx}: no warning for a world-readable cache");
    }
    if let Some(w) = w {
        h.text(ctx, w);
    }
    whoami(h, ctx, s2);
    h.debug_session(ctx, s2);
    v!(ok, tapis_auth_session_free(s2));

    v!(ok, tapis_auth_options_free(o2));
    l.close();
}
