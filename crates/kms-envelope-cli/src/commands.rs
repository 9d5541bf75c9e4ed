//! The three commands, each streaming its input in fixed-size chunks so
//! memory does not grow with the file.

use std::io::{self, Read, Write};

use anyhow::{Context, Result, bail};
use kms_envelope::cmm::DefaultMaterialsManager;
use kms_envelope::decrypt::{DecryptOptions, HeaderReader, ParsedHeader, ReadHeader};
use kms_envelope::encrypt::{EncryptOptions, Encryptor};
use kms_envelope::{AlgorithmSuiteId, CommitmentPolicy, EncryptionContext};

use crate::output::{Output, open_input};
use crate::{DecryptArgs, EncryptArgs, InspectArgs, inspect, keyspec};

/// Bytes read from the input at a time.
const CHUNK: usize = 1 << 16;

pub fn encrypt(args: &EncryptArgs) -> Result<()> {
    let common = &args.common;
    let policy = parse_policy(&common.commitment_policy)?;
    let context = parse_context(&common.context)?;
    let manager = DefaultMaterialsManager::new(keyspec::keyring(
        &common.wrapping_keys,
        keyspec::Purpose::Encrypt,
        &common.kms.options(),
    )?);
    let mut options = EncryptOptions::default()
        .with_commitment_policy(policy)
        .with_frame_length(args.frame_length);
    if let Some(suite) = &args.suite {
        options = options.with_suite(parse_suite(suite)?);
    }
    options.max_encrypted_data_keys = common.max_encrypted_data_keys;

    let mut input = open_input(&common.input)?;
    let mut output = Output::create(&common.output)?;
    let mut encryptor = pollster::block_on(Encryptor::new(&manager, &context, &options))?;
    let mut buf = vec![0u8; CHUNK];
    let mut out = Vec::with_capacity(CHUNK + 4096);
    loop {
        let n = read_some(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        encryptor.update(&buf[..n], &mut out)?;
        write_out(&mut output, &mut out)?;
    }
    encryptor.finish(&mut out)?;
    write_out(&mut output, &mut out)?;
    output.commit()
}

pub fn decrypt(args: &DecryptArgs) -> Result<()> {
    let common = &args.common;
    let manager = DefaultMaterialsManager::new(keyspec::keyring(
        &common.wrapping_keys,
        keyspec::Purpose::Decrypt,
        &common.kms.options(),
    )?);
    let mut options =
        DecryptOptions::default().with_commitment_policy(parse_policy(&common.commitment_policy)?);
    options.max_encrypted_data_keys = common.max_encrypted_data_keys;
    let context = parse_context(&common.context)?;
    if !context.is_empty() {
        options = options.with_reproduced_encryption_context(context);
    }
    let mut output = Output::create(&common.output)?;
    // A file output only appears once the whole message verified, so frames
    // may go to it as each authenticates; standard output cannot be taken
    // back, so for signed suites nothing goes there before the signature.
    options.release_unverified_plaintext = !output.is_immediate();

    let mut input = open_input(&common.input)?;
    let mut buf = vec![0u8; CHUNK];
    let (parsed, rest) = read_header(&mut input, &mut buf, options)?;
    let mut body = pollster::block_on(parsed.obtain_materials(&manager))?;
    let mut out = Vec::with_capacity(CHUNK);
    body.update(&rest, &mut out)?;
    write_out(&mut output, &mut out)?;
    loop {
        let n = read_some(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        body.update(&buf[..n], &mut out)?;
        write_out(&mut output, &mut out)?;
    }
    // Held plaintext (a signed suite to standard output) goes out piece by
    // piece once the signature verified, not gathered into one more copy.
    for piece in body.finish_in_pieces()? {
        out.extend_from_slice(&piece);
        write_out(&mut output, &mut out)?;
    }
    output.commit()
}

pub fn inspect(args: &InspectArgs) -> Result<()> {
    let mut input = open_input(&args.input)?;
    let mut buf = vec![0u8; CHUNK];
    let options = DecryptOptions::default()
        .with_commitment_policy(CommitmentPolicy::ForbidEncryptAllowDecrypt);
    let (parsed, _) = read_header(&mut input, &mut buf, options)?;
    let json = inspect::header_json(parsed.header());
    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &json)?;
    writeln!(stdout)?;
    Ok(())
}

/// Reads until the header is complete; returns it and the body bytes that
/// arrived with it.
fn read_header(
    input: &mut dyn Read,
    buf: &mut [u8],
    options: DecryptOptions,
) -> Result<(ParsedHeader, Vec<u8>)> {
    let mut reader = HeaderReader::new(options);
    loop {
        let n = read_some(input, buf)?;
        if n == 0 {
            reader.finish()?;
            bail!("the input ended inside the message header");
        }
        let mut chunk = &buf[..n];
        match reader.read(&mut chunk)? {
            ReadHeader::NeedMore(r) => reader = r,
            ReadHeader::Parsed(parsed) => return Ok((parsed, chunk.to_vec())),
        }
    }
}

fn read_some(input: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    loop {
        match input.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("cannot read the input"),
        }
    }
}

fn write_out(output: &mut Output, out: &mut Vec<u8>) -> Result<()> {
    if !out.is_empty() {
        output.write_all(out).context("cannot write the output")?;
        out.clear();
    }
    Ok(())
}

fn parse_policy(policy: &str) -> Result<CommitmentPolicy> {
    Ok(policy.parse::<CommitmentPolicy>()?)
}

/// Parses `0x0478`, `0478` or `1144`.
fn parse_suite(suite: &str) -> Result<AlgorithmSuiteId> {
    let id = match suite
        .strip_prefix("0x")
        .or_else(|| suite.strip_prefix("0X"))
    {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None if suite.len() == 4 => u16::from_str_radix(suite, 16).ok(),
        None => suite.parse().ok(),
    }
    .with_context(|| format!("algorithm suite '{suite}': expected an id such as 0x0478"))?;
    Ok(AlgorithmSuiteId::from_u16(id)?)
}

fn parse_context(pairs: &[String]) -> Result<EncryptionContext> {
    let parsed = pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .with_context(|| format!("encryption context '{p}': expected KEY=VALUE"))
        })
        .collect::<Result<Vec<_>>>()?;
    for (i, (k, _)) in parsed.iter().enumerate() {
        if parsed[..i].iter().any(|(other, _)| other == k) {
            bail!("encryption context key '{k}' is given twice");
        }
    }
    Ok(EncryptionContext::from_caller(parsed)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_parse_in_hex_and_decimal() {
        assert_eq!(
            parse_suite("0x0478").unwrap(),
            AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey
        );
        assert_eq!(
            parse_suite("0578").unwrap(),
            AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384
        );
        // 0x0078 written in decimal.
        assert_eq!(
            parse_suite("120").unwrap(),
            AlgorithmSuiteId::Aes256GcmIv12Tag16NoKdf
        );
        assert!(parse_suite("0x9999").is_err());
        assert!(parse_suite("aes").is_err());
    }

    #[test]
    fn contexts_refuse_malformed_duplicate_and_reserved_pairs() {
        assert_eq!(
            parse_context(&["a=1".into(), "b=x=y".into()])
                .unwrap()
                .get("b"),
            Some("x=y")
        );
        assert!(parse_context(&["novalue".into()]).is_err());
        assert!(parse_context(&["=v".into()]).is_err());
        assert!(parse_context(&["a=1".into(), "a=2".into()]).is_err());
        assert!(parse_context(&["aws-crypto-public-key=x".into()]).is_err());
    }
}
