//! `kms-envelope`: encrypt, decrypt and inspect AWS Encryption SDK messages
//! from the command line, streaming, with raw AES and raw RSA wrapping keys.
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
    /// A wrapping key; repeat for several (the first generates the data key):
    /// raw-aes:NAMESPACE:NAME:KEYFILE (16, 24 or 32 raw key bytes) or
    /// raw-rsa:NAMESPACE:NAME:PADDING:PEMFILE with PADDING one of pkcs1,
    /// oaep-sha1, oaep-sha256, oaep-sha384, oaep-sha512.
    #[arg(
        long = "wrapping-key",
        short = 'w',
        value_name = "SPEC",
        required = true
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
            // One line, whatever the error chain holds.
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("kms-envelope: error: {line}");
            ExitCode::FAILURE
        }
    }
}
