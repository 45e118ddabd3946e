//! Unit tests of the spec language: parsing, every rule, and resolution for each adapter.

use proptest::prelude::*;

use super::*;
use crate::adapter::Adapter;

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn resource(fields: &[&str]) -> Result<Spec, UsageError> {
    parse_resource(
        "Blog",
        "Post",
        "posts",
        &strings(fields),
        &SpecOptions::default(),
    )
}

fn resolve(fields: &[&str], adapter: Adapter) -> Resource {
    match resource(fields) {
        Ok(spec) => spec.resolve(adapter),
        Err(err) => panic!("{fields:?} refused: {}", err.message),
    }
}

fn field(spec: &str, adapter: Adapter) -> Field {
    let mut fields = resolve(&[spec], adapter).fields;
    fields.remove(0)
}

/// The message of the error for these fields (panics if they are accepted).
fn refusal(fields: &[&str]) -> String {
    match resource(fields) {
        Ok(spec) => panic!("{fields:?} accepted: {spec:?}"),
        Err(err) => err.message,
    }
}

fn refusal_of(result: Result<Spec, UsageError>) -> String {
    match result {
        Ok(spec) => panic!("accepted: {spec:?}"),
        Err(err) => err.message,
    }
}

#[test]
fn resolves_a_simple_resource() {
    let r = resolve(&["title", "body:text"], Adapter::Sqlite);
    let context = r
        .context
        .as_ref()
        .map(|c| (c.name.as_str(), c.file.as_str()));
    assert_eq!(context, Some(("Blog", "src/blog.rs")));
    assert_eq!(r.schema.name, "Post");
    assert_eq!(r.schema.module, "post");
    assert_eq!(r.schema.module_path, "blog::post");
    assert_eq!(r.schema.file, "src/blog/post.rs");
    assert_eq!((r.singular.as_str(), r.plural.as_str()), ("post", "posts"));
    assert_eq!(r.table, "posts");
    assert_eq!(
        (r.human_singular.as_str(), r.human_plural.as_str()),
        ("Post", "Posts")
    );
    assert_eq!(
        (r.route_path.as_str(), r.api_path.as_str()),
        ("/posts", "/api/posts")
    );
    assert_eq!(
        (r.id_rust_type.as_str(), r.id_sql_type.as_str()),
        ("i64", "INTEGER")
    );
    assert!(r.web.is_none());
    assert_eq!(r.crates, Crates::default());
    assert_eq!(r.fields[0].kind, Kind::String);
    assert_eq!(r.fields[0].sql_type, "TEXT");
    assert_eq!(r.fields[1].input, Input::Textarea);
}

#[test]
fn resolves_nested_contexts() {
    let spec = parse_resource(
        "Admin.Blog",
        "BlogPost",
        "blog_posts",
        &strings(&["title"]),
        &SpecOptions::default(),
    );
    let r = spec.map(|s| s.resolve(Adapter::Postgres));
    let Ok(r) = r else { panic!("refused") };
    let Some(c) = &r.context else {
        panic!("no context")
    };
    assert_eq!(c.name, "Admin.Blog");
    assert_eq!(c.alias, "Blog");
    assert_eq!(c.module, "blog");
    assert_eq!(c.module_path, "admin::blog");
    assert_eq!(c.segments, ["admin", "blog"]);
    assert_eq!(c.file, "src/admin/blog.rs");
    assert_eq!(c.dir, "src/admin/blog");
    assert_eq!(r.schema.file, "src/admin/blog/blog_post.rs");
    assert_eq!(r.schema.module_path, "admin::blog::blog_post");
    assert_eq!(r.singular, "blog_post");
    assert_eq!(
        (r.human_singular.as_str(), r.human_plural.as_str()),
        ("Blog post", "Blog posts")
    );
}

#[test]
fn resolves_options() {
    let options = SpecOptions {
        table: Some("blog_entries".into()),
        binary_id: true,
        web: Some("Admin".into()),
        primary_key: Some("entry_id".into()),
        label: None,
        scope: None,
    };
    let fields = strings(&["title", "author_id:references:users"]);
    let Ok(spec) = parse_resource("Blog", "Post", "posts", &fields, &options) else {
        panic!("refused")
    };
    let r = spec.resolve(Adapter::Mysql);
    assert_eq!(r.table, "blog_entries");
    assert_eq!(
        (r.plural.as_str(), r.collection.as_str()),
        ("posts", "posts")
    );
    assert_eq!(
        (r.route_path.as_str(), r.api_path.as_str()),
        ("/admin/posts", "/api/admin/posts")
    );
    let web = r
        .web
        .as_ref()
        .map(|w| (w.name.as_str(), w.module_path.as_str(), w.path.as_str()));
    assert_eq!(web, Some(("Admin", "admin", "/admin")));
    assert_eq!(r.api_route_path, "/admin/posts");
    assert!(r.binary_id);
    assert_eq!(
        (r.id_rust_type.as_str(), r.id_sql_type.as_str()),
        ("uuid::Uuid", "CHAR(36)")
    );
    assert_eq!(r.primary_key, "entry_id");
    assert!(r.crates.uuid);
    let author = &r.fields[1];
    assert_eq!(author.rust_type, "uuid::Uuid");
    assert_eq!(author.sql_type, "CHAR(36)");
    assert_eq!(author.label, "Author");
    let reference = author
        .references
        .as_ref()
        .map(|x| (x.table.as_str(), x.column.as_str()));
    assert_eq!(reference, Some(("users", "id")));
}

#[test]
fn nested_web_namespaces_resolve_per_layer() {
    let resolve_web = |web: &str| {
        let options = SpecOptions {
            web: Some(web.into()),
            ..SpecOptions::default()
        };
        let fields = strings(&["title"]);
        match parse_resource("Blog", "Post", "posts", &fields, &options) {
            Ok(spec) => spec.resolve(Adapter::Sqlite),
            Err(err) => panic!("{web} refused: {err}"),
        }
    };
    let paths = |r: &Resource| {
        [
            r.route_path.clone(),
            r.api_path.clone(),
            r.api_route_path.clone(),
        ]
    };
    let modules = |w: &Option<WebNamespace>| {
        w.iter()
            .flat_map(|w| &w.modules)
            .map(|m| [m.name.as_str(), m.module.as_str(), m.path.as_str()].join(" "))
            .collect::<Vec<_>>()
    };

    let admin = resolve_web("Admin.V1");
    assert_eq!(
        paths(&admin),
        ["/admin/v1/posts", "/api/admin/v1/posts", "/admin/v1/posts"]
    );
    assert_eq!(
        modules(&admin.web),
        ["Admin admin /admin", "Admin.V1 v1 /admin/v1"]
    );
    assert_eq!(
        modules(&admin.api_web),
        ["Admin admin /api/admin", "Admin.V1 v1 /api/admin/v1"]
    );
    let web = admin
        .web
        .as_ref()
        .map(|w| (w.module_path.as_str(), w.dir.as_str()));
    assert_eq!(web, Some(("admin::v1", "admin/v1")));

    // A leading `Api` is the JSON API's own namespace, as Phoenix's `--web Api.V1` is
    // `scope "/api/v1"`.
    let api = resolve_web("Api.V1");
    assert_eq!(paths(&api)[1..], ["/api/v1/posts", "/v1/posts"]);
    assert_eq!(modules(&api.api_web), ["Api.V1 v1 /api/v1"]);
    let api_web = api
        .api_web
        .as_ref()
        .map(|w| (w.name.as_str(), w.module_path.as_str()));
    assert_eq!(api_web, Some(("Api.V1", "v1")));
    let root = resolve_web("Api");
    assert_eq!(paths(&root)[1..], ["/api/posts", "/posts"]);
    assert!(root.api_web.is_none());
    let plain = resolve(&["title"], Adapter::Sqlite);
    assert_eq!(plain.api_route_path, "/posts");
}

#[test]
fn parses_every_type_for_every_adapter() {
    let specs = [
        (
            "title:string",
            "String",
            ["TEXT", "VARCHAR(255)", "VARCHAR(255)"],
        ),
        ("body:text", "String", ["TEXT", "TEXT", "TEXT"]),
        ("views:integer", "i32", ["INTEGER", "INTEGER", "INT"]),
        ("big:bigint", "i64", ["INTEGER", "BIGINT", "BIGINT"]),
        ("ratio:float", "f64", ["REAL", "DOUBLE PRECISION", "DOUBLE"]),
        (
            "price:decimal",
            "rust_decimal::Decimal",
            ["TEXT", "NUMERIC", "DECIMAL(20,6)"],
        ),
        ("draft:boolean", "bool", ["INTEGER", "BOOLEAN", "BOOLEAN"]),
        ("day:date", "chrono::NaiveDate", ["TEXT", "DATE", "DATE"]),
        ("at:time", "chrono::NaiveTime", ["TEXT", "TIME", "TIME"]),
        (
            "seen:naive_datetime",
            "chrono::NaiveDateTime",
            ["TEXT", "TIMESTAMP", "DATETIME"],
        ),
        (
            "published_at:utc_datetime",
            "chrono::DateTime<chrono::Utc>",
            ["TEXT", "TIMESTAMPTZ", "DATETIME"],
        ),
        ("token:uuid", "uuid::Uuid", ["TEXT", "UUID", "CHAR(36)"]),
        ("data:binary", "Vec<u8>", ["BLOB", "BYTEA", "BLOB"]),
        ("meta:map", "serde_json::Value", ["TEXT", "JSONB", "JSON"]),
        (
            "tags:array:string",
            "Vec<String>",
            ["TEXT", "VARCHAR(255)[]", "JSON"],
        ),
        (
            "scores:array:integer",
            "Vec<i32>",
            ["TEXT", "INTEGER[]", "JSON"],
        ),
        (
            "status:enum:draft:published",
            "PostStatus",
            ["TEXT", "TEXT", "VARCHAR(255)"],
        ),
        (
            "author_id:references:users",
            "i64",
            ["INTEGER", "BIGINT", "BIGINT"],
        ),
    ];
    for (spec, rust, sql) in specs {
        for (adapter, sql_type) in Adapter::ALL.into_iter().zip(sql) {
            let f = field(spec, adapter);
            assert_eq!(f.rust_type, rust, "{spec}");
            assert_eq!(f.sql_type, sql_type, "{spec} on {adapter}");
            assert!(!f.test.create_json.is_empty(), "{spec}");
        }
    }
}

#[test]
fn type_defaults_to_string_even_before_modifiers() {
    assert_eq!(field("title", Adapter::Sqlite).kind, Kind::String);
    let f = field("title:unique", Adapter::Sqlite);
    assert_eq!((f.kind, f.unique), (Kind::String, true));
}

#[test]
fn parses_every_modifier() {
    let f = field("email:string:unique:redact:optional", Adapter::Postgres);
    assert!(f.unique && f.redact && f.optional);
    assert!(!f.index, "unique implies the index");
    assert_eq!(f.rust_type, "Option<String>");
    assert_eq!(f.base_rust_type, "String");
    let f = field("slug:string:index", Adapter::Postgres);
    assert!(f.index && !f.unique && !f.optional && !f.redact);
    assert!(
        field("post_id:references:posts", Adapter::Sqlite).index,
        "references are indexed"
    );
    let f = field("status:enum:a:b:optional", Adapter::Sqlite);
    assert_eq!(f.enum_values, ["a", "b"]);
    assert!(f.optional);
}

#[test]
fn resolves_enums() {
    let f = field("status:enum:draft:in_review:published", Adapter::Mysql);
    assert_eq!(f.enum_type.as_deref(), Some("PostStatus"));
    assert_eq!(f.enum_values, ["draft", "in_review", "published"]);
    let variants: Vec<&str> = f.enum_variants.iter().map(|v| v.variant.as_str()).collect();
    assert_eq!(variants, ["Draft", "InReview", "Published"]);
    assert_eq!(f.input, Input::Select);
    assert_eq!(
        (f.test.create_form.as_str(), f.test.update_form.as_str()),
        ("draft", "in_review")
    );
    assert_eq!(f.test.create_json, "\"draft\"");
    let single = field("kind:enum:only", Adapter::Mysql);
    assert_eq!(single.test.update_json, "\"only\"");
}

#[test]
fn resolves_arrays() {
    let f = field("tags:array:string", Adapter::Postgres);
    let array = f
        .array_of
        .as_ref()
        .map(|a| (a.kind, a.rust_type.as_str(), a.sql_type.as_str()));
    assert_eq!(array, Some((Kind::String, "String", "VARCHAR(255)")));
    assert_eq!(f.test.create_form, "some tags");
    assert_eq!(f.test.create_json, "[\"some tags\"]");
    let r = resolve(&["days:array:date"], Adapter::Sqlite);
    assert!(r.crates.chrono && r.crates.serde_json);
}

#[test]
fn sets_crates_and_inputs_from_the_table() {
    let r = resolve(
        &["price:decimal", "at:utc_datetime", "meta:map", "token:uuid"],
        Adapter::Sqlite,
    );
    assert_eq!(
        r.crates,
        Crates {
            chrono: true,
            uuid: true,
            rust_decimal: true,
            serde_json: true
        }
    );
    let f = field("price:decimal", Adapter::Sqlite);
    assert_eq!((f.input, f.step.as_deref()), (Input::Number, Some("any")));
    assert_eq!(field("data:binary", Adapter::Sqlite).input, Input::None);
    assert_eq!(field("ok:boolean", Adapter::Sqlite).input, Input::Checkbox);
    let at = field("at:utc_datetime_usec", Adapter::Mysql);
    assert_eq!(
        (at.kind, at.type_name.as_str(), at.sql_type.as_str()),
        (Kind::UtcDatetime, "utc_datetime_usec", "DATETIME(6)")
    );
    assert_eq!(
        (at.input, at.step.as_deref()),
        (Input::DatetimeLocal, Some("any"))
    );
    let seen = field("seen:datetime", Adapter::Mysql);
    assert_eq!(
        (seen.type_name.as_str(), seen.sql_type.as_str()),
        ("naive_datetime", "DATETIME")
    );
    assert_eq!(
        field("title", Adapter::Sqlite).test.create_json,
        "\"some title\""
    );
}

#[test]
fn keywords_become_raw_identifiers() {
    for word in [
        "type", "fn", "async", "struct", "impl", "gen", "yield", "await", "dyn",
    ] {
        let f = field(word, Adapter::Sqlite);
        assert_eq!(f.name, word);
        assert_eq!(f.ident, format!("r#{word}"));
    }
    assert_eq!(field("title", Adapter::Sqlite).ident, "title");
}

#[test]
fn refuses_bad_names() {
    let opts = SpecOptions::default();
    let one = strings(&["title"]);
    let cases: Vec<(Result<Spec, UsageError>, &str)> = vec![
        (
            parse_resource("blog", "Post", "posts", &one, &opts),
            "Expected the context, \"blog\", to be a CamelCase module name such as Blog",
        ),
        (
            parse_resource("admin.blog", "Post", "posts", &one, &opts),
            "such as Admin.Blog",
        ),
        (
            parse_resource("Blog", "post", "posts", &one, &opts),
            "Expected the schema, \"post\", to be a CamelCase module name such as Post",
        ),
        (
            parse_resource("Blog", "HTTPClient", "clients", &one, &opts),
            "such as HttpClient",
        ),
        (
            parse_resource("Blog", "Blog", "blogs", &one, &opts),
            "The context and the schema are both named \"Blog\"",
        ),
        (
            parse_resource("Admin.Blog", "Blog", "blogs", &one, &opts),
            "both named \"Blog\"",
        ),
        (
            parse_resource("Blog", "Post", "Posts", &one, &opts),
            "Expected the plural, \"Posts\", to be all lowercase snake_case such as posts",
        ),
        (
            parse_resource("Blog", "Post", "post", &one, &opts),
            "The plural \"post\" is the same as the singular; write the plural, such as posts",
        ),
        (
            parse_resource("Type", "Post", "posts", &one, &opts),
            "would be the Rust module \"type\", which is a keyword",
        ),
        (
            parse_resource("Blog", "Match", "matches", &one, &opts),
            "The schema \"Match\" would be the Rust module \"match\"",
        ),
        (
            parse_resource("Blog", "String", "strings", &one, &opts),
            "would be the type String, which clashes with Rust's prelude",
        ),
        (
            parse_resource("Main", "Post", "posts", &one, &opts),
            "src/main.rs",
        ),
        (
            parse_resource("Shop", "Group", "groups", &one, &opts),
            "pass --table with another name such as shop_groups",
        ),
        (
            parse_resource("Blog", "Post", "posts", &[], &opts),
            "No fields given for Post",
        ),
        (parse_schema("Lib", "libs", &[], &opts), "src/lib.rs"),
        (
            parse_schema("blog.Post", "posts", &[], &opts),
            "such as Blog.Post",
        ),
        (
            parse_schema("Blog.Blog", "blogs", &[], &opts),
            "both named \"Blog\"",
        ),
    ];
    for (result, expected) in cases {
        let message = refusal_of(result);
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
}

#[test]
fn refuses_bad_options() {
    let one = strings(&["title"]);
    let cases = [
        (
            SpecOptions {
                table: Some("BlogPosts".into()),
                ..SpecOptions::default()
            },
            "Expected the table name, \"BlogPosts\", given with --table, to be snake_case such as blog_posts",
        ),
        (
            SpecOptions {
                table: Some("order".into()),
                ..SpecOptions::default()
            },
            "The table name \"order\", given with --table, is a reserved word in SQL",
        ),
        (
            SpecOptions {
                web: Some("admin".into()),
                ..SpecOptions::default()
            },
            "Expected the web namespace, \"admin\", given with --web, to be a CamelCase module name such as Admin",
        ),
        (
            SpecOptions {
                web: Some("Admin.reports".into()),
                ..SpecOptions::default()
            },
            "Expected each segment of the web namespace \"Admin.reports\", given with --web, to be a CamelCase module name, but \"reports\" is not; write it such as Admin.Reports",
        ),
        (
            SpecOptions {
                web: Some("Admin..V1".into()),
                ..SpecOptions::default()
            },
            "The web namespace \"Admin..V1\", given with --web, has an empty segment; write its segments between single dots, such as Admin.V1",
        ),
        (
            SpecOptions {
                web: Some("Admin.Type".into()),
                ..SpecOptions::default()
            },
            "The web namespace \"Admin.Type\" would be the Rust module \"type\", which is a keyword",
        ),
        (
            SpecOptions {
                web: Some("Admin.Sqlx".into()),
                ..SpecOptions::default()
            },
            "The web namespace \"Admin.Sqlx\" would be the module sqlx, which clashes with the sqlx crate",
        ),
        (
            SpecOptions {
                web: Some("Api.Csrf".into()),
                ..SpecOptions::default()
            },
            "The web namespace \"Api.Csrf\" would be the module web::csrf",
        ),
    ];
    for (options, expected) in cases {
        let message = refusal_of(parse_resource("Blog", "Post", "posts", &one, &options));
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
    let with_table = SpecOptions {
        table: Some("user_groups".into()),
        ..SpecOptions::default()
    };
    assert!(parse_resource("Shop", "Group", "groups", &one, &with_table).is_ok());
}

#[test]
fn refuses_bad_fields() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["title:strng"],
            "Unknown type \"strng\" for the field \"title\"; did you mean title:string? valid types are: string, text, integer",
        ),
        (
            &["title:string:uniq"],
            "Unknown modifier \"uniq\" for the field \"title\"; valid modifiers are: unique, index, redact, optional, default=VALUE, on_delete=restrict|cascade|nullify",
        ),
        (&["status:enum"], "The enum field \"status\" has no values"),
        (&["status:enum:optional"], "has no values"),
        (
            &["status:enum:Draft"],
            "Expected the value \"Draft\" of the enum field \"status\" to be snake_case such as draft",
        ),
        (
            &["status:enum:a:a"],
            "The value \"a\" of the enum field \"status\" is given twice",
        ),
        (&["status:enum:v_1:v1"], "would both be the Rust variant V1"),
        (&["status:enum:self"], "would be the Rust variant Self"),
        (
            &["tags:array"],
            "The array field \"tags\" has no element type; write it as tags:array:string",
        ),
        (&["tags:array:unique"], "has no element type"),
        (
            &["tags:array:strng"],
            "Unknown element type \"strng\" for the array field \"tags\"",
        ),
        (
            &["tags:array:array:string"],
            "The array field \"tags\" cannot hold array values",
        ),
        (&["tags:array:enum:a"], "cannot hold enum values"),
        (
            &["tags:array:references:posts"],
            "cannot hold references values",
        ),
        (&["tags:array:binary"], "cannot hold binary values"),
        (&["tags:array:map"], "cannot hold map values"),
        (
            &["post_id:references"],
            "The references field \"post_id\" has no table; write it as post_id:references:posts",
        ),
        (
            &["post_id:references:Posts"],
            "Expected the table \"Posts\" of the references field \"post_id\" to be snake_case such as posts",
        ),
        (
            &["title", "title:text"],
            "The field \"title\" is given twice",
        ),
        (
            &["id:integer"],
            "The field \"id\" is generated for every table",
        ),
        (
            &["inserted_at:utc_datetime"],
            "The field \"inserted_at\" is generated",
        ),
        (&["updated_at"], "The field \"updated_at\" is generated"),
        (&[":string"], "The field \":string\" has no name"),
        (&[""], "The field \"\" has no name"),
        (
            &["Title"],
            "Expected the field name, \"Title\", to be snake_case such as title",
        ),
        (&["publishedAt"], "such as published_at"),
        (
            &["self"],
            "The field name \"self\" is a Rust keyword that cannot be an identifier",
        ),
        (&["super"], "cannot be an identifier"),
        (&["crate"], "cannot be an identifier"),
        (&["_"], "to be snake_case"),
        (&["Self"], "to be snake_case"),
        (
            &["order"],
            "The field name \"order\" is a reserved word in SQL; choose another name such as post_order",
        ),
        (
            &["user:references:users"],
            "\"user\" is a reserved word in SQL",
        ),
        (&["match"], "reserved word in SQL"),
        (&["body:text:unique"], "The field \"body\" cannot be unique"),
        (&["meta:map:index"], "cannot be indexed"),
    ];
    for (fields, expected) in cases {
        let message = refusal(fields);
        assert!(
            message.contains(expected),
            "{fields:?}: {message:?} lacks {expected:?}"
        );
    }
}

#[test]
fn unknown_type_lists_every_type() {
    let message = refusal(&["x:nope"]);
    for t in &types::table().types {
        assert!(message.contains(&t.name), "{message} lacks {}", t.name);
    }
}

#[test]
fn schema_without_context() {
    let Ok(spec) = parse_schema("Tag", "tags", &[], &SpecOptions::default()) else {
        panic!("refused")
    };
    let r = spec.resolve(Adapter::Sqlite);
    assert!(r.context.is_none());
    assert_eq!(r.schema.file, "src/tag.rs");
    assert_eq!(r.schema.module_path, "tag");
    assert!(r.fields.is_empty());
}

#[test]
fn schema_with_nested_context() {
    let fields = strings(&["name:string:unique"]);
    let Ok(spec) = parse_schema("Admin.Blog.Tag", "tags", &fields, &SpecOptions::default()) else {
        panic!("refused")
    };
    let r = spec.resolve(Adapter::Postgres);
    assert_eq!(
        r.context.as_ref().map(|c| c.name.as_str()),
        Some("Admin.Blog")
    );
    assert_eq!(r.schema.file, "src/admin/blog/tag.rs");
    assert!(r.fields[0].unique);
}

#[test]
fn resource_serializes_for_templates() {
    let r = resolve(&["title", "status:enum:a:b"], Adapter::Sqlite);
    let json = serde_json::to_value(&r).map_err(|e| e.to_string());
    let Ok(json) = json else {
        panic!("not serializable")
    };
    assert_eq!(json["adapter"], "sqlite");
    assert_eq!(json["fields"][1]["enum_type"], "PostStatus");
    assert_eq!(json["fields"][1]["enum_variants"][0]["variant"], "A");
}

/// Words from which random argument lists are drawn: valid names, types, modifiers and
/// garbage (unicode, colons, empty strings, flags).
const POOL: &[&str] = &[
    "Blog",
    "Post",
    "posts",
    "Admin.Blog",
    "blog",
    "post",
    "title",
    "title:string",
    "body:text",
    "status:enum",
    "status:enum:a:b",
    "tags:array",
    "tags:array:string",
    "tags:array:map",
    "post_id:references",
    "post_id:references:posts",
    "x:unique",
    "x:optional:redact",
    "id",
    "type",
    "self",
    "order",
    ":",
    "::",
    "",
    " ",
    ":::unique",
    "a:b:c:d:e",
    "é",
    "Ünïcødé",
    "日本",
    "🦀:string",
    "name:enum:",
    "n:array::",
    "--table",
    "users",
    "--web",
    "Admin",
    "--binary-id",
    "Type",
    "Self",
    "_",
    "r#type",
    "x\0y",
    "a.b",
    ".",
    "Blog.",
    ".Post",
    "A..B",
    "-",
    "--",
    "x:decimal:index",
    "x:binary:unique",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_resource_never_panics(
        words in prop::collection::vec(prop::sample::select(POOL), 0..8),
        noise in "\\PC{0,12}",
    ) {
        let get = |i: usize| words.get(i).copied().unwrap_or("");
        let mut fields: Vec<String> = words.iter().skip(3).map(|w| w.to_string()).collect();
        fields.push(noise.clone());
        let options = SpecOptions {
            table: words.get(4).map(|w| w.to_string()),
            web: words.get(5).map(|w| w.to_string()),
            ..SpecOptions::default()
        };
        if let Ok(spec) = parse_resource(get(0), get(1), get(2), &fields, &options) {
            for adapter in Adapter::ALL {
                let _ = spec.resolve(adapter);
            }
        }
        let _ = parse_schema(get(0), &noise, &fields, &options);
    }
}

#[test]
fn the_context_functions_are_named_once() {
    let r = resolve(&["title"], Adapter::Sqlite);
    let functions = r.functions;
    let names = [
        functions.list,
        functions.list_page,
        functions.get,
        functions.create,
        functions.update,
        functions.delete,
        functions.change,
        functions.insert,
    ];
    assert_eq!(
        names,
        [
            "list_posts",
            "list_posts_page",
            "get_post",
            "create_post",
            "update_post",
            "delete_post",
            "change_post",
            "insert_post"
        ]
    );
}

#[test]
fn a_plural_that_is_its_singular_names_its_lists_as_phoenix_does() {
    let fields = strings(&["value:integer"]);
    let options = SpecOptions::default();
    let r = parse_resource("Tracker", "Series", "series", &fields, &options)
        .unwrap()
        .resolve(Adapter::Sqlite);
    assert_eq!(
        (r.collection.as_str(), r.functions.list.as_str()),
        ("series_collection", "list_series")
    );
    assert_eq!(r.primary_key, "id");
}

#[test]
fn defaults_are_checked_against_the_type_and_written_in_each_dialect() {
    let views = field("views:integer:default=0", Adapter::Mysql);
    assert_eq!(
        (views.default.as_deref(), views.default_sql.as_deref()),
        (Some("0"), Some("0"))
    );
    let sql = |spec: &str, adapter| field(spec, adapter).default_sql;
    assert_eq!(
        sql("ok:boolean:default=true", Adapter::Sqlite).as_deref(),
        Some("1")
    );
    assert_eq!(
        sql("ok:boolean:default=false", Adapter::Postgres).as_deref(),
        Some("FALSE")
    );
    assert_eq!(
        sql("title:default=it's", Adapter::Sqlite).as_deref(),
        Some("'it''s'")
    );
    assert_eq!(
        sql("s:enum:a:b:default=b", Adapter::Mysql).as_deref(),
        Some("'b'")
    );
    let refused = |spec: &str| super::field::parse_field(spec, "post").unwrap_err().message;
    assert!(
        refused("views:integer:default=many").contains("is not a valid integer value, such as 0")
    );
    assert!(refused("s:enum:a:b:default=c").contains("is not a valid enum value, such as a"));
    assert!(refused("meta:map:default={}").contains("cannot have a default"));
    assert!(refused("n:integer:default=1:default=2").contains("more than one default"));
}

#[test]
fn references_say_what_deleting_their_row_does() {
    let on_delete = |spec: &str| {
        field(spec, Adapter::Postgres)
            .references
            .map(|r| r.on_delete)
    };
    assert_eq!(
        on_delete("user_id:references:users"),
        Some(OnDelete::Restrict)
    );
    assert_eq!(
        on_delete("user_id:references:users:on_delete=cascade"),
        Some(OnDelete::Cascade)
    );
    assert_eq!(
        on_delete("user_id:references:users:optional:on_delete=nullify"),
        Some(OnDelete::Nullify)
    );
    let refused = |spec: &str| super::field::parse_field(spec, "post").unwrap_err().message;
    assert!(refused("user_id:references:users:on_delete=nullify").contains("add :optional"));
    assert!(refused("user_id:references:users:on_delete=drop").contains("Unknown on_delete"));
    assert!(refused("title:string:on_delete=cascade").contains("is not a reference"));
}

#[test]
fn the_label_follows_the_rule() {
    let label = |fields: &[&str]| resolve(fields, Adapter::Sqlite).label.field;
    assert_eq!(
        label(&["name", "username:string:unique"]),
        Some("username".into())
    );
    assert_eq!(
        label(&["url", "bio:text", "title", "name"]),
        Some("title".into())
    );
    assert_eq!(label(&["url", "title"]), Some("title".into()));
    assert_eq!(label(&["n:integer", "url", "slug"]), Some("url".into()));
    assert_eq!(label(&["secret:string:unique:redact", "bio:text"]), None);
    assert_eq!(label(&["n:integer"]), None);
}

#[test]
fn the_label_is_an_expression_of_each_dialect() {
    let sql = |fields: &[&str], adapter| resolve(fields, adapter).label_sql(Some("p"));
    assert_eq!(sql(&["title"], Adapter::Postgres), "p.title");
    assert_eq!(
        sql(&["title:string:optional"], Adapter::Sqlite),
        "COALESCE(p.title, 'Post ' || p.id)"
    );
    assert_eq!(sql(&["n:integer"], Adapter::Mysql), "CONCAT('Post ', p.id)");
    assert_eq!(
        resolve(&["n:integer"], Adapter::Postgres).label.sql,
        "'Post ' || id"
    );
}

#[test]
fn label_chooses_a_shown_string_field() {
    let with_label = |label: &str, fields: &[&str]| {
        let options = SpecOptions {
            label: Some(label.to_string()),
            ..SpecOptions::default()
        };
        parse_resource("Blog", "Post", "posts", &strings(fields), &options)
    };
    let spec = with_label("body", &["title:string:unique", "body:text"]).unwrap();
    let resource = spec.resolve(Adapter::Sqlite);
    assert_eq!(resource.label.field.as_deref(), Some("body"));
    assert!(resource.label.chosen);
    for (label, fields) in [
        ("nope", &["title"][..]),
        ("n", &["title", "n:integer"][..]),
        ("secret", &["title", "secret:redact"][..]),
    ] {
        let message = with_label(label, fields).unwrap_err().message;
        assert_eq!(
            message,
            format!(
                "The label \"{label}\" is not a string field of Post that pages may show; choose one of title"
            )
        );
    }
    let message = with_label("n", &["n:integer"]).unwrap_err().message;
    assert!(
        message.ends_with("Post has none, so drop --label"),
        "{message}"
    );
}

#[test]
fn references_name_the_lists_of_a_parents_rows() {
    let resource = resolve(
        &["author_id:references:users", "owner:references:users"],
        Adapter::Sqlite,
    );
    let reference = |i: usize| resource.fields[i].references.clone().unwrap();
    assert_eq!(reference(0).stem, "author");
    assert_eq!(reference(0).list_for, "list_posts_for_author");
    assert_eq!(reference(1).list_for, "list_posts_for_owner");
    assert_eq!(resource.functions.filter, "PostFilter");
    assert_eq!(resource.functions.list_page_by, "list_posts_page_by");
}
