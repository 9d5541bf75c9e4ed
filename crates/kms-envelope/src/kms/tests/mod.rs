//! Keyring tests against an in-memory KMS, one file per keyring family,
//! each rule of the specification checked on its own.

mod discovery;
mod keyring;
mod mock;
mod multi;
mod rsa;

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::context::EncryptionContext;
use crate::error::{Error, ErrorCode};
use crate::keyring::Keyring;
use crate::kms::KmsClient;
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};
use crate::suite::AlgorithmSuiteId;

use mock::{MockKms, World};

pub const EAST: &str = "us-east-1";
pub const WEST: &str = "us-west-2";

/// A world with symmetric keys `k1`, `k2`, `mrk-1` and alias `alias/app`
/// naming `k1`, and a client in each of two regions.
pub fn setup() -> (Rc<World>, Rc<MockKms>, Rc<MockKms>) {
    let world = World::new();
    for key in ["k1", "k2", "mrk-1"] {
        world.add_key(key);
    }
    world.add_alias("alias/app", "k1");
    let east = MockKms::new(&world, EAST);
    let west = MockKms::new(&world, WEST);
    (world, east, west)
}

pub fn dyn_client(c: &Rc<MockKms>) -> Rc<dyn KmsClient> {
    c.clone()
}

pub fn suite() -> AlgorithmSuiteId {
    AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey
}

pub fn ctx() -> EncryptionContext {
    [("tenant", "42")].into_iter().collect()
}

pub fn tokens() -> Vec<String> {
    alloc::vec![String::from("grant-1")]
}

pub fn encrypt(k: &dyn Keyring) -> Result<EncryptionMaterials, Error> {
    encrypt_with(k, suite(), ctx())
}

pub fn encrypt_with(
    k: &dyn Keyring,
    suite: AlgorithmSuiteId,
    context: EncryptionContext,
) -> Result<EncryptionMaterials, Error> {
    pollster::block_on(k.on_encrypt(EncryptionMaterials::new(suite.suite(), context)))
}

pub fn decrypt(k: &dyn Keyring, edks: &[EncryptedDataKey]) -> Result<DecryptionMaterials, Error> {
    decrypt_with(k, edks, suite(), ctx())
}

pub fn decrypt_with(
    k: &dyn Keyring,
    edks: &[EncryptedDataKey],
    suite: AlgorithmSuiteId,
    context: EncryptionContext,
) -> Result<DecryptionMaterials, Error> {
    pollster::block_on(k.on_decrypt(DecryptionMaterials::new(suite.suite(), context), edks))
}

/// The failures of a `NoDecryptableDataKey` error.
pub fn failures(e: Error) -> Vec<crate::error::KeyringFailure> {
    match e {
        Error::NoDecryptableDataKey { failures } => failures,
        other => panic!("expected NoDecryptableDataKey, got {other:?}"),
    }
}

pub fn edk(provider_id: &str, info: &str) -> EncryptedDataKey {
    EncryptedDataKey {
        provider_id: provider_id.into(),
        provider_info: info.as_bytes().to_vec(),
        ciphertext: b"not a ciphertext".to_vec(),
    }
}

/// Asserts that `e` is not mine: no failures recorded.
pub fn assert_not_mine(e: Error) {
    assert_eq!(failures(e), []);
}

pub fn assert_code(e: &Error, code: ErrorCode) {
    assert_eq!(e.code(), code, "{e}");
}
