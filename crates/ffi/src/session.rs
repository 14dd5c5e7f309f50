//! `tapis_auth_session`: one profile's credentials, and the calls that use them (access token,
//! refresh, expiry, logout).
//!
//! A session handle is internally synchronised: many threads (pthreads, OpenMP, goroutines)
//! may call any function taking `tapis_auth_session *` on the same handle at the same time.
//! The hot path (a cached token that is still valid) does no I/O and takes no lock; when a
//! refresh is needed exactly one thread performs it. Only `tapis_auth_session_free` must not
//! race with other calls on the same handle.

use std::ffi::c_char;

use tapis_auth::{AuthSession, Options};
use tapis_auth_core::{Error, Secret};

use crate::boundary::{handle_ref, non_null, status_call, value_call, write_out, FfiResult};
use crate::error::{tapis_auth_error, FfiError};
use crate::options::tapis_auth_options;
use crate::status::tapis_auth_status;
use crate::strings::{check_no_nul, owned_c_string};

/// A session handle. Opaque; created by `tapis_auth_session_restore` or
/// `tapis_auth_session_open`, freed with `tapis_auth_session_free`. Thread-safe.
pub struct tapis_auth_session {
    pub(crate) inner: AuthSession,
}

/// Maps a core error for this session, redacting the secrets its options hold.
pub(crate) fn session_err(s: &AuthSession, e: &Error) -> FfiError {
    FfiError::from_core(e, &option_secrets(s.options()))
}

/// The secrets held in `o`, for redacting error messages (here and in the Python package).
pub fn option_secrets(o: &Options) -> Vec<&Secret> {
    [
        &o.password,
        &o.client_key,
        &o.access_token,
        &o.refresh_token,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Borrows a session handle argument.
pub(crate) fn session_arg<'a>(session: *const tapis_auth_session) -> FfiResult<&'a AuthSession> {
    // SAFETY: `session` is NULL (rejected) or a live handle from this library (contract).
    Ok(&unsafe { handle_ref(session, "session") }?.inner)
}

fn check_min_valid(min_valid_seconds: i64) -> FfiResult {
    if min_valid_seconds < 0 {
        Err(FfiError::invalid(
            "min_valid_seconds",
            "must not be negative",
        ))
    } else {
        Ok(())
    }
}

/// `TAPIS_AUTH_LOG=debug` (decisions) or `trace` (also HTTP requests, retries, lock waits):
/// the library's diagnostics on stderr, from the first session on (read once per process;
/// ignored when the host already installed a `tracing` subscriber). Never a secret.
fn log_from_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Some(level) = std::env::var("TAPIS_AUTH_LOG")
            .ok()
            .and_then(|v| tapis_auth::log::Level::parse(&v))
        {
            tapis_auth::log::to_stderr(level);
        }
    });
}

fn new_session(
    name: &'static str,
    opts: *const tapis_auth_options,
    out: *mut *mut tapis_auth_session,
    err: *mut *mut tapis_auth_error,
    make: fn(Options) -> Result<AuthSession, Error>,
) -> tapis_auth_status {
    status_call(name, err, || {
        non_null(out, "out")?;
        log_from_env();
        // SAFETY: `opts` is NULL or a live builder from `tapis_auth_options_new` (contract).
        let builder = unsafe { opts.as_ref() }.map(|o| &o.inner);
        // The session takes a copy; errors are redacted with the builder's own secrets.
        let session = make(builder.cloned().unwrap_or_default()).map_err(|e| {
            FfiError::from_core(&e, &builder.map(option_secrets).unwrap_or_default())
        })?;
        let handle = Box::into_raw(Box::new(tapis_auth_session { inner: session }));
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { write_out(out, handle) };
        Ok(())
    })
}

/// Restores a session: explicit options first (a base URL or a tenant id, plus a password or a
/// token; a v3 tenant id means `https://<id>.tapis.io`, a v2 one is looked up), then the
/// `TAPIS_*` environment, then the credential store (default: the JSON cache in
/// `TAPIS_CACHE_DIR`, `AGAVE_CACHE_DIR` or `~/.agave`). `opts` may be NULL for the defaults;
/// it is copied and may be freed right after the call.
///
/// On success stores a new handle in `*out` (free it with `tapis_auth_session_free`). When no
/// source holds a session, returns `TAPIS_AUTH_ERR_LOGIN_REQUIRED`; `*out` is untouched on
/// any error.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_session_restore(
    opts: *const tapis_auth_options,
    out: *mut *mut tapis_auth_session,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    new_session(
        "tapis_auth_session_restore",
        opts,
        out,
        err,
        AuthSession::restore,
    )
}

/// Opens the store named by the options for logging in: succeeds even when no credentials exist
/// yet. Use it before `tapis_auth_login_password` or `tapis_auth_device_start`. Unlike
/// `tapis_auth_session_restore` it never takes credentials from explicit tokens or the
/// `TAPIS_*` environment: the options' base URL or tenant, username, password and client are
/// what a login uses, and the login saves into the store.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_session_open(
    opts: *const tapis_auth_options,
    out: *mut *mut tapis_auth_session,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    new_session("tapis_auth_session_open", opts, out, err, AuthSession::open)
}

/// Gets an access token valid for at least `min_valid_seconds` more seconds (and at least the
/// options' minimum validity), refreshing it when needed. On success stores a new
/// NUL-terminated string in `*token_out`; free it with `tapis_auth_string_free` (which wipes
/// it). `*token_out` is untouched on error. Thread-safe; a valid cached token costs no I/O.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_access_token(
    session: *mut tapis_auth_session,
    min_valid_seconds: i64,
    token_out: *mut *mut c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_access_token", err, || {
        let s = session_arg(session)?;
        non_null(token_out, "token_out")?;
        check_min_valid(min_valid_seconds)?;
        let token = s
            .with_access_token(min_valid_seconds, |t| owned_c_string(t, "access token"))
            .map_err(|e| session_err(s, &e))??;
        // SAFETY: `token_out` is non-NULL (checked) and writable (contract).
        unsafe { write_out(token_out, token) };
        Ok(())
    })
}

/// Like `tapis_auth_access_token` but copies the NUL-terminated token into the caller's
/// buffer `buf` of `buf_len` bytes, without allocating. Sets `*needed` to the size required
/// (token length + 1) on success and on `TAPIS_AUTH_ERR_BUFFER_TOO_SMALL`; when `buf_len` is
/// smaller than that, copies nothing and returns `TAPIS_AUTH_ERR_BUFFER_TOO_SMALL`. `buf` may be
/// NULL only when `buf_len` is 0 (a size query); `needed` must not be NULL. The caller should
/// wipe the buffer when done (tokens are secrets).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_access_token_buf(
    session: *mut tapis_auth_session,
    min_valid_seconds: i64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_access_token_buf", err, || {
        let s = session_arg(session)?;
        non_null(needed, "needed")?;
        if buf.is_null() && buf_len > 0 {
            return Err(FfiError::null_argument("buf"));
        }
        check_min_valid(min_valid_seconds)?;
        s.with_access_token(min_valid_seconds, |t| {
            let need = t.len() + 1;
            // SAFETY: `needed` is non-NULL (checked) and writable (contract).
            unsafe { write_out(needed, need) };
            check_no_nul(t, "access token")?;
            if buf_len < need {
                return Err(FfiError::new(
                    tapis_auth_status::TAPIS_AUTH_ERR_BUFFER_TOO_SMALL,
                    format!("buffer too small: the token needs {need} bytes (NUL included), buf_len is {buf_len}"),
                ));
            }
            // SAFETY: `buf` is non-NULL here (buf_len >= need > 0) and, per the contract, valid
            // for `buf_len >= need` writable bytes; the source is a distinct Rust string.
            unsafe {
                std::ptr::copy_nonoverlapping(t.as_ptr(), buf.cast::<u8>(), t.len());
                buf.add(t.len()).write(0);
            }
            Ok(())
        })
        .map_err(|e| session_err(s, &e))?
    })
}

/// Refreshes the access token now, whatever its expiry (single-flight across threads and,
/// with a shared cache, across processes).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_refresh(
    session: *mut tapis_auth_session,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_refresh", err, || {
        let s = session_arg(session)?;
        s.refresh().map_err(|e| session_err(s, &e))?;
        Ok(())
    })
}

/// Stores the access token's expiry (seconds since the Unix epoch, UTC) in `*expires_at_out`,
/// or 0 when the expiry is unknown (e.g. an opaque token given explicitly). No network.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_expires_at(
    session: *mut tapis_auth_session,
    expires_at_out: *mut i64,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_expires_at", err, || {
        let s = session_arg(session)?;
        non_null(expires_at_out, "expires_at_out")?;
        let t = s.expires_at().map_err(|e| session_err(s, &e))?;
        // SAFETY: `expires_at_out` is non-NULL (checked) and writable (contract).
        unsafe { write_out(expires_at_out, t.map_or(0, |t| t.secs())) };
        Ok(())
    })
}

/// Takes the store's warnings since the last call (a cache file found readable by others and
/// made private, or one that could not be): `*warnings_out` receives them as one string, one
/// warning per line (free it with `tapis_auth_string_free`), or NULL when there are none. No
/// warning carries a secret. No network.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_session_take_warnings(
    session: *mut tapis_auth_session,
    warnings_out: *mut *mut c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_session_take_warnings", err, || {
        let s = session_arg(session)?;
        non_null(warnings_out, "warnings_out")?;
        let w = s.take_warnings();
        let out = if w.is_empty() {
            std::ptr::null_mut()
        } else {
            owned_c_string(&w.join("\n"), "warnings")?
        };
        // SAFETY: `warnings_out` is non-NULL (checked) and writable (contract).
        unsafe { write_out(warnings_out, out) };
        Ok(())
    })
}

/// Logs out: revokes the tokens where the platform supports it (best effort) and deletes the
/// session from the store. `deleted_out` may be NULL; otherwise it receives whether a stored
/// session was deleted. The handle stays valid (later token calls report login-required).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_logout(
    session: *mut tapis_auth_session,
    deleted_out: *mut bool,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_logout", err, || {
        let s = session_arg(session)?;
        let deleted = s.logout().map_err(|e| session_err(s, &e))?;
        if !deleted_out.is_null() {
            // SAFETY: non-NULL and writable (contract).
            unsafe { write_out(deleted_out, deleted) };
        }
        Ok(())
    })
}

/// Frees a session handle (in-progress device logins started from it stay valid). NULL is a
/// no-op. Must not be called twice, nor while another thread is using the handle.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_session_free(session: *mut tapis_auth_session) {
    value_call((), || {
        if !session.is_null() {
            // SAFETY: `session` came from `Box::into_raw` in this library and is freed once,
            // with no concurrent users (contract).
            drop(unsafe { Box::from_raw(session) });
        }
    })
}
