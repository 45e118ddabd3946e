//! Template packs end to end: `axgen templates eject` copies the embedded templates into the
//! app, never over a file already there, and the generators then render the app's copies.

use std::fs;

use crate::{Axgen, tree};

/// A minimal app: what `Project::find` needs.
fn app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("axgen.toml"),
        "[app]\nname = \"blog\"\n\n[database]\nadapter = \"sqlite\"\nurl = \"sqlite:blog_dev.db\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn an_ejected_and_edited_template_is_used_by_the_generator() {
    let dir = app();
    let run = Axgen::in_dir(dir.path())
        .args(["templates", "eject", "migration"])
        .run();
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("* creating generator-templates/migration/up.sql.jinja"),
        "{}",
        run.stdout
    );
    let up = dir
        .path()
        .join("generator-templates/migration/up.sql.jinja");
    fs::write(&up, "-- our team's header for {{ name }}\n").unwrap();

    Axgen::in_dir(dir.path())
        .args(["gen", "migration", "add_slug"])
        .run()
        .assert_code(0);
    let written: Vec<_> = fs::read_dir(dir.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let up_sql = written
        .iter()
        .find(|p| p.to_string_lossy().ends_with("_add_slug.up.sql"))
        .unwrap();
    assert_eq!(
        fs::read_to_string(up_sql).unwrap(),
        "-- our team's header for add_slug\n"
    );
    // The down template was not edited: the embedded one still applies.
    let down_sql = written
        .iter()
        .find(|p| p.to_string_lossy().ends_with("_add_slug.down.sql"))
        .unwrap();
    assert!(
        fs::read_to_string(down_sql)
            .unwrap()
            .contains("reverted by `axgen rollback`")
    );
}

#[test]
fn eject_never_overwrites_and_unknown_generators_are_refused() {
    let dir = app();
    Axgen::in_dir(dir.path())
        .args(["templates", "eject", "migration"])
        .run()
        .assert_code(0);
    let up = dir
        .path()
        .join("generator-templates/migration/up.sql.jinja");
    fs::write(&up, "edited\n").unwrap();
    let run = Axgen::in_dir(dir.path()).args(["templates", "eject"]).run();
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("* skipping generator-templates/migration/up.sql.jinja (already there)"),
        "{}",
        run.stdout
    );
    assert_eq!(fs::read_to_string(&up).unwrap(), "edited\n");
    assert!(
        dir.path()
            .join("generator-templates/html/controller.rs.jinja")
            .is_file()
    );

    let before = tree(dir.path());
    let run = Axgen::in_dir(dir.path())
        .args(["templates", "eject", "htm"])
        .run();
    run.assert_code(2);
    assert!(
        run.stderr.contains("there is no generator named \"htm\""),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);
}
