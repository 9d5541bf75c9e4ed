//! Property tests: sign-then-verify round-trips for arbitrary requests, and
//! verification never panics on arbitrary `Authorization` headers.

// Test helpers outside #[test] functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kms_protocol::sigv4::{
    self, Authorization, Credentials, HttpRequest, Payload, SigningParams, SigningSettings,
    VerifyError, VerifyOptions,
};
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    query: String,
    body: Vec<u8>,
    extra: Vec<(String, String)>,
    region: String,
    service: String,
    time: u64,
    token: Option<String>,
    settings: SigningSettings,
}

fn request_strategy() -> impl Strategy<Value = Req> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")],
        "/\\PC{0,40}",
        "\\PC{0,40}",
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec(("x-[a-z0-9]{1,10}", "[ -~\t]{0,30}"), 0..4),
        "[a-z]{2}-[a-z]{4,9}-[0-9]",
        "[a-z0-9]{2,10}",
        0u64..=253_402_300_799,
        proptest::option::of("[A-Za-z0-9+/=]{1,60}"),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(method, path, query, body, extra, region, service, time, token, (n, e, c, t))| Req {
                method: method.to_owned(),
                path,
                query,
                body,
                extra,
                region,
                service,
                time,
                token,
                settings: SigningSettings {
                    normalize_path: n,
                    uri_encode_path: e,
                    content_sha256_header: c,
                    sign_session_token: t,
                },
            },
        )
}

/// Signs `req` and returns every header the server would see.
fn signed_headers(req: &Req) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = vec![("Host".into(), "kms.example.com".into())];
    headers.extend(req.extra.iter().cloned());
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let credentials = Credentials::new("AKIDEXAMPLE", SECRET, req.token.clone());
    let params = SigningParams {
        credentials: &credentials,
        region: &req.region,
        service: &req.service,
        time: req.time,
        settings: req.settings,
    };
    let request = HttpRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &refs,
        payload: Payload::Bytes(&req.body),
    };
    let out = sigv4::sign(&request, &params).unwrap();
    headers.extend(out.headers.into_iter().map(|(n, v)| (n.to_owned(), v)));
    headers
}

fn verify(req: &Req, headers: &[(String, String)], now: u64) -> Result<(), VerifyError> {
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = HttpRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &refs,
        payload: Payload::Bytes(&req.body),
    };
    let auth = Authorization::from_headers(&refs)?;
    let options = VerifyOptions {
        expected_service: Some(req.service.clone()),
        normalize_path: req.settings.normalize_path,
        uri_encode_path: req.settings.uri_encode_path,
        ..VerifyOptions::default()
    };
    let verified = sigv4::verify(&request, &auth, &SECRET.into(), now, &options)?;
    assert_eq!(verified.request_time, req.time);
    assert_eq!(verified.security_token, req.token);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sign_then_verify(req in request_strategy(), skew in 0u64..=300) {
        let headers = signed_headers(&req);
        prop_assert_eq!(verify(&req, &headers, req.time.saturating_add(skew)), Ok(()));
        prop_assert_eq!(verify(&req, &headers, req.time.saturating_sub(skew)), Ok(()));
        let late = verify(&req, &headers, req.time + 301);
        prop_assert!(matches!(late, Err(VerifyError::ClockSkew { .. })), "{:?}", late);

        let mut tampered = req.clone();
        tampered.body.push(0);
        let result = verify(&tampered, &headers, req.time);
        prop_assert!(
            matches!(result, Err(VerifyError::SignatureMismatch | VerifyError::PayloadHashMismatch)),
            "{:?}", result
        );
        let mut tampered = req.clone();
        tampered.query.push_str("&z=1");
        prop_assert_eq!(verify(&tampered, &headers, req.time), Err(VerifyError::SignatureMismatch));
        let mut tampered = req.clone();
        tampered.method = "PATCH".into();
        prop_assert_eq!(verify(&tampered, &headers, req.time), Err(VerifyError::SignatureMismatch));
    }

    #[test]
    fn authorization_parse_never_panics(value in "\\PC{0,300}") {
        if let Ok(auth) = Authorization::parse(&value) {
            // Whatever parses prints back to something that parses the same.
            prop_assert_eq!(Authorization::parse(&auth.to_string()), Ok(auth));
        }
    }

    #[test]
    fn verify_never_panics_on_arbitrary_authorization(
        value in prop_oneof![
            "\\PC{0,200}",
            "AWS4-HMAC-SHA256 Credential=[A-Z/0-9a-z_-]{0,60}, SignedHeaders=[a-z;-]{0,30}, Signature=[0-9a-f]{0,70}",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=[a-z;-]{0,30}, Signature=[0-9a-f]{64}",
        ],
        date in "[0-9TZ]{0,20}",
        now in any::<u64>(),
    ) {
        let headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", date.as_str()), ("Authorization", value.as_str())];
        let request = HttpRequest { method: "POST", path: "/", query: "", headers: &headers, payload: Payload::Bytes(b"{}") };
        if let Ok(auth) = Authorization::from_headers(&headers) {
            let result = sigv4::verify(&request, &auth, &SECRET.into(), now, &VerifyOptions::default());
            // An arbitrary signature never verifies.
            prop_assert!(result.is_err());
            let _ = result.map_err(|e| (e.error_code(), e.to_string()));
        }
    }

    #[test]
    fn mutated_authorization_never_verifies(req in request_strategy(), pos in any::<usize>(), byte in 0x20u8..0x7f) {
        let mut headers = signed_headers(&req);
        let auth = &mut headers.iter_mut().find(|(n, _)| n == "Authorization").unwrap().1;
        let original = Authorization::parse(auth).unwrap();
        let mut bytes = auth.clone().into_bytes();
        let i = pos % bytes.len();
        bytes[i] = byte;
        *auth = String::from_utf8(bytes).unwrap();
        let auth = auth.clone();
        if verify(&req, &headers, req.time).is_ok() {
            // Only what the signature does not cover may have changed: the
            // access key id (the server looks the secret up by it) and spacing.
            let mutated = Authorization::parse(&auth).unwrap();
            prop_assert_eq!(mutated.signature, original.signature);
            prop_assert_eq!(mutated.signed_headers, original.signed_headers);
            prop_assert_eq!(mutated.credential.scope(), original.credential.scope());
        }
    }
}
