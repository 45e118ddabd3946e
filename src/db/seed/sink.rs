//! Writing rows fast: one prepared multi-row INSERT per batch on SQLite and MySQL, and
//! `COPY ... FROM STDIN` on PostgreSQL. Every write happens inside the seed run's transaction.
//! A constraint the database enforces (unique, foreign key, NOT NULL, CHECK) is bad input: the
//! error names the row's line, the column and the value (a failed INSERT batch is replayed row
//! by row to find the row).

use anyhow::Result;
use sqlx::encode::Encode;
use sqlx::error::{BoxDynError, ErrorKind};
use sqlx::mysql::{MySqlArguments, MySqlConnection};
use sqlx::postgres::{PgConnection, PgCopyIn, PgDatabaseError};
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::types::Type;
use sqlx::{Arguments, AssertSqlSafe, SqlSafeStr, SqlStr};

use super::value::{Column, Value, hex};
use crate::db::conn::{Db, quote_ident};
use crate::error::UsageError;

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
    /// The columns written, for naming the column of a constraint error.
    columns: Vec<Column>,
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
    /// Where the first row starts in its source (CSV: byte, line and record; JSON and TOML: the
    /// record), for reading the rows again when the database refuses the batch.
    pub start: csv::Position,
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
            .map(|c| quote_ident(adapter, &c.name))
            .collect();
        let table = quote_ident(adapter, table);
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
            columns: columns.iter().map(|c| (*c).clone()).collect(),
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
            start: csv::Position::new(),
            max_rows,
            max_bytes,
            bytes: 0,
        }
    }

    /// Writes a batch. When the database refuses an INSERT batch, the error is a
    /// [`Refused`] batch, for [`Sink::explain`].
    pub async fn write(&mut self, batch: Batch) -> Result<()> {
        self.rows += batch.len() as u64;
        match &mut self.out {
            Out::Copy(copy) => copy.write(batch, &self.label, &self.columns).await,
            Out::Insert { conn, insert } => insert.write(conn, batch, &self.label).await,
        }
    }

    /// Finds which row of a refused batch the database refuses, by inserting `rows` (the
    /// batch read again from its source, with their lines) one at a time, and names its line,
    /// column and value. Without the rows, names the batch's lines.
    pub async fn explain(
        &mut self,
        refused: &Refused,
        rows: Option<Vec<(u64, Vec<Value>)>>,
    ) -> anyhow::Error {
        let (first, last) = refused.lines;
        let Out::Insert { conn, insert } = &mut self.out else {
            return refused_error(
                &self.label,
                &format!("{first}-{last}"),
                &refused.error,
                &self.columns,
                None,
            );
        };
        for (line, row) in rows.into_iter().flatten() {
            let sql = AssertSqlSafe(statement(&insert.prefix, self.width, 1)).into_sql_str();
            let Err(error) = conn.execute(sql, row.clone()).await else {
                continue;
            };
            let missing = match constraint(&error) {
                Some(ErrorKind::ForeignKeyViolation) => {
                    missing_parent(conn, &self.columns, &row).await
                }
                _ => None,
            };
            let row = Row {
                values: &row,
                missing_parent: missing,
            };
            return refused_error(
                &self.label,
                &line.to_string(),
                &error,
                &self.columns,
                Some(row),
            );
        }
        refused_error(
            &self.label,
            &format!("{first}-{last}"),
            &refused.error,
            &self.columns,
            None,
        )
    }

    /// Ends the writing; returns the number of rows written.
    pub async fn finish(self) -> Result<u64> {
        if let Out::Copy(mut copy) = self.out {
            if !copy.buf.is_empty() {
                copy.send(&self.label, &self.columns).await?;
            }
            let Copy { copy, lines, .. } = copy;
            copy.finish()
                .await
                .map_err(|err| copy_error(&self.label, &lines, &err, &self.columns))?;
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
        conn.execute(sql, batch.values).await.map_err(|error| {
            anyhow::Error::new(Refused {
                label: label.to_string(),
                lines: (first, last),
                start: batch.start,
                rows,
                error,
            })
        })
    }
}

impl InsertConn<'_> {
    /// Runs `sql` with `values` bound.
    async fn execute(&mut self, sql: SqlStr, values: Vec<Value>) -> Result<(), sqlx::Error> {
        match self {
            InsertConn::Sqlite(c) => {
                execute(&mut **c, sql, arguments::<SqliteArguments>(values)).await
            }
            InsertConn::Mysql(c) => {
                execute(&mut **c, sql, arguments::<MySqlArguments>(values)).await
            }
        }
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

/// An INSERT batch the database refused: where its rows are, and why.
#[derive(Debug)]
pub struct Refused {
    label: String,
    /// The first and last line of its rows.
    pub lines: (u64, u64),
    /// Where its first row starts in the source.
    pub start: csv::Position,
    /// How many rows it held.
    pub rows: usize,
    error: sqlx::Error,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (first, last) = self.lines;
        write!(
            f,
            "{}:{first}-{last}: {}",
            self.label,
            db_message(&self.error)
        )
    }
}

impl std::error::Error for Refused {}

/// A row the database refused, and the column whose parent row is missing, if that was it.
struct Row<'r> {
    values: &'r [Value],
    missing_parent: Option<usize>,
}

/// The kind of a constraint error: bad input, not a failure.
fn constraint(err: &sqlx::Error) -> Option<ErrorKind> {
    let kind = err.as_database_error()?.kind();
    matches!(
        kind,
        ErrorKind::UniqueViolation
            | ErrorKind::ForeignKeyViolation
            | ErrorKind::NotNullViolation
            | ErrorKind::CheckViolation
    )
    .then_some(kind)
}

/// The first column of `row` whose value is not a key of the table it references (SQLite's
/// foreign key errors name neither).
async fn missing_parent(
    conn: &mut InsertConn<'_>,
    columns: &[Column],
    row: &[Value],
) -> Option<usize> {
    for (i, column) in columns.iter().enumerate() {
        let (Some((parent, key)), Some(value)) = (&column.references, row.get(i)) else {
            continue;
        };
        if *value == Value::Null {
            continue;
        }
        let found = match conn {
            InsertConn::Sqlite(c) => {
                let sql = exists_sql(crate::adapter::Adapter::Sqlite, parent, key);
                let args = arguments::<SqliteArguments>(vec![value.clone()]).ok()?;
                sqlx::query_scalar_with::<_, i64, _>(AssertSqlSafe(sql), args)
                    .fetch_one(&mut **c)
                    .await
            }
            InsertConn::Mysql(c) => {
                let sql = exists_sql(crate::adapter::Adapter::Mysql, parent, key);
                let args = arguments::<MySqlArguments>(vec![value.clone()]).ok()?;
                sqlx::query_scalar_with::<_, i64, _>(AssertSqlSafe(sql), args)
                    .fetch_one(&mut **c)
                    .await
            }
        };
        if found.ok()? == 0 {
            return Some(i);
        }
    }
    None
}

fn exists_sql(adapter: crate::adapter::Adapter, table: &str, key: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM {} WHERE {} = ?",
        quote_ident(adapter, table),
        quote_ident(adapter, key)
    )
}

/// The error for a row (or rows, at `place`) the database refused: for a constraint, exit 2
/// with the column and value when the error or the row tells them.
fn refused_error(
    label: &str,
    place: &str,
    err: &sqlx::Error,
    columns: &[Column],
    row: Option<Row<'_>>,
) -> anyhow::Error {
    let Some(kind) = constraint(err) else {
        return anyhow::anyhow!("{label}:{place}: {}", db_message(err));
    };
    let index = row
        .as_ref()
        .and_then(|r| r.missing_parent)
        .or_else(|| named_column(err, columns, &kind));
    let Some(index) = index else {
        return UsageError::new(format!("{label}:{place}: {}", db_message(err))).into();
    };
    let column = &columns[index];
    let detail = pg_error(err).and_then(|e| key_value(e.detail()?));
    let shown = shown(row.as_ref().and_then(|r| r.values.get(index)), detail);
    constraint_error(label, place, &kind, &db_message(err), column, &shown)
}

/// A value for messages: text quoted, numbers as they are.
fn shown(value: Option<&Value>, printed: Option<String>) -> String {
    match value {
        Some(Value::Text(text)) => format!("{text:?}"),
        Some(Value::Null) => "null".to_string(),
        Some(value) => value.key(),
        None => printed.map_or_else(|| "the value".to_string(), |v| format!("{v:?}")),
    }
}

/// `file:line: column: value is already taken`, and the like, exit 2.
fn constraint_error(
    label: &str,
    place: &str,
    kind: &ErrorKind,
    message: &str,
    column: &Column,
    shown: &str,
) -> anyhow::Error {
    let (what, hint) = match kind {
        ErrorKind::UniqueViolation => (
            format!("{shown} is already taken (the column is unique)"),
            "give each row its own value; the table may already hold this one".to_string(),
        ),
        ErrorKind::ForeignKeyViolation => {
            let (parent, key) = column.references.clone().unwrap_or_default();
            (
                format!("{shown} is not the {key} of any row of {parent}"),
                format!(
                    "seed {parent} first (e.g. name its file 01_{parent}.csv), or fix the reference"
                ),
            )
        }
        ErrorKind::NotNullViolation => (
            "is null, but the column is NOT NULL".to_string(),
            "give the column a value in every row".to_string(),
        ),
        _ => (
            format!("{shown} breaks a CHECK constraint ({message})"),
            "give a value the constraint allows".to_string(),
        ),
    };
    UsageError::new(format!("{label}:{place}: {}: {what}", column.name))
        .with_hint(hint)
        .into()
}

/// The column a constraint error names, in its message, detail, constraint or column field.
fn named_column(err: &sqlx::Error, columns: &[Column], kind: &ErrorKind) -> Option<usize> {
    let db = err.as_database_error()?;
    let mut text = db.message().to_string();
    if let Some(pg) = pg_error(err) {
        for part in [pg.detail(), pg.column()].into_iter().flatten() {
            text.push(' ');
            text.push_str(part);
        }
    }
    let constraint = db.constraint().unwrap_or_default();
    let fits = |c: &Column| match kind {
        ErrorKind::UniqueViolation => c.unique,
        ErrorKind::ForeignKeyViolation => c.references.is_some(),
        _ => true,
    };
    let word = |name: &str| {
        text.match_indices(name).any(|(at, _)| {
            let ident = |c: char| c.is_alphanumeric() || c == '_';
            !text[..at].chars().next_back().is_some_and(ident)
                && !text[at + name.len()..].chars().next().is_some_and(ident)
        })
    };
    // Index and constraint names embed the column: `users_email_index`, `posts_user_id_fkey`.
    let embedded = |name: &str| {
        let inside = format!("_{name}_");
        constraint.contains(&inside) || text.contains(&inside)
    };
    let pick = |test: &dyn Fn(&str) -> bool| {
        columns
            .iter()
            .position(|c| fits(c) && test(&c.name))
            .or_else(|| columns.iter().position(|c| test(&c.name)))
    };
    pick(&word).or_else(|| pick(&embedded))
}

/// The value of PostgreSQL's `Key (email)=(ann@example.com) already exists.`
fn key_value(detail: &str) -> Option<String> {
    let rest = &detail[detail.find(")=(")? + 3..];
    let end = rest.rfind(')')?;
    Some(rest[..end].to_string())
}

impl Copy<'_> {
    /// Encodes a batch in COPY's text format and sends it.
    async fn write(&mut self, batch: Batch, label: &str, columns: &[Column]) -> Result<()> {
        let width = batch.values.len() / batch.len().max(1);
        for (i, value) in batch.values.iter().enumerate() {
            copy_field(&mut self.buf, value);
            self.buf
                .push(if (i + 1) % width == 0 { b'\n' } else { b'\t' });
        }
        self.lines.extend_from_slice(&batch.lines);
        if self.buf.len() >= COPY_CHUNK {
            self.send(label, columns).await?;
        }
        Ok(())
    }

    async fn send(&mut self, label: &str, columns: &[Column]) -> Result<()> {
        self.copy
            .send(self.buf.as_slice())
            .await
            .map_err(|err| copy_error(label, &self.lines, &err, columns))?;
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
fn copy_error(label: &str, lines: &[u64], err: &sqlx::Error, columns: &[Column]) -> anyhow::Error {
    let row = pg_error(err)
        .and_then(|e| e.r#where())
        .and_then(|w| w.split("line ").nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<usize>().ok());
    let line = row.and_then(|n| lines.get(n.wrapping_sub(1))).copied();
    let Some(kind) = constraint(err) else {
        return match line {
            Some(line) => anyhow::anyhow!("{label}:{line}: {}", db_message(err)),
            None => anyhow::anyhow!("{label}: {}", db_message(err)),
        };
    };
    let value = pg_error(err).and_then(|e| key_value(e.detail()?));
    match (
        named_column(err, columns, &kind),
        line.is_some() || value.is_some(),
    ) {
        (Some(column), true) => anyhow::Error::new(Unplaced {
            label: label.to_string(),
            column,
            line,
            value,
            columns: columns.to_vec(),
            error: err.to_string(),
            kind,
            message: db_message(err),
        }),
        _ => UsageError::new(format!("{label}: {}", db_message(err))).into(),
    }
}

/// A constraint error from a COPY, whose row must be read again from the file: PostgreSQL
/// names the line but not always the value (CHECK), or for a foreign key checked at the end,
/// the value but not the line.
#[derive(Debug)]
pub struct Unplaced {
    label: String,
    /// Which of the written columns.
    pub column: usize,
    /// The file line of the row, when PostgreSQL said which.
    pub line: Option<u64>,
    /// The value, as PostgreSQL prints it, when it did.
    pub value: Option<String>,
    columns: Vec<Column>,
    error: String,
    kind: ErrorKind,
    message: String,
}

impl std::fmt::Display for Unplaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.label, self.error)
    }
}

impl std::error::Error for Unplaced {}

impl Unplaced {
    /// The error, placed at the row on `line`.
    pub fn at(&self, line: u64, row: &[Value]) -> anyhow::Error {
        constraint_error(
            &self.label,
            &line.to_string(),
            &self.kind,
            &self.message,
            &self.columns[self.column],
            &shown(row.get(self.column), None),
        )
    }

    /// The error when no row holds the value.
    pub fn unplaced(&self) -> anyhow::Error {
        let place = self.line.map(|line| format!(":{line}")).unwrap_or_default();
        UsageError::new(format!("{}{place}: {}", self.label, self.message)).into()
    }

    /// Whether the row on `line` holding `row` is the one.
    pub fn is(&self, line: u64, row: &[Value]) -> bool {
        match (self.line, &self.value) {
            (Some(at), _) => line == at,
            (None, Some(value)) => row.get(self.column).is_some_and(|v| v.key() == *value),
            (None, None) => false,
        }
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
