//! The app's integration tests in one binary (one link instead of one per file): the Graph
//! client against the emulator on loopback, sign-in, the hosts, the step controllers, the CLI, the
//! report and the wizard. Each test runs in a process of its own under cargo-nextest, so tests
//! that point `HELLO_BOOTSTRAP_HOME` at a temporary folder cannot disturb each other.

mod auth_support;
mod common;

mod architecture;
mod auth_env_token;
mod auth_flows;
mod auth_graph;
mod auth_leak_scan;
mod auth_oidc;
mod auth_refusals;
mod cli_lab;
mod cli_report;
mod cli_wizard_exe;
mod conformance;
mod crash_journal;
mod crash_resume;
mod crash_step7;
mod dsregcmd;
mod emulator_oobe;
mod emulator_persistence;
mod emulator_steps;
mod faults_client;
mod graph_api;
mod graph_client;
mod helpdesk_emulator;
mod helpdesk_ui;
mod host_demo_cli;
mod host_emulated;
mod host_powershell;
mod host_steps;
mod hostile_fuzz;
mod hostile_input;
mod kvp;
mod load;
mod powershell_grammar;
mod readiness;
mod report_emulator;
mod report_files;
mod roles;
mod run_lock;
mod secret_types;
mod secrets_scan;
mod step7_verdict;
mod ui_evidence;
mod ui_export;
mod ui_hostile;
mod ui_pages;
mod ui_reset;
mod ui_responsive;
mod ui_snapshots;
mod ui_texts;
mod ui_walk;
mod ui_wizard;
mod unattend;
mod verdict_revert;
mod verdict_tap;
mod worker_session;
