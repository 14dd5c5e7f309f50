//! Conversion between agavepy/tapis-cli cache objects ("contexts", the object in `current` and in
//! each `config.json` `sessions[tenant][user][client]` slot) and [`Session`]s.
//!
//! Reading accepts every encoding in the compatibility notes: CLI key names
//! (`tenantid, baseurl, apikey, apisecret, access_token`) and agavepy names (`tenant_id,
//! api_server, api_key, api_secret, token`), CLI names winning; `""`/`null` as absent; time
//! fields as JSON ints, floats, numeric strings or float strings. The access-token expiry is
//! `int(created_at) + int(expires_in)`; `expires_at` is never parsed.

use serde_json::{Map, Value};
use tapis_auth_core::{
    BaseUrl, OAuthClient, Platform, Secret, Session, Tenant, TokenSet, UnixTime,
};

/// Keys libtapis_auth adds to a context (ignored by agavepy, tapis-cli and the bash CLI).
pub(crate) mod keys {
    pub const PROFILE: &str = "tapis_profile";
    pub const PLATFORM: &str = "tapis_platform";
    pub const CLIENT_NAME: &str = "client_name";
    pub const ACCESS_EXPIRES_AT: &str = "access_expires_at";
    pub const REFRESH_EXPIRES_AT: &str = "refresh_expires_at";
    pub const TENANT: &str = "tapis_tenant";
    pub const TOKEN: &str = "tapis_token";
    pub const CLIENT: &str = "tapis_client";
    /// When the server rejected the slot's refresh token (Unix seconds), recorded by the first
    /// process that saw it.
    pub const REFRESH_REJECTED_AT: &str = "tapis_refresh_rejected_at";
}

/// agavepy keyword names that duplicate CLI names; removed on write (the CLI names are written).
const AGAVEPY_DUPLICATES: [&str; 5] = ["tenant_id", "api_server", "api_key", "api_secret", "token"];

/// A non-empty string value (numbers are turned into their text), trying `names` in order.
pub(crate) fn text(m: &Map<String, Value>, names: &[&str]) -> Option<String> {
    for n in names {
        match m.get(*n) {
            Some(Value::String(s)) if !s.is_empty() => return Some(s.clone()),
            Some(Value::Number(x)) => return Some(x.to_string()),
            _ => {}
        }
    }
    None
}

/// An integer from an int, a float, a numeric string or a float string.
pub(crate) fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }
}

fn sub<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    m.get(key).and_then(Value::as_object)
}

/// Builds a session from a context. `None` when it names no usable base URL (for example a
/// file left by `tenants-init` without one).
pub(crate) fn context_to_session(
    profile: &str,
    m: &Map<String, Value>,
) -> Result<Option<Session>, String> {
    let Some(url) = text(m, &["baseurl", "api_server"]) else {
        return Ok(None);
    };
    let base_url = BaseUrl::parse(&url).map_err(|e| e.to_string())?;
    let platform = match text(m, &[keys::PLATFORM]) {
        Some(p) => Platform::parse(&p).map_err(|e| e.to_string())?,
        None => Platform::AgaveV2,
    };
    let mut tenant = Tenant::new(base_url, platform);
    tenant.id = text(m, &["tenantid", "tenant_id"]).filter(|t| t != "null");
    if let Some(t) = sub(m, keys::TENANT) {
        tenant.name = text(t, &["name"]);
        tenant.site_id = text(t, &["site_id"]);
        tenant.status = text(t, &["status"]);
        tenant.token_service = text(t, &["token_service"]);
        tenant.authenticator = text(t, &["authenticator"]);
        tenant.public_key = text(t, &["public_key"]);
    }
    let mut s = Session::new(profile, tenant);
    s.username = text(m, &["username"]);
    let client_id = text(m, &["apikey", "api_key"]);
    let client_key = text(m, &["apisecret", "api_secret"]);
    if let Some(id) = client_id {
        let mut c = OAuthClient::public(id);
        c.key = client_key.map(Secret::new);
        c.name = text(m, &[keys::CLIENT_NAME]);
        if let Some(x) = sub(m, keys::CLIENT) {
            c.callback_url = text(x, &["callback_url"]);
            c.description = text(x, &["description"]);
        }
        s.client = Some(c);
    }
    let access = text(m, &["access_token", "token"]);
    let refresh = text(m, &["refresh_token"]);
    if access.is_some() || refresh.is_some() {
        let created = int(m.get("created_at"));
        let expires_in = int(m.get("expires_in"));
        let expires_at = match (created, expires_in) {
            (Some(c), Some(e)) => Some(UnixTime(c).plus(e)),
            _ => int(m.get(keys::ACCESS_EXPIRES_AT)).map(UnixTime),
        };
        let (token_type, jti, scope) = match sub(m, keys::TOKEN) {
            Some(t) => (
                text(t, &["token_type"]),
                text(t, &["jti"]),
                text(t, &["scope"]),
            ),
            None => (None, None, None),
        };
        s.tokens = Some(TokenSet {
            access_token: Secret::new(access.unwrap_or_default()),
            refresh_token: refresh.map(Secret::new),
            expires_at,
            issued_at: created.map(UnixTime),
            refresh_expires_at: int(m.get(keys::REFRESH_EXPIRES_AT)).map(UnixTime),
            token_type,
            jti,
            scope,
            refresh_rejected_at: int(m.get(keys::REFRESH_REJECTED_AT)).map(UnixTime),
        });
    }
    Ok(Some(s))
}

fn set_opt(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    match v {
        Some(v) => {
            m.insert(key.to_string(), v);
        }
        None => {
            m.remove(key);
        }
    }
}

fn obj(pairs: &[(&str, &Option<String>)]) -> Option<Value> {
    let mut m = Map::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            m.insert((*k).to_string(), Value::String(v.clone()));
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// Writes the session's fields into `m` (an existing context whose unknown keys are kept).
/// CLI fields are written as strings; `with_extras` adds the libtapis_auth keys (config.json)
/// or leaves them out (`current`). A tenant id the session does not know leaves the one the
/// context has (the bash CLI refuses a `current` without one).
pub(crate) fn session_into_context(s: &Session, m: &mut Map<String, Value>, with_extras: bool) {
    let st = |v: &str| Value::String(v.to_string());
    for k in AGAVEPY_DUPLICATES {
        m.remove(k);
    }
    m.remove("password");
    let known = |v: &Value| v.as_str().is_some_and(|v| !v.is_empty());
    match s.tenant.id.as_deref() {
        Some(id) => {
            m.insert("tenantid".into(), st(id));
        }
        None if m.get("tenantid").is_some_and(known) => {}
        None => {
            m.insert("tenantid".into(), st(""));
        }
    }
    m.insert("baseurl".into(), st(s.tenant.base_url.as_str()));
    let c = s.client.as_ref();
    m.insert("apikey".into(), st(c.map(|c| c.id.as_str()).unwrap_or("")));
    m.insert(
        "apisecret".into(),
        st(c.and_then(|c| c.key.as_ref())
            .map(Secret::expose)
            .unwrap_or("")),
    );
    m.insert(
        "username".into(),
        st(s.username.as_deref().unwrap_or_default()),
    );
    tokens_into_context(s, m, with_extras);
    let name = c.and_then(|c| c.name.clone());
    if with_extras {
        m.insert(keys::PROFILE.into(), st(&s.profile));
        m.insert(keys::PLATFORM.into(), st(s.tenant.platform.as_str()));
        m.insert(
            keys::CLIENT_NAME.into(),
            name.map(Value::String).unwrap_or(Value::Null),
        );
        let tn = &s.tenant;
        set_opt(
            m,
            keys::TENANT,
            obj(&[
                ("name", &tn.name),
                ("site_id", &tn.site_id),
                ("status", &tn.status),
                ("token_service", &tn.token_service),
                ("authenticator", &tn.authenticator),
                ("public_key", &tn.public_key),
            ]),
        );
        set_opt(
            m,
            keys::CLIENT,
            c.and_then(|c| {
                obj(&[
                    ("callback_url", &c.callback_url),
                    ("description", &c.description),
                ])
            }),
        );
    } else {
        // `current`: one flat line that the bash CLI's splitter can read. Nested values
        // (agavepy's `proxies`) are dropped, scalars of unknown keys are kept as they are.
        m.retain(|_, v| !v.is_object() && !v.is_array());
        // The bash CLI writes `devurl` back as `jq -r`'s "null" when it is missing.
        m.entry("devurl").or_insert_with(|| st(""));
        if let Some(n) = name {
            m.insert(keys::CLIENT_NAME.into(), Value::String(n));
        }
    }
}

/// Writes only the session's tokens into `m` (`access_token`, `refresh_token`, `created_at`,
/// `expires_in`, `expires_at`, all strings; with `with_extras` also the libtapis_auth expiry
/// and token keys): how a save updates another record of the same login, keeping everything
/// else the other tool wrote there.
pub(crate) fn tokens_into_context(s: &Session, m: &mut Map<String, Value>, with_extras: bool) {
    let st = |v: &str| Value::String(v.to_string());
    let t = s.tokens.as_ref();
    m.remove("token");
    m.insert(
        "access_token".into(),
        st(t.map(|t| t.access_token.expose()).unwrap_or("")),
    );
    m.insert(
        "refresh_token".into(),
        st(t.and_then(|t| t.refresh_token.as_ref())
            .map(Secret::expose)
            .unwrap_or("")),
    );
    let issued = t.and_then(|t| t.issued_at);
    let expires = t.and_then(|t| t.expires_at);
    m.insert(
        "created_at".into(),
        st(&issued.map(|i| i.0.to_string()).unwrap_or_default()),
    );
    let expires_in = match (issued, expires) {
        (Some(i), Some(e)) => e.since(i).to_string(),
        _ => String::new(),
    };
    m.insert("expires_in".into(), st(&expires_in));
    m.insert(
        "expires_at".into(),
        st(&expires.map(ctime_utc).unwrap_or_default()),
    );
    if with_extras {
        set_opt(
            m,
            keys::ACCESS_EXPIRES_AT,
            expires.map(|e| Value::from(e.0)),
        );
        set_opt(
            m,
            keys::REFRESH_EXPIRES_AT,
            t.and_then(|t| t.refresh_expires_at)
                .map(|e| Value::from(e.0)),
        );
        set_opt(
            m,
            keys::REFRESH_REJECTED_AT,
            t.and_then(|t| t.refresh_rejected_at)
                .map(|e| Value::from(e.0)),
        );
        set_opt(
            m,
            keys::TOKEN,
            t.and_then(|t| {
                obj(&[
                    ("token_type", &t.token_type),
                    ("jti", &t.jti),
                    ("scope", &t.scope),
                ])
            }),
        );
    }
}

/// `Sun Nov 22 12:11:41 UTC 2026`: the bash CLI's `date` shape, always in UTC. No reader parses
/// it; it is for humans.
pub(crate) fn ctime_utc(t: UnixTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let r = t.to_rfc3339(); // YYYY-MM-DDTHH:MM:SSZ (years beyond 9999 are not a concern)
    let (y, mo, d, hms) = (&r[0..4], &r[5..7], &r[8..10], &r[11..19]);
    let wd = DAYS[t.0.div_euclid(86_400).rem_euclid(7) as usize];
    let mo = MONTHS[mo.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
    let d = d.trim_start_matches('0');
    format!("{wd} {mo} {d} {hms} UTC {y}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Null),
            ".*".prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<i64>().prop_map(|n| Value::String(n.to_string())),
            any::<f64>().prop_map(|f| Value::String(f.to_string())),
        ]
    }

    proptest::proptest! {
        /// The cache's time fields never make a read panic or overflow, whatever their encoding;
        /// when both parse, expiry is `created_at + expires_in` (saturating).
        #[test]
        fn time_fields_never_panic(created in any_json(), ttl in any_json(), extra in any_json()) {
            let mut m = Map::new();
            m.insert("baseurl".into(), Value::from("https://api.tacc.utexas.edu/"));
            m.insert("access_token".into(), Value::from("abc123"));
            m.insert("created_at".into(), created.clone());
            m.insert("expires_in".into(), ttl.clone());
            m.insert(keys::ACCESS_EXPIRES_AT.into(), extra);
            if let Ok(Some(s)) = context_to_session("p", &m) {
                let t = s.tokens.unwrap();
                if let (Some(c), Some(e)) = (int(Some(&created)), int(Some(&ttl))) {
                    proptest::prop_assert_eq!(t.expires_at, Some(UnixTime(c).plus(e)));
                }
            }
        }
    }

    #[test]
    fn ctime_matches_the_reference() {
        // 1795324301 = 2026-11-22T05:11:41Z
        assert_eq!(
            ctime_utc(UnixTime(1795324301)),
            "Sun Nov 22 05:11:41 UTC 2026"
        );
        assert_eq!(ctime_utc(UnixTime(0)), "Thu Jan 1 00:00:00 UTC 1970");
    }

    #[test]
    fn int_accepts_every_encoding() {
        for (v, want) in [
            (serde_json::json!(14400), Some(14400)),
            (serde_json::json!("14400"), Some(14400)),
            (serde_json::json!("1569422581.75"), Some(1569422581)),
            (serde_json::json!(3600.0), Some(3600)),
            (serde_json::json!(""), None),
            (serde_json::json!(null), None),
        ] {
            assert_eq!(int(Some(&v)), want, "{v}");
        }
    }
}
