//! What both drivers share before a request is sent: the reqwest client of either flavour,
//! configured from one [`TransportConfig`] and one TLS setup; the lazily built pair of clients
//! (through the proxies, and direct for plain `http://` to loopback); the scheme check; and
//! the mapping of an [`HttpRequest`] onto reqwest's request builder.

use super::*;

/// A reqwest client flavour: `reqwest::blocking::Client` or the async `reqwest::Client`.
/// Their builders and request builders have the same methods under different type names, so
/// one macro body ([`flavour!`]) configures both.
pub(super) trait Client: Sized {
    /// This flavour's request builder (its `send` blocks or returns a future).
    type Request;

    /// A client with every setting of `config`, trusting as `tls` says; it follows the proxy
    /// variables unless `direct`.
    fn build(
        config: &TransportConfig,
        tls: rustls::ClientConfig,
        direct: bool,
    ) -> Result<Self, TransportError>;

    /// `req` as a request to `url` (the parsed, checked form of `req.url`), ready to send.
    fn prepare(&self, url: &url::Url, req: &HttpRequest) -> Self::Request;
}

/// Implements [`Client`] for one flavour: `flavour!(client type, request builder type)`.
macro_rules! flavour {
    ($client:ty, $request:ty) => {
        impl Client for $client {
            type Request = $request;

            fn build(
                config: &TransportConfig,
                tls: rustls::ClientConfig,
                direct: bool,
            ) -> Result<Self, TransportError> {
                let builder = <$client>::builder()
                    .use_preconfigured_tls(tls)
                    .user_agent(USER_AGENT)
                    .connect_timeout(config.connect_timeout)
                    .timeout(config.timeout)
                    .redirect(reqwest::redirect::Policy::none());
                let builder = if direct { builder.no_proxy() } else { builder };
                builder.build().map_err(cannot_build)
            }

            fn prepare(&self, url: &url::Url, req: &HttpRequest) -> $request {
                let mut rb = self.request(reqwest_method(req.method), url.clone());
                for h in &req.headers {
                    rb = rb.header(h.name.as_str(), h.value.expose());
                }
                if let Some(body) = &req.body {
                    rb = rb
                        .header(reqwest::header::CONTENT_TYPE, body.content_type)
                        .body(body.bytes.to_vec());
                }
                rb
            }
        }
    };
}

flavour!(reqwest::blocking::Client, reqwest::blocking::RequestBuilder);
#[cfg(feature = "tokio")]
flavour!(reqwest::Client, reqwest::RequestBuilder);

fn reqwest_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
    }
}

fn cannot_build(e: reqwest::Error) -> TransportError {
    TransportError::new(
        TransportErrorKind::Other,
        format!("cannot build HTTP client: {e}"),
    )
}

/// What a transport of either flavour holds: its settings, and its clients, built on the
/// first request (processes that only read a valid cached token never build one). Cheap to
/// clone; clones share the clients and so their connection pools.
pub(super) struct Shared<C> {
    config: Arc<TransportConfig>,
    built: Arc<OnceLock<Result<Built<C>, TransportError>>>,
}

impl<C> Clone for Shared<C> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            built: self.built.clone(),
        }
    }
}

impl<C: Client> Shared<C> {
    pub(super) fn new(config: TransportConfig) -> Self {
        Self {
            config: Arc::new(config),
            built: Arc::new(OnceLock::new()),
        }
    }

    pub(super) fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// The clients, built now if this is the first request.
    pub(super) fn built(&self) -> Result<&Built<C>, TransportError> {
        self.built
            .get_or_init(|| Built::new(&self.config))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Declares a driver: a public transport type holding a [`Shared`] of one client flavour, with
/// `new`, `config`, `Default`, `Clone` and a `Debug` that shows the settings only. Its doc
/// comment is passed in; its `send` is its own.
macro_rules! driver {
    ($(#[$doc:meta])* $name:ident($client:ty)) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            shared: Shared<$client>,
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("config", self.config())
                    .finish_non_exhaustive()
            }
        }

        impl $name {
            /// A transport with these settings. Nothing is built until the first request.
            pub fn new(config: TransportConfig) -> Self {
                Self {
                    shared: Shared::new(config),
                }
            }

            /// The settings.
            pub fn config(&self) -> &TransportConfig {
                self.shared.config()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new(TransportConfig::default())
            }
        }
    };
}
pub(super) use driver;

/// The clients, and what error messages need to know about how they were built.
pub(super) struct Built<C> {
    /// The client that follows the proxy variables.
    client: C,
    /// A client that never uses a proxy, for plain `http://` to loopback; built on first use.
    direct: OnceLock<Result<C, TransportError>>,
    /// The TLS settings `client` was built with (the direct client is built with them too).
    tls: rustls::ClientConfig,
    /// Context for error messages.
    pub(super) notes: Notes,
}

impl<C: Client> Built<C> {
    /// Reads the environment (`SSL_CERT_*`, proxies) and builds the proxied client.
    fn new(config: &TransportConfig) -> Result<Self, TransportError> {
        let (roots, trust) = load_roots(&|k| std::env::var_os(k), config.ca_file.as_deref())?;
        let (http_proxy, https_proxy) = proxy_notes(&|k| std::env::var(k).ok());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(format!("TLS setup failed: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            client: C::build(config, tls.clone(), false)?,
            direct: OnceLock::new(),
            tls,
            notes: Notes {
                trust,
                http_proxy,
                https_proxy,
            },
        })
    }

    /// The client for `url`, and whether it may use a proxy: the direct one for plain
    /// `http://` to loopback (never through a proxy), else the one that follows the proxy
    /// variables.
    pub(super) fn client_for(
        &self,
        url: &url::Url,
        config: &TransportConfig,
    ) -> Result<(&C, bool), TransportError> {
        if url.scheme() == "http" && is_loopback(url) {
            let c = self
                .direct
                .get_or_init(|| C::build(config, self.tls.clone(), true))
                .as_ref()
                .map_err(Clone::clone)?;
            return Ok((c, false));
        }
        Ok((&self.client, true))
    }
}

/// Context appended to transport errors, captured when the client was built.
#[derive(Debug, Default)]
pub(super) struct Notes {
    /// For TLS failures: where trust came from, when that may explain the failure.
    pub(super) trust: Option<String>,
    /// For failures of `http://` requests: the proxy variables in force (credentials removed).
    pub(super) http_proxy: Option<String>,
    /// For failures of `https://` requests: the proxy variables in force (credentials removed).
    pub(super) https_proxy: Option<String>,
}

/// Parses `url` and checks its scheme against `config`; the parsed URL is what is sent.
pub(super) fn check_scheme(
    config: &TransportConfig,
    url: &str,
) -> Result<url::Url, TransportError> {
    let parsed = url::Url::parse(url).map_err(|e| {
        // Echoed only when it cannot carry credentials (`user:password@`) or a query.
        let shown = if url.contains(['@', '?', '#']) {
            "(not shown: it holds credentials or a query)".to_owned()
        } else {
            format!("{url:?}")
        };
        TransportError::new(
            TransportErrorKind::Other,
            format!("invalid URL {shown}: {e}"),
        )
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if config.allow_insecure_http || is_loopback(&parsed) => Ok(parsed),
        "http" => Err(TransportError::new(
            TransportErrorKind::Insecure,
            format!(
                "refusing plain http:// to {}: credentials would cross the network unencrypted (use https://, or allow insecure HTTP explicitly)",
                parsed.host_str().unwrap_or("?")
            ),
        )),
        other => Err(TransportError::new(
            TransportErrorKind::Other,
            format!("unsupported URL scheme {other:?}"),
        )),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}
