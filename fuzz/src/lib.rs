//! What the `gen` fuzz target checks for one input, kept apart from the target so that
//! `tests/cli/fuzz.rs` replays every kept input through the same code under `cargo test`.
//!
//! An input is read as the words of a command line after `axgen gen`. Whatever the words,
//! neither clap, nor the spec parser, nor the plan builder panics, and a refusal is a usage
//! error (exit code 2), never an internal one. When they accept a `gen html`, `gen json` or
//! `gen context` command, its plan is built for each adapter against a bare app, without
//! writing anything; every Rust file of each plan parses with `syn`, and the SQLite migration
//! runs up and then down in an empty in-memory database (the proptest fuzz test in
//! `tests/cli/fuzz.rs` runs migrations on PostgreSQL and MariaDB too).

use std::fs;
use std::path::Path;

use axgen::cli::{Adapter, Cli, Command, GenCommand, GenResourceArgs};
use axgen::generators::context::{self, ContextOptions};
use axgen::generators::html::{self, WebKind};
use axgen::generators::schema::Target;
use axgen::plan::Plan;
use axgen::spec;
use axgen::templates::Templates;
use chrono::{TimeZone, Utc};
use clap::Parser;
use sqlx::{AssertSqlSafe, Connection, Executor};

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// clap or the spec parser refused it, as a user's mistake.
    Refused,
    /// Not a resource generator: only parsed.
    Parsed,
    /// Plans were built and checked for every adapter.
    Checked,
}

/// A bare app per adapter for the generators to read, and a runtime for SQLite.
pub struct Checker {
    apps: Vec<(Adapter, tempfile::TempDir)>,
    templates: Templates,
    runtime: tokio::runtime::Runtime,
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

impl Checker {
    pub fn new() -> Checker {
        let apps = [Adapter::Sqlite, Adapter::Postgres, Adapter::Mysql]
            .into_iter()
            .map(|adapter| (adapter, bare_app(adapter)))
            .collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        Checker {
            apps,
            templates: Templates::new(None),
            runtime,
        }
    }

    /// Checks one input; panics on anything that is not a clean refusal or a sound plan.
    pub fn check(&self, data: &[u8]) -> Outcome {
        let text = String::from_utf8_lossy(data);
        let argv = ["axgen", "gen"]
            .into_iter()
            .chain(text.split_ascii_whitespace());
        let cli = match Cli::try_parse_from(argv) {
            Ok(cli) => cli,
            Err(err) => {
                // Rendering the message is part of refusing.
                let _ = err.render().to_string();
                return Outcome::Refused;
            }
        };
        let (kind, args) = match &cli.command {
            Command::Gen(GenCommand::Html(args)) => (Some(WebKind::Html), args),
            Command::Gen(GenCommand::Json(args)) => (Some(WebKind::Json), args),
            Command::Gen(GenCommand::Context(args)) => (None, args),
            Command::Gen(GenCommand::Schema(args)) => {
                return match spec::from_schema_args(args) {
                    Ok(_) => Outcome::Parsed,
                    Err(_) => Outcome::Refused,
                };
            }
            _ => return Outcome::Parsed,
        };
        let Ok(spec) = spec::from_resource_args(args) else {
            return Outcome::Refused;
        };
        for (adapter, app) in &self.apps {
            let resource = spec.resolve(*adapter);
            let plan = match self.plan(kind, &resource, app.path(), args) {
                Ok(plan) => plan,
                Err(err) if axgen::error::exit_code(&err) == 2 => return Outcome::Refused,
                Err(err) => panic!("the plan of `{text}` failed on {adapter}: {err:#}"),
            };
            let changes = plan
                .changes(app.path(), false)
                .unwrap_or_else(|err| panic!("the plan of `{text}` conflicts: {err:#}"));
            let mut up = None;
            let mut down = None;
            for change in changes {
                let Some(contents) = change.contents else {
                    continue;
                };
                let path = change.path.to_string_lossy();
                if path.ends_with(".rs") {
                    if let Err(err) = syn::parse_file(&contents) {
                        panic!("{path} of `{text}` ({adapter}) does not parse: {err}\n{contents}");
                    }
                } else if path.ends_with(".up.sql") {
                    up = Some(contents);
                } else if path.ends_with(".down.sql") {
                    down = Some(contents);
                }
            }
            if *adapter == Adapter::Sqlite
                && let (Some(up), Some(down)) = (up, down)
            {
                let mut script: Vec<String> = referenced_tables(&resource)
                    .iter()
                    .map(|table| parent_table(*adapter, resource.binary_id, table))
                    .collect();
                script.extend([up, down]);
                let result = self.runtime.block_on(async {
                    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
                        .await
                        .map_err(|err| err.to_string())?;
                    execute_all(&mut conn, &script).await
                });
                if let Err(err) = result {
                    panic!("SQLite refused the migration of `{text}`: {err}");
                }
            }
        }
        Outcome::Checked
    }

    fn plan(
        &self,
        kind: Option<WebKind>,
        resource: &axgen::spec::Resource,
        root: &Path,
        args: &GenResourceArgs,
    ) -> anyhow::Result<Plan> {
        let target = Target { root, app: "fuzz" };
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        match kind {
            Some(kind) => html::plan(kind, resource, target, &args.options, &self.templates, now),
            None => {
                let options = ContextOptions {
                    schema: !args.options.no_schema,
                    migration: !args.options.no_migration,
                };
                context::plan(resource, target, options, "context", &self.templates, now)
            }
        }
    }
}

/// The tables `resource` references, but for itself (its migration makes that one), each once.
pub fn referenced_tables(resource: &axgen::spec::Resource) -> Vec<String> {
    let mut tables: Vec<String> = resource
        .fields
        .iter()
        .filter_map(|f| f.references.as_ref().map(|r| r.table.clone()))
        .filter(|table| *table != resource.table)
        .collect();
    tables.sort();
    tables.dedup();
    tables
}

/// A parent table that a `references` field points at, with the id type the resource uses.
pub fn parent_table(adapter: Adapter, binary_id: bool, table: &str) -> String {
    let id = match (adapter, binary_id) {
        (Adapter::Sqlite, false) => "INTEGER PRIMARY KEY AUTOINCREMENT",
        (Adapter::Sqlite, true) => "TEXT PRIMARY KEY",
        (Adapter::Postgres, false) => "BIGSERIAL PRIMARY KEY",
        (Adapter::Postgres, true) => "UUID PRIMARY KEY",
        (Adapter::Mysql, false) => "BIGINT AUTO_INCREMENT PRIMARY KEY",
        (Adapter::Mysql, true) => "CHAR(36) PRIMARY KEY",
    };
    format!("CREATE TABLE {table} (id {id})")
}

/// Runs `script` in order; the first statement the database refuses, with its error.
pub async fn execute_all<C>(conn: &mut C, script: &[String]) -> Result<(), String>
where
    for<'c> &'c mut C: Executor<'c>,
{
    for sql in script {
        if let Err(err) = sqlx::raw_sql(AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
        {
            return Err(format!(
                "the database refused the generated SQL: {err}\n{sql}"
            ));
        }
    }
    Ok(())
}

/// The smallest app the generators read: its config, and the files they inject into.
pub fn bare_app(adapter: Adapter) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(
        "axgen.toml",
        &format!("[app]\nname = \"fuzz\"\n\n[database]\nadapter = \"{adapter}\"\nurl = \"x\"\n"),
    );
    write("src/lib.rs", "pub mod db;\n// axgen:contexts\n");
    write(
        "src/web/mod.rs",
        "pub mod api;\n// axgen:controllers\n\nfn f() {\n    let _ = r()\n        // axgen:routes\n        ;\n    let _ = r()\n        // axgen:api-routes\n        ;\n}\n",
    );
    write("src/web/api/mod.rs", "// axgen:api-controllers\n");
    fs::create_dir_all(dir.path().join("migrations")).unwrap();
    dir
}
