//! Minting Tapis v3 tokens: the signed access JWT and, for grants that give one, the refresh JWT
//! carrying the access token's claims, as the token endpoint's `result` object.

use serde_json::{json, Map, Value};

use crate::state::App;
use crate::util;

/// Lifetime of a refresh token (one year).
const REFRESH_TTL: i64 = 31_536_000;

/// Parameters of a token issue.
pub(crate) struct Issue<'a> {
    pub username: &'a str,
    pub client_id: Option<&'a str>,
    pub grant: &'a str,
    pub refresh: bool,
    pub access_ttl: i64,
    pub refresh_count: i64,
    pub redirect_uri: Option<String>,
}

/// Mints an access (and optionally refresh) token; returns the `result` object of §3.2.
pub(crate) fn issue(app: &App, i: Issue<'_>) -> Value {
    let (refresh_ttl, now) = (REFRESH_TTL, util::now_f64());
    let tenant = &app.tenant_id;
    let iss = format!("{}/v3/tokens", app.base_url);
    let sub = format!("{}@{}", i.username, tenant);
    let jti = util::uuid4();
    let exp_f = now + i.access_ttl as f64;
    let mut claims = Map::new();
    claims.insert("jti".into(), json!(jti));
    claims.insert("iss".into(), json!(iss));
    claims.insert("sub".into(), json!(sub));
    claims.insert("tapis/tenant_id".into(), json!(tenant));
    claims.insert("tapis/token_type".into(), json!("access"));
    claims.insert("tapis/delegation".into(), json!(false));
    claims.insert("tapis/delegation_sub".into(), Value::Null);
    claims.insert("tapis/username".into(), json!(i.username));
    claims.insert("tapis/account_type".into(), json!("user"));
    claims.insert("tapis/client_id".into(), json!(i.client_id));
    claims.insert("tapis/grant_type".into(), json!(i.grant));
    if i.refresh {
        claims.insert("tapis/refresh_count".into(), json!(i.refresh_count));
    }
    if let Some(r) = &i.redirect_uri {
        claims.insert("tapis/redirect_uri".into(), json!(r));
    }
    let mut embedded = claims.clone();
    claims.insert("exp".into(), json!(exp_f.floor() as i64));
    let access = app.keys.sign(&Value::Object(claims));
    let mut result = json!({
        "access_token": {
            "access_token": access, "expires_at": util::iso_micros(exp_f),
            "expires_in": i.access_ttl, "jti": jti, "id_token": access
        }
    });
    if i.refresh {
        embedded.insert("ttl".into(), json!(i.access_ttl));
        let rjti = util::uuid4();
        let rexp = now + refresh_ttl as f64;
        let rclaims = json!({
            "jti": rjti, "iss": iss, "sub": sub, "exp": rexp.floor() as i64,
            "tapis/tenant_id": tenant, "tapis/token_type": "refresh",
            "tapis/initial_ttl": refresh_ttl, "tapis/access_token": Value::Object(embedded)
        });
        result["refresh_token"] = json!({
            "refresh_token": app.keys.sign(&rclaims), "expires_at": util::iso_micros(rexp),
            "expires_in": refresh_ttl, "jti": rjti
        });
    }
    result
}
