//! Which record in `~/.agave` belongs to which profile.
//!
//! Three kinds of record hold a login (a base URL, a user and a client id):
//!
//! | record | written by |
//! |---|---|
//! | a slot of `config.json` `sessions[tenant][user][client]` | agavepy 1.0 / tapis-cli (keyed by client name, else api key), agavepy 0.9.5 `save_configs` (keyed by client name), libtapis_auth |
//! | the entry of `config.json`'s top-level `current` (`{<client name>: <context>}`) | agavepy 0.9.5 `save_configs`, read by its `load_configs` and by the bash CLI's python session commands |
//! | the `current` file | the bash CLI, agavepy (classic and 1.0), tapis-cli, libtapis_auth |
//!
//! **One login is one profile.** A slot stamped with `tapis_profile` (or, when another tool
//! rewrote it without the stamp, claimed in `tapis_auth.slots`) belongs to that profile. Every
//! other record holding the same login is a *view* of that profile: its tokens are adopted when
//! newer, and a save writes the new tokens into it, so no copy of a spent refresh token is left
//! behind. A login no slot holds is its own profile: an unclaimed slot is
//! `agavepy:<tenant>/<user>/<client>` (its keys), the `config.json` `current` entry is named
//! after the slot agavepy 0.9.5 moves it to on its next save, and a login only the `current`
//! file holds is [`DEFAULT_PROFILE`] (or `agave-current` when that name is taken).

use serde_json::{Map, Value};
use tapis_auth_core::{BaseUrl, Session, DEFAULT_PROFILE};

use crate::agave::{self, keys};

/// The top-level key of agavepy 0.9.5's current-session entry in `config.json`.
pub(crate) const LEGACY_CURRENT: &str = "current";
/// The prefix of the profile names of records another tool wrote.
pub(crate) const FOREIGN_PREFIX: &str = "agavepy:";
/// The name of a login only the `current` file holds when [`DEFAULT_PROFILE`] is taken.
pub(crate) const FILE_ONLY_FALLBACK: &str = "agave-current";

/// What identifies a login across tools: the base URL, the user and the client id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Login {
    base_url: BaseUrl,
    username: Option<String>,
    client_id: Option<String>,
}

impl Login {
    /// The login a cache record holds (`None` without a usable base URL).
    pub(crate) fn of_context(m: &Map<String, Value>) -> Option<Self> {
        let url = agave::text(m, &["baseurl", "api_server"])?;
        Some(Self {
            base_url: BaseUrl::parse(&url).ok()?,
            username: agave::text(m, &["username"]),
            client_id: agave::text(m, &["apikey", "api_key"]),
        })
    }

    /// The login of a session.
    pub(crate) fn of_session(s: &Session) -> Self {
        Self {
            base_url: s.tenant.base_url.clone(),
            username: s.username.clone(),
            client_id: s.client.as_ref().map(|c| c.id.clone()),
        }
    }
}

/// Where a record lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// `config.json` `sessions[tenant][user][client]`.
    Slot(String, String, String),
    /// `config.json` `current[<name>]` (agavepy 0.9.5).
    Legacy(String),
    /// The `current` file.
    File,
}

/// One record and the profile it belongs to.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    /// Where it is.
    pub place: Place,
    /// Its context object.
    pub ctx: &'a Map<String, Value>,
    /// The profile it belongs to.
    pub profile: String,
    /// Whether it is the profile's own record (else a view of it).
    pub primary: bool,
    /// Whether a libtapis_auth profile stamped or claimed it (else another tool wrote it).
    pub owned: bool,
}

/// Every record of a cache directory, each assigned to its profile.
pub(crate) struct Layout<'a> {
    records: Vec<Record<'a>>,
    /// `tapis_auth`, where the refresh-token histories are.
    meta: Option<&'a Map<String, Value>>,
}

/// The claimed slot keys of `tapis_auth.slots` (`{"<profile>": [tenant, user, client]}`).
fn claims(meta: Option<&Map<String, Value>>) -> Vec<(String, [String; 3])> {
    let Some(Value::Object(m)) = meta.and_then(|m| m.get("slots")) else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(p, v)| {
            let a = v.as_array()?;
            let s = |i: usize| a.get(i)?.as_str().map(str::to_owned);
            Some((p.clone(), [s(0)?, s(1)?, s(2)?]))
        })
        .collect()
}

/// Every `sessions` slot: (tenant key, user key, client key, context).
pub(crate) fn slots(
    root: &Map<String, Value>,
) -> impl Iterator<Item = (&str, &str, &str, &Map<String, Value>)> {
    root.get("sessions")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|t| t.iter())
        .filter_map(|(tk, u)| u.as_object().map(|u| (tk.as_str(), u)))
        .flat_map(|(tk, u)| {
            u.iter()
                .filter_map(move |(uk, c)| c.as_object().map(|c| (tk, uk.as_str(), c)))
        })
        .flat_map(|(tk, uk, c)| {
            c.iter()
                .filter_map(move |(ck, ctx)| ctx.as_object().map(|x| (tk, uk, ck.as_str(), x)))
        })
}

/// agavepy 0.9.5's current entry: (client name, context), the first of `current`.
pub(crate) fn legacy_entry(root: &Map<String, Value>) -> Option<(&str, &Map<String, Value>)> {
    let (name, ctx) = root.get(LEGACY_CURRENT)?.as_object()?.iter().next()?;
    Some((name.as_str(), ctx.as_object()?))
}

/// The profile name of a record another tool wrote at `sessions[tk][uk][ck]`.
pub(crate) fn foreign_profile(tk: &str, uk: &str, ck: &str) -> String {
    format!("{FOREIGN_PREFIX}{tk}/{uk}/{ck}")
}

/// Where agavepy 0.9.5 moves its current entry on its next `save_configs`:
/// `sessions[<tenantid>][<username>][<name>]`.
pub(crate) fn legacy_destination(ctx: &Map<String, Value>) -> (String, String) {
    let s = |k: &str| match ctx.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "null".to_owned(),
        Some(v) => v.to_string(),
    };
    (s("tenantid"), s("username"))
}

impl<'a> Layout<'a> {
    /// The records of `config.json` (`root`) and of the `current` file (`file`).
    pub(crate) fn new(root: &'a Map<String, Value>, file: Option<&'a Map<String, Value>>) -> Self {
        let meta = root.get(crate::json::META_KEY).and_then(Value::as_object);
        let claims = claims(meta);
        let all: Vec<_> = slots(root).collect();
        let stamped = |p: &str| {
            all.iter()
                .any(|(_, _, _, c)| c.get(keys::PROFILE).and_then(Value::as_str) == Some(p))
        };
        let owner = |tk: &str, uk: &str, ck: &str, c: &Map<String, Value>| {
            if let Some(p) = c.get(keys::PROFILE).and_then(Value::as_str) {
                return Some(p.to_owned());
            }
            claims
                .iter()
                .find(|(p, k)| k[0] == tk && k[1] == uk && k[2] == ck && !stamped(p))
                .map(|(p, _)| p.clone())
        };
        let mut records: Vec<Record<'a>> = Vec::new();
        let mut logins: Vec<Option<Login>> = Vec::new();
        // Owned slots first: a login they hold is theirs.
        for (tk, uk, ck, c) in &all {
            if let Some(p) = owner(tk, uk, ck, c) {
                let primary = !records.iter().any(|r| r.profile == p);
                records.push(Record {
                    place: Place::Slot(tk.to_string(), uk.to_string(), ck.to_string()),
                    ctx: c,
                    profile: p,
                    primary,
                    owned: true,
                });
                logins.push(Login::of_context(c));
            }
        }
        // Then every record another tool wrote: a view of the profile holding its login, or
        // a profile of its own.
        let mut others: Vec<(Place, &'a Map<String, Value>, String)> = all
            .iter()
            .filter(|(tk, uk, ck, c)| owner(tk, uk, ck, c).is_none())
            .map(|(tk, uk, ck, c)| {
                (
                    Place::Slot(tk.to_string(), uk.to_string(), ck.to_string()),
                    *c,
                    foreign_profile(tk, uk, ck),
                )
            })
            .collect();
        if let Some((name, c)) = legacy_entry(root) {
            let (tk, uk) = legacy_destination(c);
            others.push((
                Place::Legacy(name.to_owned()),
                c,
                foreign_profile(&tk, &uk, name),
            ));
        }
        if let Some(c) = file.filter(|c| agave::text(c, &["baseurl", "api_server"]).is_some()) {
            others.push((Place::File, c, DEFAULT_PROFILE.to_owned()));
        }
        for (place, ctx, own_name) in others {
            let login = Login::of_context(ctx);
            let holder = login.as_ref().and_then(|l| {
                // A profile's own record first (owned slots come first in `records`).
                logins
                    .iter()
                    .zip(&records)
                    .position(|(x, r)| x.as_ref() == Some(l) && r.primary)
            });
            let (profile, primary) = match holder {
                Some(i) => (records[i].profile.clone(), false),
                None => {
                    let taken = |n: &str| records.iter().any(|r| r.profile == n);
                    let mut name = own_name;
                    if taken(&name) {
                        name = match place {
                            Place::File => FILE_ONLY_FALLBACK.to_owned(),
                            _ => format!("{name}#current"),
                        };
                    }
                    (name, true)
                }
            };
            records.push(Record {
                place,
                ctx,
                profile,
                primary,
                owned: false,
            });
            logins.push(login);
        }
        Self { records, meta }
    }

    /// Every profile name, sorted, once each.
    pub(crate) fn profiles(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .records
            .iter()
            .filter(|r| r.primary)
            .map(|r| r.profile.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Every record.
    pub(crate) fn records(&self) -> &[Record<'a>] {
        &self.records
    }

    /// `profile`'s refresh-token history (`tapis_auth.refresh_history.<profile>`): fingerprints
    /// of the refresh tokens this library wrote or replaced for it, newest first.
    pub(crate) fn history(&self, profile: &str) -> Vec<String> {
        self.meta
            .and_then(|m| m.get("refresh_history"))
            .and_then(|h| h.get(profile))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The records of `profile`: its own first, then its views.
    pub(crate) fn of(&self, profile: &str) -> Vec<&Record<'a>> {
        let mut v: Vec<&Record<'a>> = self
            .records
            .iter()
            .filter(|r| r.profile == profile)
            .collect();
        v.sort_by_key(|r| !r.primary);
        v
    }

    /// The record at `place`, if any.
    pub(crate) fn at(&self, place: &Place) -> Option<&Record<'a>> {
        self.records.iter().find(|r| &r.place == place)
    }

    /// Whether `profile` is one of ours (a stamped or claimed slot), not another tool's record.
    pub(crate) fn is_ours(&self, profile: &str) -> bool {
        self.records.iter().any(|r| r.profile == profile && r.owned)
    }

    /// The profile the `current` file belongs to.
    pub(crate) fn file_profile(&self) -> Option<&str> {
        self.at(&Place::File).map(|r| r.profile.as_str())
    }

    /// The profile agavepy 0.9.5's current entry belongs to.
    pub(crate) fn legacy_profile(&self) -> Option<&str> {
        self.records
            .iter()
            .find(|r| matches!(r.place, Place::Legacy(_)))
            .map(|r| r.profile.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn ctx(url: &str, user: &str, key: &str, rt: &str) -> Value {
        json!({"baseurl": url, "username": user, "apikey": key, "apisecret": "s",
               "access_token": "a", "refresh_token": rt, "tenantid": "t.prod"})
    }

    /// agavepy 0.9.5's first save: the slot, the current entry and the `current` file all hold
    /// one login, which is one profile.
    #[test]
    fn one_login_is_one_profile() {
        let c = ctx("https://h.example", "u", "K", "r1");
        let root = obj(json!({"current": {"mine": c}, "sessions": {"t.prod": {"u": {"mine": c}}}}));
        let file = obj(c.clone());
        let l = Layout::new(&root, Some(&file));
        assert_eq!(l.profiles(), vec!["agavepy:t.prod/u/mine"]);
        assert_eq!(l.file_profile(), Some("agavepy:t.prod/u/mine"));
        assert_eq!(l.legacy_profile(), Some("agavepy:t.prod/u/mine"));
        let recs = l.of("agavepy:t.prod/u/mine");
        assert_eq!(recs.len(), 3);
        assert!(recs[0].primary && matches!(recs[0].place, Place::Slot(..)));
    }

    /// A stamped slot owns its login even when another tool's slot with it comes first; a slot
    /// another tool rewrote without the stamp stays the profile's through its claim.
    #[test]
    fn stamps_and_claims_own_slots() {
        let mut ours = ctx("https://h.example", "u", "K", "r1");
        ours["tapis_profile"] = "work".into();
        let theirs = ctx("https://h.example/", "u", "K", "r0");
        let root = obj(json!({"sessions": {"t.prod": {"u": {"A": theirs, "K": ours}}}}));
        let l = Layout::new(&root, None);
        assert_eq!(l.profiles(), vec!["work"]);
        assert_eq!(l.of("work").len(), 2);
        // agavepy 1.0 replaced our slot (no stamp): the claim keeps it "work".
        let root = obj(json!({"sessions": {"t.prod": {"u": {"K": theirs}}},
                              "tapis_auth": {"slots": {"work": ["t.prod", "u", "K"]}}}));
        assert_eq!(Layout::new(&root, None).profiles(), vec!["work"]);
    }

    /// Different logins stay different profiles; a `current` file login no slot holds is
    /// `default`, or `agave-current` when a profile already has that name.
    #[test]
    fn other_logins_are_their_own_profiles() {
        let mut v3 = ctx("https://tacc.tapis.io", "u", "cid", "r");
        v3["tapis_profile"] = "default".into();
        let root = obj(json!({"sessions": {"tacc": {"u": {"cid": v3}}}}));
        let file = obj(ctx("https://api.tacc.utexas.edu", "u", "K", "r"));
        let l = Layout::new(&root, Some(&file));
        assert_eq!(l.profiles(), vec!["agave-current", "default"]);
        let empty = Map::new();
        assert_eq!(Layout::new(&empty, Some(&file)).profiles(), vec!["default"]);
    }
}
