//! `detente completions` and `detente man`: shell completion scripts and manual pages, generated from the
//! same clap definitions as the parser so that they never drift from it.

use super::args::{Cli, CompletionsArgs, ManArgs};
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut out = super::stdout();
    clap_complete::generate(args.shell, &mut without_hidden_verbs(), "detente", &mut out);
    out.flush()?;
    Ok(())
}

/// The command line without its hidden verbs: some shells' generators (bash) would offer them.
fn without_hidden_verbs() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new("detente")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true);
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd = cmd.args(full.get_arguments().filter(|a| !a.is_hide_set()).cloned());
    cmd.subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

pub fn man(args: ManArgs) -> Result<()> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Builds the subcommands' display names (`detente-train`) and propagates the version.
    cmd.build();
    match &args.dir {
        None => {
            let mut out = super::stdout();
            out.write_all(&page(&cmd, true)?)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            write_page(dir, &cmd, true)?;
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                write_page(dir, sub, false)?;
            }
        }
    }
    Ok(())
}

fn write_page(dir: &Path, cmd: &clap::Command, top: bool) -> Result<()> {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page(cmd, top)?).with_context(|| format!("writing {}", path.display()))
}

/// One manual page. The command's after-help text becomes sections: a paragraph opening with a line
/// `Title:` is section TITLE (so `Exit status:` gives EXIT STATUS, `Examples:` EXAMPLES), shown as written.
fn page(cmd: &clap::Command, top: bool) -> Result<Vec<u8>> {
    let notes = cmd.get_after_help().map(|h| h.to_string());
    let man = clap_mangen::Man::new(cmd.clone().after_help(None::<&str>));
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    for paragraph in notes.iter().flat_map(|n| n.split("\n\n")) {
        let (first, rest) = paragraph.split_once('\n').unwrap_or((paragraph, ""));
        match first.strip_suffix(':') {
            Some(title) if !rest.is_empty() => {
                writeln!(out, ".SH \"{}\"", title.to_uppercase())?;
                preformatted(&mut out, rest)?;
            }
            _ => {
                writeln!(out, ".SH NOTES")?;
                writeln!(out, "{}", escape(&paragraph.replace('\n', " ")))?;
            }
        }
    }
    if top {
        let pages: Vec<String> = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| {
                let name = s.get_display_name().unwrap_or_else(|| s.get_name());
                format!("\\fB{}\\fR(1)", name.replace('-', "\\-"))
            })
            .collect();
        writeln!(out, ".SH \"SEE ALSO\"\n{}", pages.join(", "))?;
    }
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// Lines kept as written, with roff's special characters escaped.
fn preformatted(out: &mut Vec<u8>, text: &str) -> std::io::Result<()> {
    writeln!(out, ".nf")?;
    for line in text.lines() {
        writeln!(out, "{}", escape(line))?;
    }
    writeln!(out, ".fi")
}

/// Escapes backslashes, and a leading `.` or `'` that roff would read as a request.
fn escape(line: &str) -> String {
    let line = line.replace('\\', "\\e");
    if line.starts_with(['.', '\'']) {
        format!("\\&{line}")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_requests_and_backslashes_are_escaped() {
        assert_eq!(escape(r"a \ b"), r"a \e b");
        assert_eq!(escape(".hidden"), r"\&.hidden");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn the_top_page_has_exit_status_and_every_visible_verb() {
        let mut cmd = Cli::command().disable_help_subcommand(true);
        cmd.build();
        let text = String::from_utf8(page(&cmd, true).unwrap()).unwrap();
        assert!(text.contains(".SH \"EXIT STATUS\""));
        assert!(text.contains(".SH \"ENVIRONMENT\"") && text.contains("NO_COLOR"));
        for verb in [
            "train",
            "predict",
            "eval",
            "inspect",
            "bench",
            "completions",
        ] {
            assert!(text.contains(&format!("detente\\-{verb}")), "{verb}");
        }
        assert!(!text.contains("bench\\-worker"), "hidden verbs stay hidden");
    }
}
