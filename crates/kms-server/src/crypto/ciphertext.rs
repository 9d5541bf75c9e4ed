//! The CiphertextBlob of symmetric (SYMMETRIC_DEFAULT) encryption.
//!
//! AWS's blob is opaque, so ours only has to carry what Decrypt needs
//! without a KeyId. Format 1:
//!
//! ```text
//! 0x01                      format
//! len (1 byte) | key id     36 ASCII bytes: a UUID or "mrk-" + 32 hex
//! version (4 bytes, BE)     key material version (rotation keeps old ones)
//! nonce (16 bytes)          random, input of the per-ciphertext key
//! ciphertext                AES-256-GCM, same length as the plaintext
//! tag (16 bytes)
//! ```
//!
//! Each ciphertext is encrypted under its own key,
//! `HKDF-SHA256-Expand(PRK(material), "kms-server ciphertext v1" || nonce)`,
//! with an all-zero IV (a key encrypts one message only, so the (key, IV)
//! pair never repeats). Why not one AES-GCM key with random 96-bit IVs: a
//! key must then encrypt fewer than 2^32 messages, which a server at
//! 20,000 GenerateDataKey/s reaches on one key in under three days; with
//! 128-bit nonces feeding a KDF the bound is 2^64 messages. (AWS KMS derives
//! a key per ciphertext with HKDF for the same reason.) The HKDF-Extract is
//! done once per loaded key, so a ciphertext costs one HMAC-SHA256 keying
//! and block (four SHA-256 compressions) and one AES key schedule.
//!
//! The AAD is the whole header (through the nonce) followed by the
//! canonical encryption context, so neither can be changed without failing
//! authentication.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::{KeyMaterial, Loaded, fill_random};
use kms_protocol::ops::{EncryptionAlgorithmSpec, KeySpec};

/// Largest plaintext Encrypt accepts (AWS's limit); checked by [`seal`].
pub const MAX_PLAINTEXT_LEN: usize = 4096;

const FORMAT_V1: u8 = 1;
const KEY_ID_LEN: usize = 36;
const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// Bytes before the nonce: format, key id length, key id, version.
const PREFIX_LEN: usize = 1 + 1 + KEY_ID_LEN + 4;
/// Header bytes (authenticated as AAD): prefix and nonce.
const HEADER_LEN: usize = PREFIX_LEN + NONCE_LEN;
/// Length of a blob minus the length of its plaintext.
pub const CIPHERTEXT_OVERHEAD: usize = HEADER_LEN + TAG_LEN;

const KDF_INFO_LABEL: &[u8] = b"kms-server ciphertext v1";

/// An empty encryption context, for [`seal`] and [`open`].
pub const NO_CONTEXT: [(&str, &str); 0] = [];

/// What a blob says about itself, read without decrypting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CiphertextHeader<'a> {
    /// The id of the key that encrypted it (UUID or `mrk-` id).
    pub key_id: &'a str,
    /// The key material version that encrypted it.
    pub material_version: u32,
}

/// Whether `id` is a key id as kms-server issues them: a lowercase UUID
/// (8-4-4-4-12 hex) or `mrk-` followed by 32 lowercase hex digits.
pub fn is_valid_key_id(id: &str) -> bool {
    let b = id.as_bytes();
    let hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
    if b.len() != KEY_ID_LEN {
        return false;
    }
    if let Some(rest) = b.strip_prefix(b"mrk-") {
        return rest.iter().all(hex);
    }
    b.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => hex(c),
    })
}

/// Reads the key id and material version of a blob, checking every length
/// and the key id's syntax, without decrypting. Any defect is
/// [`CryptoError::InvalidCiphertext`].
pub fn parse_header(blob: &[u8]) -> Result<CiphertextHeader<'_>, CryptoError> {
    let bad = CryptoError::InvalidCiphertext;
    if blob.len() < CIPHERTEXT_OVERHEAD
        || blob.len() > CIPHERTEXT_OVERHEAD + MAX_PLAINTEXT_LEN
        || blob[0] != FORMAT_V1
        || usize::from(blob[1]) != KEY_ID_LEN
    {
        return Err(bad);
    }
    let key_id = core::str::from_utf8(&blob[2..2 + KEY_ID_LEN]).map_err(|_| bad.clone())?;
    if !is_valid_key_id(key_id) {
        return Err(bad);
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&blob[2 + KEY_ID_LEN..PREFIX_LEN]);
    Ok(CiphertextHeader {
        key_id,
        material_version: u32::from_be_bytes(version),
    })
}

/// Serializes an encryption context canonically: the pair count, then each
/// pair sorted by key (bytewise), key and value each prefixed with its
/// length (all u32 big-endian). Length prefixes keep `{"a":"bc"}` and
/// `{"ab":"c"}` apart; sorting makes the order of a JSON object irrelevant.
/// Duplicate keys are rejected.
pub fn canonical_context<K, V, I>(context: I) -> Result<Vec<u8>, CryptoError>
where
    K: AsRef<str>,
    V: AsRef<str>,
    I: IntoIterator<Item = (K, V)>,
{
    let mut pairs: Vec<(K, V)> = context.into_iter().collect();
    pairs.sort_by(|a, b| a.0.as_ref().as_bytes().cmp(b.0.as_ref().as_bytes()));
    let too_long = || CryptoError::InvalidInput {
        what: "encryption context",
        expected: "keys and values shorter than 4 GiB",
    };
    let mut out = Vec::new();
    out.extend_from_slice(
        &u32::try_from(pairs.len())
            .map_err(|_| too_long())?
            .to_be_bytes(),
    );
    let mut previous: Option<&str> = None;
    for (k, v) in &pairs {
        let (k, v) = (k.as_ref(), v.as_ref());
        if previous == Some(k) {
            return Err(CryptoError::InvalidInput {
                what: "encryption context",
                expected: "distinct keys",
            });
        }
        previous = Some(k);
        for field in [k, v] {
            out.extend_from_slice(
                &u32::try_from(field.len())
                    .map_err(|_| too_long())?
                    .to_be_bytes(),
            );
            out.extend_from_slice(field.as_bytes());
        }
    }
    Ok(out)
}

/// The per-ciphertext AES-256-GCM instance.
fn message_cipher(material: &KeyMaterial, nonce: &[u8]) -> Result<Aes256Gcm, CryptoError> {
    let Loaded::Symmetric(key) = &material.loaded else {
        return Err(CryptoError::AlgorithmNotValidForKey {
            algorithm: EncryptionAlgorithmSpec::SymmetricDefault.as_str(),
            key_spec: material.spec(),
        });
    };
    let mut derived = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::from_prk(key.prk.as_ref())
        .map_err(|_| CryptoError::Internal {
            step: "deriving a ciphertext key",
        })?
        .expand_multi_info(&[KDF_INFO_LABEL, nonce], derived.as_mut())
        .map_err(|_| CryptoError::Internal {
            step: "deriving a ciphertext key",
        })?;
    Aes256Gcm::new_from_slice(derived.as_ref()).map_err(|_| CryptoError::Internal {
        step: "deriving a ciphertext key",
    })
}

fn aad(header: &[u8], context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + context.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(context);
    aad
}

/// The fixed IV: each derived key encrypts exactly one message.
const ZERO_IV: [u8; 12] = [0u8; 12];

/// Encrypts `plaintext` (1 to 4096 bytes, checked here) under symmetric
/// `material`, which is version `material_version` of key `key_id`, binding
/// the encryption `context` (any map of strings; pass an empty iterator for
/// none). Returns the CiphertextBlob.
pub fn seal<K, V, I>(
    material: &KeyMaterial,
    key_id: &str,
    material_version: u32,
    plaintext: &[u8],
    context: I,
) -> Result<Vec<u8>, CryptoError>
where
    K: AsRef<str>,
    V: AsRef<str>,
    I: IntoIterator<Item = (K, V)>,
{
    if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(CryptoError::length(
            "plaintext",
            "1 to 4096 bytes",
            plaintext.len(),
        ));
    }
    if !is_valid_key_id(key_id) {
        return Err(CryptoError::InvalidInput {
            what: "key id",
            expected: "a lowercase UUID or mrk- and 32 hex digits",
        });
    }
    if material.spec() != KeySpec::SymmetricDefault {
        return Err(CryptoError::AlgorithmNotValidForKey {
            algorithm: EncryptionAlgorithmSpec::SymmetricDefault.as_str(),
            key_spec: material.spec(),
        });
    }
    let context = canonical_context(context)?;
    let mut blob = Vec::with_capacity(CIPHERTEXT_OVERHEAD + plaintext.len());
    blob.push(FORMAT_V1);
    blob.push(KEY_ID_LEN as u8);
    blob.extend_from_slice(key_id.as_bytes());
    blob.extend_from_slice(&material_version.to_be_bytes());
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    blob.extend_from_slice(&nonce);
    let cipher = message_cipher(material, &nonce)?;
    let aad = aad(&blob, &context);
    blob.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(
            &Nonce::from(ZERO_IV),
            &aad,
            (&mut blob[HEADER_LEN..]).into(),
        )
        .map_err(|_| CryptoError::Internal {
            step: "AES-GCM encryption",
        })?;
    blob.extend_from_slice(&tag);
    Ok(blob)
}

/// Decrypts a blob made by [`seal`] with the material its header names
/// (look it up with [`parse_header`] first) and the same encryption
/// context. Any tampering, another key's material or another context gives
/// [`CryptoError::InvalidCiphertext`] and releases nothing.
pub fn open<K, V, I>(
    material: &KeyMaterial,
    blob: &[u8],
    context: I,
) -> Result<Zeroizing<Vec<u8>>, CryptoError>
where
    K: AsRef<str>,
    V: AsRef<str>,
    I: IntoIterator<Item = (K, V)>,
{
    parse_header(blob)?;
    if material.spec() != KeySpec::SymmetricDefault {
        return Err(CryptoError::InvalidCiphertext);
    }
    let context = canonical_context(context)?;
    let (header, rest) = blob.split_at(HEADER_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| CryptoError::InvalidCiphertext)?;
    let cipher = message_cipher(material, &header[PREFIX_LEN..])?;
    let mut plaintext = Zeroizing::new(body.to_vec());
    cipher
        .decrypt_inout_detached(
            &Nonce::from(ZERO_IV),
            &aad(header, &context),
            plaintext.as_mut_slice().into(),
            &Tag::from(tag),
        )
        .map_err(|_| CryptoError::InvalidCiphertext)?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_keys::material;
    use std::collections::{BTreeMap, HashMap};

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const MRK_ID: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

    fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn key_ids_are_uuids_or_mrk_ids() {
        assert!(is_valid_key_id(KEY_ID));
        assert!(is_valid_key_id(MRK_ID));
        for bad in [
            "",
            "1234abcd-12ab-34cd-56ef-1234567890a",
            "1234abcd-12ab-34cd-56ef-1234567890abc",
            "1234ABCD-12ab-34cd-56ef-1234567890ab",
            "1234abcd_12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890ag",
            "mrk-1234abcd12ab34cd56ef1234567890a-",
            "alias/my-key-alias-with-36-chars-xx",
        ] {
            assert!(!is_valid_key_id(bad), "{bad}");
        }
    }

    #[test]
    fn round_trip_and_header() {
        let m = material(KeySpec::SymmetricDefault);
        let context = ctx(&[("purpose", "test"), ("tenant", "42")]);
        for (id, version) in [(KEY_ID, 0u32), (MRK_ID, u32::MAX)] {
            for len in [1usize, 32, MAX_PLAINTEXT_LEN] {
                let plaintext = vec![0x5au8; len];
                let blob = seal(m, id, version, &plaintext, &context).unwrap();
                assert_eq!(blob.len(), CIPHERTEXT_OVERHEAD + len);
                let header = parse_header(&blob).unwrap();
                assert_eq!(header.key_id, id);
                assert_eq!(header.material_version, version);
                assert_eq!(open(m, &blob, &context).unwrap().as_slice(), plaintext);
            }
        }
        // Two encryptions of the same plaintext differ.
        let a = seal(m, KEY_ID, 1, b"same", NO_CONTEXT).unwrap();
        let b = seal(m, KEY_ID, 1, b"same", NO_CONTEXT).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn plaintext_limits() {
        let m = material(KeySpec::SymmetricDefault);
        for len in [0, MAX_PLAINTEXT_LEN + 1] {
            assert_eq!(
                seal(m, KEY_ID, 1, &vec![0u8; len], NO_CONTEXT).unwrap_err(),
                CryptoError::length("plaintext", "1 to 4096 bytes", len)
            );
        }
        assert!(matches!(
            seal(m, "alias/x", 1, b"x", NO_CONTEXT),
            Err(CryptoError::InvalidInput { what: "key id", .. })
        ));
    }

    #[test]
    fn every_bit_flip_and_every_truncation_is_rejected() {
        let m = material(KeySpec::SymmetricDefault);
        let context = ctx(&[("k", "v")]);
        let blob = seal(m, KEY_ID, 7, b"attack at dawn", &context).unwrap();
        for i in 0..blob.len() * 8 {
            let mut bad = blob.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                open(m, &bad, &context).unwrap_err(),
                CryptoError::InvalidCiphertext,
                "bit {i}"
            );
        }
        for cut in 0..blob.len() {
            assert_eq!(
                open(m, &blob[..cut], &context).unwrap_err(),
                CryptoError::InvalidCiphertext,
                "length {cut}"
            );
            assert!(parse_header(&blob[..cut]).is_err() || cut >= CIPHERTEXT_OVERHEAD);
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(
            open(m, &longer, &context).unwrap_err(),
            CryptoError::InvalidCiphertext
        );
    }

    #[test]
    fn a_different_context_or_key_is_rejected() {
        let m = material(KeySpec::SymmetricDefault);
        let context = ctx(&[("a", "bc")]);
        let blob = seal(m, KEY_ID, 1, b"secret", &context).unwrap();
        for other in [
            ctx(&[]),
            ctx(&[("ab", "c")]),
            ctx(&[("a", "bc"), ("d", "")]),
            ctx(&[("a", "bC")]),
            ctx(&[("A", "bc")]),
        ] {
            assert_eq!(
                open(m, &blob, &other).unwrap_err(),
                CryptoError::InvalidCiphertext
            );
        }
        let other_key = KeyMaterial::generate(KeySpec::SymmetricDefault).unwrap();
        assert_eq!(
            open(&other_key, &blob, &context).unwrap_err(),
            CryptoError::InvalidCiphertext
        );
        assert_eq!(
            open(material(KeySpec::Hmac256), &blob, &context).unwrap_err(),
            CryptoError::InvalidCiphertext
        );
        assert!(matches!(
            seal(material(KeySpec::Rsa2048), KEY_ID, 1, b"x", NO_CONTEXT),
            Err(CryptoError::AlgorithmNotValidForKey { .. })
        ));
    }

    #[test]
    fn context_order_and_map_type_do_not_matter() {
        let m = material(KeySpec::SymmetricDefault);
        let mut hashed = HashMap::new();
        for i in 0..20 {
            hashed.insert(format!("key{i}"), format!("value{i}"));
        }
        let sorted: BTreeMap<_, _> = hashed.clone().into_iter().collect();
        let blob = seal(m, KEY_ID, 1, b"x", &hashed).unwrap();
        assert_eq!(open(m, &blob, &sorted).unwrap().as_slice(), b"x");
        let reversed: Vec<(&str, &str)> = sorted
            .iter()
            .rev()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(open(m, &blob, reversed).unwrap().as_slice(), b"x");
    }

    #[test]
    fn canonical_context_is_length_prefixed_and_sorted() {
        let a = canonical_context([("a", "bc")]).unwrap();
        let b = canonical_context([("ab", "c")]).unwrap();
        assert_ne!(a, b);
        assert_eq!(
            a,
            [&[0, 0, 0, 1][..], &[0, 0, 0, 1], b"a", &[0, 0, 0, 2], b"bc"].concat()
        );
        assert_eq!(
            canonical_context([("b", "2"), ("a", "1")]).unwrap(),
            canonical_context([("a", "1"), ("b", "2")]).unwrap()
        );
        assert_eq!(canonical_context(NO_CONTEXT).unwrap(), [0, 0, 0, 0]);
        assert!(matches!(
            canonical_context([("a", "1"), ("a", "2")]),
            Err(CryptoError::InvalidInput { .. })
        ));
    }

    #[test]
    fn header_parsing_rejects_malformed_blobs() {
        let m = material(KeySpec::SymmetricDefault);
        let blob = seal(m, KEY_ID, 1, b"x", NO_CONTEXT).unwrap();
        let mut wrong_format = blob.clone();
        wrong_format[0] = 2;
        let mut wrong_len = blob.clone();
        wrong_len[1] = 35;
        let mut bad_id = blob.clone();
        bad_id[2] = b'G';
        let mut not_utf8 = blob.clone();
        not_utf8[2] = 0xff;
        let too_long = vec![1u8; CIPHERTEXT_OVERHEAD + MAX_PLAINTEXT_LEN + 1];
        for bad in [
            wrong_format,
            wrong_len,
            bad_id,
            not_utf8,
            too_long,
            Vec::new(),
        ] {
            assert_eq!(
                parse_header(&bad).unwrap_err(),
                CryptoError::InvalidCiphertext
            );
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_never_decrypt() {
        let m = material(KeySpec::SymmetricDefault);
        let mut bytes = vec![0u8; CIPHERTEXT_OVERHEAD + 64];
        for round in 0..2_000usize {
            fill_random(&mut bytes).unwrap();
            let len = round % bytes.len();
            // Half the time, keep a valid header so `open` gets past parsing.
            if round % 2 == 0 && len >= PREFIX_LEN {
                bytes[..2].copy_from_slice(&[FORMAT_V1, KEY_ID_LEN as u8]);
                bytes[2..2 + KEY_ID_LEN].copy_from_slice(KEY_ID.as_bytes());
            }
            let _ = parse_header(&bytes[..len]);
            assert_eq!(
                open(m, &bytes[..len], NO_CONTEXT).unwrap_err(),
                CryptoError::InvalidCiphertext
            );
        }
    }
}
