//! Changesets: params from a form or a JSON body, cast into typed values and validated,
//! with the errors to show beside each field (Phoenix's `Ecto.Changeset`, in small).
//!
//! A schema's `changeset` function casts only the fields it permits, so unknown keys and
//! protected ones (`id`, `inserted_at`, `updated_at`) are ignored. Form params arrive as
//! strings and JSON params as any JSON type; [`Cast`] accepts both. A value that cannot be
//! cast becomes the field error "is invalid", a missing required one "can't be blank".
//!
//! Context functions return [`Error`]; its `Invalid` variant carries the changeset to show
//! again.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// Params by field name, as they come from a form (strings) or a JSON body (any JSON type).
pub type Attrs = serde_json::Map<String, Value>;

/// Params cast for a form: the value each input shows and the errors beside them.
#[derive(Clone, Default, PartialEq, Serialize)]
pub struct Changeset {
    /// Every permitted field's value as its form input shows it: what was sent, or the
    /// current value for a field that was not sent.
    pub values: BTreeMap<String, String>,
    /// Each invalid field's errors, in the order they were found.
    pub errors: BTreeMap<String, Vec<String>>,
    /// The params being cast.
    #[serde(skip)]
    params: Attrs,
}

impl Changeset {
    /// A changeset that casts `params`.
    pub fn new(params: &Attrs) -> Self {
        Self {
            params: params.clone(),
            ..Self::default()
        }
    }

    /// Whether no field has an error.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// Adds an error to `field`.
    pub fn add_error(&mut self, field: &str, message: &str) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(message.to_owned());
    }

    /// The first error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors_on(field).first().map(String::as_str)
    }

    /// Every error of `field`.
    pub fn errors_on(&self, field: &str) -> &[String] {
        self.errors.get(field).map_or(&[], Vec::as_slice)
    }

    /// The value `field`'s input shows; empty when it has none.
    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// Casts the param named `field` into `value`. Without such a param, or with the text
    /// the form showed for `value`, `value` keeps what it holds (a time input shows
    /// milliseconds of a value that may hold microseconds); a blank param (`null`, or a
    /// string of whitespace) makes it `None`; a param that is not a valid `T` makes it `None`
    /// and adds the error "is invalid".
    pub fn cast<T: Cast>(&mut self, field: &str, value: &mut Option<T>) {
        let shown_now = value.as_ref().map(T::to_param);
        let (shown, invalid) = match self.params.get(field) {
            None => (shown_now.unwrap_or_default(), false),
            Some(Value::String(param)) if shown_now.as_ref() == Some(param) => {
                (param.clone(), false)
            }
            Some(param) if is_blank(param) => {
                *value = None;
                (String::new(), false)
            }
            Some(param) => {
                *value = T::cast(param);
                match value {
                    Some(cast) => (cast.to_param(), false),
                    None => (raw(param), true),
                }
            }
        };
        if invalid {
            self.add_error(field, "is invalid");
        }
        self.values.insert(field.to_owned(), shown);
    }

    /// Adds the error "can't be blank" to `field` when it has no value and no other error.
    pub fn validate_required<T>(&mut self, field: &str, value: &Option<T>) {
        if value.is_none() && !self.errors.contains_key(field) {
            self.add_error(field, "can't be blank");
        }
    }

    /// Adds the error "should be at most N character(s)" to `field` when its value is longer
    /// than `max` characters (a `VARCHAR(N)` column would refuse it) and it has no other
    /// error.
    pub fn validate_length(&mut self, field: &str, value: &Option<String>, max: usize) {
        let too_long = value
            .as_ref()
            .is_some_and(|text| text.chars().count() > max);
        if too_long && !self.errors.contains_key(field) {
            self.add_error(field, &format!("should be at most {max} character(s)"));
        }
    }

    /// `changes` when the changeset is valid, the changeset itself otherwise.
    pub fn into_result<T>(self, changes: T) -> Result<T, Changeset> {
        if self.is_valid() {
            Ok(changes)
        } else {
            Err(self)
        }
    }
}

/// Shows the errors and which fields have values, never the values: they may be secrets.
impl fmt::Debug for Changeset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changeset")
            .field("fields", &self.values.keys().collect::<Vec<_>>())
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

/// `null`, or a string that is empty once trimmed.
fn is_blank(param: &Value) -> bool {
    match param {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

/// A param as sent, for an input to show again.
fn raw(param: &Value) -> String {
    match param {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A type that changesets can cast params into.
pub trait Cast: Sized {
    /// The value of a param that is not blank; `None` when it is not a valid `Self`.
    fn cast(param: &Value) -> Option<Self>;

    /// The value as a form input shows it; casting that text gives the value back.
    fn to_param(&self) -> String;
}

/// A value that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid value")]
pub struct InvalidValue(pub String);

/// The text of a string param, trimmed.
fn text(param: &Value) -> Option<&str> {
    param.as_str().map(str::trim)
}

/// A number from a JSON number or from a string such as `"42"`.
fn number<T: std::str::FromStr>(param: &Value) -> Option<T> {
    match param {
        Value::Number(number) => number.to_string().parse().ok(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

impl Cast for String {
    fn cast(param: &Value) -> Option<Self> {
        param.as_str().map(str::to_owned)
    }

    fn to_param(&self) -> String {
        self.clone()
    }
}

impl Cast for i32 {
    fn cast(param: &Value) -> Option<Self> {
        number(param)
    }

    fn to_param(&self) -> String {
        self.to_string()
    }
}

impl Cast for i64 {
    fn cast(param: &Value) -> Option<Self> {
        number(param)
    }

    fn to_param(&self) -> String {
        self.to_string()
    }
}

/// Only finite numbers: not every database stores infinity or NaN.
impl Cast for f64 {
    fn cast(param: &Value) -> Option<Self> {
        number(param).filter(|value: &f64| value.is_finite())
    }

    fn to_param(&self) -> String {
        self.to_string()
    }
}

impl Cast for Decimal {
    fn cast(param: &Value) -> Option<Self> {
        number(param)
    }

    fn to_param(&self) -> String {
        self.to_string()
    }
}

/// `true`, `"true"`, `"on"` (an HTML checkbox), `"1"` or `"yes"`; `false` likewise.
impl Cast for bool {
    fn cast(param: &Value) -> Option<Self> {
        match param {
            Value::Bool(value) => Some(*value),
            Value::Number(number) => match number.as_i64()? {
                1 => Some(true),
                0 => Some(false),
                _ => None,
            },
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "1" | "yes" => Some(true),
                "false" | "off" | "0" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    fn to_param(&self) -> String {
        self.to_string()
    }
}

/// `2026-11-24`, as a date input sends it.
impl Cast for NaiveDate {
    fn cast(param: &Value) -> Option<Self> {
        NaiveDate::parse_from_str(text(param)?, "%Y-%m-%d").ok()
    }

    fn to_param(&self) -> String {
        self.format("%Y-%m-%d").to_string()
    }
}

/// `14:30` as a time input sends it, or with seconds: `14:30:15`.
impl Cast for NaiveTime {
    fn cast(param: &Value) -> Option<Self> {
        let text = text(param)?;
        NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
            .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
            .ok()
    }

    fn to_param(&self) -> String {
        // A time input holds at most milliseconds: with more digits, browsers empty it.
        let format = match (self.second(), self.nanosecond()) {
            (0, 0) => "%H:%M",
            (_, 0) => "%H:%M:%S",
            _ => "%H:%M:%S%.3f",
        };
        self.format(format).to_string()
    }
}

/// `2026-11-24T14:30` as a datetime-local input sends it, with or without seconds, with
/// `T` or a space between date and time.
impl Cast for NaiveDateTime {
    fn cast(param: &Value) -> Option<Self> {
        let text = text(param)?;
        [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
        ]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    }

    fn to_param(&self) -> String {
        // A datetime-local input holds at most milliseconds: with more digits, browsers
        // empty it.
        let format = match (self.second(), self.nanosecond()) {
            (0, 0) => "%Y-%m-%dT%H:%M",
            (_, 0) => "%Y-%m-%dT%H:%M:%S",
            _ => "%Y-%m-%dT%H:%M:%S%.3f",
        };
        self.format(format).to_string()
    }
}

/// RFC 3339 (`2026-11-24T14:30:00Z`, any offset), or a date and time without an offset,
/// taken as UTC (what a datetime-local input sends).
impl Cast for DateTime<Utc> {
    fn cast(param: &Value) -> Option<Self> {
        match DateTime::parse_from_rfc3339(text(param)?) {
            Ok(datetime) => Some(datetime.to_utc()),
            Err(_) => NaiveDateTime::cast(param).map(|naive| naive.and_utc()),
        }
    }

    fn to_param(&self) -> String {
        self.naive_utc().to_param()
    }
}

impl Cast for Uuid {
    fn cast(param: &Value) -> Option<Self> {
        Uuid::parse_str(text(param)?).ok()
    }

    fn to_param(&self) -> String {
        self.hyphenated().to_string()
    }
}

/// A JSON object, or a string holding one (from a textarea).
impl Cast for Value {
    fn cast(param: &Value) -> Option<Self> {
        match param {
            Value::Object(_) => Some(param.clone()),
            Value::String(text) => serde_json::from_str(text).ok().filter(Value::is_object),
            _ => None,
        }
    }

    fn to_param(&self) -> String {
        self.to_string()
    }
}

/// Bytes: a JSON array of numbers from 0 to 255, or the UTF-8 bytes of a string.
impl Cast for Vec<u8> {
    fn cast(param: &Value) -> Option<Self> {
        match param {
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_u64().and_then(|byte| u8::try_from(byte).ok()))
                .collect(),
            Value::String(text) => Some(text.clone().into_bytes()),
            _ => None,
        }
    }

    fn to_param(&self) -> String {
        String::from_utf8_lossy(self).into_owned()
    }
}

/// A JSON array, or a string with one element per line (from a textarea) or, on a single
/// line, separated by commas. Blank elements are skipped; one invalid element makes the
/// whole list invalid.
impl<T: Cast> Cast for Vec<T> {
    fn cast(param: &Value) -> Option<Self> {
        match param {
            Value::Array(items) => items.iter().map(T::cast).collect(),
            Value::String(text) => {
                let separator = if text.contains('\n') { '\n' } else { ',' };
                text.split(separator)
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| T::cast(&Value::String(item.to_owned())))
                    .collect()
            }
            _ => None,
        }
    }

    /// One element per line, each ending with a newline, so that a single element with a
    /// comma casts back whole.
    fn to_param(&self) -> String {
        self.iter().map(|item| item.to_param() + "\n").collect()
    }
}

/// Why a context function failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No row has the id asked for.
    #[error("not found")]
    NotFound,
    /// The params are not valid; the changeset has the errors, field by field.
    #[error("invalid params")]
    Invalid(Changeset),
    /// Rows of other tables still reference the row, so it cannot be deleted.
    #[error("still referenced by other rows")]
    InUse,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Lets context functions return an invalid changeset with `?`.
impl From<Changeset> for Error {
    fn from(changeset: Changeset) -> Self {
        Error::Invalid(changeset)
    }
}

impl Error {
    /// The error of a delete: `InUse` when a foreign key of another table refused it.
    pub fn from_delete(err: sqlx::Error) -> Self {
        if database_error_kind(&err) == Some(sqlx::error::ErrorKind::ForeignKeyViolation) {
            Error::InUse
        } else {
            Error::Database(err)
        }
    }
}

/// Whether the database refused a write because of a unique index or a foreign key, so that
/// a field's value is to blame.
pub fn is_constraint_violation(err: &sqlx::Error) -> bool {
    use sqlx::error::ErrorKind;

    matches!(
        database_error_kind(err),
        Some(ErrorKind::UniqueViolation | ErrorKind::ForeignKeyViolation)
    )
}

fn database_error_kind(err: &sqlx::Error) -> Option<sqlx::error::ErrorKind> {
    err.as_database_error().map(|err| err.kind())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn attrs(value: Value) -> Attrs {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn cast<T: Cast>(param: Value) -> Option<T> {
        let mut changeset = Changeset::new(&attrs(json!({ "field": param })));
        let mut value = None;
        changeset.cast("field", &mut value);
        value
    }

    #[test]
    fn casts_form_strings_and_json_values() {
        assert_eq!(cast::<i32>(json!("42")), Some(42));
        assert_eq!(cast::<i64>(json!(42)), Some(42));
        assert_eq!(cast::<f64>(json!("120.5")), Some(120.5));
        assert_eq!(cast::<f64>(json!("inf")), None);
        assert_eq!(cast::<Decimal>(json!(120.5)), Some(Decimal::new(1205, 1)));
        assert_eq!(cast::<bool>(json!("on")), Some(true));
        assert_eq!(cast::<bool>(json!(false)), Some(false));
        assert_eq!(cast::<Vec<i32>>(json!("1, 2")), Some(vec![1, 2]));
        assert_eq!(cast::<Vec<i32>>(json!([1, "x"])), None);
        assert_eq!(cast::<Value>(json!("[1]")), None);
        let time = cast::<NaiveTime>(json!("14:00")).unwrap();
        assert_eq!(time.to_param(), "14:00");
        let datetime = cast::<DateTime<Utc>>(json!("2026-11-24T14:00")).unwrap();
        assert_eq!(datetime.to_rfc3339(), "2026-11-24T14:00:00+00:00");
        let precise = cast::<NaiveDateTime>(json!("2026-11-24T14:00:05.123456")).unwrap();
        assert_eq!(precise.to_param(), "2026-11-24T14:00:05.123");
    }

    #[test]
    fn what_a_form_showed_keeps_the_value_it_showed() {
        let precise = cast::<NaiveTime>(json!("14:00:05.123456"));
        let shown = precise.as_ref().map(Cast::to_param);
        let mut changeset = Changeset::new(&attrs(json!({ "at": shown })));
        let mut value = precise;
        changeset.cast("at", &mut value);
        assert_eq!(value, precise);
        assert_eq!(changeset.value("at"), "14:00:05.123");
    }

    #[test]
    fn values_cast_back_from_what_a_form_shows() {
        let list = vec!["a, b".to_owned(), "c".to_owned()];
        assert_eq!(cast::<Vec<String>>(json!(list.to_param())), Some(list));
        let single = vec!["a, b".to_owned()];
        assert_eq!(cast::<Vec<String>>(json!(single.to_param())), Some(single));
    }

    #[test]
    fn invalid_and_blank_params_become_field_errors() {
        let mut changeset = Changeset::new(&attrs(json!({ "age": "old", "name": " " })));
        let (mut age, mut name, mut kept) = (None::<i32>, Some("x".to_owned()), Some(1));
        changeset.cast("age", &mut age);
        changeset.cast("name", &mut name);
        changeset.cast("kept", &mut kept);
        changeset.validate_required("age", &age);
        changeset.validate_required("name", &name);
        assert_eq!(changeset.errors_on("age"), ["is invalid"]);
        assert_eq!(changeset.error("name"), Some("can't be blank"));
        assert_eq!(
            (changeset.value("age"), changeset.value("kept")),
            ("old", "1")
        );
        assert_eq!(kept, Some(1));
        assert!(changeset.into_result(()).is_err());
    }
}
