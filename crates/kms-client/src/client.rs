//! The HTTP client: SigV4-signed AWS JSON 1.1 requests, bounded retries,
//! per-attempt timeout, bounded responses.

use std::time::{SystemTime, UNIX_EPOCH};

use kms_envelope::LocalBoxFuture;
use kms_envelope::kms::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsClient, KmsError, KmsErrorKind, PublicKeyResponse,
};
use kms_protocol::error::ErrorBody;
use kms_protocol::ops::{self, CONTENT_TYPE, EncryptionAlgorithmSpec, TARGET_PREFIX};
use kms_protocol::sigv4::{self, HttpRequest, Payload, SigningParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::config::{ClientConfig, Overrides};
use crate::error::ConfigError;

/// A KMS client over HTTP(S) for one endpoint and region.
///
/// Calls block the calling thread (the [`KmsClient`] futures complete on
/// their first poll), so any executor, `pollster` included, drives them.
pub struct KmsHttpClient {
    config: ClientConfig,
    agent: ureq::Agent,
    /// `host[:port]` as sent and signed.
    host: String,
    /// The request path, `/` unless the endpoint names another.
    path: String,
    /// The URL requests go to.
    url: String,
}

impl std::fmt::Debug for KmsHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsHttpClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One HTTP answer.
struct Answer {
    status: u16,
    error_type_header: Option<String>,
    body: Zeroizing<Vec<u8>>,
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

impl KmsHttpClient {
    /// A client for `config`.
    pub fn new(config: ClientConfig) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidEndpoint(config.endpoint.clone());
        let uri: ureq::http::Uri = config.endpoint.parse().map_err(|_| invalid())?;
        let scheme = match uri.scheme_str() {
            Some(scheme @ ("http" | "https")) => scheme.to_owned(),
            _ => return Err(invalid()),
        };
        let host = uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .filter(|h| !h.is_empty() && !h.contains('@'))
            .ok_or_else(invalid)?;
        if uri.query().is_some() {
            return Err(invalid());
        }
        let path = match uri.path() {
            "" => "/".to_owned(),
            p => p.to_owned(),
        };
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("kms-envelope/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let url = format!("{scheme}://{host}{path}");
        Ok(KmsHttpClient {
            config,
            agent,
            host,
            path,
            url,
        })
    }

    /// A client configured from the environment and shared AWS files (see
    /// [`ClientConfig::from_env`]).
    pub fn from_env(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::new(ClientConfig::from_env(overrides)?)
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Calls any KMS operation (e.g. `CreateKey`) with a wire request and
    /// decodes the wire response, with the client's signing, retries and
    /// limits.
    pub fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        operation: &str,
        request: &Req,
    ) -> Result<Resp, KmsError> {
        // The body may carry a plaintext (Encrypt): wiped after sending.
        let body = Zeroizing::new(
            serde_json::to_vec(request)
                .map_err(|e| KmsError::transport(format!("cannot encode the request: {e}")))?,
        );
        let answer = self.send_with_retries(operation, &body)?;
        if (200..300).contains(&answer.status) {
            return serde_json::from_slice(&answer.body).map_err(|e| {
                KmsError::malformed(format!(
                    "{operation} response is not the expected JSON: {e}"
                ))
            });
        }
        Err(service_error(&answer))
    }

    fn send_with_retries(&self, operation: &str, body: &[u8]) -> Result<Answer, KmsError> {
        let attempts = self.config.retry.max_attempts.max(1);
        let mut retry = 0;
        loop {
            let result = self.send_once(operation, body);
            let retryable = match &result {
                Err(e) => e.kind == KmsErrorKind::Transport,
                Ok(answer) => is_retryable(answer),
            };
            if !retryable || retry + 1 >= attempts {
                return result;
            }
            std::thread::sleep(self.config.retry.delay(retry, random_u32()));
            retry += 1;
        }
    }

    fn send_once(&self, operation: &str, body: &[u8]) -> Result<Answer, KmsError> {
        let target = format!("{TARGET_PREFIX}{operation}");
        let headers = [
            ("host", self.host.as_str()),
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", target.as_str()),
        ];
        let request = HttpRequest {
            method: "POST",
            path: &self.path,
            query: "",
            headers: &headers,
            payload: Payload::Bytes(body),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| KmsError::transport("the system clock is before 1970"))?
            .as_secs();
        let params = SigningParams::new(&self.config.credentials, &self.config.region, "kms", now);
        let signed = sigv4::sign(&request, &params)
            .map_err(|e| KmsError::transport(format!("cannot sign the request: {e}")))?;
        let mut builder = self.agent.post(&self.url);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        for (name, value) in &signed.headers {
            builder = builder.header(*name, value.as_str());
        }
        let mut response = builder.send(body).map_err(transport_error)?;
        let status = response.status().as_u16();
        let error_type_header = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(self.config.max_response_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => KmsError::malformed(format!(
                    "response larger than {} bytes",
                    self.config.max_response_bytes
                )),
                other => transport_error(other),
            })?;
        Ok(Answer {
            status,
            error_type_header,
            body: Zeroizing::new(body),
        })
    }
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

fn is_retryable(answer: &Answer) -> bool {
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

fn service_error(answer: &Answer) -> KmsError {
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

fn transport_error(e: ureq::Error) -> KmsError {
    let mut error = KmsError::transport(e.to_string());
    if matches!(e, ureq::Error::Timeout(_)) {
        error.code = "Timeout".to_owned();
    }
    error
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    // Without randomness the backoff is simply its ceiling.
    if getrandom::getrandom(&mut bytes).is_err() {
        return u32::MAX;
    }
    u32::from_ne_bytes(bytes)
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

/// A future doing blocking work `f` when first polled.
fn ready<'a, T: 'a>(f: impl FnOnce() -> T + 'a) -> LocalBoxFuture<'a, T> {
    Box::pin(async move { f() })
}

impl KmsClient for KmsHttpClient {
    fn region(&self) -> &str {
        &self.config.region
    }

    fn generate_data_key<'a>(
        &'a self,
        request: GenerateDataKeyRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<GeneratedDataKey, KmsError>> {
        ready(move || {
            let wire = ops::GenerateDataKeyRequest {
                key_id: request.key_id.to_owned(),
                encryption_context: context(request.encryption_context),
                number_of_bytes: Some(i32::from(request.number_of_bytes)),
                grant_tokens: grant_tokens(request.grant_tokens),
                ..Default::default()
            };
            let mut response: ops::GenerateDataKeyResponse = self.call("GenerateDataKey", &wire)?;
            Ok(GeneratedDataKey {
                key_id: std::mem::take(&mut response.key_id),
                plaintext: Zeroizing::new(response.plaintext.take()),
                ciphertext_blob: response.ciphertext_blob.take(),
            })
        })
    }

    fn encrypt<'a>(
        &'a self,
        request: EncryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<EncryptResponse, KmsError>> {
        ready(move || {
            let wire = ops::EncryptRequest {
                key_id: request.key_id.to_owned(),
                plaintext: Some(request.plaintext.into()),
                encryption_context: context(request.encryption_context),
                grant_tokens: grant_tokens(request.grant_tokens),
                encryption_algorithm: algorithm(request.encryption_algorithm)?,
                ..Default::default()
            };
            let mut response: ops::EncryptResponse = self.call("Encrypt", &wire)?;
            Ok(EncryptResponse {
                key_id: std::mem::take(&mut response.key_id),
                ciphertext_blob: response.ciphertext_blob.take(),
            })
        })
    }

    fn decrypt<'a>(
        &'a self,
        request: DecryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<DecryptResponse, KmsError>> {
        ready(move || {
            let wire = ops::DecryptRequest {
                ciphertext_blob: Some(request.ciphertext.into()),
                encryption_context: context(request.encryption_context),
                grant_tokens: grant_tokens(request.grant_tokens),
                key_id: Some(request.key_id.to_owned()),
                encryption_algorithm: algorithm(request.encryption_algorithm)?,
                ..Default::default()
            };
            let mut response: ops::DecryptResponse = self.call("Decrypt", &wire)?;
            Ok(DecryptResponse {
                key_id: std::mem::take(&mut response.key_id),
                plaintext: Zeroizing::new(response.plaintext.take()),
            })
        })
    }

    fn get_public_key<'a>(
        &'a self,
        key_id: &'a str,
        grant_tokens_in: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>> {
        ready(move || {
            let wire = ops::GetPublicKeyRequest {
                key_id: key_id.to_owned(),
                grant_tokens: grant_tokens(grant_tokens_in),
            };
            let mut response: ops::GetPublicKeyResponse = self.call("GetPublicKey", &wire)?;
            Ok(PublicKeyResponse {
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
            })
        })
    }
}
