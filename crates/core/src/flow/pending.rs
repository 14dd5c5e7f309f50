//! [`Pending`]: a one-request operation (password grant, refresh, clients, tenants, userinfo,
//! revoke, the authorization-code exchange) as a value that holds its request and is consumed
//! by its response. Sending twice, or finishing before there is a response, does not compile.

use crate::{AsyncTransport, Clock, Error, HttpRequest, HttpResponse, Transport, UnixTime};

type Parser<T> = Box<dyn FnOnce(UnixTime, HttpResponse) -> Result<T, Error> + Send>;

/// A request waiting for its response, and what the response becomes.
///
/// Send [`Pending::request`] with any HTTP client, then hand the response to
/// [`Pending::finish`], which consumes the value; or let [`Pending::send`] do both over a
/// [`Transport`].
///
/// ```
/// use tapis_auth_core::{flow::tenants, HttpResponse, Platform, UnixTime};
/// let pending = tenants::list_tenants("https://tacc.tapis.io", Platform::TapisV3).unwrap();
/// assert_eq!(pending.request().url, "https://tacc.tapis.io/v3/tenants");
/// let body = r#"{"result":[],"status":"success","message":"ok","version":"1","metadata":{}}"#;
/// let all = pending.finish(UnixTime(0), HttpResponse::new(200, body)).unwrap();
/// assert!(all.is_empty());
/// ```
///
/// `finish` consumes the operation, so a second answer does not compile:
/// ```compile_fail
/// # use tapis_auth_core::{flow::tenants, HttpResponse, Platform, UnixTime};
/// let pending = tenants::list_tenants("https://tacc.tapis.io", Platform::TapisV3).unwrap();
/// let first = pending.finish(UnixTime(0), HttpResponse::new(500, "down"));
/// let again = pending.finish(UnixTime(1), HttpResponse::new(500, "down")); // use of moved value
/// ```
#[must_use = "a pending operation does nothing until its request is sent and `finish` is called"]
pub struct Pending<T> {
    request: HttpRequest,
    parse: Parser<T>,
}

impl<T> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl<T> Pending<T> {
    /// An operation that sends `request` and turns its response into `T` with `parse`
    /// (`parse` is given the time the response arrived).
    pub fn new(
        request: HttpRequest,
        parse: impl FnOnce(UnixTime, HttpResponse) -> Result<T, Error> + Send + 'static,
    ) -> Self {
        Self {
            request,
            parse: Box::new(parse),
        }
    }

    /// The request to send. Its [`HttpRequest::replay`] says whether a transport may resend
    /// it after a failure.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// Turns the response to [`Pending::request`], received at `now`, into the result.
    pub fn finish(self, now: UnixTime, response: HttpResponse) -> Result<T, Error> {
        (self.parse)(now, response)
    }

    /// Sends the request over `transport` and finishes with its response, read at the
    /// `clock`'s time of arrival.
    pub fn send(self, clock: &dyn Clock, transport: &dyn Transport) -> Result<T, Error> {
        let response = transport.send(&self.request)?;
        self.finish(clock.now(), response)
    }

    /// [`Pending::send`] over an [`AsyncTransport`]: awaits the response, then finishes with
    /// it at the `clock`'s time of arrival.
    pub async fn send_async(
        self,
        clock: &dyn Clock,
        transport: &dyn AsyncTransport,
    ) -> Result<T, Error> {
        let response = transport.send(&self.request).await?;
        self.finish(clock.now(), response)
    }
}
