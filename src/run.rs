//! Dispatch: parses the arguments and runs the command they name.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{CommandFactory, Parser};

use crate::cli::{
    Cli, Command, DbCommand, GenAuthArgs, GenCommand, GenMigrationArgs, GenOptions,
    GenResourceArgs, MigrateArgs, MigrationsPathArgs, NewArgs, ReachArgs, RollbackArgs, SeedArgs,
    Shell, ShowArgs, TemplatesCommand,
};
use crate::db::{
    DbTask, MigrateRequest, Order, Reach, RollbackRequest, SeedRequest, Show, Sources,
};
use crate::generators::auth::AuthRequest;
use crate::generators::migration::MigrationRequest;
use crate::generators::new::NewRequest;
use crate::generators::{GenRequest, Generator, Layers, WebKind};
use crate::output::Printer;
use crate::plan::ApplyOptions;
use crate::spec::{Request, SpecOptions};

/// Runs axgen with these arguments (the first is the program name).
pub fn run<I, T>(args: I) -> Result<ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with exit 0; usage errors are clap's own
            // message on stderr with exit 2.
            let _ = err.print();
            return Ok(ExitCode::from(if err.use_stderr() { 2 } else { 0 }));
        }
    };
    let printer = Printer::new(cli.global.quiet, cli.global.color);
    let cwd = std::env::current_dir()?;
    // Generators in one app take turns (see `AppLock`); outside an app the generator says so.
    let _lock = match &cli.command {
        Command::Gen(_) => crate::project::Project::find(&cwd)
            .ok()
            .map(|project| crate::plan::AppLock::acquire(&project.root))
            .transpose()?,
        _ => None,
    };
    let url = cli.global.database_url.as_deref();
    match cli.command {
        Command::New(args) => crate::generators::new::run(&new_request(args), &cwd, &printer),
        Command::Gen(command) => match resource_generator(command) {
            Ok((generator, request)) => crate::generators::run(generator, &request, &cwd, &printer),
            Err(Other::Auth(args)) => {
                crate::generators::auth::run(&auth_request(args), &cwd, &printer)
            }
            Err(Other::Migration(migration)) => {
                let request = MigrationRequest {
                    name: migration.name,
                    fields: migration.fields,
                    migrations_path: migration.migrations.migrations_path,
                    dry_run: migration.dry_run,
                };
                crate::generators::migration::run(&request, &cwd, &printer)
            }
        },
        Command::Migrate(args) => {
            let request = migrate_request(&args);
            crate::db::migrate(&request, sources(url, &args.migrations), &cwd, &printer)
        }
        Command::Rollback(args) => {
            let request = rollback_request(&args);
            crate::db::rollback(&request, sources(url, &args.migrations), &cwd, &printer)
        }
        Command::Migrations(args) => crate::db::migrations(sources(url, &args), &cwd, &printer),
        Command::Seed(args) => {
            let request = seed_request(args);
            crate::db::seed(
                &request,
                sources(url, &MigrationsPathArgs::default()),
                &cwd,
                &printer,
            )
        }
        Command::Db(db) => {
            let migrations = match &db {
                DbCommand::Setup(args) => args.clone(),
                DbCommand::Reset(args) => args.migrations.clone(),
                DbCommand::Create | DbCommand::Drop(_) => MigrationsPathArgs::default(),
            };
            crate::db::db(db_task(&db), sources(url, &migrations), &cwd, &printer)
        }
        Command::Routes => crate::routes::run(&cwd, &printer),
        Command::Templates(TemplatesCommand::Eject { generator }) => {
            crate::generators::eject::run(generator.as_deref(), &cwd, &printer)
        }
        Command::Completions { shell } => {
            print_completions(shell);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `axgen new`'s arguments as the generator's request.
fn new_request(args: NewArgs) -> NewRequest {
    NewRequest {
        app: args.app,
        adapter: args.database,
        html: !args.no_html,
        path: args.path,
        apply: ApplyOptions {
            force: args.force,
            dry_run: args.dry_run,
        },
    }
}

/// A `gen` command that is not a resource generator's.
pub enum Other {
    Auth(GenAuthArgs),
    Migration(GenMigrationArgs),
}

/// `axgen gen auth`'s arguments as the generator's request.
fn auth_request(args: GenAuthArgs) -> AuthRequest {
    AuthRequest {
        spec: Request {
            context: Some(args.context),
            schema: args.schema,
            plural: args.plural,
            fields: args.fields,
            options: SpecOptions::default(),
        },
        apply: ApplyOptions {
            force: args.force,
            dry_run: args.dry_run,
        },
    }
}

/// A resource generator's command as the generator and its request; `gen auth` and
/// `gen migration`, which are not ones, are given back.
pub fn resource_generator(command: GenCommand) -> Result<(Generator, GenRequest), Other> {
    let resource = |args: GenResourceArgs| {
        let context = Some(args.context);
        gen_request(context, args.schema, args.plural, args.fields, args.options)
    };
    Ok(match command {
        GenCommand::Html(args) => (Generator::Web(WebKind::Html), resource(args)),
        GenCommand::Json(args) => (Generator::Web(WebKind::Json), resource(args)),
        GenCommand::Context(args) => (Generator::Context, resource(args)),
        GenCommand::Schema(args) => {
            let request = gen_request(None, args.schema, args.plural, args.fields, args.options);
            (Generator::Schema, request)
        }
        GenCommand::Auth(args) => return Err(Other::Auth(args)),
        GenCommand::Migration(args) => return Err(Other::Migration(args)),
    })
}

fn gen_request(
    context: Option<String>,
    schema: String,
    plural: String,
    fields: Vec<String>,
    options: GenOptions,
) -> GenRequest {
    GenRequest {
        spec: Request {
            context,
            schema,
            plural,
            fields,
            options: SpecOptions {
                table: options.table,
                binary_id: options.binary_id,
                web: options.web,
                primary_key: options.primary_key,
                label: options.label,
                scope: None,
            },
        },
        layers: Layers {
            context: !options.no_context,
            schema: !options.no_schema,
            migration: !options.no_migration,
        },
        apply: ApplyOptions {
            force: options.force,
            dry_run: options.dry_run,
        },
        update: options.update,
        scoped: !options.no_scope,
    }
}

/// `axgen migrate`'s flags as the domain's request: every pending migration unless a target
/// is given.
fn migrate_request(args: &MigrateArgs) -> MigrateRequest {
    let reach = match (reach(&args.reach), args.to_exclusive) {
        (Some(reach), _) => reach,
        (None, Some(version)) => Reach::Before(version),
        (None, None) => Reach::All,
    };
    MigrateRequest {
        reach,
        order: if args.strict_version_order {
            Order::Strict
        } else {
            Order::Warn
        },
        show: show(args.show),
        lock_timeout: Duration::from_secs(args.lock.lock_timeout),
    }
}

/// `axgen rollback`'s flags as the domain's request: the last migration unless a target is
/// given.
fn rollback_request(args: &RollbackArgs) -> RollbackRequest {
    RollbackRequest {
        reach: reach(&args.reach).unwrap_or(Reach::Step(1)),
        show: show(args.show),
        lock_timeout: Duration::from_secs(args.lock.lock_timeout),
    }
}

/// Where a database command finds the database and the migrations.
fn sources<'a>(url: Option<&'a str>, migrations: &'a MigrationsPathArgs) -> Sources<'a> {
    Sources {
        database_url: url,
        migrations_path: migrations.migrations_path.as_deref(),
    }
}

/// The target given by `--step`, `--to` or `--all`, if any (clap lets through one at most).
fn reach(args: &ReachArgs) -> Option<Reach> {
    match (args.step, args.to, args.all) {
        (Some(n), _, _) => Some(Reach::Step(n)),
        (None, Some(version), _) => Some(Reach::To(version)),
        (None, None, true) => Some(Reach::All),
        (None, None, false) => None,
    }
}

fn show(args: ShowArgs) -> Show {
    Show {
        log_sql: args.log_sql,
        dry_run: args.dry_run,
    }
}

fn seed_request(args: SeedArgs) -> SeedRequest {
    SeedRequest {
        files: args.files,
        fake: args.fake,
    }
}

fn db_task(command: &DbCommand) -> DbTask {
    match command {
        DbCommand::Create => DbTask::Create,
        DbCommand::Drop(args) => DbTask::Drop { yes: args.yes },
        DbCommand::Setup(_) => DbTask::Setup,
        DbCommand::Reset(args) => DbTask::Reset { yes: args.drop.yes },
    }
}

/// Prints the completion script of `shell` for the whole command line, from clap's definition.
fn print_completions(shell: Shell) {
    use clap_complete::Shell as Target;
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Powershell => Target::PowerShell,
    };
    clap_complete::generate(target, &mut Cli::command(), "axgen", &mut std::io::stdout());
}

/// Prints an error for the user: one line with the whole chain, and a hint if any.
pub fn report(err: &anyhow::Error) {
    crate::output::print_error(err);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("axgen").chain(args.iter().copied()))
            .unwrap()
            .command
    }

    #[test]
    fn migrate_goes_all_the_way_and_rollback_one_step_by_default() {
        let Command::Migrate(migrate) = parse(&["migrate"]) else {
            panic!("not migrate")
        };
        assert_eq!(migrate_request(&migrate), MigrateRequest::ALL);
        let Command::Rollback(rollback) = parse(&["rollback", "--log-sql"]) else {
            panic!("not rollback")
        };
        let request = rollback_request(&rollback);
        assert_eq!(request.reach, Reach::Step(1));
        assert!(request.show.log_sql);
    }

    #[test]
    fn targets_become_reaches() {
        for (args, expected) in [
            (&["migrate", "--step", "2"][..], Reach::Step(2)),
            (&["migrate", "--to", "7"], Reach::To(7)),
            (&["migrate", "--to-exclusive", "7"], Reach::Before(7)),
            (&["migrate", "--all"], Reach::All),
        ] {
            let Command::Migrate(migrate) = parse(args) else {
                panic!("not migrate")
            };
            assert_eq!(migrate_request(&migrate).reach, expected, "{args:?}");
        }
        let Command::Rollback(rollback) = parse(&["rollback", "--all"]) else {
            panic!("not rollback")
        };
        assert_eq!(rollback_request(&rollback).reach, Reach::All);
    }
}
