//! Declarations of generated modules: insertions before marker lines of `src/lib.rs`,
//! context and namespace modules, gathered per file so each file gets one operation.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::plan::{self, Plan};

/// Insertions into module files (`src/lib.rs`, context and namespace modules), one
/// operation per file in the end: a file that does not exist yet is created with its
/// insertions already in place.
#[derive(Debug, Default)]
pub struct ModuleEdits {
    files: Vec<ModuleFile>,
}

#[derive(Debug)]
struct ModuleFile {
    path: PathBuf,
    /// The contents to create the file with when it does not exist.
    bare: Option<String>,
    /// The insertions in order.
    insertions: Vec<Insertion>,
}

#[derive(Debug)]
struct Insertion {
    marker: String,
    text: String,
    /// Rust items for rustfmt to lay out.
    rust: bool,
}

impl ModuleEdits {
    /// Inserts `text` before the line `marker` of `path`.
    pub fn insert(&mut self, path: impl AsRef<Path>, marker: &str, text: String) {
        self.push(path.as_ref(), marker, text, false);
    }

    /// Inserts Rust items `text` before the line `marker` of `path`, laid out by rustfmt
    /// with the rest of the plan ([`Plan::format`]).
    pub fn insert_rust(&mut self, path: impl AsRef<Path>, marker: &str, text: String) {
        self.push(path.as_ref(), marker, text, true);
    }

    fn push(&mut self, path: &Path, marker: &str, text: String, rust: bool) {
        self.file(path).insertions.push(Insertion {
            marker: marker.to_string(),
            text,
            rust,
        });
    }

    /// Creates `path` with `bare` (then the insertions) unless it exists.
    pub fn create_if_missing(&mut self, path: impl AsRef<Path>, bare: String) {
        let file = self.file(path.as_ref());
        file.bare.get_or_insert(bare);
    }

    fn file(&mut self, path: &Path) -> &mut ModuleFile {
        let index = match self.files.iter().position(|f| f.path == path) {
            Some(index) => index,
            None => {
                self.files.push(ModuleFile {
                    path: path.to_path_buf(),
                    bare: None,
                    insertions: Vec::new(),
                });
                self.files.len() - 1
            }
        };
        &mut self.files[index]
    }

    /// Adds the edits to `plan`: injections into files under `root` that exist, a creation
    /// for each that does not (laid out by rustfmt as a whole when it has Rust insertions).
    pub fn plan(self, plan: &mut Plan, root: &Path) -> Result<()> {
        for file in self.files {
            match file.bare.filter(|_| !root.join(&file.path).exists()) {
                Some(bare) => {
                    let contents = file.insertions.iter().try_fold(bare, |text, insertion| {
                        let marker = &insertion.marker;
                        plan::inject(&text, marker, &insertion.text).ok_or_else(|| {
                            anyhow::anyhow!(
                                "the template of {} has no `{marker}` line",
                                file.path.display()
                            )
                        })
                    })?;
                    if file.insertions.iter().any(|insertion| insertion.rust) {
                        plan.create_rust(&file.path, contents);
                    } else {
                        plan.create(&file.path, contents);
                    }
                }
                None => {
                    for Insertion { marker, text, rust } in file.insertions {
                        if rust {
                            plan.inject_rust(&file.path, marker, text);
                        } else {
                            plan.inject(&file.path, marker, text);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::render::{CONTEXTS_MARKER, LIB_RS};

    #[test]
    fn module_edits_create_missing_files_with_their_insertions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join(LIB_RS), "// axgen:contexts\n").unwrap();
        let mut edits = ModuleEdits::default();
        edits.insert(LIB_RS, CONTEXTS_MARKER, "pub mod blog;".into());
        edits.create_if_missing("src/blog.rs", "//! x\n// m\n".into());
        edits.insert("src/blog.rs", "// m", "pub mod post;".into());
        let mut plan = Plan::default();
        edits.plan(&mut plan, dir.path()).unwrap();
        assert_eq!(
            plan.ops,
            [
                plan::Op::Inject {
                    path: LIB_RS.into(),
                    marker: CONTEXTS_MARKER.into(),
                    text: "pub mod blog;".into(),
                    layout: plan::Layout::Done,
                },
                plan::Op::Create {
                    path: "src/blog.rs".into(),
                    contents: "//! x\npub mod post;\n// m\n".into(),
                    rustfmt: false,
                },
            ]
        );
    }
}
