//! The formatting safety net of generated Rust: rustfmt, when it is installed.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// `source` as rustfmt formats it in the app at `root` (edition 2024, the app's
/// `rustfmt.toml`), or `source` itself when rustfmt is not installed or fails.
///
/// The templates lay code out as rustfmt does for names of ordinary length; with longer
/// names, some lines cross rustfmt's width limits and would be laid out otherwise.
pub fn rustfmt(source: &str, root: &Path) -> String {
    let mut command = Command::new("rustfmt");
    command.args(["--edition", "2024", "--quiet"]);
    if root.join("rustfmt.toml").is_file() {
        command.arg("--config-path").arg(root);
    }
    let child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return source.to_string();
    };
    let written = child
        .stdin
        .take()
        .is_some_and(|mut stdin| stdin.write_all(source.as_bytes()).is_ok());
    match child.wait_with_output() {
        Ok(output) if written && output.status.success() => {
            String::from_utf8(output.stdout).unwrap_or_else(|_| source.to_string())
        }
        _ => source.to_string(),
    }
}
