//! Colors in text output: only on a terminal, never when `NO_COLOR` is set to a non-empty value
//! (<https://no-color.org>) or `TERM` is `dumb`, unless `--color always` says otherwise.

use super::args::ColorChoice;
use anstyle::{AnsiColor, Style};
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::OnceLock;

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records `--color` for the whole run (the first call wins).
pub fn set_choice(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// Whether a stream gets colors: the rule of the module docs, from its inputs.
pub fn decide(
    choice: ColorChoice,
    is_terminal: bool,
    no_color: Option<&OsStr>,
    term: Option<&OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
        }
    }
}

fn for_stream(is_terminal: bool) -> bool {
    decide(
        CHOICE.get().copied().unwrap_or(ColorChoice::Auto),
        is_terminal,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// Whether standard output gets colors.
pub fn stdout() -> bool {
    for_stream(std::io::stdout().is_terminal())
}

/// Whether standard error gets colors.
pub fn stderr() -> bool {
    for_stream(std::io::stderr().is_terminal())
}

/// The styles of text output; all plain when colors are off.
#[derive(Clone, Copy, Debug, Default)]
pub struct Palette {
    /// Document names and report headings.
    pub heading: Style,
    /// A head's chosen label.
    pub label: Style,
    /// Scores and other secondary figures.
    pub dim: Style,
    /// Terms that pushed toward a label.
    pub toward: Style,
    /// Terms that pushed against it.
    pub against: Style,
}

impl Palette {
    pub fn new(color: bool) -> Palette {
        if !color {
            return Palette::default();
        }
        Palette {
            heading: Style::new().bold(),
            label: Style::new().bold().fg_color(Some(AnsiColor::Cyan.into())),
            dim: Style::new().dimmed(),
            toward: Style::new().fg_color(Some(AnsiColor::Green.into())),
            against: Style::new().fg_color(Some(AnsiColor::Red.into())),
        }
    }
}

/// `text` in `style`, followed by a reset (nothing at all for the plain style).
pub fn paint(style: Style, text: &str) -> String {
    if style == Style::new() {
        text.to_string()
    } else {
        format!("{style}{text}{style:#}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_only_on_a_terminal_without_no_color() {
        let auto = ColorChoice::Auto;
        assert!(decide(auto, true, None, None));
        assert!(!decide(auto, false, None, None), "not a terminal");
        assert!(
            !decide(auto, true, Some(OsStr::new("1")), None),
            "NO_COLOR=1"
        );
        assert!(
            decide(auto, true, Some(OsStr::new("")), None),
            "an empty NO_COLOR is unset"
        );
        assert!(!decide(auto, true, None, Some(OsStr::new("dumb"))));
        assert!(decide(
            ColorChoice::Always,
            false,
            Some(OsStr::new("1")),
            None
        ));
        assert!(!decide(ColorChoice::Never, true, None, None));
    }

    #[test]
    fn the_plain_palette_writes_no_escapes() {
        let plain = Palette::new(false);
        assert_eq!(paint(plain.label, "x"), "x");
        let colored = Palette::new(true);
        assert_eq!(paint(colored.heading, "x"), "\u{1b}[1mx\u{1b}[0m");
    }
}
