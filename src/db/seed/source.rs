//! Rows of JSON and TOML seed files, each with the line it starts on: a JSON array of objects,
//! or TOML arrays of tables (`[[posts]]`, or `[[rows]]`). JSON is read strictly: a key given
//! twice in one object is an error (serde_json alone keeps the last one silently).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

/// One row of a data file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub fields: Map<String, Json>,
}

/// The 1-based line holding byte `offset` of `text`.
fn line_at(text: &str, offset: usize) -> u64 {
    let before = &text.as_bytes()[..offset.min(text.len())];
    before.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

fn skip_ws(text: &str, at: usize) -> usize {
    at + text[at..].len() - text[at..].trim_start().len()
}

/// The objects of a JSON array, read one by one so each keeps its line.
pub fn json_records(text: &str) -> Result<Vec<Record>, (u64, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut at = skip_ws(text, 0);
    if !text[at..].starts_with('[') {
        return Err((
            line_at(text, at),
            "expected a JSON array of objects, one per row".into(),
        ));
    }
    at = skip_ws(text, at + 1);
    let mut records = Vec::new();
    if text[at..].starts_with(']') {
        return Ok(records);
    }
    loop {
        let line = line_at(text, at);
        let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Strict>();
        let value = match stream.next() {
            Some(Ok(Strict(value))) => value,
            Some(Err(err)) => {
                return Err((
                    line + (err.line() as u64).max(1) - 1,
                    without_position(&err),
                ));
            }
            None => return Err((line, "the array is not closed with ]".into())),
        };
        at = skip_ws(text, at + stream.byte_offset());
        let Json::Object(fields) = value else {
            return Err((
                line,
                format!("expected an object for the row, found {value}"),
            ));
        };
        records.push(Record { line, fields });
        match text[at..].chars().next() {
            Some(',') => at = skip_ws(text, at + 1),
            Some(']') => return Ok(records),
            _ => return Err((line_at(text, at), "expected , or ] after a row".into())),
        }
    }
}

/// A JSON value read strictly (no key given twice), e.g. a CSV cell of a JSON column.
pub fn json_value(text: &str) -> Result<Json, String> {
    serde_json::from_str::<Strict>(text)
        .map(|Strict(json)| json)
        .map_err(|err| without_position(&err))
}

/// serde_json's message without its ` at line L column C` (relative to the row, not the file).
fn without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

/// A JSON value in which no object gives a key twice.
struct Strict(Json);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        StrictVisitor.deserialize(deserializer).map(Strict)
    }
}

#[derive(Clone, Copy)]
struct StrictVisitor;

impl<'de> DeserializeSeed<'de> for StrictVisitor {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "{key}: the key is given twice in one object"
                )));
            }
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Json::Object(object))
    }
}

/// The tables of the TOML array named after `table` (or `rows`).
pub fn toml_records(text: &str, table: &str) -> Result<Vec<Record>, (u64, String)> {
    type Doc = std::collections::BTreeMap<String, Vec<toml::Spanned<toml::Table>>>;
    let doc: Doc = toml::from_str(text).map_err(|err| {
        let line = err.span().map_or(1, |span| line_at(text, span.start));
        (line, err.message().to_string())
    })?;
    let keys: Vec<&String> = doc.keys().collect();
    let rows = match (doc.get(table), doc.get("rows")) {
        (Some(rows), _) | (None, Some(rows)) if doc.len() == 1 => rows,
        _ => {
            return Err((
                1,
                format!("expected one array of tables, [[{table}]] or [[rows]], found {keys:?}"),
            ));
        }
    };
    Ok(rows
        .iter()
        .map(|row| Record {
            line: line_at(text, row.span().start),
            fields: row
                .get_ref()
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        })
        .collect())
}

fn toml_to_json(value: &toml::Value) -> Json {
    match value {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => Json::from(*f),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(dt) => Json::String(dt.to_string()),
        toml::Value::Array(items) => Json::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Json::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// A CSV file read through a strict check of its quotes, which the csv crate reads leniently: a
/// quote that opens a value must close it, at the end of a field or of the file. Otherwise a
/// forgotten quote silently swallows the lines after it into one value.
pub struct Quotes<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    state: QuoteState,
    /// Where the quoted value being read opened.
    opened: u64,
    /// The byte before the next chunk.
    last: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    Outside,
    Inside,
    /// Just after a quote inside a quoted value: it closed the value, or starts a `""`.
    AfterQuote,
}

/// A quoted value that is never closed properly: where it opened, and the quote followed by
/// something other than a field's end (`None` when the file ends inside the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenQuote {
    pub opened: u64,
    pub stray: Option<u64>,
}

impl fmt::Display for OpenQuote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a quoted value opened at byte {} is never closed",
            self.opened
        )
    }
}

impl std::error::Error for OpenQuote {}

impl<R: std::io::Read> Quotes<R> {
    pub fn new(inner: R) -> Quotes<R> {
        Quotes {
            inner,
            offset: 0,
            state: QuoteState::Outside,
            opened: 0,
            last: b'\n',
        }
    }

    fn check(&mut self, chunk: &[u8]) -> Result<(), OpenQuote> {
        let mut i = 0;
        while i < chunk.len() {
            match self.state {
                QuoteState::Outside => {
                    let Some(at) = memchr::memchr(b'"', &chunk[i..]).map(|at| i + at) else {
                        break;
                    };
                    let before = if at == 0 { self.last } else { chunk[at - 1] };
                    let first = self.offset + at as u64 == 3 && before == 0xbf;
                    // A quote inside an unquoted value is a plain character.
                    if matches!(before, b',' | b'\n' | b'\r') || first {
                        self.state = QuoteState::Inside;
                        self.opened = self.offset + at as u64;
                    }
                    i = at + 1;
                }
                QuoteState::Inside => match memchr::memchr(b'"', &chunk[i..]) {
                    Some(at) => {
                        self.state = QuoteState::AfterQuote;
                        i += at + 1;
                    }
                    None => break,
                },
                QuoteState::AfterQuote => {
                    match chunk[i] {
                        b'"' => self.state = QuoteState::Inside,
                        b',' | b'\n' | b'\r' => self.state = QuoteState::Outside,
                        _ => {
                            return Err(OpenQuote {
                                opened: self.opened,
                                stray: Some(self.offset + i as u64 - 1),
                            });
                        }
                    }
                    i += 1;
                }
            }
        }
        if let Some(&last) = chunk.last() {
            self.last = last;
        }
        self.offset += chunk.len() as u64;
        Ok(())
    }
}

impl<R: std::io::Read> std::io::Read for Quotes<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let found = match n {
            0 if self.state == QuoteState::Inside => Err(OpenQuote {
                opened: self.opened,
                stray: None,
            }),
            _ => self.check(&buf[..n]),
        };
        found.map_err(|open| std::io::Error::new(std::io::ErrorKind::InvalidData, open))?;
        Ok(n)
    }
}

/// The 1-based line of byte `offset` of the file at `path`.
pub fn line_of(path: &std::path::Path, offset: u64) -> u64 {
    let bytes = std::fs::read(path).unwrap_or_default();
    let end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    memchr::memchr_iter(b'\n', &bytes[..end]).count() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_keep_their_lines() {
        let text = "[\n  {\"a\": 1},\n  {\"a\": 2,\n   \"b\": \"x\"}\n]\n";
        let records = json_records(text).unwrap();
        assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
        assert!(records[1].fields.contains_key("b"));
        assert_eq!(json_records("[]").unwrap(), []);
    }

    #[test]
    fn bad_json_names_its_line() {
        assert_eq!(
            json_records("[\n{\"a\": 1},\n{\"a\": }\n]").unwrap_err().0,
            3
        );
        assert!(json_records("{\"a\": 1}").is_err());
        assert!(
            json_records("[1]")
                .unwrap_err()
                .1
                .contains("expected an object")
        );
    }

    #[test]
    fn toml_rows_keep_their_lines() {
        let text =
            "[[posts]]\ntitle = \"a\"\n\n[[posts]]\ntitle = \"b\"\nat = 2026-01-02T03:04:05Z\n";
        let records = toml_records(text, "posts").unwrap();
        assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(
            records[1].fields["at"],
            Json::String("2026-01-02T03:04:05Z".into())
        );
        assert!(toml_records(text, "comments").is_err());
    }

    #[test]
    fn a_key_given_twice_is_an_error() {
        let (line, message) =
            json_records("[\n{\"a\": 1},\n{\"a\": 1,\n \"a\": 2}\n]").unwrap_err();
        assert_eq!(
            (line, message.as_str()),
            (4, "a: the key is given twice in one object")
        );
        assert!(json_value(r#"{"m": {"k": 1, "k": 2}}"#).is_err());
        assert!(json_value(r#"[{"k": 1}, {"k": 2}]"#).is_ok());
    }

    fn quotes(text: &str, chunk: usize) -> Result<(), OpenQuote> {
        let mut reader = Quotes::new(text.as_bytes());
        let mut buf = vec![0; chunk];
        loop {
            match std::io::Read::read(&mut reader, &mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(err) => {
                    return Err(*err.into_inner().unwrap().downcast::<OpenQuote>().unwrap());
                }
            }
        }
    }

    #[test]
    fn quotes_must_close_at_the_end_of_a_field() {
        for chunk in [1, 2, 7, 4096] {
            assert_eq!(
                quotes("a,\"b \"\"c\"\", d\"\r\n5\" screen,\"x\"\n", chunk),
                Ok(())
            );
            assert_eq!(
                quotes("a,b\n1,\"Bob\n3,c,Cy\n", chunk),
                Err(OpenQuote {
                    opened: 6,
                    stray: None
                })
            );
            assert_eq!(
                quotes("a,b\n1,\"Bob\n3,\"c\",Cy\n", chunk),
                Err(OpenQuote {
                    opened: 6,
                    stray: Some(13)
                })
            );
        }
    }
}
