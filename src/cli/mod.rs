//! Verbs of the `detente` binary. `args` mirrors the flags; each verb validates them into library objects and
//! calls the library. Exit codes: 0 success, 1 a data or model error, 2 a usage error (from clap, or a
//! [`UsageError`] raised by a verb's own checks of its flags).

mod args;
mod bench;
mod cv;
mod eval;
mod inspect;
mod output;
mod predict;
mod progress;
mod shell;
mod style;
mod train;

use clap::Parser;
use std::process::ExitCode;

pub use args::Cli;

/// Parses the command line and runs the verb.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    style::set_choice(cli.color);
    match cli.command {
        args::Command::Train(a) => train::run(*a),
        args::Command::Predict(a) => predict::run(a),
        args::Command::Cv(a) => cv::run(*a),
        args::Command::Eval(a) => eval::run(a),
        args::Command::Inspect(a) => inspect::run(a),
        args::Command::Bench(a) => bench::run(*a),
        args::Command::BenchWorker(a) => bench::worker(a),
        args::Command::Completions(a) => shell::completions(a),
        args::Command::Man(a) => shell::man(a),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// A command line that parses but asks for something impossible; exits with status 2, as clap's own errors.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Makes an error found while checking a verb's flags a usage error (status 2), unless it concerns a file
/// (a stop-word list that cannot be read stays a data error).
pub(crate) fn flag_error(err: anyhow::Error) -> anyhow::Error {
    let about_a_file = err.chain().any(|cause| {
        cause.is::<std::io::Error>()
            || matches!(
                cause.downcast_ref::<detente::Error>(),
                Some(detente::Error::Io { .. })
            )
    });
    if about_a_file {
        err
    } else {
        UsageError(describe(&err)).into()
    }
}

/// The exit status of a failed run: 2 for a usage error, 1 for anything else.
pub fn exit_code(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// True when the error comes from writing to a closed pipe (`detente predict … | head -1`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(cause.downcast_ref::<detente::Error>(),
                Some(detente::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, each cause once: library errors already quote their cause.
pub fn describe(err: &anyhow::Error) -> String {
    let mut message = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

/// Bytes at an address that is a multiple of 8, so that a model's blocks can be borrowed in place.
#[repr(C, align(8))]
struct Aligned<B: ?Sized>(B);

/// The news model compiled into the binary (rebuilt by `datasets/news/build.sh`).
static NEWS_MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!("../../models/news.detente"));

const BUILT_IN: &str = "(built-in news model)";

/// The model at `path`, or the built-in news model.
pub(crate) fn load_model(path: Option<&std::path::Path>) -> detente::Result<detente::model::Model> {
    match path {
        // The image is kept for the rest of the process, so that its arrays are borrowed in place rather
        // than copied; it is checked in full (checksum included) as `Model::load` does.
        Some(path) => {
            let image: &'static [u8] = detente::format::read_file(path)?.leak();
            detente::model::Model::from_static(image, path, true)
        }
        // No checksum: the image is part of the executable, and the `embedded_model_is_intact` test
        // checks it when the binary is built and tested.
        None => detente::model::Model::from_static(&NEWS_MODEL.0, BUILT_IN.as_ref(), false),
    }
}

/// How a model is named in output: its path, or the built-in one.
pub(crate) fn model_name(path: Option<&std::path::Path>) -> String {
    path.map_or(BUILT_IN.into(), |p| p.display().to_string())
}

/// A status line on stderr, unless quiet.
pub(crate) fn status(quiet: bool, message: std::fmt::Arguments<'_>) {
    if !quiet {
        to_stderr(message);
    }
}

/// Writes a line to stderr. Unlike `eprintln!`, a stderr that cannot be written (`2>/dev/full`) is no
/// reason to panic: the exit code still tells.
pub fn to_stderr(message: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// Standard output for a verb's results: its write errors say that they are about standard output
/// (`standard output: No space left on device`) and keep their kind, so that a closed pipe is still
/// recognized as one.
pub(crate) fn stdout() -> NamedStdout {
    NamedStdout(std::io::stdout().lock())
}

pub(crate) struct NamedStdout(std::io::StdoutLock<'static>);

impl NamedStdout {
    fn name(e: std::io::Error) -> std::io::Error {
        std::io::Error::new(e.kind(), format!("standard output: {e}"))
    }
}

impl std::io::Write for NamedStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(Self::name)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(Self::name)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(Self::name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_is_intact() {
        let checked = detente::model::Model::from_static(&NEWS_MODEL.0, BUILT_IN.as_ref(), true)
            .expect("the embedded model passes every check, checksum included");
        let fast = load_model(None).unwrap();
        assert_eq!(checked.to_bytes().unwrap(), fast.to_bytes().unwrap());
        assert_eq!(
            fast.to_bytes().unwrap(),
            NEWS_MODEL.0,
            "the image re-encodes to itself"
        );
    }
}
