//! Generators: each turns its input (a `Resource`, an app name) into a `Plan` of file operations.

pub mod context;
pub mod eject;
pub mod html;
pub mod json;
pub mod migration;
pub mod new;
pub mod schema;
