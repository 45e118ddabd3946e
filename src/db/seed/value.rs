//! Column types as read from the catalog, and the conversion of seed values (CSV text or
//! JSON/TOML values) into typed values for them, with a one-line reason when a value does not fit.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat};

use crate::cli::Adapter;

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
    /// A PostgreSQL array.
    Array,
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
        Raw::Text("") | Raw::Json(serde_json::Value::Null) => Value::Null,
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
            Err(format!("is longer than {max} characters"))
        }
        _ => Ok(()),
    }
}

fn from_json(kind: &Kind, json: &serde_json::Value, adapter: Adapter) -> Result<Value, String> {
    use serde_json::Value as J;
    match (kind, json) {
        (Kind::Json, _) => Ok(Value::Text(json.to_string())),
        (Kind::Array, J::Array(items)) => pg_array(items).map(Value::Text),
        (Kind::Bytes, J::Array(items)) => json_bytes(items),
        (Kind::Bool, J::Bool(b)) => Ok(bool_value(*b, adapter)),
        (Kind::Int { .. }, J::Bool(b)) if adapter == Adapter::Sqlite => {
            Ok(Value::Int(i64::from(*b)))
        }
        (_, J::String(text)) => from_text(kind, text, adapter),
        (_, J::Number(n)) => from_text(kind, &n.to_string(), adapter),
        (_, J::Bool(b)) => from_text(kind, if *b { "true" } else { "false" }, adapter),
        (Kind::Text { .. } | Kind::Other, J::Array(_) | J::Object(_)) => {
            Ok(Value::Text(json.to_string()))
        }
        _ => Err(format!("{json} does not fit a {} column", kind_name(kind))),
    }
}

fn json_bytes(items: &[serde_json::Value]) -> Result<Value, String> {
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

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Int { .. } => "integer",
        Kind::Float => "floating-point",
        Kind::Decimal { .. } => "decimal",
        Kind::Bool => "boolean",
        Kind::Text { .. } => "text",
        Kind::Date => "date",
        Kind::Time => "time",
        Kind::DateTime | Kind::DateTimeTz => "timestamp",
        Kind::Uuid => "UUID",
        Kind::Json => "JSON",
        Kind::Bytes => "binary",
        Kind::Array => "array",
        Kind::Other => "value",
    }
}

fn from_text(kind: &Kind, text: &str, adapter: Adapter) -> Result<Value, String> {
    let trimmed = text.trim();
    match kind {
        Kind::Int { min, max } => int(trimmed, *min, *max, adapter),
        Kind::Float => trimmed
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("{text:?} is not a number")),
        Kind::Decimal { .. } => decimal(trimmed).map(|()| Value::Text(trimmed.to_string())),
        Kind::Bool => parse_bool(trimmed)
            .map(|b| bool_value(b, adapter))
            .ok_or_else(|| format!("{text:?} is not a boolean (true/false, 1/0, yes/no)")),
        Kind::Date => NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
            .map(|d| Value::Text(d.to_string()))
            .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)")),
        Kind::Time => time(trimmed).ok_or_else(|| format!("{text:?} is not a time (HH:MM:SS)")),
        Kind::DateTime => naive_datetime(trimmed)
            .map(|dt| Value::Text(dt.format("%Y-%m-%d %H:%M:%S%.f").to_string()))
            .ok_or_else(|| not_a_timestamp(text)),
        Kind::DateTimeTz => utc_datetime(trimmed)
            .map(|dt| Value::Text(dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
            .ok_or_else(|| not_a_timestamp(text)),
        Kind::Uuid => uuid(trimmed).map(Value::Text),
        Kind::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(|_| Value::Text(text.to_string()))
            .map_err(|err| format!("is not valid JSON: {err}")),
        Kind::Bytes => Ok(Value::Bytes(bytes(text)?)),
        Kind::Array => array(text),
        Kind::Text { .. } | Kind::Other => Ok(Value::Text(text.to_string())),
    }
}

fn not_a_timestamp(text: &str) -> String {
    format!("{text:?} is not a timestamp (YYYY-MM-DD HH:MM:SS or RFC 3339)")
}

fn int(text: &str, min: i64, max: i64, adapter: Adapter) -> Result<Value, String> {
    let n: i64 = match text.parse() {
        Ok(n) => n,
        // SQLite has no boolean type: apps keep booleans in INTEGER columns.
        Err(_) => match parse_bool(text) {
            Some(b) if adapter == Adapter::Sqlite => return Ok(Value::Int(i64::from(b))),
            _ => return Err(format!("{text:?} is not an integer")),
        },
    };
    if n < min || n > max {
        return Err(format!("{n} is out of range ({min} to {max})"));
    }
    Ok(Value::Int(n))
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

fn decimal(text: &str) -> Result<(), String> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(format!("{text:?} is not a decimal number"));
    }
    Ok(())
}

fn time(text: &str) -> Option<Value> {
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(text, f).ok())
        .map(|t| Value::Text(t.format("%H:%M:%S%.f").to_string()))
}

fn naive_datetime(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 2] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|dt| dt.naive_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

fn utc_datetime(text: &str) -> Option<DateTime<chrono::Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z"))
        .map(|dt| dt.to_utc())
        .ok()
        .or_else(|| naive_datetime(text).map(|dt| dt.and_utc()))
}

fn uuid(text: &str) -> Result<String, String> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let dashes_ok = text.len() == 32
        || (text.len() == 36 && [8, 13, 18, 23].iter().all(|&i| text.as_bytes()[i] == b'-'));
    if hex.len() != 32 || !dashes_ok || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not a UUID"));
    }
    let h = hex.to_ascii_lowercase();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
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

/// A PostgreSQL array from a JSON array (`["a","b"]`) or an array literal (`{a,b}`).
fn array(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        return Ok(Value::Text(text.to_string()));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => pg_array(&items).map(Value::Text),
        _ => Err(format!(
            "{text:?} is not an array (a JSON array like [\"a\",\"b\"] or {{a,b}})"
        )),
    }
}

fn pg_array(items: &[serde_json::Value]) -> Result<String, String> {
    let elements = items
        .iter()
        .map(|item| match item {
            serde_json::Value::Null => Ok("NULL".to_string()),
            serde_json::Value::Array(inner) => pg_array(inner),
            serde_json::Value::String(s) => Ok(quote_element(s)),
            serde_json::Value::Object(_) => Ok(quote_element(&item.to_string())),
            other => Ok(other.to_string()),
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(format!("{{{}}}", elements.join(",")))
}

fn quote_element(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// When a seed leaves out `inserted_at`/`updated_at`, they get this (now, in the column's kind).
pub fn now(kind: &Kind) -> Value {
    let now = chrono::Utc::now();
    Value::Text(match kind {
        Kind::DateTimeTz => now.to_rfc3339_opts(SecondsFormat::Secs, true),
        _ => now.format("%Y-%m-%d %H:%M:%S").to_string(),
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
        assert_eq!(
            convert(&int, Raw::Text("true"), Adapter::Sqlite),
            Ok(Value::Int(1))
        );
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
            convert(&column(Kind::Array), Raw::Json(&arr), Adapter::Postgres),
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
}
