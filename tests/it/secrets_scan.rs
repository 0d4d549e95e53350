//! The whole-app secrets scan through the real binary at trace level: the demo lab (its sign-in
//! through the emulator's login endpoints included) with `--report`, then the help desk issuing
//! passes to two more users, and `whoami`, which reads the stored sign-in back. Every pass issued (read from the one place it may appear, the
//! issuing command's stdout) and every token or code the emulator mints (its `emu.`, `rt.`,
//! `code.` and `dc.` forms, as text or as the byte array keyring-core's debug lines print) must be
//! absent from every stderr, every file under the app's folders and the report.

use crate::common::files_under;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

fn app(home: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .env("HELLO_BOOTSTRAP_HOME", home)
        .env("RUST_LOG", "trace")
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The shapes of every secret the emulator mints: a prefix and 43 base64url characters.
fn minted_secrets(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for prefix in ["emu.", "rt.", "code.", "dc."] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let tail = &rest[at + prefix.len()..];
            let len = tail
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
                .count();
            if len >= 40 {
                found.push(format!("{prefix}{}", &tail[..len]));
            }
            rest = &rest[at + prefix.len()..];
        }
    }
    found
}

/// `secret` as Rust's `Debug` prints a byte slice: `[114, 116, 46, ...]`.
fn as_byte_array(secret: &str) -> String {
    secret
        .bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn no_secret_reaches_a_log_a_file_or_the_report_at_trace_level() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("report.html");
    let report_arg = report.to_string_lossy().into_owned();
    let run = app(
        home.path(),
        &["run", "--demo", "--demo-reset", "--report", &report_arg],
    );
    let run_out = String::from_utf8_lossy(&run.stdout).into_owned();
    let mut taps: Vec<String> = run_out
        .lines()
        .filter_map(|l| l.strip_prefix("Temporary Access Pass: "))
        .map(|t| t.trim().to_string())
        .collect();
    assert_eq!(taps.len(), 1, "step 6 shows its pass once: {run_out}");

    let desk = app(
        home.path(),
        &[
            "tap",
            "issue",
            "--demo",
            // Both hold a privileged role, which the help desk refuses unless told.
            "--allow-privileged",
            "lee.gu@contosolab.onmicrosoft.com",
            "alex.wilber@contosolab.onmicrosoft.com",
        ],
    );
    let desk_out = String::from_utf8_lossy(&desk.stdout).into_owned();
    let issued: Vec<String> = desk_out
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .map(str::to_string)
        .collect();
    assert_eq!(issued.len(), 2, "two passes on stdout: {desk_out}");
    taps.extend(issued);

    // `whoami` reads the stored sign-in back: keyring-core's debug line of that read shows the
    // stored refresh token as bytes unless its target is filtered out.
    let whoami = app(home.path(), &["whoami", "--demo"]);

    let mut places: Vec<(String, String)> = vec![
        (
            "whoami's stderr".into(),
            String::from_utf8_lossy(&whoami.stderr).into_owned(),
        ),
        (
            "whoami's stdout".into(),
            String::from_utf8_lossy(&whoami.stdout).into_owned(),
        ),
        (
            "run's stderr".into(),
            String::from_utf8_lossy(&run.stderr).into_owned(),
        ),
        (
            "tap issue's stderr".into(),
            String::from_utf8_lossy(&desk.stderr).into_owned(),
        ),
    ];
    let trace_lines = places[2].1.lines().filter(|l| l.contains("TRACE")).count();
    assert!(
        trace_lines > 10,
        "trace logging was on ({trace_lines} lines)"
    );
    let files = files_under(home.path());
    assert!(
        files.iter().any(|f| f == &report) && files.len() >= 4,
        "the report and the app's files are scanned: {files:?}"
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        places.push((
            file.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }

    let mut leaks = Vec::new();
    for (place, text) in &places {
        for tap in &taps {
            if text.contains(tap.as_str()) {
                leaks.push(format!("a pass in {place}"));
            }
        }
        for secret in minted_secrets(text) {
            leaks.push(format!("{}… in {place}", &secret[..secret.len().min(8)]));
        }
        for prefix in ["emu.", "rt.", "code."] {
            if text.contains(&format!("[{}", as_byte_array(prefix))) {
                leaks.push(format!("a {prefix} secret as bytes in {place}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked: {leaks:#?}");
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    let token = format!("emu.{}", "A".repeat(43));
    assert_eq!(
        minted_secrets(&format!("Bearer {token} ")),
        vec![token.clone()]
    );
    assert!(minted_secrets("rt.short").is_empty());
    assert_eq!(as_byte_array("rt."), "114, 116, 46");
}
