//! The emulated VM's console, drawn by us (tiny-skia shapes, ab_glyph text in the Ubuntu font egui
//! ships): boot, the OOBE pages of a work-or-school setup, the error page, PIN setup, the desktop.

mod canvas;

use super::TypedField;
use crate::{GuestPage, ScreenImage};
use canvas::Canvas;

/// Console width of the emulated VM (the thumbnail size the real host requests).
pub const WIDTH: u32 = 640;
/// Console height of the emulated VM.
pub const HEIGHT: u32 = 480;

const BACKDROP: [u8; 3] = [0x0b, 0x3a, 0x6e];
const CARD: [u8; 3] = [0xf3, 0xf3, 0xf3];
const INK: [u8; 3] = [0x1b, 0x1b, 0x1b];
const MUTED: [u8; 3] = [0x5c, 0x5c, 0x5c];
const ACCENT: [u8; 3] = [0x00, 0x5f, 0xb8];
const ERROR: [u8; 3] = [0xc4, 0x2b, 0x1c];
const WHITE: [u8; 3] = [0xff, 0xff, 0xff];

/// Draws a page of the emulated console with nothing typed in its field.
pub fn render(page: &GuestPage) -> ScreenImage {
    render_typed(page, TypedField::Empty)
}

/// Draws a page of the emulated console with what was typed into its field since the last
/// Enter: the account as typed, a pass as dots (the screen goes to the wizard and the report).
pub fn render_typed(page: &GuestPage, typed: TypedField) -> ScreenImage {
    let mut c = Canvas::new();
    let field = |placeholder: &str| match &typed {
        TypedField::Empty => (placeholder.to_string(), MUTED),
        TypedField::Plain(text) => (text.clone(), INK),
        TypedField::Masked(n) => ("\u{2022}".repeat(*n), INK),
    };
    match page {
        GuestPage::Off => {
            c.fill([0, 0, 0]);
            c.text_centered(page.title(), 240.0, 18.0, WHITE);
            c.text_centered(
                "To start the virtual machine, select Start.",
                266.0,
                13.0,
                [0xb0; 3],
            );
        }
        GuestPage::Boot => {
            c.fill([0, 0, 0]);
            c.windows_logo(290.0, 170.0, 60.0);
            c.spinner(320.0, 320.0, WHITE);
        }
        GuestPage::Setup => {
            c.fill([0x00, 0x3c, 0x78]);
            c.text_centered(page.title(), 220.0, 20.0, WHITE);
            c.text_centered(
                "Windows Setup is answered by autounattend.xml on the second DVD.",
                252.0,
                13.0,
                [0xd0; 3],
            );
            c.spinner(320.0, 320.0, WHITE);
        }
        GuestPage::NoBootDevice => {
            c.fill([0, 0, 0]);
            c.text_centered(page.title(), 220.0, 16.0, WHITE);
            c.text_centered(
                "Nobody pressed a key at \"Press any key to boot from CD or DVD\".",
                250.0,
                13.0,
                [0xb0; 3],
            );
        }
        GuestPage::Oobe => {
            c.oobe_card();
            c.text(page.title(), 90.0, 130.0, 22.0, INK);
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
        GuestPage::SignIn => {
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
            let (text, color) = field("someone@example.com");
            c.input_box(90.0, 245.0, &text, color);
            c.button(450.0, 330.0, "Next");
        }
        GuestPage::Tap { upn } => {
            c.oobe_card();
            c.microsoft_logo(90.0, 110.0);
            c.text(upn, 90.0, 160.0, 13.0, MUTED);
            c.text(page.title(), 90.0, 200.0, 22.0, INK);
            let (text, color) = field("Temporary Access Pass");
            c.input_box(90.0, 225.0, &text, color);
            c.button(450.0, 330.0, "Sign in");
        }
        GuestPage::SignInError { upn, message } => {
            c.oobe_card();
            c.microsoft_logo(90.0, 110.0);
            c.text(upn, 90.0, 160.0, 13.0, MUTED);
            c.text(page.title(), 90.0, 200.0, 22.0, INK);
            let mut y = 235.0;
            for line in wrap(message, 62).iter().take(4) {
                c.text(line, 90.0, y, 13.0, ERROR);
                y += 20.0;
            }
            c.button(450.0, 330.0, "Try again");
        }
        GuestPage::PinSetup { upn } => {
            c.oobe_card();
            c.text(page.title(), 90.0, 140.0, 22.0, INK);
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
        GuestPage::Desktop { upn } => {
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
            GuestPage::Off,
            GuestPage::Boot,
            GuestPage::Oobe,
            GuestPage::SignIn,
            GuestPage::Tap {
                upn: "a@b.c".into(),
            },
            GuestPage::SignInError {
                upn: "a@b.c".into(),
                message: "That code is wrong".into(),
            },
            GuestPage::PinSetup {
                upn: "a@b.c".into(),
            },
            GuestPage::Desktop {
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
        let img = render(&GuestPage::SignInError {
            upn: "a@b.c".into(),
            message: "The Temporary Access Pass is wrong".into(),
        });
        let no_message = render(&GuestPage::SignInError {
            upn: "a@b.c".into(),
            message: String::new(),
        });
        assert!(reddish(&img) > reddish(&no_message) + 100);
        // The card is light, the backdrop blue.
        assert_eq!(img.pixel(320, 380).map(|p| [p[0], p[1], p[2]]), Some(CARD));
        assert_eq!(img.pixel(5, 0).map(|p| [p[0], p[1], p[2]]), Some(BACKDROP));
    }

    #[test]
    fn the_typed_account_shows_and_a_typed_pass_shows_as_dots_only() {
        let sign_in = GuestPage::SignIn;
        let empty = render(&sign_in);
        let typed = render_typed(&sign_in, TypedField::Plain("adele@contoso.example".into()));
        assert_ne!(empty.pixels, typed.pixels, "the typed account is drawn");
        let tap = GuestPage::Tap {
            upn: "a@b.c".into(),
        };
        let dots = render_typed(&tap, TypedField::Masked(12));
        assert_ne!(render(&tap).pixels, dots.pixels, "the dots are drawn");
        assert_ne!(
            dots.pixels,
            render_typed(&tap, TypedField::Masked(4)).pixels
        );
    }

    #[test]
    fn long_messages_wrap_at_spaces() {
        let lines = wrap("one two three four five six", 9);
        assert_eq!(lines, vec!["one two", "three", "four five", "six"]);
    }
}
