//! The footer signatures of signed suites through the runtime's own ECDSA.
//!
//! P-384 scalar multiplications compiled to wasm were nine tenths of a
//! small 0x0578 round trip; node:crypto (OpenSSL) and WebCrypto do them
//! many times faster. For one-shot `encrypt`/`decrypt` the key pair is
//! generated, the footer signed and the signature verified by the runtime:
//! node:crypto where `process.getBuiltinModule` gives it (synchronous, and
//! it reads the message straight from wasm memory), else
//! `crypto.subtle` (asynchronous, so the signed bytes are copied out). The
//! core still writes and parses every byte, derives the keys, checks
//! commitment and header tag, and converts the signatures between the
//! format's DER and the runtimes' r || s
//! ([`kms_envelope::detached_signature`]). Streams sign and verify through
//! node:crypto's `Sign`/`Verify` where it is here ([`StreamSigner`],
//! [`StreamVerifier`]); in browsers, whose WebCrypto cannot hash
//! incrementally, they keep the pure path.
//!
//! Anything the runtime lacks or refuses falls back to the pure ECDSA: no
//! node:crypto and no `crypto.subtle` (or no ECDSA in it) means pure keys;
//! a key pair whose native half is not at hand (evicted, or a pure key) is
//! signed in the crate, and a public key the runtime will not import is
//! verified in the crate. A native verification that answers `false` is a
//! failed signature, reported as the pure path reports it.
//!
//! Key pairs: the private scalar is read out of the runtime (from
//! node:crypto's `ECDH`, whose bytes are zeroed once read; from a WebCrypto
//! JWK export, whose strings in the JavaScript heap cannot be cleared, only
//! dropped) so that the core's [`SigningKey`] stays usable on the pure path
//! (a cached key used by a browser stream); its copies in wasm memory
//! zeroize. The native private key is kept in a small registry under its
//! public key, so the caching materials manager's cached keys keep signing
//! natively; a session without a cache forgets it after its one signature.

use std::cell::RefCell;
use std::collections::VecDeque;

use base64::Engine as _;
#[cfg(feature = "ecdsa")]
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
#[cfg(feature = "ecdsa")]
use kms_envelope::LocalBoxFuture;
use kms_envelope::cmm::MaterialsManager;
use kms_envelope::context::PUBLIC_KEY_KEY;
use kms_envelope::detached_signature::{FooterToSign, SignatureToVerify, SignatureVerdict};
use kms_envelope::signing::SigningKey;
#[cfg(feature = "ecdsa")]
use kms_envelope::signing::{SignatureKeys, VerificationKey};
use kms_envelope::suite::SignatureAlgorithm;
use kms_envelope::{
    BodyDecryptor, DecryptOptions, EncryptOptions, EncryptionContext, Encryptor, Error,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
#[cfg(feature = "ecdsa")]
use zeroize::Zeroizing;

use crate::error::{JsResult, to_js};
use crate::js;

/// Native private keys kept for signing, most recently used last. A cache
/// of materials holds at most a few hundred entries by default, and a key
/// not found here is still signed (in the crate).
const REGISTRY_CAPACITY: usize = 256;

#[wasm_bindgen]
extern "C" {
    /// The `node:crypto` module (only its synchronous ECDSA is used).
    type NodeCrypto;

    #[wasm_bindgen(method, catch, js_name = createECDH)]
    fn create_ecdh(this: &NodeCrypto, curve: &str) -> Result<NodeEcdh, JsValue>;

    /// A node:crypto `ECDH`: here only a key pair generator whose private
    /// scalar can be read without exporting a `KeyObject`.
    type NodeEcdh;

    #[wasm_bindgen(method, catch, js_name = generateKeys)]
    fn generate_keys(this: &NodeEcdh) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = getPrivateKey)]
    fn private_scalar(this: &NodeEcdh) -> Result<Uint8Array, JsValue>;

    #[wasm_bindgen(method, catch, js_name = getPublicKey)]
    fn public_point(
        this: &NodeEcdh,
        encoding: &JsValue,
        format: &str,
    ) -> Result<Uint8Array, JsValue>;

    #[wasm_bindgen(method, catch, js_name = createPrivateKey)]
    fn create_private_key(this: &NodeCrypto, options: &Object) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = createPublicKey)]
    fn create_public_key(this: &NodeCrypto, options: &Object) -> Result<JsValue, JsValue>;

    // `data` is a view of wasm memory: the call is synchronous and keeps no
    // reference to it.
    #[wasm_bindgen(method, catch)]
    fn sign(
        this: &NodeCrypto,
        algorithm: &str,
        data: &[u8],
        key: &Object,
    ) -> Result<Uint8Array, JsValue>;

    #[wasm_bindgen(method, catch, js_name = sign)]
    fn sign_array(
        this: &NodeCrypto,
        algorithm: &str,
        data: &Uint8Array,
        key: &Object,
    ) -> Result<Uint8Array, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn verify(
        this: &NodeCrypto,
        algorithm: &str,
        data: &[u8],
        key: &Object,
        signature: &[u8],
    ) -> Result<bool, JsValue>;

    // With a callback, node:crypto verifies on libuv's thread pool, having
    // copied `data` before it returns.
    #[wasm_bindgen(method, catch, js_name = verify)]
    fn verify_async(
        this: &NodeCrypto,
        algorithm: &str,
        data: &Uint8Array,
        key: &Object,
        signature: &[u8],
        callback: &JsValue,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = createSign)]
    fn create_sign(this: &NodeCrypto, algorithm: &str) -> Result<NodeSign, JsValue>;

    /// A node:crypto `Sign`: a running hash, signed at the end.
    type NodeSign;

    #[wasm_bindgen(method, catch)]
    fn update(this: &NodeSign, data: &Uint8Array) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = sign)]
    fn sign_hashed(this: &NodeSign, key: &Object) -> Result<Uint8Array, JsValue>;

    // `data` is a view of wasm memory: `update` hashes it before returning.
    #[wasm_bindgen(method, catch, js_name = update)]
    fn update_bytes(this: &NodeSign, data: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = createVerify)]
    fn create_verify(this: &NodeCrypto, algorithm: &str) -> Result<NodeVerify, JsValue>;

    /// A node:crypto `Verify`: a running hash, verified at the end.
    type NodeVerify;

    #[wasm_bindgen(method, catch, js_name = update)]
    fn update_bytes(this: &NodeVerify, data: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = verify)]
    fn verify_hashed(this: &NodeVerify, key: &Object, signature: &[u8]) -> Result<bool, JsValue>;
}

/// Signed bytes from this many on are verified off the main thread (on
/// node:crypto's thread pool, or WebCrypto's), while the frames are opened:
/// hashing 16 MiB with SHA-384 takes as long as opening them. Smaller
/// messages are verified synchronously in Node, where a thread hop would
/// cost more than it overlaps.
const CONCURRENT_VERIFY_MIN: usize = 64 * 1024;

/// A private key of the runtime's ECDSA (none is made without the `ecdsa`
/// feature, where the signing paths are never reached).
#[derive(Clone)]
#[cfg_attr(not(feature = "ecdsa"), allow(dead_code))]
enum NativeKey {
    /// A node:crypto `KeyObject`.
    Node(JsValue),
    /// A WebCrypto `CryptoKey`.
    Subtle(JsValue),
}

/// A registered native key: its public key (compressed SEC1), the key,
/// and whether it signs one message only (a session without a cache), so
/// that it is forgotten once it has.
struct Registered {
    public: Vec<u8>,
    key: NativeKey,
    single_use: bool,
}

thread_local! {
    static REGISTRY: RefCell<VecDeque<Registered>> =
        RefCell::new(VecDeque::with_capacity(REGISTRY_CAPACITY));
}

#[cfg(feature = "ecdsa")]
fn register(entry: Registered) {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() >= REGISTRY_CAPACITY {
            r.pop_front();
        }
        r.push_back(entry);
    });
}

/// The native key of `public`, made the most recently used (or forgotten,
/// if it was for one message).
fn registered(public: &[u8]) -> Option<NativeKey> {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let at = r.iter().position(|e| e.public == public)?;
        let entry = r.remove(at)?;
        let key = entry.key.clone();
        if !entry.single_use {
            r.push_back(entry);
        }
        Some(key)
    })
}

/// `node:crypto` without a static import (the same glue serves browsers):
/// `process.getBuiltinModule` exists from Node 20.16.
fn node_crypto() -> Option<NodeCrypto> {
    #[cfg(feature = "ecdsa")]
    {
        let process = js::get(&js::global(), "process")?;
        let get_builtin = js::get(&process, "getBuiltinModule")?
            .dyn_into::<Function>()
            .ok()?;
        let module = get_builtin.call1(&process, &"node:crypto".into()).ok()?;
        js::get(&module, "sign")?.dyn_into::<Function>().ok()?;
        Some(module.unchecked_into())
    }
    #[cfg(not(feature = "ecdsa"))]
    None
}

/// `globalThis.crypto.subtle`, if the runtime has it.
fn subtle() -> Option<JsValue> {
    #[cfg(feature = "ecdsa")]
    {
        js::get(&js::get(&js::global(), "crypto")?, "subtle")
    }
    #[cfg(not(feature = "ecdsa"))]
    None
}

/// Whether one-shot signed messages go through a native ECDSA here.
pub fn available() -> bool {
    node_crypto().is_some() || subtle().is_some()
}

fn curve(alg: SignatureAlgorithm) -> &'static str {
    match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => "P-256",
        SignatureAlgorithm::EcdsaP384Sha384 => "P-384",
    }
}

#[cfg(feature = "ecdsa")]
fn node_curve(alg: SignatureAlgorithm) -> &'static str {
    match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => "prime256v1",
        SignatureAlgorithm::EcdsaP384Sha384 => "secp384r1",
    }
}

fn node_hash(alg: SignatureAlgorithm) -> &'static str {
    match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => "sha256",
        SignatureAlgorithm::EcdsaP384Sha384 => "sha384",
    }
}

fn subtle_params(alg: SignatureAlgorithm) -> Object {
    let p = Object::new();
    js::set(&p, "name", &"ECDSA".into());
    js::set(&p, "namedCurve", &curve(alg).into());
    let hash = match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => "SHA-256",
        SignatureAlgorithm::EcdsaP384Sha384 => "SHA-384",
    };
    js::set(&p, "hash", &hash.into());
    p
}

/// `target[name](...args)`, awaited.
async fn call_async(target: &JsValue, name: &str, args: &Array) -> JsResult<JsValue> {
    let f = Reflect::get(target, &name.into())?
        .dyn_into::<Function>()
        .map_err(|_| JsValue::from_str("crypto.subtle lacks a method"))?;
    JsFuture::from(Promise::from(f.apply(target, args)?)).await
}

/// A base64url field of a JWK, decoded into zeroizing memory.
#[cfg(feature = "ecdsa")]
fn jwk_field(jwk: &JsValue, name: &str) -> Option<Zeroizing<Vec<u8>>> {
    let text = Zeroizing::new(js::get(jwk, name)?.as_string()?);
    BASE64URL.decode(text.as_bytes()).ok().map(Zeroizing::new)
}

/// The core's key from a private JWK (`d`, `x`, `y`).
#[cfg(feature = "ecdsa")]
fn key_from_jwk(alg: SignatureAlgorithm, jwk: &JsValue) -> Option<SigningKey> {
    let d = jwk_field(jwk, "d")?;
    let x = jwk_field(jwk, "x")?;
    let y = jwk_field(jwk, "y")?;
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    SigningKey::from_external_pair(alg, &d, &point).ok()
}

/// A key pair from node:crypto: generated by `ECDH` (whose private scalar
/// it hands over as bytes), then imported as a signing `KeyObject` from
/// SEC1 DER built here.
///
/// Not `generateKeyPairSync` and `KeyObject.export({ format: "jwk" })`:
/// in Node 20 the export holds the key's mutex while it allocates the JWK's
/// strings, and a garbage collection at that moment finalizes an earlier
/// generation job, which takes the same mutex: the main thread deadlocks
/// (seen here within a few thousand signed encryptions in a loop).
#[cfg(feature = "ecdsa")]
fn generate_node(
    crypto: &NodeCrypto,
    alg: SignatureAlgorithm,
    single_use: bool,
) -> Option<SigningKey> {
    let ecdh = crypto.create_ecdh(node_curve(alg)).ok()?;
    ecdh.generate_keys().ok()?;
    let scalar = ecdh.private_scalar().ok()?;
    let d = padded_scalar(alg, &scalar);
    scalar.fill(0, 0, scalar.length());
    let point = ecdh
        .public_point(&JsValue::UNDEFINED, "uncompressed")
        .ok()?
        .to_vec();
    let d = d?;
    let der = Zeroizing::new(sec1_private_key(alg, &d, &point));
    let options = Object::new();
    let der_array = Uint8Array::from(&der[..]);
    js::set(&options, "key", &der_array);
    js::set(&options, "format", &"der".into());
    js::set(&options, "type", &"sec1".into());
    let private = crypto.create_private_key(&options);
    der_array.fill(0, 0, der_array.length());
    let private = private.ok()?;
    let key = SigningKey::from_external_pair(alg, &d, &point).ok()?;
    register(Registered {
        public: key.public_key_sec1(),
        key: NativeKey::Node(private),
        single_use,
    });
    Some(key)
}

/// `scalar` left-padded to the curve's scalar length (node:crypto may drop
/// leading zero bytes), in zeroizing memory.
#[cfg(feature = "ecdsa")]
fn padded_scalar(alg: SignatureAlgorithm, scalar: &Uint8Array) -> Option<Zeroizing<Vec<u8>>> {
    let len = match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => 32,
        SignatureAlgorithm::EcdsaP384Sha384 => 48,
    };
    let given = scalar.length() as usize;
    if given > len {
        return None;
    }
    let mut d = Zeroizing::new(vec![0u8; len]);
    scalar.copy_to(&mut d[len - given..]);
    Some(d)
}

/// An ECPrivateKey (RFC 5915) of the curve: version 1, the scalar, the
/// curve's OID and the uncompressed public point.
#[cfg(feature = "ecdsa")]
fn sec1_private_key(alg: SignatureAlgorithm, d: &[u8], point: &[u8]) -> Vec<u8> {
    let oid: &[u8] = match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        SignatureAlgorithm::EcdsaP384Sha384 => &[0x2b, 0x81, 0x04, 0x00, 0x22],
    };
    // Every length here is under 128 but the whole, which is under 256.
    let mut body = Zeroizing::new(vec![0x02, 0x01, 0x01, 0x04, d.len() as u8]);
    body.extend_from_slice(d);
    body.extend_from_slice(&[0xa0, oid.len() as u8 + 2, 0x06, oid.len() as u8]);
    body.extend_from_slice(oid);
    body.extend_from_slice(&[
        0xa1,
        point.len() as u8 + 3,
        0x03,
        point.len() as u8 + 1,
        0x00,
    ]);
    body.extend_from_slice(point);
    let mut der = if body.len() < 128 {
        vec![0x30, body.len() as u8]
    } else {
        vec![0x30, 0x81, body.len() as u8]
    };
    der.extend_from_slice(&body);
    der
}

#[cfg(feature = "ecdsa")]
async fn generate_subtle(
    subtle: &JsValue,
    alg: SignatureAlgorithm,
    single_use: bool,
) -> Option<SigningKey> {
    let usages: Array = ["sign", "verify"]
        .iter()
        .map(|u| JsValue::from_str(u))
        .collect();
    let args = Array::of3(&subtle_params(alg), &true.into(), &usages);
    let pair = call_async(subtle, "generateKey", &args).await.ok()?;
    let private = js::get(&pair, "privateKey")?;
    let args = Array::of2(&"jwk".into(), &private);
    let jwk = call_async(subtle, "exportKey", &args).await.ok()?;
    let key = key_from_jwk(alg, &jwk)?;
    register(Registered {
        public: key.public_key_sec1(),
        key: NativeKey::Subtle(private),
        single_use,
    });
    Some(key)
}

/// The uncompressed form of a compressed point, decompressed by the
/// runtime (a square root in wasm costs half a millisecond on P-384).
#[cfg(feature = "ecdsa")]
async fn decompress_native(alg: SignatureAlgorithm, compressed: &[u8]) -> Option<Vec<u8>> {
    if let Some(crypto) = node_crypto() {
        let convert = js::get(&js::get(&crypto, "ECDH")?, "convertKey")?
            .dyn_into::<Function>()
            .ok()?;
        let args = Array::of5(
            &Uint8Array::from(compressed),
            &node_curve(alg).into(),
            &JsValue::UNDEFINED,
            &JsValue::UNDEFINED,
            &"uncompressed".into(),
        );
        if let Ok(point) = convert.apply(&JsValue::NULL, &args) {
            return Some(Uint8Array::new(&point).to_vec());
        }
    }
    let subtle = subtle()?;
    let usages = Array::of1(&"verify".into());
    let args = Array::of5(
        &"raw".into(),
        &Uint8Array::from(compressed),
        &subtle_params(alg),
        &true.into(),
        &usages,
    );
    let public = call_async(&subtle, "importKey", &args).await.ok()?;
    let args = Array::of2(&"raw".into(), &public);
    let point = call_async(&subtle, "exportKey", &args).await.ok()?;
    Some(Uint8Array::new(&point).to_vec())
}

/// Signing keys from the runtime's ECDSA, pure ones where it has none; and
/// message public keys decompressed by it.
#[cfg(feature = "ecdsa")]
pub struct NativeSignatureKeys {
    /// The materials are not cached: each key signs one message, and its
    /// native half is forgotten once it has.
    pub single_use: bool,
}

#[cfg(feature = "ecdsa")]
impl SignatureKeys for NativeSignatureKeys {
    fn generate<'a>(
        &'a self,
        alg: SignatureAlgorithm,
    ) -> LocalBoxFuture<'a, Result<SigningKey, Error>> {
        Box::pin(async move {
            let single_use = self.single_use;
            if let Some(key) = node_crypto().and_then(|c| generate_node(&c, alg, single_use)) {
                return Ok(key);
            }
            if let Some(subtle) = subtle()
                && let Some(key) = generate_subtle(&subtle, alg, single_use).await
            {
                return Ok(key);
            }
            SigningKey::generate(alg)
        })
    }

    fn verification_key<'a>(
        &'a self,
        alg: SignatureAlgorithm,
        b64: &'a str,
    ) -> LocalBoxFuture<'a, Result<VerificationKey, Error>> {
        Box::pin(async move {
            let compressed = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .filter(|c| matches!(c.first(), Some(0x02 | 0x03)));
            if let Some(compressed) = compressed
                && let Some(point) = decompress_native(alg, &compressed).await
            {
                // Only the point the core would have decompressed.
                if let Some(key) = VerificationKey::from_decompressed(alg, &compressed, &point) {
                    return Ok(key);
                }
            }
            VerificationKey::from_base64(alg, b64)
        })
    }
}

/// The r || s signature of `data` by the native half of `key`, if it has one.
async fn sign_native(key: &SigningKey, data: &[u8]) -> Option<Vec<u8>> {
    let alg = key.algorithm();
    match registered(&key.public_key_sec1())? {
        NativeKey::Node(private) => {
            let spec = node_key_spec(&private);
            let sig = node_crypto()?.sign(node_hash(alg), data, &spec).ok()?;
            Some(sig.to_vec())
        }
        NativeKey::Subtle(private) => subtle_sign(alg, &private, &Uint8Array::from(data)).await,
    }
}

/// WebCrypto's r || s signature of `data` with `private`.
async fn subtle_sign(
    alg: SignatureAlgorithm,
    private: &JsValue,
    data: &Uint8Array,
) -> Option<Vec<u8>> {
    let args = Array::of3(&subtle_params(alg), private, data);
    let sig = call_async(&subtle()?, "sign", &args).await.ok()?;
    Some(Uint8Array::new(&sig).to_vec())
}

/// The hash a one-shot encryption feeds as it assembles the message:
/// node:crypto's `Sign`, which then signs without the message being read
/// again. Elsewhere nothing is hashed while assembling, and the whole
/// message is signed at the end.
pub struct MessageSigner {
    node: Option<NodeSign>,
}

impl MessageSigner {
    /// A signer for `alg`'s hash.
    pub fn new(alg: SignatureAlgorithm) -> MessageSigner {
        let node = node_crypto().and_then(|c| c.create_sign(node_hash(alg)).ok());
        MessageSigner { node }
    }

    /// Hashes the next assembled bytes, in order. A hash that fails is
    /// dropped, and the message is then signed whole.
    pub fn update(&mut self, bytes: &Uint8Array) {
        if let Some(sign) = &self.node
            && sign.update(bytes).is_err()
        {
            self.node = None;
        }
    }

    /// The footer of a message whose `signed_len` signed bytes were
    /// assembled (`contiguous` gives them in one array, when the signature
    /// needs them whole): signed natively where the key has a native half
    /// (by the running hash if it is whole), else in the crate.
    pub async fn footer(
        self,
        footer: FooterToSign,
        signed_len: u32,
        contiguous: impl FnOnce() -> Uint8Array,
    ) -> JsResult<Vec<u8>> {
        if footer.signed_len() != u64::from(signed_len) {
            return Err(JsValue::from_str(
                "the assembled message is not the signed bytes",
            ));
        }
        let alg = footer.algorithm();
        let native = registered(&footer.signing_key().public_key_sec1());
        let mut out = Vec::new();
        if let (Some(NativeKey::Node(private)), Some(hashed)) = (&native, &self.node)
            && let Ok(signature) = hashed.sign_hashed(&node_key_spec(private))
        {
            footer
                .complete(&signature.to_vec(), &mut out)
                .map_err(to_js)?;
            return Ok(out);
        }
        let signed = contiguous();
        let signature = match native {
            Some(NativeKey::Node(private)) => node_crypto()
                .and_then(|c| {
                    c.sign_array(node_hash(alg), &signed, &node_key_spec(&private))
                        .ok()
                })
                .map(|sig| sig.to_vec()),
            Some(NativeKey::Subtle(private)) => subtle_sign(alg, &private, &signed).await,
            None => None,
        };
        if let Some(signature) = signature {
            footer.complete(&signature, &mut out).map_err(to_js)?;
            return Ok(out);
        }
        // The pure fallback reads the message from wasm memory.
        let mut message = signed.to_vec();
        footer.sign_in_crate(&mut message).map_err(to_js)?;
        Ok(message.split_off(signed_len as usize))
    }
}

/// A node:crypto key (private to sign, public to verify) with signatures
/// as r || s.
fn node_key_spec(key: &JsValue) -> Object {
    let spec = Object::new();
    js::set(&spec, "key", key);
    js::set(&spec, "dsaEncoding", &"ieee-p1363".into());
    spec
}

/// A stream's footer signature by node:crypto's `Sign`, which hashes the
/// message as it is written: SHA-384 in wasm was three quarters of a
/// signed stream's time in Node. Only where the stream's key pair has its
/// native half in node:crypto; elsewhere the core signs as before.
pub struct StreamSigner {
    sign: NodeSign,
    private: JsValue,
    hashed: u64,
}

impl StreamSigner {
    /// Detaches `encryptor`'s signature for node:crypto to make, if it can
    /// (a signed suite whose key pair node:crypto generated); `None` leaves
    /// the encryptor as it was.
    pub fn attach(encryptor: &mut Encryptor) -> Option<StreamSigner> {
        let alg = encryptor.header().suite().signature?;
        let crypto = node_crypto()?;
        let public = base64::engine::general_purpose::STANDARD
            .decode(encryptor.encryption_context().get(PUBLIC_KEY_KEY)?)
            .ok()?;
        let NativeKey::Node(private) = registered(&public)? else {
            return None;
        };
        let sign = crypto.create_sign(node_hash(alg)).ok()?;
        encryptor.detach_signature().ok()?;
        Some(StreamSigner {
            sign,
            private,
            hashed: 0,
        })
    }

    /// Hashes the next bytes of the message, in order.
    pub fn update(&mut self, bytes: &[u8]) -> JsResult<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.sign
            .update_bytes(bytes)
            .map_err(crate::node_crypto::failed)?;
        self.hashed += bytes.len() as u64;
        Ok(())
    }

    /// Hashes the next bytes of the message, in a JavaScript array.
    pub fn update_array(&mut self, bytes: &Uint8Array) -> JsResult<()> {
        self.sign
            .update(bytes)
            .map_err(crate::node_crypto::failed)?;
        self.hashed += u64::from(bytes.length());
        Ok(())
    }

    /// Ends the message: its last frame (hashed here) and the footer are
    /// appended to `out`.
    pub fn finish(mut self, encryptor: Encryptor, out: &mut Vec<u8>) -> JsResult<()> {
        let start = out.len();
        let footer = encryptor.finish_to_sign(out).map_err(to_js)?;
        self.update(out.get(start..).unwrap_or_default())?;
        if footer.signed_len() != self.hashed {
            return Err(JsValue::from_str(
                "the hashed bytes are not the signed bytes",
            ));
        }
        let signature = self
            .sign
            .sign_hashed(&node_key_spec(&self.private))
            .map_err(crate::node_crypto::failed)?;
        footer.complete(&signature.to_vec(), out).map_err(to_js)
    }
}

/// A stream's footer signature checked by node:crypto's `Verify`, which
/// hashes the message as it is read: the header first, then every body
/// byte the core has read, up to where it says the footer starts.
pub struct StreamVerifier {
    verify: NodeVerify,
    hashed: u64,
}

impl StreamVerifier {
    /// Detaches `body`'s signature for node:crypto to check, if it can (a
    /// signed suite, before any body byte); `None` leaves it to the core.
    pub fn attach(body: &mut BodyDecryptor) -> Option<StreamVerifier> {
        let alg = body.header().suite().signature?;
        let verify = node_crypto()?.create_verify(node_hash(alg)).ok()?;
        let mut header = Vec::with_capacity(body.header().len());
        body.header().write(&mut header);
        verify.update_bytes(&header).ok()?;
        body.detach_signature().ok()?;
        Some(StreamVerifier {
            verify,
            hashed: header.len() as u64,
        })
    }

    /// Hashes `input`, which `body` has just read, as far as the signature
    /// covers it.
    pub fn update(&mut self, input: &[u8], body: &BodyDecryptor) -> JsResult<()> {
        let covered = match body.signed_len() {
            None => input.len(),
            Some(end) => usize::try_from(end.saturating_sub(self.hashed))
                .unwrap_or(usize::MAX)
                .min(input.len()),
        };
        hash_into(&self.verify, &input[..covered])?;
        self.hashed += covered as u64;
        Ok(())
    }

    /// The verdict on the footer's signature, once the core has read it.
    pub fn verdict(self, to_verify: SignatureToVerify) -> JsResult<SignatureVerdict> {
        if to_verify.signed_len() != self.hashed {
            return Err(JsValue::from_str(
                "the hashed bytes are not the signed bytes",
            ));
        }
        let Some(fixed) = to_verify.fixed_signature() else {
            // Not a DER signature of the curve: invalid, as on the pure path.
            return Ok(to_verify.verdict(false));
        };
        let crypto = node_crypto().ok_or_else(|| JsValue::from_str("node:crypto went away"))?;
        let public = crypto
            .create_public_key(&spki_import(to_verify.algorithm(), &to_verify))
            .map_err(crate::node_crypto::failed)?;
        let spec = node_key_spec(&public);
        let valid = self
            .verify
            .verify_hashed(&spec, &fixed)
            .map_err(crate::node_crypto::failed)?;
        Ok(to_verify.verdict(valid))
    }
}

fn hash_into(verify: &NodeVerify, bytes: &[u8]) -> JsResult<()> {
    if !bytes.is_empty() {
        verify
            .update_bytes(bytes)
            .map_err(crate::node_crypto::failed)?;
    }
    Ok(())
}

/// The options to import a message's public key into node:crypto, as
/// SubjectPublicKeyInfo DER.
fn spki_import(alg: SignatureAlgorithm, to_verify: &SignatureToVerify) -> Object {
    let mut der = spki_prefix(alg).to_vec();
    der.extend_from_slice(&to_verify.verification_key().to_sec1_uncompressed());
    let import = Object::new();
    js::set(&import, "key", &Uint8Array::from(&der[..]));
    js::set(&import, "format", &"der".into());
    js::set(&import, "type", &"spki".into());
    import
}

/// The DER of a SubjectPublicKeyInfo before its uncompressed point
/// (RFC 5480): the SEQUENCE headers, id-ecPublicKey with the curve's OID,
/// and the BIT STRING header.
fn spki_prefix(alg: SignatureAlgorithm) -> &'static [u8] {
    match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => &[
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ],
        SignatureAlgorithm::EcdsaP384Sha384 => &[
            0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
        ],
    }
}

/// A footer signature whose native verification may be under way.
pub struct PendingVerdict {
    to_verify: SignatureToVerify,
    check: Check,
}

enum Check {
    /// Not a DER signature of the curve: invalid, as on the pure path.
    Invalid,
    /// The runtime's answer.
    Done(bool),
    /// The runtime's answer to come (a boolean).
    Running(JsFuture),
    /// The runtime could not check it (no API, key refused): the crate will.
    InCrate,
}

impl PendingVerdict {
    /// The verdict; `message` is the whole message.
    pub async fn verdict(self, message: &[u8]) -> SignatureVerdict {
        let PendingVerdict { to_verify, check } = self;
        let answer = match check {
            Check::Invalid => return to_verify.verdict(false),
            Check::Done(valid) => Some(valid),
            Check::Running(future) => future.await.ok().and_then(|v| v.as_bool()),
            Check::InCrate => None,
        };
        match answer {
            Some(valid) => to_verify.verdict(valid),
            None => to_verify.verify_in_crate(message),
        }
    }
}

/// Starts verifying a detached footer signature natively where the
/// runtime can; the crate verifies it otherwise. `message` is the whole
/// message (in wasm memory); `array`, if given, the caller's array holding
/// the same bytes, which an asynchronous verification reads instead of a
/// copy. A large message is verified off the main thread, so the caller
/// opens its frames meanwhile.
pub async fn start_verify(
    to_verify: SignatureToVerify,
    message: &[u8],
    array: Option<&Uint8Array>,
) -> PendingVerdict {
    let check = match to_verify.fixed_signature() {
        None => Check::Invalid,
        Some(fixed) => match to_verify.signed_bytes(message) {
            Ok(data) => start_native(&to_verify, &fixed, data, array).await,
            Err(_) => Check::InCrate,
        },
    };
    PendingVerdict { to_verify, check }
}

/// The signed bytes as a JavaScript array, for a runtime that reads them
/// after the call has returned: the caller's own array when it holds them,
/// else a copy.
fn signed_array(data: &[u8], array: Option<&Uint8Array>) -> Uint8Array {
    array
        .filter(|a| a.length() as usize >= data.len())
        .and_then(|a| js::subarray(a, 0, u32::try_from(data.len()).ok()?).ok())
        .unwrap_or_else(|| Uint8Array::from(data))
}

async fn start_native(
    to_verify: &SignatureToVerify,
    fixed: &[u8],
    data: &[u8],
    array: Option<&Uint8Array>,
) -> Check {
    let alg = to_verify.algorithm();
    let point = to_verify.verification_key().to_sec1_uncompressed();
    let concurrent = data.len() >= CONCURRENT_VERIFY_MIN;
    if let Some(crypto) = node_crypto() {
        // SubjectPublicKeyInfo DER: Node imports it in a third of the time
        // a JWK takes (121 against 383 us for P-384 here), which was a
        // quarter of a 1 KiB signed decryption.
        if let Ok(public) = crypto.create_public_key(&spki_import(alg, to_verify)) {
            let spec = node_key_spec(&public);
            if !concurrent {
                if let Ok(valid) = crypto.verify(node_hash(alg), data, &spec, fixed) {
                    return Check::Done(valid);
                }
            } else if let Some(check) = node_verify_async(&crypto, alg, data, array, &spec, fixed) {
                return check;
            }
        }
    }
    let Some(subtle) = subtle() else {
        return Check::InCrate;
    };
    let usages = Array::of1(&"verify".into());
    let args = Array::of5(
        &"raw".into(),
        &Uint8Array::from(&point[..]),
        &subtle_params(alg),
        &false.into(),
        &usages,
    );
    let Ok(public) = call_async(&subtle, "importKey", &args).await else {
        return Check::InCrate;
    };
    let args = Array::of4(
        &subtle_params(alg),
        &public,
        &Uint8Array::from(fixed),
        &signed_array(data, array),
    );
    match Reflect::get(&subtle, &"verify".into()).map(|f| f.dyn_into::<Function>()) {
        Ok(Ok(f)) => match f.apply(&subtle, &args) {
            // Wrapped now, so it runs (and a rejection is handled) while the
            // caller opens frames.
            Ok(promise) => Check::Running(JsFuture::from(Promise::from(promise))),
            Err(_) => Check::InCrate,
        },
        _ => Check::InCrate,
    }
}

/// node:crypto's verification of `data` on its thread pool; `None` if the
/// call threw. An implementation that ignores the callback and answers at
/// once (a polyfill) is taken at its word rather than waited for.
fn node_verify_async(
    crypto: &NodeCrypto,
    alg: SignatureAlgorithm,
    data: &[u8],
    array: Option<&Uint8Array>,
    spec: &Object,
    fixed: &[u8],
) -> Option<Check> {
    let mut settle = None;
    let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let (resolve, reject) = settle?;
    // Frees itself once node:crypto calls it (it always does unless the
    // call throws, which then leaks this one small closure).
    let callback = Closure::once_into_js(move |error: JsValue, valid: JsValue| {
        let _ = if error.is_null() || error.is_undefined() {
            resolve.call1(&JsValue::UNDEFINED, &valid)
        } else {
            reject.call1(&JsValue::UNDEFINED, &error)
        };
    });
    let data = signed_array(data, array);
    let returned = crypto
        .verify_async(node_hash(alg), &data, spec, fixed, &callback)
        .ok()?;
    Some(match returned.as_bool() {
        Some(valid) => Check::Done(valid),
        None => Check::Running(JsFuture::from(promise)),
    })
}

/// Detaches the signature of a signed suite's encryptor when a native
/// ECDSA is here (else leaves it to the core).
pub fn detach_encryptor(encryptor: &mut Encryptor) -> JsResult<()> {
    if encryptor.header().suite().signature.is_some() && available() {
        encryptor.detach_signature().map_err(to_js)?;
    }
    Ok(())
}

/// Ends an encryptor: the footer signed natively if its signature is
/// detached (in the crate when the key has no native half).
pub async fn finish_encryptor(encryptor: Encryptor, out: &mut Vec<u8>) -> JsResult<()> {
    if !encryptor.is_signature_detached() {
        return encryptor.finish(out).map_err(to_js);
    }
    let footer = encryptor.finish_to_sign(out).map_err(to_js)?;
    let data = footer.signed_bytes(out).map_err(to_js)?;
    match sign_native(footer.signing_key(), data).await {
        Some(signature) => footer.complete(&signature, out).map_err(to_js),
        None => footer.sign_in_crate(out).map_err(to_js),
    }
}

/// Detaches the signature of a signed suite's body decryptor when a native
/// ECDSA is here (else leaves it to the core).
pub fn detach_decryptor(body: &mut BodyDecryptor) -> JsResult<()> {
    if body.header().suite().signature.is_some() && available() {
        body.detach_signature().map_err(to_js)?;
    }
    Ok(())
}

/// Ends a body decryptor, verifying a detached signature over `message`
/// (the whole message) first; the held plaintext goes to `out` only if it
/// verified.
pub async fn finish_decryptor(
    mut body: BodyDecryptor,
    message: &[u8],
    out: &mut Vec<u8>,
) -> JsResult<()> {
    if !body.is_signature_detached() {
        return body.finish(out).map_err(to_js);
    }
    let to_verify = body.take_signature_to_verify().map_err(to_js)?;
    let verdict = start_verify(to_verify, message, None)
        .await
        .verdict(message)
        .await;
    body.finish_verified(verdict, out).map_err(to_js)
}

/// A one-shot encryptor: its plaintext bounded to `plaintext_len` bytes, its
/// signature detached when a native ECDSA is here (see
/// [`finish_encryptor`]).
pub async fn one_shot_encryptor(
    manager: &dyn MaterialsManager,
    plaintext_len: usize,
    context: &EncryptionContext,
    options: &EncryptOptions,
) -> JsResult<Encryptor> {
    let mut options = options.clone();
    options.plaintext_length_bound = Some(plaintext_len as u64);
    let mut encryptor = Encryptor::new(manager, context, &options)
        .await
        .map_err(to_js)?;
    detach_encryptor(&mut encryptor)?;
    Ok(encryptor)
}

/// The body decryptor of a whole message and its body (the bytes after the
/// header): a message whose body is over the options' limit is refused
/// before any materials are obtained, and the signature is detached when a
/// native ECDSA is here (see [`finish_decryptor`]).
pub async fn one_shot_decryptor<'a>(
    manager: &dyn MaterialsManager,
    ciphertext: &'a [u8],
    options: DecryptOptions,
) -> JsResult<(BodyDecryptor, &'a [u8])> {
    let max_body = options.max_body_size;
    let mut rest: &[u8] = ciphertext;
    let parsed = match kms_envelope::HeaderReader::new(options)
        .read(&mut rest)
        .map_err(to_js)?
    {
        kms_envelope::ReadHeader::Parsed(p) => p,
        kms_envelope::ReadHeader::NeedMore(_) => return Err(to_js(Error::TruncatedMessage)),
    };
    if let Some(max) = max_body
        && rest.len() as u64 > max
    {
        return Err(to_js(kms_envelope::error::Limit::BodySize { max }.into()));
    }
    let mut body = parsed.obtain_materials(manager).await.map_err(to_js)?;
    detach_decryptor(&mut body)?;
    Ok((body, rest))
}

/// Decrypts `body`, the body of `message`, in wasm; a signed suite's
/// signature is checked (natively when detached) before the plaintext is
/// returned.
pub async fn decrypt_body(
    mut body: BodyDecryptor,
    message: &[u8],
    rest: &[u8],
) -> JsResult<Vec<u8>> {
    let mut plaintext = body.whole_body_buffer(rest.len());
    body.update(rest, &mut plaintext).map_err(to_js)?;
    finish_decryptor(body, message, &mut plaintext).await?;
    Ok(plaintext)
}
