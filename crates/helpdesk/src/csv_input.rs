//! Reads a CSV of users: a header with `upn` (required), `lifetime_minutes`, `usable_once` and
//! `start` (optional); UTF-8 with or without a BOM, comma- or semicolon-separated (as a
//! spreadsheet saves it where the comma is the decimal mark). A bad row is set aside with its
//! line and field, and the good rows still go ahead; only a file that cannot be read at all (no
//! header, not CSV) stops the run.

use super::input::{
    InputError, Place, TapRequest, find_duplicate, parse_flag, parse_lifetime, parse_start,
    parse_upn,
};
use std::io::Read;

const UPN: &str = "upn";
const LIFETIME: &str = "lifetime_minutes";
const USABLE_ONCE: &str = "usable_once";
const START: &str = "start";
const COLUMNS: [&str; 4] = [UPN, LIFETIME, USABLE_ONCE, START];

/// Column positions found in the header.
struct Columns {
    upn: usize,
    lifetime: Option<usize>,
    usable_once: Option<usize>,
    start: Option<usize>,
    count: usize,
}

/// A row that cannot be issued as written: its line, the UPN as typed, and every problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedRow {
    pub line: usize,
    pub upn: String,
    pub errors: Vec<InputError>,
}

impl RejectedRow {
    /// Every problem of the row in one sentence, each naming line and field.
    pub fn reason(&self) -> String {
        self.errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What a CSV file holds: the rows that can go ahead and those set aside, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvInput {
    pub requests: Vec<TapRequest>,
    pub rejected: Vec<RejectedRow>,
}

/// `;` when the header line has semicolons and no commas (a spreadsheet's "CSV" where the comma
/// is the decimal mark), else `,`.
fn delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|b| **b == c).count();
    if count(b';') > 0 && count(b',') == 0 {
        b';'
    } else {
        b','
    }
}

fn read_header(header: &csv::StringRecord) -> Result<Columns, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut found: [Option<usize>; 4] = [None; 4];
    for (i, raw) in header.iter().enumerate() {
        let name = raw
            .trim()
            .trim_start_matches('\u{feff}')
            .to_ascii_lowercase();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(c) if found[c].is_some() => errors.push(InputError::new(
                Place::Header,
                None,
                format!("column '{name}' appears twice; keep one"),
            )),
            Some(c) => found[c] = Some(i),
            None if name.is_empty() => errors.push(InputError::new(
                Place::Header,
                None,
                format!(
                    "column {} has no name (expected one of: {})",
                    i + 1,
                    COLUMNS.join(", ")
                ),
            )),
            None => errors.push(InputError::new(
                Place::Header,
                None,
                format!(
                    "unknown column '{}' (expected: {})",
                    raw.trim(),
                    COLUMNS.join(", ")
                ),
            )),
        }
    }
    let Some(upn) = found[0] else {
        errors.insert(
            0,
            InputError::new(
                Place::Header,
                None,
                "there is no 'upn' column: the first line must name the columns, e.g. upn,lifetime_minutes,usable_once,start",
            ),
        );
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Columns {
        upn,
        lifetime: found[1],
        usable_once: found[2],
        start: found[3],
        count: header.len(),
    })
}

/// The spreadsheet row (1-based line) of the record read from a byte offset. csv's own line count
/// and offset both include blank lines skipped before the record, so skip them here too.
fn row_at(bytes: &[u8], offset: u64) -> usize {
    let mut end = (offset as usize).min(bytes.len());
    while end < bytes.len() && matches!(bytes[end], b'\r' | b'\n') {
        end += 1;
    }
    1 + bytes[..end].iter().filter(|&&b| b == b'\n').count()
}

fn describe_csv_error(bytes: &[u8], e: &csv::Error) -> InputError {
    let row = e.position().map(|p| row_at(bytes, p.byte()));
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "is not UTF-8 text: save the file as CSV UTF-8 and try again".to_string()
        }
        csv::ErrorKind::Io(io) => format!("cannot be read: {io}"),
        _ => format!("cannot be read as CSV: {e}"),
    };
    match row {
        Some(1) => InputError::new(Place::Header, None, message),
        Some(n) => InputError::new(Place::Row(n), None, message),
        None => InputError::new(Place::Command, None, format!("the CSV file {message}")),
    }
}

/// Parses the whole CSV: the good rows and the rejected ones with their lines. `Err` only when
/// the file as a whole cannot be used (unreadable, no header, no `upn` column, no rows).
pub fn parse_csv(mut reader: impl Read) -> Result<CsvInput, Vec<InputError>> {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Err(vec![InputError::new(
            Place::Command,
            None,
            format!("the CSV file cannot be read: {e}"),
        )]);
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter(bytes))
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = csv
        .headers()
        .map_err(|e| vec![describe_csv_error(bytes, &e)])?
        .clone();
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(vec![InputError::new(
            Place::Command,
            None,
            "the CSV file is empty: the first line must be a header such as upn,lifetime_minutes,usable_once,start",
        )]);
    }
    let columns = read_header(&header)?;
    let mut input = CsvInput::default();
    let mut byte_record = csv::ByteRecord::new();
    loop {
        let (row, record) = match csv.read_byte_record(&mut byte_record) {
            Ok(false) => break,
            Ok(true) => {
                let row = byte_record
                    .position()
                    .map(|p| row_at(bytes, p.byte()))
                    .unwrap_or(0);
                match csv::StringRecord::from_byte_record(byte_record.clone()) {
                    Ok(r) => (row, r),
                    Err(_) => {
                        input.rejected.push(RejectedRow {
                            line: row,
                            upn: String::from_utf8_lossy(
                                byte_record.get(columns.upn).unwrap_or_default(),
                            )
                            .into_owned(),
                            errors: vec![InputError::new(
                                Place::Row(row),
                                None,
                                "is not UTF-8 text: save the file as CSV UTF-8 and try again",
                            )],
                        });
                        continue;
                    }
                }
            }
            Err(e) => {
                let error = describe_csv_error(bytes, &e);
                match error.place {
                    Place::Row(line) => input.rejected.push(RejectedRow {
                        line,
                        upn: String::new(),
                        errors: vec![error],
                    }),
                    _ => return Err(vec![error]),
                }
                continue;
            }
        };
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let place = Place::Row(row);
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let raw_upn = field(Some(columns.upn)).to_string();
        let mut errors = Vec::new();
        if record.len() > columns.count {
            errors.push(InputError::new(
                place,
                None,
                format!(
                    "has {} fields but the header names {} columns; quote values that contain the separator",
                    record.len(),
                    columns.count
                ),
            ));
        }
        let mut fail = |name: &'static str, message: String| {
            errors.push(InputError::new(place, Some(name), message));
        };
        let upn = parse_upn(&raw_upn).map_err(|m| fail(UPN, m)).ok();
        let lifetime_minutes = match field(columns.lifetime) {
            "" => None,
            raw => parse_lifetime(raw).map_err(|m| fail(LIFETIME, m)).ok(),
        };
        let usable_once = match field(columns.usable_once) {
            "" => None,
            raw => parse_flag(raw).map_err(|m| fail(USABLE_ONCE, m)).ok(),
        };
        let start = match field(columns.start) {
            "" => None,
            raw => parse_start(raw).map_err(|m| fail(START, m)).ok(),
        };
        if let Some(upn) = &upn
            && let Some(first) = find_duplicate(&input.requests, upn)
        {
            let first = match first {
                Place::Row(n) => format!("line {n}"),
                _ => "an earlier line".to_string(),
            };
            fail(
                UPN,
                format!("'{upn}' is already in {first}; each user gets one pass"),
            );
        }
        match upn {
            Some(upn) if errors.is_empty() => input.requests.push(TapRequest {
                upn,
                lifetime_minutes,
                usable_once,
                start,
                place,
            }),
            _ => input.rejected.push(RejectedRow {
                line: row,
                upn: raw_upn,
                errors,
            }),
        }
    }
    if input.requests.is_empty() && input.rejected.is_empty() {
        return Err(vec![InputError::new(
            Place::Command,
            None,
            "the CSV file has a header but no users: add one row per user below it",
        )]);
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fatal(csv: &str) -> Vec<String> {
        parse_csv(csv.as_bytes())
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    fn rejected(csv: &str) -> Vec<String> {
        parse_csv(csv.as_bytes())
            .unwrap()
            .rejected
            .iter()
            .map(|r| r.reason())
            .collect()
    }

    #[test]
    fn good_file_with_optional_columns_in_any_order() {
        let csv = "\u{feff}Usable_Once, UPN ,lifetime_minutes,start\n\
                   yes,adele@contoso.com,120,2026-06-05T08:00:00Z\n\
                   ,bob@contoso.com,,\n\
                   \n\
                   no,\"carol@contoso.com\",60,\n";
        let input = parse_csv(csv.as_bytes()).unwrap();
        let requests = input.requests;
        assert!(input.rejected.is_empty());
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].upn.as_str(), "adele@contoso.com");
        assert_eq!(requests[0].lifetime_minutes, Some(120));
        assert_eq!(requests[0].usable_once, Some(true));
        assert!(requests[0].start.is_some());
        assert_eq!(requests[0].place, Place::Row(2));
        assert_eq!(requests[1].lifetime_minutes, None);
        assert_eq!(requests[1].usable_once, None);
        assert_eq!(requests[2].usable_once, Some(false));
        assert_eq!(requests[2].place, Place::Row(5));
    }

    #[test]
    fn semicolon_files_read_like_comma_files() {
        let input = parse_csv("upn;lifetime_minutes\na@b.com;60\nc@b.com;\n".as_bytes()).unwrap();
        assert_eq!(input.requests.len(), 2);
        assert_eq!(input.requests[0].lifetime_minutes, Some(60));
    }

    #[test]
    fn every_bad_row_is_set_aside_with_its_line_and_the_good_ones_go_ahead() {
        let csv = "upn,lifetime_minutes,usable_once\n\
                   adele@contoso.com,60,true\n\
                   dan@contoso.com,abc,maybe\n\
                   bob@,60,\n\
                   Adele@Contoso.com,,\n\
                   eve@contoso.com,5,\n\
                   frank@contoso.com,60,true,extra\n\
                   grace@contoso.com,,\n";
        let input = parse_csv(csv.as_bytes()).unwrap();
        let good: Vec<&str> = input.requests.iter().map(|r| r.upn.as_str()).collect();
        assert_eq!(good, ["adele@contoso.com", "grace@contoso.com"]);
        assert_eq!(
            rejected(csv),
            vec![
                "line 3, field lifetime_minutes: 'abc' is not a whole number of minutes (use 10 to 43200, e.g. 60); line 3, field usable_once: 'maybe' is not true or false (leave it empty for the policy's default)",
                "line 4, field upn: 'bob@' has no domain (expected name@domain, e.g. bob@contoso.com)",
                "line 5, field upn: 'Adele@Contoso.com' is already in line 2; each user gets one pass",
                "line 6, field lifetime_minutes: 5 minutes is outside what Microsoft Graph accepts (10 to 43200 minutes)",
                "line 7: has 4 fields but the header names 3 columns; quote values that contain the separator",
            ]
        );
        assert_eq!(input.rejected[1].upn, "bob@");
    }

    #[test]
    fn header_problems_stop_the_file() {
        let t = fatal("user,lifetime\nadele@contoso.com,60\n");
        assert!(
            t[0].starts_with("header (line 1): there is no 'upn' column"),
            "{t:?}"
        );
        assert!(
            t.iter().any(|m| m.contains("unknown column 'lifetime'")),
            "{t:?}"
        );
        let t = fatal("upn,upn\na@b.com,c@d.com\n");
        assert!(t[0].contains("'upn' appears twice"), "{t:?}");
        assert!(fatal("")[0].contains("empty"));
        assert!(fatal("upn\n\n")[0].contains("no users"));
    }

    #[test]
    fn non_utf8_is_reported_with_its_line() {
        let mut bytes = b"upn\nadele@contoso.com\n".to_vec();
        bytes.extend_from_slice(b"j\xf6rg@contoso.com\n");
        let input = parse_csv(bytes.as_slice()).unwrap();
        assert_eq!(input.requests.len(), 1);
        assert_eq!(input.rejected[0].line, 3);
        assert!(input.rejected[0].reason().contains("UTF-8"));
    }
}
