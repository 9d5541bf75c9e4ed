//! The header as JSON, for `kms-envelope inspect`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kms_envelope::format::{ContentType, Header};
use serde_json::{Value, json};

/// Everything the header says, with binary fields in hex or base64 and
/// provider info also as text when it is UTF-8 (KMS key ARNs are).
pub fn header_json(header: &Header) -> Value {
    let suite = header.suite();
    let keys: Vec<Value> = header
        .encrypted_data_keys()
        .iter()
        .map(|edk| {
            let mut key = json!({
                "provider_id": edk.provider_id,
                "provider_info_base64": BASE64.encode(&edk.provider_info),
                "ciphertext_length": edk.ciphertext.len(),
            });
            if let Ok(text) = std::str::from_utf8(&edk.provider_info) {
                key["provider_info"] = json!(text);
            }
            key
        })
        .collect();
    let context: serde_json::Map<String, Value> = header
        .encryption_context()
        .iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    json!({
        "format_version": header.version(),
        "algorithm_suite": format!("0x{:04x}", suite.id.as_u16()),
        "algorithm_suite_name": format!("{:?}", suite.id),
        "signed": suite.signature.is_some(),
        "key_commitment": suite.commitment,
        "message_id": hex::encode(header.message_id()),
        "encryption_context": context,
        "encrypted_data_keys": keys,
        "content_type": match header.content_type() {
            ContentType::Framed => "framed",
            ContentType::NonFramed => "non-framed",
        },
        "frame_length": header.frame_length(),
        "header_length": header.len(),
    })
}
