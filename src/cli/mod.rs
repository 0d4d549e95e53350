//! The command line: parses arguments, sets up the environment, runs the shared controllers and
//! prints human text on stderr and JSON on stdout.

pub mod args;
pub mod auth_cmds;
pub mod lab_cmds;
pub mod output;
pub mod vm_cmds;

use args::{Cli, Command};
use clap::Parser;

/// Exit code: everything requested succeeded.
pub const EXIT_OK: i32 = 0;
/// Exit code: a step or check failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit code: bad usage or bad input.
pub const EXIT_USAGE: i32 = 2;

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let mut args = std::env::args_os();
    let program = args.next();
    let mut rest = args.peekable();
    if rest.peek().is_some_and(|a| a == AS_WIZARD_EXE_ARG) {
        rest.next();
        return wizard_main_from(std::iter::once(WIZARD_PROGRAM.into()).chain(rest));
    }
    let cli = match Cli::try_parse_from(program.into_iter().chain(rest)) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    let global = cli.global.clone();
    match cli.command {
        Some(Command::Check(args)) => runtime.block_on(lab_cmds::check(&global, &args)),
        Some(Command::Run(args)) => runtime.block_on(lab_cmds::run(&global, &args)),
        Some(Command::Revert(args)) => runtime.block_on(lab_cmds::revert(&global, &args)),
        Some(Command::Emulator(args)) => runtime.block_on(lab_cmds::emulator(&global, &args)),
        Some(Command::Dsregcmd(args)) => {
            hb_host::dsregcmd::run_cli(args.file.as_deref(), args.json)
        }
        Some(Command::Signin(args)) => {
            runtime.block_on(auth_cmds::signin(&global, args.device_code))
        }
        Some(Command::Signout) => runtime.block_on(auth_cmds::signout(&global)),
        Some(Command::Whoami(args)) => runtime.block_on(auth_cmds::whoami(&global, args.json)),
        Some(Command::Vm(args::VmCommand::Unattend(args))) => vm_cmds::unattend(&args),
        Some(Command::Vm(args::VmCommand::TypeUpn(args))) => runtime.block_on(
            lab_cmds::typing::type_at_vm(&global, &args, lab_cmds::typing::Part::Upn),
        ),
        Some(Command::Vm(args::VmCommand::TypeTap(args))) => runtime.block_on(
            lab_cmds::typing::type_at_vm(&global, &args, lab_cmds::typing::Part::Tap),
        ),
        Some(Command::Tap(args::TapCommand::Issue(args))) => {
            runtime.block_on(lab_cmds::tap_issue(&global, &args))
        }
        Some(Command::Tap(args::TapCommand::List(args))) => {
            runtime.block_on(lab_cmds::tap_list(&global, &args))
        }
        Some(Command::Tap(args::TapCommand::Revoke(args))) => {
            runtime.block_on(lab_cmds::tap_revoke(&global, &args))
        }
        Some(Command::Tap(args::TapCommand::Audit(args))) => {
            hb_helpdesk::cli::run_audit(&args, &mut std::io::stdout(), &mut std::io::stderr())
        }
        None => {
            // The wizard owns its own runtime; this one is not needed.
            drop(runtime);
            if global.fast {
                eprintln!(
                    "note: --fast is for `run`, `check` and `revert`; the wizard keeps the demo's \
                     stage pace for presenters."
                );
            }
            open_wizard(&global, &cli.wizard)
        }
    }
}

/// The first argument `hello-bootstrap-wizard` (src/bin/) starts this program with: what follows
/// is read as the wizard executable's own command line. The wizard executable is a small
/// launcher, so the installer ships the app's code once instead of twice.
pub const AS_WIZARD_EXE_ARG: &str = "--as-hello-bootstrap-wizard";

/// The name the wizard executable's errors and `--help` give.
const WIZARD_PROGRAM: &str = "hello-bootstrap-wizard";

/// The wizard executable's command line: the global options only, no subcommands (it has no
/// console to print them to).
fn wizard_main_from(args: impl Iterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match args::WizardCli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    init_logging();
    open_wizard(&cli.global, &cli.wizard)
}

/// Opens the wizard window with the global options and runs it until it is closed.
fn open_wizard(global: &args::GlobalArgs, wizard: &args::WizardArgs) -> i32 {
    #[cfg(windows)]
    let restart_as_admin: Option<hb_ui::RestartAsAdmin> =
        (!crate::compose::elevation::is_elevated()).then(|| {
            std::sync::Arc::new(|step: hb_lab::Step| {
                crate::compose::elevation::restart_as_admin(step.number())
            }) as hb_ui::RestartAsAdmin
        });
    #[cfg(not(windows))]
    let restart_as_admin = None;
    let (connector, helpdesk) = crate::compose::wizard_connectors(
        lab_cmds::real_options(global),
        crate::compose::DemoOptions {
            // The wizard keeps the stage pace; `--fast` is for scripted runs.
            host_time_scale: None,
            ..lab_cmds::demo_options(global)
        },
    );
    hb_ui::run_app(hb_ui::AppOptions {
        start_step: wizard.resume_step.and_then(hb_lab::Step::from_number),
        restart_as_admin,
        demo: global.demo || global.demo_reset,
        presenter: global.presenter,
        auto_connect: global.demo || global.demo_reset,
        connector,
        helpdesk: Some(helpdesk),
        demo_faults: lab_cmds::demo_fault_summary(global),
        ..Default::default()
    })
}

/// Third-party log targets that print secrets at some level (keyring-core's debug lines show the
/// stored refresh token as bytes); they stay off whatever `RUST_LOG` asks for.
pub const SECRET_LOG_TARGETS: &[&str] = &["keyring_core", "keyring", "h2"];

/// Diagnostics go to stderr; `RUST_LOG` overrides the quiet default, except that the targets in
/// [`SECRET_LOG_TARGETS`] are always off. The fault log of the emulated cloud is on by default.
fn init_logging() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,hb_emulator::faults=info"));
    for target in SECRET_LOG_TARGETS {
        if let Ok(directive) = format!("{target}=off").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
