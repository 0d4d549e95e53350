//! The command line: parses arguments, sets up the environment, runs the shared controllers and
//! prints human text on stderr and JSON on stdout.

pub mod args;
pub mod auth_cmds;
pub mod lab_cmds;
pub mod output;

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
    let cli = match Cli::try_parse() {
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
        Some(Command::Emulator(args)) => runtime.block_on(lab_cmds::emulator(&args)),
        Some(Command::Dsregcmd(args)) => {
            hb_host::dsregcmd::run_cli(args.file.as_deref(), args.json)
        }
        Some(Command::Signin(args)) => {
            runtime.block_on(auth_cmds::signin(&global, args.device_code))
        }
        Some(Command::Signout) => runtime.block_on(auth_cmds::signout(&global)),
        Some(Command::Whoami(args)) => runtime.block_on(auth_cmds::whoami(&global, args.json)),
        Some(Command::Tap(args::TapCommand::Issue(args))) => {
            runtime.block_on(lab_cmds::tap_issue(&global, &args))
        }
        None => {
            // The wizard owns its own runtime; this one is not needed.
            drop(runtime);
            open_wizard(&global, &cli.wizard)
        }
    }
}

/// The wizard executable's entry: the global options only, no subcommands (it has no console
/// to print them to).
pub fn wizard_main() -> i32 {
    let cli = match args::WizardCli::try_parse() {
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
    hb_ui::run_app(hb_ui::AppOptions {
        start_step: wizard.resume_step.and_then(hb_lab::Step::from_number),
        restart_as_admin,
        demo: global.demo || global.demo_reset,
        presenter: global.presenter,
        auto_connect: global.demo || global.demo_reset,
        connector: crate::compose::lab_connector(
            lab_cmds::real_options(global),
            crate::compose::DemoOptions {
                reset: global.demo_reset,
                latency_ms: 0,
            },
        ),
        ..Default::default()
    })
}

/// Diagnostics go to stderr; `RUST_LOG` overrides the quiet default.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
