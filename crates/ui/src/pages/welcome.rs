//! The welcome page: what the lab does, demo or real tenant, and the button that starts it.

use crate::command::{Command, Commands};
use crate::plain_words;
use crate::widgets::{Alert, UiExt};
use egui::{RichText, Ui};
use hb_lab::session::{ConnectWait, Connection, ResetState};
use std::time::{Duration, Instant};

/// The answers on the welcome page (kept across restarts).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct WelcomeForm {
    /// The lab user's UPN as typed.
    pub lab_user: String,
    /// Why the typed UPN was rejected.
    #[serde(skip)]
    pub lab_user_error: Option<String>,
    /// The Windows 11 ISO for step 4 on a real host, as typed on that step's page.
    pub iso_path: String,
}

/// What the welcome page shows.
pub struct WelcomeView<'a> {
    pub demo: bool,
    pub connection: &'a Connection,
    pub form: &'a mut WelcomeForm,
    /// How the last "Reset lab" ended, until dismissed.
    pub reset: Option<&'a ResetState>,
    /// Whether the first check of every step still runs.
    pub checking: bool,
    /// Who is signed in, and to which tenant, once connected.
    pub account: Option<&'a str>,
    pub tenant: Option<&'a str>,
    /// Whether the tenant is ready for the lab (empty until read after connecting).
    pub readiness: &'a [hb_lab::ValidationRow],
    /// The users the demo offers as its lab user once connected (empty on a real tenant).
    pub lab_users: &'a [hb_lab::session::LabUserChoice],
    /// Why the lab user cannot be changed now.
    pub lab_user_locked: Option<String>,
    /// Whether this build offers help-desk mode (its card then sits near the top).
    pub helpdesk_offered: bool,
}

/// Renders the welcome page.
pub fn show(ui: &mut Ui, view: WelcomeView<'_>, cmds: &mut Commands) {
    ui.page_title("Welcome to Hello Bootstrap");
    if let Some(reset) = view.reset {
        super::reset::result(ui, reset, cmds);
    }
    ui.muted_label(
        "From a bare Entra tenant and a Windows 11 PC to a VM signed in with Windows Hello for Business, bootstrapped by a Temporary Access Pass. No password is typed at any step.",
    );
    if view.helpdesk_offered {
        ui.add_space(8.0);
        helpdesk_card(ui, cmds);
    }
    ui.add_space(8.0);
    ui.card(|ui| {
        ui.section_title("What the lab does");
        for (n, line) in [
            "Turns on Intune automatic enrollment and the Windows Hello for Business policy.",
            "Makes sure Hyper-V is on and creates a Windows 11 VM waiting at first start.",
            "Turns on the Temporary Access Pass and issues one for the lab user.",
            "Guides the sign-in at the VM, then proves the result: Entra joined, Intune enrolled, Windows Hello set up.",
        ]
        .iter()
        .enumerate()
        {
            ui.label(format!("{}.  {line}", n + 1));
        }
        ui.muted_label("Every change is recorded first, so \"Revert\" puts back exactly what was there.");
    });
    ui.add_space(8.0);
    let connected = *view.connection == Connection::Connected;
    ui.card(|ui| {
        ui.section_title("Where the lab runs");
        ui.add_enabled_ui(!connected, |ui| {
            if ui
                .radio(
                    view.demo,
                    "Demo tenant \"Contoso Lab\" on this PC (offline, nothing real changes)",
                )
                .clicked()
            {
                cmds.push(Command::UseDemo(true));
            }
            if ui
                .radio(
                    !view.demo,
                    "My own Microsoft Entra tenant (sign in as an administrator)",
                )
                .clicked()
            {
                cmds.push(Command::UseDemo(false));
            }
            ui.add_space(6.0);
            if connected && view.demo && !view.lab_users.is_empty() {
                return;
            }
            let label = ui.label("Lab user (who signs in at the VM)");
            let hint = if view.demo {
                "Empty: the demo tenant's lab user"
            } else {
                "name@yourdomain.com"
            };
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut view.form.lab_user)
                        .hint_text(hint)
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
            // The complaint goes as soon as the name makes sense, not at the next start.
            let typed = view.form.lab_user.trim();
            if field.changed() && (typed.is_empty() || hb_lab::Upn::parse(typed).is_ok()) {
                view.form.lab_user_error = None;
            }
            if let Some(error) = &view.form.lab_user_error {
                ui.error_label(error);
            }
        });
        if connected && view.demo && !view.lab_users.is_empty() {
            lab_user_picker(ui, &view, cmds);
        }
    });
    ui.add_space(8.0);
    connection(ui, &view, cmds);
    readiness(ui, view.readiness);
}

/// A help-desk user's way in, kept to one slim card under the title so it shows without
/// scrolling while the learner's cards below stay in view.
fn helpdesk_card(ui: &mut Ui, cmds: &mut Commands) {
    ui.card(|ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Help desk").strong());
            ui.label("Issue a Temporary Access Pass to one user or to every user of a CSV file, with every check first.");
            if ui
                .button("Open help desk")
                .on_hover_text("Signs in with the help-desk permissions only; an Authentication Administrator is enough. Uses the tenant chosen below.")
                .clicked()
            {
                cmds.push(Command::OpenHelpdesk);
            }
        });
    });
}

/// Whether the tenant is ready, under the connection's state. When every check passed they
/// fold into one line, so the learner's start stays in view; when one did not, every row shows,
/// so what blocks the lab reads beside what is fine.
fn readiness(ui: &mut Ui, rows: &[hb_lab::ValidationRow]) {
    if rows.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.card(|ui| {
        ui.section_title("Is the tenant ready?");
        if rows
            .iter()
            .all(|r| r.state == hb_lab::ValidationState::Passed)
        {
            ui.success_label(format!("All {} checks passed.", rows.len()));
            egui::CollapsingHeader::new(format!("The {} checks", rows.len()))
                .id_salt("readiness passed")
                .show(ui, |ui| ui.validation_cards(rows));
        } else {
            ui.validation_cards(rows);
        }
    });
}

/// The demo's lab user, picked among the demo tenant's users once connected.
fn lab_user_picker(ui: &mut Ui, view: &WelcomeView<'_>, cmds: &mut Commands) {
    let typed = view.form.lab_user.trim();
    let current = view
        .lab_users
        .iter()
        .find(|c| c.upn.as_str().eq_ignore_ascii_case(typed))
        .or_else(|| view.lab_users.first().filter(|_| typed.is_empty()));
    let shown = |c: &hb_lab::session::LabUserChoice| {
        format!(
            "{} — {}",
            crate::widgets::shown_name(&c.display_name),
            crate::widgets::shown_name(c.upn.as_str())
        )
    };
    ui.add_space(6.0);
    ui.add_enabled_ui(view.lab_user_locked.is_none(), |ui| {
        egui::ComboBox::from_label("Pick the demo's lab user")
            .selected_text(current.map(shown).unwrap_or_else(|| typed.to_string()))
            .width(420.0)
            .show_ui(ui, |ui| {
                for choice in view.lab_users {
                    let picked = current.is_some_and(|c| c.upn == choice.upn);
                    if ui.selectable_label(picked, shown(choice)).clicked() && !picked {
                        cmds.push(Command::ChooseLabUser(choice.upn.clone()));
                    }
                }
            });
    });
    if let Some(why) = &view.lab_user_locked {
        ui.muted_label(why);
    }
}

/// Where the connection stands, in words: not started, starting, connected as whom, or why it
/// could not connect and what to do. The start button itself is the footer's main action.
fn connection(ui: &mut Ui, view: &WelcomeView<'_>, cmds: &mut Commands) {
    let start_text = if view.demo {
        "Start the demo"
    } else {
        "Sign in and start"
    };
    match view.connection {
        Connection::NotConnected => {
            Alert::info().show_text(
                ui,
                if view.demo {
                    "The demo is not started yet"
                } else {
                    "Not signed in"
                },
                Some(&format!(
                    "Press \"{start_text}\" at the bottom right (or PageDown). Nothing changes until you apply a step."
                )),
            );
        }
        Connection::Connecting { wait: None } => {
            ui.horizontal(|ui| {
                ui.add(crate::widgets::Spinner::new());
                ui.label(if view.demo {
                    "Starting the demo tenant and the emulated Hyper-V host…"
                } else {
                    "Signing in… finish in the browser window that opened."
                });
                if ui.button("Cancel").clicked() {
                    cmds.push(Command::CancelConnect);
                }
            });
        }
        Connection::Connecting { wait: Some(wait) } => {
            waiting(ui, wait, cmds, Command::CancelConnect)
        }
        Connection::Connected => {
            let names = (
                view.account.map(crate::widgets::shown_name),
                view.tenant.map(crate::widgets::shown_name),
            );
            let who = match names {
                (Some(account), Some(tenant)) => format!("Connected as {account} to {tenant}"),
                (Some(account), None) => format!("Connected as {account}"),
                (None, Some(tenant)) => format!("Connected to {tenant}"),
                (None, None) => "Connected".to_string(),
            };
            Alert::success().show_text(
                ui,
                who,
                Some(if view.checking {
                    "Checking where each step stands; the list on the left fills in as the checks finish."
                } else {
                    "Every step was checked; the list on the left shows where each one stands. Press Next to begin with step 1."
                }),
            );
        }
        Connection::Failed(reason) => {
            let plain = plain_words::for_people(reason);
            let headline = if view.demo {
                "The demo could not start"
            } else if plain.unreachable {
                "Cannot reach Microsoft"
            } else {
                "Could not sign in"
            };
            Alert::error().show_text(ui, headline, Some(&plain.text));
            if !view.demo {
                ui.add_space(6.0);
                if ui
                    .button("Use the demo instead")
                    .on_hover_text(
                        "A simulated tenant and Hyper-V host on this PC; nothing real changes",
                    )
                    .clicked()
                {
                    cmds.push(Command::UseDemo(true));
                    cmds.push(Command::Connect);
                }
            }
        }
        Connection::Cancelled => {
            Alert::info().show_text(
                ui,
                if view.demo {
                    "Starting the demo was cancelled"
                } else {
                    "Sign-in was cancelled"
                },
                Some("Nothing was changed. Start again when you are ready."),
            );
        }
    }
}

/// Connecting waits on the person (the browser sign-in, or a device code entered elsewhere):
/// what to do, the code and its address when there is one, how long it still waits, and Cancel. No spinner, so an idle wait repaints only when the countdown's second changes.
/// A sign-in's wait on the person (the lab's here, help-desk mode's too): what to do, the
/// device code if any, the time left, and Cancel, which sends `cancel`.
pub(crate) fn waiting(ui: &mut Ui, wait: &ConnectWait, cmds: &mut Commands, cancel: Command) {
    let remaining = wait.remaining(Instant::now());
    Alert::info().show(ui, |ui| {
        ui.label(RichText::new(crate::widgets::shown(&wait.headline)).strong());
        ui.label(crate::widgets::shown(&wait.todo).into_owned());
        match &wait.code {
            // A device code sign-in: the code and where to enter it, each with Copy; the
            // countdown is the code's lifetime.
            Some(code) => {
                ui.label("The code");
                ui.code_block("the code", &code.user_code);
                ui.label("The address");
                ui.code_block("the address", &code.verification_uri);
                ui.muted_label(format!(
                    "The code expires in {}.",
                    countdown_text(remaining)
                ));
            }
            None => {
                ui.muted_label(format!(
                    "It gives up by itself in {}.",
                    countdown_text(remaining)
                ));
            }
        }
        if ui.button("Cancel").clicked() {
            cmds.push(cancel);
        }
    });
    if !remaining.is_zero() {
        // Wake when the shown second changes: at most once a second, and only while shown.
        let into_second = remaining.as_secs_f64().fract();
        let next = if into_second > 0.0 { into_second } else { 1.0 };
        ui.ctx()
            .request_repaint_after(Duration::from_secs_f64(next.clamp(0.05, 1.0)));
    }
}

/// "4:59": whole minutes and seconds left, rounded up so it reads 0:00 only once over.
pub fn countdown_text(remaining: Duration) -> String {
    let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    format!("{}:{:02}", secs / 60, secs % 60)
}
