//! SM2PKE ciphertexts, which Decrypt takes as CiphertextBlob under an SM2
//! key and ImportKeyMaterial as EncryptedKeyMaterial under an SM2 wrapping
//! key: decrypting any bytes never panics, and what `encrypt` makes opens
//! only unchanged.
//!
//! Input: the bytes to decrypt; when they are 1 to 1,024 bytes, also a
//! plaintext to encrypt, whose first and last bytes pick the byte a
//! tampered copy changes and how.
#![no_main]

use std::sync::OnceLock;

use kms_protocol::ops::{EncryptionAlgorithmSpec, KeySpec};
use kms_server::crypto::material::KeyMaterial;
use kms_server::crypto::pke;
use libfuzzer_sys::fuzz_target;

/// An SM2 key made by OpenSSL (kms-server's `sm2_vectors` test key), so a
/// crash reproduces with the same key.
const KEY_PKCS8: &str = concat!(
    "308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420d0425b4444c44d70",
    "083a6a965ff3795dc6219e1b9e05f8c2f69997551855be47a1440342000411f7fe91924baf62035c0f108c43",
    "c47b65df93d6b1fde560e4ebd4a8aaf8cb26ec889bc77cdc728937e777e0531b65e96049e1ff1072567c85b0",
    "c69158320a7e",
);

const SM2PKE: EncryptionAlgorithmSpec = EncryptionAlgorithmSpec::Sm2Pke;

fn key() -> &'static KeyMaterial {
    static KEY: OnceLock<KeyMaterial> = OnceLock::new();
    KEY.get_or_init(|| {
        let der = hex::decode(KEY_PKCS8).unwrap_or_else(|e| panic!("fixture hex: {e}"));
        KeyMaterial::from_bytes(KeySpec::Sm2, &der)
            .unwrap_or_else(|e| panic!("the fixture SM2 key loads: {e:?}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let key = key();
    // At least 97 bytes of C1 and C3 come with any plaintext.
    if let Ok(plaintext) = pke::decrypt(key, SM2PKE, data) {
        assert!(plaintext.len() + 97 <= data.len());
    }
    let (Some(&first), Some(&last)) = (data.first(), data.last()) else {
        return;
    };
    let Ok(mut ciphertext) = pke::encrypt(key, SM2PKE, data) else {
        assert!(
            data.len() > 1024,
            "encryption of {} bytes failed",
            data.len()
        );
        return;
    };
    let opened = pke::decrypt(key, SM2PKE, &ciphertext)
        .unwrap_or_else(|e| panic!("a fresh ciphertext does not open: {e:?}"));
    assert_eq!(opened.as_slice(), data);
    let at = usize::from(first) % ciphertext.len();
    ciphertext[at] ^= last | 1;
    assert!(
        pke::decrypt(key, SM2PKE, &ciphertext).is_err(),
        "a ciphertext changed at byte {at} still opens"
    );
});
