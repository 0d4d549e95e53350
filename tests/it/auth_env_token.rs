//! `HELLO_BOOTSTRAP_ACCESS_TOKEN` replaces sign-in for Graph commands (its own test binary, since
//! it sets the process environment).

use crate::auth_support::*;
use hello_bootstrap::auth::cli::{
    ACCESS_TOKEN_ENV, AuthOptions, StoreChoice, token_source, whoami_to,
};
use hello_bootstrap::lab::Step;
use serde_json::Value;

#[tokio::test]
async fn an_access_token_from_the_environment_is_used_as_is() {
    let emu = emulator().await;
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(ACCESS_TOKEN_ENV, emu.access_token().expose()) };
    let opts = AuthOptions {
        login_url: emu.login_url.clone(),
        graph_url: emu.graph_url.clone(),
        tenant: emu.tenant_id.clone(),
        store: StoreChoice::Default {
            service: "hb-env".into(),
        },
        ..AuthOptions::default()
    };
    let signed_in = token_source(&opts, &Step::ALL).unwrap();
    assert!(
        signed_in.session.is_none(),
        "no sign-in session behind an environment token"
    );

    let mut out = Vec::new();
    assert_eq!(whoami_to(&opts, true, &mut out).await, 0);
    let who: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(who["account"], emu.admin_upn.as_str());
    assert_eq!(
        who["scopes"],
        Value::Null,
        "scopes are unknown for a foreign token"
    );
    assert_eq!(stat(&emu, "authorize").await, 0, "no sign-in happened");
    emu.shutdown().await;
}
