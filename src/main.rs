// `hello-bootstrap.exe`: the command line, a console-subsystem program on Windows, so cmd and
// PowerShell wait for it, its output never interleaves with the prompt, and `%ERRORLEVEL%` /
// `$LASTEXITCODE` hold its exit code. Without a subcommand it opens the wizard too; the Start
// menu shortcut starts `hello-bootstrap-wizard.exe` (src/bin/), a launcher with no console
// window that starts this program to show the wizard.

fn main() {
    std::process::exit(hello_bootstrap::cli::main());
}
