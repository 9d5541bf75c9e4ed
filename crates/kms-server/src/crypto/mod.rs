//! Every cryptographic operation of the KMS server, free of HTTP and storage.
//!
//! - [`material`]: [`KeyMaterial`] per `KeySpec`: generate, import, load,
//!   serialize, public key (SPKI DER).
//! - [`root`]: [`RootKey`] seals key material and other secrets at rest.
//! - [`ciphertext`]: the symmetric CiphertextBlob (Encrypt, Decrypt,
//!   GenerateDataKey, ReEncrypt), with the key id and version inside.
//! - [`pke`]: Encrypt/Decrypt under asymmetric keys: [`rsa_encrypt`]
//!   (RSAES-OAEP) and SM2PKE, with AWS's size limits.
//! - [`sign`]: Sign/Verify for every (KeySpec, SigningAlgorithmSpec) pair;
//!   [`ed25519`], [`ml_dsa`] and [`sm2`] hold the Ed25519, ML-DSA and SM2
//!   keys.
//! - [`mac`]: GenerateMac and VerifyMac.
//! - [`agree`]: DeriveSharedSecret (ECDH, NIST curves and SM2).
//! - [`ml_kem`]: ML-KEM keys, Encapsulate and Decapsulate.
//! - [`datakey`]: data keys and data key pairs.
//! - [`import`]: wrapping key pairs and unwrapping of imported material.
//!
//! Every function checks its own input sizes and algorithm/key-spec fit and
//! answers a [`CryptoError`], whose [`CryptoError::kms_error_code`] names
//! the AWS exception to return.
//!
//! How the server strings them together:
//! - CreateKey: [`KeyMaterial::generate`], then [`RootKey::seal_material`]
//!   with the key id and version 1; store the sealed bytes. On load,
//!   [`RootKey::unseal_material`] with the same id, version and spec, and
//!   keep the `KeyMaterial` (it is `Send + Sync`) for every request.
//! - Encrypt / GenerateDataKey: [`ciphertext::seal`] under the current
//!   version (data keys from [`datakey::generate_data_key`]). Decrypt:
//!   [`ciphertext::parse_header`] gives the key id and version to look up,
//!   then [`ciphertext::open`]. RSA and SM2 keys: [`pke`], no header.
//! - ImportKeyMaterial: [`import::check_wrapping`] at
//!   GetParametersForImport, [`import::WrappingKeyPair::unwrap_key_material`],
//!   then [`KeyMaterial::from_bytes`] with the key's spec (on re-import,
//!   [`KeyMaterial::same_material_as`] the first import).
//! - RSA generation takes up to seconds (4096 bits): call
//!   [`KeyMaterial::generate`], [`datakey::generate_data_key_pair`] and
//!   [`import::WrappingKeyPair::generate`] off the async worker threads.

pub mod agree;
pub mod ciphertext;
pub mod datakey;
pub mod ed25519;
pub mod error;
pub mod import;
pub mod mac;
pub mod material;
pub mod ml_dsa;
pub mod ml_kem;
pub mod pke;
pub mod root;
pub mod rsa_encrypt;
mod seed_form;
pub mod sign;
pub mod sm2;

#[cfg(test)]
mod agree_vectors;
#[cfg(test)]
mod import_vectors;
#[cfg(test)]
mod sign_vectors;
#[cfg(test)]
mod sm2_vectors;
#[cfg(test)]
pub(crate) mod test_keys;

pub use error::CryptoError;
pub use material::KeyMaterial;
pub use root::RootKey;
