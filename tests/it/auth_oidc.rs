//! The emulator's login side as a standard OpenID Connect client sees it: discovery, the JWKS,
//! and RS256 id tokens a generic JWT library verifies (jsonwebtoken, knowing nothing of ours).

use crate::auth_support::*;
use hello_bootstrap::auth::{DEFAULT_CLIENT_ID, SecretStore};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url).await.expect("reachable");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

#[tokio::test]
async fn discovery_and_jwks_let_a_standard_client_verify_the_id_token() {
    let emu = emulator().await;
    // The tenant's own document names its endpoints and its issuer.
    let config = get_json(&format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        emu.login_url, emu.tenant_id
    ))
    .await;
    let issuer = format!("{}/{}/v2.0", emu.login_url, emu.tenant_id);
    assert_eq!(config["issuer"], issuer.as_str());
    assert_eq!(config["id_token_signing_alg_values_supported"][0], "RS256");
    let token_endpoint = config["token_endpoint"].as_str().unwrap().to_string();
    assert!(token_endpoint.ends_with("/oauth2/v2.0/token"));
    // `organizations` keeps the issuer's placeholder, as Entra's does.
    let generic = get_json(&format!(
        "{}/organizations/v2.0/.well-known/openid-configuration",
        emu.login_url
    ))
    .await;
    assert_eq!(
        generic["issuer"],
        format!("{}/{{tenantid}}/v2.0", emu.login_url)
    );
    let unknown = reqwest::get(format!(
        "{}/nope.example/v2.0/.well-known/openid-configuration",
        emu.login_url
    ))
    .await
    .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(unknown.text().await.unwrap().contains("AADSTS90002"));

    // An id token from the token endpoint the document names.
    let store = store("hb-test-oidc");
    let session = browser_session(&emu, store.clone(), &crate::common::admin_upn(&emu), true);
    session.token().await.expect("signed in");
    let cached = store.load(&session.config().cache_key()).unwrap().unwrap();
    let answer: Value = reqwest::Client::new()
        .post(&token_endpoint)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("refresh_token", cached.refresh_token.expose()),
            ("scope", "openid profile offline_access User.Read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = answer["id_token"].as_str().expect("an id token");

    // Verified the standard way: the header's kid picks the key from the JWKS.
    let jwks: JwkSet = serde_json::from_value(get_json(config["jwks_uri"].as_str().unwrap()).await)
        .expect("a JWKS");
    let kid = decode_header(id_token).unwrap().kid.expect("a kid");
    let jwk = jwks.find(&kid).expect("the signing key is published");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[DEFAULT_CLIENT_ID]);
    validation.set_issuer(&[issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
    let claims = decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the signature and claims verify")
        .claims;
    assert_eq!(claims["tid"], emu.tenant_id.as_str());
    assert_eq!(claims["preferred_username"], emu.admin_upn.as_str());
    assert_eq!(claims["ver"], "2.0");
    for claim in ["oid", "name", "iat", "sub"] {
        assert!(claims.get(claim).is_some(), "{claim} missing");
    }

    // A tampered token does not verify.
    let mut parts: Vec<&str> = id_token.split('.').collect();
    let forged = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::json!({"aud": DEFAULT_CLIENT_ID, "iss": issuer, "tid": "x", "exp": 9999999999u64, "nbf": 0}).to_string(),
    );
    parts[1] = &forged;
    assert!(
        decode::<Value>(
            &parts.join("."),
            &DecodingKey::from_jwk(jwk).unwrap(),
            &validation
        )
        .is_err()
    );
    emu.shutdown().await;
}
