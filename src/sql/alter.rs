//! The statements of a migration that changes an existing table (`gen migration
//! add_x_to_t`, `remove_x_from_t`, `add_index_to_t`), in each dialect, and of its undo.
//!
//! Columns, constraints and index names are those `gen schema` gives a table created with the
//! same fields ([`super::table`]), so a column added later reads as one made at the start.

use serde::Serialize;

use crate::adapter::Adapter;
use crate::spec::Resource;

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
/// transaction of its own, the old indexes go, `create` makes the new table as `temporary`
/// with its indexes, the rows common columns hold are copied, and the new table takes the
/// old one's place (tables referencing it by name reference the new one).
pub fn rebuild(before: &Resource, after: &Resource, create: &str, temporary: &str) -> Vec<String> {
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
