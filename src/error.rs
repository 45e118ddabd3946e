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
