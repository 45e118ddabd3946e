//! The statements of a migration that changes an existing table (`gen migration
//! add_x_to_t`, `remove_x_from_t`, `add_index_to_t`), in each dialect, and of its undo.
//!
//! Columns, constraints and index names are those `gen schema` gives a table created with the
//! same fields ([`super::table`]), so a column added later reads as one made at the start.

use serde::Serialize;

use crate::adapter::Adapter;
use crate::spec::{Field, Resource};

use super::{Check, Column, ForeignKey, Index, table};

/// A change and its undo, each a list of statements in the order they run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alter {
    pub up: Vec<String>,
    pub down: Vec<String>,
    /// Whether the statements manage their own transaction (SQLite's rebuild, which must turn
    /// foreign keys off outside one): the files start with sqlx's `-- no-transaction`.
    pub no_transaction: bool,
}

/// What a table change needs SQLite to rebuild the table for: it cannot add or drop a
/// foreign key or a CHECK constraint in place (an added column's inline ones could not be
/// dropped again).
pub fn needs_rebuild(resource: &Resource) -> Option<String> {
    if resource.adapter != Adapter::Sqlite {
        return None;
    }
    resource
        .fields
        .iter()
        .find(|field| field.references.is_some() || !field.enum_values.is_empty())
        .map(|field| field.name.clone())
}

/// Adds the fields of `resource` (the changed table, with only the new fields) as columns,
/// with their checks, indexes and foreign keys; the undo drops them.
pub fn add_columns(resource: &Resource) -> Alter {
    let parts = Parts::of(resource);
    let mut up: Vec<String> = parts.columns.iter().map(|c| parts.add_column(c)).collect();
    up.extend(parts.checks.iter().filter_map(|c| parts.add_check(c)));
    up.extend(parts.indexes.iter().map(|i| parts.create_index(i)));
    up.extend(
        parts
            .foreign_keys
            .iter()
            .filter_map(|f| parts.add_foreign_key(f)),
    );
    let mut down: Vec<String> = parts
        .foreign_keys
        .iter()
        .rev()
        .filter_map(|f| parts.drop_foreign_key(f))
        .collect();
    down.extend(parts.indexes.iter().rev().map(|i| parts.drop_index(i)));
    down.extend(
        parts
            .checks
            .iter()
            .rev()
            .filter_map(|c| parts.drop_check(c)),
    );
    down.extend(parts.columns.iter().rev().map(|c| parts.drop_column(c)));
    Alter {
        up,
        down,
        no_transaction: false,
    }
}

/// Drops the fields of `resource` (the changed table, with only the removed fields); the undo
/// adds them back as they were (without their data).
pub fn remove_columns(resource: &Resource) -> Alter {
    let Alter { up, down, .. } = add_columns(resource);
    Alter {
        up: down,
        down: up,
        no_transaction: false,
    }
}

/// Indexes the fields of `resource` (unique ones with a unique index); the undo drops them.
pub fn add_indexes(resource: &Resource) -> Alter {
    let parts = Parts::of(resource);
    Alter {
        no_transaction: false,
        up: parts
            .indexes
            .iter()
            .map(|i| parts.create_index(i))
            .collect(),
        down: parts
            .indexes
            .iter()
            .rev()
            .map(|i| parts.drop_index(i))
            .collect(),
    }
}

/// The statements of SQLite's table rebuild (https://www.sqlite.org/lang_altertable.html#otheralter)
/// from `before` to `after`, the same table with other fields: with foreign keys off and in a
/// transaction of its own, `prepare` runs on the old table (filling its NULLs, say), the old
/// indexes go, `create` makes the new table as `temporary` with its indexes, the rows common
/// columns hold are copied, and the new table takes the old one's place (tables referencing
/// it by name reference the new one).
pub fn rebuild(
    before: &Resource,
    after: &Resource,
    prepare: &[String],
    create: &str,
    temporary: &str,
) -> Vec<String> {
    let name = &before.table;
    let kept: Vec<&str> = std::iter::once(before.primary_key.as_str())
        .chain(
            before
                .fields
                .iter()
                .filter(|f| after.fields.iter().any(|a| a.name == f.name))
                .map(|f| f.name.as_str()),
        )
        .chain(super::TIMESTAMPS)
        .collect();
    let kept = kept.join(", ");
    let mut statements = vec![
        "PRAGMA foreign_keys = OFF;".to_string(),
        "BEGIN;".to_string(),
    ];
    statements.extend(prepare.iter().cloned());
    statements.extend(
        table(before)
            .indexes
            .iter()
            .map(|index| format!("DROP INDEX {};", index.name)),
    );
    statements.extend([
        create.trim_end().to_string(),
        format!("INSERT INTO {temporary} ({kept}) SELECT {kept} FROM {name};"),
        format!("DROP TABLE {name};"),
        format!("ALTER TABLE {temporary} RENAME TO {name};"),
        "COMMIT;".to_string(),
        "PRAGMA foreign_keys = ON;".to_string(),
    ]);
    statements
}

/// Changes the columns of `before`'s fields into those of `after`'s (the same fields by name,
/// in the same order, each with another type, constraint or default), with their indexes and
/// enum checks; the undo changes them back. Only what every dialect converts in place is
/// changed: `Err` names the first field that is not and why. On SQLite, which alters no
/// column, the second value says that the table must be rebuilt instead (indexes still change
/// in place).
pub fn change_columns(before: &Resource, after: &Resource) -> Result<(Alter, bool), String> {
    for (was, now) in before.fields.iter().zip(&after.fields) {
        if let Some(why) = unconvertible(was, now) {
            return Err(format!("{}: {why}", now.name));
        }
    }
    let (up, rebuild) = column_changes(before, after);
    let (down, _) = column_changes(after, before);
    Ok((
        Alter {
            up,
            down,
            no_transaction: false,
        },
        rebuild,
    ))
}

/// Why the column of `was` cannot become the column of `now` in place, if it cannot.
fn unconvertible(was: &Field, now: &Field) -> Option<String> {
    use crate::spec::Kind;
    let widening = |a: Kind, b: Kind| {
        matches!(
            (a, b),
            (Kind::String, Kind::Text)
                | (Kind::Text, Kind::String)
                | (Kind::Integer, Kind::Bigint)
                | (Kind::Bigint, Kind::Integer)
        )
    };
    let same_type = was.type_name == now.type_name && was.array_of == now.array_of;
    if !same_type && (!widening(was.kind, now.kind) || was.array_of.is_some()) {
        return Some(format!(
            "{} cannot become {} in place (a string and text can, an integer and a bigint can); add a new field beside it and copy the data in a migration written by hand",
            crate::naming::with_article(&was.type_name),
            crate::naming::with_article(&now.type_name)
        ));
    }
    let reference = |f: &Field| {
        let r = f.references.as_ref()?;
        Some((r.table.clone(), r.on_delete))
    };
    if reference(was) != reference(now) {
        return Some(
            "its foreign key cannot change in place; remove the field in one update and add it back in the next".to_string(),
        );
    }
    if was.optional && !now.optional && now.default_sql.is_none() {
        return Some(format!(
            "its rows may hold NULL, which a required column cannot; give it a default to fill them with, such as {}:{}:default=…",
            now.name, now.type_name
        ));
    }
    None
}

/// The statements giving each column of `before`'s fields that `after` makes required its
/// new default where it is NULL (so that it can be made NOT NULL).
pub fn fill_nulls(before: &Resource, after: &Resource) -> Vec<String> {
    let (was, now) = (Parts::of(before), Parts::of(after));
    was.columns
        .iter()
        .zip(&now.columns)
        .filter_map(
            |(old, new)| match (old.not_null, new.not_null, &new.default) {
                (false, true, Some(default)) => Some(format!(
                    "UPDATE {} SET {} = {default} WHERE {} IS NULL;",
                    now.table, new.name, new.name
                )),
                _ => None,
            },
        )
        .collect()
}

/// The statements changing `before`'s columns into `after`'s, and whether SQLite must rebuild
/// the table for them. A column made required first gets its default where it is NULL.
fn column_changes(before: &Resource, after: &Resource) -> (Vec<String>, bool) {
    let (was, now) = (Parts::of(before), Parts::of(after));
    let mut statements = fill_nulls(before, after);
    let gone = |index: &&Index| !now.indexes.contains(index);
    statements.extend(was.indexes.iter().filter(gone).map(|i| was.drop_index(i)));
    let changed_checks: Vec<(&Check, &Check)> = was
        .checks
        .iter()
        .zip(&now.checks)
        .filter(|(old, new)| old != new)
        .collect();
    statements.extend(
        changed_checks
            .iter()
            .filter_map(|(old, _)| was.drop_check(old)),
    );
    let mut rebuild = !changed_checks.is_empty() && now.adapter == Adapter::Sqlite;
    for (old, new) in was.columns.iter().zip(&now.columns) {
        if old == new {
            continue;
        }
        match now.adapter {
            Adapter::Sqlite => rebuild = true,
            Adapter::Postgres => statements.extend(now.alter_column(old, new)),
            Adapter::Mysql => statements.push(now.modify_column(new)),
        }
    }
    statements.extend(
        changed_checks
            .iter()
            .filter_map(|(_, new)| now.add_check(new)),
    );
    let made = |index: &&Index| !was.indexes.contains(index);
    statements.extend(now.indexes.iter().filter(made).map(|i| now.create_index(i)));
    (statements, rebuild)
}

/// One side of a join table: its column and the table it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinSide {
    /// `post_id`.
    pub column: String,
    /// `posts`.
    pub table: String,
    /// The referenced key: `id`.
    pub key: String,
    /// The key's column type in the dialect.
    pub sql_type: String,
}

/// A join table of two tables (`posts_tags`): a column referencing each, removed with the row
/// it references, and a unique index on the pair (the first column leads it, so the second
/// gets its own index); the undo drops it.
pub fn join_table(table: &str, sides: [&JoinSide; 2]) -> Alter {
    let mut lines: Vec<String> = sides
        .iter()
        .map(|side| format!("    {} {} NOT NULL", side.column, side.sql_type))
        .collect();
    lines.extend(sides.iter().map(|side| {
        format!(
            "    CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE CASCADE",
            super::constraint_name(table, &side.column, "fkey"),
            side.column,
            side.table,
            side.key
        )
    }));
    let [first, second] = sides;
    let pair = [first.column.as_str(), second.column.as_str()].join("_");
    let pair_index = super::index_name(table, &pair);
    let second_index = super::index_name(table, &second.column);
    Alter {
        up: vec![
            format!("CREATE TABLE {table} (\n{}\n);", lines.join(",\n")),
            format!(
                "CREATE UNIQUE INDEX {pair_index} ON {table} ({}, {});",
                first.column, second.column
            ),
            format!(
                "CREATE INDEX {second_index} ON {table} ({});",
                second.column
            ),
        ],
        // The indexes go with the table.
        down: vec![format!("DROP TABLE {table};")],
        no_transaction: false,
    }
}

/// The columns, constraints and indexes of a resource's fields, as [`table`] makes them.
struct Parts {
    adapter: Adapter,
    table: String,
    columns: Vec<Column>,
    checks: Vec<Check>,
    foreign_keys: Vec<ForeignKey>,
    indexes: Vec<Index>,
}

impl Parts {
    fn of(resource: &Resource) -> Parts {
        let mut made = table(resource);
        made.columns.truncate(resource.fields.len());
        Parts {
            adapter: resource.adapter,
            table: made.name,
            columns: made.columns,
            checks: made.checks,
            foreign_keys: made.foreign_keys,
            indexes: made.indexes,
        }
    }

    fn add_column(&self, column: &Column) -> String {
        let mut sql = format!(
            "ALTER TABLE {} ADD COLUMN {} {}",
            self.table, column.name, column.sql_type
        );
        if column.not_null {
            sql.push_str(" NOT NULL");
        }
        if let Some(default) = &column.default {
            sql.push_str(" DEFAULT ");
            sql.push_str(default);
        }
        sql + ";"
    }

    /// PostgreSQL's statements changing `old` into `new`: type, then NULL, then default.
    fn alter_column(&self, old: &Column, new: &Column) -> Vec<String> {
        let alter = format!("ALTER TABLE {} ALTER COLUMN {}", self.table, new.name);
        let mut statements = Vec::new();
        if old.sql_type != new.sql_type {
            statements.push(format!("{alter} TYPE {};", new.sql_type));
        }
        if old.not_null != new.not_null {
            let verb = if new.not_null { "SET" } else { "DROP" };
            statements.push(format!("{alter} {verb} NOT NULL;"));
        }
        if old.default != new.default {
            statements.push(match &new.default {
                Some(default) => format!("{alter} SET DEFAULT {default};"),
                None => format!("{alter} DROP DEFAULT;"),
            });
        }
        statements
    }

    /// MySQL's statement giving a column the definition of `new`.
    fn modify_column(&self, new: &Column) -> String {
        let added = self.add_column(new);
        let definition = added
            .split_once(" ADD COLUMN ")
            .map_or(added.as_str(), |(_, definition)| definition);
        format!("ALTER TABLE {} MODIFY COLUMN {definition}", self.table)
    }

    fn drop_column(&self, column: &Column) -> String {
        format!("ALTER TABLE {} DROP COLUMN {};", self.table, column.name)
    }

    fn add_check(&self, check: &Check) -> Option<String> {
        let values: Vec<String> = check.values.iter().map(|v| format!("'{v}'")).collect();
        (self.adapter != Adapter::Sqlite).then(|| {
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IN ({}));",
                self.table,
                check.name,
                check.column,
                values.join(", ")
            )
        })
    }

    fn drop_check(&self, check: &Check) -> Option<String> {
        (self.adapter != Adapter::Sqlite)
            .then(|| format!("ALTER TABLE {} DROP CONSTRAINT {};", self.table, check.name))
    }

    fn add_foreign_key(&self, fk: &ForeignKey) -> Option<String> {
        (self.adapter != Adapter::Sqlite).then(|| {
            let on_delete = fk
                .on_delete
                .map(|clause| format!(" {clause}"))
                .unwrap_or_default();
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){on_delete};",
                self.table, fk.name, fk.column, fk.table, fk.references
            )
        })
    }

    fn drop_foreign_key(&self, fk: &ForeignKey) -> Option<String> {
        let clause = match self.adapter {
            Adapter::Sqlite => return None,
            Adapter::Postgres => "DROP CONSTRAINT",
            Adapter::Mysql => "DROP FOREIGN KEY",
        };
        Some(format!("ALTER TABLE {} {clause} {};", self.table, fk.name))
    }

    fn create_index(&self, index: &Index) -> String {
        let unique = if index.unique { "UNIQUE " } else { "" };
        format!(
            "CREATE {unique}INDEX {} ON {} ({});",
            index.name, self.table, index.column
        )
    }

    fn drop_index(&self, index: &Index) -> String {
        match self.adapter {
            Adapter::Mysql => format!("DROP INDEX {} ON {};", index.name, self.table),
            Adapter::Sqlite | Adapter::Postgres => format!("DROP INDEX {};", index.name),
        }
    }
}
