//! `vm type-upn` and `vm type-tap`: the wizard's step 7 buttons on the command line, for the
//! person at a real host who watches the VM in Virtual Machine Connection and types each part
//! when its page shows. The pass is read from standard input (as `run` printed it at step 6);
//! it is never echoed, printed or logged.

use super::{apply_user, env_failure, environment};
use crate::cli::args::{GlobalArgs, LabArgs};
use crate::cli::output::{Outcome, print_human};
use crate::cli::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use hb_lab::{Secret, StepError, StepOptions};
use hb_steps::bootstrap::Bootstrap;

/// Which part of the sign-in to type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Upn,
    Tap,
}

/// Types the lab user's account (`Part::Upn`) or the pass from stdin (`Part::Tap`) at the VM.
pub async fn type_at_vm(global: &GlobalArgs, args: &LabArgs, part: Part) -> i32 {
    let tap = match part {
        Part::Upn => None,
        Part::Tap => match read_pass() {
            Ok(tap) => Some(tap),
            Err(why) => {
                eprintln!("error: {why}");
                return EXIT_USAGE;
            }
        },
    };
    let env = match environment(global).await {
        Ok(env) => env,
        Err(e) => return env_failure(e),
    };
    let user = apply_user(&env, &args.user).await;
    let ctx = env.context(StepOptions {
        lab_user: user,
        tap,
        ..StepOptions::default()
    });
    let result = match part {
        Part::Upn => Bootstrap.type_upn(&ctx).await,
        Part::Tap => Bootstrap.type_tap(&ctx).await,
    };
    let bad_input = matches!(result, Err(StepError::BadInput(_)));
    let outcome = match result {
        Ok(report) => Outcome::Report(Box::new(report)),
        Err(e) => Outcome::Failed(hb_lab::Step::Bootstrap, e),
    };
    print_human(&outcome);
    match outcome {
        Outcome::Report(_) => EXIT_OK,
        _ if bad_input => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

/// The pass, one line on standard input (a terminal prompt says so; nothing is echoed back).
fn read_pass() -> Result<Secret, String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprintln!("Paste the Temporary Access Pass from step 6, then press Enter:");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the pass from standard input: {e}"))?;
    let pass = line.trim_end_matches(['\r', '\n']).trim();
    if pass.is_empty() {
        return Err("no pass on standard input: pipe or paste the Temporary Access Pass step 6 issued (issue a fresh one with `hello-bootstrap run --steps 6` if it is gone)".into());
    }
    Ok(Secret::new(pass))
}
