//! `Session`: a KMS client, a keyring and the caches, with the operations.

use std::cell::Cell;
#[cfg(feature = "verify")]
use std::cell::RefCell;
#[cfg(feature = "verify")]
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Object, Promise};
use kms_client::RetryPolicy;
use kms_envelope::cmm::{CachingMaterialsManager, DefaultMaterialsManager, MaterialsManager};
use kms_envelope::format::Header;
use kms_envelope::{
    AlgorithmSuiteId, CommitmentPolicy, DecryptOptions, EncryptOptions, EncryptionContext,
};
use wasm_bindgen::prelude::*;

use crate::error::{JsResult, invalid, to_js};
use crate::fetch::{CredentialSource, FetchClients, FetchSettings};
use crate::secret::SecretBytes;
use crate::{js, keyrings, native_sig, stream, webcrypto};

/// The default number of data keys a session cache holds.
const DEFAULT_CACHE_CAPACITY: u64 = 100;
/// The default age limit of a cached data key.
const DEFAULT_CACHE_MAX_AGE_MS: u64 = 5 * 60 * 1000;

/// What a session holds; shared by the promises it hands out.
pub(crate) struct Inner {
    pub(crate) clients: Option<FetchClients>,
    pub(crate) manager: Rc<dyn MaterialsManager>,
    pub(crate) cache: Option<Rc<CachingMaterialsManager>>,
    pub(crate) encrypt_defaults: EncryptOptions,
    pub(crate) decrypt_defaults: DecryptOptions,
    #[cfg(feature = "verify")]
    pub(crate) public_keys: RefCell<HashMap<String, Rc<kms_envelope::verify::PublicKey>>>,
    pub(crate) public_key_hits: Cell<u64>,
    pub(crate) public_key_misses: Cell<u64>,
    /// The runtime's own AES-GCMs.
    pub(crate) platform: webcrypto::Platform,
}

/// A session: one KMS configuration, one keyring, one data-key cache and
/// one public-key cache. Create it once and reuse it; it keeps working
/// after any error.
#[wasm_bindgen]
pub struct Session {
    inner: Rc<Inner>,
}

fn suite_from_js(options: &JsValue) -> JsResult<Option<AlgorithmSuiteId>> {
    match js::get(options, "suite") {
        None => Ok(None),
        Some(v) => {
            let id = if let Some(n) = v.as_f64() {
                u16::try_from(n as i64).map_err(|_| invalid("unknown algorithm suite"))?
            } else {
                let s = v.as_string().unwrap_or_default();
                u16::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16)
                    .map_err(|_| {
                        invalid("`suite` must be a suite id such as 0x0478 or \"0x0478\"")
                    })?
            };
            AlgorithmSuiteId::from_u16(id).map(Some).map_err(to_js)
        }
    }
}

fn policy_from_js(options: &JsValue) -> JsResult<Option<CommitmentPolicy>> {
    js::string(options, "commitmentPolicy")?
        .map(|p| {
            p.parse::<CommitmentPolicy>().map_err(|_| {
                invalid(
                    "`commitmentPolicy` must be REQUIRE_ENCRYPT_REQUIRE_DECRYPT, \
                     REQUIRE_ENCRYPT_ALLOW_DECRYPT or FORBID_ENCRYPT_ALLOW_DECRYPT",
                )
            })
        })
        .transpose()
}

fn u16_option(options: &JsValue, name: &str) -> JsResult<Option<u16>> {
    Ok(js::integer(options, name, u64::from(u16::MAX))?.map(|n| n as u16))
}

/// Reads encrypt options over `defaults`.
pub(crate) fn encrypt_options(
    defaults: &EncryptOptions,
    options: &JsValue,
) -> JsResult<EncryptOptions> {
    let mut o = defaults.clone();
    if let Some(suite) = suite_from_js(options)? {
        o.suite = Some(suite);
    }
    if let Some(p) = policy_from_js(options)? {
        o.commitment_policy = p;
    }
    if let Some(f) = js::integer(options, "frameLength", u64::from(u32::MAX))? {
        o.frame_length = f as u32;
    }
    if let Some(m) = u16_option(options, "maxEncryptedDataKeys")? {
        o.max_encrypted_data_keys = Some(m);
    }
    if let Some(n) = js::integer(options, "plaintextLength", u64::MAX >> 11)? {
        o.plaintext_length_bound = Some(n);
    }
    Ok(o)
}

/// Reads decrypt options over `defaults`.
pub(crate) fn decrypt_options(
    defaults: &DecryptOptions,
    options: &JsValue,
) -> JsResult<DecryptOptions> {
    let mut o = defaults.clone();
    if let Some(p) = policy_from_js(options)? {
        o.commitment_policy = p;
    }
    if let Some(m) = u16_option(options, "maxEncryptedDataKeys")? {
        o.max_encrypted_data_keys = Some(m);
    }
    if let Some(m) = js::integer(options, "maxBodySize", u64::MAX >> 11)? {
        o.max_body_size = Some(m);
    }
    if let Some(ctx) = js::context(options, "encryptionContext")? {
        o.reproduced_encryption_context = Some(ctx);
    }
    Ok(o)
}

/// The key ids of a header's encrypted data keys: KMS key ARNs for `aws-kms`
/// keys, `namespace/name` for raw keys.
pub(crate) fn key_ids(header: &Header) -> js_sys::Array {
    header
        .encrypted_data_keys()
        .iter()
        .map(|edk| {
            let info = String::from_utf8_lossy(&edk.provider_info);
            if edk.provider_id == kms_envelope::keyring::AWS_KMS_PROVIDER_ID
                || edk.provider_id == kms_envelope::kms::AWS_KMS_RSA_PROVIDER_ID
            {
                JsValue::from_str(&info)
            } else {
                // Raw keyrings append binary parameters to the key name.
                let name: String = info.chars().take_while(|c| !c.is_control()).collect();
                JsValue::from_str(&format!(
                    "{}/{}",
                    edk.provider_id,
                    name.trim_end_matches('\u{fffd}')
                ))
            }
        })
        .collect()
}

/// `{ encryptionContext, algorithmSuite, keyIds }` plus `bytes` under `field`.
/// `keyIds` is the wrapping key that decrypted the data key when given (a
/// decryption), else every wrapping key of the message (an encryption).
fn result_object(
    field: &str,
    bytes: &js_sys::Uint8Array,
    context: &EncryptionContext,
    header: &Header,
    decrypted_with: Option<&str>,
) -> Object {
    let out = Object::new();
    js::set(&out, field, bytes);
    js::set(&out, "encryptionContext", &js::context_object(context));
    js::set(
        &out,
        "algorithmSuite",
        &suite_name(header.suite().id).into(),
    );
    let ids = match decrypted_with {
        Some(id) => std::iter::once(JsValue::from_str(id)).collect(),
        None => key_ids(header),
    };
    js::set(&out, "keyIds", &ids);
    out
}

/// `0x0478`-style suite name.
pub(crate) fn suite_name(id: AlgorithmSuiteId) -> String {
    format!("0x{:04X}", id.as_u16())
}

#[wasm_bindgen]
impl Session {
    /// A session from `{ keyring, region?, endpoint?, credentials?,
    /// cache?, suite?, frameLength?, commitmentPolicy?,
    /// maxEncryptedDataKeys?, timeoutMs?, maxAttempts? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SessionConfig")] config: JsValue,
    ) -> JsResult<Session> {
        if !config.is_object() {
            return Err(invalid("the session configuration must be an object"));
        }
        let clients = match (
            js::string(&config, "region")?,
            js::get(&config, "credentials"),
        ) {
            (Some(region), Some(credentials)) => {
                let retry = RetryPolicy {
                    max_attempts: js::integer(&config, "maxAttempts", 10)?.unwrap_or(3) as u32,
                    base_delay: Duration::from_millis(
                        js::integer(&config, "retryBaseDelayMs", 60_000)?.unwrap_or(100),
                    ),
                    max_delay: Duration::from_secs(20),
                };
                Some(FetchClients::new(
                    FetchSettings {
                        endpoint: js::string(&config, "endpoint")?,
                        credentials: CredentialSource::from_js(&credentials)?,
                        timeout_ms: js::integer(&config, "timeoutMs", 600_000)?.unwrap_or(10_000)
                            as u32,
                        retry,
                        max_response_bytes: 1024 * 1024,
                    },
                    region,
                ))
            }
            (None, None) => None,
            _ => {
                return Err(invalid("KMS access needs both `region` and `credentials`"));
            }
        };
        if let (Some(clients), Some(endpoint)) = (&clients, js::string(&config, "endpoint")?) {
            // Fail now, not on the first call, for a malformed endpoint.
            clients
                .get(None)
                .map_err(|_| invalid(&format!("invalid `endpoint` {endpoint:?}")))?;
        }
        let keyring_config =
            js::get(&config, "keyring").ok_or_else(|| invalid("`keyring` is required"))?;
        let keyring = keyrings::build(&keyring_config, clients.as_ref())?;
        let cache_config = js::get(&config, "cache").filter(|c| c.as_bool() != Some(false));
        let default = DefaultMaterialsManager::new(keyring);
        // Without ECDSA no suite needs signature keys: none are installed,
        // and their code is not in the build.
        #[cfg(feature = "ecdsa")]
        let default = default.with_signature_keys(native_sig::NativeSignatureKeys {
            single_use: cache_config.is_none(),
        });
        let default: Rc<dyn MaterialsManager> = Rc::new(default);
        let (manager, cache) = match cache_config {
            Some(c) => {
                let max_age =
                    js::integer(&c, "maxAgeMs", 1 << 40)?.unwrap_or(DEFAULT_CACHE_MAX_AGE_MS);
                let mut builder = CachingMaterialsManager::builder(
                    Box::new(Rc::clone(&default)),
                    || js::now_millis() as u64,
                    Duration::from_millis(max_age),
                )
                .capacity(
                    js::integer(&c, "capacity", 1 << 20)?.unwrap_or(DEFAULT_CACHE_CAPACITY)
                        as usize,
                );
                if let Some(m) = js::integer(&c, "maxMessages", 1 << 32)? {
                    builder = builder.max_messages(m);
                }
                if let Some(b) = js::integer(&c, "maxBytes", u64::MAX >> 11)? {
                    builder = builder.max_bytes(b);
                }
                if let Some(p) = js::string(&c, "partitionId")? {
                    builder = builder.partition_id(p);
                }
                let cache = Rc::new(builder.build().map_err(to_js)?);
                (Rc::clone(&cache) as Rc<dyn MaterialsManager>, Some(cache))
            }
            None => (default, None),
        };
        let encrypt_defaults = encrypt_options(&EncryptOptions::default(), &config)?;
        let mut decrypt_defaults = decrypt_options(&DecryptOptions::default(), &config)?;
        decrypt_defaults.reproduced_encryption_context = None;
        Ok(Session {
            inner: Rc::new(Inner {
                clients,
                manager,
                cache,
                encrypt_defaults,
                decrypt_defaults,
                #[cfg(feature = "verify")]
                public_keys: RefCell::new(HashMap::new()),
                public_key_hits: Cell::new(0),
                public_key_misses: Cell::new(0),
                platform: webcrypto::Platform::detect(),
            }),
        })
    }

    /// Encrypts `plaintext` (Uint8Array or any ArrayBuffer view, ArrayBuffer,
    /// or string) with `{ encryptionContext?, suite?, frameLength?, ... }`;
    /// resolves to `{ ciphertext, encryptionContext, algorithmSuite, keyIds }`.
    /// The runtime's AES-GCM reads the frames from the array itself, while
    /// the promise is pending: do not write to it until it settles.
    #[wasm_bindgen(unchecked_return_type = "Promise<EncryptResult>")]
    pub fn encrypt(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ArrayBufferView | ArrayBuffer | string")] plaintext: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "EncryptOptions")] options: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        // Read now, not when the task first runs: an array transferred
        // meanwhile must not be encrypted as an empty message.
        let plaintext = js::Input::read(&plaintext, "plaintext");
        let eager = !inner
            .platform
            .webcrypto_one_shot(plaintext.as_ref().map_or(0, js::Input::len));
        js::promise(eager, async move {
            let plaintext = plaintext?;
            let opts = encrypt_options(&inner.encrypt_defaults, &options)?;
            let context = js::context(&options, "encryptionContext")?.unwrap_or_default();
            let encryptor = native_sig::one_shot_encryptor(
                inner.manager.as_ref(),
                plaintext.len(),
                &context,
                &opts,
            )
            .await?;
            let context = encryptor.encryption_context().clone();
            let header = encryptor.header().clone();
            let capacity = encryptor.ciphertext_length_hint(plaintext.len());
            let platform = inner.platform.one_shot(plaintext.len());
            let driver =
                webcrypto::EncryptDriver::new(encryptor, platform.then_some(&inner.platform))
                    .await?;
            let ciphertext = if platform {
                plaintext
                    .with_array(|array| async move { driver.encrypt_whole(&array).await })
                    .await?
            } else {
                let plaintext = plaintext.into_bytes()?;
                let mut out = Vec::with_capacity(capacity);
                let mut driver = driver;
                driver.update(&plaintext, &mut out).await?;
                driver.finish(&mut out).await?;
                js::uint8array(&out)
            };
            Ok(result_object("ciphertext", &ciphertext, &context, &header, None).into())
        })
    }

    /// Decrypts a whole message with `{ encryptionContext?, ... }` (each pair
    /// given must be in the message); resolves to `{ plaintext,
    /// encryptionContext, algorithmSuite, keyIds }`. As with `encrypt`, the
    /// array is read while the promise is pending: do not write to it until
    /// it settles.
    #[wasm_bindgen(unchecked_return_type = "Promise<DecryptResult>")]
    pub fn decrypt(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ArrayBufferView | ArrayBuffer")] ciphertext: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DecryptOptions")] options: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        // Read now, not when the task first runs. The caller's array is
        // kept for the platform to open frames in place; the copy is what
        // the core parses and the signature covers.
        let view = js::platform_view(&ciphertext);
        let ciphertext = js::to_bytes(&ciphertext, "ciphertext");
        let eager = !inner
            .platform
            .webcrypto_one_shot(ciphertext.as_ref().map_or(0, Vec::len));
        js::promise(eager, async move {
            let ciphertext = ciphertext?;
            let opts = decrypt_options(&inner.decrypt_defaults, &options)?;
            let (body, rest) =
                native_sig::one_shot_decryptor(inner.manager.as_ref(), &ciphertext, opts).await?;
            let context = body.encryption_context().clone();
            let header = body.header().clone();
            let decrypted_with = body.wrapping_key_id().map(str::to_owned);
            let plaintext = if inner.platform.one_shot(ciphertext.len()) {
                // A caller's array transferred since the call: the copy
                // serves.
                let view = view.filter(|v| v.length() as usize == ciphertext.len());
                webcrypto::DecryptDriver::new(body, Some(&inner.platform))
                    .await?
                    .decrypt_whole(&ciphertext, rest, view.as_ref())
                    .await?
            } else {
                let plaintext = native_sig::decrypt_body(body, &ciphertext, rest).await?;
                js::uint8array(&SecretBytes::new(plaintext))
            };
            Ok(result_object(
                "plaintext",
                &plaintext,
                &context,
                &header,
                decrypted_with.as_deref(),
            )
            .into())
        })
    }

    /// Encrypts a ReadableStream of Uint8Array chunks into a ReadableStream
    /// of message bytes, one frame in memory at a time. Resolves once data
    /// key materials are ready (KMS errors reject here).
    #[wasm_bindgen(js_name = encryptStream, unchecked_return_type = "Promise<ReadableStream<Uint8Array>>")]
    pub fn encrypt_stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ReadableStream<Uint8Array>")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "EncryptStreamOptions")] options: JsValue,
    ) -> Promise {
        stream::encrypt_stream(Rc::clone(&self.inner), input, options)
    }

    /// Decrypts a ReadableStream of message bytes into a ReadableStream of
    /// plaintext. Unsigned suites release each frame once it authenticates;
    /// signed suites release nothing before the signature verifies.
    #[wasm_bindgen(js_name = decryptStream, unchecked_return_type = "ReadableStream<Uint8Array>")]
    pub fn decrypt_stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ReadableStream<Uint8Array>")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DecryptStreamOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        stream::decrypt_stream(Rc::clone(&self.inner), input, options)
    }

    /// Verifies a KMS signature: `{ keyId, message, signature,
    /// signingAlgorithm, messageType?: "RAW" | "DIGEST", publicKey? }`.
    /// The public key comes from GetPublicKey once per key per session
    /// (or from `publicKey`, DER). Resolves to `{ valid, keyId }`.
    #[cfg(feature = "verify")]
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VerifyRequest")] request: JsValue,
    ) -> Promise {
        crate::verify::verify(Rc::clone(&self.inner), request)
    }

    /// KMS calls, data-key cache and public-key cache counters.
    #[wasm_bindgen(unchecked_return_type = "SessionStats")]
    pub fn stats(&self) -> JsValue {
        let inner = &self.inner;
        let out = Object::new();
        let kms = Object::new();
        let (mut total, mut retries) = (0u64, 0u64);
        if let Some(clients) = &inner.clients {
            let c = clients.counts();
            for (name, cell) in [
                ("generateDataKey", &c.generate_data_key),
                ("encrypt", &c.encrypt),
                ("decrypt", &c.decrypt),
                ("getPublicKey", &c.get_public_key),
            ] {
                js::set(&kms, name, &(cell.get() as f64).into());
                total += cell.get();
            }
            retries = c.retries.get();
        }
        js::set(&kms, "total", &(total as f64).into());
        js::set(&kms, "retries", &(retries as f64).into());
        js::set(&out, "kmsCalls", &kms);
        let cache = match &inner.cache {
            None => JsValue::NULL,
            Some(cache) => {
                let s = cache.stats();
                let o = Object::new();
                for (name, v) in [
                    ("hits", s.hits),
                    ("misses", s.misses),
                    ("bypassed", s.bypassed),
                    ("entries", s.entries),
                    ("evictions", s.evictions),
                ] {
                    js::set(&o, name, &(v as f64).into());
                }
                o.into()
            }
        };
        js::set(&out, "dataKeyCache", &cache);
        let pk = Object::new();
        js::set(&pk, "hits", &(inner.public_key_hits.get() as f64).into());
        js::set(
            &pk,
            "misses",
            &(inner.public_key_misses.get() as f64).into(),
        );
        js::set(&out, "publicKeyCache", &pk);
        let counts = inner.platform.counts();
        let frames = Object::new();
        js::set(&frames, "nodeCrypto", &(counts.node.get() as f64).into());
        js::set(&frames, "webCrypto", &(counts.subtle.get() as f64).into());
        js::set(&out, "platformAesFrames", &frames);
        out.into()
    }

    /// Empties the data-key and public-key caches.
    #[wasm_bindgen(js_name = clearCaches)]
    pub fn clear_caches(&self) {
        if let Some(cache) = &self.inner.cache {
            cache.clear();
        }
        #[cfg(feature = "verify")]
        self.inner.public_keys.borrow_mut().clear();
    }
}

/// Parses a message header without decrypting (no KMS call): `{
/// formatVersion, algorithmSuite, messageId, encryptionContext,
/// encryptedDataKeys: [{ providerId, providerInfo, keyId, ciphertextLength }],
/// contentType, frameLength, headerLength }`. Needs only the header's bytes.
#[wasm_bindgen(unchecked_return_type = "MessageHeader")]
pub fn inspect(
    #[wasm_bindgen(unchecked_param_type = "ArrayBufferView | ArrayBuffer")] message: JsValue,
) -> JsResult<JsValue> {
    let bytes = js::to_bytes(&message, "message")?;
    let mut rest: &[u8] = &bytes;
    let reader = kms_envelope::HeaderReader::new(DecryptOptions::default());
    let parsed = match reader.read(&mut rest).map_err(to_js)? {
        kms_envelope::ReadHeader::Parsed(p) => p,
        kms_envelope::ReadHeader::NeedMore(_) => {
            return Err(to_js(kms_envelope::Error::TruncatedMessage));
        }
    };
    let header = parsed.header();
    let out = Object::new();
    js::set(&out, "formatVersion", &f64::from(header.version()).into());
    js::set(
        &out,
        "algorithmSuite",
        &suite_name(header.suite().id).into(),
    );
    let id: String = header
        .message_id()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    js::set(&out, "messageId", &id.into());
    js::set(
        &out,
        "encryptionContext",
        &js::context_object(header.encryption_context()),
    );
    let ids = key_ids(header);
    let edks: js_sys::Array = header
        .encrypted_data_keys()
        .iter()
        .enumerate()
        .map(|(i, edk)| {
            let o = Object::new();
            js::set(&o, "providerId", &edk.provider_id.as_str().into());
            js::set(&o, "providerInfo", &js::uint8array(&edk.provider_info));
            js::set(&o, "keyId", &ids.get(i as u32));
            js::set(
                &o,
                "ciphertextLength",
                &(edk.ciphertext.len() as f64).into(),
            );
            JsValue::from(o)
        })
        .collect();
    js::set(&out, "encryptedDataKeys", &edks);
    let content = match header.content_type() {
        kms_envelope::format::ContentType::Framed => "framed",
        _ => "non-framed",
    };
    js::set(&out, "contentType", &content.into());
    js::set(
        &out,
        "frameLength",
        &f64::from(header.frame_length()).into(),
    );
    js::set(
        &out,
        "headerLength",
        &((bytes.len() - rest.len()) as f64).into(),
    );
    js::set(&out, "signed", &header.suite().signature.is_some().into());
    Ok(out.into())
}
