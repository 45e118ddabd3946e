//! Template packs: the generator templates embedded in the binary, shadowed file by file by an
//! app's own `generator-templates/` folder (Phoenix's `priv/templates` rule).

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result};
use include_dir::{Dir, DirEntry, include_dir};
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// The templates shipped inside the binary, one folder per generator.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/generator-templates");

/// The folder, relative to an app's root, whose files shadow the embedded templates.
pub const OVERRIDE_DIR: &str = "generator-templates";

/// The suffix stripped from a template's name to get the generated file's name.
pub const TEMPLATE_SUFFIX: &str = ".jinja";

/// A minijinja environment over the embedded templates and, when generating into an app,
/// that app's overrides.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Templates for generating into the app at `app_root` (its overrides win), or the embedded
    /// ones alone when `app_root` is `None`.
    pub fn new(app_root: Option<&Path>) -> Templates {
        let override_root = app_root.map(|root| root.join(OVERRIDE_DIR));
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(syntax());
        register_filters(&mut env);
        env.set_loader(move |name| load(override_root.as_deref(), name));
        Templates { env }
    }

    /// Renders the template `name` (e.g. `new/src/main.rs.jinja`) with `context`.
    pub fn render(&self, name: &str, context: &Value) -> Result<String> {
        let template = self
            .env
            .get_template(name)
            .with_context(|| format!("loading template {name}"))?;
        template
            .render(context)
            .map_err(|err| anyhow::anyhow!("{err:#}"))
            .with_context(|| format!("rendering template {name}"))
    }
}

/// Whitespace control that keeps templates readable: block tags on their own lines leave no
/// trace, and a file's final newline is kept.
fn syntax() -> SyntaxConfig {
    SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid")
}

/// Case conversions, registered once, for templates that need to adapt a name.
fn register_filters(env: &mut Environment<'static>) {
    use heck::{
        ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase,
        ToUpperCamelCase,
    };
    env.add_filter("snake_case", |s: &str| s.to_snake_case());
    env.add_filter("upper_camel_case", |s: &str| s.to_upper_camel_case());
    env.add_filter("lower_camel_case", |s: &str| s.to_lower_camel_case());
    env.add_filter("kebab_case", |s: &str| s.to_kebab_case());
    env.add_filter("shouty_snake_case", |s: &str| s.to_shouty_snake_case());
    env.add_filter("title_case", |s: &str| s.to_title_case());
}

/// The loader: the app's copy of `name` if it has one, else the embedded one.
fn load(override_root: Option<&Path>, name: &str) -> Result<Option<String>, minijinja::Error> {
    let Some(relative) = safe_relative_path(name) else {
        return Ok(None);
    };
    if let Some(root) = override_root {
        let path = root.join(&relative);
        if path.is_file() {
            return fs::read_to_string(&path).map(Some).map_err(|err| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("cannot read {}: {err}", path.display()),
                )
            });
        }
    }
    Ok(EMBEDDED
        .get_file(&relative)
        .and_then(|file| file.contents_utf8())
        .map(str::to_owned))
}

/// `name` as a relative path that cannot leave the template folder, or `None`.
fn safe_relative_path(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    let safe = !name.is_empty()
        && !name.contains('\\')
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    safe.then(|| path.to_path_buf())
}

/// The embedded template names under `folder` (e.g. `new`), sorted, with `/` separators.
pub fn embedded_names(folder: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(dir) = EMBEDDED.get_dir(folder) {
        collect_files(dir, &mut names);
    }
    names.sort();
    names
}

/// Every embedded template name, sorted.
pub fn all_embedded_names() -> Vec<String> {
    let mut names = Vec::new();
    collect_files(&EMBEDDED, &mut names);
    names.sort();
    names
}

/// The names of the generators that have a template folder.
pub fn generators() -> Vec<String> {
    let mut names: Vec<String> = EMBEDDED
        .dirs()
        .map(|dir| dir.path().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The embedded source of template `name`, if there is one.
pub fn embedded_source(name: &str) -> Option<&'static str> {
    EMBEDDED
        .get_file(name)
        .and_then(|file| file.contents_utf8())
}

fn collect_files(dir: &Dir<'static>, names: &mut Vec<String>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => collect_files(sub, names),
            DirEntry::File(file) => names.push(file.path().to_string_lossy().replace('\\', "/")),
        }
    }
}

/// The path a template renders to: its name below the generator folder, without `.jinja`.
pub fn output_path(generator: &str, name: &str) -> PathBuf {
    let relative = name
        .strip_prefix(generator)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(name);
    PathBuf::from(relative.strip_suffix(TEMPLATE_SUFFIX).unwrap_or(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_parses() {
        let templates = Templates::new(None);
        let names = all_embedded_names();
        assert!(!names.is_empty(), "no embedded templates");
        for name in names {
            if let Err(err) = templates.env.get_template(&name) {
                panic!("template {name} does not parse: {err:#}");
            }
        }
    }

    #[test]
    fn an_app_override_shadows_the_embedded_template() {
        let app = tempfile::tempdir().unwrap();
        let name = embedded_names("new")
            .into_iter()
            .find(|n| n.ends_with("README.md.jinja"))
            .expect("the new pack has a README template");
        let path = app.path().join(OVERRIDE_DIR).join(&name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "custom readme for {{ app.name }}\n").unwrap();
        let context = minijinja::context! { app => minijinja::context! { name => "blog" } };
        let rendered = Templates::new(Some(app.path()))
            .render(&name, &context)
            .unwrap();
        assert_eq!(rendered, "custom readme for blog\n");
    }

    #[test]
    fn names_that_leave_the_folder_are_not_loaded() {
        for name in ["../Cargo.toml", "/etc/passwd", "new/../../x", "", "a\\b"] {
            assert_eq!(safe_relative_path(name), None, "{name}");
        }
        assert!(safe_relative_path("new/src/main.rs.jinja").is_some());
    }

    #[test]
    fn output_paths_drop_the_generator_and_suffix() {
        assert_eq!(
            output_path("new", "new/Cargo.toml.jinja"),
            PathBuf::from("Cargo.toml")
        );
        assert_eq!(
            output_path("new", "new/static/app.css"),
            PathBuf::from("static/app.css")
        );
    }

    #[test]
    fn filters_convert_case() {
        let mut env = Environment::new();
        register_filters(&mut env);
        let out = env
            .render_str(
                "{{ 'BlogPost'|snake_case }} {{ 'blog_post'|upper_camel_case }} {{ 'blog_post'|kebab_case }}",
                minijinja::context! {},
            )
            .unwrap();
        assert_eq!(out, "blog_post BlogPost blog-post");
    }
}
