//! What the `gen` fuzz target checks for one input, kept apart from the target so that
//! `tests/cli/fuzz.rs` replays every kept input through the same code under `cargo test`.
//!
//! An input is read as the words of a command line after `axgen gen`. Whatever the words,
//! neither clap, nor the spec parser, nor the plan builder panics, and a refusal is a usage
//! error (exit code 2), never an internal one. When they accept a `gen html`, `gen json`,
//! `gen context` or `gen schema` command, its plan is built for each adapter against a bare
//! app holding the modules `axgen new` writes, without writing anything. Then:
//!
//! - the plan overwrites none of the app's files, and makes no `src/x.rs` beside a
//!   `src/x/mod.rs` (E0761), which the names the app already uses would;
//! - every Rust file parses with `syn` and brings no type name in twice (E0252, E0255: a
//!   schema `Error` beside `crate::changeset::Error`);
//! - every Rust file the plan creates is as rustfmt lays it out (when rustfmt is installed),
//!   so generated apps stay `cargo fmt --check` clean;
//! - index, foreign-key and check names are distinct and at most 63 bytes long, whatever
//!   the length of the table and field names;
//! - the SQLite migration runs up and then down in an empty in-memory database (the proptest
//!   fuzz test in `tests/cli/fuzz.rs` runs migrations on PostgreSQL and MariaDB too).

use std::fs;
use std::path::Path;

use std::collections::BTreeSet;

use axgen::adapter::Adapter;
use axgen::cli::{Cli, Command};
use axgen::generators::{self, App, Generation, Generator, Layers};
use axgen::output::Verb;
use axgen::plan::Plan;
use axgen::run::resource_generator;
use axgen::rustfmt::Formatted;
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
        let Command::Gen(command) = cli.command else {
            return Outcome::Parsed;
        };
        let Ok((generator, request)) = resource_generator(command) else {
            return Outcome::Parsed;
        };
        let parsed = request.spec.parse();
        let Ok(spec) = parsed else {
            return Outcome::Refused;
        };
        for (adapter, app) in &self.apps {
            let resource = spec.resolve(*adapter);
            check_constraint_names(&resource, &text);
            let plan = match self.plan(generator, &resource, app.path(), request.layers) {
                Ok(plan) => plan,
                Err(err) if axgen::error::exit_code(&err) == 2 => return Outcome::Refused,
                Err(err) => panic!("the plan of `{text}` failed on {adapter}: {err:#}"),
            };
            let changes = plan.changes(app.path(), false).unwrap_or_else(|err| {
                panic!("the plan of `{text}` overwrites the app's files: {err:#}")
            });
            check_module_files(app.path(), &changes, &text);
            let mut up = None;
            let mut down = None;
            let mut created_rust = Vec::new();
            for change in changes {
                let Some(contents) = change.contents else {
                    continue;
                };
                let path = change.path.to_string_lossy().into_owned();
                if path.ends_with(".rs") && change.verb == Verb::Creating {
                    created_rust.push((path.clone(), contents.clone()));
                }
                if path.ends_with(".rs") {
                    match syn::parse_file(&contents) {
                        Ok(file) => check_distinct_types(&file, &path, &text),
                        Err(err) => panic!(
                            "{path} of `{text}` ({adapter}) does not parse: {err}\n{contents}"
                        ),
                    }
                } else if path.ends_with(".up.sql") {
                    up = Some(contents);
                } else if path.ends_with(".down.sql") {
                    down = Some(contents);
                }
            }
            check_formatted(app.path(), &created_rust, &text);
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
        generator: Generator,
        resource: &axgen::spec::Resource,
        root: &Path,
        layers: Layers,
    ) -> anyhow::Result<Plan> {
        let app = App::read(root, "fuzz", resource)?;
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let generation = Generation {
            resource,
            app: &app,
            layers,
            templates: &self.templates,
            now,
        };
        generators::plan(generator, &generation)
    }
}

/// Every file of `created` (path, contents) is as rustfmt lays it out in the app at `root`.
fn check_formatted(root: &Path, created: &[(String, String)], text: &str) {
    let sources: Vec<&str> = created
        .iter()
        .map(|(_, contents)| contents.as_str())
        .collect();
    let formatted = match axgen::rustfmt::format_all(&sources, root) {
        Ok(Formatted::Files(formatted)) => formatted,
        Ok(Formatted::Missing) => return,
        Err(err) => panic!("rustfmt refused the files of `{text}`: {err:#}"),
    };
    for ((path, contents), formatted) in created.iter().zip(formatted) {
        if *contents != formatted {
            panic!(
                "{path} of `{text}` is not as rustfmt lays it out:\n{contents}\n-----\n{formatted}"
            );
        }
    }
}

/// Index, foreign-key and check names are distinct and fit every database (63 bytes).
fn check_constraint_names(resource: &axgen::spec::Resource, text: &str) {
    let table = axgen::sql::table(resource);
    let names: Vec<&str> = table
        .indexes
        .iter()
        .map(|i| i.name.as_str())
        .chain(table.foreign_keys.iter().map(|f| f.name.as_str()))
        .chain(table.checks.iter().map(|c| c.name.as_str()))
        .collect();
    let distinct: BTreeSet<&str> = names.iter().copied().collect();
    if distinct.len() != names.len() || names.iter().any(|n| n.len() > 63) {
        panic!("`{text}` names its constraints {names:?}: not distinct or over 63 bytes");
    }
}

/// No module is both `x.rs` and `x/mod.rs` once the plan is applied (E0761).
fn check_module_files(root: &Path, changes: &[axgen::plan::Change], text: &str) {
    for change in changes {
        let path = change.path.to_string_lossy();
        let twin = match path.strip_suffix("/mod.rs") {
            Some(dir) => format!("{dir}.rs"),
            None => match path.strip_suffix(".rs") {
                Some(stem) => format!("{stem}/mod.rs"),
                None => continue,
            },
        };
        if root.join(&twin).exists() || changes.iter().any(|c| c.path == Path::new(&twin)) {
            panic!("the plan of `{text}` writes {path} beside {twin}");
        }
    }
}

/// A file brings each CamelCase name (type, trait, imported type) into scope once.
fn check_distinct_types(file: &syn::File, path: &str, text: &str) {
    fn leaves(tree: &syn::UseTree, out: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => leaves(&p.tree, out),
            syn::UseTree::Name(n) => out.push(n.ident.to_string()),
            syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| leaves(t, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut names = Vec::new();
    for item in &file.items {
        match item {
            syn::Item::Use(u) => leaves(&u.tree, &mut names),
            syn::Item::Struct(s) => names.push(s.ident.to_string()),
            syn::Item::Enum(e) => names.push(e.ident.to_string()),
            syn::Item::Trait(t) => names.push(t.ident.to_string()),
            syn::Item::Type(t) => names.push(t.ident.to_string()),
            _ => {}
        }
    }
    let mut seen = BTreeSet::new();
    for name in names
        .iter()
        .filter(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
    {
        if !seen.insert(name) {
            panic!("{path} of `{text}` brings {name} into scope twice");
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
    write(
        "src/lib.rs",
        "pub mod changeset;\npub mod config;\npub mod db;\npub mod web;\n// axgen:contexts\n",
    );
    // The other modules `axgen new` writes, which no generated file may replace.
    for module in [
        "src/main.rs",
        "src/changeset.rs",
        "src/config.rs",
        "src/db.rs",
        "src/web/csrf.rs",
        "src/web/error.rs",
        "src/web/flash.rs",
        "src/web/form_body.rs",
        "src/web/health_controller.rs",
        "src/web/method_override.rs",
        "src/web/page_controller.rs",
        "src/web/state.rs",
        "src/web/view.rs",
    ] {
        write(module, "//! The app's own.\n");
    }
    write(
        "src/web/mod.rs",
        "pub mod api;\n// axgen:controllers\n\nfn f() {\n    let _ = r()\n        // axgen:routes\n        ;\n    let _ = r()\n        // axgen:api-routes\n        ;\n}\n",
    );
    write("src/web/api/mod.rs", "// axgen:api-controllers\n");
    write(
        "rustfmt.toml",
        include_str!("../../generator-templates/new/rustfmt.toml"),
    );
    fs::create_dir_all(dir.path().join("migrations")).unwrap();
    dir
}
