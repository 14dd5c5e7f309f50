//! `tapis_auth_whoami`: who a session belongs to, from what is held locally (no network, no
//! secrets). Read the fields with the accessors; free with `tapis_auth_whoami_free`.

use std::ffi::{c_char, CString};

use crate::boundary::{non_null, status_call, value_call, write_out};
use crate::error::tapis_auth_error;
use crate::session::{session_arg, session_err, tapis_auth_session};
use crate::status::tapis_auth_status;
use crate::strings::{held, opt_ptr};

/// A snapshot of a session's identity (from `tapis_auth_session_whoami`). Opaque and immutable (readable from any thread).
pub struct tapis_auth_whoami {
    profile: CString,
    username: Option<CString>,
    tenant_id: Option<CString>,
    base_url: CString,
    platform: CString,
    client_id: Option<CString>,
    source: CString,
    expires_at: i64,
    refresh_expires_at: i64,
    has_refresh_token: bool,
}

/// Takes a snapshot of who the session belongs to (profile, user, tenant, client, expiry),
/// from what is held locally: no network. On success stores a new object in `*out`; free it
/// with `tapis_auth_whoami_free`. `*out` is untouched on error.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_session_whoami(
    session: *mut tapis_auth_session,
    out: *mut *mut tapis_auth_whoami,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_session_whoami", err, || {
        let s = session_arg(session)?;
        non_null(out, "out")?;
        let w = s.whoami().map_err(|e| session_err(s, &e))?;
        let obj = tapis_auth_whoami {
            profile: held(&w.profile),
            username: w.username.as_deref().map(held),
            tenant_id: w.tenant_id.as_deref().map(held),
            base_url: held(&w.base_url),
            platform: held(w.platform.as_str()),
            client_id: w.client_id.as_deref().map(held),
            source: held(&w.source),
            expires_at: w.expires_at.map_or(0, |t| t.secs()),
            refresh_expires_at: w.refresh_expires_at.map_or(0, |t| t.secs()),
            has_refresh_token: w.has_refresh_token,
        };
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { write_out(out, Box::into_raw(Box::new(obj))) };
        Ok(())
    })
}

fn with_who<T: Copy>(
    who: *const tapis_auth_whoami,
    default: T,
    f: impl FnOnce(&tapis_auth_whoami) -> T,
) -> T {
    value_call(default, || {
        // SAFETY: `who` is NULL or a live object from `tapis_auth_session_whoami` (contract).
        match unsafe { who.as_ref() } {
            Some(w) => f(w),
            None => default,
        }
    })
}

/// The profile name. Borrowed from `who` (valid until it is freed); NULL if `who` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_profile(who: *const tapis_auth_whoami) -> *const c_char {
    with_who(who, std::ptr::null(), |w| w.profile.as_ptr())
}

/// The username, or NULL when unknown. Borrowed from `who`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_username(who: *const tapis_auth_whoami) -> *const c_char {
    with_who(who, std::ptr::null(), |w| opt_ptr(&w.username))
}

/// The tenant id, or NULL when unknown. Borrowed from `who`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_tenant_id(who: *const tapis_auth_whoami) -> *const c_char {
    with_who(who, std::ptr::null(), |w| opt_ptr(&w.tenant_id))
}

/// The tenant base URL. Borrowed from `who`; NULL if `who` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_base_url(who: *const tapis_auth_whoami) -> *const c_char {
    with_who(who, std::ptr::null(), |w| w.base_url.as_ptr())
}

/// The platform, `"tapis-v3"` or `"agave-v2"`. Borrowed from `who`; NULL if `who` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_platform(who: *const tapis_auth_whoami) -> *const c_char {
    with_who(who, std::ptr::null(), |w| w.platform.as_ptr())
}

/// The OAuth client id, or NULL when the session has no client. Borrowed from `who`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_client_id(who: *const tapis_auth_whoami) -> *const c_char {
    with_who(who, std::ptr::null(), |w| opt_ptr(&w.client_id))
}

/// Where the credentials came from (e.g. `"environment (TAPIS_*)"`, `"json:/home/u/.agave"`).
/// Borrowed from `who`; NULL if `who` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_source(who: *const tapis_auth_whoami) -> *const c_char {
    with_who(who, std::ptr::null(), |w| w.source.as_ptr())
}

/// The access token's expiry (Unix seconds), or 0 when unknown or `who` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_expires_at(who: *const tapis_auth_whoami) -> i64 {
    with_who(who, 0, |w| w.expires_at)
}

/// The refresh token's expiry (Unix seconds), or 0 when unknown or `who` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_refresh_expires_at(who: *const tapis_auth_whoami) -> i64 {
    with_who(who, 0, |w| w.refresh_expires_at)
}

/// Whether the session holds a refresh token (false if `who` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_has_refresh_token(who: *const tapis_auth_whoami) -> bool {
    with_who(who, false, |w| w.has_refresh_token)
}

/// Frees a whoami object. NULL is a no-op. Must not be called twice on the same object.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_whoami_free(who: *mut tapis_auth_whoami) {
    value_call((), || {
        if !who.is_null() {
            // SAFETY: `who` came from `Box::into_raw` in `tapis_auth_session_whoami`; freed once (contract).
            drop(unsafe { Box::from_raw(who) });
        }
    })
}
