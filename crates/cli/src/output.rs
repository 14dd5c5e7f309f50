//! The `--json` contract: every run prints exactly one JSON object, on one line, on stdout —
//! on success and on failure alike. The schema is documented in the crate's README
//! ("JSON output"); the integration tests check it for every command.
//!
//! ```text
//! {"ok":true,"command":"status", ...the command's fields..., "warnings":[]}
//! {"ok":false,"command":"token","error":{"exit_code":3,"name":"login_required",
//!  "reason":"refresh_rejected","message":"...","hint":"..."},"warnings":[]}
//! ```

use serde_json::{json, Map, Value};

use crate::exit::{self, CliError};

/// The version of the JSON schema, printed in every object as `schema`. It changes only when a
/// field is removed or changes meaning; new fields may appear at any time.
pub const SCHEMA: u32 = 1;

/// The object a successful command prints: `ok`, `schema`, `command`, the command's own fields
/// (`fields` must be an object; anything else is put under `result`), and `warnings`.
pub fn success(command: &str, fields: Value, warnings: &[String]) -> Value {
    let mut o = Map::new();
    o.insert("ok".into(), Value::Bool(true));
    o.insert("schema".into(), json!(SCHEMA));
    o.insert("command".into(), json!(command));
    match fields {
        Value::Object(m) => o.extend(m),
        Value::Null => {}
        other => {
            o.insert("result".into(), other);
        }
    }
    o.insert("warnings".into(), json!(warnings));
    Value::Object(o)
}

/// The object a failed command prints: `ok: false`, `schema`, `command` (null when the
/// command line could not be parsed), `error` (`exit_code`, `name` — the exit code's class —,
/// `reason`, `message`, `hint`) and `warnings`.
pub fn failure(command: Option<&str>, e: &CliError, warnings: &[String]) -> Value {
    json!({
        "ok": false,
        "schema": SCHEMA,
        "command": command,
        "error": {
            "exit_code": e.code,
            "name": exit::name_of(e.code),
            "reason": e.reason,
            "message": e.message,
            "hint": e.hint,
        },
        "warnings": warnings,
    })
}

/// Prints [`json_line`] on stdout.
pub fn print(v: &Value) -> std::io::Result<()> {
    crate::ui::out(&json_line(v))
}

/// `v` on one line, and a newline. Characters a terminal would obey that JSON leaves as they
/// are (DEL, C1 controls, bidirectional overrides) are written as `\uXXXX` escapes: the same
/// JSON value, and nothing for a terminal to act on.
pub fn json_line(v: &Value) -> String {
    let text = v.to_string();
    let mut safe = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if tapis_auth_core::display::is_unsafe_char(c) {
            // serde_json has escaped C0 controls already, so this is only ever in a string;
            // every such character is in the Basic Multilingual Plane.
            safe.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            safe.push(c);
        }
    }
    safe.push('\n');
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_merges_fields_and_failure_names_the_class() {
        let v = success("status", json!({"profile": "p"}), &["w".into()]);
        assert_eq!(v["ok"], true);
        assert_eq!(v["command"], "status");
        assert_eq!(v["profile"], "p");
        assert_eq!(v["warnings"][0], "w");
        let v = success("profiles list", json!([1]), &[]);
        assert_eq!(v["result"][0], 1);
        let e = CliError::new(exit::LOGIN_REQUIRED, "m").with_reason("refresh_rejected");
        let v = failure(None, &e, &[]);
        assert_eq!(v["ok"], false);
        assert!(v["command"].is_null());
        assert_eq!(v["error"]["exit_code"], 3);
        assert_eq!(v["error"]["name"], "login_required");
        assert_eq!(v["error"]["reason"], "refresh_rejected");
        assert!(!v.to_string().contains('\n'));
    }

    #[test]
    fn json_output_escapes_what_a_terminal_would_obey_and_stays_the_same_value() {
        let v = json!({"username": "jdoe\u{1b}]52;c;eA==\u{7}\u{9b}2J\u{202e}\u{7f}"});
        let safe = json_line(&v);
        assert!(safe.ends_with('\n'));
        assert!(
            !safe
                .trim_end()
                .chars()
                .any(tapis_auth_core::display::is_unsafe_char),
            "{safe}"
        );
        let back: Value = serde_json::from_str(safe.trim_end()).unwrap();
        assert_eq!(back, v);
    }
}
