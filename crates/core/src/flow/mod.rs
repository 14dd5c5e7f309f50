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
//!
//! Only the device flow needs that loop. Single-request operations (password grant, refresh,
//! clients, tenants, userinfo, revoke, the authorization-code exchange) return a [`Pending`]:
//! send its request with any client and hand the response to [`Pending::finish`], which
//! consumes it — misuse does not compile.

use crate::{Error, HttpRequest, HttpResponse, UnixTime};

pub mod auth_code;
pub mod clients;
pub mod device;
pub mod password;
mod pending;
pub mod refresh;
pub mod revoke;
pub mod tenants;
pub mod userinfo;

pub use pending::Pending;

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
