//! The PowerShell host's safety and process handling, with a fake `powershell` (a shell script in
//! tests/fake_powershell/ that speaks the worker's JSON-lines protocol) standing in for Windows
//! PowerShell: hostile names travel as data and never change the command line or the script;
//! failures, crashes, timeouts, cancellation and stray output each give a typed error.

#![cfg(unix)]

use hello_bootstrap::host::powershell::protocol::{WORKER_ARGS, worker_args, worker_script_text};
use hello_bootstrap::host::powershell::{PowerShellHost, PowerShellRunner, scripts};
use hello_bootstrap::host::{
    HostError, HyperVHost, InstallMedia, KeyboardText, Pace, VmSpec, VmState,
};
use hello_bootstrap::lab::Secret;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn fake() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fake_powershell/powershell")
}

fn runner(timeout: Duration) -> PowerShellRunner {
    PowerShellRunner::new(fake(), timeout)
}

/// The command line the fake must have been started with.
fn expected_args(r: &PowerShellRunner) -> String {
    worker_args(&r.worker_script)
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Values that would break out of, or change, a script that spliced them into its text: quotes,
/// subexpressions, backticks, separators, line breaks, wildcards, non-ASCII (José, Zoë, CJK).
fn hostile_names() -> Vec<String> {
    vec![
        "Lab'; Remove-VM -Name * -Force; '".into(),
        "Lab\"; Stop-Computer; \"".into(),
        "$(Stop-Computer -Force)".into(),
        "`$env:USERNAME`n".into(),
        "a; b | c & d".into(),
        "line one\nline two\r\nline three".into(),
        "*".into(),
        "Lab[0-9]?*".into(),
        "C:\\ISO\\Win 11 (eval)\\x.iso".into(),
        "ünïcødé ✓ 名前".into(),
        "José".into(),
        "Zoë's lab".into(),
        "ラボ 实验室 실험실".into(),
        "@{a=1}; ${env:PATH}; [IO.File]::Delete('x')".into(),
        "x".repeat(5000),
    ]
}

/// Hostile ISO paths: the folder of a user named José, quotes, `$()`, backticks, `;`, newlines.
fn hostile_iso_paths() -> Vec<String> {
    vec![
        "C:\\Users\\José\\Downloads\\Win11_24H2_English_x64.iso".into(),
        "C:\\Users\\Zoë\\ISO's \"eval\"\\$(Remove-Item C:\\ -Recurse).iso".into(),
        "D:\\名前\\`whoami`;calc.exe\\w.iso".into(),
        "C:\\a\nb\r\n; Stop-Computer\\x.iso".into(),
    ]
}

/// Runs `script` through the fake with `input` and checks that the worker got exactly the
/// fixed command line and exactly `input`, as UTF-8 bytes on its stdin.
async fn assert_arrives_as_data(
    r: &PowerShellRunner,
    name: &str,
    script: &'static str,
    input: Value,
) {
    let out = r
        .run(script, &input, &CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        out["args"],
        Value::String(expected_args(r)),
        "{name}: the command line changed for {input}"
    );
    assert_eq!(out["input"], input, "{name}: the value was damaged");
    assert_eq!(
        out["input_bytes"].as_u64(),
        Some(input.to_string().len() as u64),
        "{name}: stdin is not the UTF-8 of the JSON document"
    );
}

#[tokio::test]
async fn hostile_names_arrive_intact_and_never_change_the_command_line() {
    let r = runner(Duration::from_secs(20));
    for name in hostile_names() {
        assert_arrives_as_data(&r, "GET_VM", scripts::GET_VM, json!({ "name": name })).await;
        assert_arrives_as_data(&r, "START_VM", scripts::START_VM, json!({ "name": name })).await;
        assert_arrives_as_data(
            &r,
            "RESTORE_CHECKPOINT",
            scripts::RESTORE_CHECKPOINT,
            json!({ "vm": name, "name": name }),
        )
        .await;
    }
}

#[tokio::test]
async fn a_hostile_vm_spec_arrives_as_data_and_the_script_stays_the_same() {
    let r = runner(Duration::from_secs(20));
    let mut command_lines = std::collections::BTreeSet::new();
    for (name, iso) in hostile_names()
        .into_iter()
        .filter(|n| !n.chars().any(char::is_control) && n.chars().count() <= 100)
        .zip(hostile_iso_paths().into_iter().cycle())
    {
        let spec = VmSpec::lab(name.clone(), Some(PathBuf::from(&iso)));
        spec.validate().unwrap_or_else(|e| panic!("{name:?}: {e}"));
        let input = serde_json::to_value(&spec).unwrap();
        assert_eq!(input["name"], Value::String(name.clone()));
        assert_eq!(input["iso_path"], Value::String(iso.clone()));
        let out = r
            .run(scripts::CREATE_VM, &input, &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(out["input"], input, "damaged: {name:?} {iso:?}");
        assert_eq!(
            out["input_bytes"].as_u64(),
            Some(input.to_string().len() as u64)
        );
        command_lines.insert(out["args"].as_str().unwrap().to_string());
        // No value is spliced into the script: its text never contains one (values of a few
        // characters, such as `*`, may occur in any script by chance).
        assert!(
            name.len() < 4 || !scripts::CREATE_VM.contains(name.as_str()),
            "{name:?}"
        );
        assert!(!scripts::CREATE_VM.contains(iso.as_str()), "{iso:?}");
    }
    // Whatever the values, one worker with one and the same command line answered them all.
    assert_eq!(command_lines.len(), 1, "{command_lines:?}");
    assert_eq!(command_lines.into_iter().next().unwrap(), expected_args(&r));
    assert_eq!(r.workers_started(), 1);
}

#[test]
fn scripts_are_fixed_text_that_never_splices_or_wildcards() {
    for (name, script) in scripts::ALL {
        // Stdin is decoded as UTF-8 from the raw stream; `[Console]::In` would use the OEM
        // code page and turn C:\Users\José into a path that does not exist.
        assert!(
            script.contains("$stdin = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), [System.Text.UTF8Encoding]::new($false))"),
            "{name} does not read stdin as UTF-8"
        );
        assert!(
            script.contains("$in = $stdin.ReadToEnd() | ConvertFrom-Json"),
            "{name}"
        );
        assert!(
            script.contains("[Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)"),
            "{name}"
        );
        assert!(
            script.contains("ConvertTo-Json -InputObject $out -Depth 5 -Compress"),
            "{name}"
        );
        for banned in [
            "[Console]::In",
            "Invoke-Expression",
            "iex ",
            "-VMName",
            "Get-VM -Name",
            "ElementName=",
            "-Filter \"",
            "$($in",
        ] {
            assert!(!script.contains(banned), "{name} contains {banned:?}");
        }
        // What the worker runs is the fixed script without its one-shot stdin reading.
        let text = worker_script_text(script).unwrap_or_else(|| panic!("{name}"));
        assert!(!text.contains("OpenStandardInput"), "{name}");
    }
    // The worker starts from the shipped file, never from a script on its command line.
    assert_eq!(WORKER_ARGS[WORKER_ARGS.len() - 1], "-File");
    assert!(!WORKER_ARGS.contains(&"-EncodedCommand"));
    assert!(!WORKER_ARGS.contains(&"Bypass"));
    // VMs are found by exact name only.
    assert!(scripts::GET_VM.contains("Where-Object Name -eq ([string]$in.name)"));
    assert!(scripts::RESTORE_CHECKPOINT.contains("Where-Object Name -eq ([string]$in.name)"));
}

#[test]
fn the_system_powershell_is_the_one_in_system32() {
    let system = PowerShellRunner::system();
    assert_eq!(
        system.worker_script.file_name().unwrap(),
        "hb-worker.ps1",
        "{system:?}"
    );
    let program = system.program.display().to_string();
    assert!(
        program.ends_with(r"\System32\WindowsPowerShell\v1.0\powershell.exe"),
        "{program}"
    );
    assert!(
        program.as_bytes()[1] == b':' && program.as_bytes()[2] == b'\\',
        "not an absolute drive path: {program}"
    );
}

#[tokio::test]
async fn an_answer_with_ok_false_becomes_a_typed_error() {
    let err = runner(Duration::from_secs(20))
        .run(
            scripts::LIST_VMS,
            &json!({ "fake": "denied" }),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err, HostError::NotElevated);
    assert!(err.to_string().contains("as administrator"), "{err}");
}

#[tokio::test]
async fn a_crash_reports_its_exit_code_and_stderr() {
    let err = runner(Duration::from_secs(20))
        .run(
            scripts::LIST_VMS,
            &json!({ "fake": "crash" }),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    match err {
        HostError::PowerShell { exit_code, message } => {
            assert_eq!(exit_code, Some(3));
            assert!(
                message.contains("is not recognized as the name of a cmdlet"),
                "{message}"
            );
            assert!(message.contains("At line:1"), "{message}");
        }
        other => panic!("expected a PowerShell error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_crashed_worker_is_restarted_for_the_next_request() {
    let r = runner(Duration::from_secs(20));
    let cancel = CancellationToken::new();
    let first = r.run(scripts::LIST_VMS, &json!({}), &cancel).await.unwrap();
    assert!(
        r.run(scripts::LIST_VMS, &json!({ "fake": "crash" }), &cancel)
            .await
            .is_err()
    );
    let second = r.run(scripts::LIST_VMS, &json!({}), &cancel).await.unwrap();
    assert_ne!(first["pid"], second["pid"], "the crashed worker answered");
    assert_eq!(second["served"], 1, "{second}");
    assert_eq!(r.workers_started(), 2);
}

#[tokio::test]
async fn stray_output_lines_are_skipped_for_the_answer() {
    let out = runner(Duration::from_secs(20))
        .run(
            scripts::LIST_VMS,
            &json!({ "fake": "noise" }),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(out["input"], json!({ "fake": "noise" }));
}

fn process_is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A killed child may linger as a zombie until reaped: it no longer runs.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

async fn wait_gone(pid: u32) -> bool {
    for _ in 0..50 {
        if process_is_gone(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The fake's process id, from an ordinary answer.
async fn worker_pid(r: &PowerShellRunner) -> u32 {
    let out = r
        .run(scripts::LIST_VMS, &json!({}), &CancellationToken::new())
        .await
        .unwrap();
    out["pid"].as_u64().expect("the fake reports its pid") as u32
}

#[tokio::test]
async fn a_timeout_kills_the_worker_and_the_next_request_gets_a_new_one() {
    let r = runner(Duration::from_millis(800));
    let first = worker_pid(&r).await;
    let started = Instant::now();
    let err = r
        .run(
            scripts::LIST_VMS,
            &json!({ "fake": "hang" }),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        wait_gone(first).await,
        "worker {first} still runs after the timeout"
    );
    let second = worker_pid(&r).await;
    assert_ne!(first, second);
    assert_eq!(r.workers_started(), 2);
}

#[tokio::test]
async fn cancellation_stops_the_request_and_the_worker_comes_back() {
    let r = runner(Duration::from_secs(60));
    let first = worker_pid(&r).await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        trigger.cancel();
    });
    let err = r
        .run(scripts::LIST_VMS, &json!({ "fake": "hang" }), &cancel)
        .await
        .unwrap_err();
    assert_eq!(err, HostError::Cancelled);
    // The fake ignores the stop (it sleeps), so after the grace period it was killed.
    assert!(
        wait_gone(first).await,
        "worker {first} still runs after cancellation"
    );
    assert_ne!(worker_pid(&r).await, first);
}

#[tokio::test]
async fn a_missing_executable_says_so() {
    let err = PowerShellRunner::new("/nonexistent/powershell.exe", Duration::from_secs(5))
        .run(scripts::LIST_VMS, &json!({}), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, HostError::Launch { ref reason, .. } if reason.contains("not found")),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_host_decodes_vms_and_keeps_secrets_out_of_errors() {
    let host = PowerShellHost::new(runner(Duration::from_secs(20)));
    let vm = host.vm("Lab").await.unwrap().expect("the fake knows Lab");
    assert_eq!(vm.state, VmState::Running);
    assert_eq!(vm.secure_boot_template.as_deref(), Some("MicrosoftWindows"));
    assert!(vm.tpm_enabled);
    // Through the fake's echo, an unknown VM's answer is not a VM: a parse error, not a panic.
    assert!(matches!(
        host.vm("Other").await.unwrap_err(),
        HostError::Parse { .. }
    ));
    // Non-ASCII cannot be typed by Msvm_Keyboard.TypeText: refused before anything runs.
    let tap = Secret::new("Pässwörd");
    let err = host
        .type_text("Lab", KeyboardText::Secret(&tap), true)
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("Pässwörd"));
    // Without a guest account, dsregcmd cannot run through PowerShell Direct; the error says why
    // and where the device state comes from instead.
    let err = host
        .run_in_vm("Lab", hello_bootstrap::host::GuestCommand::DsregcmdStatus)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Hyper-V Data Exchange"), "{err}");
}

#[tokio::test]
async fn a_real_pc_leaves_its_restart_and_the_guest_page_to_the_person() {
    // A missing executable: none of these may need PowerShell at all.
    let host = PowerShellHost::new(PowerShellRunner::new(
        "/nonexistent/powershell",
        Duration::from_secs(5),
    ));
    assert_eq!(host.guest_page("Lab").await.unwrap(), None);
    let err = host.restart_pc().await.unwrap_err();
    assert!(matches!(err, HostError::RestartByHand), "{err:?}");
    assert!(
        err.to_string().contains("restart this PC yourself"),
        "{err}"
    );
    assert_eq!(host.install_media(), InstallMedia::Required);
    let pace = host.pace();
    assert_eq!(pace, Pace::REAL);
    assert!(pace.cloud >= Duration::from_secs(20 * 60), "{pace:?}");
    assert!(pace.setup > pace.page && pace.page > pace.poll_interval);
}

/// The PowerShell host reads the VM's KVP items as `GUEST_KVP` hands them (CIM-XML instances,
/// a lone item unwrapped by Windows PowerShell 5.1) and refuses to type on a guest that reports
/// another keyboard layout, before `TypeText` runs and without naming the TAP.
#[tokio::test]
async fn the_vms_kvp_report_reaches_the_host_and_stops_blind_typing() {
    let host = PowerShellHost::new(runner(Duration::from_secs(20)));
    let report = hello_bootstrap::host::guest_report(&host, "KvpLab")
        .await
        .unwrap();
    assert!(report.windows_up());
    assert_eq!(report.marker.as_ref().unwrap().phase, "oobe");
    assert_eq!(report.layout(), Some("00000407"));
    assert_eq!(
        hello_bootstrap::host::GuestPhase::from_report(true, &report),
        hello_bootstrap::host::GuestPhase::AtOobe
    );
    let tap = Secret::new("Zy#Tap!42");
    let err = host
        .type_text("KvpLab", KeyboardText::Secret(&tap), true)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("00000407"), "{text}");
    assert!(!text.contains("Zy#Tap"), "{text}");
    // Over-long text is refused before anything runs, with the documented limit.
    let long = "a".repeat(513);
    let err = host
        .type_text("Lab", KeyboardText::Plain(&long), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("512"), "{err}");
}
