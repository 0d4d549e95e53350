fn main() {
    std::process::exit(hello_bootstrap::cli::main());
}
