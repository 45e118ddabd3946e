//! `axgen gen ... --update`: a recorded resource regenerated with a changed field list. One
//! migration for the difference, the user's edits merged into every file the generator
//! wrote, conflicts listed with nothing written, and bad requests refused before anything is.

use std::fs;
use std::path::Path;

use rstest::rstest;

use crate::db::{Engine, generated_app};
use crate::{Axgen, check_app, snapshot_settings, test_app, tree};

const VIDEOS: &str = "gen html Medias Video videos url:string title:string description:text";
const UPDATED: &str =
    "gen html Medias Video videos url:string title:string view_count:integer:default=0 --update";

/// Two hand edits a user makes after `gen html`: a validation in the changeset, and a paragraph
/// on the show page.
const EDITS: [(&str, &str, &str); 2] = [
    (
        "src/medias/video.rs",
        "        changeset.validate_length(\"title\", &changes.title, 255);\n",
        "        if changes.title.as_deref() == Some(\"untitled\") {\n            changeset.add_error(\"title\", \"is reserved\");\n        }\n",
    ),
    (
        "templates/videos/show.html",
        "</dl>\n",
        "\n<p class=\"note\">Share this video with your friends.</p>\n",
    ),
];

/// Makes the edits of [`EDITS`] in `app`, each after the line it names.
fn edit(app: &Path) {
    for (file, after, added) in EDITS {
        let path = app.join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(after), "{file} has no line {after:?}");
        fs::write(&path, text.replacen(after, &format!("{after}{added}"), 1)).unwrap();
    }
}

/// Asserts that `app` has the edits of [`EDITS`].
fn assert_edited(app: &Path) {
    for (file, after, added) in EDITS {
        let text = fs::read_to_string(app.join(file)).unwrap();
        assert!(
            text.contains(&format!("{after}{added}")),
            "{file} lost its edit:\n{text}"
        );
    }
}

/// Takes the edits of [`EDITS`] out of `app` again.
fn unedit(app: &Path) {
    for (file, _, added) in EDITS {
        let path = app.join(file);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replacen(added, "", 1)).unwrap();
    }
}

fn run(app: &Path, command: &str) -> crate::Run {
    let args: Vec<&str> = command.split_whitespace().collect();
    Axgen::in_dir(app).args(&args).run()
}

/// A new app for `adapter` in a tempdir, with `commands` run in it.
fn new_app(adapter: &str, commands: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    Axgen::in_dir(dir.path())
        .args(["new", "blog", "--database", adapter, "-q"])
        .run()
        .assert_code(0);
    let app = dir.path().join("blog");
    for command in commands {
        run(&app, command).assert_code(0);
    }
    (dir, app)
}

/// The `.up.sql` and `.down.sql` of the newest migration of `app`, with its version masked.
fn newest_migration(app: &Path) -> String {
    let mut files: Vec<_> = fs::read_dir(app.join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".sql"))
        .collect();
    files.sort();
    let up = files.pop().unwrap();
    let down = files.pop().unwrap();
    [up, down]
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            let (_, name) = name.split_once('_').unwrap();
            format!(
                "===== [VERSION]_{name} =====\n{}",
                fs::read_to_string(path).unwrap()
            )
        })
        .collect()
}

/// The files of `app` but its migrations and `.env` (whose secret differs from app to app).
fn files(app: &Path) -> Vec<(String, Vec<u8>)> {
    tree(app)
        .into_iter()
        .filter(|(path, _)| !path.starts_with("migrations/") && path != ".env")
        .collect()
}

/// The update merges the user's edits into what the new spec generates: with the edits taken
/// out again, every file is what `gen html` writes for the new spec in a fresh app; and the
/// update's migration, per dialect (with SQLite's rebuild for an added reference), is pinned.
#[test]
fn an_update_is_the_new_generation_with_the_users_edits_and_one_migration() {
    for adapter in ["sqlite", "postgres", "mysql"] {
        let (_dir, app) = new_app(
            adapter,
            &["gen html Accounts User users name:string", VIDEOS],
        );
        edit(&app);
        let run = run(&app, UPDATED);
        run.assert_code(0);
        assert!(
            run.stderr.contains(
                "warning: the migration drops the data of videos.description (a rollback brings the column back, not the data); to rename a column instead, write that migration by hand"
            ),
            "{}",
            run.transcript()
        );
        assert_edited(&app);
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(format!("gen_update_{adapter}"), newest_migration(&app));
        });

        // The same app's files as a fresh generation of the new spec writes them.
        unedit(&app);
        let (_fresh_dir, fresh) = new_app(
            adapter,
            &[
                "gen html Accounts User users name:string",
                &UPDATED.replace(" --update", ""),
            ],
        );
        assert_eq!(files(&app), files(&fresh), "{adapter}");
    }
    // `gen json` and `gen context` update their own files the same way.
    for generator in ["json", "context"] {
        let first = VIDEOS.replace("gen html", &format!("gen {generator}"));
        let update = UPDATED.replace("gen html", &format!("gen {generator}"));
        let (_dir, app) = new_app("sqlite", &[&first]);
        run(&app, &update).assert_code(0);
        let (_fresh_dir, fresh) = new_app("sqlite", &[&update.replace(" --update", "")]);
        assert_eq!(files(&app), files(&fresh), "{generator}");
    }
    // SQLite cannot add a foreign key in place: the update's migration rebuilds the table.
    let (_dir, app) = new_app(
        "sqlite",
        &["gen html Accounts User users name:string", VIDEOS],
    );
    let referenced = format!("{VIDEOS} user_id:references:users:optional --update");
    run(&app, &referenced).assert_code(0);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("gen_update_sqlite_rebuild", newest_migration(&app));
    });
}

/// `--dry-run` prints the migration and a unified diff of every file, and writes nothing.
#[test]
fn a_dry_run_prints_the_migration_and_the_diffs() {
    let (_dir, app) = new_app("sqlite", &[VIDEOS]);
    edit(&app);
    let before = tree(&app);
    let run = run(&app, &format!("{UPDATED} --dry-run"));
    run.assert_code(0);
    assert_eq!(tree(&app), before);
    for expected in [
        "_update_videos.up.sql (new)",
        "ALTER TABLE videos ADD COLUMN view_count INTEGER NOT NULL DEFAULT 0;",
        "ALTER TABLE videos DROP COLUMN description;",
        "--- a/templates/videos/show.html\n+++ b/templates/videos/show.html",
        "-  <dt>Description</dt>\n-  <dd>{{ video.description }}</dd>\n+  <dt>View count</dt>",
        "\n <p class=\"note\">Share this video with your friends.</p>",
        "Dry run: nothing was written.",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
}

/// An edit of a line the update changes is a conflict: every one is listed with its file and
/// line, exit 2, and nothing is written (`--force` is no way around it).
#[test]
fn conflicting_edits_are_listed_and_nothing_is_written() {
    let (_dir, app) = new_app("sqlite", &[VIDEOS]);
    let show = app.join("templates/videos/show.html");
    let text = fs::read_to_string(&show).unwrap();
    // The conflict starts where the lines the update changes do: the description's label.
    let line = text
        .lines()
        .position(|line| line.contains("<dt>Description</dt>"))
        .unwrap()
        + 1;
    fs::write(
        &show,
        text.replace("{{ video.description }}", "{{ video.description | upper }}"),
    )
    .unwrap();
    let before = tree(&app);
    let run = run(&app, UPDATED);
    run.assert_code(2);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!(
            "error: your edits and the update change the same lines in 1 place, so nothing was written: templates/videos/show.html:{line}"
        )
    );
    assert_eq!(tree(&app), before);
    let forced = Axgen::in_dir(&app)
        .args(UPDATED.split_whitespace().chain(["--force"]))
        .run();
    forced.assert_code(2);
    assert!(
        forced.stderr.contains("cannot be used with"),
        "{}",
        forced.stderr
    );
    assert_eq!(tree(&app), before);
}

/// What `--update` cannot do is refused in one sentence, exit 2, nothing written.
#[test]
fn updates_it_cannot_make_are_refused_and_change_nothing() {
    let (_dir, app) = new_app(
        "sqlite",
        &[
            VIDEOS,
            "gen schema Blog.Tag tags name:string day:date note:string:optional",
        ],
    );
    let cases = [
        (
            "gen html Medias Clip clips url:string --update".to_string(),
            "error: --update needs a resource axgen generated for the table clips, and no schema module of the app records one",
        ),
        (
            "gen html Medias Video videos url:string title:integer description:text --update".to_string(),
            "error: --update cannot change the field title: a string cannot become an integer in place (a string and text can, an integer and a bigint can); add a new field beside it and copy the data in a migration written by hand\n",
        ),
        (
            "gen schema Blog.Tag tags name:string day:date note:string --update".to_string(),
            "error: --update cannot change the field note: its rows may hold NULL, which a required column cannot; give it a default to fill them with, such as note:string:default=…\n",
        ),
        (
            "gen json Medias Video videos url:string --update".to_string(),
            "error: videos was generated by `axgen gen html`, so `gen json --update` would not find the files it wrote",
        ),
        (
            "gen html Library Video videos url:string --update".to_string(),
            "error: --update changes a resource's fields, not its context",
        ),
        (
            "gen html Medias Video videos url:string title:string description:text slug:string --update".to_string(),
            "error: The column \"slug\" would be added to videos with no value for the rows it has",
        ),
        (
            "gen schema Blog.Tag tags name:string note:string:optional --update".to_string(),
            "error: The column \"day\" would be added back by the rollback to tags",
        ),
    ];
    let before = tree(&app);
    for (command, message) in &cases {
        let run = run(&app, command);
        run.assert_code(2);
        assert!(
            run.stderr.starts_with(message),
            "{command}\n{}",
            run.transcript()
        );
        assert_eq!(tree(&app), before, "{command}");
    }
    fs::remove_file(app.join("templates/videos/show.html")).unwrap();
    let before = tree(&app);
    let run = run(&app, UPDATED);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "error: --update merges into the files the resource's generator wrote, and these are gone: templates/videos/show.html"
        ),
        "{}",
        run.transcript()
    );
    assert_eq!(tree(&app), before);
}

/// The book's flow: videos generated, migrated and rolled back, then updated with a view
/// count and migrated again; and the update of an updated resource.
#[test]
fn the_books_flow_generates_migrates_rolls_back_and_updates() {
    let Some(app) = generated_app(Engine::Sqlite, "rumbl", &[VIDEOS.to_string()]) else {
        return;
    };
    app.axgen(&["rollback"]).assert_code(0);
    let added = "gen html Medias Video videos url:string title:string description:text view_count:integer:default=0 --update";
    run(app.path(), added).assert_code(0);
    app.axgen(&["migrate"]).assert_code(0);
    app.query("INSERT INTO videos (url, title, description, inserted_at, updated_at) VALUES ('u', 't', 'd', '2026-01-01', '2026-01-01')");
    assert_eq!(
        app.query("SELECT view_count FROM videos"),
        [["0".to_string()]]
    );
    // Updated again: the recorded spec is now the updated one.
    let removed = "gen html Medias Video videos url:string title:string view_count:integer:default=0 --update";
    run(app.path(), removed).assert_code(0);
    app.axgen(&["migrate"]).assert_code(0);
    assert_eq!(
        app.query("SELECT url, title, view_count FROM videos"),
        [["u", "t", "0"]]
    );
}

/// Per adapter, with rows in the table: the update's migration keeps the rows (the new
/// column holds its default), the hand edits survive, the app passes its generated tests
/// (and, on SQLite, clippy and fmt), and a rollback gives the table back.
#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn an_updated_app_keeps_its_rows_and_edits_and_passes_its_tests(#[case] engine: Engine) {
    let name = format!("updated_{engine:?}").to_lowercase();
    let Some(app) = generated_app(engine, &name, &[VIDEOS.to_string()]) else {
        return;
    };
    for (url, title) in [("http://a", "one"), ("http://b", "two")] {
        app.query(&format!(
            "INSERT INTO videos (url, title, description, inserted_at, updated_at) \
             VALUES ('{url}', '{title}', 'about {title}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ));
    }
    edit(app.path());
    run(app.path(), UPDATED).assert_code(0);
    assert_edited(app.path());
    app.axgen(&["migrate"]).assert_code(0);
    let read = "SELECT url, title, view_count FROM videos ORDER BY title";
    assert_eq!(
        app.query(read),
        [["http://a", "one", "0"], ["http://b", "two", "0"]]
    );
    // Clippy and fmt once: the files are those of a fresh generation plus the edits (the
    // first test here), and `gen_web` lints fresh generations on every adapter.
    match engine {
        Engine::Sqlite => check_app(app.path(), None),
        Engine::Postgres => test_app(app.path(), Some("AXGEN_TEST_POSTGRES_URL")),
        Engine::Mysql => test_app(app.path(), Some("AXGEN_TEST_MYSQL_URL")),
    }
    app.axgen(&["rollback"]).assert_code(0);
    assert_eq!(
        app.query("SELECT url, title, description FROM videos ORDER BY title"),
        [["http://a", "one", ""], ["http://b", "two", ""]]
    );
}

/// Fields whose type, constraint or default change are changed in place (SQLite: the table
/// rebuilt), with rows in the table: a column made required gets its default where it was
/// NULL; the rollback gives the columns back as they were, with the rows.
#[rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[case::mysql(Engine::Mysql)]
fn changed_fields_are_converted_in_place_with_their_rows(#[case] engine: Engine) {
    let videos = "gen schema Medias.Video videos url:string title:string views:integer:optional note:string:optional";
    let Some(app) = generated_app(engine, "converted", &[videos.to_string()]) else {
        return;
    };
    app.query(
        "INSERT INTO videos (url, title, views, note, inserted_at, updated_at) VALUES \
         ('http://a', 'one', 7, 'x', '2026-01-01 00:00:00', '2026-01-01 00:00:00'), \
         ('http://b', 'two', NULL, NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    );
    let updated = "gen schema Medias.Video videos url:text title:string:unique views:bigint:default=0 note:string:optional:index --update";
    run(app.path(), updated).assert_code(0);
    app.axgen(&["migrate"]).assert_code(0);
    let read = "SELECT url, title, views, note FROM videos ORDER BY title";
    assert_eq!(
        app.query(read),
        [
            ["http://a", "one", "7", "x"],
            ["http://b", "two", "0", "NULL"]
        ]
    );
    // The title is unique now, the views required.
    let duplicate = "INSERT INTO videos (url, title, views, inserted_at, updated_at) VALUES ('c', 'one', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')";
    assert!(app.try_query(duplicate).is_err(), "{engine:?}");
    app.axgen(&["rollback"]).assert_code(0);
    app.query("INSERT INTO videos (url, title, views, inserted_at, updated_at) VALUES ('c', 'one', NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00')");
    assert_eq!(
        app.query("SELECT COUNT(*) FROM videos WHERE views IS NULL"),
        [["1"]]
    );
}
