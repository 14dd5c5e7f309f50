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

/// Replaces every occurrence of `from` by `to` in the cache's `config.json`, keeping its mode:
/// what a server-supplied value, or a neighbour with write access, puts there.
fn rewrite_config(w: &World, from: &str, to: &str) {
    let path = w.cache().join("config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} not in {text}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

/// A `config.json` rewritten to point at another server sent the next login's password there,
/// and the prompt said only "Password for testuser@test". The prompt and the "Logging in"
/// line now name where the password goes.
#[test]
fn a_password_prompt_names_the_server_a_rewritten_base_url_sends_it_to() {
    use expectrl::{Eof, Session};
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let evil = tapis_auth_testserver::TestServer::start(Default::default());
    rewrite_config(&w, w.url(), evil.url());
    let mut c = w.cmd("json");
    c.args(["login", "--password"])
        .stdin(std::process::Stdio::inherit());
    let mut s = Session::spawn(c).expect("spawn in a pty");
    s.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
    let prompt = s.expect("): ").expect("a password prompt");
    let prompt = String::from_utf8_lossy(prompt.before()).into_owned();
    assert!(
        prompt.contains("Password for testuser") && prompt.contains(evil.url()),
        "the prompt does not name the server the password goes to: {prompt:?}"
    );
    s.send_line("testpass").unwrap();
    let rest = s.expect(Eof).unwrap();
    let rest = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    assert!(
        rest.contains(&format!("Logging in to {}", evil.url())),
        "{rest}"
    );
}

/// Usernames, tenant ids and server messages reached the terminal raw: an OSC 52 clipboard
/// write, a screen erase, a C1 CSI and a right-to-left override in a username went through
/// `status` and `profiles list` to the terminal. They are shown escaped, and `--json` writes
/// them as JSON escapes.
#[test]
fn terminal_escapes_in_cached_names_are_shown_not_obeyed() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    // As JSON text in config.json: ESC ] 52 ; … BEL, ESC [ 2 J, U+009B, U+202E.
    let hostile = r#"test\u001b]52;c;ZXZpbA==\u0007user\u001b[2J\u009b1A\u202e"#;
    rewrite_config(&w, "\"testuser\"", &format!("\"{hostile}\""));
    let raw = ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'];
    for args in [&["status"][..], &["profiles", "list"]] {
        let r = w.run("json", args, None);
        let shown = format!("{}{}", r.stdout, r.stderr);
        for c in raw {
            assert!(!shown.contains(c), "{args:?} printed {c:?} raw: {shown:?}");
        }
        assert!(
            shown.contains("test\\u{1b}]52;c;ZXZpbA=="),
            "{args:?}: {shown:?}"
        );
        let r = w.run("json", &[&["--json"][..], args].concat(), None);
        for c in raw {
            assert!(
                !r.stdout.contains(c),
                "--json {args:?}: {c:?} raw: {:?}",
                r.stdout
            );
        }
        let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
        assert!(v.to_string().contains("ZXZpbA"), "{v}");
    }
}

/// A server error message carrying terminal escapes reached stderr raw.
#[test]
fn terminal_escapes_in_a_server_error_are_shown_not_obeyed() {
    let w = World::new();
    w.server.inject_fault(
        tapis_auth_testserver::Fault::respond(
            "v3.tokens",
            401,
            r#"{"status":"error","message":"Invalid username/password\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u009b\u202e","result":null,"version":"dev"}"#,
        )
        .times(5),
    );
    let r = w.login("json", "v3", &[]);
    assert_ne!(r.code, 0, "{r:?}");
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!r.stderr.contains(c), "{c:?} raw on stderr: {:?}", r.stderr);
    }
    assert!(
        r.stderr.contains("Invalid username/password"),
        "{}",
        r.stderr
    );
}

/// A core of the command during a refresh held four copies of the refresh token and three of
/// the client key. The command turns core dumps off before it reads anything: with
/// `ulimit -c unlimited`, its core limit is 0 and an abort leaves no core file.
#[test]
fn a_core_dump_of_the_command_is_never_written() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let cwd = tempfile::tempdir().unwrap();
    let c = w.cmd("json");
    // The shell raises the limit, then becomes the command (same process).
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg("ulimit -c unlimited && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(["login", "--username", "testuser", "--password-stdin"])
        .current_dir(cwd.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    let mut child = sh.spawn().unwrap();
    let pid = child.id();
    // Waiting for the password on stdin (which stays open): read its limit.
    let limit_line = || {
        std::fs::read_to_string(format!("/proc/{pid}/limits"))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .map(|l| {
                l.split_whitespace()
                    .skip(4)
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let started = std::time::Instant::now();
    let mut seen = limit_line();
    while seen != "0 0" && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        seen = limit_line();
    }
    let status = std::process::Command::new("kill")
        .args(["-ABRT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait();
    drop(child.stdin.take());
    assert_eq!(
        seen, "0 0",
        "the core limit (soft, hard) of the waiting command"
    );
    let cores: Vec<_> = std::fs::read_dir(cwd.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("core"))
        .collect();
    assert!(cores.is_empty(), "core files written: {cores:?}");
}
