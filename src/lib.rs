//! axgen: Phoenix-style generators and Ecto-style database tasks for axum + sqlx + minijinja apps.
//!
//! The binary is a thin wrapper around [`run`]; ARCHITECTURE.md in the repository describes
//! the modules and the one-way flow: args → [`spec`] → `Resource` → [`plan`] → apply.

pub mod adapter;
pub mod cli;
pub mod db;
pub mod error;
pub mod generators;
pub mod naming;
pub mod output;
pub mod plan;
pub mod project;
pub mod routes;
pub mod run;
pub mod rustfmt;
pub mod spec;
pub mod sql;
pub mod templates;

pub use run::{report, run};
