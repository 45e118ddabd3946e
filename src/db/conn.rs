//! One connection layer over sqlx for SQLite, PostgreSQL and MySQL/MariaDB: URL parsing,
//! connecting, create/drop/exists, and a borrowed handle [`Db`] that every command runs on.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context as _, Result};
use sqlx::migrate::MigrateDatabase;
use sqlx::mysql::{MySql, MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection, Postgres};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Transaction};

use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::output::Printer;
use crate::project::DatabaseUrl;

/// Runs `$body` with `$c` bound to the concrete connection inside a [`Db`], whatever the adapter.
macro_rules! each_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::db::conn::Db::Sqlite($c) => $body,
            $crate::db::conn::Db::Postgres($c) => $body,
            $crate::db::conn::Db::Mysql($c) => $body,
        }
    };
}
pub(crate) use each_db;

/// The app's database: where it is, how to reach it, and where its URL came from.
#[derive(Debug, Clone)]
pub struct Database {
    url: DatabaseUrl,
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    /// `path` is `None` for an in-memory database.
    Sqlite {
        options: SqliteConnectOptions,
        path: Option<PathBuf>,
    },
    Postgres(PgConnectOptions),
    Mysql(MySqlConnectOptions),
}

/// An open connection.
pub enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

/// An open transaction; dropped without [`Tx::commit`], it rolls back.
pub enum Tx<'c> {
    Sqlite(Transaction<'c, sqlx::Sqlite>),
    Postgres(Transaction<'c, Postgres>),
    Mysql(Transaction<'c, MySql>),
}

/// A borrowed connection (plain or inside a transaction) that queries run on.
pub enum Db<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
    Mysql(&'c mut MySqlConnection),
}

impl Database {
    /// Parses a database URL; relative SQLite paths are relative to the app's `root`.
    pub fn resolve(url: DatabaseUrl, root: &Path) -> Result<Database> {
        let target = parse_target(&url, root)?;
        Ok(Database { url, target })
    }

    /// Which engine the URL names.
    pub fn adapter(&self) -> Adapter {
        match self.target {
            Target::Sqlite { .. } => Adapter::Sqlite,
            Target::Postgres(_) => Adapter::Postgres,
            Target::Mysql(_) => Adapter::Mysql,
        }
    }

    /// The URL with its password masked and where it came from, for messages.
    pub fn describe(&self) -> String {
        format!("{} (from {})", self.url.masked(), self.url.source)
    }

    /// Where the server listens, for messages: `host:port`, or its socket's path; the file for
    /// SQLite.
    pub fn server(&self) -> String {
        let (host, port, socket) = match &self.target {
            Target::Sqlite { .. } => return self.name(),
            Target::Postgres(o) => (o.get_host(), o.get_port(), o.get_socket()),
            Target::Mysql(o) => (o.get_host(), o.get_port(), o.get_socket()),
        };
        match socket {
            Some(socket) => socket.display().to_string(),
            None if host.contains(':') => format!("[{host}]:{port}"),
            None => format!("{host}:{port}"),
        }
    }

    /// Where the URL came from: `--database-url`, `DATABASE_URL`, `.env` or `axgen.toml`.
    pub fn url_source(&self) -> &crate::project::UrlSource {
        &self.url.source
    }

    /// The database's name: its file for SQLite.
    pub fn name(&self) -> String {
        match &self.target {
            Target::Sqlite {
                path: Some(path), ..
            } => path.display().to_string(),
            Target::Sqlite { path: None, .. } => ":memory:".to_string(),
            Target::Postgres(options) => options.get_database().unwrap_or_default().to_string(),
            Target::Mysql(options) => options.get_database().unwrap_or_default().to_string(),
        }
    }

    /// Connects; a missing SQLite file is an error, never silently created.
    pub async fn connect(&self) -> Result<Conn> {
        if let Some(path) = self.missing_sqlite_file()? {
            anyhow::bail!(
                "the database {} does not exist ({} is missing); `axgen migrate` or `axgen db create` creates it",
                self.describe(),
                path.display()
            );
        }
        self.connect_existing().await
    }

    /// Connects, first creating a missing SQLite file, as `migrate` and `seed` do (as Rails
    /// and ecto_sqlite3 do for the embedded database); a server's database is never created
    /// here (`axgen db create` does that).
    pub async fn connect_or_create(&self, printer: &Printer) -> Result<Conn> {
        if self.missing_sqlite_file()?.is_some() {
            self.create().await?;
            printer.line(&format!("Created the database {}.", self.name()));
        }
        self.connect_existing().await
    }

    /// Connects to look without changing anything: a missing SQLite file reads as an empty
    /// database (an in-memory one), so `migrations` and `migrate --dry-run` show every
    /// migration pending before the file exists.
    pub async fn connect_or_empty(&self, printer: &Printer) -> Result<Conn> {
        if self.missing_sqlite_file()?.is_some() {
            printer.line(&format!(
                "The database {} does not exist yet: nothing is applied.",
                self.name()
            ));
            let empty = SqliteConnectOptions::from_str("sqlite::memory:")?;
            return empty
                .connect()
                .await
                .map(Conn::Sqlite)
                .map_err(|err| self.connect_error(&err));
        }
        self.connect_existing().await
    }

    /// The path of the SQLite file when it does not exist yet; an error when its folder does
    /// not exist either (neither `db create` nor `migrate` makes folders).
    fn missing_sqlite_file(&self) -> Result<Option<&Path>> {
        let Target::Sqlite {
            path: Some(path), ..
        } = &self.target
        else {
            return Ok(None);
        };
        if path.exists() {
            return Ok(None);
        }
        match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() && !folder.is_dir() => {
                Err(UsageError::new(format!(
                    "the folder {} of the database {} does not exist",
                    folder.display(),
                    self.describe()
                ))
                .with_hint(format!(
                    "create it with `mkdir -p {}`, or fix the URL given by {}",
                    folder.display(),
                    self.url.source
                ))
                .into())
            }
            _ => Ok(Some(path)),
        }
    }

    async fn connect_existing(&self) -> Result<Conn> {
        let conn = match &self.target {
            Target::Sqlite { options, .. } => options.connect().await.map(Conn::Sqlite),
            Target::Postgres(options) => options.connect().await.map(Conn::Postgres),
            Target::Mysql(options) => options.connect().await.map(Conn::Mysql),
        };
        conn.map_err(|err| self.connect_error(&err))
    }

    /// Connects to the server without the app's database, which may not exist: to PostgreSQL's
    /// `postgres` database (`template1` when the app's is `postgres`), as `createdb` and sqlx's
    /// create/drop do; to MySQL's `information_schema`, which every user may read. `None` for
    /// SQLite.
    pub async fn connect_maintenance(&self) -> Result<Option<Conn>> {
        let conn = match &self.target {
            Target::Sqlite { .. } => return Ok(None),
            Target::Postgres(options) => {
                let maintenance = match options.get_database() {
                    Some("postgres") => "template1",
                    _ => "postgres",
                };
                let options = options.clone().database(maintenance);
                options.connect().await.map(Conn::Postgres)
            }
            Target::Mysql(options) => {
                let options = options.clone().database("information_schema");
                options.connect().await.map(Conn::Mysql)
            }
        };
        conn.map(Some).map_err(|err| self.connect_error(&err))
    }

    /// Whether the database exists (for servers, asks the server).
    pub async fn exists(&self) -> Result<bool> {
        let exists = match &self.target {
            Target::Sqlite { path, .. } => return Ok(path.as_ref().is_none_or(|p| p.exists())),
            Target::Postgres(_) => Postgres::database_exists(&self.url.url).await,
            Target::Mysql(_) => MySql::database_exists(&self.url.url).await,
        };
        exists.map_err(|err| self.connect_error(&err))
    }

    /// Creates the database, which must not exist yet.
    pub async fn create(&self) -> Result<()> {
        self.missing_sqlite_file()?;
        let created = match &self.target {
            Target::Sqlite { options, .. } => create_sqlite(options).await,
            Target::Postgres(_) => Postgres::create_database(&self.url.url).await,
            Target::Mysql(_) => MySql::create_database(&self.url.url).await,
        };
        created.map_err(|err| {
            anyhow::anyhow!(
                "could not create the database {}: {}",
                self.describe(),
                self.reason(&err)
            )
        })
    }

    /// On SQLite, takes the lock file beside the database (`<file>-lock`) for as long as the
    /// returned file is open, so that migration runs at once go one after the other, as the
    /// servers' own migration lock makes them do (see `migrate.rs`). Calls `waiting` first if
    /// another run holds it. `None` on servers and for an in-memory database.
    pub fn lock_migrations(&self, waiting: impl FnOnce()) -> Result<Option<File>> {
        let Target::Sqlite {
            path: Some(path), ..
        } = &self.target
        else {
            return Ok(None);
        };
        let lock_path = side_file(path, "-lock");
        let context = || format!("locking {} for the migration run", lock_path.display());
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(context)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                waiting();
                file.lock().with_context(context)?;
            }
            Err(TryLockError::Error(err)) => return Err(err).with_context(context),
        }
        Ok(Some(file))
    }

    /// Drops the database, which must exist.
    pub async fn drop(&self) -> Result<()> {
        let dropped = match &self.target {
            Target::Sqlite {
                path: Some(path),
                options,
            } => return self.drop_sqlite(options, path).await,
            Target::Sqlite { path: None, .. } => Ok(()),
            Target::Postgres(_) => Postgres::drop_database(&self.url.url).await,
            Target::Mysql(_) => MySql::drop_database(&self.url.url).await,
        };
        dropped.map_err(|err| {
            anyhow::anyhow!(
                "could not drop the database {}: {}",
                self.describe(),
                self.reason(&err)
            )
        })
    }

    /// Removes a SQLite database unless another process has it open.
    ///
    /// Deleting the file under a running app would leave it serving the deleted database. An
    /// app in WAL mode (as generated apps are) keeps a shared lock on the file while it has it
    /// open, so an exclusive lock taken without waiting fails exactly then; it is held while
    /// the files are removed. A file that is not a database is removed all the same.
    async fn drop_sqlite(&self, options: &SqliteConnectOptions, path: &Path) -> Result<()> {
        let options = options.clone().busy_timeout(Duration::ZERO);
        let locked = match options.connect().await {
            Ok(mut conn) => {
                let lock = sqlx::raw_sql("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE")
                    .execute(&mut conn)
                    .await;
                lock.map(|_| conn)
            }
            Err(err) => Err(err),
        };
        match locked {
            Err(err) if is_busy(&err) => Err(UsageError::new(format!(
                "the database {} is open in another process (is the app running?), so it was not dropped",
                self.name()
            ))
            .with_hint("stop the app and anything else using the database, then run the command again")
            .into()),
            Ok(conn) => {
                let removed = remove_sqlite_files(path);
                let _ = conn.close_hard().await;
                removed
            }
            Err(_) => remove_sqlite_files(path),
        }
    }

    fn connect_error(&self, err: &sqlx::Error) -> anyhow::Error {
        let reason = self.reason(err);
        let fix = if is_unknown_database(err) {
            "; create it with `axgen db create`"
        } else if matches!(err, sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            "; is the database server running, and listening on that host and port?"
        } else {
            ""
        };
        anyhow::anyhow!(
            "could not connect to the database at {}: {reason}{fix}",
            self.describe()
        )
    }

    /// Why sqlx failed, in one line, with the password scrubbed in case the driver echoed it.
    pub fn reason(&self, err: &sqlx::Error) -> String {
        let text = match err.as_database_error() {
            Some(db) => db.message().to_string(),
            None => err.to_string(),
        };
        match crate::project::url_password(&self.url.url) {
            Some(secret) if !secret.is_empty() => text.replace(secret, "***"),
            _ => text,
        }
    }
}

/// Whether the server said the database does not exist: PostgreSQL's SQLSTATE 3D000, MySQL's
/// error 1049 (whose SQLSTATE, 42000, is shared with every syntax error).
fn is_unknown_database(err: &sqlx::Error) -> bool {
    let Some(db) = err.as_database_error() else {
        return false;
    };
    db.code().as_deref() == Some("3D000")
        || db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|e| e.number() == 1049)
}

fn parse_target(url: &DatabaseUrl, root: &Path) -> Result<Target> {
    let text = url.url.as_str();
    let bad = |err: sqlx::Error| {
        UsageError::new(format!(
            "the database URL {} is not valid: {err}",
            url.masked()
        ))
        .with_hint(format!("fix the URL given by {}", url.source))
    };
    if text.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(text).map_err(bad)?;
        let memory = text.contains(":memory:") || text.contains("mode=memory");
        let path = (!memory).then(|| root.join(options.get_filename()));
        let options = match &path {
            Some(path) => options.filename(path),
            None => options,
        };
        Ok(Target::Sqlite { options, path })
    } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        Ok(Target::Postgres(pooler_safe(
            PgConnectOptions::from_str(text).map_err(bad)?,
        )))
    } else if text.starts_with("mysql://") || text.starts_with("mariadb://") {
        Ok(Target::Mysql(
            MySqlConnectOptions::from_str(text).map_err(bad)?,
        ))
    } else {
        Err(UsageError::new(format!(
            "the database URL {} names no database axgen knows",
            url.masked()
        ))
        .with_hint(format!(
            "use sqlite:FILE, postgres://… or mysql://… (the URL came from {})",
            url.source
        ))
        .into())
    }
}

/// Options that work directly and through PgBouncer in either pooling mode, with its Debian
/// defaults.
///
/// - sqlx sends `extra_float_digits=2` at start-up, which PgBouncer refuses (it forwards only
///   a few startup parameters). Without it, PostgreSQL 12 and later send floats in text as the
///   shortest string that reads back exactly (its `extra_float_digits` default of 1); binary
///   results, which bound queries get, are exact anyway.
/// - No statement cache: a cached prepared statement lives on the server connection it was
///   prepared on, which a transaction pooler hands to another client once the transaction
///   ends. Every statement that binds values then runs inside a transaction (see
///   [`Conn::begin`]), where the pooler keeps one server connection.
fn pooler_safe(options: PgConnectOptions) -> PgConnectOptions {
    options.extra_float_digits(None).statement_cache_capacity(0)
}

async fn create_sqlite(options: &SqliteConnectOptions) -> Result<(), sqlx::Error> {
    options
        .clone()
        .create_if_missing(true)
        .connect()
        .await?
        .close()
        .await
}

/// Whether SQLite gave up waiting for a lock another connection holds (SQLITE_BUSY).
fn is_busy(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|err| err.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

/// `<path><suffix>`, e.g. the `-wal` file of a database.
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut side = path.as_os_str().to_owned();
    side.push(suffix);
    PathBuf::from(side)
}

/// Removes a SQLite database file with its journal files and migration lock file.
fn remove_sqlite_files(path: &Path) -> Result<()> {
    std::fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
    for suffix in ["-wal", "-shm", "-journal", "-lock"] {
        let side = side_file(path, suffix);
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    Ok(())
}

impl Conn {
    /// The connection as a [`Db`] to run queries on.
    pub fn db(&mut self) -> Db<'_> {
        match self {
            Conn::Sqlite(c) => Db::Sqlite(c),
            Conn::Postgres(c) => Db::Postgres(c),
            Conn::Mysql(c) => Db::Mysql(c),
        }
    }

    /// Starts a transaction (on PostgreSQL, one safe behind a transaction pooler: see
    /// [`super::advisory::begin`]).
    pub async fn begin(&mut self) -> Result<Tx<'_>, sqlx::Error> {
        Ok(match self {
            Conn::Sqlite(c) => Tx::Sqlite(c.begin().await?),
            Conn::Postgres(c) => Tx::Postgres(super::advisory::begin(c).await?),
            Conn::Mysql(c) => Tx::Mysql(c.begin().await?),
        })
    }

    /// Closes the connection politely (servers log abrupt disconnects).
    pub async fn close(self) {
        let _ = match self {
            Conn::Sqlite(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
            Conn::Mysql(c) => c.close().await,
        };
    }
}

impl Tx<'_> {
    /// The transaction as a [`Db`] to run queries on.
    pub fn db(&mut self) -> Db<'_> {
        match self {
            Tx::Sqlite(tx) => Db::Sqlite(tx),
            Tx::Postgres(tx) => Db::Postgres(tx),
            Tx::Mysql(tx) => Db::Mysql(tx),
        }
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
            Tx::Mysql(tx) => tx.commit().await,
        }
    }
}

impl Db<'_> {
    /// Which engine this is.
    pub fn adapter(&self) -> Adapter {
        match self {
            Db::Sqlite(_) => Adapter::Sqlite,
            Db::Postgres(_) => Adapter::Postgres,
            Db::Mysql(_) => Adapter::Mysql,
        }
    }

    /// Runs SQL that may hold several statements, with no parameters; returns the rows changed.
    pub async fn execute_script(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        let script = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        each_db!(self, c => script.execute(&mut **c).await.map(|r| r.rows_affected()))
    }
}

/// Quotes an identifier: backticks for MySQL, double quotes otherwise.
pub fn quote_ident(adapter: Adapter, name: &str) -> String {
    match adapter {
        Adapter::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::UrlSource;

    fn url(text: &str) -> DatabaseUrl {
        DatabaseUrl {
            url: text.to_string(),
            source: UrlSource::Flag,
        }
    }

    #[test]
    fn relative_sqlite_paths_are_relative_to_the_app() {
        let db = Database::resolve(url("sqlite:dev.db"), Path::new("/app")).unwrap();
        assert_eq!(db.name(), "/app/dev.db");
        let db = Database::resolve(url("sqlite:///tmp/x.db"), Path::new("/app")).unwrap();
        assert_eq!(db.name(), "/tmp/x.db");
        let db = Database::resolve(url("sqlite::memory:"), Path::new("/app")).unwrap();
        assert_eq!(db.name(), ":memory:");
    }

    #[test]
    fn unknown_schemes_are_usage_errors() {
        let err = Database::resolve(url("redis://u:pw@h/0"), Path::new("/")).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert!(err.to_string().contains("redis://u:***@h/0"), "{err}");
    }

    #[test]
    fn identifiers_are_quoted_per_engine() {
        assert_eq!(quote_ident(Adapter::Mysql, "a`b"), "`a``b`");
        assert_eq!(quote_ident(Adapter::Postgres, "a\"b"), "\"a\"\"b\"");
    }
}
