//! KmsRsaKeyring (aws-kms-rsa-keyring.md).

use std::sync::OnceLock;

use ::rsa::PrivateKey as RsaPrivateKey;
use pkcs8::{EncodePublicKey, LineEnding};
use sha2::Digest;

use super::mock::arn;
use super::*;
use crate::kms::{KmsErrorKind, KmsRsaAlgorithm, KmsRsaKeyring};

const ALGORITHMS: [KmsRsaAlgorithm; 2] = [KmsRsaAlgorithm::OaepSha1, KmsRsaAlgorithm::OaepSha256];

fn private_key() -> RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut crate::random::rng(), 2048).unwrap())
        .clone()
}

fn rsa_setup() -> (Rc<MockKms>, Rc<MockKms>, String) {
    let (world, east, west) = setup();
    world.add_rsa_key("rsa-1", private_key());
    world.add_rsa_key("mrk-rsa", private_key());
    (east, west, arn(EAST, "rsa-1"))
}

fn keyring(key_arn: &str, alg: KmsRsaAlgorithm, client: &Rc<MockKms>) -> KmsRsaKeyring {
    KmsRsaKeyring::new(key_arn, alg)
        .unwrap()
        .with_client(dyn_client(client))
        .with_grant_tokens(tokens())
}

#[test]
fn round_trip_fetching_the_public_key_once() {
    for alg in ALGORITHMS {
        let (east, _, key_arn) = rsa_setup();
        let k = keyring(&key_arn, alg, &east);
        let m = encrypt(&k).unwrap();
        let m2 = encrypt(&k).unwrap();
        assert_eq!(
            east.ops(),
            ["GetPublicKey"],
            "public key fetched once, no KMS call to wrap"
        );
        let edk = &m.encrypted_data_keys[0];
        assert_eq!(edk.provider_id, "aws-kms-rsa");
        assert_eq!(edk.provider_info, key_arn.as_bytes());
        assert_eq!(edk.ciphertext.len(), 256);
        assert_ne!(m.data_key, m2.data_key);
        let d = decrypt(&k, &m.encrypted_data_keys).unwrap();
        assert_eq!(d.data_key, m.data_key);
        let call = east.calls.borrow().last().cloned().unwrap();
        assert_eq!(call.op, "Decrypt");
        assert_eq!(call.key_id, key_arn);
        assert_eq!(call.algorithm.as_deref(), Some(alg.as_str()));
        assert!(
            call.context.is_empty(),
            "asymmetric Decrypt takes no context"
        );
        assert_eq!(call.grant_tokens, tokens());
    }
}

#[test]
fn the_rsa_plaintext_is_the_context_digest_then_the_data_key() {
    let (east, _, key_arn) = rsa_setup();
    let k = keyring(&key_arn, KmsRsaAlgorithm::OaepSha256, &east);
    let m = encrypt(&k).unwrap();
    let plain = private_key()
        .decrypt(
            ::rsa::Oaep::<sha2::Sha256>::new(),
            &m.encrypted_data_keys[0].ciphertext,
        )
        .unwrap();
    let digest = sha2::Sha384::digest(ctx().serialize().unwrap());
    assert_eq!(&plain[..48], &digest[..]);
    assert_eq!(&plain[48..], m.data_key.as_ref().unwrap().as_bytes());
}

#[test]
fn a_given_public_key_needs_no_kms_to_encrypt() {
    let (east, _, key_arn) = rsa_setup();
    let der = private_key().to_public_key().to_public_key_der().unwrap();
    let pem = private_key()
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    for k in [
        KmsRsaKeyring::new(&key_arn, KmsRsaAlgorithm::OaepSha256)
            .unwrap()
            .with_public_key_der(der.as_bytes())
            .unwrap(),
        KmsRsaKeyring::new(&key_arn, KmsRsaAlgorithm::OaepSha256)
            .unwrap()
            .with_public_key_pem(&pem)
            .unwrap(),
    ] {
        let m = encrypt(&k).unwrap();
        // Without a client it cannot decrypt, and says so.
        let e = decrypt(&k, &m.encrypted_data_keys).unwrap_err();
        assert!(e.to_string().contains("client"), "{e}");
        let with_client = keyring(&key_arn, KmsRsaAlgorithm::OaepSha256, &east);
        assert_eq!(
            decrypt(&with_client, &m.encrypted_data_keys)
                .unwrap()
                .data_key,
            m.data_key
        );
    }
    assert_eq!(east.ops(), ["Decrypt", "Decrypt"]);
    // Neither public key nor client: nothing to encrypt with.
    let bare = KmsRsaKeyring::new(&key_arn, KmsRsaAlgorithm::OaepSha1).unwrap();
    assert!(encrypt(&bare).is_err());
}

#[test]
fn signed_suites_are_refused_both_ways() {
    let (east, _, key_arn) = rsa_setup();
    let k = keyring(&key_arn, KmsRsaAlgorithm::OaepSha256, &east);
    let signed = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let e = encrypt_with(&k, signed, ctx()).unwrap_err();
    assert!(e.to_string().contains("signed"), "{e}");
    let m = encrypt(&k).unwrap();
    east.calls.borrow_mut().clear();
    assert!(decrypt_with(&k, &m.encrypted_data_keys, signed, ctx()).is_err());
    assert!(east.ops().is_empty());
}

#[test]
fn another_encryption_context_fails_the_digest_check() {
    let (east, _, key_arn) = rsa_setup();
    let k = keyring(&key_arn, KmsRsaAlgorithm::OaepSha256, &east);
    let m = encrypt(&k).unwrap();
    for other in [
        EncryptionContext::new(),
        [("tenant", "43")].into_iter().collect(),
    ] {
        let f = failures(decrypt_with(&k, &m.encrypted_data_keys, suite(), other).unwrap_err());
        assert!(
            f[0].reason.contains("encryption context"),
            "{}",
            f[0].reason
        );
    }
}

#[test]
fn the_wrong_algorithm_does_not_decrypt() {
    let (east, _, key_arn) = rsa_setup();
    let m = encrypt(&keyring(&key_arn, KmsRsaAlgorithm::OaepSha256, &east)).unwrap();
    let e = decrypt(
        &keyring(&key_arn, KmsRsaAlgorithm::OaepSha1, &east),
        &m.encrypted_data_keys,
    )
    .unwrap_err();
    assert_code(&e, ErrorCode::InvalidCiphertext);
}

#[test]
fn decrypt_checks_response_key_id_and_length() {
    let (east, _, key_arn) = rsa_setup();
    let k = keyring(&key_arn, KmsRsaAlgorithm::OaepSha256, &east);
    let m = encrypt(&k).unwrap();
    east.answer_plaintext_len.set(Some(48 + 16));
    let f = failures(decrypt(&k, &m.encrypted_data_keys).unwrap_err());
    assert!(f[0].reason.contains("expected"), "{}", f[0].reason);
    east.answer_plaintext_len.set(None);
    *east.answer_key_id.borrow_mut() = Some(arn(EAST, "k1"));
    let f = failures(decrypt(&k, &m.encrypted_data_keys).unwrap_err());
    assert_eq!(
        f[0].kms.as_ref().unwrap().kind,
        KmsErrorKind::MalformedResponse
    );
}

#[test]
fn only_its_own_rsa_keys_are_tried_and_replicas_match() {
    let (east, west, key_arn) = rsa_setup();
    let m = encrypt(&keyring(&key_arn, KmsRsaAlgorithm::OaepSha256, &east)).unwrap();
    let other = keyring(&arn(EAST, "k1"), KmsRsaAlgorithm::OaepSha256, &east);
    east.calls.borrow_mut().clear();
    let mut edks = m.encrypted_data_keys.clone();
    // A symmetric KMS key's data key with the same ARN is another provider's.
    edks.push(edk("aws-kms", &arn(EAST, "k1")));
    assert_not_mine(decrypt(&other, &edks).unwrap_err());
    assert!(east.ops().is_empty());
    // A multi-Region RSA key decrypts with its replica.
    let east_mrk = keyring(&arn(EAST, "mrk-rsa"), KmsRsaAlgorithm::OaepSha256, &east);
    let west_mrk = keyring(&arn(WEST, "mrk-rsa"), KmsRsaAlgorithm::OaepSha256, &west);
    let m = encrypt(&east_mrk).unwrap();
    assert_eq!(
        decrypt(&west_mrk, &m.encrypted_data_keys).unwrap().data_key,
        m.data_key
    );
    assert_eq!(west.calls.borrow()[0].key_id, arn(WEST, "mrk-rsa"));
}

#[test]
fn construction_requires_a_key_arn_and_a_large_enough_key() {
    for bad in [
        "rsa-1",
        "alias/app",
        "arn:aws:kms:us-east-1:111122223333:alias/app",
    ] {
        assert!(
            KmsRsaKeyring::new(bad, KmsRsaAlgorithm::OaepSha256).is_err(),
            "{bad}"
        );
    }
    let small = RsaPrivateKey::new(&mut crate::random::rng(), 1024).unwrap();
    let der = small.to_public_key().to_public_key_der().unwrap();
    let k = KmsRsaKeyring::new(&arn(EAST, "rsa-1"), KmsRsaAlgorithm::OaepSha256).unwrap();
    assert!(k.with_public_key_der(der.as_bytes()).is_err());
    let k = KmsRsaKeyring::new(&arn(EAST, "rsa-1"), KmsRsaAlgorithm::OaepSha256).unwrap();
    assert!(k.with_public_key_der(b"junk").is_err());
    // Over KMS's largest, RSA_4096 (rsa 0.10 itself takes 8192 bits): a
    // built modulus, only its size matters.
    for (bits, accepted) in [(4096, true), (8192, false)] {
        let der = crate::kms::test_keys::rsa_spki_of_size(bits);
        let k = KmsRsaKeyring::new(&arn(EAST, "rsa-1"), KmsRsaAlgorithm::OaepSha256).unwrap();
        assert_eq!(k.with_public_key_der(&der).is_ok(), accepted, "{bits}");
    }
    assert_eq!(
        KmsRsaAlgorithm::from_name("RSAES_OAEP_SHA_256").unwrap(),
        KmsRsaAlgorithm::OaepSha256
    );
    assert!(KmsRsaAlgorithm::from_name("RSAES_PKCS1_V1_5").is_err());
}

#[test]
fn a_symmetric_key_or_missing_algorithm_is_refused_on_fetch() {
    let (east, _, _) = rsa_setup();
    let k = keyring(&arn(EAST, "k1"), KmsRsaAlgorithm::OaepSha256, &east);
    let e = encrypt(&k).unwrap_err();
    assert_code(&e, ErrorCode::KmsServiceError);
    // GetPublicKey errors keep their kind.
    let k = keyring(&arn(EAST, "absent"), KmsRsaAlgorithm::OaepSha256, &east);
    assert_code(&encrypt(&k).unwrap_err(), ErrorCode::NotFound);
    // A key whose answer names another key is refused.
    let k = keyring(&arn(EAST, "rsa-1"), KmsRsaAlgorithm::OaepSha256, &east);
    *east.answer_key_id.borrow_mut() = Some(arn(EAST, "k1"));
    assert!(encrypt(&k).is_err());
}
