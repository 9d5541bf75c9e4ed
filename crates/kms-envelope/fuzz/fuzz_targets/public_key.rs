//! Parses arbitrary bytes as a DER SubjectPublicKeyInfo and, when that
//! succeeds, verifies an arbitrary signature with every KMS signing
//! algorithm, as message, as digest and as ML-DSA's external mu, and
//! computes SM2's digest of the message: never a panic.
#![no_main]

use kms_envelope::verify::{Message, PublicKey, SigningAlgorithm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Layout: key length (u16, big-endian), key, signature length (u16),
    // signature, message.
    let (der, rest) = split_prefixed(data);
    let Ok(key) = PublicKey::from_der(der) else {
        return;
    };
    let (signature, message) = split_prefixed(rest);
    // SM2 keys' DIGEST form, with KMS's distinguishing ID and with the
    // signature bytes as another; an error for the others.
    let _ = key.sm2_digest(message);
    let _ = key.sm2_digest_with_id(message, signature);
    for alg in SigningAlgorithm::ALL {
        let _ = key.verify(alg, Message::Raw(message), signature);
        let _ = key.verify(alg, Message::Digest(message), signature);
        let _ = key.verify(alg, Message::ExternalMu(message), signature);
    }
});

/// Splits off a field whose u16 big-endian length comes first (clamped to
/// what is there).
fn split_prefixed(data: &[u8]) -> (&[u8], &[u8]) {
    let [a, b, rest @ ..] = data else {
        return (&[], &[]);
    };
    rest.split_at(usize::from(u16::from_be_bytes([*a, *b])).min(rest.len()))
}
