//! The person sitting at the emulated VM. They do what the lab leaves to a person and nothing
//! that needs the TAP, which only the app holds: at "Set up a PIN" they set one, and at the
//! desktop they open My Apps in Edge, the sign-in whose MFA requirement a claim in the token
//! satisfies (what step 7 looks for when Conditional Access requires MFA). Each happens by
//! itself after a realistic, scaled delay; no controller asks for it.

use super::EmulatedHost;
use super::timeline::real_time;
use crate::{GuestPage, HostError, VmState};
use chrono::Utc;
use std::time::Duration;

/// Who sits at the emulated VM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PersonAtVm {
    /// Someone who sets the PIN Windows asks for and opens My Apps at the desktop.
    #[default]
    Present,
    /// Nobody: the guest acts only on typed keys and [`EmulatedHost::open_my_apps`], for tests
    /// that play the person themselves.
    Absent,
}

impl EmulatedHost {
    /// Test hook: nobody sits at the VM, so "Set up a PIN" waits for a typed PIN.
    pub fn without_person(mut self) -> EmulatedHost {
        self.person = PersonAtVm::Absent;
        self
    }

    /// When the person has set their PIN after "Set up a PIN" appeared, and the page that
    /// follows; `None` when nobody is at the VM.
    pub(super) fn person_sets_pin(&self, upn: &str) -> Option<(Duration, GuestPage)> {
        (self.person == PersonAtVm::Present).then(|| {
            (
                real_time::PIN_THINK + real_time::PIN_SETUP,
                GuestPage::Desktop { upn: upn.into() },
            )
        })
    }

    /// The person's own time from the PIN page to the My Apps sign-in, scaled: validation's
    /// deadline on this host allows for it.
    pub(super) fn person_time(&self) -> Duration {
        self.scaled(real_time::PIN_THINK + real_time::PIN_SETUP + real_time::MY_APPS_THINK)
    }

    /// Lets the person at each VM do what is due by now and needs the cloud: opening My Apps
    /// once the desktop has shown for a while. Each VM's person does it once.
    pub(super) async fn person_catch_up(&self) -> Result<(), HostError> {
        let (PersonAtVm::Present, Some(cloud)) = (self.person, &self.cloud) else {
            return Ok(());
        };
        let now = Utc::now();
        let think = self.scaled_chrono(real_time::MY_APPS_THINK);
        let due: Vec<(String, String)> = {
            let mut state = self.lock();
            let moved = self.advance(&mut state);
            let due: Vec<_> = state
                .vms
                .iter_mut()
                .filter(|v| v.state == VmState::Running)
                .filter_map(|v| {
                    let guest = &mut v.guest;
                    let at_desktop = matches!(guest.screen, GuestPage::Desktop { .. })
                        && guest.shown_at.is_some_and(|at| now >= at + think);
                    let join = guest.join.as_ref()?;
                    if !at_desktop || guest.my_apps_opened {
                        return None;
                    }
                    let who = (join.upn.clone(), join.device_id.clone());
                    guest.my_apps_opened = true;
                    Some(who)
                })
                .collect();
            if moved || !due.is_empty() {
                self.save(&state)?;
            }
            due
        };
        for (upn, device_id) in due {
            // A refusal is what the person would see in Edge; they leave it there, and step 7's
            // MFA row keeps waiting with what to do about it.
            let _ = cloud.app_signin(&upn, &device_id, "My Apps").await;
        }
        Ok(())
    }

    /// The signed-in user opens https://myapps.microsoft.com in Edge now: the cloud logs a
    /// sign-in whose MFA requirement is satisfied by the claim in the PRT. The person at the VM
    /// does this by themselves; tests that play the person call it.
    pub async fn open_my_apps(&self, vm: &str) -> Result<(), HostError> {
        let (upn, device_id) = self.update_now(|s| {
            let v = Self::find_mut(s, vm)?;
            match (&v.guest.screen, &v.guest.join) {
                (GuestPage::Desktop { .. }, Some(j)) => {
                    let who = (j.upn.clone(), j.device_id.clone());
                    v.guest.my_apps_opened = true;
                    Ok(who)
                }
                _ => Err(HostError::InvalidState(format!(
                    "the VM shows '{}', not the desktop: sign in and set up the PIN first",
                    v.guest.screen.title()
                ))),
            }
        })?;
        let cloud = self.cloud.as_ref().ok_or_else(|| {
            HostError::Cloud("the emulated host has no emulated cloud to sign in to".into())
        })?;
        cloud
            .app_signin(&upn, &device_id, "My Apps")
            .await
            .map_err(HostError::Cloud)
    }
}
