//! KVP exchange items as Hyper-V hands them over (embedded-instance XML, any bytes), then the
//! guest report reassembled from them: parsed or refused, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let xmls: Vec<String> = text.split('\u{1e}').map(str::to_string).collect();
    if let Ok(guest) = hb_host::kvp::parse_items(&xmls) {
        let kvp = hb_host::kvp::GuestKvp {
            intrinsic: Vec::new(),
            guest,
        };
        let report = hb_host::kvp::GuestReport::from_kvp(&kvp, chrono::DateTime::UNIX_EPOCH);
        let _ = report.user_report().map(|u| u.summary());
    }
});
