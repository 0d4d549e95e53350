//! `dsregcmd /status` captures (any bytes: UTF-8, UTF-16, garbage) never panic the parser.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = hb_host::dsregcmd::parse_bytes(data);
});
