//! Our own icons, embedded SVGs drawn in white so widgets tint them with a token colour.

use egui::{Color32, Image, ImageSource};

/// An embedded SVG icon.
#[derive(Clone, Copy, Debug)]
pub struct Icon {
    uri: &'static str,
    svg: &'static [u8],
}

impl Icon {
    const fn new(uri: &'static str, svg: &'static [u8]) -> Self {
        Icon { uri, svg }
    }

    /// The icon as an image source for egui's SVG loader.
    pub fn source(&self) -> ImageSource<'static> {
        ImageSource::Bytes {
            uri: self.uri.into(),
            bytes: self.svg.into(),
        }
    }

    /// The icon at `size` points, tinted, with a name for screen readers and tests.
    pub fn image(&self, size: f32, tint: Color32, alt: impl Into<String>) -> Image<'static> {
        Image::new(self.source())
            .fit_to_exact_size(egui::vec2(size, size))
            .tint(tint)
            .alt_text(alt)
    }
}

macro_rules! icon {
    ($name:ident, $file:literal) => {
        pub const $name: Icon = Icon::new(
            concat!("bytes://hello-bootstrap/", $file),
            include_bytes!(concat!("../../../assets/icons/", $file)),
        );
    };
}

icon!(SUCCESS, "success.svg");
icon!(ERROR, "error.svg");
icon!(WARNING, "warning.svg");
icon!(INFO, "info.svg");
icon!(PENDING, "pending.svg");
icon!(NEEDS_ACTION, "needs_action.svg");
icon!(NOT_APPLICABLE, "not_applicable.svg");
icon!(RUNNING, "running.svg");
icon!(SUN, "sun.svg");
icon!(MOON, "moon.svg");
icon!(PRESENTER, "presenter.svg");
icon!(COPY, "copy.svg");
icon!(LINK, "link.svg");
icon!(BACK, "back.svg");
icon!(NEXT, "next.svg");
icon!(RESET, "reset.svg");
icon!(KEY, "key.svg");
icon!(EXPORT, "export.svg");

/// The app icon (PNG, for the window and the task bar).
pub const APP_ICON_PNG: &[u8] = include_bytes!("../../../assets/icon.png");
