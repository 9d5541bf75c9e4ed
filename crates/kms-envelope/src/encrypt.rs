//! Encryption: the one-shot [`encrypt`] and the streaming [`Encryptor`].
//!
//! The encryptor asks the materials manager for a data key, derives the
//! content key, writes the header and then seals frames in place as the
//! plaintext arrives; it holds at most one frame of plaintext. `finish` is
//! mandatory: it writes the final frame (and the footer of signed suites),
//! without which a decryptor reports the message truncated.

use alloc::vec::Vec;
use core::ops::Range;

use crate::cipher::{ContentCipher, MessageKeys};
use crate::cmm::{EncryptionMaterialsRequest, MaterialsManager};
use crate::context::{EncryptionContext, RESERVED_PREFIX};
use crate::detached::{ContentKey, FrameToSeal, WipedBuf};
use crate::detached_signature::FooterToSign;
use crate::error::{ContextError, Error, Limit};
use crate::format::body::{FINAL_FRAME_MARKER, FINAL_FRAME_OVERHEAD, REGULAR_FRAME_OVERHEAD};
use crate::format::header::DEFAULT_MAX_HEADER_SIZE;
use crate::format::{BodyAad, BodyAadContent, Header, frame_iv};
use crate::signing::{SignatureHasher, SigningKey};
use crate::suite::{AlgorithmSuite, AlgorithmSuiteId, CommitmentPolicy};

/// The default frame length, as in the other SDKs.
pub const DEFAULT_FRAME_LENGTH: u32 = 4096;

/// How to encrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncryptOptions {
    /// The suite to ask for; `None` for the policy's default (0x0478 unless
    /// the policy forbids commitment).
    pub suite: Option<AlgorithmSuiteId>,
    /// Which suites are allowed.
    pub commitment_policy: CommitmentPolicy,
    /// Plaintext bytes per frame, 1..=2^32-1.
    pub frame_length: u32,
    /// Refuse materials with more encrypted data keys than this.
    pub max_encrypted_data_keys: Option<u16>,
    /// Refuse to write a header larger than this many bytes.
    pub max_header_size: usize,
    /// For streaming: the plaintext will be at most this long (passed to the
    /// materials manager, enforced on every `update`).
    pub plaintext_length_bound: Option<u64>,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        EncryptOptions {
            suite: None,
            commitment_policy: CommitmentPolicy::default(),
            frame_length: DEFAULT_FRAME_LENGTH,
            max_encrypted_data_keys: None,
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
            plaintext_length_bound: None,
        }
    }
}

impl EncryptOptions {
    /// The default options with another suite.
    pub fn with_suite(mut self, suite: AlgorithmSuiteId) -> Self {
        self.suite = Some(suite);
        self
    }

    /// The default options with another frame length.
    pub fn with_frame_length(mut self, frame_length: u32) -> Self {
        self.frame_length = frame_length;
        self
    }

    /// The options with another commitment policy.
    pub fn with_commitment_policy(mut self, policy: CommitmentPolicy) -> Self {
        self.commitment_policy = policy;
        self
    }
}

/// The result of one-shot encryption.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EncryptOutput {
    /// The message.
    pub ciphertext: Vec<u8>,
    /// The full encryption context bound to the message (the caller's pairs
    /// plus those the materials manager added).
    pub encryption_context: EncryptionContext,
    /// The algorithm suite used.
    pub suite: AlgorithmSuiteId,
}

/// Encrypts `plaintext` in one call.
pub async fn encrypt<M: MaterialsManager + ?Sized>(
    manager: &M,
    plaintext: &[u8],
    encryption_context: &EncryptionContext,
    options: &EncryptOptions,
) -> Result<EncryptOutput, Error> {
    let len =
        u64::try_from(plaintext.len()).map_err(|_| Limit::PlaintextLength { max: u64::MAX })?;
    let mut encryptor =
        Encryptor::start(manager, encryption_context, options, Some(len), Some(len)).await?;
    let mut ciphertext = Vec::with_capacity(encryptor.ciphertext_length_hint(plaintext.len()));
    encryptor.update(plaintext, &mut ciphertext)?;
    let encryption_context = encryptor.encryption_context.clone();
    let suite = encryptor.header.suite().id;
    encryptor.finish(&mut ciphertext)?;
    Ok(EncryptOutput {
        ciphertext,
        encryption_context,
        suite,
    })
}

/// A streaming encryptor: `update` with plaintext as it comes, then
/// `finish`. Memory is one frame of plaintext, whatever the message size.
pub struct Encryptor {
    header: Header,
    header_written: bool,
    encryption_context: EncryptionContext,
    cipher: ContentCipher,
    frame_length: usize,
    /// Plaintext not yet sealed (at most one frame), wiped when dropped.
    pending: WipedBuf,
    next_sequence_number: u32,
    /// The key of a signed suite, the running hash (none once the
    /// signature is detached) and the bytes written so far.
    signer: Option<(SigningKey, Option<SignatureHasher>, u64)>,
    plaintext_seen: u64,
    plaintext_bound: Option<u64>,
    content_key: Option<ContentKey>,
    detached: Option<DetachedSealing>,
}

/// The state of an encryptor whose frames are sealed by the caller.
#[derive(Default)]
struct DetachedSealing {
    /// Frames cut but not yet taken by the caller.
    queue: Vec<FrameToSeal>,
    /// The sequence number `complete_frame` expects next.
    next_to_complete: u32,
    /// `finish_input` was called: the final frame is cut.
    input_finished: bool,
    /// The final frame came back sealed.
    final_completed: bool,
    /// The frames of a plan not yet cut.
    plan: Option<Plan>,
}

/// The plaintext of a [plan](Encryptor::plan_frames): its length and where
/// the next frame starts.
struct Plan {
    len: usize,
    next: usize,
}

impl core::fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encryptor")
            .field("header", &self.header)
            .field("frame_length", &self.frame_length)
            .field("next_sequence_number", &self.next_sequence_number)
            .finish_non_exhaustive()
    }
}

impl Encryptor {
    /// Gets materials from `manager` and prepares the header. Nothing is
    /// output until the first `update` or `finish`.
    pub async fn new<M: MaterialsManager + ?Sized>(
        manager: &M,
        encryption_context: &EncryptionContext,
        options: &EncryptOptions,
    ) -> Result<Self, Error> {
        let bound = options.plaintext_length_bound;
        Self::start(manager, encryption_context, options, bound, bound).await
    }

    async fn start<M: MaterialsManager + ?Sized>(
        manager: &M,
        encryption_context: &EncryptionContext,
        options: &EncryptOptions,
        max_plaintext_length: Option<u64>,
        plaintext_bound: Option<u64>,
    ) -> Result<Self, Error> {
        if let Some((key, _)) = encryption_context
            .iter()
            .find(|(k, _)| k.starts_with(RESERVED_PREFIX))
        {
            return Err(ContextError::ReservedKey(key.into()).into());
        }
        if options.frame_length == 0 {
            return Err(Limit::FrameLength.into());
        }
        let policy = options.commitment_policy;
        if let Some(suite) = options.suite {
            policy.check_encrypt(suite)?;
            suite.suite().check_supported()?;
        }
        let materials = manager
            .get_encryption_materials(EncryptionMaterialsRequest {
                encryption_context: encryption_context.clone(),
                suite: options.suite,
                commitment_policy: policy,
                max_plaintext_length,
                required_encryption_context_keys: Vec::new(),
            })
            .await?;
        let suite = materials.suite;
        policy.check_encrypt(suite.id)?;
        suite.check_supported()?;
        let edk_count = materials.encrypted_data_keys.len();
        if let Some(max) = options.max_encrypted_data_keys
            && edk_count > usize::from(max)
        {
            return Err(Limit::EncryptedDataKeys {
                max,
                found: u16::try_from(edk_count).unwrap_or(u16::MAX),
            }
            .into());
        }
        let data_key = materials.data_key.as_ref().ok_or(Error::InvalidArgument(
            "encryption materials have no data key",
        ))?;
        let signer = match (suite.signature, &materials.signing_key) {
            (None, _) => None,
            (Some(alg), Some(key)) if key.algorithm() == alg => {
                Some((key.clone(), Some(SignatureHasher::new(alg)), 0))
            }
            (Some(_), _) => {
                return Err(Error::InvalidArgument(
                    "encryption materials of a signed suite have no signing key for it",
                ));
            }
        };

        let mut message_id = alloc::vec![0u8; suite.message_id_len()];
        crate::random::fill(&mut message_id)?;
        let keys = MessageKeys::derive(suite, data_key, &message_id)?;
        let required = &materials.required_encryption_context_keys;
        let full_context = materials.encryption_context;
        let stored = full_context.without(required.iter().map(|k| k.as_str()));
        let authenticated_only = full_context.restricted_to(required.iter().map(|k| k.as_str()));
        let mut header = Header::new_framed(
            suite,
            message_id,
            stored,
            materials.encrypted_data_keys,
            options.frame_length,
            keys.commitment,
        )?;
        if header.len() > options.max_header_size {
            return Err(Limit::HeaderSize {
                max: options.max_header_size,
            }
            .into());
        }
        let cipher = keys.cipher()?;
        let content_key = Some(keys.content_key());
        let tag = header_tag(&cipher, &header, &authenticated_only)?;
        header.set_auth([0; AlgorithmSuite::IV_LEN], tag);

        let frame_length = usize::try_from(options.frame_length).map_err(|_| Limit::FrameLength)?;
        Ok(Encryptor {
            header,
            header_written: false,
            encryption_context: full_context,
            cipher,
            frame_length,
            // Grows to one frame at most; not reserved up front because a
            // frame may be up to 4 GiB while messages are often small.
            pending: WipedBuf::default(),
            next_sequence_number: 1,
            signer,
            plaintext_seen: 0,
            plaintext_bound,
            content_key,
            detached: None,
        })
    }

    /// The message header (its bytes start the ciphertext).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The full encryption context bound to the message.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.encryption_context
    }

    /// An upper bound of the ciphertext length for `plaintext_len` bytes of
    /// plaintext (header, frames and footer).
    pub fn ciphertext_length_hint(&self, plaintext_len: usize) -> usize {
        let frames = plaintext_len / self.frame_length + 1;
        let footer = if self.signer.is_some() { 2 + 104 } else { 0 };
        self.header
            .len()
            .saturating_add(plaintext_len)
            .saturating_add(frames.saturating_mul(FINAL_FRAME_OVERHEAD))
            .saturating_add(footer)
    }

    /// Encrypts `plaintext`, appending whatever ciphertext is complete to
    /// `out` (the header first, then every full frame). A frame is sealed
    /// only once more plaintext follows it, so that `finish` can always
    /// write a final frame.
    ///
    /// Once the content cipher is [detached](Self::detach_content_cipher),
    /// frames are cut here but written by
    /// [`complete_frame`](Self::complete_frame); only the header goes to
    /// `out`.
    pub fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.detached.as_ref().is_some_and(|d| d.input_finished) {
            return Err(Error::InvalidArgument(
                "plaintext after finish_input of a detached encryptor",
            ));
        }
        let added = u64::try_from(plaintext.len()).unwrap_or(u64::MAX);
        let seen = self.plaintext_seen.saturating_add(added);
        if let Some(max) = self.plaintext_bound
            && seen > max
        {
            return Err(Limit::PlaintextLength { max }.into());
        }
        self.plaintext_seen = seen;
        self.write_header(out);
        let mut input = plaintext;
        loop {
            if self.pending.len() == self.frame_length && !input.is_empty() {
                let pending = core::mem::take(&mut self.pending);
                let sealed = self.seal_frame(&pending, false, out);
                // Reused: its bytes are overwritten, or wiped when dropped.
                self.pending = pending;
                self.pending.clear();
                sealed?;
            }
            if self.pending.is_empty() {
                while input.len() > self.frame_length {
                    let (frame, rest) = input.split_at(self.frame_length);
                    self.seal_frame(frame, false, out)?;
                    input = rest;
                }
                self.pending.extend_within(input, self.frame_length);
                return Ok(());
            }
            let room = self.frame_length - self.pending.len();
            let (head, rest) = input.split_at(room.min(input.len()));
            self.pending.extend_within(head, self.frame_length);
            input = rest;
            if input.is_empty() {
                return Ok(());
            }
        }
    }

    /// Writes the final frame (with the plaintext held back, possibly none)
    /// and, for signed suites, the footer.
    ///
    /// A detached encryptor must have had [`finish_input`](Self::finish_input)
    /// and every frame completed; `finish` then writes only the footer. An
    /// encryptor whose signature is [detached](Self::detach_signature)
    /// finishes with [`finish_to_sign`](Self::finish_to_sign) instead.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if matches!(self.signer, Some((_, None, _))) {
            return Err(Error::InvalidArgument(
                "an encryptor whose signature is detached finishes with finish_to_sign",
            ));
        }
        self.finish_body(out)?;
        if let Some((key, Some(hasher), _)) = self.signer.take() {
            let signature = key.sign_digest(&hasher.finalize())?;
            crate::format::codec::put_u16_prefixed(out, &signature, "signature")?;
        }
        Ok(())
    }

    /// Hands the footer signature to the caller: from now on the message
    /// bytes are not hashed here, and the encryptor ends with
    /// [`finish_to_sign`](Self::finish_to_sign). For signed suites, once,
    /// before any byte is written.
    pub fn detach_signature(&mut self) -> Result<(), Error> {
        match &mut self.signer {
            Some((_, hasher @ Some(_), _)) if !self.header_written => {
                *hasher = None;
                Ok(())
            }
            _ => Err(Error::InvalidArgument(
                "the signature of a signed suite is detached once, before the header is written",
            )),
        }
    }

    /// Whether the signature is [detached](Self::detach_signature).
    pub fn is_signature_detached(&self) -> bool {
        // Constant without ECDSA, so that a binding's detached paths fold away.
        cfg!(feature = "ecdsa") && matches!(self.signer, Some((_, None, _)))
    }

    /// Like [`finish`](Self::finish), for an encryptor whose signature is
    /// detached: writes everything but the footer and returns what the
    /// caller must sign to write it.
    pub fn finish_to_sign(mut self, out: &mut Vec<u8>) -> Result<FooterToSign, Error> {
        if !matches!(self.signer, Some((_, None, _))) {
            return Err(Error::InvalidArgument(
                "finish_to_sign is for an encryptor whose signature is detached",
            ));
        }
        self.finish_body(out)?;
        match self.signer.take() {
            Some((key, _, signed_len)) => Ok(FooterToSign { key, signed_len }),
            None => Err(Error::InvalidArgument(
                "finish_to_sign is for an encryptor whose signature is detached",
            )),
        }
    }

    /// Writes the header if not yet written and the final frame.
    fn finish_body(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.write_header(out);
        match &self.detached {
            None => {
                let pending = core::mem::take(&mut self.pending);
                self.seal_frame(&pending, true, out)
            }
            Some(d) if d.final_completed => Ok(()),
            Some(_) => Err(Error::InvalidArgument(
                "a detached encryptor finishes after its final frame is completed",
            )),
        }
    }

    /// Adds bytes just written to the signature's running hash and count.
    fn signed(&mut self, bytes: &[u8]) {
        if let Some((_, hasher, len)) = &mut self.signer {
            if let Some(hasher) = hasher {
                hasher.update(bytes);
            }
            *len = len.saturating_add(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        }
    }

    /// Hands the AES-GCM of the frames to the caller and returns the content
    /// key for it. Allowed once, before any frame is cut. From then on
    /// [`update`](Self::update) and [`finish_input`](Self::finish_input)
    /// queue [`FrameToSeal`]s, [`take_frames_to_seal`](Self::take_frames_to_seal)
    /// hands them out, and [`complete_frame`](Self::complete_frame) writes
    /// each one sealed, in order.
    pub fn detach_content_cipher(&mut self) -> Result<ContentKey, Error> {
        if self.detached.is_some() || self.next_sequence_number != 1 {
            return Err(Error::InvalidArgument(
                "the content cipher is detached once, before the first frame",
            ));
        }
        let key = self.content_key.take().ok_or(Error::InvalidArgument(
            "the content key was already handed out",
        ))?;
        self.detached = Some(DetachedSealing {
            next_to_complete: 1,
            ..DetachedSealing::default()
        });
        Ok(key)
    }

    /// Detached: the plaintext has ended; cuts the final frame (with the
    /// plaintext held back, possibly none) and writes the header to `out` if
    /// it is not written yet.
    pub fn finish_input(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        match &self.detached {
            Some(d) if !d.input_finished => {}
            _ => {
                return Err(Error::InvalidArgument(
                    "finish_input is for a detached encryptor, once",
                ));
            }
        }
        self.write_header(out);
        let pending = core::mem::take(&mut self.pending);
        self.seal_frame(&pending, true, out)?;
        if let Some(d) = &mut self.detached {
            d.input_finished = true;
        }
        Ok(())
    }

    /// Detached: the frames cut since the last call, in sequence order.
    pub fn take_frames_to_seal(&mut self) -> Vec<FrameToSeal> {
        self.detached
            .as_mut()
            .map(|d| core::mem::take(&mut d.queue))
            .unwrap_or_default()
    }

    /// Detached, for a caller that holds the whole plaintext itself and
    /// hands its AES-GCM spans of it (a binding giving WebCrypto views of
    /// a JavaScript array, never copying them into the crate): the
    /// plaintext is `len` bytes, all of it. Writes the header to `out`.
    /// The frames are the ones [`update`](Self::update) with `len` bytes
    /// and [`finish_input`](Self::finish_input) would cut;
    /// [`take_planned_frames`](Self::take_planned_frames) hands them out a
    /// few at a time, each naming its span
    /// ([`FrameToSeal::planned_range`]), and they are completed like any
    /// other. Once, before any plaintext, in place of `update` and
    /// `finish_input`. Returns the length of the body once every frame is
    /// sealed (the header before it is in `out`; a signed suite's footer
    /// follows it).
    pub fn plan_frames(&mut self, len: usize, out: &mut Vec<u8>) -> Result<usize, Error> {
        match &self.detached {
            Some(d) if !d.input_finished && self.plaintext_seen == 0 => {}
            _ => {
                return Err(Error::InvalidArgument(
                    "plan_frames is for a detached encryptor, once, before any plaintext",
                ));
            }
        }
        let total = u64::try_from(len).unwrap_or(u64::MAX);
        if let Some(max) = self.plaintext_bound
            && total > max
        {
            return Err(Limit::PlaintextLength { max }.into());
        }
        // Frames before the final one, each of a whole frame length.
        let regular = len.saturating_sub(1) / self.frame_length;
        if u32::try_from(regular).map_or(true, |n| n >= FINAL_FRAME_MARKER - 1) {
            return Err(Limit::FrameLength.into());
        }
        let body_len = regular
            .checked_mul(self.frame_length + REGULAR_FRAME_OVERHEAD)
            .and_then(|n| n.checked_add(len - regular * self.frame_length))
            .and_then(|n| n.checked_add(FINAL_FRAME_OVERHEAD))
            .ok_or(Limit::FrameLength)?;
        self.plaintext_seen = total;
        self.write_header(out);
        if let Some(d) = &mut self.detached {
            d.input_finished = true;
            d.plan = Some(Plan { len, next: 0 });
        }
        Ok(body_len)
    }

    /// Detached, planned: the next frames of the plan, at most `max` (at
    /// least one), in sequence order; none once the final frame is cut.
    pub fn take_planned_frames(&mut self, max: usize) -> Result<Vec<FrameToSeal>, Error> {
        let mut frames = Vec::new();
        while frames.len() < max.max(1) {
            let Some(plan) = self.detached.as_mut().and_then(|d| d.plan.as_mut()) else {
                break;
            };
            let start = plan.next;
            let is_final = plan.len - start <= self.frame_length;
            let end = if is_final {
                plan.len
            } else {
                start + self.frame_length
            };
            plan.next = end;
            if is_final && let Some(d) = &mut self.detached {
                d.plan = None;
            }
            frames.push(self.cut_frame(Vec::new(), Some(start..end), is_final)?);
        }
        Ok(frames)
    }

    /// Detached: writes `frame` to `out` with `ciphertext_and_tag` (the
    /// AES-GCM ciphertext of its plaintext followed by the 16-byte tag).
    /// Frames must come back in sequence order.
    pub fn complete_frame(
        &mut self,
        frame: FrameToSeal,
        ciphertext_and_tag: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.record_completed(&frame, ciphertext_and_tag.len())?;
        let start = out.len();
        out.extend_from_slice(&frame.prefix);
        out.extend_from_slice(ciphertext_and_tag);
        self.signed(out.get(start..).unwrap_or_default());
        Ok(())
    }

    /// Detached, for a caller that assembles the message itself (a binding
    /// that writes each sealed frame straight into its output rather than
    /// through `out`): records, as [`complete_frame`](Self::complete_frame)
    /// does, that `frame` was sealed into `sealed_len` bytes (its
    /// plaintext's length plus the tag), in sequence order, and returns the
    /// frame's bytes that go before them (the final frame's marker, the
    /// sequence number, the IV, a final frame's length). A signed suite's
    /// signature must be [detached](Self::detach_signature): the core then
    /// only counts the placed bytes, and the caller signs the message it
    /// assembled (the header and, in order, each prefix and sealed frame)
    /// through [`finish_to_sign`](Self::finish_to_sign). With the signature
    /// still in the core, the bytes must reach `complete_frame` to be
    /// hashed, and this is refused.
    pub fn place_frame(
        &mut self,
        mut frame: FrameToSeal,
        sealed_len: usize,
    ) -> Result<Vec<u8>, Error> {
        if matches!(self.signer, Some((_, Some(_), _))) {
            return Err(Error::InvalidArgument(
                "place_frame needs a signed suite's signature detached; else use complete_frame",
            ));
        }
        self.record_completed(&frame, sealed_len)?;
        let prefix = core::mem::take(&mut frame.prefix);
        if let Some((_, _, len)) = &mut self.signer {
            let placed = prefix.len().saturating_add(sealed_len);
            *len = len.saturating_add(u64::try_from(placed).unwrap_or(u64::MAX));
        }
        Ok(prefix)
    }

    /// Checks and records that `frame` was sealed into `sealed_len` bytes.
    fn record_completed(&mut self, frame: &FrameToSeal, sealed_len: usize) -> Result<(), Error> {
        let d = self.detached.as_mut().ok_or(Error::InvalidArgument(
            "complete_frame and place_frame are for a detached encryptor",
        ))?;
        if frame.sequence_number != d.next_to_complete || d.final_completed {
            return Err(Error::InvalidArgument(
                "frames are completed once each, in sequence order",
            ));
        }
        if sealed_len != frame.content_len() + AlgorithmSuite::TAG_LEN {
            return Err(Error::InvalidArgument(
                "a sealed frame is its plaintext's length plus a 16-byte tag",
            ));
        }
        d.next_to_complete = d.next_to_complete.wrapping_add(1);
        d.final_completed = frame.is_final;
        Ok(())
    }

    fn write_header(&mut self, out: &mut Vec<u8>) {
        if self.header_written {
            return;
        }
        self.header_written = true;
        let start = out.len();
        self.header.write(out);
        self.signed(out.get(start..).unwrap_or_default());
    }

    /// The sequence number and length of the next frame, if it may be cut.
    fn next_frame(&self, content_len: usize, is_final: bool) -> Result<(u32, u32), Error> {
        let seq = self.next_sequence_number;
        // Sequence numbers run from 1; 0xFFFFFFFF marks the final frame, so
        // a regular frame may not take it.
        if !is_final && seq == FINAL_FRAME_MARKER {
            return Err(Limit::FrameLength.into());
        }
        let len = u32::try_from(content_len).map_err(|_| Limit::FrameLength)?;
        Ok((seq, len))
    }

    /// Detached: cuts the next frame, holding `plaintext` or, planned,
    /// naming its span of the caller's plaintext.
    fn cut_frame(
        &mut self,
        plaintext: Vec<u8>,
        planned: Option<Range<usize>>,
        is_final: bool,
    ) -> Result<FrameToSeal, Error> {
        let content_len = planned.as_ref().map_or(plaintext.len(), Range::len);
        let (seq, len) = self.next_frame(content_len, is_final)?;
        let iv = frame_iv(seq);
        let mut prefix = Vec::with_capacity(FINAL_FRAME_OVERHEAD);
        let kind = write_frame_prefix(&mut prefix, seq, &iv, is_final, len);
        let aad = BodyAad::new(self.header.message_id(), kind, seq, u64::from(len));
        self.next_sequence_number = seq.wrapping_add(1);
        Ok(FrameToSeal {
            sequence_number: seq,
            is_final,
            iv,
            aad: aad.as_bytes().to_vec(),
            plaintext,
            planned,
            prefix,
        })
    }

    fn seal_frame(
        &mut self,
        content: &[u8],
        is_final: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if self.detached.is_some() {
            let frame = self.cut_frame(content.to_vec(), None, is_final)?;
            if let Some(d) = &mut self.detached {
                d.queue.push(frame);
            }
            return Ok(());
        }
        let (seq, len) = self.next_frame(content.len(), is_final)?;
        let iv = frame_iv(seq);
        let start = out.len();
        out.reserve(content.len() + FINAL_FRAME_OVERHEAD.max(REGULAR_FRAME_OVERHEAD));
        let kind = write_frame_prefix(out, seq, &iv, is_final, len);
        let content_start = out.len();
        out.extend_from_slice(content);
        let aad = BodyAad::new(self.header.message_id(), kind, seq, u64::from(len));
        let sealed = match out.get_mut(content_start..) {
            Some(buf) => self.cipher.seal_in_place(&iv, aad.as_bytes(), buf),
            None => Err(Error::InvalidArgument("frame buffer")),
        };
        let tag = match sealed {
            Ok(tag) => tag,
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        };
        out.extend_from_slice(&tag);
        self.signed(out.get(start..).unwrap_or_default());
        self.next_sequence_number = seq.wrapping_add(1);
        Ok(())
    }
}

/// Writes a frame's bytes before its content (the final frame's marker, the
/// sequence number, the IV, a final frame's length); returns the kind of
/// its body AAD.
fn write_frame_prefix(
    out: &mut Vec<u8>,
    seq: u32,
    iv: &[u8; AlgorithmSuite::IV_LEN],
    is_final: bool,
    len: u32,
) -> BodyAadContent {
    if is_final {
        out.extend_from_slice(&FINAL_FRAME_MARKER.to_be_bytes());
    }
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(iv);
    if is_final {
        out.extend_from_slice(&len.to_be_bytes());
        BodyAadContent::FinalFrame
    } else {
        BodyAadContent::Frame
    }
}

/// The header authentication tag: AES-GCM over no plaintext, with the header
/// body and the serialized authenticated-only context as AAD.
pub(crate) fn header_tag(
    cipher: &ContentCipher,
    header: &Header,
    authenticated_only: &EncryptionContext,
) -> Result<[u8; AlgorithmSuite::TAG_LEN], Error> {
    let aad = header_aad(header, authenticated_only)?;
    cipher.seal_in_place(header.auth_iv(), &aad, &mut [])
}

/// The AAD of the header tag.
pub(crate) fn header_aad(
    header: &Header,
    authenticated_only: &EncryptionContext,
) -> Result<Vec<u8>, Error> {
    let extra = authenticated_only.serialize()?;
    let mut aad = Vec::with_capacity(header.body_bytes().len() + extra.len());
    aad.extend_from_slice(header.body_bytes());
    aad.extend_from_slice(&extra);
    Ok(aad)
}
