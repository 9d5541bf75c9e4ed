//! Every cryptographic operation of the KMS server, free of HTTP and storage.
//!
//! - [`material`]: [`KeyMaterial`] per `KeySpec`: generate, import, load,
//!   serialize, public key (SPKI DER).
//! - [`root`]: [`RootKey`] seals key material and other secrets at rest.
//! - [`ciphertext`]: the symmetric CiphertextBlob (Encrypt, Decrypt,
//!   GenerateDataKey, ReEncrypt), with the key id and version inside.
//! - [`rsa_encrypt`]: RSAES-OAEP Encrypt/Decrypt with AWS's size limits.
//! - [`sign`]: Sign/Verify for every (KeySpec, SigningAlgorithmSpec) pair.
//! - [`mac`]: GenerateMac and VerifyMac.
//! - [`datakey`]: data keys and data key pairs.
//! - [`import`]: wrapping key pairs and unwrapping of imported material.
//!
//! Every function checks its own input sizes and algorithm/key-spec fit and
//! answers a [`CryptoError`], whose [`CryptoError::kms_error_code`] names
//! the AWS exception to return.

pub mod ciphertext;
pub mod datakey;
pub mod error;
pub mod import;
pub mod mac;
pub mod material;
pub mod root;
pub mod rsa_encrypt;
pub mod sign;

#[cfg(test)]
mod import_vectors;
#[cfg(test)]
mod sign_vectors;
#[cfg(test)]
pub(crate) mod test_keys;

pub use error::CryptoError;
pub use material::KeyMaterial;
pub use root::RootKey;
