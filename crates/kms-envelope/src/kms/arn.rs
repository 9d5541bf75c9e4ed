//! AWS KMS key identifiers and ARNs as the Encryption SDK reads them
//! (framework/aws-kms/aws-kms-key-arn.md), multi-Region key matching
//! (aws-kms-mrk-match-for-decrypt.md) and the discovery filter.
//!
//! Provider info in a message is untrusted input: every parser here returns
//! a typed error for any string and never panics.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::error::Error;

/// The longest key identifier accepted, in bytes (KMS's `KeyId` limit).
pub const MAX_KEY_ID_LEN: usize = 2048;

/// The resource type of a KMS ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KmsResourceType {
    /// `key/<key id>`.
    Key,
    /// `alias/<alias name>`.
    Alias,
}

impl KmsResourceType {
    /// The type as written in an ARN.
    pub const fn as_str(self) -> &'static str {
        match self {
            KmsResourceType::Key => "key",
            KmsResourceType::Alias => "alias",
        }
    }
}

/// A parsed KMS ARN: `arn:<partition>:kms:<region>:<account>:<type>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KmsArn {
    partition: String,
    region: String,
    account: String,
    resource_type: KmsResourceType,
    resource_id: String,
}

/// Why a string is not a KMS ARN or identifier.
const NOT_AN_ARN: Error = Error::InvalidArgument(
    "not a KMS ARN: expected arn:<partition>:kms:<region>:<account>:key/<id>",
);

impl KmsArn {
    /// Parses a KMS ARN: six `:`-separated parts, `arn`, a non-empty
    /// partition, `kms`, non-empty region and account, and a resource
    /// `key/<id>` or `alias/<name>` (further `/` belong to the id).
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.len() > MAX_KEY_ID_LEN {
            return Err(NOT_AN_ARN);
        }
        let mut parts = s.split(':');
        let (
            Some("arn"),
            Some(partition),
            Some("kms"),
            Some(region),
            Some(account),
            Some(resource),
            None,
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(NOT_AN_ARN);
        };
        if partition.is_empty() || region.is_empty() || account.is_empty() {
            return Err(NOT_AN_ARN);
        }
        let Some((resource_type, resource_id)) = resource.split_once('/') else {
            return Err(NOT_AN_ARN);
        };
        let resource_type = match resource_type {
            "key" => KmsResourceType::Key,
            "alias" => KmsResourceType::Alias,
            _ => return Err(NOT_AN_ARN),
        };
        if resource_id.is_empty() {
            return Err(NOT_AN_ARN);
        }
        Ok(KmsArn {
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
            resource_type,
            resource_id: resource_id.into(),
        })
    }

    /// Parses a key ARN (resource type `key`), as provider info must be.
    pub fn parse_key_arn(s: &str) -> Result<Self, Error> {
        let arn = Self::parse(s)?;
        if arn.resource_type != KmsResourceType::Key {
            return Err(Error::InvalidArgument(
                "not a KMS key ARN: the resource type is alias, expected key",
            ));
        }
        Ok(arn)
    }

    /// The partition, e.g. `aws`.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The region, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// `key` or `alias`.
    pub fn resource_type(&self) -> KmsResourceType {
        self.resource_type
    }

    /// The key id or alias name (without `key/` or `alias/`).
    pub fn resource_id(&self) -> &str {
        &self.resource_id
    }

    /// Whether this is a multi-Region key ARN: resource type `key` and a
    /// key id starting with `mrk-` (an alias is never one).
    pub fn is_multi_region_key(&self) -> bool {
        self.resource_type == KmsResourceType::Key && self.resource_id.starts_with("mrk-")
    }

    /// The same ARN in another region (how a multi-Region key's replica is
    /// named).
    pub fn with_region(&self, region: &str) -> KmsArn {
        KmsArn {
            region: region.into(),
            ..self.clone()
        }
    }
}

impl fmt::Display for KmsArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:{}/{}",
            self.partition,
            self.region,
            self.account,
            self.resource_type.as_str(),
            self.resource_id
        )
    }
}

/// A KMS key identifier in any form KMS accepts: key ARN, alias ARN,
/// `alias/<name>`, or a bare key id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KmsKeyIdentifier {
    /// A key or alias ARN.
    Arn(KmsArn),
    /// `alias/<name>`.
    AliasName(String),
    /// A key id such as `1234abcd-12ab-34cd-56ef-1234567890ab` or
    /// `mrk-4321abcd12ab34cd56ef1234567890ab`.
    KeyId(String),
}

impl KmsKeyIdentifier {
    /// Parses any identifier form. Strings starting with `arn:` must be valid
    /// KMS ARNs; `alias/` needs a name after it; a bare key id must be
    /// non-empty and contain neither `:` nor `/`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        const BAD_ID: Error = Error::InvalidArgument(
            "not a KMS key identifier: expected a key ARN, alias ARN, alias/<name> or key id",
        );
        if s.is_empty() || s.len() > MAX_KEY_ID_LEN {
            return Err(BAD_ID);
        }
        if s.starts_with("arn:") {
            return KmsArn::parse(s).map(KmsKeyIdentifier::Arn);
        }
        if let Some(name) = s.strip_prefix("alias/") {
            if name.is_empty() {
                return Err(BAD_ID);
            }
            return Ok(KmsKeyIdentifier::AliasName(s.into()));
        }
        if s.contains([':', '/']) || s.chars().any(char::is_whitespace) {
            return Err(BAD_ID);
        }
        Ok(KmsKeyIdentifier::KeyId(s.into()))
    }

    /// Whether this identifies a multi-Region key: an ARN whose key id, or a
    /// bare key id that, starts with `mrk-`. Aliases never do, whatever
    /// their name.
    pub fn is_multi_region_key(&self) -> bool {
        match self {
            KmsKeyIdentifier::Arn(arn) => arn.is_multi_region_key(),
            KmsKeyIdentifier::AliasName(_) => false,
            KmsKeyIdentifier::KeyId(id) => id.starts_with("mrk-"),
        }
    }

    /// Whether this is an alias (name or ARN).
    pub fn is_alias(&self) -> bool {
        match self {
            KmsKeyIdentifier::Arn(arn) => arn.resource_type == KmsResourceType::Alias,
            KmsKeyIdentifier::AliasName(_) => true,
            KmsKeyIdentifier::KeyId(_) => false,
        }
    }

    /// The ARN, if this identifier is one.
    pub fn arn(&self) -> Option<&KmsArn> {
        match self {
            KmsKeyIdentifier::Arn(arn) => Some(arn),
            _ => None,
        }
    }

    /// The region named by an ARN identifier (`None` for the other forms,
    /// which resolve in the client's region).
    pub fn region(&self) -> Option<&str> {
        self.arn().map(KmsArn::region)
    }
}

impl fmt::Display for KmsKeyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KmsKeyIdentifier::Arn(arn) => arn.fmt(f),
            KmsKeyIdentifier::AliasName(s) | KmsKeyIdentifier::KeyId(s) => f.write_str(s),
        }
    }
}

/// Whether a configured identifier and a message's key ARN name the same
/// key for decryption: identical strings, or two multi-Region key ARNs equal
/// in everything but the region (aws-kms-mrk-match-for-decrypt.md).
pub fn mrk_match_for_decrypt(configured: &str, message: &str) -> bool {
    if configured == message {
        return true;
    }
    match (KmsArn::parse(configured), KmsArn::parse(message)) {
        (Ok(a), Ok(b)) => {
            a.is_multi_region_key()
                && b.is_multi_region_key()
                && a.partition == b.partition
                && a.account == b.account
                && a.resource_type == b.resource_type
                && a.resource_id == b.resource_id
        }
        // A bare `mrk-` key id carries no partition or account to compare.
        _ => false,
    }
}

/// Refuses identifiers naming the same multi-Region key more than once (in
/// any region), which would leave it ambiguous which replica to call
/// (aws-kms-mrk-are-unique.md). The error lists every duplicate.
pub fn check_mrks_unique<'a>(identifiers: impl IntoIterator<Item = &'a str>) -> Result<(), Error> {
    let mrk_ids: Vec<(&str, String)> = identifiers
        .into_iter()
        .filter_map(|s| {
            let id = KmsKeyIdentifier::parse(s).ok()?;
            if !id.is_multi_region_key() {
                return None;
            }
            let key_id = match &id {
                KmsKeyIdentifier::Arn(arn) => arn.resource_id.clone(),
                KmsKeyIdentifier::KeyId(k) => k.clone(),
                KmsKeyIdentifier::AliasName(_) => return None,
            };
            Some((s, key_id))
        })
        .collect();
    let duplicates: Vec<&str> = mrk_ids
        .iter()
        .filter(|(_, key)| mrk_ids.iter().filter(|(_, k)| k == key).count() > 1)
        .map(|(s, _)| *s)
        .collect();
    if duplicates.is_empty() {
        Ok(())
    } else {
        Err(Error::Keyring(crate::error::KeyringFailure::new(
            "aws-kms",
            alloc::format!(
                "multi-Region key configured more than once, ambiguous which region to use: {}",
                duplicates.join(", ")
            ),
        )))
    }
}

/// Which key ARNs a discovery keyring may call KMS with: one partition and
/// a set of accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryFilter {
    partition: String,
    account_ids: Vec<String>,
}

impl DiscoveryFilter {
    /// A filter for `partition` (e.g. `aws`) and at least one account id.
    pub fn new<S: Into<String>>(
        partition: impl Into<String>,
        account_ids: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        let partition = partition.into();
        let account_ids: Vec<String> = account_ids.into_iter().map(Into::into).collect();
        if partition.is_empty() {
            return Err(Error::InvalidArgument(
                "discovery filter needs a non-empty partition",
            ));
        }
        if account_ids.is_empty() || account_ids.iter().any(String::is_empty) {
            return Err(Error::InvalidArgument(
                "discovery filter needs at least one account id, none empty",
            ));
        }
        Ok(DiscoveryFilter {
            partition,
            account_ids,
        })
    }

    /// The partition.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The accounts.
    pub fn account_ids(&self) -> &[String] {
        &self.account_ids
    }

    /// Whether `arn` is in the partition and one of the accounts.
    pub fn allows(&self, arn: &KmsArn) -> bool {
        arn.partition == self.partition && self.account_ids.contains(&arn.account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const MRK_EAST: &str = "arn:aws:kms:us-east-1:111122223333:key/mrk-4321abcd";
    const MRK_WEST: &str = "arn:aws:kms:us-west-2:111122223333:key/mrk-4321abcd";

    #[test]
    fn valid_arns_parse_into_their_parts() {
        let arn = KmsArn::parse(KEY).unwrap();
        assert_eq!(arn.partition(), "aws");
        assert_eq!(arn.region(), "us-east-1");
        assert_eq!(arn.account(), "111122223333");
        assert_eq!(arn.resource_type(), KmsResourceType::Key);
        assert_eq!(arn.resource_id(), "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(arn.to_string(), KEY);
        // Further slashes belong to the resource id.
        let alias = KmsArn::parse("arn:aws-cn:kms:cn-north-1:1:alias/team/app").unwrap();
        assert_eq!(alias.resource_type(), KmsResourceType::Alias);
        assert_eq!(alias.resource_id(), "team/app");
        assert!(KmsArn::parse_key_arn("arn:aws:kms:r:1:alias/a").is_err());
    }

    #[test]
    fn each_arn_rule_is_enforced() {
        for bad in [
            "",
            "arn",
            "arn:aws:kms:us-east-1:111122223333",
            "arx:aws:kms:us-east-1:111122223333:key/k",
            "arn::kms:us-east-1:111122223333:key/k",
            "arn:aws:s3:us-east-1:111122223333:key/k",
            "arn:aws:kms::111122223333:key/k",
            "arn:aws:kms:us-east-1::key/k",
            "arn:aws:kms:us-east-1:111122223333:",
            "arn:aws:kms:us-east-1:111122223333:key",
            "arn:aws:kms:us-east-1:111122223333:key/",
            "arn:aws:kms:us-east-1:111122223333:grant/k",
            "arn:aws:kms:us-east-1:111122223333:key/k:extra",
        ] {
            assert!(KmsArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_of_every_form() {
        assert!(matches!(
            KmsKeyIdentifier::parse(KEY),
            Ok(KmsKeyIdentifier::Arn(_))
        ));
        assert!(matches!(
            KmsKeyIdentifier::parse("alias/app"),
            Ok(KmsKeyIdentifier::AliasName(_))
        ));
        assert!(matches!(
            KmsKeyIdentifier::parse("1234abcd"),
            Ok(KmsKeyIdentifier::KeyId(_))
        ));
        for bad in ["", "alias/", "arn:aws:kms:x", "a/b", "a:b", "a b"] {
            assert!(KmsKeyIdentifier::parse(bad).is_err(), "{bad}");
        }
        let long = "k".repeat(MAX_KEY_ID_LEN + 1);
        assert!(KmsKeyIdentifier::parse(&long).is_err());
    }

    #[test]
    fn multi_region_identification() {
        let mrk = |s| KmsKeyIdentifier::parse(s).unwrap().is_multi_region_key();
        assert!(mrk(MRK_EAST));
        assert!(mrk("mrk-4321abcd"));
        assert!(!mrk(KEY));
        assert!(!mrk("alias/mrk-lookalike"));
        assert!(!mrk(
            "arn:aws:kms:us-east-1:111122223333:alias/mrk-lookalike"
        ));
        assert!(!mrk("1234abcd"));
        assert!(KmsKeyIdentifier::parse("alias/x").unwrap().is_alias());
    }

    #[test]
    fn mrk_match_ignores_only_the_region_of_multi_region_keys() {
        assert!(mrk_match_for_decrypt(KEY, KEY));
        assert!(mrk_match_for_decrypt(MRK_EAST, MRK_WEST));
        assert!(mrk_match_for_decrypt(MRK_WEST, MRK_EAST));
        // Single-region keys must match exactly.
        let key_west = KEY.replace("us-east-1", "us-west-2");
        assert!(!mrk_match_for_decrypt(KEY, &key_west));
        // Every other part still counts.
        for other in [
            MRK_WEST.replace("111122223333", "444455556666"),
            MRK_WEST.replace("arn:aws:", "arn:aws-cn:"),
            MRK_WEST.replace("mrk-4321abcd", "mrk-99"),
        ] {
            assert!(!mrk_match_for_decrypt(MRK_EAST, &other), "{other}");
        }
        // A bare mrk id has nothing to compare but itself.
        assert!(!mrk_match_for_decrypt("mrk-4321abcd", MRK_EAST));
        assert!(mrk_match_for_decrypt("mrk-4321abcd", "mrk-4321abcd"));
    }

    #[test]
    fn duplicate_multi_region_keys_are_refused_and_all_listed() {
        assert!(check_mrks_unique([KEY, MRK_EAST, "alias/a"]).is_ok());
        let key_west = KEY.replace("us-east-1", "us-west-2");
        assert!(check_mrks_unique([KEY, key_west.as_str()]).is_ok());
        let err = check_mrks_unique([MRK_EAST, KEY, MRK_WEST, "mrk-4321abcd"]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(MRK_EAST) && text.contains(MRK_WEST));
        assert!(text.contains("mrk-4321abcd,") || text.ends_with("mrk-4321abcd"));
    }

    #[test]
    fn discovery_filter_checks_partition_and_account() {
        let filter = DiscoveryFilter::new("aws", ["111122223333"]).unwrap();
        assert!(filter.allows(&KmsArn::parse(KEY).unwrap()));
        assert!(!filter.allows(&KmsArn::parse(&KEY.replace("111122223333", "9")).unwrap()));
        assert!(!filter.allows(&KmsArn::parse(&KEY.replace(":aws:", ":aws-cn:")).unwrap()));
        assert!(DiscoveryFilter::new("", ["1"]).is_err());
        assert!(DiscoveryFilter::new("aws", Vec::<String>::new()).is_err());
        assert!(DiscoveryFilter::new("aws", [""]).is_err());
    }

    proptest! {
        #[test]
        fn any_string_parses_or_errs_and_valid_arns_round_trip(s in ".{0,80}") {
            let _ = KmsKeyIdentifier::parse(&s);
            if let Ok(arn) = KmsArn::parse(&s) {
                prop_assert_eq!(arn.to_string(), s);
            }
        }

        #[test]
        fn generated_arns_round_trip(
            partition in "[a-z-]{1,10}",
            region in "[a-z0-9-]{1,15}",
            account in "[0-9]{1,12}",
            key in "(mrk-)?[a-zA-Z0-9/_-]{1,40}",
            other_region in "[a-z0-9-]{1,15}",
        ) {
            let s = alloc::format!("arn:{partition}:kms:{region}:{account}:key/{key}");
            let arn = KmsArn::parse(&s).unwrap();
            prop_assert_eq!(arn.to_string(), s.clone());
            let moved = arn.with_region(&other_region).to_string();
            prop_assert_eq!(
                mrk_match_for_decrypt(&s, &moved),
                key.starts_with("mrk-") || region == other_region
            );
        }
    }
}
