//! The lab benchmark's package: its bench target (`benches/lab.rs`) and the blank-window baseline
//! (`src/bin/blank-window.rs`) live here so that `cargo bench --bench lab` measures the shipped
//! build of `hello-bootstrap`, not one compiled with the app's test-only features.
