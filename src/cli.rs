//! The command-line definition: every command, flag and help text of axgen, in one place.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::adapter::Adapter;
use crate::output::ColorChoice;

/// Phoenix-style generators and database tasks for axum + sqlx + minijinja apps.
#[derive(Debug, Parser)]
#[command(
    name = "axgen",
    version,
    propagate_version = true,
    after_help = "Examples:
  axgen new blog && cd blog
  axgen gen html Blog Post posts title:string body:text published:boolean
  axgen migrate && cargo run"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags that every command accepts.
#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Database URL to use (else DATABASE_URL, else .env, else axgen.toml).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Print only errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new axum + sqlx + minijinja application.
    #[command(after_help = "Examples:
  axgen new blog
  axgen new shop --database postgres
  axgen new api --no-html --path services/api")]
    New(NewArgs),

    /// Generate a schema, context, controller, views, tests or migration.
    #[command(subcommand)]
    Gen(GenCommand),

    /// Apply pending migrations (all of them unless --step or --to).
    #[command(after_help = "Examples:
  axgen migrate
  axgen migrate --step 1 --log-sql
  axgen migrate --to 20261124120000
  axgen migrate --to-exclusive 20261124120000")]
    Migrate(MigrateArgs),

    /// Revert applied migrations (the last one unless --step, --to or --all).
    #[command(after_help = "Examples:
  axgen rollback
  axgen rollback --step 3
  axgen rollback --to 20261124120000")]
    Rollback(RollbackArgs),

    /// Show every migration with its status (up/down), version and name.
    Migrations(MigrationsPathArgs),

    /// Load seed data: every file in seeds/ in name order, or the files named.
    #[command(after_help = "Examples:
  axgen seed
  axgen seed seeds/posts.csv
  axgen seed --fake posts=1000 --fake comments=5000")]
    Seed(SeedArgs),

    /// Create, drop, set up or reset the app's database.
    #[command(subcommand)]
    Db(DbCommand),

    /// Print the app's generated routes.
    Routes,

    /// Copy embedded generator templates into the app's generator-templates/ to edit.
    #[command(subcommand)]
    Templates(TemplatesCommand),

    /// Print shell completions for axgen (bash, zsh, fish, powershell).
    #[command(after_help = "Examples:
  axgen completions bash > ~/.local/share/bash-completion/completions/axgen
  axgen completions zsh > ~/.zfunc/_axgen
  axgen completions fish > ~/.config/fish/completions/axgen.fish")]
    Completions {
        /// The shell to print completions for.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// A shell `axgen completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// The field types and modifiers of the spec language, one example each: the long help
/// of the generators' FIELDS argument. A unit test keeps it in step with `spec/types.toml`.
const FIELD_HELP: &str = "Fields as name[:type[:modifier...]]; the type defaults to string.

Types:
  string                 title:string
  text                   body:text
  integer, bigint        views:integer  downloads:bigint
  float                  ratio:float
  decimal                price:decimal
  boolean                published:boolean
  date, time             day:date  starts_at:time
  naive_datetime         local_at:naive_datetime  (alias: datetime)
  utc_datetime           sent_at:utc_datetime
  time_usec              lap:time_usec  (the _usec types keep microseconds)
  naive_datetime_usec    seen_at:naive_datetime_usec
  utc_datetime_usec      paid_at:utc_datetime_usec
  uuid                   token:uuid
  binary                 avatar:binary
  map                    meta:map
  array:TYPE             tags:array:string
  enum:VALUE:VALUE...    status:enum:draft:published
  references:TABLE       author_id:references:users

Modifiers (after the type):
  unique                 email:string:unique
  index                  priority:integer:index
  redact                 secret:string:redact
  optional               subtitle:string:optional
  default=VALUE          views:integer:default=0
  on_delete=ACTION       author_id:references:users:on_delete=cascade
                         (restrict, the default; cascade; nullify, with optional)";

#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// Name of the app, in snake_case (also the folder name unless --path).
    pub app: String,

    /// The database the app uses.
    #[arg(long, value_enum, default_value_t = Adapter::Sqlite)]
    pub database: Adapter,

    /// Make an API-only app: no HTML templates, pages or static files.
    #[arg(long)]
    pub no_html: bool,

    /// Folder to create the app in (default: `./<app>`).
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// Print what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Overwrite files that already exist and differ.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// Generate a context, schema, migration, HTML controller, templates and tests.
    #[command(after_help = "Examples:
  axgen gen html Blog Post posts title:string body:text published:boolean
  axgen gen html Accounts User users email:string:unique name:string:optional
  axgen gen html Catalog Product products price:decimal tags:array:string --web Admin")]
    Html(GenResourceArgs),

    /// Generate a context, schema, migration, JSON controller under /api and tests.
    #[command(after_help = "Examples:
  axgen gen json Blog Post posts title:string body:text
  axgen gen json Shop Order orders status:enum:pending:paid:shipped total:decimal")]
    Json(GenResourceArgs),

    /// Generate a context with its schema and migration, no web layer.
    #[command(after_help = "Examples:
  axgen gen context Blog Comment comments post_id:references:posts body:text")]
    Context(GenResourceArgs),

    /// Generate a schema (struct + changeset) and its migration.
    #[command(after_help = "Examples:
  axgen gen schema Tag tags name:string:unique
  axgen gen schema Blog.Tag tags name:string")]
    Schema(GenSchemaArgs),

    /// Generate accounts and sessions: users and tokens tables, registration, log-in and
    /// log-out pages, the current user in every request and template, and tests.
    #[command(after_help = "Examples:
  axgen gen auth Accounts User users
  axgen gen auth Accounts User users name:string")]
    Auth(GenAuthArgs),

    /// Generate an empty reversible migration (.up.sql and .down.sql).
    #[command(after_help = "Examples:
  axgen gen migration add_slug_to_posts")]
    Migration(GenMigrationArgs),
}

/// Options shared by every resource generator.
#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Generator options")]
pub struct GenOptions {
    /// Do not generate the context (use an existing one).
    #[arg(long)]
    pub no_context: bool,

    /// Do not generate the schema (use an existing one).
    #[arg(long)]
    pub no_schema: bool,

    /// Do not generate the migration.
    #[arg(long)]
    pub no_migration: bool,

    /// Table name, if it differs from the plural.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,

    /// Use UUID primary keys instead of bigint.
    #[arg(long)]
    pub binary_id: bool,

    /// Name of the primary key column (and struct field), if not id.
    #[arg(long, value_name = "NAME")]
    pub primary_key: Option<String>,

    /// Namespace of the web layer, e.g. Admin (routes under /admin), nested with dots:
    /// Admin.V1, or Api.V1 for JSON under /api/v1.
    #[arg(long, value_name = "NAMESPACE")]
    pub web: Option<String>,

    /// The string field that labels a row in selects, lists and links (default: the first
    /// unique string field, else the first string field named name, title, username, email
    /// or label, else the first string field).
    #[arg(long, value_name = "FIELD")]
    pub label: Option<String>,

    /// In an app with `gen auth`: generate rows that belong to no user, open to every
    /// visitor (by default they belong to the logged-in user, who alone sees them).
    #[arg(long)]
    pub no_scope: bool,

    /// Regenerate the resource axgen generated for this table with this field list: one
    /// migration for the difference, and every file it wrote merged with your edits.
    #[arg(long, conflicts_with_all = ["no_context", "no_schema", "no_migration", "force"])]
    pub update: bool,

    /// Print what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Overwrite files that already exist and differ.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct GenResourceArgs {
    /// The context module, CamelCase (e.g. Blog, Admin.Blog).
    pub context: String,
    /// The schema struct, CamelCase (e.g. Post).
    pub schema: String,
    /// The plural in snake_case (e.g. posts): table name and route path.
    pub plural: String,
    /// Fields as name[:type[:modifier...]] (type defaults to string).
    #[arg(long_help = FIELD_HELP)]
    pub fields: Vec<String>,
    #[command(flatten)]
    pub options: GenOptions,
}

#[derive(Debug, Clone, Args)]
pub struct GenAuthArgs {
    /// The context module, CamelCase (e.g. Accounts).
    pub context: String,
    /// The schema struct, CamelCase (e.g. User).
    pub schema: String,
    /// The plural in snake_case (e.g. users): table name and route path.
    pub plural: String,
    /// Extra fields of the schema besides email and password, as name[:type[:modifier...]].
    #[arg(long_help = FIELD_HELP)]
    pub fields: Vec<String>,
    /// Print what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite files that already exist and differ.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct GenSchemaArgs {
    /// The schema struct, CamelCase; a dotted prefix names its context (Blog.Post).
    pub schema: String,
    /// The plural in snake_case (e.g. posts): the table name.
    pub plural: String,
    /// Fields as name[:type[:modifier...]] (type defaults to string).
    #[arg(long_help = FIELD_HELP)]
    pub fields: Vec<String>,
    #[command(flatten)]
    pub options: GenOptions,
}

#[derive(Debug, Clone, Args)]
pub struct GenMigrationArgs {
    /// Name of the migration, in snake_case (e.g. add_slug_to_posts).
    pub name: String,

    /// Columns, for a name that says the change: add_<what>_to_<table> adds them,
    /// remove_<what>_from_<table> drops them, add_index_to_<table> indexes them
    /// (e.g. add_views_to_posts views:integer:default=0).
    #[arg(value_name = "FIELD")]
    pub fields: Vec<String>,

    #[command(flatten)]
    pub migrations: MigrationsPathArgs,

    /// Print what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// How far `migrate` or `rollback` goes: one of these at most.
#[derive(Debug, Clone, Args)]
pub struct ReachArgs {
    /// Only N migrations: the next N pending ones (migrate), the last N applied (rollback,
    /// default 1).
    #[arg(long, value_name = "N", group = "target")]
    pub step: Option<u32>,
    /// Migrate: apply pending migrations up to and including VERSION (no file needs exactly
    /// VERSION). Rollback: revert every migration newer than VERSION (VERSION stays applied).
    #[arg(long, value_name = "VERSION", group = "target")]
    pub to: Option<i64>,
    /// Every migration: every pending one (migrate's default), every applied one (rollback).
    #[arg(long, group = "target")]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub reach: ReachArgs,
    /// Apply pending migrations older than VERSION.
    #[arg(long, value_name = "VERSION", group = "target")]
    pub to_exclusive: Option<i64>,
    /// Refuse to apply a pending migration older than the newest applied one (by default it
    /// is applied, with a warning).
    #[arg(long)]
    pub strict_version_order: bool,
    #[command(flatten)]
    pub show: ShowArgs,
    #[command(flatten)]
    pub migrations: MigrationsPathArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub reach: ReachArgs,
    #[command(flatten)]
    pub show: ShowArgs,
    #[command(flatten)]
    pub migrations: MigrationsPathArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// How long `migrate` and `rollback` wait for another run's migration lock.
#[derive(Debug, Clone, Copy, Args)]
pub struct LockArgs {
    /// Give up (exit 1) after waiting SECS seconds for the migration lock another run holds
    /// (PostgreSQL, MariaDB Galera; who holds it is printed while waiting); 0 waits as long
    /// as it takes.
    #[arg(long, value_name = "SECS", default_value_t = crate::db::LOCK_TIMEOUT.as_secs())]
    pub lock_timeout: u64,
}

/// Where the migrations are, for the commands that read or write them.
#[derive(Debug, Clone, Default, Args)]
pub struct MigrationsPathArgs {
    /// The folder of the migrations, instead of the app's migrations/ (the app itself
    /// embeds migrations/ for its tests).
    #[arg(long, value_name = "DIR")]
    pub migrations_path: Option<PathBuf>,
}

/// The output flags `migrate` and `rollback` share.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ShowArgs {
    /// Print the SQL of each migration as it runs, and what PostgreSQL noticed meanwhile.
    #[arg(long)]
    pub log_sql: bool,
    /// Print what would run, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Seed files to run (`.sql`, `<table>.csv`, `<table>.json`, `<table>.toml`); default: every file in seeds/.
    pub files: Vec<PathBuf>,
    /// Insert N fake rows into TABLE, e.g. --fake posts=1000.
    #[arg(long, value_name = "TABLE=N")]
    pub fake: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the database.
    Create,
    /// Drop the database (asks for confirmation on a terminal).
    Drop(DropArgs),
    /// Create the database, run every migration, then the seeds.
    Setup(MigrationsPathArgs),
    /// Drop the database, then set it up again.
    Reset(ResetArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DropArgs {
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ResetArgs {
    #[command(flatten)]
    pub drop: DropArgs,
    #[command(flatten)]
    pub migrations: MigrationsPathArgs,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Copy the embedded templates of GENERATOR (or all) into generator-templates/.
    #[command(after_help = "Examples:
  axgen templates eject html
  axgen templates eject")]
    Eject {
        /// The generator whose templates to copy (new, schema, context, html, json, migration).
        generator: Option<String>,
    },
}

/// `--database`: clap learns the domain's adapters here, so that `adapter.rs` knows nothing
/// of the command line.
impl ValueEnum for Adapter {
    fn value_variants<'a>() -> &'a [Self] {
        &Adapter::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.about()))
    }
}

/// `--color`, for the printer's own choice.
impl ValueEnum for ColorChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ColorChoice::Auto => {
                PossibleValue::new("auto").help("Colour when writing to a terminal")
            }
            ColorChoice::Always => PossibleValue::new("always").help("Always colour"),
            ColorChoice::Never => PossibleValue::new("never").help("Never colour"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("axgen").chain(args.iter().copied()))
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn the_field_help_names_every_type_and_modifier() {
        for info in &crate::spec::types::table().types {
            assert!(
                FIELD_HELP.contains(&format!(":{}", info.name)),
                "the field help has no example of the type {}",
                info.name
            );
        }
        for modifier in crate::spec::field::MODIFIERS {
            assert!(
                FIELD_HELP.contains(&format!("  {modifier} ")),
                "the field help lacks the modifier {modifier}"
            );
        }
    }

    #[test]
    fn targets_exclude_each_other_but_combine_with_output_flags() {
        for args in [
            &["migrate", "--step", "1", "--log-sql", "--dry-run"][..],
            &["migrate", "--to", "20261124120000", "--log-sql"],
            &["rollback", "--all", "--log-sql", "--dry-run"],
        ] {
            assert!(parse(args).is_ok(), "{args:?}");
        }
        for args in [
            &["migrate", "--step", "1", "--to", "5"][..],
            &["migrate", "--all", "--step", "2"],
            &["rollback", "--step", "1", "--all"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    /// The command-line types stop at `run.rs`, which turns them into the domain's own types:
    /// no other module of axgen may import this one (or clap).
    #[test]
    fn only_run_rs_knows_the_command_line() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let allowed = ["cli.rs", "run.rs", "main.rs"].map(|file| src.join(file));
        let mut offenders = Vec::new();
        for entry in walkdir::WalkDir::new(&src) {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|e| e != "rs") || allowed.contains(&path) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let imports_cli = text.contains("crate::cli")
                || text.contains("use clap")
                || text
                    .split("use crate::{")
                    .skip(1)
                    .any(|group| group.split('}').next().is_some_and(|g| g.contains("cli")));
            if imports_cli {
                offenders.push(path.strip_prefix(&src).unwrap().display().to_string());
            }
        }
        assert!(
            offenders.is_empty(),
            "these modules import the command line (crate::cli or clap), which only run.rs may: {}",
            offenders.join(", ")
        );
    }
}
