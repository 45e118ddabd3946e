//! Plans: a generation is a list of file operations computed in full before anything is written,
//! then checked for conflicts and applied all-or-nothing by one writer.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::error::UsageError;
use crate::output::{Printer, Verb};
use crate::rustfmt::{self, Formatted};

/// One file operation, with a path relative to the target root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create the file with these contents.
    Create {
        path: PathBuf,
        contents: String,
        /// Rust still to be laid out by rustfmt ([`Plan::format`]).
        rustfmt: bool,
    },
    /// Insert `text` before the line holding `marker`, indented like that line.
    /// Injecting the same text twice leaves the file as after the first time.
    Inject {
        path: PathBuf,
        marker: String,
        text: String,
        /// What rustfmt still has to lay out ([`Plan::format`]).
        layout: Layout,
    },
}

/// What an injected text is to rustfmt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Text laid out already, or not Rust.
    Done,
    /// Rust items (functions, `use` lines), still to be laid out.
    Items,
    /// Statements of a function's body, still to be laid out as they will stand there
    /// (indented once).
    Statements,
}

impl Op {
    /// The file the operation touches.
    pub fn path(&self) -> &Path {
        match self {
            Op::Create { path, .. } | Op::Inject { path, .. } => path,
        }
    }
}

/// A whole generation: file operations, then what the user should do next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub ops: Vec<Op>,
    pub next_steps: Vec<String>,
    /// Warnings printed when the plan is applied, even with `--quiet`.
    pub warnings: Vec<String>,
}

/// How to apply a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Overwrite files that exist and differ.
    pub force: bool,
    /// Print the plan, write nothing.
    pub dry_run: bool,
}

/// What applying the plan does to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: PathBuf,
    pub verb: Verb,
    /// The file's contents after the plan, or `None` when it stays as it is.
    pub contents: Option<String>,
}

impl Plan {
    /// Adds a file to create.
    pub fn create(&mut self, path: impl Into<PathBuf>, contents: impl Into<String>) {
        self.ops.push(Op::Create {
            path: path.into(),
            contents: contents.into(),
            rustfmt: false,
        });
    }

    /// Adds a Rust file to create, laid out by [`Plan::format`].
    pub fn create_rust(&mut self, path: impl Into<PathBuf>, contents: impl Into<String>) {
        self.ops.push(Op::Create {
            path: path.into(),
            contents: contents.into(),
            rustfmt: true,
        });
    }

    /// Adds text to inject before a marker line.
    pub fn inject(
        &mut self,
        path: impl Into<PathBuf>,
        marker: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.push_inject(path.into(), marker.into(), text.into(), Layout::Done);
    }

    /// Adds Rust items to inject before a marker line, laid out by [`Plan::format`]; the
    /// blank lines that end `text` stay.
    pub fn inject_rust(
        &mut self,
        path: impl Into<PathBuf>,
        marker: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.push_inject(path.into(), marker.into(), text.into(), Layout::Items);
    }

    /// Adds statements to inject into a function's body before a marker line, laid out by
    /// [`Plan::format`] as they will stand there.
    pub fn inject_statements(
        &mut self,
        path: impl Into<PathBuf>,
        marker: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.push_inject(path.into(), marker.into(), text.into(), Layout::Statements);
    }

    fn push_inject(&mut self, path: PathBuf, marker: String, text: String, layout: Layout) {
        self.ops.push(Op::Inject {
            path,
            marker,
            text,
            layout,
        });
    }

    /// Adds the operations, next steps and warnings of `other` after this plan's.
    pub fn append(&mut self, other: Plan) {
        self.ops.extend(other.ops);
        self.next_steps.extend(other.next_steps);
        self.warnings.extend(other.warnings);
    }

    /// Lays out every Rust text of the plan not laid out yet, in one rustfmt process for the
    /// app at `root`. Without rustfmt the texts stay as rendered (valid, but not laid out) and
    /// the plan warns the user to run `cargo fmt`.
    pub fn format(&mut self, root: &Path) -> Result<()> {
        // Each pending text, and how it stands: a file (`None`), or injected (and keeps its
        // trailing blank lines).
        let mut pending: Vec<(&mut String, Option<Layout>)> = self
            .ops
            .iter_mut()
            .filter_map(|op| match op {
                Op::Create {
                    contents,
                    rustfmt: true,
                    ..
                } => Some((contents, None)),
                Op::Inject { text, layout, .. } if *layout != Layout::Done => {
                    Some((text, Some(*layout)))
                }
                _ => None,
            })
            .collect();
        let sources: Vec<String> = pending
            .iter()
            .map(|(text, layout)| match layout {
                // In a function, indented once, as the injection indents them like the
                // marker line.
                Some(Layout::Statements) => {
                    let body: String = text.lines().map(|line| format!("    {line}\n")).collect();
                    format!("fn body() {{\n{body}}}\n")
                }
                _ => text.to_string(),
            })
            .collect();
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        match rustfmt::format_all(&sources, root)? {
            Formatted::Files(files) => {
                for ((text, layout), formatted) in pending.iter_mut().zip(files) {
                    let injected = match layout {
                        None => {
                            **text = formatted;
                            continue;
                        }
                        Some(Layout::Statements) => function_body(&formatted),
                        Some(_) => formatted,
                    };
                    let newlines = text.len() - text.trim_end_matches('\n').len();
                    **text = injected.trim_end_matches('\n').to_string() + &"\n".repeat(newlines);
                }
            }
            Formatted::Missing => self.warnings.push(
                "rustfmt was not found, so the generated Rust is not laid out: run `cargo fmt`"
                    .to_string(),
            ),
        }
        for op in &mut self.ops {
            match op {
                Op::Create { rustfmt, .. } => *rustfmt = false,
                Op::Inject { layout, .. } => *layout = Layout::Done,
            }
        }
        Ok(())
    }

    /// Works out every change against the files under `root`, in memory. Files that exist and
    /// differ are conflicts: all of them are reported in one usage error unless `force`.
    pub fn changes(&self, root: &Path, force: bool) -> Result<Vec<Change>> {
        let mut state: BTreeMap<PathBuf, FileState> = BTreeMap::new();
        let mut changes = Vec::with_capacity(self.ops.len());
        let mut conflicts = Vec::new();
        for op in &self.ops {
            let file = match state.get(op.path()) {
                Some(file) => file.clone(),
                None => FileState::read(&root.join(op.path()))?,
            };
            let (verb, after) = match op {
                Op::Create { path, contents, .. } => match &file.current {
                    None => (Verb::Creating, contents.clone()),
                    Some(existing) if existing == contents => (Verb::Identical, contents.clone()),
                    Some(_) if force => (Verb::Overwriting, contents.clone()),
                    Some(existing) => {
                        conflicts.push(path.clone());
                        (Verb::Skipping, existing.clone())
                    }
                },
                Op::Inject {
                    path, marker, text, ..
                } => {
                    let existing = file.current.as_deref().ok_or_else(|| {
                        UsageError::new(format!(
                            "cannot inject into {}: the file does not exist",
                            path.display()
                        ))
                        .with_hint("run the generator inside an app made by `axgen new`")
                    })?;
                    match inject(existing, marker, text) {
                        Some(after) if after == existing => (Verb::Identical, after),
                        Some(after) => (Verb::Injecting, after),
                        None => {
                            return Err(UsageError::new(format!(
                                "cannot inject into {}: the marker line `{marker}` is missing",
                                path.display()
                            ))
                            .with_hint(format!(
                                "put the line `{marker}` back where generated code should go"
                            ))
                            .into());
                        }
                    }
                }
            };
            let changed = matches!(verb, Verb::Creating | Verb::Injecting | Verb::Overwriting);
            changes.push(Change {
                path: op.path().to_path_buf(),
                verb,
                contents: changed.then(|| after.clone()),
            });
            state.insert(
                op.path().to_path_buf(),
                FileState {
                    current: Some(after),
                },
            );
        }
        if !conflicts.is_empty() {
            conflicts.dedup();
            let list: Vec<String> = conflicts.iter().map(|p| p.display().to_string()).collect();
            let noun = if list.len() == 1 {
                "file already exists"
            } else {
                "files already exist"
            };
            return Err(UsageError::new(format!(
                "{} {noun} and would be overwritten: {}",
                list.len(),
                list.join(", ")
            ))
            .with_hint("pass --force to overwrite, or move the files away and run again")
            .into());
        }
        Ok(one_per_file(changes))
    }

    /// Checks the plan, then writes every change under `root` (nothing at all on error or with
    /// `dry_run`), printing one line per file and the next steps.
    pub fn apply(&self, root: &Path, options: ApplyOptions, printer: &Printer) -> Result<()> {
        let changes = self.changes(root, options.force)?;
        if !options.dry_run {
            write_all(root, &changes)?;
        }
        for warning in &self.warnings {
            printer.warn(warning);
        }
        for change in &changes {
            printer.action(change.verb, &display_path(&change.path));
        }
        if options.dry_run {
            printer.line("");
            printer.line("Dry run: nothing was written.");
        } else if !self.next_steps.is_empty() {
            printer.line("");
            for step in &self.next_steps {
                printer.line(step);
            }
        }
        Ok(())
    }
}

/// The changes of several operations on one file (a context module made, then a second
/// schema's functions injected into it) as one change: where the file first appears, with its
/// final contents and the verb that says what happens to the file as a whole.
fn one_per_file(changes: Vec<Change>) -> Vec<Change> {
    let mut merged: Vec<Change> = Vec::with_capacity(changes.len());
    for change in changes {
        let Some(earlier) = merged.iter_mut().find(|c| c.path == change.path) else {
            merged.push(change);
            continue;
        };
        if change.contents.is_some() {
            earlier.contents = change.contents;
        }
        earlier.verb = match (earlier.verb, change.verb) {
            (Verb::Creating | Verb::Overwriting, _) => earlier.verb,
            (_, Verb::Identical) => earlier.verb,
            (_, later) => later,
        };
    }
    merged
}

/// A path for output, always with `/` separators.
fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[derive(Debug, Clone)]
struct FileState {
    current: Option<String>,
}

impl FileState {
    fn read(path: &Path) -> Result<FileState> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(FileState {
                current: Some(text),
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                Ok(FileState { current: None })
            }
            Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
        }
    }
}

/// The statements of the one function of `formatted`, dedented once.
fn function_body(formatted: &str) -> String {
    let lines: Vec<&str> = formatted.lines().collect();
    let body = lines
        .get(1..lines.len().saturating_sub(1))
        .unwrap_or_default();
    body.iter()
        .map(|line| format!("{}\n", line.strip_prefix("    ").unwrap_or(line)))
        .collect()
}

/// `existing` with `text` inserted before the line containing `marker`, each line indented
/// like the marker; `existing` itself if the text is already there; `None` without a marker.
pub fn inject(existing: &str, marker: &str, text: &str) -> Option<String> {
    let marker_start = existing.find(marker)?;
    let line_start = existing[..marker_start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = existing[line_start..marker_start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let block: String = text
        .lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_string()
            } else {
                format!("{indent}{line}\n")
            }
        })
        .collect();
    if existing.contains(&block) {
        return Some(existing.to_string());
    }
    let mut out = String::with_capacity(existing.len() + block.len());
    out.push_str(&existing[..line_start]);
    out.push_str(&block);
    out.push_str(&existing[line_start..]);
    Some(out)
}

/// An exclusive lock on an app, held until dropped, so that `gen` commands in one app run one
/// at a time: each plans (migration version, conflict check, module edits) against the files
/// the one before it wrote. The lock is taken on the app's `axgen.toml`, which every app has,
/// so nothing is written for it (an advisory `flock` on Unix).
#[derive(Debug)]
pub struct AppLock {
    _file: fs::File,
}

impl AppLock {
    /// Waits until no other axgen holds the app at `root`, then holds it.
    pub fn acquire(root: &Path) -> Result<AppLock> {
        let path = root.join(crate::project::CONFIG_FILE);
        let file = fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(AppLock { _file: file })
    }
}

/// Writes every changed file through a temporary sibling, then renames them all into place.
/// If any step fails, the files already renamed get their old contents back (or are removed
/// when they are new), the temporaries and any folders made for them are removed: nothing is
/// left half-written.
fn write_all(root: &Path, changes: &[Change]) -> Result<()> {
    write_all_with(root, changes, |from, to| fs::rename(from, to))
}

/// A file staged next to its target, with the target's contents before the plan.
struct Staged {
    temp: PathBuf,
    target: PathBuf,
    before: Option<Vec<u8>>,
}

/// [`write_all`] with the rename it uses, so that tests can make one fail.
fn write_all_with(
    root: &Path,
    changes: &[Change],
    rename: impl Fn(&Path, &Path) -> std::io::Result<()>,
) -> Result<()> {
    // A file created and then injected into by the same plan is written once, finished.
    let finals: BTreeMap<&Path, &String> = changes
        .iter()
        .filter_map(|change| change.contents.as_ref().map(|c| (change.path.as_path(), c)))
        .collect();
    let mut staged: Vec<Staged> = Vec::new();
    let mut made_dirs: Vec<PathBuf> = Vec::new();
    let staging = finals.into_iter().try_for_each(|(path, contents)| {
        let target = root.join(path);
        let parent = target.parent().unwrap_or(root);
        make_dirs(parent, &mut made_dirs)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = parent.join(format!(".{name}.{}.axgen-tmp", std::process::id()));
        let before = match fs::read(&target) {
            Ok(bytes) => Some(bytes),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(err).with_context(|| format!("reading {}", target.display())),
        };
        fs::write(&temp, contents).with_context(|| format!("writing {}", temp.display()))?;
        staged.push(Staged {
            temp,
            target,
            before,
        });
        Ok::<(), anyhow::Error>(())
    });
    let mut moved = 0;
    let result = staging.and_then(|()| {
        for file in &staged {
            rename(&file.temp, &file.target)
                .with_context(|| format!("moving {} into place", file.target.display()))?;
            moved += 1;
        }
        Ok(())
    });
    if result.is_err() {
        for file in &staged[..moved] {
            let _ = match &file.before {
                Some(bytes) => fs::write(&file.target, bytes),
                None => fs::remove_file(&file.target),
            };
        }
        for file in &staged[moved..] {
            let _ = fs::remove_file(&file.temp);
        }
        for dir in made_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

/// Creates `dir` and its missing parents, remembering each folder it made.
fn make_dirs(dir: &Path, made: &mut Vec<PathBuf>) -> Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
    for d in missing.into_iter().rev() {
        fs::create_dir(d).with_context(|| format!("creating {}", d.display()))?;
        made.push(d.to_path_buf());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with(ops: Vec<Op>) -> Plan {
        Plan {
            ops,
            ..Plan::default()
        }
    }

    fn create(path: &str, contents: &str) -> Op {
        Op::Create {
            path: path.into(),
            contents: contents.into(),
            rustfmt: false,
        }
    }

    #[test]
    fn inject_puts_text_before_the_marker_with_its_indent() {
        let file = "fn routes() {\n    a();\n    // axgen:routes\n}\n";
        let out = inject(file, "// axgen:routes", "b();").unwrap();
        assert_eq!(
            out,
            "fn routes() {\n    a();\n    b();\n    // axgen:routes\n}\n"
        );
    }

    #[test]
    fn inject_is_idempotent() {
        let file = "x\n// m\n";
        let once = inject(file, "// m", "y").unwrap();
        let twice = inject(&once, "// m", "y").unwrap();
        assert_eq!(once, twice);
        assert_eq!(inject(file, "// missing", "y"), None);
    }

    #[test]
    fn a_plan_reports_every_conflict_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "old a").unwrap();
        fs::write(dir.path().join("b.txt"), "old b").unwrap();
        let plan = plan_with(vec![
            create("new/c.txt", "c"),
            create("a.txt", "new a"),
            create("b.txt", "new b"),
        ]);
        let err = plan
            .apply(
                dir.path(),
                ApplyOptions::default(),
                &Printer::new(true, Default::default()),
            )
            .unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        let message = err.to_string();
        assert!(message.contains("2 files already exist"), "{message}");
        assert!(message.contains("a.txt, b.txt"), "{message}");
        assert!(!dir.path().join("new").exists());
        assert_eq!(
            fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "old a"
        );
    }

    #[test]
    fn force_overwrites_and_identical_files_are_no_conflict() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "old").unwrap();
        fs::write(dir.path().join("same.txt"), "same").unwrap();
        let plan = plan_with(vec![create("a.txt", "new"), create("same.txt", "same")]);
        let changes = plan.changes(dir.path(), true).unwrap();
        assert_eq!(changes[0].verb, Verb::Overwriting);
        assert_eq!(changes[1].verb, Verb::Identical);
        let options = ApplyOptions {
            force: true,
            dry_run: false,
        };
        plan.apply(dir.path(), options, &Printer::new(true, Default::default()))
            .unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("a.txt")).unwrap(), "new");
    }

    #[test]
    fn dry_run_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan_with(vec![create("deep/er/file.txt", "x")]);
        let options = ApplyOptions {
            force: false,
            dry_run: true,
        };
        plan.apply(dir.path(), options, &Printer::new(true, Default::default()))
            .unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn injection_sees_files_created_earlier_in_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan_with(vec![
            create("router.rs", "start\n// here\n"),
            Op::Inject {
                path: "router.rs".into(),
                marker: "// here".into(),
                text: "added".into(),
                layout: Layout::Done,
            },
        ]);
        plan.apply(
            dir.path(),
            ApplyOptions::default(),
            &Printer::new(true, Default::default()),
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("router.rs")).unwrap(),
            "start\nadded\n// here\n"
        );
    }

    #[test]
    fn a_missing_marker_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("router.rs"), "no marker\n").unwrap();
        let plan = plan_with(vec![Op::Inject {
            path: "router.rs".into(),
            marker: "// axgen:routes".into(),
            text: "x".into(),
            layout: Layout::Done,
        }]);
        let err = plan.changes(dir.path(), false).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert!(
            err.to_string()
                .contains("marker line `// axgen:routes` is missing")
        );
    }

    #[test]
    fn a_write_that_fails_half_way_restores_every_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "old a").unwrap();
        let plan = plan_with(vec![
            create("a.txt", "new a"),
            create("b/new.txt", "new b"),
            create("c.txt", "new c"),
        ]);
        let before = dir_listing(dir.path());
        let changes = plan.changes(dir.path(), true).unwrap();
        let calls = std::cell::Cell::new(0);
        let err = write_all_with(dir.path(), &changes, |from, to| {
            calls.set(calls.get() + 1);
            if calls.get() == 3 {
                return Err(std::io::Error::other("disk full"));
            }
            fs::rename(from, to)
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"), "{err:#}");
        assert_eq!(calls.get(), 3, "two files were in place before the failure");
        assert_eq!(
            dir_listing(dir.path()),
            before,
            "no file, folder or temporary left"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "old a"
        );
    }

    /// Every path below `dir` with the contents of files.
    fn dir_listing(dir: &Path) -> Vec<(PathBuf, Option<String>)> {
        let mut all: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                let text = e
                    .file_type()
                    .is_file()
                    .then(|| fs::read_to_string(e.path()).unwrap());
                (e.path().to_path_buf(), text)
            })
            .collect();
        all.sort();
        all
    }
}
