//! Key identifiers as the KMS API accepts them.
//!
//! A `KeyId` request field takes any of four forms, parsed by
//! [`KeyIdentifier`]:
//!
//! | form        | example                                                             |
//! |-------------|---------------------------------------------------------------------|
//! | key id      | `1234abcd-12ab-34cd-56ef-1234567890ab`, `mrk-1234abcd12ab34cd56ef1234567890ab` |
//! | key ARN     | `arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab` |
//! | alias name  | `alias/ExampleAlias`                                                |
//! | alias ARN   | `arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias`             |
//!
//! Every type prints exactly the string it was parsed from (`Display` and
//! `FromStr` round-trip) and (de)serializes as that string.
//!
//! ```
//! use kms_protocol::ids::{AliasName, KeyArn, KeyId, KeyIdentifier};
//!
//! let id: KeyIdentifier = "alias/aws/s3".parse()?;
//! assert!(matches!(&id, KeyIdentifier::AliasName(a) if a.is_aws_managed()));
//!
//! let key: KeyId = "mrk-1234abcd12ab34cd56ef1234567890ab".parse()?;
//! assert!(key.is_multi_region());
//! let arn = KeyArn::new("cn-north-1", "111122223333", key)?;
//! assert_eq!(arn.to_string(), "arn:aws-cn:kms:cn-north-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab");
//! assert_eq!(arn.to_string().parse::<KeyIdentifier>()?, KeyIdentifier::KeyArn(arn));
//! # Ok::<(), kms_protocol::ids::IdError>(())
//! ```

use core::fmt;
use core::str::FromStr;

/// What a string was expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// A key id: a UUID or `mrk-` + 32 hex digits.
    KeyId,
    /// A key ARN, `arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID`.
    KeyArn,
    /// An alias name, `alias/NAME`.
    AliasName,
    /// An alias ARN, `arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME`.
    AliasArn,
    /// Any of the four forms.
    KeyIdentifier,
    /// A 12-digit AWS account id.
    AccountId,
    /// A region name such as `us-east-1`.
    Region,
    /// A partition name such as `aws`.
    Partition,
}

impl Expected {
    fn describe(self) -> &'static str {
        match self {
            Expected::KeyId => {
                "key id (a lowercase UUID, or mrk- followed by 32 lowercase hex digits)"
            }
            Expected::KeyArn => "key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID)",
            Expected::AliasName => "alias name (alias/ followed by 1-250 of a-z A-Z 0-9 / _ -)",
            Expected::AliasArn => "alias ARN (arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME)",
            Expected::KeyIdentifier => "key id, key ARN, alias name or alias ARN",
            Expected::AccountId => "account id (12 digits)",
            Expected::Region => "region (such as us-east-1)",
            Expected::Partition => "partition (such as aws, aws-cn, aws-us-gov)",
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A string that is not the identifier it was parsed as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    /// What the string should have been.
    pub expected: Expected,
    /// The string given (cut to 300 characters).
    pub input: String,
}

impl IdError {
    fn new(expected: Expected, input: &str) -> Self {
        IdError {
            expected,
            input: input.chars().take(300).collect(),
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a valid {}", self.input, self.expected)
    }
}

impl std::error::Error for IdError {}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && is_lower_hex(g))
}

/// Whether `s` is a multi-region key id: `mrk-` and 32 lowercase hex digits.
fn is_mrk(s: &str) -> bool {
    s.strip_prefix("mrk-")
        .is_some_and(|hex| hex.len() == 32 && is_lower_hex(hex))
}

/// Whether `account` is an AWS account id: exactly 12 ASCII digits.
pub fn is_valid_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `region` is syntactically a region name, as the KMS model's
/// `RegionType` pattern `^([a-z]+-){2,3}\d+$` (at most 32 characters):
/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`.
pub fn is_valid_region(region: &str) -> bool {
    if region.len() > 32 {
        return false;
    }
    let Some((words, number)) = region.rsplit_once('-') else {
        return false;
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let words: Vec<&str> = words.split('-').collect();
    (2..=3).contains(&words.len())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Whether `partition` is syntactically a partition: `aws`, or `aws-` and
/// lowercase words (`aws-cn`, `aws-us-gov`, `aws-iso-b`, ...).
pub fn is_valid_partition(partition: &str) -> bool {
    partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|rest| {
            rest.len() <= 16
                && rest
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        })
}

/// The partition a region belongs to: `aws-cn` for `cn-*`, `aws-us-gov`
/// for `us-gov-*`, the isolated partitions for their regions
/// (`us-iso-*` → `aws-iso`, `us-isob-*` → `aws-iso-b`, `eu-isoe-*` →
/// `aws-iso-e`, `us-isof-*` → `aws-iso-f`), `aws-eusc` for `eusc-*`, and
/// `aws` for everything else.
pub fn partition_of_region(region: &str) -> &'static str {
    const TABLE: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
        ("eusc-", "aws-eusc"),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// Implements `Display`, `FromStr` (through `parse`), `AsRef<str>` and
/// string serde for an identifier type.
macro_rules! string_form {
    ($ty:ident) => {
        impl FromStr for $ty {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $ty::parse(s)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $ty::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A key id: a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`) or a
/// multi-region key id (`mrk-` and 32 hex digits), lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Parses a key id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if is_uuid(s) || is_mrk(s) {
            Ok(KeyId(s.to_owned()))
        } else {
            Err(IdError::new(Expected::KeyId, s))
        }
    }

    /// Whether this is a multi-region key id (`mrk-...`).
    pub fn is_multi_region(&self) -> bool {
        self.0.starts_with("mrk-")
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for KeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

string_form!(KeyId);

/// The longest alias name, `alias/` included.
pub const MAX_ALIAS_NAME_LEN: usize = 256;

/// The prefix of the aliases AWS reserves for AWS managed keys.
pub const AWS_MANAGED_ALIAS_PREFIX: &str = "alias/aws/";

/// An alias name: `alias/` and one or more of `a-z A-Z 0-9 / _ -`, at most
/// 256 characters in all (AWS's pattern `^alias/[a-zA-Z0-9/_-]+$`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AliasName(String);

impl AliasName {
    /// Parses an alias name.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let valid = s.len() <= MAX_ALIAS_NAME_LEN
            && s.strip_prefix("alias/").is_some_and(|name| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'))
            });
        if valid {
            Ok(AliasName(s.to_owned()))
        } else {
            Err(IdError::new(Expected::AliasName, s))
        }
    }

    /// Whether the name is reserved for AWS managed keys (`alias/aws/...`);
    /// CreateAlias, UpdateAlias and DeleteAlias refuse such names.
    pub fn is_aws_managed(&self) -> bool {
        self.0.starts_with(AWS_MANAGED_ALIAS_PREFIX)
    }

    /// The full name, `alias/...`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without the `alias/` prefix.
    pub fn name(&self) -> &str {
        self.0.get("alias/".len()..).unwrap_or_default()
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AliasName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

string_form!(AliasName);

/// `arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE`, split and checked.
struct ArnParts<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn split_kms_arn(s: &str) -> Option<ArnParts<'_>> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn == "arn"
        && service == "kms"
        && is_valid_partition(partition)
        && is_valid_region(region)
        && is_valid_account_id(account))
    .then_some(ArnParts {
        partition,
        region,
        account,
        resource,
    })
}

fn check_region_account(region: &str, account: &str) -> Result<(), IdError> {
    if !is_valid_region(region) {
        return Err(IdError::new(Expected::Region, region));
    }
    if !is_valid_account_id(account) {
        return Err(IdError::new(Expected::AccountId, account));
    }
    Ok(())
}

/// A key ARN: `arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyArn {
    partition: String,
    region: String,
    account: String,
    key_id: KeyId,
}

impl KeyArn {
    /// The ARN of `key_id` in `region` and `account`, in the region's
    /// partition ([`partition_of_region`]).
    pub fn new(region: &str, account: &str, key_id: KeyId) -> Result<Self, IdError> {
        check_region_account(region, account)?;
        Ok(KeyArn {
            partition: partition_of_region(region).to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            key_id,
        })
    }

    /// Parses a key ARN.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let err = || IdError::new(Expected::KeyArn, s);
        let parts = split_kms_arn(s).ok_or_else(err)?;
        let id = parts.resource.strip_prefix("key/").ok_or_else(err)?;
        Ok(KeyArn {
            partition: parts.partition.to_owned(),
            region: parts.region.to_owned(),
            account: parts.account.to_owned(),
            key_id: KeyId::parse(id).map_err(|_| err())?,
        })
    }

    /// The partition, e.g. `aws`.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The region, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The 12-digit account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The key id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }
}

impl fmt::Display for KeyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:key/{}",
            self.partition, self.region, self.account, self.key_id
        )
    }
}

string_form!(KeyArn);

/// An alias ARN: `arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AliasArn {
    partition: String,
    region: String,
    account: String,
    alias: AliasName,
}

impl AliasArn {
    /// The ARN of `alias` in `region` and `account`, in the region's
    /// partition ([`partition_of_region`]).
    pub fn new(region: &str, account: &str, alias: AliasName) -> Result<Self, IdError> {
        check_region_account(region, account)?;
        Ok(AliasArn {
            partition: partition_of_region(region).to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            alias,
        })
    }

    /// Parses an alias ARN.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let err = || IdError::new(Expected::AliasArn, s);
        let parts = split_kms_arn(s).ok_or_else(err)?;
        Ok(AliasArn {
            partition: parts.partition.to_owned(),
            region: parts.region.to_owned(),
            account: parts.account.to_owned(),
            alias: AliasName::parse(parts.resource).map_err(|_| err())?,
        })
    }

    /// The partition, e.g. `aws`.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The region, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The 12-digit account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The alias name, `alias/...`.
    pub fn alias(&self) -> &AliasName {
        &self.alias
    }
}

impl fmt::Display for AliasArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:{}",
            self.partition, self.region, self.account, self.alias
        )
    }
}

string_form!(AliasArn);

/// Any of the forms a `KeyId` request field takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyIdentifier {
    /// `1234abcd-...` or `mrk-...`.
    KeyId(KeyId),
    /// `arn:...:key/...`.
    KeyArn(KeyArn),
    /// `alias/...`.
    AliasName(AliasName),
    /// `arn:...:alias/...`.
    AliasArn(AliasArn),
}

impl KeyIdentifier {
    /// Parses any of the four forms; the error names the form the string
    /// looked like (`arn:...:key/` → key ARN, `alias/` → alias name, ...).
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.starts_with("arn:") {
            let resource = s.splitn(6, ':').nth(5).unwrap_or_default();
            if resource.starts_with("key/") {
                KeyArn::parse(s).map(KeyIdentifier::KeyArn)
            } else if resource.starts_with("alias/") {
                AliasArn::parse(s).map(KeyIdentifier::AliasArn)
            } else {
                Err(IdError::new(Expected::KeyIdentifier, s))
            }
        } else if s.starts_with("alias/") {
            AliasName::parse(s).map(KeyIdentifier::AliasName)
        } else {
            KeyId::parse(s)
                .map(KeyIdentifier::KeyId)
                .map_err(|_| IdError::new(Expected::KeyIdentifier, s))
        }
    }

    /// Whether this names an alias (by name or ARN) rather than a key.
    pub fn is_alias(&self) -> bool {
        matches!(
            self,
            KeyIdentifier::AliasName(_) | KeyIdentifier::AliasArn(_)
        )
    }

    /// The key id, if this names a key (by id or ARN).
    pub fn key_id(&self) -> Option<&KeyId> {
        match self {
            KeyIdentifier::KeyId(id) => Some(id),
            KeyIdentifier::KeyArn(arn) => Some(arn.key_id()),
            _ => None,
        }
    }

    /// The alias name, if this names an alias (by name or ARN).
    pub fn alias_name(&self) -> Option<&AliasName> {
        match self {
            KeyIdentifier::AliasName(alias) => Some(alias),
            KeyIdentifier::AliasArn(arn) => Some(arn.alias()),
            _ => None,
        }
    }

    /// The region, if this is an ARN.
    pub fn region(&self) -> Option<&str> {
        match self {
            KeyIdentifier::KeyArn(arn) => Some(arn.region()),
            KeyIdentifier::AliasArn(arn) => Some(arn.region()),
            _ => None,
        }
    }

    /// The account id, if this is an ARN.
    pub fn account(&self) -> Option<&str> {
        match self {
            KeyIdentifier::KeyArn(arn) => Some(arn.account()),
            KeyIdentifier::AliasArn(arn) => Some(arn.account()),
            _ => None,
        }
    }
}

impl fmt::Display for KeyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyIdentifier::KeyId(v) => v.fmt(f),
            KeyIdentifier::KeyArn(v) => v.fmt(f),
            KeyIdentifier::AliasName(v) => v.fmt(f),
            KeyIdentifier::AliasArn(v) => v.fmt(f),
        }
    }
}

impl From<KeyId> for KeyIdentifier {
    fn from(v: KeyId) -> Self {
        KeyIdentifier::KeyId(v)
    }
}

impl From<KeyArn> for KeyIdentifier {
    fn from(v: KeyArn) -> Self {
        KeyIdentifier::KeyArn(v)
    }
}

impl From<AliasName> for KeyIdentifier {
    fn from(v: AliasName) -> Self {
        KeyIdentifier::AliasName(v)
    }
}

impl From<AliasArn> for KeyIdentifier {
    fn from(v: AliasArn) -> Self {
        KeyIdentifier::AliasArn(v)
    }
}

string_form!(KeyIdentifier);
