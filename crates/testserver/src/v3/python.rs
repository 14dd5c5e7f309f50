//! How the Python Authenticator renders values inside its messages (`str()`, `repr()`), for
//! error texts that must match the real server's word for word.

/// Python's `str()` of an optional string.
pub(super) fn py_str(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("None")
}

/// Python's `repr()` of a list of strings.
pub(super) fn py_list(v: &[&str]) -> String {
    let items: Vec<String> = v.iter().map(|g| format!("'{g}'")).collect();
    format!("[{}]", items.join(", "))
}
