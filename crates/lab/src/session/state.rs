//! The plain data the wizard renders: where the connection stands, each step's state, the TAP
//! kept in memory, the VM's screen, what the report keeps, and where a "Reset lab" stands. Cheap
//! to clone, safe to show; only the reducer and the session change it.

use super::backend::JobAction;
use super::connect::ConnectWait;
use super::reset::ResetState;
use crate::session_file::SessionKind;
use crate::{Evidence, Secret, Step, StepStatus};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where the connection to the tenant and host stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Connection {
    #[default]
    NotConnected,
    /// Connecting; `wait` is what it waits on the person for, when it does (the browser
    /// sign-in), so the page can say what to do, count down, and offer Cancel.
    Connecting {
        wait: Option<ConnectWait>,
    },
    Connected,
    /// Connecting failed; the text says why and what to do.
    Failed(String),
    /// The person cancelled connecting; nothing changed and they may start again.
    Cancelled,
}

impl Connection {
    /// Whether an attempt to connect is under way.
    pub fn is_connecting(&self) -> bool {
        matches!(self, Connection::Connecting { .. })
    }
}

/// A job that is running now, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningJob {
    pub action: JobAction,
    /// The last progress note, if the controller sent one.
    pub progress: Option<String>,
    pub fraction: Option<f32>,
}

impl RunningJob {
    /// The progress line a page shows and a screen reader reads ("Reverting… Deleting the TAP").
    pub fn note(&self) -> String {
        match &self.progress {
            Some(p) => format!("{}… {p}", self.action.running_text()),
            None => format!("{}…", self.action.running_text()),
        }
    }
}

/// Everything the wizard knows about one step: plain data, cheap to clone, safe to show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepState {
    pub status: StepStatus,
    /// What the last check/apply/revert said, for people.
    pub detail: String,
    /// Whether the last apply or revert changed anything.
    pub changed: bool,
    /// The evidence of the last report (before/after, requests, link, validation rows).
    pub evidence: Evidence,
    /// The action of the last finished job, so the page can say "Applied" vs "Checked".
    pub last_action: Option<JobAction>,
    pub running: Option<RunningJob>,
    /// Why the last job failed (what to do), when it did.
    pub error: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl StepState {
    /// Whether the wizard may move on from this step.
    pub fn is_done(&self) -> bool {
        self.status.is_done()
    }
}

/// The TAP step 6 issued, kept in memory only for showing it once and for step 7's sign-in.
#[derive(Clone, Debug)]
pub struct IssuedTap {
    pub code: Secret,
    pub issued_at: DateTime<Utc>,
}

/// One frame of the lab VM's screen (RGBA, row-major), as the host captured it.
#[derive(Clone, Debug, PartialEq)]
pub struct VmScreen {
    pub width: usize,
    pub height: usize,
    pub rgba: Arc<[u8]>,
    pub captured_at: DateTime<Utc>,
    /// Which page the frame shows, when the host can tell.
    pub page: Option<VmPage>,
}

/// The page the VM's screen shows, as far as the host can tell: the wizard enables "Type the
/// UPN" and "Type the TAP" only on the page each types into, and captions the screen with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmPage {
    /// The host cannot read the page (a real Hyper-V host sees pixels only); `at_oobe` is what
    /// the guest's reporter says over KVP: Windows waits at OOBE and nobody signed in yet.
    Unseen {
        at_oobe: bool,
    },
    Off,
    Boot,
    Setup,
    NoBootDevice,
    /// OOBE getting ready, before its sign-in page.
    Oobe,
    /// "Sign in with your work or school account".
    SignIn,
    /// "Enter Temporary Access Pass".
    Tap,
    SignInError,
    /// "Set up a PIN".
    PinSetup,
    Desktop,
}

impl VmPage {
    /// The page as a person would name it on screen.
    pub fn title(self) -> &'static str {
        match self {
            VmPage::Unseen { .. } => "a page the wizard cannot read",
            VmPage::Off => "The virtual machine is turned off",
            VmPage::Boot => "Starting Windows",
            VmPage::Setup => "Installing Windows",
            VmPage::NoBootDevice => "No operating system was loaded",
            VmPage::Oobe => "Let's set things up for your work or school",
            VmPage::SignIn => "Sign in with your work or school account",
            VmPage::Tap => "Enter Temporary Access Pass",
            VmPage::SignInError => "Something went wrong",
            VmPage::PinSetup => "Set up a PIN",
            VmPage::Desktop => "Windows desktop",
        }
    }
}

/// A still frame kept for the lab report, such as the wizard page: PNG bytes, not raw pixels,
/// because a session keeps one per finished step (a raw 1280-wide page is ~3.7 MB, its PNG a
/// few tens of kB).
#[derive(Clone, PartialEq)]
pub struct CaptureFrame {
    pub width: usize,
    pub height: usize,
    pub png: Arc<[u8]>,
}

impl std::fmt::Debug for CaptureFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaptureFrame({}x{})", self.width, self.height)
    }
}

/// What the lab report keeps of a step's last successful apply: when it ran and how the page and
/// the VM looked when it finished. Never a secret: step 6's page is not captured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepCapture {
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The wizard page (when a renderer could capture it).
    pub page: Option<CaptureFrame>,
    /// The VM's screen (host steps, when the host could capture it).
    pub vm: Option<VmScreen>,
}

/// The lab as the UI renders it.
#[derive(Clone, Debug, Default)]
pub struct LabState {
    pub connection: Connection,
    /// Whether the tenant is ready for the lab, one row per check (empty until read).
    pub readiness: Vec<crate::ValidationRow>,
    /// The users the demo lets the learner pick as the lab user (empty on a real tenant).
    pub lab_user_choices: Vec<super::backend::LabUserChoice>,
    pub tenant_name: Option<String>,
    pub account: Option<String>,
    pub kind: Option<SessionKind>,
    pub steps: BTreeMap<Step, StepState>,
    /// The TAP from step 6 (never saved, never logged).
    pub tap: Option<IssuedTap>,
    /// The running "Reset lab", or how the last one ended until the person dismisses it.
    pub reset: Option<ResetState>,
    /// The latest frame of the VM's screen, when a host sends one (host steps show it).
    pub vm_screen: Option<VmScreen>,
    /// Per step, what its last successful apply left for the lab report.
    pub captures: BTreeMap<Step, StepCapture>,
}

impl LabState {
    /// The state of one step (a default one when nothing is known yet).
    pub fn step(&self, step: Step) -> StepState {
        self.steps.get(&step).cloned().unwrap_or_default()
    }

    /// The status of one step.
    pub fn status(&self, step: Step) -> StepStatus {
        self.steps.get(&step).map(|s| s.status).unwrap_or_default()
    }

    /// Whether "Reset lab" is running now (reverting, or checking every step afterwards).
    pub fn resetting(&self) -> bool {
        self.reset.as_ref().is_some_and(ResetState::is_running)
    }

    /// Whether any job runs now, so nothing else may start (a reset counts throughout).
    pub fn busy(&self) -> bool {
        self.resetting() || self.steps.values().any(|s| s.running.is_some())
    }

    pub(super) fn step_mut(&mut self, step: Step) -> &mut StepState {
        self.steps.entry(step).or_default()
    }
}
