//! Grant tokens, which any caller may send with a request: the parser never
//! panics, and what it accepts is exactly a token of the issued form
//! (prefix, four non-empty UTF-8 parts ended by NUL, a 16-byte nonce).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_server::authz::parse_grant_token;
use libfuzzer_sys::fuzz_target;

const PREFIX: &[u8] = b"kms-server-grant-token-v1\0";

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parts) = parse_grant_token(token) else {
        return;
    };
    let raw = STANDARD
        .decode(token)
        .unwrap_or_else(|e| panic!("accepted a token that is not base64: {e}"));
    let mut expected = PREFIX.to_vec();
    for part in &parts {
        assert!(!part.is_empty() && !part.contains('\0'), "part {part:?}");
        expected.extend_from_slice(part.as_bytes());
        expected.push(0);
    }
    assert_eq!(raw.len(), expected.len() + 16, "nonce length");
    assert_eq!(&raw[..expected.len()], expected.as_slice());
});
