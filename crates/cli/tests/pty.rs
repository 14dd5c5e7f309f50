//! The interactive prompts, driven through a pseudo-terminal: the no-echo password prompt, the
//! device-code screen (code, URL, QR code, spinner) approved while the CLI polls, and Ctrl-C.

mod common;

use std::time::Duration;

use common::*;
use expectrl::{ControlCode, Eof, Session, WaitStatus};

fn spawn(w: &World, args: &[&str]) -> Session {
    let mut c = w.cmd("json");
    // The pty becomes stdin/stdout/stderr: do not override it.
    c.args(args).stdin(std::process::Stdio::inherit());
    let mut s = Session::spawn(c).expect("spawn in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s
}

fn exit_code(s: &mut Session) -> i32 {
    match s.get_process().wait().unwrap() {
        WaitStatus::Exited(_, c) => c,
        other => panic!("unexpected status {other:?}"),
    }
}

#[test]
fn password_typed_at_the_no_echo_prompt() {
    let w = World::new();
    let mut s = spawn(
        &w,
        &[
            "login",
            "--base-url",
            w.url(),
            "--platform",
            "v3",
            "--password",
        ],
    );
    s.expect("Username for").unwrap();
    s.send_line("testuser").unwrap();
    s.expect("Password for testuser@").unwrap();
    s.send_line("testpass").unwrap();
    let rest = s.expect(Eof).unwrap();
    let text = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    assert!(text.contains("Logged in as testuser"), "{text}");
    assert!(
        !text.contains("testpass"),
        "the password was echoed: {text}"
    );
    assert_eq!(exit_code(&mut s), 0);
    w.run("json", &["token"], None).ok();
}

#[test]
fn device_code_screen_approved_while_polling() {
    let w = World::new();
    let mut s = spawn(
        &w,
        &[
            "login",
            "--base-url",
            w.url(),
            "--device",
            "--client-id",
            "test-client",
        ],
    );
    let code = {
        let m = s.expect("enter the code:").unwrap();
        let _ = m;
        wait_for_user_code(&w)
    };
    s.expect(code.as_str()).unwrap();
    // The QR code (or why there is none: the pty is small) and the spinner with the time left.
    s.expect("QR code").unwrap();
    s.expect("(Ctrl-C to cancel)").unwrap();
    w.server.approve_device(&code, "testuser").unwrap();
    s.expect("Logged in as testuser").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut s), 0);
    w.run("json", &["token"], None).ok();
}

#[test]
fn ctrl_c_cancels_the_device_login_cleanly() {
    let w = World::new();
    let mut s = spawn(
        &w,
        &[
            "login",
            "--base-url",
            w.url(),
            "--device",
            "--client-id",
            "test-client",
            "--no-qr",
        ],
    );
    s.expect("(Ctrl-C to cancel)").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    let rest = s.expect(Eof).unwrap();
    let text = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    assert!(text.contains("cancelled"), "{text}");
    assert_eq!(exit_code(&mut s), 130);
    w.run("json", &["token"], None).code(3);
}
