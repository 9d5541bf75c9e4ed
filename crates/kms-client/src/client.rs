//! The HTTP client: SigV4-signed AWS JSON 1.1 requests, bounded retries,
//! per-attempt timeout, bounded responses.

use std::time::{SystemTime, UNIX_EPOCH};

use kms_envelope::LocalBoxFuture;
use kms_envelope::kms::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsClient, KmsError, KmsErrorKind, PublicKeyResponse,
};
use zeroize::Zeroizing;

use crate::config::{ClientConfig, Overrides};
use crate::error::ConfigError;
use crate::wire::{self, Answer};

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

    /// Calls any KMS operation (e.g. `CreateKey`) with a JSON request body,
    /// with the client's signing, retries and limits; the JSON body of the
    /// response (wiped on drop), or the service error the answer carries.
    ///
    /// The client does not parse it: with the serde types of
    /// `kms_protocol::ops`, `serde_json::from_slice` does.
    pub fn call(&self, operation: &str, body: &[u8]) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let answer = self.send_with_retries(operation, body)?;
        wire::success_body(&answer)?;
        Ok(answer.body)
    }

    /// Sends `request` with retries; the last answer.
    fn send(&self, request: &wire::WireRequest) -> Result<Answer, KmsError> {
        self.send_with_retries(request.operation, &request.body)
    }

    fn send_with_retries(&self, operation: &str, body: &[u8]) -> Result<Answer, KmsError> {
        let attempts = self.config.retry.max_attempts.max(1);
        let mut retry = 0;
        loop {
            let result = self.send_once(operation, body);
            let retryable = match &result {
                Err(e) => e.kind == KmsErrorKind::Transport,
                Ok(answer) => wire::is_retryable(answer),
            };
            if !retryable || retry + 1 >= attempts {
                return result;
            }
            std::thread::sleep(self.config.retry.jittered_delay(retry));
            retry += 1;
        }
    }

    fn send_once(&self, operation: &str, body: &[u8]) -> Result<Answer, KmsError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| KmsError::client("the system clock is before 1970"))?
            .as_secs();
        let headers = wire::signed_headers(
            &self.host,
            &self.path,
            operation,
            body,
            &self.config.credentials,
            &self.config.region,
            now,
        )?;
        let mut builder = self.agent.post(&self.url);
        for (name, value) in &headers {
            builder = builder.header(name.as_str(), value.as_str());
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

fn transport_error(e: ureq::Error) -> KmsError {
    let mut error = KmsError::transport(e.to_string());
    if matches!(e, ureq::Error::Timeout(_)) {
        error.code = "Timeout".to_owned();
    }
    error
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
            wire::generated_data_key(&self.send(&wire::generate_data_key_request(&request))?)
        })
    }

    fn encrypt<'a>(
        &'a self,
        request: EncryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<EncryptResponse, KmsError>> {
        ready(move || wire::encrypt_response(&self.send(&wire::encrypt_request(&request)?)?))
    }

    fn decrypt<'a>(
        &'a self,
        request: DecryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<DecryptResponse, KmsError>> {
        ready(move || wire::decrypt_response(&self.send(&wire::decrypt_request(&request)?)?))
    }

    fn get_public_key<'a>(
        &'a self,
        key_id: &'a str,
        grant_tokens: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>> {
        ready(move || {
            let request = wire::get_public_key_request(key_id, grant_tokens);
            wire::public_key_response(&self.send(&request)?)
        })
    }
}
