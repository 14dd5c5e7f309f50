//! User profiles: `/v3/oauth2/userinfo` (the caller's own) and `/v3/oauth2/profiles/{username}`,
//! as the LDAP-backed Authenticator serialises them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::caller::require_user;
use crate::faults::guarded;
use crate::state::App;
use crate::util::{v3_err, v3_ok};

/// A user's profile as the LDAP-backed Authenticator serialises it.
fn profile(u: &str) -> Value {
    json!({
        "username": u, "given_name": u, "last_name": "Tester",
        "email": format!("{u}@example.org"), "phone": null, "mobile_phone": null,
        "create_time": null, "dn": format!("uid={u},ou=People,dc=test"), "uid": 1000
    })
}

/// `GET /v3/oauth2/profiles/{username}`: any user's profile, for any authenticated user. An
/// unknown user fails the way 1.6.0 does (`get_tenant_user` returns a tuple, whose `serialize`
/// raises): a 500.
pub async fn get_profile(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    guarded(&app, "v3.profile", None, async {
        if let Err(r) = require_user(&app, &headers) {
            return r;
        }
        if !app.st().users.contains_key(&username) {
            return v3_err(
                500,
                "Unrecognized exception type: <class 'AttributeError'>. Exception: 'tuple' object has no attribute 'serialize'",
            );
        }
        v3_ok(profile(&username), "User profile retrieved successfully.")
    })
    .await
}

/// `GET /v3/oauth2/userinfo`.
pub async fn userinfo(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v3.userinfo", None, async {
        match require_user(&app, &headers) {
            Ok((u, _)) => v3_ok(profile(&u), "User profile retrieved successfully."),
            Err(r) => r,
        }
    })
    .await
}
