//! Column types as read from the catalog (and the app's own schema modules), and the conversion
//! of seed values (CSV text or JSON/TOML values) into typed values for them, with a one-line
//! reason when a value does not fit. A value is accepted only when the generated app's Rust type
//! reads it back (`i32`, `rust_decimal::Decimal`, `chrono::DateTime<Utc>`...), and it is stored
//! in the format the app itself writes.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::Value as Json;

use crate::adapter::Adapter;

/// What a column holds, as far as converting values goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    Float,
    /// `digits` is how many digits may stand before the decimal point, when the type says.
    Decimal {
        digits: Option<u32>,
        scale: Option<u32>,
    },
    Bool,
    Text {
        max: Option<usize>,
    },
    Date,
    Time,
    DateTime,
    DateTimeTz,
    Uuid,
    Json,
    Bytes,
    /// An array: native on PostgreSQL, JSON text elsewhere; of `Some(kind)` when known.
    Array(Option<Box<Kind>>),
    Other,
}

/// A column of a table, from the database catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// The type as the database spells it, for messages.
    pub sql_type: String,
    pub kind: Kind,
    pub nullable: bool,
    pub has_default: bool,
    /// Filled by the database: auto-increment/identity keys and generated columns.
    pub auto: bool,
    /// Generated columns can never be written.
    pub generated: bool,
    /// Single-column unique index or primary key.
    pub unique: bool,
    /// `(table, column)` of a single-column foreign key.
    pub references: Option<(String, String)>,
    /// Allowed values, from an ENUM type or a `CHECK (col IN (...))` constraint.
    pub choices: Vec<String>,
}

/// A value ready to insert.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

/// A value as a seed file gives it.
#[derive(Debug, Clone, Copy)]
pub enum Raw<'a> {
    /// A CSV cell; empty means NULL.
    Text(&'a str),
    /// A JSON or TOML value.
    Json(&'a serde_json::Value),
}

impl Value {
    /// The value as text, for comparing generated and existing unique values.
    pub fn key(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Text(t) => t.clone(),
            Value::Bytes(b) => hex(b),
        }
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Converts a seed value for `column`, or says in a few words why it does not fit.
pub fn convert(column: &Column, raw: Raw<'_>, adapter: Adapter) -> Result<Value, String> {
    let value = match raw {
        Raw::Text("") | Raw::Json(Json::Null) => Value::Null,
        Raw::Text(text) => from_text(&column.kind, text, adapter)?,
        Raw::Json(json) => from_json(&column.kind, json, adapter)?,
    };
    check(column, &value).map_err(|reason| match raw {
        Raw::Text(_) if value == Value::Null => format!("is empty, {reason}"),
        _ if value == Value::Null => format!("is null, {reason}"),
        _ => reason,
    })?;
    Ok(value)
}

fn check(column: &Column, value: &Value) -> Result<(), String> {
    match value {
        Value::Null if !column.nullable => Err("but the column is NOT NULL".to_string()),
        Value::Text(text) if !column.choices.is_empty() && !column.choices.contains(text) => Err(
            format!("{text:?} is not one of: {}", column.choices.join(", ")),
        ),
        Value::Text(text) => check_length(&column.kind, text),
        _ => Ok(()),
    }
}

fn check_length(kind: &Kind, text: &str) -> Result<(), String> {
    match kind {
        Kind::Text { max: Some(max) } if text.chars().count() > *max => {
            Err(format!("{text:?} is longer than {max} characters"))
        }
        _ => Ok(()),
    }
}

/// A JSON (or TOML) value, which must have the JSON type the column's Rust type reads.
fn from_json(kind: &Kind, json: &Json, adapter: Adapter) -> Result<Value, String> {
    match (kind, json) {
        (Kind::Json, _) => Ok(Value::Text(json.to_string())),
        (Kind::Array(element), Json::Array(items)) => array(element.as_deref(), items, adapter),
        (Kind::Bytes, Json::Array(items)) => json_bytes(items),
        (Kind::Bool, Json::Bool(b)) => Ok(bool_value(*b, adapter)),
        (Kind::Int { min, max }, Json::Number(n)) => match n.as_i64() {
            Some(i) => in_range(i, *min, *max),
            None => Err(format!("{n} is not an integer")),
        },
        (Kind::Float, Json::Number(n)) => finite(n.as_f64().unwrap_or(f64::NAN), &n.to_string()),
        (Kind::Decimal { .. } | Kind::Other, Json::Number(n)) => {
            from_text(kind, &n.to_string(), adapter)
        }
        (Kind::Other, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (
            Kind::Text { .. }
            | Kind::Decimal { .. }
            | Kind::Date
            | Kind::Time
            | Kind::DateTime
            | Kind::DateTimeTz
            | Kind::Uuid
            | Kind::Bytes
            | Kind::Other,
            Json::String(text),
        ) => from_text(kind, text, adapter),
        _ => Err(format!(
            "expected {}, found {}",
            expected_json(kind),
            found_json(json)
        )),
    }
}

/// The JSON a column of `kind` takes, for messages.
fn expected_json(kind: &Kind) -> &'static str {
    match kind {
        Kind::Int { .. } => "an integer (a JSON number)",
        Kind::Float => "a JSON number",
        Kind::Decimal { .. } => "a decimal (a JSON number or string)",
        Kind::Bool => "true or false",
        Kind::Text { .. } | Kind::Uuid => "a JSON string",
        Kind::Date => "a date (a JSON string)",
        Kind::Time => "a time (a JSON string)",
        Kind::DateTime | Kind::DateTimeTz => "a timestamp (a JSON string)",
        Kind::Json => "JSON",
        Kind::Bytes => "bytes (a JSON array of numbers or a string)",
        Kind::Array(_) => "a JSON array",
        Kind::Other => "a JSON string, number or boolean",
    }
}

/// A JSON value named by its type, for messages.
fn found_json(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string {s:?}"),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

fn json_bytes(items: &[Json]) -> Result<Value, String> {
    items
        .iter()
        .map(|item| {
            item.as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| format!("{item} is not a byte (0 to 255)"))
        })
        .collect::<Result<Vec<u8>, String>>()
        .map(Value::Bytes)
}

/// A CSV cell, or a JSON string, read as the column's type.
fn from_text(kind: &Kind, text: &str, adapter: Adapter) -> Result<Value, String> {
    let trimmed = text.trim();
    match kind {
        Kind::Int { min, max } => match trimmed.parse::<i64>() {
            Ok(n) => in_range(n, *min, *max),
            Err(_) => Err(format!("{text:?} is not an integer")),
        },
        Kind::Float => match trimmed.parse::<f64>() {
            Ok(f) => finite(f, text),
            Err(_) => Err(format!("{text:?} is not a number")),
        },
        Kind::Decimal { digits, scale } => decimal(trimmed, *digits, *scale).map(Value::Text),
        Kind::Bool => parse_bool(trimmed)
            .map(|b| bool_value(b, adapter))
            .ok_or_else(|| format!("{text:?} is not a boolean (true/false, 1/0, yes/no)")),
        Kind::Date => date(trimmed)
            .map(|d| Value::Text(d.format("%F").to_string()))
            .ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD)")),
        Kind::Time => time(trimmed)
            .map(|t| Value::Text(t.format("%T%.f").to_string()))
            .ok_or_else(|| format!("{text:?} is not a time (HH:MM:SS)")),
        Kind::DateTime => naive_datetime(trimmed)
            .map(|dt| Value::Text(naive_text(dt)))
            .ok_or_else(|| not_a_timestamp(text)),
        Kind::DateTimeTz => utc_datetime(trimmed)
            .map(|dt| Value::Text(utc_text(dt, adapter)))
            .ok_or_else(|| not_a_timestamp(text)),
        Kind::Uuid => uuid(trimmed).map(Value::Text),
        Kind::Json => crate::db::seed::source::json_value(text)
            .map(|json| Value::Text(json.to_string()))
            .map_err(|err| format!("{text:?} is not valid JSON: {err}")),
        Kind::Bytes => Ok(Value::Bytes(bytes(text)?)),
        Kind::Array(element) => array_text(element.as_deref(), text, adapter),
        Kind::Text { .. } | Kind::Other => Ok(Value::Text(text.to_string())),
    }
}

fn not_a_timestamp(text: &str) -> String {
    format!("{text:?} is not a timestamp (YYYY-MM-DD HH:MM:SS or RFC 3339)")
}

fn in_range(n: i64, min: i64, max: i64) -> Result<Value, String> {
    if n < min || n > max {
        return Err(format!("{n} is out of range ({min} to {max})"));
    }
    Ok(Value::Int(n))
}

fn finite(f: f64, text: &str) -> Result<Value, String> {
    match f.is_finite() {
        true => Ok(Value::Float(f)),
        false => Err(format!("{text:?} is not a finite number")),
    }
}

fn bool_value(b: bool, adapter: Adapter) -> Value {
    match adapter {
        Adapter::Sqlite => Value::Int(i64::from(b)),
        _ => Value::Bool(b),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(text));
    if is(&["true", "t", "1", "yes", "y", "on"]) {
        Some(true)
    } else if is(&["false", "f", "0", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

/// The most significant digits a `rust_decimal::Decimal` always holds (its 96-bit mantissa
/// holds some 29-digit numbers too, but not all).
const DECIMAL_DIGITS: usize = 28;

/// A decimal number as `rust_decimal::Decimal` reads it and prints it back (`+07.50` is
/// `7.50`), within the column's precision and scale when the type gives them.
fn decimal(text: &str, digits: Option<u32>, scale: Option<u32>) -> Result<String, String> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (int, mut frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(format!("{text:?} is not a decimal number"));
    }
    let int = int.trim_start_matches('0');
    if int.len() + frac.len() > DECIMAL_DIGITS {
        frac = frac.trim_end_matches('0');
    }
    if int.len() + frac.len() > DECIMAL_DIGITS {
        return Err(format!(
            "{text:?} has more than {DECIMAL_DIGITS} significant digits, more than a decimal holds"
        ));
    }
    if let Some(scale) = scale
        && frac.trim_end_matches('0').len() > scale as usize
    {
        return Err(format!("{text:?} has more than {scale} decimal places"));
    }
    if let Some(digits) = digits
        && int.len() > digits as usize
    {
        return Err(format!(
            "{text:?} has more than {digits} digits before the decimal point"
        ));
    }
    let zero = int.is_empty() && frac.bytes().all(|b| b == b'0');
    let mut out = String::with_capacity(body.len() + 2);
    if negative && !zero {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Ok(out)
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn time(text: &str) -> Option<NaiveTime> {
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(text, f).ok())
}

/// How the app writes a `NaiveDateTime` (sqlx's SQLite encoding, `%F %T%.f`; PostgreSQL and
/// MySQL read it).
fn naive_text(dt: NaiveDateTime) -> String {
    stamp_text(dt, ' ', "")
}

/// How the app writes a `DateTime<Utc>`: sqlx's SQLite encoding (`to_rfc3339_opts(AutoSi,
/// false)`: `...T12:00:00+00:00`), which sorts with the rows the app inserts; MySQL's DATETIME
/// takes no offset.
fn utc_text(dt: DateTime<Utc>, adapter: Adapter) -> String {
    let dt = dt.naive_utc();
    match adapter {
        Adapter::Sqlite => stamp_text(dt, 'T', "+00:00"),
        Adapter::Postgres => stamp_text(dt, 'T', "Z"),
        Adapter::Mysql => naive_text(dt),
    }
}

/// `YYYY-MM-DD<sep>HH:MM:SS[.fraction]<zone>`, the fraction in 3, 6 or 9 digits as needed (what
/// chrono's `%.f` and `SecondsFormat::AutoSi` write), without chrono's formatter: seeds write
/// millions of these. Years outside 0 to 9999 go through chrono.
fn stamp_text(dt: NaiveDateTime, sep: char, zone: &str) -> String {
    use chrono::{Datelike as _, Timelike as _};
    let Ok(year) = u32::try_from(dt.year()) else {
        return chrono_stamp_text(dt, sep, zone);
    };
    if year > 9999 {
        return chrono_stamp_text(dt, sep, zone);
    }
    let mut out = String::with_capacity(32);
    digits(&mut out, year, 4);
    out.push('-');
    digits(&mut out, dt.month(), 2);
    out.push('-');
    digits(&mut out, dt.day(), 2);
    out.push(sep);
    digits(&mut out, dt.hour(), 2);
    out.push(':');
    digits(&mut out, dt.minute(), 2);
    out.push(':');
    digits(&mut out, dt.second(), 2);
    match dt.nanosecond() {
        0 => {}
        n if n % 1_000_000 == 0 => fraction(&mut out, n / 1_000_000, 3),
        n if n % 1_000 == 0 => fraction(&mut out, n / 1_000, 6),
        n => fraction(&mut out, n, 9),
    }
    out.push_str(zone);
    out
}

/// `n` in `width` decimal digits, zero-padded.
fn digits(out: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
    }
}

fn fraction(out: &mut String, n: u32, width: u32) {
    out.push('.');
    digits(out, n, width);
}

fn chrono_stamp_text(dt: NaiveDateTime, sep: char, zone: &str) -> String {
    format!("{}{sep}{}{zone}", dt.format("%F"), dt.format("%T%.f"))
}

/// `YYYY-MM-DD[ T]HH:MM[:SS[.fraction]]` and an optional `Z`/`±HH[:MM]` offset (in seconds),
/// read without chrono's format machinery: seeds hold millions of these.
fn stamp(text: &str) -> Option<(NaiveDateTime, Option<i32>)> {
    let b = text.as_bytes();
    let num = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(at(4, b"-") && at(7, b"-") && at(10, b" Tt") && at(13, b":")) {
        return None;
    }
    let day = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let (hour, minute) = (num(11, 13)?, num(14, 16)?);
    let (mut second, mut nanos, mut end) = (0, 0, 16);
    if at(16, b":") {
        second = num(17, 19)?;
        end = 19;
        if at(19, b".") {
            let digits = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            nanos = num(20, 20 + digits)? * 10u32.pow(9 - digits as u32);
            end = 20 + digits;
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let offset = match &b[end..] {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [_, _] => (num(end + 1, end + 3)?, 0),
                [_, _, b':', _, _] => (num(end + 1, end + 3)?, num(end + 4, end + 6)?),
                [_, _, _, _] => (num(end + 1, end + 3)?, num(end + 3, end + 5)?),
                _ => return None,
            };
            let seconds = (h * 3600 + m * 60) as i32;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => return None,
    };
    Some((day.and_time(time), offset))
}

/// A timestamp with an offset is moved to UTC; a bare date is midnight.
fn naive_datetime(text: &str) -> Option<NaiveDateTime> {
    match stamp(text) {
        Some((dt, None | Some(0))) => Some(dt),
        Some((dt, Some(offset))) => dt.checked_sub_signed(chrono::Duration::seconds(offset.into())),
        None => date(text).and_then(|d| d.and_hms_opt(0, 0, 0)),
    }
}

fn utc_datetime(text: &str) -> Option<DateTime<Utc>> {
    naive_datetime(text).map(|dt| dt.and_utc())
}

fn uuid(text: &str) -> Result<String, String> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let dashes_ok = text.len() == 32
        || (text.len() == 36 && [8, 13, 18, 23].iter().all(|&i| text.as_bytes()[i] == b'-'));
    if hex.len() != 32 || !dashes_ok || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not a UUID"));
    }
    Ok(uuid_text(&hex.to_ascii_lowercase()))
}

/// 32 hexadecimal digits in a UUID's usual form, `8-4-4-4-12`.
pub fn uuid_text(hex: &str) -> String {
    [
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..],
    ]
    .join("-")
}

/// `\x0a0b` is hexadecimal; anything else is taken as its UTF-8 bytes.
fn bytes(text: &str) -> Result<Vec<u8>, String> {
    let Some(hex) = text.strip_prefix("\\x") else {
        return Ok(text.as_bytes().to_vec());
    };
    if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not hexadecimal bytes"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{text:?} is not hexadecimal bytes"))
}

/// An array cell: a JSON array (`["a","b"]`), or on PostgreSQL also an array literal (`{a,b}`),
/// which PostgreSQL checks itself.
fn array_text(element: Option<&Kind>, text: &str, adapter: Adapter) -> Result<Value, String> {
    if adapter == Adapter::Postgres && text.trim_start().starts_with('{') {
        return Ok(Value::Text(text.to_string()));
    }
    match crate::db::seed::source::json_value(text) {
        Ok(Json::Array(items)) => array(element, &items, adapter),
        _ => Err(format!(
            "{text:?} is not an array (a JSON array like [\"a\",\"b\"])"
        )),
    }
}

/// An array whose items are checked against the element type: a PostgreSQL array literal, or
/// elsewhere the JSON the app writes for its `Vec` (through `sqlx::types::Json`).
fn array(element: Option<&Kind>, items: &[Json], adapter: Adapter) -> Result<Value, String> {
    let items = match element {
        Some(kind) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                element_json(kind, item).map_err(|reason| format!("item {}: {reason}", i + 1))
            })
            .collect::<Result<Vec<Json>, String>>()?,
        None => items.to_vec(),
    };
    Ok(Value::Text(match adapter {
        Adapter::Postgres => pg_array(&items),
        _ => Json::Array(items).to_string(),
    }))
}

/// An array item as serde writes the element's Rust type (`rust_decimal` as a string, chrono's
/// `NaiveDateTime` with a `T`).
fn element_json(kind: &Kind, item: &Json) -> Result<Json, String> {
    if item.is_null() {
        return Err("null is not allowed in the array".into());
    }
    let value = from_json(kind, item, Adapter::Postgres)?;
    let text = |v: Value| match v {
        Value::Text(t) => t,
        other => other.key(),
    };
    Ok(match (kind, value) {
        (_, Value::Int(i)) => Json::from(i),
        (_, Value::Float(f)) => Json::from(f),
        (_, Value::Bool(b)) => Json::Bool(b),
        (Kind::DateTime, v) => Json::String(text(v).replacen(' ', "T", 1)),
        (_, v) => Json::String(text(v)),
    })
}

fn pg_array(items: &[Json]) -> String {
    let elements: Vec<String> = items
        .iter()
        .map(|item| match item {
            Json::Null => "NULL".to_string(),
            Json::Array(inner) => pg_array(inner),
            Json::String(s) => quote_element(s),
            Json::Object(_) => quote_element(&item.to_string()),
            other => other.to_string(),
        })
        .collect();
    format!("{{{}}}", elements.join(","))
}

fn quote_element(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// When a seed leaves out `inserted_at`/`updated_at`, they get this (now, in the column's kind,
/// to the second as the app writes it).
pub fn now(kind: &Kind, adapter: Adapter) -> Value {
    let now = Utc::now();
    let now = now - chrono::Duration::nanoseconds(now.timestamp_subsec_nanos().into());
    Value::Text(match kind {
        Kind::DateTimeTz => utc_text(now, adapter),
        _ => naive_text(now.naive_utc()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: Kind) -> Column {
        Column {
            name: "c".into(),
            sql_type: "t".into(),
            kind,
            nullable: false,
            has_default: false,
            auto: false,
            generated: false,
            unique: false,
            references: None,
            choices: vec![],
        }
    }

    fn text(kind: Kind, s: &str) -> Result<Value, String> {
        convert(&column(kind), Raw::Text(s), Adapter::Postgres)
    }

    #[test]
    fn integers_are_parsed_and_range_checked() {
        let small = Kind::Int {
            min: -32768,
            max: 32767,
        };
        assert_eq!(text(small.clone(), "12"), Ok(Value::Int(12)));
        assert_eq!(
            text(small.clone(), "abc"),
            Err("\"abc\" is not an integer".into())
        );
        assert!(text(small, "40000").unwrap_err().contains("out of range"));
    }

    #[test]
    fn empty_cells_are_null_and_null_needs_a_nullable_column() {
        let mut c = column(Kind::Text { max: None });
        assert!(convert(&c, Raw::Text(""), Adapter::Mysql).is_err());
        c.nullable = true;
        assert_eq!(convert(&c, Raw::Text(""), Adapter::Mysql), Ok(Value::Null));
    }

    #[test]
    fn choices_and_lengths_are_enforced() {
        let mut c = column(Kind::Text { max: Some(3) });
        c.choices = vec!["ab".into(), "abcd".into()];
        assert!(
            convert(&c, Raw::Text("x"), Adapter::Postgres)
                .unwrap_err()
                .contains("one of: ab, abcd")
        );
        assert!(
            convert(&c, Raw::Text("abcd"), Adapter::Postgres)
                .unwrap_err()
                .contains("longer than 3")
        );
    }

    #[test]
    fn booleans_become_integers_on_sqlite() {
        let c = column(Kind::Bool);
        assert_eq!(
            convert(&c, Raw::Text("yes"), Adapter::Sqlite),
            Ok(Value::Int(1))
        );
        assert_eq!(
            convert(&c, Raw::Text("f"), Adapter::Postgres),
            Ok(Value::Bool(false))
        );
        let int = column(Kind::Int { min: 0, max: 1 });
        assert!(convert(&int, Raw::Text("true"), Adapter::Sqlite).is_err());
    }

    #[test]
    fn timestamps_are_normalised() {
        assert_eq!(
            text(Kind::DateTime, "2026-11-24T12:00:00Z"),
            Ok(Value::Text("2026-11-24 12:00:00".into()))
        );
        assert_eq!(
            text(Kind::DateTimeTz, "2026-11-24 12:00:00"),
            Ok(Value::Text("2026-11-24T12:00:00Z".into()))
        );
        assert!(text(Kind::Date, "24/11/2026").is_err());
    }

    #[test]
    fn json_values_convert_by_column_kind() {
        let json = serde_json::json!({"a": [1, 2]});
        let c = column(Kind::Json);
        assert_eq!(
            convert(&c, Raw::Json(&json), Adapter::Postgres),
            Ok(Value::Text("{\"a\":[1,2]}".into()))
        );
        let arr = serde_json::json!(["x", "y\"z"]);
        assert_eq!(
            convert(
                &column(Kind::Array(None)),
                Raw::Json(&arr),
                Adapter::Postgres
            ),
            Ok(Value::Text("{\"x\",\"y\\\"z\"}".into()))
        );
        let n = serde_json::json!(7);
        assert_eq!(
            convert(
                &column(Kind::Int { min: 0, max: 9 }),
                Raw::Json(&n),
                Adapter::Mysql
            ),
            Ok(Value::Int(7))
        );
    }

    #[test]
    fn uuids_decimals_and_bytes_are_checked() {
        assert!(text(Kind::Uuid, "not-a-uuid").is_err());
        assert_eq!(
            text(Kind::Uuid, "A0EEBC999C0B4EF8BB6D6BB9BD380A11"),
            Ok(Value::Text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()))
        );
        assert!(
            text(
                Kind::Decimal {
                    digits: None,
                    scale: None
                },
                "1.2.3"
            )
            .is_err()
        );
        assert_eq!(
            text(Kind::Bytes, "\\x0aff"),
            Ok(Value::Bytes(vec![10, 255]))
        );
        assert!(text(Kind::Bytes, "\\xa\u{e9}1").is_err());
    }

    #[test]
    fn decimals_read_as_rust_decimal_prints_them() {
        let any = |s: &str| decimal(s, None, None);
        assert_eq!(any("+07.50"), Ok("7.50".into()));
        assert_eq!(any("-.5"), Ok("-0.5".into()));
        assert_eq!(any("-0.00"), Ok("0.00".into()));
        for bad in ["abc", "1e5", "1.2.3", "-", "."] {
            assert!(any(bad).is_err(), "{bad}");
        }
        assert!(
            any(&"9".repeat(29))
                .unwrap_err()
                .contains("28 significant digits")
        );
        assert_eq!(any(&format!("1.{}", "0".repeat(30))), Ok("1".into()));
        assert!(
            decimal("1.1234567", Some(14), Some(6))
                .unwrap_err()
                .contains("6 decimal places")
        );
        assert_eq!(
            decimal("1.1234560", Some(14), Some(6)),
            Ok("1.1234560".into())
        );
        assert!(decimal("123", Some(2), Some(0)).is_err());
    }

    #[test]
    fn timestamps_are_read_without_chrono_formats_and_written_as_the_app_writes_them() {
        let utc = |s: &str| utc_datetime(s).map(|dt| utc_text(dt, Adapter::Sqlite));
        assert_eq!(
            utc("2026-01-02T03:04:05Z").as_deref(),
            Some("2026-01-02T03:04:05+00:00")
        );
        assert_eq!(
            utc("2026-01-02 05:04:05.25+02:00").as_deref(),
            Some("2026-01-02T03:04:05.250+00:00")
        );
        assert_eq!(
            utc("2026-01-02").as_deref(),
            Some("2026-01-02T00:00:00+00:00")
        );
        for bad in [
            "bogus",
            "2026-02-30 00:00:00",
            "2026-01-02 24:00:00",
            "2026-01-02T03:04:05X",
        ] {
            assert_eq!(utc(bad), None, "{bad}");
        }
        let mysql =
            utc_datetime("2026-01-02T03:04:05-01:00").map(|dt| utc_text(dt, Adapter::Mysql));
        assert_eq!(mysql.as_deref(), Some("2026-01-02 04:04:05"));
    }

    #[test]
    fn json_values_must_have_the_json_type_of_the_column() {
        let json = |kind: Kind, v: serde_json::Value| {
            convert(&column(kind), Raw::Json(&v), Adapter::Sqlite)
        };
        let int = Kind::Int {
            min: i64::from(i32::MIN),
            max: i64::from(i32::MAX),
        };
        assert!(
            json(int.clone(), serde_json::json!("3"))
                .unwrap_err()
                .contains("found the string")
        );
        assert!(
            json(int, serde_json::json!(3_000_000_000_i64))
                .unwrap_err()
                .contains("out of range")
        );
        assert!(json(Kind::Text { max: None }, serde_json::json!({"a": 1})).is_err());
        assert!(json(Kind::Bool, serde_json::json!("true")).is_err());
        assert_eq!(
            json(
                Kind::Array(Some(Box::new(Kind::DateTime))),
                serde_json::json!(["2026-01-02 03:04:05"])
            ),
            Ok(Value::Text("[\"2026-01-02T03:04:05\"]".into()))
        );
    }

    #[test]
    fn stamps_are_written_as_chrono_and_sqlx_write_them() {
        use chrono::SecondsFormat;
        for text in [
            "2026-01-02 03:04:05",
            "0999-12-31 23:59:59.5",
            "2026-01-02 03:04:05.000250",
            "2026-01-02 03:04:05.123456789",
        ] {
            let dt = naive_datetime(text).unwrap();
            assert_eq!(naive_text(dt), dt.format("%F %T%.f").to_string());
            let utc = dt.and_utc();
            assert_eq!(
                utc_text(utc, Adapter::Sqlite),
                utc.to_rfc3339_opts(SecondsFormat::AutoSi, false)
            );
            assert_eq!(
                utc_text(utc, Adapter::Postgres),
                utc.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            );
        }
    }
}
