//! The CiphertextBlob that Decrypt, ReEncrypt and GenerateDataKey's callers
//! send back: `parse_header` and `open` never panic on any bytes or any
//! encryption context, and what `seal` makes opens only unchanged, with its
//! own key and its own context.
//!
//! Input: byte 0 picks the mode, byte 1 is the length of the encryption
//! context text that follows (`k=v&k=v`), and the rest is a blob to open
//! (even modes) or a plaintext to seal (odd modes; bytes 2 and 3 then pick
//! the bit a tampered copy flips).
#![no_main]

use std::sync::OnceLock;

use kms_protocol::ops::KeySpec;
use kms_server::crypto::ciphertext::{self, CIPHERTEXT_OVERHEAD, MAX_PLAINTEXT_LEN};
use kms_server::crypto::material::KeyMaterial;
use libfuzzer_sys::fuzz_target;

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

/// The target's fixed key (32 bytes of `fill`), loaded once.
fn key(fill: u8) -> &'static KeyMaterial {
    static KEYS: [OnceLock<KeyMaterial>; 2] = [OnceLock::new(), OnceLock::new()];
    KEYS[usize::from(fill & 1)].get_or_init(|| {
        KeyMaterial::from_bytes(KeySpec::SymmetricDefault, &[fill; 32])
            .unwrap_or_else(|e| panic!("a 32-byte symmetric key loads: {e:?}"))
    })
}

/// `k=v&k=v` as pairs; a pair without `=` has an empty value.
fn context(text: &str) -> Vec<(&str, &str)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

fn open_any(blob: &[u8], pairs: &[(&str, &str)]) {
    let header = ciphertext::parse_header(blob);
    match ciphertext::open(key(0x42), blob, pairs.iter().copied()) {
        Ok(plaintext) => {
            // Only a blob with a well-formed header can authenticate.
            let header =
                header.unwrap_or_else(|e| panic!("opened a blob whose header fails: {e:?}"));
            assert!(ciphertext::is_valid_key_id(header.key_id));
            assert_eq!(plaintext.len() + CIPHERTEXT_OVERHEAD, blob.len());
        }
        Err(_) => {
            if let Ok(h) = header {
                assert!(ciphertext::is_valid_key_id(h.key_id));
            }
        }
    }
}

fn seal_and_tamper(plaintext: &[u8], pairs: &[(&str, &str)], flip: u16, version: u32) {
    let Ok(blob) = ciphertext::seal(key(0x42), KEY_ID, version, plaintext, pairs.iter().copied())
    else {
        // Refused: empty or over 4096 bytes, or a duplicate context key.
        let duplicate = ciphertext::canonical_context(pairs.iter().copied()).is_err();
        assert!(plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT_LEN || duplicate);
        return;
    };
    let header = ciphertext::parse_header(&blob).unwrap_or_else(|e| panic!("own header: {e:?}"));
    assert_eq!((header.key_id, header.material_version), (KEY_ID, version));
    let opened = ciphertext::open(key(0x42), &blob, pairs.iter().copied())
        .unwrap_or_else(|e| panic!("own blob does not open: {e:?}"));
    assert_eq!(opened.as_slice(), plaintext);
    // Another key, another context, or any one bit changed: refused.
    assert!(ciphertext::open(key(0x43), &blob, pairs.iter().copied()).is_err());
    let mut more = pairs.to_vec();
    more.push(("\u{0}extra", ""));
    assert!(ciphertext::open(key(0x42), &blob, more).is_err());
    let mut tampered = blob.clone();
    let bit = usize::from(flip) % (tampered.len() * 8);
    tampered[bit / 8] ^= 1 << (bit % 8);
    assert!(ciphertext::open(key(0x42), &tampered, pairs.iter().copied()).is_err());
}

fuzz_target!(|data: &[u8]| {
    let [mode, context_len, rest @ ..] = data else {
        return;
    };
    let (text, rest) = rest.split_at(usize::from(*context_len).min(rest.len()));
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let pairs = context(text);
    if mode & 1 == 0 {
        open_any(rest, &pairs);
    } else if let [a, b, plaintext @ ..] = rest {
        seal_and_tamper(
            plaintext,
            &pairs,
            u16::from_le_bytes([*a, *b]),
            u32::from(*mode),
        );
    }
});
