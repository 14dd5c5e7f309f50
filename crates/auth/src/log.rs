//! Diagnostics on stderr (feature `stderr-log`): this library's `tracing` events, one line each,
//! like `curl -v`. `tapis-auth -v`/`-vv` and the C library's `TAPIS_AUTH_LOG` use it; a Rust
//! program may install any `tracing` subscriber instead.
//!
//! - [`Level::Debug`] (`-v`, `TAPIS_AUTH_LOG=debug`): which store and profile were used, and
//!   what was decided — a cached token, one adopted from another process, a refresh (and why),
//!   a failure.
//! - [`Level::Trace`] (`-vv`, `TAPIS_AUTH_LOG=trace`): also every HTTP request (method, URL
//!   without query or credentials), its status and time, retries, and lock waits.
//!
//! The events come from `tapis_auth_core`, `tapis_auth_storage`, `tapis_auth_http` (the
//! transport), `tapis_auth` (the session) and the `tapis-auth` binary (every target starting
//! with `tapis_auth`); none carries a secret.

use std::fmt;
use std::time::Instant;

use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// How much to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Decisions: store, profile, cached / adopted / refreshed and why.
    Debug,
    /// Decisions, and every HTTP request, retry and lock wait, with the time since start.
    Trace,
}

impl Level {
    /// Reads a `TAPIS_AUTH_LOG` value: `debug` or `1`, `trace` or `2` (any case); anything
    /// else (empty, `0`, `off`) is `None`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "debug" | "1" => Some(Level::Debug),
            "trace" | "2" => Some(Level::Trace),
            _ => None,
        }
    }
}

/// One line per event: `tapis-auth: debug: …`, with the time since start at trace level.
struct Line {
    start: Instant,
    timed: bool,
}

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = event.metadata().level().as_str().to_ascii_lowercase();
        if self.timed {
            let t = self.start.elapsed();
            write!(
                w,
                "tapis-auth: [{:>4}.{:03}s] {level}: ",
                t.as_secs(),
                t.subsec_millis()
            )?;
        } else {
            write!(w, "tapis-auth: {level}: ")?;
        }
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// Prints this library's events at `level` on stderr, for the whole process. Returns false
/// (and changes nothing) when the process already has a global `tracing` subscriber.
pub fn to_stderr(level: Level) -> bool {
    let filter = Targets::new().with_target(
        "tapis_auth",
        match level {
            Level::Debug => LevelFilter::DEBUG,
            Level::Trace => LevelFilter::TRACE,
        },
    );
    let layer = tracing_subscriber::fmt::layer()
        .event_format(Line {
            start: Instant::now(),
            timed: level == Level::Trace,
        })
        .with_writer(std::io::stderr)
        .with_filter(filter);
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels() {
        assert_eq!(Level::parse("debug"), Some(Level::Debug));
        assert_eq!(Level::parse(" TRACE"), Some(Level::Trace));
        assert_eq!(Level::parse("1"), Some(Level::Debug));
        assert_eq!(Level::parse("2"), Some(Level::Trace));
        for v in ["", "0", "off", "info", "yes"] {
            assert_eq!(Level::parse(v), None, "{v}");
        }
    }
}
