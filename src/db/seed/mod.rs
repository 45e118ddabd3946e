//! `axgen seed`: runs every file in `seeds/` in name order (or the files named) and `--fake`
//! requests, all in one transaction: `.sql` scripts, and `<table>.csv|json|toml` data files whose
//! values are checked against the Rust types the app reads the columns with (the catalog's types,
//! narrowed by the app's schema modules). A bad row stops everything and nothing is kept; what
//! was inserted is reported only once the transaction has committed.

mod catalog;
mod fake;
mod sink;
mod source;
mod value;

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};

use self::catalog::Table;
use self::sink::{Batch, Refused, Sink, Unplaced, db_message};
use self::value::{Column, Kind, Raw, Value};
use super::conn::{Conn, Db, Tx, quote_ident};
use super::{App, SeedRequest};
use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::naming;
use crate::output::Printer;
use crate::spec::Resource;

/// The folder of seed files inside an app.
pub const DIR: &str = "seeds";

/// Bars are drawn for files at least this big (bytes) or fakes at least this many rows.
const BAR_FROM: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Sql,
    Csv,
    Json,
    Toml,
}

/// A seed file to run.
#[derive(Debug, Clone)]
struct SeedFile {
    path: PathBuf,
    /// How messages name it: `seeds/posts.csv`, or the path as given.
    label: String,
    format: Format,
    /// The table a data file fills: its name without extension or `NN_` ordering prefix.
    table: String,
}

/// A `--fake TABLE=N` request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FakeRequest {
    table: String,
    count: u64,
}

/// `axgen seed`.
pub async fn run(app: &App, request: &SeedRequest, printer: &Printer) -> Result<()> {
    let fakes = request
        .fake
        .iter()
        .map(|f| parse_fake(f))
        .collect::<Result<Vec<_>>>()?;
    // seeds/ is the default when nothing is named: neither files nor fakes.
    let files = match (request.files.is_empty(), fakes.is_empty()) {
        (true, true) => dir_files(&app.seeds_dir(), printer)?,
        (true, false) => Vec::new(),
        (false, _) => named_files(&request.files)?,
    };
    if files.is_empty() && fakes.is_empty() {
        printer.line(&format!("Nothing to seed: no seed files in {DIR}/."));
        return Ok(());
    }
    // The generated app's own record of its tables: which Rust type reads each column.
    let specs = crate::generators::app::recorded_resources(&app.root, app.database.adapter());
    let conn = app.database.connect_or_create(printer).await?;
    let mut conn = super::standby::writable(&app.database, conn).await?;
    let seeds = Seeds {
        specs: &specs,
        printer,
    };
    let result = seed_all(&mut conn, &files, &fakes, &seeds).await;
    conn.close().await;
    result.map_err(nothing_kept)
}

/// What every seed step needs: the app's tables as generated, and where to print.
struct Seeds<'a> {
    specs: &'a BTreeMap<String, Resource>,
    printer: &'a Printer,
}

/// A failed run says that nothing of it was kept (the transaction rolled back), keeping its
/// exit code and hint.
fn nothing_kept(err: anyhow::Error) -> anyhow::Error {
    const KEPT: &str = "; nothing was seeded (the whole run was rolled back)";
    match err.downcast_ref::<UsageError>() {
        Some(usage) => {
            let mut usage = usage.clone();
            usage.message.push_str(KEPT);
            usage.into()
        }
        None => anyhow::anyhow!("{}{KEPT}", crate::error::one_line(&err)),
    }
}

async fn seed_all(
    conn: &mut Conn,
    files: &[SeedFile],
    fakes: &[FakeRequest],
    seeds: &Seeds<'_>,
) -> Result<()> {
    let printer = seeds.printer;
    let started = Instant::now();
    let mut tx = conn.begin().await.map_err(|err| {
        anyhow::anyhow!("could not start the seed transaction: {}", db_message(&err))
    })?;
    let (mut total, mut done) = (0, Vec::new());
    for file in files {
        let (rows, line) = seed_file(&mut tx, file, seeds).await?;
        total += rows;
        done.push(line);
    }
    for request in fakes {
        let (rows, line) = seed_fake(&mut tx, request, seeds).await?;
        total += rows;
        done.push(line);
    }
    tx.commit()
        .await
        .map_err(|err| anyhow::anyhow!("could not commit the seeds: {}", db_message(&err)))?;
    for line in done {
        printer.line(&line);
    }
    printer.line(&format!(
        "Seeded {total} row{} in {}.",
        if total == 1 { "" } else { "s" },
        super::duration(started.elapsed())
    ));
    Ok(())
}

fn parse_fake(text: &str) -> Result<FakeRequest> {
    let parsed = text.split_once('=').and_then(|(table, n)| {
        let count = n.trim().parse::<u64>().ok()?;
        let table = table.trim();
        (!table.is_empty()).then(|| FakeRequest {
            table: table.to_string(),
            count,
        })
    });
    parsed.ok_or_else(|| {
        UsageError::new(format!("--fake expects TABLE=N, got {text:?}"))
            .with_hint("e.g. --fake posts=100")
            .into()
    })
}

/// Every seed file in `dir`, in name order; READMEs and dotfiles are ignored.
fn dir_files(dir: &Path, printer: &Printer) -> Result<Vec<SeedFile>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.') && !name.to_ascii_lowercase().starts_with("readme"))
        .collect();
    names.sort();
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let label = format!("{DIR}/{name}");
        match seed_file_for(path, label.clone()) {
            Some(file) => files.push(file),
            None => printer.line(&format!(
                "Skipping {label}: not a .sql, .csv, .json or .toml file."
            )),
        }
    }
    Ok(files)
}

/// The files named on the command line, which must exist and be of a known kind.
fn named_files(paths: &[PathBuf]) -> Result<Vec<SeedFile>> {
    paths
        .iter()
        .map(|path| {
            let label = path.display().to_string();
            if !path.is_file() {
                return Err(
                    UsageError::new(format!("the seed file {label} does not exist"))
                        .with_hint(format!("seed files live in {DIR}/, e.g. {DIR}/posts.csv"))
                        .into(),
                );
            }
            seed_file_for(path.clone(), label.clone()).ok_or_else(|| {
                UsageError::new(format!("{label} is not a seed file axgen can run"))
                    .with_hint("seed files end in .sql, .csv, .json or .toml")
                    .into()
            })
        })
        .collect()
}

fn seed_file_for(path: PathBuf, label: String) -> Option<SeedFile> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let format = match extension.as_str() {
        "sql" => Format::Sql,
        "csv" => Format::Csv,
        "json" => Format::Json,
        "toml" => Format::Toml,
        _ => return None,
    };
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    Some(SeedFile {
        table: table_name(&stem),
        path,
        label,
        format,
    })
}

/// `02_posts` → `posts`: a leading number orders the files without naming the table.
fn table_name(stem: &str) -> String {
    let rest = stem.trim_start_matches(|c: char| c.is_ascii_digit());
    match rest.strip_prefix(['_', '-']) {
        Some(table) if rest.len() < stem.len() && !table.is_empty() => table.to_string(),
        _ => stem.to_string(),
    }
}

/// Seeds one file: its row count, and the line to print once the run has committed.
async fn seed_file(tx: &mut Tx<'_>, file: &SeedFile, seeds: &Seeds<'_>) -> Result<(u64, String)> {
    let printer = seeds.printer;
    if file.format == Format::Sql {
        return run_script(tx, file, printer).await;
    }
    let extension = file.path.extension().unwrap_or_default().to_string_lossy();
    let fix = |table: &str| format!("name the file after its table: {DIR}/{table}.{extension}");
    let table = read_table(&mut tx.db(), &file.table, &file.label, &fix, seeds).await?;
    printer.line(&format!("== Seeding {} from {}", table.name, file.label));
    let started = Instant::now();
    let (rows, written) = match file.format {
        Format::Csv => load_csv(tx.db(), &table, file, printer).await?,
        _ => load_records(tx, &table, file).await?,
    };
    fix_sequences(&mut tx.db(), &table, &written).await?;
    Ok((rows, inserted(rows, &table.name, started)))
}

fn inserted(rows: u64, table: &str, started: Instant) -> String {
    format!(
        "== Inserted {rows} row{} into {table} in {}",
        if rows == 1 { "" } else { "s" },
        super::duration(started.elapsed())
    )
}

async fn run_script(tx: &mut Tx<'_>, file: &SeedFile, printer: &Printer) -> Result<(u64, String)> {
    let sql = std::fs::read_to_string(&file.path)
        .with_context(|| format!("reading {}", file.path.display()))?;
    printer.line(&format!("== Running {}", file.label));
    let started = Instant::now();
    let rows = tx
        .db()
        .execute_script(&sql)
        .await
        .map_err(|err| anyhow::anyhow!("{}: {}", file.label, db_message(&err)))?;
    let done = format!(
        "== Ran {} in {}",
        file.label,
        super::duration(started.elapsed())
    );
    Ok((rows, done))
}

/// The table a data file or fake fills, its columns narrowed to the app's Rust types when
/// axgen generated it; `fix` says how to name another table instead (the closest one, when
/// the name looks like a typo of it).
async fn read_table(
    db: &mut Db<'_>,
    name: &str,
    label: &str,
    fix: &dyn Fn(&str) -> String,
    seeds: &Seeds<'_>,
) -> Result<Table> {
    let reading =
        |err: sqlx::Error| anyhow::anyhow!("{label}: reading table {name}: {}", db_message(&err));
    let Some(mut table) = catalog::read(db, name).await.map_err(reading)? else {
        let tables = catalog::table_names(db).await.map_err(reading)?;
        let hint = match naming::closest(name, tables.iter().map(String::as_str)) {
            Some(closest) => format!("did you mean {closest}? {}", fix(closest)),
            None if tables.is_empty() => {
                "the database has no tables yet: run `axgen migrate` first".to_string()
            }
            None => format!(
                "run `axgen migrate` first, or fill one of its tables ({}): {}",
                tables.join(", "),
                fix(&tables[0])
            ),
        };
        return Err(
            UsageError::new(format!("{label}: the table {name} does not exist"))
                .with_hint(hint)
                .into(),
        );
    };
    if let Some(resource) = seeds.specs.get(name) {
        catalog::apply_resource(&mut table, resource);
    }
    Ok(table)
}

/// How a file's columns map onto the table: the given ones, then timestamps filled with now.
struct Plan<'t> {
    columns: Vec<&'t Column>,
    given: usize,
    fill: Vec<Value>,
    label: String,
    adapter: Adapter,
}

impl<'t> Plan<'t> {
    /// `line` is where the column names are: the CSV header, the first JSON/TOML row.
    fn new(
        table: &'t Table,
        names: &[String],
        label: &str,
        line: u64,
        adapter: Adapter,
    ) -> Result<Plan<'t>> {
        let mut columns = Vec::with_capacity(names.len() + 2);
        for name in names {
            let column = given_column(table, name, label, line)?;
            if columns.iter().any(|c: &&Column| c.name == *name) {
                return Err(bad(
                    label,
                    line,
                    &format!("{name}: the column is given twice"),
                ));
            }
            columns.push(column);
        }
        let given = columns.len();
        let mut fill = Vec::new();
        for column in &table.columns {
            if columns.iter().any(|c| c.name == column.name) || !required(column) {
                continue;
            }
            if !matches!(column.name.as_str(), "inserted_at" | "updated_at") {
                return Err(bad(
                    label,
                    line,
                    &format!(
                        "{}: the column is NOT NULL and has no default, but the file does not give it",
                        column.name
                    ),
                ));
            }
            columns.push(column);
            fill.push(value::now(&column.kind, adapter));
        }
        Ok(Plan {
            columns,
            given,
            fill,
            label: label.to_string(),
            adapter,
        })
    }

    /// Converts one row of raw values into `out`.
    fn row<'r>(
        &self,
        raws: impl Iterator<Item = Raw<'r>>,
        line: u64,
        out: &mut Vec<Value>,
    ) -> Result<()> {
        for (column, raw) in self.columns[..self.given].iter().zip(raws) {
            let value = value::convert(column, raw, self.adapter)
                .map_err(|reason| bad(&self.label, line, &format!("{}: {reason}", column.name)))?;
            out.push(value);
        }
        out.extend(self.fill.iter().cloned());
        Ok(())
    }
}

fn required(column: &Column) -> bool {
    !column.nullable && !column.has_default && !column.auto
}

fn given_column<'t>(table: &'t Table, name: &str, label: &str, line: u64) -> Result<&'t Column> {
    let column = table.column(name).ok_or_else(|| {
        let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        anyhow::Error::new(
            UsageError::new(format!(
                "{label}:{line}: {name}: the table {} has no such column",
                table.name
            ))
            .with_hint(format!("its columns are: {}", known.join(", "))),
        )
    })?;
    if column.generated {
        return Err(bad(
            label,
            line,
            &format!("{name}: the database generates this column; leave it out"),
        ));
    }
    Ok(column)
}

/// A bad value in a seed file: `file:line: column: reason`, exit 2.
fn bad(label: &str, line: u64, what: &str) -> anyhow::Error {
    UsageError::new(format!("{label}:{line}: {what}")).into()
}

async fn load_csv<'t>(
    db: Db<'_>,
    table: &'t Table,
    file: &SeedFile,
    printer: &Printer,
) -> Result<(u64, Vec<&'t Column>)> {
    let label = &file.label;
    let opened = std::fs::File::open(&file.path)
        .with_context(|| format!("reading {}", file.path.display()))?;
    let lines = Lines::of(&file.path);
    let mut reader = csv::ReaderBuilder::new()
        .buffer_capacity(CSV_BUFFER)
        .from_reader(source::Quotes::new(opened));
    let names: Vec<String> = reader
        .headers()
        .map_err(|err| csv_error(file, lines, &err))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if names.iter().all(String::is_empty) {
        return Err(UsageError::new(format!(
            "{label}: the file is empty; a CSV seed starts with a header line naming its columns"
        ))
        .with_hint(format!(
            "e.g. a first line such as: {}",
            header_example(table)
        ))
        .into());
    }
    let plan = Plan::new(table, &names, label, 1, db.adapter())?;
    let size = std::fs::metadata(&file.path).map_or(0, |m| m.len());
    let progress = Progress::new(printer, size, label, BAR_FROM);
    let sink = Sink::open(db, &table.name, &plan.columns, label.clone()).await?;
    let first = reader.position().clone();
    let mut rows = CsvRows {
        reader,
        record: csv::StringRecord::new(),
        plan: &plan,
        file,
        lines,
        first,
        row: Vec::with_capacity(plan.columns.len()),
    };
    let count = pump(sink, &mut rows, &progress).await?;
    Ok((count, plan.columns))
}

/// Where a sink's rows come from: filled a batch at a time.
trait Rows {
    /// Adds rows to `batch` until it is full or the rows run out.
    fn fill(&mut self, batch: &mut Batch) -> Result<()>;
    /// How far along it is, in its progress bar's unit.
    fn position(&self) -> u64;
    /// Reads up to `count` rows again from `start` (or the first row), giving each with its
    /// line to `each` until it returns true; false when the source cannot be read again.
    fn replay_each(
        &self,
        start: Option<&csv::Position>,
        count: usize,
        each: &mut dyn FnMut(u64, Vec<Value>) -> bool,
    ) -> Result<bool> {
        let _ = (start, count, each);
        Ok(false)
    }
}

/// A row read again: its line and values.
type Replayed = (u64, Vec<Value>);

/// The `count` rows from `start` again, when the source can give them.
fn replay(rows: &impl Rows, start: &csv::Position, count: usize) -> Result<Option<Vec<Replayed>>> {
    let mut again = Vec::with_capacity(count);
    let replayed = rows.replay_each(Some(start), count, &mut |line, row| {
        again.push((line, row));
        false
    })?;
    Ok(replayed.then_some(again))
}

/// Finds the row of a constraint error from a COPY: the row on the line PostgreSQL names, or
/// (a foreign key checked at the end) the first whose column holds the value it names.
fn place(rows: &impl Rows, unplaced: &Unplaced) -> Result<anyhow::Error> {
    let mut found = None;
    rows.replay_each(None, usize::MAX, &mut |line, row| {
        let hit = unplaced.is(line, &row);
        if hit {
            found = Some((line, row));
        }
        hit
    })?;
    Ok(match found {
        Some((line, row)) => unplaced.at(line, &row),
        None => unplaced.unplaced(),
    })
}

/// Writes every row of `rows`, filling the next batch while the database writes the last one.
/// On any error the sink is abandoned; the seed transaction then rolls everything back.
async fn pump(sink: Sink<'_>, rows: &mut impl Rows, progress: &Progress) -> Result<u64> {
    let mut sink = sink;
    let pumped = pump_batches(&mut sink, rows, progress).await;
    progress.finish();
    match pumped {
        Ok(()) => match sink.finish().await {
            Err(err) => match err.downcast_ref::<Unplaced>() {
                Some(unplaced) => Err(place(rows, unplaced)?),
                None => Err(err),
            },
            done => done,
        },
        Err(err) => {
            sink.abort("the seed run stopped").await;
            Err(err)
        }
    }
}

async fn pump_batches(
    sink: &mut Sink<'_>,
    rows: &mut impl Rows,
    progress: &Progress,
) -> Result<()> {
    let mut next = sink.batch();
    rows.fill(&mut next)?;
    while !next.is_empty() {
        let current = std::mem::replace(&mut next, sink.batch());
        let (written, filled) = tokio::join!(sink.write(current), async { rows.fill(&mut next) });
        if let Err(err) = written {
            return Err(match err.downcast_ref::<Refused>() {
                Some(refused) => {
                    let again = replay(rows, &refused.start, refused.rows)?;
                    sink.explain(refused, again).await
                }
                None => err,
            });
        }
        filled?;
        progress.set(rows.position());
    }
    Ok(())
}

/// Bytes the CSV reader reads at once.
const CSV_BUFFER: usize = 1 << 16;

/// The columns a CSV header would name for `table`, for the hint about an empty file.
fn header_example(table: &Table) -> String {
    let names: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| !c.auto && !c.generated)
        .map(|c| c.name.as_str())
        .collect();
    names.join(",")
}

/// The rows of a CSV file, converted by the plan.
struct CsvRows<'p, 't, 'f> {
    reader: csv::Reader<source::Quotes<std::fs::File>>,
    record: csv::StringRecord,
    plan: &'p Plan<'t>,
    file: &'f SeedFile,
    lines: Lines,
    /// Where the first row starts.
    first: csv::Position,
    row: Vec<Value>,
}

/// How the csv crate's line numbers map to the file's: it counts a row that follows a CRLF
/// from the line before, so in a CRLF file every row's line is one more than it says.
#[derive(Debug, Clone, Copy)]
struct Lines {
    crlf: bool,
}

impl Lines {
    /// Looks at how the header line ends.
    fn of(path: &Path) -> Lines {
        use std::io::Read as _;
        let mut head = Vec::with_capacity(CSV_BUFFER);
        let read = std::fs::File::open(path)
            .and_then(|f| f.take(CSV_BUFFER as u64).read_to_end(&mut head));
        let crlf = read.is_ok()
            && memchr::memchr(b'\n', &head).is_some_and(|at| at > 0 && head[at - 1] == b'\r');
        Lines { crlf }
    }

    /// The file line of a position the csv crate gives.
    fn line(self, position: &csv::Position) -> u64 {
        let line = position.line();
        match self.crlf && position.record() > 0 {
            true => line + 1,
            false => line,
        }
    }
}

impl Rows for CsvRows<'_, '_, '_> {
    fn fill(&mut self, batch: &mut Batch) -> Result<()> {
        batch.start = self.reader.position().clone();
        while !batch.is_full() {
            match next_csv_row(
                &mut self.reader,
                &mut self.record,
                self.plan,
                self.file,
                self.lines,
                &mut self.row,
            )? {
                Some(line) => batch.push(&mut self.row, line),
                None => break,
            }
        }
        Ok(())
    }

    fn position(&self) -> u64 {
        self.reader.position().byte()
    }

    fn replay_each(
        &self,
        start: Option<&csv::Position>,
        count: usize,
        each: &mut dyn FnMut(u64, Vec<Value>) -> bool,
    ) -> Result<bool> {
        let file = std::fs::File::open(&self.file.path)
            .with_context(|| format!("reading {}", self.file.path.display()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(file);
        reader
            .seek(start.unwrap_or(&self.first).clone())
            .with_context(|| format!("reading {}", self.file.path.display()))?;
        let mut record = csv::StringRecord::new();
        for _ in 0..count {
            if !reader.read_record(&mut record)? {
                break;
            }
            let line = record.position().map_or(0, |p| self.lines.line(p));
            let mut row = Vec::with_capacity(self.plan.columns.len());
            self.plan
                .row(record.iter().map(Raw::Text), line, &mut row)?;
            if each(line, row) {
                break;
            }
        }
        Ok(true)
    }
}

/// Reads and converts the next CSV row into `row`; its line, or `None` at the end.
fn next_csv_row(
    reader: &mut csv::Reader<source::Quotes<std::fs::File>>,
    record: &mut csv::StringRecord,
    plan: &Plan<'_>,
    file: &SeedFile,
    lines: Lines,
    row: &mut Vec<Value>,
) -> Result<Option<u64>> {
    if !reader
        .read_record(record)
        .map_err(|err| csv_error(file, lines, &err))?
    {
        return Ok(None);
    }
    let line = record.position().map_or(0, |p| lines.line(p));
    plan.row(record.iter().map(Raw::Text), line, row)?;
    Ok(Some(line))
}

fn csv_error(file: &SeedFile, lines: Lines, err: &csv::Error) -> anyhow::Error {
    let label = &file.label;
    let line = err.position().map_or(1, |p| lines.line(p));
    let what = match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} values but the header names {expected_len} columns"),
        csv::ErrorKind::Io(io) => match io.get_ref().and_then(|e| e.downcast_ref()) {
            Some(open) => return open_quote(file, open),
            None => return anyhow::anyhow!("{label}: {io}"),
        },
        _ => err.to_string(),
    };
    bad(label, line, &what)
}

/// A quoted value that never closes, named by the line its quote opened on.
fn open_quote(file: &SeedFile, open: &source::OpenQuote) -> anyhow::Error {
    let line = source::line_of(&file.path, open.opened);
    let what = match open.stray {
        None => "a quoted value opens here and is never closed (the file ends inside it)".into(),
        Some(at) => format!(
            "a quoted value opens here and is never closed (the quote on line {} does not end a field)",
            source::line_of(&file.path, at)
        ),
    };
    UsageError::new(format!("{}:{line}: {what}", file.label))
        .with_hint("close the value with a quote, and write a quote inside a quoted value as \"\"")
        .into()
}

/// Loads a JSON or TOML file. A key a row leaves out takes the column's default, so each run of
/// rows with the same keys is written as one batch of those columns.
async fn load_records<'t>(
    tx: &mut Tx<'_>,
    table: &'t Table,
    file: &SeedFile,
) -> Result<(u64, Vec<&'t Column>)> {
    let label = &file.label;
    let text = std::fs::read_to_string(&file.path)
        .with_context(|| format!("reading {}", file.path.display()))?;
    let records = match file.format {
        Format::Toml => source::toml_records(&text, &table.name),
        _ => source::json_records(&text),
    }
    .map_err(|(line, message)| bad(label, line, &message))?;
    let (mut rows, mut columns) = (0, Vec::new());
    for run in records.chunk_by(|a, b| a.fields.keys().eq(b.fields.keys())) {
        let (count, written) = load_run(tx.db(), table, label, run).await?;
        rows += count;
        columns.extend(written);
    }
    Ok((rows, columns))
}

async fn load_run<'t>(
    db: Db<'_>,
    table: &'t Table,
    label: &str,
    records: &[source::Record],
) -> Result<(u64, Vec<&'t Column>)> {
    let names: Vec<String> = records[0].fields.keys().cloned().collect();
    let plan = Plan::new(table, &names, label, records[0].line, db.adapter())?;
    let sink = Sink::open(db, &table.name, &plan.columns, label.to_string()).await?;
    let mut rows = RecordRows {
        all: records,
        records: records.iter(),
        plan: &plan,
        row: Vec::with_capacity(plan.columns.len()),
        done: 0,
    };
    let count = pump(sink, &mut rows, &Progress(None)).await?;
    Ok((count, plan.columns))
}

/// The rows of a JSON or TOML file that share one set of keys.
struct RecordRows<'r, 'p, 't> {
    all: &'r [source::Record],
    records: std::slice::Iter<'r, source::Record>,
    plan: &'p Plan<'t>,
    row: Vec<Value>,
    done: u64,
}

impl Rows for RecordRows<'_, '_, '_> {
    fn fill(&mut self, batch: &mut Batch) -> Result<()> {
        batch.start.set_record(self.done);
        while !batch.is_full() {
            let Some(record) = self.records.next() else {
                break;
            };
            let raws = record.fields.values().map(Raw::Json);
            self.plan.row(raws, record.line, &mut self.row)?;
            batch.push(&mut self.row, record.line);
            self.done += 1;
        }
        Ok(())
    }

    fn position(&self) -> u64 {
        self.done
    }

    fn replay_each(
        &self,
        start: Option<&csv::Position>,
        count: usize,
        each: &mut dyn FnMut(u64, Vec<Value>) -> bool,
    ) -> Result<bool> {
        let from = start.map_or(0, |s| usize::try_from(s.record()).unwrap_or(usize::MAX));
        for record in self.all.iter().skip(from).take(count) {
            let mut row = Vec::with_capacity(self.plan.columns.len());
            self.plan
                .row(record.fields.values().map(Raw::Json), record.line, &mut row)?;
            if each(record.line, row) {
                break;
            }
        }
        Ok(true)
    }
}

async fn seed_fake(
    tx: &mut Tx<'_>,
    request: &FakeRequest,
    seeds: &Seeds<'_>,
) -> Result<(u64, String)> {
    let printer = seeds.printer;
    let label = format!("--fake {}={}", request.table, request.count);
    let count = request.count;
    let fix = |table: &str| format!("--fake {table}={count}");
    let table = read_table(&mut tx.db(), &request.table, &label, &fix, seeds).await?;
    printer.line(&format!(
        "== Faking {} rows into {}",
        request.count, table.name
    ));
    let started = Instant::now();
    let mut faker = fake::Faker::new(&mut tx.db(), &table).await?;
    let columns = faker.columns();
    let progress = Progress::new(printer, request.count, &label, BAR_FROM / 64);
    let sink = Sink::open(tx.db(), &table.name, &columns, label.clone()).await?;
    let mut rows = FakeRows {
        faker: &mut faker,
        count: request.count,
        done: 0,
        row: Vec::with_capacity(columns.len()),
    };
    let count = pump(sink, &mut rows, &progress).await?;
    Ok((count, inserted(count, &table.name, started)))
}

/// `count` generated rows; a row's "line" is its number.
struct FakeRows<'f, 't> {
    faker: &'f mut fake::Faker<'t>,
    count: u64,
    done: u64,
    row: Vec<Value>,
}

impl Rows for FakeRows<'_, '_> {
    fn fill(&mut self, batch: &mut Batch) -> Result<()> {
        while !batch.is_full() && self.done < self.count {
            self.faker.row(&mut self.row)?;
            self.done += 1;
            batch.push(&mut self.row, self.done);
        }
        Ok(())
    }

    fn position(&self) -> u64 {
        self.done
    }
}

/// After explicit ids went into a serial/identity column, PostgreSQL's sequence must move past
/// them or the app's next insert collides.
async fn fix_sequences(db: &mut Db<'_>, table: &Table, columns: &[&Column]) -> Result<()> {
    let Db::Postgres(conn) = db else {
        return Ok(());
    };
    let quoted = quote_ident(Adapter::Postgres, &table.name);
    for column in columns
        .iter()
        .filter(|c| c.auto && matches!(c.kind, Kind::Int { .. }))
    {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({}) FROM {quoted}), 0) + 1, false)",
            quote_ident(Adapter::Postgres, &column.name)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&quoted)
            .bind(&column.name)
            .execute(&mut **conn)
            .await
            .map_err(|err| {
                anyhow::anyhow!(
                    "moving the id sequence of {} past the seeded ids: {}",
                    table.name,
                    db_message(&err)
                )
            })?;
    }
    Ok(())
}

/// A progress bar on a terminal for long seeds; nothing otherwise (the `==` lines say enough).
struct Progress(Option<ProgressBar>);

impl Progress {
    fn new(printer: &Printer, len: u64, label: &str, from: u64) -> Progress {
        let show = !printer.is_quiet() && len >= from && std::io::stderr().is_terminal();
        Progress(show.then(|| {
            let style = ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            ProgressBar::new(len)
                .with_style(style)
                .with_message(label.to_string())
        }))
    }

    fn set(&self, position: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_requests_are_table_equals_count() {
        assert_eq!(
            parse_fake("posts=10").unwrap(),
            FakeRequest {
                table: "posts".into(),
                count: 10
            }
        );
        for bad in ["posts", "=3", "posts=x", "posts=-1"] {
            assert_eq!(
                crate::error::exit_code(&parse_fake(bad).unwrap_err()),
                2,
                "{bad}"
            );
        }
    }

    #[test]
    fn ordering_prefixes_are_not_part_of_the_table_name() {
        assert_eq!(table_name("02_posts"), "posts");
        assert_eq!(table_name("10-users"), "users");
        assert_eq!(table_name("posts"), "posts");
        assert_eq!(table_name("2024"), "2024");
    }

    #[test]
    fn directory_listing_skips_readmes_and_dotfiles_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.csv",
            "a.sql",
            "README.md",
            ".keep",
            "c.json",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let printer = Printer::new(true, crate::output::ColorChoice::Never);
        let files = dir_files(dir.path(), &printer).unwrap();
        let labels: Vec<&str> = files.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(labels, ["seeds/a.sql", "seeds/b.csv", "seeds/c.json"]);
    }
}
