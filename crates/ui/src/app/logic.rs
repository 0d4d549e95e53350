//! The per-frame work that draws nothing: fold the session's events in, pick up a finished
//! export, ask for page captures and VM screens, run the TAP timers, and turn keys and the
//! "I did this another way" re-check into commands. Runs in `eframe::App::logic`, before `ui`.

use super::{HelloApp, LIVE_SCREEN_BUSY_SECS, LIVE_SCREEN_SECS};
use crate::command::Command;
use crate::pages::Page;
use egui::Key;
use hb_lab::Step;
use hb_lab::session::Connection;
use std::time::Duration;

impl HelloApp {
    /// Everything `logic` does each frame, in order: events first, so the rest sees them.
    pub(super) fn frame_logic(&mut self, ctx: &egui::Context) {
        self.session.drain();
        self.receive_export();
        self.receive_link();
        self.capture_finished_pages(ctx);
        self.update_screen_texture(ctx);
        self.live_screen();
        self.tap_timers(ctx);
        self.advance_when_done();
        self.replay_after_revert();
        self.follow_window_size(ctx);
        self.keys(ctx);
    }

    /// The app's clock (egui time, seconds).
    pub(super) fn now(ctx: &egui::Context) -> f64 {
        ctx.input(|i| i.time)
    }

    /// Keeps the VM screen live on the pages that show it (steps 4 and 7) while a VM exists: the
    /// session's watcher looks every few seconds on the runtime and wakes the UI only when the
    /// pixels changed, so a still screen costs no frames; other pages stop it.
    fn live_screen(&mut self) {
        let lab = self.session.state();
        let shows_screen = matches!(self.saved.page, Page::Step(Step::LabVm | Step::Bootstrap))
            && lab.connection == Connection::Connected
            && lab.vm_screen.is_some();
        // While the demo's job drives the VM (its sign-in moves a screen every few seconds), look
        // often enough that no screen passes unseen; a still screen still sends no frame. A real
        // host's capture is a WMI call, and its pages move at a person's pace: it keeps 2 s.
        let moving = self.demo
            && match self.saved.page {
                Page::Step(step) => lab.step(step).running.is_some(),
                _ => false,
            };
        let every = if moving {
            LIVE_SCREEN_BUSY_SECS
        } else {
            LIVE_SCREEN_SECS
        };
        self.session
            .watch_screen(shows_screen.then(|| Duration::from_secs_f64(every)));
    }

    /// Picks up whether a browser opened the last clicked link.
    fn receive_link(&mut self) {
        let Some(outcome) = self.link_inbox.as_ref().and_then(|rx| rx.try_recv().ok()) else {
            return;
        };
        self.link_inbox = None;
        self.link_failed = match outcome {
            (_, Ok(())) => None,
            (url, Err(why)) => {
                tracing::info!("no browser opened {url}: {why}");
                Some((url, false))
            }
        };
    }

    /// Picks up how a running export ended.
    fn receive_export(&mut self) {
        if let Some(outcome) = self.export_inbox.as_ref().and_then(|rx| rx.try_recv().ok()) {
            self.export = Some(outcome);
            self.export_inbox = None;
        }
    }

    /// Once a step's apply has finished and its page shows the result, asks for a screenshot of
    /// it for the report. Step 6's page is never captured: it may show the TAP.
    fn capture_finished_pages(&mut self, ctx: &egui::Context) {
        let Page::Step(step) = self.saved.page else {
            return;
        };
        if step == Step::TapIssued {
            return;
        }
        let Some(finished_at) = self
            .session
            .state()
            .captures
            .get(&step)
            .filter(|c| c.page.is_none())
            .and_then(|c| c.finished_at)
        else {
            return;
        };
        if self.page_captured.get(&step) == Some(&finished_at) {
            return;
        }
        let Some(runtime) = &self.runtime else { return };
        self.page_captured.insert(step, finished_at);
        crate::page_capture::request(
            ctx,
            runtime.handle().clone(),
            self.session.events(),
            step,
            finished_at,
        );
    }

    /// Keyboard and clicker keys: PageDown / → move on (PageDown first does the page's main
    /// action when the page is not done), PageUp / ← go back, Space / ↓ / ↑ scroll the page,
    /// F11 full screen. A focused field or button keeps its keys.
    fn keys(&mut self, ctx: &egui::Context) {
        if ctx.memory(|m| m.focused().is_some()) {
            return;
        }
        let (page_down, right, back, down, up, full) = ctx.input(|i| {
            let space = i.key_pressed(Key::Space);
            (
                i.key_pressed(Key::PageDown),
                i.key_pressed(Key::ArrowRight),
                i.key_pressed(Key::PageUp) || i.key_pressed(Key::ArrowLeft),
                (space && !i.modifiers.shift) || i.key_pressed(Key::ArrowDown),
                (space && i.modifiers.shift) || i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::F11),
            )
        });
        if page_down {
            self.page_down();
        } else if right {
            self.commands.push(Command::Next);
        }
        if back {
            self.commands.push(Command::Back);
        }
        let step = (self.page_viewport * 0.8).max(40.0);
        if down {
            self.scroll_request = Some(self.page_scroll + step);
        } else if up {
            self.scroll_request = Some((self.page_scroll - step).max(0.0));
        }
        if full {
            self.commands.push(Command::ToggleFullscreen);
        }
    }

    /// PageDown, the clicker's one button: on a page that is done, Next; otherwise the page's
    /// main action (the footer's primary button), and Next once that ends well, except on the
    /// pages whose result the audience has to see first (the pass, the sign-in checks).
    fn page_down(&mut self) {
        let page = self.saved.page;
        match self.main_action(page) {
            None => self.commands.push(Command::Next),
            Some(action) if action.blocked.is_none() => {
                self.commands.push(action.command);
                if !shows_its_result(page) {
                    self.pending_advance = Some(page);
                }
            }
            Some(_) => {
                let lab = self.session.state();
                let running = match page {
                    Page::Step(step) => lab.step(step).running.is_some(),
                    Page::Welcome => lab.connection.is_connecting(),
                    Page::Summary => false,
                };
                if running {
                    self.pending_advance = Some(page);
                }
            }
        }
    }

    /// "Replay the sign-in": once step 7's revert is back at the OOBE checkpoint, sign in again.
    fn replay_after_revert(&mut self) {
        if !self.replay_sign_in {
            return;
        }
        let state = self.session.state().step(Step::Bootstrap);
        if state.running.is_some() {
            return;
        }
        self.replay_sign_in = false;
        if state.status == hb_lab::StepStatus::NotApplied && state.error.is_none() {
            self.commands.push(Command::Apply(Step::Bootstrap));
        }
    }

    /// Presenter mode's text follows the window: about 1.75x on a 1080-pixel-high screen, never
    /// under 1.3x; normal mode keeps 1x. Restyles only when the scale really changes.
    fn follow_window_size(&mut self, ctx: &egui::Context) {
        let scale = presenter_scale(self.saved.presenter, ctx.content_rect().height());
        if (scale - self.text_scale).abs() > 0.02 {
            self.text_scale = scale;
            crate::theme::apply_style_scaled(ctx, self.saved.presenter, scale);
        }
    }

    /// Starts and ends the TAP countdown and clears the clipboard when its time is up. The
    /// countdown wakes the UI once a second only while step 6's page shows it; elsewhere nothing
    /// ticks, and the page reads the time left when it is opened again.
    fn tap_timers(&mut self, ctx: &egui::Context) {
        let now = Self::now(ctx);
        let issued = self.session.state().tap.as_ref().map(|t| t.issued_at);
        if issued != self.tap.issued_at {
            self.tap.issued_at = issued;
            self.tap.shown_until = issued.map(|_| now + self.tap_display_secs);
        }
        if let Some(until) = self.tap.shown_until {
            if now >= until {
                self.tap.shown_until = None;
            } else if self.saved.page == Page::Step(Step::TapIssued) {
                ctx.request_repaint_after(Duration::from_secs_f64((until - now).clamp(0.05, 1.0)));
            }
        }
        if let Some(at) = self.tap.clipboard_clear_at {
            if now >= at {
                ctx.copy_text(String::new());
                self.tap.clipboard_clear_at = None;
            } else {
                ctx.request_repaint_after(Duration::from_secs_f64(at - now));
            }
        }
    }

    /// "I did this another way" and PageDown: once the page's work has ended, move on if the
    /// page may be left now; stay (and say why in the footer) if not.
    fn advance_when_done(&mut self) {
        let Some(page) = self.pending_advance else {
            return;
        };
        if self.saved.page != page {
            self.pending_advance = None;
            return;
        }
        let lab = self.session.state();
        let busy = match page {
            Page::Welcome => lab.connection.is_connecting(),
            Page::Step(step) => lab.step(step).running.is_some(),
            Page::Summary => false,
        };
        if busy {
            return;
        }
        self.pending_advance = None;
        if self.can_leave(page).is_ok() {
            self.commands.push(Command::Next);
        }
    }

    /// Keeps the VM screen texture in step with the latest frame.
    fn update_screen_texture(&mut self, ctx: &egui::Context) {
        let Some(screen) = &self.session.state().vm_screen else {
            self.screen_texture = None;
            return;
        };
        if self
            .screen_texture
            .as_ref()
            .is_some_and(|(at, _)| *at == screen.captured_at)
        {
            return;
        }
        if screen.rgba.len() != screen.width * screen.height * 4 {
            tracing::warn!("ignoring a VM screen frame of the wrong size");
            return;
        }
        let image =
            egui::ColorImage::from_rgba_unmultiplied([screen.width, screen.height], &screen.rgba);
        let texture = ctx.load_texture("vm_screen", image, egui::TextureOptions::LINEAR);
        self.screen_texture = Some((screen.captured_at, texture));
    }
}

/// Whether a page's result is what the audience came to see, so PageDown stays on it after its
/// main action: step 6's pass and step 7's sign-in and checks.
fn shows_its_result(page: Page) -> bool {
    matches!(page, Page::Step(Step::TapIssued | Step::Bootstrap))
}

/// The text scale for a window `height` points high.
pub(super) fn presenter_scale(presenter: bool, height: f32) -> f32 {
    if presenter {
        (height / 1080.0 * 1.75).clamp(1.3, 2.0)
    } else {
        1.0
    }
}
