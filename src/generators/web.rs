//! The web layer of `gen html` and `gen json`: the controller, its tests and its place in the
//! app's module tree and router, planned on top of the data layer (context, schema and
//! migration) as one all-or-nothing plan. What only browser pages have (page templates, form
//! selects, form errors) is in [`super::html`]; the JSON API needs nothing of its own beyond
//! its folder and markers ([`WebKind::Json`]).

use std::path::{Path, PathBuf};

use anyhow::Result;
use minijinja::Value;
use minijinja::value::Serde;
use serde::Serialize;

use crate::error::UsageError;
use crate::generators::Generation;
use crate::generators::app::App;
use crate::generators::context::{self, Fixture, FixtureCall};
use crate::generators::html;
use crate::generators::render::{
    API_CONTROLLERS_MARKER, API_ROUTES_MARKER, CONTROLLERS_MARKER, ROUTES_MARKER, rust_string,
    to_value,
};
use crate::generators::schema::{FieldModel, Model};
use crate::naming;
use crate::plan::Plan;
use crate::spec::{API_NAMESPACE, Input, Kind, Resource, WebNamespace, reserved};
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
            WebKind::Json => API_CONTROLLERS_MARKER,
        }
    }

    /// The line of `src/web/mod.rs` before which the controller's routes are merged.
    fn routes_marker(self) -> &'static str {
        match self {
            WebKind::Html => ROUTES_MARKER,
            WebKind::Json => API_ROUTES_MARKER,
        }
    }
}

/// The file holding the app's router.
const ROUTER_FILE: &str = "src/web/mod.rs";

/// The pagination module every index uses, written by `axgen new`.
const PAGE_FILE: &str = "src/web/page.rs";

/// The names of a resource's web layer, computed once for the templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebNames {
    /// `html` or `json`.
    pub kind: WebKind,
    /// The controller module: `post_controller`.
    pub controller: String,
    /// The namespace of `--web` as this layer lays it out: the resource's `web` (pages) or
    /// `api_web` (JSON).
    pub namespace: Option<WebNamespace>,
    /// Its path from `crate::web`: `post_controller`, `admin::post_controller`,
    /// `api::admin::post_controller`, `api::v1::post_controller`.
    pub controller_path: String,
    /// Its file: `src/web/post_controller.rs`, `src/web/api/admin/post_controller.rs`.
    pub controller_file: String,
    /// The folder of its page templates below `templates/`: `posts`, `admin/posts`,
    /// `admin/v1/posts`.
    pub template_dir: String,
    /// The test file: `tests/post_controller.rs`, `tests/api_admin_post_controller.rs`,
    /// `tests/api_v1_post_controller.rs`.
    pub test_file: String,
    /// The test binary's name: the test file's stem.
    pub test_name: String,
}

impl WebNames {
    /// The names of `resource`'s `kind` layer.
    pub fn new(kind: WebKind, resource: &Resource) -> WebNames {
        let controller = [resource.singular.as_str(), "controller"].join("_");
        let (namespace, api) = match kind {
            WebKind::Html => (resource.web.as_ref(), None),
            WebKind::Json => (resource.api_web.as_ref(), Some("api")),
        };
        let namespace_modules = namespace
            .into_iter()
            .flat_map(|n| n.modules.iter().map(|m| m.module.as_str()));
        let modules: Vec<&str> = api
            .into_iter()
            .chain(namespace_modules.clone())
            .chain([controller.as_str()])
            .collect();
        let dirs: Vec<&str> = namespace_modules
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
            namespace: namespace.cloned(),
            controller,
        }
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
    refs: Vec<html::ReferenceOptions>,
    /// What the tests need.
    tests: TestModel<'a>,
}

/// Refuses pages in the JSON API's namespace (`gen html --web Api.V1`): its module is
/// `src/web/api/`, the JSON API's, and errors under `/api` are answered in JSON. `web` is the
/// `--web` namespace as given.
pub fn check_namespace(kind: WebKind, web: Option<&str>) -> Result<(), UsageError> {
    let Some(web) = web else {
        return Ok(());
    };
    let first = web.split('.').next().unwrap_or(web);
    if kind != WebKind::Html || first != API_NAMESPACE {
        return Ok(());
    }
    let rest = web.strip_prefix(first).unwrap_or_default();
    reserved::web_module("web namespace", web, &naming::snake(first)).map_err(|refusal| {
        refusal.with_hint(format!(
            "generate a JSON API there with `axgen gen json ... --web {web}`; give pages another namespace, such as Admin{rest}"
        ))
    })
}

/// Plans the web layer of `kind` for the resource: the controller, its page templates (html)
/// and tests, and the lines that declare the controller and merge its routes into the router.
pub fn plan_web(kind: WebKind, generation: &Generation) -> Result<Plan> {
    let Generation {
        resource,
        app,
        templates,
        ..
    } = *generation;
    if resource.context.is_none() {
        return Err(UsageError::new("a context is needed to generate a web layer").into());
    }
    check_namespace(kind, resource.web.as_ref().map(|w| w.name.as_str()))?;
    let names = WebNames::new(kind, resource);
    let model = Model::new(resource, &app.name, kind.name());
    let context = WebContext {
        app: &app.name,
        resource,
        web: &names,
        refs: html::reference_options(resource),
        tests: TestModel::new(&model, app),
    };
    let folder = kind.name();
    let name = |template: &str| [folder, "/", template].concat();
    let context = to_value(&context);
    let rust = |template: &str| templates.render(&name(template), &context);
    let mut plan = Plan::default();
    plan.create_rust(&names.controller_file, rust("controller.rs.jinja")?);
    if kind == WebKind::Html {
        html::plan_pages(&mut plan, &names.template_dir, &context, templates)?;
        html::plan_links(&mut plan, &app.root, &context, templates)?;
        html::plan_children(&mut plan, resource, &context, templates)?;
    }
    plan.create_rust(&names.test_file, rust("controller_test.rs.jinja")?);
    if !app.root.join(PAGE_FILE).is_file() {
        add_page_module(&mut plan, templates)?;
    }
    declare_controller(&mut plan, kind, &app.root, &names, templates)?;
    plan.inject(
        ROUTER_FILE,
        kind.routes_marker(),
        templates.render("html/merge_routes.rs.jinja", &Value::from(Serde(&names)))?,
    );
    if kind == WebKind::Html {
        plan.next_steps = html::next_steps(resource, &names.controller_file);
    }
    Ok(plan)
}

/// Declares the controller module: in the controllers' module, or in the innermost module of
/// the `--web` namespace, whose modules are each created (and declared in the one above) when
/// the app does not have them yet.
fn declare_controller(
    plan: &mut Plan,
    kind: WebKind,
    root: &Path,
    names: &WebNames,
    templates: &Templates,
) -> Result<()> {
    let module_line = |module: &str| crate::generators::schema::module_line(templates, module);
    let mut dir = PathBuf::from(kind.controllers_dir());
    let mut parent = dir.join("mod.rs");
    let mut marker = kind.modules_marker();
    for namespace in names.namespace.iter().flat_map(|n| &n.modules) {
        dir.push(&namespace.module);
        let file = dir.join("mod.rs");
        if !root.join(&file).is_file() {
            let context = minijinja::context! {
                kind => kind.name(),
                namespace => Value::from(Serde(namespace)),
            };
            plan.create(
                &file,
                templates.render("html/namespace.rs.jinja", &context)?,
            );
        }
        plan.inject(&parent, marker, module_line(&namespace.module)?);
        parent = file;
        marker = CONTROLLERS_MARKER;
    }
    plan.inject(parent, marker, module_line(&names.controller)?);
    Ok(())
}

/// Writes the pagination module that `axgen new` writes, and declares it, into an app made
/// before apps had it.
fn add_page_module(plan: &mut Plan, templates: &Templates) -> Result<()> {
    let page = ["new/", PAGE_FILE].concat();
    plan.create(PAGE_FILE, templates.render(&page, &Value::UNDEFINED)?);
    let module_line = crate::generators::schema::module_line(templates, "page")?;
    plan.inject(ROUTER_FILE, CONTROLLERS_MARKER, module_line);
    Ok(())
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
    invalid_form: Vec<html::InvalidInput>,
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

impl<'a> TestModel<'a> {
    fn new(model: &'a Model<'a>, app: &App) -> TestModel<'a> {
        let resource = model.resource;
        let base = context::test_model(model, app);
        let fields: Vec<TestField> = base
            .fields
            .into_iter()
            .map(|t| {
                let f = t.field.field;
                let form_key = f.form_key.clone();
                let has_input = f.input != Input::None;
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
                        decimal: f.kind == Kind::Decimal,
                    },
                }
            })
            .collect();
        let invalid_form = fields
            .iter()
            .filter(|t| t.field.field.input != Input::None)
            .filter_map(|t| html::invalid_input(t.field, &t.form_key))
            .collect();
        let creatable = resource
            .fields
            .iter()
            .all(|f| f.optional || f.input != Input::None);
        let text_field = model
            .fields
            .iter()
            .find(|f| !f.field.redact && matches!(f.field.kind, Kind::String | Kind::Text));
        let number_field = model.fields.iter().find(|f| {
            f.field.references.is_none()
                && matches!(
                    f.field.kind,
                    Kind::Integer | Kind::Bigint | Kind::Float | Kind::Decimal
                )
        });
        TestModel {
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
        }
    }
}

/// The whole plan of `gen html|json`: the data layer as `gen context` plans it (unless
/// `--no-context`), then the web layer.
pub fn plan(kind: WebKind, generation: &Generation) -> Result<Plan> {
    let mut plan = if generation.layers.context {
        context::plan(generation, kind.name())?
    } else {
        require_context(generation.resource, generation.app)?;
        Plan::default()
    };
    let web = plan_web(kind, generation)?;
    plan.ops.extend(web.ops);
    plan.next_steps.extend(web.next_steps);
    Ok(plan)
}

/// With `--no-context`, the context must already have the resource's functions.
fn require_context(resource: &Resource, app: &App) -> Result<(), UsageError> {
    let Some(context) = &resource.context else {
        return Ok(());
    };
    if app.has_function(&context.file, &["get_", &resource.singular].concat()) {
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
    use crate::adapter::Adapter;
    use crate::spec::SpecOptions;

    fn resource(web: Option<&str>) -> Resource {
        let options = SpecOptions {
            web: web.map(str::to_string),
            ..SpecOptions::default()
        };
        let fields = ["title".to_string()];
        crate::spec::parse_resource("Blog", "BlogPost", "blog_posts", &fields, &options)
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

    #[test]
    fn nested_namespaces_nest_modules_folders_and_tests() {
        let html = WebNames::new(WebKind::Html, &resource(Some("Admin.V1")));
        assert_eq!(html.controller_path, "admin::v1::blog_post_controller");
        assert_eq!(
            html.controller_file,
            "src/web/admin/v1/blog_post_controller.rs"
        );
        assert_eq!(html.template_dir, "admin/v1/blog_posts");
        assert_eq!(html.test_file, "tests/admin_v1_blog_post_controller.rs");
        let json = WebNames::new(WebKind::Json, &resource(Some("Admin.V1")));
        assert_eq!(json.controller_path, "api::admin::v1::blog_post_controller");
        // A leading `Api` is the JSON API's own module.
        let api = WebNames::new(WebKind::Json, &resource(Some("Api.V1")));
        assert_eq!(api.controller_path, "api::v1::blog_post_controller");
        assert_eq!(
            api.controller_file,
            "src/web/api/v1/blog_post_controller.rs"
        );
        assert_eq!(api.test_file, "tests/api_v1_blog_post_controller.rs");
        let root = WebNames::new(WebKind::Json, &resource(Some("Api")));
        assert_eq!(root, WebNames::new(WebKind::Json, &resource(None)));
    }

    #[test]
    fn pages_are_refused_in_the_json_apis_namespace() {
        let refusal = check_namespace(WebKind::Html, Some("Api.V1")).unwrap_err();
        assert!(
            refusal
                .message
                .starts_with("The web namespace \"Api.V1\" would be the module web::api"),
            "{refusal:?}"
        );
        let hint = refusal.hint.unwrap_or_default();
        assert!(hint.contains("such as Admin.V1"), "{hint}");
        assert!(check_namespace(WebKind::Json, Some("Api.V1")).is_ok());
        assert!(check_namespace(WebKind::Html, Some("Admin.Api")).is_ok());
        assert!(check_namespace(WebKind::Html, Some("Apis")).is_ok());
    }
}
