//! [`EnvStore`]: a read-only session built from environment variables (the agavepy "profiles").
//!
//! # Variables
//! | meaning | read (agavepy code name first) | Session field |
//! |---|---|---|
//! | base URL (required) | `TAPIS_BASE_URL` | `tenant.base_url` |
//! | access token | `TAPIS_TOKEN`, alias `TAPIS_API_TOKEN` | `tokens.access_token` |
//! | refresh token | `TAPIS_REFRESH_TOKEN`, alias `TAPIS_API_REFRESH_TOKEN` | `tokens.refresh_token` |
//! | client id | `TAPIS_CLIENT_ID`, alias `TAPIS_API_KEY` | `client.id` |
//! | client key | `TAPIS_CLIENT_KEY`, alias `TAPIS_API_SECRET` | `client.key` |
//! | username | `TAPIS_USERNAME`, alias `TAPIS_API_USERNAME` | `username` |
//! | password | `TAPIS_PASSWORD`, alias `TAPIS_API_PASSWORD` | `password` (memory only) |
//! | tenant id | `TAPIS_TENANT_ID` (else the JWT's `tapis/tenant_id`) | `tenant.id` |
//! | platform | `TAPIS_PLATFORM` = `v3`/`v2` (also `tapis`/`agave`) | `tenant.platform` |
//!
//! - An empty value counts as unset. When both spellings of one meaning are set to *different*
//!   values the store fails with a conflict error naming both variables (values never printed);
//!   equal values are fine.
//! - Platform: `TAPIS_PLATFORM`, else `*.tapis.io` ⇒ v3, else an access or refresh token that is
//!   a JWT ⇒ v3, else Agave v2.
//! - The [`EnvProfile`] is decided by the full set of variables present (unlike agavepy, where
//!   `TAPIS_BASE_URL` + `TAPIS_TOKEN` wins over everything): with client id + key + refresh
//!   token the session can refresh.
//! - The store is read-only ([`Store::is_writable`] is false, `save` fails with
//!   [`StoreError::ReadOnly`]): tokens refreshed by the token manager stay in that process's
//!   memory and are never written back to the environment or anywhere else. A job wrapper that
//!   needs them must take them from the token-changed event.
//! - `.env` files are never loaded.
//!
//! # WLCG bearer-token discovery (opt-in)
//! [`EnvStore::with_wlcg_discovery`] adds the WLCG Bearer Token Discovery order as the access
//! token source when no `TAPIS_TOKEN` is set: `BEARER_TOKEN`, then the file named by
//! `BEARER_TOKEN_FILE`, then `$XDG_RUNTIME_DIR/bt_u<euid>`, then `/tmp/bt_u<euid>`; whitespace is
//! trimmed, an empty value moves on to the next step, a value with inner whitespace or over
//! 16 KiB is an error. It is off by default because those files usually hold tokens for other
//! services.

use std::collections::HashMap;
use std::path::PathBuf;

use tapis_auth_core::{
    BaseUrl, JwtClaims, OAuthClient, Platform, Secret, Session, Store, StoreError, StoreLock,
    Tenant, TokenSet, UnixTime, DEFAULT_PROFILE,
};

/// What to set for the environment store to hold a session, for messages shown when it holds
/// none (it never says "log in": a login cannot be saved in the environment).
pub const VARIABLES_NEEDED: &str = "set TAPIS_BASE_URL and TAPIS_TOKEN (an access token); to \
renew it, also TAPIS_REFRESH_TOKEN with TAPIS_CLIENT_ID and TAPIS_CLIENT_KEY, or TAPIS_USERNAME \
and TAPIS_PASSWORD (Agave v2 also needs TAPIS_CLIENT_ID and TAPIS_CLIENT_KEY). On a machine \
where you are logged in, `eval \"$(tapis-auth env)\"` sets the first two";

/// The six documented agavepy environment profiles, plus any other combination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvProfile {
    /// Base URL, client id + key, username + password: password grant, then refresh.
    /// (Token-Generator uses the same variables.)
    Standard,
    /// Base URL and an access token: use it until it expires.
    AccessOnly,
    /// Base URL, client id + key, access and refresh token: refresh with the client.
    TokenRefresh,
    /// Base URL, access and refresh token, no client: cannot refresh (`/token` needs the client).
    BareRefresh,
    /// Base URL, username + password, no client: manage OAuth clients.
    ClientManager,
    /// Any other combination (described by the session's fields).
    Other,
}

/// A read-only store whose single session comes from environment variables.
pub struct EnvStore {
    profile: String,
    session: Option<Session>,
    kind: Option<EnvProfile>,
}

impl std::fmt::Debug for EnvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvStore")
            .field("profile", &self.profile)
            .field("kind", &self.kind)
            .finish()
    }
}

/// Access token, refresh token, client id, client key, username, password: (code name, alias).
const PAIRS: [(&str, &str); 6] = [
    ("TAPIS_TOKEN", "TAPIS_API_TOKEN"),
    ("TAPIS_REFRESH_TOKEN", "TAPIS_API_REFRESH_TOKEN"),
    ("TAPIS_CLIENT_ID", "TAPIS_API_KEY"),
    ("TAPIS_CLIENT_KEY", "TAPIS_API_SECRET"),
    ("TAPIS_USERNAME", "TAPIS_API_USERNAME"),
    ("TAPIS_PASSWORD", "TAPIS_API_PASSWORD"),
];

/// Options for [`EnvStore::build`].
#[derive(Clone, Debug, Default)]
pub struct EnvOptions {
    /// Profile name the session is listed under (default [`DEFAULT_PROFILE`]).
    pub profile: Option<String>,
    /// Use WLCG bearer-token discovery for the access token when no token variable is set.
    pub wlcg_discovery: bool,
    /// The effective uid for `bt_u<uid>` (default: `geteuid()`).
    pub euid: Option<u32>,
}

impl EnvStore {
    /// From the process environment (read once, now).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        Self::build(&lookup, EnvOptions::default())
    }

    /// From a snapshot map (tests, or a caller-filtered environment).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, StoreError> {
        Self::build(&|k| vars.get(k).cloned(), EnvOptions::default())
    }

    /// Like [`EnvStore::from_env`] with WLCG bearer-token discovery switched on.
    pub fn with_wlcg_discovery(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, StoreError> {
        Self::build(
            &lookup,
            EnvOptions {
                wlcg_discovery: true,
                ..Default::default()
            },
        )
    }

    /// Builds the store from a variable lookup.
    pub fn build(
        lookup: &dyn Fn(&str) -> Option<String>,
        options: EnvOptions,
    ) -> Result<Self, StoreError> {
        let profile = options
            .profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_string());
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let mut vals: [Option<String>; 6] = Default::default();
        for (i, (a, b)) in PAIRS.iter().enumerate() {
            vals[i] = match (get(a), get(b)) {
                (Some(x), Some(y)) if x != y => {
                    return Err(StoreError::Config(format!(
                        "both {a} and {b} are set, to different values; unset one of them"
                    )))
                }
                (Some(x), _) | (None, Some(x)) => Some(x),
                (None, None) => None,
            };
        }
        let [mut token, refresh, client_id, client_key, username, password] = vals;
        if token.is_none() && options.wlcg_discovery {
            token = wlcg_discover(lookup, options.euid)?;
        }
        let Some(url) = get("TAPIS_BASE_URL") else {
            if let Some((name, _)) = PAIRS
                .iter()
                .find(|(a, b)| get(a).is_some() || get(b).is_some())
            {
                return Err(StoreError::Config(format!(
                    "{name} (or its alias) is set but TAPIS_BASE_URL is not; set TAPIS_BASE_URL to the tenant's URL"
                )));
            }
            return Ok(Self {
                profile,
                session: None,
                kind: None,
            });
        };
        let base_url =
            BaseUrl::parse(&url).map_err(|e| StoreError::Config(format!("TAPIS_BASE_URL: {e}")))?;
        let claims = token
            .as_deref()
            .and_then(JwtClaims::decode)
            .or_else(|| refresh.as_deref().and_then(JwtClaims::decode));
        let platform = match get("TAPIS_PLATFORM") {
            Some(p) => Platform::parse(&p)
                .map_err(|e| StoreError::Config(format!("TAPIS_PLATFORM: {e}")))?,
            None => Platform::guess_from_url(&base_url).unwrap_or_else(|| {
                if claims.is_some() {
                    Platform::TapisV3
                } else {
                    if token.is_none() && refresh.is_none() {
                        tracing::debug!(
                            "TAPIS_BASE_URL {base_url} is not a *.tapis.io URL and no token says \
                             which platform it is: taken as Agave v2 (TAPIS_PLATFORM=v3 says otherwise)"
                        );
                    }
                    Platform::AgaveV2
                }
            }),
        };
        let mut tenant = Tenant::new(base_url, platform);
        tenant.id =
            get("TAPIS_TENANT_ID").or_else(|| claims.as_ref().and_then(|c| c.tenant_id.clone()));
        let mut s = Session::new(profile.clone(), tenant);
        s.username = username.clone();
        s.password = password.clone().map(Secret::new);
        if let Some(id) = client_id.clone() {
            let mut c = OAuthClient::public(id);
            c.key = client_key.clone().map(Secret::new);
            s.client = Some(c);
        }
        if token.is_some() || refresh.is_some() {
            let now = UnixTime(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0),
            );
            let mut t = TokenSet::new(
                now,
                Secret::new(token.clone().unwrap_or_default()),
                refresh.clone().map(Secret::new),
                None,
            );
            t.issued_at = None; // unknown: the token was made elsewhere
            s.tokens = Some(t);
        }
        let has = |o: &Option<String>| o.is_some();
        let client = has(&client_id) && has(&client_key);
        let user = has(&username) && has(&password);
        let kind = match (client, user, has(&token), has(&refresh)) {
            (true, true, false, false) => EnvProfile::Standard,
            (false, false, true, false) if !has(&client_id) => EnvProfile::AccessOnly,
            (true, false, true, true) => EnvProfile::TokenRefresh,
            (false, false, true, true) if !has(&client_id) => EnvProfile::BareRefresh,
            (false, true, false, false) if !has(&client_id) => EnvProfile::ClientManager,
            _ => EnvProfile::Other,
        };
        Ok(Self {
            profile,
            session: Some(s),
            kind: Some(kind),
        })
    }

    /// Which profile the variables describe; `None` when `TAPIS_BASE_URL` is unset.
    pub fn profile_kind(&self) -> Option<EnvProfile> {
        self.kind
    }

    /// The session, when the environment describes one (password included, in memory).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }
}

/// Largest bearer-token file read (tokens are limited to 16 KiB; whitespace around them aside).
const BEARER_FILE_MAX_BYTES: u64 = 64 * 1024;

/// WLCG Bearer Token Discovery: `BEARER_TOKEN`, `BEARER_TOKEN_FILE`,
/// `$XDG_RUNTIME_DIR/bt_u<euid>`, `/tmp/bt_u<euid>`. Each file must be a regular file owned by
/// the user and not writable by others (it is not followed if it is a symbolic link): a
/// file another user planted is refused with [`StoreError::Unsafe`].
pub fn wlcg_discover(
    lookup: &dyn Fn(&str) -> Option<String>,
    euid: Option<u32>,
) -> Result<Option<String>, StoreError> {
    let euid = euid.unwrap_or_else(|| rustix::process::geteuid().as_raw());
    let check = |value: &str, source: &str| -> Result<Option<String>, StoreError> {
        let v = value.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
        if v.is_empty() {
            return Ok(None);
        }
        if v.len() > 16 * 1024 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(StoreError::Config(format!(
                "the bearer token from {source} is not a valid token (too long or contains whitespace)"
            )));
        }
        Ok(Some(v.to_string()))
    };
    if let Some(t) = lookup("BEARER_TOKEN") {
        if let Some(t) = check(&t, "BEARER_TOKEN")? {
            return Ok(Some(t));
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(f) = lookup("BEARER_TOKEN_FILE") {
        files.push(f.into());
    }
    if let Some(d) = lookup("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(d).join(format!("bt_u{euid}")));
    }
    files.push(PathBuf::from(format!("/tmp/bt_u{euid}")));
    for f in files {
        // Safely: `/tmp/bt_u<uid>` is a name any user can create first (a token of theirs
        // would send your work to their account), a FIFO would hang the read.
        if let Some(b) = crate::fsutil::read_small(&f, BEARER_FILE_MAX_BYTES)? {
            let text = std::str::from_utf8(&b).map_err(|_| {
                StoreError::Config(format!(
                    "the bearer token file {} is not UTF-8",
                    f.display()
                ))
            })?;
            if let Some(t) = check(text, &f.display().to_string())? {
                return Ok(Some(t));
            }
        }
    }
    Ok(None)
}

impl Store for EnvStore {
    fn load(&self, profile: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.session.clone().filter(|_| profile == self.profile))
    }
    fn save(&self, _session: &Session) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly(self.describe()))
    }
    fn delete(&self, _profile: &str) -> Result<bool, StoreError> {
        Err(StoreError::ReadOnly(self.describe()))
    }
    fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.session.iter().map(|_| self.profile.clone()).collect())
    }
    fn lock(&self, _profile: &str) -> Result<StoreLock, StoreError> {
        Ok(StoreLock::none())
    }
    fn current_profile(&self) -> Result<Option<String>, StoreError> {
        Ok(self.session.as_ref().map(|_| self.profile.clone()))
    }
    fn is_writable(&self) -> bool {
        false
    }
    fn describe(&self) -> String {
        "environment".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(vars: &[(&str, &str)]) -> Result<EnvStore, StoreError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnvStore::from_map(&m)
    }

    const URL: (&str, &str) = ("TAPIS_BASE_URL", "https://api.tacc.utexas.edu");

    #[test]
    fn the_six_profiles() {
        let cases: [(&[(&str, &str)], EnvProfile); 6] = [
            (
                &[
                    URL,
                    ("TAPIS_API_KEY", "k"),
                    ("TAPIS_API_SECRET", "s"),
                    ("TAPIS_USERNAME", "u"),
                    ("TAPIS_PASSWORD", "p"),
                ],
                EnvProfile::Standard,
            ),
            (&[URL, ("TAPIS_TOKEN", "t")], EnvProfile::AccessOnly),
            (
                &[
                    URL,
                    ("TAPIS_API_KEY", "k"),
                    ("TAPIS_API_SECRET", "s"),
                    ("TAPIS_TOKEN", "t"),
                    ("TAPIS_REFRESH_TOKEN", "r"),
                ],
                EnvProfile::TokenRefresh,
            ),
            (
                &[
                    URL,
                    ("TAPIS_API_TOKEN", "t"),
                    ("TAPIS_API_REFRESH_TOKEN", "r"),
                ],
                EnvProfile::BareRefresh,
            ),
            (
                &[
                    URL,
                    ("TAPIS_API_USERNAME", "u"),
                    ("TAPIS_API_PASSWORD", "p"),
                ],
                EnvProfile::ClientManager,
            ),
            (
                &[
                    URL,
                    ("TAPIS_CLIENT_ID", "k"),
                    ("TAPIS_CLIENT_KEY", "s"),
                    ("TAPIS_API_USERNAME", "u"),
                    ("TAPIS_API_PASSWORD", "p"),
                ],
                EnvProfile::Standard, // Token-Generator: same variables
            ),
        ];
        for (vars, want) in cases {
            let s = store(vars).unwrap();
            assert_eq!(s.profile_kind(), Some(want), "{vars:?}");
            let sess = s.load(DEFAULT_PROFILE).unwrap().unwrap();
            assert_eq!(sess.platform(), Platform::AgaveV2);
            assert!(!s.is_writable());
            assert!(matches!(s.save(&sess), Err(StoreError::ReadOnly(_))));
        }
        let s = store(&[
            URL,
            ("TAPIS_API_KEY", "k"),
            ("TAPIS_API_SECRET", "s"),
            ("TAPIS_TOKEN", "t"),
            ("TAPIS_REFRESH_TOKEN", "r"),
            ("TAPIS_PASSWORD", "pw"),
            ("TAPIS_USERNAME", "u"),
        ])
        .unwrap();
        let sess = s.session().unwrap();
        assert_eq!(
            sess.client.as_ref().unwrap().key.as_ref().unwrap().expose(),
            "s"
        );
        assert_eq!(sess.password.as_ref().unwrap().expose(), "pw");
        assert_eq!(
            sess.tokens
                .as_ref()
                .unwrap()
                .refresh_token
                .as_ref()
                .unwrap()
                .expose(),
            "r"
        );
    }

    #[test]
    fn conflicts_name_both_variables_without_values() {
        let e = store(&[
            URL,
            ("TAPIS_TOKEN", "secret-one"),
            ("TAPIS_API_TOKEN", "secret-two"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("TAPIS_TOKEN") && e.contains("TAPIS_API_TOKEN"),
            "{e}"
        );
        assert!(
            !e.contains("secret-one") && !e.contains("secret-two"),
            "{e}"
        );
        let e = store(&[URL, ("TAPIS_API_KEY", "a"), ("TAPIS_CLIENT_ID", "b")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("TAPIS_CLIENT_ID") && e.contains("TAPIS_API_KEY"),
            "{e}"
        );
        // Same value under both names is fine.
        store(&[URL, ("TAPIS_TOKEN", "x"), ("TAPIS_API_TOKEN", "x")]).unwrap();
    }

    #[test]
    fn platform_detection_and_missing_url() {
        use base64::Engine;
        let jwt = format!(
            "h.{}.s",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(r#"{"exp":1900000000,"tapis/tenant_id":"tacc"}"#)
        );
        let s = store(&[
            ("TAPIS_BASE_URL", "https://tacc.tapis.io"),
            ("TAPIS_TOKEN", "t"),
        ])
        .unwrap();
        assert_eq!(s.session().unwrap().platform(), Platform::TapisV3);
        let s = store(&[
            ("TAPIS_BASE_URL", "https://example.org"),
            ("TAPIS_TOKEN", &jwt),
        ])
        .unwrap();
        let sess = s.session().unwrap();
        assert_eq!(sess.platform(), Platform::TapisV3);
        assert_eq!(sess.tenant.id.as_deref(), Some("tacc"));
        assert_eq!(
            sess.tokens.as_ref().unwrap().expires_at,
            Some(UnixTime(1_900_000_000))
        );
        let s = store(&[
            ("TAPIS_BASE_URL", "https://tacc.tapis.io"),
            ("TAPIS_PLATFORM", "v2"),
        ])
        .unwrap();
        assert_eq!(s.session().unwrap().platform(), Platform::AgaveV2);
        assert!(store(&[("TAPIS_BASE_URL", "https://x"), ("TAPIS_PLATFORM", "v9")]).is_err());
        let e = store(&[("TAPIS_TOKEN", "t")]).unwrap_err().to_string();
        assert!(e.contains("TAPIS_BASE_URL"), "{e}");
        let empty = store(&[]).unwrap();
        assert_eq!(empty.list().unwrap(), Vec::<String>::new());
        assert_eq!(empty.load(DEFAULT_PROFILE).unwrap(), None);
        assert!(!format!("{s:?}").contains("TAPIS"));
    }

    #[test]
    fn wrong_variables_are_configuration_errors_not_bad_records() {
        // A mistyped variable is the user's setting to fix (C: TAPIS_AUTH_ERR_CONFIG), not a
        // stored record gone bad (C: TAPIS_AUTH_ERR_INVALID_RECORD).
        for vars in [
            &[("TAPIS_BASE_URL", "not a url"), ("TAPIS_TOKEN", "t")][..],
            &[("TAPIS_BASE_URL", "https://x"), ("TAPIS_PLATFORM", "v9")][..],
            &[("TAPIS_TOKEN", "t")][..],
            &[URL, ("TAPIS_TOKEN", "a"), ("TAPIS_API_TOKEN", "b")][..],
        ] {
            let e = store(vars).unwrap_err();
            assert!(matches!(e, StoreError::Config(_)), "{vars:?}: {e:?}");
        }
        assert!(matches!(
            crate::StoreKind::parse("jsno"),
            Err(StoreError::Config(_))
        ));
        assert!(matches!(
            crate::validate_profile(""),
            Err(StoreError::Config(_))
        ));
    }

    #[test]
    fn wlcg_discovery_order() {
        let d = tempfile::tempdir().unwrap();
        let xdg = d.path().to_string_lossy().into_owned();
        std::fs::write(d.path().join("bt_u4242"), "  xdg-token \n").unwrap();
        let file = d.path().join("f");
        std::fs::write(&file, "\n").unwrap(); // empty: go on
        let f = file.to_string_lossy().into_owned();
        let look = |m: Vec<(&'static str, String)>| {
            move |k: &str| m.iter().find(|(n, _)| *n == k).map(|x| x.1.clone())
        };
        assert_eq!(
            wlcg_discover(
                &look(vec![
                    ("BEARER_TOKEN", "bt".into()),
                    ("XDG_RUNTIME_DIR", xdg.clone())
                ]),
                Some(4242)
            )
            .unwrap()
            .as_deref(),
            Some("bt")
        );
        assert_eq!(
            wlcg_discover(
                &look(vec![
                    ("BEARER_TOKEN_FILE", f.clone()),
                    ("XDG_RUNTIME_DIR", xdg.clone())
                ]),
                Some(4242)
            )
            .unwrap()
            .as_deref(),
            Some("xdg-token")
        );
        assert!(wlcg_discover(&look(vec![("BEARER_TOKEN", "a b".into())]), Some(4242)).is_err());
        // Off unless asked.
        let s = EnvStore::from_env(look(vec![
            ("TAPIS_BASE_URL", "https://tacc.tapis.io".into()),
            ("BEARER_TOKEN", "bt".into()),
        ]))
        .unwrap();
        assert!(s.session().unwrap().tokens.is_none());
        let s = EnvStore::with_wlcg_discovery(look(vec![
            ("TAPIS_BASE_URL", "https://tacc.tapis.io".into()),
            ("BEARER_TOKEN", "bt".into()),
        ]))
        .unwrap();
        assert_eq!(
            s.session()
                .unwrap()
                .tokens
                .as_ref()
                .unwrap()
                .access_token
                .expose(),
            "bt"
        );
    }
}
