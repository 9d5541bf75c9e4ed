//! The client half: computing the headers that sign a request.

use super::canonical::{
    CanonicalHeaders, canonical_query_string, canonical_request, canonical_uri_path,
    is_valid_header_name, signed_headers_list, string_to_sign,
};
use super::{
    ALGORITHM, Credentials, DateError, HttpRequest, Payload, SCOPE_TERMINATOR, SignError,
    derive_signing_key, format_amz_date,
};

/// How a request is canonicalized; the defaults are right for every AWS
/// service but S3 (see [`SigningSettings::for_service`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningSettings {
    /// Normalize the path (drop empty and `.` segments, resolve `..`).
    /// Default `true`; `false` for S3.
    pub normalize_path: bool,
    /// URI-encode the path (again) for the canonical request. Default
    /// `true`; `false` for S3, whose canonical path is the wire path.
    pub uri_encode_path: bool,
    /// Add (and sign) an `x-amz-content-sha256` header with the payload
    /// hash. Default `false`; `true` for S3, which requires it.
    pub content_sha256_header: bool,
    /// Sign the `X-Amz-Security-Token` header when the credentials have a
    /// session token. Default `true`; some services (IoT) want it added
    /// after signing instead, i.e. sent but not signed.
    pub sign_session_token: bool,
}

impl Default for SigningSettings {
    fn default() -> Self {
        SigningSettings {
            normalize_path: true,
            uri_encode_path: true,
            content_sha256_header: false,
            sign_session_token: true,
        }
    }
}

impl SigningSettings {
    /// The settings a service expects: the defaults, except for `s3`
    /// (no path normalization, no double encoding, payload hash header).
    pub fn for_service(service: &str) -> Self {
        if service == "s3" {
            SigningSettings {
                normalize_path: false,
                uri_encode_path: false,
                content_sha256_header: true,
                sign_session_token: true,
            }
        } else {
            SigningSettings::default()
        }
    }
}

/// Who signs, for which region and service, and when.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The credentials to sign with.
    pub credentials: &'a Credentials,
    /// The region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The signing name of the service, e.g. `kms`.
    pub service: &'a str,
    /// The signing time, unix seconds (the caller's clock: this crate reads none).
    pub time: u64,
    /// Canonicalization settings.
    pub settings: SigningSettings,
}

impl<'a> SigningParams<'a> {
    /// Parameters with [`SigningSettings::for_service`]`(service)`.
    pub fn new(credentials: &'a Credentials, region: &'a str, service: &'a str, time: u64) -> Self {
        SigningParams {
            credentials,
            region,
            service,
            time,
            settings: SigningSettings::for_service(service),
        }
    }
}

/// The result of [`sign`]: headers to add, and the intermediate strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningOutput {
    /// The headers to add to the request, in this order:
    /// `X-Amz-Security-Token` (if the credentials have a session token),
    /// `X-Amz-Date`, `x-amz-content-sha256` (if
    /// [`SigningSettings::content_sha256_header`]), `Authorization`.
    pub headers: Vec<(&'static str, String)>,
    /// The canonical request (step 1 of SigV4).
    pub canonical_request: String,
    /// The string to sign (step 2).
    pub string_to_sign: String,
    /// The signature, lowercase hex (step 3).
    pub signature: String,
    /// The `SignedHeaders` list, `;`-separated.
    pub signed_headers: String,
}

impl SigningOutput {
    /// The value of the `Authorization` header.
    pub fn authorization(&self) -> &str {
        self.headers
            .iter()
            .find(|(name, _)| *name == "Authorization")
            .map_or("", |(_, value)| value.as_str())
    }
}

/// Headers a signer leaves out of the signature: they are added or changed
/// by proxies and user agents.
const UNSIGNED_HEADERS: &[&str] = &[
    "connection",
    "expect",
    "transfer-encoding",
    "user-agent",
    "x-amzn-trace-id",
];

/// Whether `value` can sit in a credential scope and an `Authorization` header.
pub(crate) fn is_valid_scope_component(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b',' | b'=' | b';'))
}

fn is_valid_payload_hash(hash: &str) -> bool {
    !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_graphic())
}

/// Signs `request`: returns the headers to add and the intermediate strings.
///
/// Every header given is signed except `User-Agent`, `Expect`,
/// `Connection`, `Transfer-Encoding` and `X-Amzn-Trace-Id`; pass only
/// headers that will reach the server unchanged. `Host` must be among them,
/// with the value the HTTP client will send: `host`, or `host:port` when
/// the port is not the scheme's default (a browser sends it itself and
/// forbids setting it, but it must still be signed).
pub fn sign(
    request: &HttpRequest<'_>,
    params: &SigningParams<'_>,
) -> Result<SigningOutput, SignError> {
    let credentials = params.credentials;
    let settings = params.settings;
    for (what, value) in [
        ("access key id", credentials.access_key_id()),
        ("region", params.region),
        ("service", params.service),
    ] {
        if !is_valid_scope_component(value) {
            return Err(SignError::InvalidScopeComponent { what });
        }
    }
    let amz_date = format_amz_date(params.time).map_err(|e| match e {
        DateError::OutOfRange(secs) => SignError::TimeOutOfRange(secs),
        DateError::Malformed => SignError::TimeOutOfRange(params.time),
    })?;
    let scope_date = amz_date.get(..8).unwrap_or_default();
    let scope = format!(
        "{scope_date}/{}/{}/{SCOPE_TERMINATOR}",
        params.region, params.service
    );

    let payload_hash = request.payload.hash();
    if let Payload::Precomputed(hash) = request.payload
        && !is_valid_payload_hash(hash)
    {
        return Err(SignError::InvalidPayloadHash);
    }

    let token = credentials.session_token();
    let mut added: Vec<&str> = vec!["authorization", "x-amz-date"];
    if token.is_some() {
        added.push("x-amz-security-token");
    }
    if settings.content_sha256_header {
        added.push("x-amz-content-sha256");
    }

    let mut canonical = CanonicalHeaders::default();
    let mut has_host = false;
    for (name, value) in request.headers {
        if !is_valid_header_name(name) {
            return Err(SignError::InvalidHeaderName((*name).to_owned()));
        }
        let lower = name.to_ascii_lowercase();
        if added.contains(&lower.as_str()) {
            return Err(SignError::ConflictingHeader((*name).to_owned()));
        }
        if UNSIGNED_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        has_host |= lower == "host";
        canonical.add(&lower, value);
    }
    if !has_host {
        return Err(SignError::MissingHost);
    }
    canonical.add("x-amz-date", &amz_date);
    if let Some(token) = token
        && settings.sign_session_token
    {
        canonical.add("x-amz-security-token", token);
    }
    if settings.content_sha256_header {
        canonical.add("x-amz-content-sha256", &payload_hash);
    }
    let canonical_headers = canonical.finish();
    let signed_headers = signed_headers_list(&canonical_headers);

    let canonical_request = canonical_request(
        request.method,
        &canonical_uri_path(
            request.path,
            settings.normalize_path,
            settings.uri_encode_path,
        ),
        &canonical_query_string(request.query),
        &canonical_headers,
        &signed_headers,
        &payload_hash,
    );
    let string_to_sign = string_to_sign(&amz_date, &scope, &canonical_request);
    let key = derive_signing_key(
        credentials.secret_access_key(),
        scope_date,
        params.region,
        params.service,
    );
    let signature = hex::encode(key.sign(string_to_sign.as_bytes()));

    let mut headers = Vec::with_capacity(4);
    if let Some(token) = token {
        headers.push(("X-Amz-Security-Token", token.to_owned()));
    }
    headers.push(("X-Amz-Date", amz_date.clone()));
    if settings.content_sha256_header {
        headers.push(("x-amz-content-sha256", payload_hash));
    }
    headers.push((
        "Authorization",
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            credentials.access_key_id()
        ),
    ));
    Ok(SigningOutput {
        headers,
        canonical_request,
        string_to_sign,
        signature,
        signed_headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
        )
    }

    fn request<'a>(headers: &'a [(&'a str, &'a str)]) -> HttpRequest<'a> {
        HttpRequest {
            method: "GET",
            path: "/",
            query: "",
            headers,
            payload: Payload::Bytes(b""),
        }
    }

    #[test]
    fn vanilla() {
        let c = creds(None);
        let out = sign(
            &request(&[("Host", "example.amazonaws.com")]),
            &SigningParams::new(&c, "us-east-1", "service", 1_440_938_160),
        )
        .unwrap();
        assert_eq!(
            out.signature,
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert_eq!(out.headers.len(), 2);
        assert_eq!(
            out.authorization(),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn rejects_bad_input() {
        let c = creds(None);
        let p = SigningParams::new(&c, "us-east-1", "service", 1_440_938_160);
        assert_eq!(sign(&request(&[]), &p), Err(SignError::MissingHost));
        assert_eq!(
            sign(&request(&[("Host", "h"), ("Bad Name", "v")]), &p),
            Err(SignError::InvalidHeaderName("Bad Name".into()))
        );
        assert_eq!(
            sign(&request(&[("Host", "h"), ("X-Amz-Date", "v")]), &p),
            Err(SignError::ConflictingHeader("X-Amz-Date".into()))
        );
        assert_eq!(
            sign(&request(&[("Host", "h"), ("authorization", "v")]), &p),
            Err(SignError::ConflictingHeader("authorization".into()))
        );
        // Without a token, a caller-supplied token header is just a header.
        assert!(
            sign(
                &request(&[("Host", "h"), ("X-Amz-Security-Token", "t")]),
                &p
            )
            .is_ok()
        );
        let with_token = creds(Some("t"));
        let p2 = SigningParams::new(&with_token, "us-east-1", "service", 1_440_938_160);
        assert_eq!(
            sign(
                &request(&[("Host", "h"), ("X-Amz-Security-Token", "t")]),
                &p2
            ),
            Err(SignError::ConflictingHeader("X-Amz-Security-Token".into()))
        );
        for (region, service) in [
            ("", "kms"),
            ("us/east", "kms"),
            ("us-east-1", "k ms"),
            ("us-east-1", "kms,"),
        ] {
            let p = SigningParams::new(&c, region, service, 0);
            assert!(matches!(
                sign(&request(&[("Host", "h")]), &p),
                Err(SignError::InvalidScopeComponent { .. })
            ));
        }
        let bad_akid = Credentials::new("AKID/X", "s", None);
        assert_eq!(
            sign(
                &request(&[("Host", "h")]),
                &SigningParams::new(&bad_akid, "r", "s", 0)
            ),
            Err(SignError::InvalidScopeComponent {
                what: "access key id"
            })
        );
        let late = SigningParams::new(&c, "us-east-1", "service", u64::MAX);
        assert_eq!(
            sign(&request(&[("Host", "h")]), &late),
            Err(SignError::TimeOutOfRange(u64::MAX))
        );
        let mut r = request(&[("Host", "h")]);
        r.payload = Payload::Precomputed("abc\n");
        assert_eq!(sign(&r, &p), Err(SignError::InvalidPayloadHash));
    }

    #[test]
    fn skips_volatile_headers_and_adds_content_hash() {
        let c = creds(Some("tok"));
        let mut p = SigningParams::new(&c, "us-east-1", "s3", 1_440_938_160);
        let out = sign(
            &request(&[("Host", "h"), ("User-Agent", "x"), ("X-Amzn-Trace-Id", "y")]),
            &p,
        )
        .unwrap();
        assert_eq!(
            out.signed_headers,
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
        );
        let names: Vec<_> = out.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "X-Amz-Security-Token",
                "X-Amz-Date",
                "x-amz-content-sha256",
                "Authorization"
            ]
        );
        p.settings.sign_session_token = false;
        let out = sign(&request(&[("Host", "h")]), &p).unwrap();
        assert_eq!(out.signed_headers, "host;x-amz-content-sha256;x-amz-date");
        assert_eq!(out.headers[0], ("X-Amz-Security-Token", "tok".to_owned()));
    }
}
