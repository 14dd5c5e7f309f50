//! The Authenticator's OAuth server metadata document.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use crate::faults::guarded;
use crate::state::App;
use crate::util::v3_ok;

/// `GET /v3/oauth2/.well-known/oauth-authorization-server`, in the envelope (faithfully wrong
/// `token_endpoint`; `grant_types_supported` is the tenant's allow-list).
pub async fn well_known(State(app): State<Arc<App>>) -> Response {
    guarded(&app, "v3.well_known", None, async {
        let b = &app.base_url;
        let grants = app.st().rt.v3_grant_types.clone();
        v3_ok(
            json!({
                "issuer": format!("{b}/v3/oauth2"), "authorization_endpoint": format!("{b}/v3/oauth2/authorize"),
                "token_endpoint": format!("{b}/v3/oauth2/token"), "jwks_uri": format!("{b}/v3/tenants/{}", app.tenant_id),
                "registration_endpoint": format!("{b}/v3/oauth2/clients"),
                "grant_types_supported": grants
            }),
            "OAuth server metadata retrieved successfully.",
        )
    })
    .await
}
