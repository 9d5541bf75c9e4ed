//! Multi-keyrings of KMS keyrings (framework/aws-kms/aws-kms-multi-keyrings.md
//! and aws-kms-mrk-multi-keyrings.md): a generator key plus additional keys,
//! or discovery in a set of regions, each with a client for its region.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use super::arn::{DiscoveryFilter, KmsKeyIdentifier, check_mrks_unique};
use super::client::KmsClient;
use super::discovery::{KmsDiscoveryKeyring, KmsMrkDiscoveryKeyring};
use super::keyring::{KmsKeyring, KmsMrkKeyring};
use crate::error::Error;
use crate::keyring::{Keyring, MultiKeyring};

/// Supplies the KMS client for a region: `Some(region)` for a key ARN's
/// region or a discovery region, `None` for a key id or alias, which KMS
/// resolves in the caller's default region.
///
/// Any `Fn(Option<&str>) -> Result<Rc<dyn KmsClient>, Error>` is one; a
/// closure returning the same client for every region suits a single
/// endpoint.
pub trait KmsClientSupplier {
    /// The client for `region` (`None`: the default region).
    fn client(&self, region: Option<&str>) -> Result<Rc<dyn KmsClient>, Error>;
}

impl<F> KmsClientSupplier for F
where
    F: Fn(Option<&str>) -> Result<Rc<dyn KmsClient>, Error>,
{
    fn client(&self, region: Option<&str>) -> Result<Rc<dyn KmsClient>, Error> {
        self(region)
    }
}

/// Which single-key keyring to build.
#[derive(Clone, Copy)]
enum Strictness {
    Exact,
    MultiRegion,
}

fn single_key_keyring(
    key_id: &str,
    supplier: &dyn KmsClientSupplier,
    grant_tokens: &[String],
    strictness: Strictness,
) -> Result<Box<dyn Keyring>, Error> {
    let identifier = KmsKeyIdentifier::parse(key_id)?;
    let client = supplier.client(identifier.region())?;
    Ok(match strictness {
        Strictness::Exact => Box::new(KmsKeyring::new(key_id, client, grant_tokens.to_vec())?),
        Strictness::MultiRegion => {
            Box::new(KmsMrkKeyring::new(key_id, client, grant_tokens.to_vec())?)
        }
    })
}

fn build(
    generator: Option<&str>,
    additional: &[&str],
    supplier: &dyn KmsClientSupplier,
    grant_tokens: &[String],
    strictness: Strictness,
) -> Result<MultiKeyring, Error> {
    let generator = generator
        .map(|id| single_key_keyring(id, supplier, grant_tokens, strictness))
        .transpose()?;
    let children = additional
        .iter()
        .map(|id| single_key_keyring(id, supplier, grant_tokens, strictness))
        .collect::<Result<Vec<_>, _>>()?;
    MultiKeyring::new(generator, children)
}

/// A multi-keyring of [`KmsKeyring`]s: `generator` generates and wraps the
/// data key, each of `additional` wraps it too, so any one of them can
/// decrypt the message. Keys may be named in any form KMS accepts; each
/// keyring's client comes from `supplier` for its ARN's region (`None` for
/// key ids and aliases). Without a generator, the data key must come from
/// elsewhere (another keyring before this one).
pub fn kms_multi_keyring(
    generator: Option<&str>,
    additional: &[&str],
    supplier: &dyn KmsClientSupplier,
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    build(
        generator,
        additional,
        supplier,
        grant_tokens,
        Strictness::Exact,
    )
}

/// Like [`kms_multi_keyring`] with [`KmsMrkKeyring`]s. The same
/// multi-Region key may appear only once (in any region): which replica to
/// call would otherwise be ambiguous.
pub fn kms_mrk_multi_keyring(
    generator: Option<&str>,
    additional: &[&str],
    supplier: &dyn KmsClientSupplier,
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    check_mrks_unique(generator.into_iter().chain(additional.iter().copied()))?;
    build(
        generator,
        additional,
        supplier,
        grant_tokens,
        Strictness::MultiRegion,
    )
}

fn check_regions(regions: &[&str]) -> Result<(), Error> {
    if regions.is_empty() || regions.iter().any(|r| r.is_empty()) {
        return Err(Error::InvalidArgument(
            "discovery multi-keyring needs at least one region, none empty",
        ));
    }
    Ok(())
}

/// A multi-keyring of [`KmsDiscoveryKeyring`]s, one per region, each with
/// the client `supplier` gives for it. It only decrypts.
pub fn kms_discovery_multi_keyring(
    regions: &[&str],
    filter: Option<DiscoveryFilter>,
    supplier: &dyn KmsClientSupplier,
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    check_regions(regions)?;
    let children = regions
        .iter()
        .map(|region| {
            let client = supplier.client(Some(region))?;
            Ok(Box::new(KmsDiscoveryKeyring::new(
                client,
                filter.clone(),
                grant_tokens.to_vec(),
            )) as Box<dyn Keyring>)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    MultiKeyring::new(None, children)
}

/// A multi-keyring of [`KmsMrkDiscoveryKeyring`]s, one per region; each
/// client must report the region it was supplied for. It only decrypts.
pub fn kms_mrk_discovery_multi_keyring(
    regions: &[&str],
    filter: Option<DiscoveryFilter>,
    supplier: &dyn KmsClientSupplier,
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    check_regions(regions)?;
    let children = regions
        .iter()
        .map(|region| {
            let client = supplier.client(Some(region))?;
            if client.region() != *region {
                return Err(Error::InvalidArgument(
                    "the client supplied for a region reports another region",
                ));
            }
            Ok(Box::new(KmsMrkDiscoveryKeyring::new(
                client,
                filter.clone(),
                grant_tokens.to_vec(),
            )?) as Box<dyn Keyring>)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    MultiKeyring::new(None, children)
}
