//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Parser;
use kms_protocol::ops::{KeySpec, MessageType, SigningAlgorithmSpec};
use kms_protocol::sigv4::Credentials;

use crate::credentials::load_profile;
use crate::load::LoadOptions;
use crate::workload::{Operation, WorkloadSpec};

/// Longest load accepted: every run must end by itself.
const MAX_DURATION: Duration = Duration::from_secs(3600);

/// `kms-loadgen`: SigV4-signed load against an AWS-KMS-compatible endpoint.
///
/// Creates the key it needs (unless --key-id is given), sends one operation
/// over N keep-alive connections for a bounded time, and reports req/s,
/// latency quantiles and errors by `__type`.
#[derive(Debug, Clone, Parser)]
#[command(name = "kms-loadgen", version, about)]
pub struct Cli {
    /// The endpoint, http://host:port (plain HTTP).
    #[arg(long)]
    pub endpoint: String,

    /// Operation to load.
    #[arg(long, value_enum, default_value_t = Operation::GenerateDataKey)]
    pub op: Operation,

    /// Key spec of the key created for --op sign (ECC_NIST_P256, RSA_2048, ...).
    #[arg(long, default_value = "ECC_NIST_P256")]
    pub key_spec: KeySpec,

    /// Signing algorithm for --op sign (default: the key spec's natural one,
    /// ECDSA_SHA_256 for P-256, RSASSA_PKCS1_V1_5_SHA_256 for RSA).
    #[arg(long)]
    pub signing_algorithm: Option<SigningAlgorithmSpec>,

    /// Sign a DIGEST (the algorithm's hash length) or a RAW message.
    #[arg(long, default_value = "DIGEST")]
    pub message_type: MessageType,

    /// Plaintext bytes for --op encrypt, message bytes for RAW signing.
    #[arg(long, default_value_t = 32)]
    pub payload_bytes: usize,

    /// Use this key instead of creating one (it is not deleted afterwards).
    #[arg(long)]
    pub key_id: Option<String>,

    /// Concurrent keep-alive connections.
    #[arg(long, short = 'c', default_value_t = 32)]
    pub connections: usize,

    /// How long to measure: 10, 10s, 500ms, 2m.
    #[arg(long, short = 'd', default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// At most this many requests in all, warm-up included.
    #[arg(long, short = 'n')]
    pub requests: Option<u64>,

    /// Unmeasured warm-up before the measured period.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// A request unanswered this long counts as a timeout.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Threads of the load generator (it shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,

    /// Signing region (default: the profile's region, else $AWS_REGION, else us-east-1).
    #[arg(long)]
    pub region: Option<String>,

    /// AWS shared-credentials file (e.g. kms-server's DATA_DIR/credentials).
    #[arg(long, conflicts_with_all = ["access_key", "secret_key"])]
    pub credentials_file: Option<PathBuf>,

    /// Profile of --credentials-file.
    #[arg(long, default_value = "default")]
    pub profile: String,

    /// Access key id (with --secret-key); $AWS_ACCESS_KEY_ID otherwise.
    #[arg(long, requires = "secret_key")]
    pub access_key: Option<String>,

    /// Secret access key (with --access-key); $AWS_SECRET_ACCESS_KEY otherwise.
    #[arg(long, requires = "access_key")]
    pub secret_key: Option<String>,

    /// Session token for temporary credentials.
    #[arg(long)]
    pub session_token: Option<String>,

    /// Leave the created key in place instead of scheduling its deletion.
    #[arg(long)]
    pub keep_key: bool,

    /// Print the report as JSON on stdout (the table goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Parses `10`, `10s`, `250ms`, `2m`, `1.5s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 10s, 500ms or 2m"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?} (ms, s or m)")),
    };
    if !secs.is_finite() || secs < 0.0 || secs > MAX_DURATION.as_secs_f64() {
        return Err(format!("{text:?} must be between 0 and 1 hour"));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl Cli {
    /// Credentials and region from the flags, the file or the environment.
    pub fn identity(&self) -> Result<(Credentials, String)> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (credentials, profile_region) = if let Some(path) = &self.credentials_file {
            let profile = load_profile(path, &self.profile)?;
            (profile.credentials, profile.region)
        } else {
            let id = self.access_key.clone().or_else(|| env("AWS_ACCESS_KEY_ID"));
            let secret = self
                .secret_key
                .clone()
                .or_else(|| env("AWS_SECRET_ACCESS_KEY"));
            let token = self
                .session_token
                .clone()
                .or_else(|| env("AWS_SESSION_TOKEN"));
            match (id, secret) {
                (Some(id), Some(secret)) => (Credentials::new(id, secret, token), None),
                _ => bail!(
                    "no credentials: give --credentials-file, --access-key and --secret-key, \
                     or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                ),
            }
        };
        let region = self
            .region
            .clone()
            .or(profile_region)
            .or_else(|| env("AWS_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        Ok((credentials, region))
    }

    /// The workload the flags describe.
    pub fn workload(&self) -> WorkloadSpec {
        WorkloadSpec {
            operation: self.op,
            key_id: self.key_id.clone(),
            key_spec: if self.op == Operation::Sign {
                self.key_spec
            } else {
                KeySpec::SymmetricDefault
            },
            signing_algorithm: self.signing_algorithm,
            message_type: self.message_type,
            payload_bytes: self.payload_bytes,
        }
    }

    /// The load the flags describe.
    pub fn load_options(&self) -> Result<LoadOptions> {
        if !(1..=10_000).contains(&self.connections) {
            bail!("--connections must be 1 to 10000");
        }
        if !(1..=256).contains(&self.threads) {
            bail!("--threads must be 1 to 256");
        }
        if self.timeout.is_zero() {
            bail!("--timeout must be positive");
        }
        if self.duration.is_zero() {
            bail!("--duration must be positive: it bounds every load");
        }
        Ok(LoadOptions {
            connections: self.connections,
            duration: self.duration,
            max_requests: self.requests,
            warmup: self.warmup,
            request_timeout: self.timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(
            ["kms-loadgen", "--endpoint", "http://127.0.0.1:1"]
                .iter()
                .chain(args),
        )
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["", "s", "-1s", "1h", "2 weeks", "NaN", "61m", "inf"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let c = cli(&[]).unwrap();
        assert_eq!(c.op, Operation::GenerateDataKey);
        assert_eq!(c.connections, 32);
        assert_eq!(c.duration, Duration::from_secs(10));
        assert_eq!(c.threads, 1);
        assert!(!c.json);
        let w = c.workload();
        assert_eq!(w.key_spec, KeySpec::SymmetricDefault);
        assert_eq!(w.message_type, MessageType::Digest);
        let o = c.load_options().unwrap();
        assert_eq!((o.connections, o.max_requests), (32, None));
    }

    #[test]
    fn sign_options_parse_wire_names() {
        let c = cli(&[
            "--op",
            "sign",
            "--key-spec",
            "RSA_2048",
            "--signing-algorithm",
            "RSASSA_PSS_SHA_256",
            "--message-type",
            "RAW",
            "-c",
            "4",
            "-d",
            "3s",
            "-n",
            "100",
            "--json",
        ])
        .unwrap();
        let w = c.workload();
        assert_eq!(w.key_spec, KeySpec::Rsa2048);
        assert_eq!(
            w.signing_algorithm,
            Some(SigningAlgorithmSpec::RsassaPssSha256)
        );
        assert_eq!(w.message_type, MessageType::Raw);
        let o = c.load_options().unwrap();
        assert_eq!(o.connections, 4);
        assert_eq!(o.duration, Duration::from_secs(3));
        assert_eq!(o.max_requests, Some(100));
        assert!(c.json);
        assert!(cli(&["--op", "sign", "--key-spec", "RSA_1"]).is_err());
        assert!(cli(&["--op", "generate"]).is_err());
    }

    #[test]
    fn credentials_flags() {
        let c = cli(&[
            "--access-key",
            "AKID",
            "--secret-key",
            "s",
            "--region",
            "eu-west-3",
        ])
        .unwrap();
        let (creds, region) = c.identity().unwrap();
        assert_eq!(creds.access_key_id(), "AKID");
        assert_eq!(region, "eu-west-3");
        assert!(cli(&["--access-key", "AKID"]).is_err());
        assert!(
            cli(&[
                "--credentials-file",
                "f",
                "--access-key",
                "A",
                "--secret-key",
                "s"
            ])
            .is_err()
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = x\nregion = ap-south-1\n",
        )
        .unwrap();
        let c = cli(&["--credentials-file", file.to_str().unwrap()]).unwrap();
        let (creds, region) = c.identity().unwrap();
        assert_eq!(
            (creds.access_key_id(), region.as_str()),
            ("AKIAFILE", "ap-south-1")
        );
    }

    #[test]
    fn rejects_unbounded_or_empty_loads() {
        assert!(cli(&["-c", "0"]).unwrap().load_options().is_err());
        assert!(cli(&["--threads", "0"]).unwrap().load_options().is_err());
        assert!(cli(&["-d", "0"]).unwrap().load_options().is_err());
        assert!(
            cli(&["-d", "0", "-n", "10"])
                .unwrap()
                .load_options()
                .is_err()
        );
        assert!(
            cli(&["-d", "1", "-n", "10"])
                .unwrap()
                .load_options()
                .is_ok()
        );
        assert!(cli(&["--timeout", "0"]).unwrap().load_options().is_err());
    }
}
