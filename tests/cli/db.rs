//! `axgen migrate | rollback | migrations | seed | db ...` against real databases: a SQLite file
//! always, PostgreSQL and MariaDB when `AXGEN_TEST_POSTGRES_URL` / `AXGEN_TEST_MYSQL_URL` are set.
//! Every test makes its own app in a tempdir and its own database, dropped at the end, so the
//! tests run in parallel.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rstest::rstest;
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::{Axgen, Run, server_url};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
    Mysql,
}

/// A test app: `axgen.toml`, migrations and seeds in a tempdir, and its own database.
pub(crate) struct App {
    dir: tempfile::TempDir,
    engine: Engine,
    /// The URL the test connects with (absolute for SQLite).
    url: String,
    /// Whether the server database should be dropped at the end.
    server: bool,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl App {
    /// An app for `engine`, or `None` (with a notice) when its server is not configured.
    fn new(engine: Engine) -> Option<App> {
        let dir = tempfile::tempdir().unwrap();
        let name = format!(
            "axgen_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let (config_url, url) = match engine {
            Engine::Sqlite => (
                "sqlite:dev.db".to_string(),
                format!("sqlite://{}", dir.path().join("dev.db").display()),
            ),
            Engine::Postgres => {
                let url = with_database(&server_url("AXGEN_TEST_POSTGRES_URL")?, &name);
                (url.clone(), url)
            }
            Engine::Mysql => {
                let url = with_database(&server_url("AXGEN_TEST_MYSQL_URL")?, &name);
                (url.clone(), url)
            }
        };
        let adapter = match engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        };
        std::fs::write(
            dir.path().join("axgen.toml"),
            format!("[app]\nname = \"blog\"\n\n[database]\nadapter = \"{adapter}\"\nurl = \"{config_url}\"\n"),
        )
        .unwrap();
        Some(App {
            dir,
            engine,
            url,
            server: engine != Engine::Sqlite,
        })
    }

    /// An app whose database exists and holds the three blog migrations.
    fn migrated(engine: Engine) -> Option<App> {
        let app = App::new(engine)?;
        app.blog_migrations();
        app.axgen(&["db", "create"]).assert_code(0);
        app.axgen(&["migrate"]).assert_code(0);
        Some(app)
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, contents: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn migration(&self, version: i64, name: &str, up: &str, down: Option<&str>) {
        self.write(&format!("migrations/{version}_{name}.up.sql"), up);
        if let Some(down) = down {
            self.write(&format!("migrations/{version}_{name}.down.sql"), down);
        }
    }

    /// users, posts (foreign key, CHECK enum, defaults), then a unique slug on posts.
    fn blog_migrations(&self) {
        let (users, posts, slug, drop_slug) = blog_sql(self.engine);
        self.migration(V1, "create_users", users, Some("DROP TABLE users;"));
        self.migration(V2, "create_posts", posts, Some("DROP TABLE posts;"));
        self.migration(V3, "add_slug_to_posts", slug, Some(drop_slug));
    }

    pub(crate) fn axgen(&self, args: &[&str]) -> Run {
        Axgen::in_dir(self.path()).args(args).run()
    }

    /// Every row of `sql`, each cell as text (`NULL` for null).
    pub(crate) fn query(&self, sql: &str) -> Vec<Vec<String>> {
        self.try_query(sql)
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
    }

    /// Every row of `sql`, or the database's error.
    pub(crate) fn try_query(&self, sql: &str) -> Result<Vec<Vec<String>>, sqlx::Error> {
        let sql = sql.to_string();
        runtime().block_on(async {
            let rows = match self.engine {
                Engine::Sqlite => {
                    let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
                    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut c).await;
                    c.close().await?;
                    rows?.iter().map(cells).collect()
                }
                Engine::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&self.url).await?;
                    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut c).await;
                    c.close().await?;
                    rows?.iter().map(cells).collect()
                }
                Engine::Mysql => {
                    let mut c = sqlx::MySqlConnection::connect(&self.url).await?;
                    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut c).await;
                    c.close().await?;
                    rows?.iter().map(cells).collect()
                }
            };
            Ok(rows)
        })
    }

    /// The single value `sql` returns.
    fn scalar(&self, sql: &str) -> String {
        self.query(sql).remove(0).remove(0)
    }

    /// Tables, columns and indexes as the catalog lists them, without sqlx's own table.
    fn schema(&self) -> Vec<Vec<String>> {
        let queries: &[&str] = match self.engine {
            Engine::Sqlite => &["SELECT type, name, tbl_name, sql FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY type, name"],
            Engine::Postgres => &[
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
                 column_default::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
                 ORDER BY table_name, ordinal_position",
                "SELECT tablename::text, indexname::text, indexdef FROM pg_indexes \
                 WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations' ORDER BY 1, 2",
                "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) \
                 FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
                 AND conrelid::regclass::text <> '_sqlx_migrations' ORDER BY 1, 2",
            ],
            Engine::Mysql => &[
                "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME <> '_sqlx_migrations' ORDER BY TABLE_NAME, ORDINAL_POSITION",
                "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, CAST(NON_UNIQUE AS CHAR) \
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME <> '_sqlx_migrations' ORDER BY 1, 2, 3",
            ],
        };
        queries.iter().flat_map(|q| self.query(q)).collect()
    }

    /// `_sqlx_migrations` versions, oldest first.
    fn applied(&self) -> Vec<i64> {
        self.query("SELECT version FROM _sqlx_migrations ORDER BY version")
            .into_iter()
            .map(|row| row[0].parse().unwrap())
            .collect()
    }

    fn table_exists(&self, table: &str) -> bool {
        let sql = match self.engine {
            Engine::Sqlite => format!("SELECT COUNT(*) FROM sqlite_master WHERE name = '{table}'"),
            Engine::Postgres => {
                format!("SELECT COUNT(*) FROM pg_tables WHERE tablename = '{table}'")
            }
            Engine::Mysql => format!(
                "SELECT COUNT(*) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'"
            ),
        };
        self.scalar(&sql) != "0"
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if self.server {
            let _ = self.axgen(&["db", "drop", "--yes"]);
        }
    }
}

const V1: i64 = 20261124120000;
const V2: i64 = 20261124130000;
const V3: i64 = 20261124140000;

/// (create users, create posts, add slug, remove slug) in the engine's dialect.
fn blog_sql(engine: Engine) -> (&'static str, &'static str, &'static str, &'static str) {
    match engine {
        Engine::Sqlite => (
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, \
             name TEXT NOT NULL, age INTEGER, inserted_at TEXT NOT NULL, updated_at TEXT NOT NULL);\n",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, \
             user_id INTEGER NOT NULL REFERENCES users (id), title TEXT NOT NULL, \
             status TEXT NOT NULL CHECK (status IN ('draft', 'published')), \
             views INTEGER NOT NULL DEFAULT 0, published BOOLEAN NOT NULL DEFAULT 0, \
             inserted_at TEXT NOT NULL, updated_at TEXT NOT NULL);\n\
             CREATE INDEX posts_user_id_index ON posts (user_id);\n",
            "ALTER TABLE posts ADD COLUMN slug TEXT;\n\
             CREATE UNIQUE INDEX posts_slug_index ON posts (slug);\n",
            "DROP INDEX posts_slug_index;\nALTER TABLE posts DROP COLUMN slug;\n",
        ),
        Engine::Postgres => (
            "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, \
             name VARCHAR(255) NOT NULL, age INTEGER, inserted_at TIMESTAMP NOT NULL, \
             updated_at TIMESTAMP NOT NULL);\n",
            "CREATE TABLE posts (id BIGSERIAL PRIMARY KEY, \
             user_id BIGINT NOT NULL REFERENCES users (id), title VARCHAR(255) NOT NULL, \
             status TEXT NOT NULL CHECK (status IN ('draft', 'published')), \
             views INTEGER NOT NULL DEFAULT 0, published BOOLEAN NOT NULL DEFAULT FALSE, \
             inserted_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);\n\
             CREATE INDEX posts_user_id_index ON posts (user_id);\n",
            "ALTER TABLE posts ADD COLUMN slug VARCHAR(255);\n\
             CREATE UNIQUE INDEX posts_slug_index ON posts (slug);\n",
            "DROP INDEX posts_slug_index;\nALTER TABLE posts DROP COLUMN slug;\n",
        ),
        Engine::Mysql => (
            "CREATE TABLE users (id BIGINT AUTO_INCREMENT PRIMARY KEY, \
             email VARCHAR(255) NOT NULL UNIQUE, name VARCHAR(255) NOT NULL, age INT, \
             inserted_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);\n",
            "CREATE TABLE posts (id BIGINT AUTO_INCREMENT PRIMARY KEY, user_id BIGINT NOT NULL, \
             title VARCHAR(255) NOT NULL, \
             status VARCHAR(20) NOT NULL CHECK (status IN ('draft', 'published')), \
             views INT NOT NULL DEFAULT 0, published BOOLEAN NOT NULL DEFAULT FALSE, \
             inserted_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, \
             FOREIGN KEY (user_id) REFERENCES users (id));\n\
             CREATE INDEX posts_user_id_index ON posts (user_id);\n",
            "ALTER TABLE posts ADD COLUMN slug VARCHAR(255);\n\
             CREATE UNIQUE INDEX posts_slug_index ON posts (slug);\n",
            "DROP INDEX posts_slug_index ON posts;\nALTER TABLE posts DROP COLUMN slug;\n",
        ),
    }
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..host_end])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A row's cells as text, whatever their SQL types.
fn cells<R: Row>(row: &R) -> Vec<String>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i32>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    (0..row.len())
        .map(|i| {
            let text = row
                .try_get::<Option<String>, _>(i)
                .or_else(|_| {
                    row.try_get::<Option<i64>, _>(i)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .or_else(|_| {
                    row.try_get::<Option<i32>, _>(i)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .or_else(|_| {
                    row.try_get::<Option<f64>, _>(i)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .or_else(|_| {
                    row.try_get::<Option<bool>, _>(i)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .unwrap_or_else(|err| panic!("column {i}: {err}"));
            text.unwrap_or_else(|| "NULL".to_string())
        })
        .collect()
}

// ---------------------------------------------------------------- migrate, rollback, migrations

fn round_trip(engine: Engine) {
    let Some(app) = App::new(engine) else { return };
    app.blog_migrations();
    app.axgen(&["db", "create"]).assert_code(0);
    let first = app.axgen(&["migrate"]);
    first.assert_code(0);
    assert!(
        first.stdout.contains(&format!(
            "== Running {V1} create_users (up)\n== Migrated {V1} in "
        )),
        "{}",
        first.transcript()
    );
    assert!(
        first
            .stdout
            .contains(&format!("== Running {V3} add_slug_to_posts (up)"))
    );
    let migrated = app.schema();
    assert!(
        migrated
            .iter()
            .any(|row| row.join(" ").contains("posts_slug_index")),
        "{migrated:?}"
    );
    let status = app.axgen(&["migrations"]);
    status.assert_code(0);
    assert!(
        status
            .stdout
            .contains(&format!("  up        {V2}  create_posts\n")),
        "{}",
        status.stdout
    );

    let back = app.axgen(&["rollback", "--all"]);
    back.assert_code(0);
    assert!(back.stdout.contains(&format!(
        "== Running {V3} add_slug_to_posts (down)\n== Reverted {V3} in "
    )));
    assert_eq!(app.schema(), Vec::<Vec<String>>::new());
    assert_eq!(app.applied(), Vec::<i64>::new());
    let status = app.axgen(&["migrations"]);
    assert!(
        status
            .stdout
            .contains(&format!("  down      {V1}  create_users\n")),
        "{}",
        status.stdout
    );

    app.axgen(&["migrate"]).assert_code(0);
    assert_eq!(
        app.schema(),
        migrated,
        "migrate, rollback --all, migrate changed the schema"
    );
    assert_eq!(app.applied(), [V1, V2, V3]);
    let again = app.axgen(&["migrate"]);
    again.assert_code(0);
    assert!(
        again.stdout.contains("Already up to date"),
        "{}",
        again.stdout
    );
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn migrate_rollback_migrate_round_trip(#[case] engine: Engine) {
    round_trip(engine);
}

fn steps_and_targets(engine: Engine) {
    let Some(app) = App::new(engine) else { return };
    app.blog_migrations();
    app.axgen(&["db", "create"]).assert_code(0);
    app.axgen(&["migrate", "--step", "1"]).assert_code(0);
    assert_eq!(app.applied(), [V1]);
    app.axgen(&["migrate", "--to", &V2.to_string()])
        .assert_code(0);
    assert_eq!(app.applied(), [V1, V2]);
    let back = app.axgen(&["rollback"]);
    back.assert_code(0);
    assert!(
        back.stdout.contains(&format!("== Reverted {V2} in ")),
        "{}",
        back.stdout
    );
    assert_eq!(app.applied(), [V1]);
    app.axgen(&["migrate", "--all"]).assert_code(0);
    assert_eq!(app.applied(), [V1, V2, V3]);
    app.axgen(&["rollback", "--step", "2"]).assert_code(0);
    assert_eq!(app.applied(), [V1]);
    app.axgen(&["migrate"]).assert_code(0);
    app.axgen(&["rollback", "--to", &V1.to_string()])
        .assert_code(0);
    assert_eq!(app.applied(), [V1]);
    let nothing = app.axgen(&["rollback", "--to", &V1.to_string()]);
    nothing.assert_code(0);
    assert!(
        nothing.stdout.contains("Nothing to roll back"),
        "{}",
        nothing.stdout
    );

    // `migrate --to` is an upper bound, as in Ecto: no file needs exactly that version.
    let below_v1 = app.axgen(&["migrate", "--to", "123"]);
    below_v1.assert_code(0);
    assert!(
        below_v1.stdout.contains("Already up to date"),
        "{}",
        below_v1.stdout
    );
    app.axgen(&["migrate", "--to", &(V2 + 5).to_string()])
        .assert_code(0);
    assert_eq!(app.applied(), [V1, V2]);
    app.axgen(&["rollback"]).assert_code(0);
    app.axgen(&["migrate", "--to-exclusive", &V3.to_string()])
        .assert_code(0);
    assert_eq!(app.applied(), [V1, V2]);
    app.axgen(&["migrate", "--to", "1", "--to-exclusive", "2"])
        .assert_code(2);
    // `rollback --to` keeps its exact-version check.
    let unknown = app.axgen(&["rollback", "--to", "123"]);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("no migration has the version 123"),
        "{}",
        unknown.stderr
    );
    app.axgen(&["migrate", "--step", "0"]).assert_code(2);
    assert_eq!(app.applied(), [V1, V2]);
}

/// A pending migration older than the newest applied one (merged from a branch) runs with a
/// warning naming both, as in Ecto; `--strict-version-order` refuses it and changes nothing.
fn out_of_order(engine: Engine) {
    let Some(app) = App::new(engine) else { return };
    app.blog_migrations();
    app.axgen(&["db", "create"]).assert_code(0);
    app.axgen(&["migrate"]).assert_code(0);
    let older = V2 + 1;
    app.migration(
        older,
        "add_note",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE notes;"),
    );

    let strict = app.axgen(&["migrate", "--strict-version-order"]);
    strict.assert_code(2);
    assert!(
        strict.stderr.starts_with(&format!(
            "error: migration {older} add_note is older than {V3} add_slug_to_posts, which has already run, and --strict-version-order was given\nhint: give it a version after {V3}"
        )),
        "{}",
        strict.stderr
    );
    assert_eq!(app.applied(), [V1, V2, V3]);

    let run = app.axgen(&["migrate"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains(&format!(
            "warning: migration {older} add_note is older than {V3} add_slug_to_posts, which has already run; it runs now"
        )),
        "{}",
        run.transcript()
    );
    assert_eq!(app.applied(), [V1, V2, older, V3]);
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn an_older_pending_migration_runs_with_a_warning_or_is_refused(#[case] engine: Engine) {
    out_of_order(engine);
}

#[test]
fn a_missing_migrations_folder_is_named() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.axgen(&["db", "create"]).assert_code(0);
    for args in [&["migrate"][..], &["rollback"], &["migrations"]] {
        let run = app.axgen(args);
        run.assert_code(2);
        assert!(
            run.stderr
                .starts_with("error: there is no migrations/ folder in [DIR], so there are no migrations to run or show\nhint: "),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn step_and_to_move_one_way_or_the_other(#[case] engine: Engine) {
    steps_and_targets(engine);
}

/// A migration whose second statement fails: on transactional DDL nothing of it stays.
fn failing_migration(engine: Engine, db_message: &str) {
    let Some(app) = App::new(engine) else { return };
    let (users, ..) = blog_sql(engine);
    app.migration(V1, "create_users", users, Some("DROP TABLE users;"));
    app.migration(
        V2,
        "broken",
        "CREATE TABLE half (id INTEGER);\nSELECT * FROM nope;\n",
        Some("DROP TABLE half;"),
    );
    app.migration(
        V3,
        "later",
        "CREATE TABLE later (id INTEGER);\n",
        Some("DROP TABLE later;"),
    );
    app.axgen(&["db", "create"]).assert_code(0);
    let run = app.axgen(&["migrate"]);
    run.assert_code(1);
    let file = format!("migrations/{V2}_broken.up.sql failed: ");
    assert!(run.stderr.contains(&file), "{}", run.transcript());
    assert!(run.stderr.contains(db_message), "{}", run.transcript());
    assert!(
        run.stderr
            .contains(&format!("the database stays at {V1} create_users")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains(&format!("== Migrated {V1}")));
    assert_eq!(app.applied(), [V1]);
    assert!(app.table_exists("users"));
    assert!(
        !app.table_exists("half"),
        "the failed migration's first statement was kept"
    );
    assert!(!app.table_exists("later"));
    let status = app.axgen(&["migrations"]);
    assert!(
        status
            .stdout
            .contains(&format!("  down      {V2}  broken\n")),
        "{}",
        status.stdout
    );
}

#[test]
fn a_failing_migration_leaves_the_last_good_version_sqlite() {
    failing_migration(Engine::Sqlite, "no such table: nope");
}

#[test]
fn a_failing_migration_leaves_the_last_good_version_postgres() {
    failing_migration(Engine::Postgres, "relation \"nope\" does not exist");
}

/// MySQL commits DDL as it goes: the failure is named, marked in `_sqlx_migrations`, and
/// migrate refuses to go on until someone repairs it.
#[test]
fn a_failing_migration_on_mysql_is_named_and_marked_failed() {
    let Some(app) = App::new(Engine::Mysql) else {
        return;
    };
    app.migration(
        V1,
        "create_half",
        "CREATE TABLE half (id INT);\nSELECT * FROM nope;\n",
        None,
    );
    app.axgen(&["db", "create"]).assert_code(0);
    let run = app.axgen(&["migrate"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains(&format!("migrations/{V1}_create_half.up.sql failed: ")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nope' doesn't exist"), "{}", run.stderr);
    assert!(
        run.stderr.contains("MySQL cannot roll back schema changes"),
        "{}",
        run.stderr
    );
    let status = app.axgen(&["migrations"]);
    assert!(
        status
            .stdout
            .contains(&format!("  failed    {V1}  create_half")),
        "{}",
        status.stdout
    );
    let again = app.axgen(&["migrate"]);
    again.assert_code(1);
    assert!(
        again.stderr.contains(&format!(
            "DELETE FROM _sqlx_migrations WHERE version = {V1}"
        )),
        "{}",
        again.stderr
    );
}

fn edited_and_vanished(engine: Engine) {
    let Some(app) = App::new(engine) else { return };
    app.blog_migrations();
    app.axgen(&["db", "create"]).assert_code(0);
    app.axgen(&["migrate", "--to", &V2.to_string()])
        .assert_code(0);
    let users = format!("migrations/{V1}_create_users.up.sql");
    let original = std::fs::read_to_string(app.path().join(&users)).unwrap();
    app.write(&users, &format!("{original}-- edited\n"));

    let run = app.axgen(&["migrate"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains(&format!("{users} was edited after it was applied")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: restore the file as it was applied"),
        "{}",
        run.stderr
    );
    assert_eq!(
        app.applied(),
        [V1, V2],
        "migrate ran past an edited migration"
    );
    let status = app.axgen(&["migrations"]);
    status.assert_code(0);
    assert!(
        status.stdout.contains(&format!(
            "  up        {V1}  create_users  ** CHANGED SINCE APPLIED **"
        )),
        "{}",
        status.stdout
    );
    app.write(&users, &original);
    std::fs::remove_file(
        app.path()
            .join(format!("migrations/{V2}_create_posts.up.sql")),
    )
    .unwrap();
    std::fs::remove_file(
        app.path()
            .join(format!("migrations/{V2}_create_posts.down.sql")),
    )
    .unwrap();
    let status = app.axgen(&["migrations"]);
    assert!(
        status.stdout.contains(&format!(
            "  up        {V2}  create_posts  ** FILE NOT FOUND **"
        )),
        "{}",
        status.stdout
    );
    let run = app.axgen(&["migrate"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("its file is gone from migrations/"),
        "{}",
        run.stderr
    );
    assert_eq!(app.applied(), [V1, V2]);
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
fn an_edited_or_vanished_migration_stops_migrate(#[case] engine: Engine) {
    edited_and_vanished(engine);
}

#[test]
fn a_migration_without_down_stops_the_rollback_before_it() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.migration(
        V1,
        "one",
        "CREATE TABLE one (id INTEGER);",
        Some("DROP TABLE one;"),
    );
    app.migration(V2, "two", "CREATE TABLE two (id INTEGER);", None);
    app.migration(
        V3,
        "three",
        "CREATE TABLE three (id INTEGER);",
        Some("DROP TABLE three;"),
    );
    app.axgen(&["db", "create"]).assert_code(0);
    app.axgen(&["migrate"]).assert_code(0);

    let run = app.axgen(&["rollback", "--all"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains(&format!("== Reverted {V3}")),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.contains(&format!(
            "rolled back 1 migration, then stopped: migration {V2} two cannot be rolled back because migrations/{V2}_two.down.sql does not exist"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(app.applied(), [V1, V2]);

    let run = app.axgen(&["rollback"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("hint: write its .down.sql"),
        "{}",
        run.stderr
    );
    assert_eq!(app.applied(), [V1, V2]);
}

/// A seed file or `--fake` naming no table gets the closest table as the fix, never the same
/// wrong name.
fn unknown_seed_table(engine: Engine) {
    let Some(app) = App::new(engine) else { return };
    app.blog_migrations();
    app.axgen(&["db", "create"]).assert_code(0);
    app.axgen(&["migrate"]).assert_code(0);
    app.write("seeds/user.csv", "email,name\nann@example.com,Ann\n");
    let run = app.axgen(&["seed"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "error: seeds/user.csv: the table user does not exist; nothing was seeded (the whole run was rolled back)\nhint: did you mean users? name the file after its table: seeds/users.csv"
        ),
        "{}",
        run.stderr
    );
    std::fs::remove_file(app.path().join("seeds/user.csv")).unwrap();
    let run = app.axgen(&["seed", "--fake", "pots=3"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("hint: did you mean posts? --fake posts=3"),
        "{}",
        run.stderr
    );
    let run = app.axgen(&["seed", "--fake", "zzz=3"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("hint: run `axgen migrate` first, or fill one of its tables (posts, users): --fake posts=3"),
        "{}",
        run.stderr
    );
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn a_seed_for_no_table_suggests_the_closest_table(#[case] engine: Engine) {
    unknown_seed_table(engine);
}

/// `count` `migrate` processes at once: the migration lock (a transaction-scoped one per
/// migration on PostgreSQL, sqlx's on MySQL, a lock file on SQLite) makes each migration run
/// once, by one of them, while the others wait; every one exits 0, and says what it did.
fn concurrent_migrators(engine: Engine, count: usize) {
    let Some(app) = App::new(engine) else { return };
    let sleep = match engine {
        Engine::Postgres => "SELECT pg_sleep(0.1);",
        Engine::Mysql => "DO SLEEP(0.1);",
        // SQLite has no sleep: counting to a million takes about as long.
        Engine::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) \
             SELECT COUNT(*) FROM c;"
        }
    };
    let log = "CREATE TABLE log (v BIGINT NOT NULL);";
    app.migration(V1, "create_log", log, Some("DROP TABLE log;"));
    for n in 1..=5 {
        let sql = format!(
            "{sleep}\nCREATE TABLE t{n} (id INTEGER);\nINSERT INTO log (v) VALUES ({n});\n"
        );
        app.migration(
            V1 + n,
            &format!("step_{n}"),
            &sql,
            Some(&format!("DROP TABLE t{n};")),
        );
    }
    app.axgen(&["db", "create"]).assert_code(0);
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_axgen"))
            .args(["--color=never", "migrate"])
            .current_dir(app.path())
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..count).map(|_| spawn()).collect();
    let mut migrated = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            out.status.success(),
            "a concurrent migrate failed: {stdout}{stderr}"
        );
        migrated += stdout.matches("== Migrated").count();
        assert!(
            stdout.contains("== Migrated")
                || stdout.contains("Already up to date")
                || stdout.contains("applied meanwhile by another migration run"),
            "a migrate says what it did: {stdout}{stderr}"
        );
    }
    assert_eq!(migrated, 6, "each migration is reported applied once");
    assert_eq!(app.applied().len(), 6);
    let log = app.query("SELECT v, COUNT(*) FROM log GROUP BY v ORDER BY v");
    let expected: Vec<Vec<String>> = (1..=5)
        .map(|n| vec![n.to_string(), "1".to_string()])
        .collect();
    assert_eq!(log, expected, "a migration ran twice or not at all");
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn two_concurrent_migrators_apply_each_migration_once(#[case] engine: Engine) {
    concurrent_migrators(engine, 2);
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
fn four_concurrent_migrators_apply_each_migration_once(#[case] engine: Engine) {
    concurrent_migrators(engine, 4);
}

/// A file in `migrations/` that is not named like a migration stops `migrate`, `rollback` and
/// `migrations` before they touch the database (sqlx would skip it without a word).
#[rstest]
#[case::dash_for_underscore("20261201999999-bad.up.sql")]
#[case::upper_case_extension("x.up.SQL")]
#[case::no_direction("20261201999999_bad.sql")]
fn a_misnamed_migration_file_is_refused(#[case] misnamed: &str) {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.blog_migrations();
    app.axgen(&["db", "create"]).assert_code(0);
    app.axgen(&["migrate", "--step", "1"]).assert_code(0);
    app.write(
        &format!("migrations/{misnamed}"),
        "CREATE TABLE sneaky (id INTEGER);",
    );
    for command in [&["migrate"][..], &["rollback"], &["migrations"]] {
        let run = app.axgen(command);
        run.assert_code(2);
        assert!(
            run.stderr.contains(&format!(
                "migrations/{misnamed} is not named like a migration"
            )),
            "{command:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("<VERSION>_<name>.up.sql or <VERSION>_<name>.down.sql"),
            "{command:?}: {}",
            run.stderr
        );
        assert_eq!(app.applied(), [V1], "{command:?} changed the database");
        assert!(!app.table_exists("sneaky"));
    }
    // The README axgen new writes, and hidden files, are not migrations and are fine.
    std::fs::remove_file(app.path().join("migrations").join(misnamed)).unwrap();
    app.write("migrations/README.md", "How to write migrations.");
    app.write("migrations/.gitkeep", "");
    app.axgen(&["migrate"]).assert_code(0);
    assert_eq!(app.applied(), [V1, V2, V3]);
}

#[test]
fn dry_run_changes_nothing_and_log_sql_prints_the_sql() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.blog_migrations();
    app.axgen(&["db", "create"]).assert_code(0);
    let dry = app.axgen(&["migrate", "--dry-run"]);
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains(&format!("== Would run {V1} create_users (up)\n")),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("Dry run: 3 migrations would run; nothing was changed.")
    );
    assert!(
        !dry.stdout.contains("CREATE TABLE"),
        "--dry-run alone printed SQL"
    );
    assert!(
        !app.table_exists("_sqlx_migrations"),
        "--dry-run created sqlx's table"
    );
    assert!(!app.table_exists("users"));

    let logged = app.axgen(&["migrate", "--log-sql"]);
    logged.assert_code(0);
    assert!(
        logged.stdout.contains(&format!(
            "== Running {V1} create_users (up)\nCREATE TABLE users ("
        )),
        "{}",
        logged.stdout
    );

    let dry = app.axgen(&["rollback", "--dry-run", "--log-sql", "--step", "2"]);
    dry.assert_code(0);
    assert!(
        dry.stdout.contains(&format!(
            "== Would run {V3} add_slug_to_posts (down)\nDROP INDEX posts_slug_index;"
        )),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("Dry run: 2 migrations would roll back; nothing was changed.")
    );
    assert_eq!(app.applied(), [V1, V2, V3]);

    let logged = app.axgen(&["rollback", "--log-sql"]);
    assert!(
        logged.stdout.contains("DROP INDEX posts_slug_index;"),
        "{}",
        logged.stdout
    );
    assert_eq!(app.applied(), [V1, V2]);

    let quiet = app.axgen(&["--quiet", "migrate"]);
    quiet.assert_code(0);
    assert_eq!(quiet.stdout, "");
    assert_eq!(app.applied(), [V1, V2, V3]);
}

/// `--migrations-path DIR`, as Ecto's: `gen migration` writes there (inside the app only),
/// and `migrate`, `migrations`, `rollback` and `db setup`/`reset` read there, naming the folder
/// as given in their messages.
#[test]
fn migrations_path_names_another_folder_of_migrations() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    std::fs::create_dir(app.path().join("migrations")).unwrap();
    let path = ["--migrations-path", "db/migrations"];
    let generated = app.axgen(&[&["gen", "migration", "create_tags"][..], &path].concat());
    generated.assert_code(0);
    assert!(
        generated
            .stdout
            .contains("$ axgen migrate --migrations-path db/migrations"),
        "{}",
        generated.stdout
    );
    let written: Vec<_> = std::fs::read_dir(app.path().join("db/migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    let up = written
        .iter()
        .find(|name| name.ends_with(".up.sql"))
        .unwrap();
    app.write(
        &format!("db/migrations/{up}"),
        "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n",
    );
    let down = written
        .iter()
        .find(|name| name.ends_with(".down.sql"))
        .unwrap();
    app.write(&format!("db/migrations/{down}"), "DROP TABLE tags;\n");

    // migrations/ is empty: without the flag nothing runs.
    app.axgen(&["migrate"]).assert_code(0);
    assert!(!app.table_exists("tags"));
    app.axgen(&[&["migrate"][..], &path].concat())
        .assert_code(0);
    assert!(app.table_exists("tags"));
    let status = app.axgen(&[&["migrations"][..], &path].concat());
    status.assert_code(0);
    assert!(
        status.stdout.contains("up ") && status.stdout.contains("create_tags"),
        "{}",
        status.stdout
    );
    app.axgen(&[&["rollback"][..], &path].concat())
        .assert_code(0);
    assert!(!app.table_exists("tags"));
    app.axgen(&[&["db", "reset", "--yes"][..], &path].concat())
        .assert_code(0);
    assert!(app.table_exists("tags"));

    let missing = app.axgen(&["migrate", "--migrations-path", "nope"]);
    missing.assert_code(2);
    assert!(
        missing.stderr.contains("there is no nope/ folder"),
        "{}",
        missing.stderr
    );
    let outside = app.axgen(&[
        "gen",
        "migration",
        "add_x",
        "--migrations-path",
        "../elsewhere",
    ]);
    outside.assert_code(2);
    assert!(
        outside
            .stderr
            .contains("--migrations-path ../elsewhere is not a folder inside the app"),
        "{}",
        outside.stderr
    );
    assert!(!app.path().join("../elsewhere").exists());
}

/// `--log-sql` prints what PostgreSQL noticed while each migration ran, under it, as psql
/// does; without it, the notices stay unprinted.
#[test]
fn log_sql_prints_the_notices_of_postgres() {
    let Some(app) = App::new(Engine::Postgres) else {
        return;
    };
    app.migration(
        V1,
        "tidy_up",
        "DROP TABLE IF EXISTS nothing_here;\nDO $$ BEGIN RAISE WARNING 'careful'; END $$;\n",
        Some("DROP TABLE IF EXISTS gone_too;"),
    );
    app.axgen(&["db", "create"]).assert_code(0);
    let logged = app.axgen(&["migrate", "--log-sql"]);
    logged.assert_code(0);
    assert!(
        logged.stdout.contains(
            "NOTICE:  table \"nothing_here\" does not exist, skipping\nWARNING:  careful\n== Migrated"
        ),
        "{}",
        logged.stdout
    );
    let logged = app.axgen(&["rollback", "--log-sql"]);
    logged.assert_code(0);
    assert!(
        logged
            .stdout
            .contains("NOTICE:  table \"gone_too\" does not exist, skipping\n== Reverted"),
        "{}",
        logged.stdout
    );
    let quiet = app.axgen(&["migrate"]);
    quiet.assert_code(0);
    assert!(!quiet.stdout.contains("NOTICE"), "{}", quiet.stdout);
}

// ---------------------------------------------------------------- connections

#[test]
fn connection_failures_name_the_url_with_its_password_masked() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.blog_migrations();
    for url in [
        "postgres://app:s3cretpw@127.0.0.1:1/blog_dev",
        "mysql://app:s3cretpw@127.0.0.1:1/blog_dev",
    ] {
        let run = app.axgen(&["migrate", "--database-url", url]);
        run.assert_code(1);
        let masked = url.replace("s3cretpw", "***");
        assert!(
            run.stderr.contains(&format!(
                "could not connect to the database at {masked} (from --database-url): "
            )),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("s3cretpw"), "{}", run.stderr);
        assert!(
            run.stderr.trim_end().ends_with(
                "Connection refused (os error 111); is the database server running, and listening on that host and port?"
            ),
            "{}",
            run.stderr
        );
    }
    let run = Axgen::in_dir(app.path())
        .env(
            "DATABASE_URL",
            "postgres://app:s3cretpw@127.0.0.1:1/blog_dev",
        )
        .args(["migrations"])
        .run();
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("postgres://app:***@127.0.0.1:1/blog_dev (from DATABASE_URL)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cretpw"));
}

#[test]
fn an_unknown_database_on_either_server_says_to_create_it() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.blog_migrations();
    for var in ["AXGEN_TEST_POSTGRES_URL", "AXGEN_TEST_MYSQL_URL"] {
        let Some(server) = server_url(var) else {
            continue;
        };
        let url = with_database(&server, "axgen_no_such_database");
        let run = app.axgen(&["migrations", "--database-url", &url]);
        run.assert_code(1);
        assert!(
            run.stderr
                .trim_end()
                .ends_with("; create it with `axgen db create`"),
            "{var}: {}",
            run.stderr
        );
    }
}

#[test]
fn bad_urls_missing_databases_and_no_app_are_clear_errors() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.blog_migrations();
    let run = app.axgen(&["migrate", "--database-url", "redis://u:pw@localhost/0"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("redis://u:***@localhost/0 names no database axgen knows"),
        "{}",
        run.stderr
    );
    // A SQLite URL whose folder does not exist says so: neither `migrate` nor `db create`
    // makes folders.
    for command in ["migrate", "migrations"] {
        let run = app.axgen(&[command, "--database-url", "sqlite:var/dev.db"]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(
                "error: the folder [DIR]/var of the database sqlite:var/dev.db (from --database-url) does not exist\nhint: create it with `mkdir -p [DIR]/var`"
            ),
            "{command}: {}",
            run.stderr
        );
    }
    let outside = tempfile::tempdir().unwrap();
    Axgen::in_dir(outside.path())
        .args(["migrate"])
        .run()
        .assert_code(2);
}

#[test]
fn the_url_comes_from_the_flag_then_env_then_dotenv_then_config() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.write(".env", "DATABASE_URL=sqlite:from_dotenv.db\n");
    app.axgen(&["db", "create"]).assert_code(0);
    assert!(app.path().join("from_dotenv.db").exists());
    Axgen::in_dir(app.path())
        .env("DATABASE_URL", "sqlite:from_env.db")
        .args(["db", "create"])
        .run()
        .assert_code(0);
    assert!(app.path().join("from_env.db").exists());
    Axgen::in_dir(app.path())
        .env("DATABASE_URL", "sqlite:from_env.db")
        .args(["db", "create", "--database-url", "sqlite:from_flag.db"])
        .run()
        .assert_code(0);
    assert!(app.path().join("from_flag.db").exists());
    std::fs::remove_file(app.path().join(".env")).unwrap();
    app.axgen(&["db", "create"]).assert_code(0);
    assert!(app.path().join("dev.db").exists());
}

// ---------------------------------------------------------------- db create | drop | setup | reset

/// The embedded default needs no setup step: `migrate` and `seed` create a missing SQLite
/// file (as Rails and ecto_sqlite3 do), while `migrations` and `migrate --dry-run` show
/// everything pending without creating it, and `rollback` says it is missing.
#[test]
fn migrate_and_seed_create_a_missing_sqlite_file() {
    let Some(app) = App::new(Engine::Sqlite) else {
        return;
    };
    app.blog_migrations();
    let db = app.path().join("dev.db");
    for args in [&["migrations"][..], &["migrate", "--dry-run"]] {
        let run = app.axgen(args);
        run.assert_code(0);
        assert!(run.stdout.contains("does not exist yet"), "{}", run.stdout);
        assert!(!db.exists(), "{args:?} created the file");
    }
    let run = app.axgen(&["rollback"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("`axgen migrate` or `axgen db create` creates it"),
        "{}",
        run.stderr
    );
    assert!(!db.exists());

    let run = app.axgen(&["migrate"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .starts_with("Created the database [DIR]/dev.db.\n"),
        "{}",
        run.stdout
    );
    assert_eq!(app.applied(), [V1, V2, V3]);

    std::fs::remove_file(&db).unwrap();
    app.write(
        "seeds/users.sql",
        "CREATE TABLE users (email TEXT);\nINSERT INTO users VALUES ('ann@example.com');\n",
    );
    let run = app.axgen(&["seed"]);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with("Created the database "),
        "{}",
        run.stdout
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "1");
}

fn database_lifecycle(engine: Engine) {
    let Some(app) = App::new(engine) else { return };
    app.blog_migrations();
    app.write("seeds/users.csv", "email,name\nann@example.com,Ann\n");
    let created = app.axgen(&["db", "create"]);
    created.assert_code(0);
    assert!(
        created.stdout.starts_with("Created the database "),
        "{}",
        created.stdout
    );
    assert!(
        app.axgen(&["db", "create"])
            .stdout
            .contains("already exists")
    );

    let refused = app.axgen(&["db", "drop"]);
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("refusing to drop the database"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("hint: pass --yes"),
        "{}",
        refused.stderr
    );
    app.axgen(&["migrations"]).assert_code(0);

    let dropped = app.axgen(&["db", "drop", "--yes"]);
    dropped.assert_code(0);
    assert!(
        dropped.stdout.starts_with("Dropped the database "),
        "{}",
        dropped.stdout
    );
    // A SQLite file that is not there yet reads as an empty database; a server's
    // missing database is an error.
    if matches!(engine, Engine::Sqlite) {
        let status = app.axgen(&["migrations"]);
        status.assert_code(0);
        assert!(
            status
                .stdout
                .contains("does not exist yet: nothing is applied"),
            "{}",
            status.stdout
        );
    } else {
        app.axgen(&["migrations"]).assert_code(1);
    }
    assert!(
        app.axgen(&["db", "drop", "-y"])
            .stdout
            .contains("does not exist; nothing to drop")
    );

    let setup = app.axgen(&["db", "setup"]);
    setup.assert_code(0);
    assert!(
        setup.stdout.contains(&format!("== Migrated {V3}")),
        "{}",
        setup.stdout
    );
    assert!(
        setup.stdout.contains("== Inserted 1 row into users"),
        "{}",
        setup.stdout
    );
    assert_eq!(app.applied(), [V1, V2, V3]);
    app.query("INSERT INTO users (email, name, inserted_at, updated_at) VALUES ('x@example.com', 'X', '2026-01-01 00:00:00', '2026-01-01 00:00:00')");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "2");

    app.axgen(&["db", "reset"]).assert_code(2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "2");
    let reset = app.axgen(&["db", "reset", "--yes"]);
    reset.assert_code(0);
    assert!(
        reset.stdout.contains("Dropped the database "),
        "{}",
        reset.stdout
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "1");
    assert_eq!(app.applied(), [V1, V2, V3]);
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn db_create_drop_setup_reset(#[case] engine: Engine) {
    database_lifecycle(engine);
}

// ---------------------------------------------------------------- seed

fn seed_formats(engine: Engine) {
    let Some(app) = App::migrated(engine) else {
        return;
    };
    app.write(
        "seeds/01_users.csv",
        "id,email,name,age\n1,ann@example.com,\"Ann, the first\",30\n2,bob@example.com,Bob,\n",
    );
    app.write(
        "seeds/02_posts.json",
        r#"[
  {"user_id": 1, "title": "Hello", "status": "draft"},
  {"user_id": 2, "title": "World", "status": "published", "published": true, "views": 7,
   "slug": "world"}
]
"#,
    );
    app.write(
        "seeds/03_posts.toml",
        "[[posts]]\nuser_id = 1\ntitle = \"From TOML\"\nstatus = \"published\"\npublished = false\n\
         inserted_at = 2026-01-02T03:04:05Z\nupdated_at = 2026-01-02T03:04:05Z\n",
    );
    app.write(
        "seeds/04_more_users.sql",
        "INSERT INTO users (email, name, inserted_at, updated_at) \
         VALUES ('cy@example.com', 'Cy', '2026-01-01 00:00:00', '2026-01-01 00:00:00');\n",
    );
    app.write("seeds/README.md", "Seeds for development.\n");
    app.write("seeds/.hidden.csv", "not,a,seed\n");

    let run = app.axgen(&["seed"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("== Seeding users from seeds/01_users.csv\n== Seeding posts from "),
        "{}",
        run.transcript()
    );
    assert!(
        run.stdout.contains("== Inserted 2 rows into users in "),
        "{}",
        run.transcript()
    );
    assert!(
        run.stdout
            .contains("== Seeding posts from seeds/02_posts.json\n")
    );
    assert!(run.stdout.contains("== Running seeds/04_more_users.sql\n"));
    assert!(
        run.stdout.contains("== Ran seeds/04_more_users.sql in "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Seeded 6 rows in "), "{}", run.stdout);
    assert!(
        !run.stdout.contains("README") && !run.stdout.contains("hidden"),
        "{}",
        run.stdout
    );

    let users = app.query("SELECT id, name, age FROM users ORDER BY id");
    assert_eq!(users[0][1..], ["Ann, the first", "30"]);
    assert_eq!(users[1][1..], ["Bob", "NULL"]);
    assert_eq!(
        users.len(),
        3,
        "the .sql seed's user got an id past the seeded ones"
    );
    assert_eq!(users[2][0], "3");
    let posts = app.query("SELECT title, views FROM posts ORDER BY title");
    let titles: Vec<&str> = posts.iter().map(|p| p[0].as_str()).collect();
    assert_eq!(titles, ["From TOML", "Hello", "World"]);
    assert_eq!(posts[1][1], "0", "a key left out takes the column default");
    assert_eq!(posts[2][1], "7");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM posts WHERE published = TRUE"),
        "1"
    );
    let stamp =
        app.scalar("SELECT CAST(inserted_at AS CHAR(30)) FROM posts WHERE title = 'From TOML'");
    assert!(
        stamp.starts_with("2026-01-02") && stamp.contains("03:04:05"),
        "{stamp}"
    );
    let filled = app.scalar(
        "SELECT COUNT(*) FROM posts WHERE inserted_at IS NOT NULL AND updated_at IS NOT NULL",
    );
    assert_eq!(filled, "3");
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn seeds_load_csv_json_toml_and_sql(#[case] engine: Engine) {
    seed_formats(engine);
}

fn bad_rows(engine: Engine) {
    let Some(app) = App::migrated(engine) else {
        return;
    };
    app.write(
        "good/users.csv",
        "email,name,age\na@example.com,A,1\nb@example.com,B,2\n",
    );
    app.write(
        "bad/users.csv",
        "email,name,age\nc@example.com,C,3\n\"d@example.com\",\"D\nwith a newline\",4\ne@example.com,E,abc\n",
    );
    let run = app.axgen(&["seed", "good/users.csv", "bad/users.csv"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("error: bad/users.csv:5: age: \"abc\" is not an integer"),
        "{}",
        run.transcript()
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users"),
        "0",
        "a bad row left rows behind"
    );

    app.write(
        "dup/users.csv",
        "email,name\nf@example.com,F\nf@example.com,F again\n",
    );
    let run = app.axgen(&["seed", "good/users.csv", "dup/users.csv"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("error: dup/users.csv"),
        "{}",
        run.stderr
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users"),
        "0",
        "a rejected row left rows behind"
    );

    app.write("short/users.csv", "email,name\ng@example.com\n");
    let run = app.axgen(&["seed", "short/users.csv"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("short/users.csv:2: the row has 1 values but the header names 2 columns"),
        "{}",
        run.stderr
    );
    app.write("wrong/users.csv", "email,nickname\nh@example.com,H\n");
    let run = app.axgen(&["seed", "wrong/users.csv"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("wrong/users.csv:1: nickname: the table users has no such column"),
        "{}",
        run.stderr
    );
    app.write(
        "bad/posts.json",
        "[\n  {\"user_id\": 1, \"title\": \"T\", \"status\": \"archived\"}\n]\n",
    );
    let run = app.axgen(&["seed", "bad/posts.json"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("bad/posts.json:2: status: \"archived\" is not one of: draft, published"),
        "{}",
        run.stderr
    );
    app.write("bad/broken.sql", "INSERT INTO nope (id) VALUES (1);\n");
    let run = app.axgen(&["seed", "good/users.csv", "bad/broken.sql"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("error: bad/broken.sql: "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    app.axgen(&["seed", "nope/users.csv"]).assert_code(2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "0");
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn a_bad_seed_row_stops_the_run_and_inserts_nothing(#[case] engine: Engine) {
    bad_rows(engine);
}

fn fake_rows(engine: Engine) {
    let Some(app) = App::migrated(engine) else {
        return;
    };
    let orphan = app.axgen(&["seed", "--fake", "posts=5"]);
    orphan.assert_code(2);
    assert!(
        orphan
            .stderr
            .contains("user_id references users, which has no rows"),
        "{}",
        orphan.stderr
    );

    let run = app.axgen(&["seed", "--fake", "users=20", "--fake", "posts=300"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains(
            "== Faking 20 rows into users\n== Faking 300 rows into posts\n== Inserted 20 rows into users in "
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("== Inserted 300 rows into posts"),
        "{}",
        run.stdout
    );
    assert_eq!(app.scalar("SELECT COUNT(DISTINCT email) FROM users"), "20");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE email NOT LIKE '%_@example.com'"),
        "0"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM posts"), "300");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM posts WHERE user_id NOT IN (SELECT id FROM users)"),
        "0"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM posts WHERE status NOT IN ('draft', 'published')"),
        "0"
    );
    assert_eq!(app.scalar("SELECT COUNT(DISTINCT slug) FROM posts"), "300");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM posts WHERE updated_at < inserted_at"),
        "0",
        "a faked row was updated before it was inserted"
    );
    let parents = app.scalar("SELECT COUNT(DISTINCT user_id) FROM posts");
    assert!(
        parents.parse::<u32>().unwrap() > 1,
        "every post got the same parent"
    );

    let more = app.axgen(&["seed", "--fake", "users=10"]);
    more.assert_code(0);
    assert_eq!(app.scalar("SELECT COUNT(DISTINCT email) FROM users"), "30");
    app.axgen(&["seed", "--fake", "users"]).assert_code(2);
    app.axgen(&["seed", "--fake", "nope=3"]).assert_code(2);
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn fake_rows_fill_foreign_and_unique_keys(#[case] engine: Engine) {
    fake_rows(engine);
}

/// An app made by `axgen new`, with the tables `gen schema` writes for each of `schemas`,
/// created and migrated: the seed loader reads their Rust types from the schema modules.
fn generated(engine: Engine, schemas: &[&str]) -> Option<App> {
    let commands: Vec<String> = schemas
        .iter()
        .map(|schema| format!("gen schema -q {schema}"))
        .collect();
    generated_app(engine, "blog", &commands)
}

/// An app named `name` made by `axgen new` for `engine`, with the axgen `commands` run in it
/// (`gen html Blog Post posts title:string`), its database created and migrated; `None` (with a
/// notice) when the engine's server is not configured.
pub(crate) fn generated_app(engine: Engine, name: &str, commands: &[String]) -> Option<App> {
    let app = App::new(engine)?;
    let config_path = app.path().join("axgen.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    std::fs::remove_file(&config_path).unwrap();
    let adapter = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
        Engine::Mysql => "mysql",
    };
    app.axgen(&["new", name, "--path", ".", "--database", adapter, "-q"])
        .assert_code(0);
    let config = config.replace("name = \"blog\"", &format!("name = \"{name}\""));
    std::fs::write(&config_path, config).unwrap();
    // The test's database, not the one `new` put in .env.
    let _ = std::fs::remove_file(app.path().join(".env"));
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().collect();
        app.axgen(&args).assert_code(0);
    }
    app.axgen(&["db", "create"]).assert_code(0);
    app.axgen(&["migrate"]).assert_code(0);
    Some(app)
}

/// Asserts that `run` failed with exit 2 on `message`, said nothing was kept and printed no
/// `== Inserted` line.
fn refused(run: &Run, message: &str) {
    run.assert_code(2);
    assert!(
        run.stderr.contains(message),
        "{message}\n{}",
        run.transcript()
    );
    assert!(
        run.stderr
            .contains("nothing was seeded (the whole run was rolled back)"),
        "{}",
        run.transcript()
    );
    assert!(!run.stdout.contains("== Inserted"), "{}", run.transcript());
}

fn unterminated_quotes(engine: Engine) {
    let Some(app) = App::migrated(engine) else {
        return;
    };
    app.write(
        "mid/users.csv",
        "email,name,age\na@example.com,\"Bob\nc@example.com,Cy,3\nd@example.com,\"Dee\",4\n",
    );
    let run = app.axgen(&["seed", "mid/users.csv"]);
    refused(
        &run,
        "mid/users.csv:2: a quoted value opens here and is never closed (the quote on line 4 does not end a field)",
    );
    assert!(!run.stderr.contains("the row has"), "{}", run.stderr);
    app.write(
        "end/users.csv",
        "email,name,age\na@example.com,A,1\nb@example.com,\"Bob\nc@example.com,Cy,3\n",
    );
    refused(
        &app.axgen(&["seed", "end/users.csv"]),
        "end/users.csv:3: a quoted value opens here and is never closed (the file ends inside it)",
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "0");
    // A quoted value may still hold quotes, commas and line breaks.
    app.write(
        "good/users.csv",
        "email,name,age\r\n\"a@example.com\",\"Ann \"\"A\"\", the\r\nfirst\",1\r\n",
    );
    app.axgen(&["seed", "good/users.csv"]).assert_code(0);
    assert_eq!(
        app.scalar("SELECT name FROM users"),
        "Ann \"A\", the\r\nfirst"
    );
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn an_unterminated_csv_quote_is_an_error_at_its_line(#[case] engine: Engine) {
    unterminated_quotes(engine);
}

const PRODUCTS: &str = "Shop.Product products name:string qty:integer big:bigint \
    price:decimal active:boolean born:date at:time seen:naive_datetime token:uuid \
    status:enum:draft:published";
const PRODUCT_HEADER: &str = "name,qty,big,price,active,born,at,seen,token,status,inserted_at";
const PRODUCT_ROW: [&str; 11] = [
    "Lamp",
    "7",
    "99999999999",
    "+07.50",
    "yes",
    "2026-02-28",
    "14:00",
    "2026-02-28 03:04:05",
    "A0EEBC999C0B4EF8BB6D6BB9BD380A11",
    "draft",
    "2026-01-02T03:04:05Z",
];

fn typed_values(engine: Engine) {
    let Some(app) = generated(engine, &[PRODUCTS]) else {
        return;
    };
    let bad = [
        (
            1,
            "99999999999",
            "qty: 99999999999 is out of range (-2147483648 to 2147483647)",
        ),
        (2, "1.5", "big: \"1.5\" is not an integer"),
        (3, "abc", "price: \"abc\" is not a decimal number"),
        (3, "1e5", "price: \"1e5\" is not a decimal number"),
        (4, "maybe", "active: \"maybe\" is not a boolean"),
        (5, "2026-02-30", "born: \"2026-02-30\" is not a date"),
        (6, "25:00", "at: \"25:00\" is not a time"),
        (7, "bogus", "seen: \"bogus\" is not a timestamp"),
        (8, "not-a-uuid", "token: \"not-a-uuid\" is not a UUID"),
        (
            9,
            "gone",
            "status: \"gone\" is not one of: draft, published",
        ),
        (10, "bogus", "inserted_at: \"bogus\" is not a timestamp"),
    ];
    for (column, value, message) in bad {
        let mut row = PRODUCT_ROW;
        row[column] = value;
        app.write(
            "bad/products.csv",
            &format!(
                "{PRODUCT_HEADER}\n{}\n{}\n",
                PRODUCT_ROW.join(","),
                row.join(",")
            ),
        );
        let run = app.axgen(&["seed", "bad/products.csv"]);
        refused(&run, &format!("error: bad/products.csv:3: {message}"));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM products"), "0");
    }
    app.write(
        "good/products.csv",
        &format!("{PRODUCT_HEADER}\n{}\n", PRODUCT_ROW.join(",")),
    );
    app.axgen(&["seed", "good/products.csv"]).assert_code(0);
    let text = |column: &str| match engine {
        Engine::Postgres => format!("{column}::text"),
        _ => format!("CAST({column} AS CHAR)"),
    };
    let row = app.query(&format!(
        "SELECT {}, {}, {} FROM products",
        text("price"),
        text("token"),
        text("big")
    ));
    // MySQL's DECIMAL(20,6) keeps six places.
    let price = if engine == Engine::Mysql {
        "7.500000"
    } else {
        "7.50"
    };
    assert_eq!(
        row[0],
        [price, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "99999999999"]
    );
    if engine == Engine::Sqlite {
        // As the app writes them: sqlx's encoding of bool, DateTime<Utc> and NaiveDateTime.
        let stored = app.query("SELECT active, at, inserted_at, updated_at, seen FROM products");
        assert_eq!(
            stored[0][..3],
            ["1", "14:00:00", "2026-01-02T03:04:05+00:00"]
        );
        assert!(stored[0][3].ends_with("+00:00"), "{:?}", stored[0]);
        assert_eq!(stored[0][4], "2026-02-28 03:04:05");
    }
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn values_are_checked_against_the_generated_rust_types(#[case] engine: Engine) {
    typed_values(engine);
}

fn json_types(engine: Engine) {
    let Some(app) = generated(
        engine,
        &["Shop.Item items title:string meta:map tags:array:integer active:boolean qty:integer"],
    ) else {
        return;
    };
    let item = |key: &str, value: &str| {
        let fields = [
            ("title", r#""T""#),
            ("meta", r#"{"first": "Ann"}"#),
            ("tags", "[1, 2]"),
            ("active", "true"),
            ("qty", "3"),
        ];
        let fields: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("\"{k}\": {}", if *k == key { value } else { v }))
            .collect();
        format!("{{{}}}", fields.join(", "))
    };
    let good = item("", "");
    let bad = [
        (
            "title",
            r#"{"first": "Ann"}"#,
            "title: expected a JSON string, found an object",
        ),
        ("title", "true", "title: expected a JSON string, found true"),
        (
            "title",
            "5",
            "title: expected a JSON string, found the number 5",
        ),
        (
            "title",
            r#""a", "title": "b""#,
            "title: the key is given twice in one object",
        ),
        (
            "qty",
            r#""3""#,
            "qty: expected an integer (a JSON number), found the string \"3\"",
        ),
        ("qty", "1.5", "qty: 1.5 is not an integer"),
        (
            "active",
            r#""true""#,
            "active: expected true or false, found the string \"true\"",
        ),
        (
            "active",
            "1",
            "active: expected true or false, found the number 1",
        ),
        (
            "meta",
            r#"{"a": 1, "a": 2}"#,
            "a: the key is given twice in one object",
        ),
        (
            "tags",
            r#"["x"]"#,
            "tags: item 1: expected an integer (a JSON number), found the string \"x\"",
        ),
        (
            "tags",
            r#""[1]""#,
            "tags: expected a JSON array, found the string \"[1]\"",
        ),
    ];
    for (key, value, message) in bad {
        let row = item(key, value);
        app.write("bad/items.json", &format!("[\n  {good},\n  {row}\n]\n"));
        let run = app.axgen(&["seed", "bad/items.json"]);
        refused(&run, &format!("error: bad/items.json:3: {message}"));
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM items"), "0");
    app.write("good/items.json", &format!("[\n  {good}\n]\n"));
    app.axgen(&["seed", "good/items.json"]).assert_code(0);
    let text = |column: &str| match engine {
        Engine::Postgres => format!("{column}::text"),
        _ => format!("CAST({column} AS CHAR)"),
    };
    let row = app.query(&format!(
        "SELECT {}, {}, {} FROM items",
        text("meta"),
        text("tags"),
        text("active")
    ));
    let (tags, active) = match engine {
        Engine::Postgres => ("{1,2}", "true"),
        _ => ("[1,2]", "1"),
    };
    // PostgreSQL's JSONB and MySQL's JSON print spaces; SQLite and MariaDB keep the app's JSON.
    let row: Vec<String> = row[0].iter().map(|cell| cell.replace(' ', "")).collect();
    assert_eq!(row, [r#"{"first":"Ann"}"#, tags, active]);
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn json_values_must_have_the_columns_json_type(#[case] engine: Engine) {
    json_types(engine);
}

fn seed_errors(engine: Engine) {
    let Some(app) = App::migrated(engine) else {
        return;
    };
    // CRLF line ends: the bad value is on line 4.
    app.write(
        "crlf/users.csv",
        "email,name,age\r\na@example.com,A,1\r\nb@example.com,B,2\r\nc@example.com,C,x\r\n",
    );
    refused(
        &app.axgen(&["seed", "crlf/users.csv"]),
        "error: crlf/users.csv:4: age: \"x\" is not an integer",
    );
    // A unique value repeated on line 501, in the middle of a batch, after a good file.
    app.write("good/users.csv", "email,name\nfirst@example.com,F\n");
    let mut many = String::from("email,name,age\n");
    for i in 1..=1000 {
        let n = if i == 500 { 7 } else { i };
        many.push_str(&format!("u{n}@example.com,User {i},{i}\n"));
    }
    app.write("dup/users.csv", &many);
    let run = app.axgen(&["seed", "good/users.csv", "dup/users.csv"]);
    refused(
        &run,
        "error: dup/users.csv:501: email: \"u7@example.com\" is already taken (the column is unique)",
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "0");
    // A foreign key to no row.
    app.write("users.csv", "id,email,name\n1,a@example.com,A\n");
    app.write(
        "orphan/posts.csv",
        "user_id,title,status\n1,Fine,draft\n99,Orphan,draft\n",
    );
    let run = app.axgen(&["seed", "users.csv", "orphan/posts.csv"]);
    refused(
        &run,
        "error: orphan/posts.csv:3: user_id: 99 is not the id of any row of users",
    );
    // A CHECK constraint the catalog cannot turn into a list of values.
    let check = match engine {
        Engine::Sqlite => {
            "CREATE TABLE scores (id INTEGER PRIMARY KEY, points INTEGER NOT NULL CHECK (points >= 0));"
        }
        Engine::Postgres => {
            "CREATE TABLE scores (id BIGSERIAL PRIMARY KEY, points INTEGER NOT NULL CHECK (points >= 0));"
        }
        Engine::Mysql => {
            "CREATE TABLE scores (id BIGINT AUTO_INCREMENT PRIMARY KEY, points INT NOT NULL CHECK (points >= 0));"
        }
    };
    app.migration(V3 + 1, "create_scores", check, Some("DROP TABLE scores;"));
    app.axgen(&["migrate"]).assert_code(0);
    app.write("scores.csv", "points\n3\n-1\n");
    refused(
        &app.axgen(&["seed", "scores.csv"]),
        "error: scores.csv:3: points: -1 breaks a CHECK constraint",
    );
    // An empty file is not a file of zero rows.
    app.write("empty/users.csv", "");
    refused(
        &app.axgen(&["seed", "empty/users.csv"]),
        "error: empty/users.csv: the file is empty",
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users"), "0");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM posts"), "0");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM scores"), "0");
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn seed_errors_name_the_line_column_and_value_and_keep_nothing(#[case] engine: Engine) {
    seed_errors(engine);
}

/// `axgen migrate` killed in the middle of a migration: every migration is either applied and
/// recorded or not at all, and the next `migrate` carries on. (MySQL commits DDL as it goes, so
/// it cannot give this guarantee; see the README.)
fn killed_migrate(engine: Engine) {
    use std::io::{BufRead, BufReader};

    let Some(app) = App::new(engine) else { return };
    let (slow, fast) = match engine {
        Engine::Postgres => ("SELECT pg_sleep(3);", "SELECT 1;"),
        // A few seconds of work: counting to 10^8 with a recursive CTE.
        _ => (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) \
             SELECT COUNT(*) FROM c;",
            "SELECT 1;",
        ),
    };
    app.migration(
        V1,
        "create_a",
        "CREATE TABLE a (id INTEGER);",
        Some("DROP TABLE a;"),
    );
    let second = |work: &str| {
        format!("CREATE TABLE b (id INTEGER);\n{work}\nCREATE TABLE b2 (id INTEGER);\n")
    };
    app.migration(
        V2,
        "create_b",
        &second(slow),
        Some("DROP TABLE b2;\nDROP TABLE b;"),
    );
    app.migration(
        V3,
        "create_c",
        "CREATE TABLE c (id INTEGER);",
        Some("DROP TABLE c;"),
    );
    app.axgen(&["db", "create"]).assert_code(0);

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_axgen"))
        .args(["--color=never", "migrate"])
        .current_dir(app.path())
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let running = format!("== Running {V2} create_b (up)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|line| line.unwrap() == running),
        "migrate never started the slow migration"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(app.applied(), vec![V1], "the killed migration was recorded");
    assert!(app.table_exists("a"));
    for table in ["b", "b2", "c"] {
        assert!(
            !app.table_exists(table),
            "{table} survived the killed migration"
        );
    }

    // The killed migration was never applied, so it may still be edited; then migrate resumes.
    app.migration(
        V2,
        "create_b",
        &second(fast),
        Some("DROP TABLE b2;\nDROP TABLE b;"),
    );
    app.axgen(&["migrate"]).assert_code(0);
    assert_eq!(app.applied(), vec![V1, V2, V3]);
    for table in ["b", "b2", "c"] {
        assert!(
            app.table_exists(table),
            "{table} missing after the resumed migrate"
        );
    }
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
fn a_killed_migrate_leaves_each_migration_whole_or_absent(#[case] engine: Engine) {
    killed_migrate(engine);
}

/// `gen migration add_…_to_t`, `remove_…_from_t`, `add_index_to_t` and
/// `create_join_table_a_b` write migrations that apply, roll back and apply again on a table
/// with rows: the rows keep their data and get
/// the defaults; enums and references come with their CHECK and foreign key (on SQLite, by
/// rebuilding the table).
fn changed_columns(engine: Engine) {
    let schemas = [
        "Accounts.User users name:string",
        "Medias.Video videos title:string:unique notes:text:optional",
    ];
    let Some(app) = generated(engine, &schemas) else {
        return;
    };
    let insert = [
        "INSERT INTO users (name) VALUES ('ann')",
        "INSERT INTO videos (title, notes) VALUES ('one', 'a'), ('two', NULL)",
    ];
    for sql in insert {
        app.query(sql);
    }
    let mut added = vec![
        "gen",
        "migration",
        "add_view_count_to_videos",
        "view_count:integer:default=0",
        "rating:float:optional",
        "slug:string:unique:optional",
    ];
    let checked = [
        "status:enum:draft:live:default=draft",
        "editor_id:references:users:optional:on_delete=nullify",
    ];
    // SQLite rebuilds the table for a CHECK or foreign key, from the recorded resource: first,
    // in a migration of its own.
    let steps = if engine == Engine::Sqlite {
        let mut rebuilt = vec!["gen", "migration", "add_editor_to_videos"];
        rebuilt.extend(checked);
        app.axgen(&rebuilt).assert_code(0);
        app.axgen(&added).assert_code(0);
        "5"
    } else {
        added.extend(checked);
        app.axgen(&added).assert_code(0);
        "4"
    };
    app.axgen(&[
        "gen",
        "migration",
        "remove_notes_from_videos",
        "notes:text:optional",
    ])
    .assert_code(0);
    app.axgen(&["gen", "migration", "add_index_to_videos", "view_count"])
        .assert_code(0);
    app.axgen(&["gen", "migration", "create_join_table_users_videos"])
        .assert_code(0);
    let read = "SELECT title, view_count, rating, slug FROM videos ORDER BY title";
    let expected = [["one", "0", "NULL", "NULL"], ["two", "0", "NULL", "NULL"]];
    for round in 0..2 {
        app.axgen(&["migrate"]).assert_code(0);
        assert_eq!(app.query(read), expected, "round {round}");
        let status = app.query("SELECT status, editor_id FROM videos ORDER BY title");
        assert_eq!(
            status,
            [["draft", "NULL"], ["draft", "NULL"]],
            "round {round}"
        );
        app.query("UPDATE videos SET editor_id = 1");
        // A user's videos: a row joins each pair, and goes with its video.
        app.query("INSERT INTO users_videos (user_id, video_id) SELECT 1, id FROM videos");
        app.query("DELETE FROM videos WHERE title = 'two'");
        assert_eq!(app.query("SELECT COUNT(*) FROM users_videos"), [["1"]]);
        app.query("INSERT INTO videos (title) VALUES ('two')");
        // The rollback of them all gives back the table as it was, notes without their data.
        app.axgen(&["rollback", "--step", steps]).assert_code(0);
        let before = app.query("SELECT title, notes FROM videos ORDER BY title");
        assert_eq!(before, [["one", "NULL"], ["two", "NULL"]], "round {round}");
    }
}

#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn migrations_that_add_and_remove_columns_round_trip_with_rows(#[case] engine: Engine) {
    changed_columns(engine);
}
