//! `tapis_auth_device`: a device-code login (Tapis v3) as start + poll, so that C and Fortran
//! programs print the code themselves and decide how to wait.
//!
//! ```c
//! tapis_auth_device *dev = NULL;
//! tapis_auth_device_start(session, &dev, &err);
//! printf("Open %s and enter %s\n", tapis_auth_device_verification_uri(dev), tapis_auth_device_user_code(dev));
//! tapis_auth_device_wait(dev, 600, &err);   /* or loop: tapis_auth_device_poll + sleep */
//! tapis_auth_device_free(dev);
//! ```

use std::ffi::{c_char, CString};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tapis_auth::{AuthSession, DeviceLogin, DevicePoll};

use crate::boundary::{handle_ref, non_null, status_call, value_call, write_out, FfiResult};
use crate::error::{tapis_auth_error, FfiError};
use crate::session::{session_arg, session_err, tapis_auth_session};
use crate::status::tapis_auth_status;
use crate::strings::held;

/// A device login in progress. Opaque; created by `tapis_auth_device_start`, freed with
/// `tapis_auth_device_free`. Polling is serialised internally, so the handle may be used from
/// several threads, but one thread polling is the normal use.
pub struct tapis_auth_device {
    /// `None` once the login completed. Holds its own `AuthSession` clone.
    login: Mutex<Option<DeviceLogin>>,
    user_code: CString,
    verification_uri: CString,
    expires_at: i64,
    next_poll_at: AtomicI64,
    /// The session the login started from, for redacting its secrets from errors.
    session: AuthSession,
}

/// Starts a device login with the tenant and OAuth client id in the session's options: asks
/// the server for a device code. On success stores a handle in `*out`; show the user
/// `tapis_auth_device_verification_uri` and `tapis_auth_device_user_code`, then call
/// `tapis_auth_device_poll` or `tapis_auth_device_wait`. When the login completes, the session
/// handle serves tokens for it. `*out` is untouched on error.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_start(
    session: *mut tapis_auth_session,
    out: *mut *mut tapis_auth_device,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_device_start", err, || {
        session_arg(session)?;
        non_null(out, "out")?;
        // SAFETY: checked non-NULL above; a live handle (contract).
        let s = unsafe { &*session }.inner.clone();
        // The login holds its own clone of the session, so it stays valid after the session
        // handle is freed.
        let login = s.device_start().map_err(|e| session_err(&s, &e))?;
        let p = login.prompt();
        let dev = tapis_auth_device {
            user_code: held(&p.user_code),
            verification_uri: held(&p.verification_uri),
            expires_at: p.expires_at.secs(),
            next_poll_at: AtomicI64::new(0),
            login: Mutex::new(Some(login)),
            session: s,
        };
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { write_out(out, Box::into_raw(Box::new(dev))) };
        Ok(())
    })
}

fn device_arg<'a>(device: *const tapis_auth_device) -> FfiResult<&'a tapis_auth_device> {
    // SAFETY: NULL (rejected) or a live handle from `tapis_auth_device_start` (contract).
    unsafe { handle_ref(device, "device") }
}

fn poll_once(d: &tapis_auth_device) -> FfiResult<Option<i64>> {
    let mut guard = d.login.lock().unwrap_or_else(|p| p.into_inner());
    let Some(login) = guard.as_mut() else {
        return Ok(None); // already complete
    };
    match login.poll().map_err(|e| session_err(&d.session, &e))? {
        DevicePoll::Pending(t) => {
            d.next_poll_at.store(t.secs(), Ordering::Relaxed);
            Ok(Some(t.secs()))
        }
        DevicePoll::Complete => {
            *guard = None;
            Ok(None)
        }
    }
}

fn pending(next: i64) -> FfiError {
    FfiError::new(
        tapis_auth_status::TAPIS_AUTH_PENDING,
        format!("authorization pending: the code has not been approved yet; poll again at {next} (Unix time)"),
    )
}

/// Polls once, without sleeping: asks the server only if the poll interval has passed.
/// Returns `TAPIS_AUTH_OK` when the user approved (the session is saved; polling again also
/// returns OK), `TAPIS_AUTH_PENDING` (with an error object) when not yet — poll again at
/// `tapis_auth_device_next_poll_at` — or an error such as
/// `TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_poll(
    device: *mut tapis_auth_device,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_device_poll", err, || {
        match poll_once(device_arg(device)?)? {
            None => Ok(()),
            Some(next) => Err(pending(next)),
        }
    })
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Polls until the user approves, the code expires, or `timeout_seconds` pass, sleeping
/// between polls as the server asks. Returns `TAPIS_AUTH_OK` on approval,
/// `TAPIS_AUTH_PENDING` if still pending at the timeout, or the error.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_wait(
    device: *mut tapis_auth_device,
    timeout_seconds: i64,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_device_wait", err, || {
        let d = device_arg(device)?;
        if timeout_seconds < 0 {
            return Err(FfiError::invalid("timeout_seconds", "must not be negative"));
        }
        let deadline = now_secs().saturating_add(timeout_seconds);
        loop {
            // A passing failure (no answer, 5xx, 429) does not end the wait: the code is still
            // good, so polling goes on after the interval until the timeout.
            let next = match poll_once(d) {
                Ok(None) => return Ok(()),
                Ok(Some(next)) => next,
                Err(e) if e.retryable && now_secs() < deadline => now_secs()
                    .saturating_add(tapis_auth_core::flow::device::DEFAULT_POLL_INTERVAL_SECS),
                Err(e) => return Err(e),
            };
            let now = now_secs();
            if now >= deadline {
                return Err(pending(next));
            }
            let wake = next.clamp(now, deadline);
            // Sleep at least a little to avoid spinning; at most until the next poll.
            let ms = ((wake - now) * 1000).clamp(100, 60_000) as u64;
            std::thread::sleep(Duration::from_millis(ms));
        }
    })
}

/// The code the user types (case-sensitive). Borrowed from `device` (valid until it is freed);
/// NULL if `device` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_user_code(device: *const tapis_auth_device) -> *const c_char {
    value_call(std::ptr::null(), || {
        device_arg(device).map_or(std::ptr::null(), |d| d.user_code.as_ptr())
    })
}

/// The URL where the user enters the code. Borrowed from `device`; NULL if `device` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_verification_uri(
    device: *const tapis_auth_device,
) -> *const c_char {
    value_call(std::ptr::null(), || {
        device_arg(device).map_or(std::ptr::null(), |d| d.verification_uri.as_ptr())
    })
}

/// When the device code stops being accepted (Unix seconds); 0 if `device` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_expires_at(device: *const tapis_auth_device) -> i64 {
    value_call(0, || device_arg(device).map_or(0, |d| d.expires_at))
}

/// When to poll next (Unix seconds); 0 before the first poll or if `device` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_next_poll_at(device: *const tapis_auth_device) -> i64 {
    value_call(0, || {
        device_arg(device).map_or(0, |d| d.next_poll_at.load(Ordering::Relaxed))
    })
}

/// Frees a device login (abandoning it if unfinished). NULL is a no-op. Must not be called
/// twice, nor while another thread polls the handle.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_device_free(device: *mut tapis_auth_device) {
    value_call((), || {
        if !device.is_null() {
            // SAFETY: `device` came from `Box::into_raw` in `tapis_auth_device_start` and is
            // freed once with no concurrent users (contract).
            drop(unsafe { Box::from_raw(device) });
        }
    })
}
