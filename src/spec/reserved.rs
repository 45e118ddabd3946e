//! The names a generated app already uses, in one table: a context, schema, plural, `--web`
//! namespace or enum field named like one of them would not compile (E0252, E0255, E0415,
//! E0659, E0761) or would be written over the app's own files, so the spec refuses it before
//! anything is written. The README lists the table ([`markdown`]); `tests/cli/names.rs` checks
//! that every module, type and variable of generated apps is in it.

use crate::error::UsageError;
use crate::naming;

/// Where a name would meet the app's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A module of the crate root (`src/<name>.rs`, declared in `src/lib.rs`): the first
    /// segment of a context, or a schema without a context.
    CrateRoot,
    /// Any module (a context segment, a schema module, a `--web` segment): the crates the
    /// app's code names by path (`sqlx::query`), which a module of that name shadows or makes
    /// ambiguous.
    Crate,
    /// A module of `src/web/` or `src/web/api/`: the first segment of a `--web` namespace
    /// (after a leading `Api` for the JSON API), or a resource's controller
    /// (`<schema>_controller`).
    Web,
    /// A type in scope beside the schema struct and its enums: in the schema module, its
    /// context module and its generated tests; and Rust's prelude.
    Type,
    /// A variable, parameter or helper function of the generated code beside the schema's
    /// own variables, its snake_case name (`post`) and its plural (`posts`).
    Variable,
}

impl Place {
    /// Every place, in the order the README lists them.
    pub const ALL: [Place; 5] = [
        Place::CrateRoot,
        Place::Crate,
        Place::Web,
        Place::Type,
        Place::Variable,
    ];

    /// What the README says about the place.
    fn heading(self) -> &'static str {
        match self {
            Place::CrateRoot => {
                "Modules of the crate root (a context's first segment, a schema without a context)"
            }
            Place::Crate => {
                "Crates the app uses (any context segment, schema module or `--web` segment)"
            }
            Place::Web => {
                "Modules of `src/web/` (a `--web` namespace's first segment, or `<schema>_controller`)"
            }
            Place::Type => {
                "Types beside a schema (a schema, or a schema and enum field such as `Post` + `changes`)"
            }
            Place::Variable => {
                "Variables beside a schema's own (its snake_case name, such as `db` for `Db`, or its plural)"
            }
        }
    }
}

/// One name the app already uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved {
    /// The module (snake_case) or type (CamelCase).
    pub name: &'static str,
    pub place: Place,
    /// Where the app uses it, for the message: `src/db.rs`, `crate::changeset::Error`.
    pub owner: &'static str,
}

const fn r(name: &'static str, place: Place, owner: &'static str) -> Reserved {
    Reserved { name, place, owner }
}

use Place::{Crate, CrateRoot, Type, Variable, Web};

/// Every name a generated app already uses, by place.
#[rustfmt::skip]
pub const RESERVED: &[Reserved] = &[
    r("main", CrateRoot, "src/main.rs, the app's binary crate root"),
    r("lib", CrateRoot, "src/lib.rs, the app's library crate root"),
    r("changeset", CrateRoot, "src/changeset.rs, the app's changeset module"),
    r("config", CrateRoot, "src/config.rs, the app's settings"),
    r("db", CrateRoot, "src/db.rs, the app's connection pool"),
    r("web", CrateRoot, "src/web/mod.rs, the app's web layer"),
    r("http1", CrateRoot, "hyper::server::conn::http1, imported by src/lib.rs"),
    r("io", CrateRoot, "std::io, imported by src/lib.rs"),
    r("pin", CrateRoot, "std::pin::pin, imported by src/lib.rs"),
    r("mailer", CrateRoot, "src/mailer.rs, the mailer of apps with `gen auth`"),
    r("alloc", Crate, "Rust's alloc crate"),
    r("argon2", Crate, "the argon2 crate of apps with `gen auth`"),
    r("axum", Crate, "the axum crate the app uses"),
    r("axum_extra", Crate, "the axum_extra crate the app uses"),
    r("base64", Crate, "the base64 crate of apps with `gen auth`"),
    r("chrono", Crate, "the chrono crate the app uses"),
    r("core", Crate, "Rust's core crate"),
    r("dotenvy", Crate, "the dotenvy crate the app uses"),
    r("form_urlencoded", Crate, "the form_urlencoded crate the app uses"),
    r("getrandom", Crate, "the getrandom crate the app uses"),
    r("governor", Crate, "the governor crate of apps with `gen auth`"),
    r("hyper", Crate, "the hyper crate the app uses"),
    r("hyper_util", Crate, "the hyper_util crate the app uses"),
    r("lettre", Crate, "the lettre crate of apps with `gen auth`"),
    r("minijinja", Crate, "the minijinja crate the app uses"),
    r("rust_decimal", Crate, "the rust_decimal crate the app uses"),
    r("serde", Crate, "the serde crate the app uses"),
    r("serde_json", Crate, "the serde_json crate the app uses"),
    r("sha2", Crate, "the sha2 crate of apps with `gen auth`"),
    r("sqlx", Crate, "the sqlx crate the app uses"),
    r("std", Crate, "Rust's std crate"),
    r("thiserror", Crate, "the thiserror crate the app uses"),
    r("time", Crate, "the time crate of apps with `gen auth`"),
    r("tokio", Crate, "the tokio crate the app uses"),
    r("toml", Crate, "the toml crate the app uses"),
    r("tower", Crate, "the tower crate the app uses"),
    r("tower_http", Crate, "the tower_http crate the app uses"),
    r("tracing", Crate, "the tracing crate the app uses"),
    r("tracing_subscriber", Crate, "the tracing_subscriber crate the app uses"),
    r("uuid", Crate, "the uuid crate the app uses"),
    r("api", Web, "src/web/api/mod.rs, the JSON API's controllers"),
    r("csrf", Web, "src/web/csrf.rs"),
    r("dev_mailbox_controller", Web, "src/web/dev_mailbox_controller.rs of apps with `gen auth`, which serves /dev/mailbox"),
    r("error", Web, "src/web/error.rs"),
    r("flash", Web, "src/web/flash.rs"),
    r("form_body", Web, "src/web/form_body.rs"),
    r("health_controller", Web, "src/web/health_controller.rs, which serves /health"),
    r("login_limiter", Web, "src/web/login_limiter.rs of apps with `gen auth`"),
    r("method_override", Web, "src/web/method_override.rs"),
    r("middleware", Web, "axum::middleware, imported by src/web/mod.rs"),
    r("page", Web, "src/web/page.rs, the pagination of the indexes"),
    r("page_controller", Web, "src/web/page_controller.rs, which serves the home page /"),
    r("state", Web, "src/web/state.rs"),
    r("view", Web, "src/web/view.rs"),
    r("AtomicUsize", Type, "std::sync::atomic::AtomicUsize, imported by the generated tests"),
    r("Attrs", Type, "crate::changeset::Attrs, which the generated code imports"),
    r("Body", Type, "axum::body::Body, imported by the generated tests"),
    r("Cast", Type, "crate::changeset::Cast, which the generated code imports"),
    r("Changeset", Type, "crate::changeset::Changeset, which the generated code imports"),
    r("Error", Type, "crate::changeset::Error, which the generated code imports"),
    r("FromRow", Type, "sqlx::FromRow, which the generated code imports"),
    r("FromStr", Type, "std::str::FromStr, which the generated code imports"),
    r("InvalidValue", Type, "crate::changeset::InvalidValue, which the generated code imports"),
    r("Json", Type, "sqlx::types::Json, which the generated code imports"),
    r("Method", Type, "axum::http::Method, imported by the generated tests"),
    r("MySqlRow", Type, "sqlx::mysql::MySqlRow, which the generated code imports"),
    r("Ordering", Type, "std::sync::atomic::Ordering, imported by the generated tests"),
    r("PgRow", Type, "sqlx::postgres::PgRow, which the generated code imports"),
    r("Pool", Type, "crate::db::Pool, which the generated code imports"),
    r("Request", Type, "axum::http::Request, imported by the generated tests"),
    r("Row", Type, "sqlx::Row, which the generated code imports"),
    r("SqliteRow", Type, "sqlx::sqlite::SqliteRow, which the generated code imports"),
    r("StatusCode", Type, "axum::http::StatusCode, imported by the generated tests"),
    r("SubsecRound", Type, "chrono::SubsecRound, which the generated code imports"),
    r("TestApp", Type, "the generated tests' TestApp"),
    r("Text", Type, "sqlx::types::Text, which the generated code imports"),
    r("Utc", Type, "chrono::Utc, which the generated code imports"),
    r("Value", Type, "serde_json::Value, imported by the generated tests"),
    r("AsMut", Type, "Rust's prelude"),
    r("AsRef", Type, "Rust's prelude"),
    r("Box", Type, "Rust's prelude"),
    r("Clone", Type, "Rust's prelude"),
    r("Copy", Type, "Rust's prelude"),
    r("Default", Type, "Rust's prelude"),
    r("Drop", Type, "Rust's prelude"),
    r("Eq", Type, "Rust's prelude"),
    r("Err", Type, "Rust's prelude"),
    r("Extend", Type, "Rust's prelude"),
    r("Fn", Type, "Rust's prelude"),
    r("FnMut", Type, "Rust's prelude"),
    r("FnOnce", Type, "Rust's prelude"),
    r("From", Type, "Rust's prelude"),
    r("FromIterator", Type, "Rust's prelude"),
    r("Into", Type, "Rust's prelude"),
    r("IntoIterator", Type, "Rust's prelude"),
    r("Iterator", Type, "Rust's prelude"),
    r("None", Type, "Rust's prelude"),
    r("Ok", Type, "Rust's prelude"),
    r("Option", Type, "Rust's prelude"),
    r("Ord", Type, "Rust's prelude"),
    r("PartialEq", Type, "Rust's prelude"),
    r("PartialOrd", Type, "Rust's prelude"),
    r("Result", Type, "Rust's prelude"),
    r("Send", Type, "Rust's prelude"),
    r("Sized", Type, "Rust's prelude"),
    r("Some", Type, "Rust's prelude"),
    r("String", Type, "Rust's prelude"),
    r("Sync", Type, "Rust's prelude"),
    r("ToOwned", Type, "Rust's prelude"),
    r("ToString", Type, "Rust's prelude"),
    r("TryFrom", Type, "Rust's prelude"),
    r("TryInto", Type, "Rust's prelude"),
    r("Unpin", Type, "Rust's prelude"),
    r("Vec", Type, "Rust's prelude"),
    r("again", Variable, "a variable or function of the generated code"),
    r("all", Variable, "a variable or function of the generated code"),
    r("app", Variable, "a variable or function of the generated code"),
    r("asked", Variable, "a variable or function of the generated code"),
    r("assert_shows", Variable, "a variable or function of the generated code"),
    r("attrs", Variable, "a variable or function of the generated code"),
    r("before", Variable, "a variable or function of the generated code"),
    r("cast", Variable, "a variable or function of the generated code"),
    r("changes", Variable, "a variable or function of the generated code"),
    r("changeset", Variable, "a variable or function of the generated code"),
    r("clamped", Variable, "a variable or function of the generated code"),
    r("conn", Variable, "a variable or function of the generated code"),
    r("context", Variable, "a variable or function of the generated code"),
    r("constraint", Variable, "a variable or function of the generated code"),
    r("count", Variable, "a variable or function of the generated code"),
    r("create_form", Variable, "a variable or function of the generated code"),
    r("created", Variable, "a variable or function of the generated code"),
    r("current", Variable, "a variable or function of the generated code"),
    r("db", Variable, "a variable or function of the generated code"),
    r("debug", Variable, "a variable or function of the generated code"),
    r("delete", Variable, "a variable or function of the generated code"),
    r("deleted", Variable, "a variable or function of the generated code"),
    r("done", Variable, "a variable or function of the generated code"),
    r("edit", Variable, "a variable or function of the generated code"),
    r("err", Variable, "a variable or function of the generated code"),
    r("errors", Variable, "a variable or function of the generated code"),
    r("expected", Variable, "a variable or function of the generated code"),
    r("f", Variable, "a variable or function of the generated code"),
    r("fetch", Variable, "a variable or function of the generated code"),
    r("field", Variable, "a variable or function of the generated code"),
    r("filter", Variable, "a variable of the generated code"),
    r("first", Variable, "a variable or function of the generated code"),
    r("flash", Variable, "a variable or function of the generated code"),
    r("form", Variable, "a variable or function of the generated code"),
    r("form_page", Variable, "a variable or function of the generated code"),
    r("found", Variable, "a variable or function of the generated code"),
    r("id", Variable, "a variable or function of the generated code"),
    r("ids", Variable, "a variable or function of the generated code"),
    r("index", Variable, "a variable or function of the generated code"),
    r("inserted", Variable, "a variable or function of the generated code"),
    r("invalid", Variable, "a variable or function of the generated code"),
    r("invalid_attrs", Variable, "a variable or function of the generated code"),
    r("invalid_form", Variable, "a variable or function of the generated code"),
    r("json", Variable, "a variable or function of the generated code"),
    r("kept", Variable, "a variable or function of the generated code"),
    r("key", Variable, "a variable or function of the generated code"),
    r("label", Variable, "a variable of the generated code"),
    r("labelled", Variable, "a variable of the generated code"),
    r("labels", Variable, "a variable of the generated code"),
    r("last", Variable, "a variable or function of the generated code"),
    r("limit", Variable, "a variable or function of the generated code"),
    r("link", Variable, "a variable or function of the generated code"),
    r("links", Variable, "a variable or function of the generated code"),
    r("location", Variable, "a variable or function of the generated code"),
    r("logs", Variable, "a variable or function of the generated code"),
    r("message", Variable, "a variable or function of the generated code"),
    r("n", Variable, "a variable or function of the generated code"),
    r("next", Variable, "a variable or function of the generated code"),
    r("next_page", Variable, "a variable or function of the generated code"),
    r("none", Variable, "a variable or function of the generated code"),
    r("now", Variable, "a variable or function of the generated code"),
    r("number", Variable, "a variable or function of the generated code"),
    r("offset", Variable, "a variable or function of the generated code"),
    r("options", Variable, "a variable of the generated code"),
    r("other", Variable, "a variable or function of the generated code"),
    r("p", Variable, "a variable or function of the generated code"),
    r("padding", Variable, "a variable or function of the generated code"),
    r("page", Variable, "a variable or function of the generated code"),
    r("page_ids", Variable, "a variable or function of the generated code"),
    r("pair", Variable, "a variable or function of the generated code"),
    r("param", Variable, "a variable or function of the generated code"),
    r("params", Variable, "a variable or function of the generated code"),
    r("past", Variable, "a variable or function of the generated code"),
    r("path", Variable, "a variable or function of the generated code"),
    r("positive", Variable, "a variable or function of the generated code"),
    r("prefix", Variable, "a variable or function of the generated code"),
    r("previous", Variable, "a variable or function of the generated code"),
    r("query", Variable, "a variable or function of the generated code"),
    r("redirect_to", Variable, "a variable or function of the generated code"),
    r("refused", Variable, "a variable or function of the generated code"),
    r("request", Variable, "a variable or function of the generated code"),
    r("response", Variable, "a variable or function of the generated code"),
    r("result", Variable, "a variable or function of the generated code"),
    r("row", Variable, "a variable or function of the generated code"),
    r("rows", Variable, "a variable or function of the generated code"),
    r("second", Variable, "a variable or function of the generated code"),
    r("serializer", Variable, "a variable or function of the generated code"),
    r("show", Variable, "a variable or function of the generated code"),
    r("shown", Variable, "a variable or function of the generated code"),
    r("statement", Variable, "a variable or function of the generated code"),
    r("template", Variable, "a variable or function of the generated code"),
    r("text", Variable, "a variable or function of the generated code"),
    r("to_attrs", Variable, "a variable or function of the generated code"),
    r("unique_number", Variable, "a variable or function of the generated code"),
    r("update", Variable, "a variable or function of the generated code"),
    r("update_attrs", Variable, "a variable or function of the generated code"),
    r("update_form", Variable, "a variable or function of the generated code"),
    r("updated", Variable, "a variable or function of the generated code"),
    r("valid_attrs", Variable, "a variable or function of the generated code"),
    r("value", Variable, "a variable or function of the generated code"),
    r("view", Variable, "a variable or function of the generated code"),
    r("words", Variable, "a variable or function of the generated code"),
    r("written", Variable, "a variable or function of the generated code"),
];

/// The entry for `name` at `place`, if the app uses it there.
pub fn find(name: &str, place: Place) -> Option<&'static Reserved> {
    RESERVED.iter().find(|r| r.place == place && r.name == name)
}

/// The names of `place`, in table order.
pub fn names(place: Place) -> impl Iterator<Item = &'static str> {
    RESERVED
        .iter()
        .filter(move |r| r.place == place)
        .map(|r| r.name)
}

fn clash(what: &str, raw: &str, thing: &str, reserved: &Reserved) -> UsageError {
    UsageError::new(format!(
        "The {what} \"{raw}\" would be {thing}, which clashes with {}; choose another name",
        reserved.owner
    ))
}

/// A module named `module` for the `what` `raw`: refused if it is a crate the app uses, or
/// (at the crate root) one of the app's own modules.
pub fn module(what: &str, raw: &str, module: &str, at_root: bool) -> Result<(), UsageError> {
    let reserved = find(module, Place::Crate)
        .or_else(|| at_root.then(|| find(module, Place::CrateRoot)).flatten());
    match reserved {
        Some(reserved) => Err(clash(what, raw, &format!("the module {module}"), reserved)),
        None => Ok(()),
    }
}

/// A module of `src/web/`: a `--web` namespace or a controller.
pub fn web_module(what: &str, raw: &str, module: &str) -> Result<(), UsageError> {
    match find(module, Place::Web) {
        Some(reserved) => Err(clash(
            what,
            raw,
            &format!("the module web::{module}"),
            reserved,
        )),
        None => Ok(()),
    }
}

/// A type beside the schema: the schema struct itself, or an enum of one of its fields.
pub fn schema_type(what: &str, raw: &str, ty: &str) -> Result<(), UsageError> {
    match find(ty, Place::Type) {
        Some(reserved) => Err(clash(what, raw, &format!("the type {ty}"), reserved)),
        None => Ok(()),
    }
}

/// A variable of the generated code: a schema's snake_case name or a plural.
pub fn variable(what: &str, raw: &str, name: &str) -> Result<(), UsageError> {
    match find(name, Place::Variable) {
        Some(reserved) => Err(clash(what, raw, &format!("the variable {name}"), reserved)),
        None => Ok(()),
    }
}

/// The schema `Post`: its struct, its module (at the crate root without a context), its
/// controller module and its variables.
pub fn schema(raw: &str, at_root: bool) -> Result<(), UsageError> {
    schema_type("schema", raw, raw)?;
    let module_name = naming::snake(raw);
    module("schema", raw, &module_name, at_root)?;
    web_module("schema", raw, &format!("{module_name}_controller"))?;
    variable("schema", raw, &module_name)
}

/// The README's list of reserved names, one bullet per place.
pub fn markdown() -> String {
    Place::ALL
        .iter()
        .map(|place| {
            let names: Vec<String> = names(*place).map(|n| format!("`{n}`")).collect();
            format!("- {}: {}.\n", place.heading(), names.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_listed_once_per_place_and_spelled_for_it() {
        for (i, a) in RESERVED.iter().enumerate() {
            assert!(
                !RESERVED[i + 1..]
                    .iter()
                    .any(|b| a.name == b.name && a.place == b.place),
                "{} twice",
                a.name
            );
            match a.place {
                Place::Type => assert!(naming::is_camel_case(a.name), "{}", a.name),
                _ => assert!(naming::is_snake_case(a.name), "{}", a.name),
            }
        }
    }

    #[test]
    fn the_readme_lists_every_reserved_name() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&markdown()),
            "README.md's reserved names differ from the table; paste:\n{}",
            markdown()
        );
    }
}
