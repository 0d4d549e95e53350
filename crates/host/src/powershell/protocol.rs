//! How we talk to `powershell.exe`: the fixed command line with the script as `-EncodedCommand`
//! (base64 of UTF-16LE), the input as one JSON document on stdin, and the one-line JSON answer
//! `{ok:true,data}` / `{ok:false,code,error}` on stdout.

use crate::HostError;
use base64::Engine;
use serde_json::Value;

/// The arguments before the encoded script: no logo, no profile, no prompts, no policy surprises.
pub const FIXED_ARGS: [&str; 6] = [
    "-NoLogo",
    "-NoProfile",
    "-NonInteractive",
    "-ExecutionPolicy",
    "Bypass",
    "-EncodedCommand",
];

/// The script as `-EncodedCommand` wants it: base64 of its UTF-16LE bytes.
pub fn encode_command(script: &str) -> String {
    let bytes: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The whole command line after the program name; it depends on the script only.
pub fn command_args(script: &str) -> Vec<String> {
    FIXED_ARGS
        .iter()
        .map(|a| a.to_string())
        .chain(std::iter::once(encode_command(script)))
        .collect()
}

/// The stdin document carrying every untrusted value.
pub fn stdin_payload(input: &Value) -> String {
    // serde_json escapes quotes, control characters and line breaks, so ConvertFrom-Json reads
    // back exactly what we sent.
    input.to_string()
}

/// Turns what the process produced into the script's `data`, or a typed error.
pub fn parse_output(
    stdout: &[u8],
    stderr: &[u8],
    exit_code: Option<i32>,
) -> Result<Value, HostError> {
    let stdout = String::from_utf8_lossy(stdout);
    let stdout = stdout.trim_start_matches('\u{feff}');
    let answer = stdout
        .lines()
        .rev()
        .map(str::trim)
        .filter(|l| l.starts_with('{'))
        .find_map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(|v| v.get("ok").is_some_and(Value::is_boolean))
        });
    let Some(answer) = answer else {
        let stderr = summarise_stderr(stderr);
        if exit_code != Some(0) {
            return Err(classify(
                "Failed",
                if stderr.is_empty() {
                    "PowerShell printed nothing on stderr".to_string()
                } else {
                    stderr
                },
                exit_code,
            ));
        }
        let first = stdout
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("(no output)");
        return Err(HostError::Parse {
            reason: "no JSON answer line {\"ok\":…} on stdout".into(),
            excerpt: first.chars().take(200).collect(),
        });
    };
    if answer["ok"] == Value::Bool(true) {
        return Ok(answer.get("data").cloned().unwrap_or(Value::Null));
    }
    let code = answer["code"].as_str().unwrap_or("Failed");
    let message = answer["error"]
        .as_str()
        .unwrap_or("unknown error")
        .to_string();
    Err(classify(code, message, exit_code))
}

/// Maps the script's failure code (and well-known Windows messages) to a typed error.
fn classify(code: &str, message: String, exit_code: Option<i32>) -> HostError {
    let lower = message.to_ascii_lowercase();
    match code {
        "NotElevated" => HostError::NotElevated,
        "EditionUnsupported" => HostError::EditionUnsupported { edition: message },
        "VmNotFound" => HostError::VmNotFound { name: message },
        "BadInput" => HostError::BadInput(message),
        "CheckpointNotFound" => HostError::CheckpointNotFound {
            vm: String::new(),
            name: message,
        },
        _ if lower.contains("requires elevation")
            || lower.contains("do not have the required permission")
            || lower.contains("access is denied") =>
        {
            HostError::NotElevated
        }
        _ if lower.contains("is not recognized as the name of a cmdlet")
            && lower.contains("-vm") =>
        {
            HostError::PowerShell {
                exit_code,
                message: format!(
                    "{message} (the Hyper-V PowerShell module is missing: enable Hyper-V in step 3 and restart)"
                ),
            }
        }
        _ => HostError::PowerShell { exit_code, message },
    }
}

/// The first meaningful stderr lines, trimmed to a readable size.
fn summarise_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(4)
        .collect();
    let joined = lines.join(" ");
    if joined.chars().count() > 500 {
        joined.chars().take(500).collect::<String>() + "…"
    } else {
        joined
    }
}

/// Accepts a JSON array, or the single object Windows PowerShell 5.1 unwraps one-element arrays
/// into, or null for none.
pub fn one_or_many(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encoded_command_is_utf16le_base64() {
        // "a" in UTF-16LE is 61 00.
        assert_eq!(encode_command("a"), "YQA=");
        let args = command_args(r"Hyper-V\Get-VM");
        assert_eq!(&args[..6], &FIXED_ARGS.map(String::from));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&args[6])
            .unwrap();
        let units: Vec<u16> = decoded
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(String::from_utf16(&units).unwrap(), r"Hyper-V\Get-VM");
    }

    #[test]
    fn answers_map_to_data_or_typed_errors() {
        assert_eq!(
            parse_output(
                b"WARNING: x\r\n{\"ok\":true,\"data\":{\"a\":1}}\r\n",
                b"",
                Some(0)
            )
            .unwrap(),
            json!({"a": 1})
        );
        assert_eq!(
            parse_output(
                br#"{"ok":false,"code":"NotElevated","error":"x"}"#,
                b"",
                Some(1)
            )
            .unwrap_err(),
            HostError::NotElevated
        );
        assert_eq!(
            parse_output(
                br#"{"ok":false,"code":"VmNotFound","error":"Lab"}"#,
                b"",
                Some(1)
            )
            .unwrap_err(),
            HostError::VmNotFound { name: "Lab".into() }
        );
        assert!(matches!(
            parse_output(
                br#"{"ok":false,"code":"Failed","error":"The operation requires elevation."}"#,
                b"",
                Some(1)
            )
            .unwrap_err(),
            HostError::NotElevated
        ));
        assert!(matches!(
            parse_output(br#"{"ok":false,"code":"EditionUnsupported","error":"Windows Home (Core)"}"#, b"", Some(1)).unwrap_err(),
            HostError::EditionUnsupported { edition } if edition.contains("Home")
        ));
        match parse_output(b"", b"line one\n\nline two\n", Some(5)).unwrap_err() {
            HostError::PowerShell { exit_code, message } => {
                assert_eq!(exit_code, Some(5));
                assert_eq!(message, "line one line two");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            parse_output(b"hello\n{not json", b"", Some(0)).unwrap_err(),
            HostError::Parse { excerpt, .. } if excerpt == "hello"
        ));
    }

    #[test]
    fn single_objects_count_as_one_item() {
        assert_eq!(one_or_many(json!({"a":1})).len(), 1);
        assert_eq!(one_or_many(json!([1, 2])).len(), 2);
        assert!(one_or_many(Value::Null).is_empty());
    }
}
