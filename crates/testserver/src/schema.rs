//! Request-body validation as the Authenticator does it with `openapi_core` against its
//! `openapi_v3.yml`: a JSON object whose listed properties, when present, are strings (no
//! numbers, booleans or `null` coerced), with the required ones present. Unknown properties are
//! allowed, as in the spec. Failures answer `400 "Invalid POST data: [...]."` (or `PUT`), the
//! shape of the real message; the text inside the brackets mimics `jsonschema`'s.

use std::collections::HashMap;

use axum::response::Response;
use serde_json::Value;

use crate::util::v3_err;

/// String fields of a validated body.
pub(crate) type Fields = HashMap<String, String>;

/// A JSON body's schema: its string properties and the required ones.
pub(crate) struct Schema {
    /// Every property typed `string`.
    pub strings: &'static [&'static str],
    /// The properties that must be present.
    pub required: &'static [&'static str],
}

/// `NewToken` (`POST /v3/oauth2/tokens`).
pub(crate) const NEW_TOKEN: Schema = Schema {
    strings: &[
        "username",
        "password",
        "client_id",
        "grant_type",
        "redirect_uri",
        "code",
        "device_code",
        "refresh_token",
    ],
    required: &[],
};
/// `NewDeviceCode` (`POST /v3/oauth2/device/code`).
pub(crate) const NEW_DEVICE_CODE: Schema = Schema {
    strings: &["client_id"],
    required: &["client_id"],
};
/// `RevokeTokenRequest` (`POST /v3/oauth2/tokens/revoke`).
pub(crate) const REVOKE: Schema = Schema {
    strings: &["token"],
    required: &[],
};
/// `NewClient` (`POST /v3/oauth2/clients`).
pub(crate) const NEW_CLIENT: Schema = Schema {
    strings: &[
        "client_id",
        "client_key",
        "callback_url",
        "display_name",
        "description",
    ],
    required: &[],
};
/// `UpdateClient` (`PUT /v3/oauth2/clients/{id}`).
pub(crate) const UPDATE_CLIENT: Schema = Schema {
    strings: &["callback_url", "display_name"],
    required: &[],
};

/// Python's `repr` of a JSON value, as `jsonschema` quotes it.
fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Validates `body` (raw JSON) against `schema`; `verb` is `POST` or `PUT` for the message.
pub(crate) fn validate(body: &[u8], schema: &Schema, verb: &str) -> Result<Fields, Response> {
    let invalid = |what: String| {
        v3_err(
            400,
            &format!("Invalid {verb} data: [<ValidationError: \"{what}\">]."),
        )
    };
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        v3_err(
            400,
            &format!("Invalid {verb} data: [MediaTypeDeserializeError: {e}]."),
        )
    })?;
    let Value::Object(m) = &v else {
        return Err(invalid(format!("{} is not of type 'object'", py_repr(&v))));
    };
    for r in schema.required {
        if !m.contains_key(*r) {
            return Err(invalid(format!("'{r}' is a required property")));
        }
    }
    let mut out = Fields::new();
    for (k, x) in m {
        if !schema.strings.contains(&k.as_str()) {
            continue;
        }
        match x {
            Value::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            other => {
                return Err(invalid(format!(
                    "{} is not of type 'string'",
                    py_repr(other)
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Response) -> String {
        let b = futures_body(r);
        let v: Value = serde_json::from_slice(&b).unwrap();
        v["message"].as_str().unwrap().to_owned()
    }

    fn futures_body(r: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            axum::body::to_bytes(r.into_body(), 1 << 20)
                .await
                .unwrap()
                .to_vec()
        })
    }

    #[test]
    fn strings_only_required_present() {
        let f = validate(
            br#"{"grant_type":"password","extra":1}"#,
            &NEW_TOKEN,
            "POST",
        )
        .unwrap();
        assert_eq!(f["grant_type"], "password");
        assert!(!f.contains_key("extra"));
        for (body, want) in [
            (
                &br#"{"grant_type":1}"#[..],
                "Invalid POST data: [<ValidationError: \"1 is not of type 'string'\">].",
            ),
            (
                br#"{"grant_type":true}"#,
                "Invalid POST data: [<ValidationError: \"True is not of type 'string'\">].",
            ),
            (
                br#"{"grant_type":null}"#,
                "Invalid POST data: [<ValidationError: \"None is not of type 'string'\">].",
            ),
            (
                br#"["password"]"#,
                "Invalid POST data: [<ValidationError: \"['password'] is not of type 'object'\">].",
            ),
        ] {
            assert_eq!(msg(validate(body, &NEW_TOKEN, "POST").unwrap_err()), want);
        }
        assert!(msg(validate(b"{}", &NEW_DEVICE_CODE, "POST").unwrap_err())
            .contains("'client_id' is a required property"));
    }
}
