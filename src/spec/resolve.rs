//! Resolution: a validated `Spec` plus a database adapter becomes the `Resource` that
//! generators and templates use as-is (every name and type computed here, once).

use serde::Serialize;

use crate::adapter::Adapter;
use crate::naming;

use super::field::{FieldSpec, OnDelete, TypeArg};
use super::types::{self, IdInfo, Input, Kind, TestValues};
use super::{API_NAMESPACE, Spec};

/// Everything a generator needs to know about one resource, for one database.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// The database the app uses.
    pub adapter: Adapter,
    /// The context module; `None` for `gen schema Post` without a context.
    pub context: Option<ContextName>,
    /// The schema struct and its module.
    pub schema: SchemaName,
    /// snake_case of the schema: `post`, `blog_post`; form keys are `post[title]`.
    pub singular: String,
    /// The plural as given: `posts`.
    pub plural: String,
    /// The variable holding a list of rows: the plural, or `series_collection` when the
    /// plural is the singular (Phoenix's rule).
    pub collection: String,
    /// The table: `--table`, else the plural.
    pub table: String,
    /// `Post`, `Blog post`.
    pub human_singular: String,
    /// `Posts`, `Blog posts`.
    pub human_plural: String,
    /// The lower-case singular after its article, for generated prose: `a post`, `an
    /// annotation`.
    pub a_human_singular: String,
    /// The HTML routes' base path: `/posts`, `/admin/posts` with `--web Admin`,
    /// `/admin/v1/posts` with `--web Admin.V1`.
    pub route_path: String,
    /// The JSON routes' base path: `/api/posts`, `/api/admin/posts` with `--web Admin`,
    /// `/api/v1/posts` with `--web Api.V1`.
    pub api_path: String,
    /// The JSON routes' base path in the router nested at `/api`: `/posts`, `/admin/posts`,
    /// `/v1/posts`.
    pub api_route_path: String,
    /// The namespace of the pages (`--web`), below `src/web/`.
    pub web: Option<WebNamespace>,
    /// The namespace of the JSON API (`--web`), below `src/web/api/`: `Admin.V1` for
    /// `--web Admin.V1`, `V1` for `--web Api.V1`; `None` for `--web Api`, which is the API.
    pub api_web: Option<WebNamespace>,
    /// Whether ids are UUIDs (`--binary-id`).
    pub binary_id: bool,
    /// The primary key column and struct field: `id`, or the name given with `--primary-key`.
    pub primary_key: String,
    /// The id's Rust type: `i64` or `uuid::Uuid`.
    pub id_rust_type: String,
    /// The id's column type for `adapter` (`INTEGER`, `BIGINT`, `UUID`, `CHAR(36)`...).
    pub id_sql_type: String,
    /// The fields, in the order given.
    pub fields: Vec<Field>,
    /// The crates the generated code for this resource needs.
    pub crates: Crates,
    /// The names of its context functions.
    pub functions: Functions,
    /// What labels one of its rows in selects, lists and links.
    pub label: Label,
    /// The logged-in user its rows belong to, when it is scoped (an app with `gen auth`,
    /// without `--no-scope`); set from the app ([`crate::generators::App`]), never by
    /// resolution.
    pub scope: Option<Scope>,
}

/// What makes a resource's rows belong to the logged-in user, as Phoenix 1.8's scopes: a
/// column referencing the auth table (`ON DELETE CASCADE`, indexed), which `create_*` sets
/// from the user and every other context function filters by; the pages and JSON routes
/// require a logged-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// The auth schema's singular, as recorded with `--scope`: `user`. It names the context
    /// functions' parameter too.
    pub key: String,
    /// The owner's column and the schema's field: `user_id`.
    pub column: String,
    /// The auth table and its primary key: `users`, `id`.
    pub table: String,
    pub references: String,
    /// The owner's key: its Rust and column types, and whether it is a UUID.
    pub rust_type: String,
    pub sql_type: String,
    pub binary_id: bool,
    /// The auth schema: `User`, and its path from the crate root: `accounts::User`.
    pub schema: String,
    pub schema_path: String,
    /// The auth context's module, from the crate root: `accounts`, and its last segment.
    pub context_path: String,
    pub context_module: String,
    /// The auth schema's human name in prose: `user`.
    pub human: String,
    /// The module of the extractors, below `web`: `user_auth`, and the one requiring a
    /// logged-in user: `RequireUser`.
    pub auth_module: String,
    pub require: String,
    /// The log-in page: `/users/log-in`, and its form's key: `user`.
    pub log_in_path: String,
    /// The auth context's functions that register an account and give an API token:
    /// `register_user`, `generate_user_api_token`.
    pub register: String,
    pub generate_api_token: String,
    /// The auth schema's own fields beyond email and password, with a valid value each, for
    /// the tests' registrations: `("name", "\"some name\"")`.
    pub extra_fields: Vec<ScopeField>,
}

/// A field of the auth schema a registration fills, with a valid value for the tests'
/// registration of `email` (a unique field's is made from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeField {
    pub name: String,
    /// A value in `json!`.
    pub json: String,
    /// The form value, as a Rust `&str`.
    pub form_value: String,
}

/// What labels a row in selects, lists and links: a string field, else `User 3`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The field: `--label`, else the first unique string field, else the first string field
    /// named `name`, `title`, `username`, `email` or `label`, else the first string field;
    /// `None` without a string field.
    pub field: Option<String>,
    /// Whether `--label` chose it (and the schema module records it).
    pub chosen: bool,
    /// The label as an SQL expression of the table's columns: `username`,
    /// `COALESCE(title, 'Video ' || id)` for an optional field, `'User ' || id` without one.
    pub sql: String,
}

/// The string fields named so label a row when none is unique, in this order of preference
/// among the fields (the first field with one of these names wins).
const LABEL_NAMES: [&str; 5] = ["name", "title", "username", "email", "label"];

impl Resource {
    /// The label as an SQL expression of the columns of `qualifier` (a table or its alias in
    /// a `JOIN`), or of the table's own columns.
    pub fn label_sql(&self, qualifier: Option<&str>) -> String {
        let column = |name: &str| match qualifier {
            Some(q) => [q, ".", name].concat(),
            None => name.to_string(),
        };
        let prefix = format!("'{} '", self.human_singular.replace('\'', "''"));
        let id = column(&self.primary_key);
        let fallback = match self.adapter {
            Adapter::Mysql => format!("CONCAT({prefix}, {id})"),
            Adapter::Sqlite | Adapter::Postgres => format!("{prefix} || {id}"),
        };
        let field = self
            .label
            .field
            .as_deref()
            .and_then(|name| self.fields.iter().find(|f| f.name == name));
        match field {
            Some(field) if field.optional => {
                format!("COALESCE({}, {fallback})", column(&field.name))
            }
            Some(field) => column(&field.name),
            None => fallback,
        }
    }
}

/// The field labelling rows of `fields`: `chosen` with `--label`, else by [`Label::field`]'s
/// rule.
fn label_field(fields: &[Field], chosen: Option<&str>) -> Option<String> {
    if let Some(chosen) = chosen {
        return Some(chosen.to_string());
    }
    let strings: Vec<&Field> = fields
        .iter()
        .filter(|f| f.kind == Kind::String && !f.redact)
        .collect();
    let named = |f: &&&Field| LABEL_NAMES.contains(&f.name.as_str());
    strings
        .iter()
        .find(|f| f.unique)
        .or_else(|| strings.iter().find(named))
        .or_else(|| strings.first())
        .map(|f| f.name.clone())
}

/// The context functions of a resource, by what they do: `list_posts`, `get_post`...
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Functions {
    /// `list_posts`.
    pub list: String,
    /// `list_posts_page`.
    pub list_page: String,
    /// `get_post`.
    pub get: String,
    /// `create_post`.
    pub create: String,
    /// `update_post`.
    pub update: String,
    /// `delete_post`.
    pub delete: String,
    /// `change_post`.
    pub change: String,
    /// The test fixture inserting a row through `create`, for tests that reference the
    /// resource: `insert_post`.
    pub insert: String,
    /// The controller tests' fixture creating a row through the context: `post_fixture`.
    pub fixture: String,
    /// The ids and labels of the rows, for the selects of forms referencing them:
    /// `list_post_options`.
    pub options: String,
    /// The rows with the labels of the rows they reference, read in one query:
    /// `list_posts_page_with_labels`.
    pub list_page_with_labels: String,
    /// One row with those labels: `get_post_with_labels`.
    pub get_with_labels: String,
    /// The labels of the rows a row references: `PostLabels`.
    pub labels: String,
    /// The private function reading a row and its labels: `post_with_labels`.
    pub with_labels: String,
    /// The filter of lists by the rows they reference: `PostFilter`.
    pub filter: String,
    /// A page of the rows a filter keeps: `list_posts_page_by`.
    pub list_page_by: String,
}

impl Functions {
    /// The functions of the resource whose snake_case singular is `singular`.
    fn new(singular: &str, plural: &str) -> Functions {
        let name = |verb: &str, noun: &str| [verb, "_", noun].concat();
        Functions {
            list: name("list", plural),
            list_page: [&name("list", plural), "_page"].concat(),
            get: name("get", singular),
            create: name("create", singular),
            update: name("update", singular),
            delete: name("delete", singular),
            change: name("change", singular),
            insert: name("insert", singular),
            fixture: [singular, "_fixture"].concat(),
            options: ["list_", singular, "_options"].concat(),
            list_page_with_labels: [&name("list", plural), "_page_with_labels"].concat(),
            get_with_labels: [&name("get", singular), "_with_labels"].concat(),
            labels: [&naming::camel(singular), "Labels"].concat(),
            with_labels: [singular, "_with_labels"].concat(),
            filter: [&naming::camel(singular), "Filter"].concat(),
            list_page_by: [&name("list", plural), "_page_by"].concat(),
        }
    }
}

/// A context module: `Admin.Blog`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextName {
    /// The CamelCase name: `Admin.Blog`.
    pub name: String,
    /// The last segment: `Blog`.
    pub alias: String,
    /// The last segment's module: `blog`.
    pub module: String,
    /// The Rust path from the crate root: `admin::blog`.
    pub module_path: String,
    /// The snake_case segments: `["admin", "blog"]`.
    pub segments: Vec<String>,
    /// Its source file: `src/admin/blog.rs`.
    pub file: String,
    /// The folder of its schemas: `src/admin/blog`.
    pub dir: String,
}

/// A schema struct: `Post`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaName {
    /// The struct: `Post`.
    pub name: String,
    /// Its module: `post`.
    pub module: String,
    /// The Rust path of the module from the crate root: `blog::post`, or `post`.
    pub module_path: String,
    /// Its source file: `src/blog/post.rs`, or `src/post.rs` without a context.
    pub file: String,
}

/// The web namespace of `--web Admin.V1`, as one web layer lays it out: a module per segment
/// below the layer's controllers module (`src/web/` for pages, `src/web/api/` for JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebNamespace {
    /// As given with `--web`: `Admin.V1`, `Api.V1`.
    pub name: String,
    /// Its modules, outermost first: `admin`, then `v1`.
    pub modules: Vec<NamespaceModule>,
    /// Its path from the layer's controllers module: `admin::v1`.
    pub module_path: String,
    /// Its folder below the layer's controllers folder: `admin/v1`.
    pub dir: String,
    /// Where its routes are served: `/admin/v1`; `/api/admin/v1`, `/api/v1` for JSON.
    pub path: String,
}

/// One module of a web namespace: the namespace down to one of its segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamespaceModule {
    /// The namespace down to this module, as `--web` names it: `Admin`, then `Admin.V1`.
    pub name: String,
    /// The module: `admin`, then `v1`.
    pub module: String,
    /// Where the routes of its controllers are served: `/admin`, then `/admin/v1`.
    pub path: String,
}

/// Crates the generated code needs, beyond those every app has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Crates {
    pub chrono: bool,
    pub uuid: bool,
    pub rust_decimal: bool,
    pub serde_json: bool,
}

impl Crates {
    /// Marks the crate named `name` (as in `types.toml`) as needed.
    fn add(&mut self, name: &str) {
        match name {
            "chrono" => self.chrono = true,
            "uuid" => self.uuid = true,
            "rust_decimal" => self.rust_decimal = true,
            "serde_json" => self.serde_json = true,
            _ => {}
        }
    }

    fn add_all<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) {
        names.into_iter().for_each(|name| self.add(name));
    }
}

/// One field, resolved for a database.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// snake_case: the column, the form key (`post[title]`) and the JSON key.
    pub name: String,
    /// The Rust identifier: `title`, or `r#type` for a keyword.
    pub ident: String,
    /// The human label: `Published at`.
    pub label: String,
    /// The form key of its input: `post[published_at]`.
    pub form_key: String,
    /// The `id` of its input, which its label names: `post_published_at`.
    pub input_id: String,
    /// The type word as recorded: `string`, `utc_datetime_usec`, `array`, `references`...
    pub type_name: String,
    /// What the type is: `utc_datetime` for `utc_datetime` and `utc_datetime_usec` alike.
    pub kind: Kind,
    /// The Rust type without `Option`: `String`, `Vec<i32>`, `PostStatus`.
    pub base_rust_type: String,
    /// The Rust type of the struct field: `Option<...>` when optional.
    pub rust_type: String,
    /// The column type for the resource's adapter.
    pub sql_type: String,
    /// The form input: text, textarea, number, checkbox, date, time, datetime-local, select,
    /// or none (not in forms).
    pub input: Input,
    /// The input's `step` attribute (`any`), if any.
    pub step: Option<String>,
    /// Nullable and not required.
    pub optional: bool,
    /// A unique index.
    pub unique: bool,
    /// A plain (non-unique) index: `:index`, and every reference; false when unique.
    pub index: bool,
    /// Never shown by `Debug`, logs or list pages.
    pub redact: bool,
    /// The default as given with `:default=VALUE`: `0`, `draft`.
    pub default: Option<String>,
    /// That default as a literal of the adapter's SQL: `0`, `'draft'`, `TRUE`.
    pub default_sql: Option<String>,
    /// The generated enum type: `PostStatus` for the field `status` of `Post`.
    pub enum_type: Option<String>,
    /// The enum's values as stored: `["draft", "published"]`.
    pub enum_values: Vec<String>,
    /// The enum's values with their Rust variants.
    pub enum_variants: Vec<EnumVariant>,
    /// The element type of an array.
    pub array_of: Option<ArrayOf>,
    /// The table a reference points to.
    pub references: Option<Reference>,
    /// Valid values for generated tests.
    pub test: TestValues,
}

/// An enum value and its Rust variant: `in_review` / `InReview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnumVariant {
    pub value: String,
    pub variant: String,
}

/// The element type of an array field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArrayOf {
    /// The type word: `string`.
    pub type_name: String,
    /// What the type is.
    pub kind: Kind,
    /// Its Rust type: `String`.
    pub rust_type: String,
    /// Its column type for the adapter: `VARCHAR(255)`.
    pub sql_type: String,
}

/// What a references field points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// The referenced table: `posts`.
    pub table: String,
    /// The referenced column: `id`.
    pub column: String,
    /// The Rust type of the key: `i64` or `uuid::Uuid`.
    pub rust_type: String,
    /// The column type of the key for the adapter.
    pub sql_type: String,
    /// The function and template variable holding the keys a form's select offers:
    /// `user_id_options`.
    pub options: String,
    /// What deleting the referenced row does to the referencing one.
    pub on_delete: OnDelete,
    /// What one referenced row is called, the field without `_id`: `user`, `author`.
    pub stem: String,
    /// The context function listing the rows referencing one row, the book's `assoc`:
    /// `list_videos_for_user`.
    pub list_for: String,
    /// The referenced resource, when axgen generated it: how pages label and link its rows.
    pub parent: Option<ReferenceParent>,
}

/// The resource a reference points to, as the referencing resource's pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceParent {
    /// The parent's context function listing the ids and labels a select offers, from the
    /// crate root: `accounts::list_user_options`; `None` when its context lacks it (generated
    /// before labels were), and the select offers bare ids.
    pub options: Option<String>,
    /// The parent's table in a `JOIN`: `user_id_parent`.
    pub alias: String,
    /// The parent's label in that `JOIN`: `user_id_parent.username`.
    pub label_sql: String,
    /// The column the `JOIN` reads the label as, and the field of the labels holding it:
    /// `user_id_label`.
    pub label_column: String,
    /// The base path of the parent's pages, when it has some: `/users`.
    pub route_path: Option<String>,
    /// The parent's pages, when it has some: where its show page lists the rows
    /// referencing it.
    pub pages: Option<ParentPages>,
}

/// The files of a parent's pages into which a referencing resource's pages add the list of
/// a parent's rows on its show page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParentPages {
    /// `src/web/user_controller.rs`.
    pub controller_file: String,
    /// `templates/users/show.html`.
    pub show_template: String,
    /// The variable of the parent's row in its show handler: `user`.
    pub var: String,
    /// The parent's primary key: `id`.
    pub primary_key: String,
    /// Whether its show handler and page have the markers before which a referencing
    /// resource's pages add the list of a row's referencing rows (pages generated before
    /// them do not).
    pub lists_children: bool,
}

impl Spec {
    /// Every name and type of the resource, for `adapter`.
    pub fn resolve(&self, adapter: Adapter) -> Resource {
        let id = types::id(self.binary_id);
        let context = self.context.as_deref().map(context_name);
        let schema = schema_name(&self.schema, context.as_ref());
        let singular = naming::snake(&self.schema);
        let web = self
            .web
            .as_deref()
            .map(|segments| web_namespace(segments, 0, ""));
        let api_web = self.web.as_deref().and_then(|segments| {
            let api = usize::from(segments.first().map(String::as_str) == Some(API_NAMESPACE));
            (segments.len() > api).then(|| web_namespace(segments, api, API_PATH))
        });
        let web_path = web.as_ref().map_or("", |w| w.path.as_str());
        let api_path = api_web.as_ref().map_or(API_PATH, |w| w.path.as_str());
        let api_path = format!("{api_path}/{}", self.plural);
        let scope = FieldScope {
            adapter,
            schema: &self.schema,
            singular: &singular,
            plural: &self.plural,
            id,
        };
        let fields: Vec<Field> = self.fields.iter().map(|f| scope.resolve(f)).collect();
        let label = Label {
            field: label_field(&fields, self.label.as_deref()),
            chosen: self.label.is_some(),
            sql: String::new(),
        };
        let mut resource = Resource {
            label,
            functions: Functions::new(&singular, &self.plural),
            adapter,
            context,
            schema,
            human_singular: naming::human(&singular),
            a_human_singular: naming::with_article(&naming::human(&singular).to_lowercase()),
            human_plural: naming::human(&self.plural),
            collection: if self.plural == singular {
                format!("{singular}_collection")
            } else {
                self.plural.clone()
            },
            singular,
            plural: self.plural.clone(),
            table: self.table.clone().unwrap_or_else(|| self.plural.clone()),
            route_path: format!("{web_path}/{}", self.plural),
            api_route_path: api_path[API_PATH.len()..].to_string(),
            api_path,
            web,
            api_web,
            binary_id: self.binary_id,
            primary_key: self
                .primary_key
                .clone()
                .unwrap_or_else(|| super::DEFAULT_PRIMARY_KEY.to_string()),
            id_rust_type: id.rust.clone(),
            id_sql_type: id.sql.get(adapter).to_string(),
            crates: crates(&self.fields, id),
            fields,
            scope: None,
        };
        resource.label.sql = resource.label_sql(None);
        resource
    }
}

fn context_name(segments: &[String]) -> ContextName {
    let snake: Vec<String> = segments.iter().map(|s| naming::snake(s)).collect();
    let dir = format!("src/{}", snake.join("/"));
    ContextName {
        name: segments.join("."),
        alias: segments.last().cloned().unwrap_or_default(),
        module: snake.last().cloned().unwrap_or_default(),
        module_path: snake.join("::"),
        file: format!("{dir}.rs"),
        dir,
        segments: snake,
    }
}

fn schema_name(name: &str, context: Option<&ContextName>) -> SchemaName {
    let module = naming::snake(name);
    let (module_path, file) = match context {
        Some(c) => (
            format!("{}::{module}", c.module_path),
            format!("{}/{module}.rs", c.dir),
        ),
        None => (module.clone(), format!("src/{module}.rs")),
    };
    SchemaName {
        name: name.to_string(),
        module,
        module_path,
        file,
    }
}

/// Where the app's router nests the JSON API.
const API_PATH: &str = "/api";

/// The namespace of the CamelCase `segments` whose modules start after the first `skip`
/// (which the layer's own module and `base` path already are: `Api` for JSON).
fn web_namespace(segments: &[String], skip: usize, base: &str) -> WebNamespace {
    let own: Vec<String> = segments[skip..].iter().map(|s| naming::snake(s)).collect();
    let mut path = base.to_string();
    let modules = own
        .iter()
        .enumerate()
        .map(|(i, module)| {
            path = [path.as_str(), "/", module].concat();
            NamespaceModule {
                name: segments[..=skip + i].join("."),
                module: module.clone(),
                path: path.clone(),
            }
        })
        .collect();
    WebNamespace {
        name: segments.join("."),
        modules,
        module_path: own.join("::"),
        dir: own.join("/"),
        path,
    }
}

/// The crates every field (and the id type) needs.
fn crates(fields: &[FieldSpec], id: &IdInfo) -> Crates {
    let mut crates = Crates::default();
    crates.add_all(&id.crates);
    for field in fields {
        crates.add_all(&field.ty.crates);
        if let TypeArg::Element(element) = &field.arg {
            crates.add_all(&element.crates);
        }
    }
    crates
}

/// What resolving a field depends on besides the field.
/// A default value as a literal of `adapter`'s SQL: numbers as they are, booleans as each
/// dialect keeps them, anything else quoted.
fn default_sql(kind: Kind, value: &str, adapter: Adapter) -> String {
    match (kind, value, adapter) {
        (Kind::Integer | Kind::Bigint | Kind::Float, _, _) => value.to_string(),
        (Kind::Boolean, "true", Adapter::Sqlite) => "1".to_string(),
        (Kind::Boolean, _, Adapter::Sqlite) => "0".to_string(),
        (Kind::Boolean, _, _) => value.to_uppercase(),
        _ => format!("'{}'", value.replace('\'', "''")),
    }
}

struct FieldScope<'a> {
    adapter: Adapter,
    schema: &'a str,
    /// The schema's snake_case name, which prefixes form keys.
    singular: &'a str,
    /// The table's plural, which names the lists of its rows: `posts`.
    plural: &'a str,
    id: &'static IdInfo,
}

impl FieldScope<'_> {
    fn resolve(&self, spec: &FieldSpec) -> Field {
        let ty = spec.ty;
        let enum_type = match &spec.arg {
            TypeArg::Values(_) => Some(naming::enum_type(self.schema, &spec.name)),
            _ => None,
        };
        let (inner_rust, inner_sql) = match &spec.arg {
            TypeArg::Element(e) => (e.rust.as_str(), e.sql.get(self.adapter)),
            _ => ("", ""),
        };
        let id_sql = self.id.sql.get(self.adapter);
        let type_vars = [
            ("enum", enum_type.as_deref().unwrap_or_default()),
            ("id", self.id.rust.as_str()),
            ("inner", inner_rust),
        ];
        let base_rust_type = types::fill(&ty.rust, &type_vars);
        let sql_vars = [("id", id_sql), ("inner", inner_sql)];
        let modifiers = spec.modifiers;
        Field {
            name: spec.name.clone(),
            ident: naming::rust_ident(&spec.name),
            label: naming::human(&spec.name),
            form_key: [self.singular, "[", &spec.name, "]"].concat(),
            input_id: [self.singular, "_", &spec.name].concat(),
            type_name: ty.name.clone(),
            kind: ty.kind,
            rust_type: if modifiers.optional {
                format!("Option<{base_rust_type}>")
            } else {
                base_rust_type.clone()
            },
            base_rust_type,
            sql_type: types::fill(ty.sql.get(self.adapter), &sql_vars),
            input: ty.input,
            step: ty.step.clone(),
            optional: modifiers.optional,
            unique: modifiers.unique,
            index: (modifiers.index || ty.auto_index) && !modifiers.unique,
            redact: modifiers.redact,
            default: spec.default.clone(),
            default_sql: spec
                .default
                .as_deref()
                .map(|value| default_sql(ty.kind, value, self.adapter)),
            enum_values: enum_values(spec).to_vec(),
            enum_variants: enum_variants(spec),
            array_of: self.array_of(spec),
            references: self.reference(spec),
            test: self.test_values(spec),
            enum_type,
        }
    }

    fn array_of(&self, spec: &FieldSpec) -> Option<ArrayOf> {
        match &spec.arg {
            TypeArg::Element(e) => Some(ArrayOf {
                type_name: e.name.clone(),
                kind: e.kind,
                rust_type: e.rust.clone(),
                sql_type: e.sql.get(self.adapter).to_string(),
            }),
            _ => None,
        }
    }

    fn reference(&self, spec: &FieldSpec) -> Option<Reference> {
        let stem = spec.name.strip_suffix("_id").unwrap_or(&spec.name);
        match &spec.arg {
            TypeArg::Table(table) => Some(Reference {
                table: table.clone(),
                column: "id".to_string(),
                rust_type: self.id.rust.clone(),
                sql_type: self.id.sql.get(self.adapter).to_string(),
                options: [spec.name.as_str(), "_options"].concat(),
                on_delete: spec.on_delete,
                stem: stem.to_string(),
                list_for: ["list_", self.plural, "_for_", stem].concat(),
                parent: None,
            }),
            _ => None,
        }
    }

    fn test_values(&self, spec: &FieldSpec) -> TestValues {
        let values = enum_values(spec);
        let first = values.first().map_or("", String::as_str);
        let second = values.get(1).map_or(first, String::as_str);
        let vars = [
            ("name", spec.name.as_str()),
            ("first", first),
            ("second", second),
        ];
        match &spec.arg {
            TypeArg::Element(e) => {
                let element = e.test.fill(&vars, None);
                spec.ty.test.fill(&vars, Some(("inner", &element)))
            }
            TypeArg::Table(_) => spec.ty.test.fill(&vars, Some(("id", &self.id.test))),
            _ => spec.ty.test.fill(&vars, None),
        }
    }
}

fn enum_values(spec: &FieldSpec) -> &[String] {
    match &spec.arg {
        TypeArg::Values(values) => values,
        _ => &[],
    }
}

fn enum_variants(spec: &FieldSpec) -> Vec<EnumVariant> {
    enum_values(spec)
        .iter()
        .map(|value| EnumVariant {
            value: value.clone(),
            variant: naming::camel(value),
        })
        .collect()
}
