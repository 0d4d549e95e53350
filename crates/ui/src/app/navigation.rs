//! Where the wizard may go and, when it may not, why: the rules Next, the step list and the
//! presenter keys share.

use super::HelloApp;
use crate::pages::Page;
use hb_lab::StepStatus;
use hb_lab::session::Connection;

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
    pub(super) fn reachable(&self, page: Page) -> Result<(), String> {
        for before in Page::all().take_while(|p| *p != page) {
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
            self.resumed = None;
            self.reveal_secrets = false;
            self.session.remember_current_step(page.step());
        }
    }
}
