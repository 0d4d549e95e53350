//! Help-desk CSV files of any content are read or refused with messages, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(errors) = hb_helpdesk::csv_input::parse_csv(data) {
        for e in errors {
            let _ = e.to_string();
        }
    }
});
