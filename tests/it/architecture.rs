//! The crate graph is the architecture: these tests read it from `cargo metadata` and fail when a
//! dependency runs the wrong way (the domain or the emulator reaching for a crate of ours, a lower
//! layer importing a higher one).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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
