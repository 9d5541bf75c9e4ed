//! `--wrapping-key` specifications, turned into keyrings.

use anyhow::{Context, Result, bail};
use kms_envelope::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring, RsaPadding};
use zeroize::Zeroizing;

/// One parsed `--wrapping-key`.
#[derive(Debug, PartialEq, Eq)]
pub enum KeySpec {
    /// `raw-aes:NAMESPACE:NAME:KEYFILE`.
    RawAes {
        namespace: String,
        name: String,
        key_file: String,
    },
    /// `raw-rsa:NAMESPACE:NAME:PADDING:PEMFILE`.
    RawRsa {
        namespace: String,
        name: String,
        padding: String,
        pem_file: String,
    },
}

const FORMS: &str = "raw-aes:NAMESPACE:NAME:KEYFILE or raw-rsa:NAMESPACE:NAME:PADDING:PEMFILE";

impl KeySpec {
    /// Parses one specification; the file path is the last field and may
    /// itself contain colons.
    pub fn parse(spec: &str) -> Result<Self> {
        let (kind, rest) = spec
            .split_once(':')
            .with_context(|| format!("wrapping key '{spec}': expected {FORMS}"))?;
        let nonempty = |fields: &[&str]| fields.iter().all(|f| !f.is_empty());
        match kind {
            "raw-aes" => {
                let f: Vec<&str> = rest.splitn(3, ':').collect();
                if f.len() != 3 || !nonempty(&f) {
                    bail!("wrapping key '{spec}': expected raw-aes:NAMESPACE:NAME:KEYFILE");
                }
                Ok(KeySpec::RawAes {
                    namespace: f[0].into(),
                    name: f[1].into(),
                    key_file: f[2].into(),
                })
            }
            "raw-rsa" => {
                let f: Vec<&str> = rest.splitn(4, ':').collect();
                if f.len() != 4 || !nonempty(&f) {
                    bail!("wrapping key '{spec}': expected raw-rsa:NAMESPACE:NAME:PADDING:PEMFILE");
                }
                Ok(KeySpec::RawRsa {
                    namespace: f[0].into(),
                    name: f[1].into(),
                    padding: f[2].into(),
                    pem_file: f[3].into(),
                })
            }
            other => bail!("wrapping key kind '{other}' is not supported: expected {FORMS}"),
        }
    }

    /// Reads the key file and builds the keyring.
    pub fn keyring(&self) -> Result<Box<dyn Keyring>> {
        match self {
            KeySpec::RawAes {
                namespace,
                name,
                key_file,
            } => {
                let key = Zeroizing::new(
                    std::fs::read(key_file)
                        .with_context(|| format!("cannot read key file {key_file}"))?,
                );
                if ![16, 24, 32].contains(&key.len()) {
                    bail!(
                        "key file {key_file} holds {} bytes; a raw AES key is 16, 24 or 32 bytes",
                        key.len()
                    );
                }
                let keyring = RawAesKeyring::new(namespace, name, &key)
                    .with_context(|| format!("raw AES key {namespace}:{name}"))?;
                Ok(Box::new(keyring))
            }
            KeySpec::RawRsa {
                namespace,
                name,
                padding,
                pem_file,
            } => {
                let padding = parse_padding(padding)?;
                let pem = Zeroizing::new(
                    std::fs::read_to_string(pem_file)
                        .with_context(|| format!("cannot read PEM file {pem_file}"))?,
                );
                let keyring = if pem.contains("PRIVATE KEY-----") {
                    RawRsaKeyring::from_private_key_pem(namespace, name, padding, &pem)
                } else {
                    RawRsaKeyring::from_public_key_pem(namespace, name, padding, &pem)
                }
                .with_context(|| format!("RSA key in {pem_file}"))?;
                Ok(Box::new(keyring))
            }
        }
    }
}

fn parse_padding(padding: &str) -> Result<RsaPadding> {
    Ok(match padding {
        "pkcs1" => RsaPadding::Pkcs1,
        "oaep-sha1" => RsaPadding::OaepSha1,
        "oaep-sha256" => RsaPadding::OaepSha256,
        "oaep-sha384" => RsaPadding::OaepSha384,
        "oaep-sha512" => RsaPadding::OaepSha512,
        other => bail!(
            "RSA padding '{other}': expected pkcs1, oaep-sha1, oaep-sha256, oaep-sha384 or oaep-sha512"
        ),
    })
}

/// The keyring for all `--wrapping-key` specifications: the first generates
/// the data key, every one encrypts it; any one may decrypt.
pub fn keyring(specs: &[String]) -> Result<Box<dyn Keyring>> {
    let mut keyrings = specs
        .iter()
        .map(|s| KeySpec::parse(s)?.keyring())
        .collect::<Result<Vec<_>>>()?;
    if keyrings.len() == 1 {
        return keyrings.pop().context("a wrapping key is required");
    }
    let generator = keyrings.remove(0);
    Ok(Box::new(MultiKeyring::new(Some(generator), keyrings)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_paths_that_contain_colons() {
        assert_eq!(
            KeySpec::parse("raw-aes:ns:name:/tmp/a:b.key").unwrap(),
            KeySpec::RawAes {
                namespace: "ns".into(),
                name: "name".into(),
                key_file: "/tmp/a:b.key".into()
            }
        );
        assert_eq!(
            KeySpec::parse("raw-rsa:ns:name:oaep-sha256:k.pem").unwrap(),
            KeySpec::RawRsa {
                namespace: "ns".into(),
                name: "name".into(),
                padding: "oaep-sha256".into(),
                pem_file: "k.pem".into()
            }
        );
    }

    #[test]
    fn malformed_specs_say_what_was_expected() {
        for bad in [
            "raw-aes:ns:name",
            "raw-aes::name:f",
            "kms:key",
            "nothing",
            "raw-rsa:ns:name:k.pem",
        ] {
            let msg = KeySpec::parse(bad).unwrap_err().to_string();
            assert!(
                msg.contains("expected") || msg.contains("not supported"),
                "{bad}: {msg}"
            );
        }
        assert!(parse_padding("oaep-md5").is_err());
    }
}
