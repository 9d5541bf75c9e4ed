//! The seam between KMS keyrings and a KMS transport.
//!
//! The core knows nothing of HTTP or JavaScript: a KMS keyring calls a
//! [`KmsClient`], which the wasm crate implements with `globalThis.fetch` and
//! native code with an HTTP client. Requests and responses here carry only
//! what keyrings need; the wire types live in `kms-protocol`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use crate::LocalBoxFuture;
use crate::context::EncryptionContext;

/// A GenerateDataKey request.
#[derive(Debug, Clone, Copy)]
pub struct GenerateDataKeyRequest<'a> {
    /// Any key id form KMS accepts (id, ARN, alias name, alias ARN).
    pub key_id: &'a str,
    /// The data key's length in bytes (16, 24 or 32 for the ESDK suites).
    pub number_of_bytes: u16,
    /// Bound to the ciphertext as additional authenticated data.
    pub encryption_context: &'a EncryptionContext,
    /// Grant tokens passed through to KMS.
    pub grant_tokens: &'a [String],
}

/// An Encrypt request (a data key encrypted under a further KMS key).
#[derive(Debug, Clone, Copy)]
pub struct EncryptRequest<'a> {
    /// Any key id form KMS accepts.
    pub key_id: &'a str,
    /// The data key to encrypt.
    pub plaintext: &'a [u8],
    /// Bound to the ciphertext as additional authenticated data.
    pub encryption_context: &'a EncryptionContext,
    /// Grant tokens passed through to KMS.
    pub grant_tokens: &'a [String],
    /// `None` for symmetric keys; an RSA algorithm name such as
    /// `RSAES_OAEP_SHA_256` for asymmetric ones.
    pub encryption_algorithm: Option<&'a str>,
}

/// A Decrypt request.
#[derive(Debug, Clone, Copy)]
pub struct DecryptRequest<'a> {
    /// The key KMS must use (keyrings always name it, so that a ciphertext
    /// cannot redirect decryption to another key).
    pub key_id: &'a str,
    /// The ciphertext blob.
    pub ciphertext: &'a [u8],
    /// Must equal the context given at encryption. Empty for asymmetric
    /// keys (the KMS RSA keyring): clients omit an empty context from the
    /// request, as KMS refuses one with asymmetric keys.
    pub encryption_context: &'a EncryptionContext,
    /// Grant tokens passed through to KMS.
    pub grant_tokens: &'a [String],
    /// `None` for symmetric keys; the RSA algorithm for asymmetric ones.
    pub encryption_algorithm: Option<&'a str>,
}

/// A plaintext data key with its KMS-wrapped copy.
pub struct GeneratedDataKey {
    /// The ARN of the KMS key that wrapped the data key.
    pub key_id: String,
    /// The data key; zeroized on drop.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The wrapped data key.
    pub ciphertext_blob: Vec<u8>,
}

impl fmt::Debug for GeneratedDataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedDataKey")
            .field("key_id", &self.key_id)
            .field("plaintext", &"<redacted>")
            .field("ciphertext_blob_len", &self.ciphertext_blob.len())
            .finish()
    }
}

/// The result of Encrypt.
#[derive(Debug, Clone)]
pub struct EncryptResponse {
    /// The ARN of the KMS key that encrypted.
    pub key_id: String,
    /// The ciphertext blob.
    pub ciphertext_blob: Vec<u8>,
}

/// The result of Decrypt.
pub struct DecryptResponse {
    /// The ARN of the KMS key that decrypted.
    pub key_id: String,
    /// The plaintext; zeroized on drop.
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for DecryptResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptResponse")
            .field("key_id", &self.key_id)
            .field("plaintext", &"<redacted>")
            .finish()
    }
}

/// The result of GetPublicKey.
#[derive(Debug, Clone)]
pub struct PublicKeyResponse {
    /// The ARN of the key.
    pub key_id: String,
    /// The DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// `KeySpec`, e.g. `ECC_NIST_P256` or `RSA_2048`.
    pub key_spec: String,
    /// `KeyUsage`: `ENCRYPT_DECRYPT`, `SIGN_VERIFY`, ...
    pub key_usage: String,
    /// The encryption algorithms the key supports (empty for signing keys).
    pub encryption_algorithms: Vec<String>,
    /// The signing algorithms the key supports (empty for encryption keys).
    pub signing_algorithms: Vec<String>,
}

/// What kind of KMS failure occurred, so callers can react without parsing
/// messages. Service errors keep AWS's `__type` in [`KmsError::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KmsErrorKind {
    /// `AccessDeniedException`, or a signature/credential rejection.
    AccessDenied,
    /// `NotFoundException`.
    NotFound,
    /// `DisabledException`, or `KMSInvalidStateException` (pending deletion,
    /// pending import, ...).
    KeyUnavailable,
    /// `InvalidCiphertextException` or `IncorrectKeyException`: the blob does
    /// not decrypt under the named key with the given context.
    InvalidCiphertext,
    /// `ThrottlingException` (after the client's retries).
    Throttling,
    /// `LimitExceededException`.
    LimitExceeded,
    /// Another service error (validation, key usage, internal ...).
    Service,
    /// The request never got an answer: network failure, timeout, abort.
    /// Retried.
    Transport,
    /// The request could not be made: the credential provider failed, the
    /// region or endpoint is invalid, the runtime has no `fetch`, or the
    /// request could not be signed or encoded. Not retried.
    Client,
    /// The response could not be understood.
    MalformedResponse,
}

impl KmsErrorKind {
    /// The kind's name, e.g. `"AccessDenied"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            KmsErrorKind::AccessDenied => "AccessDenied",
            KmsErrorKind::NotFound => "NotFound",
            KmsErrorKind::KeyUnavailable => "KeyUnavailable",
            KmsErrorKind::InvalidCiphertext => "InvalidCiphertext",
            KmsErrorKind::Throttling => "Throttling",
            KmsErrorKind::LimitExceeded => "LimitExceeded",
            KmsErrorKind::Service => "Service",
            KmsErrorKind::Transport => "Transport",
            KmsErrorKind::Client => "Client",
            KmsErrorKind::MalformedResponse => "MalformedResponse",
        }
    }

    /// Classifies an AWS error `__type` (with or without a namespace prefix
    /// such as `com.amazonaws.kms#`, or the `:<url>` suffix the
    /// `x-amzn-ErrorType` header may carry).
    pub fn from_aws_code(code: &str) -> Self {
        let code = code.rsplit('#').next().unwrap_or(code);
        let code = code.split(':').next().unwrap_or(code).trim();
        match code {
            "AccessDeniedException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "IncompleteSignature"
            | "MissingAuthenticationToken"
            | "ExpiredTokenException"
            | "InvalidGrantTokenException" => KmsErrorKind::AccessDenied,
            "NotFoundException" => KmsErrorKind::NotFound,
            "DisabledException" | "KMSInvalidStateException" | "KeyUnavailableException" => {
                KmsErrorKind::KeyUnavailable
            }
            "InvalidCiphertextException" | "IncorrectKeyException" => {
                KmsErrorKind::InvalidCiphertext
            }
            "ThrottlingException" => KmsErrorKind::Throttling,
            "LimitExceededException" => KmsErrorKind::LimitExceeded,
            _ => KmsErrorKind::Service,
        }
    }
}

/// A failed KMS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsError {
    /// The kind of failure.
    pub kind: KmsErrorKind,
    /// AWS's error type (e.g. `AccessDeniedException`), or a transport
    /// description such as `Timeout` for failures without one.
    pub code: String,
    /// The service's or transport's message.
    pub message: String,
}

impl KmsError {
    /// A service error from its AWS `__type` and message.
    pub fn service(code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        KmsError {
            kind: KmsErrorKind::from_aws_code(&code),
            code,
            message: message.into(),
        }
    }

    /// A failure to get any answer.
    pub fn transport(message: impl Into<String>) -> Self {
        KmsError {
            kind: KmsErrorKind::Transport,
            code: String::from("Transport"),
            message: message.into(),
        }
    }

    /// A request that could not be made (see [`KmsErrorKind::Client`]).
    pub fn client(message: impl Into<String>) -> Self {
        KmsError {
            kind: KmsErrorKind::Client,
            code: String::from("ClientError"),
            message: message.into(),
        }
    }

    /// An answer that is not a valid KMS response.
    pub fn malformed(message: impl Into<String>) -> Self {
        KmsError {
            kind: KmsErrorKind::MalformedResponse,
            code: String::from("MalformedResponse"),
            message: message.into(),
        }
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KMS {}: {}", self.code, self.message)
    }
}

impl core::error::Error for KmsError {}

/// A client for one KMS endpoint and region.
///
/// Implementations sign and send requests (the wasm crate over `fetch`,
/// native code over HTTP), retry throttling and server errors as they see
/// fit, and map failures to [`KmsError`]. Futures need not be `Send`.
pub trait KmsClient {
    /// The region this client's requests go to (e.g. `us-east-1`); keyrings
    /// use it to match multi-region keys.
    fn region(&self) -> &str;

    /// GenerateDataKey.
    fn generate_data_key<'a>(
        &'a self,
        request: GenerateDataKeyRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<GeneratedDataKey, KmsError>>;

    /// Encrypt.
    fn encrypt<'a>(
        &'a self,
        request: EncryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<EncryptResponse, KmsError>>;

    /// Decrypt.
    fn decrypt<'a>(
        &'a self,
        request: DecryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<DecryptResponse, KmsError>>;

    /// GetPublicKey.
    fn get_public_key<'a>(
        &'a self,
        key_id: &'a str,
        grant_tokens: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>>;
}

impl<C: KmsClient + ?Sized> KmsClient for alloc::rc::Rc<C> {
    fn region(&self) -> &str {
        (**self).region()
    }
    fn generate_data_key<'a>(
        &'a self,
        request: GenerateDataKeyRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<GeneratedDataKey, KmsError>> {
        (**self).generate_data_key(request)
    }
    fn encrypt<'a>(
        &'a self,
        request: EncryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<EncryptResponse, KmsError>> {
        (**self).encrypt(request)
    }
    fn decrypt<'a>(
        &'a self,
        request: DecryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<DecryptResponse, KmsError>> {
        (**self).decrypt(request)
    }
    fn get_public_key<'a>(
        &'a self,
        key_id: &'a str,
        grant_tokens: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>> {
        (**self).get_public_key(key_id, grant_tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_codes_classify_with_namespaces_and_header_suffixes() {
        for (code, kind) in [
            ("AccessDeniedException", KmsErrorKind::AccessDenied),
            (
                "com.amazonaws.kms#NotFoundException",
                KmsErrorKind::NotFound,
            ),
            (
                "DisabledException:http://internal.amazon.com/coral/com.amazonaws.kms/",
                KmsErrorKind::KeyUnavailable,
            ),
            ("KMSInvalidStateException", KmsErrorKind::KeyUnavailable),
            ("IncorrectKeyException", KmsErrorKind::InvalidCiphertext),
            ("ThrottlingException", KmsErrorKind::Throttling),
            ("LimitExceededException", KmsErrorKind::LimitExceeded),
            ("ValidationException", KmsErrorKind::Service),
            ("", KmsErrorKind::Service),
        ] {
            assert_eq!(KmsErrorKind::from_aws_code(code), kind, "{code}");
        }
    }
}
