//! Arguments the library refuses, and calls that need no server: every options setter's error
//! paths (NULL options, invalid UTF-8 — also right after a planted secret —, out-of-range
//! numbers), the builder's `Debug` while it holds secrets, sessions and every accessor on NULL
//! handles, the status table and the version. No error message echoes what it was given.

use std::ffi::{c_char, CString};
use std::ptr;

use tapis_auth_ffi::*;
use tapis_auth_testserver::TestServer;

use crate::common::{
    self, borrowed, c, not_utf8, sc, v, BOGUS_ACCESS, BOGUS_REFRESH, H, OK, PASSWORD, V3_KEY,
};

common::hygiene_child!(scenario: scenario);

/// Calls that need no server: every options setter's error paths, the status functions, the
/// version, the `_free(NULL)` calls and NULL handles for every accessor.
fn scenario(h: &mut H, _srv: &TestServer) {
    let o = v!(ok, tapis_auth_options_new());
    let bad = not_utf8();
    let x = c("x");
    type Setter = extern "C" fn(
        *mut tapis_auth_options,
        *const c_char,
        *mut *mut tapis_auth_error,
    ) -> tapis_auth_status;
    // The string setters: NULL options, invalid UTF-8 (a would-be secret), and NULL (reset).
    macro_rules! string_setters {
        ($($f:ident),*) => {$(
            assert_ne!(sc!(h, $f(ptr::null_mut(), x.as_ptr())), OK);
            assert_ne!(sc!(h, $f(o, bad.as_ptr())), OK);
            assert_eq!(sc!(h, $f(o, ptr::null())), OK);
            let _: Setter = $f;
        )*};
    }
    string_setters!(
        tapis_auth_options_set_base_url,
        tapis_auth_options_set_tenant,
        tapis_auth_options_set_platform,
        tapis_auth_options_set_profile,
        tapis_auth_options_set_username,
        tapis_auth_options_set_password,
        tapis_auth_options_set_client_id,
        tapis_auth_options_set_client_key,
        tapis_auth_options_set_access_token,
        tapis_auth_options_set_refresh_token,
        tapis_auth_options_set_ca_file
    );
    // Secrets passed as invalid UTF-8 with a secret-looking prefix are not echoed either.
    let half = CString::new([PASSWORD.as_bytes(), &[0xff]].concat()).unwrap();
    assert_ne!(
        sc!(h, tapis_auth_options_set_password(o, half.as_ptr())),
        OK
    );
    let half = CString::new([BOGUS_REFRESH.as_bytes(), &[0xc3]].concat()).unwrap();
    assert_ne!(
        sc!(h, tapis_auth_options_set_refresh_token(o, half.as_ptr())),
        OK
    );
    assert_ne!(
        sc!(h, tapis_auth_options_set_platform(o, c("v9").as_ptr())),
        OK
    );
    assert_eq!(
        sc!(h, tapis_auth_options_set_tenant(o, c("tacc").as_ptr())),
        OK
    );
    // The store.
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(ptr::null_mut(), x.as_ptr(), ptr::null())
        ),
        OK
    );
    assert_ne!(
        sc!(h, tapis_auth_options_set_store(o, ptr::null(), ptr::null())),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(o, c("nosuch").as_ptr(), ptr::null())
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(o, bad.as_ptr(), ptr::null())
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_store(o, c("json").as_ptr(), bad.as_ptr())
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_store(o, c("memory").as_ptr(), ptr::null())
        ),
        OK
    );
    // Flags and numbers.
    assert_ne!(
        sc!(h, tapis_auth_options_set_persist(ptr::null_mut(), true)),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_use_environment(ptr::null_mut(), true)
        ),
        OK
    );
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_allow_insecure_http(ptr::null_mut(), true)
        ),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_min_valid(o, -1)), OK);
    assert_ne!(
        sc!(h, tapis_auth_options_set_min_valid(ptr::null_mut(), 1)),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_connect_timeout_ms(o, 0)), OK);
    assert_ne!(
        sc!(
            h,
            tapis_auth_options_set_connect_timeout_ms(ptr::null_mut(), 1)
        ),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_timeout_ms(o, 0)), OK);
    assert_ne!(
        sc!(h, tapis_auth_options_set_timeout_ms(ptr::null_mut(), 1)),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_options_set_max_tries(o, 0)), OK);
    assert_ne!(
        sc!(h, tapis_auth_options_set_max_tries(ptr::null_mut(), 1)),
        OK
    );
    // Secrets held by the builder never show in its Debug print.
    assert_eq!(
        sc!(h, tapis_auth_options_set_password(o, c(PASSWORD).as_ptr())),
        OK
    );
    assert_eq!(
        sc!(h, tapis_auth_options_set_client_key(o, c(V3_KEY).as_ptr())),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_access_token(o, c(BOGUS_ACCESS).as_ptr())
        ),
        OK
    );
    assert_eq!(
        sc!(
            h,
            tapis_auth_options_set_refresh_token(o, c(BOGUS_REFRESH).as_ptr())
        ),
        OK
    );
    h.debug_options("options with secrets", o);
    v!(ok, tapis_auth_options_free(o));
    v!(bad, tapis_auth_options_free(ptr::null_mut()));

    // Sessions: NULL out-pointers.
    assert_ne!(
        sc!(h, tapis_auth_session_open(ptr::null(), ptr::null_mut())),
        OK
    );
    assert_ne!(
        sc!(h, tapis_auth_session_restore(ptr::null(), ptr::null_mut())),
        OK
    );
    // Session functions on a NULL session.
    let mut tok = ptr::null_mut();
    let mut n = 0usize;
    let mut t = 0i64;
    let mut deleted = false;
    let mut w = ptr::null_mut();
    let mut d = ptr::null_mut();
    let (mut id, mut key) = (ptr::null_mut(), ptr::null_mut());
    let null = ptr::null_mut();
    assert_ne!(sc!(h, tapis_auth_access_token(null, 0, &mut tok)), OK);
    assert_ne!(
        sc!(
            h,
            tapis_auth_access_token_buf(null, 0, ptr::null_mut(), 0, &mut n)
        ),
        OK
    );
    assert_ne!(sc!(h, tapis_auth_refresh(null)), OK);
    assert_ne!(sc!(h, tapis_auth_expires_at(null, &mut t)), OK);
    assert_ne!(sc!(h, tapis_auth_session_take_warnings(null, &mut tok)), OK);
    assert_ne!(sc!(h, tapis_auth_logout(null, &mut deleted)), OK);
    assert_ne!(sc!(h, tapis_auth_login_password(null, true)), OK);
    assert_ne!(sc!(h, tapis_auth_session_whoami(null, &mut w)), OK);
    let mut prof = ptr::null_mut();
    assert_ne!(sc!(h, tapis_auth_session_profile(null, &mut prof)), OK);
    assert_ne!(sc!(h, tapis_auth_device_start(null, &mut d)), OK);
    assert_ne!(
        sc!(
            h,
            tapis_auth_client_create(
                null,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                &mut id,
                &mut key
            )
        ),
        OK
    );
    v!(bad, tapis_auth_session_free(ptr::null_mut()));
    // Device and whoami accessors on NULL.
    assert_ne!(sc!(h, tapis_auth_device_poll(ptr::null_mut())), OK);
    assert_ne!(sc!(h, tapis_auth_device_wait(ptr::null_mut(), 1)), OK);
    assert!(v!(bad, tapis_auth_device_user_code(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_device_verification_uri(ptr::null())).is_null());
    assert_eq!(v!(bad, tapis_auth_device_expires_at(ptr::null())), 0);
    assert_eq!(v!(bad, tapis_auth_device_next_poll_at(ptr::null())), 0);
    v!(bad, tapis_auth_device_free(ptr::null_mut()));
    assert!(v!(bad, tapis_auth_whoami_profile(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_username(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_tenant_id(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_base_url(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_platform(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_client_id(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_whoami_source(ptr::null())).is_null());
    assert_eq!(v!(bad, tapis_auth_whoami_expires_at(ptr::null())), 0);
    assert_eq!(
        v!(bad, tapis_auth_whoami_refresh_expires_at(ptr::null())),
        0
    );
    assert!(!v!(bad, tapis_auth_whoami_has_refresh_token(ptr::null())));
    v!(bad, tapis_auth_whoami_free(ptr::null_mut()));
    assert!(v!(bad, tapis_auth_profile_username(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_email(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_first_name(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_last_name(ptr::null())).is_null());
    assert!(v!(bad, tapis_auth_profile_full_name(ptr::null())).is_null());
    v!(bad, tapis_auth_profile_free(ptr::null_mut()));
    // Error accessors on NULL (no error).
    assert_eq!(v!(bad, tapis_auth_error_status(ptr::null())), OK);
    assert_eq!(
        borrowed(v!(bad, tapis_auth_error_message(ptr::null()))).unwrap(),
        ""
    );
    assert_eq!(v!(bad, tapis_auth_error_http_status(ptr::null())), 0);
    assert!(!v!(bad, tapis_auth_error_is_retryable(ptr::null())));
    v!(bad, tapis_auth_error_free(ptr::null_mut()));
    v!(bad, tapis_auth_string_free(ptr::null_mut()));
    // A NULL err is allowed.
    assert_ne!(tapis_auth_refresh(null, ptr::null_mut()), OK);
    // Status functions: every known number, and an unknown one.
    for st in 0..1000 {
        h.text(
            "status_name",
            borrowed(v!(ok, tapis_auth_status_name(st))).unwrap(),
        );
    }
    h.text(
        "status_name",
        borrowed(v!(bad, tapis_auth_status_name(12_345))).unwrap(),
    );
    for st in [0u32, 100, 200, 300, 400, 500, 600, 700, 900] {
        let _ = v!(ok, tapis_auth_status_is_login_required(st));
        let _ = v!(ok, tapis_auth_status_is_pending(st));
        let _ = v!(ok, tapis_auth_status_is_network(st));
        let _ = v!(ok, tapis_auth_status_is_server(st));
        let _ = v!(ok, tapis_auth_status_is_storage(st));
        let _ = v!(ok, tapis_auth_status_is_usage(st));
    }
    for st in [12_345u32, u32::MAX] {
        assert!(!v!(bad, tapis_auth_status_is_login_required(st)));
        assert!(!v!(bad, tapis_auth_status_is_pending(st)));
        assert!(!v!(bad, tapis_auth_status_is_network(st)));
        assert!(!v!(bad, tapis_auth_status_is_server(st)));
        assert!(!v!(bad, tapis_auth_status_is_storage(st)));
        assert!(!v!(bad, tapis_auth_status_is_usage(st)));
    }
    h.text(
        "tapis_auth_version",
        borrowed(v!(ok, tapis_auth_version())).unwrap(),
    );
}
