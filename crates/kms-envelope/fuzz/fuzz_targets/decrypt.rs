//! Decrypts arbitrary bytes with a fixed raw AES keyring, one-shot and
//! streaming (in chunks whose sizes come from the input): never a panic, and
//! both paths agree on success.
#![no_main]

use kms_envelope::cmm::DefaultMaterialsManager;
use kms_envelope::keyring::RawAesKeyring;
use kms_envelope::{CommitmentPolicy, DecryptOptions, HeaderReader, ReadHeader, decrypt};
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
}
