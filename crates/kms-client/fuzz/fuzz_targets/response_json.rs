//! Arbitrary bytes as the body of each response the client reads: reading
//! never panics, and it agrees with serde_json, the reference.
//!
//! - Syntax: the reader accepts exactly the JSON texts serde_json parses as
//!   a `Value`, except numbers beyond f64's range (the reader checks
//!   numbers' grammar only, serde_json converts them).
//! - Typed: whatever the client reads from a body, serde_json reads from it
//!   into kms-protocol's `ops` type with the same values; and where
//!   serde_json reads a body that is valid JSON with an object at the top
//!   (serde also reads structs from arrays, which AWS never sends), so does
//!   the client.
#![no_main]

use kms_client::json::Reader;
use kms_client::wire::{self, Answer};
use kms_protocol::error::ErrorBody;
use kms_protocol::ops;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use zeroize::Zeroizing;

/// Whether `body` is one JSON value, by the client's reader.
fn valid(body: &[u8]) -> bool {
    let mut reader = Reader::new(body);
    reader.skip_value().is_ok() && reader.finish().is_ok()
}

/// Checks the client's reading `ours` of `body` against serde_json's;
/// `same` compares two successful readings.
fn agree<O, T: DeserializeOwned>(
    body: &[u8],
    comparable: bool,
    ours: Result<O, impl Display>,
    same: impl FnOnce(&O, &T) -> bool,
) {
    let theirs = serde_json::from_slice::<T>(body);
    match (&ours, &theirs) {
        (Ok(o), Ok(t)) => assert!(same(o, t), "different values"),
        (Ok(_), Err(e)) => panic!("the client read a body serde_json refuses: {e}"),
        (Err(e), Ok(_)) if comparable => panic!("the client refused a body serde_json reads: {e}"),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the response, so the fuzzer learns each shape.
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ours_valid = valid(body);
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(_) => assert!(ours_valid, "the reader refused valid JSON"),
        Err(e) => assert!(
            !ours_valid || e.to_string().starts_with("number out of range"),
            "the reader accepted what serde_json refuses: {e}"
        ),
    }
    let object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let comparable = ours_valid && object;
    let answer = |status| Answer {
        status,
        error_type_header: None,
        body: Zeroizing::new(body.to_vec()),
    };
    match pick % 5 {
        0 => agree(
            body,
            comparable,
            wire::generated_data_key(&answer(200)),
            |o, t: &ops::GenerateDataKeyResponse| {
                o.key_id == t.key_id
                    && o.plaintext[..] == *t.plaintext.as_bytes()
                    && o.ciphertext_blob == t.ciphertext_blob.as_bytes()
            },
        ),
        1 => agree(
            body,
            comparable,
            wire::encrypt_response(&answer(200)),
            |o, t: &ops::EncryptResponse| {
                o.key_id == t.key_id && o.ciphertext_blob == t.ciphertext_blob.as_bytes()
            },
        ),
        2 => agree(
            body,
            comparable,
            wire::decrypt_response(&answer(200)),
            |o, t: &ops::DecryptResponse| {
                o.key_id == t.key_id && o.plaintext[..] == *t.plaintext.as_bytes()
            },
        ),
        3 => agree(
            body,
            comparable,
            wire::public_key_response(&answer(200)),
            |o, t: &ops::GetPublicKeyResponse| {
                let encryption: Vec<&str> = t
                    .encryption_algorithms
                    .iter()
                    .flatten()
                    .map(|a| a.as_str())
                    .collect();
                let signing: Vec<&str> = t
                    .signing_algorithms
                    .iter()
                    .flatten()
                    .map(|a| a.as_str())
                    .collect();
                o.key_id == t.key_id
                    && o.public_key == t.public_key.as_bytes()
                    && o.key_spec == t.key_spec.as_str()
                    && o.key_usage == t.key_usage.as_str()
                    && o.encryption_algorithms == encryption
                    && o.signing_algorithms == signing
            },
        ),
        _ => {
            // An error answer: the body's message when serde_json reads an
            // error body with a type from it, else the HTTP status's code.
            let ours = wire::service_error(&answer(400));
            match serde_json::from_slice::<ErrorBody>(body) {
                Ok(theirs) if comparable && !theirs.r#type.is_empty() => {
                    assert_eq!(ours.message, theirs.message);
                }
                Ok(_) => {}
                Err(_) => assert_eq!(ours.code, "Http400", "{ours}"),
            }
        }
    }
});
