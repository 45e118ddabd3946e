//! Database commands over sqlx: migrate, rollback, status, seed, create/drop.
//!
//! The dispatch in `run.rs` is synchronous; each entry point here finds the app, resolves its
//! database URL and runs the command on a single-threaded tokio runtime.

mod conn;
mod database;
mod migrate;
mod migrations;
mod seed;
mod status;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use crate::adapter::Adapter;
use crate::cli::{DbCommand, GlobalArgs, MigrateArgs, RollbackArgs, SeedArgs};
use crate::output::Printer;
use crate::project::Project;

use conn::Database;

/// The app a database command works on.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub root: PathBuf,
    pub database: Database,
}

impl App {
    /// Finds the app around `cwd` and its database (`--database-url`, `DATABASE_URL`, `.env`,
    /// then `axgen.toml`).
    pub fn open(global: &GlobalArgs, cwd: &Path) -> Result<App> {
        let project = Project::find(cwd)?;
        let url = project.database_url(global.database_url.as_deref())?;
        let database = Database::resolve(url, &project.root)?;
        Ok(App {
            root: project.root,
            database,
        })
    }

    /// `<root>/migrations`.
    pub fn migrations_dir(&self) -> PathBuf {
        self.root.join(migrations::DIR)
    }

    /// `<root>/seeds`.
    pub fn seeds_dir(&self) -> PathBuf {
        self.root.join(seed::DIR)
    }
}

/// `axgen migrate`.
pub fn migrate(
    args: &MigrateArgs,
    global: &GlobalArgs,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let app = App::open(global, cwd)?;
    block_on(&app, migrate::up(&app, args, printer))
}

/// `axgen rollback`.
pub fn rollback(
    args: &RollbackArgs,
    global: &GlobalArgs,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let app = App::open(global, cwd)?;
    block_on(&app, migrate::down(&app, args, printer))
}

/// `axgen migrations`.
pub fn migrations(global: &GlobalArgs, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    let app = App::open(global, cwd)?;
    block_on(&app, status::show(&app, printer))
}

/// `axgen seed`.
pub fn seed(
    args: &SeedArgs,
    global: &GlobalArgs,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let app = App::open(global, cwd)?;
    block_on(&app, seed::run(&app, args, printer))
}

/// `axgen db create | drop | setup | reset`.
pub fn db(
    command: &DbCommand,
    global: &GlobalArgs,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let app = App::open(global, cwd)?;
    match command {
        DbCommand::Create => block_on(&app, database::create(&app, printer)),
        DbCommand::Setup => block_on(&app, database::setup(&app, printer)),
        DbCommand::Drop(args) => {
            database::confirm_drop(&app, args.yes)?;
            block_on(&app, database::drop(&app, printer))
        }
        DbCommand::Reset(args) => {
            database::confirm_drop(&app, args.yes)?;
            block_on(&app, async {
                database::drop(&app, printer).await?;
                database::setup(&app, printer).await
            })
        }
    }
}

/// `4ms`, `1.25s`: how long a step took.
fn duration(elapsed: std::time::Duration) -> String {
    if elapsed < std::time::Duration::from_secs(1) {
        format!("{}ms", elapsed.as_millis())
    } else {
        format!("{:.2}s", elapsed.as_secs_f64())
    }
}

/// Runs a command's future to completion on a single-threaded runtime.
///
/// SQLite's driver runs on a thread of its own and asks nothing of tokio's I/O driver; without
/// it the runtime parks on a futex instead of epoll, which makes each of SQLite's many round
/// trips cheaper (200 migrations: 295ms with the I/O driver, 280ms without).
fn block_on(app: &App, work: impl Future<Output = Result<()>>) -> Result<ExitCode> {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    match app.database.adapter() {
        Adapter::Sqlite => builder.enable_time(),
        Adapter::Postgres | Adapter::Mysql => builder.enable_all(),
    };
    builder
        .build()
        .context("starting the async runtime")?
        .block_on(work)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(super::duration(Duration::from_micros(4_200)), "4ms");
        assert_eq!(super::duration(Duration::from_millis(1_250)), "1.25s");
    }
}
