//! Decrypts arbitrary bytes with a fixed raw AES keyring four ways:
//! one-shot, streaming (in chunks whose sizes come from the input),
//! detached with located frames opened outside the core from their span of
//! the body (as the npm package does with WebCrypto), and streaming with a
//! signed suite's signature detached, the signed bytes counted as the npm
//! package hashes them (every byte given until the core says where the
//! footer starts): never a panic, all paths agree on success and on the
//! plaintext, and the bytes counted are exactly the bytes signed.
#![no_main]

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes192;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce};
use kms_envelope::cmm::DefaultMaterialsManager;
use kms_envelope::keyring::RawAesKeyring;
use kms_envelope::{CommitmentPolicy, DecryptOptions, Error, HeaderReader, ReadHeader, decrypt};
use libfuzzer_sys::fuzz_target;

thread_local! {
    // Built once: materials managers need not be Sync (wasm is
    // single-threaded), and the fuzzer runs one input at a time.
    static MANAGER: DefaultMaterialsManager = DefaultMaterialsManager::new(
        RawAesKeyring::new("fuzz", "fixed-key", &[0x42; 32]).expect("keyring"),
    );
}

fuzz_target!(|data: &[u8]| MANAGER.with(|manager| run(manager, data)));

fn run(manager: &DefaultMaterialsManager, data: &[u8]) {
    let Some((&chunk, message)) = data.split_first() else {
        return;
    };
    let mut options = DecryptOptions::default()
        .with_commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt);
    options.max_body_size = Some(1 << 20);
    options.max_encrypted_data_keys = Some(16);
    let one_shot = pollster::block_on(decrypt(manager, message, &options));

    let chunk = usize::from(chunk).max(1);
    let mut out = Vec::new();
    let streamed = (|| {
        let mut reader = HeaderReader::new(options.clone());
        let mut chunks = message.chunks(chunk);
        let (parsed, rest) = loop {
            let Some(c) = chunks.next() else {
                return reader.finish();
            };
            let mut input = c;
            match reader.read(&mut input)? {
                ReadHeader::NeedMore(r) => reader = r,
                ReadHeader::Parsed(p) => break (p, input),
            }
        };
        let mut body = pollster::block_on(parsed.obtain_materials(manager))?;
        body.update(rest, &mut out)?;
        for c in chunks {
            body.update(c, &mut out)?;
        }
        body.finish(&mut out)
    })();
    match (&one_shot, &streamed) {
        (Ok(o), Ok(())) => assert_eq!(o.plaintext, out),
        (Ok(_), Err(e)) | (Err(e), Ok(())) => panic!("one-shot and streaming disagree: {e}"),
        (Err(_), Err(_)) => {}
    }
    match (&one_shot, located(manager, message, &options)) {
        (Ok(o), Ok(plaintext)) => assert_eq!(o.plaintext, plaintext),
        (Ok(_), Err(e)) => panic!("one-shot and located disagree: {e}"),
        (Err(e), Ok(_)) => panic!("one-shot and located disagree: {e}"),
        (Err(_), Err(_)) => {}
    }
    match (
        &one_shot,
        detached_signature(manager, message, &options, chunk),
    ) {
        (Ok(o), Ok(Some(plaintext))) => assert_eq!(o.plaintext, plaintext),
        (Ok(_), Err(e)) => panic!("one-shot and detached signature disagree: {e}"),
        (Err(e), Ok(Some(_))) => panic!("one-shot and detached signature disagree: {e}"),
        _ => {}
    }
}

/// Streams the body of a signed suite's message in `chunk`-byte pieces with
/// the signature detached, counting what a caller hashing it would hash;
/// `None` for an unsigned suite.
fn detached_signature(
    manager: &DefaultMaterialsManager,
    message: &[u8],
    options: &DecryptOptions,
    chunk: usize,
) -> Result<Option<Vec<u8>>, Error> {
    let mut body_bytes = message;
    let parsed = match HeaderReader::new(options.clone()).read(&mut body_bytes)? {
        ReadHeader::Parsed(p) => p,
        ReadHeader::NeedMore(_) => return Err(Error::TruncatedMessage),
    };
    let mut body = pollster::block_on(parsed.obtain_materials(manager))?;
    if body.header().suite().signature.is_none() {
        return Ok(None);
    }
    body.detach_signature()?;
    let mut hashed = (message.len() - body_bytes.len()) as u64;
    let mut out = Vec::new();
    for c in body_bytes.chunks(chunk) {
        body.update(c, &mut out)?;
        let covered = match body.signed_len() {
            None => c.len() as u64,
            Some(end) => end.saturating_sub(hashed).min(c.len() as u64),
        };
        hashed += covered;
    }
    let to_verify = body.take_signature_to_verify()?;
    assert_eq!(
        hashed,
        to_verify.signed_len(),
        "the bytes counted are the bytes signed"
    );
    assert_eq!(body.signed_len(), Some(hashed));
    let verdict = to_verify.verify_in_crate(message);
    body.finish_verified(verdict, &mut out)?;
    Ok(Some(out))
}

/// Decrypts the whole `message` with the content cipher detached and the
/// frames located: each is opened here from its span of the body.
fn located(
    manager: &DefaultMaterialsManager,
    message: &[u8],
    options: &DecryptOptions,
) -> Result<Vec<u8>, Error> {
    let mut body_bytes = message;
    let parsed = match HeaderReader::new(options.clone()).read(&mut body_bytes)? {
        ReadHeader::Parsed(p) => p,
        ReadHeader::NeedMore(_) => return Err(Error::TruncatedMessage),
    };
    let mut body = pollster::block_on(parsed.obtain_materials(manager))?;
    let key = body.detach_content_cipher()?;
    body.locate_frames()?;
    let mut plaintext = Vec::new();
    body.update(body_bytes, &mut plaintext)?;
    for frame in body.take_sealed_frames() {
        assert!(
            frame.ciphertext_and_tag().is_empty(),
            "a located frame holds no copy"
        );
        let range = frame.body_range().expect("a located frame names its span");
        let sealed = body_bytes.get(range).expect("the span is inside the body");
        assert_eq!(sealed.len(), frame.plaintext_len() + 16);
        let opened = open(key.as_bytes(), frame.iv(), frame.aad(), sealed)
            .ok_or(Error::BodyAuthentication)?;
        body.release_frame(frame, &opened, &mut plaintext)?;
    }
    body.finish(&mut plaintext)?;
    Ok(plaintext)
}

/// AES-GCM open of ciphertext followed by its 16-byte tag.
fn open(key: &[u8], iv: &[u8; 12], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let nonce = Nonce::<U12>::from(*iv);
    let payload = Payload { msg: sealed, aad };
    match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .ok()?
            .decrypt(&nonce, payload),
        24 => AesGcm::<Aes192, U12>::new_from_slice(key)
            .ok()?
            .decrypt(&nonce, payload),
        32 => Aes256Gcm::new_from_slice(key)
            .ok()?
            .decrypt(&nonce, payload),
        _ => return None,
    }
    .ok()
}
