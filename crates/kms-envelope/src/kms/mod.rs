//! KMS keyrings and the client seam they call.

mod client;

pub use client::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsClient, KmsError, KmsErrorKind, PublicKeyResponse,
};
