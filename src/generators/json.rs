//! `axgen gen json`: a resource's JSON API under `/api` (controller and HTTP tests) on top of
//! its context, schema and migration, as `mix phx.gen.json` does. Planned like `gen html`'s
//! web layer, see [`super::html`].

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::generators::GenRequest;
use crate::output::Printer;

use super::html::{WebKind, run_web};

/// `axgen gen json`.
pub fn run(request: &GenRequest, cwd: &Path, printer: &Printer) -> Result<ExitCode> {
    run_web(WebKind::Json, request, cwd, printer)
}
