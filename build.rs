//! Enables the PostgreSQL half of the integration tests when a test database is given, and
//! rebuilds the crate when a migration is added: `embed_migrations!` reads the folders at
//! compile time, and a build script that names what it depends on stops cargo from watching
//! every file of the package.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=BETADATA_TEST_DATABASE_URL");
    println!("cargo:rustc-check-cfg=cfg(betadata_pg_tests)");
    if std::env::var_os("BETADATA_TEST_DATABASE_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo:rustc-cfg=betadata_pg_tests");
    } else {
        println!(
            "cargo:warning=BETADATA_TEST_DATABASE_URL is not set: the PostgreSQL half of the \
             integration tests is skipped (shown as ignored)"
        );
    }
}
