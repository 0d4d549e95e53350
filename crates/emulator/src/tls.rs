//! `emulator --tls`: HTTPS with a self-signed certificate made at start (rcgen, ECDSA P-256, for
//! `localhost`, `127.0.0.1` and `::1`), so clients that insist on https (MSAL, generic OpenID
//! Connect libraries) can talk to the emulator. Clients trust it by the PEM file it writes or by
//! the SHA-256 fingerprint it prints.

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The emulator's certificate and the rustls configuration serving it.
pub struct TlsIdentity {
    /// The certificate in PEM, for a client's trust store.
    pub cert_pem: String,
    /// SHA-256 of the certificate's DER, upper-case hex pairs joined by `:`.
    pub sha256_fingerprint: String,
    pub(crate) config: Arc<ServerConfig>,
}

impl TlsIdentity {
    /// A new self-signed certificate and key, held in memory only.
    pub fn self_signed() -> Result<TlsIdentity, String> {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ])
        .map_err(|e| format!("cannot make the emulator's TLS certificate: {e}"))?;
        let der = certified.cert.der().clone();
        let fingerprint = Sha256::digest(der.as_ref())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(der.to_vec())], key)
            .map_err(|e| format!("TLS certificate: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            cert_pem: certified.cert.pem(),
            sha256_fingerprint: fingerprint,
            config: Arc::new(config),
        })
    }
}
