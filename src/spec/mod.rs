//! The spec language: `Context Schema plural field[:type[:modifier...]]...` parsed and validated
//! into a [`Spec`], then resolved for a database into one [`Resource`] holding every name the
//! generators need.
//!
//! # Rules
//!
//! A field is `name[:type[:arg...][:modifier...]]`. The type defaults to `string`, so
//! `title` and `title:unique` are strings. `array` takes one element type (`tags:array:string`),
//! `enum` takes one or more values (`status:enum:draft:published`), `references` takes a table
//! (`post_id:references:posts`). Modifiers come last: `unique`, `index`, `redact`, `optional`;
//! so no enum value can be a modifier word. Every per-type fact (Rust and SQL types, form
//! input, crates, test values) lives in `src/spec/types.toml`.
//!
//! Refused, with one sentence naming the offending word and the fix (exit code 2):
//!
//! - A context, schema or `--web` namespace that is not CamelCase in its canonical spelling
//!   (`Blog`, `BlogPost`; each segment of `Admin.Blog`; not `blog`, `Blog_Post`, `HTTPClient`,
//!   which would trip clippy's `upper_case_acronyms` in the generated app; use `HttpClient`).
//!   Schemas of `gen html|json|context` have one segment; `gen schema Blog.Post` means context
//!   `Blog`, schema `Post`; `--web Admin.V1` nests (`src/web/admin/v1/`, under `/admin/v1`).
//! - A context, schema or namespace whose module name is a Rust keyword (`Type` → `type`).
//! - A name the generated app already uses where the new one would land ([`reserved`], one
//!   table listed in the README): a crate-root module (`Web`, `Db`, `Main`), a crate the app
//!   uses (`Sqlx`), a module of `src/web/` (`--web Csrf`, the schema `Page` whose controller
//!   would be `page_controller`; pages under `--web Api`, the JSON API's, are refused by
//!   `gen html`), a type beside the schema (`Error`, `Pool`, `String`), a
//!   variable of the generated code that the schema's snake_case name or plural would shadow
//!   (`Db` → `db`, the pool; the plural `params`), and an enum field whose type would be one
//!   (`round` of `Subsec` → `SubsecRound`, `changes` of `Post` → `PostChanges`).
//! - A context whose last segment equals the schema (`Blog Blog`, `Blog.Blog`).
//! - A plural or `--table` that is not snake_case, a plural that is a Rust keyword or equals
//!   the singular (`sheep`: the generated tests would shadow one with the other).
//! - A field given twice; a field named `id`, `inserted_at` or `updated_at` (every table has
//!   them); an empty field name; a field name that is not snake_case.
//! - Names longer than 63 characters (PostgreSQL's limit) for fields, plurals and tables; a
//!   table (plural or `--table`) starting with `sqlite_`, which SQLite reserves (refused for
//!   every adapter so that the app stays portable).
//! - An unknown type (the message lists every valid type) or modifier (lists the four).
//! - `enum` without values, with a value that is not snake_case, given twice, or whose
//!   variants collide (`v_1` and `v1` both become `V1`), or `self` (variant `Self`).
//! - `array` without an element type or with an unknown one; arrays of `array`, `enum`,
//!   `references`, `binary` and `map` are refused (the message lists the valid ones).
//! - `references` without a table, or with a table that is not snake_case.
//! - `unique` or `index` on `text`, `binary`, `map` or `array`: MySQL/MariaDB cannot index
//!   those columns without a prefix length; use `string`.
//!
//! # Keywords and reserved words
//!
//! - A field named like a Rust keyword that can be a raw identifier (`type`, `fn`, `async`,
//!   `struct`, `impl`, `gen`...) is accepted: the column and form key stay `type`, the Rust
//!   identifier is `r#type` ([`Field::ident`]); serde and sqlx strip the `r#`.
//! - `self`, `super` and `crate` cannot be raw identifiers and are refused (`Self` and `_` are
//!   not snake_case anyway).
//! - A field, plural (when it is the table) or `--table` that is reserved in PostgreSQL, MySQL,
//!   MariaDB or SQLite ([`crate::naming::SQL_RESERVED`]: `order`, `group`, `user`, `key`,
//!   `index`, `limit`, `desc`, `position`, `offset`...) is refused, not quoted: the app may move
//!   between databases and hand-written SQL should not need quotes. Some Rust keywords are SQL
//!   reserved words too (`as`, `continue`, `do`, `else`, `false`, `for`, `if`, `in`, `loop`,
//!   `match`, `mod`, `return`, `true`, `use`, `virtual`, `where`, `while`), so those field
//!   names are refused as SQL words.
//!   A plural that is an SQL word is accepted with `--table` naming another table.

pub mod field;
mod names;
mod request;
pub mod reserved;
mod resolve;
pub mod types;

#[cfg(test)]
mod tests;

use crate::error::UsageError;
use crate::naming;

pub use field::{FieldSpec, Modifiers, OnDelete, TypeArg};
pub use request::{Request, SpecOptions, field_spec, recorded};
pub use resolve::{
    ArrayOf, ContextName, Crates, EnumVariant, Field, Functions, Label, NamespaceModule,
    ParentPages, Reference, ReferenceParent, Resource, SchemaName, Scope, ScopeField, WebNamespace,
};
pub use types::{Input, Kind, TestValues};

/// The web namespace of the JSON API itself: a `--web` namespace of `gen json` starting with it
/// is below `/api` as it is (`Api.V1` is `/api/v1`), any other goes below it (`Admin` is
/// `/api/admin`). Pages cannot be in it.
pub const API_NAMESPACE: &str = "Api";

/// A validated spec, before it is resolved for a database: names as given, fields parsed.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The context's CamelCase segments (`["Admin", "Blog"]`); `None` for `gen schema Post`.
    pub context: Option<Vec<String>>,
    /// The schema struct: `Post`.
    pub schema: String,
    /// The plural: `posts`.
    pub plural: String,
    /// `--table`, if given.
    pub table: Option<String>,
    /// `--binary-id`.
    pub binary_id: bool,
    /// The CamelCase segments of `--web`, if given: `["Admin"]`, `["Api", "V1"]`.
    pub web: Option<Vec<String>>,
    /// `--primary-key`, if given: `post_id`.
    pub primary_key: Option<String>,
    /// The fields, in the order given.
    pub fields: Vec<FieldSpec>,
    /// `--label`, if given: a string field of `fields`.
    pub label: Option<String>,
}

/// The primary key column without `--primary-key`.
pub const DEFAULT_PRIMARY_KEY: &str = "id";

/// Parses the arguments of `gen html|json|context`: a context, a schema, a plural and at
/// least one field.
pub fn parse_resource(
    context: &str,
    schema: &str,
    plural: &str,
    fields: &[String],
    options: &SpecOptions,
) -> Result<Spec, UsageError> {
    let context = names::context(context)?;
    let schema = names::schema(schema, false)?;
    names::distinct(&context, &schema)?;
    let spec = finish(Some(context), schema, plural, fields, options)?;
    if spec.fields.is_empty() {
        return Err(UsageError::new(format!(
            "No fields given for {}; add at least one, e.g. title:string",
            spec.schema
        )));
    }
    Ok(spec)
}

/// Parses the arguments of `gen schema`: `Blog.Post` (context `Blog`) or `Post`, a plural
/// and any number of fields.
pub fn parse_schema(
    schema: &str,
    plural: &str,
    fields: &[String],
    options: &SpecOptions,
) -> Result<Spec, UsageError> {
    let (context, schema) = names::dotted_schema(schema)?;
    if let Some(context) = &context {
        names::distinct(context, &schema)?;
    }
    finish(context, schema, plural, fields, options)
}

/// Every field type name, in the order of the README's type table (`string`, `text`, ...
/// `references`).
pub fn type_names() -> Vec<&'static str> {
    types::table()
        .types
        .iter()
        .map(|t| t.name.as_str())
        .collect()
}

/// The checks shared by both commands once the context and schema are known.
fn finish(
    context: Option<Vec<String>>,
    schema: String,
    plural: &str,
    fields: &[String],
    options: &SpecOptions,
) -> Result<Spec, UsageError> {
    let singular = naming::snake(&schema);
    let prefix = context
        .as_ref()
        .and_then(|c| c.last())
        .map_or_else(|| "app".to_string(), |alias| naming::snake(alias));
    let table = options.table.as_deref();
    names::plural(plural, &singular, table.is_some(), &prefix)?;
    if let Some(table) = table {
        names::table(table, &prefix)?;
    }
    let web = options.web.as_deref().map(names::web).transpose()?;
    let fields = field::parse_fields(fields, &singular)?;
    if let Some(key) = options.primary_key.as_deref() {
        names::primary_key(key, &fields)?;
    }
    if let Some(label) = options.label.as_deref() {
        check_label(label, &schema, &fields)?;
    }
    for field in &fields {
        match field.arg {
            TypeArg::Values(_) => names::enum_type(&schema, &field.name)?,
            // The changeset binds a reference by its name beside the pool `db`.
            TypeArg::Table(_) => reserved::variable("references field", &field.name, &field.name)?,
            _ => {}
        }
    }
    Ok(Spec {
        fields,
        context,
        schema,
        plural: plural.to_string(),
        table: table.map(str::to_string),
        binary_id: options.binary_id,
        web,
        primary_key: options.primary_key.clone(),
        label: options.label.clone(),
    })
}

/// `--label` must name a string or text field that pages may show (not redacted).
fn check_label(label: &str, schema: &str, fields: &[FieldSpec]) -> Result<(), UsageError> {
    let labels = |field: &&FieldSpec| {
        matches!(field.ty.kind, types::Kind::String | types::Kind::Text)
            && matches!(field.arg, TypeArg::None)
            && !field.modifiers.redact
    };
    if fields
        .iter()
        .filter(labels)
        .any(|field| field.name == label)
    {
        return Ok(());
    }
    let candidates: Vec<&str> = fields
        .iter()
        .filter(labels)
        .map(|field| field.name.as_str())
        .collect();
    let choice = match candidates.as_slice() {
        [] => format!("{schema} has none, so drop --label"),
        _ => format!("choose one of {}", candidates.join(", ")),
    };
    Err(UsageError::new(format!(
        "The label \"{label}\" is not a string field of {schema} that pages may show; {choice}"
    )))
}
