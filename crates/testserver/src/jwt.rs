//! RS256 JSON Web Tokens signed with the tenant key (header `{"typ":"JWT","alg":"RS256"}`, no `kid`, like Tapis).

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;

/// Key size used for tenant signing keys.
pub const KEY_BITS: usize = 2048;

/// A tenant signing key pair.
#[derive(Clone)]
pub struct Keys {
    signing: SigningKey<Sha256>,
    verifying: VerifyingKey<Sha256>,
    public_pem: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

static SHARED: OnceLock<RsaPrivateKey> = OnceLock::new();

fn generate() -> RsaPrivateKey {
    let mut rng = rsa::rand_core::OsRng;
    RsaPrivateKey::new(&mut rng, KEY_BITS).expect("RSA key generation")
}

impl Keys {
    /// A freshly generated key (`fresh = true`) or the process-wide cached key.
    pub fn new(fresh: bool) -> Keys {
        let private = if fresh {
            generate()
        } else {
            SHARED.get_or_init(generate).clone()
        };
        let public = RsaPublicKey::from(&private);
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .expect("public key PEM");
        Keys {
            signing: SigningKey::<Sha256>::new(private),
            verifying: VerifyingKey::<Sha256>::new(public),
            public_pem,
        }
    }

    /// The public key as PEM SPKI (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// Signs `claims` as an RS256 JWT.
    pub fn sign(&self, claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims json"));
        let input = format!("{header}.{payload}");
        let sig: Signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// Verifies the signature of `token` and returns its claims (expiry is not checked).
    pub fn verify(&self, token: &str) -> Result<Value, String> {
        verify_with(&self.verifying, token)
    }
}

fn verify_with(key: &VerifyingKey<Sha256>, token: &str) -> Result<Value, String> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("JWT strings must contain exactly 2 period characters".into());
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("Unable to decode JWT header")?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err("Unsupported JWT algorithm".into());
    }
    let sig_bytes = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| "Unable to decode JWT signature".to_string())?;
    let sig = Signature::try_from(sig_bytes.as_slice()).map_err(|_| "Invalid JWT signature")?;
    key.verify(format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| "JWT signature does not match locally computed signature".to_string())?;
    URL_SAFE_NO_PAD
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| "Unable to decode JWT claims".to_string())
}

/// Verifies an RS256 `token` against a PEM SPKI public key (e.g. a tenant record's `public_key`) and returns its claims.
/// Expiry is not checked. Useful in tests of other crates.
pub fn verify_with_pem(public_pem: &str, token: &str) -> Result<Value, String> {
    let public = RsaPublicKey::from_public_key_pem(public_pem).map_err(|e| e.to_string())?;
    verify_with(&VerifyingKey::<Sha256>::new(public), token)
}

/// Decodes the claims of a JWT without verifying it.
pub fn decode_unverified(token: &str) -> Option<Value> {
    let p = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}
