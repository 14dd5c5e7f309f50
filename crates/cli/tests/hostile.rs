//! The `tapis-auth` command against hostile servers, hostile neighbours and hostile settings.
//! Each test is named for the attack and fails on a command that trusts what it is given
//! (issue 11).

mod common;

use common::*;

/// `TAPIS_AUTH_INSECURE_HTTP=disabled` meant "off" to its author and turned insecure HTTP on:
/// only the documented true/false spellings are accepted, anything else is a usage error.
#[test]
fn an_insecure_http_switch_that_is_not_a_boolean_is_refused() {
    let w = World::new();
    let login = |value: &str| {
        let mut c = w.cmd("json");
        c.env("TAPIS_AUTH_INSECURE_HTTP", value);
        run_cmd(
            c,
            &[
                "login",
                "--base-url",
                "http://tapis.invalid",
                "--platform",
                "v3",
                "--username",
                "u",
                "--password-stdin",
            ],
            Some("pw\n"),
        )
    };
    for value in ["disabled", "nope", "2", "enable"] {
        let r = login(value);
        r.code(2);
        assert!(r.stderr.contains(value), "{value}: {}", r.stderr);
    }
    for value in ["0", "false", "no", "off", "FALSE"] {
        let r = login(value);
        assert!(
            r.stderr.contains("refusing plain http://"),
            "{value} must keep plain HTTP refused: {}",
            r.stderr
        );
    }
    for value in ["1", "true", "yes", "on"] {
        let r = login(value);
        assert!(
            !r.stderr.contains("refusing plain http://") && r.code != 2,
            "{value} allows plain HTTP: {}",
            r.stderr
        );
    }
}
