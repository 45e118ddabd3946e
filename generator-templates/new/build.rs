//! Rebuilds the crate when a migration is added or changed: `#[sqlx::test]` embeds
//! `migrations/` at compile time (through `sqlx::migrate!`), and Cargo would not
//! otherwise notice new files there.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
