//! Frames through the runtime's own AES-GCM: `node:crypto` in Node,
//! WebCrypto elsewhere.
//!
//! Both are many times faster than AES-GCM compiled to wasm. `node:crypto`
//! is synchronous, so Node uses it for every frame of every message (see
//! [`crate::node_crypto`]). WebCrypto is asynchronous, so it pays off for
//! large frames and many bytes: streams and large one-shot messages use it;
//! small messages keep the pure path (one await per frame would cost more
//! than it saves). The core still writes and parses every byte and checks
//! commitment, header tag, frame order and signature; the platform only
//! seals and opens frames, and a frame's plaintext is released only after
//! its tag was checked.

use std::cell::Cell;
use std::ops::Range;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use kms_envelope::detached::{ContentKey, FrameToSeal, SealedFrame};
use kms_envelope::detached_signature::FooterToSign;
use kms_envelope::{BodyDecryptor, Encryptor, Error};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::error::{JsResult, to_js};
use crate::js;
use crate::native_sig::{MessageSigner, StreamSigner, StreamVerifier};
use crate::node_crypto::{self, NodeAes, NodeCrypto};
use kms_envelope::PlaintextPiece;

/// One-shot messages at least this large use WebCrypto.
pub const ONE_SHOT_THRESHOLD: usize = 64 * 1024;

/// Bytes of frames handed to WebCrypto before the first of them is awaited.
/// One call at a time leaves WebCrypto's worker threads idle between calls
/// (in Node 20 on 2 cores: 430 MB/s for 64 KiB frames one by one, 1,300
/// MB/s sixteen at a time), and the smaller the frames, the more of each
/// call is its fixed cost: the window is counted in bytes, so the default
/// 4 KiB frames go 256 at a time. It bounds the copies in the JavaScript
/// heap to about 1 MiB.
const IN_FLIGHT_BYTES: usize = 1 << 20;
/// Frames in flight at the least (frames over 64 KiB) and at the most
/// (tiny frames, whose calls are mostly fixed cost anyway).
const MIN_IN_FLIGHT: usize = 16;
const MAX_IN_FLIGHT: usize = 256;

/// How many frames of `frame_len` bytes go to WebCrypto at once.
fn in_flight(frame_len: usize) -> usize {
    (IN_FLIGHT_BYTES / frame_len.max(1)).clamp(MIN_IN_FLIGHT, MAX_IN_FLIGHT)
}

#[wasm_bindgen]
extern "C" {
    /// `crypto.subtle`, as far as frames need it: typed calls, so that a
    /// frame costs one call from wasm rather than a method lookup, an
    /// argument array and an `apply`.
    type SubtleCrypto;

    #[wasm_bindgen(method, catch)]
    fn encrypt(
        this: &SubtleCrypto,
        params: &AesGcmParams,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn decrypt(
        this: &SubtleCrypto,
        params: &AesGcmParams,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;

    /// An `AesGcmParams` dictionary (name, 128-bit tag), one per key and
    /// reused for every frame: a call converts its algorithm argument, and
    /// copies the IV and AAD out of it, when it starts.
    type AesGcmParams;

    #[wasm_bindgen(method, setter)]
    fn set_iv(this: &AesGcmParams, iv: &Uint8Array);

    #[wasm_bindgen(method, setter = additionalData)]
    fn set_additional_data(this: &AesGcmParams, aad: &Uint8Array);
}

/// Which AES-GCM operation a batch of frames goes through.
#[derive(Clone, Copy)]
enum Op {
    Seal,
    Open,
}

/// An imported AES-GCM key and the `SubtleCrypto` it belongs to.
pub struct Subtle {
    subtle: SubtleCrypto,
    key: JsValue,
    params: AesGcmParams,
    /// Where a batch's IVs, AADs and inputs are copied for WebCrypto: one
    /// buffer, grown to the largest batch and reused, instead of new
    /// ArrayBuffers per frame (allocating those was the largest single
    /// cost of a 16 MiB message in Chromium). Zeroed when the key is
    /// dropped.
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

/// The platform AES-GCMs of a runtime, found once per session.
#[derive(Clone)]
pub struct Platform {
    node: Option<NodeCrypto>,
    subtle: bool,
    counts: Rc<FrameCounts>,
}

/// Frames sealed or opened by each platform AES-GCM (the rest ran in wasm).
#[derive(Default)]
pub struct FrameCounts {
    /// By `node:crypto`.
    pub node: Cell<u64>,
    /// By WebCrypto.
    pub subtle: Cell<u64>,
}

impl Platform {
    /// What this runtime has.
    pub fn detect() -> Platform {
        Platform {
            node: node_crypto::detect(),
            subtle: subtle().is_some(),
            counts: Rc::default(),
        }
    }

    /// Whether a one-shot message of `len` bytes goes through a platform
    /// AES-GCM: any message with `node:crypto`, large ones with WebCrypto.
    pub fn one_shot(&self, len: usize) -> bool {
        self.node.is_some() || (self.subtle && len >= ONE_SHOT_THRESHOLD)
    }

    /// Whether a one-shot message of `len` bytes has its frames sealed or
    /// opened by WebCrypto, which reads the caller's array across awaits.
    pub fn webcrypto_one_shot(&self, len: usize) -> bool {
        self.node.is_none() && self.one_shot(len)
    }

    /// Whether there is a platform AES-GCM at all (streams use it).
    pub fn any(&self) -> bool {
        self.node.is_some() || self.subtle
    }

    /// The frame counts, for `stats()`.
    pub fn counts(&self) -> &FrameCounts {
        &self.counts
    }

    /// Imports `key` into the preferred platform AES-GCM.
    async fn import(&self, key: &ContentKey) -> JsResult<Backend> {
        Ok(match &self.node {
            Some(crypto) => Backend::Node(NodeAes::import(crypto, key)?),
            None => Backend::Subtle(Subtle::import(key).await?),
        })
    }
}

/// The AES-GCM a detached message's frames go through.
enum Backend {
    Node(NodeAes),
    Subtle(Subtle),
}

/// `subtle[name]`, a function.
fn method(target: &JsValue, name: &str) -> JsResult<Function> {
    Reflect::get(target, &name.into())?
        .dyn_into::<Function>()
        .map_err(|_| JsValue::from_str("crypto.subtle lacks a method"))
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
        js::set(&algorithm, "tagLength", &128.into());
        Ok(Subtle {
            key: imported?,
            subtle: subtle.unchecked_into(),
            params: algorithm.unchecked_into(),
            staging: Uint8Array::new_with_length(0),
        })
    }

    /// `op` over a batch of frames, all in flight at once: one promise of
    /// their outputs, in order. Every frame's IV and AAD are copied into
    /// the staging buffer at once; the input of a frame that names its
    /// span (see [`span_view`]) is its view of `source`, handed over as it
    /// is, and every other input is copied from wasm memory after them.
    /// The caller awaits the promise before the next batch, which reuses
    /// the staging buffer.
    fn start_all<F: PlatformFrame>(
        &mut self,
        op: Op,
        frames: &[F],
        source: Option<&Uint8Array>,
    ) -> JsResult<Promise> {
        let too_large = || JsValue::from_str("a batch of frames exceeds 4 GiB");
        let fits = |n: usize| u32::try_from(n).map_err(|_| too_large());
        // IVs and AADs (public bytes), frame after frame.
        let mut meta = Vec::new();
        let mut views = Vec::with_capacity(frames.len());
        let mut inputs = 0usize;
        for frame in frames {
            let (iv, aad, data) = frame.parts();
            meta.extend_from_slice(iv);
            meta.extend_from_slice(aad);
            let view = span_view(frame, source)?;
            if view.is_none() {
                inputs += data.len();
            }
            views.push(view);
        }
        let needed = fits(meta.len() + inputs)?;
        if self.staging.length() < needed {
            self.staging.fill(0, 0, self.staging.length());
            self.staging = Uint8Array::new_with_length(needed);
        }
        // Every length below is part of `needed`, which fits.
        let mut meta_at = 0u32;
        let mut input_at = fits(meta.len())?;
        self.staging.subarray(0, input_at).copy_from(&meta);
        let calls = Array::new_with_length(fits(frames.len())?);
        for (i, (frame, view)) in (0u32..).zip(frames.iter().zip(views)) {
            let (iv, aad, data) = frame.parts();
            let iv_end = meta_at + fits(iv.len())?;
            let aad_end = iv_end + fits(aad.len())?;
            self.params.set_iv(&self.staging.subarray(meta_at, iv_end));
            self.params
                .set_additional_data(&self.staging.subarray(iv_end, aad_end));
            meta_at = aad_end;
            let view = match view {
                Some(view) => view,
                None => {
                    let end = input_at + fits(data.len())?;
                    let view = self.staging.subarray(input_at, end);
                    view.copy_from(data);
                    input_at = end;
                    view
                }
            };
            let call = match op {
                Op::Seal => self.subtle.encrypt(&self.params, &self.key, &view),
                Op::Open => self.subtle.decrypt(&self.params, &self.key, &view),
            };
            calls.set(i, call?.into());
        }
        // `all` handles every call's rejection: none is reported as
        // unhandled, whichever fails first.
        Ok(Promise::all(&calls))
    }

    /// `op` over `frames`, up to [`in_flight`] of them in flight at once,
    /// handing each frame and its output to `each` in sequence order; stops
    /// at the first error `each` returns. A batch in which any call failed
    /// hands its first frame that error and no frame its output. Frames
    /// that name their span are views of `source`.
    async fn in_batches<F: PlatformFrame>(
        &mut self,
        op: Op,
        frames: Vec<F>,
        source: Option<&Uint8Array>,
        mut each: impl FnMut(F, JsResult<JsValue>) -> JsResult<()>,
    ) -> JsResult<()> {
        // Frames are alike but for the final one, which may be shorter.
        let at_once = in_flight(frames.first().map_or(0, |f| f.parts().2.len()));
        let mut frames = frames.into_iter();
        loop {
            let batch: Vec<F> = frames.by_ref().take(at_once).collect();
            if batch.is_empty() {
                return Ok(());
            }
            let outputs = JsFuture::from(self.start_all(op, &batch, source)?).await;
            match outputs {
                Ok(outputs) => {
                    let outputs: Array = outputs.unchecked_into();
                    for (i, frame) in (0u32..).zip(batch) {
                        each(frame, Ok(outputs.get(i)))?;
                    }
                }
                Err(e) => {
                    // `each` turns the failure into its own error; the
                    // batch fails with the platform's if it does not.
                    if let Some(first) = batch.into_iter().next() {
                        each(first, Err(e.clone()))?;
                    }
                    return Err(e);
                }
            }
        }
    }
}

/// A frame for a platform AES-GCM call: its IV, AAD and input (plaintext to
/// seal, or ciphertext and tag to open), or the span of the caller's array
/// that is its input.
trait PlatformFrame {
    fn parts(&self) -> (&[u8], &[u8], &[u8]);

    fn span(&self) -> Option<Range<usize>> {
        None
    }
}

impl PlatformFrame for FrameToSeal {
    fn parts(&self) -> (&[u8], &[u8], &[u8]) {
        (&self.iv()[..], self.aad(), self.plaintext())
    }

    fn span(&self) -> Option<Range<usize>> {
        self.planned_range()
    }
}

impl PlatformFrame for SealedFrame {
    fn parts(&self) -> (&[u8], &[u8], &[u8]) {
        (&self.iv()[..], self.aad(), self.ciphertext_and_tag())
    }

    fn span(&self) -> Option<Range<usize>> {
        self.body_range()
    }
}

/// The input of a frame that names its span of the caller's array (a
/// planned frame to seal, a located frame to open): its view of `source`
/// (a shorter view if the array shrank meanwhile, which the core then
/// refuses as the wrong length, or the platform as a bad tag). `None` for
/// a frame that holds its input.
fn span_view(
    frame: &impl PlatformFrame,
    source: Option<&Uint8Array>,
) -> JsResult<Option<Uint8Array>> {
    let Some(span) = frame.span() else {
        return Ok(None);
    };
    let source = source.ok_or_else(|| JsValue::from_str("a frame without the array it is in"))?;
    js::subarray(source, u32_len(span.start)?, u32_len(span.end)?).map(Some)
}

/// Seals `frames` and hands each one's sealed bytes (its ciphertext and
/// tag, in the platform's parts) to `each`, in sequence order; a planned
/// frame's plaintext is its span of `source`. WebCrypto has up to
/// [`in_flight`] frames at once; `node:crypto` seals them one by one.
async fn seal_in_order(
    detached: &mut Detached,
    frames: Vec<FrameToSeal>,
    source: Option<&Uint8Array>,
    mut each: impl FnMut(FrameToSeal, &[Uint8Array]) -> JsResult<()>,
) -> JsResult<()> {
    detached.count(frames.len());
    match &mut detached.backend {
        Backend::Node(aes) => {
            for frame in frames {
                let sealed = match span_view(&frame, source)? {
                    Some(view) => aes.seal_view(frame.iv(), frame.aad(), &view)?,
                    None => aes.seal_parts(frame.iv(), frame.aad(), frame.plaintext())?,
                };
                each(frame, &sealed)?;
            }
        }
        Backend::Subtle(subtle) => {
            subtle
                .in_batches(Op::Seal, frames, source, |frame, sealed| {
                    each(frame, &[Uint8Array::new(&sealed?)])
                })
                .await?;
        }
    }
    Ok(())
}

/// A detached message's backend and the counter its frames go to.
struct Detached {
    backend: Backend,
    counts: Rc<FrameCounts>,
}

impl Detached {
    /// Detaches a content cipher with `detach` and imports its key into the
    /// platform's AES-GCM, if given a platform that has one.
    async fn attach(
        platform: Option<&Platform>,
        detach: impl FnOnce() -> Result<ContentKey, Error>,
    ) -> JsResult<Option<Detached>> {
        let Some(platform) = platform.filter(|p| p.any()) else {
            return Ok(None);
        };
        let key = detach().map_err(to_js)?;
        Ok(Some(Detached {
            backend: platform.import(&key).await?,
            counts: Rc::clone(&platform.counts),
        }))
    }

    fn count(&self, frames: usize) {
        let cell = match self.backend {
            Backend::Node(_) => &self.counts.node,
            Backend::Subtle(_) => &self.counts.subtle,
        };
        cell.set(cell.get() + frames as u64);
    }
}

/// An encryptor whose frames go through a platform AES-GCM when one is
/// attached.
pub struct EncryptDriver {
    encryptor: Encryptor,
    detached: Option<Detached>,
    /// A stream's signature, hashed by node:crypto as it is written.
    signer: Option<StreamSigner>,
}

impl EncryptDriver {
    /// Detaches the content cipher into the platform's AES-GCM, if given
    /// one that has any.
    pub async fn new(mut encryptor: Encryptor, platform: Option<&Platform>) -> JsResult<Self> {
        let detached = Detached::attach(platform, || encryptor.detach_content_cipher()).await?;
        Ok(EncryptDriver {
            encryptor,
            detached,
            signer: None,
        })
    }

    /// A stream's driver: as [`new`](Self::new), and a signed suite's
    /// signature made by node:crypto where it can (see [`StreamSigner`]).
    pub async fn for_stream(mut encryptor: Encryptor, platform: &Platform) -> JsResult<Self> {
        let signer = StreamSigner::attach(&mut encryptor);
        let mut driver = EncryptDriver::new(encryptor, Some(platform)).await?;
        driver.signer = signer;
        Ok(driver)
    }

    /// Whether a stream's frames are placed straight into its output
    /// chunks (the platform seals them and nothing hashes them in the core:
    /// an unsigned suite, or a signature node:crypto makes).
    fn places_frames(&self) -> bool {
        self.detached.is_some()
            && (self.signer.is_some() || self.encryptor.header().suite().signature.is_none())
    }

    /// A stream's next output: encrypts `plaintext` into one chunk (`None`
    /// when no frame is finished yet). Where frames are placed, the chunk
    /// is built from the platform's sealed arrays, each copied once, and
    /// never passes through wasm memory.
    pub async fn update_chunk(&mut self, plaintext: &[u8]) -> JsResult<Option<Uint8Array>> {
        let mut out = Vec::new();
        if !self.places_frames() {
            self.update(plaintext, &mut out).await?;
            return Ok(Chunk::of(&out));
        }
        let mut chunk = Chunk::default();
        self.encryptor.update(plaintext, &mut out).map_err(to_js)?;
        chunk.bytes(&out)?;
        self.place_pending(&mut chunk).await?;
        self.chunk_signed(chunk)
    }

    /// A stream's last output: the final frame and, for a signed suite,
    /// the footer.
    pub async fn finish_chunk(mut self) -> JsResult<Option<Uint8Array>> {
        let mut out = Vec::new();
        if !self.places_frames() {
            self.finish(&mut out).await?;
            return Ok(Chunk::of(&out));
        }
        let mut chunk = Chunk::default();
        self.encryptor.finish_input(&mut out).map_err(to_js)?;
        chunk.bytes(&out)?;
        self.place_pending(&mut chunk).await?;
        let body = self.chunk_signed(chunk)?;
        // Writes the footer only: the header and every frame were placed.
        let mut footer = Vec::new();
        match self.signer {
            Some(signer) => signer.finish(self.encryptor, &mut footer)?,
            None => self.encryptor.finish(&mut footer).map_err(to_js)?,
        }
        let mut last = Chunk::default();
        if let Some(body) = &body {
            last.array(body)?;
        }
        last.bytes(&footer)?;
        Ok(last.build())
    }

    /// Places the frames cut so far into `chunk`, sealed by the platform.
    async fn place_pending(&mut self, chunk: &mut Chunk) -> JsResult<()> {
        self.seal_cut(|encryptor, frame, parts| {
            let len = parts.iter().map(|p| p.length() as usize).sum();
            chunk.bytes(&encryptor.place_frame(frame, len).map_err(to_js)?)?;
            for part in parts {
                chunk.array(part)?;
            }
            Ok(())
        })
        .await
    }

    /// Seals the frames cut so far, handing each to `each` in order.
    async fn seal_cut(
        &mut self,
        mut each: impl FnMut(&mut Encryptor, FrameToSeal, &[Uint8Array]) -> JsResult<()>,
    ) -> JsResult<()> {
        let EncryptDriver {
            encryptor,
            detached,
            ..
        } = self;
        let Some(detached) = detached else {
            return Ok(());
        };
        let frames = encryptor.take_frames_to_seal();
        seal_in_order(detached, frames, None, |frame, parts| {
            each(encryptor, frame, parts)
        })
        .await
    }

    /// `chunk` built, and hashed by a stream's signer.
    fn chunk_signed(&mut self, chunk: Chunk) -> JsResult<Option<Uint8Array>> {
        let built = chunk.build();
        if let (Some(signer), Some(built)) = (&mut self.signer, &built) {
            signer.update_array(built)?;
        }
        Ok(built)
    }

    /// Hands the bytes appended to `out` since `start` to a stream's signer.
    fn signed(&mut self, out: &[u8], start: usize) -> JsResult<()> {
        match &mut self.signer {
            Some(signer) => signer.update(out.get(start..).unwrap_or_default()),
            None => Ok(()),
        }
    }

    async fn seal_pending(&mut self, out: &mut Vec<u8>) -> JsResult<()> {
        self.seal_cut(|encryptor, frame, parts| {
            encryptor
                .complete_frame(frame, &js::concat(parts), out)
                .map_err(to_js)
        })
        .await
    }

    /// Encrypts `plaintext`, appending finished bytes to `out`.
    pub async fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> JsResult<()> {
        let start = out.len();
        self.encryptor.update(plaintext, out).map_err(to_js)?;
        self.seal_pending(out).await?;
        self.signed(out, start)
    }

    /// One-shot: encrypts all of `plaintext`, the caller's own array, into
    /// a new Uint8Array. The core plans the frames from the length alone,
    /// and the platform seals each frame's view of the array: the
    /// plaintext is never copied into wasm memory. The message is sized
    /// exactly before any frame is sealed, and each sealed frame is copied
    /// straight from the platform's output into it. A signed suite's
    /// signature is detached: the core counts what it covers, node:crypto
    /// hashes each piece as it is assembled (elsewhere the runtime signs
    /// the assembled bytes at the end), and the footer follows. Needs a
    /// platform AES-GCM (the caller checked [`Platform::one_shot`]); the
    /// array must not be written to until the result settles (WebCrypto
    /// reads each frame when its call starts).
    pub async fn encrypt_whole(self, plaintext: &Uint8Array) -> JsResult<Uint8Array> {
        let EncryptDriver {
            mut encryptor,
            detached,
            ..
        } = self;
        let mut detached = detached.ok_or_else(|| JsValue::from_str("no platform AES-GCM"))?;
        let signature = encryptor.header().suite().signature;
        if signature.is_some() && !encryptor.is_signature_detached() {
            encryptor.detach_signature().map_err(to_js)?;
        }
        let mut header = Vec::new();
        let body_len = encryptor
            .plan_frames(plaintext.length() as usize, &mut header)
            .map_err(to_js)?;
        let mut message = Assembly::new(
            u32_len(header.len() + body_len)?,
            signature.map(MessageSigner::new),
        );
        message.bytes(&header)?;
        while let Some(frames) = planned_batch(&mut encryptor)? {
            seal_in_order(&mut detached, frames, Some(plaintext), |frame, parts| {
                message.frame(&mut encryptor, frame, parts)
            })
            .await?;
        }
        // Both refuse a message whose final frame was not placed, and write
        // nothing: the header and every frame were placed, and an unsigned
        // suite has no footer.
        let footer = match signature {
            Some(_) => Some(encryptor.finish_to_sign(&mut Vec::new()).map_err(to_js)?),
            None => {
                encryptor.finish(&mut Vec::new()).map_err(to_js)?;
                None
            }
        };
        message.finish(footer).await
    }

    /// Ends the message.
    pub async fn finish(mut self, out: &mut Vec<u8>) -> JsResult<()> {
        if self.detached.is_some() {
            let start = out.len();
            self.encryptor.finish_input(out).map_err(to_js)?;
            self.seal_pending(out).await?;
            self.signed(out, start)?;
        }
        match self.signer {
            Some(signer) => signer.finish(self.encryptor, out),
            None => crate::native_sig::finish_encryptor(self.encryptor, out).await,
        }
    }
}

/// One output chunk of a stream, gathered from wasm bytes and platform
/// arrays in order and built into one array.
#[derive(Default)]
struct Chunk {
    parts: Vec<Uint8Array>,
    len: u32,
}

impl Chunk {
    /// `bytes` as a chunk of their own (`None` if empty).
    fn of(bytes: &[u8]) -> Option<Uint8Array> {
        (!bytes.is_empty()).then(|| js::uint8array(bytes))
    }

    fn bytes(&mut self, bytes: &[u8]) -> JsResult<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.array(&js::uint8array(bytes))
    }

    fn array(&mut self, part: &Uint8Array) -> JsResult<()> {
        self.len = self
            .len
            .checked_add(part.length())
            .ok_or_else(|| JsValue::from_str("a stream chunk over 4 GiB"))?;
        self.parts.push(part.clone());
        Ok(())
    }

    /// The parts in one array of its own (`None` if empty).
    fn build(self) -> Option<Uint8Array> {
        if self.len == 0 {
            return None;
        }
        let out = Uint8Array::new_with_length(self.len);
        let mut at = 0;
        for part in &self.parts {
            out.set(part, at);
            at += part.length();
        }
        Some(out)
    }
}

/// The next frames of a plan, as many as go in flight at once; `None` once
/// every frame is cut.
fn planned_batch(encryptor: &mut Encryptor) -> JsResult<Option<Vec<FrameToSeal>>> {
    let at_once = in_flight(encryptor.header().frame_length() as usize);
    let frames = encryptor.take_planned_frames(at_once).map_err(to_js)?;
    Ok((!frames.is_empty()).then_some(frames))
}

/// A one-shot message as it is written: its header and frames, in order.
/// An unsigned message goes straight into its Uint8Array, sized exactly in
/// advance. A signed one's footer length is known only once it is signed,
/// so its bytes are kept as the pieces they came in (hashed one by one
/// where the signer hashes as it goes) and copied once into the message
/// at the end.
struct Assembly {
    body: Body,
    /// Bytes written so far, and the body's planned length.
    at: u32,
    len: u32,
    signer: Option<MessageSigner>,
}

/// Where a one-shot message's header and frames are written.
enum Body {
    Array(Uint8Array),
    Pieces(Vec<Uint8Array>),
}

impl Body {
    /// The body in one array (the pieces copied into it once).
    fn contiguous(&mut self, len: u32) -> Uint8Array {
        let array = match self {
            Body::Array(array) => return array.clone(),
            Body::Pieces(pieces) => {
                let array = Uint8Array::new_with_length(len);
                let mut at = 0;
                for piece in pieces.iter() {
                    array.set(piece, at);
                    at += piece.length();
                }
                array
            }
        };
        *self = Body::Array(array.clone());
        array
    }
}

impl Assembly {
    fn new(len: u32, signer: Option<MessageSigner>) -> Self {
        let body = match signer {
            None => Body::Array(Uint8Array::new_with_length(len)),
            Some(_) => Body::Pieces(Vec::new()),
        };
        Assembly {
            body,
            at: 0,
            len,
            signer,
        }
    }

    /// Appends bytes from wasm memory.
    fn bytes(&mut self, bytes: &[u8]) -> JsResult<()> {
        let end = self.end(bytes.len())?;
        match &mut self.body {
            Body::Array(out) => out.subarray(self.at, end).copy_from(bytes),
            Body::Pieces(pieces) => {
                let piece = Uint8Array::from(bytes);
                if let Some(signer) = &mut self.signer {
                    signer.update(&piece);
                }
                pieces.push(piece);
            }
        }
        self.at = end;
        Ok(())
    }

    /// Appends a platform's array.
    fn array(&mut self, part: &Uint8Array) -> JsResult<()> {
        let end = self.end(part.length() as usize)?;
        match &mut self.body {
            Body::Array(out) => out.set(part, self.at),
            Body::Pieces(pieces) => {
                if let Some(signer) = &mut self.signer {
                    signer.update(part);
                }
                pieces.push(part.clone());
            }
        }
        self.at = end;
        Ok(())
    }

    /// Appends one sealed frame: the bytes before its content, which the
    /// encryptor gives once it has checked the sealed length, then the
    /// platform's sealed bytes, copied array to array.
    fn frame(
        &mut self,
        encryptor: &mut Encryptor,
        frame: FrameToSeal,
        sealed: &[Uint8Array],
    ) -> JsResult<()> {
        let len = sealed.iter().map(|p| p.length() as usize).sum();
        let prefix = encryptor.place_frame(frame, len).map_err(to_js)?;
        self.bytes(&prefix)?;
        for part in sealed {
            self.array(part)?;
        }
        Ok(())
    }

    /// The end of `len` more bytes, if they fit.
    fn end(&self, len: usize) -> JsResult<u32> {
        u32_len(len)
            .ok()
            .and_then(|len| self.at.checked_add(len))
            .filter(|&end| end <= self.len)
            .ok_or_else(|| JsValue::from_str("a sealed frame overran the message"))
    }

    /// The message, once every byte of the body was written: an unsigned
    /// one as it is; a signed one (`footer` from the encryptor) signed and
    /// completed with its footer.
    async fn finish(self, footer: Option<FooterToSign>) -> JsResult<Uint8Array> {
        let Assembly {
            mut body,
            at,
            len,
            signer,
        } = self;
        if at != len {
            return Err(JsValue::from_str(
                "the sealed frames did not fill the message",
            ));
        }
        let (signer, footer) = match (signer, footer, &body) {
            (None, None, Body::Array(out)) => return Ok(out.clone()),
            (Some(signer), Some(footer), _) => (signer, footer),
            _ => return Err(JsValue::from_str("a signed message without its signer")),
        };
        let footer = signer.footer(footer, len, || body.contiguous(len)).await?;
        let message = Uint8Array::new_with_length(u32_len(len as usize + footer.len())?);
        match &body {
            Body::Array(out) => message.set(out, 0),
            Body::Pieces(pieces) => {
                let mut at = 0;
                for piece in pieces {
                    message.set(piece, at);
                    at += piece.length();
                }
            }
        }
        message.subarray(len, message.length()).copy_from(&footer);
        Ok(message)
    }
}

/// A body decryptor whose frames go through a platform AES-GCM when one is
/// attached.
pub struct DecryptDriver {
    body: BodyDecryptor,
    detached: Option<Detached>,
    held: HeldArrays,
    /// A stream's signature, checked by node:crypto as it is read.
    verifier: Option<StreamVerifier>,
}

/// A signed stream's plaintext, held in JavaScript arrays until its
/// signature verifies, and zeroed if it never is handed over. Pieces grow
/// as the core's do (64 KiB, then twice the room of the one before, up to
/// 4 MiB): small frames are copied into them, and a frame at least as
/// large as the next piece would be is kept as it is, uncopied.
#[derive(Default)]
struct HeldArrays {
    /// Each piece and how many of its bytes are filled.
    pieces: Vec<(Uint8Array, u32)>,
}

impl HeldArrays {
    const FIRST_PIECE: u32 = 64 * 1024;
    const DOUBLINGS: usize = 6;

    /// Takes one frame's plaintext.
    fn push(&mut self, frame: &Uint8Array) -> Taken {
        let n = frame.length();
        if n == 0 {
            return Taken::Copied;
        }
        if let Some((piece, used)) = self.pieces.last_mut()
            && piece.length() - *used >= n
        {
            piece.set(frame, *used);
            *used += n;
            return Taken::Copied;
        }
        let room = Self::FIRST_PIECE << self.pieces.len().min(Self::DOUBLINGS);
        if n >= room {
            let (own, taken) = js::own_array(frame);
            self.pieces.push((own, n));
            return taken;
        }
        let piece = Uint8Array::new_with_length(room);
        piece.set(frame, 0);
        self.pieces.push((piece, n));
        Taken::Copied
    }

    /// The pieces, each a view of its filled bytes (the rest of a piece's
    /// buffer was never written).
    fn take(&mut self) -> Vec<Uint8Array> {
        std::mem::take(&mut self.pieces)
            .into_iter()
            .map(|(piece, used)| {
                if used == piece.length() {
                    piece
                } else {
                    piece.subarray(0, used)
                }
            })
            .collect()
    }
}

impl Drop for HeldArrays {
    fn drop(&mut self) {
        for (piece, _) in &self.pieces {
            piece.fill(0, 0, piece.length());
        }
    }
}

/// Plaintext a stream passes on: from wasm memory (the pure AES-GCM), or
/// the platform's own arrays, which never enter wasm memory.
pub enum Released {
    Pieces(Vec<PlaintextPiece>),
    Arrays(Vec<Uint8Array>),
}

impl DecryptDriver {
    /// Detaches the content cipher into the platform's AES-GCM, if given
    /// one that has any.
    pub async fn new(mut body: BodyDecryptor, platform: Option<&Platform>) -> JsResult<Self> {
        let detached = Detached::attach(platform, || body.detach_content_cipher()).await?;
        Ok(DecryptDriver {
            body,
            detached,
            held: HeldArrays::default(),
            verifier: None,
        })
    }

    /// A stream's driver: as [`new`](Self::new), and with the platform's
    /// AES-GCM, a signed suite's signature checked by node:crypto where it
    /// can (see [`StreamVerifier`]).
    pub async fn for_stream(body: BodyDecryptor, platform: &Platform) -> JsResult<Self> {
        let mut driver = DecryptDriver::new(body, Some(platform)).await?;
        if driver.detached.is_some() {
            driver.verifier = StreamVerifier::attach(&mut driver.body);
        }
        Ok(driver)
    }

    /// Decrypts `input`. Plaintext released now is appended to `out` on
    /// the pure path; with a platform AES-GCM, each opened frame's own
    /// array goes to `arrays` (or, for a signed suite, is held until
    /// [`finish`](Self::finish)): it is never copied into wasm memory,
    /// which would then stay as large as the largest plaintext held.
    pub async fn update(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        arrays: &mut Vec<Uint8Array>,
    ) -> JsResult<()> {
        let DecryptDriver {
            body,
            detached,
            held,
            verifier,
        } = self;
        body.update(input, out).map_err(to_js)?;
        if let Some(verifier) = verifier {
            verifier.update(input, body)?;
        }
        if let Some(detached) = detached {
            let frames = body.take_sealed_frames();
            let hold = body.holds_plaintext();
            open_in_order(detached, frames, None, |frame, plaintext| {
                body.keep_frame(frame, plaintext.length() as usize)
                    .map_err(to_js)?;
                if hold {
                    return Ok(held.push(plaintext));
                }
                if plaintext.length() == 0 {
                    return Ok(Taken::Copied);
                }
                let (own, taken) = js::own_array(plaintext);
                arrays.push(own);
                Ok(taken)
            })
            .await?;
        }
        Ok(())
    }

    /// Ends the message (the footer's signature is checked here) and hands
    /// over the plaintext held for a signed suite: the pure path's in
    /// pieces, or the platform's arrays.
    pub fn finish(mut self) -> JsResult<Released> {
        if self.detached.is_none() {
            return self
                .body
                .finish_in_pieces()
                .map(Released::Pieces)
                .map_err(to_js);
        }
        // Every frame was kept here: the core holds none.
        match self.verifier.take() {
            Some(verifier) => {
                let to_verify = self.body.take_signature_to_verify().map_err(to_js)?;
                let verdict = verifier.verdict(to_verify)?;
                self.body.finish_verified(verdict, &mut Vec::new())
            }
            None => self.body.finish(&mut Vec::new()),
        }
        .map_err(to_js)?;
        Ok(Released::Arrays(self.held.take()))
    }

    /// One-shot: decrypts a whole message body (`input`, the bytes after the
    /// header of `message`) into a new Uint8Array. Each frame the platform
    /// opens is copied straight into it and never back through wasm memory:
    /// that round trip (a copy in, a copy into the output, a copy out, and
    /// zeroizing both wasm copies) made a 16 MiB decryption twice as slow
    /// as its encryption. Given `array`, the same message in the caller's
    /// own array, the platform opens each frame's view of it, and the core
    /// keeps no copy of any frame. A detached signature is verified while
    /// the frames are opened (see [`crate::native_sig::start_verify`]). The
    /// core still checks each frame's order and length, and the array is
    /// returned only once the signature verified and `finish` accepted the
    /// whole message; on any failure it is zeroed. Needs a platform
    /// AES-GCM (the caller checked [`Platform::one_shot`]).
    pub async fn decrypt_whole(
        self,
        message: &[u8],
        input: &[u8],
        array: Option<&Uint8Array>,
    ) -> JsResult<Uint8Array> {
        let DecryptDriver {
            mut body, detached, ..
        } = self;
        let mut detached = detached.ok_or_else(|| JsValue::from_str("no platform AES-GCM"))?;
        // The body's view of the caller's array, which holds the message.
        let source = match array {
            Some(array) => {
                let header_len = u32_len(message.len() - input.len())?;
                body.locate_frames().map_err(to_js)?;
                Some(js::subarray(array, header_len, array.length())?)
            }
            None => None,
        };
        // Detached: update parses every frame and releases nothing.
        let mut none = Vec::new();
        body.update(input, &mut none).map_err(to_js)?;
        let frames = body.take_sealed_frames();
        // A detached signature whose footer was read is verified while the
        // frames are opened (any other state is reported by `finish`).
        let to_verify = body
            .is_signature_detached()
            .then(|| body.take_signature_to_verify().ok())
            .flatten();
        let pending = match to_verify {
            Some(v) => Some(crate::native_sig::start_verify(v, message, array).await),
            None => None,
        };
        let total = u32_len(frames.iter().map(SealedFrame::plaintext_len).sum())?;
        let out = Uint8Array::new_with_length(total);
        let mut at = 0u32;
        let opened = open_in_order(
            &mut detached,
            frames,
            source.as_ref(),
            |frame, plaintext| {
                let len = plaintext.length();
                body.keep_frame(frame, len as usize).map_err(to_js)?;
                // The lengths of all frames add up to `out`'s.
                out.set(plaintext, at);
                at += len;
                Ok(Taken::Copied)
            },
        )
        .await;
        let finished = match (opened, pending) {
            (Err(e), _) => Err(e),
            (Ok(()), Some(pending)) => {
                let verdict = pending.verdict(message).await;
                body.finish_verified(verdict, &mut none).map_err(to_js)
            }
            (Ok(()), None) => crate::native_sig::finish_decryptor(body, message, &mut none).await,
        };
        if let Err(e) = finished {
            out.fill(0, 0, out.length());
            return Err(e);
        }
        Ok(out)
    }
}

/// Opens `frames` and hands each plaintext to `each` in sequence order: a
/// frame is handed on only once its own tag has verified, and none after a
/// frame that failed. WebCrypto has up to [`in_flight`] frames at once;
/// `node:crypto` opens them one by one. A platform array of plaintext is
/// zeroed once `each` has copied it (or failed), and left to `each` when
/// it kept the array itself.
async fn open_in_order(
    detached: &mut Detached,
    frames: Vec<SealedFrame>,
    source: Option<&Uint8Array>,
    mut each: impl FnMut(SealedFrame, &Uint8Array) -> JsResult<Taken>,
) -> JsResult<()> {
    detached.count(frames.len());
    let mut hand_on = |frame, plaintext: Uint8Array| match each(frame, &plaintext) {
        Ok(Taken::Kept) => Ok(()),
        handed => {
            plaintext.fill(0, 0, plaintext.length());
            handed.map(|_| ())
        }
    };
    match &mut detached.backend {
        Backend::Node(aes) => {
            for frame in frames {
                let plaintext = match span_view(&frame, source)? {
                    Some(view) => aes.open_view(frame.iv(), frame.aad(), &view)?,
                    None => aes.open(frame.iv(), frame.aad(), frame.ciphertext_and_tag())?,
                };
                hand_on(frame, plaintext)?;
            }
            Ok(())
        }
        Backend::Subtle(subtle) => {
            subtle
                .in_batches(Op::Open, frames, source, |frame, opened| {
                    let buffer = opened.map_err(|_| to_js(Error::BodyAuthentication))?;
                    hand_on(frame, Uint8Array::new(&buffer))
                })
                .await
        }
    }
}

/// What became of a platform's array of plaintext handed on.
pub enum Taken {
    /// Its bytes were copied: the array is zeroed.
    Copied,
    /// The array itself was kept (and is zeroed by whoever holds it).
    Kept,
}

/// A length as JavaScript arrays take it.
fn u32_len(len: usize) -> JsResult<u32> {
    u32::try_from(len).map_err(|_| JsValue::from_str("a message over 4 GiB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_a_mebibyte_of_frames_is_in_flight() {
        // The benchmark's 64 KiB frames: sixteen, as before the window was
        // counted in bytes.
        assert_eq!(in_flight(64 * 1024), 16);
        // The default 4 KiB frames.
        assert_eq!(in_flight(4096), 256);
        assert_eq!(in_flight(10_000), 104);
        // Bounded both ways: tiny (or empty) frames, and frames over 64 KiB.
        assert_eq!(in_flight(1), MAX_IN_FLIGHT);
        assert_eq!(in_flight(0), MAX_IN_FLIGHT);
        assert_eq!(in_flight(4 << 20), MIN_IN_FLIGHT);
    }
}
