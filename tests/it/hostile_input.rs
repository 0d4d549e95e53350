//! Hostile input through the real code paths: a help-desk CSV whose cells hold a right-to-left
//! override, terminal escape sequences, NUL, formula prefixes, shell metacharacters and 10 kB
//! of text is refused cell by cell with every hostile character shown escaped, and nothing is
//! issued; a dsregcmd capture crafted with 80,000 distinct keys parses whole (the parser is
//! linear; its speed is measured by the benchmark, not here).

use hello_bootstrap::host::dsregcmd;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

const HOSTILE: &[&str] = &[
    "evil\u{202E}moc.osotnoc@lab.user",
    "\u{1b}[2J\u{1b}[31madele@contosolab.onmicrosoft.com",
    "=HYPERLINK(\"http://x\")@contosolab.onmicrosoft.com",
    "+cmd|' /C calc'!A0@contosolab.onmicrosoft.com",
    "$(Remove-Item C:\\)@contosolab.onmicrosoft.com",
    "`whoami`;rm -rf /@contosolab.onmicrosoft.com",
    "nul\u{0}byte@contosolab.onmicrosoft.com",
    "zero\u{200B}width@contosolab.onmicrosoft.com",
];

#[test]
fn a_csv_of_hostile_cells_is_refused_with_every_hostile_character_escaped() {
    let home = tempfile::tempdir().unwrap();
    let csv = home.path().join("users.csv");
    let mut text = String::from("upn,lifetime_minutes\n");
    for cell in HOSTILE {
        text.push_str(&format!("\"{}\",60\n", cell.replace('"', "\"\"")));
    }
    text.push_str(&format!(
        "{}@contosolab.onmicrosoft.com,60\n",
        "a".repeat(10_000)
    ));
    std::fs::write(&csv, text).unwrap();
    let out = Command::new(BIN)
        .args(["tap", "issue", "--demo", "--csv"])
        .arg(&csv)
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stdout.contains('\t'),
        "no pass was issued for any row: {stdout}"
    );
    for c in ['\u{202E}', '\u{1b}', '\u{0}', '\u{200B}'] {
        assert!(
            !stderr.contains(c),
            "a raw U+{:04X} reached the terminal: {stderr:?}",
            c as u32
        );
    }
    assert!(
        stderr.contains("\\u{202e}") || stderr.contains("row 2"),
        "the refusal names the row or shows the mark escaped: {stderr}"
    );
    assert!(
        stderr.len() < 20_000,
        "a 10 kB cell is not echoed whole ({} bytes of stderr)",
        stderr.len()
    );
}

#[test]
fn hostile_text_in_step_details_reaches_the_terminal_escaped() {
    use hello_bootstrap::lab::escape::{csv_cell, for_display};
    for cell in HOSTILE {
        let shown = for_display(cell);
        assert!(
            !shown.chars().any(hello_bootstrap::lab::escape::is_hostile),
            "{shown:?}"
        );
    }
    assert!(csv_cell(HOSTILE[2]).starts_with('\''));
    assert!(csv_cell(HOSTILE[3]).starts_with('\''));
}

#[test]
fn a_dsregcmd_capture_with_80000_distinct_keys_parses_whole() {
    let mut text = String::from(
        "+----------------------------------------------------------------------+\n\
         | Device State                                                         |\n\
         +----------------------------------------------------------------------+\n\
         \n             AzureAdJoined : YES\n          DomainJoined : NO\n",
    );
    for i in 0..80_000 {
        text.push_str(&format!("          Key{i:05} : value {i}\n"));
    }
    // Repeats, in another case, are dropped: the first value stands.
    text.push_str("          KEY00007 : changed\n          azureadjoined : NO\n");
    let status = dsregcmd::parse(&text).expect("parses");
    let section = status.section("Device State").expect("the section");
    assert_eq!(section.entries.len(), 80_002);
    assert_eq!(section.get("key00007"), Some("value 7"));
    assert_eq!(status.summary.azure_ad_joined, Some(true));
}
