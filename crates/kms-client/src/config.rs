//! Where a client's endpoint, region and credentials come from: explicit
//! settings first, then AWS's standard environment variables and shared
//! files, in the order the AWS SDKs and CLI use.

use std::path::PathBuf;
use std::time::Duration;

use kms_protocol::sigv4::Credentials;

use crate::error::ConfigError;
use crate::profile::Profiles;

/// How failed requests are retried: throttling, HTTP 5xx and transport
/// failures, with exponential backoff and full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    pub max_attempts: u32,
    /// The backoff before the first retry, doubled before each further one.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// AWS's "standard" retry mode: 3 attempts, backoff from 100 ms, at most
    /// 20 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (0 for the first retry): a
    /// uniformly random fraction of `min(base * 2^retry, max)`.
    pub fn delay(&self, retry: u32, random: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        ceiling.mul_f64(f64::from(random) / f64::from(u32::MAX))
    }
}

impl RetryPolicy {
    /// [`delay`](Self::delay) with a fresh random draw: the backoff both
    /// transports (ureq natively, fetch in wasm) sleep before a retry.
    /// Without randomness the backoff is its ceiling.
    pub fn jittered_delay(&self, retry: u32) -> Duration {
        let mut bytes = [0u8; 4];
        let random = if getrandom::fill(&mut bytes).is_ok() {
            u32::from_ne_bytes(bytes)
        } else {
            u32::MAX
        };
        self.delay(retry, random)
    }
}

/// Everything a [`KmsHttpClient`](crate::KmsHttpClient) needs.
#[derive(Clone)]
pub struct ClientConfig {
    /// The endpoint URL, e.g. `https://kms.us-east-1.amazonaws.com` or
    /// `http://127.0.0.1:4599`.
    pub endpoint: String,
    /// Whether `endpoint` was chosen by the caller or the environment (kept
    /// for every region) rather than derived from the region.
    pub endpoint_is_custom: bool,
    /// The region requests are signed for.
    pub region: String,
    /// The signing credentials.
    pub credentials: Credentials,
    /// The limit on one attempt, connection to last response byte.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// The largest response body accepted, in bytes.
    pub max_response_bytes: u64,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.credentials.access_key_id())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// The default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default response size limit: KMS answers are a few kilobytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// Settings that override the environment (as command-line flags do).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The region, instead of `AWS_REGION` / `AWS_DEFAULT_REGION` / the
    /// profile's.
    pub region: Option<String>,
    /// The endpoint URL, instead of `AWS_ENDPOINT_URL_KMS` /
    /// `AWS_ENDPOINT_URL` / the region's AWS endpoint.
    pub endpoint: Option<String>,
    /// The profile, instead of `AWS_PROFILE` / `default`.
    pub profile: Option<String>,
}

impl ClientConfig {
    /// A configuration from explicit values, with default timeout, retries
    /// and response limit.
    pub fn new(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        credentials: Credentials,
    ) -> Self {
        ClientConfig {
            endpoint: endpoint.into(),
            endpoint_is_custom: true,
            region: region.into(),
            credentials,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// A configuration from the process environment and the shared AWS
    /// files, with `overrides` first.
    ///
    /// - region: `overrides.region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the
    ///   profile's `region` in the config file (`AWS_CONFIG_FILE`, default
    ///   `~/.aws/config`) or credentials file;
    /// - endpoint: `overrides.endpoint`, `AWS_ENDPOINT_URL_KMS`,
    ///   `AWS_ENDPOINT_URL`, else the region's AWS KMS endpoint;
    /// - credentials: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+
    ///   `AWS_SESSION_TOKEN`), else the profile (`overrides.profile`,
    ///   `AWS_PROFILE`, `default`) in the shared credentials file
    ///   (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), else
    ///   in the config file.
    pub fn from_env(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::from_lookup(overrides, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with variables read through `lookup`
    /// (for tests and embedders with their own environment).
    pub fn from_lookup(
        overrides: &Overrides,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from);
        let file = |env: &str, default: &str| {
            var(env)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
        };
        let profile_name = overrides
            .profile
            .clone()
            .or_else(|| var("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_owned());
        let credentials_file =
            Profiles::load_credentials(file("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
        let config_file = Profiles::load_config(file("AWS_CONFIG_FILE", "config"))?;
        let profile_value = |key: &str| {
            credentials_file
                .get(&profile_name, key)
                .or_else(|| config_file.get(&profile_name, key))
                .map(str::to_owned)
        };

        let region = overrides
            .region
            .clone()
            .or_else(|| var("AWS_REGION"))
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .or_else(|| profile_value("region"))
            .ok_or(ConfigError::NoRegion)?;
        check_region(&region)?;

        let custom_endpoint = overrides
            .endpoint
            .clone()
            .or_else(|| var("AWS_ENDPOINT_URL_KMS"))
            .or_else(|| var("AWS_ENDPOINT_URL"));
        let endpoint_is_custom = custom_endpoint.is_some();
        let endpoint = custom_endpoint.unwrap_or_else(|| aws_endpoint(&region));

        let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => Credentials::new(id, secret, var("AWS_SESSION_TOKEN")),
            _ => match (
                profile_value("aws_access_key_id"),
                profile_value("aws_secret_access_key"),
            ) {
                (Some(id), Some(secret)) => {
                    Credentials::new(id, secret, profile_value("aws_session_token"))
                }
                _ => {
                    return Err(ConfigError::NoCredentials {
                        profile: profile_name,
                    });
                }
            },
        };
        let mut config = ClientConfig::new(endpoint, region, credentials);
        config.endpoint_is_custom = endpoint_is_custom;
        Ok(config)
    }

    /// The same configuration for another region: the endpoint follows the
    /// region unless it was set explicitly (a custom endpoint such as
    /// kms-server serves every region, told apart by the signature).
    pub fn for_region(&self, region: &str) -> Result<Self, ConfigError> {
        check_region(region)?;
        let mut config = self.clone();
        config.region = region.to_owned();
        if !self.endpoint_is_custom {
            config.endpoint = aws_endpoint(region);
        }
        Ok(config)
    }
}

fn check_region(region: &str) -> Result<(), ConfigError> {
    let valid = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(ConfigError::InvalidRegion(region.to_owned()))
    }
}

/// AWS KMS's public endpoint for `region`.
pub fn aws_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://kms.{region}.{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn env_only() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "secretenv"),
            ("AWS_REGION", "eu-west-1"),
            ("HOME", "/nonexistent-home"),
        ]
    }

    #[test]
    fn environment_variables_configure_everything() {
        let mut vars = env_only();
        vars.push(("AWS_SESSION_TOKEN", "tok"));
        let c = ClientConfig::from_lookup(&Overrides::default(), lookup(&vars)).unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.endpoint, "https://kms.eu-west-1.amazonaws.com");
        assert!(!c.endpoint_is_custom);
        assert_eq!(c.credentials.access_key_id(), "AKIDENV");
        assert_eq!(c.credentials.session_token(), Some("tok"));
        // The secret never prints.
        assert!(!format!("{c:?}").contains("secretenv"));
    }

    #[test]
    fn precedence_of_region_and_endpoint_sources() {
        let mut vars = env_only();
        vars.retain(|(k, _)| *k != "AWS_REGION");
        vars.push(("AWS_DEFAULT_REGION", "us-west-2"));
        let c = ClientConfig::from_lookup(&Overrides::default(), lookup(&vars)).unwrap();
        assert_eq!(c.region, "us-west-2");
        vars.push(("AWS_REGION", "eu-central-1"));
        vars.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:1"));
        let c = ClientConfig::from_lookup(&Overrides::default(), lookup(&vars)).unwrap();
        assert_eq!(
            (c.region.as_str(), c.endpoint.as_str()),
            ("eu-central-1", "http://127.0.0.1:1")
        );
        vars.push(("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:2"));
        let c = ClientConfig::from_lookup(&Overrides::default(), lookup(&vars)).unwrap();
        assert_eq!(c.endpoint, "http://127.0.0.1:2");
        assert!(c.endpoint_is_custom);
        let overrides = Overrides {
            region: Some("ap-south-1".into()),
            endpoint: Some("http://127.0.0.1:3".into()),
            profile: None,
        };
        let c = ClientConfig::from_lookup(&overrides, lookup(&vars)).unwrap();
        assert_eq!(
            (c.region.as_str(), c.endpoint.as_str()),
            ("ap-south-1", "http://127.0.0.1:3")
        );
        // A custom endpoint stays for other regions; AWS's follows them.
        assert_eq!(
            c.for_region("us-east-1").unwrap().endpoint,
            "http://127.0.0.1:3"
        );
        let mut aws = c.clone();
        aws.endpoint_is_custom = false;
        assert_eq!(
            aws.for_region("cn-north-1").unwrap().endpoint,
            "https://kms.cn-north-1.amazonaws.com.cn"
        );
        assert!(c.for_region("US EAST").is_err());
    }

    #[test]
    fn shared_files_supply_profile_credentials_and_region() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n\
             # a comment\n[work]\naws_access_key_id=AKIDWORK\naws_secret_access_key=s2\naws_session_token = t2\n",
        )
        .unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[default]\nregion = us-east-2\n[profile work]\nregion = eu-north-1\n",
        )
        .unwrap();
        let creds_s = creds.to_str().unwrap();
        let config_s = config.to_str().unwrap();
        let base = [
            ("AWS_SHARED_CREDENTIALS_FILE", creds_s),
            ("AWS_CONFIG_FILE", config_s),
        ];
        let c = ClientConfig::from_lookup(&Overrides::default(), lookup(&base)).unwrap();
        assert_eq!(c.credentials.access_key_id(), "AKIDDEFAULT");
        assert_eq!(c.region, "us-east-2");
        let mut vars = base.to_vec();
        vars.push(("AWS_PROFILE", "work"));
        let c = ClientConfig::from_lookup(&Overrides::default(), lookup(&vars)).unwrap();
        assert_eq!(c.credentials.access_key_id(), "AKIDWORK");
        assert_eq!(c.credentials.session_token(), Some("t2"));
        assert_eq!(c.region, "eu-north-1");
        // Environment credentials win over the files.
        vars.extend([
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]);
        let c = ClientConfig::from_lookup(&Overrides::default(), lookup(&vars)).unwrap();
        assert_eq!(c.credentials.access_key_id(), "AKIDENV");
        // An unknown profile has no credentials.
        let overrides = Overrides {
            profile: Some("absent".into()),
            region: Some("us-east-1".into()),
            ..Overrides::default()
        };
        let e = ClientConfig::from_lookup(&overrides, lookup(&base)).unwrap_err();
        assert!(e.to_string().contains("absent"), "{e}");
    }

    #[test]
    fn missing_region_or_credentials_are_clear_errors() {
        let e = ClientConfig::from_lookup(
            &Overrides::default(),
            lookup(&[
                ("AWS_ACCESS_KEY_ID", "a"),
                ("AWS_SECRET_ACCESS_KEY", "b"),
                ("HOME", "/nonexistent-home"),
            ]),
        )
        .unwrap_err();
        assert!(matches!(e, ConfigError::NoRegion), "{e}");
        let e = ClientConfig::from_lookup(
            &Overrides::default(),
            lookup(&[("AWS_REGION", "us-east-1"), ("HOME", "/nonexistent-home")]),
        )
        .unwrap_err();
        assert!(matches!(e, ConfigError::NoCredentials { .. }), "{e}");
    }

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap_with_full_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, u32::MAX), Duration::from_millis(100));
        assert_eq!(p.delay(3, u32::MAX), Duration::from_millis(800));
        assert_eq!(p.delay(40, u32::MAX), Duration::from_secs(20));
        assert_eq!(p.delay(2, 0), Duration::ZERO);
        let half = p.delay(1, u32::MAX / 2);
        assert!(half > Duration::from_millis(99) && half < Duration::from_millis(101));
    }
}
