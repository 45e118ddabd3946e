//! Terminal output: status lines (`* creating path`), notes and errors, coloured when wanted.

use std::io::Write;

use owo_colors::OwoColorize;

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when writing to a terminal.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Where commands print what they do. `--quiet` silences everything but errors.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    choice: anstream::ColorChoice,
}

impl Printer {
    /// A printer honouring `--quiet` and `--color`.
    pub fn new(quiet: bool, color: ColorChoice) -> Self {
        let choice = match color {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        Printer { quiet, choice }
    }

    /// Whether `--quiet` was given.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    fn stdout(&self) -> anstream::AutoStream<std::io::Stdout> {
        anstream::AutoStream::new(std::io::stdout(), self.choice)
    }

    /// A Phoenix-style action line: `* creating src/blog/post.rs`.
    pub fn action(&self, verb: Verb, path: &str) {
        if self.quiet {
            return;
        }
        let word = verb.word();
        let word = match verb {
            Verb::Creating | Verb::Ejecting => word.green().to_string(),
            Verb::Injecting | Verb::Overwriting => word.yellow().to_string(),
            Verb::Identical | Verb::Skipping => word.dimmed().to_string(),
        };
        let _ = writeln!(self.stdout(), "* {word} {path}");
    }

    /// A plain line of output.
    pub fn line(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(self.stdout(), "{text}");
        }
    }

    /// A warning on stderr, shown even with `--quiet`: something worked but deserves a look.
    pub fn warn(&self, text: &str) {
        let _ = writeln!(
            anstream::AutoStream::new(std::io::stderr(), self.choice),
            "{} {text}",
            "warning:".yellow().bold()
        );
    }

    /// A bold heading line, e.g. before next steps.
    pub fn heading(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(self.stdout(), "{}", text.bold());
        }
    }
}

/// What happens to a file in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Creating,
    Injecting,
    Overwriting,
    Identical,
    Skipping,
    Ejecting,
}

impl Verb {
    /// The word printed for the action.
    pub fn word(self) -> &'static str {
        match self {
            Verb::Creating => "creating",
            Verb::Injecting => "injecting",
            Verb::Overwriting => "overwriting",
            Verb::Identical => "identical",
            Verb::Skipping => "skipping",
            Verb::Ejecting => "ejecting",
        }
    }
}

/// Prints an error the ripgrep way: the whole chain on one line, each message once (see
/// [`crate::error::one_line`]), then a hint if any.
pub fn print_error(err: &anyhow::Error) {
    let mut stderr = anstream::stderr();
    let line = crate::error::one_line(err);
    let _ = writeln!(stderr, "{} {line}", "error:".red().bold());
    if let Some(hint) = crate::error::hint(err) {
        let _ = writeln!(stderr, "{} {hint}", "hint:".cyan().bold());
    }
}
