//! The README cannot rot: every command in its table exists with help, and every type in its
//! spec table is one axgen accepts. (The quick start and test command run in `.ci/run`.)

use crate::Axgen;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The rows of the markdown table whose header starts with `header`, as cells.
fn table(text: &str, header: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip_while(|line| !line.starts_with(header))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

/// `axgen gen html` from "`axgen gen html <Context> ...`": the words before the first argument.
fn command_words(cell: &str) -> Vec<String> {
    cell.trim_matches('`')
        .split_whitespace()
        .skip(1)
        .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase()))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_readme_command_exists_with_help() {
    let dir = tempfile::tempdir().unwrap();
    let rows = table(&readme(), "| command |");
    assert!(
        rows.len() >= 13,
        "the command table is missing rows: {rows:?}"
    );
    for row in rows {
        let words = command_words(&row[0]);
        assert!(!words.is_empty(), "no command in {row:?}");
        let run = Axgen::in_dir(dir.path()).args(&words).arg_help().run();
        run.assert_code(0);
        assert!(
            run.stdout.contains("Usage: axgen"),
            "{words:?}: {}",
            run.stdout
        );
    }
    // `db create | drop | setup | reset` names four subcommands in one row.
    for sub in ["create", "drop", "setup", "reset"] {
        Axgen::in_dir(dir.path())
            .args(["db", sub, "--help"])
            .run()
            .assert_code(0);
    }
}

#[test]
fn every_readme_type_is_accepted_and_every_type_is_in_the_readme() {
    let rows = table(&readme(), "| type |");
    let documented: Vec<String> = rows
        .iter()
        .flat_map(|row| row[0].split(" / ").map(str::to_string).collect::<Vec<_>>())
        .map(|t| t.split(':').next().unwrap().to_string())
        .collect();
    let known = axgen::spec::type_names();
    for name in &documented {
        assert!(
            known.contains(&name.as_str()),
            "README documents unknown type {name}"
        );
    }
    for name in known {
        assert!(
            documented.iter().any(|d| d == name),
            "type {name} is missing from the README"
        );
    }
}
