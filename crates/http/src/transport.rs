//! The two HTTP drivers — [`HttpTransport`], the core's [`Transport`] over reqwest's blocking
//! client, and (feature `tokio`) `AsyncHttpTransport`, the core's `AsyncTransport` over
//! reqwest's async client — and the [`TransportConfig`] both take. They behave alike because
//! they share everything but sending, reading and sleeping:
//!
//! - `client`: configuring either reqwest client from the config and one TLS setup (one macro
//!   body for both builder types), building the clients lazily, choosing the direct or the
//!   proxied client for a URL, the scheme check, and mapping an [`HttpRequest`] onto reqwest;
//! - `exchange` and `retry`: one request's attempts — trace events, which failures are retried
//!   and how long to wait;
//! - `classify`: turning a failure into a [`TransportError`] with its notes;
//! - `body`: the response as it arrives, and the body-size limit; and `tls`, `proxy`: trust
//!   and the proxy notes.
//!
//! The rules, for both drivers:
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
//! - The clients are built lazily, on the first request: processes that only read a valid
//!   cached token never build one (the blocking client starts reqwest's runtime thread). The
//!   environment (`SSL_CERT_*`, proxies) is read then, once per transport and its clones.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use tapis_auth_core::{
    HttpRequest, HttpResponse, Method, Replay, Transport, TransportError, TransportErrorKind,
};

#[cfg(feature = "tokio")]
mod asynchronous;
mod body;
mod classify;
mod client;
mod exchange;
mod proxy;
mod retry;
#[cfg(test)]
mod tests;
mod tls;

#[cfg(feature = "tokio")]
pub use asynchronous::AsyncHttpTransport;
use body::*;
use classify::*;
use client::*;
use exchange::*;
use proxy::*;
use retry::*;
use tls::*;

/// Settings of an [`HttpTransport`] (and of the async transport).
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

driver! {
    /// A blocking HTTPS transport. Cheap to clone; clones share one connection pool.
    HttpTransport(reqwest::blocking::Client)
}

impl Transport for HttpTransport {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut x = Exchange::start(&self.shared, req)?;
        loop {
            x.begin();
            match x.after(send_once(&x)) {
                Next::Return(result) => return result,
                Next::Wait(delay) => std::thread::sleep(delay),
            }
        }
    }
}

/// One attempt: sends the request and reads the response, the body as it arrives.
fn send_once(x: &Exchange<'_, reqwest::blocking::Client>) -> Result<HttpResponse, Failure> {
    let mut resp = x.prepare().send().map_err(Failure::Http)?;
    let mut incoming = x.receive(resp.status(), resp.headers(), resp.content_length())?;
    incoming.read_from(&mut resp)?;
    Ok(incoming.finish())
}
