//! The FFI boundary: panic catching, argument checking and writing the per-call error object.
//!
//! Every exported function runs its body inside `status_call` (functions returning a
//! [`tapis_auth_status`]) or `value_call` (accessors and `_free` functions). Both catch
//! panics with `catch_unwind`, so a bug in the library becomes `TAPIS_AUTH_ERR_PANIC` (or a
//! documented default) instead of unwinding into C, Fortran or Go. The crate must therefore
//! never be built with `panic = "abort"`.
//!
//! ## Panic messages never reach the caller or stderr
//!
//! A panic payload is text the library does not control: the standard library's own messages
//! quote the values involved (slicing a string inside a character prints the string), so a
//! payload may carry a password, client key or token. The payload is therefore never copied
//! into the error message (which names the function and the panic's source location only), and
//! a `String` payload is wiped before it is freed.
//!
//! The default panic hook would print the payload on stderr. On the first call into the
//! library, a panic hook is installed (once per process) that wraps the hook in place at that
//! time: for a panic raised on a thread that is inside a library call it records the source
//! location (`file:line`) and prints nothing; every other panic is handed to the previous hook
//! unchanged, so the host program's own hook (or Rust's default one) keeps working for its own
//! panics. A host that calls `std::panic::set_hook` *after* its first library call replaces
//! this hook: library panics are then still caught and still reported without their payload,
//! but the host's hook sees them (and the location is reported as unknown).
//!
//! There is no thread-local "last error": a failing call hands its error object back through
//! its own `tapis_auth_error **err` argument, so goroutines that move between OS threads and
//! OpenMP threads see exactly their own error.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

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
    let inside = Inside::enter();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(any(test, feature = "test-hooks"))]
        planted::fire();
        body()
    }));
    let outcome = match caught {
        Ok(Ok(())) => {
            if !err.is_null() {
                // SAFETY: `err` is non-NULL and, per the documented contract, points to writable
                // storage for one `tapis_auth_error *`.
                unsafe { err.write(std::ptr::null_mut()) };
            }
            return tapis_auth_status::TAPIS_AUTH_OK;
        }
        Ok(Err(e)) => e,
        Err(payload) => {
            let location = take_panic_location();
            discard_payload(payload);
            FfiError::panic(name, location.as_deref())
        }
    };
    drop(inside);
    let status = outcome.status;
    if !err.is_null() {
        // Boxing cannot unwind in practice, but stay inside a catch to keep the promise.
        let boxed = catch_unwind(AssertUnwindSafe(|| {
            Box::into_raw(Box::new(tapis_auth_error::from(outcome)))
        }))
        .unwrap_or_else(|payload| {
            discard_payload(payload);
            std::ptr::null_mut()
        });
        // SAFETY: as above, `err` is non-NULL and points to writable storage.
        unsafe { err.write(boxed) };
    }
    status
}

/// Runs `body` (an accessor or a `_free` function), catching panics; a panic yields `default`
/// (its payload is discarded unread, and nothing is printed).
pub(crate) fn value_call<T>(default: T, body: impl FnOnce() -> T) -> T {
    let _inside = Inside::enter();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            take_panic_location();
            discard_payload(payload);
            default
        }
    }
}

thread_local! {
    /// How many library calls this thread is inside (calls nest: a `_free` inside a call).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// `file:line` of the last panic raised on this thread inside a library call.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Whether the library's panic hook is installed.
static HOOK_INSTALLED: AtomicBool = AtomicBool::new(false);
/// Serialises the installation.
static HOOK_LOCK: Mutex<()> = Mutex::new(());

/// Marks this thread as inside a library call for as long as it lives.
struct Inside;

impl Inside {
    fn enter() -> Self {
        ensure_panic_hook();
        // `try_with`: never panic here (outside `catch_unwind`), even from a TLS destructor.
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_add(1)));
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Installs the library's panic hook once per process (see the module docs). Never panics.
fn ensure_panic_hook() {
    if HOOK_INSTALLED.load(Ordering::Acquire) {
        return;
    }
    // `take_hook`/`set_hook` panic on a panicking thread (a call from a `Drop` during
    // unwinding): try again on a later call instead.
    if std::thread::panicking() {
        return;
    }
    let _ = catch_unwind(|| {
        let _guard = HOOK_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        if HOOK_INSTALLED.load(Ordering::Acquire) {
            return;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let inside = DEPTH.try_with(|d| d.get() > 0).unwrap_or(false);
            if inside {
                // Only the location: the payload may quote a secret.
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                let _ = PANIC_LOCATION.try_with(|p| {
                    if let Ok(mut p) = p.try_borrow_mut() {
                        *p = at;
                    }
                });
            } else {
                previous(info);
            }
        }));
        HOOK_INSTALLED.store(true, Ordering::Release);
    });
}

/// Takes the location recorded by the panic hook for this thread's last caught panic.
fn take_panic_location() -> Option<String> {
    PANIC_LOCATION
        .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take()))
        .ok()
        .flatten()
}

/// Frees a panic payload without reading it out, wiping a `String` payload first (it may quote
/// a secret). A payload whose destructor panics is leaked rather than unwound into C.
fn discard_payload(payload: Box<dyn Any + Send>) {
    let dropped = catch_unwind(AssertUnwindSafe(move || {
        match payload.downcast::<String>() {
            Ok(text) => tapis_auth_core::secret::wipe(text.into_bytes()),
            Err(other) => drop(other),
        }
    }));
    if let Err(again) = dropped {
        std::mem::forget(again);
    }
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

/// A panic planted for the calling thread's next library call: the state behind
/// `test_hooks::panic_in_next_call` (feature `test-hooks`, which release libraries lack) and
/// this module's unit tests.
#[cfg(any(test, feature = "test-hooks"))]
pub(crate) mod planted {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Set once a panic was ever armed, so that normal calls skip the thread-local lookup.
    static ARMED: AtomicBool = AtomicBool::new(false);

    thread_local! {
        static PLANTED: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Makes the next status-returning call on this thread panic (see
    /// `test_hooks::panic_in_next_call`).
    pub(crate) fn plant(text: &str) {
        PLANTED.with(|p| *p.borrow_mut() = Some(text.to_owned()));
        ARMED.store(true, Ordering::Release);
    }

    /// Called by [`super::status_call`] inside its `catch_unwind`.
    pub(crate) fn fire() {
        if !ARMED.load(Ordering::Acquire) {
            return;
        }
        let Some(text) = PLANTED.try_with(|p| p.borrow_mut().take()).ok().flatten() else {
            return;
        };
        let text = std::hint::black_box(text);
        if let Some((i, _)) = text.char_indices().find(|(_, c)| c.len_utf8() > 1) {
            // Panics: `i + 1` is inside the character starting at `i`.
            let cut = std::hint::black_box(i + 1);
            std::hint::black_box(&text[..cut]);
        }
        std::panic::panic_any(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(err: *mut tapis_auth_error) -> String {
        // SAFETY: message borrowed from the live error object.
        unsafe { CStr::from_ptr(crate::error::tapis_auth_error_message(err)) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn panics_become_status_and_error_object() {
        let mut err: *mut tapis_auth_error = std::ptr::null_mut();
        let st = status_call("test_fn", &mut err, || panic!("boom-payload"));
        assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_PANIC);
        assert_eq!(crate::error::tapis_auth_error_status(err), st);
        let m = message(err);
        assert!(m.contains("test_fn"), "{m}");
        assert!(!m.contains("boom-payload"), "{m}");
        // The hook recorded where the panic happened.
        assert!(m.contains("boundary.rs:"), "{m}");
        crate::error::tapis_auth_error_free(err);
        assert_eq!(value_call(7, || panic!("boom")), 7);
    }

    #[test]
    fn std_panic_messages_quoting_a_secret_are_withheld() {
        const SECRET: &str = "unit-S3cret-\u{e9}-token";
        // The standard library's message really quotes the string it was slicing.
        let quoted = catch_unwind(|| {
            let t = std::hint::black_box(SECRET);
            let _ = &t[..13];
        })
        .unwrap_err();
        let text = quoted.downcast_ref::<String>().unwrap();
        assert!(text.contains(SECRET), "{text}");

        let mut err: *mut tapis_auth_error = std::ptr::null_mut();
        let st = status_call("test_slice", &mut err, || {
            let t = std::hint::black_box(SECRET);
            let _ = &t[..13];
            Ok(())
        });
        assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_PANIC);
        let m = message(err);
        assert!(m.contains("test_slice") && !m.contains("S3cret"), "{m}");
        crate::error::tapis_auth_error_free(err);

        // Through the test hook: the next call on this thread panics.
        planted::plant(SECRET);
        let mut err: *mut tapis_auth_error = std::ptr::null_mut();
        let st = status_call("test_hook", &mut err, || Ok(()));
        assert_eq!(st, tapis_auth_status::TAPIS_AUTH_ERR_PANIC);
        let m = message(err);
        assert!(m.contains("test_hook") && !m.contains("S3cret"), "{m}");
        crate::error::tapis_auth_error_free(err);
        // Disarmed after one use.
        assert_eq!(
            status_call("ok", std::ptr::null_mut(), || Ok(())),
            tapis_auth_status::TAPIS_AUTH_OK
        );
    }

    #[test]
    fn panics_outside_the_library_reach_the_previous_hook() {
        // Install the library's hook, then panic outside any library call: the depth is 0,
        // so the panic goes to the previous hook (and `catch_unwind` still sees the payload).
        assert_eq!(value_call(1, || 1), 1);
        let p = catch_unwind(|| panic!("outside")).unwrap_err();
        assert_eq!(p.downcast_ref::<&str>(), Some(&"outside"));
        assert!(take_panic_location().is_none());
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
