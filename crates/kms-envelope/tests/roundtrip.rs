//! Round trips over suites, frame lengths, plaintext sizes and contexts,
//! one-shot and streaming.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::policy_for;

use common::{FixedKeyManager, stream_decrypt};
use kms_envelope::{
    AlgorithmSuiteId, DecryptOptions, EncryptOptions, EncryptionContext, Encryptor, decrypt,
    encrypt,
};
use pollster::block_on;
use proptest::prelude::*;

fn round_trip(suite: AlgorithmSuiteId, frame: u32, plaintext: &[u8], ctx: &EncryptionContext) {
    let m = FixedKeyManager::new(7);
    let policy = policy_for(suite);
    let opts = EncryptOptions::default()
        .with_suite(suite)
        .with_frame_length(frame)
        .with_commitment_policy(policy);
    let enc = block_on(encrypt(&m, plaintext, ctx, &opts)).unwrap();
    assert_eq!(enc.suite, suite);
    let dopts = DecryptOptions::default().with_commitment_policy(policy);
    let dec = block_on(decrypt(&m, &enc.ciphertext, &dopts)).unwrap();
    assert_eq!(dec.plaintext, plaintext);
    assert_eq!(dec.encryption_context, enc.encryption_context);
    for (k, v) in ctx.iter() {
        assert_eq!(dec.encryption_context.get(k), Some(v));
    }
    let (out, r) = stream_decrypt(&m, &enc.ciphertext, &dopts, &[1, 7, 300, 4096, 13]);
    r.unwrap();
    assert_eq!(out, plaintext);

    // The streaming encryptor, fed irregular chunks, gives a message of the
    // same layout that decrypts too.
    let mut e = block_on(Encryptor::new(&m, ctx, &opts)).unwrap();
    let mut ct = Vec::new();
    let mut rest = plaintext;
    let mut sizes = [3usize, 1000, 1, 5000].into_iter().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap().min(rest.len());
        e.update(&rest[..n], &mut ct).unwrap();
        rest = &rest[n..];
    }
    e.finish(&mut ct).unwrap();
    if suite.suite().signature.is_none() {
        assert_eq!(ct.len(), enc.ciphertext.len());
    }
    assert_eq!(
        block_on(decrypt(&m, &ct, &dopts)).unwrap().plaintext,
        plaintext
    );
}

fn sizes(frame: usize) -> Vec<usize> {
    let mut v = vec![0, 1, frame - 1, frame, frame + 1, 3 * frame];
    v.retain(|&n| n != 0 || frame == 1);
    v.push(0);
    v.sort();
    v.dedup();
    v
}

#[test]
fn every_suite_frame_length_and_boundary_size_round_trips() {
    let ctx: EncryptionContext = [("purpose", "test"), ("ü", "ñ")].into_iter().collect();
    for suite in AlgorithmSuiteId::ALL {
        for frame in [1u32, 512, 4096] {
            for n in sizes(frame as usize) {
                let pt: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
                round_trip(suite, frame, &pt, &ctx);
                round_trip(suite, frame, &pt, &EncryptionContext::new());
            }
        }
    }
}

#[test]
fn several_mebibytes_round_trip() {
    let pt: Vec<u8> = (0..(3 << 20) + 5).map(|i| (i % 253) as u8).collect();
    for suite in [
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
        AlgorithmSuiteId::Aes128GcmIv12Tag16HkdfSha256,
    ] {
        round_trip(suite, 4096, &pt, &EncryptionContext::new());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn arbitrary_messages_round_trip(
        suite_ix in 0usize..11,
        frame in prop_oneof![Just(1u32), Just(512u32), Just(4096u32), 1u32..64],
        plaintext in proptest::collection::vec(any::<u8>(), 0..3000),
        ctx in proptest::collection::btree_map("[a-z]{0,6}", "\\PC{0,8}", 0..4),
    ) {
        let ctx: EncryptionContext = ctx.into_iter().collect();
        round_trip(AlgorithmSuiteId::ALL[suite_ix], frame, &plaintext, &ctx);
    }
}

#[test]
fn io_adapters_stream_a_message_through_write() {
    use kms_envelope::io::{DecryptingWriter, EncryptingWriter};
    use kms_envelope::{HeaderReader, ReadHeader};
    use std::io::Write;

    let m = FixedKeyManager::new(9);
    let pt: Vec<u8> = (0..100_000u32).map(|i| (i % 241) as u8).collect();
    let ctx: EncryptionContext = [("file", "a.txt")].into_iter().collect();
    let opts = EncryptOptions::default().with_frame_length(1000);
    let encryptor = block_on(Encryptor::new(&m, &ctx, &opts)).unwrap();
    let mut w = EncryptingWriter::new(encryptor, Vec::new());
    for chunk in pt.chunks(777) {
        w.write_all(chunk).unwrap();
    }
    let ct = w.finish().unwrap();

    let mut input = &ct[..];
    let ReadHeader::Parsed(parsed) = HeaderReader::new(DecryptOptions::default())
        .read(&mut input)
        .unwrap()
    else {
        panic!("header incomplete");
    };
    let body = block_on(parsed.obtain_materials(&m)).unwrap();
    let mut w = DecryptingWriter::new(body, Vec::new());
    for chunk in input.chunks(333) {
        w.write_all(chunk).unwrap();
    }
    assert_eq!(w.finish().unwrap(), pt);

    // A truncated message fails at finish, as an io::Error.
    let mut input = &ct[..ct.len() - 1];
    let ReadHeader::Parsed(parsed) = HeaderReader::new(DecryptOptions::default())
        .read(&mut input)
        .unwrap()
    else {
        panic!("header incomplete");
    };
    let body = block_on(parsed.obtain_materials(&m)).unwrap();
    let mut w = DecryptingWriter::new(body, Vec::new());
    w.write_all(input).unwrap();
    assert_eq!(
        w.finish().unwrap_err().kind(),
        std::io::ErrorKind::InvalidData
    );
}

/// Decrypts `ciphertext` whole through the body decryptor and ends it with
/// `finish_in_pieces`: what was released by `update`, and the pieces.
fn decrypt_in_pieces(
    m: &FixedKeyManager,
    ciphertext: &[u8],
    dopts: &DecryptOptions,
) -> Result<(Vec<u8>, Vec<kms_envelope::PlaintextPiece>), kms_envelope::Error> {
    let mut rest = ciphertext;
    let parsed = match kms_envelope::HeaderReader::new(dopts.clone()).read(&mut rest)? {
        kms_envelope::ReadHeader::Parsed(p) => p,
        kms_envelope::ReadHeader::NeedMore(_) => panic!("the header is whole"),
    };
    let mut body = block_on(parsed.obtain_materials(m))?;
    let mut released = Vec::new();
    body.update(rest, &mut released)?;
    Ok((released, body.finish_in_pieces()?))
}

#[test]
fn signed_plaintext_is_held_in_growing_pieces_of_whole_frames() {
    const PIECE: usize = 64 * 1024;
    let m = FixedKeyManager::new(3);
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let dopts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
    let large: Vec<u8> = (0..9_000_000u32).map(|i| (i % 253) as u8).collect();
    // 9 MB: up to the 4 MiB pieces; 100,000-byte frames: more than 64 KiB.
    for (frame, plaintext) in [
        (5000usize, &large[..]),
        (4096, &large[..300_000]),
        (100_000, &large[..300_000]),
    ] {
        let opts = EncryptOptions::default()
            .with_suite(suite)
            .with_frame_length(frame as u32)
            .with_commitment_policy(policy_for(suite));
        let ct = block_on(encrypt(&m, plaintext, &EncryptionContext::default(), &opts))
            .unwrap()
            .ciphertext;
        let (released, pieces) = decrypt_in_pieces(&m, &ct, &dopts).unwrap();
        assert!(released.is_empty(), "nothing before the signature");
        // Whole frames fill a piece until the next one does not fit; the
        // next piece has twice the room up to 4 MiB, or one frame's.
        let mut expected: Vec<(usize, usize)> = Vec::new(); // (capacity, len)
        for len in plaintext.chunks(frame).map(<[u8]>::len) {
            match expected.last_mut() {
                Some((capacity, last)) if *capacity - *last >= len => *last += len,
                _ => {
                    let room = PIECE << expected.len().min(6);
                    expected.push((room.max(len), len));
                }
            }
        }
        assert!(expected.len() > 2, "frame length {frame}: {expected:?}");
        let expected: Vec<usize> = expected.into_iter().map(|(_, len)| len).collect();
        let lens: Vec<usize> = pieces.iter().map(|p| p.len()).collect();
        assert_eq!(lens, expected, "frame length {frame}");
        let whole: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
        assert_eq!(whole, plaintext, "frame length {frame}");
        // A message cut short hands over nothing.
        let cut = decrypt_in_pieces(&m, &ct[..ct.len() - 1], &dopts);
        assert!(
            matches!(cut, Err(kms_envelope::Error::TruncatedMessage)),
            "{cut:?}"
        );
        // And the one-shot path gives the same plaintext.
        assert_eq!(
            block_on(decrypt(&m, &ct, &dopts)).unwrap().plaintext,
            plaintext
        );
    }
    // Unsigned suites released everything as they went.
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
    let opts = EncryptOptions::default()
        .with_suite(suite)
        .with_frame_length(4096);
    let plaintext = &large[..300_000];
    let ct = block_on(encrypt(&m, plaintext, &EncryptionContext::default(), &opts))
        .unwrap()
        .ciphertext;
    let (released, pieces) = decrypt_in_pieces(&m, &ct, &dopts).unwrap();
    assert_eq!(released, plaintext);
    assert!(pieces.is_empty());
}
