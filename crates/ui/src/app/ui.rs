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
use crate::widgets::{self, Alert, UiExt};
use egui::{RichText, Ui};
use hb_lab::session::Connection;
use hb_lab::session_file::SessionKind;
use hb_lab::{EvidenceIds, Step, Upn};

/// Below this window width (points) the top bar folds into a menu and the step list into icons.
pub const NARROW_WIDTH: f32 = 1000.0;

impl HelloApp {
    /// The whole window: panels, the page in a scroll area, and any dialog on top. The layout
    /// follows the window: below [`NARROW_WIDTH`] the top bar folds into a menu and the step list
    /// into icons; in presenter mode the page uses the whole width.
    pub(super) fn shell_ui(&mut self, ui: &mut Ui) {
        let width = ui.ctx().content_rect().width();
        let narrow = width < NARROW_WIDTH;
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            self.top_bar(ui, narrow);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("footer").show(ui, |ui| {
            ui.add_space(6.0);
            self.footer(ui);
            ui.add_space(4.0);
        });
        let list_width = self.step_list_width(ui.ctx(), narrow);
        egui::Panel::left("steps")
            .resizable(false)
            .exact_size(list_width)
            .show(ui, |ui| self.step_list(ui, narrow));
        let presenter = self.saved.presenter;
        egui::CentralPanel::default().show(ui, |ui| {
            let mut area = egui::ScrollArea::vertical()
                .id_salt("page")
                .auto_shrink(false);
            if let Some(offset) = self.scroll_request.take() {
                area = area.vertical_scroll_offset(offset.max(0.0));
            }
            let output = area.show(ui, |ui| {
                let full = ui.available_width() - 18.0;
                ui.set_max_width(if presenter { full } else { full.min(1100.0) });
                self.page_ui(ui);
            });
            self.page_scroll = output.state.clamped_offset().y;
            self.page_viewport = output.inner_rect.height();
        });
        let ctx = ui.ctx().clone();
        if self.confirm_reset {
            pages::reset::confirm(&ctx, &mut self.commands);
        }
        pages::reset::progress(&ctx, self.session.state(), &mut self.commands);
    }

    /// The step list's width: icons only when the window is narrow, else a share of the window
    /// that grows with presenter mode's larger text.
    fn step_list_width(&self, ctx: &egui::Context, narrow: bool) -> f32 {
        if narrow {
            return 56.0;
        }
        let width = ctx.content_rect().width();
        if self.saved.presenter {
            (width * 0.27).clamp(300.0, 560.0)
        } else {
            (width * 0.24).clamp(260.0, 330.0)
        }
    }

    /// How step 6's pass shows this frame: large while its countdown runs, then hidden.
    fn tap_view(&self, ctx: &egui::Context) -> Option<TapView<'_>> {
        let tap = self.session.state().tap.as_ref()?;
        Some(match self.tap.shown_until {
            Some(until) => TapView::Showing {
                code: &tap.code,
                seconds_left: (until - Self::now(ctx)).ceil().max(0.0) as u32,
                masked: self.saved.presenter && !self.reveal_secrets,
                copied_for: self
                    .tap
                    .clipboard_clear_at
                    .map(|at| (at - Self::now(ctx)).ceil().max(0.0) as u32),
            },
            None => TapView::Hidden,
        })
    }

    /// The app's name, demo badge, tenant and account on the left; zoom, theme, presenter mode
    /// and, in presenter mode, "Reset lab" on the right, or all of them in one "Menu" when the
    /// window is narrow. The left side truncates first, so nothing overlaps.
    fn top_bar(&mut self, ui: &mut Ui, narrow: bool) {
        let tokens = Tokens::of(ui.ctx());
        let lab = self.session.state();
        let demo = lab.kind.map_or(self.demo, |k| k == SessionKind::Demo);
        let tenant = lab.tenant_name.clone();
        let demo_faults = self.demo_faults.clone();
        let account = lab
            .account
            .clone()
            .filter(|_| !self.saved.presenter && !narrow);
        egui::Sides::new().shrink_left().truncate().show(
            ui,
            |ui| {
                ui.add(
                    egui::Image::new(egui::ImageSource::Bytes {
                        uri: "bytes://hello-bootstrap/icon.png".into(),
                        bytes: icons::APP_ICON_PNG.into(),
                    })
                    .fit_to_exact_size(egui::vec2(22.0, 22.0))
                    .alt_text("Hello Bootstrap logo"),
                );
                ui.label(RichText::new("Hello Bootstrap").strong());
                if demo {
                    match &demo_faults {
                        Some(faults) => {
                            ui.badge("DEMO · FAULTS ON")
                                .on_hover_text(format!("Injected faults: {faults}"));
                        }
                        None => {
                            ui.badge("DEMO");
                        }
                    }
                }
                if let Some(tenant) = &tenant {
                    ui.separator();
                    ui.add(egui::Label::new(widgets::shown_name(tenant)).truncate());
                }
                if let Some(account) = &account {
                    ui.add(
                        egui::Label::new(
                            RichText::new(widgets::shown_name(account)).color(tokens.muted),
                        )
                        .truncate(),
                    );
                }
            },
            |ui| {
                if narrow {
                    ui.menu_button("Menu", |ui| {
                        if let Some(account) = &self.session.state().account {
                            ui.muted_label(account.as_str());
                        }
                        self.view_controls(ui, true);
                    });
                } else {
                    self.view_controls(ui, false);
                }
            },
        );
    }

    /// Zoom, theme, presenter mode and (in presenter mode) "Reset lab": right to left in the
    /// top bar, or top to bottom in its menu.
    fn view_controls(&mut self, ui: &mut Ui, in_menu: bool) {
        if in_menu {
            // One row reading "− 100% +", as in the top bar, not three lines from + down to −.
            ui.horizontal(|ui| {
                self.zoom_out(ui);
                ui.label(format!("{:.0}%", ui.ctx().zoom_factor() * 100.0));
                self.zoom_in(ui);
            });
        } else {
            self.zoom_in(ui);
            ui.label(format!("{:.0}%", ui.ctx().zoom_factor() * 100.0));
            self.zoom_out(ui);
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
        if self.helpdesk_offered() {
            let open = self.helpdesk_open();
            if ui
                .add(egui::Button::selectable(open, "Help desk"))
                .on_hover_text("Issue Temporary Access Passes to users (help-desk mode)")
                .clicked()
            {
                self.commands.push(if open {
                    Command::CloseHelpdesk
                } else {
                    Command::OpenHelpdesk
                });
            }
        }
        let presenter = self.saved.presenter;
        let lab = self.session.state();
        if ui
            .add(
                egui::Button::new((
                    icons::PRESENTER.image(Tokens::of(ui.ctx()).icon_size * 0.8, ui.visuals().text_color(), ""),
                    "Presenter mode",
                ))
                .selected(presenter),
            )
            .on_hover_text(
                "Large text for a projector. PageDown does the page's main action, then moves on; Space and the arrow keys scroll; F11 full screen",
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
                        icons::RESET.image(
                            Tokens::of(ui.ctx()).icon_size * 0.8,
                            ui.visuals().text_color(),
                            "",
                        ),
                        "Reset lab",
                    )),
                )
                .clicked()
        {
            self.commands.push(Command::AskReset);
        }
    }

    fn zoom_in(&mut self, ui: &mut Ui) {
        let plus = ui.button("+").on_hover_text("Zoom in");
        plus.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Zoom in"));
        if plus.clicked() {
            self.commands.push(Command::ZoomIn);
        }
    }

    fn zoom_out(&mut self, ui: &mut Ui) {
        let minus = ui.button("−").on_hover_text("Zoom out");
        minus.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Zoom out"));
        if minus.clicked() {
            self.commands.push(Command::ZoomOut);
        }
    }

    /// Every page with its status; pages not reachable yet say why on hover. When `compact`,
    /// only the icons and numbers show, each naming its page on hover.
    fn step_list(&mut self, ui: &mut Ui, compact: bool) {
        let tokens = Tokens::of(ui.ctx());
        ui.add_space(tokens.space_m);
        for page in Page::all() {
            // The help desk covers the wizard's pages: none of them is the one shown.
            let selected = self.saved.page == page && !self.helpdesk_open();
            let reachable = self.reachable(page);
            let lab = self.session.state();
            ui.horizontal(|ui| {
                if !compact {
                    match page.step() {
                        Some(step) if lab.step(step).running.is_some() => {
                            ui.add(crate::widgets::Spinner::new().size(tokens.icon_size));
                        }
                        Some(step) => {
                            ui.status_icon(lab.status(step));
                        }
                        None => {
                            ui.add_space(tokens.icon_size + ui.spacing().item_spacing.x);
                        }
                    }
                }
                let full = match page {
                    Page::Step(step) => format!("{}. {}", step.number(), step.title()),
                    other => other.to_string(),
                };
                let button = if compact {
                    let short = match page {
                        Page::Step(step) => step.number().to_string(),
                        Page::Welcome => "W".into(),
                        Page::Summary => "Σ".into(),
                    };
                    egui::Button::selectable(selected, short)
                } else {
                    egui::Button::selectable(selected, full.as_str()).truncate()
                };
                let response = ui
                    .add_enabled(reachable.is_ok(), button)
                    .on_hover_text(full.as_str())
                    .on_disabled_hover_text(reachable.err().unwrap_or_default());
                // Screen readers hear which page is shown (egui's selectable button does not say),
                // and in the icon-only list each step's status too.
                {
                    let status = page.step().map(|s| lab.status(s).label());
                    let name = match status {
                        Some(status) if compact => format!("{full} ({status})"),
                        _ => full.clone(),
                    };
                    response.widget_info(|| {
                        egui::WidgetInfo::selected(
                            egui::Role::Button,
                            response.enabled(),
                            selected,
                            name.as_str(),
                        )
                    });
                }
                if response.clicked() {
                    self.commands.push(Command::Go(page));
                }
            });
        }
        if !compact && (self.demo || self.session.state().kind == Some(SessionKind::Demo)) {
            ui.add_space(tokens.space_l);
            ui.muted_label(
                "Demo mode: a simulated tenant and Hyper-V host on this PC. Nothing real changes.",
            );
        }
    }

    /// Back, where the wizard is, and the page's main action ("Apply step 3") until the page
    /// may be left, then "Next" (disabled with the reason while the page's work runs).
    fn footer(&mut self, ui: &mut Ui) {
        if self.helpdesk_open() {
            if ui.button("Back to the lab wizard").clicked() {
                self.commands.push(Command::CloseHelpdesk);
            }
            return;
        }
        let page = self.saved.page;
        ui.horizontal(|ui| {
            let back = ui.add_enabled(
                page.prev().is_some(),
                egui::Button::new((
                    icons::BACK.image(
                        Tokens::of(ui.ctx()).icon_size * 0.8,
                        ui.visuals().text_color(),
                        "",
                    ),
                    "Back",
                )),
            );
            if back.clicked() {
                self.commands.push(Command::Back);
            }
            let lab = self.session.state();
            let done = Step::ALL
                .iter()
                .filter(|s| lab.status(**s).is_done())
                .count();
            ui.label(RichText::new(format!("{done} of {} steps done", Step::ALL.len())).weak());
            if self.saved.presenter && page.next().is_some() {
                // A separator of its own, so the two hints never read as one sentence.
                ui.label(RichText::new("·").weak());
                ui.label(RichText::new("PageDown: next action").weak());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if page.next().is_none() {
                    return;
                }
                match self.main_action(page) {
                    Some(action) => {
                        let response = ui.primary_button_enabled(
                            action.blocked.is_none(),
                            action.label.as_str(),
                            action.blocked.as_deref().unwrap_or(""),
                        );
                        if response.clicked() {
                            self.commands.push(action.command);
                        }
                        if let Some(step) = page.step() {
                            let state = self.session.state().step(step);
                            if state.running.is_none()
                                && self.session.state().connection == Connection::Connected
                                && ui
                                    .button("I did this another way")
                                    .on_hover_text(
                                        "Check again, and move on if the check finds it done",
                                    )
                                    .clicked()
                            {
                                self.commands.push(Command::DidItAnotherWay(step));
                            }
                        }
                        if self.pending_advance == Some(page) {
                            ui.add(
                                egui::Label::new(
                                    RichText::new("Moves on when this is done").weak(),
                                )
                                .truncate(),
                            );
                        }
                    }
                    None => {
                        let can_leave = self.can_leave(page);
                        let next = ui.primary_button_enabled(
                            can_leave.is_ok(),
                            "Next",
                            can_leave.as_ref().err().map_or("", String::as_str),
                        );
                        if next.clicked() {
                            self.commands.push(Command::Next);
                        }
                    }
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
        if self.helpdesk_open() {
            self.helpdesk_ui(ui);
            return;
        }
        match self.saved.page {
            Page::Welcome => {
                let lab = self.session.state();
                let connection = lab.connection.clone();
                let (account, tenant) = (lab.account.clone(), lab.tenant_name.clone());
                let helpdesk_offered = self.helpdesk_offered();
                pages::welcome::show(
                    ui,
                    WelcomeView {
                        demo: self.demo,
                        connection: &connection,
                        form: &mut self.saved.form,
                        reset: self.session.state().reset.as_ref(),
                        checking: self.session.state().busy(),
                        account: account.as_deref(),
                        tenant: tenant.as_deref(),
                        readiness: &self.session.state().readiness,
                        lab_users: &self.session.state().lab_user_choices,
                        lab_user_locked: lab_user_locked(self.session.state()),
                        helpdesk_offered,
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
                let mut ids = EvidenceIds::harvest(lab.steps.values().map(|s| &s.evidence));
                if ids.upn.is_none() {
                    ids.upn = Upn::parse(self.saved.form.lab_user.trim())
                        .ok()
                        .map(|u| u.as_str().to_string());
                }
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
                    caption: pages::step_text::screen_caption(
                        step,
                        &state,
                        lab.kind == Some(SessionKind::Demo),
                        lab.vm_screen.as_ref().and_then(|s| s.page),
                    ),
                    ids: &ids,
                    iso_path: (step == Step::LabVm && lab.kind != Some(SessionKind::Demo))
                        .then_some(&mut iso_path),
                    restart_as_admin: (self.restart_as_admin.is_some()
                        && lab.kind != Some(SessionKind::Demo))
                    .then_some(self.restart_as_admin_error.as_deref()),
                    typing: (step == Step::Bootstrap).then(|| pages::typing::TypingView {
                        connected: lab.connection == Connection::Connected,
                        busy: state.running.is_some() || lab.resetting(),
                        page: lab.vm_screen.as_ref().and_then(|s| s.page),
                        tap_held: lab.tap.is_some(),
                    }),
                    link_failed: self.link_failed.as_ref().map(|(url, copied)| {
                        crate::widgets::LinkFailure {
                            url,
                            copied: *copied,
                        }
                    }),
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
                    &mut self.export_field,
                    &mut commands,
                );
                self.commands.extend(commands);
            }
        }
    }
}

/// Why the demo's lab user cannot be changed now: step 6's pass belongs to the one chosen, or a
/// job is working for them.
fn lab_user_locked(lab: &hb_lab::session::LabState) -> Option<String> {
    if lab.status(Step::TapIssued) == hb_lab::StepStatus::Applied {
        return Some(
            "Step 6 issued its pass to this user: revert step 6 (or reset the lab) to pick another."
                .into(),
        );
    }
    lab.busy()
        .then(|| "Steps are being checked or applied: pick once they finish.".into())
}
