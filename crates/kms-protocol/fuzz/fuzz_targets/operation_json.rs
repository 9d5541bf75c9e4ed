//! Arbitrary bytes as the body of every KMS operation: parsing never
//! panics, and a request that parses serializes to JSON that parses back
//! to the same request.
#![no_main]

use kms_protocol::ops::{Operation, Request};
use libfuzzer_sys::fuzz_target;

/// Serializes the body of a request (every modeled operation: a new one
/// makes this match non-exhaustive, so the target must follow).
macro_rules! body_of {
    ($req:expr, $($op:ident),+ $(,)?) => {
        match $req {
            $(Request::$op(r) => serde_json::to_vec(r),)+
        }
    };
}

fn body(request: &Request) -> serde_json::Result<Vec<u8>> {
    body_of!(
        request,
        CreateKey,
        DescribeKey,
        ListKeys,
        UpdateKeyDescription,
        EnableKey,
        DisableKey,
        ScheduleKeyDeletion,
        CancelKeyDeletion,
        CreateAlias,
        UpdateAlias,
        DeleteAlias,
        ListAliases,
        TagResource,
        UntagResource,
        ListResourceTags,
        Encrypt,
        Decrypt,
        ReEncrypt,
        GenerateDataKey,
        GenerateDataKeyWithoutPlaintext,
        GenerateDataKeyPair,
        GenerateDataKeyPairWithoutPlaintext,
        GenerateRandom,
        GetPublicKey,
        Sign,
        Verify,
        GenerateMac,
        VerifyMac,
    )
}

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
    let json = match body(&request) {
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
