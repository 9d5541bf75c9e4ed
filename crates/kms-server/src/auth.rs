//! SigV4 authentication of a request: from headers and body to a principal.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use kms_protocol::sigv4::{
    self, Authorization, HttpRequest, Payload, SecretAccessKey, VerifyOptions,
};

use crate::credentials::{AccessKeys, Principal};
use crate::error::KmsError;

/// Who signed a request and in which region.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The access key's principal.
    pub principal: Principal,
    /// The access key id.
    pub access_key_id: String,
    /// The region of the credential scope.
    pub region: String,
}

fn from_verify_error(e: &sigv4::VerifyError) -> KmsError {
    use kms_protocol::error::ErrorCode;
    let msg = e.to_string();
    match e.error_code() {
        ErrorCode::MissingAuthenticationTokenException => {
            KmsError::MissingAuthenticationToken("Missing Authentication Token".into())
        }
        ErrorCode::IncompleteSignatureException => KmsError::IncompleteSignature(msg),
        _ => KmsError::InvalidSignature(msg),
    }
}

/// Checks the SigV4 signature of a request to `POST path?query`.
pub fn authenticate(
    keys: &AccessKeys,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Authenticated, KmsError> {
    // Header values that are not visible ASCII cannot be part of a valid
    // signature computation by an AWS SDK; treat them as absent.
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let auth = Authorization::from_headers(&pairs).map_err(|e| from_verify_error(&e))?;
    let key = keys.get(&auth.credential.access_key_id).ok_or_else(|| {
        KmsError::UnrecognizedClient(
            "The security token included in the request is invalid.".into(),
        )
    })?;
    let request = HttpRequest {
        method,
        path,
        query,
        headers: &pairs,
        payload: Payload::Bytes(body),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let secret = SecretAccessKey::new(key.secret.expose());
    sigv4::verify(
        &request,
        &auth,
        &secret,
        now,
        &VerifyOptions::for_service("kms"),
    )
    .map_err(|e| from_verify_error(&e))?;
    Ok(Authenticated {
        principal: key.principal.clone(),
        access_key_id: key.access_key_id.clone(),
        region: auth.credential.region.clone(),
    })
}
