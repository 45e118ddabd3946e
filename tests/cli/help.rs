//! Help that teaches: the generators' help lists the spec language, and `axgen completions`
//! prints scripts each shell accepts.

use crate::{Axgen, axgen_snapshot};

#[test]
fn gen_help_lists_types_and_modifiers_and_separates_the_options() {
    let dir = tempfile::tempdir().unwrap();
    axgen_snapshot!(
        "help_gen_html",
        Axgen::in_dir(dir.path())
            .args(["gen", "html"])
            .arg_help()
            .run()
    );
    for generator in ["json", "context", "schema"] {
        let run = Axgen::in_dir(dir.path())
            .args(["gen", generator])
            .arg_help()
            .run();
        run.assert_code(0);
        for heading in [
            "tags:array:string",
            "email:string:unique",
            "Generator options:",
            "Global options:",
        ] {
            assert!(
                run.stdout.contains(heading),
                "gen {generator} --help lacks {heading}:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn completions_are_printed_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = Axgen::in_dir(dir.path()).args(["completions", shell]).run();
        run.assert_code(0);
        for word in ["migrate", "rollback", "database-url"] {
            assert!(run.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    // Bash loads the script and registers the completion, and it completes a subcommand.
    let script = Axgen::in_dir(dir.path())
        .args(["completions", "bash"])
        .run()
        .stdout;
    let path = dir.path().join("axgen.bash");
    std::fs::write(&path, script).unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(axgen mig); COMP_CWORD=1; COMP_LINE='axgen mig'; COMP_POINT=9; \
         _axgen axgen mig axgen; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        words.lines().any(|w| w == "migrate") && words.lines().any(|w| w == "migrations"),
        "{words}"
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = Axgen::in_dir(dir.path())
        .args(["completions", "tcsh"])
        .run();
    run.assert_code(2);
    assert!(run.stderr.contains("bash"), "{}", run.stderr);
}
