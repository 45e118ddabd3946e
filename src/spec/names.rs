//! The names of a spec other than fields: context, schema, plural, `--table`, `--primary-key`
//! and `--web`.

use crate::error::UsageError;
use crate::naming;

use super::field::{FieldSpec, MAX_NAME_LEN};
use super::reserved;

fn refuse<T>(message: String) -> Result<T, UsageError> {
    Err(UsageError::new(message))
}

/// A context such as `Blog` or `Admin.Blog`, as its CamelCase segments.
pub fn context(raw: &str) -> Result<Vec<String>, UsageError> {
    if !naming::is_camel_path(raw) {
        let such_as = naming::suggest_camel_path(raw, "Blog");
        return refuse(format!(
            "Expected the context, \"{raw}\", to be a CamelCase module name such as {such_as}"
        ));
    }
    let segments: Vec<String> = raw.split('.').map(str::to_string).collect();
    for (depth, segment) in segments.iter().enumerate() {
        module_not_keyword("context", raw, segment)?;
        reserved::module("context", raw, &naming::snake(segment), depth == 0)?;
    }
    Ok(segments)
}

/// A schema for `gen html|json|context`: one CamelCase segment such as `Post`; `at_root` when
/// its module is at the crate root (`gen schema Post`).
pub fn schema(raw: &str, at_root: bool) -> Result<String, UsageError> {
    if !naming::is_camel_case(raw) {
        let such_as = naming::suggest_camel_path(&raw.replace('.', "_"), "Post");
        return refuse(format!(
            "Expected the schema, \"{raw}\", to be a CamelCase module name such as {such_as}"
        ));
    }
    module_not_keyword("schema", raw, raw)?;
    reserved::schema(raw, at_root)?;
    Ok(raw.to_string())
}

/// A schema for `gen schema`: `Blog.Post` is context `Blog` and schema `Post`; `Post` has
/// no context.
pub fn dotted_schema(raw: &str) -> Result<(Option<Vec<String>>, String), UsageError> {
    if !naming::is_camel_path(raw) {
        let such_as = naming::suggest_camel_path(raw, "Post");
        return refuse(format!(
            "Expected the schema, \"{raw}\", to be a CamelCase module name such as {such_as}"
        ));
    }
    let (context, schema_name) = match raw.rsplit_once('.') {
        Some((context_part, schema_part)) => (Some(context(context_part)?), schema_part),
        None => (None, raw),
    };
    let schema_name = schema(schema_name, context.is_none())?;
    Ok((context, schema_name))
}

/// The context's last segment and the schema must differ (`Blog Blog` is refused).
pub fn distinct(context: &[String], schema: &str) -> Result<(), UsageError> {
    match context.last() {
        Some(alias) if alias == schema => refuse(format!(
            "The context and the schema are both named \"{schema}\"; give them different names, e.g. {schema} and Post"
        )),
        _ => Ok(()),
    }
}

/// A module name that is a Rust keyword (`Type` → `type`) cannot be a module.
fn module_not_keyword(what: &str, raw: &str, segment: &str) -> Result<(), UsageError> {
    let module = naming::snake(segment);
    if naming::is_rust_keyword(&module) {
        return refuse(format!(
            "The {what} \"{raw}\" would be the Rust module \"{module}\", which is a keyword; choose another name"
        ));
    }
    Ok(())
}

/// The plural: snake_case, not a keyword, not the singular; also the table unless `--table`.
pub fn plural(
    raw: &str,
    singular: &str,
    table_given: bool,
    prefix: &str,
) -> Result<(), UsageError> {
    if raw.contains(':') {
        return refuse(format!(
            "The plural is missing: \"{raw}\" is a field, and the plural (the table name, such as {}) comes before the fields",
            naming::plural_of(singular)
        ));
    }
    if !naming::is_snake_case(raw) {
        let such_as = naming::suggest_snake(raw, "posts");
        return refuse(format!(
            "Expected the plural, \"{raw}\", to be all lowercase snake_case such as {such_as}"
        ));
    }
    if naming::is_rust_keyword(raw) {
        return refuse(format!(
            "The plural \"{raw}\" is a Rust keyword; choose another plural"
        ));
    }
    // Only a plural equal to the singular asks the inflector, whose rules take most of a
    // `gen`'s time to build.
    if raw == singular {
        let singular_of_raw = naming::singular_of(raw);
        if singular_of_raw != raw {
            return refuse(format!(
                "The schema is plural: it names one row, so write it in the singular, such as {} (with the plural {raw})",
                naming::camel(&singular_of_raw)
            ));
        }
        // A word whose plural is itself (series, sheep) is fine: its lists are named
        // `series_collection`, as Phoenix names them. Any other singular wants its plural.
        let plural_of_raw = naming::plural_of(raw);
        if plural_of_raw != raw {
            return refuse(format!(
                "The plural \"{raw}\" is the same as the singular; write the plural, such as {plural_of_raw}"
            ));
        }
    }
    not_too_long("plural", raw)?;
    reserved::variable("plural", raw, raw)?;
    if !table_given && naming::is_sql_reserved(raw) {
        return refuse(format!(
            "The plural \"{raw}\" is a reserved word in SQL and would be the table name; pass --table with another name such as {prefix}_{raw}"
        ));
    }
    if !table_given {
        not_internal("plural", raw, "pass --table with another name", prefix)?;
    }
    Ok(())
}

/// The table given with `--table`: snake_case and not an SQL reserved word.
pub fn table(raw: &str, prefix: &str) -> Result<(), UsageError> {
    if !naming::is_snake_case(raw) {
        let such_as = naming::suggest_snake(raw, "posts");
        return refuse(format!(
            "Expected the table name, \"{raw}\", given with --table, to be snake_case such as {such_as}"
        ));
    }
    not_too_long("table name", raw)?;
    if naming::is_sql_reserved(raw) {
        return refuse(format!(
            "The table name \"{raw}\", given with --table, is a reserved word in SQL; choose another name such as {prefix}_{raw}"
        ));
    }
    not_internal("table name", raw, "choose another name", prefix)
}

/// SQLite reserves every name starting with `sqlite_` for its own tables; refused for every
/// adapter, since the app may move between databases.
fn not_internal(what: &str, raw: &str, fix: &str, prefix: &str) -> Result<(), UsageError> {
    if raw.starts_with(naming::SQLITE_INTERNAL_PREFIX) {
        return refuse(format!(
            "The {what} \"{raw}\" would be a table name starting with sqlite_, which SQLite reserves for its own tables (refused on every database so that the app stays portable); {fix} such as {prefix}_{raw}"
        ));
    }
    Ok(())
}

/// The enum of the field `field` of `schema` (`PostStatus`) must not be a type the generated
/// code already has beside it.
pub fn enum_type(schema: &str, field: &str) -> Result<(), UsageError> {
    let ty = naming::enum_type(schema, field);
    if ty == naming::changes_type(schema) {
        return refuse(format!(
            "The enum field \"{field}\" of {schema} would be the type {ty}, which clashes with the struct of {schema}'s changes in the generated code; choose another field name"
        ));
    }
    reserved::schema_type("enum field", field, &ty)
}

fn not_too_long(what: &str, raw: &str) -> Result<(), UsageError> {
    if raw.len() > MAX_NAME_LEN {
        return refuse(format!(
            "The {what} \"{raw}\" is longer than {MAX_NAME_LEN} characters; choose a shorter name"
        ));
    }
    Ok(())
}

/// The primary key column given with `--primary-key`: snake_case, neither a keyword of Rust
/// or SQL (it is a struct field and a column, never quoted) nor a timestamp or a field.
pub fn primary_key(raw: &str, fields: &[FieldSpec]) -> Result<(), UsageError> {
    if !naming::is_snake_case(raw) {
        let such_as = naming::suggest_snake(raw, "post_id");
        return refuse(format!(
            "Expected the primary key, \"{raw}\", given with --primary-key, to be snake_case such as {such_as}"
        ));
    }
    if naming::is_rust_keyword(raw) || naming::is_sql_reserved(raw) {
        return refuse(format!(
            "The primary key \"{raw}\" is a reserved word of Rust or SQL; choose another name such as {raw}_id"
        ));
    }
    if ["inserted_at", "updated_at"].contains(&raw) {
        return refuse(format!(
            "The primary key \"{raw}\" is a timestamp every table has; choose another name"
        ));
    }
    if fields.iter().any(|field| field.name == raw) {
        return refuse(format!(
            "The primary key \"{raw}\" is also given as a field; remove the field or choose another --primary-key"
        ));
    }
    not_too_long("primary key", raw)
}

/// The web namespace given with `--web`: CamelCase segments such as `Admin` or `Api.V1`, each
/// a module of its own; returns the segments.
///
/// The first module below a layer's controllers (`src/web/`, or `src/web/api/` for JSON)
/// must not be one of that folder's own; for the JSON API a leading `Api` is the API itself
/// (`--web Api.V1` is `src/web/api/v1/`), so the segment after it is that module.
pub fn web(raw: &str) -> Result<Vec<String>, UsageError> {
    if !naming::is_camel_path(raw) {
        return refuse(not_camel_web(raw));
    }
    let segments: Vec<String> = raw.split('.').map(str::to_string).collect();
    for segment in &segments {
        module_not_keyword("web namespace", raw, segment)?;
        reserved::module("web namespace", raw, &naming::snake(segment), false)?;
    }
    let first = match segments.split_first() {
        Some((api, rest)) if api == super::API_NAMESPACE => rest.first(),
        _ => segments.first(),
    };
    if let Some(first) = first {
        reserved::web_module("web namespace", raw, &naming::snake(first))?;
    }
    Ok(segments)
}

/// The refusal of a `--web` namespace that is not CamelCase, naming the segment that is not.
fn not_camel_web(raw: &str) -> String {
    let given: Vec<&str> = raw.split('.').filter(|s| !s.is_empty()).collect();
    let such_as = naming::suggest_camel_path(&given.join("."), "Admin");
    let segments: Vec<&str> = raw.split('.').collect();
    let bad = segments.iter().find(|s| !naming::is_camel_case(s));
    match bad {
        Some(segment) if segments.len() > 1 && segment.is_empty() => format!(
            "The web namespace \"{raw}\", given with --web, has an empty segment; write its segments between single dots, such as {such_as}"
        ),
        Some(segment) if segments.len() > 1 => format!(
            "Expected each segment of the web namespace \"{raw}\", given with --web, to be a CamelCase module name, but \"{segment}\" is not; write it such as {such_as}"
        ),
        _ => format!(
            "Expected the web namespace, \"{raw}\", given with --web, to be a CamelCase module name such as {such_as}"
        ),
    }
}
