//! Database commands over sqlx: migrate, rollback, status, seed, create/drop.
//!
//! The dispatch in `run.rs` is synchronous; each entry point here finds the app, resolves its
//! database URL and runs the command on a single-threaded tokio runtime.

mod advisory;
mod conn;
mod database;
mod galera;
mod migrate;
mod migrations;
mod notices;
mod seed;
mod standby;
mod status;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::adapter::Adapter;
use crate::output::Printer;
use crate::project::Project;

use conn::Database;
pub use migrate::Order;
pub use migrations::Reach;

/// What `migrate` and `rollback` print besides their progress, and whether they change
/// anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Show {
    /// Print the SQL of each migration as it runs.
    pub log_sql: bool,
    /// Print what would run, change nothing.
    pub dry_run: bool,
}

/// How long `migrate` and `rollback` wait for a migration lock another run holds, unless
/// `--lock-timeout` says otherwise.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What `axgen migrate` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrateRequest {
    /// How many pending migrations to apply.
    pub reach: Reach,
    /// What to do with a pending migration older than the newest applied one.
    pub order: Order,
    pub show: Show,
    /// How long to wait for the migration lock held by another run (PostgreSQL, Galera);
    /// `Duration::ZERO` waits as long as it takes.
    pub lock_timeout: Duration,
}

impl MigrateRequest {
    /// Every pending migration, with warnings for old ones, printing only progress.
    pub const ALL: MigrateRequest = MigrateRequest {
        reach: Reach::All,
        order: Order::Warn,
        show: Show {
            log_sql: false,
            dry_run: false,
        },
        lock_timeout: LOCK_TIMEOUT,
    };
}

/// What `axgen rollback` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackRequest {
    /// How many applied migrations to revert: `Step(1)` by default.
    pub reach: Reach,
    pub show: Show,
    /// As [`MigrateRequest::lock_timeout`].
    pub lock_timeout: Duration,
}

/// What `axgen seed` is asked to load: the files named, or with neither files nor fakes,
/// every file of `seeds/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedRequest {
    /// Seed files (`.sql`, `<table>.csv`, `<table>.json`, `<table>.toml`).
    pub files: Vec<PathBuf>,
    /// Fake rows, as `TABLE=N` (checked when the seed runs).
    pub fake: Vec<String>,
}

/// `axgen db create | drop | setup | reset`; `yes` skips the confirmation of a drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbTask {
    Create,
    Drop { yes: bool },
    Setup,
    Reset { yes: bool },
}

/// The app a database command works on.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub root: PathBuf,
    pub database: Database,
    pub migrations: migrations::Folder,
}

/// Where a database command finds the app's database and migrations: what the command line
/// says (`--database-url`, `--migrations-path`), else the app's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    pub database_url: Option<&'a str>,
    pub migrations_path: Option<&'a Path>,
}

impl App {
    /// Finds the app around `cwd`, its database (`--database-url`, else `DATABASE_URL`,
    /// `.env`, then `axgen.toml`) and its migrations (`--migrations-path`, else `migrations/`).
    pub fn open(sources: Sources<'_>, cwd: &Path) -> Result<App> {
        let project = Project::find(cwd)?;
        let url = project.database_url(sources.database_url)?;
        let database = Database::resolve(url, &project.root)?;
        let migrations = migrations::Folder::new(&project.root, sources.migrations_path, cwd);
        Ok(App {
            root: project.root,
            database,
            migrations,
        })
    }

    /// `<root>/seeds`.
    pub fn seeds_dir(&self) -> PathBuf {
        self.root.join(seed::DIR)
    }
}

/// `axgen migrate`.
pub fn migrate(
    request: &MigrateRequest,
    sources: Sources<'_>,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let app = App::open(sources, cwd)?;
    block_on(&app, migrate::up(&app, request, printer))
}

/// `axgen rollback`.
pub fn rollback(
    request: &RollbackRequest,
    sources: Sources<'_>,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let app = App::open(sources, cwd)?;
    block_on(&app, migrate::down(&app, request, printer))
}

/// `axgen migrations`.
pub fn migrations(sources: Sources<'_>, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    let app = App::open(sources, cwd)?;
    block_on(&app, status::show(&app, printer))
}

/// `axgen seed`.
pub fn seed(
    request: &SeedRequest,
    sources: Sources<'_>,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let app = App::open(sources, cwd)?;
    block_on(&app, seed::run(&app, request, printer))
}

/// `axgen db create | drop | setup | reset`.
pub fn db(task: DbTask, sources: Sources<'_>, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    let app = App::open(sources, cwd)?;
    match task {
        DbTask::Create => block_on(&app, database::create(&app, printer)),
        DbTask::Setup => block_on(&app, database::setup(&app, printer)),
        DbTask::Drop { yes } => block_on(&app, database::drop(&app, yes, printer)),
        DbTask::Reset { yes } => block_on(&app, async {
            database::drop(&app, yes, printer).await?;
            database::setup(&app, printer).await
        }),
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
