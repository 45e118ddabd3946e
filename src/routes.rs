//! `axgen routes`: lists the app's routes, Phoenix's `mix phx.routes`, by reading the
//! `.route("/path", get(handler).post(handler))` calls in the app's `src/web/` with `syn`.
//!
//! Routes in files under `src/web/api/` are served below `/api` (the app's router nests the
//! API router there); every other route is listed with the path it is written with.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use syn::visit::Visit;
use syn::{Expr, ExprCall, ExprMethodCall, Lit};

use crate::output::Printer;
use crate::project::Project;

/// The folder, relative to the app's root, holding the web layer.
const WEB_DIR: &str = "src/web";
/// Prefix of the routes declared under `src/web/api/`.
const API_PREFIX: &str = "/api";
/// The axum method routers that name an HTTP method.
const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];

/// One route: method, full path, and the handler's path as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub handler: String,
}

/// `axgen routes`.
pub fn run(cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    let project = Project::find(cwd)?;
    let routes = collect(&project.root.join(WEB_DIR))?;
    for line in format_table(&routes) {
        printer.line(&line);
    }
    Ok(ExitCode::SUCCESS)
}

/// Every route declared in the `.rs` files below `web_dir`, in file and source order.
pub fn collect(web_dir: &Path) -> Result<Vec<Route>> {
    let mut files: Vec<_> = walkdir::WalkDir::new(web_dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let mut routes = Vec::new();
    for file in files {
        let source =
            fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let syntax = syn::parse_file(&source)
            .with_context(|| format!("{} is not valid Rust", file.display()))?;
        let prefix = if file.starts_with(web_dir.join("api")) {
            API_PREFIX
        } else {
            ""
        };
        let mut visitor = RouteVisitor {
            prefix,
            module: module_path(web_dir, &file),
            routes: &mut routes,
        };
        visitor.visit_file(&syntax);
    }
    // By path, keeping the source order of the methods of one path.
    routes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(routes)
}

/// The module of `file` below the web folder: `src/web/api/post_controller.rs` →
/// `api::post_controller`; `mod.rs` files name their folder.
fn module_path(web_dir: &Path, file: &Path) -> String {
    let relative = file
        .strip_prefix(web_dir)
        .unwrap_or(file)
        .with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The routes as aligned columns: method, path, handler.
pub fn format_table(routes: &[Route]) -> Vec<String> {
    let method_width = routes.iter().map(|r| r.method.len()).max().unwrap_or(0);
    let path_width = routes.iter().map(|r| r.path.len()).max().unwrap_or(0);
    routes
        .iter()
        .map(|r| {
            format!(
                "{:<method_width$}  {:<path_width$}  {}",
                r.method, r.path, r.handler
            )
        })
        .collect()
}

struct RouteVisitor<'a> {
    prefix: &'static str,
    /// The module the file is, to qualify handlers written without a path.
    module: String,
    routes: &'a mut Vec<Route>,
}

impl<'ast> Visit<'ast> for RouteVisitor<'_> {
    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        // Visit the receiver first so that routes come out in source order.
        syn::visit::visit_expr_method_call(self, call);
        if call.method != "route" || call.args.len() != 2 {
            return;
        }
        let Some(path) = string_literal(&call.args[0]) else {
            return;
        };
        let path = join_path(self.prefix, &path);
        for (method, handler) in method_chain(&call.args[1]) {
            let handler = if handler.contains("::") || self.module.is_empty() {
                handler
            } else {
                format!("{}::{handler}", self.module)
            };
            self.routes.push(Route {
                method,
                path: path.clone(),
                handler,
            });
        }
    }
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

fn join_path(prefix: &str, path: &str) -> String {
    match (prefix, path) {
        ("", _) => path.to_string(),
        (_, "/") => prefix.to_string(),
        _ => format!("{prefix}{path}"),
    }
}

/// `get(a).post(b)` → `[("GET", "a"), ("POST", "b")]`.
fn method_chain(expr: &Expr) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut current = expr;
    loop {
        match current {
            Expr::MethodCall(m) => {
                if let Some(entry) = method_entry(&m.method.to_string(), m.args.first()) {
                    found.push(entry);
                }
                current = &m.receiver;
            }
            Expr::Call(ExprCall { func, args, .. }) => {
                if let Expr::Path(p) = func.as_ref()
                    && let Some(name) = p.path.segments.last()
                    && let Some(entry) = method_entry(&name.ident.to_string(), args.first())
                {
                    found.push(entry);
                }
                break;
            }
            _ => break,
        }
    }
    found.reverse();
    found
}

fn method_entry(name: &str, handler: Option<&Expr>) -> Option<(String, String)> {
    METHODS.contains(&name).then(|| {
        (
            name.to_uppercase(),
            handler.map(expr_path).unwrap_or_default(),
        )
    })
}

/// A handler expression as written, for paths (`post_controller::index`); `…` otherwise.
fn expr_path(expr: &Expr) -> String {
    match expr {
        Expr::Path(p) => p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::"),
        _ => "…".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, source: &str) {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, source).unwrap();
    }

    #[test]
    fn routes_are_read_from_the_web_layer() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "mod.rs",
            r#"pub fn router() -> Router { Router::new().route("/", get(page_controller::home)).route("/health", get(health_controller::show)) }"#,
        );
        write(
            dir.path(),
            "post_controller.rs",
            r#"pub fn routes() -> Router<AppState> {
                Router::new()
                    .route("/posts", get(index).post(create))
                    .route("/posts/{id}", get(show).put(update).patch(update).delete(delete))
            }"#,
        );
        write(
            dir.path(),
            "api/post_controller.rs",
            r#"pub fn routes() -> Router<AppState> { Router::new().route("/posts", get(index)) }"#,
        );
        let routes = collect(dir.path()).unwrap();
        let lines: Vec<String> = routes
            .iter()
            .map(|r| format!("{} {} {}", r.method, r.path, r.handler))
            .collect();
        assert_eq!(
            lines,
            [
                "GET / page_controller::home",
                "GET /api/posts api::post_controller::index",
                "GET /health health_controller::show",
                "GET /posts post_controller::index",
                "POST /posts post_controller::create",
                "GET /posts/{id} post_controller::show",
                "PUT /posts/{id} post_controller::update",
                "PATCH /posts/{id} post_controller::update",
                "DELETE /posts/{id} post_controller::delete",
            ]
        );
        let table = format_table(&routes[..2]);
        assert_eq!(table[1], "GET  /api/posts  api::post_controller::index");
    }

    #[test]
    fn invalid_rust_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "broken.rs", "fn (");
        let err = collect(dir.path()).unwrap_err();
        assert!(
            format!("{err:#}").contains("broken.rs is not valid Rust"),
            "{err:#}"
        );
    }
}
