//! A table's columns as the database catalog describes them (sqlite pragmas, pg_catalog,
//! information_schema): types, nullability, defaults, unique and foreign keys, allowed values.

use std::collections::HashMap;

use super::value::{Column, Kind};
use crate::db::conn::Db;

/// A table and its writable and generated columns, in order.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// What the three catalogs have in common before it becomes [`Column`]s.
struct RawColumn {
    name: String,
    sql_type: String,
    kind: Kind,
    nullable: bool,
    has_default: bool,
    auto: bool,
    generated: bool,
    choices: Vec<String>,
}

/// Reads `table` from the catalog; `None` if it does not exist.
pub async fn read(db: &mut Db<'_>, table: &str) -> Result<Option<Table>, sqlx::Error> {
    let (raw, unique, foreign, checks) = match db {
        Db::Sqlite(c) => sqlite::read(c, table).await?,
        Db::Postgres(c) => postgres::read(c, table).await?,
        Db::Mysql(c) => mysql::read(c, table).await?,
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = raw.iter().map(|c| c.name.clone()).collect();
    let mut choices: HashMap<String, Vec<String>> = checks
        .iter()
        .filter_map(|check| check_choices(check, &names))
        .collect();
    let columns = raw
        .into_iter()
        .map(|c| Column {
            unique: unique.contains(&c.name),
            references: foreign.get(&c.name).cloned(),
            choices: match c.choices.is_empty() {
                true => choices.remove(&c.name).unwrap_or_default(),
                false => c.choices,
            },
            name: c.name,
            sql_type: c.sql_type,
            kind: c.kind,
            nullable: c.nullable,
            has_default: c.has_default,
            auto: c.auto,
            generated: c.generated,
        })
        .collect();
    Ok(Some(Table {
        name: table.to_string(),
        columns,
    }))
}

type Parts = (
    Vec<RawColumn>,
    Vec<String>,
    HashMap<String, (String, String)>,
    Vec<String>,
);

/// Single-quoted string literals in SQL text, and the text outside them.
fn literals(sql: &str) -> (Vec<String>, String) {
    let mut found = Vec::new();
    let mut outside = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            outside.push(c);
            continue;
        }
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    literal.push('\'');
                }
                '\'' => break,
                '\\' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    literal.push('\'');
                }
                c => literal.push(c),
            }
        }
        found.push(literal);
        outside.push_str("''");
    }
    (found, outside)
}

/// `(column, allowed values)` from a check such as `status IN ('a','b')`, or PostgreSQL's
/// `(status = ANY (ARRAY['a'::text, 'b'::text]))`: one column, a list of string literals.
fn check_choices(check: &str, columns: &[String]) -> Option<(String, Vec<String>)> {
    let (values, outside) = literals(check);
    let lower = outside.to_ascii_lowercase();
    let listy = lower.contains(" in ") || lower.contains(" in(") || lower.contains("any");
    if values.is_empty() || !listy {
        return None;
    }
    let mut mentioned: Vec<&String> = without_casts(&outside)
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter_map(|word| columns.iter().find(|c| c.as_str() == word))
        .collect();
    mentioned.dedup();
    match mentioned.as_slice() {
        [column] => Some(((*column).clone(), values)),
        _ => None,
    }
}

/// SQL text without PostgreSQL casts (`::text`), whose type names could look like columns.
fn without_casts(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..]
            .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_' || c == ' ');
    }
    out.push_str(rest);
    out
}

/// The bodies of every `CHECK (...)` in a CREATE TABLE statement.
fn check_clauses(create: &str) -> Vec<String> {
    let lower = create.to_ascii_lowercase();
    let mut clauses = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("check") {
        let start = from + at + "check".len();
        from = start;
        let Some(open) = lower[start..].find(|c: char| !c.is_whitespace()) else {
            break;
        };
        if lower.as_bytes()[start + open] != b'(' {
            continue;
        }
        if let Some(len) = balanced(&create[start + open..]) {
            clauses.push(create[start + open..start + open + len].to_string());
            from = start + open + len;
        }
    }
    clauses
}

/// The length of the parenthesised group that `text` starts with, quotes respected.
fn balanced(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first `(a, b)` numbers in a type such as `numeric(10,2)` or `varchar(255)`.
fn type_args(sql_type: &str) -> Vec<u32> {
    let Some((_, rest)) = sql_type.split_once('(') else {
        return Vec::new();
    };
    rest.split(')')
        .next()
        .unwrap_or("")
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

fn decimal_kind(sql_type: &str) -> Kind {
    match type_args(sql_type).as_slice() {
        [p, s] => Kind::Decimal {
            digits: Some(p.saturating_sub(*s)),
            scale: Some(*s),
        },
        [p] => Kind::Decimal {
            digits: Some(*p),
            scale: Some(0),
        },
        _ => Kind::Decimal {
            digits: None,
            scale: None,
        },
    }
}

fn int_kind(bits: u32, unsigned: bool) -> Kind {
    let (min, max) = match (bits, unsigned) {
        (64, _) => (if unsigned { 0 } else { i64::MIN }, i64::MAX),
        (bits, false) => (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1),
        (bits, true) => (0, (1i64 << bits) - 1),
    };
    Kind::Int { min, max }
}

mod sqlite {
    use sqlx::sqlite::SqliteConnection;

    use super::*;

    pub async fn read(c: &mut SqliteConnection, table: &str) -> Result<Parts, sqlx::Error> {
        let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk, hidden \
             FROM pragma_table_xinfo(?1) ORDER BY cid",
        )
        .bind(table)
        .fetch_all(&mut *c)
        .await?;
        let pk_count = rows.iter().filter(|r| r.4 > 0).count();
        let mut unique: Vec<String> = sqlx::query_scalar(
            "SELECT MIN(ii.name) FROM pragma_index_list(?1) il, pragma_index_info(il.name) ii \
             WHERE il.\"unique\" = 1 GROUP BY il.name HAVING COUNT(*) = 1",
        )
        .bind(table)
        .fetch_all(&mut *c)
        .await?;
        if pk_count == 1 {
            unique.extend(rows.iter().filter(|r| r.4 > 0).map(|r| r.0.clone()));
        }
        let foreign: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT f.\"from\", f.\"table\", COALESCE(f.\"to\", \
             (SELECT p.name FROM pragma_table_info(f.\"table\") p WHERE p.pk = 1)) \
             FROM pragma_foreign_key_list(?1) f \
             WHERE f.id IN (SELECT id FROM pragma_foreign_key_list(?1) GROUP BY id HAVING COUNT(*) = 1)",
        )
        .bind(table)
        .fetch_all(&mut *c)
        .await?;
        let create: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1")
                .bind(table)
                .fetch_optional(&mut *c)
                .await?;
        let columns = rows
            .into_iter()
            .map(|(name, sql_type, notnull, has_default, pk, hidden)| {
                let rowid = pk > 0 && pk_count == 1 && sql_type.eq_ignore_ascii_case("INTEGER");
                RawColumn {
                    kind: kind(&sql_type),
                    nullable: notnull == 0 && !rowid,
                    has_default: has_default != 0,
                    auto: rowid || hidden != 0,
                    generated: hidden != 0,
                    choices: Vec::new(),
                    name,
                    sql_type,
                }
            })
            .collect();
        let foreign = foreign.into_iter().map(|(f, t, to)| (f, (t, to))).collect();
        Ok((
            columns,
            unique,
            foreign,
            check_clauses(&create.unwrap_or_default()),
        ))
    }

    /// SQLite's declared types, by name first, then by its affinity rules.
    pub fn kind(declared: &str) -> Kind {
        let t = declared.to_ascii_uppercase();
        let has = |word: &str| t.contains(word);
        if has("BOOL") {
            Kind::Bool
        } else if has("DATETIME") || has("TIMESTAMP") {
            Kind::DateTime
        } else if has("DATE") {
            Kind::Date
        } else if has("TIME") {
            Kind::Time
        } else if has("UUID") {
            Kind::Uuid
        } else if has("JSON") {
            Kind::Json
        } else if has("INT") {
            int_kind(64, false)
        } else if has("CHAR") || has("CLOB") || has("TEXT") {
            Kind::Text { max: None }
        } else if has("BLOB") {
            Kind::Bytes
        } else if has("REAL") || has("FLOA") || has("DOUB") {
            Kind::Float
        } else if has("DEC") || has("NUMERIC") {
            decimal_kind(&t)
        } else {
            Kind::Other
        }
    }
}

mod postgres {
    use sqlx::postgres::PgConnection;

    use super::*;
    use crate::db::conn::quote_ident;

    type PgColumn = (String, String, String, String, bool, bool, bool, bool);

    pub async fn read(c: &mut PgConnection, table: &str) -> Result<Parts, sqlx::Error> {
        let relation = quote_ident(crate::cli::Adapter::Postgres, table);
        let rows: Vec<PgColumn> = sqlx::query_as(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typname::text, \
             t.typtype::text, NOT a.attnotnull, (a.atthasdef OR a.attidentity <> ''), \
             (a.attidentity <> '' OR a.attgenerated <> '' \
              OR COALESCE(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%'), \
             a.attgenerated <> '' \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
        )
        .bind(&relation)
        .fetch_all(&mut *c)
        .await?;
        let unique: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnatts = 1",
        )
        .bind(&relation)
        .fetch_all(&mut *c)
        .await?;
        let foreign: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT a.attname::text, p.relname::text, af.attname::text FROM pg_constraint k \
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
             JOIN pg_attribute af ON af.attrelid = k.confrelid AND af.attnum = k.confkey[1] \
             JOIN pg_class p ON p.oid = k.confrelid \
             WHERE k.conrelid = to_regclass($1) AND k.contype = 'f' AND array_length(k.conkey, 1) = 1",
        )
        .bind(&relation)
        .fetch_all(&mut *c)
        .await?;
        let checks: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = to_regclass($1) AND contype = 'c'",
        )
        .bind(&relation)
        .fetch_all(&mut *c)
        .await?;
        let mut columns = Vec::with_capacity(rows.len());
        for row in rows {
            columns.push(column(c, row).await?);
        }
        let foreign = foreign.into_iter().map(|(f, t, to)| (f, (t, to))).collect();
        Ok((columns, unique, foreign, checks))
    }

    async fn column(c: &mut PgConnection, row: PgColumn) -> Result<RawColumn, sqlx::Error> {
        let (name, sql_type, typname, typtype, nullable, has_default, auto, generated) = row;
        let choices: Vec<String> = if typtype == "e" {
            sqlx::query_scalar(
                "SELECT e.enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
                 WHERE t.typname = $1 ORDER BY e.enumsortorder",
            )
            .bind(&typname)
            .fetch_all(&mut *c)
            .await?
        } else {
            Vec::new()
        };
        Ok(RawColumn {
            kind: kind(&typname, &sql_type),
            name,
            sql_type,
            nullable,
            has_default,
            auto,
            generated,
            choices,
        })
    }

    fn kind(typname: &str, sql_type: &str) -> Kind {
        match typname {
            "int2" => int_kind(16, false),
            "int4" => int_kind(32, false),
            "int8" => int_kind(64, false),
            "float4" | "float8" => Kind::Float,
            "numeric" => decimal_kind(sql_type),
            "bool" => Kind::Bool,
            "varchar" | "bpchar" => Kind::Text {
                max: type_args(sql_type).first().map(|n| *n as usize),
            },
            "text" | "citext" | "name" => Kind::Text { max: None },
            "date" => Kind::Date,
            "time" | "timetz" => Kind::Time,
            "timestamp" => Kind::DateTime,
            "timestamptz" => Kind::DateTimeTz,
            "uuid" => Kind::Uuid,
            "json" | "jsonb" => Kind::Json,
            "bytea" => Kind::Bytes,
            t if t.starts_with('_') => Kind::Array,
            _ => Kind::Other,
        }
    }
}

mod mysql {
    use sqlx::mysql::MySqlConnection;

    use super::*;

    type MyColumn = (String, String, String, String, i64, String, Option<i64>);

    pub async fn read(c: &mut MySqlConnection, table: &str) -> Result<Parts, sqlx::Error> {
        let rows: Vec<MyColumn> = sqlx::query_as(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, \
             CAST(COLUMN_DEFAULT IS NOT NULL AS SIGNED), EXTRA, \
             CAST(CHARACTER_MAXIMUM_LENGTH AS SIGNED) \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
             ORDER BY ORDINAL_POSITION",
        )
        .bind(table)
        .fetch_all(&mut *c)
        .await?;
        let unique: Vec<String> = sqlx::query_scalar(
            "SELECT MIN(COLUMN_NAME) FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 \
             GROUP BY INDEX_NAME HAVING COUNT(*) = 1",
        )
        .bind(table)
        .fetch_all(&mut *c)
        .await?;
        let keys: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL",
        )
        .bind(table)
        .fetch_all(&mut *c)
        .await?;
        let checks: Vec<String> = sqlx::query_scalar(
            "SELECT cc.CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS cc \
             JOIN information_schema.TABLE_CONSTRAINTS tc \
             ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME \
             WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.TABLE_NAME = ? AND tc.CONSTRAINT_TYPE = 'CHECK'",
        )
        .bind(table)
        .fetch_all(&mut *c)
        .await?;
        let columns = rows.into_iter().map(column).collect();
        Ok((columns, unique, single_column_keys(keys), checks))
    }

    fn single_column_keys(
        keys: Vec<(String, String, String, String)>,
    ) -> HashMap<String, (String, String)> {
        let count = |name: &str| keys.iter().filter(|k| k.0 == name).count();
        keys.iter()
            .filter(|k| count(&k.0) == 1)
            .map(|(_, column, table, to)| (column.clone(), (table.clone(), to.clone())))
            .collect()
    }

    fn column(row: MyColumn) -> RawColumn {
        let (name, data_type, column_type, nullable, has_default, extra, max) = row;
        let extra = extra.to_ascii_lowercase();
        let generated = extra.contains("generated") && !extra.contains("default_generated");
        let choices = if data_type == "enum" {
            literals(&column_type).0
        } else {
            Vec::new()
        };
        RawColumn {
            kind: kind(&data_type, &column_type, max),
            nullable: nullable == "YES",
            has_default: has_default != 0,
            auto: extra.contains("auto_increment") || generated,
            generated,
            choices,
            name,
            sql_type: column_type,
        }
    }

    fn kind(data_type: &str, column_type: &str, max: Option<i64>) -> Kind {
        let unsigned = column_type.contains("unsigned");
        match data_type {
            "tinyint" if column_type.starts_with("tinyint(1)") => Kind::Bool,
            "tinyint" => int_kind(8, unsigned),
            "smallint" | "year" => int_kind(16, unsigned),
            "mediumint" => int_kind(24, unsigned),
            "int" | "integer" => int_kind(32, unsigned),
            "bigint" => int_kind(64, unsigned),
            "float" | "double" | "real" => Kind::Float,
            "decimal" | "numeric" => decimal_kind(column_type),
            "char" | "varchar" => Kind::Text {
                max: max.and_then(|m| usize::try_from(m).ok()),
            },
            "tinytext" | "text" | "mediumtext" | "longtext" | "enum" => Kind::Text { max: None },
            "date" => Kind::Date,
            "time" => Kind::Time,
            "datetime" | "timestamp" => Kind::DateTime,
            "json" => Kind::Json,
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => Kind::Bytes,
            _ => Kind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn in_lists_give_choices() {
        let columns = cols(&["id", "status"]);
        assert_eq!(
            check_choices("(status IN ('draft', 'it''s'))", &columns),
            Some(("status".into(), vec!["draft".into(), "it's".into()]))
        );
        assert_eq!(
            check_choices(
                "CHECK ((status = ANY (ARRAY['draft'::text, 'published'::text])))",
                &columns
            ),
            Some(("status".into(), vec!["draft".into(), "published".into()]))
        );
        assert_eq!(
            check_choices("`status` in ('a','b')", &columns).unwrap().1,
            ["a", "b"]
        );
        assert_eq!(check_choices("(length(status) > 0)", &columns), None);
    }

    #[test]
    fn check_clauses_are_found_in_create_table() {
        let sql = "CREATE TABLE posts (id INTEGER PRIMARY KEY, status TEXT NOT NULL \
                   CHECK (status IN ('a', 'b (c)')), n INT CHECK(n > 0))";
        assert_eq!(
            check_clauses(sql),
            ["(status IN ('a', 'b (c)'))", "(n > 0)"]
        );
    }

    #[test]
    fn sqlite_types_follow_affinity() {
        assert_eq!(sqlite::kind("BIGINT"), int_kind(64, false));
        assert_eq!(sqlite::kind("VARCHAR(255)"), Kind::Text { max: None });
        assert_eq!(sqlite::kind("BOOLEAN"), Kind::Bool);
        assert_eq!(sqlite::kind(""), Kind::Other);
    }

    #[test]
    fn type_arguments_are_read() {
        assert_eq!(type_args("numeric(10,2)"), [10, 2]);
        assert_eq!(type_args("character varying(255)"), [255]);
        assert_eq!(
            decimal_kind("numeric(5,2)"),
            Kind::Decimal {
                digits: Some(3),
                scale: Some(2)
            }
        );
    }
}
