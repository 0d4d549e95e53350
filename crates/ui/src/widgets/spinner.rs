//! A spinner that animates at a modest frame rate. egui's own asks for a repaint on every frame
//! it is visible, so a page waiting on the network redraws the whole window as fast as the
//! display allows (~50 frames a second under a software rasteriser); this one asks for the next
//! frame [`FRAME`] later, which still reads as smooth motion.

use egui::{Response, Sense, Shape, Stroke, Ui, Widget, WidgetInfo, emath::lerp, vec2};
use std::time::Duration;

/// The time between two frames of the animation (20 a second).
pub const FRAME: Duration = Duration::from_millis(50);

/// "Working on it": a turning arc, the size of a line of text unless told otherwise.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spinner {
    size: Option<f32>,
}

impl Spinner {
    /// A spinner of the style's interact height.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the width and height.
    pub fn size(mut self, size: f32) -> Self {
        self.size = Some(size);
        self
    }
}

impl Widget for Spinner {
    fn ui(self, ui: &mut Ui) -> Response {
        let size = self
            .size
            .unwrap_or_else(|| ui.style().spacing.interact_size.y);
        let (rect, response) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
        response.widget_info(|| WidgetInfo::new(egui::Role::ProgressIndicator));
        if ui.is_rect_visible(rect) {
            ui.ctx().request_repaint_after(FRAME);
            let color = ui.visuals().strong_text_color();
            let radius = (rect.height().min(rect.width()) * 0.5) - 2.0;
            let n_points = (radius.round() as u32).clamp(8, 128);
            let time = ui.input(|i| i.time);
            let start_angle = time * std::f64::consts::TAU;
            let end_angle = start_angle + 240f64.to_radians() * time.sin();
            let points = (0..n_points)
                .map(|i| {
                    let angle = lerp(start_angle..=end_angle, f64::from(i) / f64::from(n_points));
                    let (sin, cos) = angle.sin_cos();
                    rect.center() + radius * vec2(cos as f32, sin as f32)
                })
                .collect();
            ui.painter()
                .add(Shape::line(points, Stroke::new(3.0, color)));
        }
        response
    }
}
