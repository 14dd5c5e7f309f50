//! Server configuration, mutable state, fault queue and statistics.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::jwt::Keys;
use crate::util;

/// The Tapis v3 tenant id.
pub(crate) const TENANT_ID: &str = "test";
/// The Agave v2 tenant code.
pub(crate) const V2_TENANT_CODE: &str = "test.v2";

/// A pre-registered Tapis v3 OAuth client.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct V3ClientSeed {
    /// `client_id`.
    pub client_id: String,
    /// `client_key` (the secret).
    pub client_key: String,
    /// Owning username.
    pub owner: String,
    /// Registered `callback_url` (used by the authorization-code flow).
    pub callback_url: String,
}

/// A pre-registered Agave v2 OAuth client.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct V2ClientSeed {
    /// `clientName`.
    pub name: String,
    /// `consumerKey`.
    pub key: String,
    /// `consumerSecret`.
    pub secret: String,
    /// Owning username.
    pub owner: String,
}

/// Settings that can be changed while the server runs (`set_config` / `POST /_test/config`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RuntimeConfig {
    /// Tapis v3 access-token TTL in seconds (0 = already expired when issued).
    pub v3_access_ttl: i64,
    /// Lifetime of a v3 device code (seconds, default 600).
    pub v3_device_code_lifetime: i64,
    /// Whether v3 refresh tokens are single-use (default false, like the real server).
    pub v3_single_use_refresh: bool,
    /// Agave v2 access-token TTL in seconds.
    pub v2_access_ttl: i64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            v3_access_ttl: 14_400,
            v3_device_code_lifetime: 600,
            v3_single_use_refresh: false,
            v2_access_ttl: 14_400,
        }
    }
}

/// A partial update of [`RuntimeConfig`]; absent fields are left unchanged.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigPatch {
    /// See [`RuntimeConfig::v3_access_ttl`].
    pub v3_access_ttl: Option<i64>,
    /// See [`RuntimeConfig::v3_device_code_lifetime`].
    pub v3_device_code_lifetime: Option<i64>,
    /// See [`RuntimeConfig::v3_single_use_refresh`].
    pub v3_single_use_refresh: Option<bool>,
    /// See [`RuntimeConfig::v2_access_ttl`].
    pub v2_access_ttl: Option<i64>,
}

impl RuntimeConfig {
    /// Applies a patch.
    pub fn apply(&mut self, p: &ConfigPatch) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = p.$f.clone() { self.$f = v; } )* };
        }
        set!(
            v3_access_ttl,
            v3_device_code_lifetime,
            v3_single_use_refresh,
            v2_access_ttl
        );
    }
}

/// Startup configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Port on 127.0.0.1 (0 = let the OS choose).
    pub port: u16,
    /// Users as (username, password); default `testuser`/`testpass`.
    pub users: Vec<(String, String)>,
    /// Pre-registered v3 clients; default one `test-client`/`test-client-key` owned by `testuser`,
    /// callback `http://127.0.0.1/callback`.
    pub v3_clients: Vec<V3ClientSeed>,
    /// Pre-registered v2 clients; default one `test-client` with key `v2-test-key`, secret `v2-test-secret`.
    pub v2_clients: Vec<V2ClientSeed>,
    /// Initial runtime settings (TTLs, single-use refresh, ...).
    pub runtime: RuntimeConfig,
    /// Serve HTTPS with a freshly generated CA and server certificate.
    pub tls: bool,
    /// Stop serving after this long (`None` = no limit). Default 600 s.
    pub time_limit: Option<Duration>,
    /// Also stop on SIGINT/SIGTERM (the binary sets this).
    pub handle_signals: bool,
    /// Generate a fresh RSA key instead of the process-wide cached one.
    pub fresh_key: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            users: vec![("testuser".into(), "testpass".into())],
            v3_clients: vec![V3ClientSeed {
                client_id: "test-client".into(),
                client_key: "test-client-key".into(),
                owner: "testuser".into(),
                callback_url: "http://127.0.0.1/callback".into(),
            }],
            v2_clients: vec![V2ClientSeed {
                name: "test-client".into(),
                key: "v2-test-key".into(),
                secret: "v2-test-secret".into(),
                owner: "testuser".into(),
            }],
            runtime: RuntimeConfig::default(),
            tls: false,
            time_limit: Some(Duration::from_secs(600)),
            handle_signals: false,
            fresh_key: false,
        }
    }
}

/// The kind of an injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` (default 503) without processing (500: v3 error envelope; others: HTML gateway page).
    Status,
    /// Answer 429 with `Retry-After: retry_after` (default 1) without processing.
    RateLimit,
    /// Sleep `delay_ms` (default 1000, max 60000), then process normally.
    Delay,
    /// Close the connection without any response, without processing.
    Drop,
    /// Process the request normally (e.g. spend the refresh token), then close the connection without a response.
    DropAfter,
    /// Answer 200 with a truncated, unparseable JSON body without processing.
    Malformed,
    /// Answer 200 with a JSON-looking body that never ends (a hostile server), without
    /// processing; with `declared` set, a `Content-Length` of that many bytes is declared
    /// first (and the body still never ends).
    EndlessBody,
    /// Answer with `status` (default 200), `content_type` (default `application/json`) and
    /// exactly `body`, without processing (a server that lies: control characters in a token,
    /// a `javascript:` verification URI, an absurd `expires_in`, ...).
    Respond,
}

/// An injected fault for the next `count` matching requests.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fault {
    /// Endpoint key (see the crate docs, e.g. `v3.tokens`, `v2.token`).
    pub endpoint: String,
    /// Only requests with this grant type (token endpoints), if set.
    #[serde(default)]
    pub grant: Option<String>,
    /// What to do.
    pub kind: FaultKind,
    /// How many matching requests it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// HTTP status for [`FaultKind::Status`].
    #[serde(default)]
    pub status: Option<u16>,
    /// `Retry-After` seconds for [`FaultKind::RateLimit`].
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Delay for [`FaultKind::Delay`].
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Body for [`FaultKind::Respond`].
    #[serde(default)]
    pub body: Option<String>,
    /// `Content-Type` for [`FaultKind::Respond`].
    #[serde(default)]
    pub content_type: Option<String>,
    /// A `Content-Length` to declare for [`FaultKind::EndlessBody`].
    #[serde(default)]
    pub declared: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// A fault of `kind` for one request to `endpoint`.
    pub fn new(endpoint: &str, kind: FaultKind) -> Fault {
        Fault {
            endpoint: endpoint.into(),
            grant: None,
            kind,
            count: 1,
            status: None,
            retry_after: None,
            delay_ms: None,
            body: None,
            content_type: None,
            declared: None,
        }
    }
    /// A [`FaultKind::Respond`] fault: `status` and exactly `body` (JSON) for one request.
    pub fn respond(endpoint: &str, status: u16, body: &str) -> Fault {
        Fault {
            status: Some(status),
            body: Some(body.into()),
            ..Fault::new(endpoint, FaultKind::Respond)
        }
    }
    /// Declares a `Content-Length` for [`FaultKind::EndlessBody`].
    pub fn declared(mut self, n: u64) -> Fault {
        self.declared = Some(n);
        self
    }
    /// Restricts the fault to one grant type.
    pub fn grant(mut self, g: &str) -> Fault {
        self.grant = Some(g.into());
        self
    }
    /// Applies to `n` requests.
    pub fn times(mut self, n: u32) -> Fault {
        self.count = n;
        self
    }
    /// Sets the status for [`FaultKind::Status`].
    pub fn status(mut self, s: u16) -> Fault {
        self.status = Some(s);
        self
    }
    /// Sets `Retry-After` for [`FaultKind::RateLimit`].
    pub fn retry_after(mut self, s: u64) -> Fault {
        self.retry_after = Some(s);
        self
    }
    /// Sets the delay for [`FaultKind::Delay`].
    pub fn delay_ms(mut self, ms: u64) -> Fault {
        self.delay_ms = Some(ms);
        self
    }
}

/// Request statistics (`GET /_test/stats`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    /// Total requests counted.
    pub total: u64,
    /// Requests per endpoint key.
    pub endpoints: BTreeMap<String, u64>,
    /// Token requests per `"<platform>.<grant>"`, e.g. `v3.password`, `v2.refresh_token`.
    pub grants: BTreeMap<String, u64>,
    /// Rejected refresh attempts per platform (`v3`, `v2`).
    pub rejected_refresh: BTreeMap<String, u64>,
    /// Faults fired, per kind.
    pub faults_fired: BTreeMap<String, u64>,
    /// The `User-Agent` header of the most recent request outside `/_test/` (`None` until one
    /// arrives; a request without the header is recorded as `""`).
    #[serde(default)]
    pub last_user_agent: Option<String>,
    /// Requests outside `/_test/` per `User-Agent` header value (`""` = no header), so a test
    /// can check that *every* request carried the expected one.
    #[serde(default)]
    pub user_agents: BTreeMap<String, u64>,
}

impl Stats {
    /// Requests to `endpoint`.
    pub fn endpoint(&self, endpoint: &str) -> u64 {
        self.endpoints.get(endpoint).copied().unwrap_or(0)
    }
    /// Token requests for `key` (`v3.password`, ...).
    pub fn grant(&self, key: &str) -> u64 {
        self.grants.get(key).copied().unwrap_or(0)
    }
    /// Rejected refresh attempts for `platform` (`v3` / `v2`).
    pub fn rejected_refresh(&self, platform: &str) -> u64 {
        self.rejected_refresh.get(platform).copied().unwrap_or(0)
    }
}

/// A v3 OAuth client.
#[derive(Clone, Debug)]
pub(crate) struct V3Client {
    pub client_id: String,
    pub client_key: String,
    pub owner: String,
    pub callback_url: String,
    pub display_name: String,
    pub description: String,
    pub active: bool,
    pub create_time: i64,
    pub last_update_time: i64,
}

impl V3Client {
    pub fn to_json(&self, tenant: &str) -> Value {
        json!({
            "active": self.active, "callback_url": self.callback_url, "client_id": self.client_id,
            "client_key": self.client_key, "create_time": util::http_date(self.create_time),
            "description": self.description, "display_name": self.display_name,
            "last_update_time": util::http_date(self.last_update_time), "owner": self.owner,
            "tenant_id": tenant
        })
    }
}

/// A v2 OAuth client.
#[derive(Clone, Debug)]
pub(crate) struct V2Client {
    pub name: String,
    pub key: String,
    pub secret: String,
    pub owner: String,
    pub description: String,
    pub callback_url: String,
    pub tier: String,
}

/// Device-code status.
#[derive(Clone, Debug)]
pub(crate) enum DeviceStatus {
    Created,
    Entered { username: String },
}

/// A pending v3 device code.
#[derive(Clone, Debug)]
pub(crate) struct DeviceCode {
    pub user_code: String,
    pub client_id: String,
    /// The client's key when the code was made (the grant authenticates the client with it).
    pub client_key: Option<String>,
    pub status: DeviceStatus,
    pub expires_at: i64,
}

/// A v3 authorization code.
#[derive(Clone, Debug)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub username: String,
    pub redirect_uri: String,
    pub expires_at: i64,
}

/// An opaque v2 token.
#[derive(Clone, Debug)]
pub(crate) struct V2Token {
    pub username: String,
    pub client_key: String,
    pub expires_at: i64,
    pub dead: bool,
    /// For a refresh token: the access token issued with it, which WSO2 revokes when the
    /// refresh token is used.
    pub access: Option<String>,
}

/// Everything mutable.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub rt: RuntimeConfig,
    pub users: HashMap<String, String>,
    pub v3_clients: HashMap<String, V3Client>,
    pub v2_clients: HashMap<String, V2Client>,
    pub revoked: HashSet<String>,
    pub used_refresh: HashSet<String>,
    pub device_codes: HashMap<String, DeviceCode>,
    pub auth_codes: HashMap<String, AuthCode>,
    pub v2_access: HashMap<String, V2Token>,
    pub v2_refresh: HashMap<String, V2Token>,
    pub faults: VecDeque<Fault>,
    pub stats: Stats,
}

/// Shared application object.
#[derive(Debug)]
pub(crate) struct App {
    pub base_url: String,
    pub tenant_id: String,
    pub v2_code: String,
    pub keys: Keys,
    pub state: Mutex<State>,
    pub shutdown: tokio::sync::watch::Sender<bool>,
    pub started: i64,
}

impl App {
    pub fn new(cfg: &Config, base_url: String, shutdown: tokio::sync::watch::Sender<bool>) -> App {
        let now = util::now();
        let mut st = State {
            rt: cfg.runtime.clone(),
            ..State::default()
        };
        for (u, p) in &cfg.users {
            st.users.insert(u.clone(), p.clone());
        }
        for c in &cfg.v3_clients {
            st.v3_clients.insert(
                c.client_id.clone(),
                V3Client {
                    client_id: c.client_id.clone(),
                    client_key: c.client_key.clone(),
                    owner: c.owner.clone(),
                    callback_url: c.callback_url.clone(),
                    display_name: c.client_id.chars().take(50).collect(),
                    description: String::new(),
                    active: true,
                    create_time: now,
                    last_update_time: now,
                },
            );
        }
        for c in &cfg.v2_clients {
            st.v2_clients.insert(
                c.name.clone(),
                V2Client {
                    name: c.name.clone(),
                    key: c.key.clone(),
                    secret: c.secret.clone(),
                    owner: c.owner.clone(),
                    description: String::new(),
                    callback_url: String::new(),
                    tier: "Unlimited".into(),
                },
            );
        }
        App {
            base_url,
            tenant_id: TENANT_ID.into(),
            v2_code: V2_TENANT_CODE.into(),
            keys: Keys::new(cfg.fresh_key),
            state: Mutex::new(st),
            shutdown,
            started: now,
        }
    }

    /// Locks the state (a poisoned lock is recovered: the state stays usable after a panicking test).
    pub fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request and takes a matching fault, if any.
    pub fn begin(&self, endpoint: &str, grant: Option<(&str, &str)>) -> Option<Fault> {
        let mut st = self.st();
        st.stats.total += 1;
        *st.stats.endpoints.entry(endpoint.to_string()).or_default() += 1;
        if let Some((platform, g)) = grant {
            *st.stats
                .grants
                .entry(format!("{platform}.{g}"))
                .or_default() += 1;
        }
        let g = grant.map(|x| x.1);
        let idx = st.faults.iter().position(|f| {
            f.endpoint == endpoint && (f.grant.is_none() || f.grant.as_deref() == g)
        })?;
        let fault = st.faults[idx].clone();
        if st.faults[idx].count <= 1 {
            st.faults.remove(idx);
        } else {
            st.faults[idx].count -= 1;
        }
        let kind = serde_json::to_value(fault.kind)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        *st.stats.faults_fired.entry(kind).or_default() += 1;
        Some(fault)
    }

    /// Records the `User-Agent` of a request outside `/_test/` (`""` when it sent none).
    pub fn saw_user_agent(&self, user_agent: &str) {
        let mut st = self.st();
        st.stats.last_user_agent = Some(user_agent.to_owned());
        *st.stats
            .user_agents
            .entry(user_agent.to_owned())
            .or_default() += 1;
    }

    /// Counts a rejected refresh attempt.
    pub fn rejected_refresh(&self, platform: &str) {
        *self
            .st()
            .stats
            .rejected_refresh
            .entry(platform.to_string())
            .or_default() += 1;
    }
}
