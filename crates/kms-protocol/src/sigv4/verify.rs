//! The server half: parsing `Authorization` and checking a signature.

use core::fmt;

use subtle::ConstantTimeEq;

use super::canonical::{
    canonical_query_string, canonical_request, canonical_uri_path, header_value, string_to_sign,
};
use super::date::parse_scope_date;
use super::sign::is_valid_scope_component;
use super::{
    ALGORITHM, DEFAULT_MAX_CLOCK_SKEW_SECS, HttpRequest, Payload, SCOPE_TERMINATOR,
    SecretAccessKey, VerifyError, derive_signing_key, format_amz_date, parse_amz_date,
    parse_http_date,
};

/// Longest `Authorization` header value accepted, in bytes. Real ones are
/// a few hundred bytes; this bounds the work spent on hostile input.
const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;

/// The `Credential=` part of an `Authorization` header:
/// `AKID/YYYYMMDD/REGION/SERVICE/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The access key id; the server looks the secret up by it.
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD` (a valid calendar date).
    pub date: String,
    /// The region the request is for (e.g. `us-east-1`).
    pub region: String,
    /// The signing name of the service (e.g. `kms`).
    pub service: String,
}

impl Credential {
    /// The credential scope, `YYYYMMDD/REGION/SERVICE/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{SCOPE_TERMINATOR}",
            self.date, self.region, self.service
        )
    }
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Who signed, and the scope.
    pub credential: Credential,
    /// The signed header names: lowercase, sorted, unique, never empty.
    pub signed_headers: Vec<String>,
    /// The signature.
    pub signature: [u8; 32],
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("credential", &self.credential)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &hex::encode(self.signature))
            .finish()
    }
}

impl fmt::Display for Authorization {
    /// The header value, in the form AWS SDKs send.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
            self.credential.access_key_id,
            self.credential.scope(),
            self.signed_headers.join(";"),
            hex::encode(self.signature)
        )
    }
}

fn malformed(what: &'static str) -> VerifyError {
    VerifyError::MalformedAuthorization(what)
}

fn parse_credential(value: &str) -> Result<Credential, VerifyError> {
    let mut parts = value.split('/');
    let mut next = |what: &'static str| {
        parts
            .next()
            .filter(|p| is_valid_scope_component(p))
            .ok_or(malformed(what))
    };
    let access_key_id = next("Credential has no access key id")?;
    let date = next("Credential has no date")?;
    let region = next("Credential has no region")?;
    let service = next("Credential has no service")?;
    let terminator = next("Credential does not end in aws4_request")?;
    if terminator != SCOPE_TERMINATOR {
        return Err(malformed("Credential does not end in aws4_request"));
    }
    if parts.next().is_some() {
        return Err(malformed("Credential has too many components"));
    }
    if parse_scope_date(date).is_err() {
        return Err(malformed("Credential date is not a valid YYYYMMDD date"));
    }
    Ok(Credential {
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

fn parse_signed_headers(value: &str) -> Result<Vec<String>, VerifyError> {
    let mut names: Vec<String> = Vec::new();
    for name in value.split(';') {
        let valid = super::canonical::is_valid_header_name(name)
            && !name.bytes().any(|b| b.is_ascii_uppercase());
        if !valid {
            return Err(malformed(
                "SignedHeaders has an invalid or non-lowercase name",
            ));
        }
        if names.last().is_some_and(|last| last.as_str() >= name) {
            return Err(malformed("SignedHeaders is not sorted and unique"));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

fn parse_signature(value: &str) -> Result<[u8; 32], VerifyError> {
    let is_lower_hex = value
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let mut out = [0u8; 32];
    if value.len() != 64 || !is_lower_hex || hex::decode_to_slice(value, &mut out).is_err() {
        return Err(malformed("Signature is not 64 lowercase hex digits"));
    }
    Ok(out)
}

impl Authorization {
    /// Parses the value of an `Authorization` header:
    /// `AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request,
    /// SignedHeaders=a;b, Signature=<64 lowercase hex>`.
    ///
    /// The three parts may come in any order, each exactly once, separated
    /// by commas and optional spaces. Never panics; bounded work.
    pub fn parse(value: &str) -> Result<Self, VerifyError> {
        if value.len() > MAX_AUTHORIZATION_LEN {
            return Err(malformed("header too long"));
        }
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        let (scheme, rest) = match value.split_once([' ', '\t']) {
            Some(split) => split,
            None => (value, ""),
        };
        if scheme != ALGORITHM {
            return Err(VerifyError::UnsupportedAlgorithm);
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let part = part.trim_matches(|c| c == ' ' || c == '\t');
            let (key, val) = part
                .split_once('=')
                .ok_or(malformed("a part is not of the form Key=Value"))?;
            let slot = match key {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => {
                    return Err(malformed(
                        "unknown part (expected Credential, SignedHeaders, Signature)",
                    ));
                }
            };
            if slot.replace(val).is_some() {
                return Err(malformed("a part appears twice"));
            }
        }
        let credential = credential.ok_or(malformed(
            "Authorization header requires 'Credential' parameter",
        ))?;
        let signed_headers = signed_headers.ok_or(malformed(
            "Authorization header requires 'SignedHeaders' parameter",
        ))?;
        let signature = signature.ok_or(malformed(
            "Authorization header requires 'Signature' parameter",
        ))?;
        Ok(Authorization {
            credential: parse_credential(credential)?,
            signed_headers: parse_signed_headers(signed_headers)?,
            signature: parse_signature(signature)?,
        })
    }

    /// Finds the `Authorization` header (name in any case) and parses it.
    /// [`VerifyError::MissingAuthorization`] if there is none,
    /// [`VerifyError::MultipleAuthorization`] if there are several.
    pub fn from_headers(headers: &[(&str, &str)]) -> Result<Self, VerifyError> {
        let mut found = headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"));
        let (_, value) = found.next().ok_or(VerifyError::MissingAuthorization)?;
        if found.next().is_some() {
            return Err(VerifyError::MultipleAuthorization);
        }
        Authorization::parse(value)
    }

    fn is_signed(&self, name: &str) -> bool {
        self.signed_headers.iter().any(|h| h == name)
    }
}

/// What [`verify`] checks besides the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The largest accepted difference between the request time and `now`,
    /// either way. Default [`DEFAULT_MAX_CLOCK_SKEW_SECS`] (5 minutes).
    pub max_clock_skew_secs: u64,
    /// The service the credential scope must name (e.g. `kms`); `None`
    /// accepts any.
    pub expected_service: Option<String>,
    /// Normalize the path as the signer did ([`SigningSettings`](super::SigningSettings)).
    pub normalize_path: bool,
    /// URI-encode the path as the signer did.
    pub uri_encode_path: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            max_clock_skew_secs: DEFAULT_MAX_CLOCK_SKEW_SECS,
            expected_service: None,
            normalize_path: true,
            uri_encode_path: true,
        }
    }
}

impl VerifyOptions {
    /// Options for a server that is `service`: the scope must name it, and
    /// the path is canonicalized as [`SigningSettings::for_service`](super::SigningSettings::for_service) does.
    pub fn for_service(service: &str) -> Self {
        let settings = super::SigningSettings::for_service(service);
        VerifyOptions {
            expected_service: Some(service.to_owned()),
            normalize_path: settings.normalize_path,
            uri_encode_path: settings.uri_encode_path,
            ..VerifyOptions::default()
        }
    }
}

/// What a successful [`verify`] learned about the request.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    /// The request's signing time, unix seconds.
    pub request_time: u64,
    /// The `X-Amz-Security-Token` header, if any (signed or not); a server
    /// that issues temporary credentials must check it belongs to the key.
    pub security_token: Option<String>,
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("request_time", &self.request_time)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Verifies `request` against its parsed `Authorization` header and the
/// secret of `auth.credential.access_key_id`, at server time `now` (unix
/// seconds).
///
/// Checks, in order: the scope's service (if [`VerifyOptions::expected_service`]);
/// that `host` is signed; the date (`X-Amz-Date`, else `Date`) is present,
/// signed and valid; the scope date is the request's date; the request
/// time is within [`VerifyOptions::max_clock_skew_secs`] of `now`; an
/// `x-amz-content-sha256` header matches the body; every signed header is
/// present; and finally the signature, compared in constant time.
pub fn verify(
    request: &HttpRequest<'_>,
    auth: &Authorization,
    secret: &SecretAccessKey,
    now: u64,
    options: &VerifyOptions,
) -> Result<Verified, VerifyError> {
    let credential = &auth.credential;
    if let Some(expected) = &options.expected_service
        && *expected != credential.service
    {
        return Err(VerifyError::WrongService {
            expected: expected.clone(),
            found: credential.service.clone(),
        });
    }
    if !auth.is_signed("host") {
        return Err(VerifyError::RequiredHeaderNotSigned("host"));
    }

    let request_time = if let Some(value) = header_value(request.headers, "x-amz-date") {
        if !auth.is_signed("x-amz-date") {
            return Err(VerifyError::RequiredHeaderNotSigned("x-amz-date"));
        }
        parse_amz_date(&value).map_err(|_| VerifyError::MalformedDate)?
    } else if let Some(value) = header_value(request.headers, "date") {
        if !auth.is_signed("date") {
            return Err(VerifyError::RequiredHeaderNotSigned("date"));
        }
        parse_http_date(&value).map_err(|_| VerifyError::MalformedDate)?
    } else {
        return Err(VerifyError::MissingDate);
    };
    let amz_date = format_amz_date(request_time).map_err(|_| VerifyError::MalformedDate)?;
    if amz_date.get(..8) != Some(credential.date.as_str()) {
        return Err(VerifyError::ScopeDateMismatch {
            scope_date: credential.date.clone(),
            request_time: amz_date,
        });
    }
    if now.abs_diff(request_time) > options.max_clock_skew_secs {
        return Err(VerifyError::ClockSkew {
            request_time,
            server_time: now,
        });
    }

    let payload_hash = request.payload.hash();
    if let (Payload::Bytes(_), Some(claimed)) = (
        request.payload,
        header_value(request.headers, "x-amz-content-sha256"),
    ) && claimed != payload_hash
    {
        return Err(VerifyError::PayloadHashMismatch);
    }

    let mut canonical_headers = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let value = header_value(request.headers, name)
            .ok_or_else(|| VerifyError::SignedHeaderAbsent(name.clone()))?;
        canonical_headers.push((name.clone(), value));
    }
    let canonical_request = canonical_request(
        request.method,
        &canonical_uri_path(
            request.path,
            options.normalize_path,
            options.uri_encode_path,
        ),
        &canonical_query_string(request.query),
        &canonical_headers,
        &auth.signed_headers.join(";"),
        &payload_hash,
    );
    let string_to_sign = string_to_sign(&amz_date, &credential.scope(), &canonical_request);
    let key = derive_signing_key(
        secret,
        &credential.date,
        &credential.region,
        &credential.service,
    );
    let expected = key.sign(string_to_sign.as_bytes());
    if !bool::from(expected.ct_eq(&auth.signature)) {
        return Err(VerifyError::SignatureMismatch);
    }
    Ok(Verified {
        request_time,
        security_token: header_value(request.headers, "x-amz-security-token"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn parses_and_displays() {
        let auth = Authorization::parse(GOOD).unwrap();
        assert_eq!(auth.credential.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.credential.date, "20150830");
        assert_eq!(auth.credential.region, "us-east-1");
        assert_eq!(auth.credential.service, "service");
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(auth.to_string(), GOOD);
        // Any order, any spacing.
        let reordered = "AWS4-HMAC-SHA256  Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31,SignedHeaders=host;x-amz-date ,  Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
        assert_eq!(Authorization::parse(reordered).unwrap(), auth);
    }

    #[test]
    fn rejects_malformed() {
        let sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        let cases = [
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, Signature={sig}"
            ),
            format!("AWS4-HMAC-SHA256 SignedHeaders=host, Signature={sig}"),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request/x, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150231/us-east-1/service/aws4_request, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830//service/aws4_request, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date;host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=Host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={}",
                sig.to_uppercase()
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={}",
                &sig[1..]
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={sig}, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={sig}, Extra=1"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={sig},"
            ),
            "AWS4-HMAC-SHA256".to_owned(),
            "AWS4-HMAC-SHA256 ".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential=A{}/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={sig}",
                "K".repeat(9000)
            ),
        ];
        for case in &cases {
            assert!(
                matches!(
                    Authorization::parse(case),
                    Err(VerifyError::MalformedAuthorization(_))
                ),
                "{case}: {:?}",
                Authorization::parse(case)
            );
        }
        for scheme in [
            "",
            "AWS AKID:sig",
            "AWS4-ECDSA-P256-SHA256 Credential=x",
            "aws4-hmac-sha256 Credential=x",
            "Bearer x",
        ] {
            assert_eq!(
                Authorization::parse(scheme),
                Err(VerifyError::UnsupportedAlgorithm)
            );
        }
    }

    #[test]
    fn from_headers_counts() {
        assert_eq!(
            Authorization::from_headers(&[("Host", "h")]),
            Err(VerifyError::MissingAuthorization)
        );
        assert_eq!(
            Authorization::from_headers(&[("authorization", GOOD), ("Authorization", GOOD)]),
            Err(VerifyError::MultipleAuthorization)
        );
        assert!(Authorization::from_headers(&[("AUTHORIZATION", GOOD)]).is_ok());
    }

    #[test]
    fn error_codes() {
        use crate::error::ErrorCode;
        assert_eq!(
            VerifyError::MissingAuthorization.error_code(),
            ErrorCode::MissingAuthenticationTokenException
        );
        assert_eq!(
            VerifyError::MalformedAuthorization("x").error_code(),
            ErrorCode::IncompleteSignatureException
        );
        assert_eq!(
            VerifyError::SignatureMismatch.error_code(),
            ErrorCode::InvalidSignatureException
        );
        assert_eq!(
            VerifyError::ClockSkew {
                request_time: 0,
                server_time: 301
            }
            .error_code(),
            ErrorCode::InvalidSignatureException
        );
        assert!(
            VerifyError::ClockSkew {
                request_time: 1_440_938_160,
                server_time: 1_440_938_461
            }
            .to_string()
            .contains("20150830T123600Z")
        );
    }
}
