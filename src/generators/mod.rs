//! Generators: each turns its input (a `Resource`, an app name) into a `Plan` of file operations.

pub mod context;
pub mod eject;
pub mod html;
pub mod json;
pub mod migration;
pub mod new;
pub mod schema;

use crate::plan::ApplyOptions;
use crate::spec;

/// The layers a resource generator writes below its own; `--no-context`, `--no-schema` and
/// `--no-migration` turn them off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// The context functions (`gen html|json`).
    pub context: bool,
    /// The schema module.
    pub schema: bool,
    /// The migration creating the table.
    pub migration: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            context: true,
            schema: true,
            migration: true,
        }
    }
}

/// What a resource generator (`gen html|json|context|schema`) is asked for, in the domain's
/// terms: the resource, the layers to write and how to apply the plan.
#[derive(Debug, Clone)]
pub struct GenRequest {
    pub spec: spec::Request,
    pub layers: Layers,
    pub apply: ApplyOptions,
}
