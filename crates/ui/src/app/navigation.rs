//! Where the wizard may go and, when it may not, why: the rules Next, the step list and the
//! presenter keys share.

use super::HelloApp;
use crate::command::Command;
use crate::pages::Page;
use hb_lab::session::Connection;
use hb_lab::session_file::SessionKind;
use hb_lab::{Step, StepStatus};

impl HelloApp {
    /// Whether the wizard may leave a page forward, and if not, why.
    pub(super) fn can_leave(&self, page: Page) -> Result<(), String> {
        let lab = self.session.state();
        if lab.resetting() {
            return Err("Wait until the reset has finished.".into());
        }
        match page {
            Page::Welcome => match lab.connection {
                Connection::Connected => Ok(()),
                Connection::Connecting { .. } => Err("Wait until the lab has started.".into()),
                _ => Err(if self.demo {
                    "Start the lab first: press \"Start the demo\".".into()
                } else {
                    "Start the lab first: press \"Sign in and start\".".into()
                }),
            },
            Page::Step(step) => {
                let state = lab.step(step);
                if state.running.is_some() {
                    return Err("Wait until this step finishes.".into());
                }
                match state.status {
                    StepStatus::Applied | StepStatus::NotApplicable => Ok(()),
                    StepStatus::NotApplied => Err(
                        "Apply this step first, or choose \"I did this another way\" if you did it yourself.".into(),
                    ),
                    StepStatus::NeedsAction => {
                        Err("This step needs you: follow the instructions on the page, then \"Check again\".".into())
                    }
                    StepStatus::Error => {
                        Err("This step failed: read the message, fix the cause, then try again.".into())
                    }
                    StepStatus::Unknown => Err("This step has not been checked yet.".into()),
                }
            }
            Page::Summary => Err("This is the last page.".into()),
        }
    }

    /// Whether every page before `page` may be left, so `page` can be opened from the list.
    /// The host steps (Hyper-V, the VM) depend on no tenant step: once connected they open
    /// whatever the cloud steps say, each after the host steps before it.
    pub(super) fn reachable(&self, page: Page) -> Result<(), String> {
        let host_only = page.step().is_some_and(|s| s.is_host_step());
        for before in Page::all().take_while(|p| *p != page) {
            if host_only && before.step().is_some_and(|s| !s.is_host_step()) {
                continue;
            }
            self.can_leave(before)
                .map_err(|why| format!("Finish {before} first. {why}"))?;
        }
        Ok(())
    }

    /// Shows `page`: the resume note and any revealed secret go, and the session file learns
    /// where the wizard is.
    pub(super) fn go(&mut self, page: Page) {
        if self.saved.page != page {
            self.saved.page = page;
            self.scroll_request = Some(0.0);
            self.pending_advance = None;
            self.resumed = None;
            self.reveal_secrets = false;
            self.session.remember_current_step(page.step());
        }
    }
}

/// The page's main action, which the footer shows where "Next" would be until the page may be
/// left, and which PageDown performs in presenter mode.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct MainAction {
    /// The button's words, e.g. "Apply step 3".
    pub label: String,
    pub command: Command,
    /// Why it cannot run now (shown on hover), if it cannot.
    pub blocked: Option<String>,
}

impl HelloApp {
    /// What the footer's primary button does on `page`: `None` means "Next" (the page may be
    /// left, or it has nothing to do but wait).
    pub(super) fn main_action(&self, page: Page) -> Option<MainAction> {
        if self.can_leave(page).is_ok() {
            return None;
        }
        let lab = self.session.state();
        let not_connected = (lab.connection != Connection::Connected)
            .then(|| "Not connected: start the lab on the Welcome page first.".to_string());
        match page {
            Page::Welcome => {
                let label = match (&lab.connection, self.demo) {
                    (Connection::Connecting { .. }, true) => "Starting…",
                    (Connection::Connecting { .. }, false) => "Signing in…",
                    (Connection::Failed(_), _) => "Try again",
                    (_, true) => "Start the demo",
                    (_, false) => "Sign in and start",
                };
                Some(MainAction {
                    label: label.into(),
                    command: Command::Connect,
                    blocked: lab
                        .connection
                        .is_connecting()
                        .then(|| "Wait until the lab has started.".to_string()),
                })
            }
            Page::Step(step) => {
                let state = lab.step(step);
                let n = step.number();
                if let Some(running) = &state.running {
                    return Some(MainAction {
                        label: format!("{}…", running.action.running_text()),
                        command: Command::Apply(step),
                        blocked: Some("Wait until this step finishes.".into()),
                    });
                }
                let (label, command) = match state.status {
                    StepStatus::NeedsAction
                        if lab.kind == Some(SessionKind::Demo) && step == Step::HypervFeature =>
                    {
                        (
                            "Restart the demo PC".to_string(),
                            Command::RestartDemoPc(step),
                        )
                    }
                    StepStatus::NeedsAction => {
                        (format!("Check step {n} again"), Command::Check(step))
                    }
                    StepStatus::Error => (format!("Try step {n} again"), Command::Apply(step)),
                    _ => (format!("Apply step {n}"), Command::Apply(step)),
                };
                let blocked = if lab.resetting() {
                    Some("Wait until the reset has finished.".to_string())
                } else {
                    not_connected
                };
                Some(MainAction {
                    label,
                    command,
                    blocked,
                })
            }
            Page::Summary => None,
        }
    }
}
