//! Inflection and identifiers: case conversions (heck), Rust keywords and SQL reserved words.
//!
//! Every name axgen derives (modules, structs, tables, labels) goes through these helpers,
//! so the spec parser and the generators agree on one spelling.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Every Rust keyword of edition 2024: strict, reserved for the future, and `gen`.
#[rustfmt::skip]
pub const RUST_KEYWORDS: &[&str] = &[
    "Self", "_", "abstract", "as", "async", "await", "become", "box", "break", "const",
    "continue", "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for",
    "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut",
    "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while",
    "yield",
];

/// The Rust keywords that cannot be written as raw identifiers (`r#self` is an error).
pub const NON_RAW_KEYWORDS: &[&str] = &["Self", "_", "crate", "self", "super"];

/// Words that cannot be an unquoted column or table name in at least one of the databases
/// axgen supports: PostgreSQL 16 (reserved, including "can be function or type"), MySQL 8.4,
/// MariaDB 10.11 and SQLite 3 (keywords without the identifier fallback). Lower case, sorted.
#[rustfmt::skip]
pub const SQL_RESERVED: &[&str] = &[
    "accessible", "add", "all", "alter", "analyse", "analyze", "and", "any", "array", "as",
    "asc", "asensitive", "asymmetric", "authorization", "autoincrement", "before", "between",
    "bigint", "binary", "blob", "both", "by", "call", "cascade", "case", "cast", "change",
    "char", "character", "check", "collate", "collation", "column", "commit", "concurrently",
    "condition", "constraint", "continue", "convert", "create", "cross", "cube", "cume_dist",
    "current_catalog", "current_date", "current_role", "current_schema", "current_time",
    "current_timestamp", "current_user", "cursor", "database", "databases", "day_hour",
    "day_microsecond", "day_minute", "day_second", "dec", "decimal", "declare", "default",
    "deferrable", "delayed", "delete", "delete_domain_id", "dense_rank", "desc", "describe",
    "deterministic", "distinct", "distinctrow", "div", "do", "do_domain_ids", "double", "drop",
    "dual", "each", "else", "elseif", "empty", "enclosed", "end", "escape", "escaped", "except",
    "exists", "exit", "explain", "false", "fetch", "first_value", "float", "float4", "float8",
    "for", "force", "foreign", "freeze", "from", "full", "fulltext", "function", "general",
    "generated", "get", "grant", "group", "grouping", "groups", "having", "high_priority",
    "hour_microsecond", "hour_minute", "hour_second", "if", "ignore", "ignore_domain_ids",
    "ignore_server_ids", "ilike", "in", "index", "indexed", "infile", "initially", "inner",
    "inout", "insensitive", "insert", "int", "int1", "int2", "int3", "int4", "int8", "integer",
    "intersect", "interval", "into", "io_after_gtids", "io_before_gtids", "is", "isnull",
    "iterate", "join", "json_table", "key", "keys", "kill", "lag", "last_value", "lateral",
    "lead", "leading", "leave", "left", "like", "limit", "linear", "lines", "load", "localtime",
    "localtimestamp", "lock", "long", "longblob", "longtext", "loop", "low_priority", "manual",
    "master_bind", "master_heartbeat_period", "master_ssl_verify_server_cert", "match",
    "maxvalue", "mediumblob", "mediumint", "mediumtext", "middleint", "minute_microsecond",
    "minute_second", "mod", "modifies", "natural", "no_write_to_binlog", "not", "nothing",
    "notnull", "nth_value", "ntile", "null", "numeric", "of", "offset", "on", "only",
    "optimize", "optimizer_costs", "option", "optionally", "or", "order", "out", "outer",
    "outfile", "over", "overlaps", "page_checksum", "parallel", "parse_vcol_expr", "partition",
    "percent_rank", "placing", "position", "precision", "primary", "procedure", "purge",
    "qualify", "range", "rank", "read", "read_write", "reads", "real", "recursive",
    "ref_system_id", "references", "regexp", "release", "rename", "repeat", "replace",
    "require", "resignal", "restrict", "return", "returning", "revoke", "right", "rlike", "row",
    "row_number", "rows", "schema", "schemas", "second_microsecond", "select", "sensitive",
    "separator", "session_user", "set", "show", "signal", "similar", "slow", "smallint", "some",
    "spatial", "specific", "sql", "sql_big_result", "sql_calc_found_rows", "sql_small_result",
    "sqlexception", "sqlstate", "sqlwarning", "ssl", "starting", "stats_auto_recalc",
    "stats_persistent", "stats_sample_pages", "stored", "straight_join", "symmetric", "system",
    "system_user", "table", "tablesample", "terminated", "then", "tinyblob", "tinyint",
    "tinytext", "to", "trailing", "transaction", "trigger", "true", "undo", "union", "unique",
    "unlock", "unsigned", "update", "usage", "use", "user", "using", "utc_date", "utc_time",
    "utc_timestamp", "values", "varbinary", "varchar", "varcharacter", "variadic", "varying",
    "verbose", "virtual", "when", "where", "while", "window", "with", "write", "xor",
    "year_month", "zerofill",
];

/// `BlogPost`, `blog post`, `blogPost` → `blog_post`.
pub fn snake(s: &str) -> String {
    s.to_snake_case()
}

/// `blog_post` → `BlogPost`.
pub fn camel(s: &str) -> String {
    s.to_upper_camel_case()
}

/// A human label, as Phoenix's `humanize`: `published_at` → `Published at`,
/// `BlogPost` → `Blog post`, `author_id` → `Author`.
pub fn human(s: &str) -> String {
    let snake = snake(s);
    let base = snake
        .strip_suffix("_id")
        .filter(|b| !b.is_empty())
        .unwrap_or(&snake);
    let spaced = base.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether `s` is snake_case as axgen writes it: ASCII lowercase letters, digits and single
/// underscores, starting with a letter (`posts`, `blog_posts`, `v2_items`).
pub fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && snake(s) == s
}

/// Whether `s` is one CamelCase segment in its canonical spelling: ASCII letters and
/// digits, starting with an upper-case letter, and unchanged by a round trip through
/// snake_case (`BlogPost` yes; `blogPost`, `Blog_Post`, `HTTPClient` no).
pub fn is_camel_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && camel(s) == s
        && camel(&snake(s)) == s
}

/// Whether `s` is a dotted module name whose every segment is CamelCase (`Admin.Blog`).
pub fn is_camel_path(s: &str) -> bool {
    s.split('.').all(is_camel_case)
}

/// Whether `word` is a Rust keyword (strict or reserved) in edition 2024.
pub fn is_rust_keyword(word: &str) -> bool {
    RUST_KEYWORDS.contains(&word)
}

/// Whether `word` (any case) is reserved in PostgreSQL, MySQL/MariaDB or SQLite.
pub fn is_sql_reserved(word: &str) -> bool {
    SQL_RESERVED
        .binary_search(&word.to_ascii_lowercase().as_str())
        .is_ok()
}

/// Whether `word` can be a Rust identifier, raw if need be (`self`, `super`... cannot).
pub fn can_be_identifier(word: &str) -> bool {
    !NON_RAW_KEYWORDS.contains(&word)
}

/// The Rust identifier for a snake_case name: `r#type` for keywords, the name otherwise.
pub fn rust_ident(name: &str) -> String {
    if is_rust_keyword(name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// A CamelCase suggestion for a bad module name: `admin.blog` → `Admin.Blog`; `fallback`
/// when nothing usable can be made of it.
pub fn suggest_camel_path(s: &str, fallback: &str) -> String {
    let segments: Vec<String> = s.split('.').map(|seg| camel(&snake(seg))).collect();
    let joined = segments.join(".");
    if is_camel_path(&joined) {
        joined
    } else {
        fallback.to_string()
    }
}

/// A snake_case suggestion for a bad name: `BlogPosts` → `blog_posts`; `fallback` when
/// nothing usable can be made of it.
pub fn suggest_snake(s: &str, fallback: &str) -> String {
    let snake = snake(s);
    if is_snake_case(&snake) {
        snake
    } else {
        fallback.to_string()
    }
}

/// `noun` after its indefinite article, for generated prose: `a post`, `an annotation`,
/// `a user`, `an hour`. By the first letters, with the common exceptions where the sound
/// differs from the letter (`u` read as "you", `eu`, `one`, a silent `h`).
pub fn with_article(noun: &str) -> String {
    let lower = noun.to_lowercase();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| lower.starts_with(p));
    let vowel_sound = if starts(&["hour", "honest", "honor", "honour", "heir"]) {
        true
    } else if starts(&["uni", "use", "usu", "uti", "eu", "one", "once", "ur"]) {
        false
    } else {
        starts(&["a", "e", "i", "o", "u"])
    };
    let article = if vowel_sound { "an" } else { "a" };
    format!("{article} {noun}")
}

/// The plural of an English noun in snake_case, for suggestions: `user` → `users`,
/// `category` → `categories` (the pluralizer crate's rules, from the pluralize npm package).
pub fn plural_of(word: &str) -> String {
    pluralizer::pluralize(word, 2, false)
}

/// The singular of an English noun, for suggestions: `Users` → `User`; a word that is its
/// own singular (`Series`, `News`) comes back unchanged.
pub fn singular_of(word: &str) -> String {
    pluralizer::pluralize(word, 1, false)
}

/// The candidate closest to `word` when it is close enough to be a likely typo or a
/// wrong case (`strng`, `String` → `string`), for "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(&word, candidate), candidate))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The prefix SQLite reserves for its own tables and indexes (`sqlite_master`...).
pub const SQLITE_INTERNAL_PREFIX: &str = "sqlite_";

/// The generated enum of the field `field` of `schema`: `PostStatus` for `status` of `Post`.
pub fn enum_type(schema: &str, field: &str) -> String {
    format!("{schema}{}", camel(field))
}

/// The generated struct of the changes a changeset casts: `PostChanges` for `Post`.
pub fn changes_type(schema: &str) -> String {
    format!("{schema}Changes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_cases() {
        assert_eq!(snake("BlogPost"), "blog_post");
        assert_eq!(snake("HTTPClient"), "http_client");
        assert_eq!(camel("blog_post"), "BlogPost");
        assert_eq!(camel("in_progress"), "InProgress");
    }

    #[test]
    fn humanizes_like_phoenix() {
        assert_eq!(human("published_at"), "Published at");
        assert_eq!(human("BlogPost"), "Blog post");
        assert_eq!(human("blog_posts"), "Blog posts");
        assert_eq!(human("author_id"), "Author");
        assert_eq!(human("id"), "Id");
        assert_eq!(human(""), "");
    }

    #[test]
    fn recognises_snake_case() {
        for ok in ["posts", "blog_posts", "v2_items", "a", "item2"] {
            assert!(is_snake_case(ok), "{ok}");
        }
        for bad in [
            "",
            "Posts",
            "blogPosts",
            "_x",
            "x_",
            "x__y",
            "2x",
            "é",
            "a-b",
            "a b",
        ] {
            assert!(!is_snake_case(bad), "{bad}");
        }
    }

    #[test]
    fn recognises_camel_case() {
        for ok in ["Post", "BlogPost", "V2Post", "Post2"] {
            assert!(is_camel_case(ok), "{ok}");
        }
        for bad in [
            "",
            "post",
            "blogPost",
            "Blog_Post",
            "HTTPClient",
            "Ábc",
            "Blog.Post",
        ] {
            assert!(!is_camel_case(bad), "{bad}");
        }
        assert!(is_camel_path("Admin.Blog"));
        assert!(!is_camel_path("Admin..Blog"));
        assert!(!is_camel_path("Admin."));
    }

    #[test]
    fn keywords_and_raw_identifiers() {
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(rust_ident("gen"), "r#gen");
        assert_eq!(rust_ident("title"), "title");
        assert!(!can_be_identifier("self"));
        assert!(!can_be_identifier("crate"));
        assert!(can_be_identifier("type"));
        assert!(NON_RAW_KEYWORDS.iter().all(|k| is_rust_keyword(k)));
    }

    #[test]
    fn sql_reserved_list_is_sorted_lowercase_and_unique() {
        assert!(
            SQL_RESERVED.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert!(SQL_RESERVED.iter().all(|w| w.to_ascii_lowercase() == *w));
        for word in [
            "order", "group", "select", "from", "where", "user", "table", "index",
        ] {
            assert!(is_sql_reserved(word), "{word}");
        }
        for word in [
            "key", "check", "default", "limit", "desc", "ORDER", "position", "offset",
        ] {
            assert!(is_sql_reserved(word), "{word}");
        }
        for word in [
            "title", "name", "type", "status", "date", "time", "text", "body",
        ] {
            assert!(!is_sql_reserved(word), "{word}");
        }
    }

    #[test]
    fn rust_keywords_that_are_sql_words() {
        // Listed in the spec module's documentation: these field names are refused.
        let both: Vec<&str> = RUST_KEYWORDS
            .iter()
            .copied()
            .filter(|k| is_sql_reserved(k))
            .collect();
        let documented = [
            "as", "continue", "do", "else", "false", "for", "if", "in", "loop", "match", "mod",
            "return", "true", "use", "virtual", "where", "while",
        ];
        assert_eq!(both, documented);
    }

    #[test]
    fn suggests_fixes() {
        assert_eq!(suggest_camel_path("admin.blog", "Blog"), "Admin.Blog");
        assert_eq!(suggest_camel_path("blog_post", "Post"), "BlogPost");
        assert_eq!(suggest_camel_path("!!", "Blog"), "Blog");
        assert_eq!(suggest_snake("BlogPosts", "posts"), "blog_posts");
        assert_eq!(suggest_snake("***", "posts"), "posts");
    }

    #[test]
    fn nouns_get_the_article_their_sound_takes() {
        for (noun, expected) in [
            ("post", "a post"),
            ("annotation", "an annotation"),
            ("item", "an item"),
            ("order line", "an order line"),
            ("user", "a user"),
            ("unit", "a unit"),
            ("umbrella", "an umbrella"),
            ("hour", "an hour"),
            ("house", "a house"),
            ("euro price", "a euro price"),
        ] {
            assert_eq!(with_article(noun), expected);
        }
    }

    #[test]
    fn suggestions_inflect_and_find_typos() {
        assert_eq!(plural_of("user"), "users");
        assert_eq!(plural_of("category"), "categories");
        assert_eq!(singular_of("Users"), "User");
        assert_eq!(singular_of("Series"), "Series");
        let types = [
            "string",
            "text",
            "integer",
            "utc_datetime",
            "naive_datetime",
        ];
        assert_eq!(closest("String", types), Some("string"));
        assert_eq!(closest("strng", types), Some("string"));
        assert_eq!(closest("integr", types), Some("integer"));
        assert_eq!(closest("utc_datetim", types), Some("utc_datetime"));
        assert_eq!(closest("banana", types), None);
    }
}
