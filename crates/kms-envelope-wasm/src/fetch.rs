//! A [`KmsClient`] over `globalThis.fetch`: SigV4-signed AWS JSON 1.1
//! requests (the same bytes as the native client, through
//! `kms_client::wire`), bounded retries with exponential backoff and full
//! jitter, a timeout per attempt through `AbortController`, and a bounded
//! response size. Never `window`: it runs in Workers, Deno and Node too.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use kms_client::RetryPolicy;
use kms_client::wire::{self, Answer, WireRequest};
use kms_envelope::LocalBoxFuture;
use kms_envelope::kms::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsClient, KmsClientSupplier, KmsError, KmsErrorKind, PublicKeyResponse,
};
use kms_protocol::sigv4::Credentials;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use crate::js;

/// Where credentials come from: fixed values, or a JavaScript function
/// (possibly async) called before each request, for short-lived ones.
#[derive(Clone)]
pub enum CredentialSource {
    /// Fixed credentials.
    Static(Rc<Credentials>),
    /// `() => Credentials | Promise<Credentials>`.
    Provider(Function),
}

impl CredentialSource {
    /// Reads `{accessKeyId, secretAccessKey, sessionToken?}` or a function.
    pub fn from_js(value: &JsValue) -> Result<Self, JsValue> {
        if let Some(f) = value.dyn_ref::<Function>() {
            return Ok(CredentialSource::Provider(f.clone()));
        }
        parse_credentials(value).map(|c| CredentialSource::Static(Rc::new(c)))
    }

    async fn get(&self) -> Result<Rc<Credentials>, KmsError> {
        match self {
            CredentialSource::Static(c) => Ok(Rc::clone(c)),
            CredentialSource::Provider(f) => {
                let value = f.call0(&JsValue::UNDEFINED).map_err(|e| {
                    KmsError::client(format!("credential provider threw: {}", describe(&e)))
                })?;
                let value = if value.is_instance_of::<Promise>() {
                    JsFuture::from(Promise::from(value)).await.map_err(|e| {
                        KmsError::client(format!("credential provider rejected: {}", describe(&e)))
                    })?
                } else {
                    value
                };
                parse_credentials(&value)
                    .map(Rc::new)
                    .map_err(|e| KmsError::client(describe(&e)))
            }
        }
    }
}

fn parse_credentials(value: &JsValue) -> Result<Credentials, JsValue> {
    let id = js::required_string(value, "accessKeyId")?;
    let secret = js::required_string(value, "secretAccessKey")?;
    let token = js::string(value, "sessionToken")?;
    Ok(Credentials::new(id, secret, token))
}

/// The text of a thrown JavaScript value.
pub fn describe(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Settings shared by the clients of every region.
#[derive(Clone)]
pub struct FetchSettings {
    /// A custom endpoint (kms-server, a proxy) used for every region; `None`
    /// for AWS's regional endpoints.
    pub endpoint: Option<String>,
    /// The credentials.
    pub credentials: CredentialSource,
    /// Milliseconds per attempt.
    pub timeout_ms: u32,
    /// Retries.
    pub retry: RetryPolicy,
    /// The largest response accepted.
    pub max_response_bytes: u32,
}

/// Counts of KMS calls, per operation, shared by a session's clients.
#[derive(Default, Debug)]
pub struct CallCounts {
    /// GenerateDataKey calls.
    pub generate_data_key: Cell<u64>,
    /// Encrypt calls.
    pub encrypt: Cell<u64>,
    /// Decrypt calls.
    pub decrypt: Cell<u64>,
    /// GetPublicKey calls.
    pub get_public_key: Cell<u64>,
    /// HTTP attempts beyond the first of a call.
    pub retries: Cell<u64>,
}

/// Adds one to a counter.
pub(crate) fn bump(cell: &Cell<u64>) {
    cell.set(cell.get().saturating_add(1));
}

/// A KMS client for one region.
pub struct FetchKmsClient {
    settings: Rc<FetchSettings>,
    region: String,
    url: String,
    host: String,
    path: String,
    counts: Rc<CallCounts>,
}

impl FetchKmsClient {
    /// A client for `region` with `settings`.
    pub fn new(
        settings: Rc<FetchSettings>,
        region: &str,
        counts: Rc<CallCounts>,
    ) -> Result<Self, KmsError> {
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(KmsError::client(format!("invalid AWS region {region:?}")));
        }
        let endpoint = settings
            .endpoint
            .clone()
            .unwrap_or_else(|| kms_client::aws_endpoint(region));
        let (scheme, rest) = endpoint
            .split_once("://")
            .filter(|(s, _)| *s == "http" || *s == "https")
            .ok_or_else(|| KmsError::client(format!("invalid KMS endpoint {endpoint:?}")))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if host.is_empty() || host.contains('@') || path.contains('?') || path.contains('#') {
            return Err(KmsError::client(format!(
                "invalid KMS endpoint {endpoint:?}"
            )));
        }
        // Browsers send no default port in Host; sign what they send.
        let host = match (scheme, host.rsplit_once(':')) {
            ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_owned(),
            _ => host.to_owned(),
        };
        Ok(FetchKmsClient {
            url: format!("{scheme}://{host}{path}"),
            host,
            path: path.to_owned(),
            region: region.to_owned(),
            settings,
            counts,
        })
    }

    /// Sends `request` with retries; the last answer.
    async fn send(&self, request: &WireRequest) -> Result<Answer, KmsError> {
        let (operation, body) = (request.operation, &request.body[..]);
        let attempts = self.settings.retry.max_attempts.max(1);
        let mut retry = 0;
        loop {
            let result = self.send_once(operation, body).await;
            let retryable = match &result {
                Err(e) => e.kind == KmsErrorKind::Transport,
                Ok(answer) => wire::is_retryable(answer),
            };
            if !retryable || retry + 1 >= attempts {
                return result;
            }
            let delay = self.settings.retry.jittered_delay(retry);
            sleep(u32::try_from(delay.as_millis()).unwrap_or(u32::MAX)).await;
            bump(&self.counts.retries);
            retry += 1;
        }
    }

    async fn send_once(&self, operation: &str, body: &[u8]) -> Result<Answer, KmsError> {
        let credentials = self.settings.credentials.get().await?;
        // Whole seconds since the epoch; Date.now() is never negative here.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let now = (js::now_millis() / 1000.0) as u64;
        let headers = wire::signed_headers(
            &self.host,
            &self.path,
            operation,
            body,
            &credentials,
            &self.region,
            now,
        )?;
        let js_headers = Object::new();
        for (name, value) in &headers {
            // Host is a forbidden header name: fetch sends the URL's.
            if name != "host" {
                js::set(&js_headers, name, &JsValue::from_str(value));
            }
        }
        let init = Object::new();
        js::set(&init, "method", &"POST".into());
        js::set(&init, "headers", &js_headers);
        js::set(&init, "body", &Uint8Array::from(body));
        // KMS never redirects; "manual" surfaces one as a failed status
        // ("error" and the `credentials` member are refused by Workers).
        js::set(&init, "redirect", &"manual".into());
        let global = js::global();
        let (controller, timer) = abort_after(&global, self.settings.timeout_ms);
        if let Some(c) = &controller
            && let Ok(signal) = Reflect::get(c, &"signal".into())
        {
            js::set(&init, "signal", &signal);
        }
        let result = self.fetch(&global, &init).await;
        clear_timer(&global, timer);
        result
    }

    async fn fetch(&self, global: &Object, init: &Object) -> Result<Answer, KmsError> {
        let fetch = Reflect::get(global, &"fetch".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| KmsError::client("globalThis.fetch is not available"))?;
        let promise = fetch
            .call2(global, &JsValue::from_str(&self.url), init)
            .map_err(|e| KmsError::transport(describe(&e)))?;
        let response = JsFuture::from(Promise::from(promise))
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = Reflect::get(&response, &"status".into())
            .ok()
            .and_then(|s| s.as_f64())
            .ok_or_else(|| KmsError::malformed("fetch returned no status"))?;
        let headers = Reflect::get(&response, &"headers".into()).unwrap_or(JsValue::UNDEFINED);
        let header = |name: &str| -> Option<String> {
            let get = Reflect::get(&headers, &"get".into())
                .ok()?
                .dyn_into::<Function>()
                .ok()?;
            get.call1(&headers, &JsValue::from_str(name))
                .ok()?
                .as_string()
        };
        let max = self.settings.max_response_bytes;
        if let Some(len) = header("content-length").and_then(|l| l.trim().parse::<u64>().ok())
            && len > u64::from(max)
        {
            return Err(KmsError::malformed(format!(
                "response larger than {max} bytes"
            )));
        }
        let error_type_header = header("x-amzn-errortype");
        let array_buffer = Reflect::get(&response, &"arrayBuffer".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| KmsError::malformed("fetch response has no body"))?;
        let buffer = array_buffer
            .call0(&response)
            .map_err(|e| transport_failure(&e))?;
        let buffer = JsFuture::from(Promise::from(buffer))
            .await
            .map_err(|e| transport_failure(&e))?;
        let bytes = Uint8Array::new(&buffer);
        if bytes.length() > max {
            return Err(KmsError::malformed(format!(
                "response larger than {max} bytes"
            )));
        }
        // HTTP statuses fit in u16.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(Answer {
            status: status as u16,
            error_type_header,
            body: Zeroizing::new(bytes.to_vec()),
        })
    }
}

fn transport_failure(e: &JsValue) -> KmsError {
    let name = Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    let mut error = KmsError::transport(describe(e));
    if name.as_deref() == Some("AbortError") || name.as_deref() == Some("TimeoutError") {
        error.code = "Timeout".to_owned();
        error.message = "the KMS request timed out".to_owned();
    }
    error
}

/// An `AbortController` aborted after `ms`, and the timer to clear.
fn abort_after(global: &Object, ms: u32) -> (Option<JsValue>, Option<JsValue>) {
    let Some(ctor) = Reflect::get(global, &"AbortController".into())
        .ok()
        .and_then(|c| c.dyn_into::<Function>().ok())
    else {
        return (None, None);
    };
    let Ok(controller) = Reflect::construct(&ctor, &js_sys::Array::new()) else {
        return (None, None);
    };
    let abort = Reflect::get(&controller, &"abort".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .map(|f| f.bind0(&controller));
    let timer = abort.and_then(|abort| set_timeout(global, &abort, ms));
    (Some(controller), timer)
}

fn set_timeout(global: &Object, f: &Function, ms: u32) -> Option<JsValue> {
    let set = Reflect::get(global, &"setTimeout".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    set.call2(global, f, &JsValue::from(ms)).ok()
}

fn clear_timer(global: &Object, timer: Option<JsValue>) {
    if let (Some(timer), Some(clear)) = (
        timer,
        Reflect::get(global, &"clearTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok()),
    ) {
        let _ = clear.call1(global, &timer);
    }
}

/// Resolves after `ms` milliseconds (at once if there is no timer).
async fn sleep(ms: u32) {
    let global = js::global();
    let promise = Promise::new(&mut |resolve, _reject| {
        if set_timeout(&global, &resolve, ms).is_none() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

impl KmsClient for FetchKmsClient {
    fn region(&self) -> &str {
        &self.region
    }

    fn generate_data_key<'a>(
        &'a self,
        request: GenerateDataKeyRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<GeneratedDataKey, KmsError>> {
        Box::pin(async move {
            bump(&self.counts.generate_data_key);
            let request = wire::generate_data_key_request(&request);
            wire::generated_data_key(&self.send(&request).await?)
        })
    }

    fn encrypt<'a>(
        &'a self,
        request: EncryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<EncryptResponse, KmsError>> {
        Box::pin(async move {
            bump(&self.counts.encrypt);
            let request = wire::encrypt_request(&request)?;
            wire::encrypt_response(&self.send(&request).await?)
        })
    }

    fn decrypt<'a>(
        &'a self,
        request: DecryptRequest<'a>,
    ) -> LocalBoxFuture<'a, Result<DecryptResponse, KmsError>> {
        Box::pin(async move {
            bump(&self.counts.decrypt);
            let request = wire::decrypt_request(&request)?;
            wire::decrypt_response(&self.send(&request).await?)
        })
    }

    #[cfg(any(feature = "verify", feature = "rsa"))]
    fn get_public_key<'a>(
        &'a self,
        key_id: &'a str,
        grant_tokens: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>> {
        Box::pin(async move {
            bump(&self.counts.get_public_key);
            let request = wire::get_public_key_request(key_id, grant_tokens);
            wire::public_key_response(&self.send(&request).await?)
        })
    }

    /// Only `verify` and the KMS RSA keyring call GetPublicKey, and this
    /// build has neither: leaving the call out keeps its request and
    /// response code out of the minimal .wasm.
    #[cfg(not(any(feature = "verify", feature = "rsa")))]
    fn get_public_key<'a>(
        &'a self,
        _key_id: &'a str,
        _grant_tokens: &'a [String],
    ) -> LocalBoxFuture<'a, Result<PublicKeyResponse, KmsError>> {
        Box::pin(async {
            Err(KmsError::client(
                "GetPublicKey is not in this build (no `verify` or `rsa` feature)",
            ))
        })
    }
}

/// Clients for every region from one set of settings, made once per region.
pub struct FetchClients {
    settings: Rc<FetchSettings>,
    default_region: String,
    counts: Rc<CallCounts>,
    clients: std::cell::RefCell<Vec<Rc<FetchKmsClient>>>,
}

impl FetchClients {
    /// Clients with `settings`, `default_region` for key ids and aliases.
    pub fn new(settings: FetchSettings, default_region: String) -> Self {
        FetchClients {
            settings: Rc::new(settings),
            default_region,
            counts: Rc::new(CallCounts::default()),
            clients: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// The call counters.
    pub fn counts(&self) -> &CallCounts {
        &self.counts
    }

    /// The client of `region` (`None`: the default region).
    pub fn get(&self, region: Option<&str>) -> Result<Rc<FetchKmsClient>, KmsError> {
        let region = region.unwrap_or(&self.default_region);
        if let Some(c) = self.clients.borrow().iter().find(|c| c.region == region) {
            return Ok(Rc::clone(c));
        }
        let client = Rc::new(FetchKmsClient::new(
            Rc::clone(&self.settings),
            region,
            Rc::clone(&self.counts),
        )?);
        self.clients.borrow_mut().push(Rc::clone(&client));
        Ok(client)
    }
}

impl KmsClientSupplier for FetchClients {
    fn client(&self, region: Option<&str>) -> Result<Rc<dyn KmsClient>, kms_envelope::Error> {
        self.get(region)
            .map(|c| c as Rc<dyn KmsClient>)
            .map_err(|_| {
                kms_envelope::Error::InvalidArgument(
                    "cannot make a KMS client for the region of a key ARN (invalid region)",
                )
            })
    }
}
