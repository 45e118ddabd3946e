//! Rendering with the template packs, and the marker lines the templates of `axgen new` (and of
//! context modules) leave in the app's module files, before which generators insert lines.

use anyhow::Result;
use minijinja::Value;
use minijinja::value::Serde;
use serde::Serialize;

use crate::templates::Templates;

/// The app's crate root, where top-level modules are declared.
pub const LIB_RS: &str = "src/lib.rs";

/// The marker line in `src/lib.rs` (and in namespace modules) before which modules go.
pub const CONTEXTS_MARKER: &str = "// axgen:contexts";

/// The marker line in a context module before which its schema modules are declared.
pub const SCHEMAS_MARKER: &str = "// axgen:schemas";

/// The marker line in a context module before which the imports of its functions go.
pub const IMPORTS_MARKER: &str = "// axgen:imports";

/// The marker line in a context module before which each schema's functions go.
pub const FUNCTIONS_MARKER: &str = "// axgen:functions";

/// The marker of a controllers module: `src/web/mod.rs` and namespace modules.
pub const CONTROLLERS_MARKER: &str = "// axgen:controllers";

/// The marker of `src/web/api/mod.rs` before which JSON controllers are declared.
pub const API_CONTROLLERS_MARKER: &str = "// axgen:api-controllers";

/// The marker of `src/web/mod.rs` before which HTML controllers' routes are merged.
pub const ROUTES_MARKER: &str = "// axgen:routes";

/// The marker of `src/web/mod.rs` before which JSON controllers' routes are merged.
pub const API_ROUTES_MARKER: &str = "// axgen:api-routes";

/// Renders template `name` with `model`.
pub fn render(templates: &Templates, name: &str, model: &impl Serialize) -> Result<String> {
    templates.render(name, &Value::from(Serde(model)))
}

/// `model` as the templates read it: converted once for a model several templates render.
pub fn to_value(model: &impl Serialize) -> Value {
    Value::from(Serde(model))
}

/// `text` as a Rust string literal.
pub fn rust_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}
