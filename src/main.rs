//! The `detente` command: argument parsing, output and exit codes around the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) if cli::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            cli::to_stderr(format_args!("error: {}", cli::describe(&err)));
            cli::exit_code(&err)
        }
    }
}
