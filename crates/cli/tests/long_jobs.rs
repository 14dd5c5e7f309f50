//! Long jobs: a batch job that ran `eval "$(tapis-auth env)"` holds only an access token in its
//! environment. Once that token runs low, the library must keep handing out tokens from the
//! login the token came from (which can refresh), as long as that cache is reachable.

mod common;

use std::collections::HashMap;

use common::*;

/// `tapis-auth env` output (sh syntax) as a map.
fn exported(w: &World) -> HashMap<String, String> {
    let out = w.run("json", &["env"], None).ok().to_owned();
    out.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect()
}

/// A command running as the job does: only the exported variables, another HOME (a compute
/// node's view), no TAPIS_CACHE_DIR of the test's own.
fn job(w: &World, vars: &HashMap<String, String>) -> std::process::Command {
    let mut c = w.cmd("json");
    c.env_remove("TAPIS_CACHE_DIR")
        .env_remove("TAPIS_AUTH_STORE")
        .env("HOME", w.home.path().join("elsewhere"));
    c.envs(vars);
    c
}

/// Makes the cached Agave v2 access token 20000 s old (it lives 14400 s).
fn expire_cache(w: &World) {
    for name in ["config.json", "current"] {
        let p = w.cache().join(name);
        let text = std::fs::read_to_string(&p).unwrap();
        let old = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 20_000)
            .to_string();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        fn fix(v: &mut serde_json::Value, old: &str) {
            if let Some(m) = v.as_object_mut() {
                if m.contains_key("access_token") {
                    m.insert("created_at".into(), old.into());
                    m.remove("access_expires_at");
                }
                for c in m.values_mut() {
                    fix(c, old);
                }
            }
        }
        fix(&mut v, &old);
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    }
}

#[test]
fn a_job_with_an_exported_token_keeps_getting_tokens_from_its_login() {
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    let vars = exported(&w);
    assert_eq!(
        vars.get("TAPIS_CACHE_DIR").map(String::as_str),
        Some(w.cache().to_str().unwrap()),
        "env names the cache the login lives in: {vars:?}"
    );
    let first = vars["TAPIS_TOKEN"].clone();
    // The exported token is handed out while it is good.
    let r = run_cmd(job(&w, &vars), &["token"], None);
    assert_eq!(r.ok().trim_end(), first);
    // It runs low (here: the login's tokens have expired): the job's next call refreshes the
    // login in the cache, once, and gets a new token.
    expire_cache(&w);
    let r = run_cmd(job(&w, &vars), &["token"], None);
    let second = r.ok().trim_end().to_owned();
    assert_ne!(second, first);
    assert_eq!(w.grants("v2.refresh_token"), 1);
    // The refreshed tokens were saved where the login lives: the next call sends nothing.
    let r = run_cmd(job(&w, &vars), &["token"], None);
    assert_eq!(r.ok().trim_end(), second);
    assert_eq!(w.grants("v2.refresh_token"), 1);
    let st = run_cmd(job(&w, &vars), &["status"], None);
    assert!(
        st.ok().contains("the login TAPIS_TOKEN came from"),
        "{}",
        st.stdout
    );
}

/// Another user's login in the cache is never used for the job's token.
#[test]
fn a_job_token_of_another_user_is_not_served_from_the_cache() {
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    let mut vars = exported(&w);
    vars.insert("TAPIS_USERNAME".into(), "someoneelse".into());
    let r = run_cmd(job(&w, &vars), &["status"], None);
    assert!(r.ok().contains("environment (TAPIS_*)"), "{}", r.stdout);
}
