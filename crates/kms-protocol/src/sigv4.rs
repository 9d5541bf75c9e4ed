//! AWS Signature Version 4, Authorization-header form.
//!
//! Both halves live here so that client and server canonicalize a request
//! with the same code:
//!
//! - [`sign`] computes the headers a client adds to a request
//!   (`X-Amz-Date`, `Authorization`, `X-Amz-Security-Token`, optionally
//!   `x-amz-content-sha256`), and exposes the canonical request and the
//!   string to sign.
//! - [`Authorization::from_headers`] parses a request's `Authorization`
//!   header, so a server can look up the secret by access key id and learn
//!   the region from the credential scope; [`verify`] then checks the
//!   request against that secret at a given time.
//!
//! Nothing here reads a clock or touches the OS: time is always passed in as
//! unix seconds, so the module works unchanged on `wasm32-unknown-unknown`.
//!
//! ```
//! use kms_protocol::sigv4::{self, Credentials, HttpRequest, Payload, SigningParams};
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None);
//! let body = br#"{"KeyId":"alias/demo"}"#;
//! let headers = [
//!     ("Host", "kms.us-east-1.amazonaws.com"),
//!     ("Content-Type", "application/x-amz-json-1.1"),
//!     ("X-Amz-Target", "TrentService.DescribeKey"),
//! ];
//! let request = HttpRequest {
//!     method: "POST",
//!     path: "/",
//!     query: "",
//!     headers: &headers,
//!     payload: Payload::Bytes(body),
//! };
//! let params = SigningParams::new(&credentials, "us-east-1", "kms", 1_440_938_160);
//! let signed = sigv4::sign(&request, &params)?;
//! assert_eq!(signed.headers[0], ("X-Amz-Date", "20150830T123600Z".to_owned()));
//! assert_eq!(signed.headers[1].0, "Authorization");
//!
//! // Server side: the same request with the added headers.
//! let mut all = headers.to_vec();
//! all.extend(signed.headers.iter().map(|(n, v)| (*n, v.as_str())));
//! let request = HttpRequest { headers: &all, ..request };
//! let auth = sigv4::Authorization::from_headers(request.headers)?;
//! assert_eq!(auth.credential.access_key_id, "AKIDEXAMPLE");
//! assert_eq!(auth.credential.region, "us-east-1");
//! let options = sigv4::VerifyOptions::for_service("kms");
//! sigv4::verify(&request, &auth, credentials.secret_access_key(), 1_440_938_200, &options)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod canonical;
mod credentials;
mod date;
mod error;
mod key;
mod sign;
mod verify;

pub use canonical::{canonical_query_string, canonical_uri_path, split_path_and_query};
pub use credentials::{Credentials, SecretAccessKey};
pub use date::{DateError, format_amz_date, format_scope_date, parse_amz_date, parse_http_date};
pub use error::{SignError, VerifyError};
pub use key::{SigningKey, derive_signing_key};
pub use sign::{SigningOutput, SigningParams, SigningSettings, sign};
pub use verify::{Authorization, Credential, Verified, VerifyOptions, verify};

/// The only algorithm this module speaks: `AWS4-HMAC-SHA256`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last component of every SigV4 credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";

/// Hex SHA-256 of the empty string, the payload hash of a request without body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload hash S3 accepts in place of a real one; never accepted by
/// [`verify`] unless given explicitly as [`Payload::Precomputed`].
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The largest clock difference [`VerifyOptions::default`] tolerates: 5 minutes.
pub const DEFAULT_MAX_CLOCK_SKEW_SECS: u64 = 300;

/// One HTTP request, as much of it as SigV4 covers.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, e.g. `POST`, used as given (no case change).
    pub method: &'a str,
    /// The path as it appears in the request line, without the query
    /// (e.g. `/`). It is URI-encoded (and normalized) for the canonical
    /// request according to [`SigningSettings`] / [`VerifyOptions`].
    pub path: &'a str,
    /// The query string without the leading `?`, possibly empty, as sent;
    /// it is decoded (`%XX`, `+` as space) and re-encoded canonically.
    pub query: &'a str,
    /// Every header, names in any case, a name possibly repeated.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, or its hash.
    pub payload: Payload<'a>,
}

/// The body of a request, or its precomputed SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The body bytes; hashed with SHA-256.
    Bytes(&'a [u8]),
    /// The lowercase hex SHA-256 of the body (64 characters), or
    /// [`UNSIGNED_PAYLOAD`]. Used verbatim in the canonical request.
    Precomputed(&'a str),
}

impl Payload<'_> {
    /// The value that goes into the last line of the canonical request.
    pub fn hash(&self) -> String {
        match self {
            Payload::Bytes(bytes) => sha256_hex(bytes),
            Payload::Precomputed(hash) => (*hash).to_owned(),
        }
    }
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}
