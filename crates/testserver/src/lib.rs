//! # tapis-auth-testserver
//!
//! A local server implementing, faithfully to `shared/reference/tapis-v3.md` and `agave-v2.md`, the Tapis v3
//! Authenticator / Tenants endpoints, a Java-style protected service endpoint, and the Agave v2
//! tenants / clients / token / revoke / profile endpoints — all on one port on 127.0.0.1 — plus test-only
//! control endpoints under `/_test/`. It serves what the library, its tests, scripts and benchmarks,
//! and the peers tested against it (agavepy, tapipy, the bash Agave CLI) call, and nothing else.
//!
//! In-process use from Rust tests (plain blocking code):
//! ```no_run
//! use tapis_auth_testserver::{Config, Fault, FaultKind, TestServer};
//! let server = TestServer::start(Config::default());
//! let base = server.url(); // e.g. "http://127.0.0.1:40123"
//! server.inject_fault(Fault::new("v3.tokens", FaultKind::DropAfter).grant("refresh_token"));
//! assert_eq!(server.stats().grant("v3.password"), 0);
//! ```
//!
//! ## Defaults
//! Tenant `test` (v3) and `test.v2` (v2); user `testuser`/`testpass`; v3 client `test-client` /
//! `test-client-key` (callback `http://127.0.0.1/callback`); v2 client `test-client` with key `v2-test-key`
//! and secret `v2-test-secret`. TTLs: v3 access 14400 s, refresh 1 year, device-code tokens 30 days; v2
//! access 14400 s, refresh 1 year. v3 refresh tokens are reusable unless `v3_single_use_refresh`; v2
//! refresh tokens are always single-use. The tenant allows every grant type a new tenant gets (`password`,
//! `implicit`, `authorization_code`, `refresh_token`, `device_code`).
//!
//! ## Endpoint keys (stats and faults)
//! `v3.tokens`, `v3.device_code`, `v3.authorize`, `v3.clients` (list/create), `v3.client`
//! (get/update/delete), `v3.userinfo`, `v3.profile`, `v3.revoke`, `v3.tenants`, `v3.tenant`, `v3.systems`,
//! `v2.tenants`, `v2.clients`, `v2.client`, `v2.token`, `v2.revoke`, `v2.profile`.
//! Grant keys: `v3.password`, `v3.refresh_token`, `v3.authorization_code`, `v3.device_code`, `v2.password`,
//! `v2.refresh_token`.
//!
//! ## Test control endpoints (JSON in, JSON out; not counted, never faulted)
//! | Request | Body | Answer |
//! |---|---|---|
//! | `GET /_test/stats` | | [`Stats`]: `{"total","endpoints":{key:n},"grants":{key:n},"rejected_refresh":{"v3":n,"v2":n},"faults_fired":{kind:n},"last_user_agent","user_agents":{ua:n}}` (user agents of requests outside `/_test/`) |
//! | `POST /_test/stats/reset` | | `{"reset":true}` |
//! | `POST /_test/config` | partial [`ConfigPatch`], e.g. `{"v3_access_ttl":5,"v3_single_use_refresh":true}` | new [`RuntimeConfig`] |
//! | `POST /_test/faults` | a [`Fault`] or an array: `{"endpoint":"v3.tokens","grant":"refresh_token","kind":"drop_after","count":1}`; kinds `status` (+`status`), `rate_limit` (+`retry_after`), `delay` (+`delay_ms`), `drop`, `drop_after`, `malformed`, `endless_body` (+`declared`: a `Content-Length` to claim), `respond` (+`status`, `body`, `content_type`) | `{"queued":n}` |
//! | `DELETE /_test/faults` | | `{"cleared":n}` |
//! | `POST /_test/device/approve` | `{"user_code","username"?}` | `{"approved":true,"device_code","username"}` or 404 `{"error"}` |
//! | `GET /_test/device/pending` | | `[{"user_code","client_id","entered","expires_at"}]` |
//! | `POST /_test/mint` | `{"username"?,"ttl"?,"client_id"?,"refresh"?}` (negative ttl = expired) | v3 token `result` object |
//!
//! `GET /v3/oauth2/authorize?...&test_user=NAME` approves at once and answers 302 to
//! `{callback_url}?code=..&state=..`; without `test_user` it serves a page that says so (no one can log in
//! there). The device code's `verification_uri` names a page this server does not serve: device codes
//! are approved through `/_test/device/approve`.
//!
//! As strict as the real servers (their sources: tapis-project/authenticator `service/controllers.py`,
//! `api.py`, `openapi_v3.yml`; agaveplatform/clients-api): token-endpoint checks in the real order and
//! words (grant type present and on the tenant's allow-list, the device code before the client id, the
//! client credentials, then the grant's parameters); JSON bodies validated like `openapi_core` (strings
//! only, nothing coerced); revoke JSON only; `authorize` requires `response_type` and puts `state` into
//! the redirect raw; an unknown `/v3/oauth2/` route or method is 400
//! `"The endpoint and HTTP method combination are not available from this service."`; a v2 refresh
//! spends the refresh token and revokes the access token issued with it (WSO2's default); an unknown v2
//! client is 400 `"Application not found"`; runs of `/` in paths are merged (nginx).
//!
//! Deliberate choices where the reference is silent: a revoked access token gets 400 `Invalid Tapis token.`
//! from Python-style endpoints and 401 `TAPIS_SECURITY_JWT_INVALID_CLAIM ... revoked` from `/v3/systems`;
//! v2 client create answers 201; the device `verification_uri` keeps `http://` on loopback (the real
//! server forces `https://` unless the host is `localhost`); the text inside `Invalid POST data: [...]`
//! imitates `openapi_core`'s, whose exact wording varies by version; revoking an already revoked token
//! succeeds; `GET /profiles/v2/{unknown}` is 404 `No user found matching ...`. The 2025 Authenticator's
//! additions (client credentials in the body, its other device-code wording) are not modelled.

// Internal helpers return `Result<_, Response>`: the error *is* the HTTP answer, built once on a cold path.
#![allow(clippy::result_large_err)]

mod control;
mod faults;
pub mod jwt;
mod schema;
mod server;
mod state;
mod util;
mod v2;
mod v3;

pub use server::TestServer;
pub use state::{
    Config, ConfigPatch, Fault, FaultKind, RuntimeConfig, Stats, V2ClientSeed, V3ClientSeed,
};
