//! `kms-envelope`: encrypt, decrypt and inspect AWS Encryption SDK messages
//! from the command line, streaming, with AWS KMS keys (any KMS endpoint) and
//! raw AES and raw RSA wrapping keys.
//!
//! On any failure the command prints one line on stderr, exits non-zero and
//! leaves no output file behind.

mod commands;
mod inspect;
mod keyspec;
mod output;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Encrypt, decrypt and inspect AWS Encryption SDK messages.
#[derive(Parser)]
#[command(name = "kms-envelope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Encrypt a file (or stdin) into an AWS Encryption SDK message.
    Encrypt(EncryptArgs),
    /// Decrypt an AWS Encryption SDK message.
    Decrypt(DecryptArgs),
    /// Print a message's header as JSON, without decrypting.
    Inspect(InspectArgs),
}

/// Options shared by encrypt and decrypt.
#[derive(Args)]
struct CommonArgs {
    /// Input file, or - for standard input.
    #[arg(long, short)]
    input: String,
    /// Output file, or - for standard output.
    #[arg(long, short)]
    output: String,
    /// A wrapping key; repeat for several (the first generates the data key,
    /// each wraps it; on decrypt any one may unwrap it):
    ///
    /// kms:KEY-ID: an AWS KMS key. To encrypt, any form: key ARN, key id,
    /// alias/NAME or alias ARN. To decrypt, its key ARN; a multi-Region key's
    /// ARN also decrypts what its replicas in other regions wrapped.
    ///
    /// kms-discovery[:PARTITION:ACCOUNT[,ACCOUNT...]]: decrypt only, with
    /// whichever KMS key the message names (in the configured region or each
    /// --discovery-region, or a multi-Region key's replica there),
    /// optionally only keys of these accounts.
    ///
    /// kms-rsa:ALGORITHM:KEY-ARN: a KMS RSA key pair; encrypts locally with
    /// its public key, decrypts through KMS; ALGORITHM oaep-sha1 or
    /// oaep-sha256; unsigned suites only (e.g. 0x0478).
    ///
    /// raw-aes:NAMESPACE:NAME:KEYFILE (16, 24 or 32 raw key bytes).
    ///
    /// raw-rsa:NAMESPACE:NAME:PADDING:PEMFILE with PADDING one of pkcs1,
    /// oaep-sha1, oaep-sha256, oaep-sha384, oaep-sha512.
    #[arg(
        long = "wrapping-key",
        short = 'w',
        value_name = "SPEC",
        required = true,
        verbatim_doc_comment
    )]
    wrapping_keys: Vec<String>,
    /// Encryption context pair KEY=VALUE; repeatable. On decrypt, each pair
    /// must be present in the message.
    #[arg(long = "context", short = 'c', value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// FORBID_ENCRYPT_ALLOW_DECRYPT, REQUIRE_ENCRYPT_ALLOW_DECRYPT or
    /// REQUIRE_ENCRYPT_REQUIRE_DECRYPT.
    #[arg(long, default_value = "REQUIRE_ENCRYPT_REQUIRE_DECRYPT")]
    commitment_policy: String,
    /// The most encrypted data keys a message may carry.
    #[arg(long)]
    max_encrypted_data_keys: Option<u16>,
    #[command(flatten)]
    kms: KmsArgs,
}

/// How to reach AWS KMS, for kms: wrapping keys. Without these flags the
/// AWS environment decides: AWS_ENDPOINT_URL_KMS or AWS_ENDPOINT_URL,
/// AWS_REGION or AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID and
/// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE's entries in
/// the shared credentials and config files.
#[derive(Args)]
#[command(next_help_heading = "KMS connection (for kms wrapping keys)")]
struct KmsArgs {
    /// The KMS endpoint, e.g. http://127.0.0.1:4599 for a local kms-server
    /// (default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else the region's
    /// AWS KMS endpoint).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// The AWS region of KMS calls for keys not named by ARN and for
    /// discovery (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's
    /// region, else the first key ARN's).
    #[arg(long)]
    region: Option<String>,
    /// The profile of the shared AWS credentials and config files (default:
    /// AWS_PROFILE, else default). AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
    /// and AWS_SESSION_TOKEN take precedence over any profile.
    #[arg(long)]
    profile: Option<String>,
    /// A region kms-discovery asks KMS in; repeatable (default: the
    /// configured region). Keys of other regions are not tried, except
    /// multi-Region keys, through their replica in these regions.
    #[arg(long = "discovery-region", value_name = "REGION")]
    discovery_regions: Vec<String>,
    /// A KMS grant token sent with every KMS request; repeatable.
    #[arg(long = "grant-token", value_name = "TOKEN")]
    grant_tokens: Vec<String>,
}

impl KmsArgs {
    fn options(&self) -> keyspec::KmsOptions {
        keyspec::KmsOptions {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
            discovery_regions: self.discovery_regions.clone(),
            grant_tokens: self.grant_tokens.clone(),
        }
    }
}

#[derive(Args)]
struct EncryptArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Algorithm suite id, e.g. 0x0478 (default) or 0x0578 (signed).
    #[arg(long)]
    suite: Option<String>,
    /// Frame length in bytes, 1 to 4294967295.
    #[arg(long, default_value_t = 4096)]
    frame_length: u32,
}

#[derive(Args)]
struct DecryptArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct InspectArgs {
    /// Input file, or - for standard input.
    #[arg(long, short)]
    input: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Encrypt(args) => commands::encrypt(&args),
        Command::Decrypt(args) => commands::decrypt(&args),
        Command::Inspect(args) => commands::inspect(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the error chain holds, ending with the
            // library's stable error code when there is one.
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            match e
                .chain()
                .find_map(|c| c.downcast_ref::<kms_envelope::Error>())
            {
                Some(error) => {
                    eprintln!("kms-envelope: error: {line} [{}]", error.code().as_str())
                }
                None => eprintln!("kms-envelope: error: {line}"),
            }
            ExitCode::FAILURE
        }
    }
}
