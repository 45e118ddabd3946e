//! Rebuilds axgen when a generator template changes: the templates are embedded with
//! `include_dir!`, which Cargo does not track by itself.

fn main() {
    println!("cargo:rerun-if-changed=generator-templates");
}
