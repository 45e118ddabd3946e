//! `axgen gen migration`: names checked before anything is written.

use crate::{Axgen, tree};

#[test]
fn a_camel_case_migration_name_gets_its_snake_case_form_as_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    Axgen::in_dir(dir.path())
        .args(["new", "blog"])
        .run()
        .assert_code(0);
    let app = dir.path().join("blog");
    let before = tree(&app);
    let run = Axgen::in_dir(&app)
        .args(["gen", "migration", "AddViewCount"])
        .run();
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "error: Expected the migration name, \"AddViewCount\", to be snake_case, such as add_view_count\n"
    );
    assert_eq!(tree(&app), before);
}
