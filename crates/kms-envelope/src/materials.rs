//! What keyrings and materials managers produce: data keys, encrypted data
//! keys, and the materials an encryptor or decryptor needs.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::context::EncryptionContext;
use crate::error::Error;
use crate::signing::{SigningKey, VerificationKey};
use crate::suite::AlgorithmSuite;

/// A plaintext data key. Zeroized on drop; never printed.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DataKey(Vec<u8>);

impl DataKey {
    /// Wraps key bytes; `suite` checks the length.
    pub fn new(bytes: Vec<u8>, suite: &AlgorithmSuite) -> Result<Self, Error> {
        let key = DataKey(bytes);
        if key.0.len() != suite.data_key_len() {
            return Err(Error::InvalidKey(
                "data key length does not match the algorithm suite",
            ));
        }
        Ok(key)
    }

    /// A fresh random data key for `suite`.
    pub fn generate(suite: &AlgorithmSuite) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new(alloc::vec![0u8; suite.data_key_len()]);
        crate::random::fill(&mut bytes)?;
        Ok(DataKey(core::mem::take(&mut *bytes)))
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey(<{} bytes redacted>)", self.0.len())
    }
}

/// A data key encrypted by one keyring, as stored in the message header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedDataKey {
    /// Who can decrypt it: `aws-kms`, or a raw keyring's namespace.
    pub provider_id: String,
    /// Which key: a KMS key ARN, or a raw keyring's name plus parameters.
    pub provider_info: Vec<u8>,
    /// The wrapped data key.
    pub ciphertext: Vec<u8>,
}

/// What an encryptor needs: the suite, the context to bind, the data key
/// and its encrypted copies, and (for signed suites) the signing key.
#[derive(Debug, Clone)]
pub struct EncryptionMaterials {
    /// The algorithm suite of the message.
    pub suite: &'static AlgorithmSuite,
    /// The full encryption context, including keys the SDK adds.
    pub encryption_context: EncryptionContext,
    /// The plaintext data key, once a generator keyring set it.
    pub data_key: Option<DataKey>,
    /// One encrypted copy of the data key per keyring.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// The signing key of a signed suite.
    pub signing_key: Option<SigningKey>,
    /// Context keys that are authenticated but not stored in the message;
    /// the decrypting caller must supply them again.
    pub required_encryption_context_keys: Vec<String>,
}

impl EncryptionMaterials {
    /// Empty materials for `suite` and `encryption_context`, to be filled by
    /// keyrings.
    pub fn new(suite: &'static AlgorithmSuite, encryption_context: EncryptionContext) -> Self {
        EncryptionMaterials {
            suite,
            encryption_context,
            data_key: None,
            encrypted_data_keys: Vec::new(),
            signing_key: None,
            required_encryption_context_keys: Vec::new(),
        }
    }
}

/// What a decryptor needs: the data key and (for signed suites) the key to
/// verify the footer.
#[derive(Debug, Clone)]
pub struct DecryptionMaterials {
    /// The algorithm suite of the message.
    pub suite: &'static AlgorithmSuite,
    /// The full encryption context (stored pairs plus the caller's
    /// reproduced required pairs).
    pub encryption_context: EncryptionContext,
    /// The plaintext data key, once a keyring decrypted one.
    pub data_key: Option<DataKey>,
    /// The footer verification key of a signed suite.
    pub verification_key: Option<VerificationKey>,
    /// Context keys authenticated but not stored in the message.
    pub required_encryption_context_keys: Vec<String>,
    /// The wrapping key that decrypted the data key: a KMS key ARN, or
    /// `namespace/name` for a raw keyring (see [`Self::set_data_key`]).
    pub wrapping_key_id: Option<String>,
}

impl DecryptionMaterials {
    /// Records the data key a keyring decrypted and the wrapping key that
    /// decrypted it.
    pub fn set_data_key(&mut self, data_key: DataKey, wrapping_key_id: String) {
        self.data_key = Some(data_key);
        self.wrapping_key_id = Some(wrapping_key_id);
    }

    /// Empty materials for `suite` and `encryption_context`, to be filled by
    /// a keyring.
    pub fn new(suite: &'static AlgorithmSuite, encryption_context: EncryptionContext) -> Self {
        DecryptionMaterials {
            suite,
            encryption_context,
            data_key: None,
            verification_key: None,
            required_encryption_context_keys: Vec::new(),
            wrapping_key_id: None,
        }
    }
}
