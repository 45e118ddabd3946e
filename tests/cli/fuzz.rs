//! Fuzzing the spec parser and the whole plan builder with proptest: every spec the parser
//! accepts gives a `gen html` and a `gen json` plan whose Rust files parse with `syn` and whose
//! migration the target database accepts, up and then down, in an empty database. Cases run
//! against SQLite always, and PostgreSQL and MariaDB when their test URLs are set.
//! `AXGEN_FUZZ_CASES` sets the number of cases (default 48, a bounded run for CI); failing
//! inputs are kept by proptest in `tests/proptest-regressions/fuzz.txt` and replayed first on
//! every later run.
//!
//! Beside it, the coverage-guided `gen` target of `cargo fuzz` (`fuzz/`, run for a bounded time
//! by `.ci/run`); its seeds and the inputs it has failed on are replayed here through the same
//! checks.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use axgen::adapter::Adapter;
use axgen::generators::{self, App, Generation, Generator, Layers, WebKind};
use axgen::plan::ApplyOptions;
use axgen::spec::{self, SpecOptions};
use axgen::templates::Templates;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use sqlx::{AssertSqlSafe, Connection, Executor};

#[path = "../../fuzz/src/lib.rs"]
mod gen_target;
use gen_target::{execute_all, parent_table, referenced_tables};

/// Words the parser must take apart, mostly valid so that most cases reach the plan builder,
/// with keywords, reserved words and garbage mixed in.
const CONTEXTS: &[&str] = &["Blog", "Admin.Blog", "Shop", "Accounts", "Catalog.Items"];
const BAD_CONTEXTS: &[&str] = &["Type", "blog", "A..B", "", "Web", "Sqlx"];
const SCHEMAS: &[&str] = &["Post", "LineItem", "Comment", "Photo", "X"];
const BAD_SCHEMAS: &[&str] = &["String", "post", "Blog", "HTTPThing", "Error", "Page"];
/// With a plural of 55 letters, every index and constraint name is past 63 bytes.
const PLURALS: &[&str] = &[
    "posts",
    "line_items",
    "comments",
    "photos",
    "xs",
    "longxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxs",
];
const BAD_PLURALS: &[&str] = &["order", "Posts", "sheep", "match"];
const NAMES: &[&str] = &[
    "title",
    "body",
    "type",
    "fn",
    "views",
    "price",
    "status",
    "tags",
    "user_id",
    "a",
    "x1",
    "published_at",
    "async",
    "struct",
    "impl",
    "count",
    "name",
    "email",
    "starts_on",
    "score",
    "gen",
    "payload",
    "notes",
    "slug",
    "meta",
    "field_aaaaaaaaaa_one",
    "field_aaaaaaaaaa_two",
    "author_aaaaaaaaaa_id",
];
const BAD_NAMES: &[&str] = &["order", "self", "id", "", "Name", "match", "r#x", "ünï"];
const TYPES: &[&str] = &[
    "",
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
    "datetime",
    "uuid",
    "binary",
    "map",
    "array:string",
    "array:integer",
    "array:uuid",
    "array:date",
    "enum:draft:published",
    "enum:a:b_c:d1",
    "references:users",
];
const BAD_TYPES: &[&str] = &["array:map", "enum", "enum:a:a", "references", "strng"];
const MODIFIERS: &[&str] = &["optional", "redact", "unique", "index"];
const BAD_MODIFIERS: &[&str] = &["uniq", "optional:optional"];

/// Mostly a valid word, sometimes a bad one.
fn word(
    good: &'static [&'static str],
    bad: &'static [&'static str],
) -> BoxedStrategy<&'static str> {
    prop_oneof![19 => prop::sample::select(good), 1 => prop::sample::select(bad)].boxed()
}

fn field() -> impl Strategy<Value = String> {
    (
        word(NAMES, BAD_NAMES),
        word(TYPES, BAD_TYPES),
        prop::collection::vec(word(MODIFIERS, BAD_MODIFIERS), 0..=1),
    )
        .prop_map(|(name, ty, modifiers)| {
            let mut parts = vec![name.to_string()];
            if !ty.is_empty() {
                parts.push(ty.to_string());
            }
            parts.extend(modifiers.iter().map(|m| m.to_string()));
            parts.join(":")
        })
}

#[derive(Debug, Clone)]
struct Case {
    context: &'static str,
    schema: &'static str,
    plural: &'static str,
    fields: Vec<String>,
    binary_id: bool,
    web: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        word(CONTEXTS, BAD_CONTEXTS),
        word(SCHEMAS, BAD_SCHEMAS),
        word(PLURALS, BAD_PLURALS),
        prop::collection::vec(field(), 1..6),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(context, schema, plural, mut fields, binary_id, web)| {
            // Mostly distinct names: a repeated field is one refusal among many.
            if fields.len() > 2 {
                let mut seen = std::collections::HashSet::new();
                fields.retain(|f| seen.insert(f.split(':').next().unwrap_or("").to_string()));
            }
            (context, schema, plural, fields, binary_id, web)
        })
        .prop_map(|(context, schema, plural, fields, binary_id, web)| Case {
            context,
            schema,
            plural,
            fields,
            binary_id,
            web,
        })
}

fn cases() -> u32 {
    std::env::var("AXGEN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}

/// The databases to try each migration on: SQLite, and the servers whose URLs are set.
fn adapters() -> Vec<(Adapter, Option<String>)> {
    let mut list = vec![(Adapter::Sqlite, None)];
    for (adapter, var) in [
        (Adapter::Postgres, "AXGEN_TEST_POSTGRES_URL"),
        (Adapter::Mysql, "AXGEN_TEST_MYSQL_URL"),
    ] {
        if let Some(url) = crate::server_url(var) {
            list.push((adapter, Some(url)));
        }
    }
    list
}

/// Every `.rs` file below `dir` parses as Rust.
fn assert_rust_parses(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(path).unwrap();
            if let Err(err) = syn::parse_file(&text) {
                panic!("{} does not parse: {err}\n{text}", path.display());
            }
        }
    }
}

/// The migration files of `dir`, up then down, in version order.
fn migrations(dir: &Path) -> Vec<(String, String)> {
    let mut ups: Vec<_> = fs::read_dir(dir.join("migrations"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    ups.sort();
    ups.iter()
        .map(|up| {
            let down = up.to_string_lossy().replace(".up.sql", ".down.sql");
            (
                fs::read_to_string(up).unwrap(),
                fs::read_to_string(down).unwrap(),
            )
        })
        .collect()
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Runs every migration up, then every one down, in a fresh empty database.
async fn assert_sql_accepted(
    adapter: Adapter,
    server: Option<&str>,
    binary_id: bool,
    parents: &[String],
    pairs: &[(String, String)],
) {
    let name = format!(
        "axgen_fuzz_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut script: Vec<String> = parents
        .iter()
        .map(|table| parent_table(adapter, binary_id, table))
        .collect();
    script.extend(pairs.iter().map(|(up, _)| up.clone()));
    script.extend(pairs.iter().rev().map(|(_, down)| down.clone()));
    let result = match adapter {
        Adapter::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
                .await
                .unwrap();
            execute_all(&mut conn, &script).await
        }
        Adapter::Postgres => {
            let url = server.unwrap();
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            conn.execute(AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                .await
                .unwrap();
            conn.execute(AssertSqlSafe(format!("SET search_path TO {name}")))
                .await
                .unwrap();
            // The schema goes before a refusal fails the case, so none is left behind.
            let result = execute_all(&mut conn, &script).await;
            conn.execute(AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
                .await
                .unwrap();
            result
        }
        Adapter::Mysql => {
            let url = server.unwrap();
            let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
            conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            conn.execute(AssertSqlSafe(format!("USE {name}")))
                .await
                .unwrap();
            let result = execute_all(&mut conn, &script).await;
            conn.execute(AssertSqlSafe(format!("DROP DATABASE {name}")))
                .await
                .unwrap();
            result
        }
    };
    if let Err(refusal) = result {
        panic!("{refusal}");
    }
}

/// One case: nothing panics; an accepted spec's plans parse and migrate. Returns whether the
/// spec was accepted.
fn check(case: &Case, runtime: &tokio::runtime::Runtime) -> Result<bool, TestCaseError> {
    let options = SpecOptions {
        binary_id: case.binary_id,
        web: case.web.then(|| "Admin".to_string()),
        ..SpecOptions::default()
    };
    let parsed = spec::parse_resource(
        case.context,
        case.schema,
        case.plural,
        &case.fields,
        &options,
    );
    // Refusals are the spec tests' business; here only that parsing did not panic.
    let Ok(spec) = parsed else { return Ok(false) };
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    for (adapter, server) in adapters() {
        let resource = spec.resolve(adapter);
        let app = gen_target::bare_app(adapter);
        let templates = Templates::new(None);
        let printer = axgen::output::Printer::new(true, Default::default());
        for kind in [WebKind::Html, WebKind::Json] {
            let layers = Layers {
                // The second generator reuses the context the first one made.
                context: kind != WebKind::Json,
                ..Layers::default()
            };
            // Read again for the second generator, which needs the first one's context.
            let read = App::read(app.path(), "fuzz", &resource)
                .map_err(|err| TestCaseError::fail(format!("reading the app: {err:#}")))?;
            let generation = Generation {
                resource: &resource,
                app: &read,
                layers,
                templates: &templates,
                now,
            };
            let plan = generators::plan(Generator::Web(kind), &generation)
                .map_err(|err| TestCaseError::fail(format!("{kind:?} plan failed: {err:#}")))?;
            plan.apply(app.path(), ApplyOptions::default(), &printer)
                .map_err(|err| {
                    TestCaseError::fail(format!("{kind:?} plan did not apply: {err:#}"))
                })?;
        }
        assert_rust_parses(app.path());
        let pairs = migrations(app.path());
        prop_assert_eq!(pairs.len(), 1);
        let parents = referenced_tables(&resource);
        runtime.block_on(assert_sql_accepted(
            adapter,
            server.as_deref(),
            case.binary_id,
            &parents,
            &pairs,
        ));
    }
    Ok(true)
}

#[test]
fn accepted_specs_give_plans_that_parse_and_migrate() {
    let config = ProptestConfig {
        cases: cases(),
        source_file: Some(file!()),
        ..ProptestConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let accepted = AtomicUsize::new(0);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        if check(&case, &runtime)? {
            accepted.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
    let accepted = accepted.into_inner();
    eprintln!("fuzz: {accepted} of {} specs accepted and checked", cases());
    assert!(
        accepted * 5 >= cases() as usize,
        "only {accepted} of {} random specs were accepted: the strategy no longer reaches the plan builder",
        cases()
    );
}

/// The `gen` fuzz target's seeds (`fuzz/seeds/gen`) and every input it has failed on
/// (`fuzz/regressions/gen`) pass its checks.
#[test]
fn kept_fuzz_inputs_pass_the_fuzz_target_checks() {
    let checker = gen_target::Checker::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut checked = 0;
    for dir in ["seeds/gen", "regressions/gen"] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let outcome = checker.check(&fs::read(&path).unwrap());
            eprintln!("{}: {outcome:?}", path.display());
            if outcome == gen_target::Outcome::Checked {
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 9,
        "only {checked} seeds reached the plan builder: the checks refuse valid commands"
    );
}

/// The `gen` target's dictionary has every name the app already uses, and its seeds that
/// use one are refused, while those with long names and several references are checked.
#[test]
fn the_fuzz_target_knows_the_names_the_app_uses() {
    use axgen::spec::reserved::{Place, RESERVED};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let dict = fs::read_to_string(root.join("gen.dict")).unwrap();
    for entry in RESERVED {
        let word = match entry.place {
            Place::Type => entry.name.to_string(),
            _ => axgen::naming::camel(entry.name),
        };
        assert!(
            dict.contains(&format!("\"{word}\"")),
            "fuzz/gen.dict lacks {word}"
        );
    }
    let checker = gen_target::Checker::new();
    let outcome = |seed: &str| checker.check(&fs::read(root.join("seeds/gen").join(seed)).unwrap());
    for seed in ["14", "15", "16", "17", "18", "19"] {
        assert_eq!(outcome(seed), gen_target::Outcome::Refused, "seed {seed}");
    }
    for seed in ["11", "12", "13", "20", "21", "22"] {
        assert_eq!(outcome(seed), gen_target::Outcome::Checked, "seed {seed}");
    }
}
