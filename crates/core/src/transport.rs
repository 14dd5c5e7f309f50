//! The [`Transport`] seam: send one request, get one response. The HTTP adapter crate
//! implements it with reqwest; tests implement it with in-memory fakes; Rust users may bring
//! their own client — any closure `Fn(&HttpRequest) -> Result<HttpResponse, TransportError>`
//! is a transport:
//!
//! ```
//! use tapis_auth_core::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};
//! let offline = |_: &HttpRequest| -> Result<HttpResponse, TransportError> {
//!     Err(TransportError::new(TransportErrorKind::Connect, "offline"))
//! };
//! fn takes(_: &dyn Transport) {}
//! takes(&offline);
//! ```

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
