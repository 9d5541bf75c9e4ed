//! Key identifiers: every form KMS accepts parses, prints back unchanged,
//! and everything else is rejected with the form that was expected.

// Test helpers outside #[test] functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kms_protocol::ids::*;
use proptest::prelude::*;

const UUID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const MRK: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

#[test]
fn parses_every_form() {
    let cases = [
        (UUID, "KeyId"),
        (MRK, "KeyId"),
        (
            "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "KeyArn",
        ),
        (
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            "KeyArn",
        ),
        ("alias/ExampleAlias", "AliasName"),
        ("alias/aws/s3", "AliasName"),
        ("alias/a/b_c-D9", "AliasName"),
        (
            "arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias",
            "AliasArn",
        ),
        (
            "arn:aws-cn:kms:cn-north-1:111122223333:alias/aws/ebs",
            "AliasArn",
        ),
    ];
    for (s, kind) in cases {
        let id = KeyIdentifier::parse(s).unwrap();
        let got = match &id {
            KeyIdentifier::KeyId(_) => "KeyId",
            KeyIdentifier::KeyArn(_) => "KeyArn",
            KeyIdentifier::AliasName(_) => "AliasName",
            KeyIdentifier::AliasArn(_) => "AliasArn",
        };
        assert_eq!(got, kind, "{s}");
        assert_eq!(id.to_string(), s);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<KeyIdentifier>(&json).unwrap(), id);
    }
}

#[test]
fn rejects_with_the_expected_form() {
    let cases = [
        ("", Expected::KeyIdentifier),
        (
            "1234ABCD-12ab-34cd-56ef-1234567890ab",
            Expected::KeyIdentifier,
        ),
        (
            "1234abcd-12ab-34cd-56ef-1234567890a",
            Expected::KeyIdentifier,
        ),
        ("1234abcd12ab34cd56ef1234567890ab", Expected::KeyIdentifier),
        (
            "1234abcd-12ab-34cd-56ef-1234567890ab-",
            Expected::KeyIdentifier,
        ),
        (
            "mrk-1234abcd12ab34cd56ef1234567890a",
            Expected::KeyIdentifier,
        ),
        (
            "mrk-1234ABCD12ab34cd56ef1234567890ab",
            Expected::KeyIdentifier,
        ),
        (
            "mrk-1234abcd-12ab-34cd-56ef-1234567890ab",
            Expected::KeyIdentifier,
        ),
        ("alias/", Expected::AliasName),
        ("alias/bad name", Expected::AliasName),
        ("alias/bad:name", Expected::AliasName),
        ("alias/ünicode", Expected::AliasName),
        (
            "arn:aws:kms:us-east-2:111122223333:key/nope",
            Expected::KeyArn,
        ),
        (
            "arn:aws:kms:us-east-2:11112222333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            Expected::KeyArn,
        ),
        (
            "arn:aws:kms:useast2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            Expected::KeyArn,
        ),
        (
            "arn:aws:s3:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            Expected::KeyArn,
        ),
        (
            "arn:gcp:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            Expected::KeyArn,
        ),
        (
            "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab:x",
            Expected::KeyArn,
        ),
        (
            "arn:aws:kms:us-east-2:111122223333:alias/",
            Expected::AliasArn,
        ),
        (
            "arn:aws:kms:us-east-2:111122223333:alias/a:b",
            Expected::AliasArn,
        ),
        (
            "arn:aws:kms:us-east-2:111122223333:grant/x",
            Expected::KeyIdentifier,
        ),
        ("arn:aws:kms", Expected::KeyIdentifier),
    ];
    for (s, expected) in cases {
        let err = KeyIdentifier::parse(s).unwrap_err();
        assert_eq!(err.expected, expected, "{s}");
        assert_eq!(err.input, s);
        assert!(err.to_string().contains("is not a valid"));
    }
    let long = format!("alias/{}", "a".repeat(250));
    assert!(AliasName::parse(&long).is_ok());
    assert!(AliasName::parse(&format!("{long}a")).is_err());
    assert_eq!(
        KeyIdentifier::parse(&"x".repeat(1000))
            .unwrap_err()
            .input
            .len(),
        300
    );
}

#[test]
fn helpers() {
    assert!(is_valid_account_id("111122223333"));
    assert!(!is_valid_account_id("11112222333"));
    assert!(!is_valid_account_id("1111222233334"));
    assert!(!is_valid_account_id("11112222333a"));
    for r in [
        "us-east-1",
        "us-gov-west-1",
        "cn-north-1",
        "eusc-de-east-1",
        "ap-southeast-5",
    ] {
        assert!(is_valid_region(r), "{r}");
    }
    for r in [
        "",
        "us",
        "us-east",
        "useast-1",
        "us-east-",
        "-east-1",
        "US-EAST-1",
        "a-b-c-d-1",
        "us-east-1a",
        "us--east-1",
    ] {
        assert!(!is_valid_region(r), "{r}");
    }
    assert_eq!(partition_of_region("us-east-1"), "aws");
    assert_eq!(partition_of_region("cn-northwest-1"), "aws-cn");
    assert_eq!(partition_of_region("us-gov-east-1"), "aws-us-gov");
    assert_eq!(partition_of_region("us-iso-east-1"), "aws-iso");
    assert_eq!(partition_of_region("us-isob-east-1"), "aws-iso-b");
    assert_eq!(partition_of_region("eu-west-1"), "aws");
    assert!(is_valid_partition("aws-us-gov"));
    assert!(!is_valid_partition("aws-"));
    assert!(!is_valid_partition("awscn"));

    let key = KeyId::parse(UUID).unwrap();
    assert!(!key.is_multi_region());
    let arn = KeyArn::new("us-gov-west-1", "111122223333", key.clone()).unwrap();
    assert_eq!(
        arn.to_string(),
        format!("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/{UUID}")
    );
    assert_eq!(arn.partition(), "aws-us-gov");
    assert_eq!(arn.key_id(), &key);
    assert_eq!(
        KeyArn::new("nowhere", "111122223333", key.clone())
            .unwrap_err()
            .expected,
        Expected::Region
    );
    assert_eq!(
        KeyArn::new("us-east-1", "1", key).unwrap_err().expected,
        Expected::AccountId
    );
    let alias = AliasName::parse("alias/aws/kms").unwrap();
    assert!(alias.is_aws_managed());
    assert_eq!(alias.name(), "aws/kms");
    assert!(!AliasName::parse("alias/awsome").unwrap().is_aws_managed());
    let arn = AliasArn::new("eu-west-1", "111122223333", alias.clone()).unwrap();
    assert_eq!(
        arn.to_string(),
        "arn:aws:kms:eu-west-1:111122223333:alias/aws/kms"
    );
    let id = KeyIdentifier::from(arn);
    assert!(id.is_alias());
    assert_eq!(id.alias_name(), Some(&alias));
    assert_eq!(id.region(), Some("eu-west-1"));
    assert_eq!(id.account(), Some("111122223333"));
    assert_eq!(id.key_id(), None);
    assert!(serde_json::from_str::<KeyId>("\"alias/x\"").is_err());
}

fn hex(len: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9a-f]{{{len}}}")).unwrap()
}

fn any_identifier() -> impl Strategy<Value = String> {
    let uuid = (hex(8), hex(4), hex(4), hex(4), hex(12))
        .prop_map(|(a, b, c, d, e)| format!("{a}-{b}-{c}-{d}-{e}"));
    let mrk = hex(32).prop_map(|h| format!("mrk-{h}"));
    let key_id = prop_oneof![uuid, mrk];
    let alias = "alias/[a-zA-Z0-9/_-]{1,250}";
    let region = "[a-z]{2,4}-([a-z]{1,9}-){1,2}[0-9]{1,2}";
    let account = "[0-9]{12}";
    prop_oneof![
        key_id.clone(),
        alias.prop_map(|a| a),
        (region, account, key_id)
            .prop_map(|(r, a, k)| format!("arn:{}:kms:{r}:{a}:key/{k}", partition_of_region(&r))),
        (region, account, alias)
            .prop_map(|(r, a, n)| format!("arn:{}:kms:{r}:{a}:{n}", partition_of_region(&r))),
    ]
}

proptest! {
    #[test]
    fn valid_identifiers_round_trip(s in any_identifier()) {
        let id = KeyIdentifier::parse(&s).unwrap();
        prop_assert_eq!(id.to_string(), s);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,80}") {
        if let Ok(id) = KeyIdentifier::parse(&s) {
            prop_assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn arn_like_never_panics(s in "arn:[a-z-]{0,12}:(kms|s3)?:[a-z0-9-]{0,16}:[0-9]{0,13}:(key|alias)?/?[\\PC]{0,40}") {
        if let Ok(id) = KeyIdentifier::parse(&s) {
            prop_assert_eq!(id.to_string(), s);
        }
    }
}
