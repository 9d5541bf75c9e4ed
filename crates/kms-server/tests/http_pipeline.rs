//! The request pipeline: authentication, parsing, errors, CORS, health.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use kms_protocol::sigv4::Credentials;
use serde_json::json;

#[tokio::test]
async fn every_response_has_a_request_id_and_list_keys_works() {
    let s = TestServer::new();
    let resp = s
        .send(TestServer::signed(
            &s.admin,
            REGION,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            "ListKeys",
            b"{}",
        ))
        .await;
    assert_eq!(resp.status(), 200);
    let id = resp.headers()["x-amzn-requestid"].to_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(resp.headers()["content-type"], "application/x-amz-json-1.1");
    let (_, v) = read_json(resp).await;
    assert_eq!(v, json!({"Keys": [], "Truncated": false}));
}

#[tokio::test]
async fn healthz_answers_without_auth() {
    let s = TestServer::new();
    let resp = s
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-amzn-requestid"));
}

#[tokio::test]
async fn missing_authorization_is_missing_authentication_token() {
    let s = TestServer::new();
    let req = Request::post("/")
        .header("host", "localhost")
        .header("x-amz-target", "TrentService.ListKeys")
        .header("content-type", "application/x-amz-json-1.1")
        .body(Body::from("{}"))
        .unwrap();
    let (status, v) = read_json(s.send(req).await).await;
    assert_eq!(status, 400);
    assert_eq!(v["__type"], "MissingAuthenticationTokenException");
}

#[tokio::test]
async fn unknown_access_key_is_unrecognized_client() {
    let s = TestServer::new();
    let stranger = Credentials::new("AKIANOBODY0000000000", "x".repeat(40), None);
    let (status, v) = s.call_raw(&stranger, REGION, "ListKeys", b"{}").await;
    assert_eq!(status, 400);
    assert_eq!(v["__type"], "UnrecognizedClientException");
}

#[tokio::test]
async fn wrong_secret_is_invalid_signature() {
    let s = TestServer::new();
    let wrong = Credentials::new(s.admin.access_key_id().to_owned(), "y".repeat(40), None);
    let (_, v) = s.call_raw(&wrong, REGION, "ListKeys", b"{}").await;
    assert_eq!(v["__type"], "InvalidSignatureException");
}

#[tokio::test]
async fn tampered_body_is_invalid_signature() {
    let s = TestServer::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signed = TestServer::signed(&s.admin, REGION, now, "ListKeys", b"{}");
    let (parts, _) = signed.into_parts();
    let req = Request::from_parts(parts, Body::from(r#"{"Limit":1}"#));
    let (_, v) = read_json(s.send(req).await).await;
    assert_eq!(v["__type"], "InvalidSignatureException");
}

#[tokio::test]
async fn requests_older_than_five_minutes_are_rejected() {
    let s = TestServer::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for skew in [now - 301, now + 301] {
        let req = TestServer::signed(&s.admin, REGION, skew, "ListKeys", b"{}");
        let (_, v) = read_json(s.send(req).await).await;
        assert_eq!(v["__type"], "InvalidSignatureException");
    }
    let req = TestServer::signed(&s.admin, REGION, now - 200, "ListKeys", b"{}");
    assert_eq!(s.send(req).await.status(), 200);
}

#[tokio::test]
async fn unknown_and_unimplemented_operations() {
    let s = TestServer::new();
    let (_, v) = s.call("DoSomething", json!({})).await;
    assert_eq!(v["__type"], "UnknownOperationException");
    let (_, v) = s.call("CreateCustomKeyStore", json!({})).await;
    assert_eq!(v["__type"], "UnsupportedOperationException");
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_serialization_errors() {
    let s = TestServer::new();
    let (_, v) = s.call_raw(&s.admin, REGION, "ListKeys", b"{not json").await;
    assert_eq!(v["__type"], "SerializationException");
    assert_eq!(
        s.err("ListKeys", json!({"Limit": "ten"})).await,
        "SerializationException"
    );
    assert_eq!(
        s.err("Encrypt", json!({"KeyId": "k", "Plaintext": "!!notbase64"}))
            .await,
        "SerializationException"
    );
}

#[tokio::test]
async fn constraint_violations_are_validation_errors_with_aws_wording() {
    let s = TestServer::new();
    let (_, v) = s.call("ListKeys", json!({"Limit": 0})).await;
    assert_eq!(v["__type"], "ValidationException");
    assert_eq!(
        v["message"],
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        s.err("CreateKey", json!({"KeySpec": "RSA_1024"})).await,
        "ValidationException"
    );
    assert_eq!(s.err("DescribeKey", json!({})).await, "ValidationException");
}

#[tokio::test]
async fn unknown_members_are_ignored() {
    let s = TestServer::new();
    s.ok("ListKeys", json!({"Limit": 5, "SomethingNew": true}))
        .await;
}

#[tokio::test]
async fn oversized_bodies_are_rejected() {
    let s = TestServer::new();
    let big = format!(r#"{{"Description":"{}"}}"#, "a".repeat(70 * 1024));
    let (status, v) = s
        .call_raw(&s.admin, REGION, "CreateKey", big.as_bytes())
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["__type"], "ValidationException");
}

#[tokio::test]
async fn cors_preflight_for_allowed_origin() {
    let s = TestServer::new();
    let req = Request::options("/")
        .header("origin", ALLOWED_ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,x-amz-date,x-amz-target,content-type",
        )
        .body(Body::empty())
        .unwrap();
    let resp = s.send(req).await;
    assert!(resp.status().is_success());
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], ALLOWED_ORIGIN);
    let allowed = h["access-control-allow-headers"].to_str().unwrap();
    for needed in [
        "authorization",
        "x-amz-date",
        "x-amz-target",
        "content-type",
        "x-amz-security-token",
    ] {
        assert!(allowed.contains(needed), "{needed} not allowed: {allowed}");
    }
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(h.contains_key("x-amzn-requestid"));
}

#[tokio::test]
async fn cors_preflight_for_other_origin_is_refused() {
    let s = TestServer::new();
    let req = Request::options("/")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    let resp = s.send(req).await;
    assert_eq!(resp.status(), 403);
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn cors_headers_on_actual_requests_expose_the_request_id() {
    let s = TestServer::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut req = TestServer::signed(&s.admin, REGION, now, "ListKeys", b"{}");
    req.headers_mut()
        .insert("origin", ALLOWED_ORIGIN.parse().unwrap());
    let resp = s.send(req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
    assert!(
        resp.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .eq_ignore_ascii_case("x-amzn-RequestId")
    );
}

#[tokio::test]
async fn first_start_writes_owner_only_secrets_and_shared_credentials() {
    let s = TestServer::new();
    let creds = std::fs::read_to_string(s.path().join("credentials")).unwrap();
    assert!(creds.starts_with("[default]\naws_access_key_id = AKIA"));
    assert!(creds.contains("aws_secret_access_key = "));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for f in ["root.key", "credentials"] {
            let mode = std::fs::metadata(s.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
}
