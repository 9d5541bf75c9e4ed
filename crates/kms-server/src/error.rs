//! Domain errors of the server and the one place that maps them to AWS wire
//! errors: HTTP status and `{"__type": "<Code>", "message": "..."}`.
//!
//! Internal failures (store, crypto library) are logged with their detail
//! and answered as `KMSInternalException` with a fixed message, so nothing
//! internal leaks to clients.

use core::fmt;

use kms_protocol::error::{ErrorBody, ErrorCode};

use crate::crypto::CryptoError;

/// Why a request failed, in KMS terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmsError {
    /// No SigV4 authorization at all.
    MissingAuthenticationToken(String),
    /// Unknown access key id.
    UnrecognizedClient(String),
    /// Signature mismatch or request time outside the allowed skew.
    InvalidSignature(String),
    /// Authorization header present but malformed.
    IncompleteSignature(String),
    /// `X-Amz-Target` names no KMS operation.
    UnknownOperation(String),
    /// Body is not JSON or a member has the wrong type.
    Serialization(String),
    /// A value breaks a constraint.
    Validation(String),
    /// The operation, spec or option is not implemented.
    Unsupported(String),
    /// Unknown key, alias or tag.
    NotFound(String),
    /// A malformed ARN.
    InvalidArn(String),
    /// The key is disabled.
    Disabled(String),
    /// The key's state does not allow the operation.
    InvalidState(String),
    /// The key's usage or spec does not allow the operation.
    InvalidKeyUsage(String),
    /// The ciphertext was made by another key.
    IncorrectKey(String),
    /// The ciphertext is malformed, tampered, or its context differs.
    InvalidCiphertext(String),
    /// Verify: the signature does not verify.
    KmsInvalidSignature(String),
    /// VerifyMac: the MAC does not verify.
    KmsInvalidMac(String),
    /// An alias with that name exists.
    AlreadyExists(String),
    /// An alias name breaks AWS's rules.
    InvalidAliasName(String),
    /// The caller may not do that (reserved `alias/aws/` names).
    NotAuthorized(String),
    /// A paging marker this server did not issue.
    InvalidMarker(String),
    /// Tag rules broken.
    Tag(String),
    /// A quota would be exceeded.
    LimitExceeded(String),
    /// A key policy that is not a JSON document.
    MalformedPolicyDocument(String),
    /// No policy or grant allows the request, or one denies it.
    AccessDenied(String),
    /// A grant token this server did not issue.
    InvalidGrantToken(String),
    /// A grant id that names no grant of the key.
    InvalidGrantId(String),
    /// A request quota was exceeded.
    Throttling(String),
    /// An import token this server did not make for this key.
    InvalidImportToken(String),
    /// An import token past its 24 hours.
    ExpiredImportToken(String),
    /// Imported material that does not fit the key.
    IncorrectKeyMaterial(String),
    /// `DryRun` was set and the request would have succeeded.
    DryRun,
    /// Anything internal; the detail is logged, never returned.
    Internal(String),
}

impl KmsError {
    /// The AWS error code sent as `__type`.
    pub fn code(&self) -> &'static str {
        use KmsError::*;
        let code = match self {
            MissingAuthenticationToken(_) => ErrorCode::MissingAuthenticationTokenException,
            UnrecognizedClient(_) => ErrorCode::UnrecognizedClientException,
            InvalidSignature(_) => ErrorCode::InvalidSignatureException,
            IncompleteSignature(_) => ErrorCode::IncompleteSignatureException,
            UnknownOperation(_) => ErrorCode::UnknownOperationException,
            Serialization(_) => ErrorCode::SerializationException,
            Validation(_) => ErrorCode::ValidationException,
            Unsupported(_) => ErrorCode::UnsupportedOperationException,
            NotFound(_) => ErrorCode::NotFoundException,
            InvalidArn(_) => ErrorCode::InvalidArnException,
            Disabled(_) => ErrorCode::DisabledException,
            InvalidState(_) => ErrorCode::KMSInvalidStateException,
            InvalidKeyUsage(_) => ErrorCode::InvalidKeyUsageException,
            IncorrectKey(_) => ErrorCode::IncorrectKeyException,
            InvalidCiphertext(_) => ErrorCode::InvalidCiphertextException,
            KmsInvalidSignature(_) => ErrorCode::KMSInvalidSignatureException,
            KmsInvalidMac(_) => ErrorCode::KMSInvalidMacException,
            AlreadyExists(_) => ErrorCode::AlreadyExistsException,
            InvalidAliasName(_) => ErrorCode::InvalidAliasNameException,
            // Not in the KMS model: AWS answers CreateAlias/DeleteAlias on
            // `alias/aws/...` with this generic authorization error.
            NotAuthorized(_) => return "NotAuthorizedException",
            InvalidMarker(_) => ErrorCode::InvalidMarkerException,
            Tag(_) => ErrorCode::TagException,
            LimitExceeded(_) => ErrorCode::LimitExceededException,
            MalformedPolicyDocument(_) => ErrorCode::MalformedPolicyDocumentException,
            AccessDenied(_) => ErrorCode::AccessDeniedException,
            InvalidGrantToken(_) => ErrorCode::InvalidGrantTokenException,
            InvalidGrantId(_) => ErrorCode::InvalidGrantIdException,
            Throttling(_) => ErrorCode::ThrottlingException,
            InvalidImportToken(_) => ErrorCode::InvalidImportTokenException,
            ExpiredImportToken(_) => ErrorCode::ExpiredImportTokenException,
            IncorrectKeyMaterial(_) => ErrorCode::IncorrectKeyMaterialException,
            DryRun => ErrorCode::DryRunOperationException,
            Internal(_) => ErrorCode::KMSInternalException,
        };
        code.as_str()
    }

    /// The HTTP status: 400 for client errors, 412 for DryRun, 500 for ours.
    pub fn status(&self) -> u16 {
        match self {
            KmsError::NotAuthorized(_) => 400,
            _ => ErrorCode::from_type(self.code())
                .map(ErrorCode::http_status)
                .unwrap_or(500),
        }
    }

    /// The wire body.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            r#type: self.code().to_owned(),
            message: self.client_message(),
        }
    }

    /// The message sent to the client.
    pub fn client_message(&self) -> String {
        use KmsError::*;
        match self {
            DryRun => "The request would have succeeded, but the DryRun option is set.".into(),
            Internal(_) => "An internal error occurred.".into(),
            MissingAuthenticationToken(m)
            | UnrecognizedClient(m)
            | InvalidSignature(m)
            | IncompleteSignature(m)
            | UnknownOperation(m)
            | Serialization(m)
            | Validation(m)
            | Unsupported(m)
            | NotFound(m)
            | InvalidArn(m)
            | Disabled(m)
            | InvalidState(m)
            | InvalidKeyUsage(m)
            | IncorrectKey(m)
            | InvalidCiphertext(m)
            | KmsInvalidSignature(m)
            | KmsInvalidMac(m)
            | AlreadyExists(m)
            | InvalidAliasName(m)
            | NotAuthorized(m)
            | InvalidMarker(m)
            | Tag(m)
            | LimitExceeded(m)
            | MalformedPolicyDocument(m)
            | AccessDenied(m)
            | InvalidGrantToken(m)
            | InvalidGrantId(m)
            | Throttling(m)
            | InvalidImportToken(m)
            | ExpiredImportToken(m)
            | IncorrectKeyMaterial(m) => m.clone(),
        }
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            KmsError::Internal(detail) => write!(f, "{code}: {detail}"),
            _ => write!(f, "{code}: {}", self.client_message()),
        }
    }
}

impl std::error::Error for KmsError {}

impl From<CryptoError> for KmsError {
    fn from(e: CryptoError) -> Self {
        let msg = e.to_string();
        match e.kms_error_code() {
            "ValidationException" => KmsError::Validation(msg),
            "InvalidKeyUsageException" => KmsError::InvalidKeyUsage(msg),
            "UnsupportedOperationException" => KmsError::Unsupported(msg),
            "InvalidCiphertextException" => KmsError::InvalidCiphertext(msg),
            "KMSInvalidSignatureException" => KmsError::KmsInvalidSignature(msg),
            "KMSInvalidMacException" => KmsError::KmsInvalidMac(msg),
            _ => KmsError::Internal(msg),
        }
    }
}

impl From<crate::store::StoreError> for KmsError {
    fn from(e: crate::store::StoreError) -> Self {
        KmsError::Internal(e.to_string())
    }
}
