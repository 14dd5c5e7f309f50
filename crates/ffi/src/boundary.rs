//! The FFI boundary: panic catching, argument checking and writing the per-call error object.
//!
//! Every exported function runs its body inside [`status_call`] (functions returning a
//! [`tapis_auth_status`]) or [`value_call`] (accessors and `_free` functions). Both catch
//! panics with `catch_unwind`, so a bug in the library becomes `TAPIS_AUTH_ERR_PANIC` (or a
//! documented default) instead of unwinding into C, Fortran or Go. The crate must therefore
//! never be built with `panic = "abort"`.
//!
//! There is no thread-local "last error": a failing call hands its error object back through
//! its own `tapis_auth_error **err` argument, so goroutines that move between OS threads and
//! OpenMP threads see exactly their own error.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{tapis_auth_error, FfiError};
use crate::status::tapis_auth_status;

/// The result type of an exported function's body.
pub(crate) type FfiResult<T = ()> = Result<T, FfiError>;

/// Runs `body` for the exported function `name`, catching panics, and reports its outcome:
/// `TAPIS_AUTH_OK` (and `*err = NULL` when `err` is not NULL) on success; the error's status
/// (and a new error object in `*err`) on failure.
pub(crate) fn status_call(
    name: &'static str,
    err: *mut *mut tapis_auth_error,
    body: impl FnOnce() -> FfiResult,
) -> tapis_auth_status {
    let outcome = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            if !err.is_null() {
                // SAFETY: `err` is non-NULL and, per the documented contract, points to writable
                // storage for one `tapis_auth_error *`.
                unsafe { err.write(std::ptr::null_mut()) };
            }
            return tapis_auth_status::TAPIS_AUTH_OK;
        }
        Ok(Err(e)) => e,
        Err(payload) => FfiError::panic(name, payload.as_ref()),
    };
    let status = outcome.status;
    if !err.is_null() {
        // Boxing cannot unwind in practice, but stay inside a catch to keep the promise.
        let boxed = catch_unwind(AssertUnwindSafe(|| {
            Box::into_raw(Box::new(tapis_auth_error::from(outcome)))
        }))
        .unwrap_or(std::ptr::null_mut());
        // SAFETY: as above, `err` is non-NULL and points to writable storage.
        unsafe { err.write(boxed) };
    }
    status
}

/// Runs `body` (an accessor or a `_free` function), catching panics; a panic yields `default`.
pub(crate) fn value_call<T>(default: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(default)
}

/// Checks that a required pointer argument is not NULL.
pub(crate) fn non_null<T>(ptr: *const T, name: &str) -> FfiResult {
    if ptr.is_null() {
        Err(FfiError::null_argument(name))
    } else {
        Ok(())
    }
}

/// Borrows a handle argument (`*const T` or `*mut T` cast to const).
///
/// # Safety
/// `ptr` must be NULL or point to a live `T` created by this library and not yet freed, and the
/// returned reference must not outlive that object.
pub(crate) unsafe fn handle_ref<'a, T>(ptr: *const T, name: &str) -> FfiResult<&'a T> {
    non_null(ptr, name)?;
    // SAFETY: non-NULL checked above; liveness and provenance are the caller's contract.
    Ok(unsafe { &*ptr })
}

/// Mutably borrows a handle argument.
///
/// # Safety
/// As [`handle_ref`], and no other reference to the object may exist during the borrow.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> FfiResult<&'a mut T> {
    non_null(ptr, name)?;
    // SAFETY: non-NULL checked above; exclusivity and liveness are the caller's contract.
    Ok(unsafe { &mut *ptr })
}

/// Reads a required NUL-terminated UTF-8 string argument. NULL or invalid UTF-8 ⇒
/// `TAPIS_AUTH_ERR_INVALID_ARGUMENT` with a message naming the argument (never its value).
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string valid for the duration of the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> FfiResult<&'a str> {
    non_null(ptr, name)?;
    // SAFETY: non-NULL checked above; NUL termination is the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|_| FfiError::not_utf8(name))
}

/// Reads an optional string argument: NULL ⇒ `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(ptr, name) }.map(Some)
    }
}

/// Writes `value` through a required out-pointer (checked for NULL by the caller beforehand).
///
/// # Safety
/// `out` must be non-NULL, aligned and writable.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: forwarded contract.
    unsafe { out.write(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_status_and_error_object() {
        let mut err: *mut tapis_auth_error = std::ptr::null_mut();
        let st = status_call("test_fn", &mut err, || panic!("boom"));
        assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_PANIC);
        assert_eq!(crate::error::tapis_auth_error_status(err), st);
        // SAFETY: message borrowed from the live error object.
        let m = unsafe { CStr::from_ptr(crate::error::tapis_auth_error_message(err)) };
        assert!(m.to_str().unwrap().contains("test_fn"));
        crate::error::tapis_auth_error_free(err);
        assert_eq!(value_call(7, || panic!("boom")), 7);
    }

    #[test]
    fn success_clears_err() {
        let mut err: *mut tapis_auth_error = std::ptr::dangling_mut();
        assert_eq!(
            status_call("ok", &mut err, || Ok(())),
            tapis_auth_status::TAPIS_AUTH_OK
        );
        assert!(err.is_null());
        assert_eq!(
            status_call("ok", std::ptr::null_mut(), || Ok(())),
            tapis_auth_status::TAPIS_AUTH_OK
        );
    }
}
