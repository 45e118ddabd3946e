//! `axgen gen context`: the context's public data API for a schema (`list_posts`,
//! `get_post`, `create_post`, `update_post`, `delete_post`, `change_post`), added to the
//! context module (made if need be), with the schema and migration of `gen schema` and the
//! context's tests. `gen html` and `gen json` build on [`plan`].

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::error::UsageError;
use crate::generators::app::App;
use crate::generators::auth;
use crate::generators::edits::ModuleEdits;
use crate::generators::render::{FUNCTIONS_MARKER, IMPORTS_MARKER, render, to_value};
use crate::generators::schema::{self, FieldModel, Model};
use crate::generators::{GenRequest, Generation};
use crate::plan::{Op, Plan};
use crate::spec::{Field, Kind, OnDelete, Resource};
use crate::templates::Templates;

/// The context and test templates' model: the schema's, plus the rows tests insert for
/// references. `gen html` and `gen json` build their tests' model on it.
#[derive(Debug, Clone, Serialize)]
pub struct TestModel<'a> {
    #[serde(flatten)]
    pub model: &'a Model<'a>,
    /// Every field with a valid value for a new row (JSON, or the variable of a fixture).
    pub fields: Vec<TestField<'a>>,
    /// The tables the resource references directly, with the fixture inserting a row.
    pub fixtures: Vec<Fixture>,
    /// Every fixture function the tests define, dependencies first.
    pub fixture_fns: Vec<Fixture>,
    /// The calls inserting the rows a new row references, each parent once, dependencies
    /// first: a parent referenced directly and through another parent is shared.
    pub setup: Vec<FixtureCall>,
    /// Whether a fixture draws unique values from `unique_number()`.
    pub numbered: bool,
    /// Whether tests can make two rows with different unique values.
    pub unique_update_test: bool,
    /// Whether tests can make a second row from the update params (and the first row's
    /// references): no unique field, or `unique_update_test`.
    pub two_rows: bool,
    /// The values of redacted string, text and UUID fields in valid params, as Rust string
    /// literals: `Debug`, list pages and logs never show them.
    pub hidden: Vec<String>,
}

/// A field with its value in valid params.
#[derive(Debug, Clone, Serialize)]
pub struct TestField<'a> {
    #[serde(flatten)]
    pub field: &'a FieldModel<'a>,
    /// The value in valid params: a JSON literal, or a fixture's variable.
    pub value: String,
}

/// A function of the tests inserting a row of a referenced table.
#[derive(Debug, Clone, Serialize)]
pub struct Fixture {
    pub table: String,
    /// `insert_user`.
    pub function: String,
    /// The variable holding the new row's id: `user_id`.
    pub var: String,
    /// The Rust type of the id.
    pub id_type: String,
    /// The resource of the table, when axgen generated it with a context; without one the
    /// fixture is left for the user to write.
    pub parent: Option<Resource>,
    /// The parent's context function that inserts the row: `create_post`, or for the
    /// accounts of `gen auth`, `register_user`.
    pub create: String,
    /// Whether the row is an account of `gen auth`, registered with an email and a password
    /// (the tests do not delete one).
    pub registers: bool,
    /// The path of the parent's context from the tests: `blog::accounts`.
    pub context_path: Option<String>,
    /// The parent's fields with valid values.
    pub fields: Vec<FixtureField>,
    /// The ids of the rows the parent references, which the caller inserts first and
    /// passes: `user_id: i64`.
    pub params: Vec<FixtureParam>,
    /// Unique values drawn per call: `let n = unique_number();` and one `let` per enum.
    pub numbered: bool,
    /// The first field of the resource referencing the table.
    pub field: Option<FieldRef>,
}

/// A field of a parent row with its value in valid params.
#[derive(Debug, Clone, Serialize)]
pub struct FixtureField {
    pub name: String,
    /// A JSON literal, a parameter, or a Rust expression of `n` for a unique field.
    pub value: String,
    /// The `let` binding the value needs first (a unique enum's pick), if any.
    pub binding: Option<String>,
}

/// A parameter of a fixture: the id of a row it references.
#[derive(Debug, Clone, Serialize)]
pub struct FixtureParam {
    pub var: String,
    pub id_type: String,
}

/// A fixture call in a test's setup: `let var = function(db, args...).await?;`.
#[derive(Debug, Clone, Serialize)]
pub struct FixtureCall {
    pub function: String,
    pub var: String,
    /// The variables of earlier calls it takes.
    pub args: Vec<String>,
    /// Whether the resource references the row directly.
    pub direct: bool,
    /// Whether a later call takes the row's id too.
    pub reused: bool,
}

/// The field of the resource holding a reference.
#[derive(Debug, Clone, Serialize)]
pub struct FieldRef {
    pub ident: String,
    pub optional: bool,
    /// What deleting the referenced row does to the resource's row.
    pub on_delete: OnDelete,
}

/// Plans the context functions of the resource with, unless the layers say otherwise, its
/// schema and migration, and their tests; `generator` (`context`, `html`, `json`) is recorded
/// in the schema module.
pub fn plan(generation: &Generation, generator: &str) -> Result<Plan> {
    let Generation {
        resource,
        app,
        layers,
        templates,
        ..
    } = *generation;
    let model = Model::new(resource, &app.name, generator);
    let mut edits = ModuleEdits::default();
    let mut plan = if layers.schema {
        schema::plan_schema(&model, generation, &mut edits)?
    } else {
        require_schema(resource, app)?;
        schema::declare_schema(resource, templates, &mut edits)?;
        Plan::default()
    };
    add_functions(&model, templates, &mut edits)?;
    edits.plan(&mut plan, &app.root)?;
    let test_model = test_model(&model, app);
    let tests = render(templates, "context/test.rs.jinja", &test_model)?;
    plan.create_rust(test_file(resource), tests);
    plan.next_steps = schema::next_steps(&model, layers.schema && layers.migration);
    let fixture_steps = fixture_steps(resource, &test_model.fixture_fns);
    plan.next_steps.extend(fixture_steps);
    Ok(plan)
}

/// Adds the schema's functions, and the imports they need, to its context module.
fn add_functions(model: &Model, templates: &Templates, edits: &mut ModuleEdits) -> Result<()> {
    let resource = model.resource;
    let Some(context) = &resource.context else {
        return Err(UsageError::new("a context is needed to generate context functions").into());
    };
    let model = to_value(model);
    let functions = templates.render("context/functions.rs.jinja", &model)?;
    let labels = templates.render("context/labels.rs.jinja", &model)?;
    let filters = templates.render("context/filters.rs.jinja", &model)?;
    // A blank line between each schema's functions and the next.
    let functions = [&functions, &filters, &labels]
        .iter()
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
        .map(|text| [text, "\n\n"].concat())
        .collect::<String>();
    let imports = templates.render("context/imports.rs.jinja", &model)?;
    edits.insert(&context.file, IMPORTS_MARKER, imports);
    // The owner's schema, in a group of its own (an injection is not laid out by rustfmt),
    // unless it is a schema of this context.
    if let Some(scope) = &resource.scope
        && scope.context_path != context.module_path
    {
        let import = format!("\nuse crate::{};\n", scope.schema_path);
        edits.insert(&context.file, IMPORTS_MARKER, import);
    }
    edits.insert_rust(&context.file, FUNCTIONS_MARKER, functions);
    Ok(())
}

/// `tests/<context>_<plural>.rs`: `tests/blog_posts.rs`, `tests/admin_blog_posts.rs`.
pub fn test_file(resource: &Resource) -> String {
    let context = resource
        .context
        .as_ref()
        .map(|c| c.segments.join("_"))
        .unwrap_or_default();
    format!("tests/{context}_{}.rs", resource.plural)
}

/// With `--no-schema`, the schema module must already exist.
fn require_schema(resource: &Resource, app: &App) -> Result<(), UsageError> {
    let file = &resource.schema.file;
    if app.root.join(file).is_file() {
        return Ok(());
    }
    Err(UsageError::new(format!(
        "--no-schema uses the existing schema module {file}, which does not exist"
    ))
    .with_hint("drop --no-schema to generate the schema too"))
}

/// Refuses a laid-out `plan` that adds the functions of a schema to a context that has other
/// functions of the same names (from an earlier generation with other fields).
pub fn refuse_other_functions(plan: &Plan, resource: &Resource, app: &App) -> Result<()> {
    let Some(context) = &resource.context else {
        return Ok(());
    };
    let Some(existing) = app.context(&context.file) else {
        return Ok(());
    };
    let functions = plan.ops.iter().find_map(|op| match op {
        Op::Inject {
            path, marker, text, ..
        } if *path == std::path::Path::new(&context.file) && marker == FUNCTIONS_MARKER => {
            Some(text)
        }
        _ => None,
    });
    let Some(functions) = functions else {
        return Ok(());
    };
    let list = format!("list_{}", resource.plural);
    if existing.functions.contains(&list) && !existing.text.contains(functions.trim_end()) {
        return Err(UsageError::new(format!(
            "{} already has list_{} and the other functions of {}, from another generation",
            context.file, resource.plural, resource.schema.name
        ))
        .with_hint("delete those functions first, or generate them as they were")
        .into());
    }
    Ok(())
}

/// The test model: valid values for every field, and fixtures for referenced tables.
pub fn test_model<'a>(model: &'a Model<'a>, app: &App) -> TestModel<'a> {
    let resource = model.resource;
    let known = app.generated();
    let mut fixtures = Fixtures::new(&known, app.auth(), &app.name, resource);
    let mut direct: Vec<Fixture> = Vec::new();
    let fields = model
        .fields
        .iter()
        .map(|field| {
            let value = match &field.field.references {
                Some(reference) => fixtures.reference_value(&reference.table, field, &mut direct),
                None => field.field.test.create_json.clone(),
            };
            TestField { field, value }
        })
        .collect();
    let unique_update_test = model.has.unique
        && model.fields.iter().filter(|f| f.field.unique).all(|f| {
            f.field.references.is_none() && f.field.test.create_json != f.field.test.update_json
        });
    let hidden = resource
        .fields
        .iter()
        .filter(|f| f.redact && matches!(f.kind, Kind::String | Kind::Text | Kind::Uuid))
        .map(|f| serde_json::Value::from(f.test.create_form.as_str()).to_string())
        .collect();
    let setup = setup_calls(&fixtures.defined, &direct);
    TestModel {
        model,
        fields,
        numbered: fixtures.defined.iter().any(|f| f.numbered),
        setup,
        fixtures: direct,
        fixture_fns: fixtures.defined,
        unique_update_test,
        two_rows: !model.has.unique || unique_update_test,
        hidden,
    }
}

/// Builds the fixtures of referenced tables, each once, dependencies first.
pub struct Fixtures<'a> {
    known: &'a BTreeMap<String, Resource>,
    /// The app's auth schema, whose rows the fixtures register.
    auth: Option<&'a Resource>,
    /// The app's crate name, which starts the paths to parents' contexts.
    app: &'a str,
    own_table: &'a str,
    id_type: &'a str,
    /// The fixtures built so far.
    pub defined: Vec<Fixture>,
}

impl<'a> Fixtures<'a> {
    /// No fixture yet, for the tests of `resource`; `known` are the resources of
    /// [`App::generated`], `auth` the app's auth schema ([`App::auth`]).
    pub fn new(
        known: &'a BTreeMap<String, Resource>,
        auth: Option<&'a Resource>,
        app: &'a str,
        resource: &'a Resource,
    ) -> Fixtures<'a> {
        Fixtures {
            known,
            auth,
            app,
            own_table: &resource.table,
            id_type: &resource.id_rust_type,
            defined: Vec::new(),
        }
    }

    /// The value of the reference `field` to `table` in valid params: the variable of the
    /// table's fixture (noted in `direct` the first time), or `null` without one.
    pub fn reference_value(
        &mut self,
        table: &str,
        field: &FieldModel,
        direct: &mut Vec<Fixture>,
    ) -> String {
        let Some(mut fixture) = self.for_table(table, &mut Vec::new()) else {
            return "null".to_string();
        };
        if !direct.iter().any(|f| f.table == fixture.table) {
            fixture.field = Some(FieldRef {
                ident: field.field.ident.clone(),
                optional: field.field.optional,
                on_delete: field
                    .field
                    .references
                    .as_ref()
                    .map_or(OnDelete::Restrict, |r| r.on_delete),
            });
            direct.push(fixture.clone());
        }
        fixture.var
    }

    /// The fixture of `table`, defined with the ones it needs; `None` for the resource's
    /// own table and for a reference cycle (the reference is then left empty).
    pub fn for_table(&mut self, table: &str, path: &mut Vec<String>) -> Option<Fixture> {
        if table == self.own_table || path.iter().any(|t| t == table) {
            return None;
        }
        if let Some(fixture) = self.defined.iter().find(|f| f.table == table) {
            return Some(fixture.clone());
        }
        let account = self.auth.filter(|auth| auth.table == table).cloned();
        let fixture = match self.known.get(table).cloned() {
            Some(parent) => {
                path.push(table.to_string());
                let fixture = self.parent_fixture(parent, path);
                path.pop();
                fixture
            }
            None if let Some(auth) = account => self.account_fixture(auth),
            None => Fixture {
                table: table.to_string(),
                function: format!("insert_{table}_row"),
                var: format!("{table}_id"),
                id_type: self.id_type.to_string(),
                parent: None,
                create: String::new(),
                registers: false,
                context_path: None,
                fields: Vec::new(),
                params: Vec::new(),
                numbered: false,
                field: None,
            },
        };
        self.defined.push(fixture.clone());
        Some(fixture)
    }

    fn parent_fixture(&mut self, parent: Resource, path: &mut Vec<String>) -> Fixture {
        let row = self.row(&parent.fields, path);
        let create = parent.functions.create.clone();
        self.fixture(parent, create, false, row)
    }

    /// The fixture of the auth schema's table: an account registered through its context,
    /// with an email of its own, the tests' password and valid values of its own fields.
    fn account_fixture(&mut self, auth: Resource) -> Fixture {
        let own = self.row(auth::extra_fields(&auth), &mut Vec::new());
        let login = [
            (
                "email",
                format!("format!(\"{}{{n}}@example.com\")", auth.singular),
            ),
            ("password", "\"hello world!\"".to_string()),
        ]
        .map(|(name, value)| FixtureField {
            name: name.to_string(),
            value,
            binding: None,
        });
        let row = Row {
            fields: login.into_iter().chain(own.fields).collect(),
            params: own.params,
            numbered: true,
        };
        let register = auth::scope(&auth).register;
        self.fixture(auth, register, true, row)
    }

    /// The fixture inserting `row` into the table of `parent` with its context's function
    /// `create` (registering an account when `registers`).
    fn fixture(&self, parent: Resource, create: String, registers: bool, row: Row) -> Fixture {
        Fixture {
            table: parent.table.clone(),
            function: parent.functions.insert.clone(),
            var: format!("{}_id", parent.singular),
            id_type: parent.id_rust_type.clone(),
            numbered: row.numbered,
            fields: row.fields,
            params: row.params,
            context_path: parent
                .context
                .as_ref()
                .map(|context| [self.app, "::", &context.module_path].concat()),
            create,
            registers,
            parent: Some(parent),
            field: None,
        }
    }

    /// The values of `fields` in a fixture's row: for a reference, the id of the row it
    /// references (a parameter of the fixture); for a unique field, a value drawn from `n`;
    /// else a valid value.
    fn row(&mut self, fields: &[Field], path: &mut Vec<String>) -> Row {
        let mut row = Row {
            fields: Vec::new(),
            params: Vec::new(),
            numbered: false,
        };
        for field in fields {
            let (value, binding) = match &field.references {
                Some(reference) => match self.for_table(&reference.table, path) {
                    Some(fixture) => {
                        if !row.params.iter().any(|param| param.var == fixture.var) {
                            row.params.push(FixtureParam {
                                var: fixture.var.clone(),
                                id_type: fixture.id_type.clone(),
                            });
                        }
                        (fixture.var, None)
                    }
                    None => ("null".to_string(), None),
                },
                None => match unique_value(field) {
                    Some(drawn) => {
                        row.numbered = true;
                        drawn
                    }
                    None => (field.test.create_json.clone(), None),
                },
            };
            row.fields.push(FixtureField {
                name: field.name.clone(),
                value,
                binding,
            });
        }
        row
    }
}

/// A fixture's row: its fields' values, the ids of the rows it references (the fixture's
/// parameters), and whether a value is drawn from `n`.
struct Row {
    fields: Vec<FixtureField>,
    params: Vec<FixtureParam>,
    numbered: bool,
}

/// The value of a unique field of a parent in its fixture, with the `let` binding it needs
/// first: drawn from the call's number `n`, so that two rows a test inserts never share it.
/// `None` for a field that is not unique, or has a single value. A unique boolean or enum
/// has only as many values as it has variants.
fn unique_value(field: &Field) -> Option<(String, Option<String>)> {
    if !field.unique {
        return None;
    }
    let value = match field.kind {
        Kind::String => format!("format!(\"{} {{n}}\")", field.test.create_form),
        Kind::Integer | Kind::Bigint => format!("{} + n", field.test.create_json),
        Kind::Float => format!("{} + n as f64", field.test.create_json),
        Kind::Decimal => "format!(\"{n}.5\")".to_string(),
        Kind::Boolean => "n.is_multiple_of(2)".to_string(),
        Kind::Date => "format!(\"{}-11-24\", 2026 + n)".to_string(),
        Kind::Time => "format!(\"14:{:02}:{:02}\", n / 60 % 60, n % 60)".to_string(),
        Kind::NaiveDatetime => {
            "format!(\"2026-11-24T14:{:02}:{:02}\", n / 60 % 60, n % 60)".to_string()
        }
        Kind::UtcDatetime => {
            "format!(\"2026-11-24T14:{:02}:{:02}Z\", n / 60 % 60, n % 60)".to_string()
        }
        Kind::Uuid => "format!(\"7488a646-e31f-11e4-aace-{n:012x}\")".to_string(),
        Kind::Enum if field.enum_values.len() > 1 => {
            let values: Vec<String> = field.enum_values.iter().map(|v| format!("{v:?}")).collect();
            let pick = format!("[{}][n % {}]", values.join(", "), values.len());
            return Some((field.ident.clone(), Some(pick)));
        }
        _ => return None,
    };
    Some((value, None))
}

/// The setup of a test: every fixture in `defined` (dependencies first) called once, each
/// with the ids of the rows it references.
fn setup_calls(defined: &[Fixture], direct: &[Fixture]) -> Vec<FixtureCall> {
    defined
        .iter()
        .enumerate()
        .map(|(i, fixture)| FixtureCall {
            function: fixture.function.clone(),
            var: fixture.var.clone(),
            args: fixture.params.iter().map(|p| p.var.clone()).collect(),
            direct: direct.iter().any(|d| d.var == fixture.var),
            reused: defined[i + 1..]
                .iter()
                .any(|later| later.params.iter().any(|p| p.var == fixture.var)),
        })
        .collect()
}

/// What is left to do when a referenced table has no generated context to insert rows with.
fn fixture_steps(resource: &Resource, fixtures: &[Fixture]) -> Vec<String> {
    let missing: Vec<&Fixture> = fixtures.iter().filter(|f| f.parent.is_none()).collect();
    let self_required = resource.fields.iter().any(|f| {
        !f.optional
            && f.references
                .as_ref()
                .is_some_and(|r| r.table == resource.table)
    });
    let mut steps = Vec::new();
    for fixture in missing {
        steps.extend([
            String::new(),
            format!(
                "The tests in {} need rows of {}, which no generated context function creates: write {} there.",
                test_file(resource),
                fixture.table,
                fixture.function
            ),
        ]);
    }
    if self_required {
        steps.extend([
            String::new(),
            format!(
                "A required reference of {} to its own table cannot be filled for the first row; make it :optional, or adapt the tests in {}.",
                resource.table,
                test_file(resource)
            ),
        ]);
    }
    steps
}

/// Refuses options that make no sense for `gen context`.
pub fn check(request: &GenRequest) -> Result<(), UsageError> {
    if !request.layers.context {
        let spec = &request.spec;
        return Err(UsageError::new(
            "--no-context leaves nothing for `gen context` to generate but a schema",
        )
        .with_hint(format!(
            "use `axgen gen schema {}.{} {}` instead",
            spec.context.as_deref().unwrap_or_default(),
            spec.schema,
            spec.plural
        )));
    }
    Ok(())
}
