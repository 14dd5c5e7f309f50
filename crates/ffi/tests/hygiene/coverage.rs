//! Every function of the C header is exercised: the children's counts of success-path and
//! error-path calls are added up and held against the functions `include/tapis_auth.h`
//! declares, so a new export without hygiene coverage fails the parent test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::ONE_WAY;

/// The exported functions declared in the checked-in header.
pub(crate) fn header_functions() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include/tapis_auth.h");
    let text = std::fs::read_to_string(path).unwrap();
    let mut names = BTreeSet::new();
    let mut in_comment = false;
    for line in text.lines() {
        let l = line.trim_start();
        if in_comment {
            in_comment = !l.contains("*/");
            continue;
        }
        if l.starts_with("/*") {
            in_comment = !l.contains("*/");
            continue;
        }
        if l.starts_with("//") || l.starts_with('#') {
            continue;
        }
        for (i, _) in l.match_indices("tapis_auth_") {
            let rest = &l[i..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if rest[name.len()..].starts_with('(') {
                names.insert(name);
            }
        }
    }
    names
}

/// Adds one child's `coverage` file (`name successes errors` lines) to `total`.
pub(crate) fn add(total: &mut BTreeMap<String, [u32; 2]>, text: &str) {
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(name), Some(ok), Some(err)) = (f.next(), f.next(), f.next()) else {
            panic!("bad coverage line {line:?}");
        };
        let counts = total.entry(name.to_owned()).or_default();
        counts[0] += ok.parse::<u32>().unwrap();
        counts[1] += err.parse::<u32>().unwrap();
    }
}

/// Fails unless every function of the header was called on a success path and (but for
/// [`ONE_WAY`]) on an error path, and every function called is in the header.
pub(crate) fn check(total: &BTreeMap<String, [u32; 2]>, header: &BTreeSet<String>) {
    assert!(header.len() >= 60, "header parse found {}", header.len());
    let mut missing = Vec::new();
    for f in header {
        let [ok, err] = total.get(f).copied().unwrap_or_default();
        if ok == 0 || (err == 0 && !ONE_WAY.contains(&f.as_str())) {
            missing.push(format!("{f} (success {ok}, error {err})"));
        }
    }
    assert!(
        missing.is_empty(),
        "C functions without hygiene coverage:\n  {}",
        missing.join("\n  ")
    );
    for f in total.keys() {
        assert!(header.contains(f), "{f} is not in the header");
    }
}
