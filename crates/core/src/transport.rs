//! The [`Transport`] seam: send one request, get one response. The HTTP adapter crate
//! implements it with reqwest; tests implement it with in-memory fakes; Rust users may bring
//! their own client.

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

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}
