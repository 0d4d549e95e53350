//! The fuzz targets' inputs on stable: `fuzz/` holds the cargo-fuzz targets (nightly libFuzzer,
//! run by `scripts/fuzz`); here the same six entry points get random bytes and mutations of the
//! seed corpus through proptest, and every crash `scripts/fuzz` ever kept in
//! `fuzz/regressions/<target>/` is replayed, so a fixed crash stays fixed. Each entry point must
//! return (an answer or an error), never panic.

use hello_bootstrap::graph::GraphError;
use hello_bootstrap::graph::models::{Device, ManagedDevice, SignIn, TapMethod, User, WhfbMethod};
use hello_bootstrap::helpdesk::csv_input::parse_csv;
use hello_bootstrap::host::{dsregcmd, kvp};
use hello_bootstrap::lab::session_file::SessionFile;
use proptest::prelude::*;
use std::path::PathBuf;

/// One fuzz target: its name and the one call its `fuzz/fuzz_targets/<name>.rs` makes.
type Target = (&'static str, fn(&[u8]));

/// The fuzz targets by name.
const TARGETS: &[Target] = &[
    ("dsregcmd", |d| {
        let _ = dsregcmd::parse_bytes(d);
    }),
    ("graph_error", |d| {
        let status = d.first().map_or(400, |b| 400 + u16::from(*b % 200));
        let _ = GraphError::from_body(status, d, None).to_string();
    }),
    ("graph_models", |d| {
        let _ = serde_json::from_slice::<User>(d);
        let _ = serde_json::from_slice::<Device>(d);
        let _ = serde_json::from_slice::<ManagedDevice>(d);
        let _ = serde_json::from_slice::<TapMethod>(d);
        let _ = serde_json::from_slice::<WhfbMethod>(d);
        let _ = serde_json::from_slice::<SignIn>(d);
    }),
    ("csv", |d| {
        if let Err(errors) = parse_csv(d) {
            for e in errors {
                let _ = e.to_string();
            }
        }
    }),
    ("session_file", |d| {
        let _ = serde_json::from_slice::<SessionFile>(d);
    }),
    ("kvp", |d| {
        let text = String::from_utf8_lossy(d);
        let xmls: Vec<String> = text.split('\u{1e}').map(str::to_string).collect();
        if let Ok(guest) = kvp::parse_items(&xmls) {
            let kvp = kvp::GuestKvp {
                intrinsic: Vec::new(),
                guest,
            };
            let report = kvp::GuestReport::from_kvp(&kvp, chrono::DateTime::UNIX_EPOCH);
            let _ = report.user_report().map(|u| u.summary());
        }
    }),
];

fn files_of(kind: &str, target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    crate::common::files_under(&dir)
        .into_iter()
        .filter(|p| p.file_name().is_none_or(|n| n != ".gitkeep"))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

#[test]
fn every_target_has_a_seed_and_every_kept_crash_stays_fixed() {
    for (name, target) in TARGETS {
        let seeds = files_of("corpus", name);
        assert!(!seeds.is_empty(), "fuzz/corpus/{name} has no seed");
        for input in seeds.iter().chain(files_of("regressions", name).iter()) {
            target(input);
        }
    }
}

/// A seed with a few bytes replaced, inserted or cut: inputs near valid ones, where parsers
/// are most fragile.
fn mutated(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for &(at, op, byte) in edits {
        let at = if out.is_empty() {
            0
        } else {
            at % (out.len() + 1)
        };
        match op % 3 {
            0 if at < out.len() => out[at] = byte,
            1 => out.insert(at, byte),
            _ => out.truncate(at),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        for (_, target) in TARGETS {
            target(&data);
        }
    }

    #[test]
    fn mutated_seeds_never_panic(
        which in 0..TARGETS.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12),
    ) {
        let (name, target) = TARGETS[which];
        for seed in files_of("corpus", name) {
            target(&mutated(&seed, &edits));
        }
    }
}
