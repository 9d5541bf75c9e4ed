//! The KMS multi-keyring constructors (aws-kms-multi-keyrings.md,
//! aws-kms-mrk-multi-keyrings.md) and KMS errors through a multi-keyring.

use core::cell::RefCell;

use super::mock::arn;
use super::*;
use crate::kms::{
    DiscoveryFilter, KmsClientSupplier, KmsKeyring, kms_discovery_multi_keyring,
    kms_mrk_discovery_multi_keyring, kms_mrk_multi_keyring, kms_multi_keyring,
};

/// A supplier over the east and west mock clients (`None` is east, the
/// default region), recording what it was asked for.
struct Regions {
    east: Rc<MockKms>,
    west: Rc<MockKms>,
    asked: RefCell<Vec<Option<String>>>,
}

impl KmsClientSupplier for Regions {
    fn client(&self, region: Option<&str>) -> Result<Rc<dyn KmsClient>, Error> {
        self.asked
            .borrow_mut()
            .push(region.map(ToString::to_string));
        match region {
            None | Some(EAST) => Ok(dyn_client(&self.east)),
            Some(WEST) => Ok(dyn_client(&self.west)),
            Some(_) => Err(Error::InvalidArgument("no client for that region")),
        }
    }
}

fn regions() -> Regions {
    let (_, east, west) = setup();
    Regions {
        east,
        west,
        asked: RefCell::new(Vec::new()),
    }
}

#[test]
fn generator_and_additional_keys_each_wrap_the_data_key() {
    let r = regions();
    let west_k2 = arn(WEST, "k2");
    let multi = kms_multi_keyring(Some("alias/app"), &[&west_k2, "k2"], &r, &tokens()).unwrap();
    assert_eq!(*r.asked.borrow(), [None, Some(WEST.to_string()), None]);
    let m = encrypt(&multi).unwrap();
    assert_eq!(r.east.ops(), ["GenerateDataKey", "Encrypt"]);
    assert_eq!(r.west.ops(), ["Encrypt"]);
    let infos: Vec<String> = m
        .encrypted_data_keys
        .iter()
        .map(|e| String::from_utf8(e.provider_info.clone()).unwrap())
        .collect();
    assert_eq!(infos, [arn(EAST, "k1"), arn(WEST, "k2"), arn(EAST, "k2")]);
    // Each key alone decrypts.
    for (info, client) in [
        (arn(EAST, "k1"), &r.east),
        (arn(WEST, "k2"), &r.west),
        (arn(EAST, "k2"), &r.east),
    ] {
        let single = KmsKeyring::new(&info, dyn_client(client), Vec::new()).unwrap();
        let opened = decrypt(&single, &m.encrypted_data_keys).unwrap();
        assert_eq!(opened.data_key, m.data_key);
        assert_eq!(opened.wrapping_key_id.as_deref(), Some(info.as_str()));
    }
    // Without a generator it needs a data key already; unknown regions fail.
    let no_gen = kms_multi_keyring(None, &["k1"], &r, &[]).unwrap();
    assert!(encrypt(&no_gen).is_err());
    assert!(kms_multi_keyring(Some(&arn("eu-west-1", "k1")), &[], &r, &[]).is_err());
    assert!(kms_multi_keyring(Some("not/valid"), &[], &r, &[]).is_err());
    assert!(kms_multi_keyring(None, &[], &r, &[]).is_err());
}

#[test]
fn a_kms_error_keeps_its_kind_through_the_multi_keyring() {
    let r = regions();
    let multi = kms_multi_keyring(Some("k1"), &["k2"], &r, &[]).unwrap();
    // Generator fails: the kind of its failure.
    r.east.fail_with("AccessDeniedException");
    assert_code(&encrypt(&multi).unwrap_err(), ErrorCode::AccessDenied);
    // A child fails after the generator succeeded.
    r.east.calls.borrow_mut().clear();
    let m = encrypt(&multi).unwrap();
    r.east.fail_next.borrow_mut().clear();
    let strict_multi =
        kms_multi_keyring(Some(&arn(EAST, "k1")), &[&arn(EAST, "k2")], &r, &[]).unwrap();
    // On decrypt, both members denied: AccessDenied.
    r.east.fail_with("AccessDeniedException");
    r.east.fail_with("AccessDeniedException");
    let e = decrypt(&strict_multi, &m.encrypted_data_keys).unwrap_err();
    assert_code(&e, ErrorCode::AccessDenied);
    assert_eq!(failures(e).len(), 2);
    // One denied, one succeeds: decrypted.
    r.east.fail_with("AccessDeniedException");
    assert_eq!(
        decrypt(&strict_multi, &m.encrypted_data_keys)
            .unwrap()
            .data_key,
        m.data_key
    );
    // A child failing on encrypt.
    r.east.calls.borrow_mut().clear();
    r.east.fail_next.borrow_mut().clear();
    let multi = kms_multi_keyring(Some("k1"), &["absent"], &r, &[]).unwrap();
    assert_code(&encrypt(&multi).unwrap_err(), ErrorCode::NotFound);
}

#[test]
fn mrk_multi_keyring_refuses_the_same_multi_region_key_twice() {
    let r = regions();
    let east = arn(EAST, "mrk-1");
    let west = arn(WEST, "mrk-1");
    let e = kms_mrk_multi_keyring(Some(&east), &[&west], &r, &[]).unwrap_err();
    assert!(
        e.to_string().contains(&east) && e.to_string().contains(&west),
        "{e}"
    );
    assert!(kms_mrk_multi_keyring(Some(&east), &["mrk-1"], &r, &[]).is_err());
    // Plain multi-keyrings allow it (they do not rewrite regions).
    assert!(kms_multi_keyring(Some(&east), &[&west], &r, &[]).is_ok());
    let multi = kms_mrk_multi_keyring(Some(&east), &["k2"], &r, &[]).unwrap();
    let m = encrypt(&multi).unwrap();
    // The replica in the west decrypts through an MRK multi-keyring there.
    let west_multi = kms_mrk_multi_keyring(None, &[&west], &r, &[]).unwrap();
    assert_eq!(
        decrypt(&west_multi, &m.encrypted_data_keys)
            .unwrap()
            .data_key,
        m.data_key
    );
    assert_eq!(r.west.calls.borrow()[0].key_id, west);
}

#[test]
fn discovery_multi_keyrings_over_regions() {
    let r = regions();
    let m = encrypt(&KmsKeyring::new(&arn(WEST, "k2"), dyn_client(&r.west), Vec::new()).unwrap())
        .unwrap();
    let filter = DiscoveryFilter::new("aws", [super::mock::ACCOUNT]).unwrap();
    let multi = kms_discovery_multi_keyring(&[EAST, WEST], Some(filter.clone()), &r, &[]).unwrap();
    assert!(encrypt(&multi).is_err());
    // East's client is asked first and fails (the key lives in the west).
    let d = decrypt(&multi, &m.encrypted_data_keys).unwrap();
    assert_eq!(d.data_key, m.data_key);
    let mrk = kms_mrk_discovery_multi_keyring(&[EAST, WEST], Some(filter), &r, &[]).unwrap();
    r.east.calls.borrow_mut().clear();
    assert_eq!(
        decrypt(&mrk, &m.encrypted_data_keys).unwrap().data_key,
        m.data_key
    );
    assert!(
        r.east.ops().is_empty(),
        "the MRK discovery keyring skips other regions' keys"
    );
    assert!(kms_discovery_multi_keyring(&[], None, &r, &[]).is_err());
    assert!(kms_mrk_discovery_multi_keyring(&[""], None, &r, &[]).is_err());
    // A supplier whose client is in another region than asked.
    let wrong = |_: Option<&str>| Ok(dyn_client(&r.east));
    assert!(kms_mrk_discovery_multi_keyring(&[WEST], None, &wrong, &[]).is_err());
    assert!(kms_discovery_multi_keyring(&[WEST], None, &wrong, &[]).is_ok());
}
