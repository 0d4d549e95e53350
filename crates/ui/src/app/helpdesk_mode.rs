//! Help-desk mode in the shell: the Welcome page's card and the top bar's "Help desk" open it;
//! the first opening signs in for help-desk work only (through the composition layer's
//! [`HelpdeskConnector`](crate::HelpdeskConnector), on the app's runtime, so the UI never
//! waits), then the help-desk page replaces the wizard's page until "Back to the lab wizard".
//! The sign-in is kept for the next opening; a pass on screen is hidden when the mode is left.

use super::HelloApp;
use crate::command::Command;
use crate::pages::helpdesk::{HelpdeskPage, HelpdeskService};
use crate::widgets::{Alert, UiExt};
use egui::Ui;
use hb_lab::session::{ConnectAttempt, ConnectProgress, ConnectWait};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a cancelled sign-in has to end its own wait (close its loopback listener, stop
/// polling) before its task is dropped anyway.
const CANCEL_GRACE: Duration = Duration::from_secs(2);

/// A help-desk sign-in under way.
pub(super) struct SigningIn {
    /// On the demo tenant.
    demo: bool,
    answer: Receiver<Result<Arc<dyn HelpdeskService>, String>>,
    /// The sign-in's waits on the person, as the lab's sign-in reports them.
    progress: Receiver<ConnectProgress>,
    /// The wait shown now (`None`: working by itself).
    wait: Option<ConnectWait>,
    /// Cancel: the sign-in ends its browser wait or device code polling.
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// Where help-desk mode's sign-in stands.
#[derive(Default)]
pub(super) enum Link {
    #[default]
    None,
    Connecting(Box<SigningIn>),
    Failed(String),
    /// The person pressed Cancel during the sign-in: nothing was signed in.
    Cancelled,
    Ready(bool, Box<HelpdeskPage>),
}

/// Help-desk mode: whether it is on screen, and its sign-in.
#[derive(Default)]
pub(super) struct HelpdeskMode {
    pub(super) open: bool,
    pub(super) link: Link,
}

impl HelloApp {
    /// The tenant help-desk work runs on: the lab's once connected, else the Welcome page's choice.
    fn helpdesk_demo(&self) -> bool {
        self.session
            .state()
            .kind
            .map_or(self.demo, |k| k == hb_lab::session_file::SessionKind::Demo)
    }

    /// Whether this build offers help-desk mode.
    pub(super) fn helpdesk_offered(&self) -> bool {
        self.helpdesk_connector.is_some()
    }

    /// Whether the help-desk page replaces the wizard's page now.
    pub(super) fn helpdesk_open(&self) -> bool {
        self.helpdesk.open
    }

    /// Shows help-desk mode, signing in for it unless already signed in on the same tenant.
    pub(super) fn open_helpdesk(&mut self, ctx: &egui::Context) {
        let Some(connector) = self.helpdesk_connector.clone() else {
            return;
        };
        self.helpdesk.open = true;
        let demo = self.helpdesk_demo();
        let current = match &self.helpdesk.link {
            Link::Connecting(s) => Some(s.demo),
            Link::Ready(d, _) => Some(*d),
            Link::None | Link::Failed(..) | Link::Cancelled => None,
        };
        if current == Some(demo) {
            return;
        }
        let Some(runtime) = self.runtime.as_ref() else {
            return;
        };
        let (tx, answer) = channel();
        let (progress_tx, progress) = channel();
        let cancel = CancellationToken::new();
        let report_waker = ctx.clone();
        let attempt = ConnectAttempt::reporting_to(
            Arc::new(move |p| {
                if progress_tx.send(p).is_ok() {
                    report_waker.request_repaint();
                }
            }),
            cancel.clone(),
        );
        let work = connector(demo, attempt);
        let waker = ctx.clone();
        let task = runtime.spawn(async move {
            let _ = tx.send(work.await);
            waker.request_repaint();
        });
        self.helpdesk.link = Link::Connecting(Box::new(SigningIn {
            demo,
            answer,
            progress,
            wait: None,
            cancel,
            task,
        }));
    }

    /// Cancel during the sign-in: the sign-in is told to end its wait, and its task is dropped
    /// after [`CANCEL_GRACE`] if it has not ended by then; its late answer is never read.
    pub(super) fn cancel_helpdesk_sign_in(&mut self) {
        let Link::Connecting(signing_in) = std::mem::take(&mut self.helpdesk.link) else {
            return;
        };
        signing_in.cancel.cancel();
        let abort = signing_in.task.abort_handle();
        match self.runtime.as_ref() {
            Some(runtime) => {
                runtime.spawn(async move {
                    tokio::time::sleep(CANCEL_GRACE).await;
                    abort.abort();
                });
            }
            None => abort.abort(),
        }
        self.helpdesk.link = Link::Cancelled;
    }

    /// Back to the lab wizard; a pass on screen goes, the sign-in stays.
    pub(super) fn close_helpdesk(&mut self) {
        self.helpdesk.open = false;
        if let Link::Ready(_, page) = &mut self.helpdesk.link {
            page.hide_secrets();
        }
    }

    /// Takes the sign-in's waits and its answer when they have come.
    fn helpdesk_poll(&mut self) {
        let Link::Connecting(signing_in) = &mut self.helpdesk.link else {
            return;
        };
        while let Ok(progress) = signing_in.progress.try_recv() {
            signing_in.wait = match progress {
                ConnectProgress::Waiting(wait) => Some(wait),
                ConnectProgress::Working => None,
            };
        }
        let demo = signing_in.demo;
        let Ok(answer) = signing_in.answer.try_recv() else {
            return;
        };
        self.helpdesk.link = match (answer, self.runtime.as_ref()) {
            (Ok(service), Some(runtime)) => Link::Ready(
                demo,
                Box::new(HelpdeskPage::new(service, runtime.handle().clone())),
            ),
            (Ok(_), None) => Link::Failed("the app is shutting down".into()),
            (Err(e), _) => Link::Failed(e),
        };
    }

    /// The help-desk page in place of the wizard's page ("Back to the lab wizard" is the footer's).
    pub(super) fn helpdesk_ui(&mut self, ui: &mut Ui) {
        self.helpdesk_poll();
        match &mut self.helpdesk.link {
            Link::None => {}
            Link::Connecting(signing_in) => {
                ui.page_title("Help desk: Temporary Access Passes");
                match &signing_in.wait {
                    // The lab's sign-in wait, the same widget: what to do, the device code if
                    // any, the time left, Cancel.
                    Some(wait) => crate::pages::welcome::waiting(
                        ui,
                        wait,
                        &mut self.commands,
                        Command::CancelHelpdeskSignIn,
                    ),
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(if signing_in.demo {
                                "Signing in to the demo tenant for help-desk work…"
                            } else {
                                "Signing in for help-desk work…"
                            });
                        });
                        if ui.button("Cancel").clicked() {
                            self.commands.push(Command::CancelHelpdeskSignIn);
                        }
                    }
                }
                ui.muted_label(
                    "Help-desk work asks only for what it needs: read users and their roles, manage their authentication methods, read the Temporary Access Pass policy.",
                );
            }
            Link::Cancelled => {
                ui.page_title("Help desk: Temporary Access Passes");
                Alert::info().show_text(
                    ui,
                    "Sign-in cancelled",
                    Some("Nothing was signed in or saved. Press \"Sign in again\" when you are ready."),
                );
                if ui.button("Sign in again").clicked() {
                    self.commands.push(Command::OpenHelpdesk);
                }
            }
            Link::Failed(e) => {
                ui.page_title("Help desk: Temporary Access Passes");
                Alert::error().show_text(ui, "Help-desk sign-in failed", Some(e.as_str()));
                if ui.button("Sign in again").clicked() {
                    self.commands.push(Command::OpenHelpdesk);
                }
            }
            Link::Ready(_, page) => page.show(ui),
        }
    }
}
