//! The definitions behind the `tapis-auth` command that more than its binary needs: the command
//! line ([`cli`], clap derive structures), the exit codes ([`exit`]) and the output and duration
//! helpers the command line parses with ([`ui`]). The command itself
//! (`src/main.rs`) and its man-page generator (`src/bin/mangen.rs`, feature `mangen`) share
//! them, so the installed man pages are generated from the very definitions `--help` prints.

// The argument structs' doc comments are also the `--help` text, where `<https://…>` would
// print its angle brackets: plain URLs are meant there.
#![allow(rustdoc::bare_urls)]

pub mod cli;
pub mod exit;
pub mod ui;
