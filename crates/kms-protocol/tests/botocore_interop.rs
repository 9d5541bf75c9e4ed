//! SigV4 against botocore's own signer (the one boto3 and the AWS CLI use):
//! requests botocore signs must verify here, and signing the same request
//! here must give botocore's `Authorization` header, byte for byte.
//!
//! Runs when a Python with botocore is available: `$PYTHON` if set, else
//! `python3`. Otherwise the test prints a note and passes.

// Test helpers outside #[test] functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use base64::Engine as _;
use kms_protocol::sigv4::{
    self, Authorization, Credentials, HttpRequest, Payload, SecretAccessKey, SigningParams,
    SigningSettings, VerifyOptions,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Signs a few requests with botocore and prints one JSON object per line.
const SCRIPT: &str = r#"
import base64, json, sys
from botocore.auth import SigV4Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SECRET = sys.argv[1]
cases = [
    # (service, method, url, params, headers, body, token)
    ("kms", "POST", "https://kms.us-east-1.amazonaws.com/", None,
     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"},
     b'{"KeyId":"alias/demo","Plaintext":"aGVsbG8="}', None),
    ("kms", "POST", "http://127.0.0.1:4599/", None,
     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"},
     b"{}", "FQoGZXIvYXdzEJr//////////wEaDOk4x4HIZ8j4FZTwdQ=="),
    ("kms", "POST", "https://kms.eu-west-3.amazonaws.com:8443/", None,
     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Decrypt",
      "X-Custom": "  spaced    out  value ", "amz-sdk-invocation-id": "1234"},
     bytes(range(256)), None),
    ("service", "GET", "https://example.amazonaws.com/a%20b/%C3%BC/./c/../d", 
     {"b": "2", "a": "x y/z~", "\u00fc": "+&=", "empty": ""}, {}, b"", None),
    ("service", "PUT", "https://example.amazonaws.com/x/y/", {"k": "v1"}, {"X-A": " 1 ", "X-B": "a\t  b"}, b"body", None),
    ("s3", "PUT", "http://bucket.s3.us-east-1.amazonaws.com/key%20name/./a", {"partNumber": "1"}, {}, b"data", None),
]
for service, method, url, params, headers, body, token in cases:
    region = "us-east-1" if "eu-west-3" not in url else "eu-west-3"
    req = AWSRequest(method=method, url=url, params=params, headers=dict(headers), data=body)
    auth = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials("AKIDEXAMPLE", SECRET, token), service, region)
    auth.add_auth(req)
    p = req.prepare()
    print(json.dumps({
        "service": service, "region": region, "method": p.method, "url": p.url,
        "headers": [[k, v] for k, v in p.headers.items()],
        "body": base64.b64encode(p.body or b"").decode(), "token": token,
    }))
"#;

struct Signed {
    service: String,
    region: String,
    method: String,
    host: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    token: Option<String>,
}

fn parse_line(line: &str) -> Signed {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let url = v["url"].as_str().unwrap();
    let rest = url.split_once("://").unwrap().1;
    let (authority, target) = rest.split_at(rest.find('/').unwrap());
    // What the HTTP client sends as Host: the authority, minus a default port.
    let host = authority
        .strip_suffix(":443")
        .filter(|_| url.starts_with("https:"))
        .unwrap_or(authority)
        .to_owned();
    let headers = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_owned(),
                h[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    Signed {
        service: v["service"].as_str().unwrap().to_owned(),
        region: v["region"].as_str().unwrap().to_owned(),
        method: v["method"].as_str().unwrap().to_owned(),
        host,
        target: target.to_owned(),
        headers,
        body: base64::engine::general_purpose::STANDARD
            .decode(v["body"].as_str().unwrap())
            .unwrap(),
        token: v["token"].as_str().map(str::to_owned),
    }
}

#[test]
fn botocore_signed_requests_verify_and_match_our_signer() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let output = match Command::new(&python).args(["-c", SCRIPT, SECRET]).output() {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("No module named"),
                "the botocore script failed: {stderr}"
            );
            println!(
                "note: skipped: `{python}` cannot import botocore (set PYTHON to a Python with botocore installed)"
            );
            return;
        }
        Err(_) => {
            println!("note: skipped: no `{python}` to run botocore with");
            return;
        }
    };
    let text = String::from_utf8(output.stdout).unwrap();
    let mut count = 0;
    for line in text.lines() {
        let s = parse_line(line);
        let name = format!("{} {} {}", s.service, s.method, s.target);
        let mut headers: Vec<(&str, &str)> = vec![("Host", s.host.as_str())];
        headers.extend(s.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let (path, query) = sigv4::split_path_and_query(&s.target);
        let request = HttpRequest {
            method: &s.method,
            path,
            query,
            headers: &headers,
            payload: Payload::Bytes(&s.body),
        };

        // botocore's signature verifies.
        let auth = Authorization::from_headers(&headers).unwrap();
        let x_amz_date = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-date"))
            .unwrap()
            .1;
        let time = sigv4::parse_amz_date(x_amz_date).unwrap();
        let verified = sigv4::verify(
            &request,
            &auth,
            &SecretAccessKey::new(SECRET),
            time,
            &VerifyOptions::for_service(&s.service),
        )
        .unwrap_or_else(|e| panic!("{name}: botocore's request rejected: {e}"));
        assert_eq!(verified.security_token, s.token, "{name}");

        // Our signer, given the request botocore started from, agrees
        // (`prepare()` added Content-Length after signing).
        let settings = SigningSettings::for_service(&s.service);
        let added = [
            "authorization",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-content-sha256",
            "content-length",
        ];
        let unsigned: Vec<(&str, &str)> = headers
            .iter()
            .copied()
            .filter(|(n, _)| !added.contains(&n.to_ascii_lowercase().as_str()))
            .collect();
        let credentials = Credentials::new("AKIDEXAMPLE", SECRET, s.token.clone());
        let ours = sigv4::sign(
            &HttpRequest {
                headers: &unsigned,
                ..request
            },
            &SigningParams {
                credentials: &credentials,
                region: &s.region,
                service: &s.service,
                time,
                settings,
            },
        )
        .unwrap();
        let theirs = headers
            .iter()
            .find(|(n, _)| *n == "Authorization")
            .unwrap()
            .1;
        assert_eq!(
            ours.authorization(),
            theirs,
            "{name}\n{}",
            ours.canonical_request
        );
        count += 1;
    }
    assert_eq!(count, 6, "botocore printed {count} requests");
    println!("{count} botocore-signed requests verified and reproduced");
}
