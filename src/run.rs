//! Dispatch: parses the arguments and runs the command they name.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, Parser};

use crate::cli::{
    Cli, Command, GenCommand, GenOptions, GenResourceArgs, GenSchemaArgs, NewArgs, Shell,
    TemplatesCommand,
};
use crate::generators::new::NewRequest;
use crate::generators::{GenRequest, Layers};
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
    match cli.command {
        Command::New(args) => crate::generators::new::run(&new_request(args), &cwd, &printer),
        Command::Gen(generator) => match generator {
            GenCommand::Html(args) => {
                crate::generators::html::run(&resource_request(args), &cwd, &printer)
            }
            GenCommand::Json(args) => {
                crate::generators::json::run(&resource_request(args), &cwd, &printer)
            }
            GenCommand::Context(args) => {
                crate::generators::context::run(&resource_request(args), &cwd, &printer)
            }
            GenCommand::Schema(args) => {
                crate::generators::schema::run(&schema_request(args), &cwd, &printer)
            }
            GenCommand::Migration(args) => {
                crate::generators::migration::run(&args.name, args.dry_run, &cwd, &printer)
            }
        },
        Command::Migrate(args) => crate::db::migrate(&args, &cli.global, &cwd, &printer),
        Command::Rollback(args) => crate::db::rollback(&args, &cli.global, &cwd, &printer),
        Command::Migrations => crate::db::migrations(&cli.global, &cwd, &printer),
        Command::Seed(args) => crate::db::seed(&args, &cli.global, &cwd, &printer),
        Command::Db(db) => crate::db::db(&db, &cli.global, &cwd, &printer),
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

/// `gen html|json|context`'s arguments as the generator's request.
pub fn resource_request(args: GenResourceArgs) -> GenRequest {
    gen_request(
        Some(args.context),
        args.schema,
        args.plural,
        args.fields,
        args.options,
    )
}

/// `gen schema`'s arguments as the generator's request.
pub fn schema_request(args: GenSchemaArgs) -> GenRequest {
    gen_request(None, args.schema, args.plural, args.fields, args.options)
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
