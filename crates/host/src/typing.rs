//! Typing at the VM's OOBE through Hyper-V's virtual keyboard, knowing where it types:
//! "Type the UPN" and "Type the TAP" are separate actions a presenter takes when the page shows,
//! each refused with a reason when the text cannot arrive as typed: `Msvm_Keyboard.TypeText`
//! takes ASCII only, at most 512 characters ("TypeText method of the Msvm_Keyboard class",
//! MicrosoftDocs/win32 `HyperV_v2/typetext-msvm-keyboard.md`), and sends US-layout scan codes,
//! so a guest on another keyboard layout would turn `@`, `y`/`z` or `#` into other characters.

use crate::kvp::GuestReport;
use crate::unattend::TYPED_LAYOUT;
use crate::{GuestPage, HostError, HyperVHost, KeyboardText};
use hb_lab::Secret;

/// The most characters one `TypeText` call takes when they are ASCII.
pub const TYPE_TEXT_MAX: usize = 512;

/// Checks what `TypeText` can type; the message never quotes the text (it may be a TAP).
pub fn check_typable(text: &KeyboardText<'_>) -> Result<(), HostError> {
    let s = text.expose();
    if !s.is_ascii() {
        return Err(HostError::BadInput(
            "Hyper-V's virtual keyboard types ASCII only, and this text has other characters: type it by hand in the VM".into(),
        ));
    }
    if s.chars().any(|c| c.is_ascii_control()) {
        return Err(HostError::BadInput(
            "the text holds a control character (a line break or tab), which would press a key on the page: remove it".into(),
        ));
    }
    if s.len() > TYPE_TEXT_MAX {
        return Err(HostError::BadInput(format!(
            "Hyper-V's virtual keyboard types at most {TYPE_TEXT_MAX} characters at once; this text has {}",
            s.len()
        )));
    }
    Ok(())
}

/// Refuses to type when the guest reports a keyboard layout other than the US layout the
/// virtual keyboard's scan codes mean.
pub fn check_layout(report: &GuestReport) -> Result<(), HostError> {
    match report.layout() {
        Some(layout) if !layout.eq_ignore_ascii_case(TYPED_LAYOUT) => {
            Err(HostError::InvalidState(format!(
                "the VM's keyboard layout is {layout}, not US ({TYPED_LAYOUT}): Hyper-V's virtual keyboard types US key positions, so characters such as @, y/z and # would arrive wrong. Type by hand in the VM, or switch its input language to English (United States)"
            )))
        }
        _ => Ok(()),
    }
}

async fn layout_ok(host: &dyn HyperVHost, vm: &str) -> Result<(), HostError> {
    let kvp = host.guest_kvp(vm).await?;
    check_layout(&GuestReport::from_kvp(&kvp, chrono::Utc::now()))
}

/// "Type the UPN": types the work or school account on the sign-in page and presses Enter.
/// Where the host sees the page, it must be the sign-in page.
pub async fn type_upn(host: &dyn HyperVHost, vm: &str, upn: &str) -> Result<(), HostError> {
    let text = KeyboardText::Plain(upn);
    check_typable(&text)?;
    match host.guest_page(vm).await? {
        None | Some(GuestPage::SignIn) => {}
        Some(page) => {
            return Err(HostError::InvalidState(format!(
                "the VM shows '{}', not the sign-in page: wait for \"Sign in with your work or school account\", then type the account",
                page.title()
            )));
        }
    }
    layout_ok(host, vm).await?;
    type_then_enter(host, vm, text).await
}

/// Types `text`, then presses Enter. Where the host's pace narrates (the demo), the typed text
/// stays in its field for that long first, so someone watching sees what was typed; elsewhere
/// Enter goes with the text in one call.
async fn type_then_enter(
    host: &dyn HyperVHost,
    vm: &str,
    text: KeyboardText<'_>,
) -> Result<(), HostError> {
    let hold = host.pace().narrate;
    if hold.is_zero() {
        return host.type_text(vm, text, true).await;
    }
    host.type_text(vm, text, false).await?;
    tokio::time::sleep(hold).await;
    host.type_text(vm, KeyboardText::Plain(""), true).await
}

/// "Type the TAP": types the Temporary Access Pass on its page and presses Enter. The TAP
/// travels as data and no message names it.
pub async fn type_tap(host: &dyn HyperVHost, vm: &str, tap: &Secret) -> Result<(), HostError> {
    let text = KeyboardText::Secret(tap);
    check_typable(&text)?;
    match host.guest_page(vm).await? {
        None | Some(GuestPage::Tap { .. }) => {}
        Some(page) => {
            return Err(HostError::InvalidState(format!(
                "the VM shows '{}', not \"Enter Temporary Access Pass\": type the account first, then the TAP when its page shows",
                page.title()
            )));
        }
    }
    layout_ok(host, vm).await?;
    type_then_enter(host, vm, text).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typetext_limits_are_enforced_without_quoting_the_text() {
        let tap = Secret::new("Tap#Säure1");
        let err = check_typable(&KeyboardText::Secret(&tap))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ASCII") && !err.contains("Tap#"), "{err}");
        let long = "a".repeat(TYPE_TEXT_MAX + 1);
        let err = check_typable(&KeyboardText::Plain(&long))
            .unwrap_err()
            .to_string();
        assert!(err.contains("512"), "{err}");
        assert!(check_typable(&KeyboardText::Plain(&"a".repeat(TYPE_TEXT_MAX))).is_ok());
        assert!(check_typable(&KeyboardText::Plain("a\nb")).is_err());
    }
}
