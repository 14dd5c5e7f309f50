//! Helpers for the integration tests: a test authenticator, a temporary HOME and cache, and
//! the real `tapis-auth` binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use serde_json::Value;
use tapis_auth_testserver::{Config, TestServer};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tapis-auth");

/// A test authenticator and a private HOME/cache directory.
pub struct World {
    pub server: TestServer,
    pub home: tempfile::TempDir,
}

/// The result of one run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts success and returns stdout parsed as the one JSON object `--json` prints.
    #[track_caller]
    pub fn json(&self) -> Value {
        let out = self.ok().trim();
        serde_json::from_str(out).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}): {out}\nstderr: {}",
                self.stderr
            )
        })
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit code {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

impl World {
    pub fn new() -> Self {
        Self::with(Config::default())
    }

    pub fn with(config: Config) -> Self {
        World {
            server: TestServer::start(config),
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn url(&self) -> &str {
        self.server.url()
    }

    pub fn cache(&self) -> PathBuf {
        self.home.path().join("cache")
    }

    /// A command with a clean environment: private HOME and cache, no TAPIS_* or AGAVE_*
    /// variables from the outside, no colour, the given store.
    pub fn cmd(&self, store: &str) -> Command {
        let mut c = Command::new(BIN);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("TAPIS")
                || k.starts_with("AGAVE")
                || k == "DISPLAY"
                || k == "WAYLAND_DISPLAY"
            {
                c.env_remove(&k);
            }
        }
        c.env("HOME", self.home.path())
            .env("TAPIS_CACHE_DIR", self.cache())
            .env("TAPIS_AUTH_STORE", store)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    /// Runs `tapis-auth ARGS` with `input` on stdin.
    pub fn run(&self, store: &str, args: &[&str], input: Option<&str>) -> Run {
        run_cmd(self.cmd(store), args, input)
    }

    /// Password login (v3 or v2) through --password-stdin.
    pub fn login(&self, store: &str, platform: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "login",
            "--base-url",
            self.url(),
            "--platform",
            platform,
            "--username",
            "testuser",
            "--password-stdin",
        ];
        args.extend_from_slice(extra);
        self.run(store, &args, Some("testpass\n"))
    }

    /// GET or POST a `/_test/` endpoint.
    pub fn control(&self, method: &str, path: &str, body: Option<&str>) -> Value {
        http(self.url(), method, path, body)
    }

    /// Count of refreshes by grant key (`v3.refresh_token`, `v2.refresh_token`).
    pub fn grants(&self, key: &str) -> u64 {
        self.server.stats().grant(key)
    }
}

pub fn run_cmd(mut c: Command, args: &[&str], input: Option<&str>) -> Run {
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if input.is_some() {
        c.stdin(Stdio::piped());
    }
    let mut child = c.spawn().expect("spawn tapis-auth");
    if let Some(i) = input {
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(i.as_bytes());
    }
    Run::from(child.wait_with_output().unwrap())
}

/// A `BROWSER` command standing in for the user's browser: it approves the login at the test
/// authenticator as `testuser` and follows the redirect (curl).
pub fn fake_browser(w: &World) -> PathBuf {
    let script = w.home.path().join("fake-browser.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nexec curl -s -L -o /dev/null \"$1&test_user=testuser\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// A minimal HTTP/1.1 client for the control endpoints (JSON in, JSON out).
pub fn http(base: &str, method: &str, path: &str, body: Option<&str>) -> Value {
    use std::io::Read;
    let hostport = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(hostport).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (_, b) = resp.split_once("\r\n\r\n").unwrap_or(("", ""));
    serde_json::from_str(b).unwrap_or(Value::Null)
}

/// Decodes a JWT's claims (no signature check).
pub fn jwt_claims(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The access token the JSON cache (`config.json`) holds for the current profile.
pub fn cached_token(cache: &Path) -> Option<String> {
    let text = std::fs::read_to_string(cache.join("config.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let profile = v["tapis_auth"]["current_profile"].as_str()?.to_owned();
    find_profile(&v["sessions"], &profile)
}

fn find_profile(v: &Value, profile: &str) -> Option<String> {
    let m = v.as_object()?;
    if m.get("tapis_profile").and_then(Value::as_str) == Some(profile) {
        return m
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    m.values().find_map(|x| find_profile(x, profile))
}

/// Every secret a logged-in session holds, for "never printed" checks.
pub fn secrets_in_cache(cache: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in ["current", "config.json"] {
        if let Ok(t) = std::fs::read_to_string(cache.join(f)) {
            collect(&serde_json::from_str(&t).unwrap_or(Value::Null), &mut out);
        }
    }
    out
}

fn collect(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let k = k.to_ascii_lowercase();
                if let Value::String(s) = x {
                    if (k.contains("token")
                        || k.contains("secret")
                        || k.contains("key")
                        || k.contains("password"))
                        && s.len() >= 8
                        && k != "apikey"
                        && k != "client_id"
                    {
                        out.push(s.clone());
                    }
                }
                collect(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        _ => {}
    }
}

/// Polls the server until a device code is pending and returns its user code.
pub fn wait_for_user_code(w: &World) -> String {
    for _ in 0..300 {
        if let Some(c) = w.server.pending_user_codes().into_iter().next() {
            return c;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no device code was requested");
}

/// Runs `tapis-auth ARGS` (a device login) with stdout and stderr piped, approves its device
/// code as `testuser` through the server, and returns the run and the user code.
pub fn device_login_approved(w: &World, store: &str, args: &[&str]) -> (Run, String) {
    let mut c = w.cmd(store);
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = c.spawn().expect("spawn tapis-auth");
    let code = wait_for_user_code(w);
    w.server.approve_device(&code, "testuser").unwrap();
    (Run::from(child.wait_with_output().unwrap()), code)
}

/// `export NAME='value'` lines (the sh syntax `env` and `--export` print) as pairs.
pub fn parse_exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.trim_matches('\'').to_owned())
        })
        .collect()
}
