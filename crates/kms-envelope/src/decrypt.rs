//! Decryption: the one-shot [`decrypt`] and the streaming decryptor, whose
//! steps are types (as rustls's handshake states are):
//!
//! [`HeaderReader`] (bytes until the header is complete) →
//! [`ParsedHeader`] (inspectable: suite, context, encrypted data keys, frame
//! length; nothing in it is authenticated yet) → `obtain_materials` (async,
//! from the materials manager; checks the key commitment and the header tag)
//! → [`BodyDecryptor`] (frames, then the footer of signed suites) →
//! `finish` (a message that ends early is an error here, never a short
//! success).
//!
//! Unsigned suites release each frame's plaintext as soon as its tag
//! verifies. Signed suites release nothing until the footer signature
//! verifies, unless [`DecryptOptions::release_unverified_plaintext`] is set;
//! until then the plaintext is held in [`PlaintextPiece`]s, which are never
//! reallocated (no copy is left behind in freed memory) and are cleared
//! when dropped, so a message whose signature fails leaves none of it.

use alloc::string::String;
use alloc::vec::Vec;

use crate::cipher::{ContentCipher, MessageKeys};
use crate::cmm::{DecryptionMaterialsRequest, MaterialsManager};
use crate::context::{EncryptionContext, PUBLIC_KEY_KEY};
use crate::detached::{ContentKey, SealedFrame};
use crate::detached_signature::{SignatureToVerify, SignatureVerdict};
use crate::error::{ContextError, Error, FormatError, Limit};
use crate::format::body::{FINAL_FRAME_MARKER, MAX_NON_FRAMED_LENGTH};
use crate::format::codec::{Reader, split};
use crate::format::header::{DEFAULT_MAX_HEADER_SIZE, HeaderLimits, Partial};
use crate::format::{BodyAad, BodyAadContent, ContentType, Header};
use crate::signing::{SignatureHasher, VerificationKey};
use crate::suite::{AlgorithmSuite, AlgorithmSuiteId, CommitmentPolicy};

/// How to decrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecryptOptions {
    /// Which suites are accepted.
    pub commitment_policy: CommitmentPolicy,
    /// Refuse messages with more encrypted data keys (checked when the count
    /// is read, before the keys).
    pub max_encrypted_data_keys: Option<u16>,
    /// Refuse headers larger than this many bytes.
    pub max_header_size: usize,
    /// Refuse bodies (and footers) larger than this many bytes: checked
    /// before decrypting for one-shot decryption, and as the body arrives
    /// when streaming. It also bounds the plaintext a streaming decryptor
    /// holds back for a signed suite or a non-framed body.
    pub max_body_size: Option<u64>,
    /// The encryption context the caller expects: each pair must be in the
    /// message, or be a required pair the materials manager authenticated.
    pub reproduced_encryption_context: Option<EncryptionContext>,
    /// For signed suites: release each frame once its tag verifies, before
    /// the signature does (the caller must then discard everything if
    /// `finish` fails).
    pub release_unverified_plaintext: bool,
    /// Refuse signed suites as soon as the header is parsed.
    pub refuse_signed_suites: bool,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        DecryptOptions {
            commitment_policy: CommitmentPolicy::default(),
            max_encrypted_data_keys: None,
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
            max_body_size: None,
            reproduced_encryption_context: None,
            release_unverified_plaintext: false,
            refuse_signed_suites: false,
        }
    }
}

impl DecryptOptions {
    /// The options with another commitment policy.
    pub fn with_commitment_policy(mut self, policy: CommitmentPolicy) -> Self {
        self.commitment_policy = policy;
        self
    }

    /// The options with a reproduced encryption context.
    pub fn with_reproduced_encryption_context(mut self, context: EncryptionContext) -> Self {
        self.reproduced_encryption_context = Some(context);
        self
    }

    fn header_limits(&self) -> HeaderLimits {
        HeaderLimits {
            max_encrypted_data_keys: self.max_encrypted_data_keys,
            max_header_size: self.max_header_size,
        }
    }
}

/// The result of one-shot decryption.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecryptOutput {
    /// The authenticated plaintext.
    pub plaintext: Vec<u8>,
    /// The full encryption context: the stored pairs plus the required pairs
    /// the caller reproduced.
    pub encryption_context: EncryptionContext,
    /// The message's suite.
    pub suite: AlgorithmSuiteId,
    /// The message header (message id, encrypted data keys, frame length).
    pub header: Header,
    /// The wrapping key that decrypted the data key (a KMS key ARN, or
    /// `namespace/name` for a raw keyring); `None` if the keyring did not
    /// say (see [`DecryptionMaterials::set_data_key`]).
    ///
    /// [`DecryptionMaterials::set_data_key`]: crate::materials::DecryptionMaterials::set_data_key
    pub wrapping_key_id: Option<String>,
}

/// Decrypts a whole message in one call.
pub async fn decrypt<M: MaterialsManager + ?Sized>(
    manager: &M,
    ciphertext: &[u8],
    options: &DecryptOptions,
) -> Result<DecryptOutput, Error> {
    let (header, header_len) = Header::parse(ciphertext, &options.header_limits())?;
    let rest = split(ciphertext, header_len).1;
    if let Some(max) = options.max_body_size
        && u64::try_from(rest.len()).unwrap_or(u64::MAX) > max
    {
        return Err(Limit::BodySize { max }.into());
    }
    let parsed = ParsedHeader::new(header, options.clone())?;
    let mut body = parsed.obtain_materials(manager).await?;
    let mut plaintext = body.whole_body_buffer(rest.len());
    body.update(rest, &mut plaintext)?;
    let encryption_context = body.encryption_context.clone();
    let header = body.header.clone();
    let wrapping_key_id = body.wrapping_key_id.take();
    body.finish(&mut plaintext)?;
    Ok(DecryptOutput {
        plaintext,
        encryption_context,
        suite: header.suite().id,
        header,
        wrapping_key_id,
    })
}

/// First state: reading the header from the start of the message.
#[derive(Debug)]
pub struct HeaderReader {
    buf: Vec<u8>,
    needed: usize,
    options: DecryptOptions,
}

/// What [`HeaderReader::read`] produced.
#[derive(Debug)]
pub enum ReadHeader {
    /// All input was consumed and the header is not complete yet.
    NeedMore(HeaderReader),
    /// The header is complete; the input slice now starts at the body.
    Parsed(ParsedHeader),
}

impl HeaderReader {
    /// Starts reading a message.
    pub fn new(options: DecryptOptions) -> Self {
        HeaderReader {
            buf: Vec::new(),
            needed: 0,
            options,
        }
    }

    /// Consumes header bytes from the front of `input` (leaving the rest,
    /// which belongs to the body, in `input`).
    pub fn read(mut self, input: &mut &[u8]) -> Result<ReadHeader, Error> {
        let limits = self.options.header_limits();
        if self.buf.is_empty() {
            // Common case: the first chunk holds the whole header.
            match Header::parse_partial(input, &limits)? {
                Partial::Complete(header, n) => {
                    *input = split(input, n).1;
                    return ParsedHeader::new(header, self.options).map(ReadHeader::Parsed);
                }
                Partial::Incomplete(n) => self.needed = n,
            }
        }
        loop {
            if self.buf.len() < self.needed {
                if input.is_empty() {
                    return Ok(ReadHeader::NeedMore(self));
                }
                let (head, rest) = split(input, self.needed - self.buf.len());
                self.buf.extend_from_slice(head);
                *input = rest;
                continue;
            }
            match Header::parse_partial(&self.buf, &limits)? {
                // The buffer is filled only up to a field the header
                // contains, so the header uses all of it.
                Partial::Complete(header, _) => {
                    return ParsedHeader::new(header, self.options).map(ReadHeader::Parsed);
                }
                Partial::Incomplete(n) => self.needed = n,
            }
        }
    }

    /// The input ended before the header did.
    pub fn finish(self) -> Result<(), Error> {
        Err(Error::TruncatedMessage)
    }
}

/// Second state: the header is parsed but not yet authenticated. Show it
/// (an `inspect` command, a browser preview), then obtain materials.
#[derive(Debug)]
pub struct ParsedHeader {
    header: Header,
    options: DecryptOptions,
}

impl ParsedHeader {
    fn new(header: Header, options: DecryptOptions) -> Result<Self, Error> {
        if options.refuse_signed_suites && header.suite().signature.is_some() {
            return Err(Error::InvalidArgument(
                "the message uses a signed algorithm suite, which these options refuse",
            ));
        }
        Ok(ParsedHeader { header, options })
    }

    /// The parsed header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The message's algorithm suite.
    pub fn suite(&self) -> &'static AlgorithmSuite {
        self.header.suite()
    }

    /// The encryption context stored in the message.
    pub fn encryption_context(&self) -> &EncryptionContext {
        self.header.encryption_context()
    }

    /// The encrypted data keys.
    pub fn encrypted_data_keys(&self) -> &[crate::materials::EncryptedDataKey] {
        self.header.encrypted_data_keys()
    }

    /// The frame length (0 for a non-framed body).
    pub fn frame_length(&self) -> u32 {
        self.header.frame_length()
    }

    /// Asks `manager` for the data key, checks the key commitment, the
    /// header tag and the reproduced encryption context, and returns the
    /// body decryptor.
    pub async fn obtain_materials<M: MaterialsManager + ?Sized>(
        self,
        manager: &M,
    ) -> Result<BodyDecryptor, Error> {
        let ParsedHeader { header, options } = self;
        let suite = header.suite();
        let policy = options.commitment_policy;
        policy.check_decrypt(suite.id)?;
        suite.check_supported()?;
        let materials = manager
            .decrypt_materials(DecryptionMaterialsRequest {
                suite: suite.id,
                commitment_policy: policy,
                encrypted_data_keys: header.encrypted_data_keys().to_vec(),
                encryption_context: header.encryption_context().clone(),
                reproduced_encryption_context: options.reproduced_encryption_context.clone(),
            })
            .await?;
        if materials.suite.id != suite.id {
            return Err(Error::InvalidArgument(
                "decryption materials are for another algorithm suite",
            ));
        }
        policy.check_decrypt(materials.suite.id)?;
        let data_key = materials
            .data_key
            .as_ref()
            .ok_or(Error::NoDecryptableDataKey {
                failures: Vec::new(),
            })?;
        let keys = MessageKeys::derive(suite, data_key, header.message_id())?;
        keys.check_commitment(header.commitment())?;
        let cipher = keys.cipher()?;
        let content_key = Some(keys.content_key());
        drop(keys);

        let required = &materials.required_encryption_context_keys;
        let authenticated_only = materials
            .encryption_context
            .restricted_to(required.iter().map(|k| k.as_str()));
        let aad = crate::encrypt::header_aad(&header, &authenticated_only)?;
        cipher.open_in_place(
            header.auth_iv(),
            &aad,
            &mut [],
            header.auth_tag(),
            Error::HeaderAuthentication,
        )?;

        if let Some(reproduced) = &options.reproduced_encryption_context {
            for (k, v) in reproduced.iter() {
                let ok = match header.encryption_context().get(k) {
                    Some(stored) => stored == v,
                    None => {
                        required.iter().any(|r| r == k)
                            && materials.encryption_context.get(k) == Some(v)
                    }
                };
                if !ok {
                    return Err(ContextError::Mismatch { key: k.into() }.into());
                }
            }
        }

        let verifier = match suite.signature {
            None => None,
            Some(alg) => {
                let key = match materials.verification_key.clone() {
                    Some(key) => key,
                    None => {
                        let b64 = header
                            .encryption_context()
                            .get(PUBLIC_KEY_KEY)
                            .ok_or(Error::SignatureInvalid)?;
                        VerificationKey::from_base64(alg, b64)?
                    }
                };
                let mut hasher = SignatureHasher::new(alg);
                hasher.update(header.body_bytes());
                if header.version() == 1 {
                    hasher.update(header.auth_iv());
                }
                hasher.update(header.auth_tag());
                Some((key, Some(hasher)))
            }
        };
        let hold = verifier.is_some() && !options.release_unverified_plaintext;
        let phase = match header.content_type() {
            ContentType::Framed => Phase::Frames,
            ContentType::NonFramed => Phase::NonFramed,
        };
        Ok(BodyDecryptor {
            wrapping_key_id: materials.wrapping_key_id,
            encryption_context: materials.encryption_context,
            header,
            cipher,
            verifier,
            hold,
            held: Held::default(),
            phase,
            next_sequence_number: 1,
            buf: Vec::new(),
            needed: 0,
            body_seen: 0,
            max_body_size: options.max_body_size,
            content_key,
            detached: None,
            detached_signature: None,
            footer_at: None,
            trailing_after_footer: false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Frames,
    NonFramed,
    Footer,
    Done,
}

/// Last state: the header is authenticated; body bytes go in, authenticated
/// plaintext comes out.
pub struct BodyDecryptor {
    header: Header,
    encryption_context: EncryptionContext,
    wrapping_key_id: Option<String>,
    cipher: ContentCipher,
    /// The key of a signed suite and the running hash (none once the
    /// signature is detached).
    verifier: Option<(VerificationKey, Option<SignatureHasher>)>,
    hold: bool,
    held: Held,
    phase: Phase,
    next_sequence_number: u32,
    buf: Vec<u8>,
    needed: usize,
    body_seen: u64,
    max_body_size: Option<u64>,
    content_key: Option<ContentKey>,
    detached: Option<DetachedOpening>,
    detached_signature: Option<DetachedVerification>,
    /// Bytes came after the footer of a detached signature.
    trailing_after_footer: bool,
    /// Where the footer starts, once the body before it has been read.
    footer_at: Option<u64>,
}

/// The state of a body decryptor whose footer signature the caller checks.
enum DetachedVerification {
    /// The footer is not read yet.
    AwaitingFooter,
    /// The footer is read; its signature waits to be taken.
    Read(SignatureToVerify),
    /// Taken: `finish_verified` waits for the verdict on this signature.
    Taken(Vec<u8>),
}

/// The state of a body decryptor whose frames are opened by the caller.
struct DetachedOpening {
    /// Frames parsed but not yet taken by the caller.
    queue: Vec<SealedFrame>,
    /// The sequence number `release_frame` expects next.
    next_to_release: u32,
    /// Frames parsed and not yet released.
    outstanding: usize,
    /// Frames are parsed without a copy of their bytes.
    located: bool,
}

impl core::fmt::Debug for BodyDecryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BodyDecryptor")
            .field("header", &self.header)
            .field("phase", &self.phase)
            .field("next_sequence_number", &self.next_sequence_number)
            .finish_non_exhaustive()
    }
}

enum Step {
    /// A structure was processed, using this many bytes.
    Consumed(usize),
    /// The bytes end inside a structure that needs this many in total.
    Need(usize),
}

impl BodyDecryptor {
    /// The authenticated header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The full, authenticated encryption context (stored pairs plus the
    /// reproduced required pairs). For signed suites it is not final until
    /// `finish` succeeds.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.encryption_context
    }

    /// The wrapping key that decrypted the data key (a KMS key ARN, or
    /// `namespace/name` for a raw keyring), if the keyring said.
    pub fn wrapping_key_id(&self) -> Option<&str> {
        self.wrapping_key_id.as_deref()
    }

    /// Decrypts body bytes, appending released plaintext to `out`. On an
    /// error, `out` keeps only what was released by earlier frames that
    /// authenticated.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let mut input = input;
        while !input.is_empty() {
            if self.phase == Phase::Done && self.trailing_waits_for_verdict() {
                // In-crate verification would have failed at the footer,
                // before these bytes were seen: the error waits for the
                // verdict so that a bad signature still reports as one.
                self.trailing_after_footer = true;
                return Ok(());
            }
            if self.buf.is_empty() {
                match self.step(input, out)? {
                    Step::Consumed(n) => input = split(input, n).1,
                    Step::Need(n) => {
                        self.check_body_size(n)?;
                        self.needed = n;
                        let (head, rest) = split(input, n);
                        self.buf.extend_from_slice(head);
                        input = rest;
                    }
                }
                continue;
            }
            if self.buf.len() < self.needed {
                let (head, rest) = split(input, self.needed - self.buf.len());
                self.buf.extend_from_slice(head);
                input = rest;
            }
            if self.buf.len() < self.needed {
                break;
            }
            let buf = core::mem::take(&mut self.buf);
            let step = self.step(&buf, out);
            self.buf = buf;
            match step? {
                // The buffer is filled only up to a field the structure
                // contains, so a complete structure uses all of it.
                Step::Consumed(_) => self.buf.clear(),
                Step::Need(n) => {
                    self.check_body_size(n)?;
                    self.needed = n;
                }
            }
        }
        Ok(())
    }

    /// Ends the message: fails with `TruncatedMessage` if it ended early;
    /// for signed suites, releases the held plaintext now that the signature
    /// has verified. A detached decryptor must have released every frame.
    /// A decryptor whose signature is [detached](Self::detach_signature)
    /// refuses this and ends with [`finish_verified`](Self::finish_verified).
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.check_not_detached()?;
        self.release_held(out)
    }

    /// Ends the message as [`finish`](Self::finish) does, but hands over
    /// the held plaintext of a signed suite as it was held, in pieces (of
    /// at most 64 KiB for the first, twice as much for each next one up to
    /// 4 MiB, or one frame if larger) instead of appending it to one
    /// buffer: a stream can pass them on one at a time. Empty for
    /// unsigned suites, whose plaintext was released by `update`.
    pub fn finish_in_pieces(mut self) -> Result<Vec<PlaintextPiece>, Error> {
        self.check_not_detached()?;
        self.check_finished()?;
        Ok(core::mem::take(&mut self.held.pieces))
    }

    /// For a caller that has the whole body, `body_len` bytes (its
    /// plaintext is shorter), before any of it: the buffer to give
    /// [`update`](Self::update) and [`finish`](Self::finish). Plaintext
    /// released as it goes (unsigned suites) fits its capacity; for a
    /// signed suite it is empty and the held plaintext gets one piece of
    /// that size instead, which `finish` hands over without a copy.
    pub fn whole_body_buffer(&mut self, body_len: usize) -> Vec<u8> {
        if !self.hold {
            return Vec::with_capacity(body_len);
        }
        if self.body_seen == 0 && self.held.pieces.is_empty() {
            self.held
                .pieces
                .push(PlaintextPiece(Vec::with_capacity(body_len)));
        }
        Vec::new()
    }

    fn check_not_detached(&self) -> Result<(), Error> {
        if self.detached_signature.is_some() {
            return Err(Error::InvalidArgument(
                "a decryptor whose signature is detached finishes with finish_verified",
            ));
        }
        Ok(())
    }

    /// Ends a message whose signature is detached, with the verdict on its
    /// [`SignatureToVerify`]: `SignatureInvalid` unless it verified, and
    /// only then is the held plaintext released. Checks for truncation as
    /// [`finish`](Self::finish) does.
    pub fn finish_verified(
        mut self,
        verdict: SignatureVerdict,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        match self.detached_signature.take() {
            Some(DetachedVerification::Taken(signature)) if signature == verdict.signature => {}
            Some(DetachedVerification::AwaitingFooter) => return Err(Error::TruncatedMessage),
            _ => {
                return Err(Error::InvalidArgument(
                    "finish_verified takes the verdict on this decryptor's own signature",
                ));
            }
        }
        if !verdict.valid {
            return Err(Error::SignatureInvalid);
        }
        if self.trailing_after_footer {
            return Err(FormatError::TrailingBytes.into());
        }
        self.release_held(out)
    }

    fn check_finished(&self) -> Result<(), Error> {
        if self.phase != Phase::Done || !self.buf.is_empty() {
            return Err(Error::TruncatedMessage);
        }
        if self.detached.as_ref().is_some_and(|d| d.outstanding > 0) {
            return Err(Error::InvalidArgument(
                "a detached decryptor finishes after every frame is released",
            ));
        }
        Ok(())
    }

    fn release_held(mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.check_finished()?;
        let mut pieces = core::mem::take(&mut self.held.pieces);
        match pieces.as_mut_slice() {
            [only] if out.is_empty() => core::mem::swap(out, &mut only.0),
            pieces => {
                out.reserve(pieces.iter().map(|p| p.0.len()).sum());
                for piece in pieces.iter() {
                    out.extend_from_slice(&piece.0);
                }
            }
        }
        Ok(())
    }

    /// Hands the footer signature to the caller: from now on the message is
    /// not hashed here, the footer's signature is kept for
    /// [`take_signature_to_verify`](Self::take_signature_to_verify), and
    /// the decryptor ends only with
    /// [`finish_verified`](Self::finish_verified). The plaintext of the
    /// frames is held as before. For signed suites, once, before any body
    /// byte.
    pub fn detach_signature(&mut self) -> Result<(), Error> {
        match &mut self.verifier {
            Some((_, hasher @ Some(_))) if self.body_seen == 0 && self.buf.is_empty() => {
                *hasher = None;
                self.detached_signature = Some(DetachedVerification::AwaitingFooter);
                Ok(())
            }
            _ => Err(Error::InvalidArgument(
                "the signature of a signed suite is detached once, before the body",
            )),
        }
    }

    /// Whether the signature is [detached](Self::detach_signature).
    pub fn is_signature_detached(&self) -> bool {
        // Constant without ECDSA, so that a binding's detached paths fold away.
        cfg!(feature = "ecdsa") && self.detached_signature.is_some()
    }

    /// A detached signature whose footer is read: bytes after it are an
    /// error reported after the verdict.
    fn trailing_waits_for_verdict(&self) -> bool {
        matches!(
            self.detached_signature,
            Some(DetachedVerification::Read(_) | DetachedVerification::Taken(_))
        )
    }

    /// The footer signature to verify, once the footer is read (until then
    /// `TruncatedMessage`); once.
    pub fn take_signature_to_verify(&mut self) -> Result<SignatureToVerify, Error> {
        match self.detached_signature.take() {
            Some(DetachedVerification::Read(to_verify)) => {
                self.detached_signature =
                    Some(DetachedVerification::Taken(to_verify.signature.clone()));
                Ok(to_verify)
            }
            Some(DetachedVerification::AwaitingFooter) => {
                self.detached_signature = Some(DetachedVerification::AwaitingFooter);
                Err(Error::TruncatedMessage)
            }
            other => {
                self.detached_signature = other;
                Err(Error::InvalidArgument(
                    "take_signature_to_verify is for a decryptor whose signature is detached, once",
                ))
            }
        }
    }

    /// Hands the AES-GCM of the frames to the caller and returns the content
    /// key for it. Allowed once, before any body byte. From then on
    /// [`update`](Self::update) parses frames without opening them,
    /// [`take_sealed_frames`](Self::take_sealed_frames) hands them out, and
    /// [`release_frame`](Self::release_frame) takes back each one's
    /// plaintext, in order, after the caller's AES-GCM verified its tag.
    /// The footer of a signed suite is still verified here, and its
    /// plaintext still held until [`finish`](Self::finish).
    pub fn detach_content_cipher(&mut self) -> Result<ContentKey, Error> {
        if self.detached.is_some() || self.body_seen != 0 || !self.buf.is_empty() {
            return Err(Error::InvalidArgument(
                "the content cipher is detached once, before the body",
            ));
        }
        let key = self.content_key.take().ok_or(Error::InvalidArgument(
            "the content key was already handed out",
        ))?;
        self.detached = Some(DetachedOpening {
            queue: Vec::new(),
            next_to_release: 1,
            outstanding: 0,
            located: false,
        });
        Ok(key)
    }

    /// Detached, for a caller that holds the whole body itself and hands
    /// its AES-GCM spans of it (a binding giving WebCrypto views of a
    /// JavaScript array): frames parsed from now on hold no copy of their
    /// content and tag, only where those are in the body
    /// ([`SealedFrame::body_range`]). Everything else is as before: the
    /// core parses every byte and checks the order, the lengths, the
    /// footer.
    pub fn locate_frames(&mut self) -> Result<(), Error> {
        let d = self.detached.as_mut().ok_or(Error::InvalidArgument(
            "locate_frames is for a detached decryptor",
        ))?;
        d.located = true;
        Ok(())
    }

    /// Detached: the frames parsed since the last call, in sequence order.
    pub fn take_sealed_frames(&mut self) -> Vec<SealedFrame> {
        self.detached
            .as_mut()
            .map(|d| core::mem::take(&mut d.queue))
            .unwrap_or_default()
    }

    /// Detached: the plaintext of `frame`, which the caller's AES-GCM opened
    /// and whose tag it verified. Appended to `out` for unsigned suites (or
    /// when unverified release was asked for), held until `finish` for
    /// signed ones. Frames must come back in sequence order.
    pub fn release_frame(
        &mut self,
        frame: SealedFrame,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.keep_frame(frame, plaintext.len())?;
        if self.hold {
            self.held
                .with_room(plaintext.len(), |sink| sink.extend_from_slice(plaintext));
        } else {
            out.extend_from_slice(plaintext);
        }
        Ok(())
    }

    /// How many bytes from the start of the message a signed suite's
    /// signature covers (the header and the body before the footer), once
    /// [`update`](Self::update) has read that far; `None` before, and for
    /// an unsigned suite. Until then every byte given is covered: a caller
    /// that hashes the message itself (a detached signature) hashes all it
    /// gives, then stops here.
    pub fn signed_len(&self) -> Option<u64> {
        self.footer_at
    }

    fn header_len(&self) -> u64 {
        u64::try_from(self.header.len()).unwrap_or(u64::MAX)
    }

    /// Whether plaintext is held until the end: a signed suite's, unless
    /// [`DecryptOptions::release_unverified_plaintext`] was set. A caller
    /// that [keeps](Self::keep_frame) frames itself must then hold them
    /// too; otherwise it may release each one as soon as it is kept.
    pub fn holds_plaintext(&self) -> bool {
        // Constant without ECDSA (no suite that holds is supported), so that
        // a binding's holding paths fold away.
        cfg!(feature = "ecdsa") && self.hold
    }

    /// Detached, for a caller that gathers the plaintext itself: records,
    /// as [`release_frame`](Self::release_frame) does, that `frame` was
    /// opened and its tag verified (in sequence order, `plaintext_len`
    /// bytes), but takes no copy of the plaintext. The caller then holds
    /// the frame's plaintext, and while [`holds_plaintext`](Self::holds_plaintext)
    /// must release none of it unless [`finish`](Self::finish) (or
    /// [`finish_verified`](Self::finish_verified)) succeeds: a one-shot
    /// decryption that copies each opened frame straight into its result,
    /// or a stream that passes on the platform's own arrays.
    pub fn keep_frame(&mut self, frame: SealedFrame, plaintext_len: usize) -> Result<(), Error> {
        let d = self.detached.as_mut().ok_or(Error::InvalidArgument(
            "release_frame is for a detached decryptor",
        ))?;
        if frame.sequence_number != d.next_to_release || d.outstanding == 0 {
            return Err(Error::InvalidArgument(
                "frames are released once each, in sequence order",
            ));
        }
        if plaintext_len != frame.plaintext_len() {
            return Err(Error::InvalidArgument(
                "a frame's plaintext is its ciphertext's length",
            ));
        }
        d.next_to_release = d.next_to_release.wrapping_add(1);
        d.outstanding -= 1;
        Ok(())
    }

    fn check_body_size(&self, structure_len: usize) -> Result<(), Error> {
        if let Some(max) = self.max_body_size {
            let len = u64::try_from(structure_len).unwrap_or(u64::MAX);
            if self.body_seen.saturating_add(len) > max {
                return Err(Limit::BodySize { max }.into());
            }
        }
        Ok(())
    }

    /// Processes the structure at the start of `data`, if complete.
    fn step(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<Step, Error> {
        let mut r = Reader::new(data);
        let result = match self.phase {
            Phase::Frames => self.frame(&mut r, out),
            Phase::NonFramed => self.non_framed(&mut r, out),
            Phase::Footer => self.footer(&mut r),
            Phase::Done => Err(FormatError::TrailingBytes.into()),
        };
        match result {
            Ok(()) => {
                let n = r.position();
                self.body_seen = self
                    .body_seen
                    .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
                if self.phase == Phase::Footer && self.footer_at.is_none() {
                    self.footer_at = Some(self.header_len().saturating_add(self.body_seen));
                }
                if let Some(max) = self.max_body_size
                    && self.body_seen > max
                {
                    return Err(Limit::BodySize { max }.into());
                }
                Ok(Step::Consumed(n))
            }
            Err(e) => match r.wanted() {
                Some(n) => Ok(Step::Need(n)),
                None => Err(e),
            },
        }
    }

    fn frame(&mut self, r: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        let first = r.u32("frame")?;
        let is_final = first == FINAL_FRAME_MARKER;
        let seq = if is_final {
            r.u32("final frame")?
        } else {
            first
        };
        if seq != self.next_sequence_number {
            return Err(Error::invalid_field(
                "sequence number",
                "one more than the previous frame's, starting at 1",
            ));
        }
        let iv = r.array::<{ AlgorithmSuite::IV_LEN }>("frame")?;
        let frame_length = self.header.frame_length();
        let len = if is_final {
            let len = r.u32("final frame")?;
            if len > frame_length {
                return Err(Error::invalid_field(
                    "final frame content length",
                    "at most the frame length",
                ));
            }
            len
        } else {
            frame_length
        };
        let content = r.take(
            usize::try_from(len).map_err(|_| Limit::FrameLength)?,
            "frame",
        )?;
        let tag = r.array::<{ AlgorithmSuite::TAG_LEN }>("frame")?;
        let kind = if is_final {
            BodyAadContent::FinalFrame
        } else {
            BodyAadContent::Frame
        };
        let aad = BodyAad::new(self.header.message_id(), kind, seq, u64::from(len));
        self.open_or_queue(seq, is_final, iv, &aad, r.consumed(), content, &tag, out)?;
        if let Some((_, Some(hasher))) = &mut self.verifier {
            hasher.update(r.consumed());
        }
        self.next_sequence_number = seq.wrapping_add(1);
        if is_final {
            self.phase = self.after_body();
        }
        Ok(())
    }

    fn non_framed(&mut self, r: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        let iv = r.array::<{ AlgorithmSuite::IV_LEN }>("non-framed body")?;
        let len = r.u64("non-framed body")?;
        if len > MAX_NON_FRAMED_LENGTH {
            return Err(Error::invalid_field(
                "encrypted content length",
                "at most 2^36 - 32 bytes",
            ));
        }
        let total = len.saturating_add(12 + 8 + 16);
        if let Some(max) = self.max_body_size
            && self.body_seen.saturating_add(total) > max
        {
            return Err(Limit::BodySize { max }.into());
        }
        let len = usize::try_from(len).map_err(|_| Limit::BodySize { max: u64::MAX })?;
        let content = r.take(len, "non-framed body")?;
        let tag = r.array::<{ AlgorithmSuite::TAG_LEN }>("non-framed body")?;
        let aad = BodyAad::new(
            self.header.message_id(),
            BodyAadContent::SingleBlock,
            1,
            u64::try_from(len).unwrap_or(u64::MAX),
        );
        self.open_or_queue(1, true, iv, &aad, r.consumed(), content, &tag, out)?;
        if let Some((_, Some(hasher))) = &mut self.verifier {
            hasher.update(r.consumed());
        }
        self.phase = self.after_body();
        Ok(())
    }

    /// Opens a parsed frame (`structure`, whose last bytes are `content`
    /// and `tag`) here, or, detached, queues it for the caller's AES-GCM.
    #[allow(clippy::too_many_arguments)]
    fn open_or_queue(
        &mut self,
        sequence_number: u32,
        is_final: bool,
        iv: [u8; AlgorithmSuite::IV_LEN],
        aad: &BodyAad,
        structure: &[u8],
        content: &[u8],
        tag: &[u8; AlgorithmSuite::TAG_LEN],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let Some(d) = &mut self.detached else {
            return self.open(&iv, aad.as_bytes(), content, tag, out);
        };
        let at = d.located.then_some(self.body_seen);
        let frame = sealed_frame(
            sequence_number,
            is_final,
            iv,
            aad,
            structure,
            content.len(),
            at,
        )?;
        d.queue.push(frame);
        d.outstanding += 1;
        Ok(())
    }

    fn after_body(&self) -> Phase {
        if self.verifier.is_some() {
            Phase::Footer
        } else {
            Phase::Done
        }
    }

    fn footer(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        let signature = r.u16_prefixed("footer")?;
        match self.verifier.take() {
            Some((key, Some(hasher))) => key.verify_digest(&hasher.finalize(), signature)?,
            Some((key, None)) => {
                // Header and body: everything before the footer.
                let signed_len = self.header_len().saturating_add(self.body_seen);
                self.detached_signature = Some(DetachedVerification::Read(SignatureToVerify {
                    key,
                    signature: signature.to_vec(),
                    signed_len,
                }));
            }
            None => return Err(Error::SignatureInvalid),
        }
        self.phase = Phase::Done;
        Ok(())
    }
}

impl BodyDecryptor {
    /// Opens one frame (or the non-framed body) into `out`, or into the
    /// held plaintext for a signed suite.
    fn open(
        &mut self,
        iv: &[u8; AlgorithmSuite::IV_LEN],
        aad: &[u8],
        content: &[u8],
        tag: &[u8; AlgorithmSuite::TAG_LEN],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let cipher = &self.cipher;
        if self.hold {
            self.held.with_room(content.len(), |sink| {
                open_into(cipher, iv, aad, content, tag, sink)
            })
        } else {
            open_into(cipher, iv, aad, content, tag, out)
        }
    }
}

/// Plaintext of a signed message, held until its footer signature verified;
/// cleared (its whole allocation) when dropped. Read it through `Deref`.
pub struct PlaintextPiece(Vec<u8>);

impl PlaintextPiece {
    /// Takes `bytes` to be cleared when dropped: for a binding's own copies
    /// of plaintext.
    pub fn new(bytes: Vec<u8>) -> Self {
        PlaintextPiece(bytes)
    }
}

impl core::ops::Deref for PlaintextPiece {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for PlaintextPiece {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PlaintextPiece({} bytes)", self.0.len())
    }
}

impl Drop for PlaintextPiece {
    fn drop(&mut self) {
        crate::detached::wipe(&mut self.0);
    }
}

/// The held plaintext: pieces that are filled up to their capacity and
/// never grown, so nothing is reallocated and left behind.
#[derive(Default)]
struct Held {
    pieces: Vec<PlaintextPiece>,
}

impl Held {
    /// The capacity of the first piece; each next one has twice the room of
    /// the one before, up to 4 MiB (64 KiB << 6), unless a frame needs more.
    /// (Pieces of one size made a 256 MiB signed stream in Node half as
    /// slow again: wasm memory grew, and its buffer was replaced, for each.)
    const FIRST_PIECE: usize = 64 * 1024;
    const DOUBLINGS: usize = 6;

    /// Runs `fill` on a piece with room for `n` more bytes (the last one,
    /// or a new one).
    fn with_room<R>(&mut self, n: usize, fill: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut piece = match self.pieces.pop() {
            Some(last) if last.0.capacity() - last.0.len() >= n => last,
            last => {
                self.pieces.extend(last);
                let room = Self::FIRST_PIECE << self.pieces.len().min(Self::DOUBLINGS);
                PlaintextPiece(Vec::with_capacity(n.max(room)))
            }
        };
        let result = fill(&mut piece.0);
        if !piece.0.is_empty() {
            self.pieces.push(piece);
        }
        result
    }
}

/// A parsed frame for the caller's AES-GCM: the content and tag are the last
/// bytes of the structure `consumed`, which starts at `located` in the body
/// for a located frame (which then holds no copy of them).
fn sealed_frame(
    sequence_number: u32,
    is_final: bool,
    iv: [u8; AlgorithmSuite::IV_LEN],
    aad: &BodyAad,
    consumed: &[u8],
    content_len: usize,
    located: Option<u64>,
) -> Result<SealedFrame, Error> {
    let start = consumed
        .len()
        .saturating_sub(content_len + AlgorithmSuite::TAG_LEN);
    let (ciphertext_and_tag, body_range) = match located {
        None => (consumed.get(start..).unwrap_or_default().to_vec(), None),
        Some(at) => {
            // A located body is in the caller's memory, so it fits a usize.
            let too_long = Limit::BodySize {
                max: u64::try_from(usize::MAX).unwrap_or(u64::MAX),
            };
            let at = usize::try_from(at).map_err(|_| too_long)?;
            let range = at.checked_add(start).zip(at.checked_add(consumed.len()));
            let (from, to) = range.ok_or(too_long)?;
            (Vec::new(), Some(from..to))
        }
    };
    Ok(SealedFrame {
        sequence_number,
        is_final,
        iv,
        aad: aad.as_bytes().to_vec(),
        ciphertext_and_tag,
        content_len,
        body_range,
    })
}

/// Copies `content` to the end of `sink` and decrypts it there; on failure
/// `sink` is restored to its former length.
fn open_into(
    cipher: &ContentCipher,
    iv: &[u8; AlgorithmSuite::IV_LEN],
    aad: &[u8],
    content: &[u8],
    tag: &[u8; AlgorithmSuite::TAG_LEN],
    sink: &mut Vec<u8>,
) -> Result<(), Error> {
    let start = sink.len();
    sink.extend_from_slice(content);
    let opened = match sink.get_mut(start..) {
        Some(buf) => cipher.open_in_place(iv, aad, buf, tag, Error::BodyAuthentication),
        None => Err(Error::BodyAuthentication),
    };
    if opened.is_err() {
        sink.truncate(start);
    }
    opened
}
