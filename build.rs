//! Embeds the libtorch library directory as an rpath in every binary of this
//! package (CLI, tests, benches), so they run without LD_LIBRARY_PATH.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let Ok(libtorch) = std::env::var("LIBTORCH") else {
        println!("cargo:warning=LIBTORCH is not set: run `make setup` (scripts/setup.sh) first");
        return;
    };
    // Resolve the `.libtorch` link to the real cache path, so a binary keeps
    // working when copied out of the checkout.
    let lib = PathBuf::from(&libtorch).join("lib");
    let lib = lib.canonicalize().unwrap_or(lib);
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
}
