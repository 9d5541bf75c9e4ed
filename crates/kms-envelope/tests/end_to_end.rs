//! Whole messages through the keyrings and materials managers: what a user
//! of the crate does, from `encrypt` to `decrypt`.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
// A test: failures should stop it loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::policy_for;

use std::sync::OnceLock;
use std::time::Duration;

use kms_envelope::cmm::{
    CachingMaterialsManager, DefaultMaterialsManager, MaterialsManager,
    RequiredEncryptionContextManager, SystemClock,
};
use kms_envelope::error::ContextError;
use kms_envelope::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring, RsaPadding};
use kms_envelope::{
    AlgorithmSuiteId, DecryptOptions, EncryptOptions, EncryptionContext, Error, ErrorCode, decrypt,
    encrypt,
};
use pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use pollster::block_on;
use rsa::PrivateKey as RsaPrivateKey;

fn rsa_pems() -> &'static (String, String) {
    static PEMS: OnceLock<(String, String)> = OnceLock::new();
    PEMS.get_or_init(|| {
        let key = RsaPrivateKey::new(&mut kms_envelope::random::rng(), 2048).unwrap();
        (
            key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            key.to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        )
    })
}

fn aes(name: &str, byte: u8) -> RawAesKeyring {
    RawAesKeyring::new("app", name, &[byte; 32]).unwrap()
}

fn rsa_private() -> RawRsaKeyring {
    RawRsaKeyring::from_private_key_pem("app", "rsa", RsaPadding::OaepSha256, &rsa_pems().0)
        .unwrap()
}

fn rsa_public() -> RawRsaKeyring {
    RawRsaKeyring::from_public_key_pem("app", "rsa", RsaPadding::OaepSha256, &rsa_pems().1).unwrap()
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    EncryptionContext::from_caller(pairs.iter().copied()).unwrap()
}

fn seal(m: &dyn MaterialsManager, suite: AlgorithmSuiteId, plaintext: &[u8]) -> Vec<u8> {
    let opts = EncryptOptions::default()
        .with_suite(suite)
        .with_commitment_policy(policy_for(suite));
    block_on(encrypt(m, plaintext, &ctx(&[("tenant", "a")]), &opts))
        .unwrap()
        .ciphertext
}

fn open(
    m: &dyn MaterialsManager,
    suite: AlgorithmSuiteId,
    message: &[u8],
) -> Result<Vec<u8>, Error> {
    let opts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
    block_on(decrypt(m, message, &opts)).map(|out| out.plaintext)
}

#[test]
fn every_suite_through_every_keyring_kind() {
    let multi = || {
        MultiKeyring::new(
            Some(Box::new(aes("gen", 1))),
            vec![Box::new(rsa_public()) as Box<dyn Keyring>],
        )
        .unwrap()
    };
    for suite in AlgorithmSuiteId::ALL {
        let plaintext = format!("records for suite {:04x}", suite.as_u16()).repeat(300);
        for (encryptor, decryptors) in [
            (
                DefaultMaterialsManager::new(aes("k", 7)),
                vec![DefaultMaterialsManager::new(aes("k", 7))],
            ),
            (
                DefaultMaterialsManager::new(rsa_public()),
                vec![DefaultMaterialsManager::new(rsa_private())],
            ),
            (
                DefaultMaterialsManager::new(multi()),
                vec![
                    DefaultMaterialsManager::new(aes("gen", 1)),
                    DefaultMaterialsManager::new(rsa_private()),
                ],
            ),
        ] {
            let message = seal(&encryptor, suite, plaintext.as_bytes());
            for decryptor in &decryptors {
                assert_eq!(
                    open(decryptor, suite, &message).unwrap(),
                    plaintext.as_bytes()
                );
            }
            let stranger = DefaultMaterialsManager::new(aes("k", 8));
            let err = open(&stranger, suite, &message).unwrap_err();
            assert_eq!(err.code(), ErrorCode::NoDecryptableDataKey, "{suite:?}");
        }
    }
}

#[test]
fn required_context_is_authenticated_but_not_stored() {
    let manager = || {
        RequiredEncryptionContextManager::new(
            Box::new(DefaultMaterialsManager::new(aes("k", 3))),
            vec!["tenant".into()],
        )
        .unwrap()
    };
    let context = ctx(&[("tenant", "acme"), ("purpose", "backup")]);
    let out = block_on(encrypt(
        &manager(),
        b"secret",
        &context,
        &EncryptOptions::default(),
    ))
    .unwrap();
    // Neither the message's bytes nor its stored context name the tenant.
    assert!(!out.ciphertext.windows(4).any(|w| w == b"acme"));

    let opts = |reproduced: &[(&str, &str)]| {
        DecryptOptions::default().with_reproduced_encryption_context(ctx(reproduced))
    };
    let plain = block_on(decrypt(
        &manager(),
        &out.ciphertext,
        &opts(&[("tenant", "acme")]),
    ))
    .unwrap();
    assert_eq!(plain.plaintext, b"secret");
    // A plain default manager works too when the caller reproduces the pair.
    let default = DefaultMaterialsManager::new(aes("k", 3));
    assert!(
        block_on(decrypt(
            &default,
            &out.ciphertext,
            &opts(&[("tenant", "acme")])
        ))
        .is_ok()
    );
    assert_eq!(
        block_on(decrypt(
            &manager(),
            &out.ciphertext,
            &DecryptOptions::default()
        ))
        .unwrap_err(),
        Error::EncryptionContext(ContextError::MissingRequiredKey("tenant".into()))
    );
    // The wrong tenant cannot decrypt: the raw AES keyring binds the full
    // context as AAD, and the header authenticates it too.
    assert!(
        block_on(decrypt(
            &manager(),
            &out.ciphertext,
            &opts(&[("tenant", "evil")])
        ))
        .is_err()
    );
}

#[test]
fn caching_manager_serves_many_messages_from_one_data_key() {
    let cache = CachingMaterialsManager::builder(
        Box::new(DefaultMaterialsManager::new(aes("k", 5))),
        SystemClock,
        Duration::from_secs(300),
    )
    .max_messages(40)
    .build()
    .unwrap();
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let messages: Vec<_> = (0..100)
        .map(|i| seal(&cache, suite, format!("record {i}").as_bytes()))
        .collect();
    let stats = cache.stats();
    assert_eq!(stats.underlying_calls, 3, "{stats:?}");
    assert_eq!(stats.hits, 97);
    for (i, message) in messages.iter().enumerate() {
        assert_eq!(
            open(&cache, suite, message).unwrap(),
            format!("record {i}").as_bytes()
        );
    }
    // Three data keys, so three decryption entries.
    assert_eq!(cache.stats().underlying_calls, 6, "{:?}", cache.stats());

    // Identity-KDF suites bypass the cache every time.
    let legacy = AlgorithmSuiteId::Aes256GcmIv12Tag16NoKdf;
    for _ in 0..3 {
        let m = seal(&cache, legacy, b"x");
        assert_eq!(open(&cache, legacy, &m).unwrap(), b"x");
    }
    assert_eq!(cache.stats().bypassed, 6);
}

#[test]
fn decryption_names_the_wrapping_key_that_decrypted_the_data_key() {
    let multi = MultiKeyring::new(
        Some(Box::new(aes("first", 1))),
        vec![Box::new(aes("second", 2)), Box::new(rsa_public())],
    )
    .unwrap();
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
    let message = seal(&DefaultMaterialsManager::new(multi), suite, b"three keys");
    let opts = DecryptOptions::default();
    let children: [(Box<dyn Keyring>, &str); 3] = [
        (Box::new(aes("second", 2)), "app/second"),
        (Box::new(rsa_private()), "app/rsa"),
        (Box::new(aes("first", 1)), "app/first"),
    ];
    for (keyring, name) in children {
        let manager = DefaultMaterialsManager::new(keyring);
        let out = block_on(decrypt(&manager, &message, &opts)).unwrap();
        assert_eq!(out.plaintext, b"three keys");
        assert_eq!(out.wrapping_key_id.as_deref(), Some(name));
    }
    // A multi-keyring reports the child that succeeded, and the caching
    // manager keeps the name with the cached data key.
    let either = MultiKeyring::new(
        None,
        vec![Box::new(aes("unrelated", 9)), Box::new(aes("second", 2))],
    )
    .unwrap();
    let cache = CachingMaterialsManager::builder(
        Box::new(DefaultMaterialsManager::new(either)),
        SystemClock,
        Duration::from_secs(300),
    )
    .build()
    .unwrap();
    for _ in 0..2 {
        let out = block_on(decrypt(&cache, &message, &opts)).unwrap();
        assert_eq!(out.wrapping_key_id.as_deref(), Some("app/second"));
    }
    assert_eq!(cache.stats().hits, 1, "{:?}", cache.stats());
}
