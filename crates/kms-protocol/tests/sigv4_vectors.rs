//! The AWS SigV4 test suite (`shared/sigv4-vectors`, from aws-c-auth):
//! the signer reproduces every `header-*` file, the verifier accepts every
//! `header-signed-request.txt` and rejects it after any change to a signed part.

// Test helpers outside #[test] functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use kms_protocol::sigv4::{
    self, Authorization, Credentials, HttpRequest, Payload, SecretAccessKey, SigningParams,
    SigningSettings, VerifyError, VerifyOptions,
};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/sigv4-vectors");

/// One case's `context.json`.
struct Context {
    access_key_id: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: String,
    time: u64,
    normalize: bool,
    sign_body: bool,
    omit_session_token: bool,
}

fn read_context(dir: &Path) -> Context {
    let text = fs::read_to_string(dir.join("context.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let creds = &v["credentials"];
    let timestamp = v["timestamp"].as_str().unwrap().replace(['-', ':'], "");
    Context {
        access_key_id: creds["access_key_id"].as_str().unwrap().to_owned(),
        secret: creds["secret_access_key"].as_str().unwrap().to_owned(),
        token: creds["token"].as_str().map(str::to_owned),
        region: v["region"].as_str().unwrap().to_owned(),
        service: v["service"].as_str().unwrap().to_owned(),
        time: sigv4::parse_amz_date(&timestamp).unwrap(),
        normalize: v["normalize"].as_bool().unwrap(),
        sign_body: v["sign_body"].as_bool().unwrap(),
        omit_session_token: v["omit_session_token"].as_bool().unwrap_or(false),
    }
}

/// A raw HTTP/1.1 request as the suite writes it.
#[derive(Clone, Debug)]
struct RawRequest {
    method: String,
    target: String,
    request_line: String,
    /// Header lines as written (continuation lines included).
    header_lines: Vec<String>,
    /// Headers with continuation lines folded in (joined by `\n`).
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    fn parse(text: &str) -> RawRequest {
        let (head, body) = match text.split_once("\n\n") {
            Some((head, body)) => (head, body),
            None => (text.strip_suffix('\n').unwrap_or(text), ""),
        };
        let mut lines = head.split('\n');
        let request_line = lines.next().unwrap().to_owned();
        let (method_target, version) = request_line.rsplit_once(' ').unwrap();
        assert_eq!(version, "HTTP/1.1");
        let (method, target) = method_target.split_once(' ').unwrap();
        let mut header_lines = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            header_lines.push(line.to_owned());
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push('\n');
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        RawRequest {
            method: method.to_owned(),
            target: target.to_owned(),
            request_line,
            header_lines,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(VECTORS)
        .unwrap_or_else(|e| panic!("cannot read the SigV4 vectors at {VECTORS}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("context.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 38,
        "expected the 38 cases of the v4 suite, found {}",
        dirs.len()
    );
    dirs
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

fn verify_options(ctx: &Context) -> VerifyOptions {
    VerifyOptions {
        expected_service: Some(ctx.service.clone()),
        normalize_path: ctx.normalize,
        uri_encode_path: true,
        ..VerifyOptions::default()
    }
}

#[test]
fn signer_reproduces_every_header_file() {
    for dir in case_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let ctx = read_context(&dir);
        let raw = RawRequest::parse(&read(&dir, "request.txt"));
        let (path, query) = sigv4::split_path_and_query(&raw.target);
        let headers = raw.header_refs();
        let request = HttpRequest {
            method: &raw.method,
            path,
            query,
            headers: &headers,
            payload: Payload::Bytes(&raw.body),
        };
        let credentials =
            Credentials::new(&ctx.access_key_id, ctx.secret.as_str(), ctx.token.clone());
        let params = SigningParams {
            credentials: &credentials,
            region: &ctx.region,
            service: &ctx.service,
            time: ctx.time,
            settings: SigningSettings {
                normalize_path: ctx.normalize,
                uri_encode_path: true,
                content_sha256_header: ctx.sign_body,
                sign_session_token: !ctx.omit_session_token,
            },
        };
        let out = sigv4::sign(&request, &params).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            out.canonical_request,
            read(&dir, "header-canonical-request.txt"),
            "{name}: canonical request"
        );
        assert_eq!(
            out.string_to_sign,
            read(&dir, "header-string-to-sign.txt"),
            "{name}: string to sign"
        );
        assert_eq!(
            out.signature,
            read(&dir, "header-signature.txt"),
            "{name}: signature"
        );

        let mut signed = format!("{}\n", raw.request_line);
        for line in &raw.header_lines {
            signed.push_str(line);
            signed.push('\n');
        }
        for (name, value) in &out.headers {
            signed.push_str(&format!("{name}:{value}\n"));
        }
        signed.push('\n');
        signed.push_str(std::str::from_utf8(&raw.body).unwrap());
        assert_eq!(
            signed,
            read(&dir, "header-signed-request.txt"),
            "{name}: signed request"
        );
    }
}

/// Verifies `raw` as a server would.
fn verify_raw(
    raw: &RawRequest,
    secret: &SecretAccessKey,
    now: u64,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    let (path, query) = sigv4::split_path_and_query(&raw.target);
    let headers = raw.header_refs();
    let request = HttpRequest {
        method: &raw.method,
        path,
        query,
        headers: &headers,
        payload: Payload::Bytes(&raw.body),
    };
    let auth = Authorization::from_headers(&headers)?;
    sigv4::verify(&request, &auth, secret, now, options).map(|_| ())
}

fn assert_rejected(result: Result<(), VerifyError>, what: &str) {
    assert!(result.is_err(), "{what}: accepted");
}

fn assert_mismatch(result: Result<(), VerifyError>, what: &str) {
    assert!(
        matches!(
            result,
            Err(VerifyError::SignatureMismatch | VerifyError::PayloadHashMismatch)
        ),
        "{what}: {result:?}"
    );
}

#[test]
fn verifier_accepts_every_signed_request_and_rejects_every_change() {
    let mut mutations = 0;
    for dir in case_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let ctx = read_context(&dir);
        let secret = SecretAccessKey::new(ctx.secret.as_str());
        let options = verify_options(&ctx);
        let raw = RawRequest::parse(&read(&dir, "header-signed-request.txt"));
        let now = ctx.time;

        // Accepted as is, anywhere within the allowed skew.
        for t in [now, now - 300, now + 300] {
            verify_raw(&raw, &secret, t, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let auth = Authorization::from_headers(&raw.header_refs()).unwrap();
        assert_eq!(auth.credential.access_key_id, ctx.access_key_id);
        assert_eq!(auth.credential.region, ctx.region);
        assert_eq!(
            auth.to_string(),
            raw.headers
                .iter()
                .find(|(n, _)| n == "Authorization")
                .unwrap()
                .1
        );

        // A header that is not signed may change.
        let mut extra = raw.clone();
        extra
            .headers
            .push(("X-Not-Signed".into(), "anything".into()));
        verify_raw(&extra, &secret, now, &options)
            .unwrap_or_else(|e| panic!("{name}: unsigned header: {e}"));

        // Clock skew beyond 5 minutes, either way.
        for t in [now + 301, now - 301] {
            let result = verify_raw(&raw, &secret, t, &options);
            assert!(
                matches!(result, Err(VerifyError::ClockSkew { .. })),
                "{name}: skew {result:?}"
            );
        }

        let mut changed = raw.clone();
        changed.method = if raw.method == "GET" {
            "POST".into()
        } else {
            "GET".into()
        };
        assert_mismatch(
            verify_raw(&changed, &secret, now, &options),
            &format!("{name}: method"),
        );

        let (path, query) = sigv4::split_path_and_query(&raw.target);
        let mut changed = raw.clone();
        changed.target = if query.is_empty() {
            format!("{path}x")
        } else {
            format!("{path}x?{query}")
        };
        assert_mismatch(
            verify_raw(&changed, &secret, now, &options),
            &format!("{name}: path"),
        );

        let mut changed = raw.clone();
        changed.target = if query.is_empty() {
            format!("{path}?tampered=1")
        } else {
            format!("{path}?{query}&tampered=1")
        };
        assert_mismatch(
            verify_raw(&changed, &secret, now, &options),
            &format!("{name}: query"),
        );
        if !query.is_empty() {
            let mut changed = raw.clone();
            changed.target = format!("{path}?{query}x");
            assert_mismatch(
                verify_raw(&changed, &secret, now, &options),
                &format!("{name}: query value"),
            );
        }

        let mut changed = raw.clone();
        changed.body.push(b'x');
        assert_mismatch(
            verify_raw(&changed, &secret, now, &options),
            &format!("{name}: body"),
        );

        let mut changed = raw.clone();
        let auth_value = &mut changed
            .headers
            .iter_mut()
            .find(|(n, _)| n == "Authorization")
            .unwrap()
            .1;
        let last = auth_value.pop().unwrap();
        auth_value.push(if last == '0' { '1' } else { '0' });
        assert_mismatch(
            verify_raw(&changed, &secret, now, &options),
            &format!("{name}: signature"),
        );

        assert_mismatch(
            verify_raw(&raw, &SecretAccessKey::new("wrong"), now, &options),
            &format!("{name}: secret"),
        );

        // Every occurrence of every signed header: changed value, and removed.
        for (i, (header, _)) in raw.headers.iter().enumerate() {
            let lower = header.to_ascii_lowercase();
            if !auth.signed_headers.contains(&lower) {
                continue;
            }
            let mut changed = raw.clone();
            changed.headers[i].1.push('x');
            let result = verify_raw(&changed, &secret, now, &options);
            if lower == "x-amz-date" {
                assert_rejected(result, &format!("{name}: {header} changed"));
            } else {
                assert_mismatch(result, &format!("{name}: {header} changed"));
            }
            let mut changed = raw.clone();
            changed.headers.remove(i);
            assert_rejected(
                verify_raw(&changed, &secret, now, &options),
                &format!("{name}: {header} removed"),
            );
            mutations += 2;
        }
        // A date a day later, re-signed scope unchanged: the scope date disagrees.
        let mut changed = raw.clone();
        let date = &mut changed
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-date"))
            .unwrap()
            .1;
        *date = "20150831T123600Z".into();
        let result = verify_raw(&changed, &secret, now + 86_400, &options);
        assert!(
            matches!(result, Err(VerifyError::ScopeDateMismatch { .. })),
            "{name}: {result:?}"
        );

        mutations += 9;
    }
    assert!(mutations > 38 * 9);
}

#[test]
fn verifier_checks_scope_and_required_headers() {
    let dir = Path::new(VECTORS).join("get-vanilla");
    let ctx = read_context(&dir);
    let secret = SecretAccessKey::new(ctx.secret.as_str());
    let raw = RawRequest::parse(&read(&dir, "header-signed-request.txt"));

    let kms = VerifyOptions::for_service("kms");
    assert_eq!(
        verify_raw(&raw, &secret, ctx.time, &kms),
        Err(VerifyError::WrongService {
            expected: "kms".into(),
            found: "service".into()
        })
    );

    let mut no_auth = raw.clone();
    no_auth.headers.retain(|(n, _)| n != "Authorization");
    let result = verify_raw(&no_auth, &secret, ctx.time, &verify_options(&ctx));
    assert_eq!(result, Err(VerifyError::MissingAuthorization));
    assert_eq!(
        result.unwrap_err().error_code(),
        kms_protocol::error::ErrorCode::MissingAuthenticationTokenException
    );

    // SignedHeaders without host / without the date header.
    let headers: Vec<(&str, &str)> = vec![
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
    ];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: Payload::Bytes(b""),
    };
    let sig = "0".repeat(64);
    let auth = Authorization::parse(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature={sig}"
    ))
    .unwrap();
    assert_eq!(
        sigv4::verify(
            &request,
            &auth,
            &secret,
            ctx.time,
            &VerifyOptions::default()
        ),
        Err(VerifyError::RequiredHeaderNotSigned("host"))
    );
    let auth = Authorization::parse(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={sig}"
    ))
    .unwrap();
    assert_eq!(
        sigv4::verify(
            &request,
            &auth,
            &secret,
            ctx.time,
            &VerifyOptions::default()
        ),
        Err(VerifyError::RequiredHeaderNotSigned("x-amz-date"))
    );
    let host_only: Vec<(&str, &str)> = vec![("Host", "example.amazonaws.com")];
    let request = HttpRequest {
        headers: &host_only,
        ..request
    };
    assert_eq!(
        sigv4::verify(
            &request,
            &auth,
            &secret,
            ctx.time,
            &VerifyOptions::default()
        ),
        Err(VerifyError::MissingDate)
    );
    let auth = Authorization::parse(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-absent, Signature={sig}"
    ))
    .unwrap();
    let dated: Vec<(&str, &str)> = vec![
        ("Host", "example.amazonaws.com"),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
    ];
    let request = HttpRequest {
        headers: &dated,
        ..request
    };
    assert_eq!(
        sigv4::verify(
            &request,
            &auth,
            &secret,
            ctx.time,
            &VerifyOptions::default()
        ),
        Err(VerifyError::RequiredHeaderNotSigned("date"))
    );
}

/// A request dated by `Date` instead of `X-Amz-Date` verifies, and its
/// string to sign carries the ISO form of that date.
#[test]
fn date_header_instead_of_x_amz_date() {
    let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let time = 1_440_938_160;
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
    ];
    let canonical = "GET\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:example.amazonaws.com\n\ndate;host\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
        sigv4::sha256_hex(canonical.as_bytes())
    );
    let key = sigv4::derive_signing_key(&secret, "20150830", "us-east-1", "service");
    let signature = hex::encode(key.sign(string_to_sign.as_bytes()));
    let auth = Authorization::parse(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=date;host, Signature={signature}"
    ))
    .unwrap();
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: Payload::Bytes(b""),
    };
    let verified =
        sigv4::verify(&request, &auth, &secret, time, &VerifyOptions::default()).unwrap();
    assert_eq!(verified.request_time, time);
    assert_eq!(verified.security_token, None);
}

/// The presigned (`query-*`) files exercise query canonicalization harder
/// (`%2F`, `%3B`, parameter order): our canonical path and query of each
/// presigned request, minus `X-Amz-Signature`, match theirs.
#[test]
fn query_canonicalization_matches_presigned_files() {
    for dir in case_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let ctx = read_context(&dir);
        let raw = RawRequest::parse(&read(&dir, "query-signed-request.txt"));
        let (path, query) = sigv4::split_path_and_query(&raw.target);
        let unsigned: Vec<&str> = query
            .split('&')
            .filter(|p| !p.starts_with("X-Amz-Signature="))
            // With omit_session_token the token is added after signing.
            .filter(|p| !(ctx.omit_session_token && p.starts_with("X-Amz-Security-Token=")))
            .collect();
        let expected = read(&dir, "query-canonical-request.txt");
        let mut lines = expected.split('\n');
        assert_eq!(lines.next(), Some(raw.method.as_str()), "{name}");
        assert_eq!(
            lines.next(),
            Some(sigv4::canonical_uri_path(path, ctx.normalize, true).as_str()),
            "{name}: path"
        );
        assert_eq!(
            lines.next(),
            Some(sigv4::canonical_query_string(&unsigned.join("&")).as_str()),
            "{name}: query"
        );
    }
}
