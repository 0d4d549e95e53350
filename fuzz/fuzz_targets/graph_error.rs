//! Graph error bodies of any shape become a `GraphError` whose message can be shown.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let status = data.first().map_or(400, |b| 400 + u16::from(*b % 200));
    let error = hb_graph::GraphError::from_body(status, data, None);
    let _ = error.to_string();
});
