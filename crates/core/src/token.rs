//! [`TokenSet`] and the expiry rules: where an absolute expiry comes from, and when a token
//! needs refreshing.
//!
//! Expiry, in order of trust:
//! 1. the JWT `exp` claim when the access token is a JWT (Tapis v3);
//! 2. otherwise `issued_at + expires_in` from the token response (Agave v2 opaque tokens);
//! 3. otherwise what a cache holds (`created_at + expires_in`, see the storage crate);
//! 4. otherwise unknown: treated as expired but refreshable.
//!
//! A token "is valid for N seconds" when `expires_at - now >= N`. Tapis allows no clock skew, so
//! [`DEFAULT_MARGIN_SECS`] is always kept in hand: a caller asking for less gets the margin.
//!
//! A token a server has just issued is not believed blindly ([`TokenSet::bounded`], applied to
//! every token response): a lifetime beyond [`MAX_ACCESS_LIFETIME_SECS`] (refresh tokens:
//! [`MAX_REFRESH_LIFETIME_SECS`]) is capped to it — `expires_in: 1e300` would otherwise make a
//! token that never expires — and an opaque access token whose expiry the server did not give
//! (`expires_in` missing, not a number, zero or negative) is taken to live
//! [`ASSUMED_LIFETIME_SECS`], instead of counting as expired and being refreshed on every
//! call.

use serde::{Deserialize, Serialize};

use crate::{JwtClaims, Secret, UnixTime};

/// The minimum validity every token handed out keeps in hand, in seconds (agavepy's and the
/// bash CLI's familiar 60 s; Tapis services allow zero clock skew).
pub const DEFAULT_MARGIN_SECS: i64 = 60;

/// The longest access-token lifetime believed from a server: one year (Tapis v3's largest
/// `max_access_token_ttl`; device-code tokens default to 30 days, Agave v2's to 4 hours).
pub const MAX_ACCESS_LIFETIME_SECS: i64 = 31_536_000;

/// The longest refresh-token lifetime believed from a server: two years (Tapis v3's largest
/// `max_refresh_token_ttl`).
pub const MAX_REFRESH_LIFETIME_SECS: i64 = 63_072_000;

/// The lifetime taken for a freshly issued access token whose expiry the server did not give:
/// one hour, the shortest Agave v2 lifetime seen (TACC's is four). The token is refreshed once
/// it is older than that (less the margin), and a service that rejects it earlier triggers the
/// usual refresh-and-retry.
pub const ASSUMED_LIFETIME_SECS: i64 = 3600;

/// An access token, its optional refresh token, and their absolute expiries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The access token (a JWT on Tapis v3, an opaque string on Agave v2).
    pub access_token: Secret,
    /// The refresh token, when the grant returned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Absolute expiry of the access token (UTC). `None`: unknown, treated as expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixTime>,
    /// When the token was issued (receipt time of the response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<UnixTime>,
    /// Absolute expiry of the refresh token, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<UnixTime>,
    /// `bearer` on Agave v2; `None` on Tapis v3 (which uses `X-Tapis-Token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Token id (`jti`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Scope, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When the server rejected this set's refresh token (`invalid_grant`: spent, revoked or
    /// expired), as recorded in the shared cache by the first process that saw it. A rejected
    /// refresh token is never sent again: every process then asks for a login at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_rejected_at: Option<UnixTime>,
}

impl TokenSet {
    /// Builds a token set from an access token received at `now`, applying the expiry rules:
    /// the JWT `exp` when present, else `now + expires_in`.
    pub fn new(
        now: UnixTime,
        access_token: Secret,
        refresh_token: Option<Secret>,
        expires_in: Option<i64>,
    ) -> Self {
        let claims = JwtClaims::decode(access_token.expose());
        let expires_at = expiry(now, claims.as_ref(), expires_in);
        Self {
            jti: claims.as_ref().and_then(|c| c.jti.clone()),
            access_token,
            refresh_expires_at: refresh_token
                .as_ref()
                .and_then(|r| JwtClaims::decode(r.expose()))
                .and_then(|c| c.expires_at()),
            refresh_token,
            expires_at,
            issued_at: Some(now),
            token_type: None,
            scope: None,
            refresh_rejected_at: None,
        }
    }

    /// The lifetime the server gave this access token, in seconds (`expires_at - issued_at`),
    /// when both are known. A caller asking for more validity than this can never be served by
    /// a refresh, so the token manager refuses such a request without spending a grant.
    pub fn lifetime(&self) -> Option<i64> {
        match (self.issued_at, self.expires_at) {
            (Some(i), Some(e)) if e > i => Some(e.since(i)),
            _ => None,
        }
    }

    /// The name of this credential state for coordinating its refresh between processes: a
    /// fingerprint (see [`Secret::fingerprint`]) of the refresh token *and* the access token.
    /// Every refresh replaces the access token, so the name changes with each refresh even on a
    /// server that does not rotate refresh tokens; two processes holding the same state get the
    /// same name, and only one of them spends it.
    pub fn generation(&self) -> String {
        let rt = self
            .refresh_token
            .as_ref()
            .map(Secret::expose)
            .unwrap_or("");
        crate::secret::fingerprint(&[
            b"tapis-auth/refresh-generation/1",
            rt.as_bytes(),
            self.access_token.expose().as_bytes(),
        ])
    }

    /// Seconds of validity left at `now`; `None` when the expiry is unknown.
    pub fn remaining(&self, now: UnixTime) -> Option<i64> {
        self.expires_at.map(|e| e.since(now))
    }

    /// True when the access token stays valid for at least `secs` more seconds.
    pub fn is_valid_for(&self, now: UnixTime, secs: i64) -> bool {
        matches!(self.remaining(now), Some(r) if r >= secs)
    }

    /// True when the token must be refreshed before use by a caller that needs it valid for
    /// `min_valid` more seconds. The [`DEFAULT_MARGIN_SECS`] is always kept in hand.
    pub fn needs_refresh(&self, now: UnixTime, min_valid: i64) -> bool {
        !self.is_valid_for(now, min_valid.max(DEFAULT_MARGIN_SECS))
    }

    /// Applies the rules for tokens a server has just issued at `now` (see the module
    /// documentation): expiries beyond `now` + [`MAX_ACCESS_LIFETIME_SECS`] /
    /// [`MAX_REFRESH_LIFETIME_SECS`] are capped to them, and an unknown access-token expiry
    /// becomes `now` + [`ASSUMED_LIFETIME_SECS`].
    pub fn bounded(mut self, now: UnixTime) -> Self {
        let cap = |at: UnixTime, max: i64| at.min(now.plus(max));
        self.expires_at = Some(match self.expires_at {
            Some(at) => cap(at, MAX_ACCESS_LIFETIME_SECS),
            None => now.plus(ASSUMED_LIFETIME_SECS),
        });
        self.refresh_expires_at = self
            .refresh_expires_at
            .map(|at| cap(at, MAX_REFRESH_LIFETIME_SECS));
        self
    }

    /// True when a refresh token is present and, as far as is known, not expired, and the
    /// server has not rejected it ([`refresh_rejected_at`](Self::refresh_rejected_at)).
    pub fn can_refresh(&self, now: UnixTime) -> bool {
        if self.refresh_rejected_at.is_some() {
            return false;
        }
        match (&self.refresh_token, self.refresh_expires_at) {
            (Some(r), Some(exp)) => !r.is_empty() && exp > now,
            (Some(r), None) => !r.is_empty(),
            _ => false,
        }
    }
}

/// The expiry rule: JWT `exp`, else `now + expires_in`, else unknown.
pub fn expiry(
    now: UnixTime,
    claims: Option<&JwtClaims>,
    expires_in: Option<i64>,
) -> Option<UnixTime> {
    claims
        .and_then(JwtClaims::expires_at)
        .or_else(|| expires_in.map(|s| now.plus(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(exp: i64) -> String {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("h.{}.s", e.encode(format!(r#"{{"exp":{exp},"jti":"j1"}}"#)))
    }

    #[test]
    fn jwt_exp_wins_over_expires_in() {
        let t = TokenSet::new(UnixTime(1000), Secret::new(jwt(5000)), None, Some(14400));
        assert_eq!(t.expires_at, Some(UnixTime(5000)));
        assert_eq!(t.jti.as_deref(), Some("j1"));
    }

    #[test]
    fn opaque_token_uses_expires_in() {
        let t = TokenSet::new(UnixTime(1000), Secret::new("abc123"), None, Some(14400));
        assert_eq!(t.expires_at, Some(UnixTime(15400)));
        let u = TokenSet::new(UnixTime(1000), Secret::new("abc123"), None, None);
        assert_eq!(u.expires_at, None);
        assert!(
            u.needs_refresh(UnixTime(0), 0),
            "unknown expiry counts as expired"
        );
    }

    #[test]
    fn margin_and_min_valid() {
        let t = TokenSet::new(UnixTime(0), Secret::new("x"), None, Some(1000));
        assert!(!t.needs_refresh(UnixTime(900), 0)); // 100 s left > 60 s margin
        assert!(t.needs_refresh(UnixTime(950), 0)); // 50 s left < margin
        assert!(t.needs_refresh(UnixTime(500), 600)); // caller wants 600 s, 500 left
        assert!(!t.needs_refresh(UnixTime(300), 600));
        assert!(t.needs_refresh(UnixTime(2000), -5));
    }

    #[test]
    fn absurd_lifetimes_are_capped_and_a_missing_one_assumed() {
        let now = UnixTime(1000);
        let t = TokenSet::new(
            now,
            Secret::new("x"),
            Some(Secret::new("r")),
            Some(i64::MAX),
        );
        assert_eq!(
            t.expires_at,
            Some(UnixTime(i64::MAX)),
            "new() keeps what it is told"
        );
        let mut t = t.bounded(now);
        assert_eq!(t.expires_at, Some(now.plus(MAX_ACCESS_LIFETIME_SECS)));
        t.refresh_expires_at = Some(UnixTime(i64::MAX));
        assert_eq!(
            t.bounded(now).refresh_expires_at,
            Some(now.plus(MAX_REFRESH_LIFETIME_SECS))
        );
        let jwt_forever = TokenSet::new(now, Secret::new(jwt(i64::MAX)), None, None).bounded(now);
        assert_eq!(
            jwt_forever.expires_at,
            Some(now.plus(MAX_ACCESS_LIFETIME_SECS))
        );
        let unknown = TokenSet::new(now, Secret::new("opaque"), None, None).bounded(now);
        assert_eq!(unknown.expires_at, Some(now.plus(ASSUMED_LIFETIME_SECS)));
        assert!(!unknown.needs_refresh(now, 0));
        let ordinary = TokenSet::new(now, Secret::new("x"), None, Some(14_400)).bounded(now);
        assert_eq!(ordinary.expires_at, Some(UnixTime(15_400)), "left alone");
    }

    proptest::proptest! {
        #[test]
        fn expiry_arithmetic_never_overflows(now in proptest::num::i64::ANY, ttl in proptest::num::i64::ANY, min in proptest::num::i64::ANY) {
            let t = TokenSet::new(UnixTime(now), Secret::new("x"), None, Some(ttl));
            let _ = t.needs_refresh(UnixTime(now), min);
            let _ = t.remaining(UnixTime(i64::MIN));
        }
    }
}
