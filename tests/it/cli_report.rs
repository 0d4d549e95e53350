//! `run --demo --report FILE` through the real binary: the report embeds the VM's screen at the
//! host steps' completion, beside the JSON, and holds no TAP.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

#[test]
fn a_demo_run_report_embeds_the_vm_screen_of_the_host_steps() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("lab report.html");
    let out = Command::new(BIN)
        .args(["run", "--demo", "--report"])
        .arg(&report)
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tap = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Temporary Access Pass: "))
        .unwrap_or_else(|| panic!("no TAP on stdout: {stdout}"))
        .trim()
        .to_string();
    assert!(tap.len() >= 8, "{tap}");

    let html = std::fs::read_to_string(&report).unwrap();
    let json = std::fs::read_to_string(report.with_extension("json")).unwrap();
    for n in [4, 7] {
        let figure = format!(r#"<figure id="image-step-{n}-vm.png">"#);
        let at = html
            .find(&figure)
            .unwrap_or_else(|| panic!("step {n}'s VM screen is not in the report"));
        let img = &html[at..];
        let data = img
            .split_once(r#"src="data:image/png;base64,"#)
            .map(|(_, rest)| rest.split('"').next().unwrap())
            .expect("the VM screen is embedded as a PNG data URI");
        assert!(data.len() > 100, "step {n}: a tiny image: {data}");
        assert!(
            json.contains(&format!("step-{n}-vm.png")),
            "the JSON names step {n}'s VM image"
        );
    }
    assert!(
        !html.contains("image-step-1-vm.png"),
        "cloud steps have no VM screen"
    );
    assert!(
        !html.contains(&tap) && !json.contains(&tap),
        "the TAP leaked into the report"
    );
}
