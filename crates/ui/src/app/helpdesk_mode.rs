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
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// Where help-desk mode's sign-in stands.
#[derive(Default)]
pub(super) enum Link {
    #[default]
    None,
    /// Signing in (`bool`: on the demo tenant); the answer arrives here, and the task can be
    /// stopped (Cancel), which drops the sign-in's wait and its loopback listener.
    Connecting(
        bool,
        Receiver<Result<Arc<dyn HelpdeskService>, String>>,
        tokio::task::JoinHandle<()>,
    ),
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
            Link::Connecting(d, ..) | Link::Ready(d, _) => Some(*d),
            Link::None | Link::Failed(..) | Link::Cancelled => None,
        };
        if current == Some(demo) {
            return;
        }
        let Some(runtime) = self.runtime.as_ref() else {
            return;
        };
        let (tx, rx) = channel();
        let work = connector(demo);
        let waker = ctx.clone();
        let task = runtime.spawn(async move {
            let _ = tx.send(work.await);
            waker.request_repaint();
        });
        self.helpdesk.link = Link::Connecting(demo, rx, task);
    }

    /// Back to the lab wizard; a pass on screen goes, the sign-in stays.
    pub(super) fn close_helpdesk(&mut self) {
        self.helpdesk.open = false;
        if let Link::Ready(_, page) = &mut self.helpdesk.link {
            page.hide_secrets();
        }
    }

    /// Takes the sign-in's answer when it has come.
    fn helpdesk_poll(&mut self) {
        let Link::Connecting(demo, rx, _) = &self.helpdesk.link else {
            return;
        };
        let demo = *demo;
        let Ok(answer) = rx.try_recv() else {
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
            Link::Connecting(demo, _, task) => {
                ui.page_title("Help desk: Temporary Access Passes");
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(if *demo {
                        "Signing in to the demo tenant for help-desk work…"
                    } else {
                        "Signing in for help-desk work… Finish in the browser tab that opened, if one did."
                    });
                });
                ui.muted_label(
                    "Help-desk work asks only for what it needs: read users and their roles, manage their authentication methods, read the Temporary Access Pass policy.",
                );
                if ui.button("Cancel").clicked() {
                    task.abort();
                    self.helpdesk.link = Link::Cancelled;
                }
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
