//! `axgen gen migration`: a reversible migration pair, written from its name and fields as
//! Rails does (`add_x_to_t`, `remove_x_from_t`, `add_index_to_t`) or left empty to fill, and
//! the migration clock every generator that writes migrations shares.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use minijinja::{Value, context};

use super::render::to_value;
use super::schema::Model;
use super::{app, schema};
use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::naming;
use crate::output::Printer;
use crate::plan::{ApplyOptions, Plan};
use crate::project::Project;
use crate::spec::field::parse_fields;
use crate::spec::types;
use crate::spec::{Resource, Spec};
use crate::sql::alter::{self, Alter, JoinSide};
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

/// Plans the pair `<base>.up.sql` and `<base>.down.sql`, rendered from the `(up, down)`
/// templates with `context`.
pub fn plan_pair(
    plan: &mut Plan,
    base: &Path,
    (up, down): (&str, &str),
    context: &Value,
    templates: &Templates,
) -> Result<()> {
    plan.create(
        base.with_extension("up.sql"),
        templates.render(up, context)?,
    );
    plan.create(
        base.with_extension("down.sql"),
        templates.render(down, context)?,
    );
    Ok(())
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
    let mut plan = Plan::default();
    let templates_pair = ("migration/up.sql.jinja", "migration/down.sql.jinja");
    plan_pair(
        &mut plan,
        &folder.join(stem(version, name)),
        templates_pair,
        &context,
        templates,
    )?;
    plan.next_steps = vec![
        "Write the change in the .up.sql file and its undo in the .down.sql file, then run:".into(),
        String::new(),
        migrate_command(folder),
    ];
    Ok(plan)
}

/// The table `change` alters, resolved for `adapter` with only the change's fields: ids and
/// references as the app's recorded resources have them. Refuses a change the migration could
/// not make, or not undo.
fn changed_table(
    change: Change<'_>,
    fields: &[String],
    adapter: Adapter,
    known: &BTreeMap<String, Resource>,
    migrations: &Path,
) -> Result<Resource, UsageError> {
    let table = change.table();
    if !naming::is_snake_case(table) {
        return Err(UsageError::new(format!(
            "Expected the table in the migration's name, \"{table}\", to be snake_case"
        )));
    }
    let recorded = known.get(table);
    let singular = naming::singular_of(table);
    let spec = Spec {
        context: None,
        schema: naming::camel(&singular),
        plural: table.to_string(),
        table: None,
        binary_id: recorded.is_some_and(|r| r.binary_id),
        web: None,
        primary_key: recorded.map(|r| r.primary_key.clone()),
        fields: parse_fields(fields, &singular)?,
        label: None,
    };
    let mut resource = spec.resolve(adapter);
    app::point_references(&mut resource, &app::primary_keys(known));
    if let Some(recorded) = recorded {
        let columns = columns(recorded, migrations);
        check_against(change, &resource, recorded, &columns)?;
        if let Change::Remove(_) = change {
            keep_indexes(&mut resource, recorded);
        }
    }
    match change {
        Change::JoinTable(_) => unreachable!("join tables take no fields"),
        Change::AddIndex(_) => {
            let unindexable = resource
                .fields
                .iter()
                .find(|f| crate::spec::types::lookup(&f.type_name).is_none_or(|t| !t.indexable));
            if let Some(field) = unindexable {
                return Err(UsageError::new(format!(
                    "The field \"{}\" cannot be indexed: not every database can index a {} column",
                    field.name, field.type_name
                )));
            }
            for field in &mut resource.fields {
                field.index = !field.unique;
            }
        }
        Change::Add(_) | Change::Remove(_) => {
            if let Some(field) = resource
                .fields
                .iter()
                .find(|f| !f.optional && f.default.is_none())
            {
                let when = match change {
                    Change::Remove(_) => "added back by the rollback",
                    _ => "added",
                };
                return Err(UsageError::new(format!(
                    "The column \"{}\" would be {when} to {table} with no value for the rows it has; make it optional or give it a default, such as {}:{}:default=…",
                    field.name, field.name, field.type_name
                )));
            }
            if let Some(field) = resource.fields.iter().find(|f| f.unique && !f.optional) {
                return Err(UsageError::new(format!(
                    "The unique column \"{}\" cannot be {} {table} as a required column: its default would give every row the same value; make it optional",
                    field.name,
                    match change {
                        Change::Remove(_) => "added back by the rollback to",
                        _ => "added to",
                    }
                )));
            }
            if let Some(field) = alter::needs_rebuild(&resource)
                && !recorded.is_some_and(|r| rebuildable(r, migrations))
            {
                let why = match recorded {
                    None => "axgen generated no resource for it",
                    Some(_) => "migrations changed it since axgen generated it",
                };
                return Err(UsageError::new(format!(
                    "SQLite cannot add or drop the column \"{field}\" in place (its foreign key or CHECK needs the table rebuilt), and axgen cannot write the rebuild of {table}: {why}"
                ))
                .with_hint(format!("{WRITE_THE_REBUILD}, or leave out this field")));
            }
        }
    }
    Ok(resource)
}

/// How to make a change of a SQLite table whose rebuild axgen cannot write.
const WRITE_THE_REBUILD: &str =
    "write this migration by hand, as https://www.sqlite.org/lang_altertable.html#otheralter shows";

/// Whether axgen can write the rebuild of `recorded`'s table: it knows its columns, as no
/// migration in `migrations` changed them since its schema module recorded them.
fn rebuildable(recorded: &Resource, migrations: &Path) -> bool {
    columns(recorded, migrations) == field_names(recorded)
}

/// The names of `resource`'s fields.
fn field_names(resource: &Resource) -> Vec<String> {
    resource.fields.iter().map(|f| f.name.clone()).collect()
}

/// The columns of `recorded`'s table other than its key and timestamps: its recorded fields,
/// then the columns the migrations axgen wrote in `dir` added or dropped since, in order
/// (since its last `--update`, which made the table what the schema module records).
fn columns(recorded: &Resource, dir: &Path) -> Vec<String> {
    let mut columns = field_names(recorded);
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.to_string_lossy().ends_with(".up.sql"))
        .collect();
    files.sort();
    let add = format!("ALTER TABLE {} ADD COLUMN ", recorded.table);
    let drop = format!("ALTER TABLE {} DROP COLUMN ", recorded.table);
    let mark = update_mark(&recorded.table);
    for text in files
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
    {
        if text.lines().any(|line| line == mark) {
            columns = field_names(recorded);
            continue;
        }
        for line in text.lines() {
            let column = |rest: &str| rest.split([' ', ';']).next().unwrap_or("").to_string();
            if let Some(rest) = line.strip_prefix(&add) {
                let column = column(rest);
                if !columns.contains(&column) {
                    columns.push(column);
                }
            } else if let Some(rest) = line.strip_prefix(&drop) {
                let column = column(rest);
                columns.retain(|c| *c != column);
            }
        }
    }
    columns
}

/// Refuses adding a column the table has, or removing or indexing one it does not have (as
/// [`columns`] knows them); a removed field must have the type it was recorded with.
fn check_against(
    change: Change<'_>,
    changed: &Resource,
    recorded: &Resource,
    columns: &[String],
) -> Result<(), UsageError> {
    let has = |name: &str| columns.iter().any(|c| c == name);
    for field in &changed.fields {
        let table = &recorded.table;
        match change {
            Change::Add(_) if has(&field.name) => {
                return Err(UsageError::new(format!(
                    "The table {table} already has the field \"{}\"; leave it out of the migration",
                    field.name
                )));
            }
            Change::Remove(_) if has(&field.name) => {
                let was = recorded.fields.iter().find(|f| f.name == field.name);
                if let Some(was) = was.filter(|was| was.type_name != field.type_name) {
                    return Err(UsageError::new(format!(
                        "The field \"{}\" of {table} is {}, not {}; give it as {}:{} so the rollback can add it back",
                        field.name,
                        naming::with_article(&was.type_name),
                        naming::with_article(&field.type_name),
                        field.name,
                        was.type_name
                    )));
                }
            }
            Change::Remove(_) | Change::AddIndex(_) if !has(&field.name) => {
                return Err(UsageError::new(format!(
                    "The table {table} has no field \"{}\" (its fields: {})",
                    field.name,
                    columns.join(", ")
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Gives each removed field the indexes its column has, as recorded, so that the migration
/// drops them first (SQLite cannot drop an indexed column) and its rollback makes them again.
fn keep_indexes(removed: &mut Resource, recorded: &Resource) {
    for field in &mut removed.fields {
        if let Some(was) = recorded.fields.iter().find(|f| f.name == field.name) {
            field.unique = was.unique;
            field.index = was.index;
        }
    }
}

/// Plans the migration pair of `change` on `resource` (the table with the change's fields).
fn plan_change(
    name: &str,
    change: Change<'_>,
    resource: &Resource,
    recorded: Option<&Resource>,
    version: i64,
    folder: &Path,
    templates: &Templates,
) -> Result<Plan> {
    let rebuilt = match (alter::needs_rebuild(resource), recorded) {
        (Some(_), Some(recorded)) => Some(rebuild(change, resource, recorded, templates)?),
        _ => None,
    };
    let alter = match (change, rebuilt) {
        (_, Some(rebuilt)) => rebuilt,
        (Change::Add(_), None) => alter::add_columns(resource),
        (Change::Remove(_), None) => alter::remove_columns(resource),
        (Change::AddIndex(_), None) => alter::add_indexes(resource),
        (Change::JoinTable(_), None) => unreachable!("join tables are planned by plan_alter"),
    };
    let mut plan = plan_alter(name, resource.adapter, &alter, version, folder, templates)?;
    if let Change::Remove(table) = change {
        let columns: Vec<&str> = resource.fields.iter().map(|f| f.name.as_str()).collect();
        plan.next_steps.extend([
            String::new(),
            format!(
                "The migration drops the data of {table}.{}; a rollback brings the column back, not the data. To rename a column, write the migration by hand.",
                columns.join(", ")
            ),
        ]);
    }
    Ok(plan)
}

/// SQLite's table rebuild for a change it cannot make in place (a foreign key or CHECK added
/// or dropped), from the table's recorded resource to the changed one and back.
fn rebuild(
    change: Change<'_>,
    changed: &Resource,
    recorded: &Resource,
    templates: &Templates,
) -> Result<Alter> {
    let mut after = recorded.clone();
    match change {
        Change::Add(_) => after.fields.extend(changed.fields.iter().cloned()),
        _ => after
            .fields
            .retain(|field| !changed.fields.iter().any(|gone| gone.name == field.name)),
    }
    rebuild_between(recorded, &after, &[], templates)
}

/// SQLite's table rebuild from `before` to `after` (the same table with other fields), and
/// back; the way there runs `prepare` on the old table first.
fn rebuild_between(
    before: &Resource,
    after: &Resource,
    prepare: &[String],
    templates: &Templates,
) -> Result<Alter> {
    let create = |resource: &Resource, name: &str| -> Result<String> {
        let mut model = Model::new(resource, "", "schema");
        model.table.name = name.to_string();
        templates.render("schema/up.sql.jinja", &to_value(&model))
    };
    let temporary = format!("_axgen_new_{}", before.table);
    Ok(Alter {
        up: alter::rebuild(
            before,
            after,
            prepare,
            &create(after, &temporary)?,
            &temporary,
        ),
        down: alter::rebuild(after, before, &[], &create(before, &temporary)?, &temporary),
        no_transaction: true,
    })
}

/// The line that opens the migration of `gen ... --update` of a table: from that migration
/// on, the table's columns are the fields its schema module records ([`columns`]).
fn update_mark(table: &str) -> String {
    format!("-- axgen --update of {table}: its columns are the fields its schema module records.")
}

/// The fields of an `--update` ([`plan_update`]): added, as given (`view_count:integer`), and
/// removed, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct UpdatedFields<'a> {
    pub added: &'a [String],
    pub removed: &'a [String],
    /// The names of the fields both have, with another type, constraint or default.
    pub changed: &'a [String],
}

/// The migration of `gen ... --update`: the table of `recorded` becomes the table of
/// `updated`, `fields.added` added and `fields.removed` dropped, in one pair in `migrations/`
/// (SQLite's rebuild when a foreign key or CHECK comes or goes). Refuses what
/// `gen migration` refuses: a required column without a default, a removed column the
/// table does not have.
pub fn plan_update(
    recorded: &Resource,
    updated: &Resource,
    fields: UpdatedFields<'_>,
    known: &BTreeMap<String, Resource>,
    root: &Path,
    now: DateTime<Utc>,
    templates: &Templates,
) -> Result<Plan> {
    let folder = Path::new(MIGRATIONS_DIR);
    let migrations = root.join(folder);
    let version = next_version(&existing(&migrations)?, now);
    let table = recorded.table.as_str();
    let adapter = recorded.adapter;
    let change = |change: Change<'_>, fields: &[String]| -> Result<Option<Resource>> {
        if fields.is_empty() {
            return Ok(None);
        }
        Ok(Some(changed_table(
            change,
            fields,
            adapter,
            known,
            &migrations,
        )?))
    };
    let adds = change(Change::Add(table), fields.added)?;
    let removes = change(Change::Remove(table), fields.removed)?;
    // The changed fields alone, in the same order on both sides.
    let only_changed = |resource: &Resource| {
        let mut only = resource.clone();
        only.fields = (fields.changed.iter())
            .filter_map(|name| resource.fields.iter().find(|f| f.name == *name).cloned())
            .collect();
        only
    };
    let (was, now) = (only_changed(recorded), only_changed(updated));
    let (changes, rebuilt_for_changes) = alter::change_columns(&was, &now)
        .map_err(|why| UsageError::new(format!("--update cannot change the field {why}")))?;
    let names =
        |resource: &Option<Resource>| resource.as_ref().map(field_names).unwrap_or_default();
    let (added, removed) = (names(&adds), names(&removes));
    let name = match (
        added.is_empty(),
        removed.is_empty(),
        fields.changed.is_empty(),
    ) {
        (false, true, true) => format!("add_{}_to_{table}", added.join("_and_")),
        (true, false, true) => format!("remove_{}_from_{table}", removed.join("_and_")),
        _ => format!("update_{table}"),
    };
    let rebuilt = rebuilt_for_changes
        || adds
            .iter()
            .chain(&removes)
            .any(|resource| alter::needs_rebuild(resource).is_some());
    if rebuilt && !rebuildable(recorded, &migrations) {
        return Err(UsageError::new(format!(
            "SQLite cannot make this change to {table} in place, and axgen cannot write the rebuild of the table: migrations changed it since axgen generated it"
        ))
        .with_hint(WRITE_THE_REBUILD)
        .into());
    }
    let mut alter = if rebuilt {
        // NULLs get their column's new default before the rows are copied into the rebuilt
        // table.
        rebuild_between(recorded, updated, &alter::fill_nulls(&was, &now), templates)?
    } else {
        let adds = adds.as_ref().map(alter::add_columns);
        let removes = removes.as_ref().map(alter::remove_columns);
        let mut alter = Alter {
            up: Vec::new(),
            down: Vec::new(),
            no_transaction: false,
        };
        // Up adds, drops, then changes; down undoes them in the opposite order.
        for change in adds.iter().chain(&removes).chain([&changes]) {
            alter.up.extend(change.up.iter().cloned());
        }
        for change in [&changes].into_iter().chain(&removes).chain(&adds) {
            alter.down.extend(change.down.iter().cloned());
        }
        alter
    };
    alter.up.insert(0, update_mark(table));
    let mut plan = plan_alter(&name, adapter, &alter, version, folder, templates)?;
    if !removed.is_empty() {
        // Said even by a dry run: a renamed field reads as one removed and one added.
        plan.warnings.push(format!(
            "the migration drops the data of {table}.{} (a rollback brings the column back, not the data); to rename a column instead, write that migration by hand",
            removed.join(", ")
        ));
    }
    Ok(plan)
}

/// Plans the migration pair `name` holding the statements of `alter`.
fn plan_alter(
    name: &str,
    adapter: Adapter,
    alter: &Alter,
    version: i64,
    folder: &Path,
    templates: &Templates,
) -> Result<Plan> {
    let context = context! {
        name => name,
        dialect => dialect_name(adapter),
        up => &alter.up,
        down => &alter.down,
        no_transaction => alter.no_transaction,
    };
    let mut plan = Plan::default();
    let templates_pair = (
        "migration/change.up.sql.jinja",
        "migration/change.down.sql.jinja",
    );
    let base = folder.join(stem(version, name));
    plan_pair(&mut plan, &base, templates_pair, &context, templates)?;
    plan.next_steps = vec![
        "Remember to update your repository by running migrations:".into(),
        String::new(),
        migrate_command(folder),
    ];
    Ok(plan)
}

/// The join table of `create_join_table_<tables>`: the two tables are split where both are
/// tables of the app (recorded resources, or made by its migrations), else at the only
/// underscore.
fn join_table(
    tables: &str,
    adapter: Adapter,
    known: &BTreeMap<String, Resource>,
    migrations: &Path,
) -> Result<Alter> {
    let exists = |table: &str| -> Result<bool> {
        Ok(known.contains_key(table) || schema::migration_creating(migrations, table)?.is_some())
    };
    let splits: Vec<(&str, &str)> = tables
        .match_indices('_')
        .map(|(at, _)| (&tables[..at], &tables[at + 1..]))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .collect();
    let mut chosen = None;
    for (a, b) in &splits {
        if exists(a)? && exists(b)? {
            chosen = Some((*a, *b));
            break;
        }
    }
    let Some((a, b)) = chosen.or(match splits.as_slice() {
        [only] => Some(*only),
        _ => None,
    }) else {
        return Err(UsageError::new(format!(
            "The join table \"{tables}\" does not say which two tables it joins: no split of it names two tables of the app"
        ))
        .with_hint("generate both tables first, or write this migration by hand")
        .into());
    };
    if exists(tables)? {
        return Err(UsageError::new(format!(
            "The table \"{tables}\" already exists in the app, so a migration cannot create it"
        ))
        .into());
    }
    let side = |table: &str| {
        let recorded = known.get(table);
        JoinSide {
            column: format!("{}_id", naming::singular_of(table)),
            table: table.to_string(),
            key: recorded.map_or_else(|| "id".to_string(), |r| r.primary_key.clone()),
            sql_type: types::id(recorded.is_some_and(|r| r.binary_id))
                .sql
                .get(adapter)
                .to_string(),
        }
    };
    let (first, second) = (side(a), side(b));
    if first.column == second.column {
        return Err(UsageError::new(format!(
            "The join table \"{tables}\" would have the column {} twice; write a table joining {a} to itself by hand",
            first.column
        ))
        .into());
    }
    Ok(alter::join_table(tables, [&first, &second]))
}

/// `axgen migrate`, with the `--migrations-path` of `folder` when it is not the default.
fn migrate_command(folder: &Path) -> String {
    if folder == Path::new(MIGRATIONS_DIR) {
        "    $ axgen migrate".into()
    } else {
        format!("    $ axgen migrate --migrations-path {}", folder.display())
    }
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

/// What `gen migration` is asked for: a name, the fields of its change, and where to write.
#[derive(Debug, Clone, Default)]
pub struct MigrationRequest {
    /// `add_view_count_to_videos`.
    pub name: String,
    /// The columns the name's change is about: `view_count:integer:default=0`.
    pub fields: Vec<String>,
    /// `--migrations-path`, if given.
    pub migrations_path: Option<PathBuf>,
    pub dry_run: bool,
}

/// The change a migration's name asks for, as Rails reads it, with its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change<'a> {
    /// `add_<what>_to_<table>`: add the fields as columns.
    Add(&'a str),
    /// `remove_<what>_from_<table>`: drop the fields' columns.
    Remove(&'a str),
    /// `add_index_to_<table>`: index the fields.
    AddIndex(&'a str),
    /// `create_join_table_<a>_<b>`: a table joining two tables.
    JoinTable(&'a str),
}

impl<'a> Change<'a> {
    /// The change `name` asks for; with a table name that itself holds `_to_` or `_from_`, the
    /// split naming a table axgen generated wins, else the last one.
    fn of(name: &'a str, known: &BTreeMap<String, Resource>) -> Option<Change<'a>> {
        if let Some(table) = name.strip_prefix("add_index_to_") {
            return Some(Change::AddIndex(table));
        }
        if let Some(tables) = name.strip_prefix("create_join_table_") {
            return Some(Change::JoinTable(tables));
        }
        let split = |rest: &'a str, word: &str| {
            let tables: Vec<&'a str> = rest
                .match_indices(word)
                .map(|(at, _)| &rest[at + word.len()..])
                .filter(|table| !table.is_empty())
                .collect();
            let known_table = tables.iter().find(|t| known.contains_key(**t));
            known_table.or(tables.last()).copied()
        };
        if let Some(rest) = name.strip_prefix("add_") {
            return split(rest, "_to_").map(Change::Add);
        }
        if let Some(rest) = name.strip_prefix("remove_") {
            return split(rest, "_from_").map(Change::Remove);
        }
        None
    }

    fn table(self) -> &'a str {
        match self {
            Change::Add(table)
            | Change::Remove(table)
            | Change::AddIndex(table)
            | Change::JoinTable(table) => table,
        }
    }
}

/// `axgen gen migration NAME [FIELD...]` into `migrations/`, or the folder `--migrations-path`
/// names (inside the app); `--dry-run` prints the plan and writes nothing.
pub fn run(request: &MigrationRequest, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    let MigrationRequest {
        name,
        fields,
        migrations_path,
        dry_run,
    } = request;
    let (name, dry_run) = (name.as_str(), *dry_run);
    let project = Project::find(cwd)?;
    let folder = folder_in_app(&project.root, migrations_path.as_deref(), cwd)?;
    let existing = existing(&project.root.join(&folder))?;
    validate_name(name, &existing)?;
    let version = next_version(&existing, Utc::now());
    let templates = Templates::new(Some(&project.root));
    let known = super::app::recorded_resources(&project.root, project.adapter());
    let migrations = project.root.join(&folder);
    let plan = match (Change::of(name, &known), fields.is_empty()) {
        (Some(Change::JoinTable(tables)), true) => {
            let alter = join_table(tables, project.adapter(), &known, &migrations)?;
            plan_alter(
                name,
                project.adapter(),
                &alter,
                version,
                &folder,
                &templates,
            )?
        }
        (Some(Change::JoinTable(_)), false) => {
            return Err(UsageError::new(format!(
                "The migration \"{name}\" makes a join table, which takes no fields: its columns are the ids of the two tables"
            ))
            .into());
        }
        (_, true) => plan(name, version, &folder, project.adapter(), &templates)?,
        (Some(change), false) => {
            let resource = changed_table(change, fields, project.adapter(), &known, &migrations)?;
            let recorded = known.get(change.table());
            plan_change(
                name, change, &resource, recorded, version, &folder, &templates,
            )?
        }
        (None, false) => {
            return Err(UsageError::new(format!(
                "The migration \"{name}\" is given fields, but its name says no change axgen can write from them"
            ))
            .with_hint(
                "name it add_<what>_to_<table>, remove_<what>_from_<table> or add_index_to_<table>, or leave out the fields and write the SQL yourself",
            )
            .into());
        }
    };
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
