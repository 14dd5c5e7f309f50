//! A device login in progress ([`facade::DeviceLogin`]): the code and URL to show, then
//! polling until the user approves it.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use facade::{AuthSession, DevicePoll};

use crate::options::from_kwargs;
use crate::session::{detached, Session};

/// A device login: show `verification_uri` and `user_code`, then `poll()` or `wait()`.
#[pyclass(frozen, module = "tapis_auth._native")]
pub struct DeviceLogin {
    login: Mutex<facade::DeviceLogin>,
    session: AuthSession,
    user_code: String,
    verification_uri: String,
    expires_at: i64,
}

#[pymethods]
impl DeviceLogin {
    /// Starts a device login (Tapis v3; needs a tenant and an OAuth client id).
    #[staticmethod]
    #[pyo3(signature = (**kwargs))]
    fn start(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let o = from_kwargs(py, kwargs)?;
        let (session, login) = detached(py, &o, || {
            let s = AuthSession::open(o.clone())?;
            let l = s.device_start()?;
            Ok((s, l))
        })?;
        let p = login.prompt().clone();
        Ok(Self {
            login: Mutex::new(login),
            session,
            user_code: p.user_code,
            verification_uri: p.verification_uri,
            expires_at: p.expires_at.0,
        })
    }

    /// The code the user types.
    #[getter]
    fn user_code(&self) -> &str {
        &self.user_code
    }

    /// Where the user types it.
    #[getter]
    fn verification_uri(&self) -> &str {
        &self.verification_uri
    }

    /// When the code stops being accepted (Unix seconds).
    #[getter]
    fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// Asks the server once if the poll interval has passed (never sleeps). Returns `None`
    /// when the login is complete (saved), else the Unix time to poll again at.
    fn poll(&self, py: Python<'_>) -> PyResult<Option<i64>> {
        let o = self.session.options();
        detached(py, o, || {
            let mut l = self.login.lock().unwrap_or_else(|p| p.into_inner());
            Ok(match l.poll()? {
                DevicePoll::Complete => None,
                DevicePoll::Pending(t) => Some(t.0),
            })
        })
    }

    /// The session the login saves into (usable once `poll()` returned `None`).
    fn session(&self) -> Session {
        Session {
            inner: self.session.clone(),
        }
    }
}
