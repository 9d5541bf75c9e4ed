//! The audit log, request quotas and `/metrics` through the HTTP pipeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use kms_server::audit::{LOG_FILE, Verdict, verify};
use serde_json::{Value, json};

fn audit_events(s: &TestServer) -> Vec<Value> {
    s.state.audit.as_ref().unwrap().close();
    let text = std::fs::read_to_string(s.path().join(LOG_FILE)).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].clone())
        .collect()
}

async fn metrics_text(s: &TestServer) -> String {
    let response = s
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The value of one sample line, or 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn every_request_allowed_or_denied_is_audited_without_secrets() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}");
    let v = s
        .ok(
            "GenerateDataKey",
            json!({"KeyId": key, "KeySpec": "AES_256", "EncryptionContext": {"Tenant": "blue"}}),
        )
        .await;
    let plaintext = v["Plaintext"].as_str().unwrap().to_owned();
    let blob = v["CiphertextBlob"].as_str().unwrap().to_owned();
    let (_, denied) = s
        .call_as(
            &TestServer::app(),
            "Decrypt",
            json!({"KeyId": key, "CiphertextBlob": blob}),
        )
        .await;
    assert_eq!(denied["__type"], "AccessDeniedException");
    let (_, bad_sig) = s
        .call_raw(
            &kms_protocol::sigv4::Credentials::new("AKIANOBODY0000000000", "wrong", None),
            REGION,
            "ListKeys",
            b"{}",
        )
        .await;
    assert_eq!(bad_sig["__type"], "UnrecognizedClientException");

    let events = audit_events(&s);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["CreateKey", "GenerateDataKey", "Decrypt", "ListKeys"]
    );
    let gdk = &events[1];
    assert_eq!(gdk["eventSource"], "kms.amazonaws.com");
    assert_eq!(gdk["userIdentity"]["type"], "Root");
    assert_eq!(gdk["userIdentity"]["accountId"], ACCOUNT);
    assert_eq!(
        gdk["requestParameters"]["encryptionContext"]["Tenant"],
        "blue"
    );
    assert_eq!(gdk["requestParameters"]["keySpec"], "AES_256");
    assert_eq!(gdk["responseElements"], Value::Null);
    assert_eq!(gdk["resources"][0]["ARN"], arn.as_str());
    assert_eq!(gdk["readOnly"], true);
    assert!(gdk["eventTime"].as_str().unwrap().ends_with('Z'));
    assert!(gdk.get("errorCode").is_none());
    let decrypt = &events[2];
    assert_eq!(decrypt["errorCode"], "AccessDeniedException");
    assert_eq!(
        decrypt["userIdentity"]["arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/app")
    );
    assert_eq!(decrypt["resources"][0]["ARN"], arn.as_str());
    let unknown = &events[3];
    assert_eq!(unknown["errorCode"], "UnrecognizedClientException");
    assert_eq!(
        unknown["userIdentity"]["accessKeyId"],
        "AKIANOBODY0000000000"
    );
    let create = &events[0];
    assert_eq!(
        create["responseElements"]["keyMetadata"]["keyId"],
        key.as_str()
    );
    assert_eq!(create["readOnly"], false);

    let raw = std::fs::read_to_string(s.path().join(LOG_FILE)).unwrap();
    assert!(
        !raw.contains(&plaintext),
        "a data key reached the audit log"
    );
    assert!(!raw.contains(&blob), "a ciphertext reached the audit log");
    assert!(matches!(
        verify(s.path()).unwrap(),
        Verdict::Intact { records: 4, .. }
    ));
}

#[tokio::test]
async fn metrics_count_requests_outcomes_latency_and_denials() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    for _ in 0..3 {
        s.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")}))
            .await;
    }
    let (_, v) = s
        .call_as(
            &TestServer::app(),
            "Encrypt",
            json!({"KeyId": key, "Plaintext": b64(b"x")}),
        )
        .await;
    assert_eq!(v["__type"], "AccessDeniedException");
    let text = metrics_text(&s).await;
    assert_eq!(
        sample(
            &text,
            "kms_requests_total{operation=\"Encrypt\",outcome=\"success\"}"
        ),
        3.0
    );
    assert_eq!(
        sample(
            &text,
            "kms_requests_total{operation=\"Encrypt\",outcome=\"AccessDeniedException\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "kms_request_duration_seconds_count{operation=\"Encrypt\"}"
        ),
        4.0
    );
    assert_eq!(
        sample(
            &text,
            "kms_request_duration_seconds_bucket{operation=\"Encrypt\",le=\"+Inf\"}"
        ),
        4.0
    );
    assert_eq!(
        sample(&text, "kms_denied_total{operation=\"Encrypt\"}"),
        1.0
    );
    assert!(text.contains("# TYPE kms_request_duration_seconds histogram"));
}

#[tokio::test]
async fn a_burst_over_a_quota_is_throttled_and_other_quotas_still_answer() {
    let s = TestServer::with_quotas(&[("symmetric", 5.0), ("CreateKey", 100.0)]);
    let key = s.create_key(empty()).await;
    let mut codes = Vec::new();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        let (status, v) = s
            .call("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")}))
            .await;
        codes.push(if status == 200 {
            "ok".to_owned()
        } else {
            v["__type"].as_str().unwrap().to_owned()
        });
    }
    let ok = codes.iter().filter(|c| *c == "ok").count();
    let throttled = codes.iter().filter(|c| *c == "ThrottlingException").count();
    // Five at once, plus what refilled while the burst ran (however slow
    // this machine is right now).
    let refilled = (started.elapsed().as_secs_f64() * 5.0).ceil() as usize;
    assert!(ok >= 5 && ok <= 5 + refilled, "{codes:?}");
    assert!(throttled > 0, "{codes:?}");
    assert_eq!(ok + throttled, 20, "{codes:?}");
    // Another quota is untouched by the burst.
    s.ok("DescribeKey", json!({"KeyId": key})).await;
    // The bucket refills at the configured rate.
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    s.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")}))
        .await;
    let text = metrics_text(&s).await;
    assert_eq!(
        sample(&text, "kms_throttled_total{quota=\"symmetric\"}"),
        throttled as f64
    );
}

/// Eight DIGEST Sign calls in a row: (succeeded, throttled).
async fn sign_burst(s: &TestServer, key: &str, algorithm: &str) -> (usize, usize) {
    let body = json!({"KeyId": key, "Message": b64(&[7u8; 32]), "MessageType": "DIGEST",
                      "SigningAlgorithm": algorithm});
    burst(s, "Sign", body, 8).await
}

#[tokio::test]
async fn rsa_and_ecc_keys_draw_on_their_own_quotas() {
    let s = TestServer::with_quotas(&[
        ("rsa", 2.0),
        ("ecc", 3.0),
        ("symmetric", 1000.0),
        ("CreateKey", 100.0),
    ]);
    let rsa = s
        .create_key(json!({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}))
        .await;
    let ecc = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}))
        .await;
    let aes = s.create_key(empty()).await;
    let (rsa_ok, rsa_throttled) = sign_burst(&s, &rsa, "RSASSA_PSS_SHA_256").await;
    let (ecc_ok, ecc_throttled) = sign_burst(&s, &ecc, "ECDSA_SHA_256").await;
    assert!(rsa_ok >= 2 && rsa_throttled > 0, "{rsa_ok} {rsa_throttled}");
    assert!(ecc_ok >= 3 && ecc_throttled > 0, "{ecc_ok} {ecc_throttled}");
    // Symmetric calls are not held back by either.
    for _ in 0..20 {
        s.ok("Encrypt", json!({"KeyId": aes, "Plaintext": b64(b"x")}))
            .await;
    }
    let text = metrics_text(&s).await;
    assert_eq!(
        sample(&text, "kms_throttled_total{quota=\"rsa\"}"),
        rsa_throttled as f64
    );
    assert_eq!(
        sample(&text, "kms_throttled_total{quota=\"ecc\"}"),
        ecc_throttled as f64
    );
    assert_eq!(
        sample(&text, "kms_throttled_total{quota=\"symmetric\"}"),
        0.0
    );
}
