//! The Tenants API: the tenant record (`/v3/tenants`, `/v3/tenants/{id}`, with the signing key's
//! public half); public, but an `X-Tapis-Token` sent along must be valid.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::caller::optional_token_ok;
use crate::faults::guarded;
use crate::state::App;
use crate::util::{self, v3_err, v3_ok};

/// The tenant record.
pub(crate) fn tenant_json(app: &App) -> Value {
    let b = &app.base_url;
    let t = util::http_date(app.started);
    json!({
        "tenant_id": app.tenant_id, "base_url": b, "site_id": "test", "status": "ACTIVE",
        "token_service": format!("{b}/v3/tokens"), "security_kernel": format!("{b}/v3/security"),
        "authenticator": format!("{b}/v3/oauth2"), "owner": "admin@example.org", "admin_user": "admin",
        "token_gen_services": ["authenticator"], "create_time": t, "created_by": "admin",
        "last_update_time": t, "last_updated_by": "admin", "public_key": app.keys.public_pem(),
        "user_ldap_connection_id": "test-ldap", "description": "libtapis_auth local test tenant."
    })
}

/// `GET /v3/tenants`.
pub async fn tenants(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v3.tenants", None, async {
        if let Err(r) = optional_token_ok(&app, &headers) {
            return r;
        }
        v3_ok(
            json!([tenant_json(&app)]),
            "Tenants retrieved successfully.",
        )
    })
    .await
}

/// `GET /v3/tenants/{id}`.
pub async fn tenant(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, "v3.tenant", None, async {
        if let Err(r) = optional_token_ok(&app, &headers) {
            return r;
        }
        if id != app.tenant_id {
            return v3_err(400, &format!("No tenant found with tenant_id {id}."));
        }
        v3_ok(tenant_json(&app), "Tenant retrieved successfully.")
    })
    .await
}
