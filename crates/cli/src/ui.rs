//! Output: machine output on stdout, messages for people on stderr, colour only on a terminal
//! (and never when `NO_COLOR` is set), quiet and verbose levels, and time formatting.

use std::borrow::Cow;
use std::io::{self, BufRead, IsTerminal, Write};

use tapis_auth_core::display::printable_keeping;
use tapis_auth_core::UnixTime;

/// The colour codes [`Ui`] itself writes: the only escape sequences let through to a terminal.
const OWN_SGR: [&str; 5] = ["\x1b[0m", "\x1b[1m", "\x1b[32m", "\x1b[33m", "\x1b[1;31m"];

/// `text` made safe for a terminal: every control character and bidirectional override is
/// escaped (`\u{1b}`), except line breaks, tabs and this command's own colour codes. Usernames,
/// tenant ids, client names and server messages come from servers and cache files; an OSC 52
/// clipboard write or a cursor move in them is shown, never obeyed. Every sink below (stdout,
/// messages on stderr) calls it, so nothing reaches a person unescaped.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    const KEEP: &[char] = &['\n', '\t'];
    if !text.contains('\x1b') {
        return printable_keeping(text, KEEP);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(sgr) = OWN_SGR.iter().find(|c| rest.starts_with(**c)) {
            out.push_str(sgr);
            rest = &rest[sgr.len()..];
            continue;
        }
        // Up to the next escape character (escaped itself when it starts no colour code).
        let next = rest[1..].find('\x1b').map_or(rest.len(), |i| i + 1);
        out.push_str(&printable_keeping(&rest[..next], KEEP));
        rest = &rest[next..];
    }
    Cow::Owned(out)
}

/// How to talk to the user.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    /// Suppress everything on stderr except errors.
    pub quiet: bool,
    /// Verbosity (0 = normal).
    pub verbose: u8,
    /// Machine-readable JSON on stdout.
    pub json: bool,
    /// Use ANSI colour on stderr.
    pub color: bool,
    /// stderr is a terminal (spinners, prompts).
    pub stderr_tty: bool,
}

impl Ui {
    /// Settings from the global flags and the environment.
    pub fn new(quiet: bool, verbose: u8, json: bool) -> Self {
        let stderr_tty = io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Self {
            quiet,
            verbose,
            json,
            color: stderr_tty && !no_color && !dumb,
            stderr_tty,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Bold text (when colour is on).
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Green text (when colour is on).
    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Yellow text (when colour is on).
    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    /// `text` as it should go to stderr: wrapped at word boundaries to the window's width when
    /// stderr is a terminal (see [`fill`]); unchanged in a log, where one line per message is
    /// easier to search.
    fn fit(&self, text: &str, hang: usize) -> String {
        match self.stderr_tty.then(stderr_columns).flatten() {
            Some(cols) => fill(text, cols, hang),
            None => text.to_owned(),
        }
    }

    /// A message for people, on stderr (suppressed by `--quiet`).
    pub fn info(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "{}", self.fit(&terminal_safe(text), 0));
        }
    }

    /// A success message, on stderr (suppressed by `--quiet`).
    pub fn success(&self, text: &str) {
        if !self.quiet {
            let mark = self.green("✓");
            let line = self.fit(&format!("{mark} {}", terminal_safe(text)), 2);
            let _ = writeln!(io::stderr().lock(), "{line}");
        }
    }

    /// A warning on stderr (shown even with `--quiet`).
    pub fn warn(&self, text: &str) {
        let w = self.yellow("warning:");
        let line = self.fit(&format!("tapis-auth: {w} {}", terminal_safe(text)), 2);
        let _ = writeln!(io::stderr().lock(), "{line}");
    }

    /// An error with an optional hint, on stderr.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        let mut e = io::stderr().lock();
        let label = self.paint("1;31", "error:");
        let _ = writeln!(
            e,
            "{}",
            self.fit(
                &format!("tapis-auth: {label} {}", terminal_safe(message)),
                2
            )
        );
        if let Some(h) = hint {
            let _ = writeln!(
                e,
                "{}",
                self.fit(&format!("  hint: {}", terminal_safe(h)), 6)
            );
        }
    }
}

/// The width of the terminal stderr is, in columns (`None` when it is not a terminal or does
/// not say). Read at each message: the window may have been resized.
pub fn stderr_columns() -> Option<usize> {
    let (terminal_size::Width(w), _) = terminal_size::terminal_size_of(io::stderr())?;
    (w > 0).then_some(usize::from(w))
}

/// `text` wrapped at word boundaries to `cols` columns, so that a narrow window (40 columns)
/// breaks lines between words instead of mid-word. Each line is wrapped on its own and its
/// continuation lines keep its indentation, plus `hang` columns for the first line (past a
/// `✓ ` or `hint: ` label). A word longer than a line (a URL) is not split: it overflows and
/// the terminal wraps it, so it still copies whole; nor is a word split at its hyphens
/// (`tapis-v3`, a client id). Colour escapes take no column.
pub fn fill(text: &str, cols: usize, hang: usize) -> String {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let body = line.trim_start_matches(' ');
        let indent = &line[..line.len() - body.len()];
        let extra = if i == 0 { hang } else { 0 };
        let rest = format!("{indent}{}", " ".repeat(extra));
        let options = textwrap::Options::new(cols.max(1))
            .initial_indent(indent)
            .subsequent_indent(&rest)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        let wrapped = textwrap::wrap(body, options);
        if wrapped.is_empty() {
            out.push(String::new());
        } else {
            out.extend(wrapped.into_iter().map(|c| c.into_owned()));
        }
    }
    out.join("\n")
}

/// Writes output to stdout, [`terminal_safe`] (tokens and export lines hold nothing it
/// changes). A broken pipe (`tapis-auth status | head -1`) is reported as `BrokenPipe` so that
/// `main` can exit quietly.
pub fn out(text: &str) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(terminal_safe(text).as_bytes())?;
    o.flush()
}

/// Asks `question` followed by ` [y/N] ` on stderr ([`terminal_safe`]: it may quote server
/// text) and reads the answer from stdin: true only for `y` or `yes`. The caller decides
/// whether a terminal is there to answer.
pub fn confirm(question: &str) -> bool {
    let mut e = io::stderr().lock();
    let _ = write!(e, "{} [y/N] ", terminal_safe(question));
    let _ = e.flush();
    drop(e);
    let mut line = String::new();
    if io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// `2026-04-06 10:27:50 UTC`.
pub fn absolute(t: UnixTime) -> String {
    let c = t.civil();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `in 3h 59m` / `2m 5s ago`.
pub fn relative(t: UnixTime, now: UnixTime) -> String {
    let d = t.since(now);
    let s = duration(d.unsigned_abs());
    if d >= 0 {
        format!("in {s}")
    } else {
        format!("{s} ago")
    }
}

/// `3h 59m`, `364d 23h`, `42s`.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        (secs % 86_400) / 3600,
        (secs % 3600) / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// Parses a duration given on the command line: seconds (`90`), or a number with a unit —
/// `s`, `m`, `h` or `d` (`90s`, `10m`, `1h`, `2d`). A sign is accepted on plain seconds
/// (`--min-valid -5` is 0: any token will do). Returns seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], Some(c.to_ascii_lowercase())),
        _ => (t, None),
    };
    let bad = || {
        format!("invalid duration {text:?}: give seconds (90) or a number with s, m, h or d (90s, 10m, 1h, 2d)")
    };
    let mult = match unit {
        None | Some('s') => 1,
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        Some(_) => return Err(bad()),
    };
    if digits.is_empty() || (unit.is_some() && !digits.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let n: i64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("duration {text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_all_but_line_breaks_and_own_colours() {
        let ui = Ui {
            quiet: false,
            verbose: 0,
            json: false,
            color: true,
            stderr_tty: true,
        };
        let hostile = "jdoe\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\u{9b}1A\u{202e}";
        let line = format!("{} {}\t{}\n", ui.bold("User"), hostile, ui.yellow("x"));
        let safe = terminal_safe(&line);
        assert_eq!(
            safe,
            "\x1b[1mUser\x1b[0m jdoe\\u{1b}]52;c;ZXZpbA==\\u{7}\\u{1b}[2J\\u{d}\\u{9b}1A\\u{202e}\t\x1b[33mx\x1b[0m\n"
        );
        assert!(matches!(terminal_safe("plain\ttext\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn formats_times() {
        assert_eq!(absolute(UnixTime(0)), "1970-01-01 00:00:00 UTC");
        assert_eq!(absolute(UnixTime(1_775_471_270)), "2026-04-06 10:27:50 UTC");
        assert_eq!(relative(UnixTime(100), UnixTime(0)), "in 1m 40s");
        assert_eq!(relative(UnixTime(0), UnixTime(7300)), "2h 1m ago");
        assert_eq!(duration(86_400 * 364 + 3600 * 23), "364d 23h");
    }

    #[test]
    fn fills_at_word_boundaries() {
        let msg = "✓ Logged in as testuser on test (tapis-v3); saved as profile default";
        let f = fill(msg, 40, 2);
        assert_eq!(
            f,
            "✓ Logged in as testuser on test\n  (tapis-v3); saved as profile default"
        );
        // Each line keeps its indentation; empty lines stay; a long word is not split.
        let url = format!("https://tacc.tapis.io/{}", "x".repeat(40));
        let f = fill(&format!("open:\n\n    {url}\n  a b"), 20, 0);
        assert_eq!(f, format!("open:\n\n    {url}\n  a b"));
        let f = fill("  hint: run this and that again", 16, 6);
        assert_eq!(f, "  hint: run this\n        and that\n        again");
        for l in fill(msg, 40, 2).lines() {
            assert!(l.chars().count() <= 40, "{l}");
        }
        // Colour takes no column.
        let red = "\x1b[1;31merror:\x1b[0m one two";
        assert_eq!(fill(red, 14, 0), red);
    }

    #[test]
    fn parses_durations() {
        for (t, s) in [
            ("90", 90),
            ("90s", 90),
            ("10m", 600),
            ("1h", 3600),
            ("2d", 172_800),
            ("1H", 3600),
            ("-5", -5),
            ("+7", 7),
            ("0", 0),
        ] {
            assert_eq!(parse_duration(t), Ok(s), "{t}");
        }
        for t in [
            "",
            "soon",
            "m",
            "1x",
            "-1m",
            "1.5h",
            "1 h",
            "10mm",
            "99999999999999999d",
        ] {
            assert!(parse_duration(t).is_err(), "{t}");
        }
    }
}
