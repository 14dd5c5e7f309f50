//! [`AsyncHttpTransport`]: the core's [`AsyncTransport`] over reqwest's async client (feature
//! `tokio`). The same rules as [`HttpTransport`], from the same code: only sending, reading
//! the body chunk by chunk and sleeping between attempts are its own.

use tapis_auth_core::{AsyncTransport, ResponseFuture};

use super::*;

driver! {
    /// An async HTTPS transport: [`HttpTransport`]'s trust, proxies, timeouts, retries, body
    /// limit and errors, without blocking the caller's thread. Its futures must run inside a
    /// tokio runtime with the time and I/O drivers enabled (`#[tokio::main]` enables both).
    /// Cheap to clone; clones share one connection pool.
    ///
    /// The clients are built on the first request, in that request's task: reading the
    /// trusted certificates and the proxy variables then takes a few milliseconds on the
    /// runtime's thread, once per transport.
    ///
    /// ```no_run
    /// use tapis_auth_core::{AsyncTransport, HttpRequest, Method, Replay};
    /// use tapis_auth_http::{AsyncHttpTransport, TransportConfig};
    /// # async fn run() -> Result<(), tapis_auth_core::TransportError> {
    /// let transport = AsyncHttpTransport::new(TransportConfig::default());
    /// let req = HttpRequest::new(Method::Get, "https://tacc.tapis.io/v3/tenants", Replay::Safe);
    /// let resp = transport.send(&req).await?;
    /// # let _ = resp;
    /// # Ok(())
    /// # }
    /// ```
    AsyncHttpTransport(reqwest::Client)
}

impl AsyncTransport for AsyncHttpTransport {
    fn send<'a>(&'a self, req: &'a HttpRequest) -> ResponseFuture<'a> {
        Box::pin(async move {
            let mut x = Exchange::start(&self.shared, req)?;
            loop {
                x.begin();
                match x.after(send_once(&x).await) {
                    Next::Return(result) => return result,
                    Next::Wait(delay) => tokio::time::sleep(delay).await,
                }
            }
        })
    }
}

/// One attempt: sends the request and reads the response chunk by chunk, stopping beyond the
/// body limit.
async fn send_once(x: &Exchange<'_, reqwest::Client>) -> Result<HttpResponse, Failure> {
    let mut resp = x.prepare().send().await.map_err(Failure::Http)?;
    let mut incoming = x.receive(resp.status(), resp.headers(), resp.content_length())?;
    while let Some(chunk) = resp.chunk().await.map_err(Failure::Http)? {
        incoming.extend(&chunk)?;
    }
    Ok(incoming.finish())
}
