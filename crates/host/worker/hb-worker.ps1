# Hello Bootstrap's PowerShell worker: one long-lived Windows PowerShell 5.1 process per app,
# started with -File from the app's folder. Requests and answers are JSON lines on stdin and
# stdout, both read and written as UTF-8 (never the console's OEM code page):
#   request  {"id":7,"kind":"screen","script":"<fixed script>","input":{...untrusted values...}}
#   stop     {"id":7,"stop":true}
#   answer   {"id":7,"ok":true,"data":...} or {"id":7,"ok":false,"code":"NotElevated","error":"..."}
# Each kind of request (screen, poll, change) has a runspace of its own, opened once with the
# Hyper-V module loaded, so a long change never holds up the VM screen. Untrusted values reach a
# script only as $in, never as script text. The worker exits when stdin closes: when the app
# exits or dies, its end of the pipe closes and so does this process.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$utf8 = [System.Text.UTF8Encoding]::new($false)
[Console]::OutputEncoding = $utf8
$reader = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), $utf8)
$writer = [System.IO.StreamWriter]::new([Console]::OpenStandardOutput(), $utf8)
$writer.AutoFlush = $true

$sessionState = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault()
if (@(Microsoft.PowerShell.Core\Get-Module -ListAvailable -Name 'Hyper-V').Count -gt 0) {
  $sessionState.ImportPSModule(@('Hyper-V'))
}
$lanes = @{}
$pending = @{}
$laneBusy = @{}
$waiting = @{}

# Runs one fixed script in its lane's runspace with the request's values as $in.
$invokeScript = {
  param([string]$scriptText, $in)
  $ErrorActionPreference = 'Stop'
  $ProgressPreference = 'SilentlyContinue'
  $script:failCode = 'Failed'
  try {
    $data = & ([scriptblock]::Create($scriptText))
    [ordered]@{ ok = $true; data = $data }
  } catch {
    [ordered]@{ ok = $false; code = $script:failCode; error = $_.Exception.Message }
  }
}

function Send-Answer($answer) {
  $writer.WriteLine((ConvertTo-Json -InputObject $answer -Depth 6 -Compress))
}

function Get-Lane([string]$kind) {
  if (-not $lanes.ContainsKey($kind)) {
    $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($sessionState)
    $runspace.Open()
    $lanes[$kind] = $runspace
  }
  $lanes[$kind]
}

# A lane runs one request at a time; one that comes while it is busy (the app gave up waiting
# for the one before) waits its turn here.
function Start-Request($request) {
  $kind = [string]$request.kind
  if ($laneBusy.ContainsKey($kind)) {
    if (-not $waiting.ContainsKey($kind)) { $waiting[$kind] = [System.Collections.Queue]::new() }
    $waiting[$kind].Enqueue($request)
    return
  }
  $shell = [System.Management.Automation.PowerShell]::Create()
  $shell.Runspace = Get-Lane $kind
  $null = $shell.AddScript($invokeScript.ToString()).AddArgument([string]$request.script).AddArgument($request.input)
  $laneBusy[$kind] = $true
  $pending[[int64]$request.id] = @{ shell = $shell; handle = $shell.BeginInvoke(); kind = $kind }
}

function Start-Waiting([string]$kind) {
  if ($waiting.ContainsKey($kind) -and $waiting[$kind].Count -gt 0) {
    $next = $waiting[$kind].Dequeue()
    try { Start-Request $next } catch {
      Send-Answer ([ordered]@{ id = [int64]$next.id; ok = $false; code = 'Failed'; error = $_.Exception.Message })
    }
  }
}

function Complete-Request([int64]$id) {
  $job = $pending[$id]
  $pending.Remove($id)
  $laneBusy.Remove($job.kind)
  try {
    $answer = @($job.shell.EndInvoke($job.handle)) | Select-Object -Last 1
    if ($null -eq $answer) {
      $answer = @{ ok = $false; code = 'Failed'; error = 'the script gave no answer' }
    }
  } catch {
    $answer = @{ ok = $false; code = 'Stopped'; error = $_.Exception.Message }
  } finally {
    $job.shell.Dispose()
  }
  if ($answer.ok) {
    Send-Answer ([ordered]@{ id = $id; ok = $true; data = $answer.data })
  } else {
    Send-Answer ([ordered]@{ id = $id; ok = $false; code = [string]$answer.code; error = [string]$answer.error })
  }
  Start-Waiting $job.kind
}

function Receive-Line([string]$line) {
  try {
    $request = $line | ConvertFrom-Json
  } catch {
    Send-Answer ([ordered]@{ id = $null; ok = $false; code = 'BadRequest'; error = 'a request line is not JSON' })
    return
  }
  $id = [int64]$request.id
  if ($request.stop) {
    if ($pending.ContainsKey($id)) { $null = $pending[$id].shell.BeginStop($null, $null) }
    return
  }
  try {
    Start-Request $request
  } catch {
    Send-Answer ([ordered]@{ id = $id; ok = $false; code = 'Failed'; error = $_.Exception.Message })
  }
}

$nextLine = $reader.ReadLineAsync()
while ($true) {
  $wait = -1
  if ($pending.Count -gt 0) { $wait = 50 }
  if ($nextLine.Wait($wait)) {
    $line = $nextLine.Result
    if ($null -eq $line) { break }
    if ($line.Trim().Length -gt 0) { Receive-Line $line }
    $nextLine = $reader.ReadLineAsync()
  }
  foreach ($id in @($pending.Keys)) {
    if ($pending[$id].handle.IsCompleted) { Complete-Request $id }
  }
}
foreach ($job in @($pending.Values)) { $job.shell.Stop() }
foreach ($runspace in @($lanes.Values)) { $runspace.Dispose() }
exit 0
