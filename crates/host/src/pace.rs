//! How fast the world behind a host moves, so controllers wait long enough and look often enough.

use std::time::Duration;

/// How long a controller waits for the guest and the cloud behind a host, and how often it looks
/// again. A real PC installs Windows in tens of minutes and a real tenant shows an enrollment or
/// a sign-in minutes after the VM did it; the emulated PC and cloud take seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// How often to look again while waiting for the guest or the cloud.
    pub poll_interval: Duration,
    /// From starting the VM to the OOBE sign-in page, Windows Setup included.
    pub setup: Duration,
    /// From pressing Enter on an OOBE page to the next page.
    pub page: Duration,
    /// From the sign-in at the VM to the cloud showing all of it: the device, the Intune
    /// enrollment, the Windows Hello key and the sign-in log.
    pub cloud: Duration,
    /// How long each screen of a sign-in the wizard types by itself stays before the next key
    /// press (the empty page, the typed account before Enter, the pass page), so someone
    /// watching can follow it. Zero where nobody types automatically.
    pub narrate: Duration,
}

impl Pace {
    /// A real PC and tenant: Windows Setup from the ISO, a sign-in page that waits on the
    /// network, and Intune and the sign-in log lagging minutes behind the VM.
    pub const REAL: Pace = Pace {
        poll_interval: Duration::from_secs(15),
        setup: Duration::from_secs(60 * 60),
        page: Duration::from_secs(2 * 60),
        cloud: Duration::from_secs(20 * 60),
        // On a real host the person types with the wizard's buttons at their own pace; Enter
        // goes with the text in one call, so no empty `TypeText` is ever sent.
        narrate: Duration::ZERO,
    };
}
