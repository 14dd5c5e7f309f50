//! The transport seams: send one request, get one response. [`Transport`] blocks;
//! [`AsyncTransport`] returns a future (for the async token manager). The HTTP adapter crate
//! implements both with reqwest; tests implement them with in-memory fakes; Rust users may
//! bring their own client — any closure `Fn(&HttpRequest) -> Result<HttpResponse,
//! TransportError>` is a transport:
//!
//! ```
//! use tapis_auth_core::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};
//! let offline = |_: &HttpRequest| -> Result<HttpResponse, TransportError> {
//!     Err(TransportError::new(TransportErrorKind::Connect, "offline"))
//! };
//! fn takes(_: &dyn Transport) {}
//! takes(&offline);
//! ```

use std::future::Future;
use std::pin::Pin;

use crate::{HttpRequest, HttpResponse, TransportError};

/// Sends one HTTP request and returns its response. Implementations decide about TLS, proxies,
/// timeouts and retries, honouring [`HttpRequest::replay`].
pub trait Transport: Send + Sync {
    /// Sends `request`. Any HTTP status is a response (`Ok`); only a failure to get a response
    /// is an error.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}

// `&T` needs no impl of its own: a reference to a transport is a closure-free `&dyn Transport`
// where one is taken, and `&F` for a closure `F` is covered by the closure impl below.

impl<F> Transport for F
where
    F: Fn(&HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync,
{
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self(request)
    }
}

/// The future an [`AsyncTransport`] returns: the response, or why there is none.
pub type ResponseFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends one HTTP request without blocking the caller's thread: the seam of the async token
/// manager. Implementations decide about TLS, proxies, timeouts and retries, honouring
/// [`HttpRequest::replay`], as a [`Transport`] does.
///
/// Any closure `Fn(HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>>`
/// is an async transport (it gets its own copy of the request):
///
/// ```
/// use tapis_auth_core::{AsyncTransport, HttpRequest, HttpResponse, TransportError};
/// let canned = |_: HttpRequest| async { Ok::<_, TransportError>(HttpResponse::new(200, "{}")) };
/// fn takes(_: &dyn AsyncTransport) {}
/// takes(&canned);
/// ```
pub trait AsyncTransport: Send + Sync {
    /// Sends `request`. Any HTTP status is a response (`Ok`); only a failure to get a response
    /// is an error. Dropping the future abandons the request.
    fn send<'a>(&'a self, request: &'a HttpRequest) -> ResponseFuture<'a>;
}

impl<T: AsyncTransport + ?Sized> AsyncTransport for std::sync::Arc<T> {
    fn send<'a>(&'a self, request: &'a HttpRequest) -> ResponseFuture<'a> {
        (**self).send(request)
    }
}

impl<F, Fut> AsyncTransport for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send + 'static,
{
    fn send<'a>(&'a self, request: &'a HttpRequest) -> ResponseFuture<'a> {
        Box::pin(self(request.clone()))
    }
}
