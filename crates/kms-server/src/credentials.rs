//! Who may call the server: access keys, their secrets and principals.
//!
//! The admin key pair is generated on first start and written to
//! `DIR/credentials` in the AWS shared-credentials format, so boto3 and the
//! AWS CLI use it with `AWS_SHARED_CREDENTIALS_FILE=DIR/credentials`. More
//! keys come from the `--config` file (JSON, see [`crate::config`]), each
//! mapped to a principal ARN of any account.

use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;
use std::path::Path;

use getrandom::SysRng;
use rand_core::TryRng as _;
use zeroize::Zeroizing;

pub use kms_protocol::policy::Principal;

/// A secret access key; never printed.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(Zeroizing::new(s.into()))
    }

    /// The secret text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One access key.
#[derive(Debug, Clone)]
pub struct AccessKey {
    /// The access key id (`AKIA...`).
    pub access_key_id: String,
    /// Its secret.
    pub secret: Secret,
    /// Who it acts as.
    pub principal: Principal,
}

/// Every access key the server accepts, by id.
#[derive(Debug, Clone, Default)]
pub struct AccessKeys {
    keys: HashMap<String, AccessKey>,
}

impl AccessKeys {
    /// Adds or replaces a key.
    pub fn insert(&mut self, key: AccessKey) {
        self.keys.insert(key.access_key_id.clone(), key);
    }

    /// Looks a key up.
    pub fn get(&self, access_key_id: &str) -> Option<&AccessKey> {
        self.keys.get(access_key_id)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A fresh access key id and secret in AWS's shapes (20 and 40 characters).
pub fn generate_key_pair() -> Result<(String, Secret), std::io::Error> {
    let mut bytes = Zeroizing::new([0u8; 56]);
    SysRng
        .try_fill_bytes(bytes.as_mut())
        .map_err(std::io::Error::from)?;
    let mut id = String::from("AKIA");
    id.extend(
        bytes[..16]
            .iter()
            .map(|b| BASE32[usize::from(b & 31)] as char),
    );
    let secret: String = bytes[16..]
        .iter()
        .map(|b| SECRET_ALPHABET[usize::from(b & 63)] as char)
        .collect();
    Ok((id, Secret::new(secret)))
}

/// Reads the `[default]` key pair of a shared-credentials file.
pub fn read_credentials_file(path: &Path) -> Result<(String, Secret), std::io::Error> {
    let text = Zeroizing::new(std::fs::read_to_string(path)?);
    let mut in_default = false;
    let (mut id, mut secret) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_default = line == "[default]";
            continue;
        }
        if !in_default {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_owned()),
                "aws_secret_access_key" => secret = Some(Secret::new(v.trim())),
                _ => {}
            }
        }
    }
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.expose().is_empty() => {
            Ok((id, secret))
        }
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} has no [default] aws_access_key_id and aws_secret_access_key",
                path.display()
            ),
        )),
    }
}

/// Writes a shared-credentials file readable only by its owner.
pub fn write_credentials_file(
    path: &Path,
    access_key_id: &str,
    secret: &Secret,
    region: &str,
) -> Result<(), std::io::Error> {
    let text = Zeroizing::new(format!(
        "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {}\nregion = {region}\n",
        secret.expose()
    ));
    let mut file = crate::fs_util::create_private(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_carry_their_account() {
        let p = Principal::from_arn("arn:aws:iam::444455556666:role/app").unwrap();
        assert_eq!(p.account, "444455556666");
        assert!(Principal::from_arn("arn:aws:iam::4444:role/app").is_none());
        assert!(Principal::from_arn("nope").is_none());
    }

    #[test]
    fn generated_keys_have_aws_shapes_and_round_trip_through_the_file() {
        let (id, secret) = generate_key_pair().unwrap();
        assert_eq!(id.len(), 20);
        assert_eq!(secret.expose().len(), 40);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        write_credentials_file(&path, &id, &secret, "us-east-1").unwrap();
        let (id2, secret2) = read_credentials_file(&path).unwrap();
        assert_eq!(id, id2);
        assert_eq!(secret.expose(), secret2.expose());
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    }
}
