//! Why a client could not be configured.

use std::fmt;

/// A configuration that cannot make a client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No region was given or found.
    NoRegion,
    /// A region that is not lowercase letters, digits and `-`.
    InvalidRegion(String),
    /// No credentials in the environment or the profile.
    NoCredentials {
        /// The profile looked in.
        profile: String,
    },
    /// The endpoint is not an `http://` or `https://` URL with a host.
    InvalidEndpoint(String),
    /// A shared file exists but could not be read.
    File {
        /// Its path.
        path: String,
        /// Why.
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoRegion => f.write_str(
                "no AWS region: set AWS_REGION or AWS_DEFAULT_REGION, a region in the profile, or pass one",
            ),
            ConfigError::InvalidRegion(r) => write!(f, "invalid AWS region {r:?}"),
            ConfigError::NoCredentials { profile } => write!(
                f,
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add them to profile {profile:?} of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE)"
            ),
            ConfigError::InvalidEndpoint(e) => {
                write!(f, "invalid KMS endpoint {e:?}: expected http(s)://host[:port]")
            }
            ConfigError::File { path, message } => write!(f, "cannot read {path}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}
