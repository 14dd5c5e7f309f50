//! What the device login shows: the URL and the code (always), a QR code (only on a terminal
//! large enough to show it whole, above the URL and code so that they stay on screen), and a
//! one-line spinner truncated to the terminal's width. Pure functions of the terminal's size,
//! so the layout is unit-tested; `tests/device.rs` checks it in real tmux windows.

use tapis_auth_core::DevicePrompt;

use crate::ui::Ui;

/// The terminal stderr is, as (columns, rows); `None` when stderr is not a terminal.
pub fn stderr_terminal() -> Option<(usize, usize)> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let (terminal_size::Width(w), terminal_size::Height(h)) =
        terminal_size::terminal_size_of(std::io::stderr())?;
    (w > 0 && h > 0).then_some((usize::from(w), usize::from(h)))
}

/// The QR code of `url` in half-block characters (two module rows per line), quiet zone
/// included.
pub fn qr_text(url: &str) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// Columns a line takes (every character this module prints is one column wide).
fn width_of(line: &str) -> usize {
    let mut n = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        // Skip ANSI escape sequences (colour), which take no column.
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        n += 1;
    }
    n
}

/// Rows `text` takes on a terminal `cols` wide (long lines wrap).
fn rows_of(text: &str, cols: usize) -> usize {
    text.lines()
        .map(|l| width_of(l).div_ceil(cols.max(1)).max(1))
        .sum()
}

/// The URL-and-code part of the screen. The URL is indented only when the indented line still
/// fits, so that a URL that must wrap wraps from the first column (and copies whole).
fn url_and_code(ui: &Ui, p: &DevicePrompt, cols: Option<usize>) -> String {
    let indent = match cols {
        Some(c) if p.verification_uri.chars().count() + 4 > c => "",
        _ => "    ",
    };
    format!(
        "To log in, open this URL in a browser:\n\n{indent}{}\n\nand enter the code:  {}\n",
        ui.bold(&p.verification_uri),
        ui.bold(&p.user_code)
    )
}

/// The device login screen (printed once on stderr; the spinner goes below it). `terminal`:
/// stderr's size, `None` when it is not a terminal (then there is never a QR code). `qr`: the
/// user did not pass `--no-qr`.
pub fn screen(ui: &Ui, p: &DevicePrompt, terminal: Option<(usize, usize)>, qr: bool) -> String {
    let text = url_and_code(ui, p, terminal.map(|t| t.0));
    let Some((cols, rows)) = terminal else {
        return text;
    };
    if !qr {
        return text;
    }
    let Some(code) = qr_text(&p.verification_uri) else {
        return text;
    };
    let heading = "Scan this QR code with a phone, or open the URL below.\n";
    let qr_cols = code.lines().map(width_of).max().unwrap_or(0);
    let qr_rows = code.lines().count();
    // The heading, the QR code, the URL and code, the spinner and the line the command was
    // typed on must all be on screen at once.
    let needed = rows_of(heading, cols) + qr_rows + rows_of(&text, cols) + 2;
    if qr_cols <= cols && needed <= rows {
        format!("{heading}{code}\n{text}")
    } else {
        let note = format!(
            "(No QR code: it needs a terminal of {qr_cols} columns and {needed} rows; this one is {cols}x{rows}.)"
        );
        format!("{text}{}\n", crate::ui::fill(&note, cols, 1))
    }
}

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// One frame of the spinner line: at most `cols - 1` columns (the last column would make
/// some terminals wrap), so that `\r` always returns to its start. A short form is used when
/// the full one does not fit, so that the time left stays visible.
pub fn spinner_line(frame: usize, left_secs: i64, what: &str, cols: usize) -> String {
    let left = left_secs.max(0);
    let spinner = SPINNER[frame % SPINNER.len()];
    let time = format!("{}:{:02}", left / 60, left % 60);
    let max = cols.saturating_sub(1).max(1);
    let full = format!("{spinner} Waiting for approval… {time} {what} (Ctrl-C to cancel)");
    let line = if full.chars().count() <= max {
        full
    } else {
        format!("{spinner} Waiting… {time} left (Ctrl-C cancels)")
    };
    line.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapis_auth_core::UnixTime;

    fn prompt() -> DevicePrompt {
        DevicePrompt {
            user_code: "ABCD-1234".into(),
            verification_uri:
                "https://tacc.tapis.io/v3/oauth2/device?client_id=tapis-auth-3kRdPMv7".into(),
            expires_at: UnixTime(1000),
        }
    }

    fn ui() -> Ui {
        Ui {
            quiet: false,
            verbose: 0,
            json: false,
            color: false,
            stderr_tty: true,
        }
    }

    #[test]
    fn qr_only_on_a_terminal_that_shows_it_whole() {
        let p = prompt();
        let qr = qr_text(&p.verification_uri).unwrap();
        let (qc, qr_rows) = (qr.lines().map(width_of).max().unwrap(), qr.lines().count());
        // Not a terminal: never.
        assert!(!screen(&ui(), &p, None, true).contains('█'));
        // Too narrow or too short: no QR, and a line saying why.
        for size in [(40, 24), (80, 24), (qc - 1, 200)] {
            let s = screen(&ui(), &p, Some(size), true);
            assert!(!s.contains('█') && !s.contains('▀'), "{size:?}: {s}");
            assert!(s.contains("No QR code"), "{size:?}");
            assert!(s.contains(&p.verification_uri) && s.contains(&p.user_code));
        }
        // Large enough: the QR, then the URL and code below it.
        let s = screen(&ui(), &p, Some((120, 40)), true);
        assert!(s.contains(&qr), "{s}");
        assert!(s.find(&qr).unwrap() < s.find(&p.verification_uri).unwrap());
        assert!(rows_of(&s, 120) + 2 <= 40, "{} rows", rows_of(&s, 120));
        assert!(qr_rows < 40);
        // --no-qr.
        assert!(!screen(&ui(), &p, Some((120, 40)), false).contains(&qr));
    }

    #[test]
    fn a_url_that_must_wrap_starts_in_the_first_column() {
        let p = prompt();
        let s = screen(&ui(), &p, Some((40, 24)), false);
        assert!(s.contains(&format!("\n{}\n", p.verification_uri)), "{s}");
        let s = screen(&ui(), &p, Some((120, 24)), false);
        assert!(
            s.contains(&format!("\n    {}\n", p.verification_uri)),
            "{s}"
        );
    }

    #[test]
    fn spinner_fits_on_one_line() {
        for cols in [1, 10, 40, 80, 200] {
            let l = spinner_line(3, 599, "until the code expires", cols);
            assert!(width_of(&l) < cols.max(2), "{cols}: {l}");
            assert!(!l.contains('\n'));
        }
        assert!(spinner_line(0, 61, "left", 200).contains("1:01 left"));
        assert!(spinner_line(0, 61, "until the code expires", 200).contains("(Ctrl-C to cancel)"));
        let narrow = spinner_line(0, 61, "until the code expires", 40);
        assert!(narrow.contains("1:01 left (Ctrl-C cancels)"), "{narrow}");
    }
}
