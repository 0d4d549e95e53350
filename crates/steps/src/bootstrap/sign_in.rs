//! Typing the lab user's sign-in at the VM's OOBE through Hyper-V's virtual keyboard: the UPN,
//! then the TAP. Where the host sees the guest's page, each is typed once its page shows; where
//! it cannot, they are typed blind with a pause for the page to load. The PIN is the person's.

use super::STEP;
use crate::StepContext;
use hb_host::{GuestPage, HostError, HyperVHost, KeyboardText};
use hb_lab::{Secret, StepError, Upn};
use std::time::{Duration, Instant};

/// How long the OOBE takes to show the TAP page after the UPN, when the host cannot see it.
const UNSEEN_PAGE_LOAD: Duration = Duration::from_secs(5);

/// Types the UPN and the TAP at the OOBE sign-in page, picking up where an earlier attempt
/// stopped.
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
                type_tap(ctx, host, vm, tap).await?;
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
    ctx.progress(
        STEP,
        format!("Typing {upn} at the OOBE sign-in page"),
        Some(0.1),
    );
    host.type_text(vm, KeyboardText::Plain(upn.as_str()), true)
        .await?;
    if !wait_for_tap_page(ctx, host, vm).await? {
        // Windows did not ask for the TAP (an unknown account, say): validation shows the page.
        return Ok(());
    }
    type_tap(ctx, host, vm, tap).await?;
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
            None => {
                ctx.sleep(UNSEEN_PAGE_LOAD).await?;
                return Ok(true);
            }
            Some(GuestPage::Tap { .. }) => return Ok(true),
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

async fn type_tap(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    tap: &Secret,
) -> Result<(), StepError> {
    ctx.check_cancelled()?;
    ctx.progress(STEP, "Typing the Temporary Access Pass", Some(0.2));
    host.type_text(vm, KeyboardText::Secret(tap), true).await?;
    ctx.progress(STEP, "Set up a PIN in the VM when Windows asks", Some(0.3));
    Ok(())
}
