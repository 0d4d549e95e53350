//! The fixed PowerShell scripts the host runs. Every untrusted value (VM name, ISO path, switch
//! name, typed text) arrives as JSON on stdin (`$in`), never in the script text, so the text and
//! the `-EncodedCommand` argument are the same whatever the input. VMs are looked up with
//! `Where-Object Name -eq` (exact, no wildcards) and then passed as objects (`-VM $vm`).
//!
//! Every Hyper-V cmdlet is module-qualified (`Hyper-V\Get-VM`): VMware PowerCLI exports
//! cmdlets of the same names (the VM, VMHost, … nouns) too, and whichever module loaded last
//! would win (the failure Packer's Hyper-V builder fixed the same way). The DISM and CIM cmdlets are qualified
//! likewise (`Dism\…`, `CimCmdlets\…`). Stdin is read as UTF-8 from the raw stream, not through
//! `[Console]::In`, whose reader decodes with the console's (OEM) code page and would turn
//! `C:\Users\José\…` into a path that does not exist.

/// Wraps a script body in the shared prologue (strict errors, UTF-8 output, UTF-8 input from stdin,
/// helper functions) and epilogue (one compressed JSON line `{ok,data}` or `{ok,code,error}`).
macro_rules! ps_script {
    ($body:literal) => {
        concat!(
            r#"$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)
$script:failCode = 'Failed'
function Fail([string]$code, [string]$message) { $script:failCode = $code; throw $message }
function Test-Elevated {
  $id = [Security.Principal.WindowsIdentity]::GetCurrent()
  $principal = [Security.Principal.WindowsPrincipal]::new($id)
  $admin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
  $hvAdmin = @($id.Groups | Where-Object Value -eq 'S-1-5-32-578').Count -gt 0
  $admin -or $hvAdmin
}
function Assert-HyperVEdition {
  $edition = (Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion').EditionID
  if ([string]$edition -like 'Core*') { Fail 'EditionUnsupported' ('Windows Home (' + $edition + ')') }
}
function Assert-Elevated { if (-not (Test-Elevated)) { Fail 'NotElevated' 'not elevated' } }
function Get-LabVm([string]$name) {
  $found = @(Hyper-V\Get-VM | Where-Object Name -eq $name)
  if ($found.Count -eq 0) { Fail 'VmNotFound' $name }
  $found[0]
}
function Get-VmSystem($vm) {
  $id = $vm.Id.ToString()
  $cs = @(CimCmdlets\Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_ComputerSystem | Where-Object Name -eq $id)
  if ($cs.Count -eq 0) { Fail 'VmNotFound' $vm.Name }
  $cs[0]
}
function ConvertTo-VmInfo($vm) {
  $fw = $null
  if ($vm.Generation -eq 2) { $fw = Hyper-V\Get-VMFirmware -VM $vm }
  $tpm = $false
  try { $tpm = [bool](Hyper-V\Get-VMSecurity -VM $vm).TpmEnabled } catch { $tpm = $false }
  $nic = @(Hyper-V\Get-VMNetworkAdapter -VM $vm) | Select-Object -First 1
  [ordered]@{
    name = [string]$vm.Name
    state = $vm.State.ToString()
    generation = [int]$vm.Generation
    cpu_count = [int]$vm.ProcessorCount
    memory_bytes = [int64]$vm.MemoryStartup
    tpm_enabled = $tpm
    secure_boot_template = $(if ($fw) { [string]$fw.SecureBootTemplate } else { $null })
    switch_name = $(if ($nic) { [string]$nic.SwitchName } else { $null })
  }
}
try {
  $stdin = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), [System.Text.UTF8Encoding]::new($false))
  $in = $stdin.ReadToEnd() | ConvertFrom-Json
  $result = & {
"#,
            $body,
            r#"
  }
  $out = [ordered]@{ ok = $true; data = $result }
  $exitCode = 0
} catch {
  $out = [ordered]@{ ok = $false; code = $script:failCode; error = $_.Exception.Message }
  $exitCode = 1
}
ConvertTo-Json -InputObject $out -Depth 5 -Compress
exit $exitCode
"#
        )
    };
}

/// The state of the Hyper-V feature and whether a restart is pending.
pub const FEATURE_STATE: &str = ps_script!(
    r#"Assert-HyperVEdition
Assert-Elevated
$f = Dism\Get-WindowsOptionalFeature -Online -FeatureName 'Microsoft-Hyper-V-All'
if ($null -eq $f) { Fail 'Unavailable' 'this Windows does not offer the Microsoft-Hyper-V-All feature' }
[ordered]@{ state = $f.State.ToString(); restart_needed = [bool]$f.RestartNeeded }"#
);

/// Enables Hyper-V and its management tools without restarting.
pub const ENABLE_FEATURE: &str = ps_script!(
    r#"Assert-HyperVEdition
Assert-Elevated
$r = Dism\Enable-WindowsOptionalFeature -Online -FeatureName 'Microsoft-Hyper-V-All' -All -NoRestart
[ordered]@{ restart_needed = [bool]$r.RestartNeeded }"#
);

/// Every VM the caller can see.
pub const LIST_VMS: &str = ps_script!(
    r#"Assert-Elevated
, @(Hyper-V\Get-VM | ForEach-Object { ConvertTo-VmInfo $_ })"#
);

/// One VM by exact name (`$in.name`), or null.
pub const GET_VM: &str = ps_script!(
    r#"Assert-Elevated
$found = @(Hyper-V\Get-VM | Where-Object Name -eq ([string]$in.name))
if ($found.Count -eq 0) { $null } else { ConvertTo-VmInfo $found[0] }"#
);

/// Creates the lab VM from a `VmSpec` in `$in`: Gen 2, static memory, vTPM with a local key
/// protector, Secure Boot template, standard checkpoints; the installation ISO and the answer
/// disc as DVD drives. The boot order puts the (empty) virtual disk first: the firmware passes
/// over it to the DVD while it is empty and boots Windows from it once Setup has copied its
/// files, so the DVD prompt does not return at Setup's reboots. Whatever fails after `New-VM`
/// removes the VM and its disk again.
pub const CREATE_VM: &str = ps_script!(
    r#"Assert-Elevated
$name = [string]$in.name
if (@(Hyper-V\Get-VM | Where-Object Name -eq $name).Count -gt 0) { Fail 'BadInput' ('a VM with this name already exists: ' + $name) }
if ($in.iso_path -and -not (Test-Path -LiteralPath ([string]$in.iso_path) -PathType Leaf)) { Fail 'BadInput' ('the ISO file was not found: ' + [string]$in.iso_path) }
if ($in.answer_iso -and -not (Test-Path -LiteralPath ([string]$in.answer_iso) -PathType Leaf)) { Fail 'BadInput' ('the answer disc was not found: ' + [string]$in.answer_iso) }
if (@(Hyper-V\Get-VMSwitch | Where-Object Name -eq ([string]$in.switch_name)).Count -eq 0) { Fail 'BadInput' ('there is no virtual switch named ' + [string]$in.switch_name) }
$safe = $name -replace '[^A-Za-z0-9._-]', '_'
if ($safe.Length -gt 40) { $safe = $safe.Substring(0, 40) }
$vhd = Join-Path (Hyper-V\Get-VMHost).VirtualHardDiskPath ($safe + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.vhdx')
$vm = Hyper-V\New-VM -Name $name -Generation 2 -MemoryStartupBytes ([int64]$in.memory_bytes) -NewVHDPath $vhd -NewVHDSizeBytes ([uint64]$in.disk_bytes) -SwitchName ([string]$in.switch_name)
try {
  Hyper-V\Set-VMProcessor -VM $vm -Count ([int]$in.cpu_count)
  Hyper-V\Set-VMMemory -VM $vm -DynamicMemoryEnabled $false
  $order = @(Hyper-V\Get-VMHardDiskDrive -VM $vm)
  if ($in.iso_path) { $order += Hyper-V\Add-VMDvdDrive -VM $vm -Path ([string]$in.iso_path) -Passthru }
  if ($in.answer_iso) { $null = Hyper-V\Add-VMDvdDrive -VM $vm -Path ([string]$in.answer_iso) -Passthru }
  $order += @(Hyper-V\Get-VMNetworkAdapter -VM $vm)
  Hyper-V\Set-VMFirmware -VM $vm -EnableSecureBoot On -SecureBootTemplate ([string]$in.secure_boot_template) -BootOrder $order
  if ($in.vtpm) {
    Hyper-V\Set-VMKeyProtector -VM $vm -NewLocalKeyProtector
    Hyper-V\Enable-VMTPM -VM $vm
  }
  Hyper-V\Set-VM -VM $vm -CheckpointType Standard -AutomaticCheckpointsEnabled $false
} catch {
  $failure = $_
  Hyper-V\Remove-VM -VM $vm -Force -ErrorAction SilentlyContinue
  Remove-Item -LiteralPath $vhd -Force -ErrorAction SilentlyContinue
  throw $failure
}
ConvertTo-VmInfo (Hyper-V\Get-VM -Id $vm.Id)"#
);

/// Starts `$in.name`.
pub const START_VM: &str = ps_script!(
    r#"Assert-Elevated
Hyper-V\Start-VM -VM (Get-LabVm ([string]$in.name))
$true"#
);

/// Turns `$in.name` off.
pub const STOP_VM: &str = ps_script!(
    r#"Assert-Elevated
Hyper-V\Stop-VM -VM (Get-LabVm ([string]$in.name)) -TurnOff -Force
$true"#
);

/// The state of `$in.name` as the enum's name.
pub const VM_STATE: &str = ps_script!(
    r#"Assert-Elevated
(Get-LabVm ([string]$in.name)).State.ToString()"#
);

/// Takes checkpoint `$in.name` of VM `$in.vm`.
pub const CREATE_CHECKPOINT: &str = ps_script!(
    r#"Assert-Elevated
Hyper-V\Checkpoint-VM -VM (Get-LabVm ([string]$in.vm)) -SnapshotName ([string]$in.name)
$true"#
);

/// Restores checkpoint `$in.name` of VM `$in.vm` (exact name match).
pub const RESTORE_CHECKPOINT: &str = ps_script!(
    r#"Assert-Elevated
$vm = Get-LabVm ([string]$in.vm)
$snap = @(Hyper-V\Get-VMSnapshot -VM $vm | Where-Object Name -eq ([string]$in.name))
if ($snap.Count -eq 0) { Fail 'CheckpointNotFound' ([string]$in.name) }
Hyper-V\Restore-VMSnapshot -VMSnapshot $snap[0] -Confirm:$false
$true"#
);

/// Checkpoints of VM `$in.vm`.
pub const LIST_CHECKPOINTS: &str = ps_script!(
    r#"Assert-Elevated
, @(Hyper-V\Get-VMSnapshot -VM (Get-LabVm ([string]$in.vm)) | ForEach-Object { [ordered]@{ name = [string]$_.Name; created = $_.CreationTime.ToUniversalTime().ToString('o') } })"#
);

/// The host-wide enhanced session mode policy.
pub const GET_ENHANCED_SESSION: &str = ps_script!(
    r#"Assert-Elevated
[bool](Hyper-V\Get-VMHost).EnableEnhancedSessionMode"#
);

/// Sets the host-wide enhanced session mode policy to `$in.enabled`.
pub const SET_ENHANCED_SESSION: &str = ps_script!(
    r#"Assert-Elevated
Hyper-V\Set-VMHost -EnableEnhancedSessionMode ([bool]$in.enabled)
$true"#
);

/// A thumbnail of VM `$in.vm` at `$in.width` x `$in.height`, base64 RGB565.
pub const SCREENSHOT: &str = ps_script!(
    r#"Assert-Elevated
$cs = Get-VmSystem (Get-LabVm ([string]$in.vm))
$vmms = CimCmdlets\Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemManagementService
$vssd = CimCmdlets\Get-CimAssociatedInstance -InputObject $cs -ResultClassName Msvm_VirtualSystemSettingData | Where-Object VirtualSystemType -eq 'Microsoft:Hyper-V:System:Realized'
$r = CimCmdlets\Invoke-CimMethod -InputObject $vmms -MethodName GetVirtualSystemThumbnailImage -Arguments @{ TargetSystem = $vssd; WidthPixels = [uint16]$in.width; HeightPixels = [uint16]$in.height }
if ($r.ReturnValue -ne 0) { Fail 'Failed' ('GetVirtualSystemThumbnailImage returned ' + $r.ReturnValue) }
[ordered]@{ width = [int]$in.width; height = [int]$in.height; rgb565 = [Convert]::ToBase64String([byte[]]$r.ImageData) }"#
);

/// Types `$in.text` on VM `$in.vm`'s virtual keyboard, then Enter if `$in.press_enter`. The text
/// never appears in an error message.
pub const TYPE_TEXT: &str = ps_script!(
    r#"Assert-Elevated
$cs = Get-VmSystem (Get-LabVm ([string]$in.vm))
$kb = CimCmdlets\Get-CimAssociatedInstance -InputObject $cs -ResultClassName Msvm_Keyboard
$r = CimCmdlets\Invoke-CimMethod -InputObject $kb -MethodName TypeText -Arguments @{ asciiText = [string]$in.text }
if ($r.ReturnValue -ne 0) { Fail 'Failed' ('the virtual keyboard refused the text (TypeText returned ' + $r.ReturnValue + ')') }
if ($in.press_enter) { $null = CimCmdlets\Invoke-CimMethod -InputObject $kb -MethodName TypeKey -Arguments @{ keyCode = [uint32]13 } }
$true"#
);

/// Runs `dsregcmd /status` in VM `$in.vm` through PowerShell Direct as `$in.user`.
pub const RUN_DSREGCMD: &str = ps_script!(
    r#"Assert-Elevated
$vm = Get-LabVm ([string]$in.vm)
$cred = [pscredential]::new([string]$in.user, (ConvertTo-SecureString ([string]$in.password) -AsPlainText -Force))
$text = Invoke-Command -VMId $vm.Id -Credential $cred -ScriptBlock { (dsregcmd /status) -join "`r`n" }
[string]$text"#
);

/// The Windows images on ISO `$in.iso`: mounted read-only, listed with DISM, dismounted.
pub const INSTALL_IMAGES: &str = ps_script!(
    r#"Assert-Elevated
$iso = [string]$in.iso
if (-not (Test-Path -LiteralPath $iso -PathType Leaf)) { Fail 'BadInput' ('the ISO file was not found: ' + $iso) }
$disk = Storage\Mount-DiskImage -ImagePath $iso -StorageType ISO -Access ReadOnly -PassThru
try {
  $letter = ($disk | Storage\Get-Volume).DriveLetter
  $wim = @('install.wim', 'install.esd') | ForEach-Object { [string]$letter + ':\sources\' + $_ } | Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
  if (-not $wim) { Fail 'BadInput' 'this ISO has no sources\install.wim or sources\install.esd: it is not a Windows installation ISO' }
  , @(Dism\Get-WindowsImage -ImagePath $wim | ForEach-Object { [ordered]@{ index = [int]$_.ImageIndex; name = [string]$_.ImageName } })
} finally {
  $null = Storage\Dismount-DiskImage -ImagePath $iso
}"#
);

/// Starts `$in.name` and presses the space bar (`TypeKey`, virtual-key code 0x20)
/// `$in.presses` times, `$in.interval_ms` apart, through the DVD's boot prompt window.
pub const START_FROM_DVD: &str = ps_script!(
    r#"Assert-Elevated
$vm = Get-LabVm ([string]$in.name)
Hyper-V\Start-VM -VM $vm
$kb = CimCmdlets\Get-CimAssociatedInstance -InputObject (Get-VmSystem $vm) -ResultClassName Msvm_Keyboard
$accepted = 0
for ($i = 0; $i -lt [int]$in.presses; $i++) {
  Start-Sleep -Milliseconds ([int]$in.interval_ms)
  try {
    $r = CimCmdlets\Invoke-CimMethod -InputObject $kb -MethodName TypeKey -Arguments @{ keyCode = [uint32]32 }
    if ($r.ReturnValue -eq 0) { $accepted++ }
  } catch { }
}
[ordered]@{ accepted = $accepted }"#
);

/// The KVP items of VM `$in.vm`: `GuestIntrinsicExchangeItems` and `GuestExchangeItems`, each
/// an array of embedded `Msvm_KvpExchangeDataItem` instances as XML text.
pub const GUEST_KVP: &str = ps_script!(
    r#"Assert-Elevated
$cs = Get-VmSystem (Get-LabVm ([string]$in.vm))
$kvp = @(CimCmdlets\Get-CimAssociatedInstance -InputObject $cs -ResultClassName Msvm_KvpExchangeComponent) | Select-Object -First 1
$intrinsic = @()
$guest = @()
if ($kvp) {
  $intrinsic = @($kvp.GuestIntrinsicExchangeItems | Where-Object { $_ } | ForEach-Object { [string]$_ })
  $guest = @($kvp.GuestExchangeItems | Where-Object { $_ } | ForEach-Object { [string]$_ })
}
[ordered]@{ intrinsic = $intrinsic; guest = $guest }"#
);

/// What this PC offers Hyper-V: edition, virtualization and SLAT, memory, free disk where
/// virtual disks go. Needs no elevation (Hyper-V's own folder is read when it can be).
pub const PREFLIGHT: &str = ps_script!(
    r#"$os = CimCmdlets\Get-CimInstance -ClassName Win32_OperatingSystem
$cs = CimCmdlets\Get-CimInstance -ClassName Win32_ComputerSystem
$cpu = @(CimCmdlets\Get-CimInstance -ClassName Win32_Processor) | Select-Object -First 1
$edition = (Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion').EditionID
$folder = $null
try { $folder = [string](Hyper-V\Get-VMHost).VirtualHardDiskPath } catch { $folder = $null }
if (-not $folder) { $folder = Join-Path $env:ProgramData 'Microsoft\Windows\Virtual Hard Disks' }
$drive = ([System.IO.Path]::GetPathRoot($folder)).TrimEnd('\')
$disk = @(CimCmdlets\Get-CimInstance -ClassName Win32_LogicalDisk | Where-Object DeviceID -eq $drive) | Select-Object -First 1
[ordered]@{
  edition = [string]$edition
  caption = [string]$os.Caption
  hypervisor_present = [bool]$cs.HypervisorPresent
  virtualization_firmware_enabled = [bool]$cpu.VirtualizationFirmwareEnabled
  slat = [bool]$cpu.SecondLevelAddressTranslationExtensions
  total_memory_bytes = [int64]$cs.TotalPhysicalMemory
  free_memory_bytes = [int64]$os.FreePhysicalMemory * 1024
  vhd_folder = $folder
  free_disk_bytes = $(if ($disk) { [int64]$disk.FreeSpace } else { $null })
}"#
);

/// Every script the host can run, by name: the one list the grammar and safety tests walk, so a
/// script added here is checked and one left out fails the unit test below.
pub const ALL: [(&str, &str); 20] = [
    ("FEATURE_STATE", FEATURE_STATE),
    ("ENABLE_FEATURE", ENABLE_FEATURE),
    ("LIST_VMS", LIST_VMS),
    ("GET_VM", GET_VM),
    ("CREATE_VM", CREATE_VM),
    ("START_VM", START_VM),
    ("STOP_VM", STOP_VM),
    ("VM_STATE", VM_STATE),
    ("CREATE_CHECKPOINT", CREATE_CHECKPOINT),
    ("RESTORE_CHECKPOINT", RESTORE_CHECKPOINT),
    ("LIST_CHECKPOINTS", LIST_CHECKPOINTS),
    ("GET_ENHANCED_SESSION", GET_ENHANCED_SESSION),
    ("SET_ENHANCED_SESSION", SET_ENHANCED_SESSION),
    ("SCREENSHOT", SCREENSHOT),
    ("TYPE_TEXT", TYPE_TEXT),
    ("RUN_DSREGCMD", RUN_DSREGCMD),
    ("INSTALL_IMAGES", INSTALL_IMAGES),
    ("START_FROM_DVD", START_FROM_DVD),
    ("GUEST_KVP", GUEST_KVP),
    ("PREFLIGHT", PREFLIGHT),
];

#[cfg(test)]
mod tests {
    use super::ALL;

    /// A script constant missing from [`ALL`] would escape every test that walks it.
    #[test]
    fn every_script_is_in_the_list() {
        let source = include_str!("scripts.rs");
        let defined: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("pub const "))
            .filter(|l| l.ends_with("= ps_script!("))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert!(defined.len() >= 16, "found only {defined:?}");
        let listed: Vec<&str> = ALL.iter().map(|(name, _)| *name).collect();
        for name in &defined {
            assert!(listed.contains(name), "{name} is not in scripts::ALL");
        }
        assert_eq!(defined.len(), listed.len(), "{listed:?} vs {defined:?}");
        for (name, script) in ALL {
            assert!(
                script.ends_with("exit $exitCode\n"),
                "{name} lost its epilogue"
            );
        }
    }
}
