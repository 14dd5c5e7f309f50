//! `tapis-auth-testserver` binary: runs the test server until SIGTERM/SIGINT or the time limit.

use std::io::Write;
use std::time::Duration;

use tapis_auth_testserver::{Config, TestServer};

const USAGE: &str = "usage: tapis-auth-testserver [options]
  --port N                 port on 127.0.0.1 (default: chosen by the OS)
  --url-file PATH          write the base URL to PATH once listening
  --time-limit SECS        exit after SECS seconds (default 600, 0 = no limit)
  --tls                    serve HTTPS with a freshly generated CA (SAN 127.0.0.1, localhost)
  --ca-out PATH            write the CA certificate PEM to PATH (with --tls)
  --single-use-refresh     make v3 refresh tokens single-use
  -h, --help               this text
Tenant test (v3) and test.v2 (v2), user testuser:testpass; the rest (TTLs, faults, device
approval, ...) is set at run time through the /_test/ control endpoints (see the crate docs).";

fn fail(msg: &str) -> ! {
    eprintln!("tapis-auth-testserver: {msg}\n{USAGE}");
    std::process::exit(2);
}

fn write_atomic(path: &str, content: &str) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp{}", std::process::id());
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path)
}

fn main() {
    let mut cfg = Config {
        handle_signals: true,
        ..Config::default()
    };
    let (mut url_file, mut ca_out) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next()
                .unwrap_or_else(|| fail(&format!("{name} needs a value")))
        };
        let num = |s: String, name: &str| -> i64 {
            s.parse()
                .unwrap_or_else(|_| fail(&format!("{name}: not a number: {s}")))
        };
        match a.as_str() {
            "--port" => {
                let v = val("--port");
                cfg.port = v.parse().unwrap_or_else(|_| fail("--port: bad port"));
            }
            "--url-file" => url_file = Some(val("--url-file")),
            "--time-limit" => {
                let s = num(val("--time-limit"), "--time-limit");
                cfg.time_limit = (s > 0).then(|| Duration::from_secs(s as u64));
            }
            "--tls" => cfg.tls = true,
            "--ca-out" => ca_out = Some(val("--ca-out")),
            "--single-use-refresh" => cfg.runtime.v3_single_use_refresh = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    let server = TestServer::try_start(cfg).unwrap_or_else(|e| fail(&format!("cannot start: {e}")));
    if let (Some(path), Some(pem)) = (&ca_out, server.ca_pem()) {
        if let Err(e) = write_atomic(path, pem) {
            fail(&format!("cannot write {path}: {e}"));
        }
    }
    if let Some(path) = &url_file {
        if let Err(e) = write_atomic(path, &format!("{}\n", server.url())) {
            fail(&format!("cannot write {path}: {e}"));
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "tapis-auth-testserver listening on {}", server.url());
    let _ = out.flush();
    drop(out);
    server.wait();
}
