//! Why signing or verifying failed.

use core::fmt;

use crate::error::ErrorCode;

/// A request that cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The headers have no `Host`; SigV4 always signs it. (A browser cannot
    /// set `Host` itself, but it must still be in the headers given to
    /// [`sign`](super::sign), with the value `fetch` will send.)
    MissingHost,
    /// A header name that is not an HTTP token.
    InvalidHeaderName(String),
    /// The request already carries a header the signer adds
    /// (`Authorization`, `X-Amz-Date`, and `X-Amz-Security-Token` /
    /// `x-amz-content-sha256` when those are added). Remove it first.
    ConflictingHeader(String),
    /// The access key id, region or service is empty or contains a
    /// character that would corrupt the credential scope (`/`, `,`, `=`,
    /// `;`, whitespace, non-ASCII).
    InvalidScopeComponent {
        /// `access key id`, `region` or `service`.
        what: &'static str,
    },
    /// The signing time is after the year 9999.
    TimeOutOfRange(u64),
    /// A precomputed payload hash that is empty or has characters other
    /// than visible ASCII.
    InvalidPayloadHash,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::MissingHost => f.write_str("the request has no Host header to sign"),
            SignError::InvalidHeaderName(name) => write!(f, "invalid header name {name:?}"),
            SignError::ConflictingHeader(name) => write!(
                f,
                "the request already has a {name} header, which the signer adds"
            ),
            SignError::InvalidScopeComponent { what } => {
                write!(
                    f,
                    "the {what} is empty or contains characters not allowed in a credential scope"
                )
            }
            SignError::TimeOutOfRange(secs) => write!(f, "signing time {secs} is out of range"),
            SignError::InvalidPayloadHash => f.write_str("invalid precomputed payload hash"),
        }
    }
}

impl std::error::Error for SignError {}

/// Why a request's signature was not accepted.
///
/// [`VerifyError::error_code`] gives the AWS error code a server answers
/// with; `Display` gives a message in the spirit of AWS's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request has no `Authorization` header at all.
    MissingAuthorization,
    /// The request has more than one `Authorization` header.
    MultipleAuthorization,
    /// The `Authorization` header names another scheme than
    /// `AWS4-HMAC-SHA256` (e.g. SigV2 `AWS`, or SigV4a).
    UnsupportedAlgorithm,
    /// The `Authorization` header is not of the form
    /// `AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request,
    /// SignedHeaders=a;b;c, Signature=<64 hex>`; the text says what is wrong.
    MalformedAuthorization(&'static str),
    /// Neither `X-Amz-Date` nor `Date` is present.
    MissingDate,
    /// The `X-Amz-Date` (or `Date`) value is not a valid timestamp.
    MalformedDate,
    /// A header that must be signed (`host`, or the date header in use) is
    /// not in `SignedHeaders`.
    RequiredHeaderNotSigned(&'static str),
    /// A header listed in `SignedHeaders` is absent from the request.
    SignedHeaderAbsent(String),
    /// The credential scope's date is not the date of `X-Amz-Date`.
    ScopeDateMismatch {
        /// `YYYYMMDD` from the credential scope.
        scope_date: String,
        /// `YYYYMMDDTHHMMSSZ` from the request.
        request_time: String,
    },
    /// The credential scope names another service than this server's.
    WrongService {
        /// The service this server is.
        expected: String,
        /// The service in the credential scope.
        found: String,
    },
    /// The request time is further from the server's clock than allowed.
    ClockSkew {
        /// The request's time, unix seconds.
        request_time: u64,
        /// The server's time, unix seconds.
        server_time: u64,
    },
    /// `x-amz-content-sha256` is not the SHA-256 of the body.
    PayloadHashMismatch,
    /// The signature does not match the request and secret.
    SignatureMismatch,
}

impl VerifyError {
    /// The AWS error code a server answers this failure with:
    /// `MissingAuthenticationTokenException` when there is no
    /// `Authorization` header, `IncompleteSignatureException` when the
    /// header or date cannot be parsed, `InvalidSignatureException` for
    /// everything that parses but does not verify (including clock skew,
    /// which AWS reports as "Signature expired").
    pub fn error_code(&self) -> ErrorCode {
        match self {
            VerifyError::MissingAuthorization => ErrorCode::MissingAuthenticationTokenException,
            VerifyError::MultipleAuthorization
            | VerifyError::UnsupportedAlgorithm
            | VerifyError::MalformedAuthorization(_)
            | VerifyError::MissingDate
            | VerifyError::MalformedDate => ErrorCode::IncompleteSignatureException,
            VerifyError::RequiredHeaderNotSigned(_)
            | VerifyError::SignedHeaderAbsent(_)
            | VerifyError::ScopeDateMismatch { .. }
            | VerifyError::WrongService { .. }
            | VerifyError::ClockSkew { .. }
            | VerifyError::PayloadHashMismatch
            | VerifyError::SignatureMismatch => ErrorCode::InvalidSignatureException,
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingAuthorization => {
                f.write_str("Missing Authentication Token")
            }
            VerifyError::MultipleAuthorization => {
                f.write_str("The request has more than one Authorization header.")
            }
            VerifyError::UnsupportedAlgorithm => f.write_str(
                "Unsupported Authorization scheme: only AWS4-HMAC-SHA256 is accepted.",
            ),
            VerifyError::MalformedAuthorization(what) => {
                write!(f, "Malformed Authorization header: {what}.")
            }
            VerifyError::MissingDate => f.write_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            ),
            VerifyError::MalformedDate => f.write_str(
                "The X-Amz-Date (or Date) header is not a valid timestamp (expected YYYYMMDD'T'HHMMSS'Z').",
            ),
            VerifyError::RequiredHeaderNotSigned(name) => {
                write!(f, "'{name}' must be a 'SignedHeader' in the AWS Authorization.")
            }
            VerifyError::SignedHeaderAbsent(name) => {
                write!(f, "The signed header '{name}' is not present in the request.")
            }
            VerifyError::ScopeDateMismatch {
                scope_date,
                request_time,
            } => write!(
                f,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{}', from '{request_time}'.",
                request_time.get(..8).unwrap_or(request_time)
            ),
            VerifyError::WrongService { expected, found } => write!(
                f,
                "Credential should be scoped to correct service: '{expected}' (found '{found}')."
            ),
            VerifyError::ClockSkew {
                request_time,
                server_time,
            } => {
                let fmt_time = |t: u64| {
                    super::format_amz_date(t).unwrap_or_else(|_| t.to_string())
                };
                write!(
                    f,
                    "Signature expired: {} is too far from the server time {}.",
                    fmt_time(*request_time),
                    fmt_time(*server_time)
                )
            }
            VerifyError::PayloadHashMismatch => f.write_str(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ),
            VerifyError::SignatureMismatch => f.write_str(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ),
        }
    }
}

impl std::error::Error for VerifyError {}
