//! The moment the first frame reached the screen, on stderr when `HB_FIRST_FRAME` is set, so the
//! benchmark can time start-up from exec to pixels against a blank eframe window that reports the
//! same way (hb-bench's `blank-window`).

/// The environment variable that turns the report on.
pub const ENV: &str = "HB_FIRST_FRAME";

/// The line printed on stderr (then the milliseconds since the Unix epoch).
pub const MARKER: &str = "hb-first-frame";

/// Counts frames until the first one has been painted: eframe paints and presents a frame after
/// its `ui` returns, so the start of the second frame is the first moment its pixels are shown.
#[derive(Debug, Default)]
pub struct FirstFrameProbe {
    frames: u8,
}

impl FirstFrameProbe {
    /// Call once per frame, from `logic`. Costs nothing once the report is out.
    pub fn tick(&mut self, ctx: &egui::Context) {
        if self.frames >= 2 {
            return;
        }
        self.frames += 1;
        if std::env::var_os(ENV).is_none() {
            self.frames = 2;
            return;
        }
        if self.frames == 1 {
            ctx.request_repaint();
        } else {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            eprintln!("{MARKER} {ms}");
        }
    }
}
