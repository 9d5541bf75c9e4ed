//! The bindings in a JavaScript engine (Node by default; headless Chromium
//! with WASM_BINDGEN_USE_BROWSER=1), against a fake KMS behind a stubbed
//! `fetch` (tests/fake_kms.js). pkg-tests/ runs the packed package against
//! a real kms-server.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use kms_envelope_wasm::{Session, inspect, sm2_digest};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

/// The fake KMS's helpers, by name.
fn api() -> Object {
    thread_local! {
        static API: Object = Function::new_no_args(include_str!("fake_kms.js"))
            .call0(&JsValue::NULL)
            .unwrap()
            .into();
    }
    API.with(Clone::clone)
}

fn call(name: &str, args: &[JsValue]) -> JsValue {
    let f: Function = Reflect::get(&api(), &name.into()).unwrap().into();
    f.apply(&JsValue::NULL, &args.iter().collect::<Array>())
        .unwrap()
}

async fn call_async(name: &str, args: &[JsValue]) -> JsValue {
    JsFuture::from(Promise::from(call(name, args)))
        .await
        .unwrap()
}

fn obj(json: &str) -> JsValue {
    call("obj", &[json.into()])
}

fn get(o: &JsValue, path: &str) -> JsValue {
    call("get", &[o.clone(), path.into()])
}

fn with_bytes(o: JsValue, path: &str, bytes: &[u8]) -> JsValue {
    call(
        "withBytes",
        &[o, path.into(), Uint8Array::from(bytes).into()],
    )
}

fn code(e: &JsValue) -> String {
    call("errorCode", std::slice::from_ref(e))
        .as_string()
        .unwrap()
}

fn bytes(v: &JsValue) -> Vec<u8> {
    Uint8Array::new(v).to_vec()
}

/// The bytes of a base64 string (the fixtures' encoding), through `atob`.
fn base64_bytes(text: &JsValue) -> Vec<u8> {
    let atob: Function = Reflect::get(&js_sys::global(), &"atob".into())
        .unwrap()
        .into();
    let binary = atob.call1(&JsValue::NULL, text).unwrap();
    binary
        .as_string()
        .unwrap()
        .chars()
        .map(|c| c as u8)
        .collect()
}

async fn ok(p: Promise) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => v,
        Err(e) => panic!("unexpected error {}: {:?}", code(&e), e),
    }
}

async fn err(p: Promise) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            assert_eq!(
                call("errorName", std::slice::from_ref(&e))
                    .as_string()
                    .unwrap(),
                "KmsEnvelopeError"
            );
            e
        }
    }
}

fn raw_aes_session(extra: &str) -> Session {
    let config = obj(&format!(
        r#"{{"keyring": {{"type": "raw-aes", "keyNamespace": "ns", "keyName": "k1"}}{extra}}}"#
    ));
    let config = with_bytes(config, "keyring.wrappingKey", &[7u8; 32]);
    Session::new(config).unwrap()
}

fn kms_session(keyring: &str, extra: &str) -> Session {
    call("installFakeKms", &[]);
    Session::new(obj(&format!(
        r#"{{"region": "us-east-1", "endpoint": "http://127.0.0.1:9/kms",
            "credentials": {{"accessKeyId": "AKIDTEST", "secretAccessKey": "secret"}},
            "retryBaseDelayMs": 1, "keyring": {keyring}{extra}}}"#
    )))
    .unwrap()
}

fn ctx(json: &str) -> JsValue {
    obj(&format!(r#"{{"encryptionContext": {json}}}"#))
}

#[wasm_bindgen_test]
async fn raw_aes_round_trip_reports_context_suite_and_keys() {
    let session = raw_aes_session("");
    let plaintext = b"hello from wasm".to_vec();
    let enc = ok(session.encrypt(
        Uint8Array::from(&plaintext[..]).into(),
        ctx(r#"{"tenant": "42"}"#),
    ))
    .await;
    assert_eq!(get(&enc, "algorithmSuite").as_string().unwrap(), "0x0478");
    assert_eq!(
        get(&enc, "encryptionContext.tenant").as_string().unwrap(),
        "42"
    );
    assert_eq!(get(&enc, "keyIds.0").as_string().unwrap(), "ns/k1");
    let ciphertext = get(&enc, "ciphertext");
    let dec = ok(session.decrypt(ciphertext, ctx(r#"{"tenant": "42"}"#))).await;
    assert_eq!(bytes(&get(&dec, "plaintext")), plaintext);
    assert_eq!(
        get(&dec, "encryptionContext.tenant").as_string().unwrap(),
        "42"
    );
}

#[wasm_bindgen_test]
async fn strings_encrypt_and_signed_suite_round_trips() {
    let session = raw_aes_session("");
    let enc = ok(session.encrypt(
        "text".into(),
        obj(r#"{"suite": "0x0578", "frameLength": 7}"#),
    ))
    .await;
    assert_eq!(get(&enc, "algorithmSuite").as_string().unwrap(), "0x0578");
    assert!(get(&enc, "encryptionContext.aws-crypto-public-key").is_string());
    let dec = ok(session.decrypt(get(&enc, "ciphertext"), JsValue::UNDEFINED)).await;
    assert_eq!(bytes(&get(&dec, "plaintext")), b"text");
}

#[wasm_bindgen_test]
async fn wrong_context_tamper_and_garbage_give_codes_and_the_session_keeps_working() {
    let session = raw_aes_session("");
    let enc = ok(session.encrypt("secret".into(), ctx(r#"{"a": "1"}"#))).await;
    let ciphertext = bytes(&get(&enc, "ciphertext"));

    let e = err(session.decrypt(
        Uint8Array::from(&ciphertext[..]).into(),
        ctx(r#"{"a": "2"}"#),
    ))
    .await;
    assert_eq!(code(&e), "EncryptionContextMismatch");

    for i in [ciphertext.len() - 20, ciphertext.len() - 1] {
        let mut tampered = ciphertext.clone();
        tampered[i] ^= 1;
        let e =
            err(session.decrypt(Uint8Array::from(&tampered[..]).into(), JsValue::UNDEFINED)).await;
        assert_eq!(code(&e), "InvalidCiphertext");
    }
    let garbage: [&[u8]; 4] = [
        b"",
        b"\x02\x05\x78",
        &[0xffu8; 300],
        &ciphertext[..ciphertext.len() - 5],
    ];
    for g in garbage {
        let e = err(session.decrypt(Uint8Array::from(g).into(), JsValue::UNDEFINED)).await;
        assert_eq!(code(&e), "InvalidCiphertext", "{g:?}");
    }
    let e = err(session.decrypt(JsValue::from(42), JsValue::UNDEFINED)).await;
    assert_eq!(code(&e), "InvalidArgument");

    // Still works.
    let dec =
        ok(session.decrypt(Uint8Array::from(&ciphertext[..]).into(), JsValue::UNDEFINED)).await;
    assert_eq!(bytes(&get(&dec, "plaintext")), b"secret");
}

#[wasm_bindgen_test]
fn bad_configurations_are_invalid_argument_errors() {
    for json in [
        r#"{}"#,
        r#"{"keyring": {"type": "nope"}}"#,
        r#"{"keyring": {"type": "kms", "generatorKeyId": "alias/x"}}"#,
        r#"{"keyring": {"type": "raw-aes", "keyNamespace": "n", "keyName": "k"}}"#,
        r#"{"region": "us-east-1", "keyring": {"type": "raw-aes"}}"#,
        r#"{"keyring": {"type": "multi"}}"#,
    ] {
        let e = Session::new(obj(json)).err().unwrap();
        assert_eq!(code(&e), "InvalidArgument", "{json}");
    }
    let e = Session::new(JsValue::from("x")).err().unwrap();
    assert_eq!(code(&e), "InvalidArgument");
}

#[wasm_bindgen_test]
async fn inspect_reads_the_header_without_keys() {
    let session = raw_aes_session("");
    let enc = ok(session.encrypt("x".into(), ctx(r#"{"purpose": "test"}"#))).await;
    let header = inspect(get(&enc, "ciphertext")).unwrap();
    assert_eq!(get(&header, "formatVersion").as_f64().unwrap(), 2.0);
    assert_eq!(
        get(&header, "algorithmSuite").as_string().unwrap(),
        "0x0478"
    );
    assert_eq!(
        get(&header, "encryptionContext.purpose")
            .as_string()
            .unwrap(),
        "test"
    );
    assert_eq!(
        get(&header, "encryptedDataKeys.0.providerId")
            .as_string()
            .unwrap(),
        "ns"
    );
    assert_eq!(get(&header, "contentType").as_string().unwrap(), "framed");
    assert_eq!(get(&header, "frameLength").as_f64().unwrap(), 4096.0);
    assert_eq!(
        code(
            &inspect(Uint8Array::from(&b"\x02"[..]).into())
                .err()
                .unwrap()
        ),
        "InvalidCiphertext"
    );
}

#[wasm_bindgen_test]
async fn kms_keyring_over_fetch_round_trips_signed_requests() {
    let session = kms_session(r#"{"type": "kms", "generatorKeyId": "alias/app"}"#, "");
    let enc = ok(session.encrypt("kms data".into(), ctx(r#"{"t": "1"}"#))).await;
    assert_eq!(
        get(&enc, "keyIds.0").as_string().unwrap(),
        "arn:aws:kms:us-east-1:111122223333:key/app"
    );
    assert_eq!(
        call("lastUrl", &[]).as_string().unwrap(),
        "http://127.0.0.1:9/kms"
    );
    let stats = session.stats();
    assert_eq!(
        get(&stats, "kmsCalls.generateDataKey").as_f64().unwrap(),
        1.0
    );
    assert!(get(&stats, "dataKeyCache").is_null());
    // A strict keyring named by an alias encrypts but cannot decrypt (the
    // message names the key by ARN), as the ESDK specifies.
    let e = err(session.decrypt(get(&enc, "ciphertext"), JsValue::UNDEFINED)).await;
    assert_eq!(code(&e), "NoDecryptableDataKey");
    // By ARN, and by discovery limited to the account.
    for keyring in [
        r#"{"type": "kms", "generatorKeyId": "arn:aws:kms:us-east-1:111122223333:key/app"}"#,
        r#"{"type": "kms-discovery", "discoveryFilter": {"partition": "aws", "accountIds": ["111122223333"]}}"#,
    ] {
        let session = Session::new(obj(&format!(
            r#"{{"region": "us-east-1", "endpoint": "http://127.0.0.1:9/kms",
                "credentials": {{"accessKeyId": "AKIDTEST", "secretAccessKey": "secret"}},
                "keyring": {keyring}}}"#
        )))
        .unwrap();
        let dec = ok(session.decrypt(get(&enc, "ciphertext"), ctx(r#"{"t": "1"}"#))).await;
        assert_eq!(bytes(&get(&dec, "plaintext")), b"kms data");
        assert_eq!(
            get(&session.stats(), "kmsCalls.decrypt").as_f64().unwrap(),
            1.0
        );
    }
    // A discovery filter for another account refuses the key.
    let session = Session::new(obj(
        r#"{"region": "us-east-1", "endpoint": "http://127.0.0.1:9/kms",
            "credentials": {"accessKeyId": "AKIDTEST", "secretAccessKey": "secret"},
            "keyring": {"type": "kms-discovery", "discoveryFilter": {"partition": "aws", "accountIds": ["999999999999"]}}}"#,
    ))
    .unwrap();
    let e = err(session.decrypt(get(&enc, "ciphertext"), JsValue::UNDEFINED)).await;
    assert_eq!(code(&e), "NoDecryptableDataKey");
    assert_eq!(
        get(&session.stats(), "kmsCalls.decrypt").as_f64().unwrap(),
        0.0
    );
}

#[wasm_bindgen_test]
async fn a_caching_session_makes_at_most_ten_generate_data_key_calls_per_thousand_messages() {
    let session = kms_session(
        r#"{"type": "kms", "generatorKeyId": "alias/app"}"#,
        r#", "cache": {"maxMessages": 100, "maxAgeMs": 600000}"#,
    );
    for i in 0..1000 {
        ok(session.encrypt(format!("record {i}").into(), ctx(r#"{"t": "1"}"#))).await;
    }
    let stats = session.stats();
    let gdk = get(&stats, "kmsCalls.generateDataKey").as_f64().unwrap();
    assert!(gdk <= 10.0, "{gdk} GenerateDataKey calls");
    assert_eq!(
        call("requestCount", &["GenerateDataKey".into()])
            .as_f64()
            .unwrap(),
        gdk
    );
    assert!(get(&stats, "dataKeyCache.hits").as_f64().unwrap() >= 990.0);
}

#[wasm_bindgen_test]
async fn kms_failures_surface_as_stable_codes() {
    for (key, expected) in [
        ("alias/disabled", "KeyUnavailable"),
        ("alias/denied", "AccessDenied"),
        ("alias/throttled-5", "Throttling"),
        ("alias/server-error", "KmsServiceError"),
        ("alias/unreachable", "KmsUnreachable"),
    ] {
        let session = kms_session(
            &format!(r#"{{"type": "kms", "generatorKeyId": "{key}"}}"#),
            "",
        );
        let e = err(session.encrypt("x".into(), JsValue::UNDEFINED)).await;
        assert_eq!(code(&e), expected, "{key}");
    }
    // A KMS that does not answer is tried maxAttempts times (3).
    assert_eq!(
        call("requestCount", &["GenerateDataKey".into()])
            .as_f64()
            .unwrap(),
        3.0
    );
    // A credential provider that throws is the caller's failure: External,
    // and not retried.
    call("installFakeKms", &[]);
    let config = obj(r#"{"region": "us-east-1", "endpoint": "http://127.0.0.1:9",
            "retryBaseDelayMs": 1, "keyring": {"type": "kms", "generatorKeyId": "alias/app"}}"#);
    let provider = Function::new_no_args(
        "globalThis.__throwingCalls = (globalThis.__throwingCalls || 0) + 1; \
         throw new Error('no credentials today');",
    );
    Reflect::set(&config, &"credentials".into(), &provider).unwrap();
    let session = Session::new(config).unwrap();
    let e = err(session.encrypt("x".into(), JsValue::UNDEFINED)).await;
    assert_eq!(code(&e), "External");
    assert_eq!(
        Reflect::get(&js_sys::global(), &"__throwingCalls".into())
            .unwrap()
            .as_f64(),
        Some(1.0)
    );
    assert_eq!(
        call("requestCount", &["GenerateDataKey".into()]).as_f64(),
        Some(0.0)
    );
}

#[wasm_bindgen_test]
async fn throttling_is_retried_with_backoff() {
    let session = kms_session(
        r#"{"type": "kms", "generatorKeyId": "alias/throttled-2"}"#,
        "",
    );
    ok(session.encrypt("x".into(), JsValue::UNDEFINED)).await;
    let stats = session.stats();
    assert_eq!(get(&stats, "kmsCalls.retries").as_f64().unwrap(), 2.0);
    assert_eq!(
        call("requestCount", &["GenerateDataKey".into()])
            .as_f64()
            .unwrap(),
        3.0
    );
}

#[wasm_bindgen_test]
async fn credential_functions_are_called_per_request() {
    call("installFakeKms", &[]);
    let config = obj(r#"{"region": "us-east-1", "endpoint": "http://127.0.0.1:9",
            "keyring": {"type": "kms", "generatorKeyId": "alias/app"}}"#);
    let provider = Function::new_no_args(
        "globalThis.__credCalls = (globalThis.__credCalls || 0) + 1; \
         return Promise.resolve({accessKeyId: 'AKIDTEST', secretAccessKey: 's', sessionToken: 't'});",
    );
    Reflect::set(&config, &"credentials".into(), &provider).unwrap();
    let session = Session::new(config).unwrap();
    ok(session.encrypt("x".into(), JsValue::UNDEFINED)).await;
    let calls = Reflect::get(&js_sys::global(), &"__credCalls".into()).unwrap();
    assert!(calls.as_f64().unwrap() >= 1.0);
}

#[wasm_bindgen_test]
async fn streams_round_trip_with_progress() {
    let session = raw_aes_session(r#", "frameLength": 1000"#);
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let input = chunked_stream(&data, 3333);
    let options = ctx(r#"{"s": "1"}"#);
    let progress = Function::new_with_args("n", "globalThis.__progress = n;");
    Reflect::set(&options, &"onProgress".into(), &progress).unwrap();
    let out = ok(session.encrypt_stream(input, options)).await;
    let ciphertext = call_async("collect", &[out]).await;
    assert_eq!(
        Reflect::get(&js_sys::global(), &"__progress".into())
            .unwrap()
            .as_f64()
            .unwrap(),
        50_000.0
    );
    // One-shot decrypt of the streamed message.
    let dec = ok(session.decrypt(ciphertext.clone(), JsValue::UNDEFINED)).await;
    assert_eq!(bytes(&get(&dec, "plaintext")), data);
    // Streamed decrypt, in odd-sized chunks, with the header callback.
    let ct = bytes(&ciphertext);
    let chunks = chunked_stream(&ct, 777);
    let options = obj("{}");
    let on_header = Function::new_with_args("h", "globalThis.__header = h;");
    Reflect::set(&options, &"onHeader".into(), &on_header).unwrap();
    let out = session.decrypt_stream(chunks, options).unwrap();
    let plaintext = call_async("collect", &[out]).await;
    assert_eq!(bytes(&plaintext), data);
    let header = Reflect::get(&js_sys::global(), &"__header".into()).unwrap();
    assert_eq!(
        get(&header, "encryptionContext.s").as_string().unwrap(),
        "1"
    );
}

#[wasm_bindgen_test]
async fn a_tampered_stream_errors_the_output_stream() {
    let session = raw_aes_session(r#", "frameLength": 100"#);
    let enc = ok(session.encrypt(
        Uint8Array::from(&[1u8; 1000][..]).into(),
        JsValue::UNDEFINED,
    ))
    .await;
    let mut ct = bytes(&get(&enc, "ciphertext"));
    let n = ct.len();
    ct[n - 20] ^= 0x80;
    let chunks = chunked_stream(&ct, 64);
    let out = session.decrypt_stream(chunks, JsValue::UNDEFINED).unwrap();
    let collect: Function = Reflect::get(&api(), &"collect".into()).unwrap().into();
    let e = JsFuture::from(Promise::from(collect.call1(&JsValue::NULL, &out).unwrap()))
        .await
        .err()
        .unwrap();
    assert_eq!(code(&e), "InvalidCiphertext");
    // Truncated: the stream ends before the final frame.
    let ct = bytes(&get(&enc, "ciphertext"));
    let chunks = chunked_stream(&ct[..ct.len() - 50], ct.len());
    let out = session.decrypt_stream(chunks, JsValue::UNDEFINED).unwrap();
    let e = JsFuture::from(Promise::from(collect.call1(&JsValue::NULL, &out).unwrap()))
        .await
        .err()
        .unwrap();
    assert_eq!(code(&e), "InvalidCiphertext");
}

#[wasm_bindgen_test]
async fn verify_checks_kms_signatures_with_a_cached_public_key() {
    // OpenSSL's ECDSA and RSA signatures, and pyca/cryptography's Ed25519
    // and ML-DSA ones (some over an external mu, some under a context KMS
    // never uses, which must not verify).
    let cases: Array = obj(include_str!(
        "../../kms-envelope/tests/data/openssl/signatures.json"
    ))
    .into();
    let pyca: Array = obj(include_str!(
        "../../kms-envelope/tests/data/pyca/signatures.json"
    ))
    .into();
    let cases = cases.concat(&pyca);
    let session = kms_session(r#"{"type": "kms", "generatorKeyId": "alias/app"}"#, "");
    let mut checked = 0;
    for case in cases.iter() {
        let spec = get(&case, "key_spec").as_string().unwrap();
        let alg = get(&case, "algorithm").as_string().unwrap();
        let message_type = get(&case, "message_type")
            .as_string()
            .unwrap_or_else(|| "RAW".into());
        let expect_valid = get(&case, "valid").as_bool().unwrap_or(true);
        let b64 = |field: &str| base64_bytes(&get(&case, field));
        let key = format!("key-{checked}");
        let der = get(&case, "public_key");
        call("addPublicKey", &[key.clone().into(), der]);
        let request = obj(&format!(
            r#"{{"keyId": "{key}", "signingAlgorithm": "{alg}", "messageType": "{message_type}"}}"#
        ));
        let request = with_bytes(request, "message", &b64("message"));
        let request = with_bytes(request, "signature", &b64("signature"));
        let result = ok(session.verify(request.clone())).await;
        assert_eq!(
            get(&result, "valid").as_bool().unwrap(),
            expect_valid,
            "{spec} {alg} {message_type}"
        );
        // Tampered message: invalid, not an error; the key is cached.
        let mut message = b64("message");
        message[0] ^= 1;
        let request = with_bytes(request, "message", &message);
        let result = ok(session.verify(request)).await;
        assert!(
            !get(&result, "valid").as_bool().unwrap(),
            "{spec} {alg} tampered"
        );
        checked += 1;
    }
    assert!(checked >= 4 + 10);
    let stats = session.stats();
    assert_eq!(
        get(&stats, "kmsCalls.getPublicKey").as_f64().unwrap(),
        f64::from(checked)
    );
    assert_eq!(
        get(&stats, "publicKeyCache.hits").as_f64().unwrap(),
        f64::from(checked)
    );
    // KMS's message-type rules hold here too: ED25519_SHA_512 over a
    // DIGEST, ECDSA over an EXTERNAL_MU, and an unknown type are refused.
    let ed = pyca.get(0);
    call("addPublicKey", &["ed".into(), get(&ed, "public_key")]);
    for (alg, message_type) in [
        ("ED25519_SHA_512", "DIGEST"),
        ("ED25519_PH_SHA_512", "RAW"),
        ("ML_DSA_SHAKE_256", "RAW"),
        ("ED25519_SHA_512", "SOMETHING"),
    ] {
        let request = obj(&format!(
            r#"{{"keyId": "ed", "signingAlgorithm": "{alg}", "messageType": "{message_type}"}}"#
        ));
        let request = with_bytes(request, "message", &[0u8; 64]);
        let request = with_bytes(request, "signature", &[0u8; 64]);
        let e = err(session.verify(request)).await;
        assert_eq!(code(&e), "InvalidArgument", "{alg} {message_type}");
    }
    // Unknown key: NotFound from GetPublicKey.
    let request = obj(r#"{"keyId": "nope", "signingAlgorithm": "ECDSA_SHA_256", "message": "m"}"#);
    let request = with_bytes(request, "signature", &[0u8; 8]);
    let e = err(session.verify(request)).await;
    assert_eq!(code(&e), "NotFound");
}

#[wasm_bindgen_test]
async fn sm2_digests_are_what_kms_signs_for_an_sm2_key_given_a_digest() {
    // OpenSSL's SM2 key and SM2DSA signature (distinguishing ID
    // 1234567812345678, as KMS signs RAW messages).
    let cases: Array = obj(include_str!(
        "../../kms-envelope/tests/data/openssl/signatures.json"
    ))
    .into();
    let sm2 = cases
        .iter()
        .find(|c| get(c, "key_spec").as_string().as_deref() == Some("SM2"))
        .unwrap();
    let b64 = |field: &str| base64_bytes(&get(&sm2, field));
    let (public_key, message, signature) = (b64("public_key"), b64("message"), b64("signature"));
    let key: JsValue = Uint8Array::from(&public_key[..]).into();
    let digest = sm2_digest(key.clone(), Uint8Array::from(&message[..]).into(), None).unwrap();
    assert_eq!(digest.length(), 32);
    // A string is its UTF-8 bytes.
    let text = String::from_utf8(message.clone()).unwrap();
    assert_eq!(
        sm2_digest(key.clone(), text.clone().into(), None)
            .unwrap()
            .to_vec(),
        digest.to_vec()
    );
    let session = raw_aes_session("");
    let verify = |message: &[u8], message_type: &str| {
        let request = obj(&format!(
            r#"{{"signingAlgorithm": "SM2DSA", "messageType": "{message_type}"}}"#
        ));
        let request = with_bytes(request, "publicKey", &public_key);
        let request = with_bytes(request, "message", message);
        session.verify(with_bytes(request, "signature", &signature))
    };
    for (m, t) in [(&message[..], "RAW"), (&digest.to_vec()[..], "DIGEST")] {
        assert!(
            get(&ok(verify(m, t)).await, "valid").as_bool().unwrap(),
            "{t}"
        );
    }
    let mut other = message.clone();
    other[0] ^= 1;
    let other_digest = sm2_digest(key.clone(), Uint8Array::from(&other[..]).into(), None).unwrap();
    assert!(
        !get(&ok(verify(&other_digest.to_vec(), "DIGEST")).await, "valid")
            .as_bool()
            .unwrap()
    );
    // Not an SM2 key, not a key, not bytes.
    let p256 = Uint8Array::from(&base64_bytes(&get(&cases.get(0), "public_key"))[..]);
    let e = sm2_digest(p256.into(), "m".into(), None).unwrap_err();
    assert_eq!(code(&e), "InvalidArgument");
    let e = sm2_digest(
        Uint8Array::from(&[0x30u8, 0x00][..]).into(),
        "m".into(),
        None,
    )
    .unwrap_err();
    assert_eq!(code(&e), "InvalidKey");
    let e = sm2_digest(JsValue::from(7), "m".into(), None).unwrap_err();
    assert_eq!(code(&e), "InvalidArgument");

    // Another distinguishing ID, as a string or as bytes, gives the core's
    // digest for that ID (checked there against sm2's signer); KMS's own ID
    // given explicitly is the default.
    let core = kms_envelope::verify::PublicKey::from_der(&public_key).unwrap();
    let id = "ALICE123@YAHOO.COM";
    let expected = core.sm2_digest_with_id(&message, id.as_bytes()).unwrap();
    let given = |id: JsValue| sm2_digest(key.clone(), text.clone().into(), Some(id));
    assert_eq!(given(id.into()).unwrap().to_vec(), expected);
    assert_eq!(
        given(Uint8Array::from(id.as_bytes()).into())
            .unwrap()
            .to_vec(),
        expected
    );
    assert_eq!(
        given("1234567812345678".into()).unwrap().to_vec(),
        digest.to_vec()
    );
    let too_long = "7".repeat(8192);
    assert_eq!(
        code(&given(too_long.into()).unwrap_err()),
        "InvalidArgument"
    );
    assert_eq!(
        code(&given(JsValue::from(7)).unwrap_err()),
        "InvalidArgument"
    );
}

#[wasm_bindgen_test]
async fn large_one_shot_messages_take_the_webcrypto_path_for_every_frame() {
    let session = raw_aes_session(r#", "frameLength": 4096"#);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    for suite in ["0x0478", "0x0578"] {
        let options = obj(&format!(
            r#"{{"suite": "{suite}", "encryptionContext": {{"big": "1"}}}}"#
        ));
        let enc = ok(session.encrypt(Uint8Array::from(&data[..]).into(), options)).await;
        let ciphertext = bytes(&get(&enc, "ciphertext"));
        let dec = ok(session.decrypt(
            Uint8Array::from(&ciphertext[..]).into(),
            ctx(r#"{"big": "1"}"#),
        ))
        .await;
        assert_eq!(bytes(&get(&dec, "plaintext")), data, "{suite}");
        // Streamed in small chunks: the same frames, opened one by one.
        let chunks = chunked_stream(&ciphertext, 5000);
        let out = session.decrypt_stream(chunks, JsValue::UNDEFINED).unwrap();
        assert_eq!(
            bytes(&call_async("collect", &[out]).await),
            data,
            "{suite} streamed"
        );
        // A flipped bit in a middle frame fails WebCrypto's tag check.
        let mut tampered = ciphertext.clone();
        let middle = tampered.len() / 2;
        tampered[middle] ^= 0x10;
        let e =
            err(session.decrypt(Uint8Array::from(&tampered[..]).into(), JsValue::UNDEFINED)).await;
        // Given the whole message at once, a signed suite's footer may be
        // checked before the tampered frame is opened: either way it is
        // refused and nothing is released.
        let expected: &[&str] = if suite == "0x0578" {
            &["InvalidCiphertext", "SignatureInvalid"]
        } else {
            &["InvalidCiphertext"]
        };
        assert!(
            expected.contains(&code(&e).as_str()),
            "{suite}: {}",
            code(&e)
        );
    }
    // Every frame of the six whole messages (49 each) went to the platform.
    let platform = platform_frames(&session, "nodeCrypto") + platform_frames(&session, "webCrypto");
    assert!(platform >= 6.0 * 49.0, "{platform} frames");
}

#[wasm_bindgen_test]
async fn frames_opened_together_are_released_in_order_and_none_after_a_bad_one() {
    // 367 frames of 4 KiB reach WebCrypto 256 at a time (1 MiB); one frame
    // is tampered, in the first batch or in the second. Whatever was
    // released is a prefix of the plaintext that ends before that frame.
    let session = raw_aes_session(r#", "frameLength": 4096, "suite": "0x0478""#);
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    let enc = ok(session.encrypt(Uint8Array::from(&data[..]).into(), JsValue::UNDEFINED)).await;
    let ciphertext = bytes(&get(&enc, "ciphertext"));
    let header = inspect(Uint8Array::from(&ciphertext[..]).into()).unwrap();
    let header_length = get(&header, "headerLength").as_f64().unwrap() as usize;
    for bad in [20, 300] {
        // A regular frame: sequence number (4), IV (12), 4,096 bytes, tag (16).
        let at = header_length + bad * (4 + 12 + 4096 + 16);
        let mut tampered = ciphertext.clone();
        tampered[at + 4 + 12 + 100] ^= 0x01;
        let out = session
            .decrypt_stream(
                call(
                    "streamOf",
                    &[[JsValue::from(Uint8Array::from(&tampered[..]))]
                        .into_iter()
                        .collect::<Array>()
                        .into()],
                ),
                JsValue::UNDEFINED,
            )
            .unwrap();
        let result = call_async("collectUntilError", &[out]).await;
        assert_eq!(
            get(&result, "code").as_string().unwrap(),
            "InvalidCiphertext",
            "frame {bad}"
        );
        let released = bytes(&get(&result, "released"));
        assert!(
            released.len() <= bad * 4096,
            "frame {bad}: {} bytes released",
            released.len()
        );
        assert_eq!(released, data[..released.len()], "frame {bad}");
    }
}

#[wasm_bindgen_test]
async fn signed_streams_hold_plaintext_until_the_signature_verifies_unless_asked_not_to() {
    let session = raw_aes_session(r#", "frameLength": 100, "suite": "0x0578""#);
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let enc = ok(session.encrypt(Uint8Array::from(&data[..]).into(), JsValue::UNDEFINED)).await;
    let good = bytes(&get(&enc, "ciphertext"));
    // The last byte belongs to the footer's DER signature: every frame is
    // intact, only the signature fails.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 0x01;
    let stream_of = |ct: &[u8]| chunked_stream(ct, 64);
    let released = |result: &JsValue| bytes(&get(result, "released"));
    let code_of = |result: &JsValue| get(result, "code").as_string();

    // Default: nothing of the bad message is released.
    let out = session
        .decrypt_stream(stream_of(&bad), JsValue::UNDEFINED)
        .unwrap();
    let held = call_async("collectUntilError", &[out]).await;
    assert!(
        code_of(&held).is_some(),
        "a bad signature must error the stream"
    );
    assert_eq!(released(&held).len(), 0);

    // Opted in: every frame flows out, then the stream errors at the footer.
    let early = obj(r#"{"releaseUnverifiedPlaintext": true}"#);
    let out = session
        .decrypt_stream(stream_of(&bad), early.clone())
        .unwrap();
    let streamed = call_async("collectUntilError", &[out]).await;
    assert!(
        code_of(&streamed).is_some(),
        "a bad signature must still error the stream"
    );
    assert_eq!(released(&streamed), data);

    // And a good message reads whole either way.
    for options in [JsValue::UNDEFINED, early] {
        let out = session.decrypt_stream(stream_of(&good), options).unwrap();
        let result = call_async("collectUntilError", &[out]).await;
        assert_eq!(code_of(&result), None);
        assert_eq!(released(&result), data);
    }

    // A larger message's verified plaintext comes out in pieces of 64 KiB,
    // then twice that (whole frames of 100 bytes), one per read.
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 249) as u8).collect();
    let enc = ok(session.encrypt(Uint8Array::from(&data[..]).into(), JsValue::UNDEFINED)).await;
    let large = bytes(&get(&enc, "ciphertext"));
    let out = session
        .decrypt_stream(stream_of(&large), JsValue::UNDEFINED)
        .unwrap();
    let result = call_async("collectUntilError", &[out]).await;
    assert_eq!(code_of(&result), None);
    assert_eq!(released(&result), data);
    let sizes: Vec<f64> = Array::from(&get(&result, "sizes"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(sizes, [65500.0, 131000.0, 103500.0]);

    // The option must be a boolean.
    let e = session
        .decrypt_stream(
            stream_of(&good),
            obj(r#"{"releaseUnverifiedPlaintext": "yes"}"#),
        )
        .err()
        .unwrap();
    assert_eq!(code(&e), "InvalidArgument");
}

/// A ReadableStream of `bytes` in chunks of `size`.
fn chunked_stream(bytes: &[u8], size: usize) -> JsValue {
    let chunks: Array = bytes
        .chunks(size)
        .map(|c| JsValue::from(Uint8Array::from(c)))
        .collect();
    call("streamOf", &[chunks.into()])
}

/// The size of this module's wasm memory, which never shrinks.
fn wasm_memory_bytes() -> f64 {
    let memory = wasm_bindgen::memory();
    get(&get(&memory, "buffer"), "byteLength").as_f64().unwrap()
}

#[wasm_bindgen_test]
async fn a_signed_stream_holds_its_plaintext_outside_wasm_memory() {
    // With a platform AES-GCM (node:crypto in Node, WebCrypto in a
    // browser), the held plaintext of a signed stream stays in the
    // platform's arrays: wasm memory, which never shrinks, must not grow
    // to the message's size. Pieces keep the core's sizes (64 KiB, then
    // doubling), and a tampered message releases nothing.
    let session = raw_aes_session(r#", "frameLength": 4096, "suite": "0x0578""#);
    let data: Vec<u8> = (0..6_000_000u32).map(|i| (i % 253) as u8).collect();
    let enc = ok(session.encrypt(Uint8Array::from(&data[..]).into(), JsValue::UNDEFINED)).await;
    let message = bytes(&get(&enc, "ciphertext"));
    let stream_of = |ct: &[u8]| chunked_stream(ct, 65_536);
    let before = wasm_memory_bytes();
    let out = session
        .decrypt_stream(stream_of(&message), JsValue::UNDEFINED)
        .unwrap();
    let result = call_async("collectUntilError", &[out]).await;
    // Measured before the test itself copies the result into wasm memory.
    let grown = wasm_memory_bytes() - before;
    assert_eq!(get(&result, "code").as_string(), None);
    assert_eq!(bytes(&get(&result, "released")), data);
    assert!(
        grown < 2_000_000.0,
        "wasm memory grew by {grown} bytes for a 6 MB signed stream"
    );
    let sizes: Vec<f64> = Array::from(&get(&result, "sizes"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(sizes[..3], [65536.0, 131072.0, 262144.0]);
    assert_eq!(sizes.iter().sum::<f64>(), data.len() as f64);
    assert!(platform_frames(&session, "nodeCrypto") + platform_frames(&session, "webCrypto") > 0.0);

    let mut bad = message.clone();
    let n = bad.len();
    bad[n - 1] ^= 0x01;
    let out = session
        .decrypt_stream(stream_of(&bad), JsValue::UNDEFINED)
        .unwrap();
    let result = call_async("collectUntilError", &[out]).await;
    assert_eq!(
        get(&result, "code").as_string().as_deref(),
        Some("SignatureInvalid")
    );
    assert_eq!(bytes(&get(&result, "released")).len(), 0);
}

/// A session made while `process.getBuiltinModule` is hidden or broken by
/// `how` ("hideNodeCrypto", "breakNodeCrypto"); restored at once.
fn session_without_node_crypto(how: &str, extra: &str) -> Session {
    call(how, &[]);
    let session = raw_aes_session(extra);
    call("restoreNodeCrypto", &[]);
    session
}

fn platform_frames(session: &Session, which: &str) -> f64 {
    get(&session.stats(), &format!("platformAesFrames.{which}"))
        .as_f64()
        .unwrap()
}

#[wasm_bindgen_test]
async fn node_crypto_seals_and_opens_every_frame_where_the_runtime_has_it() {
    let in_node = call("hasNodeCrypto", &[]).as_bool().unwrap();
    assert_eq!(
        in_node,
        call("nodeHasBuiltinModule", &[]).as_bool().unwrap()
    );
    let extra = r#", "frameLength": 256, "commitmentPolicy": "REQUIRE_ENCRYPT_ALLOW_DECRYPT""#;
    let native = raw_aes_session(extra);
    let pure = session_without_node_crypto("hideNodeCrypto", extra);
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 249) as u8).collect();
    // Broken AES-GCM fails the known-answer test: such a session never uses it.
    let broken = if in_node {
        session_without_node_crypto("breakNodeCrypto", extra)
    } else {
        raw_aes_session(extra)
    };
    let legacy = r#", "frameLength": 256, "commitmentPolicy": "FORBID_ENCRYPT_ALLOW_DECRYPT""#;
    let native_legacy = raw_aes_session(legacy);
    // Committing and signed suites, and the three AES key sizes.
    for (suite, encryptor) in [
        ("0x0478", &native),
        ("0x0578", &native),
        ("0x0014", &native_legacy),
        ("0x0146", &native_legacy),
        ("0x0178", &native_legacy),
    ] {
        let options = obj(&format!(r#"{{"suite": "{suite}"}}"#));
        let enc = ok(encryptor.encrypt(Uint8Array::from(&data[..]).into(), options)).await;
        let ciphertext = bytes(&get(&enc, "ciphertext"));
        for (name, decryptor) in [("native", &native), ("pure", &pure), ("broken", &broken)] {
            let dec =
                ok(decryptor.decrypt(Uint8Array::from(&ciphertext[..]).into(), JsValue::UNDEFINED))
                    .await;
            assert_eq!(bytes(&get(&dec, "plaintext")), data, "{suite} by {name}");
        }
        // The reverse: the pure path's message opened natively.
        if !suite.starts_with("0x00") && !suite.starts_with("0x01") {
            let options = obj(&format!(r#"{{"suite": "{suite}"}}"#));
            let enc = ok(pure.encrypt(Uint8Array::from(&data[..]).into(), options)).await;
            let from_pure = bytes(&get(&enc, "ciphertext"));
            let dec =
                ok(native.decrypt(Uint8Array::from(&from_pure[..]).into(), JsValue::UNDEFINED))
                    .await;
            assert_eq!(bytes(&get(&dec, "plaintext")), data, "{suite} from pure");
        }
        // A flipped bit in the second frame's content is refused.
        let mut tampered = ciphertext.clone();
        let at = tampered.len() - 400;
        tampered[at] ^= 0x04;
        let e =
            err(native.decrypt(Uint8Array::from(&tampered[..]).into(), JsValue::UNDEFINED)).await;
        assert!(
            ["InvalidCiphertext", "SignatureInvalid"].contains(&code(&e).as_str()),
            "{suite}: {}",
            code(&e)
        );
    }
    for (name, session) in [("pure", &pure), ("broken", &broken)] {
        assert_eq!(platform_frames(session, "nodeCrypto"), 0.0, "{name}");
    }
    if in_node {
        // Eight messages of four frames, each sealed or opened once natively,
        // and the three pure messages opened natively.
        assert!(platform_frames(&native, "nodeCrypto") >= 4.0 * 8.0);
        assert!(platform_frames(&native_legacy, "nodeCrypto") >= 4.0 * 3.0);
        // Small messages never wait for WebCrypto when node:crypto is there.
        assert_eq!(platform_frames(&native, "webCrypto"), 0.0);
    } else {
        assert_eq!(platform_frames(&native, "nodeCrypto"), 0.0);
    }
}

#[wasm_bindgen_test]
async fn decrypt_results_name_the_wrapping_key_that_decrypted_the_data_key() {
    let arn = |k: &str| format!("arn:aws:kms:us-east-1:111122223333:key/{k}");
    let session = kms_session(
        &format!(
            r#"{{"type": "kms", "generatorKeyId": "{}", "keyIds": ["{}"]}}"#,
            arn("first"),
            arn("second")
        ),
        "",
    );
    let enc = ok(session.encrypt("two keys".into(), JsValue::UNDEFINED)).await;
    // Encryption names every key that wrapped the data key.
    let ids: Vec<String> = Array::from(&get(&enc, "keyIds"))
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    assert_eq!(ids, [arn("first"), arn("second")]);
    // Decryption names the one that unwrapped it, by keyring and by path.
    for (keyring, used) in [
        (format!(r#"{{"type": "kms", "generatorKeyId": "{}"}}"#, arn("second")), "second"),
        (format!(r#"{{"type": "kms", "generatorKeyId": "{}"}}"#, arn("first")), "first"),
        (
            r#"{"type": "kms-discovery", "discoveryFilter": {"partition": "aws", "accountIds": ["111122223333"]}}"#
                .to_owned(),
            "first",
        ),
    ] {
        let decryptor = Session::new(obj(&format!(
            r#"{{"region": "us-east-1", "endpoint": "http://127.0.0.1:9/kms",
                "credentials": {{"accessKeyId": "AKIDTEST", "secretAccessKey": "secret"}},
                "keyring": {keyring}}}"#
        )))
        .unwrap();
        let dec = ok(decryptor.decrypt(get(&enc, "ciphertext"), JsValue::UNDEFINED)).await;
        let ids: Vec<String> = Array::from(&get(&dec, "keyIds"))
            .iter()
            .map(|v| v.as_string().unwrap())
            .collect();
        assert_eq!(ids, [arn(used)], "{keyring}");
    }
    // A raw keyring names itself as namespace/name, on the pure and the
    // platform paths alike (200 KB goes to WebCrypto in a browser).
    let raw = raw_aes_session("");
    for size in [10usize, 200_000] {
        let enc = ok(raw.encrypt(
            Uint8Array::from(&vec![1u8; size][..]).into(),
            JsValue::UNDEFINED,
        ))
        .await;
        let dec = ok(raw.decrypt(get(&enc, "ciphertext"), JsValue::UNDEFINED)).await;
        assert_eq!(Array::from(&get(&dec, "keyIds")).length(), 1, "{size}");
        assert_eq!(get(&dec, "keyIds.0").as_string().unwrap(), "ns/k1");
    }
}

#[wasm_bindgen_test]
async fn one_shot_messages_are_sized_exactly_and_open_on_the_core_path() {
    // One-shot messages are planned from the plaintext's length; unsigned
    // ones are assembled in a Uint8Array by the binding (each
    // platform-sealed frame copied straight into it), signed ones signed
    // at the end: the core's own decryption, in this test, is the judge.
    let committing = raw_aes_session(
        r#", "frameLength": 256, "commitmentPolicy": "REQUIRE_ENCRYPT_ALLOW_DECRYPT""#,
    );
    let legacy = raw_aes_session(
        r#", "frameLength": 256, "commitmentPolicy": "FORBID_ENCRYPT_ALLOW_DECRYPT""#,
    );
    let keyring = kms_envelope::keyring::RawAesKeyring::new("ns", "k1", &[7u8; 32]).unwrap();
    let manager = kms_envelope::cmm::DefaultMaterialsManager::new(keyring);
    let options = kms_envelope::DecryptOptions::default()
        .with_commitment_policy(kms_envelope::CommitmentPolicy::RequireEncryptAllowDecrypt);
    // Empty, around one frame, and past WebCrypto's one-shot threshold
    // (64 KiB) with a final frame that is full, short or empty.
    for len in [0usize, 1, 255, 256, 257, 1000, 65_536, 70_001, 70_144] {
        let data: Vec<u8> = (0..len).map(|i| (i % 247) as u8).collect();
        for (suite, session) in [
            ("0x0478", &committing),
            ("0x0578", &committing),
            ("0x0014", &legacy),
            ("0x0178", &legacy),
            ("0x0378", &legacy),
        ] {
            let options_js = obj(&format!(r#"{{"suite": "{suite}"}}"#));
            let enc = ok(session.encrypt(Uint8Array::from(&data[..]).into(), options_js)).await;
            let ciphertext = bytes(&get(&enc, "ciphertext"));
            let out = kms_envelope::decrypt(&manager, &ciphertext, &options)
                .await
                .unwrap_or_else(|e| panic!("{suite} {len}: {e}"));
            assert_eq!(out.plaintext, data, "{suite} {len}");
            assert_eq!(get(&enc, "algorithmSuite").as_string().unwrap(), suite);
        }
    }
    for session in [&committing, &legacy] {
        let platform =
            platform_frames(session, "nodeCrypto") + platform_frames(session, "webCrypto");
        assert!(platform > 0.0, "the platform sealed frames");
    }
}

#[wasm_bindgen_test]
async fn one_shot_input_may_be_any_byte_view_or_a_string_and_is_left_as_it_was() {
    // Platform-sealed and -opened frames read the caller's own array (the
    // plaintext is never copied into wasm); only the binding's copies are
    // cleared.
    let session = raw_aes_session(r#", "frameLength": 4096"#);
    let kinds = Function::new_with_args(
        "bytes",
        r#"const big = new Uint8Array(bytes.length + 7);
        big.set(bytes, 3);
        const out = [
            ["Uint8Array", bytes.slice()],
            ["ArrayBuffer", bytes.slice().buffer],
            ["DataView", new DataView(big.buffer, 3, bytes.length)],
            ["subarray", big.subarray(3, 3 + bytes.length)],
            ["Uint16Array", new Uint16Array(bytes.slice().buffer)],
        ];
        if (typeof SharedArrayBuffer === "function") {
            const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
            shared.set(bytes);
            out.push(["SharedArrayBuffer view", shared]);
        }
        return out.map(([name, input]) => [name, input,
            input instanceof ArrayBuffer ? new Uint8Array(input)
                : new Uint8Array(input.buffer, input.byteOffset, input.byteLength)]);"#,
    );
    // Below WebCrypto's one-shot threshold and past it; even lengths, for
    // the Uint16Array.
    for len in [1000usize, 70_002] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let cases = kinds
            .call1(&JsValue::NULL, &Uint8Array::from(&data[..]))
            .unwrap();
        for case in Array::from(&cases).iter() {
            let case = Array::from(&case);
            let name = case.get(0).as_string().unwrap();
            let enc = ok(session.encrypt(case.get(1), JsValue::UNDEFINED)).await;
            assert_eq!(bytes(&case.get(2)), data, "{name} {len}: left as it was");
            // The ciphertext in the same kind of view decrypts too, and is
            // left as it was (the platform opens frames in place).
            let ciphertext = bytes(&get(&enc, "ciphertext"));
            let sealed = kinds
                .call1(&JsValue::NULL, &Uint8Array::from(&ciphertext[..]))
                .unwrap();
            let sealed = Array::from(
                &Array::from(&sealed)
                    .find(&mut |c, _, _| Array::from(&c).get(0).as_string().unwrap() == name),
            );
            let dec = ok(session.decrypt(sealed.get(1), JsValue::UNDEFINED)).await;
            assert_eq!(bytes(&get(&dec, "plaintext")), data, "{name} {len}");
            assert_eq!(
                bytes(&sealed.get(2)),
                ciphertext,
                "{name} {len}: left as it was"
            );
        }
    }
    let text = format!("{}é", "x".repeat(70_000));
    let enc = ok(session.encrypt(text.as_str().into(), JsValue::UNDEFINED)).await;
    let dec = ok(session.decrypt(get(&enc, "ciphertext"), JsValue::UNDEFINED)).await;
    assert_eq!(bytes(&get(&dec, "plaintext")), text.as_bytes());
}

/// A function that transfers a Uint8Array's ArrayBuffer away (as posting
/// it to a worker would), leaving the array empty; `None` where the
/// runtime has no `structuredClone`.
fn transferrer() -> Option<Function> {
    let clone = js_sys::Reflect::get(&js_sys::global(), &"structuredClone".into()).unwrap();
    (!clone.is_undefined()).then(|| {
        Function::new_with_args(
            "bytes",
            "structuredClone(bytes.buffer, { transfer: [bytes.buffer] })",
        )
    })
}

#[wasm_bindgen_test]
async fn an_input_transferred_mid_operation_is_an_error_and_the_session_keeps_working() {
    // WebCrypto reads the caller's array frame by frame: transferring its
    // ArrayBuffer (to a worker, say) before the operation ends must be an
    // InvalidArgument error, never an exception through wasm, an empty
    // message or a partial result.
    let Some(transfer) = transferrer() else {
        return;
    };
    let session = session_without_node_crypto("hideNodeCrypto", r#", "frameLength": 4096"#);
    let data = vec![5u8; 1 << 20];
    let ciphertext = bytes(&get(
        &ok(session.encrypt(Uint8Array::from(&data[..]).into(), JsValue::UNDEFINED)).await,
        "ciphertext",
    ));
    // Transferred at once (before the task first runs) and after some
    // ticks (between WebCrypto calls).
    for ticks in [0u32, 3, 12, 40] {
        for (op, input) in [("encrypt", &data), ("decrypt", &ciphertext)] {
            let array = Uint8Array::from(&input[..]);
            let pending = if op == "encrypt" {
                session.encrypt(array.clone().into(), JsValue::UNDEFINED)
            } else {
                session.decrypt(array.clone().into(), JsValue::UNDEFINED)
            };
            for _ in 0..ticks {
                JsFuture::from(Promise::resolve(&JsValue::NULL))
                    .await
                    .unwrap();
            }
            transfer.call1(&JsValue::NULL, &array).unwrap();
            let outcome = match JsFuture::from(pending).await {
                Ok(result) => {
                    // A result is whole: it is the message, or its plaintext.
                    let out = if op == "encrypt" {
                        let c = get(&result, "ciphertext");
                        let d = ok(session.decrypt(c, JsValue::UNDEFINED)).await;
                        bytes(&get(&d, "plaintext"))
                    } else {
                        bytes(&get(&result, "plaintext"))
                    };
                    assert_eq!(out, data, "{op} after {ticks} ticks");
                    "ok".to_owned()
                }
                Err(e) => code(&e),
            };
            // Encryption read nothing of it yet at once: refused. Decryption
            // copied the message at the call, and falls back to the copy.
            let expected_now = if op == "encrypt" {
                "InvalidArgument"
            } else {
                "ok"
            };
            if ticks == 0 {
                assert_eq!(outcome, expected_now, "{op} transferred at once");
            } else {
                assert!(
                    outcome == "InvalidArgument" || outcome == "ok",
                    "{op} after {ticks} ticks: {outcome}"
                );
            }
        }
    }
    let enc = ok(session.encrypt(Uint8Array::from(&data[..]).into(), JsValue::UNDEFINED)).await;
    let dec = ok(session.decrypt(get(&enc, "ciphertext"), JsValue::UNDEFINED)).await;
    assert_eq!(bytes(&get(&dec, "plaintext")), data);
}

/// The wasm random pool: small draws come out of one 1 KiB draw, each
/// distinct, across refills; large draws go straight to the platform.
#[wasm_bindgen_test]
fn random_draws_are_distinct_across_pool_refills() {
    let mut seen = std::collections::HashSet::new();
    // 48-byte draws: a refill every 21 of them; 100 cross several.
    for _ in 0..100 {
        let mut b = [0u8; 48];
        kms_envelope::random::fill(&mut b).unwrap();
        assert_ne!(b, [0u8; 48]);
        assert!(seen.insert(b), "a random draw repeated");
    }
    // Draws of odd sizes interleaved with large ones.
    for len in [1, 12, 31, 32, 64, 65, 1000, 4096, 70_000] {
        let mut a = vec![0u8; len];
        let mut b = vec![0u8; len];
        kms_envelope::random::fill(&mut a).unwrap();
        kms_envelope::random::fill(&mut b).unwrap();
        if len >= 12 {
            assert_ne!(a, b, "two {len}-byte draws are equal");
        }
    }
}

/// An encryption context whose keys are also `Object.prototype` names
/// comes back with every key as an own property (a plain assignment of
/// `__proto__` would set the prototype and drop the pair).
#[wasm_bindgen_test]
async fn context_keys_named_like_prototype_members_come_back_as_keys() {
    let own = |o: &JsValue, key: &str| -> Option<String> {
        let o: &Object = o.unchecked_ref();
        let d = Object::get_own_property_descriptor(o, &key.into());
        (!d.is_undefined()).then(|| {
            Reflect::get(&d, &"value".into())
                .unwrap()
                .as_string()
                .unwrap()
        })
    };
    let session = raw_aes_session("");
    let context = r#"{"__proto__": "p", "constructor": "c", "tenant": "t"}"#;
    let enc = ok(session.encrypt(Uint8Array::from(&b"x"[..]).into(), ctx(context))).await;
    let dec = ok(session.decrypt(get(&enc, "ciphertext"), ctx(context))).await;
    let header = inspect(get(&enc, "ciphertext")).unwrap();
    for result in [&enc, &dec, &header] {
        let c = get(result, "encryptionContext");
        assert_eq!(Object::keys(c.unchecked_ref::<Object>()).length(), 3);
        assert_eq!(own(&c, "__proto__").as_deref(), Some("p"));
        assert_eq!(own(&c, "constructor").as_deref(), Some("c"));
        assert_eq!(own(&c, "tenant").as_deref(), Some("t"));
    }
}

/// A message the module seals and opens without WebCrypto (here a small
/// one) is done within the call: transferring the caller's array as soon
/// as the call returns changes nothing.
#[wasm_bindgen_test]
async fn a_message_sealed_without_webcrypto_is_done_within_the_call() {
    let Some(transfer) = transferrer() else {
        return;
    };
    let session = raw_aes_session("");
    let data = vec![9u8; 1000];
    let array = Uint8Array::from(&data[..]);
    let pending = session.encrypt(array.clone().into(), JsValue::UNDEFINED);
    transfer.call1(&JsValue::NULL, &array).unwrap();
    assert_eq!(array.length(), 0, "the array was transferred");
    let ciphertext = get(&ok(pending).await, "ciphertext");
    let pending = session.decrypt(ciphertext.clone(), JsValue::UNDEFINED);
    transfer.call1(&JsValue::NULL, &ciphertext).unwrap();
    assert_eq!(bytes(&get(&ok(pending).await, "plaintext")), data);
}
