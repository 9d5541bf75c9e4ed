//! Tests of ML-KEM keys: key generation against the published examples,
//! encapsulation checked by an encapsulation key decoded from the SPKI
//! alone, implicit rejection, ciphertext lengths, the seed-form PKCS#8 and
//! its refusals.

use ml_kem::EncapsulationKey;
use sha2::{Digest, Sha256};
use spki::SubjectPublicKeyInfoRef;

use super::*;

const SPECS: [KeySpec; 3] = [KeySpec::MlKem512, KeySpec::MlKem768, KeySpec::MlKem1024];

/// The seed of the IETF LAMPS ML-KEM examples (`ML-KEM-*-seed.priv`, also
/// in the ml-kem crate's tests): 0x00, 0x01, ..., 0x3f.
fn example_seed() -> [u8; SEED_LEN] {
    core::array::from_fn(|i| u8::try_from(i).unwrap())
}

/// For each parameter set and that seed: the OID's last arc, the SHA-256
/// of the example's SubjectPublicKeyInfo DER (`ML-KEM-*.pub`), its length,
/// and the first bytes of the encoded encapsulation key.
const EXAMPLE_PUBLIC_KEYS: [(KeySpec, u8, &str, usize, &str); 3] = [
    (
        KeySpec::MlKem512,
        0x01,
        "0e3c8b89b54202d2545f7aba2e2aaa3cffa7b6191919ad738fab35b4f313cf71",
        822,
        "3995815e597d1043",
    ),
    (
        KeySpec::MlKem768,
        0x02,
        "c23e23dd3d485a9256cda09358a4a286e00b373db10761eadf99f710649ca31c",
        1206,
        "298aa10d423c8dda",
    ),
    (
        KeySpec::MlKem1024,
        0x03,
        "d2b7480ae006a14b37c1e8a8e45ea39022e32a9b1a7b90d594c84d869c6ac420",
        1590,
        "4b94c29450111191",
    ),
];

/// Encoded encapsulation key and ciphertext lengths (FIPS 203 Table 3).
fn sizes(spec: KeySpec) -> (usize, usize) {
    match spec {
        KeySpec::MlKem512 => (800, 768),
        KeySpec::MlKem768 => (1184, 1088),
        _ => (1568, 1568),
    }
}

fn key(spec: KeySpec) -> MlKemKey {
    MlKemKey::generate(spec).unwrap()
}

/// The raw encapsulation key inside an SPKI, checking its algorithm.
fn raw_public_key(spec: KeySpec, spki: &[u8]) -> Vec<u8> {
    let info = SubjectPublicKeyInfoRef::try_from(spki).unwrap();
    assert_eq!(Some(info.algorithm.oid), oid_of(spec));
    assert!(info.algorithm.parameters.is_none(), "parameters are absent");
    info.subject_public_key.as_bytes().unwrap().to_vec()
}

/// Encapsulates as a client holding only the SPKI would: the ml-kem
/// crate's ML-KEM.Encaps_internal with message `m`, on a key decoded (and
/// checked, FIPS 203 section 7.2) from the BIT STRING.
fn client_encapsulate(spec: KeySpec, spki: &[u8], m: &[u8; 32]) -> (Vec<u8>, [u8; 32]) {
    macro_rules! run {
        ($params:ty, $raw:expr) => {{
            let encoded = ml_kem::kem::Key::<EncapsulationKey<$params>>::try_from($raw).unwrap();
            let ek = EncapsulationKey::<$params>::new(&encoded).unwrap();
            let (ct, k) = ek.encapsulate_deterministic(&B32::from(*m));
            (ct.to_vec(), k.into())
        }};
    }
    let raw = raw_public_key(spec, spki);
    match spec {
        KeySpec::MlKem512 => run!(MlKem512, raw.as_slice()),
        KeySpec::MlKem768 => run!(MlKem768, raw.as_slice()),
        _ => run!(MlKem1024, raw.as_slice()),
    }
}

#[test]
fn key_generation_from_a_seed_matches_the_published_examples() {
    for (spec, arc, spki_sha256, spki_len, ek_start) in EXAMPLE_PUBLIC_KEYS {
        let k = MlKemKey::from_seed(spec, &example_seed()).unwrap();
        let spki = k.public_key_der().unwrap();
        assert_eq!(spki.len(), spki_len, "{spec}");
        assert_eq!(hex::encode(Sha256::digest(&spki)), spki_sha256, "{spec}");
        let raw = raw_public_key(spec, &spki);
        assert_eq!(raw.len(), sizes(spec).0);
        assert_eq!(hex::encode(&raw[..8]), ek_start);
        assert_eq!(raw, k.encapsulation_key_bytes());
        // The example's private key file, byte for byte: PrivateKeyInfo
        // { version 0, id-alg-ml-kem-*, OCTET STRING { [0] seed } }.
        let mut expected = hex::decode("3054020100300b06096086480165030404").unwrap();
        expected.push(arc);
        expected.extend_from_slice(&[0x04, 0x42, 0x80, 0x40]);
        expected.extend_from_slice(&example_seed());
        assert_eq!(k.to_pkcs8_der().unwrap().as_slice(), expected, "{spec}");
    }
}

#[test]
fn shared_secrets_round_trip_for_every_parameter_set() {
    for spec in SPECS {
        let k = key(spec);
        let (ek_len, ct_len) = sizes(spec);
        assert_eq!(k.encapsulation_key_bytes().len(), ek_len);
        assert_eq!(ciphertext_len(spec), Some(ct_len));
        let e = k.encapsulate().unwrap();
        assert_eq!(e.ciphertext.len(), ct_len, "{spec}");
        assert_eq!(e.shared_secret.len(), SHARED_SECRET_LEN);
        assert_eq!(k.decapsulate(&e.ciphertext).unwrap(), e.shared_secret);
        let again = k.encapsulate().unwrap();
        assert_ne!(again.ciphertext, e.ciphertext, "m is fresh per call");
        assert_ne!(again.shared_secret, e.shared_secret);
    }
}

#[test]
fn a_client_encapsulating_to_the_spki_gets_the_same_secret() {
    for spec in SPECS {
        let k = key(spec);
        let spki = k.public_key_der().unwrap();
        let (ct, secret) = client_encapsulate(spec, &spki, &[7u8; 32]);
        assert_eq!(*k.decapsulate(&ct).unwrap(), secret, "{spec}");
    }
}

#[test]
fn a_ciphertext_of_the_wrong_length_is_the_only_error() {
    for spec in SPECS {
        let k = key(spec);
        let ct_len = sizes(spec).1;
        for len in [0, 1, ct_len - 1, ct_len + 1, 768, 1088, 1568] {
            if len == ct_len {
                continue;
            }
            let err = k.decapsulate(&vec![0u8; len]).unwrap_err();
            assert_eq!(
                err,
                CryptoError::InvalidCiphertextLength {
                    key_spec: spec,
                    expected: ct_len,
                    actual: len,
                }
            );
            assert_eq!(err.kms_error_code(), "InvalidCiphertextException");
        }
        // All zeros and all ones of the right length decapsulate.
        for fill in [0x00, 0xff] {
            assert_eq!(k.decapsulate(&vec![fill; ct_len]).unwrap().len(), 32);
        }
    }
}

#[test]
fn an_altered_or_foreign_ciphertext_gets_the_implicit_rejection_value() {
    for spec in SPECS {
        let k = key(spec);
        let e = k.encapsulate().unwrap();
        let mut altered = e.ciphertext.clone();
        altered[17] ^= 0x01;
        let rejected = k.decapsulate(&altered).unwrap();
        assert_ne!(rejected, e.shared_secret, "{spec}");
        assert_eq!(k.decapsulate(&altered).unwrap(), rejected, "deterministic");
        let mut other = altered.clone();
        other[18] ^= 0x01;
        assert_ne!(k.decapsulate(&other).unwrap(), rejected, "depends on c");
        // Another key of the same spec (another z) rejects differently.
        let foreign = key(spec);
        let by_foreign = foreign.decapsulate(&e.ciphertext).unwrap();
        assert_ne!(by_foreign, e.shared_secret);
        assert_eq!(foreign.decapsulate(&e.ciphertext).unwrap(), by_foreign);
    }
}

#[test]
fn pkcs8_round_trips_through_key_material() {
    for spec in SPECS {
        let material = KeyMaterial::generate(spec).unwrap();
        assert_eq!(material.spec(), spec);
        let der = material.to_bytes().unwrap();
        assert_eq!(der.len(), 86, "the seed form has one length");
        let loaded = KeyMaterial::from_bytes(spec, &der).unwrap();
        assert!(loaded.same_material_as(&material).unwrap());
        assert_eq!(
            loaded.public_key_der().unwrap(),
            material.public_key_der().unwrap()
        );
        let e = encapsulate(&material).unwrap();
        assert_eq!(
            decapsulate(&loaded, &e.ciphertext).unwrap(),
            e.shared_secret
        );
    }
}

#[test]
fn malformed_or_foreign_pkcs8_is_refused() {
    let good = MlKemKey::from_seed(KeySpec::MlKem768, &example_seed())
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    assert!(MlKemKey::from_pkcs8_der(KeySpec::MlKem768, &good).is_ok());
    // Another parameter set's key, or a spec that is not ML-KEM.
    for spec in [
        KeySpec::MlKem512,
        KeySpec::MlKem1024,
        KeySpec::MlDsa65,
        KeySpec::EccNistP256,
    ] {
        assert_eq!(
            MlKemKey::from_pkcs8_der(spec, &good).unwrap_err(),
            invalid(spec)
        );
    }
    let mut trailing = good.to_vec();
    trailing.push(0);
    let truncated = &good[..good.len() - 1];
    // The expandedKey choice (a bare OCTET STRING) instead of the seed.
    let mut expanded = good.to_vec();
    expanded[20] = 0x04;
    // The seed with one byte too few, the lengths adjusted.
    let mut short = hex::decode("3053020100300b0609608648016503040402044180").unwrap();
    short.push(0x3f);
    short.extend_from_slice(&example_seed()[..63]);
    for bad in [
        &trailing[..],
        truncated,
        &expanded,
        &short,
        b"",
        &[0x30, 0x00],
    ] {
        assert_eq!(
            MlKemKey::from_pkcs8_der(KeySpec::MlKem768, bad).unwrap_err(),
            invalid(KeySpec::MlKem768),
            "{}",
            hex::encode(bad)
        );
    }
    assert!(KeyMaterial::from_bytes(KeySpec::MlKem768, &short).is_err());
}

#[test]
fn other_keys_cannot_encapsulate_and_secrets_stay_out_of_debug() {
    let ecc = KeyMaterial::generate(KeySpec::EccNistP256).unwrap();
    assert_eq!(
        encapsulate(&ecc).unwrap_err(),
        CryptoError::OperationNotValidForKey {
            operation: "Encapsulate",
            key_spec: KeySpec::EccNistP256,
        }
    );
    assert_eq!(
        decapsulate(&ecc, &[0u8; 1088])
            .unwrap_err()
            .kms_error_code(),
        "InvalidKeyUsageException"
    );
    let k = MlKemKey::from_seed(KeySpec::MlKem512, &example_seed()).unwrap();
    let e = k.encapsulate().unwrap();
    let material = KeyMaterial::from_bytes(KeySpec::MlKem512, &k.to_pkcs8_der().unwrap()).unwrap();
    let shown = format!("{k:?} {e:?} {material:?}");
    assert!(shown.contains("redacted"), "{shown}");
    // Neither the seed nor the secret appears, in hex or as a byte list.
    for secret in [&example_seed()[..], &e.shared_secret[..]] {
        assert!(!shown.contains(&hex::encode(&secret[..8])), "{shown}");
        assert!(!shown.contains(&format!("{:?}", &secret[..4])), "{shown}");
    }
}
