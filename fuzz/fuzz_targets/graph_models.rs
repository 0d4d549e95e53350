//! Graph answers of any shape decode into our models or fail with an error, never a panic.
#![no_main]
use hb_graph::models::{Device, ManagedDevice, SignIn, TapMethod, User, WhfbMethod};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<User>(data);
    let _ = serde_json::from_slice::<Device>(data);
    let _ = serde_json::from_slice::<ManagedDevice>(data);
    let _ = serde_json::from_slice::<TapMethod>(data);
    let _ = serde_json::from_slice::<WhfbMethod>(data);
    let _ = serde_json::from_slice::<SignIn>(data);
});
