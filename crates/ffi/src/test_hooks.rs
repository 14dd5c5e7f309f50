//! Test-only hooks for this crate's own integration tests (`crates/ffi/tests/hygiene/`),
//! compiled only with the feature `test-hooks`: the C library that `crates/clib` links for
//! users lacks them (`scripts/test-bindings.sh` checks its symbols).
//!
//! Rust functions only: nothing here is exported to C (no `#[no_mangle]`, not in the header),
//! and nothing here is a stable API.

use crate::options::tapis_auth_options;
use crate::session::tapis_auth_session;

/// Makes the next status-returning C entry point called on this thread panic inside the
/// library, after its arguments are received and before its body runs. When `text` holds a
/// multi-byte character the panic is a real standard-library one (slicing `text` inside that
/// character), whose message quotes `text`; otherwise `text` itself is the payload.
pub fn panic_in_next_call(text: &str) {
    crate::boundary::planted::plant(text);
}

/// The `Debug` rendering of everything Rust holds for a session handle: the `AuthSession`
/// (options, token manager, store, transport), its `whoami()` and its stored `Session` (or the
/// errors those return). Empty for NULL.
pub fn debug_session(session: *const tapis_auth_session) -> String {
    // SAFETY: `session` is NULL or a live handle (the caller's contract).
    match unsafe { session.as_ref() } {
        None => String::new(),
        Some(s) => format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            s.inner,
            s.inner.whoami(),
            s.inner.session(),
            s.inner.expires_at()
        ),
    }
}

/// The `Debug` rendering of an options builder's contents. Empty for NULL.
pub fn debug_options(opts: *const tapis_auth_options) -> String {
    // SAFETY: `opts` is NULL or a live builder (the caller's contract).
    unsafe { opts.as_ref() }.map_or_else(String::new, |o| format!("{:?}", o.inner))
}
