//! Login, refresh and management flows as state machines with no I/O.
//!
//! # Driving a flow
//! Every flow implements [`Flow`]. The caller loops:
//! ```text
//! loop {
//!     match flow.poll(now)? {
//!         Action::Send(req)      => flow.handle_response(now, transport.send(&req)?)?,
//!         Action::Prompt(p)      => show(p),              // device code: once
//!         Action::WaitUntil(t)   => sleep_until(t),       // device code: poll interval
//!         Action::Done(output)   => break output,
//!     }
//! }
//! ```
//! Rules: one request in flight at a time; `handle_response` without an outstanding `Send` is
//! [`Error::ApiMisuse`]; a terminal error is returned once and the flow is finished.
//! Single-request operations (password grant, refresh, clients, tenants, userinfo, revoke)
//! are [`Exchange`]s: one `Send`, one `handle_response`, then `Done`. [`drive`] runs those.

use crate::{Clock, Error, HttpRequest, HttpResponse, Transport, UnixTime};

pub mod auth_code;
pub mod clients;
pub mod device;
pub mod password;
pub mod refresh;
pub mod revoke;
pub mod tenants;
pub mod userinfo;

/// What the caller of a flow should do next.
#[must_use]
#[derive(Debug)]
pub enum Action<T> {
    /// Send this request and hand the response to `handle_response`.
    Send(HttpRequest),
    /// Show this to the user (device code). Produced once.
    Prompt(DevicePrompt),
    /// Wait until this instant, then poll again.
    WaitUntil(UnixTime),
    /// The flow finished with this output.
    Done(T),
}

/// What a user must see to approve a device login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevicePrompt {
    /// The case-sensitive code the user types.
    pub user_code: String,
    /// Where the user types it.
    pub verification_uri: String,
    /// When the device code stops being accepted (client-side deadline).
    pub expires_at: UnixTime,
}

/// A flow: a state machine that emits requests and consumes responses.
pub trait Flow {
    /// What the flow produces.
    type Output;

    /// The next action, given the current time.
    fn poll(&mut self, now: UnixTime) -> Result<Action<Self::Output>, Error>;

    /// Hands the response to the last `Send` to the flow.
    fn handle_response(&mut self, now: UnixTime, response: HttpResponse) -> Result<(), Error>;
}

type Parser<T> = Box<dyn FnOnce(UnixTime, HttpResponse) -> Result<T, Error> + Send>;

/// A one-request flow: a request and the parser for its response.
pub struct Exchange<T> {
    request: Option<HttpRequest>,
    sent: bool,
    parse: Option<Parser<T>>,
    output: Option<T>,
}

impl<T> std::fmt::Debug for Exchange<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("request", &self.request)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl<T> Exchange<T> {
    /// A flow that sends `request` and turns the response into `T` with `parse`.
    pub fn new(
        request: HttpRequest,
        parse: impl FnOnce(UnixTime, HttpResponse) -> Result<T, Error> + Send + 'static,
    ) -> Self {
        Self {
            request: Some(request),
            sent: false,
            parse: Some(Box::new(parse)),
            output: None,
        }
    }

    /// The request this exchange will send (before it is polled), for inspection in tests.
    pub fn request(&self) -> Option<&HttpRequest> {
        self.request.as_ref()
    }
}

impl<T> Flow for Exchange<T> {
    type Output = T;

    fn poll(&mut self, _now: UnixTime) -> Result<Action<T>, Error> {
        if let Some(out) = self.output.take() {
            return Ok(Action::Done(out));
        }
        match self.request.take() {
            Some(req) => {
                self.sent = true;
                Ok(Action::Send(req))
            }
            None => Err(Error::ApiMisuse(
                "poll called again after the exchange finished",
            )),
        }
    }

    fn handle_response(&mut self, now: UnixTime, response: HttpResponse) -> Result<(), Error> {
        if !self.sent {
            return Err(Error::ApiMisuse(
                "handle_response called before the request was sent",
            ));
        }
        let parse = self
            .parse
            .take()
            .ok_or(Error::ApiMisuse("handle_response called twice"))?;
        self.output = Some(parse(now, response)?);
        Ok(())
    }
}

/// Runs a flow that never waits or prompts (every [`Exchange`]) to completion.
pub fn drive<F: Flow>(
    flow: &mut F,
    clock: &dyn Clock,
    transport: &dyn Transport,
) -> Result<F::Output, Error> {
    // A bound on steps guards against a flow that never finishes.
    for _ in 0..16 {
        match flow.poll(clock.now())? {
            Action::Send(req) => {
                let resp = transport.send(&req)?;
                flow.handle_response(clock.now(), resp)?;
            }
            Action::Done(out) => return Ok(out),
            Action::Prompt(_) | Action::WaitUntil(_) => {
                return Err(Error::ApiMisuse(
                    "drive() runs only flows that never wait; drive device flows with a loop that sleeps",
                ))
            }
        }
    }
    Err(Error::ApiMisuse("flow did not finish within 16 steps"))
}
