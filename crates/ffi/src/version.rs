//! The library version.

use std::ffi::c_char;

/// The version string with its terminator, e.g. `"0.1.0\0"`.
const VERSION_CSTR: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version, e.g. `"0.1.0"` (the same as `TAPIS_AUTH_VERSION_MAJOR/MINOR/PATCH`
/// in the header the program was compiled with, if the library matches). Static: do not free.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_version() -> *const c_char {
    VERSION_CSTR.as_ptr().cast()
}
