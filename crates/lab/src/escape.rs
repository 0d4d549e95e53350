//! Text from outside (a CSV cell, a UPN someone typed, a VM name, Graph's messages) made safe to
//! show and to hand to a spreadsheet: control characters could move the cursor or recolour a
//! terminal, bidirectional controls make `moc.osotnoc@` read as `@contoso.com` (the "Trojan
//! Source" trick), and a cell starting with `=`, `+`, `-` or `@` runs as a formula.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal or a label as itself: C0 and C1 controls and DEL,
/// the bidirectional embedding, override and isolate controls and marks, and invisible
/// zero-width characters (which hide text inside a name).
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{061C}'
                | '\u{FEFF}'
        )
}

/// `text` with every [`is_hostile`] character shown as `\u{…}`, for one line of terminal or GUI
/// output. Tabs and newlines are escaped too: a value from outside never starts a line of its
/// own. (Backslashes stay as they are, so Windows paths read as paths.)
pub fn for_display(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`for_display`] for our own multi-line messages with values from outside inside them: their
/// line breaks stay, everything else hostile is escaped.
pub fn for_display_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let hostile = |c: char| is_hostile(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hostile(c) {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`for_display`], cut to `max` characters with an ellipsis, for a value that may be 10 kB.
pub fn for_display_short(text: &str, max: usize) -> String {
    let shown = for_display(text);
    match shown.char_indices().nth(max) {
        Some((at, _)) => format!("{}… ({} characters)", &shown[..at], text.chars().count()),
        None => shown.into_owned(),
    }
}

/// A cell for a CSV (or a tab-separated line people paste into a spreadsheet): one starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which spreadsheets
/// show as text instead of running it (OWASP's advice for CSV injection).
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_characters_are_shown_escaped() {
        assert_eq!(for_display("adele@contoso.com"), "adele@contoso.com");
        assert_eq!(
            for_display("evil\u{202E}moc.osotnoc@"),
            "evil\\u{202e}moc.osotnoc@"
        );
        assert_eq!(for_display("a\u{1b}[31mred"), "a\\u{001b}[31mred");
        assert_eq!(for_display("two\nlines\0"), "two\\u{000a}lines\\u{0000}");
        assert_eq!(for_display("zero\u{200B}width"), "zero\\u{200b}width");
        assert_eq!(for_display("c1\u{9b}"), "c1\\u{009b}");
        assert_eq!(for_display(r"C:\ISO\win11.iso"), r"C:\ISO\win11.iso");
        assert_eq!(for_display_lines("one\ntwo\u{202E}"), "one\ntwo\\u{202e}");
        assert_eq!(
            for_display("Zoë 名前 $(x) `y`; 'z'"),
            "Zoë 名前 $(x) `y`; 'z'"
        );
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = "x".repeat(10_000);
        let shown = for_display_short(&long, 40);
        assert!(shown.starts_with(&"x".repeat(40)) && shown.ends_with("(10000 characters)"));
        assert_eq!(for_display_short("short", 40), "short");
    }

    #[test]
    fn formula_prefixes_are_neutralised() {
        for bad in ["=HYPERLINK(\"x\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_cell("adele@contoso.com"), "adele@contoso.com");
        assert_eq!(csv_cell(""), "");
    }
}
