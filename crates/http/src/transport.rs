//! [`HttpTransport`]: the core's [`Transport`] over reqwest's blocking client and rustls.
//!
//! - TLS: rustls with the `ring` provider (no OpenSSL). Trust = the platform's root
//!   certificates, *or* — when `SSL_CERT_FILE` / `SSL_CERT_DIR` are set — only the certificates
//!   those name, plus any CA bundle named in [`TransportConfig::ca_file`] (HPC sites often run
//!   their own CA). A broken `SSL_CERT_FILE` / `SSL_CERT_DIR` is an error naming the variable
//!   and path, not an empty trust store. See [`TransportConfig`] for the precise rules.
//! - Proxies: reqwest's environment proxies — `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//!   `NO_PROXY` (upper case first, then lower case). Connection errors name the proxy settings
//!   in force, with any credentials removed.
//! - Plain `http://` is refused except to loopback addresses, unless
//!   [`TransportConfig::allow_insecure_http`] is set. Plain `http://` to loopback (a test
//!   server, an SSH tunnel) never goes through a proxy: it is sent directly, whatever the
//!   proxy variables say (a proxy would see the password in clear text, and its own
//!   `localhost` is not ours).
//! - Response bodies are read as they arrive and refused beyond
//!   [`TransportConfig::max_body_bytes`] (default [`DEFAULT_MAX_BODY_BYTES`], 1 MiB; a
//!   declared `Content-Length` beyond it is refused before the body is read):
//!   [`TransportErrorKind::Malformed`], never retried. An endless body cannot exhaust memory.
//! - Retries (bounded, [`TransportConfig::max_tries`], default 3) with exponential backoff and
//!   jitter: a request that certainly never left (connection refused, DNS, a timeout while
//!   connecting, a proxy refusing the tunnel) is retried whatever it is; a 429 is retried
//!   honouring `Retry-After` (the server did not process it); timeouts after the connection was
//!   made, broken connections and 502/503/504 are retried only for requests marked
//!   [`Replay::Safe`]. Token grants are [`Replay::OnlyIfNotSent`]: a refresh token may already
//!   be spent, so the token manager re-loads its store and decides instead.
//! - Every attempt is reported as a `tracing` event at `trace` level (target
//!   `tapis_auth_http::transport`): method, URL without credentials or query, status and time
//!   taken, and each retry with its reason and delay. Never a header or a body.
//! - The client is built lazily, on the first request: processes that only read a valid cached
//!   token never start reqwest's runtime thread. The environment (`SSL_CERT_*`, proxies) is
//!   read then, once per [`HttpTransport`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tapis_auth_core::{
    HttpRequest, HttpResponse, Method, Replay, Transport, TransportError, TransportErrorKind,
};

/// Settings of an [`HttpTransport`].
///
/// # Trust (which servers are believed)
///
/// - By default the platform's root certificates are trusted (on Linux: the bundle and
///   directory OpenSSL would use, found by probing the usual locations).
/// - `SSL_CERT_FILE` (a PEM bundle) and `SSL_CERT_DIR` (directories of PEM files, separated
///   by `:`) **replace** the platform's roots when either is set: only the certificates they
///   name are trusted. A missing, unreadable or empty `SSL_CERT_FILE`, an `SSL_CERT_DIR` entry
///   that is not a readable directory, or variables that yield no certificate at all, fail the
///   first request with a [`TransportErrorKind::Tls`] error naming the variable and path.
///   Unreadable single files inside an `SSL_CERT_DIR` directory are skipped (and mentioned if a
///   TLS handshake then fails).
/// - [`ca_file`](Self::ca_file) **adds** to whichever roots those rules chose. This is the
///   setting for a site's own CA: `--ca-file` / `TAPIS_AUTH_CA_FILE` for the `tapis-auth`
///   command, `tapis_auth_options_set_ca_file` in C.
///
/// # Proxies
///
/// reqwest's environment proxies: `HTTPS_PROXY` for `https://` URLs, `HTTP_PROXY` for
/// `http://` URLs, `ALL_PROXY` for either when the specific one is unset; `NO_PROXY` lists
/// hosts to reach directly (comma-separated domain suffixes — `tapis.io` also covers
/// `tacc.tapis.io` — IP addresses, CIDR ranges, or `*`; ports are not matched). Each is read
/// upper case first, then lower case (`https_proxy`, …); an upper-case variable that is set but
/// empty hides its lower-case twin. Plain `http://` to loopback (`127.0.0.1`, `::1`,
/// `localhost`) never uses a proxy. `https://` to loopback is **not** exempt: add
/// `127.0.0.1,localhost` to `NO_PROXY` to reach a local TLS tunnel past a proxy. `https://` goes
/// through an HTTP `CONNECT` tunnel (the proxy sees only the host and port);
/// `http://user:pass@proxy:port` sends proxy credentials. All proxy variables are ignored when
/// `REQUEST_METHOD` is set (CGI, "httpoxy").
///
/// # Timeouts and retries
///
/// [`connect_timeout`](Self::connect_timeout) covers DNS, TCP, the proxy tunnel and the TLS
/// handshake; [`timeout`](Self::timeout) covers one whole attempt. A request is tried at most
/// [`max_tries`](Self::max_tries) times; see the [module documentation](self) for which
/// failures are retried.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// Time allowed to establish a connection: DNS, TCP, proxy tunnel and TLS handshake
    /// (default 10 s). A request that times out here was never sent, so it is retried like a
    /// refused connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole attempt, connection included (default 30 s).
    pub timeout: Duration,
    /// Extra trusted CA certificates (PEM), added to the platform's roots (or to those of
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` when set). Default none.
    pub ca_file: Option<PathBuf>,
    /// Allow plain `http://` to non-loopback hosts (default false). Plain `http://` to
    /// `127.0.0.1`, `::1` and `localhost` is always allowed.
    pub allow_insecure_http: bool,
    /// Attempts per request, first included (default 3; 1 disables retries).
    pub max_tries: u32,
    /// First backoff delay; doubles each retry, with jitter (default 200 ms).
    pub backoff: Duration,
    /// Longest wait honoured from a `Retry-After` header (default 30 s).
    pub max_retry_after: Duration,
    /// Largest response body accepted, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]). A body
    /// that is larger — or declares a larger `Content-Length` — fails the request with
    /// [`TransportErrorKind::Malformed`] as soon as that is known.
    pub max_body_bytes: u64,
}

/// The default [`TransportConfig::max_body_bytes`]: 1 MiB. Token, tenant and client
/// responses are a few KiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1 << 20;

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            ca_file: None,
            allow_insecure_http: false,
            max_tries: 3,
            backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(30),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("tapis-auth/", env!("CARGO_PKG_VERSION"));

/// A blocking HTTPS transport. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct HttpTransport {
    config: Arc<TransportConfig>,
    client: Arc<OnceLock<Result<Built, TransportError>>>,
}

/// The client, and what error messages need to know about how it was built.
struct Built {
    client: reqwest::blocking::Client,
    /// A client that never uses a proxy, for plain `http://` to loopback; built on first use.
    direct: OnceLock<Result<reqwest::blocking::Client, TransportError>>,
    /// The TLS settings `client` was built with (the direct client is built with them too).
    tls: rustls::ClientConfig,
    notes: Notes,
}

impl Built {
    /// The client for `url`: the direct one for plain `http://` to loopback (never through a
    /// proxy), else the one that follows the proxy variables.
    fn client_for(
        &self,
        url: &url::Url,
        config: &TransportConfig,
    ) -> Result<(&reqwest::blocking::Client, bool), TransportError> {
        if url.scheme() == "http" && is_loopback(url) {
            let c = self
                .direct
                .get_or_init(|| {
                    client_builder(config, self.tls.clone())
                        .no_proxy()
                        .build()
                        .map_err(cannot_build)
                })
                .as_ref()
                .map_err(Clone::clone)?;
            return Ok((c, false));
        }
        Ok((&self.client, true))
    }
}

/// Why a request got no acceptable response.
enum Failure {
    /// reqwest failed (connection, TLS, timeout, a broken body).
    Http(reqwest::Error),
    /// Reading the body failed without a reqwest error to say why.
    Io(std::io::Error),
    /// The body is larger than the limit (`declared`: the `Content-Length` that said so).
    TooLarge { declared: Option<u64> },
}

/// Context appended to transport errors, captured when the client was built.
#[derive(Debug, Default)]
struct Notes {
    /// For TLS failures: where trust came from, when that may explain the failure.
    trust: Option<String>,
    /// For failures of `http://` requests: the proxy variables in force (credentials removed).
    http_proxy: Option<String>,
    /// For failures of `https://` requests: the proxy variables in force (credentials removed).
    https_proxy: Option<String>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// A transport with these settings. Nothing is built until the first request.
    pub fn new(config: TransportConfig) -> Self {
        Self {
            config: Arc::new(config),
            client: Arc::new(OnceLock::new()),
        }
    }

    /// The settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    fn client(&self) -> Result<&Built, TransportError> {
        self.client
            .get_or_init(|| build_client(&self.config))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses `url` and checks its scheme; the parsed URL is what is sent.
    fn check_scheme(&self, url: &str) -> Result<url::Url, TransportError> {
        let parsed = url::Url::parse(url).map_err(|e| {
            // Echoed only when it cannot carry credentials (`user:password@`) or a query.
            let shown = if url.contains(['@', '?', '#']) {
                "(not shown: it holds credentials or a query)".to_owned()
            } else {
                format!("{url:?}")
            };
            TransportError::new(
                TransportErrorKind::Other,
                format!("invalid URL {shown}: {e}"),
            )
        })?;
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.config.allow_insecure_http || is_loopback(&parsed) => Ok(parsed),
            "http" => Err(TransportError::new(
                TransportErrorKind::Insecure,
                format!(
                    "refusing plain http:// to {}: credentials would cross the network unencrypted (use https://, or allow insecure HTTP explicitly)",
                    parsed.host_str().unwrap_or("?")
                ),
            )),
            other => Err(TransportError::new(
                TransportErrorKind::Other,
                format!("unsupported URL scheme {other:?}"),
            )),
        }
    }

    fn send_once(
        client: &reqwest::blocking::Client,
        url: &url::Url,
        req: &HttpRequest,
        max_body: u64,
    ) -> Result<HttpResponse, Failure> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut rb = client.request(method, url.clone());
        for h in &req.headers {
            rb = rb.header(h.name.as_str(), h.value.expose());
        }
        if let Some(body) = &req.body {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, body.content_type)
                .body(body.bytes.to_vec());
        }
        let mut resp = rb.send().map_err(Failure::Http)?;
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > max_body) {
            return Err(Failure::TooLarge { declared });
        }
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = read_body(&mut resp, declared, max_body)?;
        let mut out = HttpResponse::new(status, body);
        out.headers = headers;
        Ok(out)
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

impl Transport for HttpTransport {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = self.check_scheme(&req.url)?;
        let built = self.client()?;
        let tries = self.config.max_tries.max(1);
        let mut attempt = 0;
        let shown = safe_url(&url);
        loop {
            attempt += 1;
            let last = attempt >= tries;
            tracing::trace!(
                "> {} {shown} (attempt {attempt} of {tries})",
                req.method.as_str()
            );
            let started = std::time::Instant::now();
            let (client, proxied) = built.client_for(&url, &self.config)?;
            match Self::send_once(client, &url, req, self.config.max_body_bytes) {
                Ok(resp) => {
                    tracing::trace!(
                        "< {} from {} {shown} in {} ms ({} bytes)",
                        resp.status,
                        req.method.as_str(),
                        started.elapsed().as_millis(),
                        resp.body.len()
                    );
                    let retry = match resp.status {
                        429 => true,
                        502..=504 => req.replay == Replay::Safe,
                        _ => false,
                    };
                    if !retry || last {
                        return Ok(resp);
                    }
                    let wait = retry_after(&resp, self.config.max_retry_after)
                        .unwrap_or_else(|| backoff(self.config.backoff, attempt));
                    tracing::trace!(
                        "retrying {shown} in {} ms after HTTP {}",
                        wait.as_millis(),
                        resp.status
                    );
                    std::thread::sleep(wait);
                }
                Err(e) => {
                    let err = match e {
                        Failure::Http(e) => classify(&e, &url, &built.notes, &self.config, proxied),
                        Failure::Io(e) => classify_io(&e, &url),
                        Failure::TooLarge { declared } => {
                            too_large(&url, declared, self.config.max_body_bytes)
                        }
                    };
                    tracing::trace!(
                        "! {} {shown} failed after {} ms: {}",
                        req.method.as_str(),
                        started.elapsed().as_millis(),
                        err.message
                    );
                    let retry = match err.kind {
                        TransportErrorKind::Connect => true,
                        TransportErrorKind::Timeout | TransportErrorKind::Other => {
                            req.replay == Replay::Safe
                        }
                        _ => false,
                    };
                    if !retry || last {
                        return Err(err);
                    }
                    let wait = backoff(self.config.backoff, attempt);
                    tracing::trace!("retrying {shown} in {} ms", wait.as_millis());
                    std::thread::sleep(wait);
                }
            }
        }
    }
}

/// Reads a response body as it arrives, at most `max` bytes; more is [`Failure::TooLarge`]
/// (the rest is never read: dropping the response closes the connection).
fn read_body(
    resp: &mut reqwest::blocking::Response,
    declared: Option<u64>,
    max: u64,
) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let mut body = Vec::with_capacity(declared.unwrap_or(8192).min(max) as usize);
    match resp.take(max.saturating_add(1)).read_to_end(&mut body) {
        Ok(_) if body.len() as u64 > max => Err(Failure::TooLarge { declared: None }),
        Ok(_) => Ok(body),
        // reqwest's blocking reader wraps its own errors (timeouts, broken bodies).
        Err(e) => match e
            .into_inner()
            .map(|inner| inner.downcast::<reqwest::Error>())
        {
            Some(Ok(re)) => Err(Failure::Http(*re)),
            Some(Err(other)) => Err(Failure::Io(std::io::Error::other(other))),
            None => Err(Failure::Io(std::io::Error::other(
                "the response body broke off",
            ))),
        },
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

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Exponential backoff with up to 50 % jitter: base · 2^(attempt-1) · [0.5, 1.0).
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(10));
    // Jitter from the clock's sub-second nanos: no RNG dependency, and different in each
    // process, which is all that desynchronising a retry storm needs.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let frac = 0.5 + f64::from(nanos % 1000) / 2000.0;
    exp.mul_f64(frac)
}

/// The `Retry-After` header as a duration (seconds or HTTP-date), capped at `max`.
fn retry_after(resp: &HttpResponse, max: Duration) -> Option<Duration> {
    let v = resp.header("retry-after")?.trim();
    let d = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(v).ok()?;
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(d.min(max))
}

/// `url` as it may be shown: scheme, host, port and path — never `user:password@`, a query or
/// a fragment (a redirect's authorization code, a token in a query).
fn safe_url(url: &url::Url) -> String {
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
fn kind_of(tls: bool, connect: bool, timeout: bool) -> (TransportErrorKind, &'static str) {
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

/// How a CA file option is named in messages, for the library, the command and C.
const CA_FILE_OPTION: &str = "a CA file (--ca-file or TAPIS_AUTH_CA_FILE; \
                              TransportConfig::ca_file; tapis_auth_options_set_ca_file)";

fn tls_error(message: String) -> TransportError {
    TransportError::new(TransportErrorKind::Tls, message)
}

/// One error of `rustls-native-certs`, with its path when it has one.
fn describe_cert_error(e: &rustls_native_certs::Error) -> String {
    match &e.kind {
        rustls_native_certs::ErrorKind::Io { inner, path } => {
            format!("{}: {inner}", path.display())
        }
        _ => e.to_string(),
    }
}

/// Up to three errors, and how many more there were.
fn summarise(errors: &[String]) -> String {
    let mut s = errors
        .iter()
        .take(3)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > 3 {
        s.push_str(&format!("; and {} more", errors.len() - 3));
    }
    s
}

/// The root certificates to trust — the platform's or those of `SSL_CERT_FILE` /
/// `SSL_CERT_DIR`, plus `ca_file` ([`TransportConfig::ca_file`]) — and a note for TLS errors
/// when that choice may explain one.
///
/// `var` reads the environment (a parameter so that tests need not change the process
/// environment). `SSL_CERT_FILE` and `SSL_CERT_DIR` are interpreted as `rustls-native-certs`
/// does — either set means "only these" — but loaded one by one so that every failure can be
/// pinned on its variable and path.
fn load_roots(
    var: &dyn Fn(&str) -> Option<OsString>,
    ca_file: Option<&Path>,
) -> Result<(rustls::RootCertStore, Option<String>), TransportError> {
    let file = var("SSL_CERT_FILE").map(PathBuf::from);
    let dirs: Vec<PathBuf> = var("SSL_CERT_DIR")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    // Appended to every error about the variables.
    let fix = format!(
        ". SSL_CERT_FILE and SSL_CERT_DIR replace the platform's root certificates, so no \
         server could be verified: correct or unset the variable. To add a site's CA to the \
         platform's roots instead, use {CA_FILE_OPTION}"
    );

    let mut roots = rustls::RootCertStore::empty();
    if file.is_none() && dirs.is_empty() {
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            // Individual unparsable system certificates are skipped, as browsers do.
            let _ = roots.add(cert);
        }
        let note = roots.is_empty().then(|| {
            let errors: Vec<String> = native.errors.iter().map(describe_cert_error).collect();
            let why = if errors.is_empty() {
                String::new()
            } else {
                format!(" ({})", summarise(&errors))
            };
            let fix = match ca_file {
                Some(f) => format!(
                    "only the CA file {} is trusted; set SSL_CERT_FILE to a CA bundle to trust \
                     other servers",
                    f.display()
                ),
                None => format!("set SSL_CERT_FILE to a CA bundle, or use {CA_FILE_OPTION}"),
            };
            format!("no trusted root certificates were found on this system{why}; {fix}")
        });
        if let Some(f) = ca_file {
            add_ca_file(&mut roots, f)?;
        }
        return Ok((roots, note));
    }

    let mut certs: Vec<CertificateDer<'static>> = Vec::new();
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    if let Some(path) = &file {
        if path.as_os_str().is_empty() {
            return Err(tls_error(format!("SSL_CERT_FILE is set but empty{fix}")));
        }
        let r = rustls_native_certs::load_certs_from_paths(Some(path), None);
        if let Some(e) = r.errors.first() {
            let why = match &e.kind {
                rustls_native_certs::ErrorKind::Io { inner, .. } => inner.to_string(),
                _ => e.to_string(),
            };
            return Err(tls_error(format!(
                "cannot use SSL_CERT_FILE={}: {why}{fix}",
                path.display()
            )));
        }
        if r.certs.is_empty() {
            return Err(tls_error(format!(
                "SSL_CERT_FILE={} holds no PEM certificates{fix}",
                path.display()
            )));
        }
        sources.push(format!("SSL_CERT_FILE={}", path.display()));
        certs.extend(r.certs);
    }
    for dir in &dirs {
        let problem = match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => None,
            Ok(_) => Some("not a directory".to_owned()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = problem {
            return Err(tls_error(format!(
                "cannot use SSL_CERT_DIR entry {}: {why}{fix}",
                dir.display()
            )));
        }
        let r = rustls_native_certs::load_certs_from_paths(None, Some(dir));
        skipped.extend(r.errors.iter().map(describe_cert_error));
        certs.extend(r.certs);
    }
    if !dirs.is_empty() {
        let joined = std::env::join_paths(&dirs)
            .map(|j| j.to_string_lossy().into_owned())
            .unwrap_or_else(|_| format!("{dirs:?}"));
        sources.push(format!("SSL_CERT_DIR={joined}"));
    }
    // A bundle is often also present in the directory, and rehash links repeat every file.
    certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    certs.dedup();
    for cert in certs {
        let _ = roots.add(cert);
    }
    let sources = sources.join(" and ");
    if roots.is_empty() {
        let why = if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", summarise(&skipped))
        };
        return Err(tls_error(format!(
            "{sources} yielded no usable certificates{why}{fix}"
        )));
    }
    let n = roots.len();
    let mut note = format!(
        "trusted roots: only the {n} certificate{} of {sources}, in place of the platform's \
         roots",
        if n == 1 { "" } else { "s" }
    );
    match ca_file {
        Some(f) => {
            add_ca_file(&mut roots, f)?;
            note.push_str(&format!(", plus the CA file {}", f.display()));
        }
        None => note.push_str(&format!(
            "; to add a CA to the platform's roots instead, use {CA_FILE_OPTION}"
        )),
    }
    if !skipped.is_empty() {
        note.push_str(&format!("; skipped: {}", summarise(&skipped)));
    }
    Ok((roots, Some(note)))
}

/// The proxy settings reqwest will use for `http://` and `https://` URLs, for error messages:
/// the variable, the proxy without credentials, and `NO_PROXY`. Mirrors hyper-util's reading of
/// the environment (upper case first; a set but empty variable counts as unset and hides its
/// lower-case twin; `ALL_PROXY` is the fallback; nothing under CGI).
fn proxy_notes(var: &dyn Fn(&str) -> Option<String>) -> (Option<String>, Option<String>) {
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
fn redact_proxy(value: &str) -> String {
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

fn build_client(config: &TransportConfig) -> Result<Built, TransportError> {
    let (roots, trust) = load_roots(&|k| std::env::var_os(k), config.ca_file.as_deref())?;
    let (http_proxy, https_proxy) = proxy_notes(&|k| std::env::var(k).ok());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = client_builder(config, tls.clone())
        .build()
        .map_err(cannot_build)?;
    Ok(Built {
        client,
        direct: OnceLock::new(),
        tls,
        notes: Notes {
            trust,
            http_proxy,
            https_proxy,
        },
    })
}

/// A client builder with every setting but the proxies (from the environment unless the
/// caller says `no_proxy`).
fn client_builder(
    config: &TransportConfig,
    tls: rustls::ClientConfig,
) -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder()
        .use_preconfigured_tls(tls)
        .user_agent(USER_AGENT)
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
}

fn cannot_build(e: reqwest::Error) -> TransportError {
    TransportError::new(
        TransportErrorKind::Other,
        format!("cannot build HTTP client: {e}"),
    )
}

/// Adds the PEM certificates of `path` ([`TransportConfig::ca_file`]) to `roots`.
fn add_ca_file(roots: &mut rustls::RootCertStore, path: &Path) -> Result<(), TransportError> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_error(format!("cannot read CA file {}: {e}", path.display())))?;
    let mut n = 0;
    for c in certs {
        let c = c.map_err(|e| {
            tls_error(format!(
                "bad certificate in CA file {}: {e}",
                path.display()
            ))
        })?;
        roots.add(c).map_err(|e| {
            tls_error(format!(
                "unusable certificate in CA file {}: {e}",
                path.display()
            ))
        })?;
        n += 1;
    }
    if n == 0 {
        return Err(tls_error(format!(
            "CA file {} holds no PEM certificates",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_plain_http_to_remote_hosts() {
        let t = HttpTransport::default();
        let req = HttpRequest::new(Method::Get, "http://tacc.tapis.io/v3/tenants", Replay::Safe);
        let e = t.send(&req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Insecure);
        assert!(e.message.contains("tacc.tapis.io"), "{}", e.message);
        assert!(t.check_scheme("http://127.0.0.1:9/x").is_ok());
        assert!(t.check_scheme("http://localhost:9/x").is_ok());
        assert!(t.check_scheme("http://[::1]:9/x").is_ok());
        let open = HttpTransport::new(TransportConfig {
            allow_insecure_http: true,
            ..Default::default()
        });
        assert!(open.check_scheme("http://example.org/").is_ok());
    }

    #[test]
    fn an_invalid_url_is_never_echoed_with_credentials_or_query() {
        let t = HttpTransport::default();
        for url in [
            "https://alice:s3cret@tacc.tapis.io:99999/v3/tenants",
            "https://tacc.tapis.io:99999/v3/tenants?token=s3cret",
        ] {
            let e = t
                .send(&HttpRequest::new(Method::Get, url, Replay::Safe))
                .unwrap_err();
            assert_eq!(e.kind, TransportErrorKind::Other);
            assert!(e.message.contains("invalid URL"), "{}", e.message);
            assert!(!e.message.contains("s3cret"), "{}", e.message);
        }
        let e = t.check_scheme("https://tacc.tapis.io:99999/x").unwrap_err();
        assert!(
            e.message.contains("\"https://tacc.tapis.io:99999/x\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn backoff_grows_and_jitters_within_bounds() {
        let b = Duration::from_millis(100);
        for attempt in 1..5 {
            let d = backoff(b, attempt);
            let full = b * (1 << (attempt - 1));
            assert!(d >= full / 2 && d <= full, "{d:?} vs {full:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_cap() {
        let r = HttpResponse::new(429, "").with_header("Retry-After", "2");
        assert_eq!(
            retry_after(&r, Duration::from_secs(30)),
            Some(Duration::from_secs(2))
        );
        let r = HttpResponse::new(429, "").with_header("Retry-After", "9999");
        assert_eq!(
            retry_after(&r, Duration::from_secs(30)),
            Some(Duration::from_secs(30))
        );
        let r =
            HttpResponse::new(429, "").with_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(
            retry_after(&r, Duration::from_secs(30)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn connection_refused_is_a_connect_error_naming_the_host() {
        // Port 9 (discard) on loopback is closed here; no traffic leaves the machine.
        let t = HttpTransport::new(TransportConfig {
            max_tries: 2,
            backoff: Duration::from_millis(1),
            ..Default::default()
        });
        let req = HttpRequest::new(
            Method::Get,
            "http://alice:secret@127.0.0.1:9/v3/tenants?x=secret",
            Replay::Safe,
        );
        let e = t.send(&req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{e:?}");
        assert!(e.message.contains("127.0.0.1"));
        assert!(
            !e.message.contains("secret"),
            "credentials and query strings are not echoed: {}",
            e.message
        );
    }

    /// A listener that lets the kernel complete TCP handshakes and then never says anything;
    /// returns its port and the number of connections it has taken.
    fn silent_listener() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let n = Arc::new(AtomicUsize::new(0));
        let seen = n.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                seen.fetch_add(1, Ordering::SeqCst);
                held.push(s);
            }
        });
        (port, n)
    }

    fn wait_for(n: &std::sync::atomic::AtomicUsize, at_least: usize) -> usize {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while n.load(std::sync::atomic::Ordering::SeqCst) < at_least
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        n.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[test]
    fn a_timeout_while_connecting_is_a_connect_error_and_retried_even_for_grants() {
        // TCP succeeds, the TLS handshake never completes: reqwest's connect timeout fires
        // before a byte of the request was sent.
        let (port, n) = silent_listener();
        let t = HttpTransport::new(TransportConfig {
            connect_timeout: Duration::from_millis(200),
            timeout: Duration::from_secs(20),
            max_tries: 3,
            backoff: Duration::from_millis(1),
            ..Default::default()
        });
        let req = HttpRequest::new(
            Method::Post,
            format!("https://127.0.0.1:{port}/v3/oauth2/tokens"),
            Replay::OnlyIfNotSent,
        );
        let started = std::time::Instant::now();
        let e = t.send(&req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{e:?}");
        assert!(
            e.message.contains("timed out connecting to"),
            "{}",
            e.message
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            wait_for(&n, 3),
            3,
            "a token grant is retried when never sent"
        );
    }

    #[test]
    fn a_timeout_after_the_request_was_sent_is_not_retried_for_grants() {
        let (port, n) = silent_listener();
        let t = HttpTransport::new(TransportConfig {
            timeout: Duration::from_millis(300),
            max_tries: 3,
            backoff: Duration::from_millis(1),
            ..Default::default()
        });
        let req = HttpRequest::new(
            Method::Post,
            format!("http://127.0.0.1:{port}/v3/oauth2/tokens"),
            Replay::OnlyIfNotSent,
        );
        let e = t.send(&req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Timeout, "{e:?}");
        assert_eq!(wait_for(&n, 1), 1, "the grant may have been processed");

        let safe = HttpRequest::new(
            Method::Get,
            format!("http://127.0.0.1:{port}/v3/tenants"),
            Replay::Safe,
        );
        let e = t.send(&safe).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Timeout, "{e:?}");
        assert_eq!(wait_for(&n, 4), 4, "a safe request is retried");
    }

    #[test]
    fn classification_puts_the_connection_phase_first() {
        use TransportErrorKind::*;
        assert_eq!(kind_of(true, true, false).0, Tls);
        assert_eq!(kind_of(false, true, true).0, Connect);
        assert_eq!(kind_of(false, true, false).0, Connect);
        assert_eq!(kind_of(false, false, true).0, Timeout);
        assert_eq!(kind_of(false, false, false).0, Other);
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn test_ca_pem() -> String {
        let srv = tapis_auth_testserver::TestServer::start(tapis_auth_testserver::Config {
            tls: true,
            ..Default::default()
        });
        srv.ca_pem().unwrap().to_owned()
    }

    #[test]
    fn ssl_cert_file_problems_name_the_variable_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-bundle.pem");
        let m = missing.to_str().unwrap();
        let e = load_roots(&env(&[("SSL_CERT_FILE", m)]), None).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Tls);
        assert!(
            e.message.contains(&format!("SSL_CERT_FILE={m}")),
            "{}",
            e.message
        );
        assert!(e.message.contains("replace the platform"), "{}", e.message);
        // Even when SSL_CERT_DIR would supply certificates: the file was asked for.
        let e = load_roots(
            &env(&[("SSL_CERT_FILE", m), ("SSL_CERT_DIR", "/etc/ssl/certs")]),
            None,
        )
        .unwrap_err();
        assert!(e.message.contains(m), "{}", e.message);

        let e = load_roots(&env(&[("SSL_CERT_FILE", "")]), None).unwrap_err();
        assert!(
            e.message.contains("SSL_CERT_FILE is set but empty"),
            "{}",
            e.message
        );

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let e = load_roots(&env(&[("SSL_CERT_FILE", empty.to_str().unwrap())]), None).unwrap_err();
        assert!(
            e.message.contains("holds no PEM certificates"),
            "{}",
            e.message
        );
        assert!(e.message.contains(empty.to_str().unwrap()), "{}", e.message);

        let good = dir.path().join("ca.pem");
        std::fs::write(&good, test_ca_pem()).unwrap();
        let (roots, note) =
            load_roots(&env(&[("SSL_CERT_FILE", good.to_str().unwrap())]), None).unwrap();
        assert_eq!(roots.len(), 1);
        let note = note.unwrap();
        assert!(
            note.contains("only the 1 certificate of SSL_CERT_FILE="),
            "{note}"
        );

        // A CA file adds to those roots.
        let site = dir.path().join("site.pem");
        std::fs::write(&site, test_ca_pem()).unwrap();
        let (roots, note) = load_roots(
            &env(&[("SSL_CERT_FILE", good.to_str().unwrap())]),
            Some(&site),
        )
        .unwrap();
        assert_eq!(roots.len(), 2);
        let note = note.unwrap();
        assert!(
            note.contains(&format!("plus the CA file {}", site.display())),
            "{note}"
        );
    }

    #[test]
    fn ssl_cert_dir_problems_name_the_variable_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let e = load_roots(&env(&[("SSL_CERT_DIR", missing.to_str().unwrap())]), None).unwrap_err();
        assert!(
            e.message
                .contains(&format!("SSL_CERT_DIR entry {}", missing.display())),
            "{}",
            e.message
        );
        let certs = dir.path().join("certs");
        std::fs::create_dir(&certs).unwrap();
        let e = load_roots(&env(&[("SSL_CERT_DIR", certs.to_str().unwrap())]), None).unwrap_err();
        assert!(
            e.message.contains("yielded no usable certificates"),
            "{}",
            e.message
        );
        assert!(e.message.contains(certs.to_str().unwrap()), "{}", e.message);

        // One good certificate and one broken file: the broken one is skipped and noted.
        std::fs::write(certs.join("site.pem"), test_ca_pem()).unwrap();
        std::fs::write(
            certs.join("broken.pem"),
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let both = std::env::join_paths([&certs, &missing]).unwrap();
        let e = load_roots(&env(&[("SSL_CERT_DIR", both.to_str().unwrap())]), None).unwrap_err();
        assert!(e.message.contains("no-such-dir"), "{}", e.message);
        let (roots, note) =
            load_roots(&env(&[("SSL_CERT_DIR", certs.to_str().unwrap())]), None).unwrap();
        assert_eq!(roots.len(), 1);
        let note = note.unwrap();
        assert!(note.contains("SSL_CERT_DIR="), "{note}");
        assert!(note.contains("skipped"), "{note}");
    }

    #[test]
    fn proxy_notes_follow_reqwest_and_hide_credentials() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let (http, https) = proxy_notes(&vars(&[
            (
                "HTTPS_PROXY",
                "http://alice:s3cret@proxy.site:3128/x?token=t",
            ),
            ("no_proxy", "localhost, .site"),
        ]));
        assert_eq!(http, None);
        let https = https.unwrap();
        assert_eq!(
            https,
            "HTTPS_PROXY=http://***@proxy.site:3128, no_proxy=localhost, .site"
        );
        assert!(!https.contains("s3cret") && !https.contains("alice"));

        // Upper case first; an empty upper-case variable hides the lower-case one; ALL_PROXY
        // is the fallback; no scheme means http.
        let (http, https) = proxy_notes(&vars(&[
            ("HTTP_PROXY", "up:8080"),
            ("http_proxy", "http://down:8080"),
            ("HTTPS_PROXY", ""),
            ("https_proxy", "http://hidden:1"),
            ("all_proxy", "http://all:9"),
        ]));
        assert_eq!(http.unwrap(), "HTTP_PROXY=http://up:8080");
        assert_eq!(https.unwrap(), "all_proxy=http://all:9");

        // CGI: reqwest ignores proxy variables altogether.
        let (http, https) = proxy_notes(&vars(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTPS_PROXY", "http://p:1"),
        ]));
        assert_eq!((http, https), (None, None));
        assert_eq!(redact_proxy("::::"), "(not a URL)");
    }
}
