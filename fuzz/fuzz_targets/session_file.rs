//! Session files of any content load or are refused, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<hb_lab::session_file::SessionFile>(data);
});
