//! Creating an OAuth client: the client key the library returns is a secret too, and none of
//! the error paths (invalid UTF-8 in the name, id or description, NULL out-pointers, a failing
//! clients endpoint) shows it.

use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::{FaultKind, TestServer};

use crate::common::{self, c, inject, not_utf8, owned, sc, LoggedIn, Plat, H, OK};

common::hygiene_child!(per_store: platform_store);

/// Client creation for one platform and one store.
fn platform_store(h: &mut H, srv: &TestServer, plat: Plat, kind: &'static str) {
    let l = LoggedIn::new(h, srv, plat, kind);
    let (s, ctx) = (l.s, l.ctx.as_str());

    // Create an OAuth client: its key is a secret too.
    let (mut id, mut key) = (ptr::null_mut(), ptr::null_mut());
    let name = c(&format!("hyg-made-{}-{kind}", plat.name()));
    let desc = c("made by the hygiene test");
    let r = sc!(
        h,
        tapis_auth_client_create(
            s,
            name.as_ptr(),
            ptr::null(),
            desc.as_ptr(),
            &mut id,
            &mut key
        )
    );
    assert_eq!(r, OK);
    h.text(ctx, owned(id).unwrap());
    let made_key = owned(key).expect("a client key");
    h.secret(&made_key);
    let bad = not_utf8();
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                name.as_ptr(),
                ptr::null(),
                bad.as_ptr(),
                &mut id,
                &mut key
            )
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(s, bad.as_ptr(), ptr::null(), ptr::null(), &mut id, &mut key)
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(s, ptr::null(), bad.as_ptr(), ptr::null(), &mut id, &mut key)
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                ptr::null_mut(),
                &mut key
            )
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                &mut id,
                ptr::null_mut()
            )
        ),
        OK
    );
    let clients = if plat == Plat::V3 {
        "v3.clients"
    } else {
        "v2.clients"
    };
    inject(srv, clients, FaultKind::Status, None);
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                s,
                name.as_ptr(),
                ptr::null(),
                ptr::null(),
                &mut id,
                &mut key
            )
        ),
        OK
    );

    l.close();
}
