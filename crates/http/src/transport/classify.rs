//! Naming a failure: reqwest and I/O errors as [`TransportError`]s of the right kind, with the
//! URL shown without credentials or query.

use super::*;

/// Why an attempt got no acceptable response.
#[derive(Debug)]
pub(super) enum Failure {
    /// reqwest failed (connection, TLS, timeout, a broken body).
    Http(reqwest::Error),
    /// Reading the body failed without a reqwest error to say why.
    Io(std::io::Error),
    /// The body is larger than the limit (`declared`: the `Content-Length` that said so).
    TooLarge { declared: Option<u64> },
}

impl Failure {
    /// A failed body read: reqwest's blocking reader wraps its own errors (timeouts, broken
    /// bodies) in I/O errors, and those are unwrapped again.
    pub(super) fn from_io(e: std::io::Error) -> Self {
        match e
            .into_inner()
            .map(|inner| inner.downcast::<reqwest::Error>())
        {
            Some(Ok(re)) => Failure::Http(*re),
            Some(Err(other)) => Failure::Io(std::io::Error::other(other)),
            None => Failure::Io(std::io::Error::other("the response body broke off")),
        }
    }

    /// The error to report for this failure of a request to `url`; `proxied`: whether the
    /// client could have used a proxy (the message then names the proxy settings).
    pub(super) fn into_error(
        self,
        url: &url::Url,
        notes: &Notes,
        config: &TransportConfig,
        proxied: bool,
    ) -> TransportError {
        match self {
            Failure::Http(e) => classify(&e, url, notes, config, proxied),
            Failure::Io(e) => classify_io(&e, url),
            Failure::TooLarge { declared } => too_large(url, declared, config.max_body_bytes),
        }
    }
}

/// The error for a body over the limit.
fn too_large(url: &url::Url, declared: Option<u64>, max: u64) -> TransportError {
    let what = match declared {
        Some(n) => format!("declares a {n}-byte body, more"),
        None => "sent more".to_owned(),
    };
    TransportError::new(
        TransportErrorKind::Malformed,
        format!(
            "the response from {} {what} than the {max} bytes an authentication response may \
             have; it was refused (the server is broken or hostile)",
            safe_url(url)
        ),
    )
}

/// A body read that failed without a reqwest error.
fn classify_io(e: &std::io::Error, url: &url::Url) -> TransportError {
    TransportError::new(
        TransportErrorKind::Other,
        format!("reading the response from {} failed: {e}", safe_url(url)),
    )
}

/// `url` as it may be shown: scheme, host, port and path — never `user:password@`, a query or
/// a fragment (a redirect's authorization code, a token in a query).
pub(super) fn safe_url(url: &url::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or("?"),
        url.path()
    )
}

fn classify(
    e: &reqwest::Error,
    url: &url::Url,
    notes: &Notes,
    config: &TransportConfig,
    proxied: bool,
) -> TransportError {
    // Walk the source chain for the most specific description (reqwest's top level is vague).
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(e);
    let mut tls = false;
    while let Some(s) = src {
        let text = s.to_string();
        if text.contains("certificate") || text.contains("tls") || text.contains("TLS") {
            tls = true;
        }
        detail = text;
        src = s.source();
    }
    // Never echo a URL with credentials or query secrets: keep scheme://host:port/path only.
    let safe_url = safe_url(url);
    let (kind, what) = kind_of(tls, e.is_connect(), e.is_timeout());
    // Say which limit ran out, and how long it is.
    let limit = match (e.is_connect(), e.is_timeout()) {
        (true, true) => format!(
            " (the connect timeout is {} s)",
            config.connect_timeout.as_secs_f64()
        ),
        (false, true) => format!(
            " (the per-request timeout is {} s)",
            config.timeout.as_secs_f64()
        ),
        _ => String::new(),
    };
    let mut message = format!("{what} {safe_url}{limit}: {detail}");
    if kind == TransportErrorKind::Tls {
        if let Some(trust) = &notes.trust {
            message.push_str(&format!(" [{trust}]"));
        }
    }
    let proxy = match url.scheme() {
        _ if !proxied => None,
        "https" => notes.https_proxy.as_deref(),
        _ => notes.http_proxy.as_deref(),
    };
    if let Some(proxy) = proxy {
        message.push_str(&format!(" [proxy settings: {proxy}]"));
    }
    TransportError::new(kind, message)
}

/// The kind of a failed attempt, and how to say it.
///
/// Connection-phase failures come first, timeouts included: reqwest's `connect_timeout` covers
/// DNS, TCP, the proxy tunnel and the TLS handshake, so a request that timed out while
/// connecting was never sent and is as safe to retry as a refused connection, even a token
/// grant. Only a timeout after the connection was made ("the request may have reached the
/// server") is [`TransportErrorKind::Timeout`].
pub(super) fn kind_of(
    tls: bool,
    connect: bool,
    timeout: bool,
) -> (TransportErrorKind, &'static str) {
    if tls {
        (TransportErrorKind::Tls, "TLS handshake failed with")
    } else if connect && timeout {
        (TransportErrorKind::Connect, "timed out connecting to")
    } else if connect {
        (TransportErrorKind::Connect, "could not connect to")
    } else if timeout {
        (TransportErrorKind::Timeout, "timed out talking to")
    } else {
        (TransportErrorKind::Other, "request failed to")
    }
}
