//! Rust errors as Python exceptions. The classes are defined in Python
//! (`tapis_auth/errors.py`), one per C status; the package hands them to this module at import
//! ([`set_error_classes`]). Which status an error has is decided by the C ABI crate's
//! [`c_status::status_of`] — the one mapping — and messages are redacted the same way as for C.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use c_status::tapis_auth_status;
use facade::Options;
use tapis_auth_core::Error;

/// status number -> exception class, set once by the Python package.
static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// Every C status as `(number, name)`, in numeric order (`TAPIS_AUTH_OK` included): the table
/// the Python exception classes are checked against.
#[pyfunction]
pub fn statuses() -> Vec<(u32, String)> {
    tapis_auth_status::ALL
        .iter()
        .map(|s| {
            let name = s.name_cstr();
            let name = String::from_utf8_lossy(&name[..name.len() - 1]).into_owned();
            (*s as u32, name)
        })
        .collect()
}

/// Registers the exception classes, a dict from status number to class (called once by
/// `tapis_auth.errors`).
#[pyfunction]
pub fn set_error_classes(py: Python<'_>, classes: Bound<'_, PyDict>) -> PyResult<()> {
    CLASSES
        .set(py, classes.unbind())
        .map_err(|_| PyRuntimeError::new_err("the error classes are already registered"))
}

/// A Python exception for status `status` with `message`.
pub fn raise(
    py: Python<'_>,
    status: tapis_auth_status,
    message: String,
    http: u16,
    retryable: bool,
) -> PyErr {
    let class = CLASSES
        .get(py)
        .and_then(|d| d.bind(py).get_item(status as u32).ok().flatten());
    let http = (http != 0).then_some(http);
    match class {
        Some(class) => match class.call1((message, status as u32, http, retryable)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        },
        None => PyRuntimeError::new_err(message),
    }
}

/// Converts a library error, redacting the secrets `options` hold (the core already redacts
/// server text; this is the same second line of defence as the C ABI's).
pub fn to_py(py: Python<'_>, e: &Error, options: Option<&Options>) -> PyErr {
    let secrets = options.map(c_status::option_secrets).unwrap_or_default();
    let message = tapis_auth_core::secret::redact_all(&e.to_string(), &secrets);
    raise(
        py,
        c_status::status_of(e),
        message,
        e.http_status().unwrap_or(0),
        e.is_retryable(),
    )
}

/// `TAPIS_AUTH_ERR_INVALID_ARGUMENT` naming the argument and what is wrong with it.
pub fn invalid_argument(py: Python<'_>, name: &str, why: &str) -> PyErr {
    raise(
        py,
        tapis_auth_status::TAPIS_AUTH_ERR_INVALID_ARGUMENT,
        format!("argument `{name}` {why}"),
        0,
        false,
    )
}
