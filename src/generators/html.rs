//! `axgen gen html`: a resource's browser pages (controller, page templates and HTTP tests)
//! on top of its context, schema and migration, as `mix phx.gen.html` does.
//!
//! The web layer of `gen json` is planned the same way ([`WebKind`]); this module holds what
//! both share: the names of the files, the controller's place in the app's module tree and
//! router, and the composition with the data layer into one all-or-nothing plan.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Utc};
use minijinja::Value;
use minijinja::value::Serde;
use serde::Serialize;

use crate::cli::{Adapter, GenOptions, GenResourceArgs};
use crate::error::UsageError;
use crate::generators::context::{self, ContextOptions, Fixture, FixtureCall};
use crate::generators::schema::{self, FieldModel, Model, Target};
use crate::output::Printer;
use crate::plan::{ApplyOptions, Plan};
use crate::project::Project;
use crate::spec::{self, Field, Resource};
use crate::sql::{self, Codec};
use crate::templates::Templates;

/// Which web layer a generator plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebKind {
    /// Browser pages: `gen html`.
    Html,
    /// The JSON API under `/api`: `gen json`.
    Json,
}

impl WebKind {
    /// The command and template folder: `html` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            WebKind::Html => "html",
            WebKind::Json => "json",
        }
    }

    /// The folder of the controllers, from the app's root.
    fn controllers_dir(self) -> &'static str {
        match self {
            WebKind::Html => "src/web",
            WebKind::Json => "src/web/api",
        }
    }

    /// The line of `src/web/mod.rs` (html) or `src/web/api/mod.rs` (json) before which
    /// controller modules are declared.
    fn modules_marker(self) -> &'static str {
        match self {
            WebKind::Html => CONTROLLERS_MARKER,
            WebKind::Json => "// axgen:api-controllers",
        }
    }

    /// The line of `src/web/mod.rs` before which the controller's routes are merged.
    fn routes_marker(self) -> &'static str {
        match self {
            WebKind::Html => "// axgen:routes",
            WebKind::Json => "// axgen:api-routes",
        }
    }
}

/// The marker of a controllers module: `src/web/mod.rs` and namespace modules.
const CONTROLLERS_MARKER: &str = "// axgen:controllers";

/// The file holding the app's router.
const ROUTER_FILE: &str = "src/web/mod.rs";

/// A file only apps with browser pages have (`axgen new` without `--no-html`).
const VIEW_FILE: &str = "src/web/view.rs";

/// The pagination module every index uses, written by `axgen new`.
const PAGE_FILE: &str = "src/web/page.rs";

/// The names of a resource's web layer, computed once for the templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebNames {
    /// `html` or `json`.
    pub kind: WebKind,
    /// The controller module: `post_controller`.
    pub controller: String,
    /// Its path from `crate::web`: `post_controller`, `admin::post_controller`,
    /// `api::admin::post_controller`.
    pub controller_path: String,
    /// Its file: `src/web/post_controller.rs`, `src/web/api/admin/post_controller.rs`.
    pub controller_file: String,
    /// The folder of its page templates below `templates/`: `posts`, `admin/posts`.
    pub template_dir: String,
    /// The test file: `tests/post_controller.rs`, `tests/api_admin_post_controller.rs`.
    pub test_file: String,
    /// The test binary's name: the test file's stem.
    pub test_name: String,
}

impl WebNames {
    /// The names of `resource`'s `kind` layer.
    pub fn new(kind: WebKind, resource: &Resource) -> WebNames {
        let controller = [resource.singular.as_str(), "controller"].join("_");
        let namespace = resource.web.as_ref().map(|w| w.module.as_str());
        let api = (kind == WebKind::Json).then_some("api");
        let modules: Vec<&str> = api
            .into_iter()
            .chain(namespace)
            .chain([controller.as_str()])
            .collect();
        let dirs: Vec<&str> = namespace
            .into_iter()
            .chain([resource.plural.as_str()])
            .collect();
        let test_name = modules.join("_");
        WebNames {
            kind,
            controller_path: modules.join("::"),
            controller_file: ["src/web/", &modules.join("/"), ".rs"].concat(),
            template_dir: dirs.join("/"),
            test_file: ["tests/", &test_name, ".rs"].concat(),
            test_name,
            controller,
        }
    }
}

/// What a select of references offers: the ids of the referenced table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceOptions {
    /// The field: `user_id`.
    pub name: String,
    /// The referenced table: `users`.
    pub table: String,
    /// The function and template variable holding the ids: `user_id_options`.
    pub options: String,
    /// The Rust type an id is read as: `i64`, `uuid::Uuid`, or `String` where the driver
    /// stores UUIDs as text.
    pub option_type: String,
    /// The placeholder of the query's one parameter, its `LIMIT`.
    pub param: String,
}

impl ReferenceOptions {
    fn new(adapter: Adapter, field: &Field) -> Option<ReferenceOptions> {
        let reference = field.references.as_ref()?;
        let option_type = match sql::codec(adapter, field) {
            Codec::Text => "String".to_string(),
            Codec::Native | Codec::Json => reference.rust_type.clone(),
        };
        Some(ReferenceOptions {
            name: field.name.clone(),
            table: reference.table.clone(),
            options: [field.name.as_str(), "options"].join("_"),
            option_type,
            param: sql::limit_placeholder(adapter, 1),
        })
    }
}

/// The context every web template gets.
#[derive(Debug, Clone, Serialize)]
struct WebContext<'a> {
    /// The app's crate name, for its tests: `blog`.
    app: &'a str,
    resource: &'a Resource,
    web: &'a WebNames,
    /// The selects of references in forms (html).
    refs: Vec<ReferenceOptions>,
    /// What the tests need.
    tests: TestModel<'a>,
}

/// Plans the web layer of `kind` for `resource` in the app at `target`: the controller, its
/// page templates (html) and tests, and the lines that declare the controller and merge its
/// routes into the router.
pub fn plan_web(
    kind: WebKind,
    resource: &Resource,
    target: Target,
    templates: &Templates,
) -> Result<Plan> {
    if resource.context.is_none() {
        return Err(UsageError::new("a context is needed to generate a web layer").into());
    }
    let names = WebNames::new(kind, resource);
    let model = Model::new(resource, target.app, kind.name());
    let context = WebContext {
        app: target.app,
        resource,
        web: &names,
        refs: resource
            .fields
            .iter()
            .filter_map(|field| ReferenceOptions::new(resource.adapter, field))
            .collect(),
        tests: TestModel::new(&model, target.root)?,
    };
    let folder = kind.name();
    let name = |template: &str| [folder, "/", template].concat();
    let rust =
        |template: &str| schema::render_rust(templates, &name(template), &context, target.root);
    let mut plan = Plan::default();
    plan.create(&names.controller_file, rust("controller.rs.jinja")?);
    if kind == WebKind::Html {
        for page in PAGES {
            let file = [page, ".html"].concat();
            let path = Path::new("templates").join(&names.template_dir).join(&file);
            let template = name(&["templates/", &file, ".jinja"].concat());
            plan.create(path, schema::render(templates, &template, &context)?);
        }
    }
    plan.create(&names.test_file, rust("controller_test.rs.jinja")?);
    if !target.root.join(PAGE_FILE).is_file() {
        add_page_module(&mut plan, templates)?;
    }
    declare_controller(&mut plan, kind, resource, target.root, &names, templates)?;
    plan.inject(
        ROUTER_FILE,
        kind.routes_marker(),
        templates.render("html/merge_routes.rs.jinja", &Value::from(Serde(&names)))?,
    );
    plan.next_steps = next_steps(kind, resource, &names);
    Ok(plan)
}

/// The page templates of `gen html`, each in `templates/<plural>/<page>.html`.
const PAGES: [&str; 5] = ["index", "show", "new", "edit", "form"];

/// Declares the controller module: in the controllers' module, or in the namespace module of
/// `--web`, which is created (and declared) when the app does not have it yet.
fn declare_controller(
    plan: &mut Plan,
    kind: WebKind,
    resource: &Resource,
    root: &Path,
    names: &WebNames,
    templates: &Templates,
) -> Result<()> {
    let parent_file = Path::new(kind.controllers_dir()).join("mod.rs");
    let module_line = |module: &str| {
        templates.render("html/module_line.rs.jinja", &minijinja::context! { module })
    };
    let (Some(namespace), Some(namespace_file)) = (&resource.web, namespace_file(kind, resource))
    else {
        plan.inject(
            parent_file,
            kind.modules_marker(),
            module_line(&names.controller)?,
        );
        return Ok(());
    };
    if !root.join(&namespace_file).is_file() {
        let context =
            minijinja::context! { kind => kind.name(), namespace => Value::from(Serde(namespace)) };
        plan.create(
            &namespace_file,
            templates.render("html/namespace.rs.jinja", &context)?,
        );
    }
    plan.inject(
        parent_file,
        kind.modules_marker(),
        module_line(&namespace.module)?,
    );
    plan.inject(
        namespace_file,
        CONTROLLERS_MARKER,
        module_line(&names.controller)?,
    );
    Ok(())
}

/// Writes the pagination module that `axgen new` writes, and declares it, into an app made
/// before apps had it.
fn add_page_module(plan: &mut Plan, templates: &Templates) -> Result<()> {
    let page = ["new/", PAGE_FILE].concat();
    plan.create(PAGE_FILE, templates.render(&page, &Value::UNDEFINED)?);
    let module_line = templates.render(
        "html/module_line.rs.jinja",
        &minijinja::context! { module => "page" },
    )?;
    plan.inject(ROUTER_FILE, CONTROLLERS_MARKER, module_line);
    Ok(())
}

/// The path of the namespace module of `--web` for `kind`, from the app's root.
fn namespace_file(kind: WebKind, resource: &Resource) -> Option<PathBuf> {
    resource.web.as_ref().map(|namespace| {
        Path::new(kind.controllers_dir())
            .join(&namespace.module)
            .join("mod.rs")
    })
}

/// What is left to do by hand for the web layer: nothing, as routes are injected, unless a
/// required field has no form input.
fn next_steps(kind: WebKind, resource: &Resource, names: &WebNames) -> Vec<String> {
    let mut steps = Vec::new();
    if kind != WebKind::Html {
        return steps;
    }
    for field in resource
        .fields
        .iter()
        .filter(|f| !f.optional && f.input == "none")
    {
        steps.extend([
            String::new(),
            [
                "The ",
                &field.kind,
                " field ",
                &field.name,
                " has no form input, so the form of ",
                &names.controller_file,
                " can only create ",
                &resource.human_plural.to_lowercase(),
                " once it is :optional or set elsewhere (the JSON API, a context function).",
            ]
            .concat(),
        ]);
    }
    steps
}

/// Valid, updated and invalid values for the controller's tests, and the rows of referenced
/// tables they insert first (as the context's tests do, see [`context::test_model`]).
#[derive(Debug, Clone, Serialize)]
struct TestModel<'a> {
    /// Every field, with its values.
    fields: Vec<TestField<'a>>,
    /// The fixtures of the tables the resource references directly.
    fixtures: Vec<Fixture>,
    /// Every fixture function the tests define, dependencies first.
    fixture_fns: Vec<Fixture>,
    /// The fixture calls of a test's setup: see [`context::TestModel::setup`].
    setup: Vec<FixtureCall>,
    /// Whether a fixture draws unique values from `unique_number()`.
    numbered: bool,
    /// Form fields that are not valid, with the error each gets; empty when no value of the
    /// form is invalid (every field optional text).
    invalid_form: Vec<InvalidInput>,
    /// Whether the form can create a record: no required field lacks an input.
    creatable: bool,
    /// A text that pages show as it was entered, as a Rust string literal: `"some title"`.
    shown: Option<String>,
    /// The values of redacted text and UUID fields, as Rust string literals: list pages and
    /// logs never show them.
    hidden: Vec<String>,
    /// Whether tests can make a second row (for pagination): see
    /// [`context::TestModel::two_rows`].
    two_rows: bool,
    /// The first string or text field that pages show, for hostile text (`<script>`, SQL).
    text_field: Option<&'a FieldModel<'a>>,
    /// The first number field (not a reference), for a value of the wrong type.
    number_field: Option<&'a FieldModel<'a>>,
}

/// A field with the values the tests send.
#[derive(Debug, Clone, Serialize)]
struct TestField<'a> {
    #[serde(flatten)]
    field: &'a FieldModel<'a>,
    /// The value in valid JSON params: a JSON literal, or a fixture's variable.
    value: String,
    /// The value in a valid form for a new record: a Rust string literal, or the variable
    /// of a fixture's id; `None` for a field without input.
    create_form: Option<String>,
    /// The value in a valid form changing the record, as `create_form`; `None` for
    /// references too, which the update keeps.
    update_form: Option<String>,
    /// The field's key in forms: `post[title]`.
    form_key: String,
    /// Whether the JSON of a record shows the value as a number in a string (decimals).
    decimal: bool,
}

/// An invalid form value and the error it gets.
#[derive(Debug, Clone, Serialize)]
struct InvalidInput {
    form_key: String,
    /// A Rust string literal.
    value: String,
    /// The message, HTML-escaped as pages show it.
    message_html: String,
}

impl<'a> TestModel<'a> {
    fn new(model: &'a Model<'a>, root: &Path) -> Result<TestModel<'a>> {
        let resource = model.resource;
        let base = context::test_model(model, root)?;
        let fields: Vec<TestField> = base
            .fields
            .into_iter()
            .map(|t| {
                let f = t.field.field;
                let form_key = [resource.singular.as_str(), "[", &f.name, "]"].concat();
                let has_input = f.input != "none";
                match &f.references {
                    Some(_) => TestField {
                        field: t.field,
                        // Without a fixture (`null`) the form sends the reference empty.
                        create_form: Some(match t.value.as_str() {
                            "null" => rust_string(""),
                            var => var.to_string(),
                        }),
                        value: t.value,
                        // An update keeps the references: a field that is not sent is kept.
                        update_form: None,
                        form_key,
                        decimal: false,
                    },
                    None => TestField {
                        field: t.field,
                        value: t.value,
                        create_form: has_input.then(|| rust_string(&f.test.create_form)),
                        update_form: has_input.then(|| rust_string(&f.test.update_form)),
                        form_key,
                        decimal: f.kind == "decimal",
                    },
                }
            })
            .collect();
        let invalid_form = fields
            .iter()
            .filter(|t| t.field.field.input != "none")
            .filter_map(|t| invalid_input(t.field, &t.form_key))
            .collect();
        let creatable = resource
            .fields
            .iter()
            .all(|f| f.optional || f.input != "none");
        let text_field = model
            .fields
            .iter()
            .find(|f| !f.field.redact && matches!(f.field.kind.as_str(), "string" | "text"));
        let number_field = model.fields.iter().find(|f| {
            f.field.references.is_none()
                && matches!(
                    f.field.kind.as_str(),
                    "integer" | "bigint" | "float" | "decimal"
                )
        });
        Ok(TestModel {
            fields,
            fixtures: base.fixtures,
            fixture_fns: base.fixture_fns,
            setup: base.setup,
            numbered: base.numbered,
            invalid_form,
            creatable,
            shown: text_field.map(|f| rust_string(&f.field.test.create_form)),
            hidden: base.hidden,
            two_rows: base.two_rows,
            text_field,
            number_field,
        })
    }
}

/// An invalid form value for `field`: blank when it is required, else a text its type does
/// not accept; `None` for optional text, which accepts anything.
fn invalid_input(field: &FieldModel, form_key: &str) -> Option<InvalidInput> {
    let (value, message) = if !field.field.optional {
        (String::new(), "can&#x27;t be blank")
    } else {
        let text: String = serde_json::from_str(field.invalid_json).ok()?;
        if field.field.kind == "array" {
            return None;
        }
        (text, "is invalid")
    };
    Some(InvalidInput {
        form_key: form_key.to_string(),
        value: rust_string(&value),
        message_html: message.to_string(),
    })
}

/// `text` as a Rust string literal.
fn rust_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `axgen gen html`.
pub fn run(args: &GenResourceArgs, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    run_web(WebKind::Html, args, cwd, printer)
}

/// `axgen gen html|json`: the data layer (context, schema and migration, unless
/// `--no-context`, `--no-schema` or `--no-migration`) and the web layer, planned together and
/// applied all-or-nothing.
pub fn run_web(
    kind: WebKind,
    args: &GenResourceArgs,
    cwd: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let spec = spec::from_resource_args(args)?;
    let project = Project::find(cwd)?;
    if kind == WebKind::Html && !project.root.join(VIEW_FILE).is_file() {
        return Err(UsageError::new(format!(
            "`axgen gen html` needs an app with browser pages, but {VIEW_FILE} is missing (was the app made with `axgen new --no-html`?)"
        ))
        .with_hint("generate a JSON API with `axgen gen json` instead")
        .into());
    }
    let resource = spec.resolve(project.adapter());
    let templates = Templates::new(Some(&project.root));
    let target = Target {
        root: &project.root,
        app: &project.config.app.name,
    };
    let plan = plan(
        kind,
        &resource,
        target,
        &args.options,
        &templates,
        Utc::now(),
    )?;
    let options = ApplyOptions {
        force: args.options.force,
        dry_run: args.options.dry_run,
    };
    plan.apply(&project.root, options, printer)?;
    Ok(ExitCode::SUCCESS)
}

/// The whole plan of `gen html|json` for `resource` in the app at `target`: the data layer as
/// `gen context` plans it (unless `--no-context`), then the web layer; `now` dates the
/// migration.
pub fn plan(
    kind: WebKind,
    resource: &Resource,
    target: Target,
    options: &GenOptions,
    templates: &Templates,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let mut plan = if options.no_context {
        require_context(resource, target.root)?;
        Plan::default()
    } else {
        let data = ContextOptions {
            schema: !options.no_schema,
            migration: !options.no_migration,
        };
        context::plan(resource, target, data, kind.name(), templates, now)?
    };
    let web = plan_web(kind, resource, target, templates)?;
    plan.ops.extend(web.ops);
    plan.next_steps.extend(web.next_steps);
    Ok(plan)
}

/// With `--no-context`, the context must already have the resource's functions.
fn require_context(resource: &Resource, root: &Path) -> Result<(), UsageError> {
    let Some(context) = &resource.context else {
        return Ok(());
    };
    let get = ["pub async fn get_", &resource.singular, "("].concat();
    let text = std::fs::read_to_string(root.join(&context.file)).unwrap_or_default();
    if text.contains(&get) {
        return Ok(());
    }
    Err(UsageError::new(format!(
        "--no-context uses the functions of {} in {}, such as get_{}, which do not exist",
        resource.schema.name, context.file, resource.singular
    ))
    .with_hint("drop --no-context to generate the context too"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::GenOptions;

    fn resource(web: Option<&str>) -> Resource {
        let options = GenOptions {
            web: web.map(str::to_string),
            ..GenOptions::default()
        };
        let fields = ["title".to_string()];
        spec::parse_resource("Blog", "BlogPost", "blog_posts", &fields, &options)
            .unwrap()
            .resolve(Adapter::Sqlite)
    }

    #[test]
    fn names_follow_the_kind_and_namespace() {
        let html = WebNames::new(WebKind::Html, &resource(None));
        assert_eq!(html.controller_path, "blog_post_controller");
        assert_eq!(html.controller_file, "src/web/blog_post_controller.rs");
        assert_eq!(html.template_dir, "blog_posts");
        assert_eq!(html.test_file, "tests/blog_post_controller.rs");
        let json = WebNames::new(WebKind::Json, &resource(Some("Admin")));
        assert_eq!(json.controller_path, "api::admin::blog_post_controller");
        assert_eq!(
            json.controller_file,
            "src/web/api/admin/blog_post_controller.rs"
        );
        assert_eq!(json.test_file, "tests/api_admin_blog_post_controller.rs");
        let admin = WebNames::new(WebKind::Html, &resource(Some("Admin")));
        assert_eq!(admin.template_dir, "admin/blog_posts");
    }
}
