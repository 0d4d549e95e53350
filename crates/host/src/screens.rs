//! The emulated VM's console, drawn by us (tiny-skia shapes, ab_glyph text in the Ubuntu font egui
//! ships): boot, the OOBE pages of a work-or-school setup, the error page, PIN setup, the desktop.

use super::ScreenImage;
use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use serde::{Deserialize, Serialize};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

/// Console width of the emulated VM (the thumbnail size the real host requests).
pub const WIDTH: u32 = 640;
/// Console height of the emulated VM.
pub const HEIGHT: u32 = 480;

/// What the emulated VM's console shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum Screen {
    /// The VM is off: Virtual Machine Connection's black panel.
    Off,
    /// Firmware and Windows boot: the logo and the spinner.
    Boot,
    /// OOBE has started: "Let's set things up for your work or school", getting ready.
    Oobe,
    /// The OOBE sign-in page asking for the work or school email.
    SignIn,
    /// "Enter Temporary Access Pass" for the typed account.
    Tap { upn: String },
    /// The sign-in failed; the message is the cloud's.
    SignInError { upn: String, message: String },
    /// "Set up a PIN" (Windows Hello for Business provisioning).
    PinSetup { upn: String },
    /// Signed in: the Windows desktop.
    Desktop { upn: String },
}

impl Screen {
    /// The page's main text, as a person would describe the screen.
    pub fn title(&self) -> &'static str {
        match self {
            Screen::Off => "The virtual machine is turned off",
            Screen::Boot => "Starting Windows",
            Screen::Oobe => "Let's set things up for your work or school",
            Screen::SignIn => "Sign in with your work or school account",
            Screen::Tap { .. } => "Enter Temporary Access Pass",
            Screen::SignInError { .. } => "Something went wrong",
            Screen::PinSetup { .. } => "Set up a PIN",
            Screen::Desktop { .. } => "Windows desktop",
        }
    }

    /// Whether Windows is still in OOBE, waiting for someone to sign in.
    pub fn is_oobe(&self) -> bool {
        matches!(
            self,
            Screen::Oobe | Screen::SignIn | Screen::Tap { .. } | Screen::SignInError { .. }
        )
    }
}

const BACKDROP: [u8; 3] = [0x0b, 0x3a, 0x6e];
const CARD: [u8; 3] = [0xf3, 0xf3, 0xf3];
const INK: [u8; 3] = [0x1b, 0x1b, 0x1b];
const MUTED: [u8; 3] = [0x5c, 0x5c, 0x5c];
const ACCENT: [u8; 3] = [0x00, 0x5f, 0xb8];
const ERROR: [u8; 3] = [0xc4, 0x2b, 0x1c];
const WHITE: [u8; 3] = [0xff, 0xff, 0xff];

/// Draws a screen.
pub fn render(screen: &Screen) -> ScreenImage {
    let mut c = Canvas::new();
    match screen {
        Screen::Off => {
            c.fill([0, 0, 0]);
            c.text_centered(screen.title(), 240.0, 18.0, WHITE);
            c.text_centered(
                "To start the virtual machine, select Start.",
                266.0,
                13.0,
                [0xb0; 3],
            );
        }
        Screen::Boot => {
            c.fill([0, 0, 0]);
            c.windows_logo(290.0, 170.0, 60.0);
            c.spinner(320.0, 320.0, WHITE);
        }
        Screen::Oobe => {
            c.oobe_card();
            c.text(screen.title(), 90.0, 130.0, 22.0, INK);
            c.text(
                "You'll use this info to sign in to your devices.",
                90.0,
                160.0,
                13.0,
                MUTED,
            );
            c.text(
                "Just a moment while we get things ready…",
                90.0,
                230.0,
                14.0,
                INK,
            );
            c.spinner(320.0, 300.0, ACCENT);
        }
        Screen::SignIn => {
            c.oobe_card();
            c.text(
                "Let's set things up for your work or school",
                90.0,
                130.0,
                22.0,
                INK,
            );
            c.microsoft_logo(90.0, 170.0);
            c.text("Sign in", 90.0, 225.0, 20.0, INK);
            c.input_box(90.0, 245.0, "someone@example.com", MUTED);
            c.button(450.0, 330.0, "Next");
        }
        Screen::Tap { upn } => {
            c.oobe_card();
            c.microsoft_logo(90.0, 110.0);
            c.text(upn, 90.0, 160.0, 13.0, MUTED);
            c.text(screen.title(), 90.0, 200.0, 22.0, INK);
            c.input_box(90.0, 225.0, "Temporary Access Pass", MUTED);
            c.button(450.0, 330.0, "Sign in");
        }
        Screen::SignInError { upn, message } => {
            c.oobe_card();
            c.microsoft_logo(90.0, 110.0);
            c.text(upn, 90.0, 160.0, 13.0, MUTED);
            c.text(screen.title(), 90.0, 200.0, 22.0, INK);
            let mut y = 235.0;
            for line in wrap(message, 62).iter().take(4) {
                c.text(line, 90.0, y, 13.0, ERROR);
                y += 20.0;
            }
            c.button(450.0, 330.0, "Try again");
        }
        Screen::PinSetup { upn } => {
            c.oobe_card();
            c.text(screen.title(), 90.0, 140.0, 22.0, INK);
            c.text(upn, 90.0, 165.0, 13.0, MUTED);
            c.text(
                "Windows Hello lets you sign in with a PIN instead of a password.",
                90.0,
                210.0,
                13.0,
                INK,
            );
            c.text(
                "Your organization requires Windows Hello for Business.",
                90.0,
                232.0,
                13.0,
                INK,
            );
            c.button(450.0, 330.0, "Next");
        }
        Screen::Desktop { upn } => {
            c.vertical_gradient([0x1e, 0x6f, 0xc8], [0x9f, 0xd1, 0xf5]);
            c.rect(0.0, 448.0, 640.0, 32.0, [0xee, 0xee, 0xee]);
            c.windows_logo(300.0, 454.0, 20.0);
            c.text(upn, 12.0, 24.0, 12.0, WHITE);
        }
    }
    c.finish()
}

/// Splits a message into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

struct Canvas {
    pixmap: Pixmap,
    font: FontRef<'static>,
}

impl Canvas {
    fn new() -> Canvas {
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

    fn fill(&mut self, color: [u8; 3]) {
        self.pixmap
            .fill(Color::from_rgba8(color[0], color[1], color[2], 255));
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: [u8; 3]) {
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

    fn vertical_gradient(&mut self, top: [u8; 3], bottom: [u8; 3]) {
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

    fn oobe_card(&mut self) {
        self.vertical_gradient(BACKDROP, [0x1c, 0x5d, 0xa3]);
        self.rounded(60.0, 70.0, 520.0, 320.0, 10.0, CARD);
    }

    fn windows_logo(&mut self, x: f32, y: f32, size: f32) {
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

    fn microsoft_logo(&mut self, x: f32, y: f32) {
        let s = 9.0;
        self.rect(x, y, s, s, [0xf2, 0x50, 0x22]);
        self.rect(x + s + 1.0, y, s, s, [0x7f, 0xba, 0x00]);
        self.rect(x, y + s + 1.0, s, s, [0x00, 0xa4, 0xef]);
        self.rect(x + s + 1.0, y + s + 1.0, s, s, [0xff, 0xb9, 0x00]);
        self.text("Microsoft", x + 2.0 * s + 8.0, y + 15.0, 14.0, MUTED);
    }

    fn spinner(&mut self, cx: f32, cy: f32, color: [u8; 3]) {
        for i in 0..5 {
            let angle = std::f32::consts::PI * (0.9 + 0.25 * i as f32);
            let (x, y) = (cx + 18.0 * angle.cos(), cy + 18.0 * angle.sin());
            self.rounded(x - 2.5, y - 2.5, 5.0, 5.0, 2.5, color);
        }
    }

    fn input_box(&mut self, x: f32, y: f32, placeholder: &str, color: [u8; 3]) {
        self.rect(x, y, 380.0, 32.0, WHITE);
        self.rect(x, y + 30.0, 380.0, 2.0, ACCENT);
        self.text(placeholder, x + 8.0, y + 21.0, 13.0, color);
    }

    fn button(&mut self, x: f32, y: f32, label: &str) {
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

    fn text_centered(&mut self, text: &str, baseline: f32, size: f32, color: [u8; 3]) {
        let w = self.text_width(text, size);
        self.text(text, (WIDTH as f32 - w) / 2.0, baseline, size, color);
    }

    /// Draws text with its baseline at `baseline`, blending glyph coverage over opaque pixels.
    fn text(&mut self, text: &str, x: f32, baseline: f32, size: f32, color: [u8; 3]) {
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

    fn finish(self) -> ScreenImage {
        ScreenImage {
            width: WIDTH,
            height: HEIGHT,
            // Every pixel we draw is opaque, so premultiplied equals straight RGBA.
            pixels: self.pixmap.take(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels that are clearly red: only the error text (and the logo's red square) are.
    fn reddish(img: &ScreenImage) -> usize {
        img.pixels
            .chunks_exact(4)
            .filter(|p| p[0] > 150 && p[1] < 130 && p[2] < 130)
            .count()
    }

    #[test]
    fn each_screen_is_drawn_differently() {
        let screens = [
            Screen::Off,
            Screen::Boot,
            Screen::Oobe,
            Screen::SignIn,
            Screen::Tap {
                upn: "a@b.c".into(),
            },
            Screen::SignInError {
                upn: "a@b.c".into(),
                message: "That code is wrong".into(),
            },
            Screen::PinSetup {
                upn: "a@b.c".into(),
            },
            Screen::Desktop {
                upn: "a@b.c".into(),
            },
        ];
        let images: Vec<_> = screens.iter().map(render).collect();
        for (i, a) in images.iter().enumerate() {
            assert_eq!((a.width, a.height), (WIDTH, HEIGHT));
            for b in &images[i + 1..] {
                assert_ne!(a.pixels, b.pixels);
            }
        }
    }

    #[test]
    fn text_is_actually_rendered() {
        let img = render(&Screen::SignInError {
            upn: "a@b.c".into(),
            message: "The Temporary Access Pass is wrong".into(),
        });
        let no_message = render(&Screen::SignInError {
            upn: "a@b.c".into(),
            message: String::new(),
        });
        assert!(reddish(&img) > reddish(&no_message) + 100);
        // The card is light, the backdrop blue.
        assert_eq!(img.pixel(320, 380).map(|p| [p[0], p[1], p[2]]), Some(CARD));
        assert_eq!(img.pixel(5, 0).map(|p| [p[0], p[1], p[2]]), Some(BACKDROP));
    }

    #[test]
    fn long_messages_wrap_at_spaces() {
        let lines = wrap("one two three four five six", 9);
        assert_eq!(lines, vec!["one two", "three", "four five", "six"]);
    }
}
