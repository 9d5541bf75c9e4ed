//! KMS error codes and the AWS JSON 1.1 error body.
//!
//! [`ErrorCode`] has every error shape of the KMS API model
//! (`botocore/data/kms/2014-11-01/service-2.json`, 48 shapes in botocore
//! 1.44) plus the protocol-level errors every AWS JSON service can answer
//! but the model does not list (`ValidationException`,
//! `AccessDeniedException`, `ThrottlingException`, the SigV4 errors, ...).
//!
//! # HTTP status codes
//!
//! [`ErrorCode::http_status`] is what AWS KMS sends on the wire: **400 for
//! every client error**, 500 for server faults. The Smithy model gives some
//! errors another `httpError` (404 for `NotFoundException`, 409 for
//! `DisabledException`, `KMSInvalidStateException`, `AlreadyExistsException`
//! and `ConflictException`, 503 for `DependencyTimeoutException`), but the
//! service answers these with 400 (`NotFoundException` with 400 is reported
//! from real KMS by several SDK users and emulator authors); AWS SDKs pick
//! the error by `__type`, never by status, and retry on 5xx. The modeled
//! value is still available as [`ErrorCode::model_http_status`]. The one
//! exception is `DryRunOperationException`, answered with 412 like EC2's
//! `DryRunOperation`, as modeled.
//!
//! ```
//! use kms_protocol::error::{ErrorBody, ErrorCode};
//!
//! let body: ErrorBody = serde_json::from_str(
//!     r#"{"__type":"com.amazonaws.kms#NotFoundException","Message":"Alias not found"}"#,
//! )?;
//! assert_eq!(body.code(), Some(ErrorCode::NotFoundException));
//! assert_eq!(body.message, "Alias not found");
//! assert_eq!(ErrorCode::NotFoundException.http_status(), 400);
//!
//! let out = ErrorBody::new(ErrorCode::ThrottlingException, "Rate exceeded");
//! assert_eq!(
//!     serde_json::to_string(&out)?,
//!     r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

/// A `__type` value that names no known error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode(pub String);

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a known KMS error code", self.0)
    }
}

impl std::error::Error for UnknownErrorCode {}

/// Defines [`ErrorCode`] from a table: wire name, HTTP status on the wire,
/// status in the Smithy model, retryable.
macro_rules! error_codes {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $wire:literal, status $status:literal, model $model:literal, retryable $retry:literal;
    )+) => {
        /// An error code of the KMS API, as sent in `__type`.
        ///
        /// Variants are named exactly as on the wire.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[allow(clippy::enum_variant_names)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every error code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The name sent in `__type`, e.g. `NotFoundException`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                }
            }

            /// The HTTP status AWS KMS answers this error with (see the
            /// [module docs](self) for why this is 400 for client errors).
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }

            /// The `httpError` of this error's shape in AWS's Smithy model
            /// (400 / 500 by default, for the protocol-level errors: the
            /// status AWS documents for them). For information: servers
            /// answer [`http_status`](Self::http_status).
            pub const fn model_http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $model,)+
                }
            }

            /// Whether a client may retry the same request: throttling,
            /// and the server faults (internal errors, dependency timeout,
            /// key unavailable). Note that botocore's standard retry mode
            /// also retries `LimitExceededException`, which for KMS means a
            /// resource quota, so retrying rarely helps; this says `false`.
            pub const fn is_retryable(self) -> bool {
                match self {
                    $(ErrorCode::$variant => $retry,)+
                }
            }

            /// Parses a `__type` value (or `x-amzn-ErrorType` header):
            /// the bare name, or with a namespace prefix
            /// (`com.amazonaws.kms#NotFoundException`), and with any `:...`
            /// suffix AWS may append dropped. `InternalFailureException` is
            /// accepted as a spelling of `InternalFailure`.
            pub fn from_type(value: &str) -> Result<Self, UnknownErrorCode> {
                let name = value.rsplit('#').next().unwrap_or(value);
                let name = name.split(':').next().unwrap_or(name).trim();
                match name {
                    $($wire => Ok(ErrorCode::$variant),)+
                    "InternalFailureException" => Ok(ErrorCode::InternalFailure),
                    _ => Err(UnknownErrorCode(value.to_owned())),
                }
            }
        }
    };
}

error_codes! {
    // --- Every error shape of the KMS model (botocore kms/2014-11-01), A-Z.
    /// The request was rejected because it attempted to create a resource that already exists.
    AlreadyExistsException = "AlreadyExistsException", status 400, model 409, retryable false;
    /// The request was rejected because the specified CloudHSM cluster is already associated with an CloudHSM key store in the account, or it shares a backup history with an CloudHSM key store in the account.
    CloudHsmClusterInUseException = "CloudHsmClusterInUseException", status 400, model 400, retryable false;
    /// The request was rejected because the associated CloudHSM cluster did not meet the configuration requirements for an CloudHSM key store.
    CloudHsmClusterInvalidConfigurationException = "CloudHsmClusterInvalidConfigurationException", status 400, model 400, retryable false;
    /// The request was rejected because the CloudHSM cluster associated with the CloudHSM key store is not active.
    CloudHsmClusterNotActiveException = "CloudHsmClusterNotActiveException", status 400, model 400, retryable false;
    /// The request was rejected because KMS cannot find the CloudHSM cluster with the specified cluster ID.
    CloudHsmClusterNotFoundException = "CloudHsmClusterNotFoundException", status 400, model 400, retryable false;
    /// The request was rejected because the specified CloudHSM cluster has a different cluster certificate than the original cluster.
    CloudHsmClusterNotRelatedException = "CloudHsmClusterNotRelatedException", status 400, model 400, retryable false;
    /// The request was rejected because an automatic rotation of this key is currently in progress or scheduled to begin within the next 20 minutes.
    ConflictException = "ConflictException", status 400, model 409, retryable false;
    /// The request was rejected because the custom key store contains KMS keys.
    CustomKeyStoreHasCMKsException = "CustomKeyStoreHasCMKsException", status 400, model 400, retryable false;
    /// The request was rejected because of the ConnectionState of the custom key store.
    CustomKeyStoreInvalidStateException = "CustomKeyStoreInvalidStateException", status 400, model 400, retryable false;
    /// The request was rejected because the specified custom key store name is already assigned to another custom key store in the account.
    CustomKeyStoreNameInUseException = "CustomKeyStoreNameInUseException", status 400, model 400, retryable false;
    /// The request was rejected because KMS cannot find a custom key store with the specified key store name or ID.
    CustomKeyStoreNotFoundException = "CustomKeyStoreNotFoundException", status 400, model 400, retryable false;
    /// The system timed out while trying to fulfill the request.
    DependencyTimeoutException = "DependencyTimeoutException", status 500, model 503, retryable true;
    /// The request was rejected because the specified KMS key is not enabled.
    DisabledException = "DisabledException", status 400, model 409, retryable false;
    /// The request was rejected because the DryRun parameter was specified.
    DryRunOperationException = "DryRunOperationException", status 412, model 412, retryable false;
    /// The request was rejected because the specified import token is expired.
    ExpiredImportTokenException = "ExpiredImportTokenException", status 400, model 400, retryable false;
    /// The request was rejected because the specified KMS key cannot decrypt the data.
    IncorrectKeyException = "IncorrectKeyException", status 400, model 400, retryable false;
    /// The request was rejected because the key material in the request is, expired, invalid, or does not meet expectations.
    IncorrectKeyMaterialException = "IncorrectKeyMaterialException", status 400, model 400, retryable false;
    /// The request was rejected because the trust anchor certificate in the request to create an CloudHSM key store is not the trust anchor certificate for the specified CloudHSM cluster.
    IncorrectTrustAnchorException = "IncorrectTrustAnchorException", status 400, model 400, retryable false;
    /// The request was rejected because the specified alias name is not valid.
    InvalidAliasNameException = "InvalidAliasNameException", status 400, model 400, retryable false;
    /// The request was rejected because a specified ARN, or an ARN in a key policy, is not valid.
    InvalidArnException = "InvalidArnException", status 400, model 400, retryable false;
    /// From the Decrypt or ReEncrypt operation, the request was rejected because the specified ciphertext, or additional authenticated data incorporated into the ciphertext, such as the encryption context, is corrupted, missing, or otherwise invalid.
    InvalidCiphertextException = "InvalidCiphertextException", status 400, model 400, retryable false;
    /// The request was rejected because the specified GrantId is not valid.
    InvalidGrantIdException = "InvalidGrantIdException", status 400, model 400, retryable false;
    /// The request was rejected because the specified grant token is not valid.
    InvalidGrantTokenException = "InvalidGrantTokenException", status 400, model 400, retryable false;
    /// The request was rejected because the provided import token is invalid or is associated with a different KMS key.
    InvalidImportTokenException = "InvalidImportTokenException", status 400, model 400, retryable false;
    /// The request was rejected for one of the following reasons:    The KeyUsage value of the KMS key is incompatible with the API operation.
    InvalidKeyUsageException = "InvalidKeyUsageException", status 400, model 400, retryable false;
    /// The request was rejected because the marker that specifies where pagination should next begin is not valid.
    InvalidMarkerException = "InvalidMarkerException", status 400, model 400, retryable false;
    /// The request was rejected because an internal exception occurred.
    KMSInternalException = "KMSInternalException", status 500, model 500, retryable true;
    /// The request was rejected because the HMAC verification failed.
    KMSInvalidMacException = "KMSInvalidMacException", status 400, model 400, retryable false;
    /// The request was rejected because the signature verification failed.
    KMSInvalidSignatureException = "KMSInvalidSignatureException", status 400, model 400, retryable false;
    /// The request was rejected because the state of the specified resource is not valid for this request.
    KMSInvalidStateException = "KMSInvalidStateException", status 400, model 409, retryable false;
    /// The request was rejected because the specified KMS key was not available.
    KeyUnavailableException = "KeyUnavailableException", status 500, model 500, retryable true;
    /// The request was rejected because a length constraint or quota was exceeded.
    LimitExceededException = "LimitExceededException", status 400, model 400, retryable false;
    /// The request was rejected because the specified policy is not syntactically or semantically correct.
    MalformedPolicyDocumentException = "MalformedPolicyDocumentException", status 400, model 400, retryable false;
    /// The request was rejected because the specified entity or resource could not be found.
    NotFoundException = "NotFoundException", status 400, model 404, retryable false;
    /// The request was rejected because one or more tags are not valid.
    TagException = "TagException", status 400, model 400, retryable false;
    /// The request was rejected because a specified parameter is not supported or a specified resource is not valid for this operation.
    UnsupportedOperationException = "UnsupportedOperationException", status 400, model 400, retryable false;
    /// The request was rejected because the (XksKeyId) is already associated with another KMS key in this external key store.
    XksKeyAlreadyInUseException = "XksKeyAlreadyInUseException", status 400, model 400, retryable false;
    /// The request was rejected because the external key specified by the XksKeyId parameter did not meet the configuration requirements for an external key store.
    XksKeyInvalidConfigurationException = "XksKeyInvalidConfigurationException", status 400, model 400, retryable false;
    /// The request was rejected because the external key store proxy could not find the external key.
    XksKeyNotFoundException = "XksKeyNotFoundException", status 400, model 400, retryable false;
    /// The request was rejected because the proxy credentials failed to authenticate to the specified external key store proxy.
    XksProxyIncorrectAuthenticationCredentialException = "XksProxyIncorrectAuthenticationCredentialException", status 400, model 400, retryable false;
    /// The request was rejected because the external key store proxy is not configured correctly.
    XksProxyInvalidConfigurationException = "XksProxyInvalidConfigurationException", status 400, model 400, retryable false;
    /// KMS cannot interpret the response it received from the external key store proxy.
    XksProxyInvalidResponseException = "XksProxyInvalidResponseException", status 400, model 400, retryable false;
    /// The request was rejected because the XksProxyUriEndpoint is already associated with another external key store in this Amazon Web Services Region.
    XksProxyUriEndpointInUseException = "XksProxyUriEndpointInUseException", status 400, model 400, retryable false;
    /// The request was rejected because the concatenation of the XksProxyUriEndpoint and XksProxyUriPath is already associated with another external key store in this Amazon Web Services Region.
    XksProxyUriInUseException = "XksProxyUriInUseException", status 400, model 400, retryable false;
    /// KMS was unable to reach the specified XksProxyUriPath.
    XksProxyUriUnreachableException = "XksProxyUriUnreachableException", status 400, model 400, retryable false;
    /// The request was rejected because the specified Amazon VPC endpoint service is already associated with another external key store in this Amazon Web Services Region.
    XksProxyVpcEndpointServiceInUseException = "XksProxyVpcEndpointServiceInUseException", status 400, model 400, retryable false;
    /// The request was rejected because the Amazon VPC endpoint service configuration does not fulfill the requirements for an external key store.
    XksProxyVpcEndpointServiceInvalidConfigurationException = "XksProxyVpcEndpointServiceInvalidConfigurationException", status 400, model 400, retryable false;
    /// The request was rejected because KMS could not find the specified VPC endpoint service.
    XksProxyVpcEndpointServiceNotFoundException = "XksProxyVpcEndpointServiceNotFoundException", status 400, model 400, retryable false;

    // --- Protocol-level errors of AWS JSON services, not in the model.
    /// The request has no `Authorization` header (or other credentials).
    MissingAuthenticationTokenException = "MissingAuthenticationTokenException", status 400, model 403, retryable false;
    /// The access key id (or session token) is not known.
    UnrecognizedClientException = "UnrecognizedClientException", status 400, model 400, retryable false;
    /// The session token has expired.
    ExpiredTokenException = "ExpiredTokenException", status 400, model 400, retryable false;
    /// The `Authorization` header or date cannot be parsed.
    IncompleteSignatureException = "IncompleteSignatureException", status 400, model 400, retryable false;
    /// The signature does not verify, or the request time is too far from the server's.
    InvalidSignatureException = "InvalidSignatureException", status 400, model 400, retryable false;
    /// The caller is not allowed to perform the operation on the resource.
    AccessDeniedException = "AccessDeniedException", status 400, model 400, retryable false;
    /// The request rate exceeds a quota; retry with backoff.
    ThrottlingException = "ThrottlingException", status 400, model 400, retryable true;
    /// The request body does not satisfy the operation's input constraints.
    ValidationException = "ValidationException", status 400, model 400, retryable false;
    /// The request body is not valid JSON or has a field of the wrong type.
    SerializationException = "SerializationException", status 400, model 400, retryable false;
    /// `X-Amz-Target` names no operation of the service.
    UnknownOperationException = "UnknownOperationException", status 400, model 400, retryable false;
    /// An unexpected server error.
    InternalFailure = "InternalFailure", status 500, model 500, retryable true;
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    /// Same as [`ErrorCode::from_type`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::from_type(s)
    }
}

impl ErrorCode {
    /// Whether the error is the caller's (HTTP 4xx) rather than the server's.
    pub const fn is_client_error(self) -> bool {
        self.http_status() < 500
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ErrorCode::from_type(&s).map_err(serde::de::Error::custom)
    }
}

/// The body of an AWS JSON 1.1 error response:
/// `{"__type": "NotFoundException", "message": "..."}`.
///
/// Deserializing also accepts `Message` (capital M, as some services send)
/// and a missing message (empty). `__type` is kept as sent, so a client can
/// report codes this crate does not know; [`ErrorBody::code`] parses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error code, possibly namespaced (`com.amazonaws.kms#NotFoundException`).
    #[serde(rename = "__type")]
    pub r#type: String,
    /// A human-readable explanation.
    #[serde(default, alias = "Message")]
    pub message: String,
}

impl ErrorBody {
    /// The body a server sends for `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            r#type: code.as_str().to_owned(),
            message: message.into(),
        }
    }

    /// The error code, if `__type` names a known one.
    pub fn code(&self) -> Option<ErrorCode> {
        ErrorCode::from_type(&self.r#type).ok()
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.r#type)
        } else {
            write!(f, "{}: {}", self.r#type, self.message)
        }
    }
}

impl std::error::Error for ErrorBody {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_code() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_type(code.as_str()), Ok(code));
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert_eq!(
                ErrorCode::from_type(&format!("com.amazonaws.kms#{code}")),
                Ok(code)
            );
            assert_eq!(
                ErrorCode::from_type(&format!(
                    "{code}:http://internal.amazon.com/coral/com.amazonaws.kms/"
                )),
                Ok(code)
            );
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
            assert!(matches!(code.http_status(), 400 | 412 | 500));
            assert_eq!(code.is_client_error(), code.http_status() < 500);
        }
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn statuses_and_retries() {
        use ErrorCode::*;
        for code in [
            KMSInternalException,
            InternalFailure,
            DependencyTimeoutException,
            KeyUnavailableException,
        ] {
            assert_eq!(code.http_status(), 500, "{code}");
            assert!(code.is_retryable());
        }
        for code in [
            NotFoundException,
            DisabledException,
            KMSInvalidStateException,
            AccessDeniedException,
            MissingAuthenticationTokenException,
            InvalidSignatureException,
            UnrecognizedClientException,
            ValidationException,
        ] {
            assert_eq!(code.http_status(), 400, "{code}");
            assert!(!code.is_retryable());
        }
        assert!(ThrottlingException.is_retryable());
        assert_eq!(ThrottlingException.http_status(), 400);
        assert_eq!(DryRunOperationException.http_status(), 412);
        assert_eq!(NotFoundException.model_http_status(), 404);
        assert_eq!(DisabledException.model_http_status(), 409);
        assert_eq!(DependencyTimeoutException.model_http_status(), 503);
        assert!(!LimitExceededException.is_retryable());
    }

    #[test]
    fn parses_type_forms() {
        assert_eq!(
            ErrorCode::from_type("InternalFailureException"),
            Ok(ErrorCode::InternalFailure)
        );
        assert_eq!(
            ErrorCode::from_type("NoSuchThing"),
            Err(UnknownErrorCode("NoSuchThing".to_owned()))
        );
        assert!(ErrorCode::from_type("").is_err());
        assert!(ErrorCode::from_type("#").is_err());
        assert!(ErrorCode::from_type("notfoundexception").is_err());
    }

    #[test]
    fn error_body_serde() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"__type":"DisabledException","message":"Key is disabled."}"#)
                .unwrap();
        assert_eq!(
            body,
            ErrorBody::new(ErrorCode::DisabledException, "Key is disabled.")
        );
        let capital: ErrorBody =
            serde_json::from_str(r#"{"__type":"DisabledException","Message":"Key is disabled."}"#)
                .unwrap();
        assert_eq!(capital, body);
        let bare: ErrorBody = serde_json::from_str(r#"{"__type":"Whatever"}"#).unwrap();
        assert_eq!(bare.message, "");
        assert_eq!(bare.code(), None);
        assert!(serde_json::from_str::<ErrorBody>(r#"{"message":"x"}"#).is_err());
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"__type":"DisabledException","message":"Key is disabled."}"#
        );
        assert_eq!(body.to_string(), "DisabledException: Key is disabled.");
    }
}
