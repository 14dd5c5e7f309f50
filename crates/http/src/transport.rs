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

mod classify;
mod proxy;
mod retry;
#[cfg(test)]
mod tests;
mod tls;

use classify::*;
use proxy::*;
use retry::*;
use tls::*;

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

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
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
