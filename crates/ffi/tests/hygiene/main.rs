//! Secret hygiene over the whole C ABI (issue 7), one concern per file.
//!
//! [`every_c_function_keeps_secrets_out_of_every_output`] re-runs this test binary once per
//! concern, as child processes running side by side (`RUST_LOG=trace`, `RUST_BACKTRACE=1`,
//! output not captured, no `TAPIS_*` variables). Each child (`<concern>::hygiene_child`) calls
//! the functions declared in `include/tapis_auth.h` that its concern is about, through their
//! `extern "C"` entry points, on success and on error paths, for Tapis v3 and Agave v2 and for
//! the JSON and SQLite stores:
//! - `arguments`: NULL arguments, invalid UTF-8, out-of-range numbers, NULL handles, the
//!   status table and the version — no server needed;
//! - `network`: a bad base URL, an unreachable server, plain HTTP to a remote host, a CA file
//!   that does not exist;
//! - `login`: the default restore, a wrong password, a client key the server echoes back,
//!   faults in the password grant, the token functions;
//! - `refresh`: faults in the refresh grant, a refresh token spent by a lost response;
//! - `explicit_tokens`: sessions from a real and from bogus access and refresh tokens;
//! - `clients`: creating an OAuth client, whose key is a secret too;
//! - `cache_files`: a cache readable by others, tightened with a warning;
//! - `device`: device login;
//! - `panics`: a panic inside the library;
//! - `logout`: logout with a failing revocation;
//! - `rust_values`: the Rust values under the C library.
//!
//! The children plant distinctive passwords and client keys and collect every token the server
//! issued (returned by the library, or read back from the stores) and every client key
//! `tapis_auth_client_create` returned. Each child asserts that none of them appears in
//! - any error message, or the `Debug` print of any error object;
//! - any non-secret string the library returns (whoami getters, device strings, status names,
//!   warnings, the version);
//! - the `Debug` print of every Rust value the test can reach (options, sessions with their
//!   token manager, store and stored record, whoami, Rust-level errors, clients, device
//!   prompts);
//!
//! and the parent, that none of the secrets of any child appears in any child's stdout or
//! stderr (logs and panic-hook output included).
//!
//! The parent also fails when a function of the header was never called, or was never called
//! both on a success and on an error path over all the children (`ONE_WAY` lists the two that
//! have no error path), so a new export without hygiene coverage fails this test.
//!
//! A child also runs by hand, with its own checks only (not the output scan or the coverage):
//! `cargo test -p tapis-auth-ffi --test hygiene -- --ignored --nocapture login::`.

#![allow(unsafe_code)]

mod common;

mod arguments;
mod cache_files;
mod clients;
mod coverage;
mod device;
mod explicit_tokens;
mod login;
mod logout;
mod network;
mod panics;
mod refresh;
mod rust_values;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use tapis_auth_ffi::tapis_auth_status_name;

use common::{borrowed, CHILD_OUT};

/// The children this binary holds: its ignored tests named `<concern>::hygiene_child`.
fn children(exe: &Path) -> Vec<String> {
    let list = Command::new(exe)
        .args(["--list", "--ignored"])
        .output()
        .unwrap();
    assert!(list.status.success(), "{list:?}");
    String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .filter(|name| name.ends_with("::hygiene_child"))
        .map(str::to_owned)
        .collect()
}

/// One child's run: its output, and the directory where it left its secrets, coverage and
/// statuses.
struct Child {
    name: String,
    run: Output,
    out: tempfile::TempDir,
}

impl Child {
    /// Runs the child `name` of this binary and waits for it.
    fn run(exe: &Path, name: &str) -> Child {
        let out = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(exe);
        cmd.args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ]);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("TAPIS_") || k.starts_with("AGAVE_") {
                cmd.env_remove(k);
            }
        }
        cmd.env(CHILD_OUT, out.path())
            .env("TAPIS_CACHE_DIR", cache.path())
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1");
        let run = cmd.output().unwrap();
        Child {
            name: name.to_owned(),
            run,
            out,
        }
    }

    /// A file the child left (empty when it did not get that far).
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join(name)).unwrap_or_default()
    }
}

#[test]
fn every_c_function_keeps_secrets_out_of_every_output() {
    let exe = std::env::current_exe().unwrap();
    let names = children(&exe);
    assert!(
        names.len() >= 11,
        "found only these hygiene children: {names:?}"
    );
    let runs: Vec<Child> = std::thread::scope(|scope| {
        let running: Vec<_> = names
            .iter()
            .map(|name| {
                let exe = &exe;
                scope.spawn(move || Child::run(exe, name))
            })
            .collect();
        running.into_iter().map(|r| r.join().unwrap()).collect()
    });
    // Every child's output is searched for the secrets of all of them.
    let secrets: BTreeSet<String> = runs
        .iter()
        .flat_map(|c| {
            c.file("secrets")
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let redact = |b: &[u8]| {
        let mut t = String::from_utf8_lossy(b).into_owned();
        for s in &secrets {
            t = t.replace(s.as_str(), "<SECRET>");
        }
        t
    };
    for c in &runs {
        let (stdout, stderr) = (redact(&c.run.stdout), redact(&c.run.stderr));
        let name = &c.name;
        assert!(
            c.run.status.success(),
            "the child {name} failed ({:?}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            c.run.status
        );
        assert!(
            !stdout.contains("<SECRET>") && !stderr.contains("<SECRET>"),
            "a secret reached the output of the child {name}:\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        // Panics inside the library are caught without the panic hook printing anything.
        assert!(
            !stderr.contains("panicked") && !stdout.contains("panicked"),
            "{name}: {stderr}"
        );
    }
    assert!(
        secrets.len() >= 20,
        "the children collected {} secrets",
        secrets.len()
    );
    // Coverage: every function of the header, on a success path and on an error path.
    let mut total = BTreeMap::new();
    for c in &runs {
        coverage::add(&mut total, &c.file("coverage"));
    }
    let header = coverage::header_functions();
    coverage::check(&total, &header);
    let (mut texts, mut statuses) = (0, BTreeSet::new());
    for c in &runs {
        let text = c.file("statuses");
        let mut lines = text.lines();
        texts += lines.next().unwrap().parse::<usize>().unwrap();
        for s in lines.next().unwrap_or_default().split_whitespace() {
            statuses.insert(s.parse::<u32>().unwrap());
        }
    }
    let statuses: Vec<_> = statuses
        .into_iter()
        .map(|s| borrowed(tapis_auth_status_name(s)).unwrap())
        .collect();
    println!(
        "children {}\nfunctions {} / {}\ncalls {}\ntexts {texts}\nsecrets {}\nstatuses {}",
        runs.len(),
        total.len(),
        header.len(),
        total.values().map(|[a, b]| a + b).sum::<u32>(),
        secrets.len(),
        statuses.join(" ")
    );
}
