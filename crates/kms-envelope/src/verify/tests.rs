use super::*;
use alloc::vec::Vec;
use ecdsa::signature::hazmat::{PrehashSigner, RandomizedPrehashSigner};
use elliptic_curve::Generate as _;
use elliptic_curve::scalar::IsHigh as _;
use pkcs8::EncodePublicKey as _;
use proptest::prelude::*;
use rsa::PrivateKey as RsaPrivateKey;
use std::sync::OnceLock;

const MESSAGE: &[u8] = b"what KMS signed";

fn spki_of_point<C>(point: &[u8]) -> Vec<u8>
where
    C: elliptic_curve::CurveArithmetic + pkcs8::AssociatedOid,
    elliptic_curve::AffinePoint<C>:
        elliptic_curve::sec1::FromSec1Point<C> + elliptic_curve::sec1::ToSec1Point<C>,
    elliptic_curve::FieldBytesSize<C>: elliptic_curve::sec1::ModulusSize,
{
    elliptic_curve::PublicKey::<C>::from_sec1_bytes(point)
        .unwrap()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// One EC key: its SPKI DER, its algorithm, and a signer over digests.
struct EcCase {
    kind: KeyKind,
    alg: SigningAlgorithm,
    spki: Vec<u8>,
    sign: fn(&[u8], &[u8]) -> Vec<u8>,
    scalar: Vec<u8>,
}

fn ec_cases() -> Vec<EcCase> {
    let mut rng = rand_core::UnwrapErr(crate::random::rng());
    let p256 = p256::ecdsa::SigningKey::generate_from_rng(&mut rng);
    let p384 = p384::ecdsa::SigningKey::generate_from_rng(&mut rng);
    let p521 = p521::ecdsa::SigningKey::generate_from_rng(&mut rng);
    let k256 = k256::ecdsa::SigningKey::generate_from_rng(&mut rng);
    alloc::vec![
        EcCase {
            kind: KeyKind::EccNistP256,
            alg: SigningAlgorithm::EcdsaSha256,
            spki: spki_of_point::<p256::NistP256>(
                p256.verifying_key().to_sec1_point(false).as_bytes()
            ),
            sign: |scalar, digest| {
                let k = p256::ecdsa::SigningKey::from_slice(scalar).unwrap();
                let s: p256::ecdsa::Signature = k.sign_prehash(digest).unwrap();
                s.to_der().as_bytes().to_vec()
            },
            scalar: p256.to_bytes().to_vec(),
        },
        EcCase {
            kind: KeyKind::EccNistP384,
            alg: SigningAlgorithm::EcdsaSha384,
            spki: spki_of_point::<p384::NistP384>(
                p384.verifying_key().to_sec1_point(true).as_bytes()
            ),
            sign: |scalar, digest| {
                let k = p384::ecdsa::SigningKey::from_slice(scalar).unwrap();
                let s: p384::ecdsa::Signature = k.sign_prehash(digest).unwrap();
                s.to_der().as_bytes().to_vec()
            },
            scalar: p384.to_bytes().to_vec(),
        },
        EcCase {
            kind: KeyKind::EccNistP521,
            alg: SigningAlgorithm::EcdsaSha512,
            spki: spki_of_point::<p521::NistP521>(
                p521::ecdsa::VerifyingKey::from(&p521)
                    .to_sec1_point(false)
                    .as_bytes()
            ),
            sign: |scalar, digest| {
                let k = p521::ecdsa::SigningKey::from_slice(scalar).unwrap();
                let s: p521::ecdsa::Signature = k
                    .sign_prehash_with_rng(&mut crate::random::rng(), digest)
                    .unwrap();
                s.to_der().as_bytes().to_vec()
            },
            scalar: p521.to_bytes().to_vec(),
        },
        EcCase {
            kind: KeyKind::EccSecgP256k1,
            alg: SigningAlgorithm::EcdsaSha256,
            spki: spki_of_point::<k256::Secp256k1>(
                k256.verifying_key().to_sec1_point(false).as_bytes()
            ),
            sign: |scalar, digest| {
                let k = k256::ecdsa::SigningKey::from_slice(scalar).unwrap();
                let s: k256::ecdsa::Signature = k.sign_prehash(digest).unwrap();
                s.to_der().as_bytes().to_vec()
            },
            scalar: k256.to_bytes().to_vec(),
        },
    ]
}

fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 0x01;
    out
}

#[test]
fn ecdsa_on_every_curve_verifies_raw_and_digest_and_rejects_changes() {
    for case in ec_cases() {
        let key = PublicKey::from_der(&case.spki).unwrap();
        assert_eq!(key.kind(), case.kind);
        let digest = case.alg.hash().unwrap().digest(MESSAGE);
        let sig = (case.sign)(&case.scalar, &digest);
        key.verify(case.alg, Message::Raw(MESSAGE), &sig).unwrap();
        key.verify(case.alg, Message::Digest(&digest), &sig)
            .unwrap();
        for i in 0..sig.len() {
            assert_eq!(
                key.verify(case.alg, Message::Raw(MESSAGE), &flip(&sig, i)),
                Err(Error::SignatureInvalid),
                "{:?} byte {i}",
                case.kind
            );
        }
        assert_eq!(
            key.verify(case.alg, Message::Raw(b"another message"), &sig),
            Err(Error::SignatureInvalid)
        );
        assert_eq!(
            key.verify(case.alg, Message::Digest(&flip(&digest, 0)), &sig),
            Err(Error::SignatureInvalid)
        );
        assert_eq!(
            key.verify(case.alg, Message::Raw(MESSAGE), &sig[..sig.len() - 1]),
            Err(Error::SignatureInvalid)
        );
        assert!(matches!(
            key.verify(case.alg, Message::Digest(&digest[1..]), &sig),
            Err(Error::InvalidArgument(_))
        ));
        for alg in SigningAlgorithm::ALL {
            if alg != case.alg {
                assert!(matches!(
                    key.verify(alg, Message::Raw(MESSAGE), &sig),
                    Err(Error::InvalidArgument(_))
                ));
            }
        }
        // Every truncation of the key is refused without a panic.
        for end in 0..case.spki.len() {
            assert!(PublicKey::from_der(&case.spki[..end]).is_err());
        }
        let mut trailing = case.spki.clone();
        trailing.push(0);
        assert!(PublicKey::from_der(&trailing).is_err());
    }
}

#[test]
fn high_s_signatures_are_accepted_as_kms_may_produce_them() {
    let case = ec_cases().pop().unwrap(); // secp256k1
    let key = PublicKey::from_der(&case.spki).unwrap();
    let digest = case.alg.hash().unwrap().digest(MESSAGE);
    let sig = k256::ecdsa::Signature::from_der(&(case.sign)(&case.scalar, &digest)).unwrap();
    let high = k256::ecdsa::Signature::from_scalars(sig.r(), -*sig.s()).unwrap();
    assert!(bool::from(high.s().is_high()) || bool::from(sig.s().is_high()));
    for s in [sig, high] {
        key.verify(case.alg, Message::Digest(&digest), s.to_der().as_bytes())
            .unwrap();
    }
}

fn hex(s: &str) -> Vec<u8> {
    ::hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

use alloc::string::String;

#[test]
fn rfc6979_published_signatures_verify() {
    // RFC 6979 A.2.5 (P-256, SHA-256) and A.2.6 (P-384, SHA-384), message
    // "sample"; the public key is derived from the published private key.
    let p256_key = p256::ecdsa::SigningKey::from_slice(&hex(
        "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
    ))
    .unwrap();
    let point = p256_key.verifying_key().to_sec1_point(false);
    assert_eq!(
        &point.as_bytes()[1..33],
        &hex("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6")[..]
    );
    let key = PublicKey::from_der(&spki_of_point::<p256::NistP256>(point.as_bytes())).unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&hex(
        "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716
         F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
    ))
    .unwrap();
    let der = sig.to_der();
    key.verify(
        SigningAlgorithm::EcdsaSha256,
        Message::Raw(b"sample"),
        der.as_bytes(),
    )
    .unwrap();
    assert!(
        key.verify(
            SigningAlgorithm::EcdsaSha256,
            Message::Raw(b"test"),
            der.as_bytes()
        )
        .is_err()
    );

    let p384_key = p384::ecdsa::SigningKey::from_slice(&hex(
        "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5",
    ))
    .unwrap();
    let point = p384_key.verifying_key().to_sec1_point(true);
    let key = PublicKey::from_der(&spki_of_point::<p384::NistP384>(point.as_bytes())).unwrap();
    let sig = p384::ecdsa::Signature::from_slice(&hex(
        "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46
         99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8",
    ))
    .unwrap();
    key.verify(
        SigningAlgorithm::EcdsaSha384,
        Message::Raw(b"sample"),
        sig.to_der().as_bytes(),
    )
    .unwrap();
}

fn rsa_key(bits: usize) -> &'static RsaPrivateKey {
    static KEYS: [OnceLock<RsaPrivateKey>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match bits {
        2048 => &KEYS[0],
        3072 => &KEYS[1],
        _ => &KEYS[2],
    };
    slot.get_or_init(|| RsaPrivateKey::new(&mut crate::random::rng(), bits).unwrap())
}

fn rsa_sign(key: &RsaPrivateKey, alg: SigningAlgorithm, digest: &[u8]) -> Vec<u8> {
    use SigningAlgorithm as A;
    let mut rng = rand_core::UnwrapErr(crate::random::rng());
    match alg {
        A::RsassaPssSha256 => {
            key.sign_with_rng(&mut rng, Pss::<sha2::Sha256>::new_with_salt(32), digest)
        }
        A::RsassaPssSha384 => {
            key.sign_with_rng(&mut rng, Pss::<sha2::Sha384>::new_with_salt(48), digest)
        }
        A::RsassaPssSha512 => {
            key.sign_with_rng(&mut rng, Pss::<sha2::Sha512>::new_with_salt(64), digest)
        }
        A::RsassaPkcs1V15Sha256 => key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), digest),
        A::RsassaPkcs1V15Sha384 => key.sign(Pkcs1v15Sign::new::<sha2::Sha384>(), digest),
        A::RsassaPkcs1V15Sha512 => key.sign(Pkcs1v15Sign::new::<sha2::Sha512>(), digest),
        _ => unreachable!(),
    }
    .unwrap()
}

#[test]
fn rsa_pss_and_pkcs1_for_every_hash_and_size() {
    let rsa_algs: Vec<_> = SigningAlgorithm::ALL
        .into_iter()
        .filter(|a| KeyKind::Rsa { bits: 2048 }.supports(*a))
        .collect();
    assert_eq!(rsa_algs.len(), 6);
    for bits in [2048, 3072, 4096] {
        let private = rsa_key(bits);
        let spki = private.to_public_key().to_public_key_der().unwrap();
        let key = PublicKey::from_der(spki.as_bytes()).unwrap();
        assert_eq!(key.kind(), KeyKind::Rsa { bits });
        assert_eq!(key.kind().kms_key_spec(), alloc::format!("RSA_{bits}"));
        for &alg in &rsa_algs {
            let digest = alg.hash().unwrap().digest(MESSAGE);
            let sig = rsa_sign(private, alg, &digest);
            key.verify(alg, Message::Raw(MESSAGE), &sig).unwrap();
            key.verify(alg, Message::Digest(&digest), &sig).unwrap();
            for i in [0, sig.len() / 2, sig.len() - 1] {
                assert_eq!(
                    key.verify(alg, Message::Raw(MESSAGE), &flip(&sig, i)),
                    Err(Error::SignatureInvalid)
                );
            }
            assert_eq!(
                key.verify(alg, Message::Raw(b"other"), &sig),
                Err(Error::SignatureInvalid)
            );
            assert_eq!(
                key.verify(alg, Message::Raw(MESSAGE), &sig[1..]),
                Err(Error::SignatureInvalid)
            );
            // A signature under one RSA algorithm does not pass as another.
            for &other in rsa_algs.iter().filter(|a| **a != alg) {
                let other_digest = other.hash().unwrap().digest(MESSAGE);
                assert_eq!(
                    key.verify(other, Message::Digest(&other_digest), &sig),
                    Err(Error::SignatureInvalid),
                    "{alg:?} as {other:?}"
                );
            }
            for ecdsa in [
                SigningAlgorithm::EcdsaSha256,
                SigningAlgorithm::EcdsaSha384,
                SigningAlgorithm::EcdsaSha512,
            ] {
                assert!(matches!(
                    key.verify(ecdsa, Message::Raw(MESSAGE), &sig),
                    Err(Error::InvalidArgument(_))
                ));
            }
        }
    }
}

#[test]
fn pss_with_another_salt_length_is_refused() {
    let private = rsa_key(2048);
    let key = PublicKey::from_der(
        private
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let digest = Hash::Sha256.digest(MESSAGE);
    let sig = private
        .sign_with_rng(
            &mut crate::random::rng(),
            Pss::<sha2::Sha256>::new_with_salt(20),
            &digest,
        )
        .unwrap();
    assert_eq!(
        key.verify(
            SigningAlgorithm::RsassaPssSha256,
            Message::Digest(&digest),
            &sig
        ),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn small_rsa_unknown_algorithms_and_garbage_are_refused() {
    let small = RsaPrivateKey::new(&mut crate::random::rng(), 1024).unwrap();
    let spki = small.to_public_key().to_public_key_der().unwrap();
    assert!(matches!(
        PublicKey::from_der(spki.as_bytes()),
        Err(Error::InvalidKey(_))
    ));
    // rsa 0.10 takes moduli up to 8192 bits; KMS has none over 4096. The
    // built 4096-bit key shows the size, not the shape, is what is refused.
    assert!(PublicKey::from_der(&crate::kms::test_keys::rsa_spki_of_size(4096)).is_ok());
    for bits in [4160, 8192] {
        assert!(
            matches!(
                PublicKey::from_der(&crate::kms::test_keys::rsa_spki_of_size(bits)),
                Err(Error::InvalidKey(_))
            ),
            "{bits}"
        );
    }
    // An X25519 SubjectPublicKeyInfo (RFC 8410's id-X25519): a key KMS
    // has no signing algorithm for.
    let x25519 = hex(
        "302a300506032b656e03210019bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1",
    );
    assert!(matches!(
        PublicKey::from_der(&x25519),
        Err(Error::InvalidKey(_))
    ));
    for garbage in [&[][..], &[0x30], &[0x30, 0x00], &[0xff; 64]] {
        assert!(PublicKey::from_der(garbage).is_err());
    }
    for name in [
        "ECDSA_SHA_256",
        "RSASSA_PSS_SHA_512",
        "RSASSA_PKCS1_V1_5_SHA_384",
        "ED25519_SHA_512",
        "ED25519_PH_SHA_512",
        "ML_DSA_SHAKE_256",
        "SM2DSA",
    ] {
        assert_eq!(
            SigningAlgorithm::from_kms_name(name).unwrap().kms_name(),
            name
        );
    }
    assert!(SigningAlgorithm::from_kms_name("ECDSA_SHA_1").is_err());
    assert!("SM2".parse::<SigningAlgorithm>().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_keys_and_signatures_never_panic(
        key in proptest::collection::vec(any::<u8>(), 0..600),
        sig in proptest::collection::vec(any::<u8>(), 0..600),
        msg in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        if let Ok(k) = PublicKey::from_der(&key) {
            for alg in SigningAlgorithm::ALL {
                let _ = k.verify(alg, Message::Raw(&msg), &sig);
            }
        }
    }

    #[test]
    fn arbitrary_signatures_never_verify_under_real_keys(
        sig in proptest::collection::vec(any::<u8>(), 0..600),
        digest in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        for case in EC_KEYS.get_or_init(|| ec_cases().into_iter().map(|c| (c.alg, c.spki)).collect()) {
            let key = PublicKey::from_der(&case.1).unwrap();
            let r = key.verify(case.0, Message::Digest(&digest), &sig);
            prop_assert!(r.is_err());
        }
        let rsa = PublicKey::from_der(rsa_key(2048).to_public_key().to_public_key_der().unwrap().as_bytes()).unwrap();
        prop_assert!(rsa.verify(SigningAlgorithm::RsassaPssSha256, Message::Raw(&digest), &sig).is_err());
        prop_assert!(rsa.verify(SigningAlgorithm::RsassaPkcs1V15Sha512, Message::Raw(&digest), &sig).is_err());
        let ed = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
        let ed = PublicKey::from_der(&ed25519_spki(ed.as_bytes())).unwrap();
        prop_assert!(ed.verify(SigningAlgorithm::Ed25519Sha512, Message::Raw(&digest), &sig).is_err());
        prop_assert!(ed.verify(SigningAlgorithm::Ed25519PhSha512, Message::Digest(&digest), &sig).is_err());
        let ml = ml_dsa::SigningKey::<MlDsa44>::from_seed(&[1; 32].into()).expanded_key().verifying_key();
        let ml = PublicKey::from_der(&spki_without_parameters(ID_ML_DSA_44, &ml.encode())).unwrap();
        prop_assert!(ml.verify(SigningAlgorithm::MlDsaShake256, Message::Raw(&digest), &sig).is_err());
        prop_assert!(ml.verify(SigningAlgorithm::MlDsaShake256, Message::ExternalMu(&digest), &sig).is_err());
    }
}

static EC_KEYS: OnceLock<Vec<(SigningAlgorithm, Vec<u8>)>> = OnceLock::new();

/// A SubjectPublicKeyInfo with no algorithm parameters (RFC 8410, RFC 9881).
fn spki_without_parameters(oid: ObjectIdentifier, key: &[u8]) -> Vec<u8> {
    use der::Encode as _;
    spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid,
            parameters: None,
        },
        subject_public_key: der::asn1::BitStringRef::from_bytes(key).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// The same key with an explicit NULL as its algorithm parameters.
fn spki_with_null_parameters(oid: ObjectIdentifier, key: &[u8]) -> Vec<u8> {
    use der::Encode as _;
    spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid,
            parameters: Some(der::asn1::AnyRef::NULL),
        },
        subject_public_key: der::asn1::BitStringRef::from_bytes(key).unwrap(),
    }
    .to_der()
    .unwrap()
}

fn ed25519_spki(public: &[u8]) -> Vec<u8> {
    spki_without_parameters(ID_ED25519, public)
}

#[test]
fn ed25519_published_vectors_verify() {
    // RFC 8032 §7.1 TEST 1 (empty message) and TEST 2; §7.3 (Ed25519ph,
    // message "abc"). The public key is derived from the published secret
    // key and checked against the published one.
    let pure = [
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
    for (secret, public, message, signature) in pure {
        let secret: [u8; 32] = hex(secret).try_into().unwrap();
        let derived = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
        assert_eq!(derived.as_bytes()[..], hex(public)[..]);
        let key = PublicKey::from_der(&ed25519_spki(&hex(public))).unwrap();
        assert_eq!(key.kind(), KeyKind::EccNistEdwards25519);
        assert_eq!(key.kind().kms_key_spec(), "ECC_NIST_EDWARDS25519");
        let (message, signature) = (hex(message), hex(signature));
        key.verify(
            SigningAlgorithm::Ed25519Sha512,
            Message::Raw(&message),
            &signature,
        )
        .unwrap();
        assert_eq!(
            key.verify(
                SigningAlgorithm::Ed25519Sha512,
                Message::Raw(b"other"),
                &signature
            ),
            Err(Error::SignatureInvalid)
        );
    }
    let public = hex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf");
    let secret: [u8; 32] = hex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
        .try_into()
        .unwrap();
    let derived = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    assert_eq!(derived.as_bytes()[..], public[..]);
    let signature = hex(
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
    );
    // The vector signs a 3-byte message, which KMS's DIGEST length rule
    // refuses; the construction below it (Ed25519ph of the given bytes,
    // empty context) is what `verify` runs for a 64-byte DIGEST.
    let key = ed25519_dalek::VerifyingKey::from_bytes(&public.try_into().unwrap()).unwrap();
    assert!(ed25519_ok(&key, Message::Digest(b"abc"), &signature));
    assert!(!ed25519_ok(&key, Message::Digest(b"abd"), &signature));
    assert!(!ed25519_ok(&key, Message::Raw(b"abc"), &signature));
}

#[test]
fn ed25519_follows_kms_message_type_rules_and_rejects_changes() {
    use ed25519_dalek::Signer as _;
    let signer = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let key = PublicKey::from_der(&ed25519_spki(signer.verifying_key().as_bytes())).unwrap();
    let pure = signer.sign(MESSAGE).to_bytes();
    let digest = sha2::Sha512::digest(MESSAGE);
    let ph = signer
        .sign_prehashed(sha2::Sha512::new_with_prefix(digest), None)
        .unwrap()
        .to_bytes();
    let (a, a_ph) = (
        SigningAlgorithm::Ed25519Sha512,
        SigningAlgorithm::Ed25519PhSha512,
    );
    key.verify(a, Message::Raw(MESSAGE), &pure).unwrap();
    key.verify(a_ph, Message::Digest(&digest), &ph).unwrap();
    assert_eq!(a_ph.digest_len(), Some(64));
    assert_eq!(a.digest_len(), None);
    // Each signature passes only as what it is.
    assert_eq!(
        key.verify(a, Message::Raw(MESSAGE), &ph),
        Err(Error::SignatureInvalid)
    );
    assert_eq!(
        key.verify(a_ph, Message::Digest(&digest), &pure),
        Err(Error::SignatureInvalid)
    );
    // KMS: ED25519_SHA_512 takes RAW only, ED25519_PH_SHA_512 DIGEST only
    // and of SHA-512's length; EXTERNAL_MU is for ML-DSA.
    for (alg, message) in [
        (a, Message::Digest(&digest[..])),
        (a, Message::ExternalMu(&digest[..])),
        (a_ph, Message::Raw(MESSAGE)),
        (a_ph, Message::Digest(&digest[1..])),
        (a_ph, Message::ExternalMu(&digest[..])),
        (SigningAlgorithm::EcdsaSha512, Message::Digest(&digest[..])),
        (SigningAlgorithm::MlDsaShake256, Message::Raw(MESSAGE)),
    ] {
        assert!(
            matches!(
                key.verify(alg, message, &pure),
                Err(Error::InvalidArgument(_))
            ),
            "{alg:?} {message:?}"
        );
    }
    for i in [0, 31, 32, 63] {
        assert_eq!(
            key.verify(a, Message::Raw(MESSAGE), &flip(&pure, i)),
            Err(Error::SignatureInvalid)
        );
        assert_eq!(
            key.verify(a_ph, Message::Digest(&flip(&digest, i)), &ph),
            Err(Error::SignatureInvalid)
        );
    }
    assert_eq!(
        key.verify(a, Message::Raw(MESSAGE), &pure[..63]),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn ed25519_small_order_keys_do_not_verify_anything() {
    // The identity point as the key, R the identity and S zero: the
    // cofactorless equation [S]B = R + [k]A holds for every message, so a
    // lax verifier accepts this "signature" of anything. Strict verification
    // refuses it.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let key = PublicKey::from_der(&ed25519_spki(&identity)).unwrap();
    let mut forged = [0u8; 64];
    forged[0] = 1;
    assert_eq!(
        key.verify(
            SigningAlgorithm::Ed25519Sha512,
            Message::Raw(MESSAGE),
            &forged
        ),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn ed25519_and_ml_dsa_keys_parse_only_in_their_exact_form() {
    let ed = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    let good = ed25519_spki(ed.as_bytes());
    assert!(PublicKey::from_der(&good).is_ok());
    for end in 0..good.len() {
        assert!(PublicKey::from_der(&good[..end]).is_err());
    }
    let bad = [
        spki_with_null_parameters(ID_ED25519, ed.as_bytes()),
        ed25519_spki(&ed.as_bytes()[1..]),
        ed25519_spki(&[ed.as_bytes().as_slice(), &[0]].concat()),
        // y = 2 is on no twisted Edwards point of curve25519's form.
        ed25519_spki(&{
            let mut y = [0u8; 32];
            y[0] = 2;
            y
        }),
    ];
    for der in &bad {
        assert!(
            matches!(PublicKey::from_der(der), Err(Error::InvalidKey(_))),
            "{der:02x?}"
        );
    }
    let ml = ml_dsa::SigningKey::<MlDsa44>::from_seed(&[3; 32].into())
        .expanded_key()
        .verifying_key()
        .encode();
    assert!(PublicKey::from_der(&spki_without_parameters(ID_ML_DSA_44, &ml)).is_ok());
    for der in [
        spki_with_null_parameters(ID_ML_DSA_44, &ml),
        spki_without_parameters(ID_ML_DSA_44, &ml[1..]),
        // A 44 key under the 65 identifier.
        spki_without_parameters(ID_ML_DSA_65, &ml),
        spki_without_parameters(ID_ML_DSA_87, &[]),
    ] {
        assert!(matches!(
            PublicKey::from_der(&der),
            Err(Error::InvalidKey(_))
        ));
    }
}

/// ML-DSA round trips for one parameter set, with KMS's message types.
fn ml_dsa_case<P: ml_dsa::MlDsaParams>(oid: ObjectIdentifier, kind: KeyKind) {
    use ml_dsa::signature::digest::Update as _;
    let signer = ml_dsa::SigningKey::<P>::from_seed(&[5; 32].into());
    let verifying = signer.expanded_key().verifying_key();
    let key = PublicKey::from_der(&spki_without_parameters(oid, &verifying.encode())).unwrap();
    assert_eq!(key.kind(), kind);
    let alg = SigningAlgorithm::MlDsaShake256;
    assert_eq!(alg.digest_len(), None);
    let expanded = signer.expanded_key();
    let raw = expanded.sign_deterministic(MESSAGE, &[]).unwrap().encode();
    let mu = verifying
        .compute_mu(
            |h| {
                h.update(MESSAGE);
                Ok(())
            },
            &[],
        )
        .unwrap();
    let from_mu = expanded.sign_mu_deterministic(&mu).encode();
    // The μ of a message is the message, as far as the signature goes.
    for sig in [&raw[..], &from_mu[..]] {
        key.verify(alg, Message::Raw(MESSAGE), sig).unwrap();
        key.verify(alg, Message::ExternalMu(&mu), sig).unwrap();
    }
    // KMS signs with the empty context.
    let with_context = expanded
        .sign_deterministic(MESSAGE, b"ctx")
        .unwrap()
        .encode();
    assert_eq!(
        key.verify(alg, Message::Raw(MESSAGE), &with_context),
        Err(Error::SignatureInvalid)
    );
    assert_eq!(
        key.verify(alg, Message::Raw(b"another message"), &raw),
        Err(Error::SignatureInvalid)
    );
    assert_eq!(
        key.verify(alg, Message::ExternalMu(&flip(&mu, 0)), &raw),
        Err(Error::SignatureInvalid)
    );
    for i in [0, raw.len() / 2, raw.len() - 1] {
        assert_eq!(
            key.verify(alg, Message::Raw(MESSAGE), &flip(&raw, i)),
            Err(Error::SignatureInvalid),
            "{kind:?} byte {i}"
        );
    }
    for sig in [&raw[1..], &[raw.as_slice(), &[0]].concat()[..], &[]] {
        assert_eq!(
            key.verify(alg, Message::Raw(MESSAGE), sig),
            Err(Error::SignatureInvalid)
        );
    }
    for (alg, message) in [
        (alg, Message::Digest(&mu[..])),
        (alg, Message::ExternalMu(&mu[1..])),
        (alg, Message::ExternalMu(&[&mu[..], &[0]].concat())),
        (SigningAlgorithm::Ed25519Sha512, Message::Raw(MESSAGE)),
        (SigningAlgorithm::RsassaPssSha512, Message::Raw(MESSAGE)),
    ] {
        assert!(
            matches!(
                key.verify(alg, message, &raw),
                Err(Error::InvalidArgument(_))
            ),
            "{kind:?} {alg:?}"
        );
    }
}

#[test]
fn ml_dsa_every_parameter_set_follows_kms_message_types_and_rejects_changes() {
    ml_dsa_case::<MlDsa44>(ID_ML_DSA_44, KeyKind::MlDsa44);
    ml_dsa_case::<MlDsa65>(ID_ML_DSA_65, KeyKind::MlDsa65);
    ml_dsa_case::<MlDsa87>(ID_ML_DSA_87, KeyKind::MlDsa87);
}

#[test]
fn external_mu_is_refused_outside_ml_dsa() {
    let case = &ec_cases()[0];
    let key = PublicKey::from_der(&case.spki).unwrap();
    assert!(matches!(
        key.verify(case.alg, Message::ExternalMu(&[0; 64]), &[0; 70]),
        Err(Error::InvalidArgument(_))
    ));
}

/// An SM2 signer with KMS's distinguishing ID, and its public key as KMS's
/// GetPublicKey returns it (id-ecPublicKey on the SM2 curve).
fn sm2_signer(scalar: u8) -> (sm2::dsa::SigningKey, Vec<u8>) {
    let signer = sm2::dsa::SigningKey::from_slice(SM2_DISTINGUISHING_ID, &[scalar; 32]).unwrap();
    let spki = spki_of_point::<sm2::Sm2>(&signer.verifying_key().to_sec1_bytes());
    (signer, spki)
}

#[test]
fn sm2dsa_verifies_raw_and_digest_as_kms_signs_them_and_rejects_changes() {
    use sm2::dsa::signature::Signer as _;
    use sm2::dsa::signature::hazmat::PrehashSigner as _;
    let (signer, spki) = sm2_signer(0x11);
    let key = PublicKey::from_der(&spki).unwrap();
    assert_eq!(key.kind(), KeyKind::Sm2);
    assert_eq!(key.kind().kms_key_spec(), "SM2");
    let alg = SigningAlgorithm::Sm2Dsa;
    assert_eq!(alg.digest_len(), Some(32));

    // KMS Sign with RAW (Z and the message hashed by the signer) and with
    // DIGEST (the caller's SM3(Z || M)) make the same kind of signature:
    // each verifies either way.
    let e = key.sm2_digest(MESSAGE).unwrap();
    let der = |s: sm2::dsa::Signature| s.to_der().as_bytes().to_vec();
    let over_raw = der(signer.try_sign(MESSAGE).unwrap());
    let over_digest = der(signer.sign_prehash(&e).unwrap());
    for sig in [&over_raw, &over_digest] {
        key.verify(alg, Message::Raw(MESSAGE), sig).unwrap();
        key.verify(alg, Message::Digest(&e), sig).unwrap();
    }

    // Another message, digest, signature, key or distinguishing ID fails.
    let invalid = Err(Error::SignatureInvalid);
    assert_eq!(
        key.verify(alg, Message::Raw(b"what KMS did not sign"), &over_raw),
        invalid
    );
    assert_eq!(
        key.verify(alg, Message::Digest(&flip(&e, 31)), &over_raw),
        invalid
    );
    for i in 0..over_raw.len() {
        assert_eq!(
            key.verify(alg, Message::Raw(MESSAGE), &flip(&over_raw, i)),
            invalid,
            "byte {i}"
        );
    }
    let (_, other_spki) = sm2_signer(0x22);
    let other = PublicKey::from_der(&other_spki).unwrap();
    assert_eq!(other.verify(alg, Message::Raw(MESSAGE), &over_raw), invalid);
    assert_ne!(other.sm2_digest(MESSAGE).unwrap(), e, "Z covers the key");
    let another_id = sm2::dsa::SigningKey::from_slice("ALICE123@YAHOO.COM", &[0x11; 32]).unwrap();
    let sig = der(another_id.try_sign(MESSAGE).unwrap());
    assert_eq!(key.verify(alg, Message::Raw(MESSAGE), &sig), invalid);
    // The raw (r, s) form is not what KMS returns.
    let raw_rs = signer.try_sign(MESSAGE).unwrap().to_bytes().to_vec();
    assert_eq!(key.verify(alg, Message::Raw(MESSAGE), &raw_rs), invalid);

    // KMS's message-type and pairing rules.
    assert!(matches!(
        key.verify(alg, Message::Digest(&e[..31]), &over_raw),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        key.verify(alg, Message::ExternalMu(&[0; 64]), &over_raw),
        Err(Error::InvalidArgument(_))
    ));
    for other_alg in SigningAlgorithm::ALL.into_iter().filter(|a| *a != alg) {
        assert!(!KeyKind::Sm2.supports(other_alg));
        assert!(matches!(
            key.verify(other_alg, Message::Raw(MESSAGE), &over_raw),
            Err(Error::InvalidArgument(_))
        ));
    }
    let p256 = ec_cases().remove(0);
    assert_eq!(p256.kind, KeyKind::EccNistP256);
    let p256 = PublicKey::from_der(&p256.spki).unwrap();
    assert!(matches!(
        p256.verify(alg, Message::Raw(MESSAGE), &over_raw),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        p256.sm2_digest(MESSAGE),
        Err(Error::InvalidArgument(_))
    ));
}

/// A signer with its own distinguishing ID has KMS sign
/// `sm2_digest_with_id`'s DIGEST; a verifier checks that DIGEST. Checked
/// against the sm2 crate's signer, which hashes its ID into Z itself, up to
/// the longest ID the 16-bit length field allows.
#[test]
fn sm2_digests_take_another_distinguishing_id() {
    use sm2::dsa::signature::Signer as _;
    let (_, spki) = sm2_signer(0x11);
    let key = PublicKey::from_der(&spki).unwrap();
    let alg = SigningAlgorithm::Sm2Dsa;
    let longest = "7".repeat(SM2_MAX_DISTINGUISHING_ID_LEN);
    for id in ["ALICE123@YAHOO.COM", "", longest.as_str()] {
        let signer = sm2::dsa::SigningKey::from_slice(id, &[0x11; 32]).unwrap();
        let sig = signer
            .try_sign(MESSAGE)
            .unwrap()
            .to_der()
            .as_bytes()
            .to_vec();
        let e = key.sm2_digest_with_id(MESSAGE, id.as_bytes()).unwrap();
        key.verify(alg, Message::Digest(&e), &sig).unwrap();
        // Not as RAW, which is KMS's ID, nor as KMS's ID's digest.
        assert_eq!(
            key.verify(alg, Message::Raw(MESSAGE), &sig),
            Err(Error::SignatureInvalid)
        );
        assert_ne!(e, key.sm2_digest(MESSAGE).unwrap());
    }
    assert_eq!(
        key.sm2_digest_with_id(MESSAGE, SM2_DISTINGUISHING_ID.as_bytes()),
        key.sm2_digest(MESSAGE)
    );
    let too_long = alloc::vec![b'7'; SM2_MAX_DISTINGUISHING_ID_LEN + 1];
    assert!(matches!(
        key.sm2_digest_with_id(MESSAGE, &too_long),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn sm2_public_keys_must_be_points_on_the_curve() {
    let (_, spki) = sm2_signer(0x11);
    // The SEC1 point is the last 65 bytes: change y.
    let mut off_curve = spki.clone();
    let last = off_curve.len() - 1;
    off_curve[last] ^= 0x01;
    assert!(matches!(
        PublicKey::from_der(&off_curve),
        Err(Error::InvalidKey(_))
    ));
}
