//! Command line, environment and the access-key config file.
//!
//! Every flag can also come from the environment as `KMS_SERVER_<FLAG>`.
//! The `--config` file is JSON, not TOML: serde_json is already a dependency
//! of every crate here (no second parser to audit), and the key policies
//! this file will grow to reference are JSON documents too.
//!
//! ```json
//! {
//!   "access_keys": [
//!     {
//!       "access_key_id": "AKIAEXAMPLEALICE0001",
//!       "secret_access_key": "...40 characters...",
//!       "principal_arn": "arn:aws:iam::444455556666:user/alice"
//!     }
//!   ],
//!   "identity_policies": [
//!     {
//!       "principal_arn": "arn:aws:iam::444455556666:user/alice",
//!       "policy_name": "use-shared-key",
//!       "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!         "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}]}
//!     }
//!   ],
//!   "grants_per_key": 50000,
//!   "request_quotas": {"enabled": true, "rates": {"symmetric": 5500, "CreateKey": 5}}
//! }
//! ```
//!
//! Identity policies stand in for IAM: they apply where a key policy
//! delegates to the principal's account, and to operations on no key
//! (CreateKey, ListKeys, ListAliases, ...). An account's root needs none.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};
use serde::Deserialize;

use crate::credentials::{AccessKey, Principal, Secret};
use crate::policy::{IdentityPolicies, Policy, PolicyKind};
use crate::state::DEFAULT_GRANTS_PER_KEY;

/// `kms-server`: an AWS-KMS-compatible endpoint with an embedded store.
#[derive(Debug, Clone, Parser)]
#[command(name = "kms-server", version, about)]
pub struct Cli {
    /// Without a command, the server runs.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on (port 0 picks a free port; the bound address is
    /// printed as the first line on stdout).
    #[arg(long, env = "KMS_SERVER_LISTEN", default_value = "127.0.0.1:4599")]
    pub listen: SocketAddr,

    /// Directory for the store, the root key and the admin credentials.
    #[arg(long, env = "KMS_SERVER_DATA_DIR", default_value = ".kms-data")]
    pub data_dir: PathBuf,

    /// Account of the admin credentials (their principal is `arn:aws:iam::<id>:root`).
    #[arg(long, env = "KMS_SERVER_ACCOUNT_ID", default_value = "111122223333")]
    pub account_id: String,

    /// Region written into the admin credentials file (requests may use any region).
    #[arg(long, env = "KMS_SERVER_REGION", default_value = "us-east-1")]
    pub region: String,

    /// Browser origin allowed to call the server (repeatable; the environment
    /// variable takes a comma-separated list).
    #[arg(
        long = "cors-origin",
        env = "KMS_SERVER_CORS_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// JSON file listing more access keys and their principals.
    #[arg(long, env = "KMS_SERVER_CONFIG")]
    pub config: Option<PathBuf>,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "KMS_SERVER_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Let tests move the lifecycle clock forward through
    /// `POST /_kms-server/test-clock` (never enable outside tests).
    #[arg(long, env = "KMS_SERVER_TEST_CLOCK")]
    pub test_clock: bool,

    /// Turn request quotas off (test harnesses and benchmarks that measure
    /// capacity); by default AWS's quotas apply, or the config file's.
    #[arg(long, env = "KMS_SERVER_NO_REQUEST_QUOTAS")]
    pub no_request_quotas: bool,

    /// Log format.
    #[arg(long, env = "KMS_SERVER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Commands other than serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// The audit log.
    Audit {
        /// What to do with it.
        #[command(subcommand)]
        action: AuditCommand,
    },
}

/// `kms-server audit ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AuditCommand {
    /// Checks the hash chain; reports the first altered, missing or
    /// reordered record and exits 1, or exits 0 when the log is intact.
    Verify {
        /// The server's data directory.
        #[arg(long, default_value = ".kms-data")]
        data_dir: PathBuf,
    },
}

/// How logs are written (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The `--config` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Extra access keys.
    #[serde(default)]
    pub access_keys: Vec<AccessKeyEntry>,
    /// Identity policies of principals.
    #[serde(default)]
    pub identity_policies: Vec<IdentityPolicyEntry>,
    /// Most grants per key.
    #[serde(default)]
    pub grants_per_key: Option<usize>,
    /// Request quotas.
    #[serde(default)]
    pub request_quotas: Option<QuotaSettings>,
}

/// The `request_quotas` member: AWS's default rates unless set here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSettings {
    /// `false` turns throttling off.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Requests per second by quota name (`symmetric`, `rsa`, `ecc`,
    /// `keypair-rsa-2048`, ..., or an operation name such as `CreateKey`).
    #[serde(default)]
    pub rates: HashMap<String, f64>,
}

fn yes() -> bool {
    true
}

/// One identity policy of the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityPolicyEntry {
    /// The principal it belongs to.
    pub principal_arn: String,
    /// A name, for messages.
    #[serde(default)]
    pub policy_name: Option<String>,
    /// The policy document, as a JSON object or a string holding one.
    pub document: serde_json::Value,
}

/// Everything the config file sets.
#[derive(Debug)]
pub struct LoadedConfig {
    /// Extra access keys.
    pub access_keys: Vec<AccessKey>,
    /// Identity policies by principal.
    pub identity_policies: IdentityPolicies,
    /// Most grants per key.
    pub grants_per_key: usize,
    /// Whether request quotas throttle.
    pub quotas_enabled: bool,
    /// Quota rates that differ from AWS's defaults.
    pub quota_rates: HashMap<String, f64>,
}

impl Default for LoadedConfig {
    fn default() -> Self {
        LoadedConfig {
            access_keys: Vec::new(),
            identity_policies: IdentityPolicies::default(),
            grants_per_key: DEFAULT_GRANTS_PER_KEY,
            quotas_enabled: true,
            quota_rates: HashMap::new(),
        }
    }
}

/// One access key of the config file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyEntry {
    /// The access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// The IAM user or role ARN it acts as (any account).
    pub principal_arn: String,
}

impl core::fmt::Debug for AccessKeyEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessKeyEntry")
            .field("access_key_id", &self.access_key_id)
            .field("principal_arn", &self.principal_arn)
            .finish_non_exhaustive()
    }
}

impl ConfigFile {
    /// Reads and checks a config file's access keys.
    pub fn load(path: &Path) -> anyhow::Result<Vec<AccessKey>> {
        Ok(Self::load_config(path)?.access_keys)
    }

    /// Reads and checks a whole config file.
    pub fn load_config(path: &Path) -> anyhow::Result<LoadedConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let file: ConfigFile = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not a valid config file: {e}", path.display()))?;
        let mut identity_policies = IdentityPolicies::default();
        for entry in &file.identity_policies {
            let name = entry.policy_name.as_deref().unwrap_or("(unnamed)");
            if Principal::from_arn(&entry.principal_arn).is_none() {
                anyhow::bail!(
                    "{}: identity policy {name}: principal_arn {:?} is not an IAM ARN",
                    path.display(),
                    entry.principal_arn
                );
            }
            let policy = match &entry.document {
                serde_json::Value::String(text) => Policy::parse(text, PolicyKind::Identity),
                value => Policy::from_value(value, PolicyKind::Identity),
            }
            .map_err(|e| anyhow::anyhow!("{}: identity policy {name}: {e}", path.display()))?;
            identity_policies.add(&entry.principal_arn, policy);
        }
        let (quotas_enabled, quota_rates) = match file.request_quotas {
            None => (true, HashMap::new()),
            Some(q) => {
                for (name, rate) in &q.rates {
                    if !crate::quota::quota_names().any(|n| n == name) {
                        anyhow::bail!(
                            "{}: request_quotas: unknown quota {name:?} (known: {})",
                            path.display(),
                            crate::quota::quota_names().collect::<Vec<_>>().join(", ")
                        );
                    }
                    if !rate.is_finite() || *rate <= 0.0 {
                        anyhow::bail!(
                            "{}: request_quotas: {name} must be a positive number of requests per second",
                            path.display()
                        );
                    }
                }
                (q.enabled, q.rates)
            }
        };
        if file.grants_per_key == Some(0) {
            anyhow::bail!("{}: grants_per_key must be at least 1", path.display());
        }
        let access_keys = file
            .access_keys
            .into_iter()
            .map(|e| {
                let principal = Principal::from_arn(&e.principal_arn).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: principal_arn {:?} is not an IAM ARN like arn:aws:iam::123456789012:user/name",
                        path.display(),
                        e.principal_arn
                    )
                })?;
                if e.access_key_id.is_empty() || e.secret_access_key.is_empty() {
                    anyhow::bail!("{}: empty access key id or secret", path.display());
                }
                Ok(AccessKey {
                    access_key_id: e.access_key_id,
                    secret: Secret::new(e.secret_access_key),
                    principal,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(LoadedConfig {
            access_keys,
            identity_policies,
            grants_per_key: file.grants_per_key.unwrap_or(DEFAULT_GRANTS_PER_KEY),
            quotas_enabled,
            quota_rates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_files_map_access_keys_to_principals_of_any_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kms-server.json");
        std::fs::write(
            &path,
            r#"{"access_keys": [{"access_key_id": "AKIAALICE", "secret_access_key": "s3cret",
                "principal_arn": "arn:aws:iam::444455556666:role/app"}]}"#,
        )
        .unwrap();
        let keys = ConfigFile::load(&path).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].principal.account, "444455556666");
        assert_eq!(keys[0].secret.expose(), "s3cret");
    }

    #[test]
    fn config_mistakes_are_reported_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        for text in [
            r#"{"access_key": []}"#,
            r#"{"access_keys": [{"access_key_id": "A", "secret_access_key": "s", "principal_arn": "bob"}]}"#,
            r#"{"identity_policies": [{"principal_arn": "bob", "document": {}}]}"#,
            r#"{"identity_policies": [{"principal_arn": "arn:aws:iam::444455556666:user/a",
                "document": {"Statement": {"Effect": "Allow", "Action": "kms:*"}}}]}"#,
            r#"{"grants_per_key": 0}"#,
            r#"{"request_quotas": {"rates": {"Nonsense": 1}}}"#,
            r#"{"request_quotas": {"rates": {"symmetric": -1}}}"#,
            "not json",
        ] {
            std::fs::write(&path, text).unwrap();
            assert!(ConfigFile::load(&path).is_err(), "{text}");
        }
    }

    #[test]
    fn identity_policies_come_as_objects_or_strings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kms-server.json");
        std::fs::write(
            &path,
            r#"{"identity_policies": [
                {"principal_arn": "arn:aws:iam::444455556666:user/a", "policy_name": "p1",
                 "document": {"Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}},
                {"principal_arn": "arn:aws:iam::444455556666:user/a",
                 "document": "{\"Statement\": {\"Effect\": \"Deny\", \"Action\": \"kms:Sign\", \"Resource\": \"*\"}}"}
               ], "grants_per_key": 3}"#,
        )
        .unwrap();
        let config = ConfigFile::load_config(&path).unwrap();
        assert_eq!(
            config
                .identity_policies
                .of("arn:aws:iam::444455556666:user/a")
                .len(),
            2
        );
        assert!(
            config
                .identity_policies
                .of("arn:aws:iam::444455556666:user/b")
                .is_empty()
        );
        assert_eq!(config.grants_per_key, 3);
    }

    #[test]
    fn every_flag_has_a_default_or_is_optional() {
        let cli = Cli::try_parse_from(["kms-server"]).unwrap();
        assert_eq!(cli.listen.to_string(), "127.0.0.1:4599");
        assert_eq!(cli.account_id, "111122223333");
        let cli = Cli::try_parse_from([
            "kms-server",
            "--cors-origin",
            "https://a.example",
            "--cors-origin",
            "https://b.example",
        ])
        .unwrap();
        assert_eq!(cli.cors_origins.len(), 2);
        let cli =
            Cli::try_parse_from(["kms-server", "audit", "verify", "--data-dir", "/d"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Audit { action: AuditCommand::Verify { ref data_dir } }) if data_dir == Path::new("/d")
        ));
    }
}
