//! The refresh rules, table-tested: plain values in, a decision out. No fakes, no I/O.

use super::*;
use crate::{BaseUrl, OAuthClient, Platform, Tenant};

const NOW: UnixTime = UnixTime(1_000_000);

const WRITABLE: Policy = Policy {
    margin_secs: 60,
    password_fallback: true,
    writable: true,
};
const READ_ONLY: Policy = Policy {
    writable: false,
    ..WRITABLE
};

/// A v3 session whose access token has `left` seconds of a 14400 s life (`None`: unknown
/// expiry), with a refresh token and a confidential client.
fn session(left: Option<i64>) -> Session {
    let mut s = Session::new(
        "default",
        Tenant::new(
            BaseUrl::parse("https://tacc.tapis.io").unwrap(),
            Platform::TapisV3,
        ),
    );
    s.username = Some("u".into());
    s.client = Some(OAuthClient::new("cid", "ckey"));
    s.tokens = Some(TokenSet {
        access_token: Secret::new("access-1"),
        refresh_token: Some(Secret::new("refresh-1")),
        expires_at: left.map(|l| NOW.plus(l)),
        issued_at: left.map(|l| NOW.plus(l - 14_400)),
        refresh_expires_at: None,
        token_type: None,
        jti: None,
        scope: None,
        refresh_rejected_at: None,
    });
    s
}

fn with(mut s: Session, f: impl FnOnce(&mut Session)) -> Session {
    f(&mut s);
    s
}

fn tokens(s: &mut Session) -> &mut TokenSet {
    s.tokens.as_mut().unwrap()
}

/// A short name for a step, and the text of its error if any.
fn kind(step: &Step) -> (&'static str, String) {
    match step {
        Step::Serve { adopt: None, .. } => ("serve", String::new()),
        Step::Serve { adopt: Some(_), .. } => ("adopt", String::new()),
        Step::Refuse(Error::LoginRequired { reason }) => ("login", reason.clone()),
        Step::Refuse(e) => ("refuse", e.to_string()),
        Step::Refresh { .. } => ("refresh", String::new()),
        Step::PasswordGrant(_) => ("password", String::new()),
    }
}

#[test]
fn next_step_table() {
    let rejected = Secret::new("access-1");
    let other = Secret::new("access-0");
    let valid = |m: i64| Need::Valid { min_valid: m };
    #[rustfmt::skip]
    let table: Vec<(&str, Policy, Session, bool, Need<'_>, &str, &str)> = vec![
        ("held and good", WRITABLE, session(Some(3600)), true, valid(600), "serve", ""),
        ("the store's and good", WRITABLE, session(Some(3600)), false, valid(600), "adopt", ""),
        ("good for the caller but inside the margin", WRITABLE, session(Some(30)), true, valid(0), "refresh", ""),
        ("stale: refresh", WRITABLE, session(Some(10)), true, valid(60), "refresh", ""),
        ("more than the server ever issues", WRITABLE, session(Some(10)), true, valid(20_000), "refuse", "valid for only 14400 s, less than the 20000 s asked for"),
        ("exactly the lifetime is possible", WRITABLE, session(Some(10)), true, valid(14_400), "refresh", ""),
        ("rejected refresh token", WRITABLE, with(session(Some(10)), |s| tokens(s).refresh_rejected_at = Some(NOW)), true, valid(60), "login", "rejected the refresh token"),
        ("rejected, but a password is held", WRITABLE, with(session(Some(10)), |s| { tokens(s).refresh_rejected_at = Some(NOW); s.password = Some("pw".into()); }), true, valid(60), "password", ""),
        ("rejected, password held, fallback off", Policy { password_fallback: false, ..WRITABLE }, with(session(Some(10)), |s| { tokens(s).refresh_rejected_at = Some(NOW); s.password = Some("pw".into()); }), true, valid(60), "login", "rejected"),
        ("no refresh token", WRITABLE, with(session(Some(10)), |s| tokens(s).refresh_token = None), true, valid(60), "login", "there is no refresh token"),
        ("refresh token expired", WRITABLE, with(session(Some(10)), |s| tokens(s).refresh_expires_at = Some(NOW.minus(1))), true, valid(60), "login", "refresh token has expired"),
        ("a public client cannot refresh", WRITABLE, with(session(Some(10)), |s| s.client = Some(OAuthClient::public("cid"))), true, valid(60), "login", "client's key"),
        ("no client", WRITABLE, with(session(Some(10)), |s| s.client = None), true, valid(60), "login", "needs an OAuth client"),
        ("no tokens, password held", WRITABLE, with(session(None), |s| { s.tokens = None; s.password = Some("pw".into()); }), true, valid(60), "password", ""),
        ("no tokens", WRITABLE, with(session(None), |s| s.tokens = None), true, valid(60), "login", "no tokens"),
        ("unknown expiry, read-only store: as it is", READ_ONLY, session(None), true, valid(600), "serve", ""),
        ("unknown expiry, renewable: refresh", WRITABLE, session(None), true, valid(600), "refresh", ""),
        ("unknown expiry, nothing renews it: as it is", WRITABLE, with(session(None), |s| tokens(s).refresh_token = None), true, valid(600), "serve", ""),
        ("forced: the rejected token is replaced", WRITABLE, session(Some(3600)), true, Need::Replace { rejected: &rejected }, "refresh", ""),
        ("forced: already replaced by someone else", WRITABLE, session(Some(3600)), false, Need::Replace { rejected: &other }, "adopt", ""),
    ];
    for (name, policy, s, held, need, want, text) in table {
        let step = next_step(&policy, s.clone(), held, NOW, &need);
        let (got, msg) = kind(&step);
        assert_eq!(got, want, "{name}: {step:?}");
        assert!(msg.contains(text), "{name}: {msg:?} lacks {text:?}");
        if let Step::Refresh { generation, .. } = &step {
            assert_eq!(
                Some(generation),
                s.tokens.as_ref().map(TokenSet::generation).as_ref()
            );
        }
    }
}

#[test]
fn after_watch_table() {
    let claimed = session(Some(10));
    let generation = claimed.tokens.as_ref().unwrap().generation();
    let theirs = with(session(Some(14_000)), |s| {
        tokens(s).access_token = "access-2".into();
        tokens(s).refresh_token = Some("refresh-2".into());
    });
    let theirs_short = with(session(Some(10)), |s| {
        tokens(s).access_token = "access-3".into();
        tokens(s).refresh_token = Some("refresh-3".into());
    });
    let need = Need::Valid { min_valid: 600 };
    let w = |outcome, stored: &Session, policy: &Policy| {
        after_watch(
            policy,
            outcome,
            stored.clone(),
            &generation,
            "pid 7 on n1",
            NOW,
            &need,
        )
    };
    use RefreshOutcome::*;
    assert!(matches!(
        w(Saved, &theirs, &WRITABLE),
        Watched::Adopt { .. }
    ));
    // Identity decides, not the outcome: any state other than the claimed one is newer.
    assert!(matches!(
        w(Rejected, &theirs, &WRITABLE),
        Watched::Adopt { .. }
    ));
    assert!(matches!(
        w(Saved, &theirs_short, &WRITABLE),
        Watched::Decide
    ));
    assert!(matches!(w(Saved, &claimed, &WRITABLE), Watched::ReadAgain));
    match w(Rejected, &claimed, &WRITABLE) {
        Watched::Refuse(Error::LoginRequired { reason }) => {
            assert!(reason.contains("rejected the refresh token"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let with_password = with(claimed.clone(), |s| s.password = Some("pw".into()));
    match w(Rejected, &with_password, &WRITABLE) {
        Watched::PasswordGrant(s) => assert!(s.tokens.unwrap().refresh_rejected_at.is_some()),
        other => panic!("{other:?}"),
    }
    match w(Unsaved, &claimed, &WRITABLE) {
        Watched::Refuse(e) => assert!(e.to_string().contains("pid 7 on n1"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn choose_prefers_the_store_unless_it_holds_a_spent_token() {
    let held = with(session(Some(3600)), |s| {
        tokens(s).refresh_token = Some("refresh-2".into())
    });
    let stored = session(Some(10)); // still holds refresh-1, which the unsaved rotation spent
    let spent = Secret::new("refresh-1");
    let rt = |s: Option<Session>| s.and_then(|s| s.tokens?.refresh_token).unwrap();
    assert_eq!(
        rt(choose(Some(&held), Some(stored.clone()), Some(&spent))).expose(),
        "refresh-2"
    );
    assert_eq!(
        rt(choose(Some(&held), Some(stored.clone()), None)).expose(),
        "refresh-1"
    );
    let newer = with(session(Some(10)), |s| {
        tokens(s).refresh_token = Some("refresh-9".into())
    });
    assert_eq!(
        rt(choose(Some(&held), Some(newer), Some(&spent))).expose(),
        "refresh-9"
    );
    assert_eq!(rt(choose(Some(&held), None, None)).expose(), "refresh-2");
    assert!(choose(None, None, None).is_none());
}

#[test]
fn merge_keeps_a_refresh_token_the_server_did_not_rotate() {
    let old = with(session(Some(10)), |s| {
        tokens(s).refresh_expires_at = Some(NOW.plus(99))
    });
    let fresh = TokenSet::new(NOW, "access-2".into(), None, Some(14_400));
    let m = merge(old.clone(), fresh).tokens.unwrap();
    assert_eq!(m.refresh_token.unwrap().expose(), "refresh-1");
    assert_eq!(m.refresh_expires_at, Some(NOW.plus(99)));
    let rotated = TokenSet::new(
        NOW,
        "access-2".into(),
        Some("refresh-2".into()),
        Some(14_400),
    );
    let m = merge(old, rotated).tokens.unwrap();
    assert_eq!(m.refresh_token.unwrap().expose(), "refresh-2");
    assert_eq!(m.access_token.expose(), "access-2");
}

#[test]
fn login_required_only_when_nothing_can_be_handed_out_without_a_person() {
    assert_eq!(login_required(&WRITABLE, &session(Some(3600)), NOW), None);
    assert_eq!(
        login_required(&WRITABLE, &session(Some(10)), NOW),
        None,
        "renewable"
    );
    let dead = with(session(Some(10)), |s| {
        tokens(s).refresh_rejected_at = Some(NOW)
    });
    assert!(login_required(&WRITABLE, &dead, NOW)
        .unwrap()
        .contains("rejected"));
    // A live access token still serves, whatever the refresh token's fate.
    let dead_but_live = with(session(Some(3600)), |s| {
        tokens(s).refresh_rejected_at = Some(NOW)
    });
    assert_eq!(login_required(&WRITABLE, &dead_but_live, NOW), None);
}

#[test]
fn a_fresh_token_must_cover_what_was_asked() {
    let t = session(Some(100)).tokens.unwrap();
    assert!(check_fresh(&t, NOW, 100).is_ok());
    let e = check_fresh(&t, NOW, 101).unwrap_err().to_string();
    assert!(
        e.contains("valid for only 100 s, less than the 101 s asked for"),
        "{e}"
    );
    assert!(is_dead_refresh_token(&Error::RefreshRejected {
        message: String::new(),
        status: None
    }));
    assert!(!is_dead_refresh_token(&Error::Server {
        status: 503,
        message: String::new()
    }));
}
