//! Keyword arguments -> [`facade::Options`]. Every name is checked: an unknown one is an
//! `InvalidArgumentError` naming it (a typo must not silently fall back to the environment or
//! the store). Values that are secrets are never echoed.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use facade::Options;
use tapis_auth_core::{Platform, Secret};
use tapis_auth_storage::StoreKind;

use crate::errors::{invalid_argument, to_py};

/// The keyword arguments every constructor accepts.
pub const NAMES: &[&str] = &[
    "profile",
    "store",
    "store_path",
    "base_url",
    "tenant",
    "platform",
    "username",
    "password",
    "client_id",
    "client_key",
    "access_token",
    "refresh_token",
    "use_environment",
    "persist",
    "margin",
    "tenants_url",
    "make_current",
    "ca_file",
    "allow_insecure_http",
    "connect_timeout",
    "timeout",
    "max_tries",
];

/// Builds options from keyword arguments (`None` values mean "not given").
pub fn from_kwargs(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut o = Options::default();
    let Some(kwargs) = kwargs else {
        return Ok(o);
    };
    for (k, v) in kwargs.iter() {
        let key: String = k.extract()?;
        if v.is_none() {
            if !NAMES.contains(&key.as_str()) {
                return Err(unknown(py, &key));
            }
            continue;
        }
        let text = |what: &str| -> PyResult<String> {
            v.extract::<String>()
                .map_err(|_| invalid_argument(py, &key, &format!("must be {what}")))
        };
        let secret = || -> PyResult<Secret> {
            let s: String = v
                .extract()
                .map_err(|_| invalid_argument(py, &key, "must be a str"))?;
            Ok(Secret::new(s))
        };
        let flag = || -> PyResult<bool> {
            v.extract::<bool>()
                .map_err(|_| invalid_argument(py, &key, "must be a bool"))
        };
        let seconds = || -> PyResult<Duration> {
            let s: f64 = v
                .extract()
                .map_err(|_| invalid_argument(py, &key, "must be a number of seconds"))?;
            Duration::try_from_secs_f64(s)
                .map_err(|_| invalid_argument(py, &key, "must be a non-negative number of seconds"))
        };
        match key.as_str() {
            "profile" => o.profile = Some(text("a str")?),
            "store" => {
                o.store =
                    StoreKind::parse(&text("a str")?).map_err(|e| to_py(py, &e.into(), None))?
            }
            "store_path" => o.store_path = Some(path(py, &v, &key)?),
            "base_url" => o.base_url = Some(text("a str")?),
            "tenant" => o.tenant_id = Some(text("a str")?),
            "platform" => {
                o.platform =
                    Some(Platform::parse(&text("'v3' or 'v2'")?).map_err(|e| to_py(py, &e, None))?)
            }
            "username" => o.username = Some(text("a str")?),
            "password" => o.password = Some(secret()?),
            "client_id" => o.client_id = Some(text("a str")?),
            "client_key" => o.client_key = Some(secret()?),
            "access_token" => o.access_token = Some(secret()?),
            "refresh_token" => o.refresh_token = Some(secret()?),
            "use_environment" => o.use_environment = flag()?,
            "persist" => o.persist_explicit = flag()?,
            "margin" => {
                o.margin_secs = v
                    .extract::<i64>()
                    .ok()
                    .filter(|m| *m >= 0)
                    .ok_or_else(|| invalid_argument(py, &key, "must be a non-negative int"))?
            }
            "tenants_url" => o.tenants_url = Some(text("a str")?),
            "make_current" => o.make_current = flag()?,
            "ca_file" => o.transport.ca_file = Some(path(py, &v, &key)?),
            "allow_insecure_http" => o.transport.allow_insecure_http = flag()?,
            "connect_timeout" => o.transport.connect_timeout = seconds()?,
            "timeout" => o.transport.timeout = seconds()?,
            "max_tries" => {
                o.transport.max_tries = v
                    .extract::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| invalid_argument(py, &key, "must be an int of at least 1"))?
            }
            _ => return Err(unknown(py, &key)),
        }
    }
    Ok(o)
}

fn unknown(py: Python<'_>, key: &str) -> PyErr {
    invalid_argument(
        py,
        key,
        &format!("is not a known option (known: {})", NAMES.join(", ")),
    )
}

/// A `str` or `os.PathLike` as a path.
fn path(py: Python<'_>, v: &Bound<'_, PyAny>, key: &str) -> PyResult<PathBuf> {
    v.extract::<PathBuf>()
        .map_err(|_| invalid_argument(py, key, "must be a str or os.PathLike"))
}
