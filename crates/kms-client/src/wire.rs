//! The transport-independent half of a KMS client: the signed headers of a
//! request, the wire bodies of the calls keyrings make, and what an answer
//! means (a response, a classified [`KmsError`], whether to retry).
//!
//! [`KmsHttpClient`](crate::KmsHttpClient) sends with ureq; the wasm bindings
//! send the same bytes with `fetch`, so both speak exactly one protocol.

use core::fmt;
use core::str::FromStr;

use kms_envelope::kms::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsError, KmsErrorKind, PublicKeyResponse,
};
use kms_protocol::ops::{
    CONTENT_TYPE, EncryptionAlgorithmSpec, KeySpec, KeyUsageType, SigningAlgorithmSpec,
    TARGET_PREFIX,
};
use kms_protocol::sigv4::{self, Credentials, HttpRequest, Payload, SigningParams};
use zeroize::Zeroizing;

use crate::json::{self, ErrorKind, ObjectWriter, Reader};

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

/// A request ready to send: the operation (the `X-Amz-Target` suffix) and
/// its JSON body (wiped on drop: Encrypt carries a key).
pub struct WireRequest {
    /// The operation, e.g. `GenerateDataKey`.
    pub operation: &'static str,
    /// The AWS JSON 1.1 body.
    pub body: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for WireRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireRequest")
            .field("operation", &self.operation)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The body of a successful (2xx) answer, or the service error a failed
/// one carries.
pub fn success_body(answer: &Answer) -> Result<&[u8], KmsError> {
    if (200..300).contains(&answer.status) {
        Ok(&answer.body)
    } else {
        Err(service_error(answer))
    }
}

/// The response of `operation` read from `answer` by `read`; a body it
/// refuses is a malformed response.
fn decode<T>(
    operation: &str,
    answer: &Answer,
    read: fn(&mut Reader<'_>) -> Result<T, json::Error>,
) -> Result<T, KmsError> {
    read_body(success_body(answer)?, read).map_err(|e| {
        KmsError::malformed(format!(
            "{operation} response is not the expected JSON: {e}"
        ))
    })
}

/// The value `read` reads from `body`, which must hold nothing else.
fn read_body<T>(
    body: &[u8],
    read: fn(&mut Reader<'_>) -> Result<T, json::Error>,
) -> Result<T, json::Error> {
    let mut reader = Reader::new(body);
    let value = read(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

/// Reads the members of the object at the cursor: `member` reads (or
/// skips) the value of each name. A `dyn` callback: the loop is compiled
/// once for every response shape.
fn object<'a>(
    reader: &mut Reader<'a>,
    member: &mut dyn FnMut(&mut Reader<'a>, &str) -> Result<(), json::Error>,
) -> Result<(), json::Error> {
    reader.begin_object()?;
    while let Some(name) = reader.next_key()? {
        member(reader, &name)?;
    }
    Ok(())
}

/// A string value, owned.
fn string(reader: &mut Reader<'_>) -> Result<String, json::Error> {
    Ok(reader.string()?.into_string())
}

/// A string value that must name a variant of the wire enum `T` (checked,
/// as the typed response was; the string is kept as sent).
fn variant<T: FromStr>(reader: &mut Reader<'_>) -> Result<String, json::Error> {
    let text = reader.string()?;
    match text.parse::<T>() {
        Ok(_) => Ok(text.into_string()),
        Err(_) => Err(reader.error(ErrorKind::InvalidValue("not a known value"))),
    }
}

/// An array of variants of `T`, or `null` (no array, as if absent).
fn variants<T: FromStr>(reader: &mut Reader<'_>) -> Result<Option<Vec<String>>, json::Error> {
    if reader.null()? {
        return Ok(None);
    }
    let mut names = Vec::new();
    reader.begin_array()?;
    while reader.next_element()? {
        names.push(variant::<T>(reader)?);
    }
    Ok(Some(names))
}

/// `__type` and `message` (or `Message`) of an AWS JSON error body.
fn error_body(reader: &mut Reader<'_>) -> Result<(String, String), json::Error> {
    let (mut r#type, mut message) = (None, None);
    object(reader, &mut |r, name| match name {
        "__type" => r.member("__type", &mut r#type, string),
        // One member under either name, as serde's `alias` made it.
        "message" | "Message" => r.member("message", &mut message, string),
        _ => r.skip_value(),
    })?;
    Ok((
        reader.required(r#type, "__type")?,
        message.unwrap_or_default(),
    ))
}

/// The AWS error type of an answer: the body's `__type`, else the
/// `x-amzn-ErrorType` header, without namespace or trailing URL.
fn error_type(answer: &Answer) -> (Option<String>, String) {
    let body = read_body(&answer.body, error_body).ok();
    let raw = body
        .as_ref()
        .map(|(t, _)| t.clone())
        .filter(|t| !t.is_empty())
        .or_else(|| answer.error_type_header.clone());
    let code = raw.map(|t| {
        let t = t.rsplit('#').next().unwrap_or(&t);
        t.split(':').next().unwrap_or(t).trim().to_owned()
    });
    let message = body.map(|(_, m)| m).unwrap_or_default();
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

/// The encryption context member, unless the context is empty (KMS
/// refuses one with asymmetric keys).
fn context(body: &mut ObjectWriter, context: &kms_envelope::EncryptionContext) {
    if !context.is_empty() {
        body.string_map("EncryptionContext", context.iter());
    }
}

/// The grant tokens member, unless there are none.
fn grant_tokens(body: &mut ObjectWriter, tokens: &[String]) {
    if !tokens.is_empty() {
        body.string_array("GrantTokens", tokens.iter().map(String::as_str));
    }
}

/// The encryption algorithm member, if one is named (it must be one KMS
/// knows).
fn algorithm(body: &mut ObjectWriter, name: Option<&str>) -> Result<(), KmsError> {
    if let Some(name) = name {
        let algorithm: EncryptionAlgorithmSpec = name.parse().map_err(|_| KmsError {
            kind: KmsErrorKind::Service,
            code: "ValidationException".to_owned(),
            message: format!("unknown encryption algorithm {name:?}"),
        })?;
        body.string("EncryptionAlgorithm", algorithm.as_str());
    }
    Ok(())
}

const GENERATE_DATA_KEY: &str = "GenerateDataKey";
const ENCRYPT: &str = "Encrypt";
const DECRYPT: &str = "Decrypt";
const GET_PUBLIC_KEY: &str = "GetPublicKey";

/// The GenerateDataKey request.
pub fn generate_data_key_request(request: &GenerateDataKeyRequest<'_>) -> WireRequest {
    let mut body = ObjectWriter::new();
    body.string("KeyId", request.key_id);
    context(&mut body, request.encryption_context);
    body.integer("NumberOfBytes", u64::from(request.number_of_bytes));
    grant_tokens(&mut body, request.grant_tokens);
    WireRequest {
        operation: GENERATE_DATA_KEY,
        body: body.finish(),
    }
}

/// The data key of a GenerateDataKey answer.
pub fn generated_data_key(answer: &Answer) -> Result<GeneratedDataKey, KmsError> {
    decode(GENERATE_DATA_KEY, answer, |reader| {
        let (mut ciphertext, mut plaintext, mut key_id) = (None, None, None);
        object(reader, &mut |r, name| match name {
            "CiphertextBlob" => r.member("CiphertextBlob", &mut ciphertext, Reader::blob),
            "Plaintext" => r.member("Plaintext", &mut plaintext, Reader::blob),
            "KeyId" => r.member("KeyId", &mut key_id, string),
            _ => r.skip_value(),
        })?;
        Ok(GeneratedDataKey {
            ciphertext_blob: take(reader.required(ciphertext, "CiphertextBlob")?),
            plaintext: reader.required(plaintext, "Plaintext")?,
            key_id: reader.required(key_id, "KeyId")?,
        })
    })
}

/// The Encrypt request.
pub fn encrypt_request(request: &EncryptRequest<'_>) -> Result<WireRequest, KmsError> {
    let mut body = ObjectWriter::new();
    body.string("KeyId", request.key_id)
        .blob("Plaintext", request.plaintext);
    context(&mut body, request.encryption_context);
    grant_tokens(&mut body, request.grant_tokens);
    algorithm(&mut body, request.encryption_algorithm)?;
    Ok(WireRequest {
        operation: ENCRYPT,
        body: body.finish(),
    })
}

/// The result of an Encrypt answer.
pub fn encrypt_response(answer: &Answer) -> Result<EncryptResponse, KmsError> {
    decode(ENCRYPT, answer, |reader| {
        let (mut ciphertext, mut key_id, mut algorithm) = (None, None, None);
        object(reader, &mut |r, name| match name {
            "CiphertextBlob" => r.member("CiphertextBlob", &mut ciphertext, Reader::blob),
            "KeyId" => r.member("KeyId", &mut key_id, string),
            "EncryptionAlgorithm" => r.member(
                "EncryptionAlgorithm",
                &mut algorithm,
                variant::<EncryptionAlgorithmSpec>,
            ),
            _ => r.skip_value(),
        })?;
        reader.required(algorithm, "EncryptionAlgorithm")?;
        Ok(EncryptResponse {
            ciphertext_blob: take(reader.required(ciphertext, "CiphertextBlob")?),
            key_id: reader.required(key_id, "KeyId")?,
        })
    })
}

/// The Decrypt request.
pub fn decrypt_request(request: &DecryptRequest<'_>) -> Result<WireRequest, KmsError> {
    let mut body = ObjectWriter::new();
    body.blob("CiphertextBlob", request.ciphertext);
    context(&mut body, request.encryption_context);
    grant_tokens(&mut body, request.grant_tokens);
    body.string("KeyId", request.key_id);
    algorithm(&mut body, request.encryption_algorithm)?;
    Ok(WireRequest {
        operation: DECRYPT,
        body: body.finish(),
    })
}

/// The result of a Decrypt answer.
pub fn decrypt_response(answer: &Answer) -> Result<DecryptResponse, KmsError> {
    decode(DECRYPT, answer, |reader| {
        let (mut key_id, mut plaintext, mut algorithm) = (None, None, None);
        object(reader, &mut |r, name| match name {
            "KeyId" => r.member("KeyId", &mut key_id, string),
            "Plaintext" => r.member("Plaintext", &mut plaintext, Reader::blob),
            "EncryptionAlgorithm" => r.member(
                "EncryptionAlgorithm",
                &mut algorithm,
                variant::<EncryptionAlgorithmSpec>,
            ),
            _ => r.skip_value(),
        })?;
        reader.required(algorithm, "EncryptionAlgorithm")?;
        Ok(DecryptResponse {
            key_id: reader.required(key_id, "KeyId")?,
            plaintext: reader.required(plaintext, "Plaintext")?,
        })
    })
}

/// The GetPublicKey request.
pub fn get_public_key_request(key_id: &str, tokens: &[String]) -> WireRequest {
    let mut body = ObjectWriter::new();
    body.string("KeyId", key_id);
    grant_tokens(&mut body, tokens);
    WireRequest {
        operation: GET_PUBLIC_KEY,
        body: body.finish(),
    }
}

/// The result of a GetPublicKey answer.
pub fn public_key_response(answer: &Answer) -> Result<PublicKeyResponse, KmsError> {
    decode(GET_PUBLIC_KEY, answer, |reader| {
        let (mut key_id, mut public_key, mut customer_master_key_spec) = (None, None, None);
        let (mut key_spec, mut key_usage) = (None, None);
        let (mut encryption_algorithms, mut signing_algorithms) = (None, None);
        object(reader, &mut |r, name| match name {
            "KeyId" => r.member("KeyId", &mut key_id, string),
            "PublicKey" => r.member("PublicKey", &mut public_key, Reader::blob),
            // The deprecated synonym of KeySpec: checked, not kept.
            "CustomerMasterKeySpec" => r.member(
                "CustomerMasterKeySpec",
                &mut customer_master_key_spec,
                variant::<KeySpec>,
            ),
            "KeySpec" => r.member("KeySpec", &mut key_spec, variant::<KeySpec>),
            "KeyUsage" => r.member("KeyUsage", &mut key_usage, variant::<KeyUsageType>),
            "EncryptionAlgorithms" => r.member(
                "EncryptionAlgorithms",
                &mut encryption_algorithms,
                variants::<EncryptionAlgorithmSpec>,
            ),
            "SigningAlgorithms" => r.member(
                "SigningAlgorithms",
                &mut signing_algorithms,
                variants::<SigningAlgorithmSpec>,
            ),
            _ => r.skip_value(),
        })?;
        reader.required(customer_master_key_spec, "CustomerMasterKeySpec")?;
        Ok(PublicKeyResponse {
            key_id: reader.required(key_id, "KeyId")?,
            public_key: take(reader.required(public_key, "PublicKey")?),
            key_spec: reader.required(key_spec, "KeySpec")?,
            key_usage: reader.required(key_usage, "KeyUsage")?,
            encryption_algorithms: encryption_algorithms.flatten().unwrap_or_default(),
            signing_algorithms: signing_algorithms.flatten().unwrap_or_default(),
        })
    })
}

/// The bytes of a blob that is not secret (its buffer is left empty).
fn take(mut blob: Zeroizing<Vec<u8>>) -> Vec<u8> {
    core::mem::take(&mut *blob)
}
