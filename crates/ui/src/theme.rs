//! Design tokens: every colour, size and radius the wizard uses, defined once and applied to both
//! the light and the dark theme. Widgets read [`Tokens`]; pages never pick colours themselves.

use egui::{Color32, CornerRadius, FontFamily, FontId, Id, Stroke, TextStyle, Theme};

/// The colours of one kind of message (success, info, warning, error).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tone {
    pub fill: Color32,
    pub stroke: Color32,
    pub text: Color32,
    pub icon: Color32,
}

/// The design tokens of one theme.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tokens {
    pub success: Tone,
    pub info: Tone,
    pub warning: Tone,
    pub error: Tone,
    /// Primary buttons, selection, the current step.
    pub accent: Color32,
    pub on_accent: Color32,
    /// Secondary text (hints, timestamps).
    pub muted: Color32,
    /// Card backgrounds and their border.
    pub card_fill: Color32,
    pub card_stroke: Color32,
    /// Background of code blocks (JSON, requests, PowerShell).
    pub code_fill: Color32,
    /// The DEMO badge.
    pub badge_fill: Color32,
    pub badge_text: Color32,
    pub radius: CornerRadius,
    pub space_s: f32,
    pub space_m: f32,
    pub space_l: f32,
    pub icon_size: f32,
}

/// Text style of the TAP shown large and readable.
pub const TAP_STYLE: &str = "tap";
/// Text style of page titles.
pub const TITLE_STYLE: &str = "title";

const PRESENTER_KEY: &str = "hello_bootstrap_presenter";
const SCALE_KEY: &str = "hello_bootstrap_text_scale";

impl Tokens {
    /// The tokens of a theme; presenter mode raises contrast.
    pub fn for_theme(theme: Theme, presenter: bool) -> Tokens {
        let dark = theme == Theme::Dark;
        let pick = |light: Color32, dark_c: Color32| if dark { dark_c } else { light };
        let tone =
            |base: Color32, light_fill: Color32, dark_fill: Color32, light_text: Color32| Tone {
                fill: pick(light_fill, dark_fill),
                stroke: base,
                text: pick(
                    light_text,
                    if presenter {
                        Color32::WHITE
                    } else {
                        Color32::from_gray(235)
                    },
                ),
                icon: base,
            };
        Tokens {
            success: tone(
                pick(
                    Color32::from_rgb(22, 130, 60),
                    Color32::from_rgb(74, 201, 120),
                ),
                Color32::from_rgb(232, 247, 237),
                Color32::from_rgb(18, 48, 30),
                Color32::from_rgb(14, 60, 32),
            ),
            info: tone(
                pick(
                    Color32::from_rgb(30, 100, 210),
                    Color32::from_rgb(100, 165, 250),
                ),
                Color32::from_rgb(232, 241, 253),
                Color32::from_rgb(20, 36, 62),
                Color32::from_rgb(18, 45, 95),
            ),
            warning: tone(
                pick(
                    Color32::from_rgb(170, 105, 0),
                    Color32::from_rgb(240, 180, 60),
                ),
                Color32::from_rgb(253, 245, 226),
                Color32::from_rgb(58, 42, 12),
                Color32::from_rgb(90, 55, 0),
            ),
            error: tone(
                pick(
                    Color32::from_rgb(200, 40, 40),
                    Color32::from_rgb(250, 110, 100),
                ),
                Color32::from_rgb(253, 236, 236),
                Color32::from_rgb(66, 24, 24),
                Color32::from_rgb(110, 20, 20),
            ),
            accent: pick(
                Color32::from_rgb(37, 99, 235),
                Color32::from_rgb(59, 130, 246),
            ),
            on_accent: Color32::WHITE,
            muted: if presenter {
                pick(Color32::from_gray(40), Color32::from_gray(220))
            } else {
                pick(Color32::from_gray(95), Color32::from_gray(165))
            },
            card_fill: pick(Color32::WHITE, Color32::from_gray(32)),
            card_stroke: pick(Color32::from_gray(218), Color32::from_gray(60)),
            code_fill: pick(Color32::from_gray(240), Color32::from_gray(14)),
            badge_fill: pick(
                Color32::from_rgb(124, 58, 237),
                Color32::from_rgb(139, 92, 246),
            ),
            badge_text: Color32::WHITE,
            radius: CornerRadius::same(8),
            space_s: 4.0,
            space_m: 10.0,
            space_l: 18.0,
            icon_size: 18.0,
        }
    }

    /// The tokens for the theme and mode a `Ui` is drawn in; icons grow with presenter text.
    pub fn of(ctx: &egui::Context) -> Tokens {
        let mut tokens = Tokens::for_theme(ctx.theme(), is_presenter(ctx));
        tokens.icon_size *= text_scale(ctx);
        tokens
    }
}

/// The text scale [`apply_style_scaled`] last applied.
pub fn text_scale(ctx: &egui::Context) -> f32 {
    ctx.data(|d| d.get_temp::<f32>(Id::unique(SCALE_KEY)))
        .unwrap_or(1.0)
}

/// Whether presenter mode (large text, high contrast) is on.
pub fn is_presenter(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp::<bool>(Id::unique(PRESENTER_KEY)))
        .unwrap_or(false)
}

/// Applies the tokens to both themes; presenter mode scales text up and raises contrast.
/// Tests call it; the app calls [`apply_style_scaled`] with the scale its window calls for.
pub fn apply_style(ctx: &egui::Context, presenter: bool) {
    apply_style_scaled(ctx, presenter, if presenter { 1.35 } else { 1.0 });
}

/// [`apply_style`] with text `scale`d (presenter mode grows text with the window).
pub fn apply_style_scaled(ctx: &egui::Context, presenter: bool, scale: f32) {
    ctx.data_mut(|d| {
        d.insert_temp(Id::unique(PRESENTER_KEY), presenter);
        d.insert_temp(Id::unique(SCALE_KEY), scale);
    });
    for theme in [Theme::Light, Theme::Dark] {
        let tokens = Tokens::for_theme(theme, presenter);
        let mut style = egui::Style {
            visuals: match theme {
                Theme::Dark => egui::Visuals::dark(),
                Theme::Light => egui::Visuals::light(),
            },
            ..egui::Style::default()
        };
        style.text_styles = [
            (
                TextStyle::Small,
                FontId::new(12.0 * scale, FontFamily::Proportional),
            ),
            (
                TextStyle::Body,
                FontId::new(15.0 * scale, FontFamily::Proportional),
            ),
            (
                TextStyle::Button,
                FontId::new(15.0 * scale, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(13.0 * scale, FontFamily::Monospace),
            ),
            (
                TextStyle::Heading,
                FontId::new(20.0 * scale, FontFamily::Proportional),
            ),
            (
                TextStyle::Name(TITLE_STYLE.into()),
                FontId::new(26.0 * scale, FontFamily::Proportional),
            ),
            (
                TextStyle::Name(TAP_STYLE.into()),
                FontId::new(40.0 * scale, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 8.0);
        style.spacing.button_padding = egui::vec2(12.0, 6.0);
        style.spacing.interact_size.y = 28.0 * scale;
        let v = &mut style.visuals;
        v.selection.bg_fill = tokens.accent;
        v.selection.stroke = Stroke::new(1.0, tokens.on_accent);
        v.hyperlink_color = tokens.info.stroke;
        v.window_corner_radius = tokens.radius;
        v.menu_corner_radius = tokens.radius;
        for w in [
            &mut v.widgets.inactive,
            &mut v.widgets.hovered,
            &mut v.widgets.active,
            &mut v.widgets.open,
            &mut v.widgets.noninteractive,
        ] {
            w.corner_radius = CornerRadius::same(6);
        }
        v.widgets.noninteractive.fg_stroke.color = match theme {
            Theme::Dark => Color32::from_gray(225),
            Theme::Light => Color32::from_gray(25),
        };
        v.widgets.inactive.fg_stroke.color = match theme {
            Theme::Dark => Color32::from_gray(235),
            Theme::Light => Color32::from_gray(15),
        };
        if theme == Theme::Light {
            v.panel_fill = Color32::from_gray(246);
            v.window_fill = Color32::from_gray(250);
            v.faint_bg_color = Color32::from_gray(238);
        }
        if presenter {
            v.override_text_color = Some(match theme {
                Theme::Dark => Color32::WHITE,
                Theme::Light => Color32::BLACK,
            });
            if theme == Theme::Dark {
                v.panel_fill = Color32::BLACK;
            } else {
                v.panel_fill = Color32::WHITE;
            }
        }
        ctx.set_style_of(theme, style);
    }
}
