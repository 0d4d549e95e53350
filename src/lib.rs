//! Hello Bootstrap, the app: the command line and the composition layer that wires the wizard
//! and the CLI to a real tenant and host or to the demo. The library crates under `crates/` do
//! the work; they are re-exported here under their short names so the app's integration tests
//! and examples reach every layer through one name.

pub mod cli;
pub mod compose;

pub use hb_auth as auth;
pub use hb_emulator as emulator;
pub use hb_graph as graph;
pub use hb_helpdesk as helpdesk;
pub use hb_host as host;
pub use hb_lab as lab;
pub use hb_report as report;
pub use hb_steps as steps;
pub use hb_ui as ui;
