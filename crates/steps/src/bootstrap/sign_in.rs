//! Typing the lab user's sign-in at the VM's OOBE through Hyper-V's virtual keyboard: the UPN,
//! then the TAP, each on its own page (`hb_host::typing` checks the page, the layout and
//! `TypeText`'s limits). Two ways in: Apply types both by itself where the host sees the guest's
//! pages (the demo's PC), holding each screen at the host's narrated pace so an audience can
//! follow; "Type the UPN" and "Type the TAP" are jobs of their own, taken when the person at
//! the VM (or a presenter) sees the page, which is the only way on a real host, whose pages the
//! wizard cannot read. The PIN is the person's.

use super::STEP;
use crate::StepContext;
use hb_host::{GuestPage, HostError, HyperVHost, KeyboardText, typing};
use hb_lab::{Secret, StepError, Upn};
use std::time::Instant;

/// Why "Type the TAP" cannot run without a pass in this app's memory, and what to do.
pub const TAP_GONE: &str = "The Temporary Access Pass from step 6 is not in this app's memory any more (it is never saved, so a restart forgets it). Issue a fresh one on step 6, then come back and press \"Type the TAP\", or type the pass by hand in the VM.";

/// Apply's sign-in on a host that sees the guest's pages: waits for the sign-in page, types the
/// UPN, waits for the pass page, types the TAP. Picks up where an earlier attempt stopped.
pub(super) async fn sign_in(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    upn: &Upn,
    tap: &Secret,
) -> Result<(), StepError> {
    let pace = host.pace();
    let started = Instant::now();
    loop {
        ctx.check_cancelled()?;
        match host.guest_page(vm).await? {
            None | Some(GuestPage::SignIn) => break,
            // A previous attempt failed: "Try again" goes back to the sign-in page.
            Some(GuestPage::SignInError { .. }) => {
                host.type_text(vm, KeyboardText::Plain(""), true).await?
            }
            // The UPN was typed before; only the TAP is missing.
            Some(GuestPage::Tap { .. }) => {
                enter_tap(ctx, host, vm, tap).await?;
                return super::tap_replication::retry_while_too_new(ctx, host, vm, upn, tap).await;
            }
            Some(GuestPage::PinSetup { .. } | GuestPage::Desktop { .. }) => return Ok(()),
            Some(GuestPage::Off | GuestPage::NoBootDevice) => {
                return Err(StepError::Precondition(format!(
                    "{vm} is off: apply step 4 first"
                )));
            }
            Some(GuestPage::Boot | GuestPage::Setup | GuestPage::Oobe) => {
                if started.elapsed() > pace.setup {
                    return Err(HostError::Timeout {
                        what: "Windows setup".into(),
                        after: pace.setup,
                    }
                    .into());
                }
                ctx.sleep(pace.poll_interval).await?;
            }
        }
    }
    // The empty sign-in page first, so the audience sees where the account goes.
    ctx.progress(STEP, "Windows shows its sign-in page", Some(0.05));
    ctx.sleep(pace.narrate).await?;
    ctx.progress(
        STEP,
        format!("Typing {upn} at the OOBE sign-in page"),
        Some(0.1),
    );
    typing::type_upn(host, vm, upn.as_str()).await?;
    if !wait_for_tap_page(ctx, host, vm).await? {
        // Windows did not ask for the TAP (an unknown account, say): validation shows the page.
        return Ok(());
    }
    ctx.progress(
        STEP,
        "Windows asks for the Temporary Access Pass",
        Some(0.15),
    );
    ctx.sleep(pace.narrate).await?;
    enter_tap(ctx, host, vm, tap).await?;
    super::tap_replication::retry_while_too_new(ctx, host, vm, upn, tap).await
}

/// Waits for the page that asks for the TAP; `false` when Windows showed another page instead.
async fn wait_for_tap_page(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
) -> Result<bool, StepError> {
    let pace = host.pace();
    let started = Instant::now();
    loop {
        match host.guest_page(vm).await? {
            None | Some(GuestPage::Tap { .. }) => return Ok(true),
            Some(GuestPage::SignIn) if started.elapsed() <= pace.page => {
                ctx.sleep(pace.poll_interval).await?
            }
            Some(GuestPage::SignIn) => {
                return Err(HostError::Timeout {
                    what: "the Temporary Access Pass page".into(),
                    after: pace.page,
                }
                .into());
            }
            Some(_) => return Ok(false),
        }
    }
}

async fn enter_tap(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    tap: &Secret,
) -> Result<(), StepError> {
    ctx.check_cancelled()?;
    ctx.progress(STEP, "Typing the Temporary Access Pass", Some(0.2));
    typing::type_tap(host, vm, tap).await?;
    ctx.progress(STEP, "Set up a PIN in the VM when Windows asks", Some(0.3));
    Ok(())
}

/// "Type the UPN": the lab user's account on the sign-in page the person sees now.
pub(super) async fn type_upn_now(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    upn: &Upn,
) -> Result<(), StepError> {
    ctx.check_cancelled()?;
    ctx.progress(STEP, format!("Typing {upn} at the sign-in page"), Some(0.1));
    typing::type_upn(host, vm, upn.as_str()).await?;
    Ok(())
}

/// "Type the TAP": step 6's pass (memory only) on the pass page the person sees now.
pub(super) async fn type_tap_now(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    tap: Option<&Secret>,
) -> Result<(), StepError> {
    let tap = tap.ok_or_else(|| StepError::Precondition(TAP_GONE.into()))?;
    enter_tap(ctx, host, vm, tap).await
}
