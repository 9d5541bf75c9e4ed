//! The wire bodies against kms-protocol's serde types, the definition the
//! server uses: requests are byte for byte what serde_json writes from the
//! `ops` request types, and responses serde_json writes from the `ops`
//! response types (compact, pretty, every character escaped, with unknown
//! members) read back to the same values.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use kms_client::wire::{self, Answer};
use kms_envelope::EncryptionContext;
use kms_envelope::kms::{
    DecryptRequest, EncryptRequest, GenerateDataKeyRequest, KmsError, KmsErrorKind,
};
use kms_protocol::error::{ErrorBody, ErrorCode};
use kms_protocol::ops::{
    self, Blob, EncryptionAlgorithmSpec, KeySpec, KeyUsageType, SigningAlgorithmSpec,
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use zeroize::Zeroizing;

fn answer(status: u16, body: &[u8]) -> Answer {
    Answer {
        status,
        error_type_header: None,
        body: Zeroizing::new(body.to_vec()),
    }
}

fn context_strategy() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(any::<String>(), any::<String>(), 0..4)
}

fn tokens_strategy() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(any::<String>(), 0..3)
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..80)
}

fn optional<T>(value: T, present: bool) -> Option<T> {
    present.then_some(value)
}

/// serde_json's body for `expected`, which ours must equal; and ours must
/// parse back to `expected`.
fn same_body<T>(ours: &[u8], expected: &T) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let theirs = serde_json::to_vec(expected).unwrap();
    prop_assert_eq!(
        String::from_utf8_lossy(ours),
        String::from_utf8_lossy(&theirs)
    );
    let parsed: T = serde_json::from_slice(ours).unwrap();
    prop_assert_eq!(&parsed, expected);
    Ok(())
}

/// `value` written with every string character as a `\u` escape (surrogate
/// pairs beyond the BMP), `/` as `\/`, and whitespace around everything.
fn escaped(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '/' {
                    out.push_str("\\/");
                    continue;
                }
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n");
                }
                escaped(item, out);
            }
            out.push_str(" ]");
        }
        Value::Object(members) => {
            out.push_str("{\t");
            for (i, (name, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str("\r\n,");
                }
                escaped(&Value::String(name.clone()), out);
                out.push_str(" : ");
                escaped(item, out);
            }
            out.push_str(" }");
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The ways a server may send `response`: serde_json's compact and pretty
/// forms, everything escaped, and with unknown members before and after.
fn renderings<T: serde::Serialize>(response: &T) -> Vec<Vec<u8>> {
    let value = serde_json::to_value(response).unwrap();
    let mut all_escaped = String::new();
    escaped(&value, &mut all_escaped);
    let Value::Object(members) = &value else {
        panic!("a response is an object");
    };
    let mut extended =
        String::from(r#"{"Unknown": {"KeyId": [1, -2.5e10, null, true, "\ud83d\ude00", {}]}"#);
    for (name, item) in members {
        extended.push_str(&format!(",{}:{item}", Value::String(name.clone())));
    }
    extended.push_str(r#", "ResponseMetadata": {"RequestId": "r"}, "Unknown2": 1e400}"#);
    vec![
        serde_json::to_vec(response).unwrap(),
        serde_json::to_vec_pretty(response).unwrap(),
        all_escaped.into_bytes(),
        extended.into_bytes(),
    ]
}

/// The service error for an error answer with `body`.
fn service_error(status: u16, body: &[u8]) -> KmsError {
    match wire::public_key_response(&answer(status, body)) {
        Ok(_) => panic!("an error answer was read as a response"),
        Err(e) => e,
    }
}

proptest! {
    #[test]
    fn generate_data_key_requests_are_serde_jsons(
        key_id in any::<String>(),
        context in context_strategy(),
        tokens in tokens_strategy(),
        number_of_bytes in any::<u16>(),
    ) {
        let encryption_context: EncryptionContext = context.clone().into_iter().collect();
        let request = wire::generate_data_key_request(&GenerateDataKeyRequest {
            key_id: &key_id,
            number_of_bytes,
            encryption_context: &encryption_context,
            grant_tokens: &tokens,
        });
        prop_assert_eq!(request.operation, "GenerateDataKey");
        same_body(&request.body, &ops::GenerateDataKeyRequest {
            key_id,
            encryption_context: optional(context.clone(), !context.is_empty()),
            number_of_bytes: Some(i32::from(number_of_bytes)),
            grant_tokens: optional(tokens.clone(), !tokens.is_empty()),
            ..Default::default()
        })?;
    }

    #[test]
    fn encrypt_and_decrypt_requests_are_serde_jsons(
        key_id in any::<String>(),
        bytes in bytes_strategy(),
        context in context_strategy(),
        tokens in tokens_strategy(),
        algorithm in prop::option::of(select(EncryptionAlgorithmSpec::ALL)),
    ) {
        let encryption_context: EncryptionContext = context.clone().into_iter().collect();
        let request = wire::encrypt_request(&EncryptRequest {
            key_id: &key_id,
            plaintext: &bytes,
            encryption_context: &encryption_context,
            grant_tokens: &tokens,
            encryption_algorithm: algorithm.map(EncryptionAlgorithmSpec::as_str),
        })
        .unwrap();
        prop_assert_eq!(request.operation, "Encrypt");
        same_body(&request.body, &ops::EncryptRequest {
            key_id: key_id.clone(),
            plaintext: Some(Blob::from(&bytes[..])),
            encryption_context: optional(context.clone(), !context.is_empty()),
            grant_tokens: optional(tokens.clone(), !tokens.is_empty()),
            encryption_algorithm: algorithm,
            ..Default::default()
        })?;
        let request = wire::decrypt_request(&DecryptRequest {
            key_id: &key_id,
            ciphertext: &bytes,
            encryption_context: &encryption_context,
            grant_tokens: &tokens,
            encryption_algorithm: algorithm.map(EncryptionAlgorithmSpec::as_str),
        })
        .unwrap();
        prop_assert_eq!(request.operation, "Decrypt");
        same_body(&request.body, &ops::DecryptRequest {
            ciphertext_blob: Some(Blob::from(&bytes[..])),
            encryption_context: optional(context.clone(), !context.is_empty()),
            grant_tokens: optional(tokens.clone(), !tokens.is_empty()),
            key_id: Some(key_id),
            encryption_algorithm: algorithm,
            ..Default::default()
        })?;
    }

    #[test]
    fn get_public_key_requests_are_serde_jsons(key_id in any::<String>(), tokens in tokens_strategy()) {
        let request = wire::get_public_key_request(&key_id, &tokens);
        prop_assert_eq!(request.operation, "GetPublicKey");
        same_body(&request.body, &ops::GetPublicKeyRequest {
            key_id,
            grant_tokens: optional(tokens.clone(), !tokens.is_empty()),
        })?;
    }

    #[test]
    fn generate_data_key_and_encrypt_responses_read_back(
        key_id in any::<String>(),
        plaintext in bytes_strategy(),
        ciphertext in bytes_strategy(),
        algorithm in select(EncryptionAlgorithmSpec::ALL),
    ) {
        let response = ops::GenerateDataKeyResponse {
            ciphertext_blob: Blob::from(&ciphertext[..]),
            plaintext: Blob::from(&plaintext[..]),
            key_id: key_id.clone(),
        };
        for body in renderings(&response) {
            let key = wire::generated_data_key(&answer(200, &body)).unwrap();
            prop_assert_eq!(&key.key_id, &key_id);
            prop_assert_eq!(&key.plaintext[..], &plaintext[..]);
            prop_assert_eq!(&key.ciphertext_blob, &ciphertext);
        }
        let response = ops::EncryptResponse {
            ciphertext_blob: Blob::from(&ciphertext[..]),
            key_id: key_id.clone(),
            encryption_algorithm: algorithm,
        };
        for body in renderings(&response) {
            let encrypted = wire::encrypt_response(&answer(200, &body)).unwrap();
            prop_assert_eq!(&encrypted.key_id, &key_id);
            prop_assert_eq!(&encrypted.ciphertext_blob, &ciphertext);
        }
    }

    #[test]
    fn decrypt_responses_read_back(
        key_id in any::<String>(),
        plaintext in bytes_strategy(),
        algorithm in select(EncryptionAlgorithmSpec::ALL),
    ) {
        let response = ops::DecryptResponse {
            key_id: key_id.clone(),
            plaintext: Blob::from(&plaintext[..]),
            encryption_algorithm: algorithm,
        };
        for body in renderings(&response) {
            let decrypted = wire::decrypt_response(&answer(200, &body)).unwrap();
            prop_assert_eq!(&decrypted.key_id, &key_id);
            prop_assert_eq!(&decrypted.plaintext[..], &plaintext[..]);
        }
    }

    #[test]
    fn get_public_key_responses_read_back(
        key_id in any::<String>(),
        public_key in bytes_strategy(),
        key_spec in select(KeySpec::ALL),
        key_usage in select(KeyUsageType::ALL),
        encryption in prop::option::of(prop::collection::vec(select(EncryptionAlgorithmSpec::ALL), 0..4)),
        signing in prop::option::of(prop::collection::vec(select(SigningAlgorithmSpec::ALL), 0..4)),
    ) {
        let response = ops::GetPublicKeyResponse {
            key_id: key_id.clone(),
            public_key: Blob::from(&public_key[..]),
            customer_master_key_spec: key_spec,
            key_spec,
            key_usage,
            encryption_algorithms: encryption.clone(),
            signing_algorithms: signing.clone(),
            key_agreement_algorithms: None,
            // A member the client does not read (ML-KEM keys): skipped.
            encapsulation_algorithms: Some(vec![ops::EncapsulationAlgorithmSpec::MlKem]),
        };
        let expected_encryption: Vec<&str> = encryption.iter().flatten().map(|a| a.as_str()).collect();
        let expected_signing: Vec<&str> = signing.iter().flatten().map(|a| a.as_str()).collect();
        for body in renderings(&response) {
            let read = wire::public_key_response(&answer(200, &body)).unwrap();
            prop_assert_eq!(&read.key_id, &key_id);
            prop_assert_eq!(&read.public_key, &public_key);
            prop_assert_eq!(read.key_spec, key_spec.as_str());
            prop_assert_eq!(read.key_usage, key_usage.as_str());
            prop_assert_eq!(&read.encryption_algorithms, &expected_encryption);
            prop_assert_eq!(&read.signing_algorithms, &expected_signing);
        }
    }

    #[test]
    fn error_bodies_give_their_code_and_message(
        code in select(ErrorCode::ALL),
        namespace in select(&["", "com.amazonaws.kms#"][..]),
        suffix in select(&["", ":http://internal.amazon.com/coral/com.amazonaws.kms/"][..]),
        message in any::<String>(),
        capitalised in any::<bool>(),
    ) {
        let body = ErrorBody::new(code, message.clone());
        let mut value = serde_json::to_value(&body).unwrap();
        value["__type"] = Value::String(format!("{namespace}{code}{suffix}"));
        if capitalised {
            let text = value.as_object_mut().unwrap().remove("message").unwrap();
            value["Message"] = text;
        }
        for body in renderings(&value) {
            let e = service_error(400, &body);
            prop_assert_eq!(e.code, code.as_str());
            prop_assert_eq!(&e.message, &message);
        }
    }
}

#[test]
fn a_body_that_is_not_the_expected_json_is_a_malformed_response() {
    let good = br#"{"KeyId":"k","Plaintext":"AA==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#;
    assert!(wire::decrypt_response(&answer(200, good)).is_ok());
    for (body, says) in [
        (&b"<html>"[..], "expected a value at byte 0"),
        (b"not json", "expected an object at byte 0"),
        (b"", "unexpected end of input at byte 0"),
        (br#"{"KeyId":"k","Plaintext":"AA=="}"#, "missing member `EncryptionAlgorithm`"),
        (br#"{"KeyId":"k","Plaintext":"AA==","EncryptionAlgorithm":"AES"}"#, "not a known value `EncryptionAlgorithm`"),
        (br#"{"KeyId":1,"Plaintext":"AA==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#, "expected a string `KeyId`"),
        (br#"{"KeyId":null,"Plaintext":"AA==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#, "expected a string `KeyId`"),
        (br#"{"KeyId":"k","Plaintext":"AA=","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#, "invalid base64 `Plaintext`"),
        (br#"{"KeyId":"k","KeyId":"k","Plaintext":"AA==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#, "duplicate member `KeyId`"),
        (br#"{"KeyId":"k","Plaintext":"AA==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"} {}"#, "trailing characters"),
        (br#"["k","AA==","SYMMETRIC_DEFAULT"]"#, "expected an object"),
    ] {
        let e = wire::decrypt_response(&answer(200, body)).unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str()),
            (KmsErrorKind::MalformedResponse, "MalformedResponse")
        );
        assert!(
            e.message.starts_with("Decrypt response is not the expected JSON: "),
            "{e}"
        );
        assert!(e.message.contains(says), "{e}");
        // serde_json refuses each too, except the array: serde's derived
        // code also reads a struct from a JSON array, which AWS never sends.
        if !body.starts_with(b"[") {
            assert!(serde_json::from_slice::<ops::DecryptResponse>(body).is_err());
        }
    }
}

#[test]
fn error_answers_are_classified_as_before() {
    // An error body that is not one: the header names the code.
    let mut header_only = answer(400, b"<html>");
    header_only.error_type_header = Some("NotFoundException:http://x/".to_owned());
    let e = wire::service_error(&header_only);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("NotFoundException", "")
    );
    // `message` and `Message` are one member, so both is no error body.
    let e = service_error(
        400,
        br#"{"__type":"KMSInvalidStateException","message":"a","Message":"b"}"#,
    );
    assert_eq!(
        (e.kind, e.code.as_str()),
        (KmsErrorKind::Service, "Http400")
    );
    // An empty __type falls back to the header, the message stays.
    let mut empty = answer(400, br#"{"__type":"","message":"m"}"#);
    empty.error_type_header = Some("DisabledException".to_owned());
    let e = wire::service_error(&empty);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("DisabledException", "m")
    );
    // Throttling by code or by status.
    let e = service_error(400, br#"{"__type":"ThrottlingException"}"#);
    assert_eq!(e.kind, KmsErrorKind::Throttling);
    assert!(wire::is_retryable(&answer(
        400,
        br#"{"__type":"ThrottlingException"}"#
    )));
    assert!(!wire::is_retryable(&answer(
        400,
        br#"{"__type":"NotFoundException"}"#
    )));
    let e = service_error(403, b"");
    assert_eq!(
        (e.kind, e.code.as_str()),
        (KmsErrorKind::AccessDenied, "Http403")
    );
}
