//! `axgen templates eject`: copies embedded generator templates into the app to edit; the app's
//! copies then shadow the embedded ones. Never overwrites a file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::error::UsageError;
use crate::output::{Printer, Verb};
use crate::plan::{ApplyOptions, Plan};
use crate::project::Project;
use crate::templates::{self, OVERRIDE_DIR};

/// Ejects the templates of `generator` (all generators when `None`) into the app around `cwd`.
pub fn run(generator: Option<&str>, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    let project = Project::find(cwd)?;
    let names = match generator {
        Some(name) => {
            let known = templates::generators();
            if !known.iter().any(|g| g == name) {
                return Err(UsageError::new(format!(
                    "there is no generator named \"{name}\"; the generators with templates are: {}",
                    known.join(", ")
                ))
                .with_hint(format!("try `axgen templates eject {}`", known[0]))
                .into());
            }
            templates::embedded_names(name)
        }
        None => templates::all_embedded_names(),
    };
    let mut plan = Plan::default();
    for name in names {
        let target = PathBuf::from(OVERRIDE_DIR).join(&name);
        if project.root.join(&target).exists() {
            printer.action(
                Verb::Skipping,
                &format!("{} (already there)", target.display()),
            );
            continue;
        }
        if let Some(source) = templates::embedded_source(&name) {
            plan.create(target, source);
        }
    }
    plan.next_steps = vec![format!(
        "Edit the templates in {OVERRIDE_DIR}/: axgen uses them instead of its own from now on."
    )];
    plan.apply(&project.root, ApplyOptions::default(), printer)?;
    Ok(ExitCode::SUCCESS)
}
