//! Migration files (sqlx's reversible format, resolved by sqlx so checksums match
//! `sqlx migrate` and `sqlx::migrate!`), the rows of `_sqlx_migrations`, and what to run.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Result;
use sqlx::migrate::{Migration, MigrationType};

use super::conn::{Db, each_db};
use crate::adapter::Adapter;
use crate::error::UsageError;

/// sqlx's bookkeeping table, shared with `sqlx migrate` and `sqlx::migrate!`.
pub const TABLE: &str = "_sqlx_migrations";

/// The folder of migrations inside an app, as printed in messages.
pub const DIR: &str = "migrations";

/// One migration on disk: its up file and, if reversible, its down file.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    pub version: i64,
    /// The name part of the file name, e.g. `create_posts`.
    pub name: String,
    pub up: Migration,
    /// e.g. `migrations/20261124120000_create_posts.up.sql`.
    pub up_file: String,
    pub down: Option<Migration>,
    /// Where the down file is, or would be.
    pub down_file: String,
}

/// A row of `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub description: String,
    pub checksum: Vec<u8>,
    pub success: bool,
}

/// How far `migrate` or `rollback` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    All,
    Step(u32),
    /// Up to and including the version (`migrate`), or down to it, keeping it (`rollback`).
    To(i64),
    /// Below the version (`migrate --to-exclusive`).
    Before(i64),
}

/// Where an app's migrations are: `migrations/` in the app, or the folder `--migrations-path`
/// names (relative to the current folder, as any path on the command line).
#[derive(Debug, Clone)]
pub struct Folder {
    pub path: PathBuf,
    /// The folder as messages name it: `migrations`, or as it was given.
    pub label: String,
}

impl Folder {
    pub fn new(root: &Path, given: Option<&Path>, cwd: &Path) -> Folder {
        match given {
            Some(given) => Folder {
                path: cwd.join(given),
                label: given.display().to_string().trim_end_matches('/').to_owned(),
            },
            None => Folder {
                path: root.join(DIR),
                label: DIR.to_owned(),
            },
        }
    }
}

/// Reads the migrations in `folder`, in version order; a missing folder is a usage error (an
/// app made by `axgen new` has one, so the command runs in the wrong folder or it was removed).
pub fn load(folder: &Folder) -> Result<Vec<MigrationFile>> {
    let (dir, label) = (folder.path.as_path(), folder.label.as_str());
    if !dir.is_dir() {
        return Err(UsageError::new(format!(
            "there is no {label}/ folder in {}, so there are no migrations to run or show",
            dir.parent().unwrap_or(dir).display()
        ))
        .with_hint(format!(
            "restore it, or make it with `mkdir {label}` and add migrations with `axgen gen migration <name>` or `axgen gen schema`"
        ))
        .into());
    }
    check_names(dir, label)?;
    let resolved = sqlx::migrate::resolve_blocking(dir).map_err(|err| {
        UsageError::new(format!(
            "cannot read the migrations in {}: {err}",
            dir.display()
        ))
        .with_hint(
            "migration files are named <VERSION>_<name>.up.sql and <VERSION>_<name>.down.sql",
        )
    })?;
    let mut ups: BTreeMap<i64, MigrationFile> = BTreeMap::new();
    let mut downs: HashMap<i64, (Migration, String)> = HashMap::new();
    for (migration, path) in resolved {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = format!("{label}/{file_name}");
        if migration.migration_type == MigrationType::ReversibleDown {
            downs.insert(migration.version, (migration, file));
            continue;
        }
        if let Some(other) = ups.get(&migration.version) {
            return Err(duplicate(&other.up_file, &file));
        }
        ups.insert(
            migration.version,
            up_entry(migration, &file_name, file, label),
        );
    }
    attach_downs(&mut ups, downs)?;
    Ok(ups.into_values().collect())
}

/// Refuses a file in `dir` that is not named like a migration, which sqlx would skip (or read
/// as a migration of another kind): only migrations, README files and hidden files may be there.
fn check_names(dir: &Path, label: &str) -> Result<()> {
    let unreadable = |err: std::io::Error| {
        anyhow::Error::new(err).context(format!("cannot list the migrations in {}", dir.display()))
    };
    let mut misnamed = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let allowed =
            name.starts_with('.') || name.starts_with("README") || is_migration_name(&name);
        if !allowed && !entry.path().is_dir() {
            misnamed.push(format!("{label}/{name}"));
        }
    }
    misnamed.sort();
    let Some(first) = misnamed.first() else {
        return Ok(());
    };
    let files = match misnamed.len() {
        1 => first.clone(),
        n => format!("{first} (and {} more: {})", n - 1, misnamed[1..].join(", ")),
    };
    Err(UsageError::new(format!(
        "{files} is not named like a migration, so nothing was run: migration files are named <VERSION>_<name>.up.sql or <VERSION>_<name>.down.sql, VERSION being digits"
    ))
    .with_hint(format!(
        "rename it (e.g. 20261201120000_add_slug.up.sql), or move it out of {label}/, where only migrations and README files belong"
    ))
    .into())
}

/// `<VERSION>_<name>.up.sql` or `<VERSION>_<name>.down.sql`, the version being digits that fit
/// an i64 (sqlx's version type).
fn is_migration_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".up.sql")
        .or_else(|| name.strip_suffix(".down.sql"))
    else {
        return false;
    };
    let Some((version, description)) = stem.split_once('_') else {
        return false;
    };
    version.bytes().all(|b| b.is_ascii_digit())
        && version.parse::<i64>().is_ok()
        && !description.is_empty()
}

fn up_entry(up: Migration, file_name: &str, up_file: String, label: &str) -> MigrationFile {
    let stem = file_name
        .trim_end_matches(up.migration_type.suffix())
        .trim_end_matches(".sql");
    let name = stem.split_once('_').map_or(stem, |(_, n)| n).to_string();
    let down_file = format!("{label}/{stem}{}", MigrationType::ReversibleDown.suffix());
    MigrationFile {
        version: up.version,
        name,
        up,
        up_file,
        down: None,
        down_file,
    }
}

fn attach_downs(
    ups: &mut BTreeMap<i64, MigrationFile>,
    downs: HashMap<i64, (Migration, String)>,
) -> Result<()> {
    for (version, (down, file)) in downs {
        let Some(up) = ups.get_mut(&version) else {
            return Err(
                UsageError::new(format!("{file} has no matching .up.sql file"))
                    .with_hint(
                        "every down migration needs the up migration of the same version and name",
                    )
                    .into(),
            );
        };
        up.down_file = file;
        up.down = Some(down);
    }
    Ok(())
}

fn duplicate(first: &str, second: &str) -> anyhow::Error {
    UsageError::new(format!("{first} and {second} have the same version"))
        .with_hint("give one of them a new version (rename it with a later timestamp)")
        .into()
}

/// Whether `_sqlx_migrations` exists (read-only commands must not create it).
pub async fn table_exists(db: &mut Db<'_>) -> Result<bool, sqlx::Error> {
    let sql = match db.adapter() {
        Adapter::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Adapter::Postgres => {
            "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = '_sqlx_migrations' \
             AND schemaname = ANY (current_schemas(false))"
        }
        Adapter::Mysql => {
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '_sqlx_migrations'"
        }
    };
    let count: i64 = each_db!(db, c => sqlx::query_scalar(sql).fetch_one(&mut **c).await?);
    Ok(count > 0)
}

/// The rows of `_sqlx_migrations`, oldest first; none if the table does not exist.
pub async fn applied(db: &mut Db<'_>) -> Result<Vec<Applied>, sqlx::Error> {
    if !table_exists(db).await? {
        return Ok(Vec::new());
    }
    let sql =
        "SELECT version, description, checksum, success FROM _sqlx_migrations ORDER BY version";
    let rows: Vec<(i64, String, Vec<u8>, bool)> =
        each_db!(db, c => sqlx::query_as(sql).fetch_all(&mut **c).await?);
    Ok(rows
        .into_iter()
        .map(|(version, description, checksum, success)| Applied {
            version,
            description,
            checksum,
            success,
        })
        .collect())
}

/// The migrations `migrate` runs, in order: those not applied, up to `reach`.
pub fn pending<'m>(
    files: &'m [MigrationFile],
    applied: &[Applied],
    reach: Reach,
) -> Vec<&'m MigrationFile> {
    let done: Vec<i64> = applied.iter().map(|a| a.version).collect();
    let pending = files.iter().filter(|f| !done.contains(&f.version));
    match reach {
        Reach::All => pending.collect(),
        Reach::Step(n) => pending.take(n as usize).collect(),
        Reach::To(version) => pending.filter(|f| f.version <= version).collect(),
        Reach::Before(version) => pending.filter(|f| f.version < version).collect(),
    }
}

/// The applied versions `rollback` reverts, newest first.
pub fn to_revert(applied: &[Applied], reach: Reach) -> Vec<i64> {
    let newest_first = applied.iter().rev().map(|a| a.version);
    match reach {
        Reach::All => newest_first.collect(),
        Reach::Step(n) => newest_first.take(n as usize).collect(),
        Reach::To(version) => newest_first.filter(|v| *v > version).collect(),
        Reach::Before(version) => newest_first.filter(|v| *v >= version).collect(),
    }
}

/// A display name for an applied version: the file's name, else the description sqlx stored.
pub fn name_of(version: i64, files: &[MigrationFile], applied: &[Applied]) -> String {
    files
        .iter()
        .find(|f| f.version == version)
        .map(|f| f.name.clone())
        .or_else(|| {
            applied
                .iter()
                .find(|a| a.version == version)
                .map(|a| a.description.replace(' ', "_"))
        })
        .unwrap_or_default()
}

/// Checks `--to VERSION` names a migration that exists on disk or in the database.
pub fn check_version(version: i64, files: &[MigrationFile], applied: &[Applied]) -> Result<()> {
    let known =
        files.iter().any(|f| f.version == version) || applied.iter().any(|a| a.version == version);
    if known {
        return Ok(());
    }
    Err(
        UsageError::new(format!("no migration has the version {version}"))
            .with_hint("`axgen migrations` lists every version")
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dir` as the migrations folder.
    fn in_folder(dir: &Path) -> Folder {
        Folder {
            path: dir.to_path_buf(),
            label: DIR.to_owned(),
        }
    }

    fn write(dir: &Path, name: &str, sql: &str) {
        std::fs::write(dir.join(name), sql).unwrap();
    }

    fn applied_versions(versions: &[i64]) -> Vec<Applied> {
        versions
            .iter()
            .map(|&version| Applied {
                version,
                description: "x".into(),
                checksum: vec![],
                success: true,
            })
            .collect()
    }

    #[test]
    fn load_pairs_up_and_down_files_in_version_order() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "2_add_slug.up.sql",
            "ALTER TABLE posts ADD slug TEXT;",
        );
        write(
            dir.path(),
            "1_create_posts.up.sql",
            "CREATE TABLE posts (id INTEGER);",
        );
        write(dir.path(), "1_create_posts.down.sql", "DROP TABLE posts;");
        write(dir.path(), "README.md", "not a migration");
        let files = load(&in_folder(dir.path())).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].name, "create_posts");
        assert_eq!(files[0].up_file, "migrations/1_create_posts.up.sql");
        assert!(files[0].down.is_some());
        assert_eq!(files[1].name, "add_slug");
        assert!(files[1].down.is_none());
        assert_eq!(files[1].down_file, "migrations/2_add_slug.down.sql");
    }

    #[test]
    fn an_orphan_down_file_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "3_drop.down.sql", "SELECT 1;");
        let err = load(&in_folder(dir.path())).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert!(err.to_string().contains("3_drop.down.sql"), "{err}");
    }

    #[test]
    fn two_files_with_one_version_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "3_a.up.sql", "SELECT 1;");
        write(dir.path(), "3_b.up.sql", "SELECT 2;");
        assert_eq!(
            crate::error::exit_code(&load(&in_folder(dir.path())).unwrap_err()),
            2
        );
    }

    #[test]
    fn misnamed_files_are_usage_errors_naming_the_file() {
        for bad in [
            "20261201999999-bad.up.sql",
            "x.up.SQL",
            "1_create.sql",
            "1_.up.sql",
            "_x.up.sql",
            "99999999999999999999_x.up.sql",
            "notes.txt",
        ] {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), "1_create_posts.up.sql", "SELECT 1;");
            write(dir.path(), bad, "SELECT 1;");
            let err = load(&in_folder(dir.path())).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), 2, "{bad}: {err}");
            let message = format!("{err:#}");
            assert!(
                message.contains(&format!("migrations/{bad} is not named")),
                "{message}"
            );
            assert!(message.contains("<VERSION>_<name>.up.sql"), "{message}");
        }
    }

    #[test]
    fn readme_and_hidden_files_sit_beside_migrations() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1_create_posts.up.sql", "SELECT 1;");
        write(dir.path(), "README.md", "notes");
        write(dir.path(), ".gitkeep", "");
        std::fs::create_dir(dir.path().join("archive")).unwrap();
        assert_eq!(load(&in_folder(dir.path())).unwrap().len(), 1);
    }

    #[test]
    fn pending_respects_step_and_to() {
        let dir = tempfile::tempdir().unwrap();
        for v in 1..=4 {
            write(dir.path(), &format!("{v}_m.up.sql"), "SELECT 1;");
        }
        let files = load(&in_folder(dir.path())).unwrap();
        let applied = applied_versions(&[1]);
        let versions = |reach| {
            pending(&files, &applied, reach)
                .iter()
                .map(|f| f.version)
                .collect::<Vec<_>>()
        };
        assert_eq!(versions(Reach::All), [2, 3, 4]);
        assert_eq!(versions(Reach::Step(2)), [2, 3]);
        assert_eq!(versions(Reach::To(3)), [2, 3]);
        assert_eq!(versions(Reach::Before(3)), [2]);
        assert_eq!(versions(Reach::To(35)), [2, 3, 4]);
        assert_eq!(versions(Reach::To(0)), [0_i64; 0]);
    }

    #[test]
    fn to_revert_goes_newest_first() {
        let applied = applied_versions(&[1, 2, 3]);
        assert_eq!(to_revert(&applied, Reach::Step(1)), [3]);
        assert_eq!(to_revert(&applied, Reach::To(1)), [3, 2]);
        assert_eq!(to_revert(&applied, Reach::All), [3, 2, 1]);
    }
}
