//! The `axgen` binary: runs the command and turns its outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match axgen::run(std::env::args_os()) {
        Ok(code) => code,
        Err(err) => {
            axgen::report(&err);
            ExitCode::from(axgen::error::exit_code(&err))
        }
    }
}
