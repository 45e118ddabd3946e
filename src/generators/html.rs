//! `axgen gen html`: what only browser pages have, on top of the web layer they share with
//! `gen json` ([`super::web`]): the page templates, the selects of references in forms, the
//! errors forms show, and what is left to do when a field has no form input.

use std::path::Path;

use anyhow::Result;
use minijinja::Value;
use serde::Serialize;

use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::generators::render::{rust_string, to_value};
use crate::generators::schema::FieldModel;
use crate::plan::Plan;
use crate::spec::{Field, Input, Kind, Resource};
use crate::sql::{self, Codec};
use crate::templates::Templates;

/// A file only apps with browser pages have (`axgen new` without `--no-html`).
const VIEW_FILE: &str = "src/web/view.rs";

/// The page templates of `gen html`, each in `templates/<plural>/<page>.html`.
const PAGES: [&str; 5] = ["index", "show", "new", "edit", "form"];

/// Plans the page templates into `templates/<template_dir>/`, rendered with the web layer's
/// `context`.
pub fn plan_pages(
    plan: &mut Plan,
    template_dir: &str,
    context: &Value,
    templates: &Templates,
) -> Result<()> {
    for page in PAGES {
        let file = [page, ".html"].concat();
        let path = Path::new("templates").join(template_dir).join(&file);
        let template = ["html/templates/", &file, ".jinja"].concat();
        plan.create(path, templates.render(&template, context)?);
    }
    Ok(())
}

/// The layout, whose navigation bar links to every resource's pages.
const LAYOUT_FILE: &str = "templates/layout.html";

/// The line of the layout's navigation bar before which `gen html` adds a resource's link;
/// `{# axgen:nav #}` after it is `gen auth`'s.
const RESOURCES_MARKER: &str = "{# axgen:resources #}";

/// The home page, which lists the resources once there are some.
const HOME_FILE: &str = "templates/home.html";

/// The line of the home page before which `gen html` adds a resource's link.
const HOME_MARKER: &str = "{# axgen:home-resources #}";

/// Links the resource's pages from the layout's navigation bar and from the home page, in
/// apps whose templates have the markers (apps made before them are left as they are). A
/// link already there is not added again.
pub fn plan_links(
    plan: &mut Plan,
    root: &Path,
    context: &Value,
    templates: &Templates,
) -> Result<()> {
    let links = [
        (LAYOUT_FILE, RESOURCES_MARKER, "html/nav_link.html.jinja"),
        (HOME_FILE, HOME_MARKER, "html/home_link.html.jinja"),
    ];
    for (file, marker, template) in links {
        let has_marker =
            std::fs::read_to_string(root.join(file)).is_ok_and(|text| text.contains(marker));
        if has_marker {
            plan.inject(file, marker, templates.render(template, context)?);
        }
    }
    Ok(())
}

/// The line of a show handler before which a referencing resource's pages read the rows
/// its show page lists.
const SHOW_READS_MARKER: &str = "// axgen:show-reads";

/// The line of a show handler's template context before which those rows are added.
const SHOW_CONTEXT_MARKER: &str = "// axgen:show-context";

/// The line of a show page before which it lists the rows referencing it.
const SHOW_CHILDREN_MARKER: &str = "{# axgen:show-children #}";

/// How many referencing rows a parent's show page lists, before its link to all of them.
const CHILDREN_SHOWN: usize = 20;

/// Whether the show handler in `controller_file` and the show page `show_template` of the
/// app at `root` have the markers before which [`plan_children`] adds a list.
pub fn lists_children(root: &Path, controller_file: &str, show_template: &str) -> bool {
    let read = |file: &str| std::fs::read_to_string(root.join(file)).unwrap_or_default();
    let controller = read(controller_file);
    [SHOW_READS_MARKER, SHOW_CONTEXT_MARKER]
        .iter()
        .all(|marker| controller.contains(marker))
        && read(show_template).contains(SHOW_CHILDREN_MARKER)
}

/// Lists the first rows of `resource` referencing a parent on the parent's show page, for
/// each reference to a resource with pages whose show handler and page have the markers
/// (pages generated before them are left as they are): the handler reads them through
/// `resource`'s context, the page links each and the filtered index. Lines already there
/// are not added again.
pub fn plan_children(
    plan: &mut Plan,
    resource: &Resource,
    context: &Value,
    templates: &Templates,
) -> Result<()> {
    for field in &resource.fields {
        let Some(reference) = &field.references else {
            continue;
        };
        let Some(pages) = reference.parent.as_ref().and_then(|p| p.pages.as_ref()) else {
            continue;
        };
        // A scoped row is listed only to its owner, and the parent's pages know no owner.
        if !pages.lists_children || resource.scope.is_some() {
            continue;
        }
        let children = [reference.stem.as_str(), "_", &resource.collection].concat();
        let context = minijinja::context! {
            field => to_value(field),
            children => children,
            children_shown => CHILDREN_SHOWN,
            ..context.clone()
        };
        let render =
            |template: &str| templates.render(&["html/children/", template].concat(), &context);
        plan.inject_statements(
            &pages.controller_file,
            SHOW_READS_MARKER,
            render("reads.rs.jinja")?,
        );
        plan.inject(
            &pages.controller_file,
            SHOW_CONTEXT_MARKER,
            render("context.rs.jinja")?,
        );
        plan.inject(
            &pages.show_template,
            SHOW_CHILDREN_MARKER,
            render("show.html.jinja")?,
        );
    }
    Ok(())
}

/// The selects of references in the forms of `resource`.
pub fn reference_options(resource: &Resource) -> Vec<ReferenceOptions> {
    resource
        .fields
        .iter()
        .filter_map(|field| ReferenceOptions::new(resource.adapter, field))
        .collect()
}

/// Refuses `gen html` in an app without browser pages.
pub fn check_app(root: &Path) -> Result<(), UsageError> {
    if root.join(VIEW_FILE).is_file() {
        return Ok(());
    }
    Err(UsageError::new(format!(
        "`axgen gen html` needs an app with browser pages, but {VIEW_FILE} is missing (was the app made with `axgen new --no-html`?)"
    ))
    .with_hint("generate a JSON API with `axgen gen json` instead"))
}

/// What a select of references offers: the ids of the referenced table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceOptions {
    /// The field: `user_id`.
    pub name: String,
    /// The referenced table: `users`.
    pub table: String,
    /// Its primary key: `id`.
    pub column: String,
    /// The function and template variable holding the ids: `user_id_options`.
    pub options: String,
    /// The Rust type an id is read as: `i64`, `uuid::Uuid`, or `String` where the driver
    /// stores UUIDs as text.
    pub option_type: String,
    /// The placeholder of the query's one parameter, its `LIMIT`.
    pub param: String,
    /// The function of the referenced table's context offering ids and labels, from the
    /// crate root (`accounts::list_user_options`); `None` offers bare ids, read by the
    /// controller.
    pub parent_options: Option<String>,
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
            column: reference.column.clone(),
            options: reference.options.clone(),
            option_type,
            param: sql::limit_placeholder(adapter, 1),
            parent_options: reference.parent.as_ref().and_then(|p| p.options.clone()),
        })
    }
}

/// An invalid form value and the error it gets.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidInput {
    form_key: String,
    /// A Rust string literal.
    value: String,
    /// The message, HTML-escaped as pages show it.
    message_html: String,
}

/// An invalid form value for `field`: blank when it is required, else a text its type does
/// not accept; `None` for optional text, which accepts anything.
pub fn invalid_input(field: &FieldModel, form_key: &str) -> Option<InvalidInput> {
    let (value, message) = if !field.field.optional {
        (String::new(), "can&#x27;t be blank")
    } else {
        let text: String = serde_json::from_str(field.invalid_json).ok()?;
        if field.field.kind == Kind::Array {
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

/// What is left to do by hand for the pages: nothing, as routes are injected, unless a
/// required field has no form input.
pub fn next_steps(resource: &Resource, controller_file: &str) -> Vec<String> {
    let mut steps = Vec::new();
    for field in resource
        .fields
        .iter()
        .filter(|f| !f.optional && f.input == Input::None)
    {
        steps.extend([
            String::new(),
            [
                "The ",
                &field.type_name,
                " field ",
                &field.name,
                " has no form input, so the form of ",
                controller_file,
                " can only create ",
                &resource.human_plural.to_lowercase(),
                " once it is :optional or set elsewhere (the JSON API, a context function).",
            ]
            .concat(),
        ]);
    }
    steps
}
