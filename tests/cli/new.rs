//! `axgen new`: the files it plans per adapter (snapshots), what it prints, its refusals, and
//! that the apps it makes build, test and lint clean.

use axgen::adapter::Adapter;
use axgen::generators::new::{NewApp, plan};
use axgen::plan::Op;
use axgen::templates::Templates;

use crate::{Axgen, axgen_snapshot, check_app, snapshot_settings, tree};

/// A fixed secret so snapshots are stable.
const SECRET: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Every planned file with its contents, as one reviewable text.
fn rendered_plan(adapter: Adapter, html: bool) -> String {
    let app = NewApp::new("blog", adapter, html, SECRET.to_string()).unwrap();
    let plan = plan(&app, &Templates::new(None)).unwrap();
    plan.ops
        .iter()
        .map(|op| match op {
            Op::Create { path, contents, .. } => {
                format!("===== {} =====\n{contents}", path.display())
            }
            Op::Inject { path, .. } => panic!("new only creates files, not {}", path.display()),
        })
        .collect()
}

#[test]
fn new_plans_are_pinned_per_adapter() {
    for (adapter, html, name) in [
        (Adapter::Sqlite, true, "new_sqlite"),
        (Adapter::Postgres, true, "new_postgres"),
        (Adapter::Mysql, true, "new_mysql"),
        (Adapter::Sqlite, false, "new_sqlite_no_html"),
    ] {
        snapshot_settings().bind(|| insta::assert_snapshot!(name, rendered_plan(adapter, html)));
    }
}

#[test]
fn an_api_app_has_no_html_parts() {
    let app = NewApp::new("blog", Adapter::Sqlite, false, SECRET.to_string()).unwrap();
    let plan = plan(&app, &Templates::new(None)).unwrap();
    let paths: Vec<String> = plan
        .ops
        .iter()
        .map(|op| op.path().display().to_string())
        .collect();
    assert!(
        paths
            .iter()
            .all(|p| !p.starts_with("templates/") && !p.starts_with("static/")),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "Cargo.toml"));
}

#[test]
fn new_writes_the_app_and_prints_next_steps() {
    let dir = tempfile::tempdir().unwrap();
    let run = Axgen::in_dir(dir.path()).args(["new", "blog"]).run();
    run.assert_code(0);
    axgen_snapshot!("new_output", run);
    let app = dir.path().join("blog");
    for file in [
        "Cargo.toml",
        "axgen.toml",
        ".env",
        "src/main.rs",
        "templates/layout.html",
        "static/app.css",
    ] {
        assert!(app.join(file).is_file(), "{file} missing");
    }
    let config = std::fs::read_to_string(app.join("axgen.toml")).unwrap();
    assert!(config.contains("adapter = \"sqlite\""), "{config}");
}

#[test]
fn new_over_an_existing_app_says_it_exists_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    Axgen::in_dir(dir.path())
        .args(["new", "blog"])
        .run()
        .assert_code(0);
    let before = tree(dir.path());
    // `--force` would overwrite the modules and routes that `gen` injected: it is no way
    // around an existing app either.
    for args in [&["new", "blog"][..], &["new", "blog", "--force"]] {
        let run = Axgen::in_dir(dir.path()).args(args).run();
        run.assert_code(2);
        assert!(
            run.stderr
                .contains("error: blog is already an axgen app (it has an axgen.toml)"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("--force"), "{}", run.stderr);
        assert_eq!(tree(dir.path()), before);
    }
}

#[test]
fn new_into_a_folder_with_other_files_lists_the_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("blog")).unwrap();
    std::fs::write(dir.path().join("blog/.env"), "MINE=1\n").unwrap();
    let before = tree(dir.path());
    let run = Axgen::in_dir(dir.path()).args(["new", "blog"]).run();
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("1 file already exists and would be overwritten: .env"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: pass --force"), "{}", run.stderr);
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = Axgen::in_dir(dir.path())
        .args(["new", "blog", "--dry-run", "--database", "postgres"])
        .run();
    run.assert_code(0);
    assert!(
        run.stdout.contains("* creating Cargo.toml"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Dry run: nothing was written."),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn bad_app_names_exit_2_and_write_nothing() {
    for (name, message) in [
        ("Blog", "Expected the app name, \"Blog\", to be snake_case"),
        (
            "my-app",
            "Expected the app name, \"my-app\", to be snake_case",
        ),
        ("fn", "Application name \"fn\" clashes"),
        ("sqlx", "Application name \"sqlx\" clashes"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let run = Axgen::in_dir(dir.path()).args(["new", name]).run();
        run.assert_code(2);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(run.stderr.contains(message), "{name}: {}", run.stderr);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{name} wrote files"
        );
    }
}

#[test]
fn path_puts_the_app_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let run = Axgen::in_dir(dir.path())
        .args(["new", "shop", "--path", "apps/shop", "--no-html"])
        .run();
    run.assert_code(0);
    assert!(dir.path().join("apps/shop/axgen.toml").is_file());
    assert!(run.stdout.contains("$ cd apps/shop"), "{}", run.stdout);
}

/// The apps `new` makes build, pass their own tests, and are clean under clippy and rustfmt.
#[test]
fn new_apps_build_test_and_lint_clean() {
    let variants: [(&str, &str, &[&str], Option<&str>); 4] = [
        ("new_sqlite", "sqlite", &[], None),
        ("new_api", "sqlite", &["--no-html"], None),
        (
            "new_postgres",
            "postgres",
            &[],
            Some("AXGEN_TEST_POSTGRES_URL"),
        ),
        ("new_mysql", "mysql", &[], Some("AXGEN_TEST_MYSQL_URL")),
    ];
    for (name, adapter, extra, url_var) in variants {
        let dir = tempfile::tempdir().unwrap();
        let run = Axgen::in_dir(dir.path())
            .args(["new", name, "--database", adapter])
            .args(extra)
            .run();
        run.assert_code(0);
        let app = dir.path().join(name);
        check_app(&app, url_var);
    }
}
