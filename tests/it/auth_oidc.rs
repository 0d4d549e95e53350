//! The emulator's login side as standard OpenID Connect clients see it: discovery, the JWKS,
//! and RS256 id tokens a generic JWT library verifies (jsonwebtoken), and over `--tls` a whole
//! relying party (the openidconnect crate: discovery, code + PKCE, id token verification),
//! neither knowing anything of ours.

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

#[tokio::test]
async fn with_tls_a_standard_client_discovers_signs_in_and_verifies_over_https() {
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{
        AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
        PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };
    mock_keyring();
    let identity = hello_bootstrap::emulator::tls::TlsIdentity::self_signed().unwrap();
    let pem = identity.cert_pem.clone();
    let emu = hello_bootstrap::emulator::Emulator::start_tls(
        hello_bootstrap::emulator::EmulatorConfig::default(),
        identity,
    )
    .await
    .unwrap();
    assert!(emu.login_url.starts_with("https://127.0.0.1:"));
    let (fingerprint, served_pem) = emu.tls.clone().expect("TLS details");
    assert_eq!(served_pem, pem);
    assert_eq!(fingerprint.split(':').count(), 32);
    assert!(emu.ready_line().contains(&fingerprint));

    // Without the certificate a client refuses the connection; with it, it talks https.
    assert!(
        reqwest::get(format!(
            "{}/organizations/v2.0/.well-known/openid-configuration",
            emu.login_url
        ))
        .await
        .is_err()
    );
    // The openidconnect crate's own HTTP hook on our reqwest (its docs: no redirects, so a
    // provider cannot point the client elsewhere).
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Discovery from the issuer alone: the library fetches `{issuer}/.well-known/…`, checks the
    // document names that same issuer, and fetches the JWKS it points to.
    let issuer = format!("{}/{}/v2.0", emu.login_url, emu.tenant_id);
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .expect("OpenID Connect discovery over https");
    assert_eq!(metadata.issuer().as_str(), issuer);
    assert!(!metadata.jwks().keys().is_empty(), "the signing keys");
    let redirect = "http://localhost:53100";
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(DEFAULT_CLIENT_ID.to_string()),
        None,
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_string()).unwrap());

    // Authorization code + PKCE (S256) with state and nonce, as the library builds it.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new("User.Read".into()))
        .set_pkce_challenge(challenge)
        .add_extra_param("login_hint", emu.admin_upn.as_str())
        .url();
    // The browser's part: the sign-in page redirects back to the loopback redirect URI.
    let back = http.get(authorize).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let location = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next(),
        Some("http://localhost:53100/")
    );
    let query = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(query("state").as_deref(), Some(csrf.secret().as_str()));
    let code = query("code").expect("a code");

    let answer = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("the discovered token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code redeemed at the discovered token endpoint");
    assert!(answer.refresh_token().is_some(), "offline_access was asked");
    let id_token = answer.id_token().expect("an id token");
    // The library checks the RS256 signature against the JWKS, iss, aud, exp and the nonce.
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("the id token verifies");
    assert_eq!(claims.issuer().as_str(), issuer);
    assert_eq!(claims.audiences()[0].as_str(), DEFAULT_CLIENT_ID);
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some(emu.admin_upn.as_str())
    );
    assert!(claims.name().is_some(), "the name claim");
    // The same token with another nonce is refused: the check can fail.
    assert!(
        id_token
            .claims(&verifier, &Nonce::new("another".into()))
            .is_err()
    );
    // And a verifier expecting another tenant's issuer refuses it.
    let stranger = openidconnect::core::CoreIdTokenVerifier::new_public_client(
        ClientId::new(DEFAULT_CLIENT_ID.to_string()),
        IssuerUrl::new(format!("{}/another-tenant/v2.0", emu.login_url)).unwrap(),
        openidconnect::JsonWebKeySet::new(Vec::new()),
    );
    assert!(id_token.claims(&stranger, &nonce).is_err());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_emulator_command_with_tls_prints_the_fingerprint_of_the_certificate_it_writes() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let cert_file = dir.path().join("emulator.pem");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hello-bootstrap"))
        .args(["emulator", "--port", "0", "--tls", "--tls-cert"])
        .arg(&cert_file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).expect("a JSON ready line");
    let pem = std::fs::read_to_string(&cert_file).expect("the certificate file");
    // The printed fingerprint is the SHA-256 of the written certificate's DER.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap();
    let fingerprint =
        sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &der))
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
    assert_eq!(ready["tls_sha256"], fingerprint.as_str());
    let login_url = ready["login_url"].as_str().unwrap().to_string();
    assert!(login_url.starts_with("https://"));
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let doc: Value = http
        .get(format!(
            "{login_url}/organizations/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["jwks_uri"].as_str().unwrap().starts_with("https://"));
    let _ = child.kill();
    let _ = child.wait();
}
