//! `gen html|json|context|schema --update`: regenerates a resource axgen recorded, with a
//! changed field list. One migration for the difference ([`migration::plan_update`]), and
//! every file the generator wrote merged three ways: as axgen wrote it from the recorded spec,
//! as the user has it now, and as axgen writes it from the new spec, so the user's edits stay.
//! Where an edit and the update touch the same lines, nothing is written and every conflict
//! is listed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::Utc;

use super::migration::{self, UpdatedFields};
use super::{App, GenRequest, Generation, Generator, Layers, WebKind, html, laid_out};
use crate::error::UsageError;
use crate::output::Printer;
use crate::plan::{ApplyOptions, Op, Plan};
use crate::project::Project;
use crate::spec::field::DEFAULT_PREFIX;
use crate::spec::{Kind, Request, Resource, field_spec};
use crate::templates::Templates;

/// How a resource's fields changed: what `--update` turns into a migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldDiff {
    /// Fields only the new spec has, as specs: `view_count:integer:default=0`.
    pub added: Vec<String>,
    /// Fields only the recorded spec has, as recorded.
    pub removed: Vec<String>,
    /// Fields both have, with another type or other modifiers: as recorded, as given.
    pub changed: Vec<(String, String)>,
}

impl FieldDiff {
    /// The difference from `recorded`'s fields to `updated`'s, by name: a field renamed is one
    /// removed and one added.
    pub fn between(recorded: &Resource, updated: &Resource) -> FieldDiff {
        let mut diff = FieldDiff::default();
        for field in &updated.fields {
            match recorded.fields.iter().find(|f| f.name == field.name) {
                None => diff.added.push(field_spec(field)),
                Some(was) if field_spec(was) != field_spec(field) => {
                    diff.changed.push((field_spec(was), field_spec(field)));
                }
                Some(_) => {}
            }
        }
        for field in &recorded.fields {
            if !updated.fields.iter().any(|f| f.name == field.name) {
                diff.removed.push(field_spec(field));
            }
        }
        diff
    }

    /// Whether the table changes at all.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Where the user's edits and the update change the same lines of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub path: PathBuf,
    /// The first line of the user's side of it, from 1.
    pub line: usize,
}

/// The three-way merge of one file: `edited` (the user's) with the change from `generated`
/// (what axgen wrote before) to `regenerated` (what it writes now). On a conflict, the line
/// of each one in `edited`.
pub fn merge(generated: &str, edited: &str, regenerated: &str) -> Result<String, Vec<usize>> {
    let conflicted = match diffy::merge(generated, edited, regenerated) {
        Ok(merged) => return Ok(merged),
        Err(conflicted) => conflicted,
    };
    let edited_lines: Vec<&str> = edited.lines().collect();
    let mut lines = Vec::new();
    let mut from = 0;
    let mut output = conflicted.lines().enumerate();
    while let Some((at, line)) = output.next() {
        if !line.starts_with("<<<<<<<") {
            continue;
        }
        // The user's side, up to the separator: find it in their file, after the last one.
        let ours: Vec<&str> = output
            .by_ref()
            .map(|(_, line)| line)
            .take_while(|line| !line.starts_with("======="))
            .collect();
        let found = (from..=edited_lines.len().saturating_sub(ours.len()))
            .find(|&start| edited_lines[start..].starts_with(&ours));
        let line = found.map_or(at + 1, |start| start + 1);
        from = found.map_or(from, |start| start + ours.len().max(1));
        lines.push(line);
    }
    Err(lines)
}

/// `gen <generator> ... --update`: checks the request against the resource recorded for its
/// table, then plans the migration and the merged files, and applies them all-or-nothing.
pub fn run(
    generator: Generator,
    request: &GenRequest,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let given = request.spec.parse()?;
    super::check(generator, request, &given)?;
    let project = Project::find(cwd)?;
    if generator == Generator::Web(WebKind::Html) {
        html::check_app(&project.root)?;
    }
    let adapter = project.adapter();
    let templates = Templates::new(Some(&project.root));
    let app = App::read(
        &project.root,
        &project.config.app.name,
        &given.resolve(adapter),
    )?;
    let (recorded_request, command) = recorded_request(&request.spec, &app)?;
    let recorded_generator = command.split_whitespace().nth(1).unwrap_or_default();
    if recorded_generator == "auth" {
        return Err(UsageError::new(format!(
            "{} was generated by `axgen gen auth`, whose files --update does not regenerate",
            request.spec.plural
        ))
        .with_hint(format!(
            "add a column with `axgen gen migration add_<field>_to_{} <field>:<type>` and edit the code by hand",
            request.spec.plural
        ))
        .into());
    }
    if recorded_generator != generator.name() {
        return Err(UsageError::new(format!(
            "{} was generated by `axgen gen {recorded_generator}`, so `gen {} --update` would not find the files it wrote",
            request.spec.plural,
            generator.name()
        ))
        .with_hint(format!(
            "update it with `axgen gen {recorded_generator} ... --update`"
        ))
        .into());
    }
    let updated_request = keep_recorded_names(&request.spec, &recorded_request, command)?;
    let mut recorded = recorded_request.parse()?.resolve(adapter);
    let mut updated = updated_request.parse()?.resolve(adapter);
    app.point_references(&mut recorded);
    app.point_references(&mut updated);
    // Scoped as recorded: the table's owner column stays as it is.
    recorded.scope = app
        .recorded
        .get(&recorded.table)
        .and_then(|r| r.scope.clone());
    updated.scope = recorded.scope.clone();
    super::check_scope(&updated, &app)?;
    let diff = FieldDiff::between(&recorded, &updated);
    let now = Utc::now();
    let layers = Layers {
        context: true,
        schema: true,
        migration: false,
    };
    let generation = |resource| Generation {
        resource,
        app: &app,
        layers,
        templates: &templates,
        now,
    };
    let before = laid_out(generator, &generation(&recorded))?;
    let after = laid_out(generator, &generation(&updated))?;
    let mut plan = Plan::default();
    if !diff.is_empty() {
        let removed = refillable(&recorded, &diff.removed);
        let changed: Vec<String> = (diff.changed.iter())
            .map(|(_, now)| now.split(':').next().unwrap_or_default().to_string())
            .collect();
        let fields = UpdatedFields {
            added: &diff.added,
            removed: &removed,
            changed: &changed,
        };
        plan.append(migration::plan_update(
            &recorded,
            &updated,
            fields,
            &app.recorded,
            &project.root,
            now,
            &templates,
        )?);
    }
    let merged = merge_plans(&project.root, &before, &after)?;
    if request.apply.dry_run {
        print_dry_run(&plan, &merged, printer);
    }
    for file in &merged {
        plan.create(&file.path, file.merged.clone());
    }
    if plan.ops.is_empty() {
        printer.line(&format!(
            "{} already has these fields and its files are up to date: nothing to update.",
            updated.table
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let apply = ApplyOptions {
        force: true,
        dry_run: request.apply.dry_run,
    };
    plan.apply(&project.root, apply, printer)?;
    Ok(ExitCode::SUCCESS)
}

/// The removed fields as the rollback adds them back: a required column without a default
/// comes back holding its type's empty value (`''`, `0`, `false`, an enum's first value) in
/// every row, since the data itself is gone; other required columns stay as recorded (and
/// `gen migration`'s checks refuse them).
fn refillable(recorded: &Resource, removed: &[String]) -> Vec<String> {
    removed
        .iter()
        .map(|spec| {
            let field = recorded.fields.iter().find(|f| field_spec(f) == *spec);
            let empty = field
                .filter(|f| !f.optional && f.default.is_none() && !f.unique)
                .and_then(|f| match f.kind {
                    Kind::String | Kind::Text => Some(String::new()),
                    Kind::Integer | Kind::Bigint | Kind::Float | Kind::Decimal => Some("0".into()),
                    Kind::Boolean => Some("false".into()),
                    Kind::Enum => f.enum_values.first().cloned(),
                    _ => None,
                });
            match empty {
                Some(value) => format!("{spec}:{DEFAULT_PREFIX}{value}"),
                None => spec.clone(),
            }
        })
        .collect()
}

/// The request recorded for the table the given request names (by its `--table`, else its
/// plural), and the command that records it.
fn recorded_request<'a>(given: &Request, app: &'a App) -> Result<(Request, &'a str)> {
    let table = given.options.table.as_ref().unwrap_or(&given.plural);
    let command = app.commands.get(table).or_else(|| {
        app.recorded
            .iter()
            .find(|(_, resource)| resource.plural == given.plural)
            .and_then(|(table, _)| app.commands.get(table))
    });
    let Some(command) = command else {
        return Err(UsageError::new(format!(
            "--update needs a resource axgen generated for the table {table}, and no schema module of the app records one"
        ))
        .with_hint("generate it without --update first")
        .into());
    };
    let request = Request::from_recorded(command)
        .with_context(|| format!("reading the recorded command `axgen {command}`"))?;
    Ok((request, command))
}

/// The given request with the recorded one's names, table, ids and namespace where it gives
/// none; refuses one that gives other ones: `--update` changes fields, not names.
fn keep_recorded_names(
    given: &Request,
    recorded: &Request,
    command: &str,
) -> Result<Request, UsageError> {
    let mut updated = given.clone();
    let options = &mut updated.options;
    let kept = &recorded.options;
    options.table = options.table.take().or_else(|| kept.table.clone());
    options.web = options.web.take().or_else(|| kept.web.clone());
    options.primary_key = options
        .primary_key
        .take()
        .or_else(|| kept.primary_key.clone());
    options.label = options.label.take().or_else(|| kept.label.clone());
    options.binary_id |= kept.binary_id;
    let differs = [
        ("context", updated.context != recorded.context),
        ("schema", updated.schema != recorded.schema),
        ("plural", updated.plural != recorded.plural),
        ("--table", options.table != kept.table),
        ("--web", options.web != kept.web),
        ("--primary-key", options.primary_key != kept.primary_key),
    ];
    if let Some((what, _)) = differs.iter().find(|(_, differs)| *differs) {
        return Err(UsageError::new(format!(
            "--update changes a resource's fields, not its {what}: give it as recorded, `axgen {command}`"
        ))
        .with_hint("to rename a resource, generate the new one and move the code by hand"));
    }
    Ok(updated)
}

/// One file as the update leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MergedFile {
    path: PathBuf,
    /// As the user has it.
    current: String,
    /// With the update merged in.
    merged: String,
}

/// Merges what `after` writes into the app's files at `root`, against what `before` wrote
/// there: the files that change, or every conflict as one usage error.
fn merge_plans(root: &Path, before: &Plan, after: &Plan) -> Result<Vec<MergedFile>> {
    let mut files: BTreeMap<PathBuf, (String, String)> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut conflicts = Vec::new();
    for (index, op) in after.ops.iter().enumerate() {
        let path = op.path().to_path_buf();
        // The nth operation at a place (blocks injected before one marker) was the nth.
        let nth = after.ops[..index]
            .iter()
            .filter(|other| same_place(other, op))
            .count();
        let was = before.ops.iter().filter(|was| same_place(was, op)).nth(nth);
        let file = match files.get(&path) {
            Some((current, merged)) => Some((current.clone(), merged.clone())),
            None => read(&root.join(&path))?.map(|text| (text.clone(), text)),
        };
        let Some((current, text)) = file else {
            match (was, op) {
                (None, Op::Create { contents, .. }) => {
                    files.insert(path, (String::new(), contents.clone()));
                }
                _ => missing.push(path),
            }
            continue;
        };
        let merged = match (was, op) {
            (Some(Op::Create { contents: was, .. }), Op::Create { contents, .. }) => {
                merge(was, &text, contents)
            }
            (
                Some(Op::Inject { text: was, .. }),
                Op::Inject {
                    marker,
                    text: injected,
                    ..
                },
            ) => merge_injected(&text, marker, was, injected),
            (None, Op::Create { contents, .. }) if *contents == text => Ok(text),
            (None, Op::Create { .. }) => Err(vec![1]),
            (
                None,
                Op::Inject {
                    marker, text: new, ..
                },
            ) => Ok(crate::plan::inject(&text, marker, new).unwrap_or(text)),
            _ => Ok(text),
        };
        match merged {
            Ok(merged) => {
                files.insert(path, (current, merged));
            }
            Err(lines) => conflicts.extend(lines.into_iter().map(|line| Conflict {
                path: path.clone(),
                line,
            })),
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        return Err(UsageError::new(format!(
            "--update merges into the files the resource's generator wrote, and these are gone: {}",
            list.join(", ")
        ))
        .with_hint("bring them back (e.g. from version control), or generate the resource again without --update")
        .into());
    }
    if !conflicts.is_empty() {
        let list: Vec<String> = conflicts
            .iter()
            .map(|c| format!("{}:{}", c.path.display(), c.line))
            .collect();
        return Err(UsageError::new(format!(
            "your edits and the update change the same lines in {} place{}, so nothing was written: {}",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            list.join(", ")
        ))
        .with_hint("undo or move those edits and run the update again, or make the change by hand")
        .into());
    }
    Ok(files
        .into_iter()
        .filter(|(_, (current, merged))| current != merged)
        .map(|(path, (current, merged))| MergedFile {
            path,
            current,
            merged,
        })
        .collect())
}

/// Whether `was` (of the plan before) writes where `op` (of the plan after) does: the same
/// file, and for an injection the same marker.
fn same_place(was: &Op, op: &Op) -> bool {
    match (was, op) {
        (Op::Create { path: a, .. }, Op::Create { path: b, .. }) => a == b,
        (
            Op::Inject {
                path: a, marker: m, ..
            },
            Op::Inject {
                path: b, marker: n, ..
            },
        ) => a == b && m == n,
        _ => false,
    }
}

/// `text` with the block injected before `marker` changed from `was` to `now`: replaced where
/// the file has it as injected, else merged three ways within the lines the block spans in
/// the file (from its first line found once in both to its last one), since other blocks,
/// injected later, may follow it before the marker.
fn merge_injected(text: &str, marker: &str, was: &str, now: &str) -> Result<String, Vec<usize>> {
    if was == now {
        return Ok(text.to_string());
    }
    let Some(marker_line) = text.lines().find(|line| line.contains(marker)) else {
        return Err(vec![1]);
    };
    let marker_line = format!("{marker_line}\n");
    let block = |injected: &str| {
        let with_marker = crate::plan::inject(&marker_line, marker, injected)?;
        Some(with_marker.strip_suffix(&marker_line)?.to_string())
    };
    let (Some(was), Some(now)) = (block(was), block(now)) else {
        return Err(vec![1]);
    };
    if !was.is_empty() && text.matches(&was).count() == 1 {
        return Ok(text.replacen(&was, &now, 1));
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let was_lines: Vec<&str> = was.split_inclusive('\n').collect();
    let Some((start, end)) = span(&lines, &was_lines) else {
        let first = was.lines().next().unwrap_or_default();
        let line = lines
            .iter()
            .position(|l| l.trim_end() == first)
            .unwrap_or(0);
        return Err(vec![line + 1]);
    };
    let merged = merge(&was, &lines[start..end].concat(), &now).map_err(|conflicts| {
        conflicts
            .into_iter()
            .map(|line| line + start)
            .collect::<Vec<_>>()
    })?;
    Ok([lines[..start].concat(), merged, lines[end..].concat()].concat())
}

/// The lines `block` spans in `lines`, as `start..end`: placed by its first and its last line
/// that are not blank and appear once in each.
fn span(lines: &[&str], block: &[&str]) -> Option<(usize, usize)> {
    let once = |all: &[&str], line: &str| all.iter().filter(|l| **l == line).count() == 1;
    let anchor = |at: &usize| {
        let line = block[*at];
        !line.trim().is_empty() && once(block, line) && once(lines, line)
    };
    let position = |line: &str| lines.iter().position(|l| *l == line);
    let first = (0..block.len()).find(anchor)?;
    let last = (0..block.len()).rev().find(anchor)?;
    let start = position(block[first])?.checked_sub(first)?;
    let end = position(block[last])? + (block.len() - last);
    (start < end && end <= lines.len()).then_some((start, end))
}

/// A file's text, or `None` when it does not exist.
fn read(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

/// `--dry-run`: the migration's files in full, then a unified diff of every merged file.
fn print_dry_run(migration: &Plan, merged: &[MergedFile], printer: &Printer) {
    for op in &migration.ops {
        if let Op::Create { path, contents, .. } = op {
            printer.heading(&format!("==> {} (new)", path.display()));
            printer.line(contents.trim_end());
            printer.line("");
        }
    }
    for file in merged {
        let patch = diffy::create_patch(&file.current, &file.merged);
        let path = file.path.display();
        printer.line(&format!("--- a/{path}\n+++ b/{path}"));
        let text = patch.to_string();
        // The patch's own header names no file: skip it for the one above.
        let hunks = text
            .split_once("\n@@")
            .map_or(text.as_str(), |(_, rest)| rest);
        printer.line(&format!("@@{}", hunks.trim_end()));
        printer.line("");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::Adapter;

    fn resource(fields: &[&str]) -> Resource {
        let words: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        Request {
            context: Some("Medias".into()),
            schema: "Video".into(),
            plural: "videos".into(),
            fields: words,
            options: Default::default(),
        }
        .parse()
        .unwrap()
        .resolve(Adapter::Sqlite)
    }

    #[test]
    fn the_difference_is_added_removed_and_changed_fields_by_name() {
        let recorded = resource(&["url:string", "title:string", "description:text"]);
        let updated = resource(&[
            "url:string",
            "headline:string",
            "description:string",
            "view_count:integer:default=0",
        ]);
        let diff = FieldDiff::between(&recorded, &updated);
        assert_eq!(
            diff.added,
            ["headline:string", "view_count:integer:default=0"]
        );
        assert_eq!(diff.removed, ["title:string"]);
        assert_eq!(
            diff.changed,
            [(
                "description:text".to_string(),
                "description:string".to_string()
            )]
        );
        assert!(FieldDiff::between(&recorded, &recorded).is_empty());
    }

    const GENERATED: &str = "fn changeset() {\n    validate_required();\n}\n\nfn show() {\n    title();\n    body();\n}\n";

    #[test]
    fn an_edit_next_to_a_changed_line_survives_the_merge() {
        let edited = GENERATED.replace(
            "    validate_required();\n",
            "    validate_required();\n    validate_length(\"title\", 3);\n",
        );
        let regenerated = GENERATED.replace("    body();\n", "    body();\n    view_count();\n");
        let merged = merge(GENERATED, &edited, &regenerated).unwrap();
        assert!(
            merged.contains("validate_length(\"title\", 3);"),
            "{merged}"
        );
        assert!(merged.contains("view_count();"), "{merged}");
    }

    #[test]
    fn an_edit_of_a_changed_line_is_a_conflict_at_its_line() {
        let edited = GENERATED.replace("    body();\n", "    body_as_markdown();\n");
        let regenerated = GENERATED.replace("    body();\n", "    body();\n    view_count();\n");
        assert_eq!(merge(GENERATED, &edited, &regenerated), Err(vec![7]));
    }

    #[test]
    fn an_injected_block_is_replaced_where_it_is_as_injected_and_merged_where_edited() {
        let file = "use a;\n\nfn list() {}\n\nfn other() {}\n\n// axgen:functions\n";
        let merged = merge_injected(
            file,
            "// axgen:functions",
            "fn list() {}\n\n",
            "fn list() {}\n\nfn list_for_user() {}\n\n",
        )
        .unwrap();
        assert_eq!(
            merged,
            "use a;\n\nfn list() {}\n\nfn list_for_user() {}\n\nfn other() {}\n\n// axgen:functions\n"
        );
        let edited =
            "use a;\n\nfn list() {}\n// mine\nfn get() {}\n\nfn other() {}\n\n// axgen:functions\n";
        let merged = merge_injected(
            edited,
            "// axgen:functions",
            "fn list() {}\nfn get() {}\n\n",
            "fn list() {}\nfn get() {}\n\nfn count() {}\n\n",
        )
        .unwrap();
        assert!(
            merged.contains("// mine\nfn get() {}\n\nfn count() {}\n"),
            "{merged}"
        );
    }
}
