//! The command line (filled in by the foundation issue).

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    0
}
