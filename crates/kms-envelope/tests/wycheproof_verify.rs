//! Project Wycheproof's ECDSA vectors through `verify::PublicKey`, one file
//! per curve KMS offers (see `tests/data/wycheproof/README.md`). The public
//! key is wrapped in a hand-built SubjectPublicKeyInfo, so the parser is
//! checked against DER written independently of the RustCrypto encoders.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
// A test: a malformed vector file should stop it loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use kms_envelope::Error;
use kms_envelope::verify::{KeyKind, Message, PublicKey, SigningAlgorithm};

/// Reads blobby's variable-length quantity (git-style: each continuation
/// adds one before shifting).
fn vlq(data: &[u8], pos: &mut usize) -> usize {
    let mut byte = data[*pos];
    *pos += 1;
    let mut value = usize::from(byte & 0x7f);
    while byte & 0x80 != 0 {
        byte = data[*pos];
        *pos += 1;
        value = ((value + 1) << 7) | usize::from(byte & 0x7f);
    }
    value
}

/// Splits a blobby file into its blobs: a table of shared blobs, then each
/// blob either inline (even tag: length) or a table reference (odd tag).
fn blobs(data: &[u8]) -> Vec<&[u8]> {
    let mut pos = 0;
    let shared = vlq(data, &mut pos);
    let mut table = Vec::with_capacity(shared);
    for _ in 0..shared {
        let len = vlq(data, &mut pos);
        table.push(&data[pos..pos + len]);
        pos += len;
    }
    let mut out = Vec::new();
    while pos < data.len() {
        let tag = vlq(data, &mut pos);
        if tag & 1 == 1 {
            out.push(table[tag >> 1]);
        } else {
            let len = tag >> 1;
            out.push(&data[pos..pos + len]);
            pos += len;
        }
    }
    out
}

fn der_len(len: usize) -> Vec<u8> {
    match len {
        0..=0x7f => vec![len as u8],
        0x80..=0xff => vec![0x81, len as u8],
        _ => vec![0x82, (len >> 8) as u8, len as u8],
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

/// Left-pads or trims leading zeros to the field size.
fn coordinate(bytes: &[u8], size: usize) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect::<Vec<_>>();
    assert!(trimmed.len() <= size, "coordinate longer than the field");
    let mut out = vec![0; size - trimmed.len()];
    out.extend(trimmed);
    out
}

fn spki(curve_oid: &[u8], field_size: usize, x: &[u8], y: &[u8]) -> Vec<u8> {
    let ec_public_key = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let mut algorithm = tlv(0x06, &ec_public_key);
    algorithm.extend(tlv(0x06, curve_oid));
    let mut point = vec![0x00, 0x04];
    point.extend(coordinate(x, field_size));
    point.extend(coordinate(y, field_size));
    let mut body = tlv(0x30, &algorithm);
    body.extend(tlv(0x03, &point));
    tlv(0x30, &body)
}

fn run(file: &[u8], curve_oid: &[u8], field_size: usize, kind: KeyKind, alg: SigningAlgorithm) {
    let blobs = blobs(file);
    assert_eq!(blobs.len() % 5, 0);
    let (mut valid, mut invalid) = (0, 0);
    for (i, row) in blobs.chunks(5).enumerate() {
        let [x, y, msg, sig, verdict] = row else {
            unreachable!()
        };
        let key = PublicKey::from_der(&spki(curve_oid, field_size, x, y))
            .unwrap_or_else(|e| panic!("case {i}: key refused: {e}"));
        assert_eq!(key.kind(), kind);
        let result = key.verify(alg, Message::Raw(msg), sig);
        match verdict {
            [1] => {
                assert_eq!(result, Ok(()), "case {i} should verify");
                valid += 1;
            }
            [0] => {
                assert_eq!(result, Err(Error::SignatureInvalid), "case {i} should fail");
                invalid += 1;
            }
            other => panic!("case {i}: verdict {other:?}"),
        }
    }
    assert!(
        valid > 100 && invalid > 200,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn wycheproof_p256_sha256() {
    run(
        include_bytes!("data/wycheproof/ecdsa_secp256r1_sha256.blb"),
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        32,
        KeyKind::EccNistP256,
        SigningAlgorithm::EcdsaSha256,
    );
}

#[test]
fn wycheproof_p384_sha384() {
    run(
        include_bytes!("data/wycheproof/ecdsa_secp384r1_sha384.blb"),
        &[0x2b, 0x81, 0x04, 0x00, 0x22],
        48,
        KeyKind::EccNistP384,
        SigningAlgorithm::EcdsaSha384,
    );
}

#[test]
fn wycheproof_p521_sha512() {
    run(
        include_bytes!("data/wycheproof/ecdsa_secp521r1_sha512.blb"),
        &[0x2b, 0x81, 0x04, 0x00, 0x23],
        66,
        KeyKind::EccNistP521,
        SigningAlgorithm::EcdsaSha512,
    );
}

#[test]
fn wycheproof_secp256k1_sha256() {
    run(
        include_bytes!("data/wycheproof/ecdsa_secp256k1_sha256.blb"),
        &[0x2b, 0x81, 0x04, 0x00, 0x0a],
        32,
        KeyKind::EccSecgP256k1,
        SigningAlgorithm::EcdsaSha256,
    );
}
