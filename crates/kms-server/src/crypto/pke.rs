//! Encrypt and Decrypt under asymmetric keys: RSAES-OAEP on RSA keys (see
//! [`super::rsa_encrypt`]) and SM2PKE on SM2 keys (see [`super::sm2`]).
//! Neither ciphertext names its key, so Decrypt needs the KeyId and the
//! algorithm.

use kms_protocol::ops::EncryptionAlgorithmSpec;
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::{KeyMaterial, Loaded};
use super::rsa_encrypt;

/// The SM2 key of `material` for SM2PKE; `None` for any other algorithm.
fn sm2_key(
    material: &KeyMaterial,
    algorithm: EncryptionAlgorithmSpec,
) -> Option<Result<&super::sm2::Sm2Key, CryptoError>> {
    (algorithm == EncryptionAlgorithmSpec::Sm2Pke).then(|| match &material.loaded {
        Loaded::Sm2(key) => Ok(&**key),
        _ => Err(CryptoError::AlgorithmNotValidForKey {
            algorithm: algorithm.as_str(),
            key_spec: material.spec(),
        }),
    })
}

/// Encrypts `plaintext` under the public key of `material` (its length
/// checked against the algorithm's limit).
pub fn encrypt(
    material: &KeyMaterial,
    algorithm: EncryptionAlgorithmSpec,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match sm2_key(material, algorithm) {
        Some(key) => key?.encrypt(plaintext),
        None => rsa_encrypt::encrypt(material, algorithm, plaintext),
    }
}

/// Decrypts with the private key of `material`. A ciphertext that does not
/// decrypt is [`CryptoError::DecryptionFailed`], whatever the cause.
pub fn decrypt(
    material: &KeyMaterial,
    algorithm: EncryptionAlgorithmSpec,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    match sm2_key(material, algorithm) {
        Some(key) => key?.decrypt(ciphertext),
        None => rsa_encrypt::decrypt(material, algorithm, ciphertext),
    }
}
