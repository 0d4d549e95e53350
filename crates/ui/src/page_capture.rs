//! Captures the wizard page when a step's apply finishes, for the lab report: an egui screenshot
//! request whose pixels are downscaled on the runtime and come back as a session event.

use chrono::{DateTime, Utc};
use hb_lab::Step;
use hb_lab::session::{CaptureFrame, EventSender, JobEvent};
use std::sync::Arc;
use tokio::runtime::Handle;

/// The widest page image a report keeps; wider screenshots are scaled down to this.
pub const MAX_PAGE_WIDTH: usize = 1280;

/// Asks the renderer for a screenshot of the next frame and files it as `step`'s page image.
/// Without a renderer that captures (tests without wgpu) nothing comes back, and the report just
/// has no page image for the step.
pub fn request(
    ctx: &egui::Context,
    runtime: Handle,
    events: EventSender,
    step: Step,
    finished_at: DateTime<Utc>,
) {
    ctx.request_screenshot(move |image: Arc<egui::ColorImage>| {
        runtime.spawn(async move {
            let frame = downscale(&image, MAX_PAGE_WIDTH);
            events.send(JobEvent::PageCaptured {
                step,
                finished_at,
                frame,
            });
        });
    });
}

/// The image as straight RGBA, scaled down (nearest pixel) to at most `max_width` wide.
pub fn downscale(image: &egui::ColorImage, max_width: usize) -> CaptureFrame {
    let [w, h] = image.size;
    let (out_w, out_h) = if w > max_width && w > 0 {
        (max_width, (h * max_width / w).max(1))
    } else {
        (w, h)
    };
    let mut rgba = Vec::with_capacity(out_w * out_h * 4);
    for y in 0..out_h {
        let sy = y * h / out_h.max(1);
        for x in 0..out_w {
            let sx = x * w / out_w.max(1);
            rgba.extend_from_slice(&image.pixels[sy * w + sx].to_srgba_unmultiplied());
        }
    }
    CaptureFrame {
        width: out_w,
        height: out_h,
        rgba: rgba.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Color32;

    #[test]
    fn wide_screenshots_are_scaled_down_keeping_the_aspect() {
        let mut pixels = vec![Color32::RED; 40 * 20];
        pixels[0] = Color32::BLUE;
        let frame = downscale(&egui::ColorImage::new([40, 20], pixels), 10);
        assert_eq!((frame.width, frame.height), (10, 5));
        assert_eq!(frame.rgba.len(), 10 * 5 * 4);
        assert_eq!(&frame.rgba[..4], &[0, 0, 255, 255]);
        assert_eq!(&frame.rgba[4..8], &[255, 0, 0, 255]);
    }

    #[test]
    fn small_screenshots_keep_their_size() {
        let frame = downscale(
            &egui::ColorImage::new([3, 2], vec![Color32::GREEN; 6]),
            MAX_PAGE_WIDTH,
        );
        assert_eq!((frame.width, frame.height), (3, 2));
        assert_eq!(&frame.rgba[..4], &[0, 255, 0, 255]);
    }
}
