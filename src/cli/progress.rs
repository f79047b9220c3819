//! Progress of long steps on stderr: a spinner or bar with the elapsed time when stderr is a terminal, one
//! plain status line per step otherwise (logs, CI), nothing with `--quiet`. Nothing here writes to stdout.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::fmt;
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Quiet,
    Plain,
    Live,
}

/// How one verb reports progress.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    mode: Mode,
    color: bool,
}

/// How often a live spinner redraws.
const TICK: Duration = Duration::from_millis(120);

impl Progress {
    /// Live on a terminal stderr, plain lines otherwise, silent when `quiet`.
    pub fn new(quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Live
        } else {
            Mode::Plain
        };
        Progress {
            mode,
            color: super::style::stderr(),
        }
    }

    /// Whether spinners and bars are drawn (stderr is a terminal and not quiet).
    pub fn is_live(&self) -> bool {
        self.mode == Mode::Live
    }

    /// A status line, unless quiet.
    pub fn status(&self, message: fmt::Arguments<'_>) {
        if self.mode != Mode::Quiet {
            super::to_stderr(format_args!("{message}"));
        }
    }

    /// A step of unknown length. Live: a spinner showing `message` and the elapsed time. Plain: `message`
    /// as a status line when `announce` (steps whose end is reported anyway need no start line).
    pub fn spinner(&self, message: impl Into<String>, announce: bool) -> Task {
        let message = message.into();
        match self.mode {
            Mode::Live => {
                let template = if self.color {
                    "{spinner:.cyan} {msg} {elapsed:.dim}"
                } else {
                    "{spinner} {msg} {elapsed}"
                };
                Task::live(ProgressBar::new_spinner(), template, message)
            }
            Mode::Plain if announce => {
                super::to_stderr(format_args!("{message}"));
                Task::plain()
            }
            Mode::Plain => Task::plain(),
            Mode::Quiet => Task::quiet(),
        }
    }

    /// A step of `total` units (live: a bar with the count, the elapsed time and the time left).
    pub fn bar(&self, message: impl Into<String>, total: u64) -> Task {
        let message = message.into();
        match self.mode {
            Mode::Live => {
                let template = if self.color {
                    "{msg} [{bar:30.cyan/blue}] {pos}/{len} {elapsed:.dim} (eta {eta})"
                } else {
                    "{msg} [{bar:30}] {pos}/{len} {elapsed} (eta {eta})"
                };
                Task::live(ProgressBar::new(total), template, message)
            }
            Mode::Plain => Task::plain(),
            Mode::Quiet => Task::quiet(),
        }
    }

    /// A count of `unit`s without a known total, from `start` (live: the count and the rate); never a plain
    /// line.
    pub fn counter(&self, message: impl Into<String>, unit: &str, start: u64) -> Task {
        if self.mode != Mode::Live {
            return Task::quiet();
        }
        let template = if self.color {
            format!("{{spinner:.cyan}} {{msg}} {{human_pos}} {unit} ({{rate}}) {{elapsed:.dim}}")
        } else {
            format!("{{spinner}} {{msg}} {{human_pos}} {unit} ({{rate}}) {{elapsed}}")
        };
        Task::live(
            ProgressBar::new_spinner().with_position(start),
            &template,
            message.into(),
        )
    }
}

/// A step in progress; the spinner or bar goes away when the task is dropped.
pub struct Task {
    bar: Option<ProgressBar>,
    plain: bool,
}

impl Task {
    fn live(bar: ProgressBar, template: &str, message: String) -> Task {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            let rate = |state: &ProgressState, w: &mut dyn fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            };
            bar.set_style(style.with_key("rate", rate).tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "));
        }
        bar.set_message(message);
        bar.enable_steady_tick(TICK);
        Task {
            bar: Some(bar),
            plain: false,
        }
    }

    fn plain() -> Task {
        Task {
            bar: None,
            plain: true,
        }
    }

    fn quiet() -> Task {
        Task {
            bar: None,
            plain: false,
        }
    }

    /// Moves on to a new stage: the live message, or a plain status line.
    pub fn stage(&self, message: impl Into<String>) {
        let message = message.into();
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        } else if self.plain {
            super::to_stderr(format_args!("{message}"));
        }
    }

    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Runs `f`, which writes to stderr, with the live display out of its way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// A status line above the live display (or a plain one); nothing when quiet.
    pub fn status(&self, message: fmt::Arguments<'_>) {
        match &self.bar {
            Some(bar) => bar.suspend(|| super::to_stderr(format_args!("{message}"))),
            None if self.plain => super::to_stderr(format_args!("{message}")),
            None => {}
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_tasks_draw_nothing() {
        let progress = Progress::new(true);
        assert!(!progress.is_live());
        let task = progress.spinner("reading", true);
        assert!(task.bar.is_none() && !task.plain);
        let task = progress.bar("training", 3);
        assert!(task.bar.is_none());
    }
}
