//! How we talk to the PowerShell worker (`hb-worker.ps1`): one fixed command line that starts the
//! shipped script with `-File`, then JSON lines both ways, UTF-8 on both sides. A request carries
//! a fixed script from [`super::scripts`] and, apart from it, the untrusted values as `input`; an
//! answer is `{id,ok:true,data}` or `{id,ok:false,code,error}`.

use crate::HostError;
use serde::Serialize;
use serde_json::Value;
use std::ffi::OsString;
use std::path::Path;

/// The arguments before the worker script's path. `RemoteSigned` runs our unsigned script
/// installed from the MSI (a local file, not one marked as downloaded) without switching
/// script checks off for anything else; a machine policy set by Group Policy still wins.
pub const WORKER_ARGS: [&str; 6] = [
    "-NoLogo",
    "-NoProfile",
    "-NonInteractive",
    "-ExecutionPolicy",
    "RemoteSigned",
    "-File",
];

/// The whole command line after the program name: it depends on where the worker script is only.
pub fn worker_args(worker_script: &Path) -> Vec<OsString> {
    WORKER_ARGS
        .iter()
        .map(OsString::from)
        .chain(std::iter::once(worker_script.as_os_str().to_owned()))
        .collect()
}

/// Which lane of the worker a request runs in. Each lane has one request in flight at most and a
/// runspace of its own, so a ten-minute feature install never holds up the VM screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// The VM console's thumbnail, polled while the VM screen is open.
    Screen,
    /// Read-only questions (state, lists) asked while the person watches.
    Poll,
    /// Everything that changes the host, one after another.
    Change,
}

impl RequestKind {
    /// Every kind, in lane order.
    pub const ALL: [RequestKind; 3] = [RequestKind::Screen, RequestKind::Poll, RequestKind::Change];

    /// The lane's index in [`RequestKind::ALL`].
    pub fn index(self) -> usize {
        match self {
            RequestKind::Screen => 0,
            RequestKind::Poll => 1,
            RequestKind::Change => 2,
        }
    }

    /// Whether a second identical request may join the one in flight instead of running again:
    /// true for read-only lanes, never for changes.
    pub fn joins_in_flight(self) -> bool {
        self != RequestKind::Change
    }
}

/// The first line of the fixed scripts' shared tail: everything from here on reads stdin and
/// wraps the body in the one-shot epilogue, which the worker does for itself.
const STDIN_PROLOGUE: &str = "try {\n  $stdin = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), [System.Text.UTF8Encoding]::new($false))\n  $in = $stdin.ReadToEnd() | ConvertFrom-Json\n  $result = & {\n";
/// Where a fixed script's body ends and its one-shot epilogue begins.
const EPILOGUE: &str = "\n  }\n  $out = [ordered]@{ ok = $true; data = $result }";

/// What the worker runs for one of the fixed scripts: its helper functions, then its body in a
/// scope of its own, without the one-shot stdin reading and `exit`. `None` for text that is not
/// one of [`super::scripts`]' scripts (a unit test walks them all).
pub fn worker_script_text(script: &str) -> Option<String> {
    let (helpers, rest) = script.split_once(STDIN_PROLOGUE)?;
    let (body, _) = rest.rsplit_once(EPILOGUE)?;
    Some(format!("{helpers}& {{\n{body}\n}}\n"))
}

/// One request line.
#[derive(Serialize)]
pub struct Request<'a> {
    pub id: u64,
    pub kind: RequestKind,
    pub script: &'a str,
    /// Last, so the values come after every fixed part of the line.
    pub input: &'a Value,
}

/// Asks the worker to stop the pipeline running request `id`.
#[derive(Serialize)]
pub struct Stop {
    pub id: u64,
    pub stop: bool,
}

/// A line to send: compact JSON (serde_json escapes line breaks, so a value never ends the line
/// early) and a newline.
pub fn line(message: &impl Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(message).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Reads one stdout line of the worker: the request id and its outcome, or `None` for a line
/// that is not an answer (a stray warning).
pub fn parse_answer(line: &str) -> Option<(u64, Result<Value, HostError>)> {
    let line = line.trim_start_matches('\u{feff}').trim();
    if !line.starts_with('{') {
        return None;
    }
    let answer: Value = serde_json::from_str(line).ok()?;
    let id = answer.get("id")?.as_u64()?;
    let ok = answer.get("ok")?.as_bool()?;
    if ok {
        return Some((id, Ok(answer.get("data").cloned().unwrap_or(Value::Null))));
    }
    let code = answer["code"].as_str().unwrap_or("Failed");
    let message = answer["error"]
        .as_str()
        .unwrap_or("unknown error")
        .to_string();
    Some((id, Err(classify(code, message, None))))
}

/// Why the worker process ended before answering, from its exit code and the last stderr lines.
pub fn worker_ended(exit_code: Option<i32>, stderr: &[String]) -> HostError {
    let stderr = summarise_stderr(stderr);
    let lower = stderr.to_ascii_lowercase();
    if lower.contains("is not digitally signed") || lower.contains("running scripts is disabled") {
        return HostError::PowerShell {
            exit_code,
            message: format!(
                "{stderr} (a Group Policy execution policy forbids the worker script hb-worker.ps1: ask your administrator to allow RemoteSigned scripts)"
            ),
        };
    }
    if stderr.is_empty() {
        return HostError::PowerShell {
            exit_code,
            message: "the PowerShell worker stopped and printed nothing on stderr".into(),
        };
    }
    classify("Failed", stderr, exit_code)
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
        "Stopped" => HostError::Cancelled,
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
fn summarise_stderr(lines: &[String]) -> String {
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
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
    fn every_fixed_script_becomes_worker_text_without_stdin_or_exit() {
        for (name, script) in super::super::scripts::ALL {
            let text = worker_script_text(script).unwrap_or_else(|| panic!("{name}"));
            assert!(!text.contains("OpenStandardInput"), "{name}");
            assert!(!text.contains("exit $exitCode"), "{name}");
            assert!(text.contains("function Fail("), "{name} lost its helpers");
            assert!(text.trim_end().ends_with('}'), "{name}");
        }
        assert_eq!(worker_script_text("Hyper-V\\Get-VM"), None);
    }

    #[test]
    fn requests_are_one_line_with_the_values_last() {
        let input = json!({ "name": "a\nb\"c José" });
        let bytes = line(&Request {
            id: 3,
            kind: RequestKind::Screen,
            script: "x\ny",
            input: &input,
        });
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(text.starts_with(r#"{"id":3,"kind":"screen","script":"x\ny","input":{"#));
        assert!(text.contains("José"), "UTF-8, not escaped: {text}");
    }

    #[test]
    fn answers_map_to_data_or_typed_errors() {
        assert_eq!(
            parse_answer("\u{feff}{\"id\":1,\"ok\":true,\"data\":{\"a\":1}}\r"),
            Some((1, Ok(json!({"a": 1}))))
        );
        assert_eq!(
            parse_answer(r#"{"id":2,"ok":false,"code":"NotElevated","error":"x"}"#),
            Some((2, Err(HostError::NotElevated)))
        );
        assert_eq!(
            parse_answer(r#"{"id":2,"ok":false,"code":"VmNotFound","error":"Lab"}"#),
            Some((2, Err(HostError::VmNotFound { name: "Lab".into() })))
        );
        assert_eq!(
            parse_answer(
                r#"{"id":4,"ok":false,"code":"Failed","error":"The operation requires elevation."}"#
            ),
            Some((4, Err(HostError::NotElevated)))
        );
        assert_eq!(
            parse_answer(r#"{"id":5,"ok":false,"code":"Stopped","error":"stopped"}"#),
            Some((5, Err(HostError::Cancelled)))
        );
        assert_eq!(parse_answer("WARNING: the module is old"), None);
        assert_eq!(parse_answer("{not json"), None);
        assert_eq!(parse_answer(r#"{"ok":true}"#), None);
        match worker_ended(Some(5), &["line one".into(), "".into(), "line two".into()]) {
            HostError::PowerShell { exit_code, message } => {
                assert_eq!(exit_code, Some(5));
                assert_eq!(message, "line one line two");
            }
            other => panic!("unexpected {other:?}"),
        }
        let policy = worker_ended(
            Some(1),
            &["File C:\\x\\hb-worker.ps1 cannot be loaded because running scripts is disabled on this system.".into()],
        );
        assert!(policy.to_string().contains("Group Policy"), "{policy}");
    }

    #[test]
    fn single_objects_count_as_one_item() {
        assert_eq!(one_or_many(json!({"a":1})).len(), 1);
        assert_eq!(one_or_many(json!([1, 2])).len(), 2);
        assert!(one_or_many(Value::Null).is_empty());
    }
}
