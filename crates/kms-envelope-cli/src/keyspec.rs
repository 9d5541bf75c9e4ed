//! `--wrapping-key` specifications, turned into keyrings.

use std::rc::Rc;

use anyhow::{Context, Result, bail};
use kms_client::{ConfigError, Overrides, RegionalClients};
use kms_envelope::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring, RsaPadding};
use kms_envelope::kms::{
    DiscoveryFilter, KmsArn, KmsClient, KmsKeyIdentifier, KmsMrkDiscoveryKeyring, KmsMrkKeyring,
    KmsResourceType, KmsRsaAlgorithm, KmsRsaKeyring, check_mrks_unique,
    kms_mrk_discovery_multi_keyring,
};
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
    /// `kms:KEY-ID`: a KMS key in any identifier form.
    Kms { key_id: String },
    /// `kms-discovery[:PARTITION:ACCOUNT[,ACCOUNT...]]`.
    KmsDiscovery {
        filter: Option<(String, Vec<String>)>,
    },
    /// `kms-rsa:ALGORITHM:KEY-ARN`.
    KmsRsa { algorithm: String, key_arn: String },
}

const FORMS: &str = "raw-aes:NAMESPACE:NAME:KEYFILE, raw-rsa:NAMESPACE:NAME:PADDING:PEMFILE, \
kms:KEY-ID, kms-discovery[:PARTITION:ACCOUNT[,ACCOUNT...]] or kms-rsa:ALGORITHM:KEY-ARN";

/// What the keyring is for: encrypting needs keys to wrap with, decrypting
/// needs keys a message's data keys can be matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Encrypt,
    Decrypt,
}

/// How to reach KMS, from the command line.
#[derive(Debug, Clone, Default)]
pub struct KmsOptions {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub discovery_regions: Vec<String>,
    pub grant_tokens: Vec<String>,
}

impl KeySpec {
    /// Parses one specification; the file path is the last field and may
    /// itself contain colons, as may a KMS ARN.
    pub fn parse(spec: &str) -> Result<Self> {
        let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
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
            "kms" => {
                KmsKeyIdentifier::parse(rest).map_err(|_| {
                    anyhow::anyhow!(
                        "wrapping key '{spec}': expected kms:KEY-ID with a key ARN, key id, alias/NAME or alias ARN"
                    )
                })?;
                Ok(KeySpec::Kms {
                    key_id: rest.into(),
                })
            }
            "kms-discovery" => {
                if spec == "kms-discovery" {
                    return Ok(KeySpec::KmsDiscovery { filter: None });
                }
                let (partition, accounts) = rest.split_once(':').unwrap_or((rest, ""));
                let accounts: Vec<String> = accounts.split(',').map(str::to_owned).collect();
                let valid_account =
                    |a: &String| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
                if partition.is_empty() || !accounts.iter().all(valid_account) {
                    bail!(
                        "wrapping key '{spec}': expected kms-discovery or kms-discovery:PARTITION:ACCOUNT[,ACCOUNT...] with 12-digit account ids"
                    );
                }
                Ok(KeySpec::KmsDiscovery {
                    filter: Some((partition.into(), accounts)),
                })
            }
            "kms-rsa" => {
                let Some((algorithm, key_arn)) = rest.split_once(':') else {
                    bail!("wrapping key '{spec}': expected kms-rsa:ALGORITHM:KEY-ARN");
                };
                parse_kms_rsa_algorithm(algorithm)?;
                KmsArn::parse_key_arn(key_arn).map_err(|_| {
                    anyhow::anyhow!(
                        "wrapping key '{spec}': kms-rsa needs the key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID)"
                    )
                })?;
                Ok(KeySpec::KmsRsa {
                    algorithm: algorithm.into(),
                    key_arn: key_arn.into(),
                })
            }
            other if rest.is_empty() && other == spec => {
                bail!("wrapping key '{spec}': expected {FORMS}")
            }
            other => bail!("wrapping key kind '{other}' is not supported: expected {FORMS}"),
        }
    }

    /// The region a KMS key ARN names, if any.
    fn arn_region(&self) -> Option<String> {
        match self {
            KeySpec::Kms { key_id } => KmsKeyIdentifier::parse(key_id)
                .ok()?
                .region()
                .map(str::to_owned),
            KeySpec::KmsRsa { key_arn, .. } => {
                KmsArn::parse(key_arn).ok().map(|a| a.region().to_owned())
            }
            _ => None,
        }
    }

    /// Reads the key file or sets up the KMS client, and builds the keyring.
    fn keyring(&self, purpose: Purpose, kms: &mut Kms) -> Result<Box<dyn Keyring>> {
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
            KeySpec::Kms { key_id } => {
                let identifier = KmsKeyIdentifier::parse(key_id)?;
                let is_key_arn = identifier
                    .arn()
                    .is_some_and(|a| a.resource_type() == KmsResourceType::Key);
                if purpose == Purpose::Decrypt && !is_key_arn {
                    bail!(
                        "wrapping key 'kms:{key_id}': to decrypt, name the key by its key ARN (messages record key ARNs), or use kms-discovery"
                    );
                }
                let client = kms.client(identifier.region())?;
                let keyring = KmsMrkKeyring::new(key_id, client, kms.options.grant_tokens.clone())?;
                Ok(Box::new(keyring))
            }
            KeySpec::KmsDiscovery { filter } => {
                if purpose == Purpose::Encrypt {
                    bail!(
                        "wrapping key 'kms-discovery' only decrypts; to encrypt, name a key with kms:KEY-ID"
                    );
                }
                let filter = filter
                    .as_ref()
                    .map(|(partition, accounts)| DiscoveryFilter::new(partition.as_str(), accounts))
                    .transpose()?;
                let grant_tokens = kms.options.grant_tokens.clone();
                if kms.options.discovery_regions.is_empty() {
                    let client = kms.client(None)?;
                    let keyring = KmsMrkDiscoveryKeyring::new(client, filter, grant_tokens)?;
                    return Ok(Box::new(keyring));
                }
                let regions = kms.options.discovery_regions.clone();
                let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
                let keyring = kms_mrk_discovery_multi_keyring(
                    &regions,
                    filter,
                    kms.supplier()?,
                    &grant_tokens,
                )?;
                Ok(Box::new(keyring))
            }
            KeySpec::KmsRsa { algorithm, key_arn } => {
                let algorithm = parse_kms_rsa_algorithm(algorithm)?;
                let region = KmsArn::parse(key_arn)?.region().to_owned();
                let client = kms.client(Some(&region))?;
                let keyring = KmsRsaKeyring::new(key_arn, algorithm)?
                    .with_client(client)
                    .with_grant_tokens(kms.options.grant_tokens.clone());
                Ok(Box::new(keyring))
            }
        }
    }
}

/// KMS clients, made when the first KMS key needs one.
struct Kms {
    options: KmsOptions,
    /// The region of the first key ARN, used when no region is configured.
    fallback_region: Option<String>,
    clients: Option<RegionalClients>,
}

impl Kms {
    fn client(&mut self, region: Option<&str>) -> Result<Rc<dyn KmsClient>> {
        let client = self
            .supplier()?
            .get(region)
            .context("cannot configure the KMS client")?;
        Ok(client)
    }

    /// The clients of every region, configured on first use.
    fn supplier(&mut self) -> Result<&RegionalClients> {
        if self.clients.is_none() {
            let mut overrides = Overrides {
                region: self.options.region.clone(),
                endpoint: self.options.endpoint_url.clone(),
                profile: self.options.profile.clone(),
            };
            let config = match kms_client::ClientConfig::from_env(&overrides) {
                Err(ConfigError::NoRegion) if self.fallback_region.is_some() => {
                    overrides.region = self.fallback_region.clone();
                    kms_client::ClientConfig::from_env(&overrides)
                }
                other => other,
            }
            .context("cannot configure the KMS client")?;
            self.clients = Some(RegionalClients::new(config));
        }
        self.clients
            .as_ref()
            .context("KMS clients were just configured")
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

/// `oaep-sha1` / `oaep-sha256`, or KMS's own names.
fn parse_kms_rsa_algorithm(name: &str) -> Result<KmsRsaAlgorithm> {
    Ok(match name {
        "oaep-sha1" | "RSAES_OAEP_SHA_1" => KmsRsaAlgorithm::OaepSha1,
        "oaep-sha256" | "RSAES_OAEP_SHA_256" => KmsRsaAlgorithm::OaepSha256,
        other => bail!(
            "KMS RSA algorithm '{other}': expected oaep-sha1 or oaep-sha256 (RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256)"
        ),
    })
}

/// The keyring for all `--wrapping-key` specifications: the first generates
/// the data key, every one encrypts it; any one may decrypt.
pub fn keyring(
    specs: &[String],
    purpose: Purpose,
    options: &KmsOptions,
) -> Result<Box<dyn Keyring>> {
    let parsed = specs
        .iter()
        .map(|s| KeySpec::parse(s))
        .collect::<Result<Vec<_>>>()?;
    // The same multi-Region key twice would leave the replica to call
    // ambiguous.
    let kms_ids: Vec<&str> = parsed
        .iter()
        .filter_map(|s| match s {
            KeySpec::Kms { key_id } => Some(key_id.as_str()),
            _ => None,
        })
        .collect();
    check_mrks_unique(kms_ids)?;
    let mut kms = Kms {
        options: options.clone(),
        fallback_region: parsed
            .iter()
            .find_map(KeySpec::arn_region)
            .or_else(|| options.discovery_regions.first().cloned()),
        clients: None,
    };
    let mut keyrings = parsed
        .iter()
        .map(|s| s.keyring(purpose, &mut kms))
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

    const ARN: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

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
    fn kms_specs_parse_every_key_id_form() {
        for id in [
            ARN,
            "1234abcd",
            "mrk-1234",
            "alias/app",
            "arn:aws:kms:us-west-2:111122223333:alias/app",
        ] {
            assert_eq!(
                KeySpec::parse(&format!("kms:{id}")).unwrap(),
                KeySpec::Kms { key_id: id.into() }
            );
        }
        assert_eq!(
            KeySpec::parse("kms-discovery").unwrap(),
            KeySpec::KmsDiscovery { filter: None }
        );
        assert_eq!(
            KeySpec::parse("kms-discovery:aws:111122223333,444455556666").unwrap(),
            KeySpec::KmsDiscovery {
                filter: Some((
                    "aws".into(),
                    vec!["111122223333".into(), "444455556666".into()]
                ))
            }
        );
        assert_eq!(
            KeySpec::parse(&format!("kms-rsa:oaep-sha256:{ARN}")).unwrap(),
            KeySpec::KmsRsa {
                algorithm: "oaep-sha256".into(),
                key_arn: ARN.into()
            }
        );
        assert_eq!(
            KeySpec::parse(&format!("kms:{ARN}"))
                .unwrap()
                .arn_region()
                .as_deref(),
            Some("us-west-2")
        );
    }

    #[test]
    fn malformed_specs_say_what_was_expected() {
        for bad in [
            "raw-aes:ns:name",
            "raw-aes::name:f",
            "kms:",
            "kms:a b",
            "kms:arn:aws:kms:x",
            "kms-discovery:",
            "kms-discovery:aws",
            "kms-discovery:aws:123",
            "kms-discovery:aws:111122223333,",
            "kms-rsa:oaep-sha256:alias/x",
            "kms-rsa:pkcs1:arn:aws:kms:us-east-1:111122223333:key/k",
            "kms-rsa",
            "kmsx:key",
            "nothing",
            "raw-rsa:ns:name:k.pem",
        ] {
            let msg = KeySpec::parse(bad).unwrap_err().to_string();
            assert!(
                msg.contains("expected") || msg.contains("not supported") || msg.contains("needs"),
                "{bad}: {msg}"
            );
        }
        assert!(parse_padding("oaep-md5").is_err());
    }

    #[test]
    fn purpose_rules_are_checked_before_any_kms_call() {
        let options = KmsOptions {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("us-east-1".into()),
            ..KmsOptions::default()
        };
        let err = |specs: &[&str], purpose| {
            let specs: Vec<String> = specs.iter().map(|s| (*s).to_owned()).collect();
            match keyring(&specs, purpose, &options) {
                Ok(_) => panic!("{specs:?} accepted"),
                Err(e) => e.to_string(),
            }
        };
        assert!(err(&["kms-discovery"], Purpose::Encrypt).contains("only decrypts"));
        assert!(err(&["kms:alias/app"], Purpose::Decrypt).contains("key ARN"));
        assert!(err(&["kms:1234abcd"], Purpose::Decrypt).contains("key ARN"));
        let east = "arn:aws:kms:us-east-1:111122223333:key/mrk-1";
        let west = "arn:aws:kms:us-west-2:111122223333:key/mrk-1";
        let twice = err(
            &[&format!("kms:{east}"), &format!("kms:{west}")],
            Purpose::Encrypt,
        );
        assert!(twice.contains("more than once"), "{twice}");
    }
}
