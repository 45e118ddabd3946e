//! `axgen gen auth`: every planned file per adapter (snapshots), its refusals, and that an app
//! with auth and a `gen html` resource builds, passes its own tests (registration, log-in,
//! log-out, settings, password reset through `/dev/mailbox`, remember-me, log-in limits, API
//! tokens, and the security checks) and lints clean on every database; on SQLite its mailer
//! also sends an email to a real SMTP server.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use axgen::adapter::Adapter;
use axgen::generators::{self, App, Generation, Generator, Layers, WebKind, auth};
use axgen::spec::{self, SpecOptions};
use axgen::templates::Templates;
use chrono::{TimeZone, Utc};

use crate::faults::free_port;
use crate::gen_web::{axgen, new_app_named};
use crate::process::Process;
use crate::{apps_target_dir, check_app, mask_versions, rendered, snapshot_settings, tree};

/// The auth request of `gen auth Accounts User users FIELDS`.
fn request(fields: &[&str]) -> spec::Request {
    spec::Request {
        context: Some("Accounts".into()),
        schema: "User".into(),
        plural: "users".into(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        options: SpecOptions::default(),
    }
}

#[test]
fn gen_auth_plans_are_pinned_per_adapter() {
    for adapter in Adapter::ALL {
        let (_dir, app) = new_app_named("blog", &["--database", &adapter.to_string()]);
        let resource =
            auth::resource(&request(&["name:string", "age:integer:optional"]), adapter).unwrap();
        let templates = Templates::new(None);
        let read = App::read(&app, "blog", &resource).unwrap();
        let generation = Generation {
            resource: &resource,
            app: &read,
            layers: Layers::default(),
            templates: &templates,
            now: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
        };
        let mut plan = auth::plan(&generation).unwrap();
        plan.format(&app).unwrap();
        let name = format!("gen_auth_{adapter}");
        snapshot_settings().bind(|| insta::assert_snapshot!(name, rendered(&plan)));
    }
}

#[test]
fn gen_auth_twice_is_refused_and_changes_nothing() {
    let (dir, app) = new_app_named("blog", &[]);
    axgen(&app, &["gen", "auth", "Accounts", "User", "users"], 0);
    let before = tree(dir.path());

    let run = axgen(&app, &["gen", "auth", "Accounts", "User", "users"], 2);
    assert!(
        run.stderr.contains("This app has auth already"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    let run = axgen(&app, &["gen", "auth", "Accounts", "Member", "members"], 2);
    assert!(
        run.stderr.contains("This app has auth already"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn gen_auth_over_a_table_of_another_generator_is_refused() {
    let (dir, app) = new_app_named("blog", &[]);
    axgen(
        &app,
        &["gen", "html", "Accounts", "User", "users", "name"],
        0,
    );
    let before = tree(dir.path());

    let run = axgen(&app, &["gen", "auth", "Accounts", "User", "users"], 2);
    assert!(run.stderr.contains("\"users\""), "{}", run.stderr);
    assert!(
        run.stderr.contains("hint: choose another schema"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn gen_auth_refuses_bad_apps_and_fields_and_writes_nothing() {
    let outside = tempfile::tempdir().unwrap();
    let run = axgen(
        outside.path(),
        &["gen", "auth", "Accounts", "User", "users"],
        2,
    );
    assert!(run.stderr.contains("not an axgen app"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);

    let (dir, api) = new_app_named("api", &["--no-html"]);
    let before = tree(dir.path());
    let run = axgen(&api, &["gen", "auth", "Accounts", "User", "users"], 2);
    assert!(
        run.stderr.contains("needs an app with browser pages"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);

    let (dir, app) = new_app_named("blog", &[]);
    let before = tree(dir.path());
    for (field, message) in [
        (
            "email:string",
            "The field \"email\" is one `gen auth` makes itself",
        ),
        (
            "password",
            "The field \"password\" is one `gen auth` makes itself",
        ),
        ("tags:array:string", "not array (tags)"),
        (
            "badge:integer:unique",
            "unique extra fields of type string or text only, not integer (badge): its tests \
             give each account a value made from its email\nhint: drop :unique, and add the \
             unique index later with `axgen gen migration add_index_to_users badge:integer:unique`",
        ),
        ("Bad-Name", "Bad-Name"),
    ] {
        let run = axgen(
            &app,
            &["gen", "auth", "Accounts", "User", "users", field],
            2,
        );
        assert!(run.stderr.contains(message), "{field}: {}", run.stderr);
    }
    assert_eq!(tree(dir.path()), before);
}

/// New app → `gen auth` (with extra fields) → a `gen html` resource, on each database:
/// the app's own suite (registration, log-in with a wrong password, log-out, a revoked
/// session, a page that requires a user, settings, password reset, remember-me, log-in
/// limits, API tokens, CSRF, no user enumeration, passwords out of the logs), clippy with
/// `-D warnings` and rustfmt. Server
/// variants run their suite when `AXGEN_TEST_POSTGRES_URL` / `AXGEN_TEST_MYSQL_URL` are
/// set, and else build it. On PostgreSQL the auth schema is `Member` in a nested context,
/// so every name (routes, `current_member`, `member_id`) follows the schema's.
#[test]
fn generated_auth_apps_build_test_and_lint_clean() {
    eprintln!("generated apps build in {}", apps_target_dir().display());
    let user =
        "gen auth Accounts User users name:string username:string:unique age:integer:optional";
    let member = "gen auth Admin.Accounts Member members nickname:text:optional";
    for (name, adapter, auth, table, url_var) in [
        ("auth_sqlite", "sqlite", user, "users", None),
        (
            "auth_postgres",
            "postgres",
            member,
            "members",
            Some("AXGEN_TEST_POSTGRES_URL"),
        ),
        (
            "auth_mysql",
            "mysql",
            user,
            "users",
            Some("AXGEN_TEST_MYSQL_URL"),
        ),
    ] {
        let (_dir, app) = new_app_named(name, &["--database", adapter]);
        let auth: Vec<&str> = auth.split_whitespace().collect();
        axgen(&app, &auth, 0);
        // Scoped notes that also name another account, labelled by its email.
        let notes = format!("gen html Blog Note notes body:text reviewer_id:references:{table}");
        for resource in SCOPED_RESOURCES.into_iter().chain([notes.as_str()]) {
            let args: Vec<&str> = resource.split_whitespace().collect();
            axgen(&app, &args, 0);
        }
        let smtp = (adapter == "sqlite").then(|| SmtpServer::start(&app, name));
        check_app(&app, url_var);
        if let Some(smtp) = smtp {
            smtp.assert_received();
        }
    }
}

/// A real SMTP server (the debugging server of Python's `smtpd`) on a free port, and a test
/// beside the app's own that sends an email through the app's mailer (`Mailer::smtp`, with
/// `lettre`) to it, the way release builds send theirs.
struct SmtpServer {
    _process: Process,
    output: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server and writes `tests/smtp.rs` into `app` (the crate `crate_name`).
    fn start(app: &Path, crate_name: &str) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("smtpd.out");
        let port = free_port();
        let mut process = Process::spawn(
            "python3 -m smtpd",
            Command::new("python3")
                .args(["-u", "-W", "ignore", "-m", "smtpd"])
                .args(["-n", "-c", "DebuggingServer"])
                .arg(format!("127.0.0.1:{port}"))
                .stdout(fs::File::create(&output).unwrap())
                .stderr(Stdio::null()),
        );
        let log = || fs::read_to_string(&output).unwrap_or_default();
        process.wait_for_port(port, Duration::from_secs(10), log);
        let test = format!(
            r#"//! The app's mailer sends over SMTP, to the server axgen's test suite started beside it
//! (this file is the suite's, not `axgen gen auth`'s).

use {crate_name}::mailer::{{Email, Mailer}};

#[tokio::test]
async fn the_mailer_sends_over_smtp() {{
    let mailer = Mailer::smtp(
        "smtp://127.0.0.1:{port}",
        "Blog <noreply@example.com>",
        "https://example.com",
    )
    .expect("a valid SMTP configuration");
    let email = Email {{
        to: "someone@example.com".to_owned(),
        subject: "Reset password instructions".to_owned(),
        body: mailer.url("/users/reset-password/t0ken"),
    }};
    mailer.deliver(email).await.expect("the server takes the email");
}}
"#
        );
        fs::write(app.join("tests/smtp.rs"), test).unwrap();
        // Laid out as the app's rustfmt.toml says, for the app's `cargo fmt --check`.
        let status = Command::new("rustfmt")
            .args(["--edition", "2024", "tests/smtp.rs"])
            .current_dir(app)
            .status()
            .unwrap();
        assert!(status.success(), "rustfmt tests/smtp.rs");
        SmtpServer {
            _process: process,
            output,
            _dir: dir,
        }
    }

    /// Asserts that the server received the test's email.
    fn assert_received(self) {
        let received = fs::read_to_string(&self.output).unwrap();
        for expected in [
            "From: Blog <noreply@example.com>",
            "To: someone@example.com",
            "Subject: Reset password instructions",
            "https://example.com/users/reset-password/t0ken",
        ] {
            assert!(received.contains(expected), "{expected}: {received}");
        }
    }
}

/// A resource referencing the auth schema's table: its tests register the accounts its rows
/// reference through the auth context (with an email of their own, and a unique extra
/// field made from it), never leave the fixture to write, and do not delete one.
#[test]
fn a_reference_to_the_auth_table_registers_accounts_in_the_tests() {
    let (_dir, app) = new_app_named("blog", &[]);
    let auth = "gen auth Accounts User users username:string:unique";
    axgen(&app, &auth.split_whitespace().collect::<Vec<_>>(), 0);
    let reviews = "gen json Shop Review reviews body:text author_id:references:users --no-scope";
    axgen(&app, &reviews.split_whitespace().collect::<Vec<_>>(), 0);

    let tests = std::fs::read_to_string(app.join("tests/shop_reviews.rs")).unwrap();
    assert!(!tests.contains("todo!"), "{tests}");
    for expected in [
        r#""email": format!("user{n}@example.com"),"#,
        r#""username": format!("some username {n}"),"#,
        "blog::accounts::register_user(db, &params).await?;",
    ] {
        assert!(tests.contains(expected), "{expected}: {tests}");
    }
    assert!(!tests.contains("deleting_a_user"), "{tests}");
    let context_tests = std::fs::read_to_string(app.join("tests/accounts_users.rs")).unwrap();
    assert!(
        context_tests.contains(r#""username": format!("some username {email}"),"#),
        "{context_tests}"
    );
}

/// What the end-to-end apps generate after `gen auth`: pages and an API whose rows belong to
/// the logged-in user (scoped; the API's with UUID ids beside the users' bigints), a table
/// open to everyone (`--no-scope`), and scoped rows referencing it (labelled, filtered).
const SCOPED_RESOURCES: [&str; 4] = [
    "gen html Blog Post posts title:string body:text",
    "gen json Shop Item items name:string:unique price:integer --binary-id",
    "gen html Catalog Category categories name:string --no-scope",
    "gen html Blog Video videos title:string category_id:references:categories",
];

/// An app made by `axgen new` with `gen auth Accounts User users name:string`.
fn app_with_auth(args: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, app) = new_app_named("blog", args);
    axgen(
        &app,
        &["gen", "auth", "Accounts", "User", "users", "name:string"],
        0,
    );
    (dir, app)
}

#[test]
fn scoped_gen_html_and_json_plans_are_pinned_per_adapter() {
    let templates = Templates::new(None);
    for adapter in Adapter::ALL {
        let (_dir, app) = app_with_auth(&["--database", &adapter.to_string()]);
        for kind in [WebKind::Html, WebKind::Json] {
            let fields: Vec<String> = ["title:string", "body:text", "views:integer:optional"]
                .map(String::from)
                .to_vec();
            let spec =
                spec::parse_resource("Blog", "Post", "posts", &fields, &SpecOptions::default())
                    .unwrap();
            let mut resource = spec.resolve(adapter);
            let read = App::read(&app, "blog", &resource).unwrap();
            resource.scope = read.scope();
            assert!(
                resource.scope.is_some(),
                "an app with auth scopes its resources"
            );
            let generation = Generation {
                resource: &resource,
                app: &read,
                layers: Layers::default(),
                templates: &templates,
                now: Utc.with_ymd_and_hms(2026, 11, 24, 12, 1, 0).unwrap(),
            };
            let plan = generators::plan(Generator::Web(kind), &generation).unwrap();
            let name = format!("gen_{}_scoped_{adapter}", kind.name());
            // The auth migration, made now, dates the resource's after it.
            let plan = mask_versions(&rendered(&plan));
            snapshot_settings().bind(|| insta::assert_snapshot!(name, plan));
        }
    }
}

#[test]
fn resources_of_an_app_with_auth_belong_to_the_user_unless_no_scope() {
    let (_dir, app) = app_with_auth(&[]);
    axgen(&app, &["gen", "html", "Blog", "Post", "posts", "title"], 0);
    axgen(
        &app,
        &[
            "gen",
            "json",
            "Catalog",
            "Tag",
            "tags",
            "name",
            "--no-scope",
        ],
        0,
    );
    axgen(&app, &["gen", "schema", "Note", "notes", "body:text"], 0);

    let post = std::fs::read_to_string(app.join("src/blog/post.rs")).unwrap();
    assert!(
        post.contains("Generated by `axgen gen html Blog Post posts title:string --scope user`"),
        "the schema records its scope: {post}"
    );
    assert!(post.contains("pub user_id: i64,"), "{post}");
    let migrations = crate::tree(&app.join("migrations"));
    let up = |table: &str| {
        migrations
            .iter()
            .find(|(path, _)| path.ends_with(&format!("_create_{table}.up.sql")))
            .map(|(_, text)| String::from_utf8_lossy(text).into_owned())
            .unwrap()
    };
    let posts = up("posts");
    assert!(
        posts.contains("REFERENCES users (id) ON DELETE CASCADE"),
        "{posts}"
    );
    assert!(
        posts.contains("CREATE INDEX posts_user_id_index"),
        "{posts}"
    );
    for table in ["tags", "notes"] {
        assert!(!up(table).contains("user_id"), "{table} is not scoped");
    }
    let controller = std::fs::read_to_string(app.join("src/web/post_controller.rs")).unwrap();
    assert!(
        controller.contains("RequireUser(user): RequireUser"),
        "{controller}"
    );
    let tags = std::fs::read_to_string(app.join("src/web/api/tag_controller.rs")).unwrap();
    assert!(!tags.contains("RequireUser"), "{tags}");
}

#[test]
fn a_field_of_the_scope_column_or_a_reference_to_a_scoped_table_is_refused() {
    let (_dir, app) = app_with_auth(&[]);
    axgen(&app, &["gen", "html", "Blog", "Post", "posts", "title"], 0);
    let before = tree(&app);

    let run = axgen(
        &app,
        &["gen", "html", "Blog", "Note", "notes", "user_id:integer"],
        2,
    );
    assert!(
        run.stderr.contains(
            "\"user_id\" is the column that makes each of the notes belong to the logged-in user"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--no-scope"), "{}", run.stderr);
    let run = axgen(
        &app,
        &[
            "gen",
            "json",
            "Blog",
            "Comment",
            "comments",
            "post_id:references:posts",
        ],
        2,
    );
    assert!(
        run.stderr
            .contains("references posts, whose rows belong each to one user"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&app), before, "nothing is written");

    axgen(
        &app,
        &[
            "gen",
            "html",
            "Blog",
            "Note",
            "notes",
            "user_id:integer",
            "--no-scope",
        ],
        0,
    );
}

/// `--update` keeps a scoped resource scoped, and each block injected before the context's
/// imports marker (the shared imports, the owner's schema) where it is.
#[test]
fn an_updated_scoped_resource_stays_scoped() {
    let (_dir, app) = app_with_auth(&[]);
    axgen(&app, &["gen", "html", "Blog", "Post", "posts", "title"], 0);
    axgen(
        &app,
        &[
            "gen",
            "html",
            "Blog",
            "Post",
            "posts",
            "title",
            "body:text:optional",
            "--update",
        ],
        0,
    );

    let context = std::fs::read_to_string(app.join("src/blog.rs")).unwrap();
    for import in [
        "use chrono::{SubsecRound, Utc};",
        "use crate::accounts::User;",
    ] {
        assert_eq!(context.matches(import).count(), 1, "{context}");
    }
    assert!(
        context.contains("pub async fn list_posts(db: &Pool, user: &User)"),
        "{context}"
    );
    assert!(
        context.contains("SELECT id, title, body, user_id, inserted_at"),
        "{context}"
    );
    let post = std::fs::read_to_string(app.join("src/blog/post.rs")).unwrap();
    assert!(
        post.contains(
            "`axgen gen html Blog Post posts title:string body:text:optional --scope user`"
        ),
        "{post}"
    );
}
