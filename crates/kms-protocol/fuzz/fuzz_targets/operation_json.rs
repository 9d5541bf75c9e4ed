//! Arbitrary bytes as the body of every KMS operation: parsing never
//! panics, and a request that parses serializes to JSON that parses back
//! to the same request.
#![no_main]

use kms_protocol::ops::{Operation, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the operation, so the fuzzer learns each body
    // shape; the rest is the body.
    let Some((&pick, body_bytes)) = data.split_first() else {
        return;
    };
    let operation = Operation::ALL[usize::from(pick) % Operation::ALL.len()];
    let _ = operation.as_str().parse::<Operation>();
    let Ok(request) = Request::parse(operation, body_bytes) else {
        return;
    };
    assert_eq!(request.operation(), operation);
    let json = match request.to_json() {
        Ok(json) => json,
        Err(e) => panic!("{operation}: a parsed request does not serialize: {e}"),
    };
    match Request::parse(operation, &json) {
        Ok(again) => assert_eq!(again, request, "{}", String::from_utf8_lossy(&json)),
        Err(e) => panic!(
            "{operation}: re-parsing {} failed: {e}",
            String::from_utf8_lossy(&json)
        ),
    }
});
