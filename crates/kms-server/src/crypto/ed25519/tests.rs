//! Tests of Ed25519 keys: RFC 8032 known answers, RFC 8410 encodings.

use super::*;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn seed(s: &str) -> [u8; KEY_LEN] {
    unhex(s).try_into().unwrap()
}

/// A version 1 PrivateKeyInfo of `algorithm` holding `private_key`.
fn info<'a>(algorithm: AlgorithmIdentifierRef<'a>, private_key: &'a [u8]) -> PrivateKeyInfoRef<'a> {
    PrivateKeyInfoRef::new(algorithm, OctetStringRef::new(private_key).unwrap())
}

/// RFC 8032 section 7.1, TEST 1 and TEST 2: (secret key, public key,
/// message, signature).
const RFC8032_ED25519: [(&str, &str, &str, &str); 2] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
];

/// RFC 8032 section 7.3, TEST abc (Ed25519ph, empty context).
const RFC8032_ED25519PH_SECRET: &str =
    "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42";
const RFC8032_ED25519PH_PUBLIC: &str =
    "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf";
const RFC8032_ED25519PH_SIGNATURE: &str = "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406";

/// The DER prefixes RFC 8410 gives: SubjectPublicKeyInfo (section 4) and
/// a version 1 OneAsymmetricKey (section 7), before the 32 key bytes.
const SPKI_PREFIX: &str = "302a300506032b6570032100";
const PKCS8_PREFIX: &str = "302e020100300506032b657004220420";

#[test]
fn rfc8032_ed25519_known_answers() {
    for (secret, public, message, signature) in RFC8032_ED25519 {
        let key = Ed25519Key::from_seed(&seed(secret));
        let spki = key.public_key_der().unwrap();
        assert_eq!(hex::encode(&spki), format!("{SPKI_PREFIX}{public}"));
        let message = unhex(message);
        let sig = key.sign(&message);
        assert_eq!(hex::encode(&sig), signature);
        key.verify(&message, &sig).unwrap();
        let mut other = message.clone();
        other.push(0);
        assert_eq!(
            key.verify(&other, &sig).unwrap_err(),
            CryptoError::InvalidSignature
        );
    }
}

#[test]
fn rfc8032_ed25519ph_known_answer() {
    let key = Ed25519Key::from_seed(&seed(RFC8032_ED25519PH_SECRET));
    assert_eq!(
        hex::encode(key.public_key_der().unwrap()),
        format!("{SPKI_PREFIX}{RFC8032_ED25519PH_PUBLIC}")
    );
    // The Ed25519ph message is what the caller sent; PH(M) is SHA-512 of it.
    let sig = key.sign_ph(b"abc").unwrap();
    assert_eq!(hex::encode(&sig), RFC8032_ED25519PH_SIGNATURE);
    key.verify_ph(b"abc", &sig).unwrap();
    assert_eq!(
        key.verify_ph(b"abd", &sig).unwrap_err(),
        CryptoError::InvalidSignature
    );
    // Ed25519ph and pure Ed25519 signatures are not interchangeable.
    assert_eq!(
        key.verify(b"abc", &sig).unwrap_err(),
        CryptoError::InvalidSignature
    );
}

#[test]
fn pkcs8_is_rfc8410_version_1_and_round_trips() {
    let (secret, public, _, _) = RFC8032_ED25519[0];
    let key = Ed25519Key::from_seed(&seed(secret));
    let der = key.to_pkcs8_der().unwrap();
    assert_eq!(
        hex::encode(der.as_slice()),
        format!("{PKCS8_PREFIX}{secret}")
    );
    let back = Ed25519Key::from_pkcs8_der(&der).unwrap();
    assert_eq!(
        hex::encode(back.public_key_der().unwrap()),
        format!("{SPKI_PREFIX}{public}")
    );

    // Version 2 with the matching public key (as some tools write it).
    let inner = unhex(&format!("0420{secret}"));
    let public_bytes = unhex(public);
    let mut v2 = info(algorithm(), &inner);
    v2.public_key = Some(BitStringRef::from_bytes(&public_bytes).unwrap());
    let v2 = v2.to_der().unwrap();
    assert_eq!(v2[4], 0x01, "version 2");
    Ed25519Key::from_pkcs8_der(&v2).unwrap();
}

#[test]
fn malformed_pkcs8_is_refused() {
    let (secret, _, _, _) = RFC8032_ED25519[0];
    let good = unhex(&format!("{PKCS8_PREFIX}{secret}"));
    let mut trailing = good.clone();
    trailing.push(0);
    let inner = unhex(&format!("0420{secret}"));
    let wrong_public = [7u8; 32];
    let mut mismatched = info(algorithm(), &inner);
    mismatched.public_key = Some(BitStringRef::from_bytes(&wrong_public).unwrap());
    let mismatched = mismatched.to_der().unwrap();
    let x25519 = info(
        AlgorithmIdentifierRef {
            oid: ObjectIdentifier::new_unwrap("1.3.101.110"),
            parameters: None,
        },
        &inner,
    )
    .to_der()
    .unwrap();
    let with_parameters = info(
        AlgorithmIdentifierRef {
            oid: ED25519_OID,
            parameters: Some(der::asn1::AnyRef::NULL),
        },
        &inner,
    )
    .to_der()
    .unwrap();
    let short = info(algorithm(), &inner[..33]).to_der().unwrap();
    let raw_seed = info(algorithm(), &inner[2..]).to_der().unwrap();
    let p256 = unhex(crate::crypto::sign_vectors::P256_KEY_PKCS8);
    for bad in [
        &[][..],
        &good[..good.len() - 1],
        &trailing,
        &mismatched,
        &x25519,
        &with_parameters,
        &short,
        &raw_seed,
        &p256,
        &seed(secret)[..],
    ] {
        assert_eq!(
            Ed25519Key::from_pkcs8_der(bad)
                .unwrap_err()
                .kms_error_code(),
            "IncorrectKeyMaterialException",
            "{}",
            hex::encode(bad)
        );
    }
}

#[test]
fn malformed_signatures_are_invalid_not_panics() {
    let key = Ed25519Key::generate().unwrap();
    let sig = key.sign(b"m");
    for bad in [
        &[][..],
        &sig[..63],
        &[sig.as_slice(), &[0]].concat(),
        &[0xff; 64],
    ] {
        assert_eq!(
            key.verify(b"m", bad).unwrap_err(),
            CryptoError::InvalidSignature
        );
        assert_eq!(
            key.verify_ph(b"m", bad).unwrap_err(),
            CryptoError::InvalidSignature
        );
    }
    assert_eq!(format!("{key:?}"), "Ed25519Key(<redacted>)");
}
