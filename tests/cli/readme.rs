//! The README cannot rot: every command in its table exists with help, every type in its
//! spec table is one axgen accepts, and its "Generating resources" flow serves the posts.
//! (The quick start and test command run in `.ci/run`.)

use std::os::unix::process::CommandExt as _;

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

/// The lines between `<!-- NAME -->` and `<!-- /NAME -->`, without the code fence.
fn block(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .skip_while(|line| *line != format!("<!-- {name} -->"))
        .skip(1)
        .take_while(|line| *line != format!("<!-- /{name} -->"))
        .filter(|line| !line.starts_with("```"))
        .map(str::to_string)
        .collect()
}

/// The "Generating resources" flow, run as written in a scratch folder with this axgen on
/// `PATH` (`cargo run` last, in the background): `/posts` answers 200 with the posts page,
/// with no setup step the README does not show.
#[test]
fn the_generating_resources_flow_serves_the_posts() {
    let lines = block(&readme(), "generating");
    let (run, setup) = lines
        .split_last()
        .expect("the README has a generating block");
    assert_eq!(run, "cargo run", "the flow ends by serving the app");
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_axgen"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // One shell, so `cd` carries over as for a reader typing the lines.
    let script = format!("set -e\n{}\n", setup.join("\n"));
    let done = std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{script}{}",
        String::from_utf8_lossy(&done.stderr)
    );

    let app = dir.path().join("blog");
    let port = crate::faults::free_port();
    let log = app.join("cargo-run.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = std::process::Command::new("bash")
        .args(["-c", &format!("exec {run}")])
        .current_dir(&app)
        .env("PATH", &path)
        .env("CARGO_TARGET_DIR", crate::apps_target_dir())
        .env("PORT", port.to_string())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .process_group(0)
        .spawn()
        .unwrap();
    let _running = Group(child);
    let site = crate::faults::Site::new(port);
    let started = std::time::Instant::now();
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(600),
            "`cargo run` does not serve:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let posts = site.get("/posts");
    assert_eq!(
        posts.status,
        200,
        "{}\n{}",
        posts.body,
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(posts.body.contains("Posts"), "{}", posts.body);
}

/// A process group, stopped when the test ends however it ends: `cargo run` and the app.
struct Group(std::process::Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}
