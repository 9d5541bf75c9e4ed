//! KmsDiscoveryKeyring (aws-kms-discovery-keyring.md) and
//! KmsMrkDiscoveryKeyring (aws-kms-mrk-discovery-keyring.md).

use super::mock::{ACCOUNT, arn};
use super::*;
use crate::kms::{DiscoveryFilter, KmsDiscoveryKeyring, KmsKeyring, KmsMrkDiscoveryKeyring};

fn wrapped(key_id: &str, client: &Rc<MockKms>) -> EncryptionMaterials {
    let m = encrypt(&KmsKeyring::new(key_id, dyn_client(client), Vec::new()).unwrap()).unwrap();
    client.calls.borrow_mut().clear();
    m
}

#[test]
fn discovery_keyrings_cannot_encrypt() {
    let (_, east, _) = setup();
    let plain = KmsDiscoveryKeyring::new(dyn_client(&east), None, Vec::new());
    let mrk = KmsMrkDiscoveryKeyring::new(dyn_client(&east), None, Vec::new()).unwrap();
    for k in [&plain as &dyn Keyring, &mrk] {
        let e = encrypt(k).unwrap_err();
        assert_code(&e, ErrorCode::InvalidArgument);
        assert!(e.to_string().contains("only decrypts"), "{e}");
    }
    assert!(east.ops().is_empty());
}

#[test]
fn discovery_decrypts_with_the_arn_the_message_names() {
    let (_, east, _) = setup();
    let m = wrapped("alias/app", &east);
    let keyring = KmsDiscoveryKeyring::new(dyn_client(&east), None, tokens());
    let edks = [edk("raw", "x"), m.encrypted_data_keys[0].clone()];
    let d = decrypt(&keyring, &edks).unwrap();
    assert_eq!(d.data_key, m.data_key);
    let calls = east.calls.borrow().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].key_id, arn(EAST, "k1"));
    assert_eq!(
        (calls[0].context.clone(), calls[0].grant_tokens.clone()),
        (ctx(), tokens())
    );
}

#[test]
fn discovery_filter_skips_other_partitions_and_accounts() {
    let (_, east, _) = setup();
    let m = wrapped("k1", &east);
    let real = m.encrypted_data_keys[0].clone();
    let other_account = edk("aws-kms", &arn(EAST, "k1").replace(ACCOUNT, "444455556666"));
    let other_partition = edk(
        "aws-kms",
        &arn(EAST, "k1").replace("arn:aws:", "arn:aws-cn:"),
    );
    for filter in [
        DiscoveryFilter::new("aws", [ACCOUNT]).unwrap(),
        DiscoveryFilter::new("aws", ["444455556666", ACCOUNT]).unwrap(),
    ] {
        for keyring in [
            alloc::boxed::Box::new(KmsDiscoveryKeyring::new(
                dyn_client(&east),
                Some(filter.clone()),
                Vec::new(),
            )) as alloc::boxed::Box<dyn Keyring>,
            alloc::boxed::Box::new(
                KmsMrkDiscoveryKeyring::new(dyn_client(&east), Some(filter.clone()), Vec::new())
                    .unwrap(),
            ),
        ] {
            east.calls.borrow_mut().clear();
            let edks = [other_partition.clone(), real.clone()];
            assert_eq!(decrypt(&*keyring, &edks).unwrap().data_key, m.data_key);
            assert_eq!(east.calls.borrow().len(), 1, "filtered key not sent to KMS");
        }
    }
    // Excluded accounts are not mine at all.
    let only_other = DiscoveryFilter::new("aws", ["444455556666"]).unwrap();
    let keyring = KmsDiscoveryKeyring::new(dyn_client(&east), Some(only_other), Vec::new());
    east.calls.borrow_mut().clear();
    assert_not_mine(decrypt(&keyring, core::slice::from_ref(&real)).unwrap_err());
    assert!(east.ops().is_empty());
    // Calls for the other account's key do go out (and fail) when allowed.
    let both = DiscoveryFilter::new("aws", ["444455556666"]).unwrap();
    let keyring = KmsDiscoveryKeyring::new(dyn_client(&east), Some(both), Vec::new());
    let f = failures(decrypt(&keyring, &[other_account]).unwrap_err());
    assert_eq!(f.len(), 1);
}

#[test]
fn discovery_checks_the_response_key_id_and_length() {
    let (_, east, _) = setup();
    let m = wrapped("k1", &east);
    let keyring = KmsDiscoveryKeyring::new(dyn_client(&east), None, Vec::new());
    *east.answer_key_id.borrow_mut() = Some(arn(EAST, "k2"));
    let f = failures(decrypt(&keyring, &m.encrypted_data_keys).unwrap_err());
    assert!(f[0].reason.contains("not the requested"), "{}", f[0].reason);
    *east.answer_key_id.borrow_mut() = None;
    east.answer_plaintext_len.set(Some(16));
    assert!(decrypt(&keyring, &m.encrypted_data_keys).is_err());
}

#[test]
fn discovery_fails_on_provider_info_that_is_not_a_key_arn() {
    let (_, east, _) = setup();
    let keyring = KmsDiscoveryKeyring::new(dyn_client(&east), None, Vec::new());
    let f = failures(decrypt(&keyring, &[edk("aws-kms", "alias/app")]).unwrap_err());
    assert!(f[0].reason.contains("not a KMS key ARN"));
    assert!(east.ops().is_empty());
}

#[test]
fn plain_discovery_keeps_the_region_of_the_message() {
    // Not region-aware: it asks its client for the ARN as stored, which a
    // KMS in another region does not know.
    let (_, east, west) = setup();
    let m = wrapped(&arn(EAST, "mrk-1"), &east);
    let keyring = KmsDiscoveryKeyring::new(dyn_client(&west), None, Vec::new());
    let e = decrypt(&keyring, &m.encrypted_data_keys).unwrap_err();
    assert_eq!(west.calls.borrow()[0].key_id, arn(EAST, "mrk-1"));
    assert_code(&e, ErrorCode::NotFound);
}

#[test]
fn mrk_discovery_rewrites_multi_region_arns_to_its_region() {
    let (_, east, west) = setup();
    let m = wrapped(&arn(EAST, "mrk-1"), &east);
    let keyring = KmsMrkDiscoveryKeyring::new(dyn_client(&west), None, tokens()).unwrap();
    let d = decrypt(&keyring, &m.encrypted_data_keys).unwrap();
    assert_eq!(d.data_key, m.data_key);
    let calls = west.calls.borrow().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].key_id, arn(WEST, "mrk-1"));
    // The response must name the rewritten ARN, not the message's.
    *west.answer_key_id.borrow_mut() = Some(arn(EAST, "mrk-1"));
    assert!(decrypt(&keyring, &m.encrypted_data_keys).is_err());
}

#[test]
fn mrk_discovery_skips_single_region_keys_of_other_regions() {
    let (_, east, west) = setup();
    let east_key = wrapped(&arn(EAST, "k1"), &east);
    let west_key = wrapped(&arn(WEST, "k2"), &west);
    let keyring = KmsMrkDiscoveryKeyring::new(dyn_client(&west), None, Vec::new()).unwrap();
    assert_not_mine(decrypt(&keyring, &east_key.encrypted_data_keys).unwrap_err());
    assert!(west.ops().is_empty());
    let mut edks = east_key.encrypted_data_keys.clone();
    edks.extend(west_key.encrypted_data_keys.clone());
    let d = decrypt(&keyring, &edks).unwrap();
    assert_eq!(d.data_key, west_key.data_key);
    assert_eq!(west.calls.borrow()[0].key_id, arn(WEST, "k2"));
}

#[test]
fn discovery_reports_the_shared_kms_kind() {
    let (world, east, _) = setup();
    let m = wrapped("k1", &east);
    world.disable("k1");
    let keyring = KmsMrkDiscoveryKeyring::new(dyn_client(&east), None, Vec::new()).unwrap();
    assert_code(
        &decrypt(&keyring, &m.encrypted_data_keys).unwrap_err(),
        ErrorCode::KeyUnavailable,
    );
}
