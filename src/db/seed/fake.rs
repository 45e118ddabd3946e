//! `--fake TABLE=N`: plausible rows from column names and types (the `fake` crate's names,
//! emails and lorem), enum values from CHECK constraints, existing parent ids for foreign keys,
//! and distinct values for unique columns.

use std::collections::HashSet;

use anyhow::Result;
use chrono::{Duration, NaiveDate, Utc};
use fake::Fake as _;
use fake::faker::address::en::{CityName, CountryName, StreetName, ZipCode};
use fake::faker::company::en::CompanyName;
use fake::faker::internet::en::Username;
use fake::faker::lorem::en::{Paragraph, Sentence, Words};
use fake::faker::name::en::{FirstName, LastName, Name};
use fake::faker::phone_number::en::PhoneNumber;
use fake::rand::RngExt as _;
use fake::rand::rngs::ThreadRng;
use fake::rand::seq::{IndexedRandom as _, SliceRandom as _};

use super::catalog::Table;
use super::value::{Column, Kind, Raw, Value, convert, hex, uuid_text};
use crate::adapter::Adapter;
use crate::db::conn::{Db, each_db, quote_ident};
use crate::error::UsageError;

/// How many tries a unique column gets before its values are made distinct by a suffix.
const UNIQUE_TRIES: usize = 20;

/// Generates rows for one table.
pub struct Faker<'t> {
    table: &'t Table,
    columns: Vec<Filler<'t>>,
    adapter: Adapter,
    rng: ThreadRng,
    row: u64,
    /// Where `inserted_at` and `updated_at` are in a row, when both are faked.
    timestamps: Option<(usize, usize)>,
}

/// One column's generator, with what keeps it unique.
struct Filler<'t> {
    column: &'t Column,
    make: Make,
    /// Values already in the table or generated, for unique columns.
    seen: Option<HashSet<String>>,
}

enum Make {
    /// Existing parent keys; drawn without replacement when the column is unique.
    Parent(Vec<Value>),
    Choice(Vec<String>),
    Int {
        min: i64,
        max: i64,
    },
    /// Unique integers: counting up from past the largest one already there.
    Sequence {
        next: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    Decimal {
        max: f64,
        scale: u32,
    },
    Bool,
    Date {
        from: NaiveDate,
        days: i64,
    },
    Time,
    DateTime {
        tz: bool,
    },
    Uuid,
    Json,
    Array,
    Bytes,
    Text(Style, Option<usize>),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Email,
    FirstName,
    LastName,
    FullName,
    Username,
    Title,
    Paragraph,
    Slug,
    Url,
    Phone,
    City,
    Country,
    Street,
    Zip,
    Company,
    Secret,
    Words,
}

impl<'t> Faker<'t> {
    /// Reads what the table's foreign and unique keys need from the database.
    pub async fn new(db: &mut Db<'_>, table: &'t Table) -> Result<Faker<'t>> {
        let adapter = db.adapter();
        let mut columns = Vec::new();
        for column in table.columns.iter().filter(|c| !c.auto) {
            let make = make_for(db, table, column).await?;
            let seen: Option<HashSet<String>> = match column.unique {
                true => Some(
                    texts(db, &table.name, &column.name)
                        .await?
                        .into_iter()
                        .collect(),
                ),
                false => None,
            };
            let make = match (make, &seen, &column.kind) {
                (Make::Int { min, .. }, Some(seen), Kind::Int { max, .. }) => {
                    sequence(min, *max, seen)
                }
                (make, _, _) => make,
            };
            columns.push(Filler { column, make, seen });
        }
        let position = |name: &str| columns.iter().position(|f| f.column.name == name);
        let timestamps = position("inserted_at").zip(position("updated_at"));
        Ok(Faker {
            table,
            columns,
            adapter,
            rng: fake::rand::rng(),
            row: 0,
            timestamps,
        })
    }

    /// The columns each row fills, in order.
    pub fn columns(&self) -> Vec<&'t Column> {
        self.columns.iter().map(|f| f.column).collect()
    }

    /// Fills `out` with the next row; its `updated_at` is never before its `inserted_at`.
    pub fn row(&mut self, out: &mut Vec<Value>) -> Result<()> {
        self.row += 1;
        let start = out.len();
        for filler in &mut self.columns {
            let value = filler
                .next(&mut self.rng, self.row, self.adapter)
                .ok_or_else(|| exhausted(self.table, filler.column, self.row))?;
            out.push(value);
        }
        if let Some((inserted, updated)) = self.timestamps {
            let (inserted, updated) = (start + inserted, start + updated);
            // Both are written in one format, in which text order is time order.
            if let (Value::Text(i), Value::Text(u)) = (&out[inserted], &out[updated])
                && u < i
            {
                out.swap(inserted, updated);
            }
        }
        Ok(())
    }
}

fn exhausted(table: &Table, column: &Column, row: u64) -> anyhow::Error {
    UsageError::new(format!(
        "cannot fake row {row} of {}: {} is unique and has no distinct value left",
        table.name, column.name
    ))
    .with_hint(match &column.references {
        Some((parent, _)) => format!("add rows to {parent} first, or fake fewer rows"),
        None => "fake fewer rows".to_string(),
    })
    .into()
}

async fn make_for(db: &mut Db<'_>, table: &Table, column: &Column) -> Result<Make> {
    if let Some((parent, key)) = &column.references {
        let ids = texts(db, parent, key).await?;
        if ids.is_empty() && !column.nullable {
            return Err(UsageError::new(format!(
                "cannot fake rows for {}: {} references {parent}, which has no rows",
                table.name, column.name
            ))
            .with_hint(format!(
                "seed {parent} first, e.g. `axgen seed --fake {parent}=10 --fake {}=50`",
                table.name
            ))
            .into());
        }
        let adapter = db.adapter();
        let values = ids
            .iter()
            .filter_map(|id| convert(column, Raw::Text(id), adapter).ok())
            .collect();
        return Ok(Make::Parent(values));
    }
    if !column.choices.is_empty() {
        return Ok(Make::Choice(column.choices.clone()));
    }
    Ok(make_by_kind(column))
}

fn make_by_kind(column: &Column) -> Make {
    let name = column.name.to_ascii_lowercase();
    match &column.kind {
        Kind::Int { min, max } => {
            let (lo, hi) = int_range(&name);
            Make::Int {
                min: lo.clamp(*min, *max),
                max: hi.clamp(*min, *max),
            }
        }
        Kind::Float => {
            let (min, max) = float_range(&name);
            Make::Float { min, max }
        }
        Kind::Decimal { digits, scale } => {
            let scale = scale.unwrap_or(2).min(6);
            let cap = digits.map_or(f64::MAX, |d| 10f64.powi(d.min(15) as i32) - 1.0);
            Make::Decimal {
                max: float_range(&name).1.min(cap).max(0.0),
                scale,
            }
        }
        Kind::Bool => Make::Bool,
        Kind::Date => date_range(&name),
        Kind::Time => Make::Time,
        Kind::DateTime => Make::DateTime { tz: false },
        Kind::DateTimeTz => Make::DateTime { tz: true },
        Kind::Uuid => Make::Uuid,
        Kind::Json => Make::Json,
        Kind::Array(_) => Make::Array,
        Kind::Bytes => Make::Bytes,
        Kind::Text { .. } | Kind::Other if name.ends_with("_at") => Make::DateTime { tz: false },
        Kind::Text { .. } | Kind::Other if name.ends_with("_on") || name.ends_with("date") => {
            date_range(&name)
        }
        Kind::Text { max } => Make::Text(style(&name), *max),
        Kind::Other if column.nullable => Make::Null,
        Kind::Other => Make::Text(Style::Words, None),
    }
}

/// Unique integers count up from `min`, or from past the largest value already there, up to
/// the column type's `max`.
fn sequence(min: i64, max: i64, seen: &HashSet<String>) -> Make {
    let largest = seen.iter().filter_map(|s| s.parse::<i64>().ok()).max();
    Make::Sequence {
        next: largest.map_or(min, |n| n.saturating_add(1).max(min)),
        max,
    }
}

fn int_range(name: &str) -> (i64, i64) {
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["age"]) {
        (18, 90)
    } else if has(&["year"]) {
        (1990, 2030)
    } else if has(&["rating", "stars", "score"]) {
        (1, 5)
    } else if has(&["count", "quantity", "qty", "stock", "views", "likes"]) {
        (0, 1_000)
    } else if has(&["price", "amount", "total", "cost"]) {
        (1, 1_000)
    } else if has(&["position", "order", "rank", "priority"]) {
        (1, 100)
    } else {
        (1, 10_000)
    }
}

fn float_range(name: &str) -> (f64, f64) {
    if name.starts_with("lat") {
        (-90.0, 90.0)
    } else if name.starts_with("lng") || name.starts_with("lon") {
        (-180.0, 180.0)
    } else if name.contains("rating") || name.contains("score") {
        (1.0, 5.0)
    } else {
        (1.0, 1_000.0)
    }
}

fn date_range(name: &str) -> Make {
    if ["birth", "dob", "born"].iter().any(|w| name.contains(w)) {
        let from = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default();
        return Make::Date {
            from,
            days: 55 * 365,
        };
    }
    let today = Utc::now().date_naive();
    Make::Date {
        from: today - Duration::days(3 * 365),
        days: 3 * 365,
    }
}

fn style(name: &str) -> Style {
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    let table: [(&[&str], Style); 16] = [
        (&["email"], Style::Email),
        (&["first_name", "firstname", "given_name"], Style::FirstName),
        (
            &["last_name", "lastname", "surname", "family_name"],
            Style::LastName,
        ),
        (
            &["username", "login", "handle", "nickname"],
            Style::Username,
        ),
        (&["company", "organization", "organisation"], Style::Company),
        (&["city", "town"], Style::City),
        (&["country"], Style::Country),
        (&["street", "address"], Style::Street),
        (&["zip", "postal", "postcode"], Style::Zip),
        (&["phone", "mobile"], Style::Phone),
        (&["url", "website", "link", "homepage"], Style::Url),
        (&["slug"], Style::Slug),
        (
            &["password", "hash", "token", "secret", "digest"],
            Style::Secret,
        ),
        (&["title", "subject", "headline", "heading"], Style::Title),
        (
            &[
                "body",
                "content",
                "description",
                "bio",
                "summary",
                "text",
                "comment",
                "message",
                "note",
                "about",
                "excerpt",
            ],
            Style::Paragraph,
        ),
        (&["name", "author"], Style::FullName),
    ];
    table
        .iter()
        .find(|(words, _)| has(words))
        .map_or(Style::Words, |(_, style)| *style)
}

impl Filler<'_> {
    /// The next value; `None` when a unique column has no distinct value left.
    fn next(&mut self, rng: &mut ThreadRng, row: u64, adapter: Adapter) -> Option<Value> {
        match &mut self.make {
            Make::Parent(ids) => {
                return next_parent(ids, self.seen.as_mut(), self.column.nullable, rng);
            }
            Make::Sequence { next, max } => {
                let value = (*next <= *max).then_some(Value::Int(*next));
                *next = next.saturating_add(1);
                return value;
            }
            _ => {}
        }
        let Some(seen) = self.seen.as_mut() else {
            return Some(make(&self.make, rng, adapter));
        };
        for _ in 0..UNIQUE_TRIES {
            let value = make(&self.make, rng, adapter);
            if seen.insert(value.key()) {
                return Some(value);
            }
        }
        let value = distinct(&self.make, rng, row, seen, adapter)?;
        seen.insert(value.key());
        Some(value)
    }
}

fn next_parent(
    ids: &mut Vec<Value>,
    seen: Option<&mut HashSet<String>>,
    nullable: bool,
    rng: &mut ThreadRng,
) -> Option<Value> {
    let Some(seen) = seen else {
        return Some(ids.choose(rng).cloned().unwrap_or(Value::Null));
    };
    ids.retain(|id| !seen.contains(&id.key()));
    ids.shuffle(rng);
    match ids.pop() {
        Some(id) => {
            seen.insert(id.key());
            Some(id)
        }
        None if nullable => Some(Value::Null),
        None => None,
    }
}

/// A value made distinct by construction, after random ones kept colliding.
fn distinct(
    make: &Make,
    rng: &mut ThreadRng,
    row: u64,
    seen: &HashSet<String>,
    adapter: Adapter,
) -> Option<Value> {
    match make {
        Make::Text(style, max) => {
            let base = text(*style, rng);
            (0..)
                .map(|n| suffixed(&base, *style, row + n, *max))
                .find(|v| !seen.contains(v))
                .map(Value::Text)
        }
        // As any other value of the column: SQLite's timestamps in the app's format.
        Make::Uuid | Make::Bytes | Make::DateTime { .. } => Some(self::make(make, rng, adapter)),
        _ => None,
    }
}

fn suffixed(base: &str, style: Style, n: u64, max: Option<usize>) -> String {
    let tag = match style {
        Style::Slug | Style::Url => format!("-{n}"),
        _ => n.to_string(),
    };
    let text = match (style, base.split_once('@')) {
        (Style::Email, Some((local, domain))) => format!("{local}{tag}@{domain}"),
        _ => format!("{base}{tag}"),
    };
    match max {
        Some(max) if text.chars().count() > max => {
            let keep = max.saturating_sub(tag.chars().count());
            format!("{}{tag}", base.chars().take(keep).collect::<String>())
        }
        _ => text,
    }
}

fn make(make: &Make, rng: &mut ThreadRng, adapter: Adapter) -> Value {
    match make {
        Make::Bool if adapter == Adapter::Sqlite => Value::Int(i64::from(rng.random_bool(0.5))),
        // An empty array: PostgreSQL's literal, the app's JSON elsewhere.
        Make::Array if adapter != Adapter::Postgres => Value::Text("[]".to_string()),
        Make::DateTime { tz: true } if adapter == Adapter::Sqlite => match make_plain(make, rng) {
            Value::Text(at) => Value::Text(at.replace('Z', "+00:00")),
            other => other,
        },
        other => make_plain(other, rng),
    }
}

fn make_plain(make: &Make, rng: &mut ThreadRng) -> Value {
    match make {
        Make::Parent(ids) => ids.choose(rng).cloned().unwrap_or(Value::Null),
        Make::Choice(values) => Value::Text(values.choose(rng).cloned().unwrap_or_default()),
        Make::Int { min, max } => Value::Int(rng.random_range(*min..=*max)),
        Make::Sequence { next, .. } => Value::Int(*next),
        Make::Float { min, max } => {
            Value::Float((rng.random_range(*min..=*max) * 100.0).round() / 100.0)
        }
        Make::Decimal { max, scale } => {
            let n: f64 = rng.random_range(0.0..=*max);
            Value::Text(format!("{n:.prec$}", prec = *scale as usize))
        }
        Make::Bool => Value::Bool(rng.random_bool(0.5)),
        Make::Date { from, days } => {
            Value::Text((*from + Duration::days(rng.random_range(0..=*days))).to_string())
        }
        Make::Time => Value::Text(format!(
            "{:02}:{:02}:00",
            rng.random_range(0..24),
            rng.random_range(0..60)
        )),
        Make::DateTime { tz } => datetime(rng, *tz),
        Make::Uuid => Value::Text(uuid(rng)),
        Make::Json => Value::Text("{}".to_string()),
        Make::Array => Value::Text("{}".to_string()),
        Make::Bytes => Value::Bytes((0..16).map(|_| rng.random()).collect()),
        Make::Text(style, max) => Value::Text(truncate(text(*style, rng), *max)),
        Make::Null => Value::Null,
    }
}

fn datetime(rng: &mut ThreadRng, tz: bool) -> Value {
    let at = Utc::now() - Duration::seconds(rng.random_range(0..3 * 365 * 24 * 3600));
    Value::Text(match tz {
        true => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        false => at.format("%Y-%m-%d %H:%M:%S").to_string(),
    })
}

/// A random version 4 UUID.
fn uuid(rng: &mut ThreadRng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid_text(&hex(&b))
}

fn text(style: Style, rng: &mut ThreadRng) -> String {
    match style {
        Style::Email => {
            let first: String = FirstName().fake_with_rng(rng);
            let last: String = LastName().fake_with_rng(rng);
            format!("{}.{}@example.com", ascii_lower(&first), ascii_lower(&last))
        }
        Style::FirstName => FirstName().fake_with_rng(rng),
        Style::LastName => LastName().fake_with_rng(rng),
        Style::FullName => Name().fake_with_rng(rng),
        Style::Username => Username().fake_with_rng(rng),
        Style::Title => {
            let s: String = Sentence(3..7).fake_with_rng(rng);
            s.trim_end_matches('.').to_string()
        }
        Style::Paragraph => Paragraph(1..3).fake_with_rng(rng),
        Style::Slug => slug(rng),
        Style::Url => format!("https://example.com/{}", slug(rng)),
        Style::Phone => PhoneNumber().fake_with_rng(rng),
        Style::City => CityName().fake_with_rng(rng),
        Style::Country => CountryName().fake_with_rng(rng),
        Style::Street => StreetName().fake_with_rng(rng),
        Style::Zip => ZipCode().fake_with_rng(rng),
        Style::Company => CompanyName().fake_with_rng(rng),
        Style::Secret => hex(&rng.random::<[u8; 16]>()),
        Style::Words => {
            let words: Vec<String> = Words(1..4).fake_with_rng(rng);
            words.join(" ")
        }
    }
}

fn slug(rng: &mut ThreadRng) -> String {
    let words: Vec<String> = Words(2..5).fake_with_rng(rng);
    words.join("-").to_ascii_lowercase()
}

fn ascii_lower(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn truncate(text: String, max: Option<usize>) -> String {
    match max {
        Some(max) if text.chars().count() > max => text.chars().take(max).collect(),
        _ => text,
    }
}

/// Every non-null value of `table.column`, as text.
async fn texts(db: &mut Db<'_>, table: &str, column: &str) -> Result<Vec<String>> {
    let adapter = db.adapter();
    let col = quote_ident(adapter, column);
    let cast = match adapter {
        Adapter::Sqlite => format!("CAST({col} AS TEXT)"),
        Adapter::Postgres => format!("{col}::text"),
        Adapter::Mysql => format!("CAST({col} AS CHAR)"),
    };
    let sql = format!(
        "SELECT {cast} FROM {} WHERE {col} IS NOT NULL",
        quote_ident(adapter, table)
    );
    let query = sqlx::AssertSqlSafe(sql);
    let values: Vec<String> =
        each_db!(db, c => sqlx::query_scalar(query).fetch_all(&mut **c).await?);
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_follow_column_names() {
        assert_eq!(style("email"), Style::Email);
        assert_eq!(style("author_name"), Style::FullName);
        assert_eq!(style("company_name"), Style::Company);
        assert_eq!(style("body"), Style::Paragraph);
        assert_eq!(style("title"), Style::Title);
        assert_eq!(style("zzz"), Style::Words);
    }

    #[test]
    fn suffixes_keep_emails_valid_and_lengths_bounded() {
        assert_eq!(
            suffixed("a.b@example.com", Style::Email, 7, None),
            "a.b7@example.com"
        );
        assert_eq!(suffixed("abcdef", Style::Words, 12, Some(4)), "ab12");
        assert_eq!(suffixed("my-post", Style::Slug, 3, None), "my-post-3");
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid(&mut fake::rand::rng());
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn a_timestamp_made_distinct_is_written_as_any_other_of_its_column() {
        let mut rng = fake::rand::rng();
        let make = Make::DateTime { tz: true };
        for (adapter, zone) in [(Adapter::Sqlite, "+00:00"), (Adapter::Postgres, "Z")] {
            let plain = self::make(&make, &mut rng, adapter);
            let distinct = distinct(&make, &mut rng, 1, &HashSet::new(), adapter);
            for value in [Some(plain), distinct] {
                let Some(Value::Text(at)) = value else {
                    panic!("{adapter:?}: {value:?}");
                };
                assert!(
                    at.ends_with(zone) && at[10..11] == *"T",
                    "{adapter:?}: {at}"
                );
            }
        }
    }
}
