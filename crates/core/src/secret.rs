//! [`Secret`]: a string that never prints itself and is zeroed when dropped.
//!
//! Every password, client key, access token, refresh token and device code in libtapis_auth is a
//! `Secret`. `Debug` and `Display` print [`REDACTED`]; the only way to read the value is
//! [`Secret::expose`], so every place that reveals a secret is greppable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// The marker printed in place of a secret's value.
pub const REDACTED: &str = "[redacted]";

/// A secret string: redacted in `Debug`/`Display`, zeroed on drop.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value. The `String`'s whole buffer is zeroed when the `Secret` is dropped.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Reveals the value. Call this only where the value must leave the process
    /// (an HTTP request, a store, the caller who asked for a token).
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// True when the secret holds the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length of the value in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// A short, one-way name for the value: the first 16 bytes of its SHA-256, in hex. Safe to
    /// write where the secret itself must not go (file names, a cache's history of refresh
    /// tokens it has replaced): tokens are long random strings, so the hash reveals nothing
    /// usable about them.
    pub fn fingerprint(&self) -> String {
        fingerprint(&[self.expose().as_bytes()])
    }
}

/// The first 16 bytes of the SHA-256 of `parts`, each prefixed by its length (so that no two
/// different lists hash alike), in lower-case hex.
pub(crate) fn fingerprint(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Drop for Secret {
    /// Zeroes the whole buffer, spare capacity included, with `zeroize`'s volatile writes —
    /// eight bytes at a time over the aligned middle. (`zeroize` on a byte slice writes one
    /// byte at a time: about 130 ns for a 900-byte Tapis token, which used to be most of the
    /// cost of handing out a copy of the cached token.)
    fn drop(&mut self) {
        wipe(std::mem::take(&mut self.0).into_bytes());
    }
}

/// Zeroes a byte buffer — its length and its spare capacity — with `zeroize`'s volatile
/// writes, eight bytes at a time over the word-aligned middle, then frees it. Used for every
/// secret this library drops or hands back to C (`tapis_auth_string_free`).
pub fn wipe(mut bytes: Vec<u8>) {
    let (head, words, tail) = bytemuck::pod_align_to_mut::<u8, u64>(&mut bytes);
    head.zeroize();
    words.zeroize();
    tail.zeroize();
    bytes.spare_capacity_mut().zeroize();
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// Replaces every occurrence of each secret (of 4 bytes or more) in `text` with [`REDACTED`]:
/// as it is, in any ASCII letter case, URL-encoded (`%21`, and `+` for a space),
/// JSON-escaped, and base64-encoded — the forms a server that echoes a request may use.
///
/// Used on server messages before they enter an error: the Tapis Authenticator echoes the
/// client key back in `Invalid client credentials: {id}, {key}`.
pub fn redact_all(text: &str, secrets: &[&Secret]) -> String {
    // Every match is found in the text as it came (never in an earlier replacement: a secret
    // that [`REDACTED`] itself contains must not be found in it again), then replaced once.
    // ASCII lower-casing keeps every byte offset, so a match in `lower` is one in `text`.
    let lower = zeroize::Zeroizing::new(text.to_ascii_lowercase());
    let mut found: Vec<(usize, usize)> = Vec::new();
    for s in secrets {
        // Very short values would redact ordinary words; real secrets are longer.
        if s.len() < 4 {
            continue;
        }
        for form in encoded_forms(s.expose()) {
            if form.len() < 4 {
                continue;
            }
            let pattern = zeroize::Zeroizing::new(form.to_ascii_lowercase());
            found.extend(
                lower
                    .match_indices(pattern.as_str())
                    .map(|(at, m)| (at, at + m.len())),
            );
        }
    }
    if found.is_empty() {
        return text.to_owned();
    }
    found.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in found {
        if end <= last {
            continue;
        }
        if start >= last {
            out.push_str(&text[last..start]);
            out.push_str(REDACTED);
        }
        // An overlapping match extends the redaction already written.
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// `secret` as it is and in the encodings a server may echo it in. Wiped when dropped.
fn encoded_forms(secret: &str) -> Vec<zeroize::Zeroizing<String>> {
    use base64::Engine;
    let z = zeroize::Zeroizing::new;
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned();
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret.as_bytes());
    let b64_unpadded = b64.trim_end_matches('=').to_owned();
    vec![
        z(secret.to_owned()),
        z(form),
        z(percent),
        z(json),
        z(b64),
        z(b64_unpadded),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("hunter2-password");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert!(!format!("{s:#?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-password");
    }

    #[test]
    fn serde_round_trip_keeps_value() {
        let s = Secret::new("abc");
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, "\"abc\"");
        let back: Secret = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn every_length_and_alignment_drops_cleanly() {
        // Head, word-aligned middle and tail of every shape, and spare capacity.
        for len in 0..70 {
            let mut v = String::with_capacity(len + 9);
            v.push_str(&"k".repeat(len));
            let s = Secret::new(v);
            assert_eq!(s.len(), len);
            let c = s.clone();
            drop(s);
            assert_eq!(c.expose(), "k".repeat(len));
        }
    }

    #[test]
    fn fingerprints_are_short_stable_and_distinct() {
        let a = Secret::new("refresh-token-a").fingerprint();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, Secret::new("refresh-token-a").fingerprint());
        assert_ne!(a, Secret::new("refresh-token-b").fingerprint());
        assert!(!a.contains("refresh"));
        // Length prefixes: ("ab", "c") and ("a", "bc") differ.
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
    }

    #[test]
    fn redact_all_catches_the_echoed_forms_of_a_secret() {
        use base64::Engine;
        let pw = Secret::new("Hunter2 Pass!\"x");
        let b64 = base64::engine::general_purpose::STANDARD.encode(pw.expose());
        for echoed in [
            "HUNTER2 PASS!\"X".to_owned(),
            "hunter2 pass!\"x".to_owned(),
            "Hunter2+Pass%21%22x".to_owned(),
            "Hunter2%20Pass%21%22x".to_owned(),
            "hunter2%20pass%21%22X".to_owned(),
            r#"Hunter2 Pass!\"x"#.to_owned(),
            b64.clone(),
            b64.trim_end_matches('=').to_owned(),
        ] {
            let text = format!("server said: <{echoed}>");
            let r = redact_all(&text, &[&pw]);
            assert_eq!(r, "server said: <[redacted]>", "{echoed}");
        }
    }

    #[test]
    fn a_secret_inside_the_redaction_marker_does_not_loop_forever() {
        let r = redact_all("dact and DACT", &[&Secret::new("dact")]);
        assert_eq!(r, "[redacted] and [redacted]");
    }

    #[test]
    fn redact_all_replaces_every_occurrence() {
        let k = Secret::new("3kRdPMv7arpRn");
        let msg = "Invalid client credentials: cid, 3kRdPMv7arpRn. session: 3kRdPMv7arpRn";
        let out = redact_all(msg, &[&k]);
        assert!(!out.contains("3kRdPMv7arpRn"));
        assert_eq!(out.matches(REDACTED).count(), 2);
    }
}
