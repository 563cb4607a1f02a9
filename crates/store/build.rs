//! Rebuild when a migration is added or changed: `embed_migrations!` cannot see new
//! files on its own.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
