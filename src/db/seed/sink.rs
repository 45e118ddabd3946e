//! Writing rows fast: one prepared multi-row INSERT per batch on SQLite and MySQL, and
//! `COPY ... FROM STDIN` on PostgreSQL. Every write happens inside the seed run's transaction.

use anyhow::Result;
use sqlx::encode::Encode;
use sqlx::error::BoxDynError;
use sqlx::mysql::{MySqlArguments, MySqlConnection};
use sqlx::postgres::{PgConnection, PgCopyIn, PgDatabaseError};
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::types::Type;
use sqlx::{Arguments, AssertSqlSafe, SqlSafeStr, SqlStr};

use super::value::{Column, Value, hex};
use crate::db::conn::Db;

/// SQLite's limit on bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER).
const SQLITE_MAX_PARAMS: usize = 32_766;
/// MySQL's limit on placeholders per prepared statement.
const MYSQL_MAX_PARAMS: usize = 65_535;
/// Rows per batch: large enough to amortise each round trip to the driver.
const MAX_BATCH_ROWS: usize = 4_096;
/// Bytes per INSERT on MySQL, well under the default max_allowed_packet.
const MYSQL_MAX_BATCH_BYTES: usize = 4 << 20;
/// Bytes of COPY data sent at once.
const COPY_CHUNK: usize = 1 << 20;

/// Where rows go: a table's columns, on one of the three engines. Rows arrive in [`Batch`]es,
/// so the caller can fill the next batch while the database writes this one.
pub struct Sink<'c> {
    label: String,
    width: usize,
    rows: u64,
    out: Out<'c>,
}

enum Out<'c> {
    Insert {
        conn: InsertConn<'c>,
        insert: Insert,
    },
    Copy(Copy<'c>),
}

/// The engines that take multi-row INSERTs.
enum InsertConn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Mysql(&'c mut MySqlConnection),
}

/// The multi-row INSERT statements of a sink.
struct Insert {
    prefix: String,
    max_rows: usize,
    /// The statement for a full batch, prepared once and reused.
    full_sql: SqlStr,
}

/// Rows on their way to the database, with the line each came from.
#[derive(Debug)]
pub struct Batch {
    values: Vec<Value>,
    lines: Vec<u64>,
    max_rows: usize,
    max_bytes: usize,
    bytes: usize,
}

/// A COPY in progress.
struct Copy<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    buf: Vec<u8>,
    /// The file line of every row sent, to place the database's errors.
    lines: Vec<u64>,
}

impl Batch {
    /// Adds one row (its values are taken, leaving `row` empty for the next one).
    pub fn push(&mut self, row: &mut Vec<Value>, line: u64) {
        self.bytes += row.iter().map(size).sum::<usize>();
        self.values.append(row);
        self.lines.push(line);
    }

    /// Whether the batch should be written before another row goes in.
    pub fn is_full(&self) -> bool {
        self.lines.len() >= self.max_rows || self.bytes >= self.max_bytes
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether it holds no row.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn line_range(&self) -> (u64, u64) {
        let first = self.lines.first().copied().unwrap_or_default();
        (first, self.lines.last().copied().unwrap_or(first))
    }
}

impl<'c> Sink<'c> {
    /// Starts writing `columns` of `table`; `label` names the source in error messages.
    pub async fn open(
        db: Db<'c>,
        table: &str,
        columns: &[&Column],
        label: String,
    ) -> Result<Sink<'c>> {
        let adapter = db.adapter();
        let names: Vec<String> = columns
            .iter()
            .map(|c| crate::db::conn::quote_ident(adapter, &c.name))
            .collect();
        let table = crate::db::conn::quote_ident(adapter, table);
        let out = match db {
            Db::Postgres(conn) => {
                let sql = format!("COPY {table} ({}) FROM STDIN", names.join(", "));
                let copy = conn
                    .copy_in_raw(&sql)
                    .await
                    .map_err(|err| anyhow::anyhow!("{label}: {}", db_message(&err)))?;
                Out::Copy(Copy {
                    copy,
                    buf: Vec::with_capacity(COPY_CHUNK + 4096),
                    lines: Vec::new(),
                })
            }
            Db::Sqlite(conn) => Out::Insert {
                insert: Insert::new(&table, &names, SQLITE_MAX_PARAMS),
                conn: InsertConn::Sqlite(conn),
            },
            Db::Mysql(conn) => Out::Insert {
                insert: Insert::new(&table, &names, MYSQL_MAX_PARAMS),
                conn: InsertConn::Mysql(conn),
            },
        };
        Ok(Sink {
            label,
            width: names.len(),
            rows: 0,
            out,
        })
    }

    /// An empty batch sized for this sink.
    pub fn batch(&self) -> Batch {
        let (max_rows, max_bytes) = match &self.out {
            Out::Insert {
                insert,
                conn: InsertConn::Mysql(_),
            } => (insert.max_rows, MYSQL_MAX_BATCH_BYTES),
            Out::Insert { insert, .. } => (insert.max_rows, usize::MAX),
            Out::Copy(_) => (MAX_BATCH_ROWS, COPY_CHUNK),
        };
        Batch {
            values: Vec::with_capacity(max_rows * self.width),
            lines: Vec::with_capacity(max_rows),
            max_rows,
            max_bytes,
            bytes: 0,
        }
    }

    /// Writes a batch.
    pub async fn write(&mut self, batch: Batch) -> Result<()> {
        self.rows += batch.len() as u64;
        match &mut self.out {
            Out::Copy(copy) => copy.write(batch, &self.label).await,
            Out::Insert { conn, insert } => insert.write(conn, batch, &self.label).await,
        }
    }

    /// Ends the writing; returns the number of rows written.
    pub async fn finish(self) -> Result<u64> {
        if let Out::Copy(mut copy) = self.out {
            if !copy.buf.is_empty() {
                copy.send(&self.label).await?;
            }
            let Copy { copy, lines, .. } = copy;
            copy.finish()
                .await
                .map_err(|err| copy_error(&self.label, &lines, &err))?;
        }
        Ok(self.rows)
    }

    /// Gives up: a COPY is cancelled so the connection stays usable.
    pub async fn abort(self, why: &str) {
        if let Out::Copy(copy) = self.out {
            let _ = copy.copy.abort(why).await;
        }
    }
}

impl Insert {
    fn new(table: &str, names: &[String], max_params: usize) -> Insert {
        let prefix = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
        let width = names.len().max(1);
        let max_rows = (max_params / width).clamp(1, MAX_BATCH_ROWS);
        let full_sql = AssertSqlSafe(statement(&prefix, width, max_rows)).into_sql_str();
        Insert {
            prefix,
            max_rows,
            full_sql,
        }
    }

    async fn write(&self, conn: &mut InsertConn<'_>, batch: Batch, label: &str) -> Result<()> {
        let rows = batch.len();
        if rows == 0 {
            return Ok(());
        }
        let sql = if rows == self.max_rows {
            self.full_sql.clone()
        } else {
            let width = batch.values.len() / rows;
            AssertSqlSafe(statement(&self.prefix, width, rows)).into_sql_str()
        };
        let (first, last) = batch.line_range();
        let done = match conn {
            InsertConn::Sqlite(c) => {
                execute(&mut **c, sql, arguments::<SqliteArguments>(batch.values)).await
            }
            InsertConn::Mysql(c) => {
                execute(&mut **c, sql, arguments::<MySqlArguments>(batch.values)).await
            }
        };
        done.map_err(|err| anyhow::anyhow!("{label}:{first}-{last}: {}", db_message(&err)))
    }
}

async fn execute<'c, E, A>(
    conn: E,
    sql: SqlStr,
    arguments: Result<A, BoxDynError>,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c>,
    A: sqlx::IntoArguments<E::Database> + 'c,
{
    let arguments = arguments.map_err(sqlx::Error::Encode)?;
    sqlx::query_with(sql, arguments)
        .execute(conn)
        .await
        .map(drop)
}

/// `INSERT ... VALUES (?, ?), (?, ?)` for `rows` rows of `width` values.
fn statement(prefix: &str, width: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; width].join(","));
    let mut sql = String::with_capacity(prefix.len() + rows * (one.len() + 1));
    sql.push_str(prefix);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&one);
    }
    sql
}

/// Roughly how many bytes a value takes on the wire.
fn size(value: &Value) -> usize {
    match value {
        Value::Text(t) => t.len() + 4,
        Value::Bytes(b) => b.len() + 4,
        _ => 9,
    }
}

/// The bound values of one INSERT.
fn arguments<A>(values: Vec<Value>) -> Result<A, BoxDynError>
where
    A: Arguments,
    for<'t> i64: Encode<'t, A::Database> + Type<A::Database>,
    for<'t> f64: Encode<'t, A::Database> + Type<A::Database>,
    for<'t> bool: Encode<'t, A::Database> + Type<A::Database>,
    for<'t> String: Encode<'t, A::Database> + Type<A::Database>,
    for<'t> Vec<u8>: Encode<'t, A::Database> + Type<A::Database>,
    for<'t> Option<String>: Encode<'t, A::Database> + Type<A::Database>,
{
    let mut args = A::default();
    args.reserve(values.len(), values.iter().map(size).sum());
    for value in values {
        match value {
            Value::Null => args.add(None::<String>)?,
            Value::Int(i) => args.add(i)?,
            Value::Float(f) => args.add(f)?,
            Value::Bool(b) => args.add(b)?,
            Value::Text(t) => args.add(t)?,
            Value::Bytes(b) => args.add(b)?,
        }
    }
    Ok(args)
}

impl Copy<'_> {
    /// Encodes a batch in COPY's text format and sends it.
    async fn write(&mut self, batch: Batch, label: &str) -> Result<()> {
        let width = batch.values.len() / batch.len().max(1);
        for (i, value) in batch.values.iter().enumerate() {
            copy_field(&mut self.buf, value);
            self.buf
                .push(if (i + 1) % width == 0 { b'\n' } else { b'\t' });
        }
        self.lines.extend_from_slice(&batch.lines);
        if self.buf.len() >= COPY_CHUNK {
            self.send(label).await?;
        }
        Ok(())
    }

    async fn send(&mut self, label: &str) -> Result<()> {
        self.copy
            .send(self.buf.as_slice())
            .await
            .map_err(|err| copy_error(label, &self.lines, &err))?;
        self.buf.clear();
        Ok(())
    }
}

fn copy_field(buf: &mut Vec<u8>, value: &Value) {
    use std::io::Write as _;
    match value {
        Value::Null => buf.extend_from_slice(b"\\N"),
        Value::Int(i) => {
            let _ = write!(buf, "{i}");
        }
        Value::Float(f) => {
            let _ = write!(buf, "{f}");
        }
        Value::Bool(b) => buf.push(if *b { b't' } else { b'f' }),
        Value::Text(t) => copy_escape(buf, t),
        Value::Bytes(b) => {
            buf.extend_from_slice(b"\\\\x");
            buf.extend_from_slice(hex(b).as_bytes());
        }
    }
}

/// Escapes text for COPY's text format: backslash, tab, newline and carriage return.
fn copy_escape(buf: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// A COPY error placed at the file line of the row PostgreSQL names (`COPY t, line N`).
fn copy_error(label: &str, lines: &[u64], err: &sqlx::Error) -> anyhow::Error {
    let row = pg_error(err)
        .and_then(|e| e.r#where())
        .and_then(|w| w.split("line ").nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<usize>().ok());
    match row.and_then(|n| lines.get(n.wrapping_sub(1))) {
        Some(line) => anyhow::anyhow!("{label}:{line}: {}", db_message(err)),
        None => anyhow::anyhow!("{label}: {}", db_message(err)),
    }
}

fn pg_error(err: &sqlx::Error) -> Option<&PgDatabaseError> {
    err.as_database_error()?
        .try_downcast_ref::<PgDatabaseError>()
}

/// The database's message, with PostgreSQL's detail (e.g. which key) when it gives one.
pub fn db_message(err: &sqlx::Error) -> String {
    match (
        err.as_database_error(),
        pg_error(err).and_then(|e| e.detail()),
    ) {
        (Some(db), Some(detail)) => format!("{} ({detail})", db.message()),
        (Some(db), None) => db.message().to_string(),
        (None, _) => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_statements_have_one_group_per_row() {
        assert_eq!(
            statement("INSERT INTO t (a, b) VALUES ", 2, 2),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?)"
        );
    }

    #[test]
    fn copy_fields_are_escaped() {
        let mut buf = Vec::new();
        copy_field(&mut buf, &Value::Text("a\tb\\c\nd".into()));
        buf.push(b'|');
        copy_field(&mut buf, &Value::Null);
        buf.push(b'|');
        copy_field(&mut buf, &Value::Bytes(vec![1, 255]));
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a\\tb\\\\c\\nd|\\N|\\\\x01ff"
        );
    }
}
