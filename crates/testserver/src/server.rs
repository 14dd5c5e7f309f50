//! Routing, the connection loop (plain or TLS) and the in-process [`TestServer`] handle.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::extract::Request;

use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::control;
use crate::faults::DropConnection;
use crate::state::{App, Config, ConfigPatch, Fault, Stats};
use crate::util;
use crate::{v2, v3};

/// No route or no method for a path: under `/v3/oauth2/` the Authenticator's own 400 (its
/// authentication layer finds no URL rule), elsewhere a plain 404.
async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/v3/oauth2/") {
        util::v3_err(
            400,
            "The endpoint and HTTP method combination are not available from this service.",
        )
    } else {
        util::v3_err(404, "The requested URL was not found on the server.")
    }
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        // Tapis v3
        .route("/v3/oauth2/tokens", post(v3::tokens::tokens))
        .route("/v3/oauth2/tokens/revoke", post(v3::revoke::revoke))
        .route("/v3/oauth2/device/code", post(v3::device::device_code))
        .route("/v3/oauth2/authorize", get(v3::authorize::authorize))
        .route(
            "/v3/oauth2/clients",
            get(v3::clients::list_clients).post(v3::clients::create_client),
        )
        .route(
            "/v3/oauth2/clients/{id}",
            get(v3::clients::get_client)
                .put(v3::clients::update_client)
                .delete(v3::clients::delete_client),
        )
        .route("/v3/oauth2/userinfo", get(v3::profiles::userinfo))
        .route(
            "/v3/oauth2/profiles/{username}",
            get(v3::profiles::get_profile),
        )
        .route("/v3/tenants", get(v3::tenants::tenants))
        .route("/v3/tenants/{id}", get(v3::tenants::tenant))
        .route("/v3/systems", get(v3::service::systems))
        // Agave v2
        .route("/tenants", get(v2::tenants))
        .route("/clients/v2", get(v2::list_clients).post(v2::create_client))
        .route("/clients/v2/{name}", get(v2::client).delete(v2::client))
        .route("/token", post(v2::token))
        .route("/revoke", post(v2::revoke))
        .route("/profiles/v2/me", get(v2::profile_me))
        .route("/profiles/v2/{name}", get(v2::profile))
        // test control
        .route("/_test/stats", get(control::stats))
        .route("/_test/stats/reset", post(control::reset_stats))
        .route("/_test/config", post(control::set_config))
        .route(
            "/_test/faults",
            post(control::add_faults).delete(control::clear_faults),
        )
        .route("/_test/device/approve", post(control::approve_device))
        .route("/_test/device/pending", get(control::pending_devices))
        .route("/_test/mint", post(control::mint))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(app)
}

/// Error returned to hyper to make it close the connection without a response.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// Collapses runs of `/` in the request path, as the real servers' front ends do (nginx's
/// default `merge_slashes on` before the Tapis v3 services; the Agave v2 gateway, which the
/// bash CLI reaches at `<baseurl>//token`).
fn merge_slashes<B>(req: &mut Request<B>) {
    let path = req.uri().path();
    if !path.contains("//") {
        return;
    }
    let mut merged = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && merged.ends_with('/')) {
            merged.push(c);
        }
    }
    if let Some(q) = req.uri().query() {
        merged.push('?');
        merged.push_str(q);
    }
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = merged.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}

async fn serve_conn<I>(io: I, router: Router, app: Arc<App>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        let router = router.clone();
        merge_slashes(&mut req);
        if !req.uri().path().starts_with("/_test/") {
            let ua = req
                .headers()
                .get(axum::http::header::USER_AGENT)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            app.saw_user_agent(&ua);
        }
        async move {
            let resp = match router.oneshot(req.map(axum::body::Body::new)).await {
                Ok(r) => r,
                Err(e) => match e {},
            };
            if resp.extensions().get::<DropConnection>().is_some() {
                Err(Dropped)
            } else {
                Ok(resp)
            }
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc);
    // Bound every connection's lifetime so a stuck client cannot keep a task forever.
    let _ = tokio::time::timeout(Duration::from_secs(900), conn).await;
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    app: Arc<App>,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let app = app.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_conn(stream, router, app).await,
                Some(acc) => {
                    if let Ok(Ok(s)) =
                        tokio::time::timeout(Duration::from_secs(10), acc.accept(stream)).await
                    {
                        serve_conn(s, router, app).await;
                    }
                }
            }
        });
    }
}

/// SIGTERM/SIGINT listeners, registered before the server reports that it is ready.
#[cfg(unix)]
struct Signals(tokio::signal::unix::Signal, tokio::signal::unix::Signal);

#[cfg(unix)]
impl Signals {
    /// Must be called inside the runtime context.
    fn register() -> io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals(
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    }

    async fn recv(mut self) {
        tokio::select! { _ = self.0.recv() => {}, _ = self.1.recv() => {} }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn register() -> io::Result<Signals> {
        Ok(Signals)
    }

    async fn recv(self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Generates a CA and a server certificate (SAN `127.0.0.1`, `localhost`); returns the acceptor and the CA PEM.
fn make_tls() -> io::Result<(TlsAcceptor, String)> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let err = |e: rcgen::Error| io::Error::other(e.to_string());
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tapis-auth-testserver CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().map_err(err)?;
    let mut sp = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .map_err(err)?;
    sp.distinguished_name
        .push(DnType::CommonName, "tapis-auth-testserver");
    let server_cert = sp.signed_by(&server_key, &issuer).map_err(err)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone(), ca_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .map_err(io::Error::other)?;
    Ok((TlsAcceptor::from(Arc::new(config)), ca_cert.pem()))
}

/// A running test server (own thread and single-threaded tokio runtime). Dropping it shuts it down.
#[derive(Debug)]
pub struct TestServer {
    app: Arc<App>,
    url: String,
    ca_pem: Option<String>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server; panics if the port cannot be bound (use [`TestServer::try_start`] to handle that).
    pub fn start(config: Config) -> TestServer {
        Self::try_start(config).expect("tapis-auth-testserver failed to start")
    }

    /// Starts a server on 127.0.0.1 and returns once it is accepting connections.
    pub fn try_start(config: Config) -> io::Result<TestServer> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let (acceptor, ca_pem) = if config.tls {
            let (a, p) = make_tls()?;
            (Some(a), Some(p))
        } else {
            (None, None)
        };
        let scheme = if config.tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{port}");
        let (tx, mut rx) = watch::channel(false);
        let app = Arc::new(App::new(&config, url.clone(), tx));
        let router = router(app.clone());
        let conn_app = app.clone();
        let (time_limit, handle_signals) = (config.time_limit, config.handle_signals);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let signals = if handle_signals {
            let _ctx = runtime.enter();
            Some(Signals::register()?)
        } else {
            None
        };
        let thread = std::thread::Builder::new()
            .name("tapis-auth-testserver".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(_) => return,
                    };
                    let limit = async {
                        match time_limit {
                            Some(d) if !d.is_zero() => tokio::time::sleep(d).await,
                            _ => std::future::pending().await,
                        }
                    };
                    let sig = async {
                        match signals {
                            Some(s) => s.recv().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        _ = accept_loop(listener, acceptor, router, conn_app) => {}
                        _ = rx.wait_for(|stop| *stop) => {}
                        _ = limit => {}
                        _ = sig => {}
                    }
                });
                // Dropping the runtime here cancels every connection task.
                drop(runtime);
            })?;
        Ok(TestServer {
            app,
            url,
            ca_pem,
            thread: Some(thread),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:43125` (no trailing slash). This is the tenant's `base_url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA certificate PEM (TLS mode only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The tenant signing key's public half (PEM SPKI), as in the tenant record's `public_key`.
    pub fn public_key_pem(&self) -> &str {
        self.app.keys.public_pem()
    }

    /// A snapshot of the request statistics.
    pub fn stats(&self) -> Stats {
        self.app.st().stats.clone()
    }

    /// Clears the statistics.
    pub fn reset_stats(&self) {
        self.app.st().stats = Stats::default();
    }

    /// Marks the pending device code `user_code` as entered by `user`. Returns the device code.
    pub fn approve_device(&self, user_code: &str, user: &str) -> Result<String, String> {
        v3::device::approve_device(&self.app, user_code, user)
    }

    /// User codes of device codes that have not been approved yet.
    pub fn pending_user_codes(&self) -> Vec<String> {
        self.app
            .st()
            .device_codes
            .values()
            .filter(|d| matches!(d.status, crate::state::DeviceStatus::Created))
            .map(|d| d.user_code.clone())
            .collect()
    }

    /// Applies a partial runtime-config change (TTLs, single-use refresh).
    pub fn set_config(&self, patch: ConfigPatch) {
        self.app.st().rt.apply(&patch);
    }

    /// Queues a fault.
    pub fn inject_fault(&self, fault: Fault) {
        self.app.st().faults.push_back(fault);
    }

    /// Removes all queued faults.
    pub fn clear_faults(&self) {
        self.app.st().faults.clear();
    }

    /// Adds or replaces a user.
    pub fn add_user(&self, username: &str, password: &str) {
        self.app.st().users.insert(username.into(), password.into());
    }

    /// Mints a v3 token result (`{"access_token":{..},"refresh_token":{..}?}`) without a request.
    /// `ttl` may be negative (already expired); a refresh token is included when `client_id` is given.
    pub fn mint_v3(&self, username: &str, ttl: i64, client_id: Option<&str>) -> Value {
        control::mint_v3(
            &self.app,
            control::Mint {
                username: Some(username.into()),
                ttl: Some(ttl),
                client_id: client_id.map(String::from),
                ..Default::default()
            },
        )
    }

    /// Blocks until the server stops (signal or time limit).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn stop(&mut self) {
        let _ = self.app.shutdown.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_the_user_agent_of_counted_requests_only() {
        // In a build shared with the HTTP adapter, reqwest's `rustls-no-provider` feature is
        // unified into this client too: it then needs a process-wide provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s = TestServer::start(Config::default());
        assert_eq!(s.stats().last_user_agent, None);
        let http = reqwest::blocking::Client::builder()
            .user_agent("probe/1.0")
            .build()
            .unwrap();
        let get = |path: &str| {
            http.get(format!("{}{path}", s.url()))
                .send()
                .unwrap()
                .status()
        };
        assert!(get("/v3/tenants").is_success());
        assert_eq!(s.stats().last_user_agent.as_deref(), Some("probe/1.0"));
        // Control requests are not recorded.
        let other = reqwest::blocking::Client::builder()
            .user_agent("control/2.0")
            .build()
            .unwrap();
        other
            .get(format!("{}/_test/stats", s.url()))
            .send()
            .unwrap();
        let stats = s.stats();
        assert_eq!(stats.last_user_agent.as_deref(), Some("probe/1.0"));
        assert_eq!(stats.user_agents.get("probe/1.0"), Some(&1));
        assert!(!stats.user_agents.contains_key("control/2.0"));
        // A request without the header is recorded as "".
        let bare = reqwest::blocking::Client::new();
        bare.get(format!("{}/tenants", s.url())).send().unwrap();
        let stats = s.stats();
        assert_eq!(stats.last_user_agent.as_deref(), Some(""));
        assert_eq!(stats.user_agents.get(""), Some(&1));
        s.reset_stats();
        assert_eq!(s.stats().last_user_agent, None);
    }
}
