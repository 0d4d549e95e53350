//! `signin`, `signout` and `whoami`: the sign-in commands, for a real tenant or the demo.

use super::args::GlobalArgs;
use super::lab_cmds::real_options;
use hb_auth::cli::{self as auth, AuthOptions};
use hb_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

/// The demo's emulator (when `--demo`) and the sign-in options for the chosen tenant.
async fn options(
    global: &GlobalArgs,
    device_code: bool,
) -> Result<(AuthOptions, Option<EmulatorHandle>), i32> {
    if global.demo || global.demo_reset {
        let config = EmulatorConfig {
            state_file: Some(hb_lab::paths::demo_tenant_file()),
            ..Default::default()
        };
        let handle = Emulator::start(config).await.map_err(|e| {
            eprintln!("error: cannot start the demo tenant: {e}");
            super::EXIT_FAILED
        })?;
        let options = crate::compose::env::demo_auth(&handle).map_err(|e| {
            eprintln!("error: the demo tenant's admin: {e}");
            super::EXIT_FAILED
        })?;
        return Ok((options, Some(handle)));
    }
    Ok((
        AuthOptions::from_real(&real_options(global), device_code),
        None,
    ))
}

/// `signin`.
pub async fn signin(global: &GlobalArgs, device_code: bool) -> i32 {
    match options(global, device_code).await {
        Ok((opts, _emulator)) => auth::signin(&opts).await,
        Err(code) => code,
    }
}

/// `signout`.
pub async fn signout(global: &GlobalArgs) -> i32 {
    match options(global, false).await {
        Ok((opts, _emulator)) => auth::signout(&opts).await,
        Err(code) => code,
    }
}

/// `whoami`.
pub async fn whoami(global: &GlobalArgs, json: bool) -> i32 {
    match options(global, false).await {
        Ok((opts, _emulator)) => auth::whoami(&opts, json).await,
        Err(code) => code,
    }
}
