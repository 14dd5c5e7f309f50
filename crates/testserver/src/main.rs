//! `tapis-auth-testserver` binary: runs the test server until `/_test/shutdown`, SIGTERM/SIGINT or the time limit.

use std::io::Write;
use std::time::Duration;

use tapis_auth_testserver::{Config, FaultFormat, TestServer};

const USAGE: &str = "usage: tapis-auth-testserver [options]
  --port N                 port on 127.0.0.1 (default: chosen by the OS)
  --url-file PATH          write the base URL to PATH once listening
  --time-limit SECS        exit after SECS seconds (default 600, 0 = no limit)
  --tls                    serve HTTPS with a freshly generated CA (SAN 127.0.0.1, localhost)
  --ca-out PATH            write the CA certificate PEM to PATH (with --tls)
  --tenant-id ID           Tapis v3 tenant id (default test)
  --v2-tenant-code CODE    Agave v2 tenant code (default test.v2)
  --user NAME:PASS         add a user (repeatable; testuser:testpass always exists unless --no-default-user)
  --no-default-user        do not create testuser
  --access-ttl SECS        v3 access-token TTL (default 14400)
  --refresh-ttl SECS       v3 refresh-token TTL (default 31536000)
  --device-ttl SECS        v3 device-code access-token TTL (default 2592000)
  --v2-access-ttl SECS     v2 access-token TTL (default 14400)
  --v2-refresh-ttl SECS    v2 refresh-token TTL (default 31536000)
  --single-use-refresh     make v3 refresh tokens single-use
  --v2-fault-format F      json (default) or xml
  --auto-approve USER      approve browser logins at /v3/oauth2/authorize immediately as USER
  --fresh-key              (no effect for the binary: each process has its own key)
  -h, --help               this text";

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
    let mut default_user = true;
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
            "--tenant-id" => cfg.tenant_id = val("--tenant-id"),
            "--v2-tenant-code" => cfg.v2_tenant_code = val("--v2-tenant-code"),
            "--user" => {
                let v = val("--user");
                let (u, p) = v
                    .split_once(':')
                    .unwrap_or_else(|| fail("--user needs NAME:PASS"));
                cfg.users.push((u.into(), p.into()));
            }
            "--no-default-user" => default_user = false,
            "--access-ttl" => cfg.runtime.v3_access_ttl = num(val(&a), &a),
            "--refresh-ttl" => cfg.runtime.v3_refresh_ttl = num(val(&a), &a),
            "--device-ttl" => cfg.runtime.v3_device_access_ttl = num(val(&a), &a),
            "--v2-access-ttl" => cfg.runtime.v2_access_ttl = num(val(&a), &a),
            "--v2-refresh-ttl" => cfg.runtime.v2_refresh_ttl = num(val(&a), &a),
            "--single-use-refresh" => cfg.runtime.v3_single_use_refresh = true,
            "--v2-fault-format" => {
                cfg.runtime.v2_fault_format = match val(&a).as_str() {
                    "json" => FaultFormat::Json,
                    "xml" => FaultFormat::Xml,
                    _ => fail("--v2-fault-format: json or xml"),
                }
            }
            "--auto-approve" => cfg.runtime.auto_approve_user = Some(val(&a)),
            "--fresh-key" => cfg.fresh_key = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    if !default_user && !cfg.users.is_empty() {
        // The built-in testuser is always the first entry; --user entries follow it.
        cfg.users.remove(0);
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
