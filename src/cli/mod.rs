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
            if global.fast {
                eprintln!(
                    "note: --fast is for `run`, `check` and `revert`; the wizard keeps the demo's \
                     stage pace for presenters."
                );
            }
            hb_ui::run_app(hb_ui::AppOptions {
                demo: global.demo || global.demo_reset,
                presenter: global.presenter,
                auto_connect: global.demo || global.demo_reset,
                connector: crate::compose::lab_connector(
                    lab_cmds::real_options(&global),
                    crate::compose::DemoOptions {
                        reset: global.demo_reset,
                        latency_ms: 0,
                        // The wizard keeps the stage pace; `--fast` is for scripted runs.
                        host_time_scale: None,
                    },
                ),
                ..Default::default()
            })
        }
    }
}

/// Lets a GUI-subsystem build print to the terminal it was started from (no-op when started from
/// the Start menu, or when output is redirected to a file or pipe).
#[cfg(windows)]
pub fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // SAFETY: AttachConsole takes a process id and has no memory-safety preconditions.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
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
