//! Request and response bodies of the KMS operations (AWS JSON 1.1).
//!
//! Field names are AWS's (PascalCase on the wire); blobs travel as base64
//! ([`Blob`]), timestamps as epoch seconds ([`Timestamp`]); optional members
//! are omitted when absent. Unknown members are ignored, as AWS does; a member
//! of the wrong JSON type is a [`ParseError::Serialization`], a value outside
//! the model's constraints a [`ParseError::Validation`].
//!
//! [`Request::parse`] turns an `X-Amz-Target` operation name and a body into a
//! typed [`Request`].

mod access;
mod aliases;
mod crypto;
mod enums;
mod keys;
mod lifecycle;
mod tags;
pub mod validate;
mod wire;

pub use access::*;
pub use aliases::*;
pub use crypto::*;
pub use enums::*;
pub use keys::*;
pub use lifecycle::*;
pub use tags::*;
pub use wire::{Blob, Timestamp};

use core::fmt;
use core::str::FromStr;

use serde::de::DeserializeOwned;

use validate::Validate;

/// The `X-Amz-Target` prefix of every KMS operation.
pub const TARGET_PREFIX: &str = "TrentService.";

/// The content type of every KMS request and response.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Why a request body could not become a typed [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The target names no KMS operation (`UnknownOperationException`).
    UnknownOperation(String),
    /// A KMS operation that this crate does not model yet
    /// (`UnsupportedOperationException`).
    Unsupported(Operation),
    /// Not JSON, or a member of the wrong type (`SerializationException`).
    Serialization(String),
    /// A value outside the model's constraints (`ValidationException`).
    Validation(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownOperation(t) => write!(f, "unknown operation '{t}'"),
            ParseError::Unsupported(op) => write!(f, "{op} is not supported"),
            ParseError::Serialization(m) | ParseError::Validation(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ParseError {}

/// Deserializes and validates one request body.
///
/// An enum member with a value outside its set is a validation error in AWS,
/// not a serialization error, so the enum parser's message is recognised here.
fn parse_body<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ParseError> {
    // AWS accepts an empty body as `{}` for operations without required members.
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let req: T = serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        // Strip serde_json's " at line 1 column 17" position suffix.
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_owned(),
            None => msg,
        };
        if let Some(m) = enum_validation_message(&msg, body) {
            ParseError::Validation(m)
        } else {
            ParseError::Serialization(msg)
        }
    })?;
    req.validate().map_err(ParseError::Validation)?;
    Ok(req)
}

/// Rewrites the enum parser's "'X' is not a valid KeySpec" as AWS words it,
/// naming the member (found by its value in the body) and the allowed set.
fn enum_validation_message(msg: &str, body: &[u8]) -> Option<String> {
    let (quoted, enum_name) = msg.split_once(" is not a valid ")?;
    let value = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    let allowed: Vec<&'static str> = match enum_name {
        "KeySpec" => KeySpec::ALL.iter().map(|v| v.as_str()).collect(),
        "KeyUsageType" => KeyUsageType::ALL.iter().map(|v| v.as_str()).collect(),
        "OriginType" => OriginType::ALL.iter().map(|v| v.as_str()).collect(),
        "EncryptionAlgorithmSpec" => EncryptionAlgorithmSpec::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
        "SigningAlgorithmSpec" => SigningAlgorithmSpec::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
        "MacAlgorithmSpec" => MacAlgorithmSpec::ALL.iter().map(|v| v.as_str()).collect(),
        "MessageType" => MessageType::ALL.iter().map(|v| v.as_str()).collect(),
        "EncapsulationAlgorithmSpec" => EncapsulationAlgorithmSpec::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
        "DataKeySpec" => DataKeySpec::ALL.iter().map(|v| v.as_str()).collect(),
        "DataKeyPairSpec" => DataKeyPairSpec::ALL.iter().map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    let member = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .ok()
        .and_then(|obj| {
            obj.into_iter()
                .find(|(_, v)| v.as_str() == Some(value))
                .map(|(k, _)| k)
        })
        .map(|k| {
            let mut chars = k.chars();
            chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .unwrap_or_else(|| enum_name.to_owned());
    Some(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy \
         constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    ))
}

macro_rules! operations {
    (
        modeled { $($op:ident($req:ty) -> $resp:ty,)+ }
        unmodeled { $($other:ident,)+ }
    ) => {
        /// Every operation of the KMS API model (botocore `kms/2014-11-01`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($op), "`.")]
                $op,
            )+
            $(
                #[doc = concat!("`", stringify!($other), "` (not modeled yet).")]
                $other,
            )+
        }

        impl Operation {
            /// Every operation of the model.
            pub const ALL: &'static [Operation] = &[$(Operation::$op,)+ $(Operation::$other,)+];

            /// The operation's name, as in `X-Amz-Target: TrentService.<name>`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Operation::$op => stringify!($op),)+
                    $(Operation::$other => stringify!($other),)+
                }
            }

            /// Whether [`Request`] models this operation.
            pub const fn is_modeled(self) -> bool {
                match self {
                    $(Operation::$op => true,)+
                    $(Operation::$other => false,)+
                }
            }
        }

        impl FromStr for Operation {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $(stringify!($op) => Ok(Operation::$op),)+
                    $(stringify!($other) => Ok(Operation::$other),)+
                    _ => Err(ParseError::UnknownOperation(s.to_owned())),
                }
            }
        }

        /// A parsed, validated request of a modeled operation.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Request {
            $(
                #[doc = concat!("`", stringify!($op), "`.")]
                $op($req),
            )+
        }

        impl Request {
            /// Parses the body of `operation`.
            pub fn parse(operation: Operation, body: &[u8]) -> Result<Request, ParseError> {
                match operation {
                    $(Operation::$op => parse_body::<$req>(body).map(Request::$op),)+
                    $(Operation::$other => Err(ParseError::Unsupported(Operation::$other)),)+
                }
            }

            /// The operation this request belongs to.
            pub fn operation(&self) -> Operation {
                match self {
                    $(Request::$op(_) => Operation::$op,)+
                }
            }

            /// The request's body as the JSON a client sends (what
            /// [`Request::parse`] reads back to an equal request).
            pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
                match self {
                    $(Request::$op(r) => serde_json::to_vec(r),)+
                }
            }
        }
    };
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Operation {
    /// Parses an `X-Amz-Target` header value (`TrentService.<Operation>`).
    pub fn from_target(target: &str) -> Result<Operation, ParseError> {
        target
            .strip_prefix(TARGET_PREFIX)
            .ok_or_else(|| ParseError::UnknownOperation(target.to_owned()))?
            .parse()
    }
}

operations! {
    modeled {
        CreateKey(CreateKeyRequest) -> CreateKeyResponse,
        DescribeKey(DescribeKeyRequest) -> DescribeKeyResponse,
        ListKeys(ListKeysRequest) -> ListKeysResponse,
        UpdateKeyDescription(UpdateKeyDescriptionRequest) -> EmptyResponse,
        EnableKey(EnableKeyRequest) -> EmptyResponse,
        DisableKey(DisableKeyRequest) -> EmptyResponse,
        ScheduleKeyDeletion(ScheduleKeyDeletionRequest) -> ScheduleKeyDeletionResponse,
        CancelKeyDeletion(CancelKeyDeletionRequest) -> CancelKeyDeletionResponse,
        CreateAlias(CreateAliasRequest) -> EmptyResponse,
        UpdateAlias(UpdateAliasRequest) -> EmptyResponse,
        DeleteAlias(DeleteAliasRequest) -> EmptyResponse,
        ListAliases(ListAliasesRequest) -> ListAliasesResponse,
        TagResource(TagResourceRequest) -> EmptyResponse,
        UntagResource(UntagResourceRequest) -> EmptyResponse,
        ListResourceTags(ListResourceTagsRequest) -> ListResourceTagsResponse,
        Encrypt(EncryptRequest) -> EncryptResponse,
        Decrypt(DecryptRequest) -> DecryptResponse,
        ReEncrypt(ReEncryptRequest) -> ReEncryptResponse,
        GenerateDataKey(GenerateDataKeyRequest) -> GenerateDataKeyResponse,
        GenerateDataKeyWithoutPlaintext(GenerateDataKeyWithoutPlaintextRequest)
            -> GenerateDataKeyWithoutPlaintextResponse,
        GenerateDataKeyPair(GenerateDataKeyPairRequest) -> GenerateDataKeyPairResponse,
        GenerateDataKeyPairWithoutPlaintext(GenerateDataKeyPairWithoutPlaintextRequest)
            -> GenerateDataKeyPairWithoutPlaintextResponse,
        GenerateRandom(GenerateRandomRequest) -> GenerateRandomResponse,
        GetPublicKey(GetPublicKeyRequest) -> GetPublicKeyResponse,
        Sign(SignRequest) -> SignResponse,
        Verify(VerifyRequest) -> VerifyResponse,
        GenerateMac(GenerateMacRequest) -> GenerateMacResponse,
        VerifyMac(VerifyMacRequest) -> VerifyMacResponse,
        DeriveSharedSecret(DeriveSharedSecretRequest) -> DeriveSharedSecretResponse,
        Encapsulate(EncapsulateRequest) -> EncapsulateResponse,
        Decapsulate(DecapsulateRequest) -> DecapsulateResponse,
        GetKeyPolicy(GetKeyPolicyRequest) -> GetKeyPolicyResponse,
        PutKeyPolicy(PutKeyPolicyRequest) -> EmptyResponse,
        ListKeyPolicies(ListKeyPoliciesRequest) -> ListKeyPoliciesResponse,
        CreateGrant(CreateGrantRequest) -> CreateGrantResponse,
        ListGrants(ListGrantsRequest) -> ListGrantsResponse,
        ListRetirableGrants(ListRetirableGrantsRequest) -> ListGrantsResponse,
        RetireGrant(RetireGrantRequest) -> EmptyResponse,
        RevokeGrant(RevokeGrantRequest) -> EmptyResponse,
        EnableKeyRotation(EnableKeyRotationRequest) -> EmptyResponse,
        DisableKeyRotation(KeyOnlyRequest) -> EmptyResponse,
        GetKeyRotationStatus(KeyOnlyRequest) -> GetKeyRotationStatusResponse,
        RotateKeyOnDemand(KeyOnlyRequest) -> KeyIdResponse,
        ListKeyRotations(ListKeyRotationsRequest) -> ListKeyRotationsResponse,
        ReplicateKey(ReplicateKeyRequest) -> ReplicateKeyResponse,
        UpdatePrimaryRegion(UpdatePrimaryRegionRequest) -> EmptyResponse,
        GetParametersForImport(GetParametersForImportRequest) -> GetParametersForImportResponse,
        ImportKeyMaterial(ImportKeyMaterialRequest) -> KeyMaterialResponse,
        DeleteImportedKeyMaterial(DeleteImportedKeyMaterialRequest) -> KeyMaterialResponse,
        GetKeyLastUsage(KeyOnlyRequest) -> GetKeyLastUsageResponse,
    }
    unmodeled {
        ConnectCustomKeyStore, CreateCustomKeyStore, DeleteCustomKeyStore,
        DescribeCustomKeyStores, DisconnectCustomKeyStore, UpdateCustomKeyStore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(op: &str, body: &str) -> Result<Request, ParseError> {
        Request::parse(
            Operation::from_target(&format!("TrentService.{op}"))?,
            body.as_bytes(),
        )
    }

    #[test]
    fn unknown_members_are_ignored_and_blobs_decoded() {
        let r = parse(
            "Encrypt",
            r#"{"KeyId":"alias/a","Plaintext":"aGk=","Extra":1}"#,
        )
        .unwrap();
        let Request::Encrypt(e) = r else {
            panic!("wrong variant")
        };
        assert_eq!(e.plaintext.unwrap().as_bytes(), b"hi");
    }

    #[test]
    fn errors_are_classified_as_aws_does() {
        assert!(matches!(
            parse("Nope", "{}"),
            Err(ParseError::UnknownOperation(_))
        ));
        assert!(matches!(
            Operation::from_target("Other.ListKeys"),
            Err(ParseError::UnknownOperation(_))
        ));
        assert!(matches!(
            parse("CreateCustomKeyStore", "{}"),
            Err(ParseError::Unsupported(_))
        ));
        assert!(matches!(
            parse("ListKeys", "{"),
            Err(ParseError::Serialization(_))
        ));
        assert!(matches!(
            parse("ListKeys", r#"{"Limit":"x"}"#),
            Err(ParseError::Serialization(_))
        ));
        assert!(matches!(
            parse("ListKeys", r#"{"Limit":0}"#),
            Err(ParseError::Validation(_))
        ));
        let Err(ParseError::Validation(m)) = parse("CreateKey", r#"{"KeySpec":"RSA_1"}"#) else {
            panic!("enum values outside the set are validation errors")
        };
        assert!(
            m.starts_with(
                "1 validation error detected: Value 'RSA_1' at 'keySpec' failed to satisfy \
                 constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSA_2048"
            ),
            "{m}"
        );
        assert!(matches!(
            parse("Encrypt", r#"{"KeyId":"k"}"#),
            Err(ParseError::Validation(_))
        ));
        assert!(parse("ListKeys", "").is_ok());
    }

    #[test]
    fn import_key_material_checks_its_import_type_and_description() {
        let body = |extra: &str| {
            format!(r#"{{"KeyId":"k","ImportToken":"aGk=","EncryptedKeyMaterial":"aGk="{extra}}}"#)
        };
        for ok in [
            "",
            r#","ImportType":"NEW_KEY_MATERIAL""#,
            r#","ImportType":"EXISTING_KEY_MATERIAL","KeyMaterialDescription":"q4 2026: ops/key-1""#,
        ] {
            assert!(parse("ImportKeyMaterial", &body(ok)).is_ok(), "{ok}");
        }
        let Err(ParseError::Validation(m)) =
            parse("ImportKeyMaterial", &body(r#","ImportType":"SOMETIMES""#))
        else {
            panic!("an unknown import type is a validation error")
        };
        assert!(
            m.contains("Value 'SOMETIMES' at 'importType' failed to satisfy constraint"),
            "{m}"
        );
        let Err(ParseError::Validation(m)) = parse(
            "ImportKeyMaterial",
            &body(r#","KeyMaterialDescription":"no <tags>""#),
        ) else {
            panic!("a description outside the pattern is a validation error")
        };
        assert!(m.contains("at 'keyMaterialDescription'"), "{m}");
    }

    #[test]
    fn every_model_operation_round_trips_its_name() {
        assert_eq!(Operation::ALL.len(), 56);
        for op in Operation::ALL {
            assert_eq!(op.as_str().parse::<Operation>().unwrap(), *op);
        }
    }

    #[test]
    fn responses_omit_absent_members() {
        let r = ListKeysResponse {
            keys: vec![],
            next_marker: None,
            truncated: false,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"Keys":[],"Truncated":false}"#
        );
    }
}
