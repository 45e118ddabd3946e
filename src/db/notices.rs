//! What PostgreSQL says while a migration runs, for `--log-sql`: its `NOTICE`s and
//! `WARNING`s, which sqlx logs under the target `sqlx::postgres::notice`, kept here by a `log`
//! logger that ignores everything else.
//!
//! MySQL keeps the warnings of the last statement only, and sqlx's own bookkeeping after a
//! migration replaces them, so they cannot be shown.

use std::sync::{Mutex, PoisonError};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// The target sqlx logs PostgreSQL's notices under.
const TARGET: &str = "sqlx::postgres::notice";

static KEPT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The logger that keeps the server's notices.
struct Notices;

impl Log for Notices {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.target() == TARGET && metadata.level() <= Level::Info
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let severity = match record.level() {
                Level::Error => "ERROR",
                Level::Warn => "WARNING",
                _ => "NOTICE",
            };
            let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
            kept.push(format!("{severity}:  {}", record.args()));
        }
    }

    fn flush(&self) {}
}

/// Starts keeping the server's notices (once per process; later calls do nothing).
pub fn keep() {
    static LOGGER: Notices = Notices;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

/// The notices the server sent since the last call.
pub fn take() -> Vec<String> {
    std::mem::take(&mut *KEPT.lock().unwrap_or_else(PoisonError::into_inner))
}
