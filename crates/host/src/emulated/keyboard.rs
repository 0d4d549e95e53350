//! The guest's side of Hyper-V's virtual keyboard: typed text collects until Enter, then the page
//! on the console acts on it. The UPN opens the TAP page, the TAP signs in with the emulated
//! cloud, a PIN finishes Windows Hello, Enter on the error page tries again.

use super::EmulatedHost;
use super::cloud;
use super::state::JoinRecord;
use super::timeline::real_time;
use crate::{GuestPage, HostError, KeyboardText, VmState};
use chrono::Utc;
use hb_lab::Secret;

/// Text typed into one VM since the last Enter; memory only, since it may be a TAP.
pub(super) struct Typing {
    vm: String,
    text: Secret,
    /// Whether any of it was typed as a secret: the screen then draws dots.
    secret: bool,
}

/// What the screen draws in the page's field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TypedField {
    #[default]
    Empty,
    Plain(String),
    /// A secret's length only.
    Masked(usize),
}

/// The TAP presented instead of the typed one under [`EmulatedHost::with_wrong_tap`].
const WRONG_TAP: &str = "Wr0ngTap!Code";

impl EmulatedHost {
    /// Types `text` into the VM, then acts on Enter when asked.
    pub(super) async fn type_keys(
        &self,
        vm: &str,
        text: KeyboardText<'_>,
        press_enter: bool,
    ) -> Result<(), HostError> {
        crate::typing::check_typable(&text)?;
        let v = self.read(|s| Ok(Self::find(s, vm)?.clone())).await?;
        if v.state != VmState::Running {
            return Err(HostError::InvalidState(format!(
                "the VM is {}: start it before typing into it",
                v.state
            )));
        }
        let report = crate::GuestReport::from_kvp(&self.kvp_now(&v)?, Utc::now());
        crate::typing::check_layout(&report)?;
        self.wait(real_time::KEYSTROKE.saturating_mul(text.expose().chars().count() as u32))
            .await;
        let typed = {
            let mut typing = self.typing.lock().unwrap_or_else(|p| p.into_inner());
            let (so_far, was_secret) = typing
                .iter()
                .position(|t| t.vm == vm)
                .map(|i| {
                    let t = typing.remove(i);
                    (t.text.expose().to_string(), t.secret)
                })
                .unwrap_or_default();
            let all = Secret::new(so_far + text.expose());
            if !press_enter {
                typing.push(Typing {
                    vm: vm.to_string(),
                    text: all,
                    secret: was_secret || matches!(text, KeyboardText::Secret(_)),
                });
                return Ok(());
            }
            all
        };
        self.submit(vm, typed).await
    }

    /// Drops what was typed into `vm` without Enter (the VM went back to a checkpoint).
    pub(super) fn forget_typing(&self, vm: &str) {
        self.typing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|t| t.vm != vm);
    }

    /// What the focused field of `vm`'s page holds since the last Enter, as the screen draws it:
    /// the text itself, or only its length when any of it was secret.
    pub(super) fn typed_so_far(&self, vm: &str) -> TypedField {
        let typing = self.typing.lock().unwrap_or_else(|p| p.into_inner());
        match typing.iter().find(|t| t.vm == vm) {
            None => TypedField::Empty,
            Some(t) if t.secret => TypedField::Masked(t.text.expose().chars().count()),
            Some(t) => TypedField::Plain(t.text.expose().to_string()),
        }
    }

    /// Handles Enter on the current page with what was typed since the last Enter.
    async fn submit(&self, vm: &str, typed: Secret) -> Result<(), HostError> {
        match self.screen(vm)? {
            GuestPage::SignIn => {
                let upn = typed.expose().trim().to_string();
                if upn.is_empty() {
                    return Ok(());
                }
                self.set_screen(vm, GuestPage::Tap { upn })
            }
            GuestPage::Tap { upn } => self.sign_in(vm, &upn, typed).await,
            GuestPage::SignInError { .. } => self.set_screen(vm, GuestPage::SignIn),
            GuestPage::PinSetup { upn } => {
                let pin = typed.expose();
                if pin.len() < 6 || !pin.chars().all(|c| c.is_ascii_digit()) {
                    return Err(HostError::BadInput(
                        "the PIN must be at least 6 digits (the Windows Hello for Business default)".into(),
                    ));
                }
                self.wait(real_time::PIN_SETUP).await;
                self.update_now(|s| {
                    let v = Self::find_mut(s, vm)?;
                    v.guest.pin_set = true;
                    v.guest.show(GuestPage::Desktop { upn }, Utc::now());
                    Ok(())
                })
            }
            _ => Ok(()),
        }
    }

    /// The OOBE presents the UPN and TAP to the emulated cloud, which joins the device (and
    /// enrolls it and provisions Windows Hello, as the tenant's policies say) or refuses.
    async fn sign_in(&self, vm: &str, upn: &str, tap: Secret) -> Result<(), HostError> {
        let tap = if self.wrong_tap {
            Secret::new(WRONG_TAP)
        } else {
            tap
        };
        let device_name = self.device_name(vm)?;
        self.wait(real_time::SIGN_IN).await;
        let outcome = match &self.cloud {
            Some(cloud) => cloud.oobe_signin(upn, &tap, &device_name).await,
            None => Err(cloud::SigninRefused {
                code: "Unreachable".into(),
                message: "We couldn't connect to the sign-in service. Check the network connection and try again.".into(),
            }),
        };
        let upn = upn.to_string();
        self.update_now(|s| {
            let v = Self::find_mut(s, vm)?;
            let now = Utc::now();
            match outcome {
                Ok(joined) => {
                    let record = JoinRecord {
                        upn: upn.clone(),
                        device_id: joined.device_id,
                        device_object_id: joined.device_object_id,
                        managed_device_id: joined.managed_device_id,
                        whfb_method_id: joined.whfb_method_id,
                        tenant_id: joined.tenant_id,
                        tenant_name: joined.tenant_name,
                        user_id: joined.user_id,
                        joined_at: now,
                    };
                    let page = if record.whfb_method_id.is_some() {
                        GuestPage::PinSetup { upn }
                    } else {
                        GuestPage::Desktop { upn }
                    };
                    v.guest.show(page, now);
                    v.guest.join = Some(record);
                }
                Err(refused) => {
                    v.guest.show(
                        GuestPage::SignInError {
                            upn,
                            message: refused.message,
                        },
                        now,
                    );
                }
            }
            Ok(())
        })
    }

    fn set_screen(&self, vm: &str, page: GuestPage) -> Result<(), HostError> {
        self.update_now(|s| {
            Self::find_mut(s, vm)?.guest.show(page, Utc::now());
            Ok(())
        })
    }
}
