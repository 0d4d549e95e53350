//! A blank eframe window with the wizard's eframe features, renderer and window size: the
//! baseline of the start-up and memory figures of `cargo bench --bench lab`. It reports its first
//! painted frame the way the wizard does (`HB_FIRST_FRAME`).

use hello_bootstrap::ui::first_frame::FirstFrameProbe;

struct Blank(FirstFrameProbe);

impl eframe::App for Blank {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.0.tick(ctx);
    }

    fn ui(&mut self, _ui: &mut egui::Ui, _frame: &mut eframe::Frame) {}
}

fn main() {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Blank")
            .with_inner_size([1180.0, 780.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    let result = eframe::run_native(
        "Blank",
        native,
        Box::new(|_cc| Ok(Box::new(Blank(FirstFrameProbe::default())) as Box<dyn eframe::App>)),
    );
    std::process::exit(i32::from(result.is_err()));
}
