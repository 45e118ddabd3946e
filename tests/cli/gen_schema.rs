//! `axgen gen schema` and `axgen gen context`: every planned file per adapter (snapshots),
//! what they print, their refusals, and that the apps they extend build, pass their own
//! tests and lint clean on every database.

use std::fs;
use std::path::{Path, PathBuf};

use axgen::adapter::Adapter;
use axgen::generators::{self, App, Generation, Generator, Layers};
use axgen::plan::{Op, Plan};
use axgen::spec::{self, Resource, SpecOptions};
use axgen::templates::Templates;
use chrono::{DateTime, TimeZone, Utc};

use crate::{
    ALL_FIELDS, Axgen, apply, apps_target_dir, check_app, mask_versions, rendered,
    snapshot_settings, tree,
};

/// The parent the all-types resource references.
const USER_FIELDS: &[&str] = &["name:string", "email:string:unique"];

/// A second schema of the same context, referencing the first and its parent: a diamond
/// (comment → post → user, comment → user) whose tests share one user.
const COMMENT_FIELDS: &[&str] = &[
    "post_id:references:posts",
    "body:text",
    "user_id:references:users",
];

/// The fixed clock of the snapshots.
fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, minute, 0).unwrap()
}

fn fields(list: &[&str]) -> Vec<String> {
    list.iter().map(|f| f.to_string()).collect()
}

fn resource(
    context: &str,
    schema: &str,
    plural: &str,
    list: &[&str],
    adapter: Adapter,
    binary_id: bool,
) -> Resource {
    let options = SpecOptions {
        binary_id,
        ..SpecOptions::default()
    };
    spec::parse_resource(context, schema, plural, &fields(list), &options)
        .unwrap()
        .resolve(adapter)
}

/// The smallest app the generators write into: its config, crate root and migrations.
fn bare_app(adapter: Adapter) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config =
        format!("[app]\nname = \"blog\"\n\n[database]\nadapter = \"{adapter}\"\nurl = \"x\"\n");
    fs::write(dir.path().join("axgen.toml"), config).unwrap();
    fs::create_dir_all(dir.path().join("src")).unwrap();
    fs::create_dir_all(dir.path().join("migrations")).unwrap();
    fs::write(
        dir.path().join("src/lib.rs"),
        "pub mod db;\n// axgen:contexts\n",
    )
    .unwrap();
    dir
}

/// The bare app at `dir` as `gen` reads it for `resource`.
fn app(dir: &Path, resource: &Resource) -> App {
    App::read(dir, "blog", resource).unwrap()
}

fn plan(generator: Generator, dir: &Path, resource: &Resource, now: DateTime<Utc>) -> Plan {
    let app = app(dir, resource);
    let templates = Templates::new(None);
    let generation = Generation {
        resource,
        app: &app,
        layers: Layers::default(),
        templates: &templates,
        now,
    };
    generators::plan(generator, &generation).unwrap()
}

fn context_plan(dir: &Path, resource: &Resource, now: DateTime<Utc>) -> Plan {
    plan(Generator::Context, dir, resource, now)
}

/// `gen context` of the all-types resource in an app that already has its parent.
fn all_types_context_plan(adapter: Adapter, binary_id: bool) -> String {
    let dir = bare_app(adapter);
    let users = resource("Accounts", "User", "users", USER_FIELDS, adapter, binary_id);
    apply(dir.path(), &context_plan(dir.path(), &users, at(0)));
    let posts = resource("Blog", "Post", "posts", ALL_FIELDS, adapter, binary_id);
    rendered(&context_plan(dir.path(), &posts, at(1)))
}

#[test]
fn gen_context_plans_are_pinned_per_adapter() {
    for adapter in Adapter::ALL {
        let name = format!("gen_context_{adapter}");
        let plan = all_types_context_plan(adapter, false);
        snapshot_settings().bind(|| insta::assert_snapshot!(name, plan));
    }
    let plan = all_types_context_plan(Adapter::Postgres, true);
    snapshot_settings().bind(|| insta::assert_snapshot!("gen_context_postgres_binary_id", plan));
}

#[test]
fn gen_schema_plans_are_pinned_per_adapter() {
    for adapter in Adapter::ALL {
        let dir = bare_app(adapter);
        let posts = resource("Blog", "Post", "posts", ALL_FIELDS, adapter, false);
        let plan = plan(Generator::Schema, dir.path(), &posts, at(1));
        let name = format!("gen_schema_{adapter}");
        snapshot_settings().bind(|| insta::assert_snapshot!(name, rendered(&plan)));
    }
}

#[test]
fn a_second_schema_is_added_to_its_context_without_touching_the_first() {
    let dir = bare_app(Adapter::Sqlite);
    let users = resource(
        "Accounts",
        "User",
        "users",
        USER_FIELDS,
        Adapter::Sqlite,
        false,
    );
    apply(dir.path(), &context_plan(dir.path(), &users, at(0)));
    let posts = resource("Blog", "Post", "posts", &["title"], Adapter::Sqlite, false);
    apply(dir.path(), &context_plan(dir.path(), &posts, at(1)));
    let before = fs::read_to_string(dir.path().join("src/blog.rs")).unwrap();
    let comments = resource(
        "Blog",
        "Comment",
        "comments",
        COMMENT_FIELDS,
        Adapter::Sqlite,
        false,
    );
    let plan = context_plan(dir.path(), &comments, at(2));
    let context_ops: Vec<&Op> = plan
        .ops
        .iter()
        .filter(|op| op.path() == Path::new("src/blog.rs"))
        .collect();
    assert!(
        context_ops.iter().all(|op| matches!(op, Op::Inject { .. })),
        "{context_ops:?}"
    );
    apply(dir.path(), &plan);
    let after = fs::read_to_string(dir.path().join("src/blog.rs")).unwrap();
    let (_, post_functions) = before.split_once("// axgen:schemas\n").unwrap();
    let post_functions = post_functions.strip_suffix("// axgen:functions\n").unwrap();
    assert!(
        after.contains(post_functions),
        "the post functions changed:\n{after}"
    );
    assert!(after.contains("pub mod comment;\npub use comment::Comment;\n// axgen:schemas"));
    assert!(after.contains("pub async fn list_comments(db: &Pool)"));
    assert_eq!(
        after
            .matches("use crate::db::{Pool, commit_write, retry};")
            .count(),
        1,
        "{after}"
    );
}

#[test]
fn tests_of_a_reference_insert_the_referenced_rows_through_their_context() {
    let dir = bare_app(Adapter::Sqlite);
    let users = resource(
        "Accounts",
        "User",
        "users",
        USER_FIELDS,
        Adapter::Sqlite,
        false,
    );
    apply(dir.path(), &context_plan(dir.path(), &users, at(0)));
    let posts = resource(
        "Blog",
        "Post",
        "posts",
        &["author_id:references:users", "title"],
        Adapter::Sqlite,
        false,
    );
    apply(dir.path(), &context_plan(dir.path(), &posts, at(1)));
    let comments = resource(
        "Blog",
        "Comment",
        "comments",
        COMMENT_FIELDS,
        Adapter::Sqlite,
        false,
    );
    let plan = context_plan(dir.path(), &comments, at(2));
    let test = plan
        .ops
        .iter()
        .find_map(|op| match op {
            Op::Create { path, contents, .. } if path == Path::new("tests/blog_comments.rs") => {
                Some(contents)
            }
            _ => None,
        })
        .unwrap();
    assert!(
        test.contains("async fn insert_user(db: &Pool) -> Result<i64, Error> {"),
        "{test}"
    );
    // The user is inserted once, and the post of the comment takes its id: the comment
    // references both.
    let setup = "    let user_id = insert_user(db).await?;\n    \
                 let post_id = insert_post(db, user_id).await?;\n";
    assert!(test.contains(setup), "{test}");
    assert_eq!(test.matches("insert_user(db)").count(), 1, "{test}");
    assert!(
        test.contains("async fn insert_post(db: &Pool, user_id: i64) -> Result<i64, Error> {"),
        "{test}"
    );
    // Each user a fixture inserts has an email of its own.
    assert!(
        test.contains(r#""email": format!("some email {n}"),"#),
        "{test}"
    );
    assert!(
        test.contains("blog::blog::create_post(db, &params).await?"),
        "{test}"
    );
    assert!(
        test.contains("async fn deleting_a_post_of_a_comment_is_refused"),
        "{test}"
    );
    assert!(
        plan.next_steps
            .iter()
            .all(|step| !step.contains("no generated context"))
    );
}

#[test]
fn tests_say_what_is_left_when_a_referenced_table_was_not_generated() {
    let dir = bare_app(Adapter::Sqlite);
    let posts = resource(
        "Blog",
        "Post",
        "posts",
        &["author_id:references:users"],
        Adapter::Sqlite,
        false,
    );
    let plan = context_plan(dir.path(), &posts, at(1));
    let steps = plan.next_steps.join("\n");
    assert!(
        steps.contains("The tests in tests/blog_posts.rs need rows of users, which no generated context function creates: write insert_users_row there."),
        "{steps}"
    );
}

/// Runs `axgen ARGS` in `dir`, expecting `code`.
fn axgen(dir: &Path, args: &[&str], code: i32) -> crate::Run {
    let run = Axgen::in_dir(dir).args(args).run();
    run.assert_code(code);
    run
}

#[test]
fn gen_context_prints_what_it_writes_and_what_is_left() {
    let dir = bare_app(Adapter::Sqlite);
    let run = axgen(
        dir.path(),
        &["gen", "context", "Blog", "Post", "posts", "title:string"],
        0,
    );
    let transcript = mask_versions(&run.transcript());
    snapshot_settings().bind(|| insta::assert_snapshot!("gen_context_output", transcript));
}

#[test]
fn a_second_migration_for_a_table_is_refused_and_nothing_is_written() {
    let dir = bare_app(Adapter::Sqlite);
    axgen(dir.path(), &["gen", "schema", "Post", "posts", "title"], 0);
    let before = tree(dir.path());
    let run = axgen(
        dir.path(),
        &["gen", "context", "Blog", "Post", "posts", "title"],
        2,
    );
    assert!(
        run.stderr
            .contains("The table \"posts\" is already created by migrations/"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: pass --no-migration"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn no_migration_and_dry_run_write_what_they_say() {
    let dir = bare_app(Adapter::Postgres);
    let before = tree(dir.path());
    let run = axgen(
        dir.path(),
        &[
            "gen",
            "context",
            "Blog",
            "Post",
            "posts",
            "title",
            "--dry-run",
        ],
        0,
    );
    assert!(
        run.stdout.contains("Dry run: nothing was written."),
        "{}",
        run.stdout
    );
    assert_eq!(tree(dir.path()), before);

    let run = axgen(
        dir.path(),
        &[
            "gen",
            "context",
            "Blog",
            "Post",
            "posts",
            "title",
            "--no-migration",
        ],
        0,
    );
    assert!(
        run.stdout.contains("$ axgen gen migration create_posts"),
        "{}",
        run.stdout
    );
    assert_eq!(
        fs::read_dir(dir.path().join("migrations")).unwrap().count(),
        0
    );
    assert!(dir.path().join("src/blog/post.rs").is_file());
}

#[test]
fn no_schema_uses_the_existing_schema() {
    let dir = bare_app(Adapter::Mysql);
    let run = axgen(
        dir.path(),
        &[
            "gen",
            "context",
            "Blog",
            "Post",
            "posts",
            "title",
            "--no-schema",
        ],
        2,
    );
    assert!(
        run.stderr
            .contains("src/blog/post.rs, which does not exist"),
        "{}",
        run.stderr
    );

    axgen(
        dir.path(),
        &["gen", "schema", "Blog.Post", "posts", "title"],
        0,
    );
    let schema = fs::read_to_string(dir.path().join("src/blog/post.rs")).unwrap();
    let run = axgen(
        dir.path(),
        &[
            "gen",
            "context",
            "Blog",
            "Post",
            "posts",
            "title",
            "--no-schema",
        ],
        0,
    );
    assert!(!run.stdout.contains("migrations/"), "{}", run.stdout);
    assert_eq!(
        fs::read_to_string(dir.path().join("src/blog/post.rs")).unwrap(),
        schema
    );
    let context = fs::read_to_string(dir.path().join("src/blog.rs")).unwrap();
    assert_eq!(context.matches("pub mod post;").count(), 1, "{context}");
    assert!(context.contains("pub async fn create_post("), "{context}");
}

#[test]
fn the_same_generation_again_changes_nothing_and_another_is_refused() {
    let dir = bare_app(Adapter::Sqlite);
    axgen(
        dir.path(),
        &["gen", "context", "Blog", "Post", "posts", "title"],
        0,
    );
    let before = tree(dir.path());
    let run = axgen(
        dir.path(),
        &[
            "gen",
            "context",
            "Blog",
            "Post",
            "posts",
            "title",
            "--no-migration",
        ],
        0,
    );
    assert!(
        !run.stdout.contains("creating") && !run.stdout.contains("injecting"),
        "{}",
        run.stdout
    );
    assert_eq!(tree(dir.path()), before);

    let run = axgen(
        dir.path(),
        &[
            "gen",
            "context",
            "Blog",
            "Post",
            "posts",
            "body:text",
            "--no-migration",
            "--force",
        ],
        2,
    );
    assert!(
        run.stderr.contains("src/blog.rs already has list_posts"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn bad_specs_and_options_exit_2_and_write_nothing() {
    let dir = bare_app(Adapter::Sqlite);
    let before = tree(dir.path());
    for (args, message) in [
        (
            &["gen", "schema", "Post", "posts", "title", "--no-schema"][..],
            "--no-schema leaves nothing",
        ),
        (
            &[
                "gen",
                "context",
                "Blog",
                "Post",
                "posts",
                "title",
                "--no-context",
            ][..],
            "--no-context leaves nothing",
        ),
        (
            &["gen", "context", "blog", "Post", "posts", "title"][..],
            "Expected the context, \"blog\"",
        ),
        (
            &["gen", "context", "Blog", "Post", "posts", "id"][..],
            "generated for every table",
        ),
    ] {
        let run = axgen(dir.path(), args, 2);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    assert_eq!(tree(dir.path()), before);
    let outside = tempfile::tempdir().unwrap();
    let run = axgen(
        outside.path(),
        &["gen", "schema", "Post", "posts", "title"],
        2,
    );
    assert!(run.stderr.contains("not an axgen app"), "{}", run.stderr);
}

/// The generated Rust is as rustfmt lays it out: the one rustfmt pass of each `gen` formats
/// every file it creates and every run of functions it injects.
#[test]
fn generated_rust_is_as_rustfmt_lays_it_out() {
    let dir = bare_app(Adapter::Sqlite);
    for (context, schema, plural, list) in [
        ("Accounts", "User", "users", USER_FIELDS),
        ("Blog", "Post", "posts", ALL_FIELDS),
        ("Blog", "Comment", "comments", COMMENT_FIELDS),
    ] {
        let mut args = vec!["gen", "context", context, schema, plural];
        args.extend_from_slice(list);
        Axgen::in_dir(dir.path()).args(&args).run().assert_code(0);
    }
    let files: Vec<String> = tree(dir.path())
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| path.ends_with(".rs") && path != "src/lib.rs")
        .collect();
    assert_eq!(files.len(), 8, "{files:?}");
    let output = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .args(&files)
        .current_dir(dir.path())
        .output();
    match output {
        Ok(output) => assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        ),
        Err(err) => eprintln!("skipping: rustfmt does not run ({err})"),
    }
}

#[test]
fn references_to_ids_of_another_type_are_refused() {
    let dir = bare_app(Adapter::Postgres);
    axgen(
        dir.path(),
        &["gen", "context", "Accounts", "User", "users", "name"],
        0,
    );
    let before = tree(dir.path());
    let run = axgen(
        dir.path(),
        &[
            "gen",
            "schema",
            "Post",
            "posts",
            "author_id:references:users",
            "--binary-id",
        ],
        2,
    );
    assert!(
        run.stderr.contains("The field \"author_id\" would be a UUID (--binary-id), but the ids of users are bigints"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);
}

/// `axgen new`, then a parent, the all-types resource and a second schema of its context,
/// each with `gen context`; then the app's own formatting, lints and tests.
fn generate_app(name: &str, adapter: &str, binary_id: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", name, "--database", adapter], 0);
    let app = dir.path().join(name);
    let extra: &[&str] = if binary_id { &["--binary-id"] } else { &[] };
    for (context, schema, plural, list) in [
        ("Accounts", "User", "users", USER_FIELDS),
        ("Blog", "Post", "posts", ALL_FIELDS),
        ("Blog", "Comment", "comments", COMMENT_FIELDS),
    ] {
        let mut args = vec!["gen", "context", context, schema, plural];
        args.extend_from_slice(list);
        args.extend_from_slice(extra);
        axgen(&app, &args, 0);
    }
    (dir, app)
}

/// The apps `gen context` extends format, lint and test clean on every database.
#[test]
fn generated_contexts_build_test_and_lint_clean() {
    let variants: [(&str, &str, bool, Option<&str>); 4] = [
        ("contexts_sqlite", "sqlite", false, None),
        ("contexts_sqlite_uuid", "sqlite", true, None),
        (
            "contexts_postgres",
            "postgres",
            false,
            Some("AXGEN_TEST_POSTGRES_URL"),
        ),
        (
            "contexts_mysql",
            "mysql",
            true,
            Some("AXGEN_TEST_MYSQL_URL"),
        ),
    ];
    eprintln!("generated apps build in {}", apps_target_dir().display());
    for (name, adapter, binary_id, url_var) in variants {
        let (_dir, app) = generate_app(name, adapter, binary_id);
        check_app(&app, url_var);
    }
}
