//! Opens the wizard window directly (`cargo run --example wizard -- --demo [--presenter]`), for
//! trying the UI before the command line launches it.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = hello_bootstrap::ui::AppOptions {
        demo: args.iter().any(|a| a == "--demo"),
        presenter: args.iter().any(|a| a == "--presenter"),
        connector: hello_bootstrap::compose::default_connector(),
        ..Default::default()
    };
    std::process::exit(hello_bootstrap::ui::run_app(options));
}
