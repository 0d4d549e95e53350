//! Captures the wizard page when a step's apply finishes, for the lab report: an egui screenshot
//! request whose pixels are downscaled and encoded as PNG on the runtime and come back as a
//! session event. The session keeps PNG bytes, never the raw RGBA (3.7 MB a page).

use chrono::{DateTime, Utc};
use hb_lab::Step;
use hb_lab::session::{CaptureFrame, EventSender, JobEvent};
use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
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
            match downscale(&image, MAX_PAGE_WIDTH) {
                Ok(frame) => events.send(JobEvent::PageCaptured {
                    step,
                    finished_at,
                    frame,
                }),
                Err(e) => tracing::warn!("the page of step {} was not kept: {e}", step.number()),
            }
        });
    });
}

/// The image scaled down (nearest pixel) to at most `max_width` wide, as PNG. Fast compression:
/// a flat UI page compresses well anyway, and the encoder runs once per finished step.
pub fn downscale(image: &egui::ColorImage, max_width: usize) -> Result<CaptureFrame, String> {
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
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            &rgba,
            out_w as u32,
            out_h as u32,
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| format!("cannot encode a {out_w}×{out_h} page as PNG: {e}"))?;
    Ok(CaptureFrame {
        width: out_w,
        height: out_h,
        png: png.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Color32;

    fn pixels(frame: &CaptureFrame) -> Vec<u8> {
        let decoded = image::load_from_memory(&frame.png).unwrap().to_rgba8();
        assert_eq!(
            decoded.dimensions(),
            (frame.width as u32, frame.height as u32)
        );
        decoded.into_raw()
    }

    #[test]
    fn wide_screenshots_are_scaled_down_keeping_the_aspect() {
        let mut px = vec![Color32::RED; 40 * 20];
        px[0] = Color32::BLUE;
        let frame = downscale(&egui::ColorImage::new([40, 20], px), 10).unwrap();
        assert_eq!((frame.width, frame.height), (10, 5));
        let rgba = pixels(&frame);
        assert_eq!(rgba.len(), 10 * 5 * 4);
        assert_eq!(&rgba[..4], &[0, 0, 255, 255]);
        assert_eq!(&rgba[4..8], &[255, 0, 0, 255]);
    }

    #[test]
    fn small_screenshots_keep_their_size() {
        let frame = downscale(
            &egui::ColorImage::new([3, 2], vec![Color32::GREEN; 6]),
            MAX_PAGE_WIDTH,
        )
        .unwrap();
        assert_eq!((frame.width, frame.height), (3, 2));
        assert_eq!(&pixels(&frame)[..4], &[0, 255, 0, 255]);
    }
}
