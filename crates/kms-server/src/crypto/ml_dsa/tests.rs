//! Tests of ML-DSA keys: key generation against published examples, signing
//! checked by the ml-dsa crate's own verifier from the SPKI alone, RFC 9881
//! encodings and refusals.

use der::Encode;
use der::asn1::OctetStringRef;
use ml_dsa::signature::digest::Update;
use pkcs8::PrivateKeyInfoRef;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

use super::*;

/// RFC 9881: `seed [0]`, 32 bytes.
const SEED_HEADER: [u8; 2] = [0x80, 0x20];

const SPECS: [KeySpec; 3] = [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87];

/// The seed of the IETF LAMPS examples (RFC 9881's appendix, the
/// lamps-wg/dilithium-certificates `examples/ML-DSA-*-seed.priv`):
/// 0x00, 0x01, ..., 0x1f.
fn example_seed() -> [u8; SEED_LEN] {
    core::array::from_fn(|i| u8::try_from(i).unwrap())
}

/// For each parameter set and that seed: the OID's last arc, the SHA-256
/// of the example's SubjectPublicKeyInfo DER (`ML-DSA-*.pub`), its length,
/// and the first bytes of the encoded public key (ρ).
const EXAMPLE_PUBLIC_KEYS: [(KeySpec, u8, &str, usize, &str); 3] = [
    (
        KeySpec::MlDsa44,
        0x11,
        "837832708c5236d951581f1fddf2b79991b3424a0486d16da1ddad0fd69701be",
        1334,
        "d7b2b47254aae0db",
    ),
    (
        KeySpec::MlDsa65,
        0x12,
        "b8b62131bfbe84433efb2273d7f5b87f7a22854a2cfd366fc2aead86d837c52d",
        1974,
        "48683d91978e31eb",
    ),
    (
        KeySpec::MlDsa87,
        0x13,
        "07e57c4f14dbad1267f621ec3777b4e2e6c4fbc4c22fbb87510ff8e0b3c6a642",
        2614,
        "9792bcec2f243068",
    ),
];

/// Encoded public key and signature lengths (FIPS 204 Table 2).
fn sizes(spec: KeySpec) -> (usize, usize) {
    match spec {
        KeySpec::MlDsa44 => (1312, 2420),
        KeySpec::MlDsa65 => (1952, 3309),
        _ => (2592, 4627),
    }
}

fn key(spec: KeySpec) -> MlDsaKey {
    MlDsaKey::generate(spec).unwrap()
}

/// The raw encoded public key inside an SPKI, checking its algorithm.
fn raw_public_key(spec: KeySpec, spki: &[u8]) -> Vec<u8> {
    let info = SubjectPublicKeyInfoRef::try_from(spki).unwrap();
    assert_eq!(Some(info.algorithm.oid), oid_of(spec));
    assert!(info.algorithm.parameters.is_none(), "RFC 9881: absent");
    info.subject_public_key.as_bytes().unwrap().to_vec()
}

/// Verifies as a client holding only the SPKI would, with the ml-dsa
/// crate's ML-DSA.Verify (empty context) on a key decoded from it.
fn client_verify(spec: KeySpec, spki: &[u8], message: &[u8], ctx: &[u8], sig: &[u8]) -> bool {
    fn run<P: MlDsaParams>(raw: &[u8], message: &[u8], ctx: &[u8], sig: &[u8]) -> bool {
        let encoded = EncodedVerifyingKey::<P>::try_from(raw).unwrap();
        let vk = VerifyingKey::<P>::decode(&encoded);
        let Ok(sig) = Signature::<P>::try_from(sig) else {
            return false;
        };
        vk.verify_with_context(message, ctx, &sig)
    }
    let raw = raw_public_key(spec, spki);
    match spec {
        KeySpec::MlDsa44 => run::<MlDsa44>(&raw, message, ctx, sig),
        KeySpec::MlDsa65 => run::<MlDsa65>(&raw, message, ctx, sig),
        _ => run::<MlDsa87>(&raw, message, ctx, sig),
    }
}

/// μ of `message` under `spki` with an empty context, computed by the
/// ml-dsa crate's verifier (FIPS 204 Algorithm 7 line 6).
fn mu_of(spec: KeySpec, spki: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<P: MlDsaParams>(raw: &[u8], message: &[u8]) -> Vec<u8> {
        let encoded = EncodedVerifyingKey::<P>::try_from(raw).unwrap();
        let vk = VerifyingKey::<P>::decode(&encoded);
        vk.compute_mu(
            |h| {
                h.update(message);
                Ok(())
            },
            &[],
        )
        .unwrap()
        .to_vec()
    }
    let raw = raw_public_key(spec, spki);
    match spec {
        KeySpec::MlDsa44 => run::<MlDsa44>(&raw, message),
        KeySpec::MlDsa65 => run::<MlDsa65>(&raw, message),
        _ => run::<MlDsa87>(&raw, message),
    }
}

#[test]
fn key_generation_from_a_seed_matches_the_published_examples() {
    for (spec, arc, spki_sha256, spki_len, rho_prefix) in EXAMPLE_PUBLIC_KEYS {
        let key = MlDsaKey::from_seed(spec, &example_seed()).unwrap();
        assert_eq!(key.spec(), spec);
        let spki = key.public_key_der().unwrap();
        assert_eq!(spki.len(), spki_len, "{spec}");
        assert_eq!(hex::encode(Sha256::digest(&spki)), spki_sha256, "{spec}");
        let raw = raw_public_key(spec, &spki);
        assert_eq!(raw.len(), sizes(spec).0);
        assert!(hex::encode(&raw).starts_with(rho_prefix), "{spec}");

        // The storage form is the example's seed-form PKCS#8, byte for byte.
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let expected = format!(
            "3034020100300b06096086480165030403{arc:02x}04228020{}",
            hex::encode(example_seed())
        );
        assert_eq!(hex::encode(pkcs8.as_slice()), expected, "{spec}");
        let back = MlDsaKey::from_pkcs8_der(spec, &pkcs8).unwrap();
        assert_eq!(back.public_key_der().unwrap(), spki);
    }
}

#[test]
fn raw_signatures_verify_with_an_independent_decoder_and_are_hedged() {
    let message = b"the quick brown fox jumps over the lazy dog";
    for spec in SPECS {
        let key = key(spec);
        let spki = key.public_key_der().unwrap();
        let a = key.sign(message).unwrap();
        let b = key.sign(message).unwrap();
        assert_eq!(a.len(), sizes(spec).1, "{spec}");
        assert_ne!(a, b, "{spec}: hedged signing uses fresh randomness");
        for sig in [&a, &b] {
            key.verify(message, sig).unwrap();
            assert!(client_verify(spec, &spki, message, &[], sig), "{spec}");
            // The context is part of what is signed: AWS's is empty.
            assert!(!client_verify(spec, &spki, message, b"ctx", sig), "{spec}");
            assert!(!client_verify(spec, &spki, b"other", &[], sig), "{spec}");
        }
    }
}

#[test]
fn external_mu_signatures_are_signatures_of_the_message() {
    let message = b"a message hashed into mu by the client";
    for spec in SPECS {
        let key = key(spec);
        let spki = key.public_key_der().unwrap();
        let mu = mu_of(spec, &spki, message);
        assert_eq!(mu.len(), MU_LEN);
        let sig = key.sign_mu(&mu).unwrap();
        key.verify_mu(&mu, &sig).unwrap();
        key.verify(message, &sig).unwrap();
        assert!(client_verify(spec, &spki, message, &[], &sig), "{spec}");
        let raw_sig = key.sign(message).unwrap();
        key.verify_mu(&mu, &raw_sig).unwrap();
        let mut other = mu.clone();
        other[0] ^= 1;
        assert_eq!(
            key.verify_mu(&other, &sig).unwrap_err(),
            CryptoError::InvalidSignature
        );
        for len in [0, 32, 63, 65] {
            let err = key.sign_mu(&vec![0u8; len]).unwrap_err();
            assert_eq!(err.kms_error_code(), "ValidationException");
            assert_eq!(
                key.verify_mu(&vec![0u8; len], &sig)
                    .unwrap_err()
                    .kms_error_code(),
                "ValidationException"
            );
        }
    }
}

#[test]
fn deterministic_signatures_made_elsewhere_verify() {
    let seed = example_seed();
    let signing = SigningKey::<MlDsa65>::from_seed(&ml_dsa::Seed::from(seed));
    let sig = signing
        .expanded_key()
        .sign_deterministic(b"made elsewhere", &[])
        .unwrap()
        .encode();
    let key = MlDsaKey::from_seed(KeySpec::MlDsa65, &seed).unwrap();
    key.verify(b"made elsewhere", &sig).unwrap();
}

#[test]
fn malformed_signatures_are_invalid_not_panics() {
    for spec in SPECS {
        let key = key(spec);
        let sig = key.sign(b"m").unwrap();
        let mut all_ones = sig.clone();
        all_ones.iter_mut().for_each(|b| *b = 0xff);
        for bad in [
            &[][..],
            &sig[..sig.len() - 1],
            &[sig.as_slice(), &[0]].concat(),
            &all_ones,
            &vec![0u8; sig.len()],
        ] {
            assert_eq!(
                key.verify(b"m", bad).unwrap_err(),
                CryptoError::InvalidSignature,
                "{spec} {}",
                bad.len()
            );
        }
    }
}

#[test]
fn malformed_or_foreign_pkcs8_is_refused() {
    let good = MlDsaKey::from_seed(KeySpec::MlDsa44, &example_seed())
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    let alg = |oid| AlgorithmIdentifierRef {
        oid,
        parameters: None,
    };
    let info = |algorithm, private_key| {
        PrivateKeyInfoRef::new(algorithm, OctetStringRef::new(private_key).unwrap())
    };
    let seed_inner = [&SEED_HEADER[..], &example_seed()].concat();
    // RFC 9881's expandedKey choice (a bare OCTET STRING) and "both"
    // (a SEQUENCE); neither is accepted, as the seed is what is stored.
    let expanded = info(alg(ML_DSA_44_OID), &[0x04, 0x02, 1, 2])
        .to_der()
        .unwrap();
    let both = info(alg(ML_DSA_44_OID), &[0x30, 0x00]).to_der().unwrap();
    let short = info(alg(ML_DSA_44_OID), &seed_inner[..33])
        .to_der()
        .unwrap();
    let with_parameters = info(
        AlgorithmIdentifierRef {
            oid: ML_DSA_44_OID,
            parameters: Some(der::asn1::AnyRef::NULL),
        },
        &seed_inner,
    )
    .to_der()
    .unwrap();
    let mut trailing = good.to_vec();
    trailing.push(0);
    for (spec, bad) in [
        (KeySpec::MlDsa65, &good[..]),
        (KeySpec::MlDsa87, &good[..]),
        (KeySpec::MlDsa44, &good[..good.len() - 1]),
        (KeySpec::MlDsa44, &trailing),
        (KeySpec::MlDsa44, &expanded),
        (KeySpec::MlDsa44, &both),
        (KeySpec::MlDsa44, &short),
        (KeySpec::MlDsa44, &with_parameters),
        (KeySpec::MlDsa44, &example_seed()[..]),
        (KeySpec::EccNistP256, &good[..]),
    ] {
        assert_eq!(
            MlDsaKey::from_pkcs8_der(spec, bad)
                .unwrap_err()
                .kms_error_code(),
            "IncorrectKeyMaterialException",
            "{spec} {}",
            hex::encode(bad)
        );
    }
    assert_eq!(
        format!("{:?}", key(KeySpec::MlDsa44)),
        "MlDsaKey(<redacted>)"
    );
}
