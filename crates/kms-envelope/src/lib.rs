//! Envelope encryption in the AWS Encryption SDK message format.
//!
//! Messages written here decrypt with the AWS Encryption SDK (Python, Java,
//! JavaScript, its CLI) and the reverse. The crate is `#![no_std]` + `alloc`
//! and knows nothing of JavaScript or HTTP: keyrings that need a KMS reach it
//! through the async [`Keyring`](keyring::Keyring) trait, which the wasm
//! bindings implement over `fetch` and native code over an HTTP client.
//!
//! - [`suite`]: the 11 algorithm suites and the commitment policies.
//! - [`context`]: the encryption context and its serialization.
//! - [`materials`]: data keys, encrypted data keys, encryption and decryption
//!   materials.
//! - [`keyring`]: raw AES, raw RSA (feature `rsa`) and multi keyrings.
//! - [`kms`]: AWS KMS keyrings (strict, multi-Region, discovery, RSA) and
//!   the [`KmsClient`](kms::KmsClient) trait they call.
//! - [`cmm`]: materials managers (default, required encryption context,
//!   caching).
//! - [`format`]: the message format (header, body, footer) reader and writer.
//! - [`mod@encrypt`] and [`mod@decrypt`]: one-shot functions and streaming
//!   encryptor/decryptor (with `std`, also [`io`] adapters).
//! - [`detached`]: the same streams with the frames' AES-GCM done by the
//!   caller (WebCrypto in a browser).
//! - [`detached_signature`]: the footer signature made and checked by the
//!   caller (a platform's native ECDSA).
//! - [`signing`]: the ECDSA footer signatures of signed suites.
//! - `verify` (feature `verify`): verification of KMS signatures with DER
//!   public keys.
//!
//! Features only add (all on by default): `std` (`std::error::Error`),
//! `ecdsa` (the signed suites; without it they fail with
//! [`Error::UnsupportedSuite`]), `rsa` (the raw RSA and KMS RSA keyrings)
//! and `verify`. Builds that must be small, such as the npm package's
//! minimal one, leave out the last three.
//!
//! ```
//! use kms_envelope::cmm::DefaultMaterialsManager;
//! use kms_envelope::keyring::RawAesKeyring;
//! use kms_envelope::{DecryptOptions, EncryptOptions, EncryptionContext, decrypt, encrypt};
//!
//! # fn main() -> Result<(), kms_envelope::Error> {
//! let key_bytes = [7u8; 32]; // in real use: 32 secret random bytes
//! let keyring = RawAesKeyring::new("my-namespace", "my-key", &key_bytes)?;
//! let manager = DefaultMaterialsManager::new(keyring);
//! let context = EncryptionContext::from_caller([("tenant", "42")])?;
//!
//! // Raw keyrings complete at once, so any executor drives the futures.
//! let message = pollster::block_on(encrypt(&manager, b"hello", &context, &EncryptOptions::default()))?;
//! let opened = pollster::block_on(decrypt(&manager, &message.ciphertext, &DecryptOptions::default()))?;
//! assert_eq!(opened.plaintext, b"hello");
//! assert_eq!(opened.encryption_context.get("tenant"), Some("42"));
//! # Ok(())
//! # }
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![warn(
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::std_instead_of_alloc
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod cipher;
pub mod cmm;
pub mod context;
pub mod decrypt;
pub mod detached;
pub mod detached_signature;
pub mod encrypt;
pub mod error;
pub mod format;
#[cfg(feature = "std")]
pub mod io;
pub mod keyring;
pub mod kms;
pub mod materials;
pub mod random;
pub mod signing;
pub mod suite;
#[cfg(feature = "verify")]
pub mod verify;

pub use context::EncryptionContext;
pub use decrypt::{
    BodyDecryptor, DecryptOptions, DecryptOutput, HeaderReader, ParsedHeader, PlaintextPiece,
    ReadHeader, decrypt,
};
pub use encrypt::{EncryptOptions, EncryptOutput, Encryptor, encrypt};
pub use error::{Error, ErrorCode};
pub use suite::{AlgorithmSuite, AlgorithmSuiteId, CommitmentPolicy};

/// A boxed future that need not be `Send`: wasm is single-threaded, and
/// keyrings there hold JavaScript values.
pub type LocalBoxFuture<'a, T> =
    core::pin::Pin<alloc::boxed::Box<dyn core::future::Future<Output = T> + 'a>>;
