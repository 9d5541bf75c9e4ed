//! Bulk frames through WebCrypto's AES-GCM where the runtime has it.
//!
//! `crypto.subtle` is about ten times faster than AES-GCM compiled to wasm,
//! but asynchronous, so it pays off for large frames and many bytes: streams
//! and large one-shot messages use it; small messages keep the pure path
//! (one await per frame would cost more than it saves). The core still
//! writes and parses every byte and checks commitment, header tag, frame
//! order and signature; WebCrypto only seals and opens frames, and a frame's
//! plaintext is released only after WebCrypto has checked its tag.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use kms_envelope::detached::{ContentKey, SealedFrame};
use kms_envelope::{BodyDecryptor, Encryptor, Error};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::error::{JsResult, to_js};
use crate::js;
use crate::secret::SecretBytes;

/// One-shot messages at least this large use WebCrypto.
pub const ONE_SHOT_THRESHOLD: usize = 64 * 1024;

/// Frames handed to WebCrypto before the first of them is awaited. One call
/// at a time leaves WebCrypto's worker threads idle between calls (in Node
/// 20 on 2 cores: 430 MB/s for 64 KiB frames one by one, 1,300 MB/s sixteen
/// at a time); sixteen 64 KiB frames keep at most 1 MiB of copies in the
/// JavaScript heap.
const IN_FLIGHT: usize = 16;

/// An imported AES-GCM key and the `SubtleCrypto` it belongs to.
pub struct Subtle {
    subtle: JsValue,
    key: JsValue,
    /// Where a batch's inputs are copied for WebCrypto: one buffer, grown
    /// to the largest batch and reused, instead of a new ArrayBuffer per
    /// frame (allocating those was the largest single cost of a 16 MiB
    /// message in Chromium). Zeroed when the key is dropped.
    staging: Uint8Array,
}

impl Drop for Subtle {
    fn drop(&mut self) {
        self.staging.fill(0, 0, self.staging.length());
    }
}

/// `globalThis.crypto.subtle`, if the runtime has it.
fn subtle() -> Option<JsValue> {
    let crypto = js::get(&js::global(), "crypto")?;
    js::get(&crypto, "subtle")
}

/// Whether frames can go through WebCrypto here.
pub fn available() -> bool {
    subtle().is_some()
}

fn method(target: &JsValue, name: &str) -> JsResult<Function> {
    Reflect::get(target, &name.into())?
        .dyn_into::<Function>()
        .map_err(|_| JsValue::from_str("crypto.subtle lacks a method"))
}

fn params(iv: &[u8], aad: &[u8]) -> Object {
    let p = Object::new();
    js::set(&p, "name", &"AES-GCM".into());
    js::set(&p, "iv", &Uint8Array::from(iv));
    js::set(&p, "additionalData", &Uint8Array::from(aad));
    js::set(&p, "tagLength", &128.into());
    p
}

impl Subtle {
    /// Imports `key` (non-extractable, encrypt and decrypt only).
    pub async fn import(key: &ContentKey) -> JsResult<Subtle> {
        let subtle = subtle().ok_or_else(|| JsValue::from_str("no crypto.subtle"))?;
        let algorithm = Object::new();
        js::set(&algorithm, "name", &"AES-GCM".into());
        let usages: Array = ["encrypt", "decrypt"]
            .iter()
            .map(|u| JsValue::from_str(u))
            .collect();
        let raw = Uint8Array::from(key.as_bytes());
        let args = Array::of5(&"raw".into(), &raw, &algorithm, &false.into(), &usages);
        let promise = method(&subtle, "importKey")?.apply(&subtle, &args)?;
        // The copy in the JavaScript heap is cleared as soon as it is imported.
        let imported = JsFuture::from(Promise::from(promise)).await;
        raw.fill(0, 0, raw.length());
        Ok(Subtle {
            key: imported?,
            subtle,
            staging: Uint8Array::new_with_length(0),
        })
    }

    /// Starts one AES-GCM call; the returned future is already running.
    fn start(&self, name: &str, iv: &[u8], aad: &[u8], data: &Uint8Array) -> JsResult<JsFuture> {
        let args = Array::of3(&params(iv, aad), &self.key, data);
        let promise = method(&self.subtle, name)?.apply(&self.subtle, &args)?;
        // Wrapping it now attaches the handlers, so a rejection is never
        // reported as unhandled while earlier frames are awaited.
        Ok(JsFuture::from(Promise::from(promise)))
    }

    /// `name` ("encrypt" or "decrypt") over a batch of frames given as
    /// (iv, aad, data), all in flight at once; the futures are in order.
    /// The caller awaits every one of them before the next batch, which
    /// reuses the staging buffer.
    fn start_all(
        &mut self,
        name: &str,
        frames: &[(&[u8], &[u8], &[u8])],
    ) -> JsResult<Vec<JsFuture>> {
        let too_large = || JsValue::from_str("a batch of frames exceeds 4 GiB");
        let needed: usize = frames.iter().map(|(_, _, data)| data.len()).sum();
        let needed = u32::try_from(needed).map_err(|_| too_large())?;
        if self.staging.length() < needed {
            self.staging.fill(0, 0, self.staging.length());
            self.staging = Uint8Array::new_with_length(needed);
        }
        let mut at = 0u32;
        let mut calls = Vec::with_capacity(frames.len());
        for (iv, aad, data) in frames {
            // `data.len()` fits: the whole batch does.
            let end = at + u32::try_from(data.len()).map_err(|_| too_large())?;
            let view = self.staging.subarray(at, end);
            view.copy_from(data);
            calls.push(self.start(name, iv, aad, &view)?);
            at = end;
        }
        Ok(calls)
    }
}

/// The bytes a WebCrypto call resolved to.
async fn bytes_of(call: JsFuture) -> JsResult<Vec<u8>> {
    let buffer = call.await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// An encryptor whose frames go through WebCrypto when `subtle` is set.
pub struct EncryptDriver {
    encryptor: Encryptor,
    subtle: Option<Subtle>,
}

impl EncryptDriver {
    /// Detaches the content cipher into WebCrypto when `use_webcrypto`.
    pub async fn new(mut encryptor: Encryptor, use_webcrypto: bool) -> JsResult<Self> {
        let subtle = if use_webcrypto && available() {
            let key = encryptor.detach_content_cipher().map_err(to_js)?;
            Some(Subtle::import(&key).await?)
        } else {
            None
        };
        Ok(EncryptDriver { encryptor, subtle })
    }

    async fn seal_pending(&mut self, out: &mut Vec<u8>) -> JsResult<()> {
        if let Some(subtle) = &mut self.subtle {
            let mut frames = self.encryptor.take_frames_to_seal().into_iter();
            loop {
                let batch: Vec<_> = frames.by_ref().take(IN_FLIGHT).collect();
                if batch.is_empty() {
                    break;
                }
                let inputs: Vec<_> = batch
                    .iter()
                    .map(|f| (&f.iv()[..], f.aad(), f.plaintext()))
                    .collect();
                let calls = subtle.start_all("encrypt", &inputs)?;
                for (frame, call) in batch.into_iter().zip(calls) {
                    let sealed = bytes_of(call).await?;
                    self.encryptor
                        .complete_frame(frame, &sealed, out)
                        .map_err(to_js)?;
                }
            }
        }
        Ok(())
    }

    /// Encrypts `plaintext`, appending finished bytes to `out`.
    pub async fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> JsResult<()> {
        self.encryptor.update(plaintext, out).map_err(to_js)?;
        self.seal_pending(out).await
    }

    /// Ends the message.
    pub async fn finish(mut self, out: &mut Vec<u8>) -> JsResult<()> {
        if self.subtle.is_some() {
            self.encryptor.finish_input(out).map_err(to_js)?;
            self.seal_pending(out).await?;
        }
        crate::native_sig::finish_encryptor(self.encryptor, out).await
    }
}

/// A body decryptor whose frames go through WebCrypto when `subtle` is set.
pub struct DecryptDriver {
    body: BodyDecryptor,
    subtle: Option<Subtle>,
}

impl DecryptDriver {
    /// Detaches the content cipher into WebCrypto when `use_webcrypto`.
    pub async fn new(mut body: BodyDecryptor, use_webcrypto: bool) -> JsResult<Self> {
        let subtle = if use_webcrypto && available() {
            let key = body.detach_content_cipher().map_err(to_js)?;
            Some(Subtle::import(&key).await?)
        } else {
            None
        };
        Ok(DecryptDriver { body, subtle })
    }

    /// Decrypts `input`, appending released plaintext to `out`.
    pub async fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> JsResult<()> {
        let DecryptDriver { body, subtle } = self;
        body.update(input, out).map_err(to_js)?;
        if let Some(subtle) = subtle {
            let frames = body.take_sealed_frames();
            open_in_order(subtle, frames, |frame, plaintext| {
                let plaintext = SecretBytes::new(plaintext.to_vec());
                body.release_frame(frame, &plaintext, out).map_err(to_js)
            })
            .await?;
        }
        Ok(())
    }

    /// Ends the message (the footer's signature is checked here).
    pub fn finish(self, out: &mut Vec<u8>) -> JsResult<()> {
        self.body.finish(out).map_err(to_js)
    }

    /// One-shot: decrypts a whole message body (`input`, the bytes after the
    /// header of `message`) into a new Uint8Array. Each frame WebCrypto opens is copied straight
    /// into it and never back through wasm memory: that round trip (a copy
    /// in, a copy into the output, a copy out, and zeroizing both wasm
    /// copies) made a 16 MiB decryption twice as slow as its encryption.
    /// The core still checks each frame's order and length, and the array
    /// is returned only once `finish` has accepted the whole message; on
    /// any failure it is zeroed. Needs WebCrypto (the caller checked
    /// [`available`]).
    pub async fn decrypt_whole(self, message: &[u8], input: &[u8]) -> JsResult<Uint8Array> {
        let DecryptDriver { mut body, subtle } = self;
        let mut subtle = subtle.ok_or_else(|| JsValue::from_str("no crypto.subtle"))?;
        // Detached: update parses every frame and releases nothing.
        let mut none = Vec::new();
        body.update(input, &mut none).map_err(to_js)?;
        let frames = body.take_sealed_frames();
        let total = u32_len(frames.iter().map(SealedFrame::plaintext_len).sum())?;
        let out = Uint8Array::new_with_length(total);
        let mut at = 0u32;
        let opened = open_in_order(&mut subtle, frames, |frame, plaintext| {
            let len = plaintext.length();
            body.keep_frame(frame, len as usize).map_err(to_js)?;
            // The lengths of all frames add up to `out`'s.
            out.set(&plaintext, at);
            at += len;
            Ok(())
        })
        .await;
        let finished = match opened {
            Ok(()) => crate::native_sig::finish_decryptor(body, message, &mut none).await,
            Err(e) => Err(e),
        };
        if let Err(e) = finished {
            out.fill(0, 0, out.length());
            return Err(e);
        }
        Ok(out)
    }
}

/// Opens `frames` through WebCrypto, up to [`IN_FLIGHT`] at once, and hands
/// each plaintext to `each` in sequence order: a frame is handed on only
/// once its own tag has verified, and none after a frame that failed.
async fn open_in_order(
    subtle: &mut Subtle,
    frames: Vec<SealedFrame>,
    mut each: impl FnMut(SealedFrame, Uint8Array) -> JsResult<()>,
) -> JsResult<()> {
    let mut frames = frames.into_iter();
    loop {
        let batch: Vec<_> = frames.by_ref().take(IN_FLIGHT).collect();
        if batch.is_empty() {
            return Ok(());
        }
        let inputs: Vec<_> = batch
            .iter()
            .map(|f| (&f.iv()[..], f.aad(), f.ciphertext_and_tag()))
            .collect();
        let calls = subtle.start_all("decrypt", &inputs)?;
        for (frame, call) in batch.into_iter().zip(calls) {
            let buffer = call.await.map_err(|_| to_js(Error::BodyAuthentication))?;
            each(frame, Uint8Array::new(&buffer))?;
        }
    }
}

/// A length as JavaScript arrays take it.
fn u32_len(len: usize) -> JsResult<u32> {
    u32::try_from(len).map_err(|_| JsValue::from_str("a message over 4 GiB"))
}
