//! The client's HTTP behaviour against a scripted server on 127.0.0.1:
//! request shape, retries with backoff, timeouts, response limits, error
//! parsing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use kms_client::{ClientConfig, KmsHttpClient};
use kms_envelope::EncryptionContext;
use kms_envelope::kms::{
    DecryptRequest, GenerateDataKeyRequest, KmsClient, KmsError, KmsErrorKind,
};
use kms_protocol::sigv4::Credentials;

/// What the scripted server answers with.
#[derive(Clone)]
enum Reply {
    Json(u16, String),
    Raw(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Accept, read the request, never answer.
    Hang,
}

/// A recorded request: head (request line and headers) and body.
#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: String,
}

struct Scripted {
    endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Serves `replies` in order (the last one repeated), one per connection.
fn scripted(replies: Vec<Reply>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    thread::spawn(move || {
        for (index, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push(Seen {
                head,
                body: String::from_utf8(body).unwrap(),
            });
            let reply = replies[index.min(replies.len() - 1)].clone();
            let (status, headers, body) = match reply {
                Reply::Json(status, body) => (
                    status,
                    vec![("content-type", "application/x-amz-json-1.1".to_owned())],
                    body.into_bytes(),
                ),
                Reply::Raw(status, headers, body) => (status, headers, body),
                Reply::Hang => {
                    // Hold the connection open elsewhere; serve the next.
                    thread::spawn(move || {
                        thread::sleep(Duration::from_secs(5));
                        drop(stream);
                    });
                    continue;
                }
            };
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (n, v) in headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    Scripted { endpoint, seen }
}

fn client(endpoint: &str, attempts: u32) -> KmsHttpClient {
    let mut config = ClientConfig::new(
        endpoint,
        "eu-west-1",
        Credentials::new("AKIDEXAMPLE", "secret", Some("session".into())),
    );
    config.retry.max_attempts = attempts;
    config.retry.base_delay = Duration::from_millis(5);
    config.timeout = Duration::from_millis(500);
    config.max_response_bytes = 4096;
    KmsHttpClient::new(config).unwrap()
}

const GOOD: &str = r#"{"KeyId":"arn:aws:kms:eu-west-1:111122223333:key/k","Plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","CiphertextBlob":"Y2lwaGVy"}"#;

fn generate(c: &KmsHttpClient, context: &EncryptionContext) -> Result<Vec<u8>, KmsError> {
    let request = GenerateDataKeyRequest {
        key_id: "alias/app",
        number_of_bytes: 32,
        encryption_context: context,
        grant_tokens: &[],
    };
    pollster::block_on(c.generate_data_key(request)).map(|k| k.plaintext.to_vec())
}

fn error(status: u16, code: &str) -> Reply {
    Reply::Json(
        status,
        format!(r#"{{"__type":"{code}","message":"scripted"}}"#),
    )
}

#[test]
fn requests_are_signed_aws_json_with_the_right_target_and_body() {
    let server = scripted(vec![Reply::Json(200, GOOD.into())]);
    let c = client(&server.endpoint, 1);
    let context = EncryptionContext::from_caller([("tenant", "42")]).unwrap();
    let key = generate(&c, &context).unwrap();
    assert_eq!(key, (0u8..32).collect::<Vec<_>>());
    let seen = server.seen.lock().unwrap()[0].clone();
    let head = seen.head.to_ascii_lowercase();
    assert!(head.starts_with("post / http/1.1"), "{head}");
    let host = server.endpoint.trim_start_matches("http://");
    assert!(head.contains(&format!("host: {host}")), "{head}");
    assert_eq!(
        head.matches("\r\nhost:").count(),
        1,
        "one Host header: {head}"
    );
    assert!(head.contains("x-amz-target: trentservice.generatedatakey"));
    assert!(head.contains("content-type: application/x-amz-json-1.1"));
    assert!(head.contains("x-amz-security-token: session"));
    assert!(head.contains("authorization: aws4-hmac-sha256 credential=akidexample/"));
    assert!(head.contains("/eu-west-1/kms/aws4_request"));
    let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(body["KeyId"], "alias/app");
    assert_eq!(body["NumberOfBytes"], 32);
    assert_eq!(body["EncryptionContext"]["tenant"], "42");
    assert!(body.get("GrantTokens").is_none());
}

#[test]
fn an_empty_context_and_an_rsa_algorithm_are_sent_as_kms_expects() {
    let server = scripted(vec![Reply::Json(
        200,
        r#"{"KeyId":"arn:aws:kms:eu-west-1:111122223333:key/k","Plaintext":"AA==","EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}"#.into(),
    )]);
    let c = client(&server.endpoint, 1);
    let tokens = vec!["g1".to_owned()];
    let request = DecryptRequest {
        key_id: "arn:aws:kms:eu-west-1:111122223333:key/k",
        ciphertext: b"blob",
        encryption_context: &EncryptionContext::new(),
        grant_tokens: &tokens,
        encryption_algorithm: Some("RSAES_OAEP_SHA_256"),
    };
    pollster::block_on(c.decrypt(request)).unwrap();
    let seen = server.seen.lock().unwrap()[0].clone();
    let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert!(body.get("EncryptionContext").is_none(), "{body}");
    assert_eq!(body["EncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
    assert_eq!(body["KeyId"], "arn:aws:kms:eu-west-1:111122223333:key/k");
    assert_eq!(body["CiphertextBlob"], "YmxvYg==");
    assert_eq!(body["GrantTokens"][0], "g1");
}

#[test]
fn throttling_and_server_errors_are_retried_then_succeed() {
    let server = scripted(vec![
        error(400, "ThrottlingException"),
        error(500, "KMSInternalException"),
        Reply::Raw(503, Vec::new(), b"unavailable".to_vec()),
        Reply::Json(200, GOOD.into()),
    ]);
    let c = client(&server.endpoint, 4);
    assert!(generate(&c, &EncryptionContext::new()).is_ok());
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    // Each attempt is signed afresh.
    assert!(
        seen.iter()
            .all(|s| s.head.to_ascii_lowercase().contains("authorization:"))
    );
}

#[test]
fn retries_are_bounded_and_the_last_error_keeps_its_kind() {
    let server = scripted(vec![error(400, "ThrottlingException")]);
    let c = client(&server.endpoint, 3);
    let e = generate(&c, &EncryptionContext::new()).unwrap_err();
    assert_eq!(e.kind, KmsErrorKind::Throttling);
    assert_eq!(e.code, "ThrottlingException");
    assert_eq!(server.seen.lock().unwrap().len(), 3);
}

#[test]
fn client_errors_are_not_retried() {
    for (code, kind) in [
        ("AccessDeniedException", KmsErrorKind::AccessDenied),
        (
            "com.amazonaws.kms#NotFoundException",
            KmsErrorKind::NotFound,
        ),
        ("DisabledException", KmsErrorKind::KeyUnavailable),
        (
            "InvalidCiphertextException",
            KmsErrorKind::InvalidCiphertext,
        ),
        ("ValidationException", KmsErrorKind::Service),
    ] {
        let server = scripted(vec![error(400, code)]);
        let c = client(&server.endpoint, 3);
        let e = generate(&c, &EncryptionContext::new()).unwrap_err();
        assert_eq!(e.kind, kind, "{code}");
        assert_eq!(e.message, "scripted");
        assert_eq!(server.seen.lock().unwrap().len(), 1, "{code}");
    }
}

#[test]
fn the_error_type_header_is_read_when_the_body_has_none() {
    let server = scripted(vec![Reply::Raw(
        400,
        vec![(
            "x-amzn-errortype",
            "NotFoundException:http://internal.amazon.com/coral/com.amazonaws.kms/".to_owned(),
        )],
        Vec::new(),
    )]);
    let e = generate(&client(&server.endpoint, 1), &EncryptionContext::new()).unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (KmsErrorKind::NotFound, "NotFoundException")
    );
    // No type at all: the HTTP status decides.
    let server = scripted(vec![Reply::Raw(
        403,
        Vec::new(),
        b"<html>forbidden</html>".to_vec(),
    )]);
    let e = generate(&client(&server.endpoint, 1), &EncryptionContext::new()).unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (KmsErrorKind::AccessDenied, "Http403")
    );
}

#[test]
fn oversized_and_malformed_responses_are_refused() {
    let big = format!(r#"{{"KeyId":"{}"}}"#, "k".repeat(10_000));
    let server = scripted(vec![Reply::Json(200, big)]);
    let e = generate(&client(&server.endpoint, 3), &EncryptionContext::new()).unwrap_err();
    assert_eq!(e.kind, KmsErrorKind::MalformedResponse, "{e}");
    assert_eq!(server.seen.lock().unwrap().len(), 1);
    for body in [
        "not json",
        r#"{"KeyId":"k"}"#,
        r#"{"KeyId":1,"Plaintext":"AA==","CiphertextBlob":"AA=="}"#,
    ] {
        let server = scripted(vec![Reply::Json(200, body.into())]);
        let e = generate(&client(&server.endpoint, 1), &EncryptionContext::new()).unwrap_err();
        assert_eq!(e.kind, KmsErrorKind::MalformedResponse, "{body}: {e}");
    }
}

#[test]
fn a_silent_server_times_out_each_attempt() {
    let server = scripted(vec![Reply::Hang]);
    let c = client(&server.endpoint, 2);
    let e = generate(&c, &EncryptionContext::new()).unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (KmsErrorKind::Transport, "Timeout"),
        "{e}"
    );
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[test]
fn endpoints_must_be_http_urls() {
    let creds = Credentials::new("a", "b", None);
    for bad in [
        "",
        "kms.example",
        "ftp://host",
        "http://",
        "http://user@host/",
        "http://h/?q=1",
    ] {
        let config = ClientConfig::new(bad, "us-east-1", creds.clone());
        assert!(KmsHttpClient::new(config).is_err(), "{bad}");
    }
    let config = ClientConfig::new("https://kms.us-east-1.amazonaws.com", "us-east-1", creds);
    assert!(KmsHttpClient::new(config).is_ok());
}
