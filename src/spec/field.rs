//! Field specs: `name[:type[:arg...][:modifier...]]` parsed and validated, one rule at a time.

use std::collections::HashSet;

use crate::error::UsageError;
use crate::naming;

use super::types::{self, Arg, Kind, TypeInfo};

/// The modifiers a field may carry, in the order error messages list them.
pub const MODIFIERS: &[&str] = &["unique", "index", "redact", "optional"];

/// Columns every table gets; a field may not repeat them.
pub const GENERATED_FIELDS: &[&str] = &["id", "inserted_at", "updated_at"];

/// The longest column or table name PostgreSQL keeps (MySQL allows 64).
pub const MAX_NAME_LEN: usize = 63;

/// One validated field of a spec, before it is resolved for a database.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The column name, snake_case.
    pub name: String,
    /// The entry of the type table.
    pub ty: &'static TypeInfo,
    /// What followed the type word.
    pub arg: TypeArg,
    /// The modifiers given.
    pub modifiers: Modifiers,
    /// The column's default, as given with `:default=VALUE` (checked against the type).
    pub default: Option<String>,
    /// What deleting the referenced row does to this one (references only).
    pub on_delete: OnDelete,
}

/// What deleting a referenced row does to the rows referencing it:
/// `user_id:references:users:on_delete=cascade`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    /// The delete is refused while rows reference it (a clear error, never a 500).
    #[default]
    Restrict,
    /// They are deleted with it.
    Cascade,
    /// Their reference is emptied (the field must be optional).
    Nullify,
}

impl OnDelete {
    /// The word of the modifier: `cascade`.
    pub fn word(self) -> &'static str {
        match self {
            OnDelete::Restrict => "restrict",
            OnDelete::Cascade => "cascade",
            OnDelete::Nullify => "nullify",
        }
    }
}

/// What followed the type word.
#[derive(Debug, Clone)]
pub enum TypeArg {
    /// Nothing (`title:string`).
    None,
    /// The element type of an array (`tags:array:string`).
    Element(&'static TypeInfo),
    /// The values of an enum (`status:enum:draft:published`).
    Values(Vec<String>),
    /// The table a reference points to (`post_id:references:posts`).
    Table(String),
}

/// The modifiers of a field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modifiers {
    pub unique: bool,
    pub index: bool,
    pub redact: bool,
    pub optional: bool,
}

/// Parses every field, refusing a name given twice.
pub fn parse_fields(raw: &[String], singular: &str) -> Result<Vec<FieldSpec>, UsageError> {
    let mut seen = HashSet::new();
    let mut fields = Vec::with_capacity(raw.len());
    for spec in raw {
        let field = parse_field(spec, singular)?;
        if !seen.insert(field.name.clone()) {
            return Err(UsageError::new(format!(
                "The field \"{}\" is given twice; give each field once",
                field.name
            )));
        }
        fields.push(field);
    }
    Ok(fields)
}

/// Parses one `name[:type[:arg...][:modifier...]]`; `singular` shapes suggested names.
pub fn parse_field(raw: &str, singular: &str) -> Result<FieldSpec, UsageError> {
    let mut parts = raw.split(':');
    let name = parts.next().unwrap_or_default();
    check_name(name, raw, singular)?;
    let rest: Vec<&str> = parts.collect();
    let (type_word, rest) = match rest.split_first() {
        Some((word, tail)) if !is_modifier(word) => (*word, tail),
        _ => ("string", rest.as_slice()),
    };
    let ty = types::lookup(type_word).ok_or_else(|| unknown_type(name, type_word))?;
    let (arg, rest) = parse_arg(ty, name, rest)?;
    let (defaults, rest): (Vec<&str>, Vec<&str>) = rest
        .iter()
        .partition(|word| word.starts_with(DEFAULT_PREFIX));
    let (on_deletes, rest): (Vec<&str>, Vec<&str>) = rest
        .iter()
        .partition(|word| word.starts_with(ON_DELETE_PREFIX));
    let modifiers = parse_modifiers(name, &rest)?;
    check_indexable(name, ty, modifiers)?;
    let default = match defaults.as_slice() {
        [] => None,
        [word] => {
            let value = &word[DEFAULT_PREFIX.len()..];
            check_default(name, ty, &arg, value)?;
            Some(value.to_string())
        }
        _ => {
            return Err(UsageError::new(format!(
                "The field \"{name}\" has more than one default; give it one :default=VALUE"
            )));
        }
    };
    let on_delete = parse_on_delete(name, &arg, modifiers, &on_deletes)?;
    Ok(FieldSpec {
        name: name.to_string(),
        ty,
        arg,
        modifiers,
        default,
        on_delete,
    })
}

/// What starts the modifier of a reference saying what deleting its row does:
/// `on_delete=cascade`.
pub const ON_DELETE_PREFIX: &str = "on_delete=";

fn parse_on_delete(
    name: &str,
    arg: &TypeArg,
    modifiers: Modifiers,
    words: &[&str],
) -> Result<OnDelete, UsageError> {
    let refuse = |message: String| Err(UsageError::new(message));
    let word = match words {
        [] => return Ok(OnDelete::Restrict),
        [word] => &word[ON_DELETE_PREFIX.len()..],
        _ => {
            return refuse(format!(
                "The field \"{name}\" has more than one on_delete; give it one"
            ));
        }
    };
    if !matches!(arg, TypeArg::Table(_)) {
        return refuse(format!(
            "The field \"{name}\" is not a reference, so it takes no on_delete; drop :on_delete={word}"
        ));
    }
    let on_delete = match word {
        "restrict" => OnDelete::Restrict,
        "cascade" => OnDelete::Cascade,
        "nullify" => OnDelete::Nullify,
        _ => {
            return refuse(format!(
                "Unknown on_delete \"{word}\" for the field \"{name}\"; write on_delete=restrict, on_delete=cascade or on_delete=nullify"
            ));
        }
    };
    if on_delete == OnDelete::Nullify && !modifiers.optional {
        return refuse(format!(
            "The field \"{name}\" cannot be emptied when its row is deleted (on_delete=nullify) unless it is optional; add :optional"
        ));
    }
    Ok(on_delete)
}

/// What starts the modifier giving a column its default: `views:integer:default=0`.
pub const DEFAULT_PREFIX: &str = "default=";

fn is_modifier(word: &str) -> bool {
    MODIFIERS.contains(&word)
        || word.starts_with(DEFAULT_PREFIX)
        || word.starts_with(ON_DELETE_PREFIX)
}

/// A default must be a value of the field's type that every dialect takes as a literal.
fn check_default(name: &str, ty: &TypeInfo, arg: &TypeArg, value: &str) -> Result<(), UsageError> {
    let valid = match ty.kind {
        Kind::String | Kind::Text => true,
        Kind::Integer => value.parse::<i32>().is_ok(),
        Kind::Bigint => value.parse::<i64>().is_ok(),
        Kind::Float => value.parse::<f64>().is_ok_and(f64::is_finite),
        Kind::Decimal => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
            [whole, fraction]
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        }
        Kind::Boolean => matches!(value, "true" | "false"),
        Kind::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        Kind::Enum => matches!(arg, TypeArg::Values(values) if values.iter().any(|v| v == value)),
        _ => {
            return Err(UsageError::new(format!(
                "The field \"{name}\" cannot have a default: a {} column takes no default here; drop :default= or make the field optional",
                ty.name
            )));
        }
    };
    if valid {
        return Ok(());
    }
    let example = match ty.kind {
        Kind::Integer | Kind::Bigint => "0",
        Kind::Float | Kind::Decimal => "0.0",
        Kind::Boolean => "false",
        Kind::Date => "2026-01-01",
        _ => match arg {
            TypeArg::Values(values) => values.first().map_or("", String::as_str),
            _ => "",
        },
    };
    Err(UsageError::new(format!(
        "The default \"{value}\" of the field \"{name}\" is not a valid {} value, such as {example}",
        ty.name
    )))
}

/// The rules for a field name, in the order users most likely break them.
fn check_name(name: &str, raw: &str, singular: &str) -> Result<(), UsageError> {
    let refuse = |message: String| Err(UsageError::new(message));
    if name.is_empty() {
        return refuse(format!(
            "The field \"{raw}\" has no name; write fields as name:type, e.g. title:string"
        ));
    }
    if !naming::is_snake_case(name) {
        let such_as = naming::suggest_snake(name, "title");
        return refuse(format!(
            "Expected the field name, \"{name}\", to be snake_case such as {such_as}"
        ));
    }
    if GENERATED_FIELDS.contains(&name) {
        return refuse(format!(
            "The field \"{name}\" is generated for every table; remove it from the fields"
        ));
    }
    if !naming::can_be_identifier(name) {
        return refuse(format!(
            "The field name \"{name}\" is a Rust keyword that cannot be an identifier, not even as r#{name}; choose another name such as {singular}_{name}"
        ));
    }
    if naming::is_sql_reserved(name) {
        return refuse(format!(
            "The field name \"{name}\" is a reserved word in SQL; choose another name such as {singular}_{name}"
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return refuse(format!(
            "The field name \"{name}\" is longer than {MAX_NAME_LEN} characters; choose a shorter name"
        ));
    }
    Ok(())
}

fn unknown_type(name: &str, word: &str) -> UsageError {
    let names = types::table().types.iter().map(|t| t.name.as_str());
    let guess = match naming::closest(word, names) {
        Some(guess) => format!("did you mean {name}:{guess}? "),
        None => String::new(),
    };
    UsageError::new(format!(
        "Unknown type \"{word}\" for the field \"{name}\"; {guess}valid types are: {}",
        types::all_names()
    ))
}

/// Reads what the type takes (element type, values or table) off the front of `rest`.
fn parse_arg<'a>(
    ty: &TypeInfo,
    name: &str,
    rest: &'a [&'a str],
) -> Result<(TypeArg, &'a [&'a str]), UsageError> {
    match ty.arg {
        Arg::None => Ok((TypeArg::None, rest)),
        Arg::Type => parse_element(name, rest),
        Arg::Values => parse_values(name, rest),
        Arg::Table => parse_table(name, rest),
    }
}

/// The word after the type, unless it is a modifier (or missing).
fn argument<'a>(rest: &'a [&'a str]) -> Option<(&'a str, &'a [&'a str])> {
    rest.split_first()
        .filter(|(word, _)| !is_modifier(word))
        .map(|(word, tail)| (*word, tail))
}

fn parse_element<'a>(
    name: &str,
    rest: &'a [&'a str],
) -> Result<(TypeArg, &'a [&'a str]), UsageError> {
    let Some((word, tail)) = argument(rest) else {
        return Err(UsageError::new(format!(
            "The array field \"{name}\" has no element type; write it as {name}:array:string"
        )));
    };
    let valid = types::element_names();
    let Some(element) = types::lookup(word) else {
        return Err(UsageError::new(format!(
            "Unknown element type \"{word}\" for the array field \"{name}\"; valid element types are: {valid}"
        )));
    };
    if !element.array_element {
        return Err(UsageError::new(format!(
            "The array field \"{name}\" cannot hold {word} values; valid element types are: {valid}"
        )));
    }
    Ok((TypeArg::Element(element), tail))
}

fn parse_values<'a>(
    name: &str,
    rest: &'a [&'a str],
) -> Result<(TypeArg, &'a [&'a str]), UsageError> {
    let count = rest.iter().take_while(|w| !is_modifier(w)).count();
    let (values, tail) = rest.split_at(count);
    if values.is_empty() {
        return Err(UsageError::new(format!(
            "The enum field \"{name}\" has no values; list them after the type, e.g. {name}:enum:draft:published"
        )));
    }
    check_enum_values(name, values)?;
    let values = values.iter().map(|v| v.to_string()).collect();
    Ok((TypeArg::Values(values), tail))
}

/// Enum values become Rust variants (`in_review` → `InReview`) and SQL strings.
fn check_enum_values(name: &str, values: &[&str]) -> Result<(), UsageError> {
    let mut variants: Vec<(String, &str)> = Vec::with_capacity(values.len());
    for value in values {
        if !naming::is_snake_case(value) {
            let such_as = naming::suggest_snake(value, "draft");
            return Err(UsageError::new(format!(
                "Expected the value \"{value}\" of the enum field \"{name}\" to be snake_case such as {such_as}"
            )));
        }
        let variant = naming::camel(value);
        if naming::is_rust_keyword(&variant) {
            return Err(UsageError::new(format!(
                "The value \"{value}\" of the enum field \"{name}\" would be the Rust variant {variant}, which is a keyword; choose another value"
            )));
        }
        if let Some((_, earlier)) = variants.iter().find(|(v, _)| *v == variant) {
            return Err(duplicate_value(name, earlier, value, &variant));
        }
        variants.push((variant, value));
    }
    Ok(())
}

fn duplicate_value(name: &str, earlier: &str, value: &str, variant: &str) -> UsageError {
    if earlier == value {
        UsageError::new(format!(
            "The value \"{value}\" of the enum field \"{name}\" is given twice; give each value once"
        ))
    } else {
        UsageError::new(format!(
            "The values \"{earlier}\" and \"{value}\" of the enum field \"{name}\" would both be the Rust variant {variant}; rename one"
        ))
    }
}

fn parse_table<'a>(
    name: &str,
    rest: &'a [&'a str],
) -> Result<(TypeArg, &'a [&'a str]), UsageError> {
    let Some((table, tail)) = argument(rest) else {
        return Err(UsageError::new(format!(
            "The references field \"{name}\" has no table; write it as {name}:references:{}",
            referenced_table(name)
        )));
    };
    if !naming::is_snake_case(table) {
        let such_as = naming::suggest_snake(table, "posts");
        return Err(UsageError::new(format!(
            "Expected the table \"{table}\" of the references field \"{name}\" to be snake_case such as {such_as}"
        )));
    }
    Ok((TypeArg::Table(table.to_string()), tail))
}

/// The table a references field most likely points to, by its name: `user_id` → `users`.
fn referenced_table(name: &str) -> String {
    let parent = name.strip_suffix("_id").unwrap_or(name);
    if parent.is_empty() {
        "posts".to_string()
    } else {
        naming::plural_of(parent)
    }
}

fn parse_modifiers(name: &str, words: &[&str]) -> Result<Modifiers, UsageError> {
    let mut modifiers = Modifiers::default();
    for word in words {
        let flag = match *word {
            "unique" => &mut modifiers.unique,
            "index" => &mut modifiers.index,
            "redact" => &mut modifiers.redact,
            "optional" => &mut modifiers.optional,
            _ => {
                return Err(UsageError::new(format!(
                    "Unknown modifier \"{word}\" for the field \"{name}\"; valid modifiers are: {}, default=VALUE, on_delete=restrict|cascade|nullify",
                    MODIFIERS.join(", ")
                )));
            }
        };
        *flag = true;
    }
    Ok(modifiers)
}

/// `unique` and `index` only on columns every dialect can index (not TEXT, BLOB, JSON).
fn check_indexable(name: &str, ty: &TypeInfo, modifiers: Modifiers) -> Result<(), UsageError> {
    if ty.indexable || !(modifiers.unique || modifiers.index) {
        return Ok(());
    }
    let (wish, modifier) = if modifiers.unique {
        ("be unique", "unique")
    } else {
        ("be indexed", "index")
    };
    Err(UsageError::new(format!(
        "The field \"{name}\" cannot {wish}: not every database can index a {} column; drop :{modifier} or use another type such as string",
        ty.name
    )))
}
