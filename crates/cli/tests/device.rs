//! The device login as people see it: in real tmux windows of 40, 80 and 120 columns (screens
//! captured with `tmux capture-pane`, printed in the test output and written to
//! `target/device-login-screens/`), in a log file, and when `--wait` or the code runs out.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// A private tmux server (its own socket), killed on drop.
struct Tmux {
    socket: std::path::PathBuf,
}

impl Tmux {
    fn new(dir: &Path) -> Self {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "tmux is needed for this test (apt-get install tmux; scripts/test-all.sh installs it)"
        );
        Tmux {
            socket: dir.join("tmux.sock"),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The visible screen, lines as displayed (wrapped lines stay split).
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// The visible screen with wrapped lines joined (what was printed as one line).
    fn joined(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-t", "t"])
    }

    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.joined();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{needle:?} never appeared:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What a device login in tmux showed.
struct Screens {
    /// While waiting (after several spinner frames), as displayed.
    waiting: String,
    /// The same with wrapped lines joined.
    waiting_joined: String,
    /// After approval, as displayed.
    done: String,
    /// The same with wrapped lines joined.
    done_joined: String,
    /// The user code.
    code: String,
}

/// Runs a device login in a `cols`x`rows` tmux window.
fn device_login_in_tmux(cols: u16, rows: u16) -> Screens {
    let w = World::new();
    let tmux = Tmux::new(w.home.path());
    let cmd = format!(
        "env -i PATH=/usr/bin:/bin HOME={home} TAPIS_CACHE_DIR={cache} TERM=xterm-256color NO_COLOR=1 {bin} login --base-url {url} --device --client-id test-client",
        home = shell_quote(&w.home.path().display().to_string()),
        cache = shell_quote(&w.cache().display().to_string()),
        bin = shell_quote(BIN),
        url = shell_quote(w.url()),
    );
    tmux.run(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        &cols.to_string(),
        "-y",
        &rows.to_string(),
    ]);
    tmux.run(&["set-option", "-t", "t", "remain-on-exit", "on"]);
    tmux.run(&["set-option", "-t", "t", "status", "off"]);
    tmux.run(&["respawn-pane", "-k", "-t", "t", &cmd]);
    tmux.wait_for("(Ctrl-C");
    // Let the spinner redraw a few dozen times: it must stay on one line.
    std::thread::sleep(Duration::from_millis(1500));
    let waiting = tmux.screen();
    let waiting_joined = tmux.joined();
    let code = w.server.pending_user_codes().into_iter().next().unwrap();
    w.server.approve_device(&code, "testuser").unwrap();
    // The last word of the last message (the note on the long-lived token).
    tmux.wait_for("revokes");
    let done = tmux.screen();
    let done_joined = tmux.joined();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("device-login-screens");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, s) in [("waiting", &waiting), ("done", &done)] {
        std::fs::write(dir.join(format!("{cols}x{rows}-{name}.txt")), s).unwrap();
    }
    println!("---- {cols}x{rows}, waiting for approval ----\n{waiting}");
    println!("---- {cols}x{rows}, approved ----\n{done}");
    Screens {
        waiting,
        waiting_joined,
        done,
        done_joined,
        code,
    }
}

/// Messages for people wrap between words: every word of the lines that mention `needle`
/// (wrapped lines joined) is whole on one displayed line — no `(tapis-v` / `3)` — and no
/// displayed line is wider than the window.
fn wrapped_between_words(cols: usize, shown: &str, joined: &str, needle: &str) {
    let tokens: Vec<&str> = shown.lines().flat_map(str::split_whitespace).collect();
    let lines: Vec<&str> = joined.lines().filter(|l| l.contains(needle)).collect();
    assert!(!lines.is_empty(), "{needle:?} not on the screen:\n{joined}");
    for word in lines.iter().flat_map(|l| l.split_whitespace()) {
        if word.chars().count() < cols {
            assert!(
                tokens.contains(&word),
                "{word:?} was split across lines at {cols} columns:\n{shown}"
            );
        }
    }
    for l in shown.lines() {
        assert!(l.chars().count() <= cols, "{l:?}");
    }
}

fn has_qr(screen: &str) -> bool {
    screen.contains('█') || screen.contains('▀') || screen.contains('▄')
}

fn check_common(cols: usize, waiting: &str, joined: &str, code: &str) {
    // The URL (whole, once wrapped lines are joined) and the code are on the screen.
    assert!(
        joined.contains("/v3/oauth2/device?client_id=test-client"),
        "{joined}"
    );
    assert!(waiting.contains(code), "{waiting}");
    // The spinner is one line, not one per redraw, and fits the width.
    let spin: Vec<&str> = waiting.lines().filter(|l| l.contains("Waiting")).collect();
    assert_eq!(spin.len(), 1, "{waiting}");
    assert!(spin[0].chars().count() < cols, "{}", spin[0]);
    assert!(
        spin[0].contains(" left") || spin[0].contains("until the code expires"),
        "{}",
        spin[0]
    );
    // Nothing is wider than the window (a QR line that wraps cannot be scanned).
    for l in waiting.lines() {
        assert!(l.chars().count() <= cols, "{l:?}");
    }
}

#[test]
fn screens_at_40_80_and_120_columns() {
    // 40x24: no QR (too narrow), the URL wraps from the first column.
    let s = device_login_in_tmux(40, 24);
    check_common(40, &s.waiting, &s.waiting_joined, &s.code);
    assert!(!has_qr(&s.waiting), "{}", s.waiting);
    assert!(s.waiting.contains("No QR code"), "{}", s.waiting);
    assert!(s.done_joined.contains("Logged in as testuser"));
    // In 40 columns the messages wrap between words, not mid-word.
    wrapped_between_words(40, &s.waiting, &s.waiting_joined, "No QR code");
    for needle in ["Logged in as", "This access token lasts"] {
        wrapped_between_words(40, &s.done, &s.done_joined, needle);
    }

    // 80x24: a QR would push the URL and code off the screen: none.
    let s = device_login_in_tmux(80, 24);
    check_common(80, &s.waiting, &s.waiting_joined, &s.code);
    assert!(!has_qr(&s.waiting), "{}", s.waiting);
    wrapped_between_words(80, &s.done, &s.done_joined, "Logged in as");

    // 120x40: the whole QR code, then the URL and code, all on screen.
    let s = device_login_in_tmux(120, 40);
    check_common(120, &s.waiting, &s.waiting_joined, &s.code);
    wrapped_between_words(120, &s.done, &s.done_joined, "Logged in as");
    let waiting = s.waiting;
    assert!(has_qr(&waiting), "{waiting}");
    let lines: Vec<&str> = waiting.lines().collect();
    let first_qr = lines.iter().position(|l| has_qr(l)).unwrap();
    let last_qr = lines.iter().rposition(|l| has_qr(l)).unwrap();
    let url_line = lines
        .iter()
        .position(|l| l.contains("/v3/oauth2/device"))
        .unwrap();
    assert!(first_qr > 0 && last_qr < url_line, "{waiting}");
    // The QR's top quiet zone is its first line: it starts right under the heading.
    assert!(
        lines[first_qr - 1].contains("Scan this QR code"),
        "{waiting}"
    );
}

/// In a log (stderr not a terminal): the URL and code, one line saying how long the wait is,
/// no QR code, no spinner or cursor control.
#[test]
fn in_a_log_no_qr_and_no_spinner() {
    let w = World::new();
    let args = [
        "login",
        "--base-url",
        w.url(),
        "--device",
        "--client-id",
        "test-client",
    ];
    let (r, code) = device_login_approved(&w, "json", &args);
    r.ok();
    let err = &r.stderr;
    assert!(
        err.contains(&code) && err.contains("/v3/oauth2/device"),
        "{err}"
    );
    assert!(!has_qr(err), "{err}");
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    assert_eq!(err.matches("Waiting for approval").count(), 1, "{err}");
}

/// `--wait` is the login's own deadline, not the per-request `--timeout`, and each message
/// says which one ran out.
#[test]
fn wait_and_code_expiry_say_which_deadline_ran_out() {
    let w = World::new();
    // --timeout 3 is the per-request limit: it does not end the login after 3 s.
    let mut c = w.cmd("json");
    c.args([
        "--timeout",
        "3",
        "login",
        "--base-url",
        w.url(),
        "--device",
        "--client-id",
        "test-client",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    let code = wait_for_user_code(&w);
    std::thread::sleep(Duration::from_millis(4500));
    w.server.approve_device(&code, "testuser").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // --wait 2s runs out while the code is still good: said so, with its own reason, and not
    // before two seconds have passed.
    let before = Instant::now();
    let r = w.run(
        "json",
        &[
            "--json",
            "login",
            "--base-url",
            w.url(),
            "--device",
            "--client-id",
            "test-client",
            "--wait",
            "2s",
        ],
        None,
    );
    r.code(4);
    assert!(
        before.elapsed() >= Duration::from_secs(2),
        "{:?}",
        before.elapsed()
    );
    assert!(
        r.stderr
            .contains("stopped waiting for approval after 2s (--wait)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("still valid"), "{}", r.stderr);
    assert!(!r.stderr.contains("expired"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["error"]["reason"], "login_wait_timeout");

    // The code itself expires first (a 2 s code, the default 15 m wait): said so.
    w.control(
        "POST",
        "/_test/config",
        Some(r#"{"v3_device_code_lifetime":2}"#),
    );
    let r = w.run(
        "json",
        &[
            "--json",
            "login",
            "--base-url",
            w.url(),
            "--device",
            "--client-id",
            "test-client",
        ],
        None,
    );
    r.code(4);
    assert!(
        r.stderr
            .contains("the device code expired before it was approved"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("--wait"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["error"]["reason"], "device_code_expired");

    // Durations: 0 and nonsense are refused by name.
    w.run("json", &["login", "--device", "--wait", "0"], None)
        .code(2);
    let r = w.run("json", &["login", "--device", "--wait", "soon"], None);
    r.code(2);
    assert!(r.stderr.contains("90s, 10m, 1h"), "{}", r.stderr);
}
