//! The command line's shape (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Hello Bootstrap: Entra join + Intune + Windows Hello for Business, bootstrapped by a TAP.
#[derive(Debug, Parser)]
#[command(name = "hello-bootstrap", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub wizard: WizardArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `hello-bootstrap-wizard.exe`: the wizard's options only (a GUI program has no console for
/// subcommands' output).
#[derive(Debug, Parser)]
#[command(name = "hello-bootstrap-wizard", version, about, long_about = None)]
pub struct WizardCli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub wizard: WizardArgs,
}

/// How the wizard opens.
#[derive(Debug, Args, Clone, Default)]
pub struct WizardArgs {
    /// Open the wizard on step N (1-7): used when it relaunches itself as administrator and
    /// when Windows reopens it after the Hyper-V restart.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=7))]
    pub resume_step: Option<u8>,
}

/// Options every command takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Use the offline demo tenant and emulated Hyper-V host.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Start the demo tenant and host afresh (forget the saved demo state).
    #[arg(long, global = true)]
    pub demo_reset: bool,
    /// Presenter mode: large text, clicker keys.
    #[arg(long, global = true)]
    pub presenter: bool,
    /// Demo `run`/`check`/`revert`: the emulated Hyper-V host does not wait its stage-paced delays
    /// (boot, reboot, the person at the VM), for scripted runs. The wizard keeps them.
    #[arg(long, global = true)]
    pub fast: bool,
    /// Microsoft Graph root without a version (default https://graph.microsoft.com).
    #[arg(long, global = true, value_name = "URL")]
    pub graph_url: Option<String>,
    /// Identity platform root (default https://login.microsoftonline.com).
    #[arg(long, global = true, value_name = "URL")]
    pub login_url: Option<String>,
    /// Tenant id, domain, or `organizations`.
    #[arg(long, global = true, value_name = "ID")]
    pub tenant: Option<String>,
    /// Public client (application) id used to sign in.
    #[arg(long, global = true, value_name = "ID")]
    pub client_id: Option<String>,
    #[command(flatten)]
    pub faults: FaultArgs,
    #[command(flatten)]
    pub propagation: PropagationArgs,
}

/// Replication lags of the emulated cloud (`emulator`, and any command with `--demo`), so the
/// waiting a real tenant makes step 7 do can be rehearsed and tested.
#[derive(Debug, Args, Clone, Default)]
pub struct PropagationArgs {
    /// A new device (with its Intune managed device and Windows Hello key) shows in Graph only
    /// after this long: seconds like 30, or 1500ms, 30s, 2m.
    #[arg(long, global = true, value_name = "DELAY", value_parser = parse_device_delay)]
    pub device_delay: Option<std::time::Duration>,
    /// A new sign-in shows in the sign-in logs only after this long.
    #[arg(long, global = true, value_name = "DELAY", value_parser = parse_sign_in_delay)]
    pub sign_in_delay: Option<std::time::Duration>,
    /// A new Temporary Access Pass is accepted at the VM's OOBE only after this long.
    #[arg(long, global = true, value_name = "DELAY", value_parser = parse_tap_delay)]
    pub tap_delay: Option<std::time::Duration>,
}

impl PropagationArgs {
    /// The emulator's delays (none unless asked for).
    pub fn delays(&self) -> hb_emulator::Propagation {
        hb_emulator::Propagation::from_flags(
            self.device_delay.unwrap_or_default(),
            self.sign_in_delay.unwrap_or_default(),
            self.tap_delay.unwrap_or_default(),
        )
    }
}

fn parse_device_delay(text: &str) -> Result<std::time::Duration, String> {
    hb_emulator::parse_delay("--device-delay", text)
}

fn parse_sign_in_delay(text: &str) -> Result<std::time::Duration, String> {
    hb_emulator::parse_delay("--sign-in-delay", text)
}

fn parse_tap_delay(text: &str) -> Result<std::time::Duration, String> {
    hb_emulator::parse_delay("--tap-delay", text)
}

/// Faults and latency of the emulated cloud (`emulator`, and any command with `--demo`), to see
/// the app survive what Microsoft's cloud does on a bad day.
#[derive(Debug, Args, Clone, Default)]
pub struct FaultArgs {
    /// Injected faults, e.g. "429:0.10,503:0.05,reset:0.02,timeout:0.01,malformed:0.01" (shares
    /// of calls) or "429@/v1.0/users:2:retry=1" (the next 2 calls).
    #[arg(long, global = true, value_name = "SPEC", value_parser = parse_faults)]
    pub faults: Option<Faults>,
    /// Delay added to every emulated Graph call in milliseconds: MS, or MIN..MAX.
    #[arg(long, global = true, value_name = "MS|MIN..MAX", value_parser = parse_latency)]
    pub latency: Option<Latency>,
    /// Seed of the injected faults and delays (and of `emulator`'s generated data), so a run
    /// can be repeated.
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
}

/// A parsed `--faults` spec, with the text the user typed (for the DEMO badge).
#[derive(Debug, Clone)]
pub struct Faults {
    pub spec: String,
    pub rules: Vec<hb_emulator::FaultRule>,
}

/// A parsed `--latency`: the shortest and longest delay in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

fn parse_faults(text: &str) -> Result<Faults, String> {
    Ok(Faults {
        spec: text.to_string(),
        rules: hb_emulator::FaultRule::parse_spec(text)?,
    })
}

fn parse_latency(text: &str) -> Result<Latency, String> {
    hb_emulator::parse_latency(text).map(|(min_ms, max_ms)| Latency { min_ms, max_ms })
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show each step's current state (read only).
    Check(LabArgs),
    /// Apply steps headless and validate.
    Run(RunArgs),
    /// Undo what the journal says we changed.
    Revert(LabArgs),
    /// Run the emulated Microsoft cloud standalone.
    Emulator(EmulatorArgs),
    /// Parse `dsregcmd /status` output (a file, or `-`/nothing for stdin).
    Dsregcmd(DsregcmdArgs),
    /// Sign in (browser, or --device-code) and keep the sign-in in the OS credential store.
    Signin(SigninArgs),
    /// Forget the saved sign-in.
    Signout,
    /// Who is signed in: account, tenant, roles and granted permissions.
    Whoami(JsonArgs),
    /// Help desk: Temporary Access Passes.
    #[command(subcommand)]
    Tap(TapCommand),
    /// The lab VM's Windows Setup answers, to inspect or to build a VM by hand.
    #[command(subcommand)]
    Vm(VmCommand),
}

/// `vm` subcommands.
#[derive(Debug, Subcommand)]
pub enum VmCommand {
    /// Write the autounattend.xml step 4 would use (and, with --iso, the answer disc).
    Unattend(crate::cli::vm_cmds::UnattendArgs),
    /// Step 7: type the lab user's account at the VM's sign-in page (when it shows).
    TypeUpn(LabArgs),
    /// Step 7: type the Temporary Access Pass, read from standard input, at the VM's pass page
    /// (when it shows), then validate the sign-in.
    TypeTap(LabArgs),
}

/// `tap` subcommands.
#[derive(Debug, Subcommand)]
pub enum TapCommand {
    /// Issue a TAP to one or more users, or to every user of a CSV file; shown once.
    Issue(hb_helpdesk::cli::TapIssueArgs),
    /// A user's Temporary Access Pass (start, lifetime, one-time; never the code).
    List(hb_helpdesk::cli::TapListArgs),
    /// Delete a user's Temporary Access Pass.
    Revoke(hb_helpdesk::cli::TapRevokeArgs),
    /// The local audit trail of passes issued and revoked from this machine (never a code).
    Audit(hb_helpdesk::cli::TapAuditArgs),
}

/// Options of `check` and `revert`.
#[derive(Debug, Args, Clone, Default)]
pub struct LabArgs {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// The lab user (who gets the TAP and signs in at the VM), e.g. adele.vance@contoso.com.
    #[arg(long, value_name = "UPN")]
    pub user: Option<hb_lab::Upn>,
}

/// Options of `run`.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    #[command(flatten)]
    pub lab: LabArgs,
    /// Steps to apply, e.g. 1,2,5,6 (default: all).
    #[arg(long, value_name = "LIST")]
    pub steps: Option<String>,
    /// TAP lifetime in minutes (step 6).
    #[arg(long, value_name = "MIN")]
    pub tap_lifetime: Option<u32>,
    /// Make the TAP usable once (step 6).
    #[arg(long)]
    pub tap_once: bool,
    /// Step 6: when the lab user already holds a Temporary Access Pass this lab did not issue
    /// (its code cannot be shown), replace it with a new one. Whoever holds the old pass can no
    /// longer sign in with it.
    #[arg(long)]
    pub replace_tap: bool,
    /// Windows 11 ISO for the lab VM (step 4).
    #[arg(long, value_name = "FILE")]
    pub iso: Option<PathBuf>,
    /// Also write a self-contained HTML lab report (and JSON beside it) to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Options of `emulator`.
#[derive(Debug, Args, Clone, Default)]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Extra generated users beyond the demo set.
    #[arg(long, default_value_t = 0)]
    pub users: usize,
    // --latency, --faults and --seed are the global FaultArgs (`--seed` defaults to 42 here).
    /// Keep state in this file (default: memory only).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate made at start (its SHA-256 fingerprint is
    /// printed), so standard OAuth/OpenID Connect clients can talk to the emulator.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: write the certificate (PEM) here, for a client's trust store.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_cert: Option<PathBuf>,
}

/// Options of `dsregcmd`.
#[derive(Debug, Args, Clone, Default)]
pub struct DsregcmdArgs {
    /// The saved output; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `signin`.
#[derive(Debug, Args, Clone, Default)]
pub struct SigninArgs {
    /// Sign in on another device with a code (no browser here, remote sessions).
    #[arg(long)]
    pub device_code: bool,
}

/// Just `--json`.
#[derive(Debug, Args, Clone, Default)]
pub struct JsonArgs {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}
