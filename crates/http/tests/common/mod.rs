//! Shared helpers for the transports' integration tests: both drivers behind one seam, so
//! that each test checks both, and the request a password login sends, sent through a
//! transport alone (no session, no store).

#![allow(dead_code)]

use tapis_auth_core::flow::password;
use tapis_auth_core::{
    BaseUrl, Error, HttpRequest, HttpResponse, OAuthClient, Platform, Secret, Session, SystemClock,
    Tenant, TokenSet, Transport, TransportError,
};
#[cfg(feature = "tokio")]
use tapis_auth_http::AsyncHttpTransport;
use tapis_auth_http::{HttpTransport, TransportConfig};

/// A transport of this crate: the blocking one, or (feature `tokio`) the async one.
#[derive(Clone, Copy, Debug)]
pub enum Driver {
    /// [`HttpTransport`].
    Blocking,
    /// `AsyncHttpTransport`, its futures run to completion on a current-thread runtime.
    #[cfg(feature = "tokio")]
    Async,
}

/// Every driver built: a test loops over these.
pub const DRIVERS: &[Driver] = &[
    Driver::Blocking,
    #[cfg(feature = "tokio")]
    Driver::Async,
];

impl Driver {
    /// A transport of this driver with `config`, behind the blocking seam.
    pub fn transport(self, config: TransportConfig) -> Box<dyn Transport> {
        match self {
            Driver::Blocking => Box::new(HttpTransport::new(config)),
            #[cfg(feature = "tokio")]
            Driver::Async => Box::new(OnRuntime {
                runtime: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap(),
                transport: AsyncHttpTransport::new(config),
            }),
        }
    }

    /// Sends `req` once through a new transport of this driver with `config`.
    pub fn send(
        self,
        config: TransportConfig,
        req: &HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        self.transport(config).send(req)
    }
}

/// The async transport, each request awaited on its own runtime (I/O and time enabled).
#[cfg(feature = "tokio")]
struct OnRuntime {
    runtime: tokio::runtime::Runtime,
    transport: AsyncHttpTransport,
}

#[cfg(feature = "tokio")]
impl Transport for OnRuntime {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        use tapis_auth_core::AsyncTransport;
        self.runtime.block_on(self.transport.send(req))
    }
}

/// The test user's Tapis v3 password grant with the pre-registered client — the request a
/// password login sends, password and client key in it — sent to the test authenticator at
/// `url` through a transport of `driver` with `config`. Checks that the token it returns is a
/// JWT.
pub fn password_grant(
    driver: Driver,
    url: &str,
    config: TransportConfig,
) -> Result<TokenSet, Error> {
    let transport = driver.transport(config);
    let tokens = password_grant_request(url)?.send(&SystemClock, &*transport)?;
    assert!(tokens.access_token.expose().starts_with("ey"));
    Ok(tokens)
}

/// The password grant of [`password_grant`], not yet sent.
pub fn password_grant_request(url: &str) -> Result<tapis_auth_core::Pending<TokenSet>, Error> {
    let tenant = Tenant::new(BaseUrl::parse(url)?, Platform::TapisV3);
    let mut session = Session::new("default", tenant);
    session.username = Some("testuser".into());
    session.password = Some(Secret::new("testpass"));
    session.client = Some(OAuthClient::new("test-client", "test-client-key"));
    password::password_grant(&session)
}

/// Runs `f` on this thread and returns what it returned, and the messages of the transport's
/// `tracing` events it caused (target `tapis_auth_http::transport`), in order.
pub fn traced<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = tracing::subscriber::with_default(Capture(events.clone()), f);
    let events = events.lock().unwrap().clone();
    (out, events)
}

/// A `tracing` subscriber that keeps the messages of the transport's events.
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "tapis_auth_http::transport"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        self.0.lock().unwrap().push(m.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
