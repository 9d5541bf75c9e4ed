//! Every KMS keyring over the HTTP client against a real kms-server: round
//! trips with real keys, and the error kinds a caller sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::rc::Rc;

use common::{ACCOUNT, REGION, Server, dyn_client};
use kms_client::{ClientConfig, KmsHttpClient, RegionalClients};
use kms_envelope::cmm::DefaultMaterialsManager;
use kms_envelope::keyring::Keyring;
use kms_envelope::kms::{
    DiscoveryFilter, KmsDiscoveryKeyring, KmsKeyring, KmsMrkDiscoveryKeyring, KmsMrkKeyring,
    KmsRsaAlgorithm, KmsRsaKeyring, kms_discovery_multi_keyring, kms_multi_keyring,
};
use kms_envelope::{
    AlgorithmSuiteId, DecryptOptions, EncryptOptions, EncryptionContext, Error, ErrorCode, decrypt,
    encrypt,
};
use kms_protocol::sigv4::Credentials;
use serde_json::json;

const SUITES: [AlgorithmSuiteId; 2] = [
    AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
    AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
];

fn ctx() -> EncryptionContext {
    EncryptionContext::from_caller([("purpose", "test"), ("tenant", "42")]).unwrap()
}

fn seal(keyring: impl Keyring + 'static, suite: AlgorithmSuiteId) -> Result<Vec<u8>, Error> {
    let cmm = DefaultMaterialsManager::new(keyring);
    let options = EncryptOptions::default().with_suite(suite);
    pollster::block_on(encrypt(&cmm, b"attack at dawn", &ctx(), &options)).map(|m| m.ciphertext)
}

fn open(keyring: impl Keyring + 'static, message: &[u8]) -> Result<Vec<u8>, Error> {
    let cmm = DefaultMaterialsManager::new(keyring);
    pollster::block_on(decrypt(&cmm, message, &DecryptOptions::default())).map(|o| o.plaintext)
}

#[test]
fn kms_keyring_round_trips_with_every_key_id_form() {
    let server = Server::start();
    let client = server.client(REGION);
    let arn = server.create_key(REGION, "SYMMETRIC_DEFAULT");
    let key_id = arn.rsplit('/').next().unwrap().to_owned();
    server.call(
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": key_id}),
    );
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app");
    for suite in SUITES {
        for id in [
            arn.as_str(),
            key_id.as_str(),
            "alias/app",
            alias_arn.as_str(),
        ] {
            let keyring = KmsKeyring::new(id, dyn_client(&client), Vec::new()).unwrap();
            let message = seal(keyring, suite).unwrap();
            let strict = KmsKeyring::new(&arn, dyn_client(&client), Vec::new()).unwrap();
            assert_eq!(open(strict, &message).unwrap(), b"attack at dawn", "{id}");
        }
    }
}

#[test]
fn generator_plus_additional_keys_in_two_regions() {
    let server = Server::start();
    let east = server.create_key(REGION, "SYMMETRIC_DEFAULT");
    let west = server.create_key("us-west-2", "SYMMETRIC_DEFAULT");
    let clients = RegionalClients::new(server.config(REGION));
    let multi = kms_multi_keyring(Some(&east), &[&west], &clients, &[]).unwrap();
    let message = seal(multi, SUITES[0]).unwrap();
    for (arn, region) in [(&east, REGION), (&west, "us-west-2")] {
        let single = KmsKeyring::new(arn, dyn_client(&server.client(region)), Vec::new()).unwrap();
        assert_eq!(open(single, &message).unwrap(), b"attack at dawn");
    }
    // The west key is unknown in the east: the client's region matters.
    let wrong = KmsKeyring::new(&west, dyn_client(&server.client(REGION)), Vec::new()).unwrap();
    let only_west = seal(
        KmsKeyring::new(&west, dyn_client(&server.client("us-west-2")), Vec::new()).unwrap(),
        SUITES[0],
    )
    .unwrap();
    assert_eq!(
        open(wrong, &only_west).unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[test]
fn discovery_keyrings_decrypt_and_filter() {
    let server = Server::start();
    let client = server.client(REGION);
    let arn = server.create_key(REGION, "SYMMETRIC_DEFAULT");
    for suite in SUITES {
        let message = seal(
            KmsKeyring::new(&arn, dyn_client(&client), Vec::new()).unwrap(),
            suite,
        )
        .unwrap();
        let own = DiscoveryFilter::new("aws", [ACCOUNT]).unwrap();
        let plain = KmsDiscoveryKeyring::new(dyn_client(&client), Some(own.clone()), Vec::new());
        assert_eq!(open(plain, &message).unwrap(), b"attack at dawn");
        let mrk = KmsMrkDiscoveryKeyring::new(dyn_client(&client), Some(own), Vec::new()).unwrap();
        assert_eq!(open(mrk, &message).unwrap(), b"attack at dawn");
        let other = DiscoveryFilter::new("aws", ["444455556666"]).unwrap();
        let filtered = KmsDiscoveryKeyring::new(dyn_client(&client), Some(other), Vec::new());
        let e = open(filtered, &message).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NoDecryptableDataKey, "{e}");
        let regions = RegionalClients::new(server.config(REGION));
        let multi =
            kms_discovery_multi_keyring(&["us-west-2", REGION], None, &regions, &[]).unwrap();
        assert_eq!(open(multi, &message).unwrap(), b"attack at dawn");
    }
}

#[test]
fn mrk_keyrings_with_a_multi_region_key_in_its_own_region() {
    // kms-server has no ReplicateKey yet: cross-region replicas are tested
    // with the core's in-memory KMS only.
    let server = Server::start();
    let client = server.client(REGION);
    let v = common::call_json(&client, "CreateKey", &json!({"MultiRegion": true}));
    let arn = v["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    assert!(arn.contains(":key/mrk-"), "{arn}");
    let message = seal(
        KmsMrkKeyring::new(&arn, dyn_client(&client), Vec::new()).unwrap(),
        SUITES[1],
    )
    .unwrap();
    let strict = KmsMrkKeyring::new(&arn, dyn_client(&client), Vec::new()).unwrap();
    assert_eq!(open(strict, &message).unwrap(), b"attack at dawn");
    let discovery = KmsMrkDiscoveryKeyring::new(dyn_client(&client), None, Vec::new()).unwrap();
    assert_eq!(open(discovery, &message).unwrap(), b"attack at dawn");
}

#[test]
fn kms_rsa_keyring_round_trips_with_an_rsa_2048_key() {
    let server = Server::start();
    let client = server.client(REGION);
    let arn = server.create_key(REGION, "RSA_2048");
    for algorithm in [KmsRsaAlgorithm::OaepSha1, KmsRsaAlgorithm::OaepSha256] {
        let keyring = KmsRsaKeyring::new(&arn, algorithm)
            .unwrap()
            .with_client(dyn_client(&client));
        let message = seal(keyring, SUITES[0]).unwrap();
        let keyring = KmsRsaKeyring::new(&arn, algorithm)
            .unwrap()
            .with_client(dyn_client(&client));
        assert_eq!(open(keyring, &message).unwrap(), b"attack at dawn");
        // Signed suites are refused.
        let keyring = KmsRsaKeyring::new(&arn, algorithm)
            .unwrap()
            .with_client(dyn_client(&client));
        assert_eq!(
            seal(keyring, SUITES[1]).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
}

#[test]
fn error_kinds_reach_the_caller() {
    let server = Server::start();
    let client = server.client(REGION);
    let arn = server.create_key(REGION, "SYMMETRIC_DEFAULT");
    let keyring = || KmsKeyring::new(&arn, dyn_client(&client), Vec::new()).unwrap();
    let message = seal(keyring(), SUITES[0]).unwrap();

    // Another encryption context: KMS refuses the data key.
    let cmm = DefaultMaterialsManager::new(keyring());
    let wrong = DecryptOptions::default().with_reproduced_encryption_context(
        EncryptionContext::from_caller([("tenant", "43")]).unwrap(),
    );
    // The materials manager checks a reproduced context itself, before KMS;
    // a keyring given another context hears KMS refuse the data key.
    let e = pollster::block_on(decrypt(&cmm, &message, &wrong)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::EncryptionContextMismatch, "{e}");
    let reader = kms_envelope::HeaderReader::new(DecryptOptions::default());
    let mut input = &message[..];
    let kms_envelope::ReadHeader::Parsed(parsed) = reader.read(&mut input).unwrap() else {
        panic!("header incomplete")
    };
    let suite = parsed.suite();
    let materials = kms_envelope::materials::DecryptionMaterials::new(
        suite,
        EncryptionContext::from_caller([("tenant", "43")]).unwrap(),
    );
    let e = pollster::block_on(keyring().on_decrypt(materials, parsed.encrypted_data_keys()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCiphertext, "{e}");

    // A disabled key: KeyUnavailable both ways.
    server.call("DisableKey", json!({"KeyId": arn}));
    assert_eq!(
        seal(keyring(), SUITES[0]).unwrap_err().code(),
        ErrorCode::KeyUnavailable
    );
    assert_eq!(
        open(keyring(), &message).unwrap_err().code(),
        ErrorCode::KeyUnavailable
    );
    server.call("EnableKey", json!({"KeyId": arn}));
    assert_eq!(open(keyring(), &message).unwrap(), b"attack at dawn");

    // Pending deletion is unavailable too.
    server.call(
        "ScheduleKeyDeletion",
        json!({"KeyId": arn, "PendingWindowInDays": 7}),
    );
    assert_eq!(
        open(keyring(), &message).unwrap_err().code(),
        ErrorCode::KeyUnavailable
    );

    // A key that does not exist.
    let absent = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000");
    let e = seal(
        KmsKeyring::new(&absent, dyn_client(&client), Vec::new()).unwrap(),
        SUITES[0],
    );
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);

    // Unknown credentials.
    let mut config = server.config(REGION);
    config.credentials = Credentials::new("AKIAUNKNOWN000000000", "nope", None);
    let stranger = Rc::new(KmsHttpClient::new(config).unwrap());
    let e = seal(
        KmsKeyring::new(&absent, dyn_client(&stranger), Vec::new()).unwrap(),
        SUITES[0],
    );
    assert_eq!(e.unwrap_err().code(), ErrorCode::AccessDenied);

    // Nothing listening: a transport failure after the retries.
    let mut config = ClientConfig::new("http://127.0.0.1:9", REGION, server.credentials.clone());
    config.retry.max_attempts = 2;
    config.retry.base_delay = std::time::Duration::from_millis(1);
    let down = Rc::new(KmsHttpClient::new(config).unwrap());
    let e = seal(
        KmsKeyring::new(&absent, dyn_client(&down), Vec::new()).unwrap(),
        SUITES[0],
    );
    assert_eq!(e.unwrap_err().code(), ErrorCode::KmsUnreachable);
}
