//! Unverified JWT claims. libtapis_auth reads the payload of a Tapis access token only to learn
//! its expiry (`exp`) and who it belongs to; it never trusts these claims for authorization, so no
//! signature check is done here (the services verify the signature).

use base64::Engine;
use serde::Deserialize;

use crate::UnixTime;

/// The claims of a Tapis token that the library uses. Unknown claims are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct JwtClaims {
    /// Expiry, seconds since the epoch.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub exp: Option<i64>,
    /// Issued-at, seconds since the epoch (absent on normal Tapis tokens).
    #[serde(default, deserialize_with = "lenient_i64")]
    pub iat: Option<i64>,
    /// Token id.
    #[serde(default)]
    pub jti: Option<String>,
    /// Subject, `user@tenant`.
    #[serde(default)]
    pub sub: Option<String>,
    /// Issuer (the tenant's Tokens service URL).
    #[serde(default)]
    pub iss: Option<String>,
    /// `tapis/username`.
    #[serde(default, rename = "tapis/username")]
    pub username: Option<String>,
    /// `tapis/tenant_id`.
    #[serde(default, rename = "tapis/tenant_id")]
    pub tenant_id: Option<String>,
    /// `tapis/client_id`.
    #[serde(default, rename = "tapis/client_id")]
    pub client_id: Option<String>,
    /// `tapis/token_type`: `access` or `refresh`.
    #[serde(default, rename = "tapis/token_type")]
    pub token_type: Option<String>,
    /// `tapis/grant_type`.
    #[serde(default, rename = "tapis/grant_type")]
    pub grant_type: Option<String>,
}

fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    })
}

impl JwtClaims {
    /// Decodes the payload of a compact JWT (`header.payload.signature`) without verifying it.
    /// Returns `None` for anything that is not a JWT with a JSON object payload (Agave v2
    /// tokens are opaque hex strings and give `None`).
    pub fn decode(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let (_h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || p.is_empty() || p.len() > 64 * 1024 {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p.trim_end_matches('='))
            .ok()?;
        // serde would also read a struct from a JSON array; a JWT payload must be an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return None;
        }
        serde_json::from_slice::<Self>(&bytes).ok()
    }

    /// The `exp` claim as a [`UnixTime`].
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.exp.map(UnixTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an unsigned JWT with the given payload (tests only).
    pub(crate) fn fake_jwt(payload: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            e.encode(r#"{"typ":"JWT","alg":"RS256"}"#),
            e.encode(payload)
        )
    }

    #[test]
    fn decodes_the_documented_tapis_claims() {
        let t = fake_jwt(
            r#"{"jti":"f7b9b19e-6099-4f82-a722-b610c5d0ba0c","iss":"https://tacc.tapis.io/v3/tokens","sub":"apitest@tacc","tapis/tenant_id":"tacc","tapis/token_type":"access","tapis/delegation":false,"tapis/delegation_sub":null,"tapis/username":"apitest","tapis/account_type":"user","exp":1595099456,"tapis/client_id":null,"tapis/grant_type":"password"}"#,
        );
        let c = JwtClaims::decode(&t).unwrap();
        assert_eq!(c.exp, Some(1_595_099_456));
        assert_eq!(c.username.as_deref(), Some("apitest"));
        assert_eq!(c.tenant_id.as_deref(), Some("tacc"));
        assert_eq!(c.client_id, None);
        assert_eq!(c.grant_type.as_deref(), Some("password"));
    }

    #[test]
    fn opaque_tokens_are_not_jwts() {
        assert!(JwtClaims::decode("abc1236eb2c917a4c5796eb1cc2c6f").is_none());
        assert!(JwtClaims::decode("a.b.c.d").is_none());
        assert!(JwtClaims::decode(&fake_jwt("[1,2]")).is_none());
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(s in ".*") { let _ = JwtClaims::decode(&s); }
        #[test]
        fn decode_never_panics_on_jwt_like(p in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let _ = JwtClaims::decode(&format!("x.{}.y", e.encode(&p)));
        }
    }
}
