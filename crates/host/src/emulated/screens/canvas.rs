//! Drawing primitives for the emulated console: filled and rounded rectangles, gradients, logos,
//! the OOBE card, buttons and text blended over opaque pixels.

use super::{ACCENT, BACKDROP, CARD, HEIGHT, MUTED, WHITE, WIDTH};
use crate::ScreenImage;
use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

pub(super) struct Canvas {
    pixmap: Pixmap,
    font: FontRef<'static>,
}

impl Canvas {
    pub(super) fn new() -> Canvas {
        Canvas {
            pixmap: Pixmap::new(WIDTH, HEIGHT).expect("a 640x480 pixmap fits in memory"),
            font: FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT)
                .expect("egui's bundled Ubuntu Light font parses"),
        }
    }

    fn paint(color: [u8; 3]) -> Paint<'static> {
        let mut paint = Paint::default();
        paint.set_color_rgba8(color[0], color[1], color[2], 255);
        paint.anti_alias = true;
        paint
    }

    pub(super) fn fill(&mut self, color: [u8; 3]) {
        self.pixmap
            .fill(Color::from_rgba8(color[0], color[1], color[2], 255));
    }

    pub(super) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: [u8; 3]) {
        if let Some(r) = Rect::from_xywh(x, y, w, h) {
            self.pixmap
                .fill_rect(r, &Self::paint(color), Transform::identity(), None);
        }
    }

    fn rounded(&mut self, x: f32, y: f32, w: f32, h: f32, r: f32, color: [u8; 3]) {
        let mut pb = PathBuilder::new();
        pb.move_to(x + r, y);
        pb.line_to(x + w - r, y);
        pb.quad_to(x + w, y, x + w, y + r);
        pb.line_to(x + w, y + h - r);
        pb.quad_to(x + w, y + h, x + w - r, y + h);
        pb.line_to(x + r, y + h);
        pb.quad_to(x, y + h, x, y + h - r);
        pb.line_to(x, y + r);
        pb.quad_to(x, y, x + r, y);
        pb.close();
        if let Some(path) = pb.finish() {
            self.pixmap.fill_path(
                &path,
                &Self::paint(color),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }

    pub(super) fn vertical_gradient(&mut self, top: [u8; 3], bottom: [u8; 3]) {
        for y in 0..HEIGHT {
            let t = y as f32 / (HEIGHT - 1) as f32;
            let mix = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
            self.rect(
                0.0,
                y as f32,
                WIDTH as f32,
                1.0,
                [
                    mix(top[0], bottom[0]),
                    mix(top[1], bottom[1]),
                    mix(top[2], bottom[2]),
                ],
            );
        }
    }

    pub(super) fn oobe_card(&mut self) {
        self.vertical_gradient(BACKDROP, [0x1c, 0x5d, 0xa3]);
        self.rounded(60.0, 70.0, 520.0, 320.0, 10.0, CARD);
    }

    pub(super) fn windows_logo(&mut self, x: f32, y: f32, size: f32) {
        let gap = size / 16.0;
        let half = (size - gap) / 2.0;
        let blue = [0x00, 0x78, 0xd4];
        for (dx, dy) in [
            (0.0, 0.0),
            (half + gap, 0.0),
            (0.0, half + gap),
            (half + gap, half + gap),
        ] {
            self.rect(x + dx, y + dy, half, half, blue);
        }
    }

    pub(super) fn microsoft_logo(&mut self, x: f32, y: f32) {
        let s = 9.0;
        self.rect(x, y, s, s, [0xf2, 0x50, 0x22]);
        self.rect(x + s + 1.0, y, s, s, [0x7f, 0xba, 0x00]);
        self.rect(x, y + s + 1.0, s, s, [0x00, 0xa4, 0xef]);
        self.rect(x + s + 1.0, y + s + 1.0, s, s, [0xff, 0xb9, 0x00]);
        self.text("Microsoft", x + 2.0 * s + 8.0, y + 15.0, 14.0, MUTED);
    }

    pub(super) fn spinner(&mut self, cx: f32, cy: f32, color: [u8; 3]) {
        for i in 0..5 {
            let angle = std::f32::consts::PI * (0.9 + 0.25 * i as f32);
            let (x, y) = (cx + 18.0 * angle.cos(), cy + 18.0 * angle.sin());
            self.rounded(x - 2.5, y - 2.5, 5.0, 5.0, 2.5, color);
        }
    }

    pub(super) fn input_box(&mut self, x: f32, y: f32, placeholder: &str, color: [u8; 3]) {
        self.rect(x, y, 380.0, 32.0, WHITE);
        self.rect(x, y + 30.0, 380.0, 2.0, ACCENT);
        self.text(placeholder, x + 8.0, y + 21.0, 13.0, color);
    }

    pub(super) fn button(&mut self, x: f32, y: f32, label: &str) {
        self.rounded(x, y, 100.0, 32.0, 4.0, ACCENT);
        let w = self.text_width(label, 14.0);
        self.text(label, x + (100.0 - w) / 2.0, y + 21.0, 14.0, WHITE);
    }

    fn text_width(&self, text: &str, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        text.chars()
            .map(|c| scaled.h_advance(scaled.glyph_id(c)))
            .sum()
    }

    pub(super) fn text_centered(&mut self, text: &str, baseline: f32, size: f32, color: [u8; 3]) {
        let w = self.text_width(text, size);
        self.text(text, (WIDTH as f32 - w) / 2.0, baseline, size, color);
    }

    /// Draws text with its baseline at `baseline`, blending glyph coverage over opaque pixels.
    pub(super) fn text(&mut self, text: &str, x: f32, baseline: f32, size: f32, color: [u8; 3]) {
        let scale = PxScale::from(size);
        let scaled = self.font.as_scaled(scale);
        let mut caret = x;
        let mut previous = None;
        let (w, h) = (WIDTH as i32, HEIGHT as i32);
        let data = self.pixmap.data_mut();
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                caret += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, point(caret, baseline));
            caret += scaled.h_advance(id);
            previous = Some(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i32 + gx as i32;
                let py = bounds.min.y as i32 + gy as i32;
                if px < 0 || py < 0 || px >= w || py >= h {
                    return;
                }
                let i = (py as usize * WIDTH as usize + px as usize) * 4;
                let a = coverage.clamp(0.0, 1.0);
                for (k, channel) in color.iter().enumerate() {
                    let under = data[i + k] as f32;
                    data[i + k] = (under + (*channel as f32 - under) * a).round() as u8;
                }
            });
        }
    }

    pub(super) fn finish(self) -> ScreenImage {
        ScreenImage {
            width: WIDTH,
            height: HEIGHT,
            // Every pixel we draw is opaque, so premultiplied equals straight RGBA.
            pixels: self.pixmap.take(),
        }
    }
}
