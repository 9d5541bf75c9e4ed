//! The crate's one error type, grouped by cause, each variant with a stable
//! [`ErrorCode`].
//!
//! Authentication failures are deliberately opaque (which byte, which frame's
//! tag): nothing about the plaintext or the key leaks through them.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::kms::{KmsError, KmsErrorKind};

/// Which configured limit a message or request exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// More encrypted data keys than allowed.
    EncryptedDataKeys {
        /// The configured maximum.
        max: u16,
        /// The number found or produced.
        found: u16,
    },
    /// A header larger than allowed, in bytes.
    HeaderSize {
        /// The configured maximum.
        max: usize,
    },
    /// A body larger than allowed for one-shot decryption, in bytes.
    BodySize {
        /// The configured maximum.
        max: u64,
    },
    /// More plaintext than the declared or allowed length.
    PlaintextLength {
        /// The declared or configured maximum.
        max: u64,
    },
    /// A frame length outside 1..=2^32-1 (or a body that would need more than
    /// 2^32-1 frames).
    FrameLength,
    /// The encryption context serializes to more than 65,535 bytes.
    EncryptionContextSize,
}

/// Why an encryption context was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContextError {
    /// A caller key uses the reserved `aws-crypto-` prefix.
    ReservedKey(String),
    /// A key or value is not valid UTF-8 in a message.
    NotUtf8,
    /// The same key appears twice in a serialized context.
    DuplicateKey(String),
    /// A pair the caller required is absent or has another value.
    Mismatch {
        /// The key whose value differs or is absent.
        key: String,
    },
    /// A key the required-encryption-context manager demands is absent.
    MissingRequiredKey(String),
    /// A key or value longer than 65,535 bytes.
    TooLong,
    /// A signed suite's context lacks the `aws-crypto-public-key` pair.
    MissingPublicKey,
    /// An unsigned suite's context carries an `aws-crypto-public-key` pair.
    UnexpectedPublicKey,
}

/// Why a message's bytes were refused before any cryptography.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// The input ended inside a structure that was expected to continue.
    Truncated {
        /// The structure being read.
        what: &'static str,
    },
    /// Bytes follow the end of the message.
    TrailingBytes,
    /// A version byte other than 0x01 or 0x02.
    UnsupportedVersion(u8),
    /// A message type other than 0x80 (customer authenticated encrypted data).
    UnsupportedType(u8),
    /// An algorithm suite id not among the 11 the format defines.
    UnknownSuite(u16),
    /// A suite that is not valid in this message format version.
    SuiteVersionMismatch {
        /// The suite id.
        suite: u16,
        /// The message format version.
        version: u8,
    },
    /// A field holds a value the specification does not allow.
    InvalidField {
        /// The field's name in the specification.
        field: &'static str,
        /// What the specification requires.
        expected: &'static str,
    },
}

/// A failure of one keyring, kept for the error a caller sees when no
/// encrypted data key could be decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringFailure {
    /// The keyring's provider id and key name, e.g. `aws-kms` / a key ARN.
    pub keyring: String,
    /// What went wrong.
    pub reason: String,
    /// The KMS error behind the failure, if a KMS call failed; callers read
    /// its [`kind`](KmsError::kind) rather than parse `reason`.
    pub kms: Option<KmsError>,
}

impl KeyringFailure {
    /// A failure that is not a KMS error.
    pub fn new(keyring: impl Into<String>, reason: impl Into<String>) -> Self {
        KeyringFailure {
            keyring: keyring.into(),
            reason: reason.into(),
            kms: None,
        }
    }

    /// A failed KMS call; the reason is the error's description.
    pub fn kms(keyring: impl Into<String>, error: KmsError) -> Self {
        KeyringFailure {
            keyring: keyring.into(),
            reason: alloc::format!("{error}"),
            kms: Some(error),
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The message bytes are not a well-formed message.
    Format(FormatError),
    /// A configured limit was exceeded; raised before the work is done.
    LimitExceeded(Limit),
    /// The encryption context was refused.
    EncryptionContext(ContextError),
    /// The header authentication tag does not verify.
    HeaderAuthentication,
    /// A body frame (or the non-framed body) does not authenticate.
    BodyAuthentication,
    /// The key commitment in the header does not match the data key.
    KeyCommitmentMismatch,
    /// The footer signature does not verify (or is absent).
    SignatureInvalid,
    /// The message ended before its final frame or footer.
    TruncatedMessage,
    /// The suite is valid but this build leaves it out: a signed suite in a
    /// build without the `ecdsa` feature.
    UnsupportedSuite(u16),
    /// The commitment policy forbids this suite.
    CommitmentPolicy {
        /// The suite requested or found.
        suite: u16,
        /// The policy in force.
        policy: &'static str,
    },
    /// No keyring could decrypt any of the message's encrypted data keys.
    NoDecryptableDataKey {
        /// What each keyring that recognised a key reported.
        failures: Vec<KeyringFailure>,
    },
    /// A keyring recognised a key but could not use it (e.g. a KMS error).
    Keyring(KeyringFailure),
    /// A key, public key or signature could not be parsed or has the wrong
    /// size.
    InvalidKey(&'static str),
    /// An argument is outside what the operation accepts.
    InvalidArgument(&'static str),
    /// The source of randomness failed.
    RandomnessUnavailable,
    /// A caller-supplied transport or callback failed (e.g. the KMS client);
    /// the message says why.
    External(Box<str>),
}

/// A stable, machine-readable name for each kind of error, for bindings and
/// command-line tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The input is not a valid message, or does not authenticate.
    InvalidCiphertext,
    /// A configured limit was exceeded.
    LimitExceeded,
    /// The encryption context is invalid or does not match.
    EncryptionContextMismatch,
    /// The commitment policy forbids the suite.
    CommitmentPolicy,
    /// The build leaves the suite out (signed suites without `ecdsa`).
    UnsupportedSuite,
    /// No keyring could decrypt a data key.
    NoDecryptableDataKey,
    /// A keyring failed.
    KeyringFailure,
    /// A key or signature was malformed.
    InvalidKey,
    /// A signature does not verify.
    SignatureInvalid,
    /// A bad argument.
    InvalidArgument,
    /// Randomness was unavailable.
    RandomnessUnavailable,
    /// A callback or the platform failed: a credential provider that threw,
    /// an invalid endpoint, a runtime without `fetch`.
    External,
    /// KMS did not answer, after the client's retries: a network failure,
    /// a timeout, an abort.
    KmsUnreachable,
    /// KMS refused the caller: access denied by a key policy or grant, or
    /// credentials or signature rejected.
    AccessDenied,
    /// KMS does not know the key (or alias).
    NotFound,
    /// The KMS key exists but cannot be used now: disabled, pending deletion
    /// or import.
    KeyUnavailable,
    /// KMS throttled the requests, after the client's retries.
    Throttling,
    /// Another KMS error: a request KMS rejected as invalid, the wrong key
    /// usage, an internal error, or a response that was not understood.
    KmsServiceError,
}

impl From<KmsErrorKind> for ErrorCode {
    /// The code a failed KMS call of this kind surfaces as. A ciphertext KMS
    /// refuses (e.g. under another encryption context) is `InvalidCiphertext`,
    /// like a message that does not authenticate.
    fn from(kind: KmsErrorKind) -> Self {
        match kind {
            KmsErrorKind::AccessDenied => ErrorCode::AccessDenied,
            KmsErrorKind::NotFound => ErrorCode::NotFound,
            KmsErrorKind::KeyUnavailable => ErrorCode::KeyUnavailable,
            KmsErrorKind::InvalidCiphertext => ErrorCode::InvalidCiphertext,
            KmsErrorKind::Throttling => ErrorCode::Throttling,
            KmsErrorKind::LimitExceeded => ErrorCode::LimitExceeded,
            KmsErrorKind::Transport => ErrorCode::KmsUnreachable,
            KmsErrorKind::Client => ErrorCode::External,
            KmsErrorKind::Service | KmsErrorKind::MalformedResponse => ErrorCode::KmsServiceError,
        }
    }
}

impl ErrorCode {
    /// The code's stable spelling, e.g. `"InvalidCiphertext"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidCiphertext => "InvalidCiphertext",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::EncryptionContextMismatch => "EncryptionContextMismatch",
            ErrorCode::CommitmentPolicy => "CommitmentPolicy",
            ErrorCode::UnsupportedSuite => "UnsupportedSuite",
            ErrorCode::NoDecryptableDataKey => "NoDecryptableDataKey",
            ErrorCode::KeyringFailure => "KeyringFailure",
            ErrorCode::InvalidKey => "InvalidKey",
            ErrorCode::SignatureInvalid => "SignatureInvalid",
            ErrorCode::InvalidArgument => "InvalidArgument",
            ErrorCode::RandomnessUnavailable => "RandomnessUnavailable",
            ErrorCode::External => "External",
            ErrorCode::KmsUnreachable => "KmsUnreachable",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::KeyUnavailable => "KeyUnavailable",
            ErrorCode::Throttling => "Throttling",
            ErrorCode::KmsServiceError => "KmsServiceError",
        }
    }
}

impl Error {
    /// The stable code of this error. A KMS failure reports its kind's code:
    /// on encrypt the failed call's, on decrypt the kind every recognised
    /// encrypted data key failed with, when they all agree.
    pub fn code(&self) -> ErrorCode {
        if let Some(kind) = self.kms_error_kind() {
            return kind.into();
        }
        match self {
            Error::Format(_)
            | Error::HeaderAuthentication
            | Error::BodyAuthentication
            | Error::KeyCommitmentMismatch
            | Error::TruncatedMessage => ErrorCode::InvalidCiphertext,
            Error::SignatureInvalid => ErrorCode::SignatureInvalid,
            Error::LimitExceeded(_) => ErrorCode::LimitExceeded,
            Error::EncryptionContext(_) => ErrorCode::EncryptionContextMismatch,
            Error::CommitmentPolicy { .. } => ErrorCode::CommitmentPolicy,
            Error::UnsupportedSuite(_) => ErrorCode::UnsupportedSuite,
            Error::NoDecryptableDataKey { .. } => ErrorCode::NoDecryptableDataKey,
            Error::Keyring(_) => ErrorCode::KeyringFailure,
            Error::InvalidKey(_) => ErrorCode::InvalidKey,
            Error::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Error::RandomnessUnavailable => ErrorCode::RandomnessUnavailable,
            Error::External(_) => ErrorCode::External,
        }
    }

    /// The kind of KMS failure behind this error: the failed call of a
    /// keyring, or on decrypt the kind shared by every recognised encrypted
    /// data key's failure (`None` if any failed otherwise or kinds differ).
    pub fn kms_error_kind(&self) -> Option<KmsErrorKind> {
        match self {
            Error::Keyring(failure) => failure.kms.as_ref().map(|e| e.kind),
            Error::NoDecryptableDataKey { failures } => {
                let mut kinds = failures.iter().map(|f| f.kms.as_ref().map(|e| e.kind));
                let first = kinds.next()??;
                kinds.all(|k| k == Some(first)).then_some(first)
            }
            _ => None,
        }
    }

    /// Shorthand for a truncated structure.
    pub(crate) fn truncated(what: &'static str) -> Self {
        Error::Format(FormatError::Truncated { what })
    }

    /// Shorthand for an invalid field.
    pub(crate) fn invalid_field(field: &'static str, expected: &'static str) -> Self {
        Error::Format(FormatError::InvalidField { field, expected })
    }
}

impl From<FormatError> for Error {
    fn from(e: FormatError) -> Self {
        Error::Format(e)
    }
}

impl From<ContextError> for Error {
    fn from(e: ContextError) -> Self {
        Error::EncryptionContext(e)
    }
}

impl From<Limit> for Error {
    fn from(l: Limit) -> Self {
        Error::LimitExceeded(l)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::EncryptedDataKeys { max, found } => {
                write!(f, "{found} encrypted data keys, at most {max} allowed")
            }
            Limit::HeaderSize { max } => write!(f, "header larger than {max} bytes"),
            Limit::BodySize { max } => {
                write!(
                    f,
                    "body larger than {max} bytes for one-shot decryption; use the streaming decryptor"
                )
            }
            Limit::PlaintextLength { max } => write!(f, "plaintext longer than {max} bytes"),
            Limit::FrameLength => {
                f.write_str("frame length must be between 1 and 4294967295 bytes")
            }
            Limit::EncryptionContextSize => {
                f.write_str("encryption context serializes to more than 65535 bytes")
            }
        }
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextError::ReservedKey(k) => {
                write!(
                    f,
                    "encryption context key '{k}' uses the reserved prefix 'aws-crypto-'"
                )
            }
            ContextError::NotUtf8 => f.write_str("encryption context is not valid UTF-8"),
            ContextError::DuplicateKey(k) => {
                write!(f, "encryption context key '{k}' appears twice")
            }
            ContextError::Mismatch { key } => {
                write!(
                    f,
                    "encryption context does not match: key '{key}' is absent or has another value"
                )
            }
            ContextError::MissingRequiredKey(k) => {
                write!(f, "required encryption context key '{k}' is absent")
            }
            ContextError::TooLong => {
                f.write_str("encryption context key or value longer than 65535 bytes")
            }
            ContextError::MissingPublicKey => f.write_str(
                "encryption context lacks 'aws-crypto-public-key', which a signed algorithm suite requires",
            ),
            ContextError::UnexpectedPublicKey => f.write_str(
                "encryption context carries 'aws-crypto-public-key' but the algorithm suite is unsigned",
            ),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Truncated { what } => write!(f, "message truncated inside the {what}"),
            FormatError::TrailingBytes => f.write_str("bytes follow the end of the message"),
            FormatError::UnsupportedVersion(v) => {
                write!(f, "message format version 0x{v:02x} is not 0x01 or 0x02")
            }
            FormatError::UnsupportedType(t) => write!(f, "message type 0x{t:02x} is not 0x80"),
            FormatError::UnknownSuite(s) => write!(f, "unknown algorithm suite 0x{s:04x}"),
            FormatError::SuiteVersionMismatch { suite, version } => {
                write!(
                    f,
                    "algorithm suite 0x{suite:04x} is not valid in message format version {version}"
                )
            }
            FormatError::InvalidField { field, expected } => {
                write!(f, "{field}: expected {expected}")
            }
        }
    }
}

impl fmt::Display for KeyringFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.keyring, self.reason)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Format(e) => write!(f, "invalid message: {e}"),
            Error::LimitExceeded(l) => write!(f, "limit exceeded: {l}"),
            Error::EncryptionContext(e) => e.fmt(f),
            Error::HeaderAuthentication => f.write_str("header authentication failed"),
            Error::BodyAuthentication => f.write_str("message body authentication failed"),
            Error::KeyCommitmentMismatch => {
                f.write_str("key commitment does not match the data key")
            }
            Error::SignatureInvalid => f.write_str("message signature does not verify"),
            Error::TruncatedMessage => f.write_str("message is truncated"),
            Error::UnsupportedSuite(suite) => write!(
                f,
                "algorithm suite 0x{suite:04x} is signed and this build has no ECDSA \
                 (the `ecdsa` feature)"
            ),
            Error::CommitmentPolicy { suite, policy } => {
                write!(
                    f,
                    "commitment policy {policy} does not allow algorithm suite 0x{suite:04x}"
                )
            }
            Error::NoDecryptableDataKey { failures } => {
                f.write_str("no encrypted data key could be decrypted")?;
                for (i, failure) in failures.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { "; " })?;
                    failure.fmt(f)?;
                }
                Ok(())
            }
            Error::Keyring(failure) => write!(f, "keyring failed: {failure}"),
            Error::InvalidKey(what) => write!(f, "invalid key: {what}"),
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Error::RandomnessUnavailable => f.write_str("no source of randomness is available"),
            Error::External(msg) => f.write_str(msg),
        }
    }
}

impl core::error::Error for Error {}
