//! Text from elsewhere (a server, a cache file) made safe to show to a person.
//!
//! A terminal obeys escape sequences: an OSC 52 sequence writes the clipboard, CSI sequences
//! move the cursor and erase what was shown, and bidirectional-override characters reorder
//! text so that it reads differently from what it is. [`printable`] escapes every such
//! character, so server text can be shown but never acts. The core runs every server message
//! through it before the message enters an [`crate::Error`]; the `tapis-auth` command runs
//! everything it shows a person through it.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters that must not reach a terminal as they are: C0 and C1 control
/// characters (ESC, BEL, CR, LF, TAB, …, DEL) and the Unicode bidirectional controls
/// (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [`is_unsafe_char`] character replaced by its escape (`\u{1b}`), so that
/// it shows what was sent and does nothing. Borrowed when there was nothing to escape.
///
/// ```
/// use tapis_auth_core::display::printable;
/// assert_eq!(printable("jdoe"), "jdoe");
/// assert_eq!(printable("a\x1b]52;c;ZXZpbA==\x07b"), "a\\u{1b}]52;c;ZXZpbA==\\u{7}b");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    printable_keeping(text, &[])
}

/// [`printable`], leaving the characters in `keep` (for example `'\n'` in a message of several
/// lines) as they are.
pub fn printable_keeping<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let unsafe_here = |c: char| is_unsafe_char(c) && !keep.contains(&c);
    if !text.chars().any(unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_here(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_terminal_control_is_escaped_and_ordinary_text_borrowed() {
        for c in [
            '\x1b', '\x07', '\r', '\n', '\t', '\x7f', '\u{9b}', '\u{202e}', '\u{2066}',
        ] {
            let s = format!("a{c}b");
            let p = printable(&s);
            assert!(!p.contains(c), "{c:?} in {p:?}");
            assert!(p.starts_with('a') && p.ends_with('b'));
        }
        assert!(matches!(printable("jdoe@tacc é ✓"), Cow::Borrowed(_)));
        assert_eq!(printable_keeping("a\nb\x1bc", &['\n']), "a\nb\\u{1b}c");
    }
}
