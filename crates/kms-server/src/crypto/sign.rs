//! Sign and Verify for every (KeySpec, SigningAlgorithmSpec) pair AWS allows.
//!
//! - ECDSA_SHA_256 on ECC_NIST_P256 and ECC_SECG_P256K1, ECDSA_SHA_384 on
//!   ECC_NIST_P384, ECDSA_SHA_512 on ECC_NIST_P521; signatures are DER
//!   (`ECDSA-Sig-Value`), as AWS returns them, with low S.
//! - RSASSA_PSS_SHA_256/384/512 (MGF1 with the same hash, salt length =
//!   digest length, as AWS) and RSASSA_PKCS1_V1_5_SHA_256/384/512 on RSA keys.
//!
//! MessageType RAW: 1 to 4096 bytes, hashed here with the algorithm's hash.
//! MessageType DIGEST: exactly the hash's length, signed as a prehash.

use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};
use kms_protocol::ops::{KeySpec, MessageType, SigningAlgorithmSpec};
use rand_core::OsRng;
use rsa::{Pkcs1v15Sign, Pss};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::error::CryptoError;
use super::material::{EcKey, KeyMaterial, Loaded};

/// Largest RAW message Sign and Verify accept (AWS's limit).
pub const MAX_MESSAGE_LEN: usize = 4096;

/// The hash of a signing algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of(algorithm: SigningAlgorithmSpec) -> Option<Hash> {
        use SigningAlgorithmSpec::*;
        match algorithm {
            RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => Some(Hash::Sha256),
            RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(Hash::Sha384),
            RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 => Some(Hash::Sha512),
            SmDsa => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    fn expected_digest_len(self) -> &'static str {
        match self {
            Hash::Sha256 => "exactly 32 bytes (a SHA-256 digest)",
            Hash::Sha384 => "exactly 48 bytes (a SHA-384 digest)",
            Hash::Sha512 => "exactly 64 bytes (a SHA-512 digest)",
        }
    }

    fn digest(self, message: &[u8], out: &mut [u8; 64]) {
        match self {
            Hash::Sha256 => out[..32].copy_from_slice(&Sha256::digest(message)),
            Hash::Sha384 => out[..48].copy_from_slice(&Sha384::digest(message)),
            Hash::Sha512 => out.copy_from_slice(&Sha512::digest(message)),
        }
    }

    fn pss(self) -> Pss {
        match self {
            Hash::Sha256 => Pss::new::<Sha256>(),
            Hash::Sha384 => Pss::new::<Sha384>(),
            Hash::Sha512 => Pss::new::<Sha512>(),
        }
    }

    fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        }
    }
}

/// A checked digest: the signing input of both Sign and Verify.
struct Prehash {
    bytes: [u8; 64],
    len: usize,
}

impl Prehash {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Checks that `algorithm` fits `material` and turns the input into the
/// digest to sign or verify.
fn prepare(
    operation: &'static str,
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
) -> Result<Prehash, CryptoError> {
    let spec = material.spec();
    if matches!(spec, KeySpec::Sm2) || algorithm == SigningAlgorithmSpec::SmDsa {
        return Err(CryptoError::Unsupported { what: "SM2DSA" });
    }
    if spec.signing_algorithms().is_empty() {
        return Err(CryptoError::OperationNotValidForKey {
            operation,
            key_spec: spec,
        });
    }
    let hash = match Hash::of(algorithm) {
        Some(hash) if spec.signing_algorithms().contains(&algorithm) => hash,
        _ => {
            return Err(CryptoError::AlgorithmNotValidForKey {
                algorithm: algorithm.as_str(),
                key_spec: spec,
            });
        }
    };
    let mut prehash = Prehash {
        bytes: [0u8; 64],
        len: hash.len(),
    };
    match message_type {
        MessageType::Raw => {
            if message.is_empty() || message.len() > MAX_MESSAGE_LEN {
                return Err(CryptoError::length(
                    "message",
                    "1 to 4096 bytes",
                    message.len(),
                ));
            }
            hash.digest(message, &mut prehash.bytes);
        }
        MessageType::Digest => {
            if message.len() != hash.len() {
                return Err(CryptoError::length(
                    "digest",
                    hash.expected_digest_len(),
                    message.len(),
                ));
            }
            prehash.bytes[..hash.len()].copy_from_slice(message);
        }
    }
    Ok(prehash)
}

/// Signs an ECDSA prehash and returns the DER signature with low S.
macro_rules! ecdsa_sign {
    ($curve:ident, $key:expr, $prehash:expr) => {{
        let signature: $curve::ecdsa::Signature =
            $key.sign_prehash($prehash)
                .map_err(|_| CryptoError::Internal {
                    step: "ECDSA signing",
                })?;
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_der().as_bytes().to_vec()
    }};
}

/// Verifies a DER ECDSA signature over a prehash.
macro_rules! ecdsa_verify {
    ($curve:ident, $key:expr, $prehash:expr, $signature:expr) => {{
        let signature = $curve::ecdsa::Signature::from_der($signature)
            .map_err(|_| CryptoError::InvalidSignature)?;
        // (r, s) and (r, n - s) are both valid; k256 only accepts low S, so
        // normalize to accept signatures made elsewhere (e.g. by OpenSSL).
        let signature = signature.normalize_s().unwrap_or(signature);
        // The signing key keeps its public point: no scalar multiplication here.
        $key.verifying_key()
            .verify_prehash($prehash, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }};
}

/// Signs `message` (RAW: 1 to 4096 bytes; DIGEST: the hash's length; both
/// checked here) with the private key of `material`. ECDSA signatures are
/// DER, RSA signatures are the modulus length.
pub fn sign(
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let prehash = prepare("Sign", material, algorithm, message_type, message)?;
    let digest = prehash.as_slice();
    let hash = Hash::of(algorithm).ok_or(CryptoError::Unsupported { what: "SM2DSA" })?;
    Ok(match &material.loaded {
        Loaded::Ec(EcKey::P256(k)) => ecdsa_sign!(p256, k, digest),
        Loaded::Ec(EcKey::P384(k)) => ecdsa_sign!(p384, k, digest),
        Loaded::Ec(EcKey::P521(k)) => {
            // p521 0.13 has no RFC 6979 signer; randomized ECDSA is as valid.
            let signature: p521::ecdsa::Signature = k
                .signing
                .sign_prehash_with_rng(&mut OsRng, digest)
                .map_err(|_| CryptoError::Internal {
                    step: "ECDSA signing",
                })?;
            let signature = signature.normalize_s().unwrap_or(signature);
            signature.to_der().as_bytes().to_vec()
        }
        Loaded::Ec(EcKey::K256(k)) => ecdsa_sign!(k256, k, digest),
        Loaded::Rsa(k) => {
            let signed = if is_pss(algorithm) {
                k.private.sign_with_rng(&mut OsRng, hash.pss(), digest)
            } else {
                k.private.sign_with_rng(&mut OsRng, hash.pkcs1v15(), digest)
            };
            signed.map_err(|_| CryptoError::Internal {
                step: "RSA signing",
            })?
        }
        Loaded::Symmetric(_) | Loaded::Hmac(_) => {
            return Err(CryptoError::OperationNotValidForKey {
                operation: "Sign",
                key_spec: material.spec(),
            });
        }
    })
}

/// Verifies `signature` over `message` as [`sign`] made it. `Ok(())` when
/// valid; [`CryptoError::InvalidSignature`] when the signature does not
/// verify or is not even well-formed; other errors for malformed input or
/// an algorithm that does not fit the key.
pub fn verify(
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let prehash = prepare("Verify", material, algorithm, message_type, message)?;
    let digest = prehash.as_slice();
    let hash = Hash::of(algorithm).ok_or(CryptoError::Unsupported { what: "SM2DSA" })?;
    match &material.loaded {
        Loaded::Ec(EcKey::P256(k)) => ecdsa_verify!(p256, k, digest, signature),
        Loaded::Ec(EcKey::P384(k)) => ecdsa_verify!(p384, k, digest, signature),
        Loaded::Ec(EcKey::P521(k)) => {
            let signature = p521::ecdsa::Signature::from_der(signature)
                .map_err(|_| CryptoError::InvalidSignature)?;
            let signature = signature.normalize_s().unwrap_or(signature);
            k.verifying
                .verify_prehash(digest, &signature)
                .map_err(|_| CryptoError::InvalidSignature)
        }
        Loaded::Ec(EcKey::K256(k)) => ecdsa_verify!(k256, k, digest, signature),
        Loaded::Rsa(k) => {
            let checked = if is_pss(algorithm) {
                k.public.verify(hash.pss(), digest, signature)
            } else {
                k.public.verify(hash.pkcs1v15(), digest, signature)
            };
            checked.map_err(|_| CryptoError::InvalidSignature)
        }
        Loaded::Symmetric(_) | Loaded::Hmac(_) => Err(CryptoError::OperationNotValidForKey {
            operation: "Verify",
            key_spec: material.spec(),
        }),
    }
}

fn is_pss(algorithm: SigningAlgorithmSpec) -> bool {
    matches!(
        algorithm,
        SigningAlgorithmSpec::RsassaPssSha256
            | SigningAlgorithmSpec::RsassaPssSha384
            | SigningAlgorithmSpec::RsassaPssSha512
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_keys::{SUPPORTED_SPECS, material};
    use ecdsa::signature::Verifier;
    use pkcs8::DecodePublicKey;
    use rsa::RsaPublicKey;

    /// Verifies as a client holding only GetPublicKey's SPKI would, with the
    /// RustCrypto high-level verifiers (which hash `message` themselves).
    fn client_verify(
        spec: KeySpec,
        algorithm: SigningAlgorithmSpec,
        spki: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        use SigningAlgorithmSpec::*;
        match spec {
            KeySpec::EccNistP256 => {
                let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki).unwrap();
                let sig = p256::ecdsa::Signature::from_der(signature).unwrap();
                key.verify(message, &sig).is_ok()
            }
            KeySpec::EccNistP384 => {
                let key = p384::ecdsa::VerifyingKey::from_public_key_der(spki).unwrap();
                let sig = p384::ecdsa::Signature::from_der(signature).unwrap();
                key.verify(message, &sig).is_ok()
            }
            KeySpec::EccNistP521 => {
                let public = p521::PublicKey::from_public_key_der(spki).unwrap();
                let key = p521::ecdsa::VerifyingKey::from_affine(*public.as_affine()).unwrap();
                let sig = p521::ecdsa::Signature::from_der(signature).unwrap();
                key.verify(message, &sig).is_ok()
            }
            KeySpec::EccSecgP256k1 => {
                let key = k256::ecdsa::VerifyingKey::from_public_key_der(spki).unwrap();
                let sig = k256::ecdsa::Signature::from_der(signature).unwrap();
                key.verify(message, &sig).is_ok()
            }
            _ => {
                let public = RsaPublicKey::from_public_key_der(spki).unwrap();
                macro_rules! rsa_verify {
                    ($scheme:ident, $hash:ty) => {{
                        let key = rsa::$scheme::VerifyingKey::<$hash>::new(public);
                        let sig = rsa::$scheme::Signature::try_from(signature).unwrap();
                        key.verify(message, &sig).is_ok()
                    }};
                }
                match algorithm {
                    RsassaPssSha256 => rsa_verify!(pss, Sha256),
                    RsassaPssSha384 => rsa_verify!(pss, Sha384),
                    RsassaPssSha512 => rsa_verify!(pss, Sha512),
                    RsassaPkcs1V15Sha256 => rsa_verify!(pkcs1v15, Sha256),
                    RsassaPkcs1V15Sha384 => rsa_verify!(pkcs1v15, Sha384),
                    RsassaPkcs1V15Sha512 => rsa_verify!(pkcs1v15, Sha512),
                    _ => unreachable!("{algorithm} on {spec}"),
                }
            }
        }
    }

    fn digest_of(algorithm: SigningAlgorithmSpec, message: &[u8]) -> Vec<u8> {
        let hash = Hash::of(algorithm).unwrap();
        let mut out = [0u8; 64];
        hash.digest(message, &mut out);
        out[..hash.len()].to_vec()
    }

    fn signing_specs() -> impl Iterator<Item = KeySpec> {
        SUPPORTED_SPECS
            .into_iter()
            .filter(|s| !s.signing_algorithms().is_empty())
    }

    #[test]
    fn every_pair_and_message_type_signs_and_verifies_independently() {
        let message = b"the quick brown fox jumps over the lazy dog";
        let mut pairs = 0;
        for spec in signing_specs() {
            let m = material(spec);
            let spki = m.public_key_der().unwrap();
            for &alg in spec.signing_algorithms() {
                pairs += 1;
                let digest = digest_of(alg, message);
                for (message_type, input) in [
                    (MessageType::Raw, &message[..]),
                    (MessageType::Digest, &digest[..]),
                ] {
                    let sig = sign(m, alg, message_type, input).unwrap();
                    verify(m, alg, message_type, input, &sig).unwrap();
                    assert!(
                        client_verify(spec, alg, spki, message, &sig),
                        "{spec} {alg} {message_type}"
                    );
                    // RAW and DIGEST of the same message are interchangeable.
                    verify(m, alg, MessageType::Raw, message, &sig).unwrap();
                    verify(m, alg, MessageType::Digest, &digest, &sig).unwrap();
                    if rsa_bits_of(spec).is_some() {
                        assert_eq!(sig.len() * 8, rsa_bits_of(spec).unwrap());
                    } else {
                        assert_eq!(sig[0], 0x30, "DER SEQUENCE");
                    }
                }
            }
        }
        // 3 RSA sizes x 6 algorithms + 4 curves x 1.
        assert_eq!(pairs, 22);
    }

    fn rsa_bits_of(spec: KeySpec) -> Option<usize> {
        crate::crypto::material::rsa_bits(spec)
    }

    #[test]
    fn flipped_bits_are_invalid_signatures() {
        for spec in signing_specs() {
            let m = material(spec);
            let alg = spec.signing_algorithms()[0];
            let sig = sign(m, alg, MessageType::Raw, b"message").unwrap();
            // A bit in the first, a middle and the last byte of the signature.
            for i in [0, sig.len() / 2, sig.len() - 1] {
                for bit in [0x01u8, 0x80] {
                    let mut bad = sig.clone();
                    bad[i] ^= bit;
                    assert_eq!(
                        verify(m, alg, MessageType::Raw, b"message", &bad).unwrap_err(),
                        CryptoError::InvalidSignature,
                        "{spec} byte {i}"
                    );
                }
            }
            assert_eq!(
                verify(m, alg, MessageType::Raw, b"messagf", &sig).unwrap_err(),
                CryptoError::InvalidSignature
            );
            for garbage in [&[][..], &[0x30, 0x00], &[0xff; 16], &sig[..sig.len() - 1]] {
                assert_eq!(
                    verify(m, alg, MessageType::Raw, b"message", garbage).unwrap_err(),
                    CryptoError::InvalidSignature,
                    "{spec}"
                );
            }
        }
    }

    #[test]
    fn a_signature_under_another_algorithm_does_not_verify() {
        let m = material(KeySpec::Rsa2048);
        let sig = sign(
            m,
            SigningAlgorithmSpec::RsassaPssSha256,
            MessageType::Raw,
            b"m",
        )
        .unwrap();
        for &other in &KeySpec::Rsa2048.signing_algorithms()[1..] {
            assert_eq!(
                verify(m, other, MessageType::Raw, b"m", &sig).unwrap_err(),
                CryptoError::InvalidSignature,
                "{other}"
            );
        }
    }

    #[test]
    fn algorithms_outside_the_spec_are_usage_errors() {
        for spec in signing_specs() {
            let m = material(spec);
            for &alg in SigningAlgorithmSpec::ALL {
                if spec.signing_algorithms().contains(&alg) {
                    continue;
                }
                let err = sign(m, alg, MessageType::Raw, b"m").unwrap_err();
                if alg == SigningAlgorithmSpec::SmDsa {
                    assert_eq!(err, CryptoError::Unsupported { what: "SM2DSA" });
                } else {
                    assert_eq!(
                        err,
                        CryptoError::AlgorithmNotValidForKey {
                            algorithm: alg.as_str(),
                            key_spec: spec
                        }
                    );
                    assert_eq!(err.kms_error_code(), "InvalidKeyUsageException");
                }
                assert!(verify(m, alg, MessageType::Raw, b"m", &[0x30, 0]).is_err());
            }
        }
        for spec in [KeySpec::SymmetricDefault, KeySpec::Hmac256] {
            let err = sign(
                material(spec),
                SigningAlgorithmSpec::EcdsaSha256,
                MessageType::Raw,
                b"m",
            )
            .unwrap_err();
            assert_eq!(
                err,
                CryptoError::OperationNotValidForKey {
                    operation: "Sign",
                    key_spec: spec
                }
            );
        }
    }

    #[test]
    fn input_lengths_are_checked() {
        for spec in signing_specs() {
            let m = material(spec);
            for &alg in spec.signing_algorithms() {
                let len = Hash::of(alg).unwrap().len();
                for wrong in [0, len - 1, len + 1, 64 + 1] {
                    assert!(
                        matches!(
                            sign(m, alg, MessageType::Digest, &vec![1u8; wrong]),
                            Err(CryptoError::InvalidLength { what: "digest", actual, .. }) if actual == wrong
                        ),
                        "{spec} {alg} {wrong}"
                    );
                    assert!(matches!(
                        verify(m, alg, MessageType::Digest, &vec![1u8; wrong], &[0u8; 8]),
                        Err(CryptoError::InvalidLength { .. })
                    ));
                }
            }
            let alg = spec.signing_algorithms()[0];
            assert!(sign(m, alg, MessageType::Raw, &[7u8; MAX_MESSAGE_LEN]).is_ok());
            for wrong in [0, MAX_MESSAGE_LEN + 1] {
                assert_eq!(
                    sign(m, alg, MessageType::Raw, &vec![7u8; wrong]).unwrap_err(),
                    CryptoError::length("message", "1 to 4096 bytes", wrong)
                );
            }
        }
        let err = sign(
            material(KeySpec::EccNistP384),
            SigningAlgorithmSpec::EcdsaSha384,
            MessageType::Digest,
            &[0u8; 32],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "digest must be exactly 48 bytes (a SHA-384 digest), got 32 bytes"
        );
    }

    #[test]
    fn ecdsa_signatures_have_low_s() {
        for spec in [KeySpec::EccNistP256, KeySpec::EccSecgP256k1] {
            let m = material(spec);
            for i in 0..16u8 {
                let sig =
                    sign(m, SigningAlgorithmSpec::EcdsaSha256, MessageType::Raw, &[i]).unwrap();
                if spec == KeySpec::EccNistP256 {
                    let sig = p256::ecdsa::Signature::from_der(&sig).unwrap();
                    assert!(sig.normalize_s().is_none(), "already low-S");
                } else {
                    let sig = k256::ecdsa::Signature::from_der(&sig).unwrap();
                    assert!(sig.normalize_s().is_none(), "already low-S");
                }
            }
        }
    }

    #[test]
    fn high_s_signatures_made_elsewhere_verify() {
        macro_rules! high_s {
            ($curve:ident, $der:expr) => {{
                let sig = $curve::ecdsa::Signature::from_der($der).unwrap();
                let (r, s) = sig.split_scalars();
                let high = $curve::ecdsa::Signature::from_scalars(r, -*s).unwrap();
                assert!(high.normalize_s().is_some(), "really high-S");
                high.to_der().as_bytes().to_vec()
            }};
        }
        for spec in [
            KeySpec::EccNistP256,
            KeySpec::EccNistP384,
            KeySpec::EccNistP521,
            KeySpec::EccSecgP256k1,
        ] {
            let m = material(spec);
            let alg = spec.signing_algorithms()[0];
            let sig = sign(m, alg, MessageType::Raw, b"m").unwrap();
            let high = match spec {
                KeySpec::EccNistP256 => high_s!(p256, &sig),
                KeySpec::EccNistP384 => high_s!(p384, &sig),
                KeySpec::EccNistP521 => high_s!(p521, &sig),
                _ => high_s!(k256, &sig),
            };
            verify(m, alg, MessageType::Raw, b"m", &high).unwrap();
        }
    }

    #[test]
    fn arbitrary_signature_bytes_never_panic() {
        let mut bytes = [0u8; 600];
        crate::crypto::material::fill_random(&mut bytes).unwrap();
        for spec in signing_specs() {
            let m = material(spec);
            let alg = spec.signing_algorithms()[0];
            for len in [0, 1, 2, 8, 64, 72, 139, 256, 384, 512, 600] {
                assert_eq!(
                    verify(m, alg, MessageType::Raw, b"m", &bytes[..len]).unwrap_err(),
                    CryptoError::InvalidSignature
                );
            }
        }
    }
}
