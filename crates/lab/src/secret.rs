//! A wrapper for values that must never be logged, printed by `Debug`, or written to disk.

use std::fmt;
use zeroize::Zeroize;

/// A secret string (a TAP, a token). `Debug` and `Display` print `[redacted]`; it has no
/// `Serialize`, so it cannot end up in the session file or a report by accident; its memory is
/// wiped on drop. Read it only with [`Secret::expose`] at the one place that must show or send it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call sites are the audit trail of where secrets go.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A form safe for screens and logs: the length, never the characters.
    pub fn masked(&self) -> String {
        "•".repeat(self.0.chars().count().clamp(4, 16))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_formats_its_value() {
        let s = Secret::new("Tap!Secret#123");
        assert!(!format!("{s:?}").contains("Tap!Secret"));
        assert!(!format!("{s}").contains("Tap!Secret"));
        assert!(!s.masked().contains('T'));
        assert_eq!(s.expose(), "Tap!Secret#123");
    }
}
