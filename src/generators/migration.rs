//! `axgen gen migration`: an empty reversible migration pair, and the migration clock every
//! generator that writes migrations shares.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use minijinja::context;

use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::output::Printer;
use crate::plan::{ApplyOptions, Plan};
use crate::project::Project;
use crate::templates::Templates;

/// The folder of an app holding its migrations.
pub const MIGRATIONS_DIR: &str = "migrations";

/// A migration file already in the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub version: i64,
    pub name: String,
}

/// The version for a new migration: the current UTC time as `YYYYMMDDHHMMSS`, or one more than
/// the newest existing version when that is not older, so versions are unique and ordered even
/// when several are generated in the same second.
pub fn next_version(existing: &[Existing], now: DateTime<Utc>) -> i64 {
    let clock: i64 = now
        .format("%Y%m%d%H%M%S")
        .to_string()
        .parse()
        .expect("a formatted timestamp is a number");
    let newest = existing.iter().map(|m| m.version).max().unwrap_or(0);
    clock.max(newest + 1)
}

/// The migrations in `dir` (`<version>_<name>.up.sql`, `.down.sql` or `.sql`), each once.
pub fn existing(dir: &Path) -> Result<Vec<Existing>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("reading {}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(migration) = parse_file_name(&file)
            && !found.contains(&migration)
        {
            found.push(migration);
        }
    }
    found.sort_by_key(|m| m.version);
    Ok(found)
}

fn parse_file_name(file: &str) -> Option<Existing> {
    let stem = file
        .strip_suffix(".up.sql")
        .or_else(|| file.strip_suffix(".down.sql"))
        .or_else(|| file.strip_suffix(".sql"))?;
    let (version, name) = stem.split_once('_')?;
    Some(Existing {
        version: version.parse().ok()?,
        name: name.to_string(),
    })
}

/// The file name stem of a migration: `<version>_<name>`.
pub fn stem(version: i64, name: &str) -> String {
    format!("{version}_{name}")
}

/// Plans an empty `.up.sql`/`.down.sql` pair named `name` at `version`.
pub fn plan(
    name: &str,
    version: i64,
    folder: &Path,
    adapter: Adapter,
    templates: &Templates,
) -> Result<Plan> {
    let context = context! { name => name, version => version, dialect => dialect_name(adapter) };
    let base = folder.join(stem(version, name));
    let mut plan = Plan::default();
    plan.create(
        base.with_extension("up.sql"),
        templates.render("migration/up.sql.jinja", &context)?,
    );
    plan.create(
        base.with_extension("down.sql"),
        templates.render("migration/down.sql.jinja", &context)?,
    );
    plan.next_steps = vec![
        "Write the change in the .up.sql file and its undo in the .down.sql file, then run:".into(),
        String::new(),
        if folder == Path::new(MIGRATIONS_DIR) {
            "    $ axgen migrate".into()
        } else {
            format!("    $ axgen migrate --migrations-path {}", folder.display())
        },
    ];
    Ok(plan)
}

/// The migrations folder, relative to the app's `root`: `migrations`, or `given` (relative to
/// `cwd`), which must be inside the app.
fn folder_in_app(root: &Path, given: Option<&Path>, cwd: &Path) -> Result<PathBuf> {
    let Some(given) = given else {
        return Ok(PathBuf::from(MIGRATIONS_DIR));
    };
    let mut folder = PathBuf::new();
    for part in cwd.join(given).components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                folder.pop();
            }
            other => folder.push(other),
        }
    }
    match folder.strip_prefix(root) {
        Ok(inside) if !inside.as_os_str().is_empty() => Ok(inside.to_path_buf()),
        _ => Err(UsageError::new(format!(
            "--migrations-path {} is not a folder inside the app ({})",
            given.display(),
            root.display()
        ))
        .with_hint("name a folder of the app, e.g. --migrations-path db/migrations")
        .into()),
    }
}

/// The dialect's name for comments and messages.
pub fn dialect_name(adapter: Adapter) -> &'static str {
    match adapter {
        Adapter::Sqlite => "SQLite",
        Adapter::Postgres => "PostgreSQL",
        Adapter::Mysql => "MySQL",
    }
}

/// Refuses a migration name that is not snake_case or that an existing migration already has.
fn validate_name(name: &str, existing: &[Existing]) -> Result<(), UsageError> {
    if !crate::naming::is_snake_case(name) {
        let example = crate::naming::suggest_snake(name, "add_slug_to_posts");
        return Err(UsageError::new(format!(
            "Expected the migration name, \"{name}\", to be snake_case, such as {example}"
        )));
    }
    if let Some(clash) = existing.iter().find(|m| m.name == name) {
        return Err(UsageError::new(format!(
            "a migration named \"{name}\" already exists ({})",
            stem(clash.version, &clash.name)
        ))
        .with_hint("choose a name that says what this migration does"));
    }
    Ok(())
}

/// `axgen gen migration NAME` into `migrations/`, or the folder `migrations_path` names (inside
/// the app); `dry_run` prints the plan and writes nothing.
pub fn run(
    name: &str,
    dry_run: bool,
    migrations_path: Option<&Path>,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let project = Project::find(cwd)?;
    let folder = folder_in_app(&project.root, migrations_path, cwd)?;
    let existing = existing(&project.root.join(&folder))?;
    validate_name(name, &existing)?;
    let version = next_version(&existing, Utc::now());
    let templates = Templates::new(Some(&project.root));
    let plan = plan(name, version, &folder, project.adapter(), &templates)?;
    let options = ApplyOptions {
        force: false,
        dry_run,
    };
    plan.apply(&project.root, options, printer)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn versions_follow_the_clock() {
        assert_eq!(
            next_version(&[], at(2026, 11, 24, 12, 0, 5)),
            20261124120005
        );
    }

    #[test]
    fn versions_stay_unique_within_one_second() {
        let now = at(2026, 11, 24, 12, 0, 5);
        let first = next_version(&[], now);
        let existing = [Existing {
            version: first,
            name: "a".into(),
        }];
        assert_eq!(next_version(&existing, now), first + 1);
    }

    #[test]
    fn file_names_parse() {
        assert_eq!(
            parse_file_name("20261124120005_create_posts.up.sql"),
            Some(Existing {
                version: 20261124120005,
                name: "create_posts".into()
            })
        );
        assert_eq!(parse_file_name("README.md"), None);
        assert_eq!(parse_file_name("x_y.sql"), None);
    }

    #[test]
    fn duplicate_and_bad_names_are_refused() {
        let existing = [Existing {
            version: 1,
            name: "add_x".into(),
        }];
        assert!(
            validate_name("add_x", &existing)
                .unwrap_err()
                .message
                .contains("already exists")
        );
        assert!(
            validate_name("AddX", &existing)
                .unwrap_err()
                .message
                .contains("snake_case")
        );
        assert!(validate_name("add_y", &existing).is_ok());
    }

    #[test]
    fn the_plan_is_a_pair() {
        let plan = plan(
            "add_slug",
            20261124120005,
            Path::new(MIGRATIONS_DIR),
            Adapter::Postgres,
            &Templates::new(None),
        )
        .unwrap();
        let paths: Vec<String> = plan
            .ops
            .iter()
            .map(|op| op.path().display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "migrations/20261124120005_add_slug.up.sql",
                "migrations/20261124120005_add_slug.down.sql"
            ]
        );
    }
}
