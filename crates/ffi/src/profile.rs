//! `tapis_auth_session_profile`: who the *server* says the session's token belongs to (Tapis v3
//! `GET /v3/oauth2/profiles/{username}`, Agave v2 `GET /profiles/v2/me`), the "am I really
//! logged in" check. Refreshes first when needed. Read the fields with the accessors; free with
//! `tapis_auth_profile_free`.

use std::ffi::{c_char, CString};

use crate::boundary::{non_null, status_call, value_call, write_out};
use crate::error::tapis_auth_error;
use crate::session::{session_arg, session_err, tapis_auth_session};
use crate::status::tapis_auth_status;
use crate::strings::{held, opt_ptr};

/// A user profile as the server reported it (from `tapis_auth_session_profile`). Opaque and
/// immutable (readable from any thread). Only the username is guaranteed.
pub struct tapis_auth_profile {
    username: CString,
    email: Option<CString>,
    first_name: Option<CString>,
    last_name: Option<CString>,
    full_name: Option<CString>,
}

/// Asks the server for the profile of the session's user, which proves the server accepts
/// the session's token (refreshed first when needed). On success stores a new object in
/// `*out`; free it with `tapis_auth_profile_free`. `*out` is untouched on error: e.g.
/// `TAPIS_AUTH_ERR_LOGIN_REQUIRED` when the token is refused and cannot be renewed.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_session_profile(
    session: *mut tapis_auth_session,
    out: *mut *mut tapis_auth_profile,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_session_profile", err, || {
        let s = session_arg(session)?;
        non_null(out, "out")?;
        let p = s.user_profile().map_err(|e| session_err(s, &e))?;
        let obj = tapis_auth_profile {
            username: held(&p.username),
            email: p.email.as_deref().map(held),
            first_name: p.first_name.as_deref().map(held),
            last_name: p.last_name.as_deref().map(held),
            full_name: p.full_name.as_deref().map(held),
        };
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { write_out(out, Box::into_raw(Box::new(obj))) };
        Ok(())
    })
}

fn with_profile(
    p: *const tapis_auth_profile,
    f: impl FnOnce(&tapis_auth_profile) -> *const c_char,
) -> *const c_char {
    value_call(std::ptr::null(), || {
        // SAFETY: `p` is NULL or a live object from `tapis_auth_session_profile` (contract).
        match unsafe { p.as_ref() } {
            Some(p) => f(p),
            None => std::ptr::null(),
        }
    })
}

/// The username (never NULL unless `p` is). Borrowed from `p` (valid until it is freed).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_profile_username(p: *const tapis_auth_profile) -> *const c_char {
    with_profile(p, |p| p.username.as_ptr())
}

/// The e-mail address, or NULL when the server gave none. Borrowed from `p`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_profile_email(p: *const tapis_auth_profile) -> *const c_char {
    with_profile(p, |p| opt_ptr(&p.email))
}

/// The given name, or NULL. Borrowed from `p`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_profile_first_name(p: *const tapis_auth_profile) -> *const c_char {
    with_profile(p, |p| opt_ptr(&p.first_name))
}

/// The family name, or NULL. Borrowed from `p`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_profile_last_name(p: *const tapis_auth_profile) -> *const c_char {
    with_profile(p, |p| opt_ptr(&p.last_name))
}

/// The full name (Agave v2), or NULL. Borrowed from `p`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_profile_full_name(p: *const tapis_auth_profile) -> *const c_char {
    with_profile(p, |p| opt_ptr(&p.full_name))
}

/// Frees a profile object. NULL is a no-op. Must not be called twice on the same object.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_profile_free(p: *mut tapis_auth_profile) {
    value_call((), || {
        if !p.is_null() {
            // SAFETY: `p` came from `Box::into_raw` in `tapis_auth_session_profile`; freed once (contract).
            drop(unsafe { Box::from_raw(p) });
        }
    })
}
