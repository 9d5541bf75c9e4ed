//! Frames whose AES-GCM runs outside this crate.
//!
//! A binding with a faster AES-GCM than the pure one compiled in (WebCrypto
//! in a browser, where `crypto.subtle` is ten times faster than AES in wasm
//! and asynchronous) detaches the content cipher of an [`Encryptor`] or a
//! [`BodyDecryptor`]: the core still writes and parses every byte of the
//! message, derives the key, checks the key commitment, the header tag and
//! the footer signature, and keeps frames in order; the binding only turns
//! each [`FrameToSeal`] into ciphertext and tag, and each [`SealedFrame`]
//! into plaintext once its own AES-GCM has checked the tag.
//!
//! Decryption keeps the core's release rule: plaintext handed back with
//! [`BodyDecryptor::release_frame`] goes to the output at once for unsigned
//! suites, and is held until the footer verifies (at `finish`) for signed
//! ones.
//!
//! [`Encryptor`]: crate::Encryptor
//! [`BodyDecryptor`]: crate::BodyDecryptor
//! [`BodyDecryptor::release_frame`]: crate::BodyDecryptor::release_frame

use alloc::vec::Vec;
use core::ops::Range;

use zeroize::Zeroizing;

use crate::suite::AlgorithmSuite;

/// The derived content encryption key of one message (16, 24 or 32 bytes),
/// for an AES-GCM outside the crate. Zeroized on drop; `Debug` is redacted.
pub struct ContentKey(Zeroizing<Vec<u8>>);

impl ContentKey {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        ContentKey(Zeroizing::new(bytes.to_vec()))
    }

    /// The raw key, to import as an AES-GCM key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ContentKey({} bytes, redacted)", self.0.len())
    }
}

/// One frame of plaintext a detached [`Encryptor`](crate::Encryptor) wants
/// sealed: AES-GCM with [`iv`](Self::iv), [`aad`](Self::aad), a 16-byte tag
/// and the content key, then handed back (ciphertext followed by tag) to
/// [`Encryptor::complete_frame`](crate::Encryptor::complete_frame), in
/// sequence order.
pub struct FrameToSeal {
    pub(crate) sequence_number: u32,
    pub(crate) is_final: bool,
    pub(crate) iv: [u8; AlgorithmSuite::IV_LEN],
    pub(crate) aad: Vec<u8>,
    /// The plaintext, held here; empty for a frame of a plan, whose
    /// plaintext the caller holds at `planned`.
    pub(crate) plaintext: Vec<u8>,
    /// The span of a planned frame in the caller's plaintext.
    pub(crate) planned: Option<Range<usize>>,
    /// The frame's bytes before the content (marker, sequence number, IV,
    /// and the length of a final frame).
    pub(crate) prefix: Vec<u8>,
}

impl FrameToSeal {
    /// The frame's sequence number (from 1).
    pub fn sequence_number(&self) -> u32 {
        self.sequence_number
    }

    /// Whether it is the final frame.
    pub fn is_final(&self) -> bool {
        self.is_final
    }

    /// The 12-byte AES-GCM IV.
    pub fn iv(&self) -> &[u8; AlgorithmSuite::IV_LEN] {
        &self.iv
    }

    /// The AES-GCM additional authenticated data (the body AAD).
    pub fn aad(&self) -> &[u8] {
        &self.aad
    }

    /// The plaintext to seal, for a frame that holds it (one cut by
    /// [`Encryptor::update`](crate::Encryptor::update) or
    /// [`finish_input`](crate::Encryptor::finish_input)); empty for a frame
    /// of a [plan](crate::Encryptor::plan_frames).
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// For a frame of a [plan](crate::Encryptor::plan_frames): where its
    /// plaintext is in the caller's. `None` for a frame that holds its
    /// plaintext.
    pub fn planned_range(&self) -> Option<Range<usize>> {
        self.planned.clone()
    }

    /// The length of the frame's plaintext.
    pub fn content_len(&self) -> usize {
        match &self.planned {
            Some(range) => range.len(),
            None => self.plaintext.len(),
        }
    }

    /// The frame's length in the message once sealed: the bytes before its
    /// content, the content and the tag.
    pub fn sealed_frame_len(&self) -> usize {
        self.prefix.len() + self.content_len() + AlgorithmSuite::TAG_LEN
    }
}

impl Drop for FrameToSeal {
    fn drop(&mut self) {
        wipe(&mut self.plaintext);
    }
}

/// Clears `bytes`, its spare capacity too (it may hold bytes of an earlier
/// length): one bulk fill (zeroize's volatile byte loop is several times
/// slower on wasm), then the buffer handed to `black_box`, the barrier
/// zeroize itself uses, so that the stores are not dropped as dead.
pub(crate) fn wipe(bytes: &mut Vec<u8>) {
    let capacity = bytes.capacity();
    bytes.fill(0);
    bytes.resize(capacity, 0);
    core::hint::black_box(bytes.as_mut_slice());
}

/// A buffer of secret bytes (plaintext, a request body carrying a key)
/// that is wiped when dropped, and whose growth wipes the allocation it
/// leaves. `Debug` shows only its length.
#[derive(Default)]
pub struct WipedBuf(Vec<u8>);

impl WipedBuf {
    /// An empty buffer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        WipedBuf(Vec::with_capacity(capacity))
    }

    /// Appends `bytes`, moving to a larger allocation (at most `limit`
    /// bytes unless more are needed) and wiping the old one if it is full.
    pub fn extend_within(&mut self, bytes: &[u8], limit: usize) {
        let needed = self.0.len() + bytes.len();
        if needed > self.0.capacity() {
            let capacity = needed.max(self.0.capacity().saturating_mul(2).min(limit));
            let mut grown = Vec::with_capacity(capacity);
            grown.extend_from_slice(&self.0);
            wipe(&mut core::mem::replace(&mut self.0, grown));
        }
        self.0.extend_from_slice(bytes);
    }

    /// Empties it, keeping the allocation (wiped when dropped).
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The bytes, moved (not copied) into a `Zeroizing` buffer.
    pub fn into_zeroizing(mut self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(core::mem::take(&mut self.0))
    }
}

impl core::fmt::Debug for WipedBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "WipedBuf({} bytes, redacted)", self.0.len())
    }
}

impl core::ops::Deref for WipedBuf {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl Drop for WipedBuf {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl core::fmt::Debug for FrameToSeal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FrameToSeal")
            .field("sequence_number", &self.sequence_number)
            .field("is_final", &self.is_final)
            .field("plaintext_len", &self.plaintext.len())
            .finish_non_exhaustive()
    }
}

/// One frame (or the non-framed body) a detached
/// [`BodyDecryptor`](crate::BodyDecryptor) parsed: open it with AES-GCM
/// ([`iv`](Self::iv), [`aad`](Self::aad), the content key; the last 16 bytes
/// of [`ciphertext_and_tag`](Self::ciphertext_and_tag) are the tag) and,
/// only if the tag verifies, hand the plaintext to
/// [`BodyDecryptor::release_frame`](crate::BodyDecryptor::release_frame), in
/// sequence order.
pub struct SealedFrame {
    pub(crate) sequence_number: u32,
    pub(crate) is_final: bool,
    pub(crate) iv: [u8; AlgorithmSuite::IV_LEN],
    pub(crate) aad: Vec<u8>,
    /// The content and tag; empty for a located frame.
    pub(crate) ciphertext_and_tag: Vec<u8>,
    pub(crate) content_len: usize,
    /// Where a located frame's content and tag are in the body.
    pub(crate) body_range: Option<Range<usize>>,
}

impl SealedFrame {
    /// The frame's sequence number (1 for a non-framed body).
    pub fn sequence_number(&self) -> u32 {
        self.sequence_number
    }

    /// Whether it is the final frame (or the non-framed body).
    pub fn is_final(&self) -> bool {
        self.is_final
    }

    /// The 12-byte AES-GCM IV.
    pub fn iv(&self) -> &[u8; AlgorithmSuite::IV_LEN] {
        &self.iv
    }

    /// The AES-GCM additional authenticated data (the body AAD).
    pub fn aad(&self) -> &[u8] {
        &self.aad
    }

    /// The encrypted content followed by the 16-byte tag; empty for a
    /// frame parsed after [`BodyDecryptor::locate_frames`](crate::BodyDecryptor::locate_frames),
    /// whose bytes are at [`body_range`](Self::body_range).
    pub fn ciphertext_and_tag(&self) -> &[u8] {
        &self.ciphertext_and_tag
    }

    /// For a frame parsed after
    /// [`BodyDecryptor::locate_frames`](crate::BodyDecryptor::locate_frames):
    /// where its content and tag are in the body (the bytes after the
    /// header). `None` for a frame that holds them.
    pub fn body_range(&self) -> Option<Range<usize>> {
        self.body_range.clone()
    }

    /// The length the plaintext must have.
    pub fn plaintext_len(&self) -> usize {
        self.content_len
    }
}

impl core::fmt::Debug for SealedFrame {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealedFrame")
            .field("sequence_number", &self.sequence_number)
            .field("is_final", &self.is_final)
            .field("plaintext_len", &self.plaintext_len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wiped_buffer_grows_up_to_its_limit_and_keeps_its_bytes() {
        let mut buf = WipedBuf::default();
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for chunk in data.chunks(7) {
            buf.extend_within(chunk, 600);
            assert!(buf.capacity() <= 600.max(buf.len()), "{}", buf.capacity());
        }
        assert_eq!(&buf[..], &data[..]);
        buf.clear();
        assert!(buf.is_empty());
        buf.extend_within(&[1, 2, 3], 600);
        assert_eq!(&buf[..], &[1, 2, 3]);
    }

    #[test]
    fn wipe_clears_the_spare_capacity_too() {
        let mut bytes = alloc::vec![9u8; 64];
        bytes.truncate(10);
        wipe(&mut bytes);
        assert_eq!(bytes.len(), 64);
        assert!(bytes.iter().all(|&b| b == 0));
    }
}
