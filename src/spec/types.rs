//! The field type table (`types.toml`), loaded once: every per-type fact comes from here.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::adapter::Adapter;

/// The embedded table, parsed on first use.
static TABLE: LazyLock<TypeTable> = LazyLock::new(|| {
    toml::from_str(include_str!("types.toml"))
        .unwrap_or_else(|err| panic!("src/spec/types.toml is invalid: {err}"))
});

/// The whole table: field types in documentation order, and the two primary key types.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeTable {
    #[serde(rename = "type")]
    pub types: Vec<TypeInfo>,
    pub id: IdTypes,
}

/// The primary key types.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTypes {
    pub bigint: IdInfo,
    pub uuid: IdInfo,
}

/// What follows a type word in a field spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arg {
    /// Nothing: `title:string`.
    None,
    /// An element type: `tags:array:string`.
    Type,
    /// One or more values: `status:enum:draft:published`.
    Values,
    /// A table: `post_id:references:posts`.
    Table,
}

/// What a field type is, whatever word names it: `utc_datetime_usec` is a `UtcDatetime` kept
/// to the microsecond. Serialized as the type word (`naive_datetime`), which templates compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    String,
    Text,
    Integer,
    Bigint,
    Float,
    Decimal,
    Boolean,
    Date,
    Time,
    NaiveDatetime,
    UtcDatetime,
    Uuid,
    Binary,
    Map,
    Array,
    Enum,
    References,
}

/// The HTML form input of a field type (its `type` attribute), or `None` for a type that
/// no form edits (binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    Text,
    Textarea,
    Number,
    Checkbox,
    Date,
    Time,
    DatetimeLocal,
    Select,
    None,
}

/// One field type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeInfo {
    pub name: String,
    pub kind: Kind,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub rust: String,
    #[serde(flatten)]
    pub sql: SqlTypes,
    pub input: Input,
    #[serde(default)]
    pub step: Option<String>,
    pub arg: Arg,
    pub array_element: bool,
    pub indexable: bool,
    #[serde(default)]
    pub auto_index: bool,
    pub crates: Vec<String>,
    pub test: TestValues,
}

/// A primary key type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdInfo {
    pub rust: String,
    #[serde(flatten)]
    pub sql: SqlTypes,
    pub crates: Vec<String>,
    pub test: TestValues,
}

/// A column type in each dialect.
#[derive(Debug, Clone, Deserialize)]
pub struct SqlTypes {
    pub sqlite: String,
    pub postgres: String,
    pub mysql: String,
}

impl SqlTypes {
    /// The column type for `adapter`.
    pub fn get(&self, adapter: Adapter) -> &str {
        match adapter {
            Adapter::Sqlite => &self.sqlite,
            Adapter::Postgres => &self.postgres,
            Adapter::Mysql => &self.mysql,
        }
    }
}

/// Valid values for generated tests: as typed in a form and as a JSON literal, for create
/// and for update (a different value).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestValues {
    pub create_form: String,
    pub update_form: String,
    pub create_json: String,
    pub update_json: String,
}

impl TestValues {
    /// Each value with its `{key}` placeholders filled from `vars`, and `{slot_key}` from
    /// the value in the same slot of `slot_values` (an array's element, a reference's id).
    pub fn fill(&self, vars: &[(&str, &str)], slot: Option<(&str, &TestValues)>) -> Self {
        let one = |template: &str, which: Slot| {
            let filled = fill(template, vars);
            match slot {
                Some((key, values)) => fill(&filled, &[(key, values.get(which))]),
                None => filled,
            }
        };
        TestValues {
            create_form: one(&self.create_form, Slot::CreateForm),
            update_form: one(&self.update_form, Slot::UpdateForm),
            create_json: one(&self.create_json, Slot::CreateJson),
            update_json: one(&self.update_json, Slot::UpdateJson),
        }
    }

    /// The value in `slot`.
    pub fn get(&self, slot: Slot) -> &str {
        match slot {
            Slot::CreateForm => &self.create_form,
            Slot::UpdateForm => &self.update_form,
            Slot::CreateJson => &self.create_json,
            Slot::UpdateJson => &self.update_json,
        }
    }
}

/// One of the four test values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    CreateForm,
    UpdateForm,
    CreateJson,
    UpdateJson,
}

/// The crates a type may need.
pub const CRATES: &[&str] = &["chrono", "uuid", "rust_decimal", "serde_json"];

/// The loaded table.
pub fn table() -> &'static TypeTable {
    &TABLE
}

/// The type named `name` (or one of its aliases), if any.
pub fn lookup(name: &str) -> Option<&'static TypeInfo> {
    TABLE
        .types
        .iter()
        .find(|t| t.name == name || t.aliases.iter().any(|alias| alias == name))
}

/// The primary key type: uuid with `--binary-id`, bigint otherwise.
pub fn id(binary_id: bool) -> &'static IdInfo {
    if binary_id {
        &TABLE.id.uuid
    } else {
        &TABLE.id.bigint
    }
}

/// Every type name, comma-separated, for error messages.
pub fn all_names() -> String {
    join_names(|_| true)
}

/// Every type that can be an array element, comma-separated, for error messages.
pub fn element_names() -> String {
    join_names(|t| t.array_element)
}

fn join_names(keep: impl Fn(&TypeInfo) -> bool) -> String {
    let names: Vec<&str> = TABLE
        .types
        .iter()
        .filter(|t| keep(t))
        .map(|t| t.name.as_str())
        .collect();
    names.join(", ")
}

/// Replaces each `{key}` in `template` with its value.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(template.to_string(), |acc, (key, value)| {
        acc.replace(&format!("{{{key}}}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN_TYPES: &[&str] = &[
        "string",
        "text",
        "integer",
        "bigint",
        "float",
        "decimal",
        "boolean",
        "date",
        "time",
        "naive_datetime",
        "utc_datetime",
        "time_usec",
        "naive_datetime_usec",
        "utc_datetime_usec",
        "uuid",
        "binary",
        "map",
        "array",
        "enum",
        "references",
    ];

    #[test]
    fn has_exactly_the_types_of_the_design() {
        let names: Vec<&str> = table().types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, DESIGN_TYPES);
    }

    /// A type word other than its kind's is the `_usec` variant of the kind's own type: the
    /// same Rust type and input, another column.
    #[test]
    fn every_type_is_its_kind_or_the_usec_variant_of_it() {
        for t in &table().types {
            let kind_word = serde_json::to_value(t.kind).unwrap();
            match t.name.strip_suffix("_usec") {
                None => assert_eq!(kind_word, t.name.as_str()),
                Some(base) => {
                    let base = lookup(base).unwrap();
                    assert_eq!(kind_word, base.name.as_str());
                    assert_eq!((&t.rust, t.input), (&base.rust, base.input));
                }
            }
        }
        assert_eq!(
            lookup("datetime").map(|t| t.name.as_str()),
            Some("naive_datetime")
        );
    }

    #[test]
    fn every_entry_is_complete() {
        for t in &table().types {
            assert!(!t.rust.is_empty(), "{}: rust", t.name);
            for adapter in Adapter::ALL {
                assert!(!t.sql.get(adapter).is_empty(), "{}: {adapter}", t.name);
            }
            assert!(t.step.iter().all(|s| s == "any"), "{}: step", t.name);
            assert!(
                t.crates.iter().all(|c| CRATES.contains(&c.as_str())),
                "{}",
                t.name
            );
            assert!(
                !(t.array_element && t.arg != Arg::None),
                "{}: element",
                t.name
            );
            assert_placeholders(t);
        }
    }

    /// Placeholders only where the type's argument can fill them.
    fn assert_placeholders(t: &TypeInfo) {
        let allowed: &[&str] = match t.arg {
            Arg::None => &["name"],
            Arg::Type => &["name", "inner"],
            Arg::Values => &["name", "enum", "first", "second"],
            Arg::Table => &["name", "id"],
        };
        let v = &t.test;
        let texts = [
            &t.rust,
            &t.sql.sqlite,
            &t.sql.postgres,
            &t.sql.mysql,
            &v.create_form,
            &v.update_form,
            &v.create_json,
            &v.update_json,
        ];
        for text in texts {
            for key in placeholders(text) {
                assert!(allowed.contains(&key), "{}: {{{key}}} in {text}", t.name);
            }
        }
    }

    /// The `{key}` placeholders in `text` (JSON braces are not placeholders).
    fn placeholders(text: &str) -> Vec<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(key, _)| key))
            .filter(|key| !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase()))
            .collect()
    }

    #[test]
    fn test_values_differ_and_json_parses() {
        for t in &table().types {
            let inner = TestValues {
                create_form: "x".into(),
                update_form: "y".into(),
                create_json: "\"x\"".into(),
                update_json: "\"y\"".into(),
            };
            let vars = [
                ("name", "title"),
                ("first", "a"),
                ("second", "b"),
                ("id", "1"),
            ];
            let filled = t.test.fill(&vars, Some(("inner", &inner)));
            for json in [&filled.create_json, &filled.update_json] {
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(json);
                assert!(parsed.is_ok(), "{}: {json} is not JSON", t.name);
            }
            let form_expected = t.input != Input::None;
            assert_eq!(!filled.create_form.is_empty(), form_expected, "{}", t.name);
            if t.arg == Arg::None {
                assert_ne!(filled.create_json, filled.update_json, "{}", t.name);
            }
            if t.arg == Arg::None && form_expected {
                assert_ne!(filled.create_form, filled.update_form, "{}", t.name);
            }
        }
    }

    #[test]
    fn id_types_are_complete() {
        for id in [&table().id.bigint, &table().id.uuid] {
            for adapter in Adapter::ALL {
                assert!(!id.sql.get(adapter).is_empty());
            }
            assert!(serde_json::from_str::<serde_json::Value>(&id.test.create_json).is_ok());
        }
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(fill("Vec<{inner}>", &[("inner", "i32")]), "Vec<i32>");
        assert_eq!(fill("some {name}", &[("name", "title")]), "some title");
    }
}
