//! Ed25519 and ML-DSA signatures made by pyca/cryptography (OpenSSL
//! underneath: an independent signer) as KMS `Sign` makes them verify, and
//! stop verifying when anything changes. ML-DSA signatures made with a
//! context other than KMS's empty one must not verify. Regenerate the
//! fixtures with `tests/data/pyca/generate.py`.

#![cfg(feature = "verify")]
// A test: a malformed fixture should stop it loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kms_envelope::Error;
use kms_envelope::verify::{Message, PublicKey, SigningAlgorithm};
use serde_json::Value;

fn flipped(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 0x01;
    out
}

fn wrap_as(mu: bool, message: &[u8]) -> Message<'_> {
    if mu {
        Message::ExternalMu(message)
    } else {
        Message::Raw(message)
    }
}

#[test]
fn pyca_ed25519_and_ml_dsa_signatures_verify_as_kms_made_them() {
    let fixtures: Value = serde_json::from_str(include_str!("data/pyca/signatures.json")).unwrap();
    let fixtures = fixtures.as_array().unwrap();
    assert_eq!(fixtures.len(), 1 + 3 * 3);
    let b64 = |v: &Value| BASE64.decode(v.as_str().unwrap()).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for f in fixtures {
        let spec = f["key_spec"].as_str().unwrap();
        let alg = SigningAlgorithm::from_kms_name(f["algorithm"].as_str().unwrap()).unwrap();
        let key = PublicKey::from_der(&b64(&f["public_key"])).unwrap();
        assert_eq!(key.kind().kms_key_spec(), spec);
        let message = b64(&f["message"]);
        let signature = b64(&f["signature"]);
        let mu = match f["message_type"].as_str().unwrap() {
            "RAW" => false,
            "EXTERNAL_MU" => true,
            other => panic!("message type {other}"),
        };
        if !f["valid"].as_bool().unwrap() {
            invalid += 1;
            assert_eq!(
                key.verify(alg, wrap_as(mu, &message), &signature),
                Err(Error::SignatureInvalid),
                "{spec}: a signature under another context"
            );
            continue;
        }
        valid += 1;
        key.verify(alg, wrap_as(mu, &message), &signature)
            .unwrap_or_else(|e| panic!("{spec} {alg:?}: {e}"));
        if let Some(raw) = f.get("raw_message") {
            // The mu was computed from this message: the same signature
            // verifies over the message itself.
            key.verify(alg, Message::Raw(&b64(raw)), &signature)
                .unwrap();
        }
        for index in [0, message.len() / 2, message.len() - 1] {
            assert_eq!(
                key.verify(alg, wrap_as(mu, &flipped(&message, index)), &signature),
                Err(Error::SignatureInvalid),
                "{spec}: message byte {index} changed"
            );
        }
        for index in [0, signature.len() / 2, signature.len() - 1] {
            assert_eq!(
                key.verify(alg, wrap_as(mu, &message), &flipped(&signature, index)),
                Err(Error::SignatureInvalid),
                "{spec}: signature byte {index} changed"
            );
        }
        assert_eq!(
            key.verify(
                alg,
                wrap_as(mu, &message),
                &signature[..signature.len() - 1]
            ),
            Err(Error::SignatureInvalid)
        );
    }
    assert_eq!((valid, invalid), (7, 3));
}
