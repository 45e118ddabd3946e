//! `axgen new`: a runnable axum + sqlx + minijinja app from the embedded `new` template pack.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use heck::ToTitleCase;
use minijinja::Value;
use minijinja::value::Serde;
use serde::Serialize;

use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::output::Printer;
use crate::plan::{ApplyOptions, Plan};
use crate::templates::{self, Templates};

/// The template folder of this generator.
const GENERATOR: &str = "new";

/// Everything the `new` templates may use.
#[derive(Debug, Clone, Serialize)]
pub struct NewApp {
    pub app: AppNames,
    pub adapter: Adapter,
    pub html: bool,
    pub database_url: String,
    /// 64 hex characters signing the app's cookies; random for real apps.
    pub secret_key_base: String,
    pub axgen_version: &'static str,
}

/// The names of the app.
#[derive(Debug, Clone, Serialize)]
pub struct AppNames {
    /// The crate name, snake_case.
    pub name: String,
    /// The human name, e.g. "Blog".
    pub title: String,
}

impl NewApp {
    /// Validates the app name and fills in the defaults for `adapter`.
    pub fn new(
        name: &str,
        adapter: Adapter,
        html: bool,
        secret_key_base: String,
    ) -> Result<NewApp> {
        validate_app_name(name)?;
        Ok(NewApp {
            app: AppNames {
                name: name.to_string(),
                title: name.to_title_case(),
            },
            adapter,
            html,
            database_url: default_database_url(name, adapter),
            secret_key_base,
            axgen_version: env!("CARGO_PKG_VERSION"),
        })
    }
}

/// The development database URL written into a new app's `axgen.toml` and `.env`.
pub fn default_database_url(app: &str, adapter: Adapter) -> String {
    match adapter {
        Adapter::Sqlite => format!("sqlite:{app}_dev.db"),
        Adapter::Postgres => format!("postgres://postgres@127.0.0.1:5432/{app}_dev"),
        Adapter::Mysql => format!("mysql://root@127.0.0.1:3306/{app}_dev"),
    }
}

/// Renders the whole app into a plan, without touching the disk. Templates that render to
/// nothing but whitespace (HTML-only files of an API app) are left out.
pub fn plan(app: &NewApp, templates: &Templates) -> Result<Plan> {
    let context = Value::from(Serde(app));
    let mut plan = Plan::default();
    for name in templates::embedded_names(GENERATOR) {
        let contents = templates.render(&name, &context)?;
        if !contents.trim().is_empty() {
            plan.create(templates::output_path(GENERATOR, &name), contents);
        }
    }
    plan.next_steps = next_steps(app);
    Ok(plan)
}

fn next_steps(app: &NewApp) -> Vec<String> {
    let setup = match app.adapter {
        Adapter::Sqlite => "axgen db setup",
        Adapter::Postgres | Adapter::Mysql => {
            "axgen db setup        # the database server must be running"
        }
    };
    vec![
        "We are almost there! The following steps are missing:".to_string(),
        String::new(),
        format!("    $ cd {}", app.app.name),
        format!("    $ {setup}"),
        String::new(),
        "Start your app with:".to_string(),
        String::new(),
        "    $ cargo run".to_string(),
        String::new(),
        "and visit http://127.0.0.1:4000".to_string(),
    ]
}

/// What `axgen new` is asked to make.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The app's name, not yet validated.
    pub app: String,
    pub adapter: Adapter,
    /// Whether the app has browser pages (not `--no-html`).
    pub html: bool,
    /// The folder to make it in, if not `./<app>`.
    pub path: Option<PathBuf>,
    pub apply: ApplyOptions,
}

/// `axgen new`: validates, renders the plan, then writes it into the app's folder.
pub fn run(request: &NewRequest, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    let app = NewApp::new(
        &request.app,
        request.adapter,
        request.html,
        random_secret()?,
    )?;
    let root: PathBuf = match &request.path {
        Some(path) => cwd.join(path),
        None => cwd.join(&request.app),
    };
    if root.join(crate::project::CONFIG_FILE).is_file() {
        return Err(UsageError::new(format!(
            "{} is already an axgen app (it has an {})",
            root.strip_prefix(cwd).unwrap_or(&root).display(),
            crate::project::CONFIG_FILE
        ))
        .with_hint("to add to it, cd into it and run axgen gen; to start over, choose another name or --path")
        .into());
    }
    let mut plan = plan(&app, &Templates::new(None))?;
    if let Some(path) = &request.path {
        plan.next_steps = plan
            .next_steps
            .into_iter()
            .map(|step| {
                step.replace(
                    &format!("$ cd {}", app.app.name),
                    &format!("$ cd {}", path.display()),
                )
            })
            .collect();
    }
    plan.apply(&root, request.apply, printer)?;
    Ok(ExitCode::SUCCESS)
}

/// A fresh random `SECRET_KEY_BASE`: 32 bytes from the OS, as 64 hex characters.
fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| anyhow::anyhow!("getting random bytes: {err}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// An app name must be a valid crate and module name: snake_case, starting with a letter, and
/// not a name that clashes with Rust or the crates the app uses.
fn validate_app_name(name: &str) -> Result<(), UsageError> {
    /// Besides the crates the app uses: Rust's test crates, axgen, and the app's tests'
    /// `support` module.
    const TAKEN: &[&str] = &["test", "proc_macro", "axgen", "support"];
    let snake = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__");
    if !snake {
        return Err(UsageError::new(format!(
            "Expected the app name, \"{name}\", to be snake_case: lowercase ASCII letters, digits and underscores, starting with a letter"
        ))
        .with_hint(format!("try `axgen new {}`", suggest(name))));
    }
    if TAKEN.contains(&name)
        || crate::spec::reserved::find(name, crate::spec::reserved::Place::Crate).is_some()
        || crate::naming::RUST_KEYWORDS.contains(&name)
    {
        return Err(UsageError::new(format!(
            "Application name \"{name}\" clashes with a Rust keyword or a crate the app depends on"
        ))
        .with_hint(format!("choose another name, such as `{name}_app`")));
    }
    Ok(())
}

/// A snake_case suggestion for a rejected app name.
fn suggest(name: &str) -> String {
    use heck::ToSnakeCase;
    let snake: String = name
        .to_snake_case()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    let snake = snake
        .trim_start_matches(|c: char| !c.is_ascii_lowercase())
        .to_string();
    if snake.is_empty() {
        "my_app".to_string()
    } else {
        snake
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_must_be_snake_case() {
        for bad in ["Blog", "my-app", "1blog", "", "blog_", "my__app", "blög"] {
            assert!(validate_app_name(bad).is_err(), "{bad}");
        }
        for good in ["blog", "my_app", "shop2"] {
            assert!(validate_app_name(good).is_ok(), "{good}");
        }
        assert_eq!(suggest("MyApp"), "my_app");
        assert_eq!(suggest("my-app"), "my_app");
    }

    #[test]
    fn keywords_and_dependency_names_are_refused() {
        for bad in ["fn", "sqlx", "test", "self", "support", "tower_http"] {
            let err = validate_app_name(bad).unwrap_err();
            assert!(err.message.contains("clashes"), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn secrets_are_random_hex() {
        let a = random_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_secret().unwrap());
    }
}
