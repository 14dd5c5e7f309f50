//! Which proxy settings are in force, for error messages (credentials removed).

/// The proxy settings reqwest will use for `http://` and `https://` URLs, for error messages:
/// the variable, the proxy without credentials, and `NO_PROXY`. Mirrors hyper-util's reading of
/// the environment (upper case first; a set but empty variable counts as unset and hides its
/// lower-case twin; `ALL_PROXY` is the fallback; nothing under CGI).
pub(super) fn proxy_notes(
    var: &dyn Fn(&str) -> Option<String>,
) -> (Option<String>, Option<String>) {
    if var("REQUEST_METHOD").is_some() {
        return (None, None);
    }
    let first = |names: [&'static str; 2]| {
        names
            .into_iter()
            .find_map(|n| var(n).map(|v| (n, v)))
            .filter(|(_, v)| !v.trim().is_empty())
    };
    let all = first(["ALL_PROXY", "all_proxy"]);
    let no = first(["NO_PROXY", "no_proxy"])
        .map(|(n, v)| format!(", {n}={}", v.trim()))
        .unwrap_or_default();
    let note = |names| {
        first(names)
            .or_else(|| all.clone())
            .map(|(n, v)| format!("{n}={}{no}", redact_proxy(&v)))
    };
    (
        note(["HTTP_PROXY", "http_proxy"]),
        note(["HTTPS_PROXY", "https_proxy"]),
    )
}

/// A proxy URL as `scheme://host:port`, without user name, password or path.
pub(super) fn redact_proxy(value: &str) -> String {
    let value = value.trim();
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(u) if u.host_str().is_some() => {
            let creds = if u.username().is_empty() && u.password().is_none() {
                ""
            } else {
                "***@"
            };
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{creds}{}{port}",
                u.scheme(),
                u.host_str().unwrap_or("?")
            )
        }
        _ => "(not a URL)".to_owned(),
    }
}
