//! Every single-bit flip and every truncation of a small message of each
//! suite is refused, and nothing unauthenticated is released.
//!
//! What is asserted about released plaintext, precisely:
//! - One-shot `decrypt` returns an error and no plaintext at all.
//! - Streaming, unsigned suites: the output released before the error is
//!   exactly the plaintext of the regular frames whose bytes all lie before
//!   the flipped byte (or within the truncated prefix); those frames
//!   authenticated before the damage was reached. Nothing of the damaged
//!   frame, nor of anything after it, is released.
//! - Streaming, signed suites: nothing at all is released.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::{FixedKeyManager, stream_decrypt};
use kms_envelope::format::body::REGULAR_FRAME_OVERHEAD;
use kms_envelope::{
    AlgorithmSuiteId, CommitmentPolicy, DecryptOptions, EncryptOptions, EncryptionContext, decrypt,
    encrypt,
};
use pollster::block_on;

const FRAME: usize = 16;
/// Two regular frames and a final frame of 8 bytes.
const PLAINTEXT_LEN: usize = 2 * FRAME + 8;

struct Sample {
    suite: AlgorithmSuiteId,
    plaintext: Vec<u8>,
    ciphertext: Vec<u8>,
    header_len: usize,
    options: DecryptOptions,
}

fn sample(suite: AlgorithmSuiteId) -> Sample {
    let m = FixedKeyManager::new(3);
    let policy = if suite.suite().commitment {
        CommitmentPolicy::RequireEncryptRequireDecrypt
    } else {
        CommitmentPolicy::ForbidEncryptAllowDecrypt
    };
    let plaintext: Vec<u8> = (0..PLAINTEXT_LEN as u8).collect();
    let ctx: EncryptionContext = [("k", "v")].into_iter().collect();
    let opts = EncryptOptions::default()
        .with_suite(suite)
        .with_frame_length(FRAME as u32)
        .with_commitment_policy(policy);
    let ciphertext = block_on(encrypt(&m, &plaintext, &ctx, &opts))
        .unwrap()
        .ciphertext;
    let options = DecryptOptions::default().with_commitment_policy(policy);
    let header_len = block_on(decrypt(&m, &ciphertext, &options))
        .unwrap()
        .header
        .len();
    Sample {
        suite,
        plaintext,
        ciphertext,
        header_len,
        options,
    }
}

impl Sample {
    /// Plaintext bytes of the regular frames lying wholly in `..end`.
    fn authenticated_before(&self, end: usize) -> usize {
        if self.suite.suite().signature.is_some() {
            return 0;
        }
        let frames = end.saturating_sub(self.header_len) / (FRAME + REGULAR_FRAME_OVERHEAD);
        frames.min(2) * FRAME
    }

    /// `variant` picks the streaming chunk pattern, so that across all
    /// cases every pattern meets every position without tripling the run.
    fn check_refused(&self, damaged: &[u8], released_limit: usize, variant: usize, what: &str) {
        let m = FixedKeyManager::new(3);
        let one_shot = block_on(decrypt(&m, damaged, &self.options));
        assert!(
            one_shot.is_err(),
            "{:?} {what}: one-shot accepted",
            self.suite
        );
        let patterns: [&[usize]; 3] = [&[1], &[5, 64, 2], &[4096]];
        {
            let chunks = patterns[variant % patterns.len()];
            let (out, result) = stream_decrypt(&m, damaged, &self.options, chunks);
            assert!(
                result.is_err(),
                "{:?} {what}: streaming accepted",
                self.suite
            );
            assert_eq!(
                out,
                self.plaintext[..released_limit],
                "{:?} {what}: released {} bytes",
                self.suite,
                out.len()
            );
        }
    }
}

#[test]
fn every_bit_flip_is_refused_without_releasing_damaged_frames() {
    let mut flips = 0;
    for suite in AlgorithmSuiteId::ALL {
        let s = sample(suite);
        for i in 0..s.ciphertext.len() {
            for bit in 0..8 {
                let mut damaged = s.ciphertext.clone();
                damaged[i] ^= 1 << bit;
                s.check_refused(
                    &damaged,
                    s.authenticated_before(i),
                    i + bit,
                    &format!("flip byte {i} bit {bit}"),
                );
                flips += 1;
            }
        }
    }
    println!("{flips} single-bit flips refused");
}

#[test]
fn every_truncation_is_refused() {
    for suite in AlgorithmSuiteId::ALL {
        let s = sample(suite);
        for len in 0..s.ciphertext.len() {
            for variant in 0..3 {
                s.check_refused(
                    &s.ciphertext[..len],
                    s.authenticated_before(len),
                    variant,
                    &format!("truncated to {len}"),
                );
            }
        }
    }
}

#[test]
fn trailing_bytes_are_refused() {
    for suite in AlgorithmSuiteId::ALL {
        let s = sample(suite);
        let mut longer = s.ciphertext.clone();
        longer.push(0);
        // All frames authenticated, but the message is not what was sent.
        let released = if suite.suite().signature.is_some() {
            0
        } else {
            PLAINTEXT_LEN
        };
        for variant in 0..3 {
            s.check_refused(&longer, released, variant, "one byte appended");
        }
    }
}

#[test]
fn a_flipped_commitment_is_reported_as_such() {
    let s = sample(AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey);
    // The commitment is the last 32 bytes of the v2 header body, just before
    // the 16-byte tag.
    let mut damaged = s.ciphertext.clone();
    damaged[s.header_len - 16 - 1] ^= 1;
    let err = block_on(decrypt(&FixedKeyManager::new(3), &damaged, &s.options)).unwrap_err();
    assert_eq!(err, kms_envelope::Error::KeyCommitmentMismatch);
}
