//! The emulated PC's clock: how long things take on a real PC and for the person at it, scaled
//! by `time_scale`, and the pages that follow one another by themselves as that time passes.

use super::EmulatedHost;
use super::state::HostState;
use crate::{GuestPage, VmState};
use chrono::Utc;
use std::time::Duration;

/// How long things take on a real PC, before scaling.
pub(super) mod real_time {
    use std::time::Duration;
    pub const ENABLE_FEATURE: Duration = Duration::from_secs(40);
    pub const REBOOT: Duration = Duration::from_secs(60);
    pub const CREATE_VM: Duration = Duration::from_secs(8);
    pub const START_VM: Duration = Duration::from_secs(3);
    pub const BOOT: Duration = Duration::from_secs(45);
    /// "Press any key to boot from CD or DVD": how long the prompt waits for a key.
    pub const BOOT_PROMPT: Duration = Duration::from_secs(5);
    /// Windows Setup, answered, from the DVD to its last reboot (minutes on a real PC).
    pub const SETUP: Duration = Duration::from_secs(8 * 60);
    pub const OOBE_READY: Duration = Duration::from_secs(10);
    pub const CHECKPOINT: Duration = Duration::from_secs(3);
    pub const SIGN_IN: Duration = Duration::from_secs(20);
    /// Windows provisioning Windows Hello once the PIN is entered.
    pub const PIN_SETUP: Duration = Duration::from_secs(6);
    pub const KEYSTROKE: Duration = Duration::from_millis(30);
    /// The person reading "Set up a PIN" and typing a PIN twice.
    pub const PIN_THINK: Duration = Duration::from_secs(15);
    /// The person at the new desktop opening Edge and going to My Apps.
    pub const MY_APPS_THINK: Duration = Duration::from_secs(20);
}

/// In the demo (any time scale above zero), how long each screen of the sign-in stays up at
/// least, so an audience can follow OOBE, the pass, "Set up a PIN" and the desktop one by one.
pub const NARRATED_SCREEN: Duration = Duration::from_millis(2500);

impl EmulatedHost {
    /// How long a screen stays before the next one: scaled, and in the demo at least
    /// [`NARRATED_SCREEN`] for the screens of the sign-in. Tests (time scale 0) wait for nothing.
    fn screen_time(&self, page: &GuestPage, real: Duration) -> chrono::Duration {
        let mut d = self.scaled(real);
        let narrated = matches!(page, GuestPage::Oobe | GuestPage::PinSetup { .. });
        if self.time_scale > 0.0 && narrated {
            d = d.max(NARRATED_SCREEN);
        }
        chrono::Duration::from_std(d).unwrap_or_default()
    }

    /// How long a screen of the wizard's automatic sign-in holds before the next key press:
    /// [`NARRATED_SCREEN`] in the demo, nothing in tests.
    pub(super) fn narrated_screen(&self) -> Duration {
        if self.time_scale > 0.0 {
            NARRATED_SCREEN
        } else {
            Duration::ZERO
        }
    }

    /// How often a controller looks at the emulated guest and cloud again: a tenth of a second
    /// while the demo's pages take seconds, and 20 ms for a scripted run (time scale 0), whose
    /// guest moves the moment it is asked and whose waits are only the emulator's modelled
    /// propagation delays.
    pub(super) fn poll_interval(&self) -> Duration {
        if self.time_scale > 0.0 {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(20)
        }
    }

    pub(super) fn scaled(&self, real: Duration) -> Duration {
        real.mul_f64(self.time_scale)
    }

    pub(super) fn scaled_chrono(&self, real: Duration) -> chrono::Duration {
        chrono::Duration::from_std(self.scaled(real)).unwrap_or_default()
    }

    pub(super) async fn wait(&self, real: Duration) {
        let mut d = self.scaled(real);
        // The sign-in itself is the screen with the pass entered: narrated in the demo too.
        if self.time_scale > 0.0 && real == real_time::SIGN_IN {
            d = d.max(NARRATED_SCREEN);
        }
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// Moves each running VM's pages on as scaled time passes: boot, OOBE, the sign-in page,
    /// and "Set up a PIN" to the desktop once the person at the VM has set one. Each page counts
    /// from when the one before it was due, so a late look sees the whole sequence. Returns
    /// whether anything changed.
    pub(super) fn advance(&self, state: &mut HostState) -> bool {
        let now = Utc::now();
        let mut changed = false;
        for vm in state.vms.iter_mut().filter(|v| v.state == VmState::Running) {
            let guest = &mut vm.guest;
            let mut since = match guest.shown_at {
                Some(at) => at,
                None => {
                    guest.shown_at = Some(now);
                    changed = true;
                    now
                }
            };
            loop {
                let (after, next) = match &guest.screen {
                    GuestPage::Boot if !guest.installed => {
                        (real_time::BOOT_PROMPT, GuestPage::NoBootDevice)
                    }
                    GuestPage::Boot => (real_time::BOOT, guest.screen_after_boot()),
                    GuestPage::Setup if guest.answers.is_some() => {
                        (real_time::SETUP, GuestPage::Boot)
                    }
                    GuestPage::Oobe => (real_time::OOBE_READY, GuestPage::SignIn),
                    GuestPage::PinSetup { upn } => match self.person_sets_pin(upn) {
                        Some(step) => step,
                        None => break,
                    },
                    _ => break,
                };
                let at = since + self.screen_time(&guest.screen, after);
                if now < at {
                    break;
                }
                if matches!(guest.screen, GuestPage::PinSetup { .. }) {
                    guest.pin_set = true;
                }
                if guest.screen == GuestPage::Setup {
                    // Setup's specialize pass ran the reporter's installer: its marker waits
                    // in the registry for the KVP service of the next boot.
                    guest.installed = true;
                    guest.marker_at = Some(at);
                }
                guest.show(next, at);
                since = at;
                changed = true;
            }
        }
        changed
    }
}
