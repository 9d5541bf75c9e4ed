//! Encryptors and body decryptors whose frames' AES-GCM runs outside the
//! core (as WebCrypto does for the wasm bindings), checked against the
//! core's own AES-GCM in both directions, plus the misuse they refuse.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::policy_for;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce};
use common::FixedKeyManager;
use kms_envelope::detached::{FrameToSeal, SealedFrame};
use kms_envelope::{
    AlgorithmSuiteId, BodyDecryptor, DecryptOptions, EncryptOptions, EncryptionContext, Encryptor,
    ErrorCode, HeaderReader, ReadHeader, decrypt, encrypt,
};
use pollster::block_on;

type Aes192Gcm = AesGcm<aes::Aes192, U12>;

/// The AES-GCM a binding would bring: another implementation's interface
/// (whole-buffer seal/open with the tag appended), not the core's.
fn external_seal(key: &[u8], iv: &[u8; 12], aad: &[u8], msg: &[u8]) -> Vec<u8> {
    let nonce = Nonce::<U12>::from(*iv);
    let payload = Payload { msg, aad };
    match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .unwrap()
            .encrypt(&nonce, payload),
        24 => Aes192Gcm::new_from_slice(key)
            .unwrap()
            .encrypt(&nonce, payload),
        32 => Aes256Gcm::new_from_slice(key)
            .unwrap()
            .encrypt(&nonce, payload),
        n => panic!("key length {n}"),
    }
    .unwrap()
}

fn external_open(key: &[u8], iv: &[u8; 12], aad: &[u8], msg: &[u8]) -> Option<Vec<u8>> {
    let nonce = Nonce::<U12>::from(*iv);
    let payload = Payload { msg, aad };
    match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .unwrap()
            .decrypt(&nonce, payload),
        24 => Aes192Gcm::new_from_slice(key)
            .unwrap()
            .decrypt(&nonce, payload),
        32 => Aes256Gcm::new_from_slice(key)
            .unwrap()
            .decrypt(&nonce, payload),
        n => panic!("key length {n}"),
    }
    .ok()
}

fn context() -> EncryptionContext {
    EncryptionContext::from_caller([("purpose", "detached"), ("tenant", "7")]).unwrap()
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// An encryptor of `suite` and `frame`-byte frames with its content cipher
/// detached, and the content key.
fn detached_encryptor(
    m: &FixedKeyManager,
    suite: AlgorithmSuiteId,
    frame: u32,
) -> (Encryptor, kms_envelope::detached::ContentKey) {
    let opts = EncryptOptions::default()
        .with_suite(suite)
        .with_frame_length(frame)
        .with_commitment_policy(policy_for(suite));
    let mut enc = block_on(Encryptor::new(m, &context(), &opts)).unwrap();
    let key = enc.detach_content_cipher().unwrap();
    (enc, key)
}

/// Encrypts with the frames sealed outside, feeding `chunks`-sized pieces
/// and sealing whatever frames are cut after each.
fn detached_encrypt(
    m: &FixedKeyManager,
    suite: AlgorithmSuiteId,
    frame: u32,
    data: &[u8],
    chunk: usize,
) -> Vec<u8> {
    let (mut enc, key) = detached_encryptor(m, suite, frame);
    assert_eq!(key.as_bytes().len(), suite.suite().encryption_key_len);
    let mut out = Vec::new();
    let seal_all = |enc: &mut Encryptor, out: &mut Vec<u8>| {
        for f in enc.take_frames_to_seal() {
            let sealed = external_seal(key.as_bytes(), f.iv(), f.aad(), f.plaintext());
            enc.complete_frame(f, &sealed, out).unwrap();
        }
    };
    for piece in data.chunks(chunk.max(1)) {
        enc.update(piece, &mut out).unwrap();
        seal_all(&mut enc, &mut out);
    }
    enc.finish_input(&mut out).unwrap();
    seal_all(&mut enc, &mut out);
    enc.finish(&mut out).unwrap();
    out
}

fn body_decryptor(
    m: &FixedKeyManager,
    message: &[u8],
    opts: DecryptOptions,
) -> (BodyDecryptor, usize) {
    let mut input = message;
    let parsed = match HeaderReader::new(opts).read(&mut input).unwrap() {
        ReadHeader::Parsed(p) => p,
        ReadHeader::NeedMore(_) => panic!("whole message given"),
    };
    let header_len = message.len() - input.len();
    (block_on(parsed.obtain_materials(m)).unwrap(), header_len)
}

/// Decrypts with the frames opened outside; returns what was released
/// before `finish` and the result of `finish` (with everything released).
/// `located` frames are opened from their span of the body, as a caller
/// that holds the whole body does.
fn detached_decrypt(
    m: &FixedKeyManager,
    suite: AlgorithmSuiteId,
    message: &[u8],
    chunk: usize,
    located: bool,
) -> (Vec<u8>, Result<Vec<u8>, kms_envelope::Error>) {
    let opts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
    let (mut body, header_len) = body_decryptor(m, message, opts);
    assert_eq!(
        body.holds_plaintext(),
        suite.suite().signature.is_some(),
        "signed suites hold their plaintext until the end"
    );
    let key = body.detach_content_cipher().unwrap();
    if located {
        body.locate_frames().unwrap();
    }
    let whole_body = &message[header_len..];
    let mut out = Vec::new();
    for piece in whole_body.chunks(chunk.max(1)) {
        if let Err(e) = body.update(piece, &mut out) {
            return (out, Err(e));
        }
        for f in body.take_sealed_frames() {
            let sealed = match f.body_range() {
                Some(range) => {
                    assert!(located && f.ciphertext_and_tag().is_empty());
                    &whole_body[range]
                }
                None => f.ciphertext_and_tag(),
            };
            assert_eq!(sealed.len(), f.plaintext_len() + 16);
            let Some(p) = external_open(key.as_bytes(), f.iv(), f.aad(), sealed) else {
                // The tag failed: nothing of this frame is released.
                let before = out.clone();
                return (before, body.finish(&mut out).map(|()| out));
            };
            body.release_frame(f, &p, &mut out).unwrap();
        }
    }
    let before = out.clone();
    let result = body.finish(&mut out).map(|()| out);
    (before, result)
}

#[test]
fn detached_encryption_decrypts_with_the_core_cipher_for_every_suite() {
    let m = FixedKeyManager::new(3);
    let frame = 64u32;
    for suite in AlgorithmSuiteId::ALL {
        for len in [0, 1, 63, 64, 65, 192, 1000] {
            for chunk in [1, 7, 64, 4096] {
                let data = plaintext(len);
                let message = detached_encrypt(&m, suite, frame, &data, chunk);
                let opts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
                let dec = block_on(decrypt(&m, &message, &opts)).unwrap();
                assert_eq!(dec.plaintext, data, "{suite:?} len {len} chunk {chunk}");
                assert_eq!(dec.encryption_context.get("tenant"), Some("7"));
            }
        }
    }
}

#[test]
fn core_encryption_decrypts_detached_and_signed_suites_hold_until_finish() {
    let m = FixedKeyManager::new(9);
    for suite in AlgorithmSuiteId::ALL {
        for len in [0, 1, 100, 4096, 10_000] {
            let data = plaintext(len);
            let opts = EncryptOptions::default()
                .with_suite(suite)
                .with_frame_length(1000)
                .with_commitment_policy(policy_for(suite));
            let enc = block_on(encrypt(&m, &data, &context(), &opts)).unwrap();
            for (chunk, located) in [
                (1, false),
                (333, false),
                (100_000, false),
                (7, true),
                (100_000, true),
            ] {
                let (before, result) = detached_decrypt(&m, suite, &enc.ciphertext, chunk, located);
                let what = format!("{suite:?} len {len} chunk {chunk} located {located}");
                assert_eq!(result.unwrap(), data, "{what}");
                if suite.suite().signature.is_some() {
                    assert!(before.is_empty(), "signed suites release at finish only");
                } else {
                    assert_eq!(before, data, "unsigned suites release frame by frame");
                }
            }
        }
    }
}

#[test]
fn a_tampered_frame_or_footer_releases_nothing_unauthenticated() {
    let m = FixedKeyManager::new(5);
    let data = plaintext(3000);
    for suite in [
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
    ] {
        let opts = EncryptOptions::default()
            .with_suite(suite)
            .with_frame_length(1000)
            .with_commitment_policy(policy_for(suite));
        let enc = block_on(encrypt(&m, &data, &context(), &opts)).unwrap();
        let dopts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
        let (_, header_len) = body_decryptor(&m, &enc.ciphertext, dopts);
        // A bit of the second frame's content: its tag fails outside, so the
        // caller releases the first frame only and `finish` refuses.
        let mut bad = enc.ciphertext.clone();
        let second_frame_content = header_len + (1000 + 32) + 4 + 12 + 10;
        bad[second_frame_content] ^= 1;
        for located in [false, true] {
            let (before, result) = detached_decrypt(&m, suite, &bad, 100_000, located);
            assert!(result.is_err());
            if suite.suite().signature.is_some() {
                assert!(before.is_empty());
            } else {
                assert_eq!(before, data[..1000]);
            }
        }
        // The last byte of the footer's signature: the core refuses it while
        // parsing, having released nothing of a signed message.
        if suite.suite().signature.is_some() {
            let mut bad = enc.ciphertext.clone();
            *bad.last_mut().unwrap() ^= 1;
            let (before, result) = detached_decrypt(&m, suite, &bad, 100_000, true);
            assert!(before.is_empty());
            assert_eq!(result.unwrap_err().code(), ErrorCode::SignatureInvalid);
        }
    }
}

#[test]
fn detached_encryptors_refuse_misuse() {
    let m = FixedKeyManager::new(1);
    let opts = EncryptOptions::default().with_frame_length(16);
    let mut enc = block_on(Encryptor::new(&m, &context(), &opts)).unwrap();
    // Not detached yet: nothing to complete, no finish_input.
    let mut out = Vec::new();
    assert!(enc.finish_input(&mut out).is_err());
    let key = enc.detach_content_cipher().unwrap();
    assert!(format!("{key:?}").contains("redacted"));
    assert!(enc.detach_content_cipher().is_err(), "detached once");
    enc.update(&plaintext(40), &mut out).unwrap();
    let frames: Vec<FrameToSeal> = enc.take_frames_to_seal();
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames
            .iter()
            .map(FrameToSeal::sequence_number)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let mut frames = frames.into_iter();
    let (f1, f2) = (frames.next().unwrap(), frames.next().unwrap());
    let s1 = external_seal(key.as_bytes(), f1.iv(), f1.aad(), f1.plaintext());
    let s2 = external_seal(key.as_bytes(), f2.iv(), f2.aad(), f2.plaintext());
    let header_len = out.len();
    // Out of order, and a wrong length, change nothing.
    assert!(enc.complete_frame(f2, &s2, &mut out).is_err());
    assert!(enc.complete_frame(f1, &s1[1..], &mut out).is_err());
    assert_eq!(out.len(), header_len);
    // Finishing before the final frame is cut and completed is refused.
    let opts = EncryptOptions::default().with_frame_length(16);
    let mut enc = block_on(Encryptor::new(&m, &context(), &opts)).unwrap();
    enc.detach_content_cipher().unwrap();
    enc.update(b"abc", &mut out).unwrap();
    enc.finish_input(&mut out).unwrap();
    assert!(
        enc.update(b"more", &mut out).is_err(),
        "no input after finish_input"
    );
    assert!(enc.finish_input(&mut out).is_err(), "finish_input once");
    assert_eq!(enc.take_frames_to_seal().len(), 1);
    assert!(enc.finish(&mut out).is_err());
    // Detaching after a frame was sealed in the core is refused.
    let mut enc = block_on(Encryptor::new(&m, &context(), &opts)).unwrap();
    enc.update(&plaintext(40), &mut out).unwrap();
    assert!(enc.detach_content_cipher().is_err());
}

#[test]
fn detached_decryptors_refuse_misuse() {
    let m = FixedKeyManager::new(2);
    let data = plaintext(50);
    let opts = EncryptOptions::default().with_frame_length(16);
    let enc = block_on(encrypt(&m, &data, &context(), &opts)).unwrap();
    let (mut body, header_len) = body_decryptor(&m, &enc.ciphertext, DecryptOptions::default());
    let body_bytes = &enc.ciphertext[header_len..];
    let mut out = Vec::new();
    assert!(
        body.locate_frames().is_err(),
        "only a detached decryptor locates"
    );
    let key = body.detach_content_cipher().unwrap();
    assert!(body.detach_content_cipher().is_err(), "detached once");
    body.update(body_bytes, &mut out).unwrap();
    assert!(out.is_empty(), "update opens nothing once detached");
    let frames: Vec<SealedFrame> = body.take_sealed_frames();
    assert_eq!(frames.len(), 4);
    assert!(frames[3].is_final() && !frames[0].is_final());
    let opened: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| external_open(key.as_bytes(), f.iv(), f.aad(), f.ciphertext_and_tag()).unwrap())
        .collect();
    let mut frames = frames.into_iter();
    let f1 = frames.next().unwrap();
    let f2 = frames.next().unwrap();
    assert!(
        body.release_frame(f2, &opened[1], &mut out).is_err(),
        "in order"
    );
    assert!(
        body.release_frame(f1, &opened[0][1..], &mut out).is_err(),
        "length"
    );
    assert!(out.is_empty());
    // Frames never released: finish refuses.
    assert!(body.finish(&mut out).is_err());

    // Detaching after body bytes went through the core is refused.
    let (mut body, _) = body_decryptor(&m, &enc.ciphertext, DecryptOptions::default());
    body.update(&body_bytes[..40], &mut out).unwrap();
    assert!(body.detach_content_cipher().is_err());
}

#[test]
fn kept_frames_are_counted_in_order_and_the_core_copies_none() {
    let m = FixedKeyManager::new(4);
    for suite in [
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
    ] {
        let data = plaintext(50);
        let opts = EncryptOptions::default()
            .with_suite(suite)
            .with_frame_length(16)
            .with_commitment_policy(policy_for(suite));
        let enc = block_on(encrypt(&m, &data, &context(), &opts)).unwrap();
        let dopts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
        let (mut body, header_len) = body_decryptor(&m, &enc.ciphertext, dopts);
        let key = body.detach_content_cipher().unwrap();
        let mut out = Vec::new();
        body.update(&enc.ciphertext[header_len..], &mut out)
            .unwrap();
        let frames = body.take_sealed_frames();
        assert_eq!(frames.len(), 4);
        // What the caller gathers itself, frame by frame.
        let mut gathered = Vec::new();
        let mut frames = frames.into_iter();
        let f1 = frames.next().unwrap();
        let f2 = frames.next().unwrap();
        let p1 = external_open(key.as_bytes(), f1.iv(), f1.aad(), f1.ciphertext_and_tag()).unwrap();
        assert!(body.keep_frame(f2, 16).is_err(), "in order");
        assert!(body.keep_frame(f1, p1.len() - 1).is_err(), "length");
        // The refused frames are gone: finish refuses too.
        assert!(body.finish(&mut out).is_err());

        let (mut body, _) = body_decryptor(
            &m,
            &enc.ciphertext,
            DecryptOptions::default().with_commitment_policy(policy_for(suite)),
        );
        let key = body.detach_content_cipher().unwrap();
        body.update(&enc.ciphertext[header_len..], &mut out)
            .unwrap();
        for f in body.take_sealed_frames() {
            let p = external_open(key.as_bytes(), f.iv(), f.aad(), f.ciphertext_and_tag()).unwrap();
            gathered.extend_from_slice(&p);
            body.keep_frame(f, p.len()).unwrap();
        }
        body.finish(&mut out).unwrap();
        assert!(out.is_empty(), "kept frames are not copied to the output");
        assert_eq!(gathered, data);
    }
}

/// Encrypts as a binding that writes each sealed frame into its own output
/// does: the header first, then for each frame the bytes `place_frame`
/// returns and the sealed bytes, in a buffer sized from `sealed_frame_len`
/// before any frame is sealed. `planned` takes the frames from a plan of
/// `data`'s length, three at a time, sealing each one's span of `data`;
/// otherwise `data` goes through `update` and `finish_input`.
fn placed_encrypt(
    m: &FixedKeyManager,
    suite: AlgorithmSuiteId,
    frame: u32,
    data: &[u8],
    planned: bool,
) -> Vec<u8> {
    let (mut enc, key) = detached_encryptor(m, suite, frame);
    let signed = suite.suite().signature.is_some();
    if signed {
        enc.detach_signature().unwrap();
    }
    let mut header = Vec::new();
    let mut planned_body = None;
    let frames = if planned {
        planned_body = Some(enc.plan_frames(data.len(), &mut header).unwrap());
        let mut frames = Vec::new();
        loop {
            let batch = enc.take_planned_frames(3).unwrap();
            if batch.is_empty() {
                break frames;
            }
            assert!(batch.len() <= 3);
            frames.extend(batch);
        }
    } else {
        enc.update(data, &mut header).unwrap();
        enc.finish_input(&mut header).unwrap();
        enc.take_frames_to_seal()
    };
    let total = header.len()
        + frames
            .iter()
            .map(FrameToSeal::sealed_frame_len)
            .sum::<usize>();
    if let Some(body) = planned_body {
        assert_eq!(
            header.len() + body,
            total,
            "plan_frames gives the body's length"
        );
    }
    let mut message = vec![0u8; total];
    message[..header.len()].copy_from_slice(&header);
    let mut at = header.len();
    for f in frames {
        let content = match f.planned_range() {
            Some(range) => {
                assert!(
                    f.plaintext().is_empty(),
                    "a planned frame holds no plaintext"
                );
                &data[range]
            }
            None => f.plaintext(),
        };
        assert_eq!(content.len(), f.content_len());
        let sealed = external_seal(key.as_bytes(), f.iv(), f.aad(), content);
        let prefix = enc.place_frame(f, sealed.len()).unwrap();
        for part in [&prefix, &sealed] {
            message[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
    }
    assert_eq!(at, total, "sealed_frame_len sizes the message exactly");
    let mut rest = Vec::new();
    if signed {
        // The binding signs what it assembled: exactly the counted bytes.
        let footer = enc.finish_to_sign(&mut rest).unwrap();
        assert!(rest.is_empty(), "everything was placed");
        assert_eq!(footer.signed_len(), message.len() as u64);
        footer.sign_in_crate(&mut message).unwrap();
    } else {
        enc.finish(&mut rest).unwrap();
        assert!(rest.is_empty(), "an unsigned suite has no footer");
    }
    message
}

#[test]
fn placed_frames_make_the_message_complete_frame_would() {
    let m = FixedKeyManager::new(12);
    for suite in AlgorithmSuiteId::ALL {
        let cases = [
            (64u32, 0usize),
            (64, 1),
            (64, 63),
            (64, 64),
            (64, 65),
            (64, 128),
            (64, 1000),
            (1, 5),
            (4096, 10_000),
        ];
        for (frame, len) in cases {
            let data = plaintext(len);
            let completed = detached_encrypt(&m, suite, frame, &data, len.max(1));
            for planned in [false, true] {
                let placed = placed_encrypt(&m, suite, frame, &data, planned);
                // The same layout (message ids differ; a signature's DER
                // length varies by a few bytes), and it decrypts.
                let what = format!("{suite:?} {frame} {len} planned {planned}");
                if suite.suite().signature.is_none() {
                    assert_eq!(placed.len(), completed.len(), "{what}");
                } else {
                    assert!(placed.len().abs_diff(completed.len()) <= 4, "{what}");
                }
                let dopts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
                let out = block_on(decrypt(&m, &placed, &dopts)).unwrap();
                assert_eq!(out.plaintext, data, "{what}");
            }
        }
    }
}

#[test]
fn placing_frames_refuses_an_undetached_signature_and_misuse() {
    let m = FixedKeyManager::new(13);
    let signed = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let opts = EncryptOptions::default()
        .with_suite(signed)
        .with_frame_length(16);
    let mut enc = block_on(Encryptor::new(&m, &context(), &opts)).unwrap();
    enc.detach_content_cipher().unwrap();
    let mut out = Vec::new();
    enc.update(b"some bytes", &mut out).unwrap();
    enc.finish_input(&mut out).unwrap();
    let f = enc.take_frames_to_seal().pop().unwrap();
    let len = f.plaintext().len() + 16;
    let e = enc.place_frame(f, len).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);

    let unsigned = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
    let opts = EncryptOptions::default()
        .with_suite(unsigned)
        .with_frame_length(16);
    let mut enc = block_on(Encryptor::new(&m, &context(), &opts)).unwrap();
    enc.detach_content_cipher().unwrap();
    enc.update(&[5u8; 40], &mut out).unwrap();
    enc.finish_input(&mut out).unwrap();
    let mut frames = enc.take_frames_to_seal().into_iter();
    let (f1, f2) = (frames.next().unwrap(), frames.next().unwrap());
    // Out of order, and a wrong length, are refused; in order it goes on.
    let (l1, l2) = (f1.plaintext().len() + 16, f2.plaintext().len() + 16);
    assert!(enc.place_frame(f2, l2).is_err());
    assert!(enc.place_frame(f1, l1 - 1).is_err());
    // Not finished: the final frame was never placed.
    assert!(enc.finish(&mut out).is_err());
}

#[test]
fn a_signed_suite_plans_frames_and_completes_them() {
    let m = FixedKeyManager::new(14);
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    let data = plaintext(1000);
    let (mut enc, key) = detached_encryptor(&m, suite, 64);
    let mut out = Vec::new();
    enc.plan_frames(data.len(), &mut out).unwrap();
    let mut frames = 0;
    loop {
        let batch = enc.take_planned_frames(4).unwrap();
        if batch.is_empty() {
            break;
        }
        for f in batch {
            let range = f.planned_range().unwrap();
            let sealed = external_seal(key.as_bytes(), f.iv(), f.aad(), &data[range]);
            enc.complete_frame(f, &sealed, &mut out).unwrap();
            frames += 1;
        }
    }
    assert_eq!(
        frames, 16,
        "15 full frames of 64 bytes and a final one of 40"
    );
    enc.finish(&mut out).unwrap();
    let dopts = DecryptOptions::default().with_commitment_policy(policy_for(suite));
    assert_eq!(block_on(decrypt(&m, &out, &dopts)).unwrap().plaintext, data);
}

#[test]
fn planning_frames_refuses_misuse() {
    let m = FixedKeyManager::new(15);
    let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
    let mut out = Vec::new();
    // Not detached: no plan.
    let opts = EncryptOptions::default().with_suite(suite);
    let mut enc = block_on(Encryptor::new(&m, &context(), &opts)).unwrap();
    assert_eq!(
        enc.plan_frames(10, &mut out).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert!(enc.take_planned_frames(4).unwrap().is_empty());

    // After plaintext, twice, or with plaintext after it: refused.
    let (mut enc, _) = detached_encryptor(&m, suite, 16);
    enc.update(b"x", &mut out).unwrap();
    assert!(enc.plan_frames(10, &mut out).is_err());
    let (mut enc, _) = detached_encryptor(&m, suite, 16);
    enc.plan_frames(40, &mut out).unwrap();
    assert!(enc.plan_frames(40, &mut out).is_err());
    assert!(enc.update(b"x", &mut out).is_err());
    assert!(enc.finish_input(&mut out).is_err());
    // Not finished until the final frame is placed.
    let frames = enc.take_planned_frames(2).unwrap();
    assert_eq!(
        frames
            .iter()
            .map(|f| f.planned_range().unwrap())
            .collect::<Vec<_>>(),
        [0..16, 16..32]
    );
    for f in frames {
        let len = f.content_len() + 16;
        enc.place_frame(f, len).unwrap();
    }
    let last = enc.take_planned_frames(2).unwrap();
    assert_eq!(last.len(), 1);
    assert!(last[0].is_final());
    assert!(
        enc.take_planned_frames(2).unwrap().is_empty(),
        "nothing after the final frame"
    );
    let mut rest = Vec::new();
    let (mut enc2, _) = detached_encryptor(&m, suite, 16);
    enc2.plan_frames(0, &mut rest).unwrap();
    let only = enc2.take_planned_frames(1).unwrap();
    assert_eq!(
        (only.len(), only[0].content_len()),
        (1, 0),
        "an empty plan is one empty final frame"
    );
    drop(last);
    assert!(enc.finish(&mut out).is_err());

    // Over the plaintext bound the encryptor was made with.
    let mut opts = EncryptOptions::default().with_suite(suite);
    opts.plaintext_length_bound = Some(10);
    let mut enc = block_on(Encryptor::new(&m, &context(), &opts)).unwrap();
    enc.detach_content_cipher().unwrap();
    let e = enc.plan_frames(11, &mut out).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitExceeded);
}
