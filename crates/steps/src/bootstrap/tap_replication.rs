//! A Temporary Access Pass typed at OOBE moments after step 6 issued it can be refused: Entra
//! replicates a new pass to the sign-in service over a few minutes ("It can take a few minutes
//! for changes to replicate. Because of this, after a Temporary Access Pass is added to an
//! account it can take a while for the prompt to appear", Microsoft Entra's "Configure
//! Temporary Access Pass" how-to, Limitations). So a refusal of that kind is waited out: the
//! step says so, waits, presses "Try again" and types the UPN and the pass again, until the pass
//! works or a few minutes have gone by.

use super::STEP;
use crate::StepContext;
use hb_host::{GuestPage, HyperVHost, KeyboardText};
use hb_lab::{Secret, StepError, Upn};
use std::time::{Duration, Instant};

/// Whether the OOBE's error says the pass is not active yet (as opposed to wrong, used up or
/// expired, which no wait fixes).
pub(super) fn is_too_new(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("pass") && (m.contains("not active yet") || m.contains("isn't active yet"))
}

/// How long to keep trying: half of the pace's cloud wait (ten minutes on a real tenant, well
/// past the "few minutes" Microsoft gives).
fn deadline(host: &dyn HyperVHost) -> Duration {
    host.pace().cloud / 2
}

/// Between tries: two polls (30 s on a real host).
fn spacing(host: &dyn HyperVHost) -> Duration {
    host.pace().poll_interval * 2
}

/// After the pass was typed: while the OOBE says the pass is too new, waits and signs in again.
/// Returns once the OOBE shows anything else (signed in, or another error that validation
/// reports); fails with what to do when the pass is still refused at the deadline.
pub(super) async fn retry_while_too_new(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    upn: &Upn,
    tap: &Secret,
) -> Result<(), StepError> {
    let started = Instant::now();
    let wait = spacing(host);
    let mut attempt = 1u32;
    loop {
        ctx.check_cancelled()?;
        let too_new = matches!(
            host.guest_page(vm).await?,
            Some(GuestPage::SignInError { message, .. }) if is_too_new(&message)
        );
        if !too_new {
            return Ok(());
        }
        if started.elapsed() >= deadline(host) {
            return Err(StepError::Precondition(format!(
                "Entra still refuses the new Temporary Access Pass as not active yet after {} tries over {} s. A new pass can take a few minutes to reach the sign-in service: wait a few minutes, then apply step 7 again (the pass stays valid).",
                attempt,
                started.elapsed().as_secs()
            )));
        }
        attempt += 1;
        ctx.progress(
            STEP,
            format!(
                "The new Temporary Access Pass isn't active at the sign-in service yet (Entra takes a few minutes to replicate a new pass). Trying again in {} s (attempt {attempt})",
                wait.as_secs_f32().ceil() as u64
            ),
            Some(0.25),
        );
        ctx.sleep(wait).await?;
        // "Try again" goes back to the sign-in page; then the UPN and the pass once more.
        host.type_text(vm, KeyboardText::Plain(""), true).await?;
        // The same checked typing as the first attempt (page, TypeText's limits, the layout).
        hb_host::typing::type_upn(host, vm, upn.as_str()).await?;
        wait_for_tap_prompt(ctx, host, vm).await?;
        hb_host::typing::type_tap(host, vm, tap).await?;
    }
}

/// Waits (at most a page's time) until the OOBE asks for the pass again.
async fn wait_for_tap_prompt(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
) -> Result<(), StepError> {
    let pace = host.pace();
    let started = Instant::now();
    while started.elapsed() <= pace.page {
        match host.guest_page(vm).await? {
            None | Some(GuestPage::Tap { .. }) => return Ok(()),
            Some(_) => ctx.sleep(pace.poll_interval).await?,
        }
    }
    Err(hb_host::HostError::Timeout {
        what: "the Temporary Access Pass page".into(),
        after: pace.page,
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pass_that_is_not_active_yet_is_waited_out() {
        assert!(is_too_new(
            "That Temporary Access Pass was issued moments ago and isn't active yet. Wait a minute and try again."
        ));
        assert!(!is_too_new(
            "That Temporary Access Pass isn't right. Check what you typed (it is case-sensitive) or ask your administrator for a new one."
        ));
        assert!(!is_too_new(
            "This Temporary Access Pass expired at 2026-01-01T00:00:00Z UTC. Ask your administrator for a new one."
        ));
    }
}
