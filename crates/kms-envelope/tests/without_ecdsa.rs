//! A build without the `ecdsa` feature refuses the signed suites with
//! `UnsupportedSuite`, on encrypt and on decrypt, before any keyring is
//! called; the unsigned suites work as in every build.

#![cfg(not(feature = "ecdsa"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use kms_envelope::cmm::DefaultMaterialsManager;
use kms_envelope::keyring::RawAesKeyring;
use kms_envelope::{
    AlgorithmSuiteId, CommitmentPolicy, DecryptOptions, EncryptOptions, EncryptionContext, Error,
    ErrorCode, decrypt, encrypt,
};

fn manager() -> DefaultMaterialsManager {
    DefaultMaterialsManager::new(RawAesKeyring::new("ns", "key", &[7u8; 32]).unwrap())
}

fn context() -> EncryptionContext {
    EncryptionContext::from_caller([("tenant", "42")]).unwrap()
}

#[test]
fn signed_suites_are_refused_on_encrypt() {
    for suite in AlgorithmSuiteId::ALL {
        let mut options = EncryptOptions::default();
        options.suite = Some(suite);
        options.commitment_policy = if suite.suite().commitment {
            CommitmentPolicy::RequireEncryptRequireDecrypt
        } else {
            CommitmentPolicy::ForbidEncryptAllowDecrypt
        };
        let result = pollster::block_on(encrypt(&manager(), b"hello", &context(), &options));
        if suite.suite().signature.is_some() {
            let e = result.unwrap_err();
            assert_eq!(e, Error::UnsupportedSuite(suite.as_u16()));
            assert_eq!(e.code(), ErrorCode::UnsupportedSuite);
            assert!(e.to_string().contains("ecdsa"), "{e}");
        } else {
            result.unwrap();
        }
    }
}

#[test]
fn signed_messages_are_refused_on_decrypt_after_the_header_parses() {
    let message = pollster::block_on(encrypt(
        &manager(),
        b"hello",
        &context(),
        &EncryptOptions::default(),
    ))
    .unwrap()
    .ciphertext;
    // 0x0478 and 0x0578 share the v2 header layout; the suite id follows
    // the version byte.
    assert_eq!(&message[..3], &[0x02, 0x04, 0x78]);
    let mut signed = message.clone();
    signed[1] = 0x05;
    let e =
        pollster::block_on(decrypt(&manager(), &signed, &DecryptOptions::default())).unwrap_err();
    assert_eq!(e, Error::UnsupportedSuite(0x0578));
    assert_eq!(e.code(), ErrorCode::UnsupportedSuite);

    let opened =
        pollster::block_on(decrypt(&manager(), &message, &DecryptOptions::default())).unwrap();
    assert_eq!(opened.plaintext, b"hello");
}
