//! `axgen gen auth`: accounts and sessions, as Phoenix's `mix phx.gen.auth`. The users table is
//! a resource like any other (resolved by the spec pipeline from `email`, `hashed_password`,
//! `confirmed_at` and the user's extra fields), so its names, column types and migration come
//! from the same code as `gen schema`'s; what only auth has (password hashing, session tokens,
//! the middleware that finds the current user, the registration and log-in pages) renders from
//! `generator-templates/auth/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;
use serde::Serialize;

use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::generators::edits::ModuleEdits;
use crate::generators::render::{
    API_CONTROLLERS_MARKER, API_ROUTES_MARKER, CONTEXTS_MARKER, CONTROLLERS_MARKER,
    FUNCTIONS_MARKER, IMPORTS_MARKER, ROUTES_MARKER, SCHEMAS_MARKER, render, rust_string, to_value,
};
use crate::generators::schema::{self, FieldModel, Model};
use crate::generators::{App, Generation, Layers, context, html, migration};
use crate::output::Printer;
use crate::plan::{ApplyOptions, Plan};
use crate::project::Project;
use crate::spec::{self, Input, Kind, Resource, Scope, ScopeField};
use crate::sql::{self, Codec};
use crate::templates::Templates;

/// The fields every auth schema has, before the user's own: as `phx.gen.auth`'s.
const AUTH_FIELDS: [&str; 3] = [
    "email:string:unique",
    "hashed_password:string:redact",
    "confirmed_at:utc_datetime:optional",
];

/// The names of [`AUTH_FIELDS`], which extra fields cannot take; nor can `password`, the
/// registration form's.
const TAKEN_NAMES: [&str; 4] = ["email", "hashed_password", "confirmed_at", "password"];

/// The router, where the auth middleware and routes go.
const ROUTER_FILE: &str = "src/web/mod.rs";

/// The app's README, which gains a section on users and email.
const README_FILE: &str = "README.md";

/// The heading of the README before which auth's section goes.
const README_MARKER: &str = "## Database tasks";

/// The library root, where the mailer module is declared.
const LIB_FILE: &str = "src/lib.rs";

/// The mailer module `gen auth` gives the app.
const MAILER_FILE: &str = "src/mailer.rs";

/// The JSON API's module, where the API token controller is declared.
const API_FILE: &str = "src/web/api/mod.rs";

/// The controller of `/dev/mailbox`.
const MAILBOX_CONTROLLER: &str = "dev_mailbox_controller";

/// The layout every page extends, where the log-in links go.
const LAYOUT_FILE: &str = "templates/layout.html";

/// The app's manifest, where auth's crates go.
const CARGO_FILE: &str = "Cargo.toml";

/// The line of `Cargo.toml` before which auth's crates and profiles go, at the end of
/// `[dependencies]`.
const DEV_DEPENDENCIES_MARKER: &str = "[dev-dependencies]";

/// The marker of `src/web/mod.rs` before which middleware of every browser route goes.
const BROWSER_LAYERS_MARKER: &str = "// axgen:browser-layers";

/// The marker of `templates/layout.html` where the header's links go.
const NAV_MARKER: &str = "{# axgen:nav #}";

/// `axgen gen auth Context Schema plural [field...]`, in the domain's terms.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// The auth schema, as for `gen context`: `Accounts User users name:string`.
    pub spec: spec::Request,
    pub apply: ApplyOptions,
}

/// Validates the request, then plans and applies all-or-nothing.
pub fn run(request: &AuthRequest, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    check_fields(&request.spec.fields)?;
    let project = Project::find(cwd)?;
    html::check_app(&project.root).map_err(|_| {
        UsageError::new(
            "`axgen gen auth` needs an app with browser pages, but src/web/view.rs is missing (was the app made with `axgen new --no-html`?)",
        )
        .with_hint("log-in for API-only apps (bearer tokens) is not generated yet")
    })?;
    let resource = resource(&request.spec, project.adapter())?;
    let templates = Templates::new(Some(&project.root));
    let app = App::read(&project.root, &project.config.app.name, &resource)?;
    check_app(&project.root, &app, &resource)?;
    let generation = Generation {
        resource: &resource,
        app: &app,
        layers: Layers::default(),
        templates: &templates,
        now: Utc::now(),
    };
    let mut plan = plan(&generation)?;
    plan.format(&app.root)?;
    plan.apply(&project.root, request.apply, printer)?;
    Ok(ExitCode::SUCCESS)
}

/// The auth schema of `spec` for `adapter`: [`AUTH_FIELDS`], then the user's own fields.
pub fn resource(spec: &spec::Request, adapter: Adapter) -> Result<Resource> {
    check_fields(&spec.fields)?;
    let mut with_auth = spec.clone();
    with_auth.fields = AUTH_FIELDS
        .iter()
        .map(|field| (*field).to_string())
        .chain(spec.fields.iter().cloned())
        .collect();
    let resource = with_auth.parse()?.resolve(adapter);
    check_extra_fields(&resource)?;
    Ok(resource)
}

/// Refuses extra fields named like the ones auth adds.
fn check_fields(fields: &[String]) -> Result<(), UsageError> {
    for field in fields {
        let name = field.split(':').next().unwrap_or_default();
        if TAKEN_NAMES.contains(&name) {
            return Err(UsageError::new(format!(
                "The field \"{name}\" is one `gen auth` makes itself (email, hashed_password, confirmed_at and the form's password)"
            ))
            .with_hint("leave it out, or give your field another name"));
        }
    }
    Ok(())
}

/// Refuses extra fields this first version of the registration form cannot take: those whose
/// value is not a plain input (enums, arrays, maps, references, binaries, dates and times) or
/// crosses the driver as text or JSON.
fn check_extra_fields(resource: &Resource) -> Result<(), UsageError> {
    for field in extra_fields(resource) {
        let plain = matches!(
            field.kind,
            Kind::String | Kind::Text | Kind::Integer | Kind::Bigint | Kind::Float | Kind::Boolean
        );
        if field.unique && !matches!(field.kind, Kind::String | Kind::Text) {
            return Err(UsageError::new(format!(
                "`gen auth` takes unique extra fields of type string or text only, not {} ({}): its tests give each account a value made from its email",
                field.type_name, field.name
            ))
            .with_hint(format!(
                "drop :unique, and add the unique index later with `axgen gen migration add_index_to_{} {}:{}:unique`",
                resource.table, field.name, field.type_name
            )));
        }
        if !plain || sql::codec(resource.adapter, field) != Codec::Native {
            return Err(UsageError::new(format!(
                "`gen auth` takes extra fields of type string, text, integer, bigint, float or boolean, not {} ({})",
                field.type_name, field.name
            ))
            .with_hint(format!(
                "add the field later with `axgen gen migration add_{}_to_{}`",
                field.name, resource.table
            )));
        }
    }
    Ok(())
}

/// Refuses an app that has auth already (its router fetches a current user), or a table of
/// that name made by another generator.
fn check_app(root: &Path, app: &App, resource: &Resource) -> Result<(), UsageError> {
    let router = std::fs::read_to_string(root.join(ROUTER_FILE)).unwrap_or_default();
    if router.contains("::fetch_current_") {
        return Err(UsageError::new(format!(
            "This app has auth already ({ROUTER_FILE} fetches the current user), so `gen auth` cannot run again"
        ))
        .with_hint("an app has one auth schema; delete the files of the first run to start over"));
    }
    if app.recorded.contains_key(&resource.table) || root.join(&resource.schema.file).exists() {
        return Err(UsageError::new(format!(
            "The table \"{}\" (or its schema module {}) already exists in this app, made by another generator",
            resource.table, resource.schema.file
        ))
        .with_hint("choose another schema and table, e.g. `axgen gen auth Accounts Member members`"));
    }
    Ok(())
}

/// The scope of the resources whose rows belong to a logged-in row of `auth`, the auth
/// schema an app's `gen auth` made.
pub fn scope(auth: &Resource) -> Scope {
    let names = AuthNames::new(auth);
    let context_path = auth
        .context
        .as_ref()
        .map(|context| context.module_path.clone())
        .unwrap_or_default();
    Scope {
        key: auth.singular.clone(),
        column: names.user_column,
        table: auth.table.clone(),
        references: auth.primary_key.clone(),
        rust_type: auth.id_rust_type.clone(),
        sql_type: auth.id_sql_type.clone(),
        binary_id: auth.binary_id,
        context_module: auth
            .context
            .as_ref()
            .map(|context| context.module.clone())
            .unwrap_or_default(),
        schema: auth.schema.name.clone(),
        schema_path: [context_path.as_str(), "::", &auth.schema.name].concat(),
        context_path,
        human: auth.human_singular.to_lowercase(),
        auth_module: names.auth_module,
        require: names.require,
        log_in_path: names.log_in_path,
        register: names.functions.register,
        generate_api_token: names.functions.generate_api_token,
        extra_fields: extra_fields(auth)
            .iter()
            .map(|field| ScopeField {
                name: field.name.clone(),
                json: json_value(field),
                form_value: form_value(field),
            })
            .collect(),
    }
}

/// The user's own fields: those after [`AUTH_FIELDS`].
pub fn extra_fields(resource: &Resource) -> &[spec::Field] {
    &resource.fields[AUTH_FIELDS.len()..]
}

/// Every name auth's generated code uses, computed once from the resolved resource.
#[derive(Debug, Clone, Serialize)]
pub struct AuthNames {
    /// `src/web/user_auth.rs`'s module: `user_auth`.
    pub auth_module: String,
    /// `user_registration_controller`.
    pub registration_controller: String,
    /// `user_session_controller`.
    pub session_controller: String,
    /// `user_settings_controller`.
    pub settings_controller: String,
    /// `user_reset_password_controller`.
    pub reset_password_controller: String,
    /// `src/web/api/user_token_controller.rs`'s module: `user_token_controller`.
    pub api_token_controller: String,
    /// `src/web/login_limiter.rs`'s module: `login_limiter`, the same whatever the schema
    /// (an app has one auth), short enough that its layer in the router stays on one line.
    pub limiter_module: String,
    /// The context's module of emails to the user: `user_notifier`.
    pub notifier_module: String,
    /// The page templates' folders: `user_registration`, `user_session`, `user_settings`,
    /// `user_reset_password`.
    pub registration_templates: String,
    pub session_templates: String,
    pub settings_templates: String,
    pub reset_password_templates: String,
    /// The request's current user: `CurrentUser`.
    pub current: String,
    /// The extractor that requires one: `RequireUser`.
    pub require: String,
    /// The template variable: `current_user`.
    pub assign: String,
    /// The session cookie: `_user_token`.
    pub cookie: String,
    /// The tokens table: `users_tokens`.
    pub tokens_table: String,
    /// Its column referring to the user: `user_id`.
    pub user_column: String,
    /// The module of token helpers in the context: `user_token`.
    pub token_module: String,
    /// `/users/register`, `/users/log-in`, `/users/log-out`, `/users/settings`,
    /// `/users/reset-password`, and `/users/tokens` (under `/api`).
    pub register_path: String,
    pub log_in_path: String,
    pub log_out_path: String,
    pub settings_path: String,
    pub reset_password_path: String,
    pub api_tokens_path: String,
    pub functions: AuthFunctions,
}

/// The context functions of auth, named as Phoenix's.
#[derive(Debug, Clone, Serialize)]
pub struct AuthFunctions {
    pub get: String,
    pub get_by_email: String,
    pub get_by_email_and_password: String,
    pub change_registration: String,
    pub register: String,
    pub generate_session_token: String,
    pub get_by_session_token: String,
    pub delete_session_token: String,
    pub update_email: String,
    pub update_password: String,
    pub deliver_reset_password_instructions: String,
    pub get_by_reset_password_token: String,
    pub reset_password: String,
    pub generate_api_token: String,
    pub get_by_api_token: String,
    pub delete_api_token: String,
}

impl AuthNames {
    pub fn new(resource: &Resource) -> AuthNames {
        let one = resource.singular.as_str();
        let schema = resource.schema.name.as_str();
        let path = resource.route_path.as_str();
        let f = |pattern: &str| pattern.replace("{}", one);
        AuthNames {
            auth_module: f("{}_auth"),
            registration_controller: f("{}_registration_controller"),
            session_controller: f("{}_session_controller"),
            settings_controller: f("{}_settings_controller"),
            reset_password_controller: f("{}_reset_password_controller"),
            api_token_controller: f("{}_token_controller"),
            limiter_module: "login_limiter".to_string(),
            notifier_module: f("{}_notifier"),
            registration_templates: f("{}_registration"),
            session_templates: f("{}_session"),
            settings_templates: f("{}_settings"),
            reset_password_templates: f("{}_reset_password"),
            current: format!("Current{schema}"),
            require: format!("Require{schema}"),
            assign: f("current_{}"),
            cookie: f("_{}_token"),
            tokens_table: format!("{}_tokens", resource.table),
            user_column: f("{}_id"),
            token_module: f("{}_token"),
            register_path: format!("{path}/register"),
            log_in_path: format!("{path}/log-in"),
            log_out_path: format!("{path}/log-out"),
            settings_path: format!("{path}/settings"),
            reset_password_path: format!("{path}/reset-password"),
            api_tokens_path: format!("{path}/tokens"),
            functions: AuthFunctions {
                get: resource.functions.get.clone(),
                get_by_email: f("get_{}_by_email"),
                get_by_email_and_password: f("get_{}_by_email_and_password"),
                change_registration: f("change_{}_registration"),
                register: f("register_{}"),
                generate_session_token: f("generate_{}_session_token"),
                get_by_session_token: f("get_{}_by_session_token"),
                delete_session_token: f("delete_{}_session_token"),
                update_email: f("update_{}_email"),
                update_password: f("update_{}_password"),
                deliver_reset_password_instructions: f("deliver_{}_reset_password_instructions"),
                get_by_reset_password_token: f("get_{}_by_reset_password_token"),
                reset_password: f("reset_{}_password"),
                generate_api_token: f("generate_{}_api_token"),
                get_by_api_token: f("get_{}_by_api_token"),
                delete_api_token: f("delete_{}_api_token"),
            },
        }
    }
}

/// An extra field as the templates use it.
#[derive(Debug, Clone, Serialize)]
struct ExtraField<'a> {
    #[serde(flatten)]
    field: FieldModel<'a>,
    /// The longest text a `VARCHAR` column keeps, checked by the changeset.
    max_length: Option<usize>,
    /// A valid form value of the tests' registration of `email`, as a Rust `&str`.
    form_value: String,
    /// A valid value of the tests' registration of `email`, in `json!`.
    json: String,
}

/// An input of the registration form.
#[derive(Debug, Clone, Serialize)]
struct FormField {
    name: String,
    label: String,
    input: String,
    autocomplete: Option<&'static str>,
    required: bool,
}

/// The DDL of the tokens table, per dialect.
#[derive(Debug, Clone, Serialize)]
struct TokensTable {
    name: String,
    id_type: String,
    autoincrement: &'static str,
    user_column: String,
    user_type: String,
    hash_type: &'static str,
    context_type: &'static str,
    timestamp_type: String,
    now: &'static str,
    fk_name: String,
    hash_index: String,
    user_index: String,
}

/// Everything the auth templates use.
#[derive(Debug, Clone, Serialize)]
struct AuthModel<'a> {
    app: &'a str,
    adapter: Adapter,
    command: String,
    resource: &'a Resource,
    extra: Vec<ExtraField<'a>>,
    form_fields: Vec<FormField>,
    names: AuthNames,
    /// The context's module path from the crate root: `accounts`.
    context_path: String,
    /// The context's own module name: `accounts`.
    context_module: String,
    /// The users table's columns, in the struct's order.
    columns: Vec<String>,
    /// Placeholders by number from 1 (`p[1]`); `p[0]` is unused.
    p: Vec<String>,
    /// The parameter numbers of the registration's insert.
    insert_params: Vec<usize>,
    /// Whether an insert returns the new id (`RETURNING`), which MySQL cannot.
    returning: bool,
    tokens: TokensTable,
}

impl<'a> AuthModel<'a> {
    fn new(resource: &'a Resource, app: &'a str, fields: &'a [FieldModel<'a>]) -> AuthModel<'a> {
        let adapter = resource.adapter;
        let names = AuthNames::new(resource);
        let extra: Vec<ExtraField> = fields[AUTH_FIELDS.len()..]
            .iter()
            .map(|field| ExtraField {
                field: field.clone(),
                max_length: (field.field.kind == Kind::String).then_some(255),
                form_value: form_value(field.field),
                json: json_value(field.field),
            })
            .collect();
        let mut form_fields = vec![
            FormField {
                name: "email".into(),
                label: "Email".into(),
                input: "email".into(),
                autocomplete: Some("username"),
                required: true,
            },
            FormField {
                name: "password".into(),
                label: "Password".into(),
                input: "password".into(),
                autocomplete: Some("new-password"),
                required: true,
            },
        ];
        form_fields.extend(extra.iter().map(|extra| FormField {
            name: extra.field.field.name.clone(),
            label: extra.field.field.label.clone(),
            input: input_name(extra.field.field.input),
            autocomplete: None,
            required: false,
        }));
        let segments = resource
            .context
            .as_ref()
            .map(|context| context.segments.clone())
            .unwrap_or_default();
        let columns = std::iter::once("id".to_string())
            .chain(resource.fields.iter().map(|field| field.name.clone()))
            .chain(["inserted_at".to_string(), "updated_at".to_string()])
            .collect();
        let insert_count = 2 + extra.len() + 2;
        let table = sql::table(resource);
        let timestamp_type = table
            .columns
            .iter()
            .find(|column| column.name == "inserted_at")
            .map(|column| column.sql_type.clone())
            .unwrap_or_default();
        let tokens_table = names.tokens_table.clone();
        let tokens = TokensTable {
            id_type: resource.id_sql_type.clone(),
            autoincrement: table.id.autoincrement.unwrap_or_default(),
            user_column: names.user_column.clone(),
            user_type: resource.id_sql_type.clone(),
            hash_type: match adapter {
                Adapter::Sqlite => "TEXT",
                Adapter::Postgres | Adapter::Mysql => "CHAR(64)",
            },
            context_type: match adapter {
                Adapter::Sqlite => "TEXT",
                Adapter::Postgres | Adapter::Mysql => "VARCHAR(32)",
            },
            timestamp_type,
            now: sql::now_default(adapter),
            fk_name: format!("{tokens_table}_{}_fkey", names.user_column),
            hash_index: sql::index_name(&tokens_table, "token_hash"),
            user_index: sql::index_name(&tokens_table, &names.user_column),
            name: tokens_table,
        };
        AuthModel {
            app,
            adapter,
            command: spec::recorded("auth", resource),
            resource,
            extra,
            form_fields,
            context_path: segments.join("::"),
            context_module: segments.last().cloned().unwrap_or_default(),
            names,
            columns,
            p: (0..=insert_count.max(4))
                .map(|n| sql::placeholder(adapter, n))
                .collect(),
            insert_params: (1..=insert_count).collect(),
            returning: adapter != Adapter::Mysql,
            tokens,
        }
    }
}

/// The HTML input type of a plain field.
fn input_name(input: Input) -> String {
    serde_json::to_value(input)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| "text".to_string())
}

/// A valid form value of `field` for the generated tests' registration of `email`, as a Rust
/// `&str`: a unique field's is made from the email, so that every account has its own.
fn form_value(field: &spec::Field) -> String {
    if field.unique {
        format!("{}.as_str()", unique_value(field))
    } else {
        rust_string(&field.test.create_form)
    }
}

/// A valid value of `field` for the generated tests' registration of `email`, in `json!`: a
/// unique field's is made from the email.
fn json_value(field: &spec::Field) -> String {
    if field.unique {
        unique_value(field)
    } else {
        field.test.create_json.clone()
    }
}

/// The value of a unique (string or text) field for the account of `email`: a Rust
/// expression.
fn unique_value(field: &spec::Field) -> String {
    format!(
        "format!({})",
        rust_string(&[&field.test.create_form, " {email}"].concat())
    )
}

/// The plan of `gen auth`: the migration, the schema and token modules, the context's
/// functions, the middleware, controllers, pages and tests, and their places in the app.
pub fn plan(generation: &Generation) -> Result<Plan> {
    let Generation {
        resource,
        app,
        templates,
        now,
        ..
    } = *generation;
    let model = Model::new(resource, &app.name, "auth");
    let auth = AuthModel::new(resource, &app.name, &model.fields);
    // Converted once: every template below renders it.
    let auth_value = to_value(&auth);
    let mut plan = Plan::default();
    let mut edits = ModuleEdits::default();

    plan_migration(&mut plan, &model, &auth, app, templates, now)?;

    // The schema and token modules, declared in the context.
    schema::declare_context(resource, templates, &mut edits)?;
    let Some(context_name) = &resource.context else {
        return Err(UsageError::new("`gen auth` needs a context, such as Accounts").into());
    };
    let context_file = &context_name.file;
    plan.create_rust(
        &resource.schema.file,
        templates.render("auth/schema.rs.jinja", &auth_value)?,
    );
    let token_file =
        Path::new(&resource.schema.file).with_file_name(format!("{}.rs", auth.names.token_module));
    plan.create_rust(
        token_file.with_file_name(format!("{}.rs", auth.names.notifier_module)),
        templates.render("auth/notifier.rs.jinja", &auth_value)?,
    );
    plan.create_rust(
        token_file,
        templates.render("auth/token.rs.jinja", &auth_value)?,
    );
    let declarations = [
        format!("pub mod {};", resource.schema.module),
        format!(
            "pub use {}::{};",
            resource.schema.module, resource.schema.name
        ),
        format!("pub mod {};", auth.names.token_module),
        format!("pub mod {};", auth.names.notifier_module),
    ]
    .join("\n");
    edits.insert(context_file, SCHEMAS_MARKER, declarations);
    let imports = render(templates, "context/imports.rs.jinja", &model)?;
    edits.insert(context_file, IMPORTS_MARKER, imports);
    let functions = templates.render("auth/functions.rs.jinja", &auth_value)?;
    edits.insert_rust(
        context_file,
        FUNCTIONS_MARKER,
        functions.trim_end().to_string() + "\n\n",
    );
    edits.plan(&mut plan, &app.root)?;

    // The mailer, which the app owns.
    plan.create_rust(
        MAILER_FILE,
        templates.render("auth/mailer.rs.jinja", &auth_value)?,
    );
    plan.inject(LIB_FILE, CONTEXTS_MARKER, "pub mod mailer;".to_string());

    // The web layer.
    let names = &auth.names;
    for (module, template) in [
        (&names.auth_module, "auth/user_auth.rs.jinja"),
        (&names.limiter_module, "auth/login_limiter.rs.jinja"),
        (
            &names.registration_controller,
            "auth/registration_controller.rs.jinja",
        ),
        (
            &names.session_controller,
            "auth/session_controller.rs.jinja",
        ),
        (
            &names.settings_controller,
            "auth/settings_controller.rs.jinja",
        ),
        (
            &names.reset_password_controller,
            "auth/reset_password_controller.rs.jinja",
        ),
        (
            &MAILBOX_CONTROLLER.to_string(),
            "auth/mailbox_controller.rs.jinja",
        ),
    ] {
        let file = PathBuf::from("src/web").join(module).with_extension("rs");
        plan.create_rust(file, templates.render(template, &auth_value)?);
        plan.inject(
            ROUTER_FILE,
            CONTROLLERS_MARKER,
            format!("pub mod {module};"),
        );
    }
    for controller in [
        names.registration_controller.as_str(),
        &names.session_controller,
        &names.settings_controller,
        &names.reset_password_controller,
        MAILBOX_CONTROLLER,
    ] {
        plan.inject(
            ROUTER_FILE,
            ROUTES_MARKER,
            format!(".merge({controller}::routes())"),
        );
    }
    plan.create_rust(
        PathBuf::from("src/web/api")
            .join(&names.api_token_controller)
            .with_extension("rs"),
        templates.render("auth/api_token_controller.rs.jinja", &auth_value)?,
    );
    plan.inject(
        API_FILE,
        API_CONTROLLERS_MARKER,
        format!("pub mod {};", names.api_token_controller),
    );
    plan.inject(
        ROUTER_FILE,
        API_ROUTES_MARKER,
        format!(".merge(api::{}::routes())", names.api_token_controller),
    );
    for layer in [
        "axum::Extension(crate::mailer::Mailer::from_env())".to_string(),
        format!(
            "axum::Extension({}::LoginLimiter::default())",
            names.limiter_module
        ),
    ] {
        plan.inject(
            ROUTER_FILE,
            BROWSER_LAYERS_MARKER,
            format!(".layer({layer})"),
        );
    }
    plan.inject(
        ROUTER_FILE,
        BROWSER_LAYERS_MARKER,
        // As rustfmt lays it out: the call is longer than its `fn_call_width`.
        format!(
            ".layer(middleware::from_fn_with_state(\n    state.clone(),\n    {}::fetch_{},\n))",
            names.auth_module, names.assign
        ),
    );
    // The pages: `templates/<folder>/<page>`, each from `auth/templates/<template>.jinja`.
    for (folder, page, template) in [
        (
            &names.registration_templates,
            "new.html",
            "registration_new",
        ),
        (&names.session_templates, "new.html", "session_new"),
        (&names.settings_templates, "edit.html", "settings_edit"),
        (
            &names.reset_password_templates,
            "new.html",
            "reset_password_new",
        ),
        (
            &names.reset_password_templates,
            "edit.html",
            "reset_password_edit",
        ),
        (&"dev".to_string(), "mailbox.html", "mailbox"),
    ] {
        let template = format!("auth/templates/{template}.html.jinja");
        let path = Path::new("templates").join(folder).join(page);
        plan.create(path, templates.render(&template, &auth_value)?);
    }
    plan.inject(
        LAYOUT_FILE,
        NAV_MARKER,
        templates.render("auth/templates/nav.html.jinja", &auth_value)?,
    );

    // The README's section, when the README still has the heading it goes before.
    let readme = std::fs::read_to_string(app.root.join(README_FILE)).unwrap_or_default();
    if readme.contains(README_MARKER) {
        plan.inject(
            README_FILE,
            README_MARKER,
            templates.render("auth/readme.md.jinja", &auth_value)?,
        );
    }

    plan.inject(
        CARGO_FILE,
        DEV_DEPENDENCIES_MARKER,
        templates.render("auth/cargo_dependencies.toml.jinja", &auth_value)?,
    );

    // Tests.
    plan.create_rust(
        context::test_file(resource),
        templates.render("auth/context_test.rs.jinja", &auth_value)?,
    );
    plan.create_rust(
        format!("tests/{}.rs", names.auth_module),
        templates.render("auth/controller_test.rs.jinja", &auth_value)?,
    );

    plan.next_steps = next_steps(&auth);
    Ok(plan)
}

/// `migrations/<version>_create_<table>_auth_tables.up.sql` and `.down.sql`: the users table
/// as `gen schema` makes it, its email unique whatever its case, then the tokens table.
fn plan_migration(
    plan: &mut Plan,
    model: &Model,
    auth: &AuthModel,
    app: &App,
    templates: &Templates,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    let dir = app.root.join(migration::MIGRATIONS_DIR);
    for table in [&model.resource.table, &auth.names.tokens_table] {
        if let Some(file) = schema::migration_creating(&dir, table)? {
            return Err(UsageError::new(format!(
                "The table \"{table}\" is already created by migrations/{file}, so `gen auth` cannot create it"
            ))
            .with_hint("choose another schema and table, e.g. `axgen gen auth Accounts Member members`")
            .into());
        }
    }
    let version = migration::next_version(&migration::existing(&dir)?, now);
    let name = format!("create_{}_auth_tables", model.resource.table);
    let base = PathBuf::from(migration::MIGRATIONS_DIR).join(migration::stem(version, &name));
    let mut users = model.clone();
    case_insensitive_email(&mut users.table, model.adapter);
    let up = render(templates, "schema/up.sql.jinja", &users)?
        + &render(templates, "auth/tokens_up.sql.jinja", auth)?;
    plan.create(base.with_extension("up.sql"), up);
    plan.create(
        base.with_extension("down.sql"),
        render(templates, "auth/down.sql.jinja", auth)?,
    );
    Ok(())
}

/// Makes the unique index on `email` ignore case, on top of the context storing emails
/// lowercased: SQLite compares the column with `NOCASE`, PostgreSQL indexes `lower(email)`,
/// and MySQL's default collations already ignore case.
fn case_insensitive_email(table: &mut sql::Table, adapter: Adapter) {
    match adapter {
        Adapter::Sqlite => {
            for column in table.columns.iter_mut().filter(|c| c.name == "email") {
                column.sql_type.push_str(" COLLATE NOCASE");
            }
        }
        Adapter::Postgres => {
            for index in table.indexes.iter_mut().filter(|i| i.column == "email") {
                index.column = "lower(email)".to_string();
            }
        }
        Adapter::Mysql => {}
    }
}

/// What to do after `gen auth`.
fn next_steps(auth: &AuthModel) -> Vec<String> {
    vec![
        "Remember to update your repository by running migrations:".to_string(),
        String::new(),
        "    $ axgen migrate".to_string(),
        String::new(),
        format!(
            "Then register at {} and log in at {}. Handlers that need a logged-in {} take `{}::{}` (see src/web/{}.rs).",
            auth.names.register_path,
            auth.names.log_in_path,
            auth.resource.human_singular.to_lowercase(),
            auth.names.auth_module,
            auth.names.require,
            auth.names.auth_module
        ),
    ]
}
