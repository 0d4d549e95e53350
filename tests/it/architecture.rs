//! The crate graph is the architecture: these tests read it from `cargo metadata` and fail when a
//! dependency runs the wrong way (the domain or the emulator reaching for a crate of ours, a lower
//! layer importing a higher one), and they read the sources for code that reaches past the
//! `HyperVHost` trait to the emulated host.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each workspace crate with the crates of ours it depends on (normal dependencies only).
fn our_graph() -> BTreeMap<String, BTreeSet<String>> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let ours: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|n| ours.contains(n))
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

#[test]
fn the_domain_and_the_emulator_depend_on_no_crate_of_ours() {
    let graph = our_graph();
    for lonely in ["hb-lab", "hb-emulator"] {
        let deps = graph
            .get(lonely)
            .unwrap_or_else(|| panic!("{lonely} is in the workspace"));
        assert!(deps.is_empty(), "{lonely} depends on {deps:?}");
    }
}

#[test]
fn dependencies_run_one_way() {
    let graph = our_graph();
    // What each library crate may use; anything else is an arrow running back up.
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("hb-lab", &[][..]),
        ("hb-emulator", &[][..]),
        ("hb-graph", &["hb-lab"][..]),
        ("hb-host", &["hb-lab"][..]),
        ("hb-auth", &["hb-lab", "hb-graph"][..]),
        ("hb-report", &["hb-lab"][..]),
        ("hb-ui", &["hb-lab", "hb-report"][..]),
        ("hb-steps", &["hb-lab", "hb-graph", "hb-host"][..]),
        ("hb-helpdesk", &["hb-lab", "hb-graph"][..]),
        // The benchmark measures the app from outside, as its one user.
        ("hb-bench", &["hello-bootstrap"][..]),
    ]);
    for (name, deps) in &graph {
        if name == "hello-bootstrap" {
            continue;
        }
        let permitted = allowed
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} is new: say here what it may depend on"));
        let wrong: Vec<_> = deps
            .iter()
            .filter(|d| !permitted.contains(&d.as_str()))
            .collect();
        assert!(wrong.is_empty(), "{name} must not depend on {wrong:?}");
    }
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_host_crate_knows_the_emulated_host_behind_the_trait() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    rust_files(&root.join("src"), &mut sources);
    for krate in std::fs::read_dir(root.join("crates")).unwrap() {
        let krate = krate.unwrap().path();
        if krate.file_name().is_some_and(|n| n != "host") {
            rust_files(&krate.join("src"), &mut sources);
        }
    }
    assert!(
        sources
            .iter()
            .any(|p| p.ends_with("crates/steps/src/bootstrap.rs")),
        "the scan reaches the step controllers"
    );
    let downcasts: Vec<String> = sources
        .iter()
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .contains("as_emulated")
        })
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .collect();
    assert!(
        downcasts.is_empty(),
        "controllers must run the same code on every host; ask the HyperVHost trait instead of downcasting in {downcasts:?}"
    );
}
