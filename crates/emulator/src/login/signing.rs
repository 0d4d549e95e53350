//! The emulator's id-token signing key and what Entra publishes about its keys: an RSA 2048 key
//! generated once per process (at the first sign-in or key request, so a test that never signs
//! in never pays for it), RS256 signatures (the only `id_token_signing_alg_values_supported` of
//! Entra's discovery document), and the JWKS at `/{tenant}/discovery/v2.0/keys` with `kty`,
//! `use`, `kid`, `n`, `e` and `issuer`, as Entra's v2.0 keys document has them.

use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, rand_core::OsRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Key {
    signer: SigningKey<Sha256>,
    kid: String,
    n: String,
    e: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        // Only fails if the OS has no randomness, when nothing else here would work either.
        let private = RsaPrivateKey::new(&mut OsRng, 2048).expect("RSA key generation");
        let n = private.n().to_bytes_be();
        let e = private.e().to_bytes_be();
        Key {
            kid: b64(&Sha256::digest(&n)[..20]),
            n: b64(&n),
            e: b64(&e),
            signer: SigningKey::<Sha256>::new(private),
        }
    })
}

/// Generates the key now (in the background at start), so the first sign-in does not wait.
pub fn warm_up() {
    std::thread::spawn(|| {
        key();
    });
}

/// A compact JWS (`header.claims.signature`) of `claims`, RS256 with the emulator's key.
pub fn sign(claims: &Value) -> String {
    let key = key();
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": key.kid});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = key.signer.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

/// The JWKS: the one signing key, for tokens issued by `issuer`.
pub fn jwks(issuer: &str) -> Value {
    let key = key();
    json!({"keys": [{
        "kty": "RSA",
        "use": "sig",
        "kid": key.kid,
        "n": key.n,
        "e": key.e,
        "issuer": issuer,
    }]})
}
