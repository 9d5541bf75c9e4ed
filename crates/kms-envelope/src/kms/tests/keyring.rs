//! KmsKeyring (aws-kms-keyring.md) and KmsMrkKeyring (aws-kms-mrk-keyring.md).

use super::mock::arn;
use super::*;
use crate::cmm::DefaultMaterialsManager;
use crate::kms::{KmsErrorKind, KmsKeyring, KmsMrkKeyring};
use crate::materials::DataKey;
use crate::{DecryptOptions, EncryptOptions};
use proptest::prelude::*;

fn strict(key_id: &str, client: &Rc<MockKms>) -> KmsKeyring {
    KmsKeyring::new(key_id, dyn_client(client), tokens()).unwrap()
}

#[test]
fn identifiers_of_every_form_are_accepted_and_invalid_ones_refused() {
    let (_, east, _) = setup();
    for id in [
        arn(EAST, "k1").as_str(),
        "k1",
        "alias/app",
        "arn:aws:kms:us-east-1:111122223333:alias/app",
    ] {
        assert!(
            KmsKeyring::new(id, dyn_client(&east), Vec::new()).is_ok(),
            "{id}"
        );
        assert!(
            KmsMrkKeyring::new(id, dyn_client(&east), Vec::new()).is_ok(),
            "{id}"
        );
    }
    for bad in [
        "",
        "arn:aws:kms:us-east-1:1",
        "alias/",
        "arn:aws:s3:::bucket/k",
    ] {
        assert!(
            KmsKeyring::new(bad, dyn_client(&east), Vec::new()).is_err(),
            "{bad}"
        );
        assert!(
            KmsMrkKeyring::new(bad, dyn_client(&east), Vec::new()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn generate_data_key_request_and_encrypted_data_key() {
    let (_, east, _) = setup();
    for suite in AlgorithmSuiteId::ALL {
        // An alias configures the keyring; the provider info is the key ARN
        // KMS answered with.
        let keyring = strict("alias/app", &east);
        let m = encrypt_with(&keyring, suite, ctx()).unwrap();
        let call = east.calls.borrow().last().cloned().unwrap();
        assert_eq!(call.op, "GenerateDataKey");
        assert_eq!(call.key_id, "alias/app");
        assert_eq!(
            call.number_of_bytes,
            Some(suite.suite().data_key_len() as u16)
        );
        assert_eq!(call.context, ctx());
        assert_eq!(call.grant_tokens, tokens());
        assert_eq!(m.encrypted_data_keys.len(), 1);
        let edk = &m.encrypted_data_keys[0];
        assert_eq!(edk.provider_id, "aws-kms");
        assert_eq!(edk.provider_info, arn(EAST, "k1").as_bytes());
        assert_eq!(
            m.data_key.as_ref().unwrap().as_bytes().len(),
            suite.suite().data_key_len()
        );
    }
}

#[test]
fn with_a_data_key_already_set_it_calls_encrypt_and_keeps_the_key() {
    let (_, east, _) = setup();
    let keyring = strict(&arn(EAST, "k2"), &east);
    let mut m = EncryptionMaterials::new(suite().suite(), ctx());
    let key = DataKey::generate(suite().suite()).unwrap();
    m.data_key = Some(key.clone());
    let m = pollster::block_on(keyring.on_encrypt(m)).unwrap();
    assert_eq!(east.ops(), ["Encrypt"]);
    let call = east.calls.borrow()[0].clone();
    assert_eq!((call.context, call.grant_tokens), (ctx(), tokens()));
    assert_eq!(call.algorithm, None);
    assert_eq!(m.data_key, Some(key.clone()));
    assert_eq!(
        m.encrypted_data_keys[0].provider_info,
        arn(EAST, "k2").as_bytes()
    );
    // KMS wrapped exactly that key.
    let d = decrypt(&keyring, &m.encrypted_data_keys).unwrap();
    assert_eq!(d.data_key, Some(key));
}

#[test]
fn encrypt_refuses_a_response_key_id_that_is_not_a_key_arn() {
    for answer in [
        "k1",
        "alias/app",
        "arn:aws:kms:us-east-1:111122223333:alias/app",
        "",
    ] {
        let (_, east, _) = setup();
        *east.answer_key_id.borrow_mut() = Some(answer.into());
        let keyring = strict("k1", &east);
        let e = encrypt(&keyring).unwrap_err();
        assert_eq!(
            e.kms_error_kind(),
            Some(KmsErrorKind::MalformedResponse),
            "{e}"
        );
        assert_code(&e, ErrorCode::KmsServiceError);
        // The Encrypt path checks it too.
        let mut m = EncryptionMaterials::new(suite().suite(), ctx());
        m.data_key = Some(DataKey::generate(suite().suite()).unwrap());
        let e = pollster::block_on(keyring.on_encrypt(m)).unwrap_err();
        assert_eq!(e.kms_error_kind(), Some(KmsErrorKind::MalformedResponse));
    }
}

#[test]
fn encrypt_refuses_a_data_key_of_the_wrong_length() {
    for len in [0, 16, 31, 33] {
        let (_, east, _) = setup();
        east.answer_plaintext_len.set(Some(len));
        let e = encrypt(&strict("k1", &east)).unwrap_err();
        assert!(e.to_string().contains("data key"), "{e}");
        assert_eq!(e.kms_error_kind(), Some(KmsErrorKind::MalformedResponse));
    }
}

#[test]
fn kms_errors_on_encrypt_surface_with_their_kind() {
    let cases = [
        ("AccessDeniedException", ErrorCode::AccessDenied),
        ("NotFoundException", ErrorCode::NotFound),
        ("DisabledException", ErrorCode::KeyUnavailable),
        ("KMSInvalidStateException", ErrorCode::KeyUnavailable),
        ("ThrottlingException", ErrorCode::Throttling),
        ("KMSInternalException", ErrorCode::KmsServiceError),
    ];
    for (aws_code, code) in cases {
        let (_, east, _) = setup();
        east.fail_with(aws_code);
        let e = encrypt(&strict("k1", &east)).unwrap_err();
        assert_code(&e, code);
        let Error::Keyring(failure) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(failure.kms.as_ref().unwrap().code, aws_code);
        assert!(failure.keyring.contains("k1"));
    }
    // A KMS that does not answer is KmsUnreachable; a request that could
    // not be made (a credential provider that failed) is External.
    for (failure, code) in [
        (
            crate::kms::KmsError::transport("connection refused"),
            ErrorCode::KmsUnreachable,
        ),
        (
            crate::kms::KmsError::client("credential provider threw"),
            ErrorCode::External,
        ),
    ] {
        let (_, east, _) = setup();
        east.fail_next.borrow_mut().push_back(failure);
        assert_code(&encrypt(&strict("k1", &east)).unwrap_err(), code);
    }
    // A key that does not exist, a disabled one: the mock's own answers.
    let (world, east, _) = setup();
    assert_code(
        &encrypt(&strict("nope", &east)).unwrap_err(),
        ErrorCode::NotFound,
    );
    world.disable("k1");
    assert_code(
        &encrypt(&strict("k1", &east)).unwrap_err(),
        ErrorCode::KeyUnavailable,
    );
}

#[test]
fn decrypt_calls_kms_only_for_its_own_key_arn_with_its_key_id() {
    let (_, east, _) = setup();
    let k1 = strict(&arn(EAST, "k1"), &east);
    let k2 = strict(&arn(EAST, "k2"), &east);
    let m1 = encrypt(&k1).unwrap();
    let m2 = encrypt(&k2).unwrap();
    let mut edks = alloc::vec![
        edk("raw-aes", "k1"),
        edk("aws-kms-rsa", &arn(EAST, "k1")),
        m2.encrypted_data_keys[0].clone(),
    ];
    edks.extend(m1.encrypted_data_keys.clone());
    east.calls.borrow_mut().clear();
    let d = decrypt(&k1, &edks).unwrap();
    assert_eq!(d.data_key, m1.data_key);
    let calls = east.calls.borrow().clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].op, "Decrypt");
    assert_eq!(calls[0].key_id, arn(EAST, "k1"));
    assert_eq!(calls[0].context, ctx());
    assert_eq!(calls[0].grant_tokens, tokens());
    // Nothing of k1's among these: not mine, no call.
    east.calls.borrow_mut().clear();
    assert_not_mine(decrypt(&k1, &m2.encrypted_data_keys).unwrap_err());
    assert!(east.ops().is_empty());
}

#[test]
fn a_key_id_or_alias_never_matches_a_message_arn() {
    let (_, east, _) = setup();
    let m = encrypt(&strict("k1", &east)).unwrap();
    for configured in ["k1", "alias/app"] {
        east.calls.borrow_mut().clear();
        assert_not_mine(decrypt(&strict(configured, &east), &m.encrypted_data_keys).unwrap_err());
        assert!(east.ops().is_empty());
    }
}

#[test]
fn materials_with_a_data_key_come_back_unchanged() {
    let (_, east, _) = setup();
    let keyring = strict(&arn(EAST, "k1"), &east);
    let m = encrypt(&keyring).unwrap();
    let mut d = DecryptionMaterials::new(suite().suite(), ctx());
    d.data_key = Some(DataKey::generate(suite().suite()).unwrap());
    let before = d.data_key.clone();
    east.calls.borrow_mut().clear();
    let d = pollster::block_on(keyring.on_decrypt(d, &m.encrypted_data_keys)).unwrap();
    assert_eq!(d.data_key, before);
    assert!(east.ops().is_empty());
}

#[test]
fn provider_info_that_is_not_a_key_arn_fails_decryption() {
    let (_, east, _) = setup();
    let keyring = strict(&arn(EAST, "k1"), &east);
    let good = encrypt(&keyring).unwrap().encrypted_data_keys;
    for bad in [
        "k1",
        "arn:aws:kms:us-east-1:111122223333:alias/app",
        "arn:aws:kms",
    ] {
        let mut edks = alloc::vec![edk("aws-kms", bad)];
        edks.extend(good.clone());
        let f = failures(decrypt(&keyring, &edks).unwrap_err());
        assert_eq!(f.len(), 1);
        assert!(f[0].reason.contains("not a KMS key ARN"), "{}", f[0].reason);
    }
    // A failure of an earlier key of its own is kept in the error.
    east.fail_with("AccessDeniedException");
    let mut edks = good.clone();
    edks.push(edk("aws-kms", "alias/app"));
    let f = failures(decrypt(&keyring, &edks).unwrap_err());
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].kms.as_ref().unwrap().kind, KmsErrorKind::AccessDenied);
    // Bytes that are not UTF-8 too.
    let mut e = edk("aws-kms", "");
    e.provider_info = alloc::vec![0xff, 0xfe];
    assert!(decrypt(&keyring, &[e]).is_err());
}

#[test]
fn decrypt_checks_the_response_key_id_then_tries_the_next_key() {
    let (_, east, _) = setup();
    let keyring = strict(&arn(EAST, "k1"), &east);
    let a = encrypt(&keyring).unwrap();
    let b = encrypt(&keyring).unwrap();
    let edks = [
        a.encrypted_data_keys[0].clone(),
        b.encrypted_data_keys[0].clone(),
    ];
    *east.answer_key_id.borrow_mut() = Some(arn(EAST, "k2"));
    let f = failures(decrypt(&keyring, &edks).unwrap_err());
    assert_eq!(f.len(), 2, "both attempted");
    assert!(f[0].reason.contains("not the requested"), "{}", f[0].reason);
    assert_eq!(
        f[0].kms.as_ref().unwrap().kind,
        KmsErrorKind::MalformedResponse
    );
    // The first one answers wrongly, the second one properly: success.
    *east.answer_key_id.borrow_mut() = None;
    east.fail_with("KMSInternalException");
    let d = decrypt(&keyring, &edks).unwrap();
    assert_eq!(d.data_key, b.data_key);
}

#[test]
fn decrypt_checks_the_plaintext_length() {
    let (_, east, _) = setup();
    let keyring = strict(&arn(EAST, "k1"), &east);
    let m = encrypt(&keyring).unwrap();
    for len in [0, 31, 33, 64] {
        east.answer_plaintext_len.set(Some(len));
        let f = failures(decrypt(&keyring, &m.encrypted_data_keys).unwrap_err());
        assert!(f[0].reason.contains("32"), "{}", f[0].reason);
    }
}

#[test]
fn decrypt_reports_the_kms_kind_all_recognised_keys_failed_with() {
    let (world, east, _) = setup();
    let keyring = strict(&arn(EAST, "k1"), &east);
    let a = encrypt(&keyring).unwrap();
    let b = encrypt(&keyring).unwrap();
    let edks = [
        a.encrypted_data_keys[0].clone(),
        b.encrypted_data_keys[0].clone(),
    ];
    // Another context: KMS refuses the ciphertext.
    let other: EncryptionContext = [("tenant", "43")].into_iter().collect();
    let e = decrypt_with(&keyring, &edks, suite(), other).unwrap_err();
    assert_code(&e, ErrorCode::InvalidCiphertext);
    // Both denied: AccessDenied.
    east.fail_with("AccessDeniedException");
    east.fail_with("AccessDeniedException");
    assert_code(
        &decrypt(&keyring, &edks).unwrap_err(),
        ErrorCode::AccessDenied,
    );
    // Mixed kinds: no single kind to report.
    east.fail_with("AccessDeniedException");
    east.fail_with("ThrottlingException");
    let e = decrypt(&keyring, &edks).unwrap_err();
    assert_eq!(e.kms_error_kind(), None);
    assert_code(&e, ErrorCode::NoDecryptableDataKey);
    // A disabled key.
    world.disable("k1");
    assert_code(
        &decrypt(&keyring, &edks).unwrap_err(),
        ErrorCode::KeyUnavailable,
    );
}

#[test]
fn mrk_keyring_decrypts_with_the_replica_in_its_own_region() {
    let (_, east, west) = setup();
    let m = encrypt(&KmsMrkKeyring::new(&arn(EAST, "mrk-1"), dyn_client(&east), tokens()).unwrap())
        .unwrap();
    assert_eq!(
        m.encrypted_data_keys[0].provider_info,
        arn(EAST, "mrk-1").as_bytes()
    );
    // The strict keyring with the west ARN does not recognise it.
    assert_not_mine(
        decrypt(&strict(&arn(WEST, "mrk-1"), &west), &m.encrypted_data_keys).unwrap_err(),
    );
    assert!(west.ops().is_empty());
    let mrk = KmsMrkKeyring::new(&arn(WEST, "mrk-1"), dyn_client(&west), tokens()).unwrap();
    let d = decrypt(&mrk, &m.encrypted_data_keys).unwrap();
    assert_eq!(d.data_key, m.data_key);
    let calls = west.calls.borrow().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].key_id,
        arn(WEST, "mrk-1"),
        "calls with its own ARN"
    );
}

#[test]
fn mrk_keyring_matches_single_region_keys_exactly() {
    let (world, east, west) = setup();
    world.add_key("k3");
    let m = encrypt(&strict(&arn(EAST, "k3"), &east)).unwrap();
    let other_region = KmsMrkKeyring::new(&arn(WEST, "k3"), dyn_client(&west), tokens()).unwrap();
    assert_not_mine(decrypt(&other_region, &m.encrypted_data_keys).unwrap_err());
    assert!(west.ops().is_empty());
    let same = KmsMrkKeyring::new(&arn(EAST, "k3"), dyn_client(&east), tokens()).unwrap();
    assert_eq!(
        decrypt(&same, &m.encrypted_data_keys).unwrap().data_key,
        m.data_key
    );
}

#[test]
fn whole_messages_round_trip_through_the_materials_manager() {
    let mut suites = alloc::vec![AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey];
    // Builds without `ecdsa` refuse signed suites (tests/without_ecdsa.rs).
    if cfg!(feature = "ecdsa") {
        suites.push(AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384);
    }
    for id in suites {
        let (_, east, _) = setup();
        let cmm = DefaultMaterialsManager::new(strict(&arn(EAST, "k1"), &east));
        let options = EncryptOptions::default().with_suite(id);
        let message =
            pollster::block_on(crate::encrypt(&cmm, b"secret", &ctx(), &options)).unwrap();
        // Signed suites bind the public key into the context KMS sees.
        let sent = east.calls.borrow()[0].context.clone();
        assert_eq!(
            sent.contains_key("aws-crypto-public-key"),
            id.suite().signature.is_some()
        );
        let opened = pollster::block_on(crate::decrypt(
            &cmm,
            &message.ciphertext,
            &DecryptOptions::default(),
        ))
        .unwrap();
        assert_eq!(opened.plaintext, b"secret");
        assert_eq!(east.calls.borrow()[1].context, sent);
    }
}

#[test]
fn a_caching_manager_calls_kms_once_for_many_messages() {
    // The design's promise: a page encrypting many records calls KMS a
    // handful of times, not once per record.
    use crate::cmm::CachingMaterialsManager;
    let (_, east, _) = setup();
    let keyring = strict(&arn(EAST, "k1"), &east);
    let cache = CachingMaterialsManager::builder(
        alloc::boxed::Box::new(DefaultMaterialsManager::new(keyring)),
        || 1_000u64,
        core::time::Duration::from_secs(60),
    )
    .build()
    .unwrap();
    let options = EncryptOptions::default();
    let mut messages = Vec::new();
    for i in 0..100u32 {
        let record = i.to_be_bytes();
        let m = pollster::block_on(crate::encrypt(&cache, &record, &ctx(), &options)).unwrap();
        messages.push((record, m.ciphertext));
    }
    assert_eq!(east.ops(), ["GenerateDataKey"]);
    for (record, message) in &messages {
        let opened =
            pollster::block_on(crate::decrypt(&cache, message, &DecryptOptions::default()))
                .unwrap();
        assert_eq!(&opened.plaintext, record);
    }
    assert_eq!(east.ops(), ["GenerateDataKey", "Decrypt"]);
}

proptest! {
    /// Whatever encrypted data keys a message carries, the keyring calls KMS
    /// only for those naming its key, and never panics.
    #[test]
    fn only_matching_keys_reach_kms(
        infos in proptest::collection::vec(
            prop_oneof![
                Just(arn(EAST, "k1")),
                Just(arn(WEST, "k1")),
                Just(arn(EAST, "k2")),
                Just(arn(EAST, "mrk-1")),
                Just(arn(WEST, "mrk-1")),
                "arn:aws:kms:[a-z0-9-]{1,9}:[0-9]{1,12}:key/[a-z0-9-]{1,12}",
            ],
            0..6,
        ),
        provider in prop_oneof![Just("aws-kms"), Just("aws-kms-rsa"), Just("raw")],
        mrk_aware in any::<bool>(),
    ) {
        let (_, east, _) = setup();
        let configured = arn(EAST, "mrk-1");
        let keyring: alloc::boxed::Box<dyn Keyring> = if mrk_aware {
            alloc::boxed::Box::new(KmsMrkKeyring::new(&configured, dyn_client(&east), tokens()).unwrap())
        } else {
            alloc::boxed::Box::new(strict(&configured, &east))
        };
        let edks: Vec<EncryptedDataKey> = infos.iter().map(|i| edk(provider, i)).collect();
        let result = decrypt(&*keyring, &edks);
        let expected = if provider == "aws-kms" {
            infos
                .iter()
                .filter(|i| {
                    **i == configured || (mrk_aware && **i == arn(WEST, "mrk-1"))
                })
                .count()
        } else {
            0
        };
        prop_assert!(result.is_err());
        prop_assert_eq!(east.calls.borrow().len(), expected);
        for call in east.calls.borrow().iter() {
            prop_assert_eq!(&call.key_id, &configured);
        }
    }
}
