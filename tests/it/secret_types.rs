//! The audit of where secrets live, as a test: in every crate of ours that handles tokens, TAPs
//! or sign-in codes (not the emulator, which plays Microsoft), a type that derives `Debug` and has
//! a field named like a secret (`…token…`, `…secret…`, `password`, `verifier`, `refresh…`,
//! `tap`, `code`, …) must hold it in a redacting type (`Secret`, `WireSecret`, or one of oauth2's
//! secret types, whose `Debug` prints `[redacted]`), not as text. A new `access_token: String`
//! next to `#[derive(Debug)]` fails here. The few text fields that match the names and are not
//! secrets are listed with the reason; a listed one that no longer exists fails too, so the list
//! cannot rot.

use std::path::{Path, PathBuf};

/// Where our secrets travel.
const ROOTS: &[&str] = &[
    "crates/auth/src",
    "crates/graph/src",
    "crates/helpdesk/src",
    "crates/lab/src",
    "crates/steps/src",
    "crates/host/src",
    "crates/report/src",
    "crates/ui/src",
    "src",
];

/// Types whose `Debug` never shows the value.
const REDACTING: &[&str] = &[
    "Secret",
    "WireSecret",
    "AccessToken",
    "RefreshToken",
    "PkceCodeVerifier",
    "DeviceCode",
    "AuthorizationCode",
    "ClientSecret",
];

/// Text fields whose names look secret but whose values are not: (file, field, why).
const NOT_SECRETS: &[(&str, &str, &str)] = &[
    (
        "crates/auth/src/device.rs",
        "user_code",
        "the device code flow's user code is made to be shown and typed (RFC 8628 3.3); the device code stays in oauth2's redacting DeviceCode",
    ),
    (
        "crates/lab/src/session/connect.rs",
        "user_code",
        "the same user code, carried to the Welcome page that shows it (RFC 8628 3.3)",
    ),
    (
        "crates/graph/src/error.rs",
        "code",
        "a Graph error code such as Request_ResourceNotFound",
    ),
    (
        "crates/host/src/emulated/cloud.rs",
        "code",
        "the OOBE refusal's reason, such as InvalidTap",
    ),
];

fn is_secret_name(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "token",
        "tokens",
        "secret",
        "password",
        "verifier",
        "refresh",
        "tap",
        "passcode",
        "assertion",
        "code",
    ];
    name.split('_').any(|part| WORDS.contains(&part))
}

fn is_text(ty: &str) -> bool {
    ty.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|word| matches!(word, "String" | "str" | "Value" | "Cow" | "u8"))
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(line, field, type)` of each named field inside an item that derives `Debug`.
fn debug_fields(source: &str) -> Vec<(usize, String, String)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        let derives_debug = line.starts_with("#[derive(")
            && line
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "Debug");
        if !derives_debug {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len() && !(lines[j].contains("struct ") || lines[j].contains("enum ")) {
            j += 1;
        }
        if j >= lines.len() || !lines[j].contains('{') {
            i = j + 1;
            continue;
        }
        let mut depth = brace_delta(lines[j]);
        let mut k = j + 1;
        while k < lines.len() && depth > 0 {
            let text = lines[k].trim();
            if !text.starts_with("//") && !text.starts_with('#') {
                let text = text.strip_prefix("pub(crate) ").unwrap_or(text);
                let text = text.strip_prefix("pub(super) ").unwrap_or(text);
                let text = text.strip_prefix("pub ").unwrap_or(text);
                if let Some((name, ty)) = text.split_once(':')
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    found.push((k + 1, name.to_string(), ty.trim().to_string()));
                }
            }
            depth += brace_delta(lines[k]);
            k += 1;
        }
        i = k;
    }
    found
}

fn brace_delta(line: &str) -> i32 {
    line.matches('{').count() as i32 - line.matches('}').count() as i32
}

#[test]
fn no_type_that_derives_debug_holds_a_secret_as_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ROOTS {
        rs_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "the sources were not found: {files:?}");
    let mut clear = Vec::new();
    let mut exempt_seen = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let source = std::fs::read_to_string(file).unwrap();
        for (line, name, ty) in debug_fields(&source) {
            if !is_secret_name(&name) || REDACTING.iter().any(|r| ty.contains(r)) || !is_text(&ty) {
                continue;
            }
            if NOT_SECRETS.iter().any(|(f, n, _)| *f == rel && *n == name) {
                exempt_seen.push((rel.clone(), name));
                continue;
            }
            clear.push(format!("{rel}:{line}: {name}: {ty}"));
        }
    }
    assert!(
        clear.is_empty(),
        "secrets held as text in a type that derives Debug (use hb_lab::Secret, or WireSecret on a wire form):\n{}",
        clear.join("\n")
    );
    for (file, name, why) in NOT_SECRETS {
        assert!(
            exempt_seen.iter().any(|(f, n)| f == file && n == name),
            "{file}: no field {name} any more ({why}); drop it from NOT_SECRETS"
        );
    }
}

#[test]
fn the_audit_catches_a_token_held_as_text() {
    let source = "#[derive(Clone, Debug)]\npub struct Grant {\n    /// doc\n    pub access_token: String,\n    pub refresh_token: Option<Secret>,\n    pub expires_in: u64,\n}\n";
    let fields = debug_fields(source);
    let flagged: Vec<_> = fields
        .iter()
        .filter(|(_, n, t)| {
            is_secret_name(n) && !REDACTING.iter().any(|r| t.contains(r)) && is_text(t)
        })
        .collect();
    assert_eq!(flagged.len(), 1, "{fields:?}");
    assert_eq!(flagged[0].1, "access_token");
    assert_eq!(flagged[0].0, 4);
}
