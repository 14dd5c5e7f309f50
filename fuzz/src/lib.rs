//! Helpers shared by the libtapis_auth fuzz targets: planted secrets, sessions that hold them,
//! a tiny byte reader for target parameters, and the "no secret in this text" check.
//!
//! Nothing here is fuzzed itself; every target lives in `fuzz_targets/`.

use tapis_auth_core::{
    protocol, BaseUrl, Context, HttpResponse, OAuthClient, Platform, Secret, Session, Tenant,
    TokenSet, UnixTime,
};

/// Secrets planted in every session the targets build. They are long, mixed-case and contain
/// digits, so no fixed error text of the library can contain them by accident; a target that
/// finds one of them in an error's `Display` or `Debug` has found a leak.
pub const PLANTED: [&str; 4] = [
    "Pl4ntedClientKey9Xq",
    "Pl4ntedAccessTok7Wz",
    "Pl4ntedRefreshTok3Vy",
    "Pl4ntedPassw0rd5Ut",
];

/// A fixed "now" (2026-04-06T10:27:50Z) so that results are reproducible.
pub const NOW: UnixTime = UnixTime(1_775_471_270);

/// A session on `platform` holding every planted secret (client key, access and refresh
/// token, password) and a username.
pub fn planted_session(platform: Platform) -> Session {
    let base = match platform {
        Platform::TapisV3 => "https://tacc.tapis.io",
        Platform::AgaveV2 => "https://api.tacc.utexas.edu",
    };
    let tenant = Tenant::new(BaseUrl::parse(base).expect("fixed URL"), platform);
    let mut s = Session::new("fuzz", tenant);
    s.username = Some("fuzzuser".into());
    s.client = Some(OAuthClient::new("fuzzclient", PLANTED[0]));
    s.tokens = Some(TokenSet::new(
        NOW,
        Secret::new(PLANTED[1]),
        Some(Secret::new(PLANTED[2])),
        Some(14_400),
    ));
    s.password = Some(Secret::new(PLANTED[3]));
    s
}

/// The planted secrets as [`Secret`]s, for calling `classify` directly.
pub fn planted_secrets() -> Vec<Secret> {
    PLANTED.iter().map(|s| Secret::new(*s)).collect()
}

/// Panics when `text` contains any planted secret.
pub fn assert_no_planted(text: &str, what: &str) {
    for s in PLANTED {
        assert!(!text.contains(s), "{what} leaks a planted secret: {text:?}");
    }
}

/// Panics when the `Display` or `Debug` of `e` contains a planted secret.
pub fn assert_error_clean(e: &dyn std::fmt::Debug, display: &str) {
    assert_no_planted(display, "error Display");
    assert_no_planted(&format!("{e:?}"), "error Debug");
}

/// Every [`Context`] the classifier distinguishes.
pub const CONTEXTS: [Context; 10] = [
    Context::PasswordGrant,
    Context::RefreshGrant,
    Context::AuthCodeGrant,
    Context::DeviceCode,
    Context::DeviceGrant,
    Context::Revoke,
    Context::Tenants,
    Context::Clients,
    Context::UserInfo,
    Context::Service,
];

/// Reads target parameters from the front of the fuzz input; the rest is the payload.
/// Missing bytes read as zero, so every input is usable.
pub struct Params<'a> {
    data: &'a [u8],
}

impl<'a> Params<'a> {
    /// Starts reading `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// One byte (0 when the input is exhausted).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// The platform chosen by one bit.
    pub fn platform(&mut self) -> Platform {
        if self.byte() & 1 == 0 {
            Platform::TapisV3
        } else {
            Platform::AgaveV2
        }
    }

    /// An HTTP status: mostly the interesting ones, sometimes any u16.
    pub fn status(&mut self) -> u16 {
        const COMMON: [u16; 12] = [200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503, 504];
        let sel = self.byte();
        let raw = self.u16();
        if sel < 200 {
            COMMON[usize::from(sel) % COMMON.len()]
        } else {
            raw
        }
    }

    /// Whatever is left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// Splices planted secrets into `body`: byte `sel` picks which secret (or none) and `at`
/// where, so the fuzzer reaches the redaction paths without having to guess the secrets.
pub fn splice_secret(body: &[u8], sel: u8, at: u16) -> Vec<u8> {
    let mut out = body.to_vec();
    if sel & 0x80 != 0 {
        let s = PLANTED[usize::from(sel) % PLANTED.len()].as_bytes();
        let at = if out.is_empty() {
            0
        } else {
            usize::from(at) % (out.len() + 1)
        };
        out.splice(at..at, s.iter().copied());
    }
    out
}

/// A private scratch directory for the cache targets: on tmpfs when there is one (the JSON
/// store fsyncs every write), unique per process.
pub fn scratch_dir(target: &str) -> std::path::PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("tapis-auth-fuzz-{target}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// The token-response check shared by `token_response_v3` and `token_response_v2`; see those
/// targets for the invariants.
pub fn check_token_response(platform: Platform, data: &[u8]) {
    let mut p = Params::new(data);
    let mode = p.byte();
    let skew = i64::from(p.u16() as i16) * 37;
    let body = p.rest();
    let now = UnixTime(NOW.0 + i64::from(mode >> 4) * 1_000_003);
    let mut resp = HttpResponse::new(200, body.to_vec());
    if mode & 1 != 0 {
        // A server Date header off from `now` by `skew` seconds (HTTP-date format).
        let date = http_date(now.plus(skew));
        resp = resp.with_header("Date", &date);
    }
    let direct = match platform {
        Platform::TapisV3 => protocol::v3::parse_token_response(now, body),
        Platform::AgaveV2 => protocol::v2::parse_token_response(now, body),
    };
    let via = protocol::token_response(platform, Context::PasswordGrant, now, &resp, &[]);
    assert_eq!(direct.is_ok(), via.is_ok(), "the Date header changed success");
    match via {
        Ok(t) => {
            assert!(!t.access_token.is_empty());
            assert!(t.refresh_expires_at.is_none() || t.refresh_token.is_some());
            let json = serde_json::to_vec(&t).expect("TokenSet serialises");
            let back: TokenSet = serde_json::from_slice(&json).expect("TokenSet deserialises");
            assert_eq!(back, t, "TokenSet serde round trip");
        }
        Err(e) => {
            let shown = e.to_string();
            for tok in token_strings(body) {
                assert!(!shown.contains(&tok), "error quotes a token: {shown}");
            }
        }
    }
}

/// String values (≥ 12 bytes, so not a coincidence with fixed text) under token-ish keys.
fn token_strings(body: &[u8]) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    if let serde_json::Value::String(s) = v {
                        if k.ends_with("_token") && s.len() >= 12 {
                            out.push(s.clone());
                        }
                    }
                    walk(v, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        walk(&v, &mut out);
    }
    out
}

/// `UnixTime` as an IMF-fixdate (`Mon, 06 Apr 2026 10:27:50 GMT`).
pub fn http_date(t: UnixTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = t.to_rfc3339(); // YYYY-MM-DDTHH:MM:SSZ
    let (y, mo, d) = (&iso[0..4], &iso[5..7], &iso[8..10]);
    let wd = DAYS[t.0.div_euclid(86_400).rem_euclid(7) as usize];
    let m = MONTHS[mo.parse::<usize>().unwrap_or(1) - 1];
    format!("{wd}, {d} {m} {y} {} GMT", &iso[11..19])
}

/// Which file of the `~/.agave` cache a cache target fuzzes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheFile {
    /// `current`: one Agave v2 session in the bash-CLI / agavepy format.
    Current,
    /// `config.json`: every profile (agavepy 1.0 sessions layout plus `tapis_auth`).
    ConfigJson,
}

/// Companion files the fuzzed file may be paired with (reference fixtures).
const FIXTURE_CONFIG: &[u8] =
    include_bytes!("../../crates/storage/tests/fixtures/config_agavepy10.json");
const FIXTURE_CURRENT: &[u8] =
    include_bytes!("../../crates/storage/tests/fixtures/current_bash_cli.json");

/// Removes everything in `dir` but the lock file (the store keeps its lock registered).
fn clear_dir(dir: &std::path::Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name() != tapis_auth_storage::json::LOCK_FILE {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn is_corrupt(r: &Result<impl std::fmt::Debug, tapis_auth_core::StoreError>) -> bool {
    matches!(r, Err(tapis_auth_core::StoreError::Corrupt { .. }))
}

/// Instants outside ±10^11 s (years beyond ±5000) are not compared after a round trip: the
/// `expires_in` the cache format stores is a difference that saturates at the ends of i64.
fn sane(t: Option<UnixTime>) -> Option<UnixTime> {
    t.filter(|t| t.0.abs() < 100_000_000_000)
}

fn comparable(mut s: Session) -> Session {
    if let Some(t) = s.tokens.as_mut() {
        if sane(t.expires_at).is_none() || sane(t.issued_at).is_none() {
            t.expires_at = None;
            t.issued_at = None;
        }
        t.refresh_expires_at = sane(t.refresh_expires_at);
    }
    s
}

/// The check shared by `cache_current` and `cache_config_json`.
///
/// Input: one parameter byte (bit 0: pair the file with the reference fixture of the other
/// file; bit 1: also try the mutating operations), then the file's bytes.
///
/// Invariants:
/// - bytes that are not valid JSON: every operation (load, list, current_profile, and with
///   bit 1 save, set_current_profile, delete) fails with `StoreError::Corrupt`;
/// - read operations never change either file, and a failed write leaves both files
///   byte-for-byte unchanged;
/// - every session that loads can be saved to an empty store and loads back equal
///   (the writer and the reader of the format agree).
pub fn check_cache(which: CacheFile, data: &[u8]) {
    use std::sync::OnceLock;
    use tapis_auth_core::Store;
    use tapis_auth_storage::json::{CONFIG_FILE, CURRENT_FILE};
    use tapis_auth_storage::JsonStore;

    static DIRS: OnceLock<(std::path::PathBuf, std::path::PathBuf)> = OnceLock::new();
    let (a, b) = DIRS.get_or_init(|| {
        let name = match which {
            CacheFile::Current => "cache_current",
            CacheFile::ConfigJson => "cache_config_json",
        };
        (scratch_dir(&format!("{name}-a")), scratch_dir(&format!("{name}-b")))
    });
    let mut p = Params::new(data);
    let mode = p.byte();
    let bytes = p.rest();
    clear_dir(a);
    let (fuzzed, other) = match which {
        CacheFile::Current => (a.join(CURRENT_FILE), a.join(CONFIG_FILE)),
        CacheFile::ConfigJson => (a.join(CONFIG_FILE), a.join(CURRENT_FILE)),
    };
    std::fs::write(&fuzzed, bytes).expect("write fuzzed file");
    if mode & 1 != 0 {
        let companion = match which {
            CacheFile::Current => FIXTURE_CONFIG,
            CacheFile::ConfigJson => FIXTURE_CURRENT,
        };
        std::fs::write(&other, companion).expect("write companion file");
    }
    let snapshot = || (std::fs::read(&fuzzed).ok(), std::fs::read(&other).ok());
    let before = snapshot();
    let invalid = serde_json::from_slice::<serde_json::Value>(bytes).is_err();
    let store = JsonStore::open(a).expect("open store");

    let listed = store.list();
    let current = store.current_profile();
    let default = store.load("default");
    if invalid {
        assert!(is_corrupt(&listed), "list on invalid JSON: {listed:?}");
        assert!(is_corrupt(&current), "current_profile on invalid JSON: {current:?}");
        assert!(is_corrupt(&default), "load on invalid JSON: {default:?}");
    }
    let mut sessions = Vec::new();
    if let Ok(Some(s)) = default {
        sessions.push(s);
    }
    for name in listed.unwrap_or_default() {
        match store.load(&name) {
            Ok(Some(s)) => sessions.push(s),
            Ok(None) => {}
            Err(e) => assert!(!invalid || matches!(e, tapis_auth_core::StoreError::Corrupt { .. })),
        }
    }
    assert_eq!(snapshot(), before, "a read operation changed the cache files");

    if mode & 2 != 0 {
        let s = planted_session(Platform::AgaveV2);
        let saved = store.save(&s);
        let switched = store.set_current_profile("fuzz");
        let deleted = store.delete("default");
        if invalid {
            assert!(is_corrupt(&saved), "save on invalid JSON: {saved:?}");
            assert!(is_corrupt(&switched), "set_current_profile on invalid JSON: {switched:?}");
            assert!(is_corrupt(&deleted), "delete on invalid JSON: {deleted:?}");
        }
        if saved.is_err() && switched.is_err() && deleted.is_err() {
            assert_eq!(snapshot(), before, "failed writes changed the cache files");
        }
    }

    // Round trip through the writer: save what loaded into an empty store and read it back.
    for s in sessions.into_iter().take(4) {
        clear_dir(b);
        let store_b = JsonStore::open(b).expect("open store");
        if store_b.save(&s).is_err() {
            continue; // e.g. a profile name the store refuses
        }
        let back = store_b
            .load(&s.profile)
            .expect("reload of a saved session")
            .expect("saved session is listed");
        assert_eq!(comparable(back), comparable(s), "cache round trip");
    }
}
