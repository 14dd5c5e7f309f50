//! The `Session` class: one profile's credentials ([`facade::AuthSession`]). Frozen (no
//! Python-side mutation) and shared freely between threads: the Rust session is thread-safe.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use facade::{AuthSession, Options};
use tapis_auth_core::{
    authorize_with, classify_service_response, HttpRequest, HttpResponse, Method, Platform, Replay,
    Secret, ServiceVerdict, UnixTime,
};

use crate::errors::{invalid_argument, to_py};
use crate::options::from_kwargs;

/// A session handle (see the Python `tapis_auth.Session`, which wraps it).
#[pyclass(frozen, module = "tapis_auth._native")]
pub struct Session {
    pub(crate) inner: AuthSession,
}

/// Runs `f` with the GIL released and converts its error, redacted with `options`' secrets.
pub(crate) fn detached<T: Send>(
    py: Python<'_>,
    options: &Options,
    f: impl Send + FnOnce() -> Result<T, tapis_auth_core::Error>,
) -> PyResult<T> {
    py.detach(f).map_err(|e| to_py(py, &e, Some(options)))
}

fn short_platform(p: Platform) -> &'static str {
    match p {
        Platform::TapisV3 => "v3",
        Platform::AgaveV2 => "v2",
    }
}

fn secs(t: Option<UnixTime>) -> Option<i64> {
    t.map(|t| t.0)
}

#[pymethods]
impl Session {
    /// Restores a session: explicit arguments, then the `TAPIS_*` environment, then the store.
    #[staticmethod]
    #[pyo3(signature = (**kwargs))]
    fn restore(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let o = from_kwargs(py, kwargs)?;
        let inner = detached(py, &o, || AuthSession::restore(o.clone()))?;
        Ok(Self { inner })
    }

    /// Opens the store for a login (no session needs to exist yet).
    #[staticmethod]
    #[pyo3(signature = (**kwargs))]
    fn open(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let o = from_kwargs(py, kwargs)?;
        let inner = detached(py, &o, || AuthSession::open(o.clone()))?;
        Ok(Self { inner })
    }

    /// Logs in with the username and password in the options; saves the session in the store
    /// and makes its profile current (unless `make_current=False`).
    #[pyo3(signature = (create_client = true))]
    fn login_password(&self, py: Python<'_>, create_client: bool) -> PyResult<()> {
        let s = &self.inner;
        detached(py, s.options(), || {
            s.login_password(create_client).map(drop)
        })
    }

    /// An access token valid for at least `max(min_valid, margin)` more seconds.
    #[pyo3(signature = (min_valid = 600))]
    fn access_token(&self, py: Python<'_>, min_valid: i64) -> PyResult<String> {
        if min_valid < 0 {
            return Err(invalid_argument(py, "min_valid", "must not be negative"));
        }
        let s = &self.inner;
        let t = detached(py, s.options(), || s.access_token(min_valid))?;
        Ok(t.expose().to_owned())
    }

    /// Refreshes now; returns the new access token.
    fn refresh(&self, py: Python<'_>) -> PyResult<String> {
        let s = &self.inner;
        let t = detached(py, s.options(), || s.refresh())?;
        Ok(t.access_token.expose().to_owned())
    }

    /// The access token's expiry (Unix seconds), when known.
    fn expires_at(&self, py: Python<'_>) -> PyResult<Option<i64>> {
        let s = &self.inner;
        Ok(secs(detached(py, s.options(), || s.expires_at())?))
    }

    /// What is held locally about this session, as a dict (no network, no secret).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.inner;
        let w = detached(py, s.options(), || s.whoami())?;
        let d = PyDict::new(py);
        d.set_item("profile", w.profile)?;
        d.set_item("username", w.username)?;
        d.set_item("tenant_id", w.tenant_id)?;
        d.set_item("base_url", w.base_url)?;
        d.set_item("platform", short_platform(w.platform))?;
        d.set_item("client_id", w.client_id)?;
        d.set_item("source", w.source)?;
        d.set_item("expires_at", secs(w.expires_at))?;
        d.set_item("refresh_expires_at", secs(w.refresh_expires_at))?;
        d.set_item("has_refresh_token", w.has_refresh_token)?;
        d.set_item("refresh_rejected_at", secs(w.refresh_rejected_at))?;
        d.set_item("login_required", w.login_required)?;
        Ok(d)
    }

    /// Revokes the tokens (best effort) and deletes the stored session; with `delete_client`,
    /// first deletes the OAuth client this profile's login created. Returns a dict: `deleted`,
    /// `client_deleted`, `client_kept` (`(id, why)` or `None`).
    #[pyo3(signature = (delete_client = true))]
    fn logout<'py>(&self, py: Python<'py>, delete_client: bool) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.inner;
        let out = detached(py, s.options(), || s.logout_with(delete_client))?;
        let d = PyDict::new(py);
        d.set_item("deleted", out.deleted)?;
        d.set_item("client_deleted", out.client_deleted)?;
        d.set_item("client_kept", out.client_kept)?;
        Ok(d)
    }

    /// The profile this session serves.
    #[getter]
    fn profile(&self) -> &str {
        self.inner.profile()
    }

    /// Where the credentials came from (`explicit arguments`, `environment (TAPIS_*)`, or the
    /// store, e.g. `json:/home/u/.agave`).
    #[getter]
    fn source(&self) -> String {
        self.inner.source().to_string()
    }

    /// `"v3"` (Tapis) or `"v2"` (Agave).
    fn platform(&self, py: Python<'_>) -> PyResult<&'static str> {
        let s = &self.inner;
        Ok(short_platform(detached(py, s.options(), || {
            s.manager().platform()
        })?))
    }

    /// The tenant's base URL.
    fn base_url(&self, py: Python<'_>) -> PyResult<String> {
        let s = &self.inner;
        detached(py, s.options(), || {
            s.session().map(|x| x.tenant.base_url.to_string())
        })
    }

    /// The header that carries a token valid for `min_valid` more seconds on a request for
    /// `url`: `(name, value, token)` — `X-Tapis-Token` (v3) or `Authorization: Bearer` (v2).
    /// Refused (`ConfigError`) when `url` is not on the tenant's origin, unless `any_origin`.
    #[pyo3(signature = (url, min_valid = 0, any_origin = false))]
    fn authorize<'py>(
        &self,
        py: Python<'py>,
        url: &str,
        min_valid: i64,
        any_origin: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        if min_valid < 0 {
            return Err(invalid_argument(py, "min_valid", "must not be negative"));
        }
        let s = &self.inner;
        let (name, value, token) = detached(py, s.options(), || {
            let session = s.session()?;
            let base = session.tenant.base_url.as_str();
            if !any_origin && !facade::session::same_origin(url, base) {
                return Err(tapis_auth_core::Error::Config(format!(
                    "refusing to attach the access token to a request for another origin than \
                     the tenant's ({base}): a token sent elsewhere can be replayed there; pass \
                     any_origin=True to send it there on purpose"
                )));
            }
            let token = s.access_token(min_valid)?;
            let req = authorize_with(
                session.platform(),
                &token,
                HttpRequest::new(Method::Get, url, Replay::Safe),
            )?;
            let h = req
                .headers
                .into_iter()
                .next()
                .ok_or(tapis_auth_core::Error::ApiMisuse("no credential header"))?;
            Ok((
                h.name,
                h.value.expose().to_owned(),
                token.expose().to_owned(),
            ))
        })?;
        PyTuple::new(py, [name, value, token])
    }

    /// Whether a service's answer (`status`, `body`) says the token was rejected as expired
    /// or invalid, so that a refresh and one retry are in order (the rule the Rust `send`
    /// follows).
    fn rejects_token(&self, py: Python<'_>, status: u16, body: &[u8]) -> PyResult<bool> {
        let s = &self.inner;
        let platform = detached(py, s.options(), || s.manager().platform())?;
        let resp = HttpResponse::new(status, body.to_vec());
        Ok(matches!(
            classify_service_response(platform, &resp),
            ServiceVerdict::RefreshAndRetry
        ))
    }

    /// Refreshes after a service rejected `rejected` (unless another thread or process already
    /// did since it was handed out) and returns the access token to retry with.
    fn refresh_rejected(&self, py: Python<'_>, rejected: String) -> PyResult<String> {
        let s = &self.inner;
        let rejected = Secret::new(rejected);
        let t = detached(py, s.options(), || s.manager().refresh(Some(&rejected)))?;
        Ok(t.access_token.expose().to_owned())
    }

    /// The store's warnings since the last call (a cache file made private, ...); no secrets.
    fn take_warnings(&self, py: Python<'_>) -> Vec<String> {
        let s = &self.inner;
        py.detach(|| s.take_warnings())
    }

    fn __repr__(&self) -> String {
        format!(
            "<tapis_auth._native.Session profile={:?} source={:?}>",
            self.inner.profile(),
            self.inner.source().to_string()
        )
    }
}
