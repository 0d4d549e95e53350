//! Reads a CSV of users: a header with `upn` (required), `lifetime_minutes` and `usable_once`
//! (optional). Every row is checked before anything is issued, and every problem is reported.

use super::input::{
    InputError, Place, TapRequest, find_duplicate, parse_flag, parse_lifetime, parse_upn,
};
use std::io::Read;

const UPN: &str = "upn";
const LIFETIME: &str = "lifetime_minutes";
const USABLE_ONCE: &str = "usable_once";
const COLUMNS: [&str; 3] = [UPN, LIFETIME, USABLE_ONCE];

/// Column positions found in the header.
struct Columns {
    upn: usize,
    lifetime: Option<usize>,
    usable_once: Option<usize>,
    count: usize,
}

fn read_header(header: &csv::StringRecord) -> Result<Columns, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut found: [Option<usize>; 3] = [None; 3];
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
                "there is no 'upn' column: the first line must name the columns, e.g. upn,lifetime_minutes,usable_once",
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

/// Parses the whole CSV; returns every request, or every problem found in any row.
pub fn parse_csv(mut reader: impl Read) -> Result<Vec<TapRequest>, Vec<InputError>> {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Err(vec![InputError::new(
            Place::Command,
            None,
            format!("the CSV file cannot be read: {e}"),
        )]);
    }
    let bytes = bytes.as_slice();
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
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
            "the CSV file is empty: the first line must be a header such as upn,lifetime_minutes,usable_once",
        )]);
    }
    let columns = read_header(&header)?;
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    for record in csv.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(describe_csv_error(bytes, &e));
                continue;
            }
        };
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let row = record
            .position()
            .map(|p| row_at(bytes, p.byte()))
            .unwrap_or(requests.len() + errors.len() + 2);
        let place = Place::Row(row);
        if record.len() > columns.count {
            errors.push(InputError::new(
                place,
                None,
                format!(
                    "has {} fields but the header names {} columns; quote values that contain commas",
                    record.len(),
                    columns.count
                ),
            ));
            continue;
        }
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let mut row_ok = true;
        let mut fail = |name: &'static str, message: String| {
            errors.push(InputError::new(place, Some(name), message));
            row_ok = false;
        };
        let upn = match parse_upn(field(Some(columns.upn))) {
            Ok(upn) => Some(upn),
            Err(m) => {
                fail(UPN, m);
                None
            }
        };
        let lifetime_minutes = match field(columns.lifetime) {
            "" => None,
            raw => parse_lifetime(raw).map_err(|m| fail(LIFETIME, m)).ok(),
        };
        let usable_once = match field(columns.usable_once) {
            "" => None,
            raw => parse_flag(raw).map_err(|m| fail(USABLE_ONCE, m)).ok(),
        };
        let Some(upn) = upn else { continue };
        if let Some(first) = find_duplicate(&requests, &upn) {
            let first = match first {
                Place::Row(n) => format!("row {n}"),
                _ => "an earlier row".to_string(),
            };
            fail(
                UPN,
                format!("'{upn}' is already in {first}; each user gets one pass"),
            );
        }
        if row_ok {
            requests.push(TapRequest {
                upn,
                lifetime_minutes,
                usable_once,
                place,
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if requests.is_empty() {
        return Err(vec![InputError::new(
            Place::Command,
            None,
            "the CSV file has a header but no users: add one row per user below it",
        )]);
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(csv: &str) -> Vec<String> {
        parse_csv(csv.as_bytes())
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn good_file_with_optional_columns_in_any_order() {
        let csv = "\u{feff}Usable_Once, UPN ,lifetime_minutes\n\
                   yes,adele@contoso.com,120\n\
                   ,bob@contoso.com,\n\
                   \n\
                   no,\"carol@contoso.com\",60\n";
        let requests = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].upn.as_str(), "adele@contoso.com");
        assert_eq!(requests[0].lifetime_minutes, Some(120));
        assert_eq!(requests[0].usable_once, Some(true));
        assert_eq!(requests[0].place, Place::Row(2));
        assert_eq!(requests[1].lifetime_minutes, None);
        assert_eq!(requests[1].usable_once, None);
        assert_eq!(requests[2].usable_once, Some(false));
        assert_eq!(requests[2].place, Place::Row(5));
    }

    #[test]
    fn every_bad_row_and_field_gets_its_own_message() {
        let csv = "upn,lifetime_minutes,usable_once\n\
                   adele@contoso.com,60,true\n\
                   dan@contoso.com,abc,maybe\n\
                   bob@,60,\n\
                   Adele@Contoso.com,,\n\
                   eve@contoso.com,5,\n\
                   frank@contoso.com,60,true,extra\n";
        let t = texts(csv);
        assert_eq!(
            t,
            vec![
                "row 3, field lifetime_minutes: 'abc' is not a whole number of minutes (use 10 to 43200, e.g. 60)",
                "row 3, field usable_once: 'maybe' is not true or false (leave it empty for the policy's default)",
                "row 4, field upn: 'bob@' has no domain (expected name@domain, e.g. bob@contoso.com)",
                "row 5, field upn: 'Adele@Contoso.com' is already in row 2; each user gets one pass",
                "row 6, field lifetime_minutes: 5 minutes is outside what Microsoft Graph accepts (10 to 43200 minutes)",
                "row 7: has 4 fields but the header names 3 columns; quote values that contain commas",
            ]
        );
    }

    #[test]
    fn header_problems_are_named() {
        let t = texts("user,lifetime\nadele@contoso.com,60\n");
        assert!(
            t[0].starts_with("header row: there is no 'upn' column"),
            "{t:?}"
        );
        assert!(
            t.iter().any(|m| m.contains("unknown column 'lifetime'")),
            "{t:?}"
        );
        let t = texts("upn,upn\na@b.com,c@d.com\n");
        assert!(t[0].contains("'upn' appears twice"), "{t:?}");
        assert!(texts("")[0].contains("empty"));
        assert!(texts("upn\n\n")[0].contains("no users"));
    }

    #[test]
    fn non_utf8_is_reported_with_its_row() {
        let mut bytes = b"upn\nadele@contoso.com\n".to_vec();
        bytes.extend_from_slice(b"j\xf6rg@contoso.com\n");
        let errors = parse_csv(bytes.as_slice()).unwrap_err();
        assert_eq!(errors[0].place, Place::Row(3));
        assert!(errors[0].message.contains("UTF-8"));
    }
}
