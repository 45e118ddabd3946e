//! Rows of JSON and TOML seed files, each with the line it starts on: a JSON array of objects,
//! or TOML arrays of tables (`[[posts]]`, or `[[rows]]`).

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
        let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Json>();
        let value = match stream.next() {
            Some(Ok(value)) => value,
            Some(Err(err)) => return Err((line + err.line() as u64 - 1, err.to_string())),
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
}
