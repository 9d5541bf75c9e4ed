//! Speaking KMS: signed AWS JSON 1.1 requests, error bodies, and the few
//! calls that prepare a load (CreateKey, a ciphertext to decrypt, cleanup).

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_protocol::ops::{CONTENT_TYPE, TARGET_PREFIX};
use kms_protocol::sigv4::{self, Credentials, HttpRequest, Payload, SigningParams};
use serde_json::Value;

use crate::http::{Connection, Response};

/// Where requests go: `http://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The `Host` header value (`host` or `host:port`), as signed.
    pub host: String,
    /// The request path, `/` unless the endpoint has one.
    pub path: String,
    /// The address connected to.
    pub addr: SocketAddr,
}

impl Endpoint {
    /// Parses an endpoint URL and resolves its host (once, up front).
    pub fn parse(url: &str) -> Result<Endpoint> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            anyhow!("endpoint {url:?} must start with http:// (TLS is not supported)")
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            bail!("endpoint {url:?} has no host, or has user info");
        }
        let has_port = match authority.rfind(':') {
            Some(i) => !authority[i..].contains(']'),
            None => false,
        };
        let (connect_to, host) = if has_port {
            // Clients send (and sign) no port in Host when it is the default.
            let host = authority.strip_suffix(":80").unwrap_or(authority);
            (authority.to_owned(), host.to_owned())
        } else {
            (format!("{authority}:80"), authority.to_owned())
        };
        let addr = connect_to
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {connect_to}"))?
            .next()
            .ok_or_else(|| anyhow!("{connect_to} resolves to no address"))?;
        Ok(Endpoint {
            host,
            path: path.to_owned(),
            addr,
        })
    }
}

/// Builds complete, signed HTTP requests for one endpoint and identity.
#[derive(Debug)]
pub struct RequestBuilder {
    endpoint: Endpoint,
    credentials: Credentials,
    region: String,
}

/// The current time, unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl RequestBuilder {
    /// A builder for `endpoint`, signing as `credentials` in `region`.
    pub fn new(endpoint: Endpoint, credentials: Credentials, region: String) -> Self {
        RequestBuilder {
            endpoint,
            credentials,
            region,
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Appends to `out` the request for `operation` (e.g. `Decrypt`) with
    /// `body`, signed at `time` (unix seconds). Every call signs afresh, as
    /// a real client does.
    pub fn build(&self, target: &str, body: &[u8], time: u64, out: &mut Vec<u8>) -> Result<()> {
        use std::io::Write as _;
        let headers = [
            ("Host", self.endpoint.host.as_str()),
            ("Content-Type", CONTENT_TYPE),
            ("X-Amz-Target", target),
        ];
        let request = HttpRequest {
            method: "POST",
            path: &self.endpoint.path,
            query: "",
            headers: &headers,
            payload: Payload::Bytes(body),
        };
        let params = SigningParams::new(&self.credentials, &self.region, "kms", time);
        let signed = sigv4::sign(&request, &params).map_err(|e| anyhow!("cannot sign: {e}"))?;
        write!(out, "POST {} HTTP/1.1\r\n", self.endpoint.path)?;
        for (name, value) in headers {
            write!(out, "{name}: {value}\r\n")?;
        }
        for (name, value) in &signed.headers {
            write!(out, "{name}: {value}\r\n")?;
        }
        write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
        out.extend_from_slice(body);
        Ok(())
    }
}

/// The `X-Amz-Target` of an operation.
pub fn target(operation: &str) -> String {
    format!("{TARGET_PREFIX}{operation}")
}

/// The error code of a failed response: the body's `__type` (without a
/// `namespace#` prefix), else `HTTP <status>`.
pub fn error_type(status: u16, body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v.get("__type").or_else(|| v.get("code")))
        .and_then(Value::as_str)
        .map(|t| t.rsplit('#').next().unwrap_or(t))
        .map(|t| t.split(':').next().unwrap_or(t).trim())
        .filter(|t| !t.is_empty());
    match code {
        Some(code) => code.to_owned(),
        None => format!("HTTP {status}"),
    }
}

/// Whether an error means "slow down" rather than "wrong".
pub fn is_throttling(status: u16, error_type: &str) -> bool {
    status == 429
        || matches!(
            error_type,
            "ThrottlingException" | "ThrottledException" | "TooManyRequestsException"
        )
}

/// A slow, simple client for the calls around a load (not on the hot path).
#[derive(Debug)]
pub struct Client<'a> {
    builder: &'a RequestBuilder,
    conn: Connection,
    buf: Vec<u8>,
    response: Response,
}

impl<'a> Client<'a> {
    /// A client with its own connection.
    pub fn new(builder: &'a RequestBuilder) -> Self {
        Client {
            builder,
            conn: Connection::new(builder.endpoint.addr),
            buf: Vec::new(),
            response: Response::default(),
        }
    }

    /// Calls `operation` with a JSON body; the response body as JSON, or an
    /// error naming the error code and message.
    pub async fn call(&mut self, operation: &str, body: &impl serde::Serialize) -> Result<Value> {
        let body = serde_json::to_vec(body)?;
        self.buf.clear();
        self.builder
            .build(&target(operation), &body, unix_now(), &mut self.buf)?;
        self.conn
            .round_trip(&self.buf, &mut self.response)
            .await
            .map_err(|e| {
                anyhow!(
                    "{operation}: no response from {} ({})",
                    self.builder.endpoint.addr,
                    e.as_str()
                )
            })?;
        let status = self.response.status;
        if status != 200 {
            let code = error_type(status, &self.response.body);
            let message = serde_json::from_slice::<Value>(&self.response.body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .or_else(|| v.get("Message"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            bail!("{operation} failed: {code} (HTTP {status}): {message}");
        }
        serde_json::from_slice(&self.response.body)
            .with_context(|| format!("{operation}: the response is not JSON"))
    }
}

/// A string member of a JSON response, by path.
pub fn string_at<'v>(value: &'v Value, path: &[&str]) -> Result<&'v str> {
    let mut v = value;
    for key in path {
        v = v
            .get(key)
            .ok_or_else(|| anyhow!("response lacks {}", path.join(".")))?;
    }
    v.as_str()
        .ok_or_else(|| anyhow!("response member {} is not a string", path.join(".")))
}

/// A base64 blob member of a JSON response.
pub fn blob_at(value: &Value, member: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(string_at(value, &[member])?)
        .with_context(|| format!("response member {member} is not base64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints() {
        let e = Endpoint::parse("http://127.0.0.1:4599").unwrap();
        assert_eq!(e.host, "127.0.0.1:4599");
        assert_eq!(e.path, "/");
        assert_eq!(e.addr, "127.0.0.1:4599".parse().unwrap());
        let e = Endpoint::parse("http://127.0.0.1:8000/kms/").unwrap();
        assert_eq!(e.path, "/kms/");
        let e = Endpoint::parse("http://[::1]:9").unwrap();
        assert_eq!(e.host, "[::1]:9");
        let e = Endpoint::parse("http://127.0.0.1").unwrap();
        assert_eq!((e.host.as_str(), e.addr.port()), ("127.0.0.1", 80));
        let e = Endpoint::parse("http://127.0.0.1:80/").unwrap();
        assert_eq!((e.host.as_str(), e.addr.port()), ("127.0.0.1", 80));
        for bad in [
            "https://kms.us-east-1.amazonaws.com",
            "127.0.0.1:4599",
            "http://",
            "http://user@127.0.0.1:1",
            "http://127.0.0.1:notaport",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn classifies_error_bodies() {
        assert_eq!(
            error_type(400, br#"{"__type":"NotFoundException","message":"x"}"#),
            "NotFoundException"
        );
        assert_eq!(
            error_type(
                400,
                br#"{"__type":"com.amazonaws.kms#ThrottlingException","message":"x"}"#
            ),
            "ThrottlingException"
        );
        assert_eq!(
            error_type(400, br#"{"__type":"KMSInvalidStateException:http://x"}"#),
            "KMSInvalidStateException"
        );
        assert_eq!(error_type(500, b"<html>"), "HTTP 500");
        assert_eq!(error_type(503, br#"{"__type":""}"#), "HTTP 503");
        assert!(is_throttling(400, "ThrottlingException"));
        assert!(is_throttling(429, "HTTP 429"));
        assert!(!is_throttling(400, "ValidationException"));
    }

    #[test]
    fn builds_a_request_the_server_side_verifies() {
        let endpoint = Endpoint::parse("http://127.0.0.1:4599").unwrap();
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None);
        let builder = RequestBuilder::new(endpoint, creds.clone(), "us-east-1".into());
        let body = br#"{"KeyId":"alias/x","KeySpec":"AES_256"}"#;
        let mut out = Vec::new();
        builder
            .build(&target("GenerateDataKey"), body, 1_700_000_000, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let (head, sent_body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(sent_body.as_bytes(), body);
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("POST / HTTP/1.1"));
        let headers: Vec<(&str, &str)> = lines
            .map(|l| {
                let (n, v) = l.split_once(": ").unwrap();
                (n, v)
            })
            .collect();
        assert!(headers.contains(&("X-Amz-Target", "TrentService.GenerateDataKey")));
        assert!(headers.contains(&("Content-Length", "39")));
        let request = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            payload: Payload::Bytes(body),
        };
        let auth = sigv4::Authorization::from_headers(&headers).unwrap();
        assert_eq!(auth.credential.region, "us-east-1");
        sigv4::verify(
            &request,
            &auth,
            creds.secret_access_key(),
            1_700_000_010,
            &sigv4::VerifyOptions::for_service("kms"),
        )
        .unwrap();
    }

    #[test]
    fn reads_response_members() {
        let v: Value =
            serde_json::from_str(r#"{"KeyMetadata":{"KeyId":"k1"},"CiphertextBlob":"aGk=","N":1}"#)
                .unwrap();
        assert_eq!(string_at(&v, &["KeyMetadata", "KeyId"]).unwrap(), "k1");
        assert_eq!(blob_at(&v, "CiphertextBlob").unwrap(), b"hi");
        assert!(string_at(&v, &["KeyMetadata", "Arn"]).is_err());
        assert!(string_at(&v, &["N"]).is_err());
    }
}
