//! Generators: each turns its input (a `Resource`, an app name) into a `Plan` of file operations.
//!
//! The resource generators (`gen schema|context|html|json`) share one pipeline, [`run`]: find
//! the project, resolve the spec, load the templates, read the app once ([`App`]), plan, apply.
//! Each layer builds on the one below: [`schema`] (module and migration), [`context`]
//! (functions and their tests), [`web`] (controller, routes and tests) with [`html`]'s pages.

pub mod app;
pub mod auth;
pub mod context;
pub mod edits;
pub mod eject;
pub mod html;
pub mod migration;
pub mod new;
pub mod render;
pub mod schema;
pub mod update;
pub mod web;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::error::UsageError;
use crate::output::Printer;
use crate::plan::{ApplyOptions, Plan};
use crate::project::Project;
use crate::spec::{self, Resource};
use crate::templates::Templates;

pub use app::App;
pub use web::WebKind;

/// A resource generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// `gen schema`: the schema module and its migration.
    Schema,
    /// `gen context`: the context functions on top of the schema.
    Context,
    /// `gen html` or `gen json`: the web layer on top of the context.
    Web(WebKind),
}

impl Generator {
    /// The command's name: `schema`, `context`, `html` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            Generator::Schema => "schema",
            Generator::Context => "context",
            Generator::Web(kind) => kind.name(),
        }
    }
}

/// `axgen gen schema|context|html|json`: validates the request, reads the app once, then
/// plans and applies all-or-nothing.
pub fn run(
    generator: Generator,
    request: &GenRequest,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    if request.update {
        return update::run(generator, request, cwd, printer);
    }
    let spec = request.spec.parse()?;
    check(generator, request, &spec)?;
    let project = Project::find(cwd)?;
    if generator == Generator::Web(WebKind::Html) {
        html::check_app(&project.root)?;
    }
    let mut resource = spec.resolve(project.adapter());
    let templates = Templates::new(Some(&project.root));
    let app = App::read(&project.root, &project.config.app.name, &resource)?;
    app.point_references(&mut resource);
    if request.scoped && generator != Generator::Schema {
        resource.scope = app.scope().filter(|scope| scope.table != resource.table);
    }
    check_scope(&resource, &app)?;
    let generation = Generation {
        resource: &resource,
        app: &app,
        layers: request.layers,
        templates: &templates,
        now: Utc::now(),
    };
    let plan = plan(generator, &generation)?;
    plan.apply(&project.root, request.apply, printer)?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses a request `generator` cannot make, before the app is read.
fn check(generator: Generator, request: &GenRequest, spec: &spec::Spec) -> Result<()> {
    match generator {
        Generator::Schema => schema::check(request)?,
        Generator::Context => context::check(request)?,
        Generator::Web(kind) => {
            let web = spec.web.as_ref().map(|segments| segments.join("."));
            web::check_namespace(kind, web.as_deref())?;
        }
    }
    Ok(())
}

/// Refuses a scoped resource with a field of the scope's column, and a resource referencing
/// a scoped table (its forms would offer, and its pages label, rows of other users).
pub fn check_scope(resource: &Resource, app: &App) -> Result<(), UsageError> {
    if let Some(scope) = &resource.scope
        && resource
            .fields
            .iter()
            .any(|field| field.name == scope.column)
    {
        return Err(UsageError::new(format!(
            "The field \"{}\" is the column that makes each of the {} belong to the logged-in {}, which axgen adds itself",
            scope.column, resource.plural, scope.human
        ))
        .with_hint(format!(
            "leave the field out, or give --no-scope for {} that belong to no {}",
            resource.plural, scope.human
        )));
    }
    for field in &resource.fields {
        let Some(reference) = &field.references else {
            continue;
        };
        if let Some(scope) = app
            .recorded
            .get(&reference.table)
            .and_then(|parent| parent.scope.as_ref())
        {
            return Err(UsageError::new(format!(
                "The field \"{}\" references {}, whose rows belong each to one {}: references to scoped tables are not generated yet",
                field.name, reference.table, scope.human
            ))
            .with_hint(format!(
                "generate {} with --no-scope to reference it, or leave the field out",
                reference.table
            )));
        }
    }
    Ok(())
}

/// What every layer's planner reads: one generation's resource, app, layers and templates.
#[derive(Clone, Copy)]
pub struct Generation<'a> {
    pub resource: &'a Resource,
    /// The app as read before planning.
    pub app: &'a App,
    pub layers: Layers,
    pub templates: &'a Templates,
    /// The time that dates the migration.
    pub now: DateTime<Utc>,
}

/// The plan of `generator` for one generation, its Rust laid out by one rustfmt process.
pub fn plan(generator: Generator, generation: &Generation) -> Result<Plan> {
    let plan = laid_out(generator, generation)?;
    context::refuse_other_functions(&plan, generation.resource, generation.app)?;
    Ok(plan)
}

/// The plan of `generator` for one generation, laid out, before it is checked against the
/// app's context modules ([`update`] plans the resource as it was and as it becomes).
pub fn laid_out(generator: Generator, generation: &Generation) -> Result<Plan> {
    let mut plan = match generator {
        Generator::Schema => schema::plan(generation),
        Generator::Context => context::plan(generation, "context"),
        Generator::Web(kind) => web::plan(kind, generation),
    }?;
    plan.format(&generation.app.root)?;
    Ok(plan)
}

/// The layers a resource generator writes below its own; `--no-context`, `--no-schema` and
/// `--no-migration` turn them off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// The context functions (`gen html|json`).
    pub context: bool,
    /// The schema module.
    pub schema: bool,
    /// The migration creating the table.
    pub migration: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            context: true,
            schema: true,
            migration: true,
        }
    }
}

/// What a resource generator (`gen html|json|context|schema`) is asked for, in the domain's
/// terms: the resource, the layers to write and how to apply the plan.
#[derive(Debug, Clone)]
pub struct GenRequest {
    pub spec: spec::Request,
    pub layers: Layers,
    pub apply: ApplyOptions,
    /// `--update`: regenerate the recorded resource of the table with this field list.
    pub update: bool,
    /// Whether, in an app with auth, the rows belong to the logged-in user (not
    /// `--no-scope`); `gen schema` is never scoped.
    pub scoped: bool,
}
