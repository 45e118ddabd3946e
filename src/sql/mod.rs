//! SQL per dialect (SQLite, PostgreSQL, MySQL) for a resource, as data for the templates:
//! the table's columns, constraints and indexes for its migration, the columns and
//! placeholders of every query the context runs, and how each value crosses the driver.
//!
//! Templates only lay this data out; every SQL name, type and placeholder is decided here.

pub mod alter;

use serde::Serialize;

use crate::adapter::Adapter;
use crate::spec::types;
use crate::spec::{Field, Kind, OnDelete, Resource};

/// The longest identifier PostgreSQL keeps (MySQL allows 64).
const MAX_IDENTIFIER: usize = 63;

/// The columns every table gets after its fields.
pub const TIMESTAMPS: [&str; 2] = ["inserted_at", "updated_at"];

/// How a value crosses the sqlx driver of a dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// The driver encodes and decodes the Rust type itself.
    Native,
    /// As text through `sqlx::types::Text` (`Display`/`FromStr`): enums everywhere,
    /// decimals on SQLite, UUIDs on SQLite and MySQL.
    Text,
    /// As JSON through `sqlx::types::Json`: arrays on SQLite and MySQL.
    Json,
}

/// How a field's value crosses the driver of `adapter`.
pub fn codec(adapter: Adapter, field: &Field) -> Codec {
    match field.kind {
        Kind::Enum => Codec::Text,
        Kind::Array if adapter != Adapter::Postgres => Codec::Json,
        Kind::Decimal if adapter == Adapter::Sqlite => Codec::Text,
        Kind::Uuid => uuid_codec(adapter),
        Kind::References => id_codec(adapter, field.references.as_ref().is_some_and(is_uuid)),
        _ => Codec::Native,
    }
}

/// How an id (or a reference to one) crosses the driver: UUIDs are text outside PostgreSQL.
pub fn id_codec(adapter: Adapter, binary_id: bool) -> Codec {
    if binary_id {
        uuid_codec(adapter)
    } else {
        Codec::Native
    }
}

fn uuid_codec(adapter: Adapter) -> Codec {
    match adapter {
        Adapter::Postgres => Codec::Native,
        Adapter::Sqlite | Adapter::Mysql => Codec::Text,
    }
}

fn is_uuid(reference: &crate::spec::Reference) -> bool {
    reference.rust_type == types::id(true).rust
}

/// The DDL of a resource's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub name: String,
    pub id: IdColumn,
    /// The fields' columns, then the timestamps.
    pub columns: Vec<Column>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
}

/// The primary key column: `id`, or the one `--primary-key` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdColumn {
    pub name: String,
    pub sql_type: String,
    /// What numbers new rows (`AUTOINCREMENT`, `AUTO_INCREMENT`...); `None` for UUIDs,
    /// which the app generates.
    pub autoincrement: Option<&'static str>,
}

/// A column other than the primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub sql_type: String,
    pub not_null: bool,
    /// The column's `DEFAULT`, if any.
    pub default: Option<String>,
}

/// A CHECK constraint keeping an enum column to its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub column: String,
    /// The allowed values, unquoted (snake_case, so they need no escaping).
    pub values: Vec<String>,
}

/// A foreign key of a references field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    pub name: String,
    pub column: String,
    pub table: String,
    pub references: String,
    /// `ON DELETE CASCADE` or `ON DELETE SET NULL`; none for the default (refused while
    /// referenced).
    pub on_delete: Option<&'static str>,
}

/// An index on one column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    pub name: String,
    pub column: String,
    pub unique: bool,
}

/// The default of `inserted_at` and `updated_at`: the current UTC time to the second, written
/// as the app writes it, so that rows inserted by hand-written SQL (seeds) read the same.
pub fn now_default(adapter: Adapter) -> &'static str {
    match adapter {
        Adapter::Sqlite => "(strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'))",
        Adapter::Postgres => "CURRENT_TIMESTAMP(0)",
        Adapter::Mysql => "(UTC_TIMESTAMP())",
    }
}

/// The table of `resource`, in its adapter's dialect.
pub fn table(resource: &Resource) -> Table {
    let adapter = resource.adapter;
    let timestamp_type = types::lookup("utc_datetime")
        .expect("types.toml has utc_datetime")
        .sql
        .get(adapter);
    let columns = resource
        .fields
        .iter()
        .map(|field| Column {
            name: field.name.clone(),
            sql_type: field.sql_type.clone(),
            not_null: !field.optional,
            default: field.default_sql.clone(),
        })
        .chain(resource.scope.iter().map(|scope| Column {
            name: scope.column.clone(),
            sql_type: scope.sql_type.clone(),
            not_null: true,
            default: None,
        }))
        .chain(TIMESTAMPS.iter().map(|name| Column {
            name: (*name).to_string(),
            sql_type: timestamp_type.to_string(),
            not_null: true,
            default: Some(now_default(adapter).to_string()),
        }))
        .collect();
    Table {
        name: resource.table.clone(),
        id: IdColumn {
            name: resource.primary_key.clone(),
            sql_type: resource.id_sql_type.clone(),
            autoincrement: (!resource.binary_id).then(|| autoincrement(adapter)),
        },
        columns,
        checks: checks(resource),
        foreign_keys: foreign_keys(resource),
        indexes: indexes(resource),
    }
}

fn autoincrement(adapter: Adapter) -> &'static str {
    match adapter {
        Adapter::Sqlite => "AUTOINCREMENT",
        Adapter::Postgres => "GENERATED BY DEFAULT AS IDENTITY",
        Adapter::Mysql => "AUTO_INCREMENT",
    }
}

fn checks(resource: &Resource) -> Vec<Check> {
    resource
        .fields
        .iter()
        .filter(|field| !field.enum_values.is_empty())
        .map(|field| Check {
            name: constraint_name(&resource.table, &field.name, "check"),
            column: field.name.clone(),
            values: field.enum_values.clone(),
        })
        .collect()
}

fn foreign_keys(resource: &Resource) -> Vec<ForeignKey> {
    resource
        .fields
        .iter()
        .filter_map(|field| {
            field.references.as_ref().map(|reference| ForeignKey {
                name: constraint_name(&resource.table, &field.name, "fkey"),
                column: field.name.clone(),
                table: reference.table.clone(),
                references: reference.column.clone(),
                on_delete: match reference.on_delete {
                    OnDelete::Restrict => None,
                    OnDelete::Cascade => Some("ON DELETE CASCADE"),
                    OnDelete::Nullify => Some("ON DELETE SET NULL"),
                },
            })
        })
        .chain(resource.scope.iter().map(|scope| ForeignKey {
            name: constraint_name(&resource.table, &scope.column, "fkey"),
            column: scope.column.clone(),
            table: scope.table.clone(),
            references: scope.references.clone(),
            on_delete: Some("ON DELETE CASCADE"),
        }))
        .collect()
}

fn indexes(resource: &Resource) -> Vec<Index> {
    resource
        .fields
        .iter()
        .filter(|field| field.unique || field.index)
        .map(|field| Index {
            name: index_name(&resource.table, &field.name),
            column: field.name.clone(),
            unique: field.unique,
        })
        .chain(resource.scope.iter().map(|scope| Index {
            name: index_name(&resource.table, &scope.column),
            column: scope.column.clone(),
            unique: false,
        }))
        .collect()
}

/// The name of the index on `column`: `posts_email_index`, as Ecto names it.
pub fn index_name(table: &str, column: &str) -> String {
    constraint_name(table, column, "index")
}

/// `<table>_<column>_<suffix>`, as Ecto names it. A name longer than the longest identifier
/// every dialect keeps (PostgreSQL cuts at 63 bytes, MySQL refuses more than 64) is cut and
/// given the CRC-32 of the whole name before the suffix, so two long names that share their
/// first 63 bytes stay distinct: `<cut>_<8 hex digits>_<suffix>`. Every generated file takes
/// the name from [`Table`], computed here once.
pub(crate) fn constraint_name(table: &str, column: &str, suffix: &str) -> String {
    let full = [table, column, suffix].join("_");
    if full.len() <= MAX_IDENTIFIER {
        return full;
    }
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    let hash = format!("{:08x}", CRC.checksum(full.as_bytes()));
    let mut base = [table, column].join("_");
    base.truncate(MAX_IDENTIFIER - hash.len() - suffix.len() - 2);
    let base = base.trim_end_matches('_');
    [base, hash.as_str(), suffix].join("_")
}

/// The tables `up.sql` files in `migrations` create, for refusing a second `CREATE TABLE`.
pub fn created_tables(sql: &str) -> Vec<String> {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut tables = Vec::new();
    for (i, pair) in words.windows(2).enumerate() {
        if pair != ["create", "table"] {
            continue;
        }
        let rest = &words[i + 2..];
        let skip = if rest.starts_with(&["if".into(), "not".into(), "exists".into()]) {
            3
        } else {
            0
        };
        if let Some(name) = rest.get(skip) {
            let name = name.rsplit('.').next().unwrap_or(name);
            tables.push(name.trim_matches(['"', '`', '[', ']']).to_string());
        }
    }
    tables
}

/// The statements the context runs for a resource, as the lists of columns and placeholders
/// its raw string literals hold. A list is joined by ", " and wrapped into lines of at most
/// [`LIST_WIDTH`] characters, each line after the first indented by [`CONTINUED`], as the
/// context lays out its statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queries {
    /// Every column, for `SELECT` and `RETURNING`.
    pub columns: String,
    /// The placeholder of a statement with one parameter.
    pub param: String,
    /// The placeholders of a page: `LIMIT {0} OFFSET {1}`; see [`limit_placeholder`].
    pub page: [String; 2],
    /// Whether `page` casts its placeholders (SQLite), which the context explains in a comment.
    pub page_casts: bool,
    pub insert: Insert,
    pub update: Update,
    /// Whether `INSERT` and `UPDATE` give back the row with `RETURNING` (SQLite, PostgreSQL);
    /// on MySQL the context reads it back with a second query.
    pub returning: bool,
    /// Whether the driver reports the name of the constraint a write broke
    /// (`DatabaseError::constraint()`, PostgreSQL only), so that the schema maps it to its
    /// field; elsewhere the schema queries each unique field and reference to find it.
    pub constraint_names: bool,
    /// The `SELECT` of rows with the labels of the rows they reference, when some reference
    /// points to a table axgen generated.
    pub labelled: Option<LabelledSelect>,
    /// The `WHERE` of a page of rows kept by a filter, when the resource has references.
    pub filter: Option<FilterWhere>,
    /// The conditions that keep a scoped resource's statements to the rows of one owner.
    pub scope: Option<ScopeWhere>,
}

/// The owner's condition in each statement of a scoped resource, after the statement's own
/// parameters (the owner's key is bound last, before a page's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeWhere {
    /// `user_id = $1`: the only parameter (lists, options).
    pub first: String,
    /// `user_id = $2`: after one key (a row by id, its deletion, a list by reference).
    pub second: String,
    /// `posts.user_id = $2`: the same, qualified, for a `SELECT` with `JOIN`s.
    pub second_qualified: String,
    /// After an update's assignments and id.
    pub update: String,
    /// The placeholders of a page after the owner: `LIMIT {0} OFFSET {1}`.
    pub page: [String; 2],
}

/// The conditions of a page of rows kept by a filter of their references: each reference
/// either unset or equal, so one statement serves every filter (`? IS NULL` is decided
/// once per execution, and the column's index serves the equality).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterWhere {
    /// `(videos.user_id = $1 OR $2 IS NULL) AND ...`, one per reference, each binding its
    /// filter's value twice.
    pub conditions: String,
    /// The placeholders of the page after the filter's: `LIMIT {0} OFFSET {1}`.
    pub page: [String; 2],
}

/// The filter's `WHERE` of `resource`, if it has references.
fn filter_where(resource: &Resource) -> Option<FilterWhere> {
    let adapter = resource.adapter;
    let references: Vec<&str> = resource
        .fields
        .iter()
        .filter(|f| f.references.is_some())
        .map(|f| f.name.as_str())
        .collect();
    if references.is_empty() {
        return None;
    }
    let mut conditions: Vec<String> = references
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "({}.{name} = {} OR {} IS NULL)",
                resource.table,
                placeholder(adapter, 2 * i + 1),
                placeholder(adapter, 2 * i + 2),
            )
        })
        .collect();
    let mut first = 2 * references.len() + 1;
    if let Some(scope) = &resource.scope {
        let owner = placeholder(adapter, first);
        conditions.push(format!("{}.{} = {owner}", resource.table, scope.column));
        first += 1;
    }
    let conditions = conditions.join(" AND ");
    Some(FilterWhere {
        conditions,
        page: [
            limit_placeholder(adapter, first),
            limit_placeholder(adapter, first + 1),
        ],
    })
}

/// A `SELECT` of rows with the labels of the rows they reference: one `LEFT JOIN` per
/// reference to a table axgen generated, so a page of rows is one query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledSelect {
    /// The table's columns, qualified, then each label:
    /// `videos.id, ..., user_id_parent.username AS user_id_label`.
    pub columns: String,
    /// `LEFT JOIN users AS user_id_parent ON user_id_parent.id = videos.user_id`, one per
    /// reference.
    pub joins: Vec<String>,
    /// The primary key, qualified: `videos.id`.
    pub primary_key: String,
}

/// The labelled `SELECT` of `resource`, if some reference has a parent.
fn labelled_select(resource: &Resource) -> Option<LabelledSelect> {
    let table = &resource.table;
    let parents: Vec<(&crate::spec::Field, &crate::spec::ReferenceParent)> = resource
        .fields
        .iter()
        .filter_map(|f| Some((f, f.references.as_ref()?.parent.as_ref()?)))
        .collect();
    if parents.is_empty() {
        return None;
    }
    let qualified = |column: &str| [table.as_str(), ".", column].concat();
    let columns = std::iter::once(qualified(&resource.primary_key))
        .chain(resource.fields.iter().map(|f| qualified(&f.name)))
        .chain(resource.scope.iter().map(|scope| qualified(&scope.column)))
        .chain(TIMESTAMPS.map(qualified))
        .chain(
            parents
                .iter()
                .map(|(_, p)| format!("{} AS {}", p.label_sql, p.label_column)),
        );
    let joins = parents
        .iter()
        .filter_map(|(field, parent)| {
            let reference = field.references.as_ref()?;
            Some(format!(
                "LEFT JOIN {} AS {alias} ON {alias}.{} = {}",
                reference.table,
                reference.column,
                qualified(&field.name),
                alias = parent.alias,
            ))
        })
        .collect();
    Some(LabelledSelect {
        columns: list("SELECT ", columns),
        joins,
        primary_key: qualified(&resource.primary_key),
    })
}

/// `INSERT INTO t (columns) VALUES (placeholders)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Insert {
    pub columns: String,
    pub placeholders: String,
    /// How the new row's id is known.
    pub id: InsertId,
}

/// How `create_*` learns the id of the row it inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InsertId {
    /// The app generates a UUID and inserts it.
    Generated,
    /// The database's serial id, given back by `RETURNING` (SQLite, PostgreSQL).
    Returning,
    /// The driver's `last_insert_id()` (MySQL has no `RETURNING`).
    LastInsertId,
}

/// `UPDATE t SET assignments WHERE primary_key = id_placeholder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    /// Every field and `updated_at`, each `column = placeholder`.
    pub assignments: String,
    pub id_placeholder: String,
}

/// The longest line of a wrapped list in a statement, its clause (`SELECT `...) included.
const LIST_WIDTH: usize = 72;

/// The indentation of the statements in the context's raw string literals.
const STATEMENT_INDENT: &str = "        ";

/// The further indentation of a statement's continued lines.
const CONTINUED: &str = "    ";

/// `items` joined by ", " on lines of at most [`LIST_WIDTH`] characters, the first of which
/// starts after `clause` (`SELECT `, `INSERT INTO posts (`...).
fn list(clause: &str, items: impl IntoIterator<Item = String>) -> String {
    let mut text = String::new();
    let mut line = clause.len();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
            if line + 2 + item.len() > LIST_WIDTH {
                text.push('\n');
                text.push_str(STATEMENT_INDENT);
                text.push_str(CONTINUED);
                line = CONTINUED.len();
            } else {
                text.push(' ');
                line += 2;
            }
        }
        line += item.len();
        text.push_str(&item);
    }
    text
}

/// The queries of `resource`, with its adapter's placeholders.
pub fn queries(resource: &Resource) -> Queries {
    let adapter = resource.adapter;
    let table = &resource.table;
    let fields = resource.fields.iter().map(|f| f.name.clone());
    let owner = resource.scope.iter().map(|scope| scope.column.clone());
    let timestamps = TIMESTAMPS.map(str::to_string);
    let columns = std::iter::once(resource.primary_key.clone())
        .chain(fields.clone())
        .chain(owner.clone())
        .chain(timestamps.iter().cloned());
    let insert_columns: Vec<String> = resource
        .binary_id
        .then(|| resource.primary_key.clone())
        .into_iter()
        .chain(fields.clone())
        .chain(owner)
        .chain(timestamps.iter().cloned())
        .collect();
    let updated: Vec<String> = fields.chain(["updated_at".into()]).collect();
    let insert_placeholders = (1..=insert_columns.len()).map(|n| placeholder(adapter, n));
    let assignments = updated
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = {}", placeholder(adapter, i + 1)));
    Queries {
        columns: list("SELECT ", columns),
        param: placeholder(adapter, 1),
        page: [limit_placeholder(adapter, 1), limit_placeholder(adapter, 2)],
        page_casts: adapter == Adapter::Sqlite,
        insert: Insert {
            columns: list(&format!("INSERT INTO {table} ("), insert_columns),
            placeholders: list("VALUES (", insert_placeholders),
            id: insert_id(adapter, resource.binary_id),
        },
        update: Update {
            assignments: list(&format!("UPDATE {table} SET "), assignments),
            id_placeholder: placeholder(adapter, updated.len() + 1),
        },
        returning: adapter != Adapter::Mysql,
        constraint_names: adapter == Adapter::Postgres,
        labelled: labelled_select(resource),
        filter: filter_where(resource),
        scope: resource.scope.as_ref().map(|scope| {
            let column = scope.column.as_str();
            let owner = |n: usize| format!("{column} = {}", placeholder(adapter, n));
            ScopeWhere {
                first: owner(1),
                second: owner(2),
                second_qualified: format!("{table}.{}", owner(2)),
                update: owner(updated.len() + 2),
                page: [limit_placeholder(adapter, 2), limit_placeholder(adapter, 3)],
            }
        }),
    }
}

fn insert_id(adapter: Adapter, binary_id: bool) -> InsertId {
    match adapter {
        _ if binary_id => InsertId::Generated,
        Adapter::Mysql => InsertId::LastInsertId,
        Adapter::Sqlite | Adapter::Postgres => InsertId::Returning,
    }
}

/// The `n`th (from 1) bound parameter as a `LIMIT` or `OFFSET` value. SQLite's planner reads
/// the value bound to a bare `LIMIT ?`, so it re-prepares the statement at every execution
/// (measured: a third of the JSON index's throughput); `CAST(? AS INTEGER)` is planned
/// without looking at the value.
pub fn limit_placeholder(adapter: Adapter, n: usize) -> String {
    match adapter {
        Adapter::Sqlite => "CAST(? AS INTEGER)".to_string(),
        Adapter::Postgres | Adapter::Mysql => placeholder(adapter, n),
    }
}

/// The `n`th (from 1) bound parameter: `$n` for PostgreSQL, `?` elsewhere.
pub fn placeholder(adapter: Adapter, n: usize) -> String {
    match adapter {
        Adapter::Postgres => format!("${n}"),
        Adapter::Sqlite | Adapter::Mysql => "?".to_string(),
    }
}

/// The sqlx names a dialect's generated code uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Driver {
    /// The module of the driver: `sqlx::sqlite`.
    pub module: &'static str,
    /// Its row type: `SqliteRow`.
    pub row: &'static str,
}

/// The sqlx driver of `adapter`.
pub fn driver(adapter: Adapter) -> Driver {
    match adapter {
        Adapter::Sqlite => Driver {
            module: "sqlx::sqlite",
            row: "SqliteRow",
        },
        Adapter::Postgres => Driver {
            module: "sqlx::postgres",
            row: "PgRow",
        },
        Adapter::Mysql => Driver {
            module: "sqlx::mysql",
            row: "MySqlRow",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::SpecOptions;

    fn resource(adapter: Adapter, fields: &[&str], binary_id: bool) -> Resource {
        let fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        let options = SpecOptions {
            binary_id,
            ..SpecOptions::default()
        };
        crate::spec::parse_resource("Blog", "Post", "posts", &fields, &options)
            .unwrap()
            .resolve(adapter)
    }

    #[test]
    fn codecs_follow_what_each_driver_supports() {
        let fields = [
            "price:decimal",
            "key_id:uuid",
            "tags:array:string",
            "state:enum:a:b",
        ];
        let kinds = |adapter| {
            let r = resource(adapter, &fields, false);
            r.fields
                .iter()
                .map(|f| codec(adapter, f))
                .collect::<Vec<_>>()
        };
        use Codec::{Json, Native, Text};
        assert_eq!(kinds(Adapter::Sqlite), [Text, Text, Json, Text]);
        assert_eq!(kinds(Adapter::Postgres), [Native, Native, Native, Text]);
        assert_eq!(kinds(Adapter::Mysql), [Native, Text, Json, Text]);
        let uuid_refs = resource(Adapter::Mysql, &["user_id:references:users"], true);
        assert_eq!(codec(Adapter::Mysql, &uuid_refs.fields[0]), Text);
    }

    #[test]
    fn the_table_has_constraints_and_indexes_named_like_ecto() {
        let fields = [
            "email:unique",
            "user_id:references:users",
            "state:enum:a:b",
            "n:integer:index",
        ];
        let t = table(&resource(Adapter::Postgres, &fields, false));
        let names: Vec<&str> = t.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["posts_email_index", "posts_user_id_index", "posts_n_index"]
        );
        assert_eq!(t.foreign_keys[0].name, "posts_user_id_fkey");
        assert_eq!(t.checks[0].name, "posts_state_check");
        assert_eq!(t.id.autoincrement, Some("GENERATED BY DEFAULT AS IDENTITY"));
        let last: Vec<&str> = t
            .columns
            .iter()
            .rev()
            .take(2)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(last, ["updated_at", "inserted_at"]);
    }

    #[test]
    fn long_names_are_cut_with_a_hash_and_keep_their_suffix() {
        let table = "t".repeat(40);
        let name = constraint_name(&table, &"c".repeat(40), "index");
        assert_eq!(name.len(), MAX_IDENTIFIER);
        assert!(name.ends_with("_index"), "{name}");
        let one = constraint_name(&table, &format!("{}_one", "c".repeat(30)), "index");
        let two = constraint_name(&table, &format!("{}_two", "c".repeat(30)), "index");
        assert_ne!(one, two, "names sharing their first 63 bytes stay distinct");
        assert!(one.len() <= MAX_IDENTIFIER && two.len() <= MAX_IDENTIFIER);
        assert_eq!(
            constraint_name("posts", "email", "index"),
            "posts_email_index",
            "short names are Ecto's"
        );
        let fits = constraint_name(&"t".repeat(51), "c1234", "index");
        assert_eq!(
            fits.len(),
            MAX_IDENTIFIER,
            "a name of exactly 63 bytes is kept"
        );
        assert_eq!(fits, format!("{}_c1234_index", "t".repeat(51)));
    }

    #[test]
    fn a_long_table_keeps_every_constraint_name_distinct() {
        let plural = "a".repeat(55);
        let fields: Vec<String> = [
            "field_aaaaaaaaaa_one:string:unique",
            "field_aaaaaaaaaa_two:string:unique",
            "author_aaaaaaaaaaaaaa_id:references:users",
            "editor_aaaaaaaaaaaaaa_id:references:users",
            "state_aaaaaaaaaaaaaa_one:enum:a:b",
            "state_aaaaaaaaaaaaaa_two:enum:a:b",
        ]
        .map(String::from)
        .to_vec();
        let resource =
            crate::spec::parse_schema("Longthing", &plural, &fields, &SpecOptions::default())
                .unwrap()
                .resolve(Adapter::Postgres);
        let t = table(&resource);
        let mut names: Vec<&str> = t
            .indexes
            .iter()
            .map(|i| i.name.as_str())
            .chain(t.foreign_keys.iter().map(|f| f.name.as_str()))
            .chain(t.checks.iter().map(|c| c.name.as_str()))
            .collect();
        assert_eq!(names.len(), 8);
        assert!(names.iter().all(|n| n.len() <= MAX_IDENTIFIER), "{names:?}");
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 8, "every name is distinct: {names:?}");
    }

    #[test]
    fn a_filter_keeps_each_reference_unset_or_equal_before_the_page() {
        let fields = [
            "title",
            "author_id:references:users",
            "topic_id:references:topics",
        ];
        let q = queries(&resource(Adapter::Postgres, &fields, false));
        let filter = q.filter.unwrap();
        assert_eq!(
            filter.conditions,
            "(posts.author_id = $1 OR $2 IS NULL) AND (posts.topic_id = $3 OR $4 IS NULL)"
        );
        assert_eq!(filter.page, ["$5", "$6"]);
        let q = queries(&resource(Adapter::Sqlite, &fields[..2], false));
        let filter = q.filter.unwrap();
        assert_eq!(filter.conditions, "(posts.author_id = ? OR ? IS NULL)");
        assert_eq!(filter.page, ["CAST(? AS INTEGER)"; 2]);
        assert_eq!(
            queries(&resource(Adapter::Mysql, &["title"], false)).filter,
            None
        );
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let q = queries(&resource(Adapter::Postgres, &["title", "body"], false));
        assert_eq!(q.insert.placeholders, "$1, $2, $3, $4");
        assert_eq!(
            q.update.assignments,
            "title = $1, body = $2, updated_at = $3"
        );
        assert_eq!(q.update.id_placeholder, "$4");
        assert_eq!(q.insert.id, InsertId::Returning);
        assert!(q.returning);
        let q = queries(&resource(Adapter::Mysql, &["title"], true));
        assert_eq!(q.insert.columns, "id, title, inserted_at, updated_at");
        assert_eq!(q.insert.placeholders, "?, ?, ?, ?");
        assert_eq!(q.insert.id, InsertId::Generated);
        assert!(!q.returning, "MySQL has no RETURNING");
        assert_eq!(q.page, ["?", "?"]);
        assert!(!q.page_casts);
        let q = queries(&resource(Adapter::Sqlite, &["title"], false));
        assert_eq!(
            q.page, ["CAST(? AS INTEGER)"; 2],
            "a bare LIMIT ? is re-planned"
        );
        assert!(q.page_casts, "the context explains the casts");
    }

    #[test]
    fn long_lists_are_wrapped_for_the_context_statements() {
        let items = (1..=30).map(|n| format!("column_{n}"));
        let text = list("SELECT ", items);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 1, "{text}");
        assert!(lines[0].starts_with("column_1, column_2,"), "{text}");
        assert!(
            lines[1..]
                .iter()
                .all(|line| line.starts_with("            column_")),
            "continued lines are indented by 12 spaces: {text}"
        );
        assert!(lines[0].len() + "SELECT ".len() <= LIST_WIDTH, "{text}");
        assert!(
            lines[1..].iter().all(|l| l.len() - 8 <= LIST_WIDTH),
            "{text}"
        );
        assert_eq!(
            text.replace(",\n            ", ", ").matches(", ").count(),
            29
        );
    }

    #[test]
    fn finds_created_tables() {
        let sql = "-- x\nCREATE TABLE posts (\n id INTEGER);\ncreate table if not exists \"tags\"(id int);";
        assert_eq!(created_tables(sql), ["posts", "tags"]);
        assert!(created_tables("CREATE INDEX posts_x ON posts (x);").is_empty());
    }
}
