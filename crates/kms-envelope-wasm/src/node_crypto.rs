//! Frames through Node's `node:crypto` AES-GCM, synchronously.
//!
//! Where the runtime has `process.getBuiltinModule("node:crypto")` (Node
//! 20.16 and later), OpenSSL seals and opens every frame: it is far faster
//! than AES-GCM compiled to wasm and, unlike WebCrypto, synchronous, so it
//! pays off for a 1 KiB message as much as for a stream. The module is
//! looked up at run time (the same .wasm and glue serve browsers), and used
//! only after a known-answer test passes, so a polyfill that gets AES-GCM
//! wrong is never used. As with WebCrypto, the core writes and parses
//! every byte and checks commitment, header tag, frame order and signature;
//! a frame's plaintext is handed on only after `final()` checked its tag.

use js_sys::{Function, Uint8Array};
use kms_envelope::Error;
use kms_envelope::detached::ContentKey;
use wasm_bindgen::prelude::*;

use crate::error::{JsResult, to_js};
use crate::js;

/// The AES-GCM tag length of every suite.
const TAG_LEN: usize = 16;

#[wasm_bindgen]
extern "C" {
    /// The `node:crypto` module.
    #[derive(Clone)]
    pub type NodeCrypto;

    #[wasm_bindgen(method, catch, js_name = createSecretKey)]
    fn create_secret_key(this: &NodeCrypto, key: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = createCipheriv)]
    fn create_cipheriv(
        this: &NodeCrypto,
        algorithm: &JsValue,
        key: &JsValue,
        iv: &[u8],
    ) -> Result<Cipher, JsValue>;

    #[wasm_bindgen(method, catch, js_name = createDecipheriv)]
    fn create_decipheriv(
        this: &NodeCrypto,
        algorithm: &JsValue,
        key: &JsValue,
        iv: &[u8],
    ) -> Result<Cipher, JsValue>;

    /// A `Cipheriv` or `Decipheriv`.
    type Cipher;

    #[wasm_bindgen(method, catch, js_name = setAAD)]
    fn set_aad(this: &Cipher, aad: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = setAuthTag)]
    fn set_auth_tag(this: &Cipher, tag: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = setAuthTag)]
    fn set_auth_tag_view(this: &Cipher, tag: &Uint8Array) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn update(this: &Cipher, data: &[u8]) -> Result<Uint8Array, JsValue>;

    #[wasm_bindgen(method, catch, js_name = update)]
    fn update_view(this: &Cipher, data: &Uint8Array) -> Result<Uint8Array, JsValue>;

    #[wasm_bindgen(method, catch, js_name = final)]
    fn finish(this: &Cipher) -> Result<Uint8Array, JsValue>;

    #[wasm_bindgen(method, catch, js_name = getAuthTag)]
    fn auth_tag(this: &Cipher) -> Result<Uint8Array, JsValue>;
}

/// `node:crypto`, if the runtime has it and its AES-256-GCM passes a
/// known-answer test (McGrew and Viega's test case 14, and the same
/// ciphertext with a flipped tag bit refused).
pub fn detect() -> Option<NodeCrypto> {
    let process = js::get(&js::global(), "process")?;
    let get_builtin = js::get(&process, "getBuiltinModule")?
        .dyn_into::<Function>()
        .ok()?;
    let module = get_builtin.call1(&process, &"node:crypto".into()).ok()?;
    for name in ["createSecretKey", "createCipheriv", "createDecipheriv"] {
        js::get(&module, name)?.dyn_into::<Function>().ok()?;
    }
    let crypto: NodeCrypto = module.unchecked_into();
    passes_known_answer(&crypto).then_some(crypto)
}

fn passes_known_answer(crypto: &NodeCrypto) -> bool {
    const SEALED: [u8; 32] = [
        0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e, 0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d,
        0x18, 0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0, 0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a,
        0xb9, 0x19,
    ];
    let Ok(aes) = NodeAes::with_key(crypto, &[0; 32]) else {
        return false;
    };
    let iv = [0; 12];
    let sealed = aes.seal(&iv, &[], &[0; 16]);
    let opened = aes.open(&iv, &[], &SEALED).map(|p| p.to_vec());
    let mut tampered = SEALED;
    tampered[31] ^= 1;
    matches!(sealed, Ok(s) if s == SEALED)
        && matches!(opened, Ok(p) if p == [0; 16])
        && aes.open(&iv, &[], &tampered).is_err()
}

/// One message's content key, imported as a `node:crypto` KeyObject.
pub struct NodeAes {
    crypto: NodeCrypto,
    algorithm: JsValue,
    key: JsValue,
}

impl NodeAes {
    /// Imports `key`: the KeyObject holds it outside the JavaScript heap, and
    /// no JavaScript copy of it remains (the bytes are read from wasm memory).
    pub fn import(crypto: &NodeCrypto, key: &ContentKey) -> JsResult<NodeAes> {
        NodeAes::with_key(crypto, key.as_bytes())
    }

    fn with_key(crypto: &NodeCrypto, key: &[u8]) -> JsResult<NodeAes> {
        let algorithm = match key.len() {
            16 => "aes-128-gcm",
            24 => "aes-192-gcm",
            32 => "aes-256-gcm",
            _ => return Err(to_js(Error::InvalidKey("content key length"))),
        };
        Ok(NodeAes {
            key: crypto.create_secret_key(key).map_err(failed)?,
            crypto: crypto.clone(),
            algorithm: algorithm.into(),
        })
    }

    /// Seals one frame; returns its ciphertext followed by the tag.
    pub fn seal(&self, iv: &[u8], aad: &[u8], plaintext: &[u8]) -> JsResult<Vec<u8>> {
        Ok(js::concat(&self.seal_parts(iv, aad, plaintext)?))
    }

    /// Seals one frame into node:crypto's own buffers: the ciphertext (in
    /// the two parts `update` and `final` give) and the tag, in order.
    pub fn seal_parts(&self, iv: &[u8], aad: &[u8], plaintext: &[u8]) -> JsResult<[Uint8Array; 3]> {
        self.seal_with(iv, aad, |cipher| cipher.update(plaintext))
    }

    /// Like [`seal_parts`](Self::seal_parts), for plaintext in a JavaScript
    /// array (a view of the caller's), which stays out of wasm memory.
    pub fn seal_view(
        &self,
        iv: &[u8],
        aad: &[u8],
        plaintext: &Uint8Array,
    ) -> JsResult<[Uint8Array; 3]> {
        self.seal_with(iv, aad, |cipher| cipher.update_view(plaintext))
    }

    fn seal_with(
        &self,
        iv: &[u8],
        aad: &[u8],
        update: impl FnOnce(&Cipher) -> Result<Uint8Array, JsValue>,
    ) -> JsResult<[Uint8Array; 3]> {
        let cipher = self
            .crypto
            .create_cipheriv(&self.algorithm, &self.key, iv)
            .map_err(failed)?;
        cipher.set_aad(aad).map_err(failed)?;
        let head = update(&cipher).map_err(failed)?;
        // GCM's `final()` emits nothing, but its bytes are kept if it did.
        let rest = cipher.finish().map_err(failed)?;
        let tag = cipher.auth_tag().map_err(failed)?;
        if tag.length() as usize != TAG_LEN {
            return Err(to_js(Error::External(
                "node:crypto returned a short tag".into(),
            )));
        }
        Ok([head, rest, tag])
    }

    /// Opens one frame (`ciphertext_and_tag`: the content and its 16-byte
    /// tag). The plaintext is returned only once `final()` has checked the
    /// tag; on failure it is zeroed and the error is `InvalidCiphertext`.
    pub fn open(&self, iv: &[u8], aad: &[u8], ciphertext_and_tag: &[u8]) -> JsResult<Uint8Array> {
        let split = ciphertext_and_tag
            .len()
            .checked_sub(TAG_LEN)
            .ok_or_else(|| to_js(Error::BodyAuthentication))?;
        let (ciphertext, tag) = ciphertext_and_tag.split_at(split);
        self.open_with(
            iv,
            aad,
            |decipher| decipher.set_auth_tag(tag),
            |decipher| decipher.update(ciphertext),
        )
    }

    /// Like [`open`](Self::open), for a frame in a JavaScript array (a view
    /// of the caller's), which stays out of wasm memory.
    pub fn open_view(
        &self,
        iv: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &Uint8Array,
    ) -> JsResult<Uint8Array> {
        let len = ciphertext_and_tag.length();
        let split = len
            .checked_sub(TAG_LEN as u32)
            .ok_or_else(|| to_js(Error::BodyAuthentication))?;
        let tag = js::subarray(ciphertext_and_tag, split, len)?;
        let ciphertext = js::subarray(ciphertext_and_tag, 0, split)?;
        self.open_with(
            iv,
            aad,
            |decipher| decipher.set_auth_tag_view(&tag),
            |decipher| decipher.update_view(&ciphertext),
        )
    }

    fn open_with(
        &self,
        iv: &[u8],
        aad: &[u8],
        set_tag: impl FnOnce(&Cipher) -> Result<JsValue, JsValue>,
        update: impl FnOnce(&Cipher) -> Result<Uint8Array, JsValue>,
    ) -> JsResult<Uint8Array> {
        let bad = || to_js(Error::BodyAuthentication);
        let decipher = self
            .crypto
            .create_decipheriv(&self.algorithm, &self.key, iv)
            .map_err(failed)?;
        decipher.set_aad(aad).map_err(failed)?;
        set_tag(&decipher).map_err(|_| bad())?;
        let plaintext = update(&decipher).map_err(failed)?;
        match decipher.finish() {
            Ok(rest) if rest.length() == 0 => Ok(plaintext),
            _ => {
                plaintext.fill(0, 0, plaintext.length());
                Err(bad())
            }
        }
    }
}

/// A `node:crypto` exception as an `External` error.
pub(crate) fn failed(e: JsValue) -> JsValue {
    let message = js::get(&e, "message")
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "an exception".to_owned());
    to_js(Error::External(format!("node:crypto: {message}").into()))
}
