//! Signatures made by the OpenSSL command line (an independent signer, the
//! library family KMS's own HSMs descend from) for every KMS algorithm and
//! key spec (SM2DSA included) verify, and stop verifying when anything changes. Regenerate the
//! fixtures with `tests/data/openssl/generate.sh`.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
// A test: a malformed fixture should stop it loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kms_envelope::Error;
use kms_envelope::verify::{Message, PublicKey, SigningAlgorithm};
use serde_json::Value;
use sha2::Digest as _;

#[test]
fn openssl_signatures_verify_for_every_algorithm_and_key_spec() {
    let fixtures: Value =
        serde_json::from_str(include_str!("data/openssl/signatures.json")).unwrap();
    let fixtures = fixtures.as_array().unwrap();
    assert_eq!(fixtures.len(), 4 + 3 * 6 + 1);
    let b64 = |v: &Value| BASE64.decode(v.as_str().unwrap()).unwrap();
    for f in fixtures {
        let spec = f["key_spec"].as_str().unwrap();
        let alg = SigningAlgorithm::from_kms_name(f["algorithm"].as_str().unwrap()).unwrap();
        let key = PublicKey::from_der(&b64(&f["public_key"])).unwrap();
        let message = b64(&f["message"]);
        let signature = b64(&f["signature"]);
        assert_eq!(key.kind().kms_key_spec(), spec);
        // SM2DSA's digest is SM3 after the key's Z value: OpenSSL's
        // signature verifying over it checks `sm2_digest` too.
        let digest = match (alg, alg.digest_len().unwrap()) {
            (SigningAlgorithm::Sm2Dsa, _) => key.sm2_digest(&message).unwrap().to_vec(),
            (_, 32) => sha2::Sha256::digest(&message).to_vec(),
            (_, 48) => sha2::Sha384::digest(&message).to_vec(),
            _ => sha2::Sha512::digest(&message).to_vec(),
        };
        key.verify(alg, Message::Raw(&message), &signature)
            .unwrap_or_else(|e| panic!("{spec} {alg:?}: {e}"));
        key.verify(alg, Message::Digest(&digest), &signature)
            .unwrap();

        let mut changed = message.clone();
        changed[0] ^= 0x20;
        assert_eq!(
            key.verify(alg, Message::Raw(&changed), &signature),
            Err(Error::SignatureInvalid)
        );
        let mut bad = signature.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert_eq!(
            key.verify(alg, Message::Raw(&message), &bad),
            Err(Error::SignatureInvalid)
        );
    }
}
