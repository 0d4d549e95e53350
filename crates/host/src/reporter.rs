//! The guest reporter: the small PowerShell scripts the answer file plants in the VM so Windows
//! tells the host where it is, over Hyper-V Data Exchange (KVP), instead of the host guessing
//! from pixels or asking PowerShell Direct for a password nobody has.
//!
//! - [`INSTALL`] runs once as SYSTEM in the specialize pass: it writes the other two scripts to
//!   `%ProgramData%\HelloBootstrap`, registers two scheduled tasks and publishes the marker
//!   with phase `specialize`; the publishing task's first run, at the next startup (the boot into
//!   OOBE), sets it to `oobe`. So a KVP service that already runs during specialize cannot make
//!   the host checkpoint a VM that is still in Setup. Its every-minute runs start ten minutes
//!   later for the same reason, and a run a minute after each sign-in picks up the user's report.
//! - [`USER_REPORT`] runs in each signed-in user's own session (a task whose principal is the
//!   local Users group, so it works whether or not the lab user is an administrator): it runs
//!   `dsregcmd /status` as that user, which is what Microsoft says the user and SSO sections
//!   need, and writes a one-line JSON summary to `%ProgramData%\HelloBootstrap\reports`.
//! - [`PUBLISH`] runs as SYSTEM every minute and at startup: it copies the newest summary into
//!   `HKLM\SOFTWARE\Microsoft\Virtual Machine\Guest` as values of at most [`crate::kvp::CHUNK`]
//!   characters (`Msvm_KvpExchangeDataItem.Data` is limited to 1,024), which the host reads as
//!   `Msvm_KvpExchangeComponent.GuestExchangeItems`.
//!
//! Nothing here is spliced with user input: the answer file carries the scripts as XML text
//! (escaped by the XML writer) and the lab's label as an attribute the scripts read as data
//! (with `GetAttribute`: on an `XmlElement`, `.name` could mean the attribute or the element's own
//! `Name` property, and the answer should not depend on PowerShell's adapter).

/// Where the scripts and reports live in the guest, under `%ProgramData%`.
pub const GUEST_FOLDER: &str = "HelloBootstrap";

/// Runs once as SYSTEM during the specialize pass with the cached answer file (`[xml]`) as
/// `$args[0]`: writes the reporter's files, registers its tasks, publishes the OOBE marker.
pub const INSTALL: &str = r#"$ErrorActionPreference = 'Stop'
$doc = $args[0]
$ext = $doc.unattend.Extensions
$root = Join-Path $env:ProgramData 'HelloBootstrap'
$null = New-Item -ItemType Directory -Force -Path (Join-Path $root 'reports')
foreach ($file in @($ext.File)) {
  $target = Join-Path $root ([System.IO.Path]::GetFileName($file.GetAttribute('name')))
  [System.IO.File]::WriteAllText($target, [string]$file.InnerText, [System.Text.UTF8Encoding]::new($true))
}
[System.IO.File]::WriteAllText((Join-Path $root 'lab.txt'), $ext.Lab.GetAttribute('vm'), [System.Text.UTF8Encoding]::new($false))
$ps = Join-Path $env:windir 'System32\WindowsPowerShell\v1.0\powershell.exe'
$common = '-NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -File '
$every = ScheduledTasks\New-ScheduledTaskTrigger -Once -At ((Get-Date).AddMinutes(10)) -RepetitionInterval (New-TimeSpan -Minutes 1)
$startup = ScheduledTasks\New-ScheduledTaskTrigger -AtStartup
$logon = ScheduledTasks\New-ScheduledTaskTrigger -AtLogOn
$afterLogon = ScheduledTasks\New-ScheduledTaskTrigger -AtLogOn
$afterLogon.Delay = 'PT1M'
$publish = ScheduledTasks\New-ScheduledTaskAction -Execute $ps -Argument ($common + '"' + (Join-Path $root 'publish.ps1') + '" -Phase oobe')
$system = ScheduledTasks\New-ScheduledTaskPrincipal -UserId 'S-1-5-18' -LogonType ServiceAccount -RunLevel Highest
$null = ScheduledTasks\Register-ScheduledTask -TaskName 'HelloBootstrap Publish' -Action $publish -Trigger @($startup, $afterLogon, $every) -Principal $system -Force
$report = ScheduledTasks\New-ScheduledTaskAction -Execute $ps -Argument ($common + '"' + (Join-Path $root 'user-report.ps1') + '"')
$users = ScheduledTasks\New-ScheduledTaskPrincipal -GroupId 'S-1-5-32-545' -RunLevel Limited
$null = ScheduledTasks\Register-ScheduledTask -TaskName 'HelloBootstrap User Report' -Action $report -Trigger @($logon, $every) -Principal $users -Force
& (Join-Path $root 'publish.ps1') -Phase 'specialize'
"#;

/// Runs in the signed-in user's session: `dsregcmd /status` as that user, summarised to JSON.
pub const USER_REPORT: &str = r#"$ErrorActionPreference = 'Stop'
$lines = @(& (Join-Path $env:windir 'System32\dsregcmd.exe') /status)
$found = @{}
foreach ($line in $lines) {
  if ($line -match '^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$' -and -not $found.ContainsKey($Matches[1])) { $found[$Matches[1]] = $Matches[2] }
}
function Get-Flag([string]$name) { if ($found.ContainsKey($name)) { $found[$name] -eq 'YES' } else { $null } }
function Get-Text([string]$name) { if ($found.ContainsKey($name)) { [string]$found[$name] } else { $null } }
$id = [Security.Principal.WindowsIdentity]::GetCurrent()
$upn = ''
try { $upn = [string](& (Join-Path $env:windir 'System32\whoami.exe') /upn) } catch { $upn = '' }
$layout = ''
$preload = Microsoft.PowerShell.Management\Get-ItemProperty -LiteralPath 'HKCU:\Keyboard Layout\Preload' -ErrorAction SilentlyContinue
if ($preload) { $layout = [string]$preload.'1' }
$report = [ordered]@{
  v = 1
  at = (Get-Date).ToUniversalTime().ToString('o')
  user = [string]$id.Name
  upn = $upn.Trim()
  layout = $layout
  azure_ad_joined = (Get-Flag 'AzureAdJoined')
  workplace_joined = (Get-Flag 'WorkplaceJoined')
  ngc_set = (Get-Flag 'NgcSet')
  azure_ad_prt = (Get-Flag 'AzureAdPrt')
  device_id = (Get-Text 'DeviceId')
  tenant_id = (Get-Text 'TenantId')
  tenant_name = (Get-Text 'TenantName')
}
$target = Join-Path $env:ProgramData ('HelloBootstrap\reports\' + $id.User.Value + '.json')
[System.IO.File]::WriteAllText($target, (ConvertTo-Json -InputObject $report -Compress), [System.Text.UTF8Encoding]::new($false))
"#;

/// Runs as SYSTEM: publishes the marker (when given a phase) and the newest user report, in
/// chunks, as guest-to-host KVP values; older chunks are removed after the new header is set.
pub const PUBLISH: &str = r#"param([string]$Phase = '')
$ErrorActionPreference = 'Stop'
$root = Join-Path $env:ProgramData 'HelloBootstrap'
$key = 'HKLM:\SOFTWARE\Microsoft\Virtual Machine\Guest'
if (-not (Test-Path -LiteralPath $key)) { $null = New-Item -Path $key -Force }
function Publish-Value([string]$name, [string]$value) {
  $null = Microsoft.PowerShell.Management\New-ItemProperty -LiteralPath $key -Name $name -Value $value -PropertyType String -Force
}
if ($Phase) {
  $layout = ''
  $preload = Microsoft.PowerShell.Management\Get-ItemProperty -LiteralPath 'Registry::HKEY_USERS\.DEFAULT\Keyboard Layout\Preload' -ErrorAction SilentlyContinue
  if ($preload) { $layout = [string]$preload.'1' }
  $lab = ''
  $labFile = Join-Path $root 'lab.txt'
  if (Test-Path -LiteralPath $labFile) { $lab = [System.IO.File]::ReadAllText($labFile) }
  $marker = [ordered]@{ v = 1; phase = $Phase; at = (Get-Date).ToUniversalTime().ToString('o'); layout = $layout; vm = $lab }
  Publish-Value 'HelloBootstrap.Marker' (ConvertTo-Json -InputObject $marker -Compress)
}
$latest = @(Get-ChildItem -LiteralPath (Join-Path $root 'reports') -Filter '*.json' | Sort-Object LastWriteTimeUtc -Descending) | Select-Object -First 1
if ($latest) {
  $text = [System.IO.File]::ReadAllText($latest.FullName)
  $seq = [string]$latest.LastWriteTimeUtc.Ticks
  $size = 900
  $count = [int][Math]::Ceiling($text.Length / $size)
  for ($i = 0; $i -lt $count; $i++) {
    $part = $text.Substring($i * $size, [Math]::Min($size, $text.Length - $i * $size))
    Publish-Value ('HelloBootstrap.Report.' + $seq + '.' + $i) $part
  }
  $header = [ordered]@{ v = 1; seq = $seq; chunks = $count; length = $text.Length }
  Publish-Value 'HelloBootstrap.Report' (ConvertTo-Json -InputObject $header -Compress)
  $prefix = 'HelloBootstrap.Report.' + $seq + '.'
  foreach ($name in (Get-Item -LiteralPath $key).GetValueNames()) {
    if ($name.StartsWith('HelloBootstrap.Report.') -and -not $name.StartsWith($prefix)) {
      Microsoft.PowerShell.Management\Remove-ItemProperty -LiteralPath $key -Name $name
    }
  }
}
"#;

/// The specialize pass's command line (`RunSynchronousCommand/Path`, at most 259 characters):
/// loads the answer file Windows Setup cached in `%WINDIR%\Panther` and runs [`INSTALL`] from
/// it, so the scripts travel inside the answer file as data.
pub const SPECIALIZE_COMMAND: &str = r#"powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "$x=[xml](Get-Content -LiteralPath (Join-Path $env:windir 'Panther\unattend.xml') -Raw);& ([scriptblock]::Create($x.unattend.Extensions.Install)) $x""#;

/// The PowerShell inside [`SPECIALIZE_COMMAND`], for the grammar tests.
pub fn specialize_script() -> &'static str {
    SPECIALIZE_COMMAND
        .split_once("-Command \"")
        .and_then(|(_, rest)| rest.strip_suffix('"'))
        .unwrap_or(SPECIALIZE_COMMAND)
}

/// The files [`INSTALL`] writes, by name, as they travel in the answer file.
pub const FILES: [(&str, &str); 2] = [("user-report.ps1", USER_REPORT), ("publish.ps1", PUBLISH)];

/// Every guest script, by name: the list the grammar tests walk with the host's scripts.
pub fn all_scripts() -> [(&'static str, &'static str); 4] {
    [
        ("REPORTER_INSTALL", INSTALL),
        ("REPORTER_USER_REPORT", USER_REPORT),
        ("REPORTER_PUBLISH", PUBLISH),
        ("REPORTER_SPECIALIZE_COMMAND", specialize_script()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specialize_command_fits_setups_path_limit() {
        assert!(
            SPECIALIZE_COMMAND.chars().count() <= 259,
            "{} characters",
            SPECIALIZE_COMMAND.chars().count()
        );
        assert!(specialize_script().starts_with("$x=[xml]"));
        assert!(specialize_script().ends_with(" $x"));
    }

    #[test]
    fn the_publisher_chunks_under_the_kvp_limit_it_shares_with_the_reader() {
        assert!(PUBLISH.contains(&format!("$size = {}", crate::kvp::CHUNK)));
        const { assert!(crate::kvp::CHUNK < 1024) };
        for key in [
            crate::kvp::MARKER_KEY,
            crate::kvp::REPORT_KEY,
            crate::kvp::GUEST_KEY_PATH,
        ] {
            assert!(PUBLISH.contains(key), "{key}");
        }
    }

    #[test]
    fn the_user_report_runs_dsregcmd_as_the_user_and_names_the_fields_the_host_reads() {
        assert!(USER_REPORT.contains("dsregcmd.exe') /status"));
        for field in [
            "azure_ad_joined",
            "device_id",
            "tenant_id",
            "ngc_set",
            "azure_ad_prt",
            "workplace_joined",
            "upn",
            "layout",
        ] {
            assert!(USER_REPORT.contains(&format!("{field} = ")), "{field}");
        }
        assert!(INSTALL.contains("-GroupId 'S-1-5-32-545'"));
        // Specialize leaves the marker at "specialize"; the task at the OOBE boot says "oobe".
        assert!(INSTALL.contains(&format!("-Phase '{}'", crate::kvp::PHASE_SPECIALIZE)));
        assert!(INSTALL.contains(&format!("-Phase {}')", crate::kvp::PHASE_OOBE)));
    }
}
