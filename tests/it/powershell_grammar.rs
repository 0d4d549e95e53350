//! Every PowerShell script the host can run (`scripts::ALL`) and every PowerShell snippet a step
//! shows learners, read by a real PowerShell grammar (tree-sitter-powershell) instead of searched
//! as text: none may hold a syntax error (an ERROR or MISSING node), and every Hyper-V cmdlet
//! they call must be module-qualified (`Hyper-V\Get-VM`), because with VMware PowerCLI installed
//! a bare `Get-VM` runs VMware's cmdlet. Two checks of the checkers themselves prove each one can
//! fail: a broken script and a bare `Get-VM` are both reported, with where they are.

use hello_bootstrap::host::powershell::scripts;
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{Step, StepOptions};
use hello_bootstrap::steps::{StepContext, controller};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use tree_sitter::{Node, Parser, Tree};

/// The cmdlets of the Hyper-V module, as listed on the Hyper-V module page of Microsoft's
/// Windows PowerShell reference (Windows Server 2025 / Windows 11). Matched without regard to
/// case, as PowerShell resolves commands.
const HYPER_V_CMDLETS: &[&str] = &[
    "Add-VMDvdDrive",
    "Add-VMFibreChannelHba",
    "Add-VMGpuPartitionAdapter",
    "Add-VMGroupMember",
    "Add-VMHardDiskDrive",
    "Add-VMMigrationNetwork",
    "Add-VMNetworkAdapter",
    "Add-VMNetworkAdapterAcl",
    "Add-VMNetworkAdapterExtendedAcl",
    "Add-VmNetworkAdapterRoutingDomainMapping",
    "Add-VMRemoteFx3dVideoAdapter",
    "Add-VMScsiController",
    "Add-VMStoragePath",
    "Add-VMSwitch",
    "Add-VMSwitchExtensionPortFeature",
    "Add-VMSwitchExtensionSwitchFeature",
    "Add-VMSwitchTeamMember",
    "Checkpoint-VM",
    "Compare-VM",
    "Complete-VMFailover",
    "Connect-VMNetworkAdapter",
    "Connect-VMSan",
    "Convert-VHD",
    "Copy-VMFile",
    "Debug-VM",
    "Disable-VMConsoleSupport",
    "Disable-VMEventing",
    "Disable-VMIntegrationService",
    "Disable-VMMigration",
    "Disable-VMRemoteFXPhysicalVideoAdapter",
    "Disable-VMResourceMetering",
    "Disable-VMSwitchExtension",
    "Disable-VMTPM",
    "Disconnect-VMNetworkAdapter",
    "Disconnect-VMSan",
    "Dismount-VHD",
    "Enable-VMConsoleSupport",
    "Enable-VMEventing",
    "Enable-VMIntegrationService",
    "Enable-VMMigration",
    "Enable-VMRemoteFXPhysicalVideoAdapter",
    "Enable-VMReplication",
    "Enable-VMResourceMetering",
    "Enable-VMSwitchExtension",
    "Enable-VMTPM",
    "Export-VM",
    "Export-VMSnapshot",
    "Get-VHD",
    "Get-VHDSet",
    "Get-VHDSnapshot",
    "Get-VM",
    "Get-VMBios",
    "Get-VMComPort",
    "Get-VMConnectAccess",
    "Get-VMDvdDrive",
    "Get-VMFibreChannelHba",
    "Get-VMFirmware",
    "Get-VMFloppyDiskDrive",
    "Get-VMGpuPartitionAdapter",
    "Get-VMGroup",
    "Get-VMHardDiskDrive",
    "Get-VMHost",
    "Get-VMHostCluster",
    "Get-VMHostPartitionableGpu",
    "Get-VMHostNumaNode",
    "Get-VMHostNumaNodeStatus",
    "Get-VMHostSupportedVersion",
    "Get-VMIdeController",
    "Get-VMIntegrationService",
    "Get-VMKeyProtector",
    "Get-VMMemory",
    "Get-VMMigrationNetwork",
    "Get-VMNetworkAdapter",
    "Get-VMNetworkAdapterAcl",
    "Get-VMNetworkAdapterExtendedAcl",
    "Get-VMNetworkAdapterFailoverConfiguration",
    "Get-VmNetworkAdapterIsolation",
    "Get-VMNetworkAdapterRoutingDomainMapping",
    "Get-VMNetworkAdapterTeamMapping",
    "Get-VMNetworkAdapterVlan",
    "Get-VMProcessor",
    "Get-VMRemoteFx3dVideoAdapter",
    "Get-VMRemoteFXPhysicalVideoAdapter",
    "Get-VMReplication",
    "Get-VMReplicationAuthorizationEntry",
    "Get-VMReplicationServer",
    "Get-VMResourcePool",
    "Get-VMSan",
    "Get-VMScsiController",
    "Get-VMSecurity",
    "Get-VMSnapshot",
    "Get-VMStoragePath",
    "Get-VMSwitch",
    "Get-VMSwitchExtension",
    "Get-VMSwitchExtensionPortData",
    "Get-VMSwitchExtensionPortFeature",
    "Get-VMSwitchExtensionSwitchData",
    "Get-VMSwitchExtensionSwitchFeature",
    "Get-VMSwitchTeam",
    "Get-VMSystemSwitchExtension",
    "Get-VMSystemSwitchExtensionPortFeature",
    "Get-VMSystemSwitchExtensionSwitchFeature",
    "Get-VMVideo",
    "Grant-VMConnectAccess",
    "Import-VM",
    "Import-VMInitialReplication",
    "Measure-VM",
    "Measure-VMReplication",
    "Measure-VMResourcePool",
    "Merge-VHD",
    "Mount-VHD",
    "Move-VM",
    "Move-VMStorage",
    "New-VFD",
    "New-VHD",
    "New-VM",
    "New-VMGroup",
    "New-VMReplicationAuthorizationEntry",
    "New-VMResourcePool",
    "New-VMSan",
    "New-VMSwitch",
    "Optimize-VHD",
    "Optimize-VHDSet",
    "Remove-VHDSnapshot",
    "Remove-VM",
    "Remove-VMDvdDrive",
    "Remove-VMFibreChannelHba",
    "Remove-VMGpuPartitionAdapter",
    "Remove-VMGroup",
    "Remove-VMGroupMember",
    "Remove-VMHardDiskDrive",
    "Remove-VMMigrationNetwork",
    "Remove-VMNetworkAdapter",
    "Remove-VMNetworkAdapterAcl",
    "Remove-VMNetworkAdapterExtendedAcl",
    "Remove-VMNetworkAdapterRoutingDomainMapping",
    "Remove-VMNetworkAdapterTeamMapping",
    "Remove-VMRemoteFx3dVideoAdapter",
    "Remove-VMReplication",
    "Remove-VMReplicationAuthorizationEntry",
    "Remove-VMResourcePool",
    "Remove-VMSan",
    "Remove-VMSavedState",
    "Remove-VMScsiController",
    "Remove-VMSnapshot",
    "Remove-VMStoragePath",
    "Remove-VMSwitch",
    "Remove-VMSwitchExtensionPortFeature",
    "Remove-VMSwitchExtensionSwitchFeature",
    "Remove-VMSwitchTeamMember",
    "Rename-VM",
    "Rename-VMGroup",
    "Rename-VMNetworkAdapter",
    "Rename-VMResourcePool",
    "Rename-VMSan",
    "Rename-VMSnapshot",
    "Rename-VMSwitch",
    "Repair-VM",
    "Reset-VMReplicationStatistics",
    "Reset-VMResourceMetering",
    "Resize-VHD",
    "Restart-VM",
    "Restore-VMSnapshot",
    "Resume-VM",
    "Resume-VMReplication",
    "Revoke-VMConnectAccess",
    "Save-VM",
    "Set-VHD",
    "Set-VM",
    "Set-VMBios",
    "Set-VMComPort",
    "Set-VMDvdDrive",
    "Set-VMFibreChannelHba",
    "Set-VMFirmware",
    "Set-VMFloppyDiskDrive",
    "Set-VMGpuPartitionAdapter",
    "Set-VMHardDiskDrive",
    "Set-VMHost",
    "Set-VMHostCluster",
    "Set-VMHostPartitionableGpu",
    "Set-VMKeyProtector",
    "Set-VMMemory",
    "Set-VMMigrationNetwork",
    "Set-VMNetworkAdapter",
    "Set-VMNetworkAdapterFailoverConfiguration",
    "Set-VmNetworkAdapterIsolation",
    "Set-VmNetworkAdapterRoutingDomainMapping",
    "Set-VMNetworkAdapterTeamMapping",
    "Set-VMNetworkAdapterVlan",
    "Set-VMProcessor",
    "Set-VMRemoteFx3dVideoAdapter",
    "Set-VMReplication",
    "Set-VMReplicationAuthorizationEntry",
    "Set-VMReplicationServer",
    "Set-VMResourcePool",
    "Set-VMSan",
    "Set-VMSecurity",
    "Set-VMSecurityPolicy",
    "Set-VMSwitch",
    "Set-VMSwitchExtensionPortFeature",
    "Set-VMSwitchExtensionSwitchFeature",
    "Set-VMSwitchTeam",
    "Set-VMVideo",
    "Start-VM",
    "Start-VMFailover",
    "Start-VMInitialReplication",
    "Start-VMTrace",
    "Stop-VM",
    "Stop-VMFailover",
    "Stop-VMInitialReplication",
    "Stop-VMReplication",
    "Stop-VMTrace",
    "Suspend-VM",
    "Suspend-VMReplication",
    "Test-VHD",
    "Test-VMNetworkAdapter",
    "Test-VMReplicationConnection",
    "Update-VMVersion",
];

/// The DISM module's cmdlets the app uses; qualified as `Dism\…` like the Hyper-V ones.
const DISM_CMDLETS: &[&str] = &[
    "Get-WindowsOptionalFeature",
    "Enable-WindowsOptionalFeature",
    "Disable-WindowsOptionalFeature",
    "Get-WindowsImage",
];

/// The Storage and ScheduledTasks cmdlets the host and the guest reporter use, qualified too.
const STORAGE_CMDLETS: &[&str] = &["Mount-DiskImage", "Dismount-DiskImage", "Get-Volume"];
const SCHEDULED_TASKS_CMDLETS: &[&str] = &[
    "New-ScheduledTaskAction",
    "New-ScheduledTaskTrigger",
    "New-ScheduledTaskPrincipal",
    "Register-ScheduledTask",
];

/// Every script the app runs: the host's (`scripts::ALL`) and the guest reporter's, which the
/// answer file plants in the VM.
fn all_scripts() -> Vec<(&'static str, &'static str)> {
    scripts::ALL
        .into_iter()
        .chain(hello_bootstrap::host::reporter::all_scripts())
        .collect()
}

fn parse(text: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    parser.parse(text, None).expect("the parser returns a tree")
}

/// Every node of `tree`, depth first.
fn nodes(tree: &Tree) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        out.push(node);
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// `name:line:column` (both from 1) of a node, for messages that say where to look.
fn at(name: &str, node: Node<'_>) -> String {
    let p = node.start_position();
    format!("{name}:{}:{}", p.row + 1, p.column + 1)
}

/// The syntax errors of `text`: each ERROR or MISSING node, by position and with its text.
fn syntax_problems(name: &str, text: &str) -> Vec<String> {
    let tree = parse(text);
    nodes(&tree)
        .into_iter()
        .filter(|n| n.is_error() || n.is_missing())
        .map(|n| {
            let what = if n.is_missing() {
                format!("missing {}", n.kind())
            } else {
                let snippet: String = text[n.byte_range()].chars().take(60).collect();
                format!("cannot parse {snippet:?}")
            };
            format!("{}: {what}", at(name, n))
        })
        .collect()
}

/// Each Hyper-V (or DISM) cmdlet `text` calls without its module, or with another module.
fn unqualified_problems(name: &str, text: &str) -> Vec<String> {
    module_calls(name, text).0
}

/// The problems [`unqualified_problems`] reports, and how many Hyper-V or DISM cmdlet calls the
/// walk saw in all (qualified or not), so a test can tell that it looked at real calls.
fn module_calls(name: &str, text: &str) -> (Vec<String>, usize) {
    let tree = parse(text);
    let mut problems = Vec::new();
    let mut seen = 0;
    for node in nodes(&tree).into_iter().filter(|n| n.kind() == "command") {
        let Some(command) = node.child_by_field_name("command_name") else {
            continue;
        };
        let called = &text[command.byte_range()];
        let (module, cmdlet) = match called.rsplit_once('\\') {
            Some((module, cmdlet)) => (Some(module), cmdlet),
            None => (None, called),
        };
        let is = |list: &[&str]| list.iter().any(|c| c.eq_ignore_ascii_case(cmdlet));
        let wanted = if is(HYPER_V_CMDLETS) {
            "Hyper-V"
        } else if is(DISM_CMDLETS) {
            "Dism"
        } else if is(STORAGE_CMDLETS) {
            "Storage"
        } else if is(SCHEDULED_TASKS_CMDLETS) {
            "ScheduledTasks"
        } else {
            continue;
        };
        seen += 1;
        if !module.is_some_and(|m| m.eq_ignore_ascii_case(wanted)) {
            problems.push(format!(
                "{}: {called} must be called as {wanted}\\{cmdlet}",
                at(name, command)
            ));
        }
    }
    (problems, seen)
}

/// A context to ask steps for their evidence: no tenant, no host, only options.
fn evidence_context(options: StepOptions) -> StepContext {
    StepContext {
        graph: None,
        host: None,
        session: Arc::new(Mutex::new(SessionFile::default())),
        kind: SessionKind::Demo,
        options,
        cancel: CancellationToken::new(),
        progress: None,
    }
}

/// Every PowerShell snippet the steps show, by step.
fn evidence_snippets(options: StepOptions) -> Vec<(String, String)> {
    let ctx = evidence_context(options);
    Step::ALL
        .into_iter()
        .filter_map(|step| {
            let ps = controller(step).evidence(&ctx).powershell?;
            Some((format!("evidence of {step:?}"), ps))
        })
        .collect()
}

/// Options carrying every kind of hostile value a learner could type.
fn hostile_options() -> StepOptions {
    StepOptions {
        vm_name: Some(
            "Lab'; Remove-VM * -Force; \"$(Stop-Computer)\" `n José Zoë 名前\nGet-VM".into(),
        ),
        iso_path: Some(PathBuf::from(
            "C:\\Users\\José\\ISO's\\$(iex x);`whoami`\r\nWin 11 (名前).iso",
        )),
        ..StepOptions::default()
    }
}

#[test]
fn every_script_and_evidence_snippet_parses() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, script) in scripts::ALL {
        problems.extend(syntax_problems(name, script));
        checked += 1;
        // What the long-lived worker actually runs for it.
        let worker_text = hello_bootstrap::host::powershell::protocol::worker_script_text(script)
            .unwrap_or_else(|| panic!("{name} has no worker form"));
        problems.extend(syntax_problems(&format!("{name} (worker)"), &worker_text));
    }
    // The guest reporter runs inside the VM, not in the host's worker.
    for (name, script) in hello_bootstrap::host::reporter::all_scripts() {
        problems.extend(syntax_problems(name, script));
        checked += 1;
    }
    problems.extend(syntax_problems(
        "hb-worker.ps1",
        hello_bootstrap::host::powershell::runner::WORKER_SCRIPT,
    ));
    checked += 1;
    for (name, ps) in evidence_snippets(StepOptions::default())
        .into_iter()
        .chain(evidence_snippets(hostile_options()))
    {
        problems.extend(syntax_problems(&name, &ps));
        checked += 1;
    }
    assert!(checked >= all_scripts().len() + 6, "only {checked} checked");
    assert!(
        problems.is_empty(),
        "syntax errors:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_hyper_v_cmdlet_is_module_qualified() {
    let mut problems = Vec::new();
    let mut calls = 0;
    for (name, text) in all_scripts()
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .chain(std::iter::once((
            "hb-worker.ps1".to_string(),
            hello_bootstrap::host::powershell::runner::WORKER_SCRIPT.to_string(),
        )))
        .chain(evidence_snippets(StepOptions::default()))
    {
        let (found, seen) = module_calls(&name, &text);
        problems.extend(found);
        calls += seen;
    }
    // The walk saw the calls in the syntax trees (so it did look at the scripts' commands).
    assert!(calls >= 30, "only {calls} Hyper-V or DISM calls seen");
    assert!(
        problems.is_empty(),
        "unqualified cmdlets:\n{}",
        problems.join("\n")
    );
}

#[test]
fn evidence_is_the_same_powershell_whatever_the_values() {
    // Values appear only inside the `# {json}` comment line, never as code.
    let code = |snippets: Vec<(String, String)>| -> Vec<(String, Vec<String>)> {
        snippets
            .into_iter()
            .map(|(name, ps)| {
                let lines = ps
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .map(String::from)
                    .collect();
                (name, lines)
            })
            .collect()
    };
    let plain = code(evidence_snippets(StepOptions::default()));
    let hostile = code(evidence_snippets(hostile_options()));
    assert_eq!(plain.len(), 3, "{plain:?}");
    assert_eq!(plain, hostile);
    let lab_vm = evidence_snippets(hostile_options())
        .into_iter()
        .find(|(n, _)| n.contains("LabVm"))
        .expect("step 4 shows PowerShell")
        .1;
    assert!(lab_vm.contains("Jos\u{e9}"), "{lab_vm}");
}

#[test]
fn a_broken_script_is_reported_with_its_position() {
    let broken =
        "$ok = 1\n$x = @(Hyper-V\\Get-VM | Where-Object { $_.Name -eq 'a' \nif ($x) { 'y' ";
    let problems = syntax_problems("BROKEN", broken);
    assert!(!problems.is_empty(), "a broken script parsed cleanly");
    assert!(
        problems.iter().all(|p| p.starts_with("BROKEN:")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| !p.starts_with("BROKEN:1:")),
        "the error is after line 1: {problems:?}"
    );
    // The same text closed properly parses: the check is about syntax, not about the words.
    let fixed =
        "$ok = 1\n$x = @(Hyper-V\\Get-VM | Where-Object { $_.Name -eq 'a' })\nif ($x) { 'y' }";
    assert_eq!(syntax_problems("FIXED", fixed), Vec::<String>::new());
}

#[test]
fn an_unqualified_get_vm_is_reported_where_it_is_called() {
    let text = "# Get-VM in a comment is not a call\n$ok = Hyper-V\\Get-VM\n$all = @(Get-VM | Where-Object Name -eq 'x')\nvmware.vimautomation.core\\get-vm\nhyper-v\\set-vmhost -EnableEnhancedSessionMode $false\nGet-WindowsOptionalFeature -Online";
    let problems = unqualified_problems("SAMPLE", text);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[0].starts_with("SAMPLE:3:10: Get-VM must be called as Hyper-V\\Get-VM"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("SAMPLE:4:1: vmware.vimautomation.core\\get-vm"),
        "{problems:?}"
    );
    assert!(
        problems[2].contains("Dism\\Get-WindowsOptionalFeature"),
        "{problems:?}"
    );
}
