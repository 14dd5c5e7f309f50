//! [`HttpTransport`]: the core's [`Transport`] over reqwest's blocking client and rustls.
//!
//! - TLS: rustls with the `ring` provider (no OpenSSL). Trust = the platform's root
//!   certificates (`rustls-native-certs`, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`)
//!   plus any CA bundle named in [`TransportConfig::ca_file`] — HPC sites often run their own CA.
//! - Proxies: reqwest honours `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`.
//! - Plain `http://` is refused except to loopback addresses, unless
//!   [`TransportConfig::allow_insecure_http`] is set.
//! - Retries (bounded, [`TransportConfig::max_tries`], default 3) with exponential backoff and
//!   jitter: a request that certainly never left (connection refused, DNS) is retried whatever
//!   it is; a 429 is retried honouring `Retry-After` (the server did not process it); timeouts,
//!   broken connections and 502/503/504 are retried only for requests marked
//!   [`Replay::Safe`]. Token grants are [`Replay::OnlyIfNotSent`]: a refresh token may already
//!   be spent, so the token manager re-loads its store and decides instead.
//! - The client is built lazily, on the first request: processes that only read a valid cached
//!   token never start reqwest's runtime thread.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tapis_auth_core::{
    HttpRequest, HttpResponse, Method, Replay, Transport, TransportError, TransportErrorKind,
};

/// Settings of an [`HttpTransport`].
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// Time allowed to establish a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Time allowed for a whole request (default 30 s).
    pub timeout: Duration,
    /// Extra trusted CA certificates (PEM), added to the platform's roots.
    pub ca_file: Option<PathBuf>,
    /// Allow plain `http://` to non-loopback hosts (default false).
    pub allow_insecure_http: bool,
    /// Attempts per request, first included (default 3; 1 disables retries).
    pub max_tries: u32,
    /// First backoff delay; doubles each retry, with jitter (default 200 ms).
    pub backoff: Duration,
    /// Longest wait honoured from a `Retry-After` header (default 30 s).
    pub max_retry_after: Duration,
}

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
        }
    }
}

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("tapis-auth/", env!("CARGO_PKG_VERSION"));

/// A blocking HTTPS transport. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct HttpTransport {
    config: Arc<TransportConfig>,
    client: Arc<OnceLock<Result<reqwest::blocking::Client, TransportError>>>,
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

    fn client(&self) -> Result<&reqwest::blocking::Client, TransportError> {
        self.client
            .get_or_init(|| build_client(&self.config))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn check_scheme(&self, url: &str) -> Result<(), TransportError> {
        let parsed = url::Url::parse(url).map_err(|e| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("invalid URL {url:?}: {e}"),
            )
        })?;
        match parsed.scheme() {
            "https" => Ok(()),
            "http" if self.config.allow_insecure_http || is_loopback(&parsed) => Ok(()),
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
        req: &HttpRequest,
    ) -> Result<HttpResponse, reqwest::Error> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut rb = client.request(method, &req.url);
        for h in &req.headers {
            rb = rb.header(h.name.as_str(), h.value.expose());
        }
        if let Some(body) = &req.body {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, body.content_type)
                .body(body.bytes.to_vec());
        }
        let resp = rb.send()?;
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
        let body = resp.bytes()?.to_vec();
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
        self.check_scheme(&req.url)?;
        let client = self.client()?;
        let tries = self.config.max_tries.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= tries;
            match Self::send_once(client, req) {
                Ok(resp) => {
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
                    std::thread::sleep(wait);
                }
                Err(e) => {
                    let err = classify(&e, &req.url);
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
                    std::thread::sleep(backoff(self.config.backoff, attempt));
                }
            }
        }
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

fn classify(e: &reqwest::Error, url: &str) -> TransportError {
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
    // Never echo a URL with credentials or query secrets: keep scheme://host/path only.
    let safe_url = url::Url::parse(url)
        .map(|u| {
            format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or("?"),
                u.path()
            )
        })
        .unwrap_or_else(|_| "<invalid URL>".into());
    let kind = if tls {
        TransportErrorKind::Tls
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Other
    };
    let what = match kind {
        TransportErrorKind::Tls => "TLS handshake failed with",
        TransportErrorKind::Timeout => "timed out talking to",
        TransportErrorKind::Connect => "could not connect to",
        _ => "request failed to",
    };
    TransportError::new(kind, format!("{what} {safe_url}: {detail}"))
}

fn build_client(config: &TransportConfig) -> Result<reqwest::blocking::Client, TransportError> {
    let err = |m: String| TransportError::new(TransportErrorKind::Tls, m);
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // Individual unparsable system certificates are skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = &config.ca_file {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| err(format!("cannot read CA file {}: {e}", path.display())))?;
        let mut n = 0;
        for c in certs {
            let c = c.map_err(|e| {
                err(format!(
                    "bad certificate in CA file {}: {e}",
                    path.display()
                ))
            })?;
            roots.add(c).map_err(|e| {
                err(format!(
                    "unusable certificate in CA file {}: {e}",
                    path.display()
                ))
            })?;
            n += 1;
        }
        if n == 0 {
            return Err(err(format!(
                "CA file {} holds no PEM certificates",
                path.display()
            )));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::blocking::Client::builder()
        .use_preconfigured_tls(tls)
        .user_agent(USER_AGENT)
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("cannot build HTTP client: {e}"),
            )
        })
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
            "http://127.0.0.1:9/v3/tenants?x=secret",
            Replay::Safe,
        );
        let e = t.send(&req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{e:?}");
        assert!(e.message.contains("127.0.0.1"));
        assert!(
            !e.message.contains("secret"),
            "query strings are not echoed: {}",
            e.message
        );
    }
}
