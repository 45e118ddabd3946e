//! Names that must not break a generated app: the names the app already uses are refused
//! (and the table of them is complete: every module and type a generated app has is in it,
//! and names next to them still build), long index and constraint names stay distinct on
//! every database, `sqlite_` tables are refused, and `gen` commands run at once in one app
//! are serialised.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use axgen::naming;
use axgen::spec::reserved::{self, Place, RESERVED};

use crate::spec::refuses;
use crate::{Axgen, check_app, server_url};

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// A command that would put `name` at its place, for each reserved name.
fn commands_for(name: &str, place: Place) -> Vec<String> {
    let camel = naming::camel(name);
    match place {
        Place::CrateRoot => vec![
            format!("gen html {camel} Post posts title"),
            format!("gen schema {camel} items title"),
        ],
        Place::Crate => vec![
            format!("gen json {camel} Post posts title"),
            format!("gen html Admin.{camel} Post posts title"),
            format!("gen schema Blog.{camel} items title"),
            format!("gen html Blog Post posts title --web {camel}"),
        ],
        Place::Web => match name.strip_suffix("_controller") {
            Some(schema) => vec![format!(
                "gen html Blog {} items title",
                naming::camel(schema)
            )],
            // `gen json --web Api` is the JSON API itself, which pages cannot be in.
            None if name == "api" => vec![
                format!("gen html Blog Post posts title --web {camel}"),
                format!("gen html Blog Post posts title --web {camel}.V1"),
            ],
            None => vec![
                format!("gen html Blog Post posts title --web {camel}"),
                format!("gen json Blog Post posts title --web {camel}"),
                format!("gen json Blog Post posts title --web Api.{camel}"),
            ],
        },
        Place::Type => vec![
            format!("gen html Blog {name} items title"),
            format!("gen context Blog {name} items title"),
        ],
        Place::Variable => vec![
            format!("gen html Blog {camel} items title"),
            format!("gen json Blog Thing {name} title"),
        ],
    }
}

#[test]
fn every_reserved_name_is_refused_before_anything_is_written() {
    for entry in RESERVED {
        for command in commands_for(entry.name, entry.place) {
            let args = words(&command);
            // `Box` and `Fn` are refused sooner: their modules would be keywords.
            let expected = if naming::is_rust_keyword(&naming::snake(entry.name)) {
                "which is a keyword"
            } else {
                "which clashes with"
            };
            refuses(&args, expected);
        }
    }
}

#[test]
fn the_issues_names_are_refused_with_what_they_clash_with() {
    for (command, expected) in [
        (
            "gen html Blog Error errors name",
            "The schema \"Error\" would be the type Error, which clashes with crate::changeset::Error",
        ),
        (
            "gen html Web Post posts title",
            "The context \"Web\" would be the module web, which clashes with src/web/mod.rs",
        ),
        (
            "gen html Blog Page pages title",
            "The schema \"Page\" would be the module web::page_controller, which clashes with src/web/page_controller.rs, which serves the home page /",
        ),
        ("gen schema Db dbs name", "clashes with src/db.rs"),
        (
            "gen html Blog Db dbs name",
            "The schema \"Db\" would be the variable db, which clashes with a variable or function of the generated code",
        ),
        ("gen html Blog View views name", "the variable view"),
        (
            "gen html Blog Post posts db:references:dbs",
            "The references field \"db\" would be the variable db",
        ),
        ("gen html Blog Flash flashes name", "the variable flash"),
        ("gen json Blog Form forms name", "the variable form"),
        (
            "gen json Blog Response responses name",
            "the variable response",
        ),
        (
            "gen json Blog Thing params name",
            "The plural \"params\" would be the variable params",
        ),
        ("gen json Shop Pool pools name", "crate::db::Pool"),
        ("gen html Blog Health healths name", "/health"),
        (
            "gen schema Subsec items round:enum:a:b",
            "The enum field \"round\" would be the type SubsecRound, which clashes with chrono::SubsecRound",
        ),
        (
            "gen html Blog Post posts changes:enum:a:b",
            "The enum field \"changes\" of Post would be the type PostChanges",
        ),
        (
            "gen html Blog Post sqlite_posts title",
            "The plural \"sqlite_posts\" would be a table name starting with sqlite_, which SQLite reserves for its own tables",
        ),
        (
            "gen schema Post posts title --table sqlite_posts",
            "The table name \"sqlite_posts\" would be a table name starting with sqlite_",
        ),
    ] {
        refuses(&words(command), expected);
    }
}

/// The type-namespace names of a Rust file: modules, types, traits and what `use` brings in.
fn names_in(path: &Path) -> BTreeSet<String> {
    fn leaves(tree: &syn::UseTree, out: &mut BTreeSet<String>) {
        match tree {
            syn::UseTree::Path(p) => leaves(&p.tree, out),
            syn::UseTree::Name(n) if n.ident != "self" => {
                out.insert(n.ident.to_string());
            }
            syn::UseTree::Rename(r) => {
                out.insert(r.rename.to_string());
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| leaves(t, out)),
            _ => {}
        }
    }
    let text = fs::read_to_string(path).unwrap();
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeSet::new();
    for item in &file.items {
        let ident = match item {
            syn::Item::Use(u) => {
                leaves(&u.tree, &mut out);
                continue;
            }
            syn::Item::Mod(m) => &m.ident,
            syn::Item::Struct(s) => &s.ident,
            syn::Item::Enum(e) => &e.ident,
            syn::Item::Trait(t) => &t.ident,
            syn::Item::Type(t) => &t.ident,
            _ => continue,
        };
        out.insert(ident.to_string());
    }
    out
}

/// Names `use`d that are functions or macros only (the value and macro namespaces), which
/// no module or type of the same spelling clashes with.
const NOT_TYPES: &[&str] = &[
    "context",
    "form_post",
    "get",
    "is_constraint_violation",
    "json",
    "router",
];

/// Every snake_case module-namespace name of `file` that the generators did not make.
fn app_modules(file: &Path, made: &[&str]) -> BTreeSet<String> {
    names_in(file)
        .into_iter()
        .filter(|n| naming::is_snake_case(n) && !NOT_TYPES.contains(&n.as_str()))
        .filter(|n| {
            !made
                .iter()
                .any(|m| n == m || n.starts_with(&format!("{m}_")))
        })
        .collect()
}

#[track_caller]
fn assert_listed(found: BTreeSet<String>, places: &[Place], file: &str) {
    let missing: Vec<String> = found
        .into_iter()
        .filter(|name| !places.iter().any(|p| reserved::find(name, *p).is_some()))
        .collect();
    assert!(
        missing.is_empty(),
        "{file} has {missing:?}, which src/spec/reserved.rs does not list at {places:?}"
    );
}

/// Generates the resources of every shape into a new app of `adapter`, then checks that
/// each module and type the app has where a new name would land is in the reserved table.
fn reserved_table_covers(adapter: &str) {
    let dir = tempfile::tempdir().unwrap();
    let app = format!("names_{adapter}");
    Axgen::in_dir(dir.path())
        .args(["new", &app, "--database", adapter])
        .run()
        .assert_code(0);
    let root = dir.path().join(&app);
    let mut blog = words("gen html Blog Post posts");
    blog.extend(crate::ALL_FIELDS.iter().map(|f| f.to_string()));
    for command in [
        words("gen html Accounts User users name:string:unique"),
        blog,
        words("gen json Shop Item items name:string price:decimal --web Admin --binary-id"),
        words("gen schema Tag tags name:string"),
        words("gen auth Members Member members"),
    ] {
        Axgen::in_dir(&root).args(&command).run().assert_code(0);
    }
    let made = [
        "accounts", "blog", "shop", "tag", "user", "post", "item", "admin", "members", "member",
    ];
    assert_listed(
        app_modules(&root.join("src/lib.rs"), &made),
        &[Place::CrateRoot, Place::Crate],
        "src/lib.rs",
    );
    for file in ["src/web/mod.rs", "src/web/api/mod.rs"] {
        assert_listed(
            app_modules(&root.join(file), &made),
            &[Place::Web, Place::Crate],
            file,
        );
    }
    // The crates the app may name by path.
    let manifest: toml::Table = fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let crates: BTreeSet<String> = ["dependencies", "dev-dependencies"]
        .iter()
        .filter_map(|section| manifest.get(*section).and_then(|s| s.as_table()))
        .flat_map(|deps| deps.keys().map(|k| k.replace('-', "_")))
        .collect();
    assert_listed(crates, &[Place::Crate], "Cargo.toml");
    // The files where a schema's struct and enums are in scope by their bare names.
    let schema_files = [
        "src/blog.rs",
        "src/blog/post.rs",
        "src/shop.rs",
        "src/shop/item.rs",
        "src/tag.rs",
        "tests/blog_posts.rs",
        "tests/post_controller.rs",
        "tests/api_admin_item_controller.rs",
    ];
    let schemas = ["User", "Post", "Item", "Tag"];
    for file in schema_files {
        let types: BTreeSet<String> = names_in(&root.join(file))
            .into_iter()
            .filter(|n| naming::is_camel_case(n) && !schemas.iter().any(|s| n.starts_with(s)))
            .collect();
        assert_listed(types, &[Place::Type], file);
    }
    // The variables a resource's own (its singular, its plural) would shadow or meet twice.
    let ours = ["post", "user", "item", "tag", "type", "name", "price"];
    let fields: Vec<&str> = crate::ALL_FIELDS
        .iter()
        .map(|f| f.split(':').next().unwrap())
        .chain(ours)
        .collect();
    let value_files = schema_files.iter().chain(&[
        "src/web/post_controller.rs",
        "src/web/api/admin/item_controller.rs",
        "tests/shop_items.rs",
    ]);
    for file in value_files {
        let values: BTreeSet<String> = values_in(&root.join(file))
            .into_iter()
            .filter(|n| naming::is_snake_case(n) && !fields.iter().any(|f| n.contains(f)))
            .collect();
        assert_listed(values, &[Place::Variable], file);
    }
}

/// The handlers, which only `routes()` names, where no resource variable lives.
const HANDLERS: &[&str] = &[
    "index", "new", "create", "show", "edit", "update", "delete", "routes",
];

/// Every variable, parameter and function name of a Rust file.
fn values_in(path: &Path) -> BTreeSet<String> {
    struct Values(BTreeSet<String>);
    impl<'a> syn::visit::Visit<'a> for Values {
        fn visit_pat_ident(&mut self, pat: &'a syn::PatIdent) {
            self.0.insert(pat.ident.to_string());
            syn::visit::visit_pat_ident(self, pat);
        }
        fn visit_item_fn(&mut self, item: &'a syn::ItemFn) {
            let name = item.sig.ident.to_string();
            let test = item
                .attrs
                .iter()
                .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "test"));
            if !test && !HANDLERS.contains(&name.as_str()) {
                self.0.insert(name);
            }
            syn::visit::visit_item_fn(self, item);
        }
    }
    let text = fs::read_to_string(path).unwrap();
    let file = syn::parse_file(&text).unwrap();
    let mut values = Values(BTreeSet::new());
    syn::visit::Visit::visit_file(&mut values, &file);
    values.0
}

#[test]
fn the_reserved_table_covers_every_name_a_generated_app_has() {
    for adapter in ["sqlite", "postgres", "mysql"] {
        reserved_table_covers(adapter);
    }
}

/// Names next to reserved ones are allowed, and the app still builds, lints and passes its
/// tests: the table refuses what clashes, not more. Long names build too.
#[test]
fn names_next_to_reserved_ones_and_long_names_still_build() {
    let dir = tempfile::tempdir().unwrap();
    Axgen::in_dir(dir.path())
        .args(["new", "near_misses"])
        .run()
        .assert_code(0);
    let root = dir.path().join("near_misses");
    for command in [
        // Crate-root module names are free below the root.
        "gen html Admin.Web Memo memos name:string",
        "gen html Blog Config configs name:string",
        // Types only the controllers import, which name schemas by their path.
        "gen html Blog Router routers name:string",
        "gen html Blog Redirect redirects name:string",
        "gen json Blog Html htmls name:string",
        // A namespace and a controller next to the app's own modules.
        "gen html Blog Pager pagers name:string --web Views",
        // A crate-root module named like an sqlx module, with an enum.
        "gen schema Sqlite items status:enum:a:b",
    ] {
        Axgen::in_dir(&root)
            .args(words(command))
            .run()
            .assert_code(0);
    }
    // Long names everywhere: the table, its unique fields and two references to one parent.
    let long = format!(
        "gen html Orchard Longthing long{}s field_aaaaaaaaaa_one:string:unique \
         field_aaaaaaaaaa_two:string:unique author_aaaaaaaaaa_id:references:memos \
         editor_aaaaaaaaaa_id:references:memos",
        "x".repeat(50)
    );
    Axgen::in_dir(&root).args(words(&long)).run().assert_code(0);
    check_app(&root, None);
}

/// `gen schema` with a long plural, two long unique fields, two long references to one parent
/// and two long enums: every index and constraint name is distinct, so the migration runs up
/// and down. On the way, a row inserted by hand-written SQL gets its `inserted_at` from the
/// column's default, in the form the app writes (seconds, UTC; `T` and `+00:00` on SQLite).
fn long_names_migrate(adapter: &str, url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let app = format!("long_{adapter}");
    Axgen::in_dir(dir.path())
        .args(["new", &app, "--database", adapter, "--no-html"])
        .run()
        .assert_code(0);
    let root = dir.path().join(&app);
    let parents = format!("parent{}s", "p".repeat(50));
    let plural = format!("long{}s", "x".repeat(50));
    assert_eq!(plural.len(), 55);
    let gen_parent = format!("gen schema Parent {parents} name:string");
    let gen_long = format!(
        "gen schema Longthing {plural} field_aaaaaaaaaa_one:string:unique \
         field_aaaaaaaaaa_two:string:unique author_aaaaaaaaaa_id:references:{parents} \
         editor_aaaaaaaaaa_id:references:{parents} state_aaaaaaaaaa_one:enum:a:b \
         state_aaaaaaaaaa_two:enum:a:b"
    );
    for command in [gen_parent, gen_long] {
        Axgen::in_dir(&root)
            .args(words(&command))
            .run()
            .assert_code(0);
    }
    let axgen = |args: &[&str]| {
        let url = url.map(|url| ["--database-url", url]);
        Axgen::in_dir(&root)
            .args(url.iter().flatten())
            .args(args)
            .run()
    };
    axgen(&["db", "create"]).assert_code(0);
    let up = axgen(&["migrate"]);
    // Hand-written SQL leaves the timestamps to their defaults, which read as the app's own.
    std::fs::write(
        root.join("seeds/parents.sql"),
        format!("INSERT INTO {parents} (name) VALUES ('By hand');\n"),
    )
    .unwrap();
    let seeded = axgen(&["seed", "seeds/parents.sql"]);
    let db_url = url.map_or_else(
        || format!("sqlite:{}", root.join(format!("{app}_dev.db")).display()),
        str::to_owned,
    );
    let stamp = match adapter {
        "postgres" => "to_char(inserted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
        "mysql" => "CAST(inserted_at AS CHAR)",
        _ => "inserted_at",
    };
    let stamps = crate::query_names(
        &db_url,
        &format!("SELECT {stamp} FROM {parents} WHERE name = 'By hand'"),
    );
    let down = axgen(&["rollback", "--all"]);
    if url.is_some() {
        axgen(&["db", "drop", "--yes"]).assert_code(0);
    }
    up.assert_code(0);
    seeded.assert_code(0);
    // The shape of the text, each digit as 9.
    let shapes: Vec<String> = stamps
        .iter()
        .map(|stamp| {
            let nines = stamp
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c });
            nines.collect()
        })
        .collect();
    let expected = match adapter {
        "sqlite" => "9999-99-99T99:99:99+99:99",
        _ => "9999-99-99 99:99:99",
    };
    assert_eq!(shapes, [expected], "{adapter}: {stamps:?}");
    assert!(
        adapter != "sqlite" || stamps[0].ends_with("+00:00"),
        "{stamps:?}"
    );
    down.assert_code(0);
}

fn server_database(var: &str, adapter: &str) -> Option<String> {
    let name = format!("axgen_long_{adapter}_{}", std::process::id());
    server_url(var).map(|url| crate::db::with_database(&url, &name))
}

#[test]
fn long_constraint_names_stay_distinct_sqlite() {
    long_names_migrate("sqlite", None);
}

#[test]
fn long_constraint_names_stay_distinct_postgres() {
    if let Some(url) = server_database("AXGEN_TEST_POSTGRES_URL", "postgres") {
        long_names_migrate("postgres", Some(&url));
    }
}

#[test]
fn long_constraint_names_stay_distinct_mysql() {
    if let Some(url) = server_database("AXGEN_TEST_MYSQL_URL", "mysql") {
        long_names_migrate("mysql", Some(&url));
    }
}

/// Several `gen` commands started at once in one app: each waits for the app's lock, sees the
/// files of the ones before it, and writes its own migration version; nothing is left
/// half-written.
#[test]
fn concurrent_gens_are_serialised() {
    let dir = tempfile::tempdir().unwrap();
    Axgen::in_dir(dir.path())
        .args(["new", "together"])
        .run()
        .assert_code(0);
    let root = dir.path().join("together");
    let resources = ["Apple", "Banana", "Cherry", "Damson", "Elder", "Fig"];
    let children: Vec<_> = resources
        .iter()
        .enumerate()
        .map(|(i, schema)| {
            let plural = format!("{}s", naming::snake(schema));
            let kind = if i % 2 == 0 { "html" } else { "schema" };
            let mut command = Command::new(env!("CARGO_BIN_EXE_axgen"));
            command.current_dir(&root).args(["--quiet", "gen", kind]);
            if kind == "html" {
                command.arg("Orchard");
            }
            command
                .args([*schema, plural.as_str(), "name:string"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let files: Vec<String> = crate::tree(&root).into_iter().map(|(p, _)| p).collect();
    assert!(
        !files.iter().any(|f| f.contains("axgen-tmp")),
        "temporary files left: {files:?}"
    );
    let versions: BTreeSet<&str> = files
        .iter()
        .filter_map(|f| f.strip_prefix("migrations/"))
        .filter(|f| f.ends_with(".up.sql"))
        .map(|f| &f[..14])
        .collect();
    assert_eq!(
        versions.len(),
        resources.len(),
        "distinct versions: {files:?}"
    );
    let lib = fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let orchard = fs::read_to_string(root.join("src/orchard.rs")).unwrap();
    for (i, schema) in resources.iter().enumerate() {
        let module = naming::snake(schema);
        let declared = if i % 2 == 0 { &orchard } else { &lib };
        assert!(
            declared.contains(&format!("pub mod {module};")),
            "{module} lost:\n{declared}"
        );
    }
    Axgen::in_dir(&root)
        .args(["db", "create"])
        .run()
        .assert_code(0);
    Axgen::in_dir(&root).args(["migrate"]).run().assert_code(0);
}

/// Two `gen` commands for the same resource at once: the second sees the first's migration and
/// is refused cleanly (exit 2), leaving the first's files whole and no temporary behind.
#[test]
fn a_concurrent_gen_of_the_same_table_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    Axgen::in_dir(dir.path())
        .args(["new", "twice", "--no-html"])
        .run()
        .assert_code(0);
    let root = dir.path().join("twice");
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_axgen"))
                .current_dir(&root)
                .args(words("--quiet gen schema Apple apples name:string"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut codes: Vec<i32> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap().status.code().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, [0, 2]);
    let files: Vec<String> = crate::tree(&root).into_iter().map(|(p, _)| p).collect();
    assert!(!files.iter().any(|f| f.contains("axgen-tmp")), "{files:?}");
    let migrations = files
        .iter()
        .filter(|f| f.starts_with("migrations/2"))
        .count();
    assert_eq!(migrations, 2, "one up and one down: {files:?}");
    let lib = fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert_eq!(lib.matches("pub mod apple;").count(), 1, "{lib}");
}
