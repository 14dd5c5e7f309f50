//! `tapis-auth-mangen DIR`: writes the man pages of `tapis-auth` — `tapis-auth.1` and one page per
//! subcommand (`tapis-auth-login.1`, `tapis-auth-clients-create.1`, …) — into `DIR`, generated
//! from the command's clap definitions. Built only with the `mangen` feature; scripts/install.sh
//! runs it to fill `PREFIX/share/man/man1`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;
use tapis_auth_cli::cli::Cli;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: tapis-auth-mangen DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    // generate_to builds the command itself, without the implicit `help` subcommand (which
    // would otherwise get pages of its own).
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| clap_mangen::generate_to(Cli::command(), &dir));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "tapis-auth-mangen: writing man pages into {}: {e}",
                dir.display()
            );
            ExitCode::FAILURE
        }
    }
}
