//! Footer signatures made and checked outside this crate.
//!
//! A binding whose platform has a native ECDSA (many times faster than the
//! pure P-256/P-384 compiled to wasm) detaches the signature of an
//! [`Encryptor`] or a [`BodyDecryptor`], as [`detached`](crate::detached)
//! does for the content cipher: the core still writes and parses every byte
//! of the message (footer included), derives the keys, checks the key
//! commitment and the header tag, and converts between the DER signatures
//! of the format and the r || s form platforms use. The binding only signs
//! or verifies the message bytes before the footer, which the core no
//! longer hashes.
//!
//! Decryption keeps the release rule of signed suites: a decryptor whose
//! signature is detached refuses the plain `finish`; only
//! [`BodyDecryptor::finish_verified`] releases the held plaintext, and only
//! with a [`SignatureVerdict`] made from this message's
//! [`SignatureToVerify`] saying the signature verified.
//!
//! [`Encryptor`]: crate::Encryptor
//! [`BodyDecryptor`]: crate::BodyDecryptor
//! [`BodyDecryptor::finish_verified`]: crate::BodyDecryptor::finish_verified

use alloc::vec::Vec;

use crate::error::Error;
use crate::format::codec::put_u16_prefixed;
use crate::signing::{SignatureHasher, SigningKey, VerificationKey, der_to_fixed, fixed_to_der};
use crate::suite::SignatureAlgorithm;

/// The last `len` bytes of `out`, or an error if it is shorter.
fn tail(out: &[u8], len: u64) -> Result<&[u8], Error> {
    usize::try_from(len)
        .ok()
        .and_then(|n| out.len().checked_sub(n))
        .and_then(|start| out.get(start..))
        .ok_or(Error::InvalidArgument(
            "the signed bytes are the message written so far, in one buffer",
        ))
}

/// The footer of a message whose signature is detached, from
/// [`Encryptor::finish_to_sign`](crate::Encryptor::finish_to_sign): sign
/// the last [`signed_len`](Self::signed_len) bytes written (header and
/// body) with [`signing_key`](Self::signing_key)'s pair, hash included,
/// then [`complete`](Self::complete) it with the r || s signature.
pub struct FooterToSign {
    pub(crate) key: SigningKey,
    pub(crate) signed_len: u64,
}

impl FooterToSign {
    /// The key to sign with (its public half is in the encryption context).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The signature algorithm (curve and hash).
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.key.algorithm()
    }

    /// How many bytes the signature covers: everything the encryptor wrote.
    pub fn signed_len(&self) -> u64 {
        self.signed_len
    }

    /// The bytes to sign, when `out` holds the message written so far (it
    /// may hold other bytes before it).
    pub fn signed_bytes<'a>(&self, out: &'a [u8]) -> Result<&'a [u8], Error> {
        tail(out, self.signed_len)
    }

    /// Writes the footer with `signature`, the r || s (IEEE P1363) ECDSA
    /// signature of the signed bytes.
    pub fn complete(self, signature: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let der = fixed_to_der(self.algorithm(), signature).ok_or(Error::InvalidArgument(
            "an ECDSA signature is r and s, each as long as the curve's order",
        ))?;
        put_u16_prefixed(out, &der, "signature")
    }

    /// Signs here with the pure ECDSA instead (the fallback when the
    /// platform cannot): `out` must end with the signed bytes, as for
    /// [`signed_bytes`](Self::signed_bytes).
    pub fn sign_in_crate(self, out: &mut Vec<u8>) -> Result<(), Error> {
        let mut hasher = SignatureHasher::new(self.algorithm());
        hasher.update(tail(out, self.signed_len)?);
        let der = self.key.sign_digest(&hasher.finalize())?;
        put_u16_prefixed(out, &der, "signature")
    }
}

impl core::fmt::Debug for FooterToSign {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FooterToSign")
            .field("signed_len", &self.signed_len)
            .finish_non_exhaustive()
    }
}

/// The footer signature of a message whose signature is detached, from
/// [`BodyDecryptor::take_signature_to_verify`](crate::BodyDecryptor::take_signature_to_verify):
/// verify [`fixed_signature`](Self::fixed_signature) over the first
/// [`signed_len`](Self::signed_len) bytes of the message with
/// [`verification_key`](Self::verification_key), then turn the outcome into
/// a [`SignatureVerdict`] with [`verdict`](Self::verdict).
pub struct SignatureToVerify {
    pub(crate) key: VerificationKey,
    pub(crate) signature: Vec<u8>,
    pub(crate) signed_len: u64,
}

impl SignatureToVerify {
    /// The public key from the message's encryption context (or the
    /// materials).
    pub fn verification_key(&self) -> &VerificationKey {
        &self.key
    }

    /// The signature algorithm (curve and hash).
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.key.algorithm()
    }

    /// How many bytes from the start of the message the signature covers
    /// (header and body).
    pub fn signed_len(&self) -> u64 {
        self.signed_len
    }

    /// The signed bytes, when `message` is the whole message from its first
    /// byte.
    pub fn signed_bytes<'a>(&self, message: &'a [u8]) -> Result<&'a [u8], Error> {
        usize::try_from(self.signed_len)
            .ok()
            .and_then(|n| message.get(..n))
            .ok_or(Error::InvalidArgument("the signed bytes start the message"))
    }

    /// The footer's signature as r || s (IEEE P1363), or `None` if it is
    /// not a DER ECDSA signature of the curve: the message is then invalid
    /// and [`verdict`](Self::verdict) says so whatever it is told.
    pub fn fixed_signature(&self) -> Option<Vec<u8>> {
        der_to_fixed(self.algorithm(), &self.signature)
    }

    /// What the caller's ECDSA said of [`fixed_signature`](Self::fixed_signature)
    /// over the signed bytes.
    pub fn verdict(self, valid: bool) -> SignatureVerdict {
        let valid = valid && self.fixed_signature().is_some();
        SignatureVerdict {
            valid,
            signature: self.signature,
        }
    }

    /// Verifies here with the pure ECDSA instead (the fallback when the
    /// platform cannot); `message` as for [`signed_bytes`](Self::signed_bytes).
    pub fn verify_in_crate(self, message: &[u8]) -> SignatureVerdict {
        let valid = self.signed_bytes(message).is_ok_and(|signed| {
            let mut hasher = SignatureHasher::new(self.algorithm());
            hasher.update(signed);
            self.key
                .verify_digest(&hasher.finalize(), &self.signature)
                .is_ok()
        });
        SignatureVerdict {
            valid,
            signature: self.signature,
        }
    }
}

impl core::fmt::Debug for SignatureToVerify {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignatureToVerify")
            .field("signed_len", &self.signed_len)
            .finish_non_exhaustive()
    }
}

/// The outcome of a detached verification, which
/// [`BodyDecryptor::finish_verified`](crate::BodyDecryptor::finish_verified)
/// requires. Made only by [`SignatureToVerify`], and tied to the footer it
/// came from: a verdict about another message is refused.
#[derive(Debug)]
pub struct SignatureVerdict {
    pub(crate) valid: bool,
    pub(crate) signature: Vec<u8>,
}

impl SignatureVerdict {
    /// Whether the signature verified.
    pub fn is_valid(&self) -> bool {
        self.valid
    }
}
