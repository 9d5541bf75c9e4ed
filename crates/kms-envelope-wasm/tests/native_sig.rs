//! Signed suites through the runtime's native ECDSA (node:crypto in Node,
//! WebCrypto in Chromium and in Node once node:crypto is hidden), checked
//! against the pure path in both directions, with the native calls counted
//! (tests/native_ecdsa.js) so that a silent fallback fails the tests.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use kms_envelope_wasm::Session;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const SIGNED: [&str; 4] = ["0x0214", "0x0346", "0x0378", "0x0578"];

fn api() -> Object {
    thread_local! {
        static API: Object = Function::new_no_args(include_str!("native_ecdsa.js"))
            .call0(&JsValue::NULL)
            .unwrap()
            .into();
    }
    API.with(Clone::clone)
}

fn call(name: &str, args: &[JsValue]) -> JsValue {
    let f: Function = Reflect::get(&api(), &name.into()).unwrap().into();
    f.apply(&JsValue::NULL, &args.iter().collect::<js_sys::Array>())
        .unwrap()
}

/// tests/fake_kms.js, for its stream helpers.
fn helper(name: &str, args: &[JsValue]) -> JsValue {
    thread_local! {
        static HELPERS: Object = Function::new_no_args(include_str!("fake_kms.js"))
            .call0(&JsValue::NULL)
            .unwrap()
            .into();
    }
    let f: Function = HELPERS.with(|h| Reflect::get(h, &name.into()).unwrap().into());
    f.apply(&JsValue::NULL, &args.iter().collect::<js_sys::Array>())
        .unwrap()
}

/// A ReadableStream of `bytes` in chunks of `chunk` bytes.
fn stream_of(bytes: &[u8], chunk: usize) -> JsValue {
    let chunks: js_sys::Array = bytes
        .chunks(chunk.max(1))
        .map(|c| JsValue::from(Uint8Array::from(c)))
        .collect();
    helper("streamOf", &[chunks.into()])
}

/// Everything a stream released, and its error code if it failed.
async fn read_stream(stream: JsValue) -> (Vec<u8>, Option<String>) {
    let result = JsFuture::from(Promise::from(helper("collectUntilError", &[stream])))
        .await
        .unwrap();
    (
        bytes(&get(&result, "released")),
        get(&result, "code").as_string(),
    )
}

async fn encrypt_stream(session: &Session, data: &[u8], chunk: usize) -> Vec<u8> {
    let options = js_obj(r#"{"suite": "0x0578"}"#);
    let stream = JsFuture::from(session.encrypt_stream(stream_of(data, chunk), options))
        .await
        .unwrap();
    let (message, code) = read_stream(stream).await;
    assert_eq!(code, None);
    message
}

async fn decrypt_stream(
    session: &Session,
    message: &[u8],
    chunk: usize,
) -> Result<Vec<u8>, String> {
    let stream = session
        .decrypt_stream(stream_of(message, chunk), JsValue::UNDEFINED)
        .unwrap();
    match read_stream(stream).await {
        (plain, None) => Ok(plain),
        (released, Some(code)) => {
            assert!(
                released.is_empty(),
                "{code}: a failed signed stream released plaintext"
            );
            Err(code)
        }
    }
}

fn count(name: &str) -> u32 {
    let counts = call("counts", &[]);
    Reflect::get(&counts, &name.into())
        .unwrap()
        .as_f64()
        .unwrap() as u32
}

/// Starts from the real APIs, counting.
fn fresh() {
    call("restore", &[]);
    call("reset", &[]);
}

fn has_node() -> bool {
    call("hasNode", &[]).as_bool().unwrap()
}

fn js_obj(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn session(extra: &str) -> Session {
    let config = js_obj(&format!(
        r#"{{"keyring": {{"type": "raw-aes", "keyNamespace": "ns", "keyName": "k1"}},
            "commitmentPolicy": "REQUIRE_ENCRYPT_ALLOW_DECRYPT"{extra}}}"#
    ));
    let keyring = Reflect::get(&config, &"keyring".into()).unwrap();
    Reflect::set(
        &keyring,
        &"wrappingKey".into(),
        &Uint8Array::from(&[7u8; 32][..]),
    )
    .unwrap();
    Session::new(config).unwrap()
}

fn get(o: &JsValue, name: &str) -> JsValue {
    Reflect::get(o, &name.into()).unwrap()
}

fn bytes(v: &JsValue) -> Vec<u8> {
    Uint8Array::new(v).to_vec()
}

fn code(e: &JsValue) -> String {
    get(e, "code").as_string().unwrap_or_default()
}

async fn encrypt(session: &Session, data: &[u8], suite: &str) -> Vec<u8> {
    // Only 0x0578 commits to its key; the others need a policy that allows
    // writing them.
    let policy = if suite == "0x0578" {
        "REQUIRE_ENCRYPT_ALLOW_DECRYPT"
    } else {
        "FORBID_ENCRYPT_ALLOW_DECRYPT"
    };
    let options = js_obj(&format!(
        r#"{{"suite": "{suite}", "commitmentPolicy": "{policy}"}}"#
    ));
    let promise = session.encrypt(Uint8Array::from(data).into(), options);
    let result = JsFuture::from(promise).await.unwrap();
    bytes(&get(&result, "ciphertext"))
}

fn session_encrypt_with_context(session: &Session, data: &[u8]) -> Promise {
    session.encrypt(
        Uint8Array::from(data).into(),
        js_obj(r#"{"suite": "0x0578"}"#),
    )
}

async fn decrypt(session: &Session, message: &[u8]) -> Result<Vec<u8>, String> {
    let promise: Promise = session.decrypt(Uint8Array::from(message).into(), JsValue::UNDEFINED);
    match JsFuture::from(promise).await {
        Ok(result) => Ok(bytes(&get(&result, "plaintext"))),
        Err(e) => Err(code(&e)),
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[wasm_bindgen_test]
async fn signed_suites_sign_and_verify_natively_small_and_large() {
    let s = session(r#", "frameLength": 4096"#);
    for suite in SIGNED {
        // 1 KiB takes the pure AES path, 200 KB the WebCrypto one (which
        // Chromium refuses for AES-192, 0x0346: a limit of that path, not
        // of the signatures).
        for len in [0, 1024, 200_000] {
            if suite == "0x0346" && len > 100_000 {
                continue;
            }
            fresh();
            let plain = data(len);
            let message = encrypt(&s, &plain, suite).await;
            assert_eq!(decrypt(&s, &message).await.unwrap(), plain, "{suite} {len}");
            assert_eq!(count("generate"), 1, "{suite} {len}: native key generation");
            assert_eq!(count("sign"), 1, "{suite} {len}: native signature");
            assert_eq!(count("verify"), 1, "{suite} {len}: native verification");
            assert_eq!(
                count("decompress"),
                1,
                "{suite} {len}: native decompression"
            );
            if has_node() {
                // Node: the message is hashed as it is assembled, and a
                // large one verified on the thread pool while its frames
                // are opened.
                assert_eq!(count("nodeSignHashed"), 1, "{suite} {len}");
                let expected = usize::from(len >= 64 * 1024) as u32;
                assert_eq!(count("nodeVerifyAsync"), expected, "{suite} {len}");
            }
        }
    }
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn signed_streams_hash_through_node_crypto_as_the_pure_path_would() {
    // In Node, a signed stream's footer is signed and checked by
    // node:crypto's Sign and Verify, which hash the message as it passes
    // (the last bytes of a decrypted stream wait until the footer's place
    // is known). Every chunking must give the pure path's messages and
    // verdicts.
    if !has_node() {
        return;
    }
    let s = session(r#", "frameLength": 1000"#);
    let plain = data(20_000);
    fresh();
    for chunk in [1, 7, 511, 512, 513, 4096, 100_000] {
        let streamed = encrypt_stream(&s, &plain, chunk.max(97)).await;
        assert_eq!(decrypt(&s, &streamed).await.unwrap(), plain, "{chunk}");
        assert_eq!(
            decrypt_stream(&s, &streamed, chunk).await.unwrap(),
            plain,
            "{chunk}"
        );
    }
    assert_eq!(
        count("nodeSignHashed"),
        7,
        "every stream signed by node:crypto"
    );
    assert_eq!(
        count("nodeVerifyHashed"),
        7,
        "every stream checked by node:crypto"
    );
    // And the pure path reads node:crypto's streams, and the reverse.
    let native = encrypt_stream(&s, &plain, 3000).await;
    call("hide", &[true.into()]);
    let p = session(r#", "frameLength": 1000"#);
    let pure = encrypt_stream(&p, &plain, 3000).await;
    assert_eq!(decrypt_stream(&p, &native, 3000).await.unwrap(), plain);
    call("restore", &[]);
    call("reset", &[]);
    assert_eq!(decrypt_stream(&s, &pure, 3000).await.unwrap(), plain);
    assert_eq!(count("nodeVerifyHashed"), 1);

    // Tampered anywhere (the last frame, each byte of the footer region),
    // cut short, with bytes more, or with another message's footer: the
    // pure path's code, and nothing released.
    let plain = data(2500);
    let native = encrypt_stream(&s, &plain, 3000).await;
    let other = encrypt_stream(&s, &plain, 3000).await;
    let n = native.len();
    let mut cases: Vec<Vec<u8>> = (n - 130..n)
        .step_by(4)
        .chain([n - 1, n - 500, 1500])
        .map(|at| {
            let mut bad = native.clone();
            bad[at] ^= 0x20;
            bad
        })
        .collect();
    cases.push(native[..n - 1].to_vec());
    cases.push(native[..n - 106].to_vec());
    cases.push([&native[..], &[0]].concat());
    cases.push([&native[..], &[0; 600]].concat());
    let mut spliced = native[..n - 105].to_vec();
    spliced.extend_from_slice(&other[other.len() - 105..]);
    cases.push(spliced);
    for (i, bad) in cases.iter().enumerate() {
        for chunk in [1, 600] {
            call("reset", &[]);
            let native_code = decrypt_stream(&s, bad, chunk).await;
            call("hide", &[true.into()]);
            let pure_code = decrypt_stream(&session(r#", "frameLength": 1000"#), bad, chunk).await;
            call("restore", &[]);
            call("reset", &[]);
            assert!(pure_code.is_err(), "case {i}: a tampered stream decrypted");
            assert_eq!(native_code, pure_code, "case {i}, chunks of {chunk}");
        }
    }
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn a_verify_that_ignores_its_callback_is_taken_at_its_word() {
    // A node:crypto polyfill whose verify answers synchronously and never
    // calls back must not leave a large decryption waiting forever.
    if !has_node() {
        return;
    }
    let s = session(r#", "frameLength": 4096"#);
    let plain = data(200_000);
    fresh();
    let message = encrypt(&s, &plain, "0x0578").await;
    call("ignoreVerifyCallback", &[]);
    assert_eq!(decrypt(&s, &message).await.unwrap(), plain);
    let mut bad = message.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert_eq!(decrypt(&s, &bad).await, Err("SignatureInvalid".to_string()));
    assert_eq!(count("nodeVerifyAsync"), 2);
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn large_signed_messages_fail_as_on_the_pure_path_while_verifying_concurrently() {
    // Large enough that the signature is checked off the main thread while
    // the frames are opened; every failure must still be the pure path's,
    // whichever of the two finishes first, and the session keep working.
    let s = session(r#", "frameLength": 4096"#);
    let plain = data(300_000);
    fresh();
    let message = encrypt(&s, &plain, "0x0578").await;
    let other = encrypt(&s, &plain, "0x0578").await;
    let n = message.len();
    let flip = |at: usize| {
        let mut bad = message.clone();
        bad[at] ^= 0x10;
        bad
    };
    let mut spliced = message[..n - 105].to_vec();
    spliced.extend_from_slice(&other[other.len() - 105..]);
    let cases = [
        ("the first frame", flip(2000)),
        ("the last frame", flip(n - 200)),
        ("the signature", flip(n - 3)),
        ("both", {
            let mut bad = flip(n - 3);
            bad[5000] ^= 1;
            bad
        }),
        ("a spliced footer", spliced),
        ("a short footer", message[..n - 2].to_vec()),
        ("a byte more", [&message[..], &[0]].concat()),
    ];
    for (what, bad) in &cases {
        call("reset", &[]);
        let native = decrypt(&s, bad).await;
        call("hide", &[true.into()]);
        let pure = decrypt(&session(r#", "frameLength": 4096"#), bad).await;
        call("restore", &[]);
        call("reset", &[]);
        assert!(pure.is_err(), "{what}: a tampered message decrypted");
        assert_eq!(native, pure, "{what}");
    }
    assert_eq!(decrypt(&s, &message).await.unwrap(), plain);
    assert_eq!(count("verify"), 1, "still verified natively");
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn native_and_pure_messages_decrypt_each_other() {
    let s = session(r#", "frameLength": 1000"#);
    for suite in SIGNED {
        for len in [10, 5000, 100_000] {
            if suite == "0x0346" && len > 64 * 1024 {
                continue;
            }
            let plain = data(len);
            fresh();
            let native = encrypt(&s, &plain, suite).await;
            assert_eq!(count("sign"), 1);
            // No node:crypto and no crypto.subtle: the pure path.
            // (A session picks its AES-GCM when it is made.)
            call("hide", &[true.into()]);
            let p = session(r#", "frameLength": 1000"#);
            let pure = encrypt(&p, &plain, suite).await;
            assert_eq!(decrypt(&p, &native).await.unwrap(), plain, "{suite} {len}");
            call("restore", &[]);
            call("reset", &[]);
            assert_eq!(decrypt(&s, &pure).await.unwrap(), plain, "{suite} {len}");
            assert_eq!(count("sign"), 0);
            assert_eq!(count("verify"), 1, "the pure message was verified natively");
        }
    }
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn webcrypto_serves_where_node_crypto_is_missing() {
    // In Node, hiding process.getBuiltinModule leaves WebCrypto; in a
    // browser it was never there.
    fresh();
    call("hide", &[false.into()]);
    let s = session("");
    let plain = data(3000);
    let message = encrypt(&s, &plain, "0x0578").await;
    assert_eq!(decrypt(&s, &message).await.unwrap(), plain);
    assert_eq!(count("subtleGenerate"), 1);
    assert_eq!(count("subtleSign"), 1);
    assert_eq!(count("subtleVerify"), 1);
    // The public key decompressed by WebCrypto too (a compressed "raw"
    // import, exported uncompressed: Node and Chromium both take it).
    assert_eq!(count("subtleDecompress"), 1);
    assert_eq!(count("nodeSign") + count("nodeVerify"), 0);
    // Its messages verify with node:crypto and the reverse.
    call("restore", &[]);
    call("reset", &[]);
    assert_eq!(decrypt(&s, &message).await.unwrap(), plain);
    let node_made = encrypt(&s, &plain, "0x0578").await;
    call("hide", &[false.into()]);
    assert_eq!(decrypt(&s, &node_made).await.unwrap(), plain);
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn without_native_ecdsa_everything_is_pure_and_still_works() {
    fresh();
    call("hide", &[true.into()]);
    let s = session("");
    for suite in SIGNED {
        let plain = data(700);
        let message = encrypt(&s, &plain, suite).await;
        assert_eq!(decrypt(&s, &message).await.unwrap(), plain);
    }
    assert_eq!(count("generate") + count("sign") + count("verify"), 0);
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn tampered_messages_fail_natively_as_on_the_pure_path() {
    let s = session(r#", "frameLength": 64"#);
    let plain = data(150);
    fresh();
    let message = encrypt(&s, &plain, "0x0578").await;
    let other = encrypt(&s, &plain, "0x0578").await;
    let n = message.len();
    // Header, frames and every byte of the footer region's ends; the last
    // ~105 bytes are the footer (length and DER signature).
    let mut positions: Vec<usize> = (0..n - 110).step_by(23).collect();
    positions.extend((n - 110..n).step_by(3));
    positions.push(n - 1);
    let mut cases: Vec<Vec<u8>> = positions
        .iter()
        .map(|&at| {
            let mut bad = message.clone();
            bad[at] ^= 0x04;
            bad
        })
        .collect();
    cases.push(message[..n - 1].to_vec());
    cases.push(message[..n - 60].to_vec());
    let mut longer = message.clone();
    longer.push(0);
    cases.push(longer);
    for (i, bad) in cases.iter().enumerate() {
        call("reset", &[]);
        let native = decrypt(&s, bad).await;
        // A session made now finds no platform AES-GCM or ECDSA (a session
        // picks its AES-GCM once, when it is made), so this is the pure path.
        call("hide", &[true.into()]);
        let pure = decrypt(&session(r#", "frameLength": 64"#), bad).await;
        call("restore", &[]);
        call("reset", &[]);
        assert!(pure.is_err(), "a tampered message decrypted");
        assert_eq!(
            native,
            pure,
            "case {i} of {}: {:?}",
            cases.len(),
            positions.get(i)
        );
    }
    // The public key in the context: other base64 characters give points
    // off the curve, other points, or bad encodings, refused (at the
    // materials or by the header tag) as on the pure path.
    let result = JsFuture::from(session_encrypt_with_context(&s, &plain))
        .await
        .unwrap();
    let with_key = bytes(&get(&result, "ciphertext"));
    let context = get(&result, "encryptionContext");
    let b64 = get(&context, "aws-crypto-public-key").as_string().unwrap();
    let at = with_key
        .windows(b64.len())
        .position(|w| w == b64.as_bytes())
        .unwrap();
    let mut codes = Vec::new();
    for (i, c) in [
        (1, b'A'),
        (5, b'z'),
        (30, b'+'),
        (60, b'9'),
        (0, b'A'),
        (0, b'B'),
    ] {
        let mut bad = with_key.clone();
        if bad[at + i] == c {
            continue;
        }
        bad[at + i] = c;
        call("reset", &[]);
        let native = decrypt(&s, &bad).await;
        call("hide", &[true.into()]);
        let pure = decrypt(&session(""), &bad).await;
        call("restore", &[]);
        call("reset", &[]);
        assert!(pure.is_err());
        assert_eq!(native, pure, "public key character {i} made {}", c as char);
        codes.push(native.unwrap_err());
    }
    // A first character 'A' or 'B' makes the SEC1 tag 0 or 4 with the wrong
    // length: refused as a key before any header check.
    assert!(codes.iter().any(|c| c == "InvalidKey"), "{codes:?}");
    // The footer of another message signed by another key.
    let footer = |m: &[u8]| {
        // The footer is the last 2 + len bytes; its length is at most 104.
        (0..m.len())
            .rev()
            .take(120)
            .find(|&at| {
                at + 2 <= m.len()
                    && usize::from(u16::from_be_bytes([m[at], m[at + 1]])) == m.len() - at - 2
                    && m[at + 2] == 0x30
            })
            .unwrap()
    };
    let mut spliced = message[..footer(&message)].to_vec();
    spliced.extend_from_slice(&other[footer(&other)..]);
    let native = decrypt(&s, &spliced).await;
    assert_eq!(
        native,
        Err("SignatureInvalid".to_string()),
        "{} {} {} {}",
        footer(&message),
        message.len(),
        footer(&other),
        other.len()
    );
    assert_eq!(count("verify"), 1, "checked natively");
    call("hide", &[true.into()]);
    assert_eq!(decrypt(&session(""), &spliced).await, native);
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn cached_materials_sign_with_their_native_key_and_fall_back_without_it() {
    fresh();
    let s = session(r#", "cache": {"maxAgeMs": 60000}"#);
    let plain = data(500);
    let a = encrypt(&s, &plain, "0x0578").await;
    let b = encrypt(&s, &plain, "0x0578").await;
    // One key pair (cached with the data key), two native signatures.
    assert_eq!(count("generate"), 1);
    assert_eq!(count("sign"), 2);
    // The cached key's native half is gone with node:crypto and
    // crypto.subtle: it signs in the crate, and the message is the same
    // format.
    call("hide", &[true.into()]);
    let c = encrypt(&s, &plain, "0x0578").await;
    assert_eq!(count("sign"), 2);
    call("restore", &[]);
    call("reset", &[]);
    for m in [&a, &b, &c] {
        assert_eq!(decrypt(&s, m).await.unwrap(), plain);
    }
    assert_eq!(count("verify"), 3);
    call("restore", &[]);
}

#[wasm_bindgen_test]
async fn node_crypto_is_used_in_node() {
    // Node 20.16+ has process.getBuiltinModule: the synchronous path.
    if !has_node() {
        return;
    }
    fresh();
    let s = session("");
    let plain = data(100);
    // P-384 and P-256: each public key is imported by node:crypto (a
    // refused import would fall back to WebCrypto, counted below).
    for suite in ["0x0578", "0x0214"] {
        let message = encrypt(&s, &plain, suite).await;
        assert_eq!(decrypt(&s, &message).await.unwrap(), plain, "{suite}");
    }
    assert_eq!(
        (
            count("nodeGenerate"),
            count("nodeSign"),
            count("nodeVerify"),
            count("nodeDecompress")
        ),
        (2, 2, 2, 2)
    );
    assert_eq!(
        count("subtleSign") + count("subtleVerify") + count("subtleDecompress"),
        0
    );
    // Node 20 deadlocks when a garbage collection lands inside a JWK export
    // of a generateKeyPairSync key: key pairs come from ECDH instead.
    assert_eq!(count("nodeKeyPairSync"), 0);
    call("restore", &[]);
}
