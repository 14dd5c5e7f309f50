//! `tapis_auth._native`: the native half of the Python package `tapis_auth` (PyO3, abi3).
//!
//! It wraps the Rust high-level session ([`facade::AuthSession`]) directly — not the C ABI —
//! and is used through the pure-Python modules of the package (`tapis_auth/__init__.py` and
//! friends), which give it its Python shape: keyword arguments, a `Status` dataclass, the
//! exception hierarchy, `requests`/`httpx`/tapipy integrations, fork handling.
//!
//! Every call that may do network or file I/O or wait for a lock releases the GIL
//! ([`Python::detach`]), so other Python threads run meanwhile; the session itself is
//! thread-safe (one refresh per process, many readers).

use pyo3::prelude::*;

mod device;
mod errors;
mod options;
mod session;

/// The native module.
#[pymodule]
#[pyo3(name = "_native")]
fn tapis_auth_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<session::Session>()?;
    m.add_class::<device::DeviceLogin>()?;
    m.add_function(wrap_pyfunction!(errors::statuses, m)?)?;
    m.add_function(wrap_pyfunction!(errors::set_error_classes, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}

/// The version of the Rust library this module was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
