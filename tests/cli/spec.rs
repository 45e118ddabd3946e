//! Bad input to `axgen gen ...`: every rule of the spec language, run through the real binary.
//! Each case must exit 2, print one `error:` sentence naming the offending word, and write
//! nothing.

use proptest::prelude::*;

use crate::Axgen;

/// Runs `axgen <args>` in a fresh empty folder and checks the refusal: exit code 2, stderr
/// starting with `error:` and containing `expected`, and the folder still empty.
#[track_caller]
pub fn refuses<S: AsRef<str>>(args: &[S], expected: &str) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let run = Axgen::in_dir(dir.path()).args(&args).run();
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("error: "),
        "{args:?}: stderr does not start with `error: `\n{}",
        run.transcript()
    );
    assert!(
        run.stderr.contains(expected),
        "{args:?}: stderr lacks {expected:?}\n{}",
        run.transcript()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the folder is readable")
        .collect();
    assert!(left.is_empty(), "{args:?} wrote {left:?}");
}

/// `gen html Blog Post posts <fields...>`.
fn html_with(fields: &[&str]) -> Vec<String> {
    ["gen", "html", "Blog", "Post", "posts"]
        .iter()
        .chain(fields)
        .map(|s| s.to_string())
        .collect()
}

#[track_caller]
fn refuses_field(fields: &[&str], expected: &str) {
    refuses(&html_with(fields), expected);
}

#[test]
fn lowercase_context() {
    refuses(
        &["gen", "html", "blog", "Post", "posts", "title"],
        "Expected the context, \"blog\", to be a CamelCase module name such as Blog",
    );
}

#[test]
fn non_camel_case_nested_context() {
    refuses(
        &["gen", "html", "Admin.blog", "Post", "posts", "title"],
        "Expected the context, \"Admin.blog\", to be a CamelCase module name such as Admin.Blog",
    );
}

#[test]
fn lowercase_schema() {
    refuses(
        &["gen", "json", "Blog", "post", "posts", "title"],
        "Expected the schema, \"post\", to be a CamelCase module name such as Post",
    );
}

#[test]
fn snake_case_schema() {
    refuses(
        &["gen", "context", "Blog", "Blog_Post", "blog_posts", "title"],
        "such as BlogPost",
    );
}

#[test]
fn context_equal_to_schema() {
    refuses(
        &["gen", "html", "Blog", "Blog", "blogs", "title"],
        "The context and the schema are both named \"Blog\"; give them different names",
    );
    refuses(
        &["gen", "schema", "Blog.Blog", "blogs"],
        "both named \"Blog\"",
    );
}

#[test]
fn schema_command_checks_dotted_names() {
    refuses(
        &["gen", "schema", "blog.Post", "posts"],
        "Expected the schema, \"blog.Post\", to be a CamelCase module name such as Blog.Post",
    );
    refuses(
        &["gen", "schema", "Post", "Posts"],
        "Expected the plural, \"Posts\"",
    );
}

#[test]
fn keyword_modules() {
    refuses(
        &["gen", "html", "Type", "Post", "posts", "title"],
        "The context \"Type\" would be the Rust module \"type\", which is a keyword",
    );
    refuses(
        &["gen", "html", "Game", "Match", "matches", "title"],
        "The schema \"Match\" would be the Rust module \"match\", which is a keyword",
    );
}

#[test]
fn top_level_modules_shadowing_the_apps_crates() {
    for (context, module) in [
        ("Sqlx", "sqlx"),
        ("Axum", "axum"),
        ("Serde", "serde"),
        ("Tokio", "tokio"),
        ("Minijinja", "minijinja"),
        ("Chrono", "chrono"),
        ("Uuid", "uuid"),
        ("TowerHttp", "tower_http"),
        ("Std", "std"),
    ] {
        refuses(
            &["gen", "html", context, "Post", "posts", "title"],
            &format!("The context \"{context}\" would be the module {module}, which clashes with"),
        );
    }
    refuses(
        &["gen", "schema", "Uuid", "uuids", "title"],
        "The schema \"Uuid\" would be the module uuid, which clashes with the uuid crate the app uses",
    );
    refuses(
        &["gen", "html", "Sqlx.Blog", "Post", "posts", "title"],
        "The context \"Sqlx.Blog\" would be the module sqlx, which clashes with the sqlx crate",
    );
}

#[test]
fn plural_not_snake_case() {
    refuses(
        &["gen", "html", "Blog", "Post", "Posts", "title"],
        "Expected the plural, \"Posts\", to be all lowercase snake_case such as posts",
    );
    refuses(
        &["gen", "html", "Blog", "Post", "blog-posts", "title"],
        "such as blog_posts",
    );
}

#[test]
fn plural_reserved_in_sql() {
    refuses(
        &["gen", "html", "Accounts", "Group", "groups", "name"],
        "The plural \"groups\" is a reserved word in SQL and would be the table name; pass --table with another name such as accounts_groups",
    );
}

#[test]
fn table_not_snake_case() {
    refuses(
        &html_with(&["title", "--table", "BlogPosts"]),
        "Expected the table name, \"BlogPosts\", given with --table, to be snake_case such as blog_posts",
    );
}

#[test]
fn table_reserved_in_sql() {
    refuses(
        &html_with(&["title", "--table", "order"]),
        "The table name \"order\", given with --table, is a reserved word in SQL",
    );
}

#[test]
fn web_not_camel_case() {
    refuses(
        &html_with(&["title", "--web", "admin"]),
        "Expected the web namespace, \"admin\", given with --web, to be a CamelCase module name such as Admin",
    );
}

#[test]
fn no_fields() {
    refuses(
        &["gen", "html", "Blog", "Post", "posts"],
        "No fields given for Post; add at least one, e.g. title:string",
    );
}

#[test]
fn unknown_type_lists_every_valid_type() {
    refuses_field(
        &["title:strng"],
        "Unknown type \"strng\" for the field \"title\"; did you mean title:string? valid types are: string, text, integer, bigint, float, decimal, boolean, date, time, naive_datetime, utc_datetime, time_usec, naive_datetime_usec, utc_datetime_usec, uuid, binary, map, array, enum, references",
    );
}

#[test]
fn a_type_with_the_wrong_case_or_a_typo_gets_the_type_it_means() {
    refuses_field(
        &["title:String"],
        "Unknown type \"String\" for the field \"title\"; did you mean title:string?",
    );
    refuses_field(&["count:integr"], "did you mean count:integer?");
    refuses_field(&["at:UTC_DATETIME"], "did you mean at:utc_datetime?");
    refuses_field(
        &["x:banana"],
        "Unknown type \"banana\" for the field \"x\"; valid types are:",
    );
}

#[test]
fn a_missing_plural_is_named_as_such() {
    refuses(
        &["gen", "html", "Blog", "Post", "title:string", "body:text"],
        "The plural is missing: \"title:string\" is a field, and the plural (the table name, such as posts) comes before the fields",
    );
    refuses(
        &["gen", "schema", "Blog.Category", "name:string"],
        "such as categories",
    );
}

#[test]
fn a_plural_schema_gets_its_singular() {
    refuses(
        &["gen", "html", "Accounts", "Users", "users", "name"],
        "The schema is plural: it names one row, so write it in the singular, such as User (with the plural users)",
    );
}

#[test]
fn unknown_modifier() {
    refuses_field(
        &["title:string:uniq"],
        "Unknown modifier \"uniq\" for the field \"title\"; valid modifiers are: unique, index, redact, optional",
    );
}

#[test]
fn enum_without_values() {
    refuses_field(
        &["status:enum"],
        "The enum field \"status\" has no values; list them after the type, e.g. status:enum:draft:published",
    );
}

#[test]
fn enum_values_not_snake_case_or_twice() {
    refuses_field(
        &["status:enum:Draft"],
        "Expected the value \"Draft\" of the enum field \"status\" to be snake_case such as draft",
    );
    refuses_field(
        &["status:enum:draft:draft"],
        "The value \"draft\" of the enum field \"status\" is given twice; give each value once",
    );
}

#[test]
fn array_without_element_type() {
    refuses_field(
        &["tags:array"],
        "The array field \"tags\" has no element type; write it as tags:array:string",
    );
}

#[test]
fn array_of_unknown_type() {
    refuses_field(
        &["tags:array:strng"],
        "Unknown element type \"strng\" for the array field \"tags\"; valid element types are: string, text, integer",
    );
}

#[test]
fn array_of_unsupported_types() {
    for element in ["array", "enum", "references", "binary", "map"] {
        let spec = format!("tags:array:{element}");
        let expected = format!(
            "The array field \"tags\" cannot hold {element} values; valid element types are: string"
        );
        refuses_field(&[&spec], &expected);
    }
}

#[test]
fn references_without_table() {
    refuses_field(
        &["post_id:references"],
        "The references field \"post_id\" has no table; write it as post_id:references:posts",
    );
}

#[test]
fn references_without_table_suggest_the_fields_own_table() {
    refuses_field(
        &["user_id:references"],
        "The references field \"user_id\" has no table; write it as user_id:references:users",
    );
    refuses_field(
        &["category_id:references"],
        "write it as category_id:references:categories",
    );
}

#[test]
fn references_table_not_snake_case() {
    refuses_field(
        &["post_id:references:Posts"],
        "Expected the table \"Posts\" of the references field \"post_id\" to be snake_case such as posts",
    );
}

#[test]
fn field_given_twice() {
    refuses_field(
        &["title", "title:text"],
        "The field \"title\" is given twice; give each field once",
    );
}

#[test]
fn generated_field_names() {
    for name in ["id", "inserted_at", "updated_at"] {
        let expected =
            format!("The field \"{name}\" is generated for every table; remove it from the fields");
        refuses_field(&[&format!("{name}:string")], &expected);
    }
}

#[test]
fn empty_field_name() {
    refuses_field(
        &[":string"],
        "The field \":string\" has no name; write fields as name:type, e.g. title:string",
    );
    refuses_field(&[""], "The field \"\" has no name");
}

#[test]
fn field_name_not_snake_case() {
    refuses_field(
        &["publishedAt:utc_datetime"],
        "Expected the field name, \"publishedAt\", to be snake_case such as published_at",
    );
}

#[test]
fn keywords_that_cannot_be_raw_identifiers() {
    for name in ["self", "super", "crate"] {
        let expected = format!(
            "The field name \"{name}\" is a Rust keyword that cannot be an identifier, not even as r#{name}; choose another name such as post_{name}"
        );
        refuses_field(&[name], &expected);
    }
    refuses_field(
        &["Self"],
        "Expected the field name, \"Self\", to be snake_case",
    );
    refuses_field(&["_"], "Expected the field name, \"_\", to be snake_case");
}

#[test]
fn field_names_reserved_in_sql() {
    let words = [
        "order", "group", "select", "from", "where", "user", "table", "index", "key", "check",
        "default", "limit", "desc",
    ];
    for word in words {
        let expected = format!(
            "The field name \"{word}\" is a reserved word in SQL; choose another name such as post_{word}"
        );
        refuses_field(&[word], &expected);
    }
}

#[test]
fn unindexable_unique_field() {
    refuses_field(
        &["body:text:unique"],
        "The field \"body\" cannot be unique: not every database can index a text column",
    );
}

/// Words for random command lines: valid parts, flags and garbage.
const POOL: &[&str] = &[
    "Blog",
    "Post",
    "posts",
    "Admin.Blog",
    "blog",
    "title",
    "title:string",
    "body:text",
    "status:enum",
    "status:enum:a:b",
    "tags:array",
    "tags:array:map",
    "post_id:references",
    "x:unique",
    "id",
    "type",
    "self",
    "order",
    ":",
    "",
    "é",
    "🦀:string",
    "--table",
    "users",
    "--web",
    "Admin",
    "--binary-id",
    "--dry-run",
    "--force",
    "Type",
    "a.b",
    "-",
    "--",
    "x:y:z",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_command_lines_never_panic(
        words in prop::collection::vec(prop::sample::select(POOL), 0..8),
        command in prop::sample::select(&["html", "json", "context", "schema"][..]),
    ) {
        // --dry-run first, so that no run can write into the working folder, even once the
        // generators exist and a random command line happens to be valid.
        let mut argv = vec!["axgen", "--quiet", "gen", command, "--dry-run"];
        argv.extend(words);
        let _ = axgen::run(argv);
    }
}

#[test]
fn a_primary_key_that_cannot_be_a_column_and_a_struct_field_is_refused() {
    let gen_with = |key: &str| {
        let mut args = html_with(&["title:string"]);
        args.extend(["--primary-key".to_string(), key.to_string()]);
        args
    };
    for (key, expected) in [
        (
            "PostId",
            "Expected the primary key, \"PostId\", given with --primary-key, to be snake_case such as post_id",
        ),
        (
            "type",
            "The primary key \"type\" is a reserved word of Rust or SQL; choose another name such as type_id",
        ),
        (
            "inserted_at",
            "The primary key \"inserted_at\" is a timestamp every table has",
        ),
        (
            "title",
            "The primary key \"title\" is also given as a field; remove the field or choose another --primary-key",
        ),
    ] {
        refuses(&gen_with(key), expected);
    }
}
