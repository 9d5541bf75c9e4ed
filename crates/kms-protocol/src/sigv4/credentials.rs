//! AWS credentials; the secret parts zeroize on drop and never print.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// An AWS secret access key. Zeroized on drop; `Debug` shows no part of it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretAccessKey(String);

impl SecretAccessKey {
    /// Wraps a secret access key.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretAccessKey(secret.into())
    }

    /// The secret itself. Handle with care: do not log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretAccessKey {
    fn from(secret: String) -> Self {
        SecretAccessKey(secret)
    }
}

impl From<&str> for SecretAccessKey {
    fn from(secret: &str) -> Self {
        SecretAccessKey(secret.to_owned())
    }
}

impl fmt::Debug for SecretAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretAccessKey(<redacted>)")
    }
}

/// An access key id, its secret, and optionally a session token (temporary
/// credentials from STS).
///
/// `Debug` shows the access key id only; secret and token are redacted and
/// zeroized on drop.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: SecretAccessKey,
    session_token: Option<SessionToken>,
}

/// A session token, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct SessionToken(String);

impl Credentials {
    /// Credentials from their parts.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<SecretAccessKey>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.map(SessionToken),
        }
    }

    /// The access key id, e.g. `AKIDEXAMPLE`.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &SecretAccessKey {
        &self.secret_access_key
    }

    /// The session token, if these are temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|t| t.0.as_str())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::new("AKIDEXAMPLE", "topsecret", Some("tokentoken".to_owned()));
        let shown = format!("{c:?} {:?}", c.secret_access_key());
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("topsecret"));
        assert!(!shown.contains("tokentoken"));
        assert_eq!(c.session_token(), Some("tokentoken"));
        assert_eq!(c.secret_access_key().expose_secret(), "topsecret");
        let alt = format!("{c:#?}");
        assert!(!alt.contains("topsecret") && !alt.contains("tokentoken"));
    }
}
