//! The shell the wizard draws each frame: top bar, step list, the current page, the footer with
//! Back / Next, and the "Reset lab" dialogs. It reads state and pushes commands; it changes
//! nothing itself.

use super::HelloApp;
use crate::command::Command;
use crate::icons;
use crate::pages::step::StepPageView;
use crate::pages::tap::TapView;
use crate::pages::welcome::WelcomeView;
use crate::pages::{self, Page};
use crate::theme::Tokens;
use crate::widgets::{Alert, UiExt};
use egui::{RichText, Ui};
use hb_lab::Step;
use hb_lab::session::Connection;
use hb_lab::session_file::SessionKind;

impl HelloApp {
    /// The whole window: panels, the page in a scroll area, and any dialog on top.
    pub(super) fn shell_ui(&mut self, ui: &mut Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            self.top_bar(ui);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("footer").show(ui, |ui| {
            ui.add_space(6.0);
            self.footer(ui);
            ui.add_space(4.0);
        });
        egui::Panel::left("steps")
            .resizable(false)
            .exact_size(if self.saved.presenter { 440.0 } else { 350.0 })
            .show(ui, |ui| self.step_list(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .show(ui, |ui| {
                    ui.set_max_width((ui.available_width() - 18.0).min(900.0));
                    self.page_ui(ui);
                });
        });
        let ctx = ui.ctx().clone();
        if self.confirm_reset {
            pages::reset::confirm(&ctx, &mut self.commands);
        }
        pages::reset::progress(&ctx, self.session.state(), &mut self.commands);
    }

    /// How step 6's pass shows this frame: large while its countdown runs, then hidden.
    fn tap_view(&self, ctx: &egui::Context) -> Option<TapView<'_>> {
        let tap = self.session.state().tap.as_ref()?;
        Some(match self.tap.shown_until {
            Some(until) => TapView::Showing {
                code: &tap.code,
                seconds_left: (until - Self::now(ctx)).ceil().max(0.0) as u32,
                masked: self.saved.presenter && !self.reveal_secrets,
            },
            None => TapView::Hidden,
        })
    }

    /// The app's name, demo badge, tenant and account, zoom, theme, presenter mode and, in
    /// presenter mode, "Reset lab".
    fn top_bar(&mut self, ui: &mut Ui) {
        let tokens = Tokens::of(ui.ctx());
        let lab = self.session.state();
        ui.horizontal(|ui| {
            ui.add(
                egui::Image::new(egui::ImageSource::Bytes {
                    uri: "bytes://hello-bootstrap/icon.png".into(),
                    bytes: icons::APP_ICON_PNG.into(),
                })
                .fit_to_exact_size(egui::vec2(22.0, 22.0))
                .alt_text("Hello Bootstrap"),
            );
            ui.label(RichText::new("Hello Bootstrap").strong());
            let demo = lab.kind.map_or(self.demo, |k| k == SessionKind::Demo);
            if demo {
                ui.badge("DEMO");
            }
            if let Some(tenant) = &lab.tenant_name {
                ui.separator();
                ui.label(tenant);
            }
            if let Some(account) = lab.account.as_ref().filter(|_| !self.saved.presenter) {
                ui.label(RichText::new(account).color(tokens.muted));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let plus = ui.button("+").on_hover_text("Zoom in");
                plus.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Zoom in"));
                if plus.clicked() {
                    self.commands.push(Command::ZoomIn);
                }
                ui.label(format!("{:.0}%", ui.ctx().zoom_factor() * 100.0));
                let minus = ui.button("−").on_hover_text("Zoom out");
                minus.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, "Zoom out")
                });
                if minus.clicked() {
                    self.commands.push(Command::ZoomOut);
                }
                let dark = ui.ctx().theme() == egui::Theme::Dark;
                let (icon, text) = if dark {
                    (icons::SUN, "Light theme")
                } else {
                    (icons::MOON, "Dark theme")
                };
                if ui.icon_button(icon, text).clicked() {
                    self.commands.push(Command::ToggleTheme);
                }
                let presenter = self.saved.presenter;
                if ui
                    .add(
                        egui::Button::new((
                            icons::PRESENTER.image(14.0, ui.visuals().text_color(), ""),
                            "Presenter mode",
                        ))
                        .selected(presenter),
                    )
                    .on_hover_text(
                        "Large text, high contrast, PageDown/PageUp to move, F11 full screen",
                    )
                    .clicked()
                {
                    self.commands.push(Command::TogglePresenter);
                }
                if presenter
                    && ui
                        .add_enabled(
                            lab.connection == Connection::Connected && !lab.busy(),
                            egui::Button::new((
                                icons::RESET.image(14.0, ui.visuals().text_color(), ""),
                                "Reset lab",
                            )),
                        )
                        .clicked()
                {
                    self.commands.push(Command::AskReset);
                }
            });
        });
    }

    /// Every page with its status; pages not reachable yet say why on hover.
    fn step_list(&mut self, ui: &mut Ui) {
        let tokens = Tokens::of(ui.ctx());
        ui.add_space(tokens.space_m);
        for page in Page::all() {
            let selected = self.saved.page == page;
            let reachable = self.reachable(page);
            let lab = self.session.state();
            ui.horizontal(|ui| {
                match page.step() {
                    Some(step) if lab.step(step).running.is_some() => {
                        ui.add(egui::Spinner::new().size(tokens.icon_size));
                    }
                    Some(step) => {
                        ui.status_icon(lab.status(step));
                    }
                    None => {
                        ui.add_space(tokens.icon_size + ui.spacing().item_spacing.x);
                    }
                }
                let label = match page {
                    Page::Step(step) => format!("{}. {}", step.number(), step.title()),
                    other => other.to_string(),
                };
                let response = ui
                    .add_enabled(reachable.is_ok(), egui::Button::selectable(selected, label))
                    .on_disabled_hover_text(reachable.err().unwrap_or_default());
                if response.clicked() {
                    self.commands.push(Command::Go(page));
                }
            });
        }
        if self.demo || self.session.state().kind == Some(SessionKind::Demo) {
            ui.add_space(tokens.space_l);
            ui.muted_label(
                "Demo mode: a simulated tenant and Hyper-V host on this PC. Nothing real changes.",
            );
        }
    }

    /// Back, the position, and Next (disabled with the reason until the page may be left).
    fn footer(&mut self, ui: &mut Ui) {
        let page = self.saved.page;
        let position = Page::all().position(|p| p == page).unwrap_or(0) + 1;
        let total = Page::all().count();
        ui.horizontal(|ui| {
            let back = ui.add_enabled(
                page.prev().is_some(),
                egui::Button::new((
                    icons::BACK.image(14.0, ui.visuals().text_color(), ""),
                    "Back",
                )),
            );
            if back.clicked() {
                self.commands.push(Command::Back);
            }
            ui.label(RichText::new(format!("{position} / {total}")).weak());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if page.next().is_none() {
                    return;
                }
                let can_leave = self.can_leave(page);
                let next = ui.primary_button_enabled(
                    can_leave.is_ok(),
                    "Next",
                    can_leave.as_ref().err().map_or("", String::as_str),
                );
                if next.clicked() {
                    self.commands.push(Command::Next);
                }
                if let (Err(why), Some(step)) = (&can_leave, page.step()) {
                    let state = self.session.state().step(step);
                    if state.running.is_none()
                        && self.session.state().connection == Connection::Connected
                        && ui
                            .button("I did this another way")
                            .on_hover_text("Check again, and move on if the check finds it done")
                            .clicked()
                    {
                        self.commands.push(Command::DidItAnotherWay(step));
                    }
                    ui.add(egui::Label::new(RichText::new(why).weak()).truncate());
                }
            });
        });
    }

    /// The current page, under the "Resumed at" note when the wizard reopened mid-lab.
    fn page_ui(&mut self, ui: &mut Ui) {
        if let Some(page) = self.resumed {
            Alert::info().show(ui, |ui| {
                ui.label(RichText::new(format!("Resumed at {page}")).strong());
                ui.label(
                    "The wizard reopened where you left off and is checking every step again.",
                );
                if ui.button("Dismiss").clicked() {
                    self.commands.push(Command::DismissResumed);
                }
            });
            ui.add_space(8.0);
        }
        match self.saved.page {
            Page::Welcome => {
                let connection = self.session.state().connection.clone();
                pages::welcome::show(
                    ui,
                    WelcomeView {
                        demo: self.demo,
                        connection: &connection,
                        form: &mut self.saved.form,
                        reset: self.session.state().reset.as_ref(),
                    },
                    &mut self.commands,
                );
            }
            Page::Step(step) => {
                let ctx = ui.ctx().clone();
                // Taken out for the frame so the page can edit it while the view borrows `self`.
                let mut iso_path = std::mem::take(&mut self.saved.form.iso_path);
                let lab = self.session.state();
                let state = lab.step(step);
                let view = StepPageView {
                    step,
                    state: &state,
                    connected: lab.connection == Connection::Connected,
                    demo: lab.kind == Some(SessionKind::Demo),
                    tap: if step == Step::TapIssued {
                        self.tap_view(&ctx)
                    } else {
                        None
                    },
                    secrets: lab.tap.iter().map(|t| &t.code).collect(),
                    screen: self
                        .screen_texture
                        .as_ref()
                        .filter(|_| step.is_host_step())
                        .map(|(_, texture)| texture),
                    iso_path: (step == Step::LabVm && lab.kind != Some(SessionKind::Demo))
                        .then_some(&mut iso_path),
                    restart_as_admin: (self.restart_as_admin.is_some()
                        && lab.kind != Some(SessionKind::Demo))
                    .then_some(self.restart_as_admin_error.as_deref()),
                };
                let mut commands = Vec::new();
                pages::step::show(ui, view, &mut commands);
                self.saved.form.iso_path = iso_path;
                self.commands.extend(commands);
            }
            Page::Summary => {
                let mut commands = Vec::new();
                pages::summary::show(
                    ui,
                    self.session.state(),
                    self.export.as_ref(),
                    &mut commands,
                );
                self.commands.extend(commands);
            }
        }
    }
}
