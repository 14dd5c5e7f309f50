//! One request's attempts, for either driver: the trace events, the retry decisions and how
//! long to wait, and each failure named as a [`TransportError`]. A driver only sends and
//! reads, and sleeps its own way:
//!
//! ```text
//! let mut x = Exchange::start(&shared, req)?;
//! loop {
//!     x.begin();
//!     match x.after(send_once(&x)) {
//!         Next::Return(result) => return result,
//!         Next::Wait(delay) => sleep(delay),
//!     }
//! }
//! ```

use super::*;

/// Where the events of both drivers are reported (the module the documentation names).
const TARGET: &str = "tapis_auth_http::transport";

/// What a driver does after an attempt.
pub(super) enum Next {
    /// Return this: a response or the last failure.
    Return(Result<HttpResponse, TransportError>),
    /// Wait this long, then make another attempt.
    Wait(Duration),
}

/// The attempts of one request: the client chosen for its URL, and the count so far.
pub(super) struct Exchange<'a, C> {
    client: &'a C,
    url: url::Url,
    req: &'a HttpRequest,
    config: &'a TransportConfig,
    notes: &'a Notes,
    /// Whether `client` may use a proxy (error messages then name the proxy settings).
    proxied: bool,
    /// `url` without credentials, query or fragment, for events and messages.
    shown: String,
    tries: u32,
    attempt: u32,
    started: Instant,
}

impl<'a, C: Client> Exchange<'a, C> {
    /// Checks `req`'s URL, builds `shared`'s clients if this is the first request, and picks
    /// the client for the URL: what every attempt of `req` uses.
    pub(super) fn start(
        shared: &'a Shared<C>,
        req: &'a HttpRequest,
    ) -> Result<Self, TransportError> {
        let config = shared.config();
        let url = check_scheme(config, &req.url)?;
        let built = shared.built()?;
        let (client, proxied) = built.client_for(&url, config)?;
        Ok(Self {
            client,
            shown: safe_url(&url),
            url,
            req,
            config,
            notes: &built.notes,
            proxied,
            tries: config.max_tries.max(1),
            attempt: 0,
            started: Instant::now(),
        })
    }

    /// The request of the next attempt, ready to send.
    pub(super) fn prepare(&self) -> C::Request {
        self.client.prepare(&self.url, self.req)
    }

    /// The response so far, from its status and headers: refused here when its declared
    /// `Content-Length` is beyond [`TransportConfig::max_body_bytes`].
    pub(super) fn receive(
        &self,
        status: reqwest::StatusCode,
        headers: &reqwest::header::HeaderMap,
        declared: Option<u64>,
    ) -> Result<Incoming, Failure> {
        Incoming::start(status, headers, declared, self.config.max_body_bytes)
    }

    /// Counts an attempt and reports it.
    pub(super) fn begin(&mut self) {
        self.attempt += 1;
        self.started = Instant::now();
        tracing::trace!(
            target: TARGET,
            "> {} {} (attempt {} of {})",
            self.req.method.as_str(),
            self.shown,
            self.attempt,
            self.tries
        );
    }

    /// Reports how the attempt went and decides what comes next: the outcome, or a wait and
    /// another attempt (see the [module documentation](super) for which are retried).
    pub(super) fn after(&mut self, outcome: Result<HttpResponse, Failure>) -> Next {
        let last = self.attempt >= self.tries;
        let (method, shown) = (self.req.method.as_str(), &self.shown);
        let ms = self.started.elapsed().as_millis();
        match outcome {
            Ok(resp) => {
                tracing::trace!(
                    target: TARGET,
                    "< {} from {method} {shown} in {ms} ms ({} bytes)",
                    resp.status,
                    resp.body.len()
                );
                if last || !retry_status(resp.status, self.req.replay) {
                    return Next::Return(Ok(resp));
                }
                let wait = retry_after(&resp, self.config.max_retry_after)
                    .unwrap_or_else(|| backoff(self.config.backoff, self.attempt));
                tracing::trace!(
                    target: TARGET,
                    "retrying {shown} in {} ms after HTTP {}",
                    wait.as_millis(),
                    resp.status
                );
                Next::Wait(wait)
            }
            Err(failure) => {
                let err = failure.into_error(&self.url, self.notes, self.config, self.proxied);
                tracing::trace!(
                    target: TARGET,
                    "! {method} {shown} failed after {ms} ms: {}",
                    err.message
                );
                if last || !retry_error(err.kind, self.req.replay) {
                    return Next::Return(Err(err));
                }
                let wait = backoff(self.config.backoff, self.attempt);
                tracing::trace!(target: TARGET, "retrying {shown} in {} ms", wait.as_millis());
                Next::Wait(wait)
            }
        }
    }
}
