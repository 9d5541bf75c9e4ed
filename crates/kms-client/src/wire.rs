//! The transport-independent half of a KMS client: the signed headers of a
//! request, the wire bodies of the calls keyrings make, and what an answer
//! means (a response, a classified [`KmsError`], whether to retry).
//!
//! [`KmsHttpClient`](crate::KmsHttpClient) sends with ureq; the wasm bindings
//! send the same bytes with `fetch`, so both speak exactly one protocol.

use kms_envelope::kms::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsError, KmsErrorKind, PublicKeyResponse,
};
use kms_protocol::error::ErrorBody;
use kms_protocol::ops::{self, CONTENT_TYPE, EncryptionAlgorithmSpec, TARGET_PREFIX};
use kms_protocol::sigv4::{self, Credentials, HttpRequest, Payload, SigningParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

/// One HTTP answer, as any transport received it.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `x-amzn-ErrorType` header, if present.
    pub error_type_header: Option<String>,
    /// The body (it may hold a plaintext data key: wiped on drop).
    pub body: Zeroizing<Vec<u8>>,
}

/// Error codes that mean "slow down", retried like AWS's standard mode.
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
];

/// Error codes of transient server-side conditions, retried.
const TRANSIENT_CODES: &[&str] = &["DependencyTimeoutException", "KMSInternalException"];

/// Every header of a signed AWS JSON 1.1 `POST` of `operation` to
/// `host`/`path`, `host` included (browsers set it themselves and ignore it).
pub fn signed_headers(
    host: &str,
    path: &str,
    operation: &str,
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    unix_secs: u64,
) -> Result<Vec<(String, String)>, KmsError> {
    let target = format!("{TARGET_PREFIX}{operation}");
    let headers = [
        ("host", host),
        ("content-type", CONTENT_TYPE),
        ("x-amz-target", target.as_str()),
    ];
    let request = HttpRequest {
        method: "POST",
        path,
        query: "",
        headers: &headers,
        payload: Payload::Bytes(body),
    };
    let params = SigningParams::new(credentials, region, "kms", unix_secs);
    let signed = sigv4::sign(&request, &params)
        .map_err(|e| KmsError::client(format!("cannot sign the request: {e}")))?;
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    all.extend(
        signed
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone())),
    );
    Ok(all)
}

/// The JSON body of a wire request (wiped on drop: Encrypt carries a key).
pub fn encode<Req: Serialize>(request: &Req) -> Result<Zeroizing<Vec<u8>>, KmsError> {
    serde_json::to_vec(request)
        .map(Zeroizing::new)
        .map_err(|e| KmsError::client(format!("cannot encode the request: {e}")))
}

/// The response of `operation`, or the service error the answer carries.
pub fn decode<Resp: DeserializeOwned>(operation: &str, answer: &Answer) -> Result<Resp, KmsError> {
    if (200..300).contains(&answer.status) {
        return serde_json::from_slice(&answer.body).map_err(|e| {
            KmsError::malformed(format!(
                "{operation} response is not the expected JSON: {e}"
            ))
        });
    }
    Err(service_error(answer))
}

/// The AWS error type of an answer: the body's `__type`, else the
/// `x-amzn-ErrorType` header, without namespace or trailing URL.
fn error_type(answer: &Answer) -> (Option<String>, String) {
    let body: Option<ErrorBody> = serde_json::from_slice(&answer.body).ok();
    let raw = body
        .as_ref()
        .map(|b| b.r#type.clone())
        .filter(|t| !t.is_empty())
        .or_else(|| answer.error_type_header.clone());
    let code = raw.map(|t| {
        let t = t.rsplit('#').next().unwrap_or(&t);
        t.split(':').next().unwrap_or(t).trim().to_owned()
    });
    let message = body.map(|b| b.message).unwrap_or_default();
    (code, message)
}

/// Whether an answer is worth another attempt: throttling, HTTP 429/5xx and
/// transient service errors.
pub fn is_retryable(answer: &Answer) -> bool {
    if answer.status >= 500 || answer.status == 429 {
        return true;
    }
    if (200..300).contains(&answer.status) {
        return false;
    }
    match error_type(answer).0 {
        Some(code) => {
            THROTTLING_CODES.contains(&code.as_str()) || TRANSIENT_CODES.contains(&code.as_str())
        }
        None => false,
    }
}

/// The [`KmsError`] of a failed answer.
pub fn service_error(answer: &Answer) -> KmsError {
    match error_type(answer) {
        (Some(code), message) => {
            let mut error = KmsError::service(code, message);
            if THROTTLING_CODES.contains(&error.code.as_str()) || answer.status == 429 {
                error.kind = KmsErrorKind::Throttling;
            }
            error
        }
        (None, _) => {
            let kind = match answer.status {
                401 | 403 => KmsErrorKind::AccessDenied,
                404 => KmsErrorKind::NotFound,
                429 => KmsErrorKind::Throttling,
                _ => KmsErrorKind::Service,
            };
            let snippet: String = String::from_utf8_lossy(&answer.body)
                .chars()
                .take(200)
                .collect();
            KmsError {
                kind,
                code: format!("Http{}", answer.status),
                message: snippet,
            }
        }
    }
}

fn context(context: &kms_envelope::EncryptionContext) -> Option<ops::EncryptionContext> {
    (!context.is_empty()).then(|| context.as_map().clone())
}

fn grant_tokens(tokens: &[String]) -> Option<Vec<String>> {
    (!tokens.is_empty()).then(|| tokens.to_vec())
}

fn algorithm(name: Option<&str>) -> Result<Option<EncryptionAlgorithmSpec>, KmsError> {
    name.map(|n| {
        n.parse().map_err(|_| KmsError {
            kind: KmsErrorKind::Service,
            code: "ValidationException".to_owned(),
            message: format!("unknown encryption algorithm {n:?}"),
        })
    })
    .transpose()
}

/// The wire GenerateDataKey request.
pub fn generate_data_key_request(
    request: &GenerateDataKeyRequest<'_>,
) -> ops::GenerateDataKeyRequest {
    ops::GenerateDataKeyRequest {
        key_id: request.key_id.to_owned(),
        encryption_context: context(request.encryption_context),
        number_of_bytes: Some(i32::from(request.number_of_bytes)),
        grant_tokens: grant_tokens(request.grant_tokens),
        ..Default::default()
    }
}

/// The data key of a wire GenerateDataKey response.
pub fn generated_data_key(mut response: ops::GenerateDataKeyResponse) -> GeneratedDataKey {
    GeneratedDataKey {
        key_id: std::mem::take(&mut response.key_id),
        plaintext: Zeroizing::new(response.plaintext.take()),
        ciphertext_blob: response.ciphertext_blob.take(),
    }
}

/// The wire Encrypt request.
pub fn encrypt_request(request: &EncryptRequest<'_>) -> Result<ops::EncryptRequest, KmsError> {
    Ok(ops::EncryptRequest {
        key_id: request.key_id.to_owned(),
        plaintext: Some(request.plaintext.into()),
        encryption_context: context(request.encryption_context),
        grant_tokens: grant_tokens(request.grant_tokens),
        encryption_algorithm: algorithm(request.encryption_algorithm)?,
        ..Default::default()
    })
}

/// The result of a wire Encrypt response.
pub fn encrypt_response(mut response: ops::EncryptResponse) -> EncryptResponse {
    EncryptResponse {
        key_id: std::mem::take(&mut response.key_id),
        ciphertext_blob: response.ciphertext_blob.take(),
    }
}

/// The wire Decrypt request.
pub fn decrypt_request(request: &DecryptRequest<'_>) -> Result<ops::DecryptRequest, KmsError> {
    Ok(ops::DecryptRequest {
        ciphertext_blob: Some(request.ciphertext.into()),
        encryption_context: context(request.encryption_context),
        grant_tokens: grant_tokens(request.grant_tokens),
        key_id: Some(request.key_id.to_owned()),
        encryption_algorithm: algorithm(request.encryption_algorithm)?,
        ..Default::default()
    })
}

/// The result of a wire Decrypt response.
pub fn decrypt_response(mut response: ops::DecryptResponse) -> DecryptResponse {
    DecryptResponse {
        key_id: std::mem::take(&mut response.key_id),
        plaintext: Zeroizing::new(response.plaintext.take()),
    }
}

/// The wire GetPublicKey request.
pub fn get_public_key_request(key_id: &str, tokens: &[String]) -> ops::GetPublicKeyRequest {
    ops::GetPublicKeyRequest {
        key_id: key_id.to_owned(),
        grant_tokens: grant_tokens(tokens),
    }
}

/// The result of a wire GetPublicKey response.
pub fn public_key_response(mut response: ops::GetPublicKeyResponse) -> PublicKeyResponse {
    PublicKeyResponse {
        key_id: std::mem::take(&mut response.key_id),
        public_key: response.public_key.take(),
        key_spec: response.key_spec.as_str().to_owned(),
        key_usage: response.key_usage.as_str().to_owned(),
        encryption_algorithms: response
            .encryption_algorithms
            .unwrap_or_default()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        signing_algorithms: response
            .signing_algorithms
            .unwrap_or_default()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
    }
}
