//! The user-facing error type: mistakes a user can fix (exit 2) apart from failures (exit 1).

use std::fmt;

/// A mistake in what the user asked for: bad arguments, a bad spec, files that would be
/// overwritten. Printed as one sentence, with a hint when there is an obvious fix; exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong, naming the offending value.
    pub message: String,
    /// How to fix it, when there is an obvious fix.
    pub hint: Option<String>,
}

impl UsageError {
    /// A usage error without a hint.
    pub fn new(message: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the fix to the error.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

/// Builds an `anyhow::Error` carrying a [`UsageError`]: `return Err(usage!("..."))`.
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        ::anyhow::Error::new($crate::error::UsageError::new(format!($($arg)*)))
    };
}

/// The hint attached anywhere in the error chain, if any.
pub fn hint(err: &anyhow::Error) -> Option<&str> {
    err.chain()
        .find_map(|e| e.downcast_ref::<UsageError>())
        .and_then(|u| u.hint.as_deref())
}

/// Exit code for an error: 2 when the user can fix the input, 1 otherwise.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<UsageError>()) || err.chain().any(|e| e.is::<clap::Error>()) {
        2
    } else {
        1
    }
}

/// The error and its causes on one line, joined by `: `, each message once.
///
/// Wrappers often repeat their cause in their own message: sqlx's `error returned from
/// database: X` has X as its source, and `MigrateError`'s `while executing migrations: …` has
/// that whole error as its own; printed naively, X appears three times. A cause whose text the
/// line already holds is left out. PostgreSQL's errors also end in `at line N`, a line of
/// PostgreSQL's C sources that reads as a line of the user's SQL: only their message is kept.
pub fn one_line(err: &anyhow::Error) -> String {
    let source_lines: Vec<(String, &str)> = err
        .chain()
        .filter_map(|cause| match cause.downcast_ref::<sqlx::Error>()? {
            sqlx::Error::Database(db) => db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>(),
            _ => None,
        })
        .filter(|db| db.line().is_some())
        .map(|db| (db.to_string(), db.message()))
        .collect();
    let mut line = String::new();
    for cause in err.chain() {
        let mut text = cause.to_string();
        for (shown, message) in &source_lines {
            text = text.replace(shown.as_str(), message);
        }
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(&'static str, std::io::Error);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}: {}", self.0, self.1)
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn a_chain_prints_each_message_once() {
        // sqlx's migration error holds the sqlx error, which repeats in its text.
        let sqlx = sqlx::Error::Protocol("unexpected message".into());
        let err = anyhow::Error::from(sqlx::migrate::MigrateError::Execute(sqlx))
            .context("applying 1_create_posts");
        assert_eq!(
            one_line(&err),
            "applying 1_create_posts: while executing migrations: \
             encountered unexpected or invalid data: unexpected message"
        );
        // A wrapper that prints its cause, under a context that does not.
        let io = std::io::Error::other("disk full");
        let err = anyhow::Error::new(Wrapper("writing posts.rs", io)).context("generating");
        assert_eq!(one_line(&err), "generating: writing posts.rs: disk full");
        // Distinct messages all stay, in order.
        let err = anyhow::anyhow!("root cause")
            .context("middle")
            .context("top");
        assert_eq!(one_line(&err), "top: middle: root cause");
    }
}
