//! Request quotas: token buckets per account, region and quota, with AWS's
//! default rates. A request over its quota is answered at once with
//! `ThrottlingException` (nothing waits, so the server stays responsive);
//! the quota it hit is counted in the metrics.
//!
//! Quotas, as AWS's "Request quotas" page lists them:
//! - `symmetric` (Decrypt, Encrypt, GenerateDataKey(WithoutPlaintext),
//!   GenerateMac, VerifyMac, GenerateRandom, ReEncrypt with symmetric keys):
//!   5,500/s shared;
//! - `rsa` and `ecc`: the cryptographic operations with RSA keys (500/s) and
//!   elliptic-curve keys (300/s), shared; ECC_NIST_EDWARDS25519 keys are
//!   elliptic-curve keys there, so they count against `ecc`;
//! - `ml-dsa`: the cryptographic operations with ML-DSA keys, AWS's own
//!   shared quota "Cryptographic operations (ML-DSA) request rate"
//!   (1,000/s). Encapsulate and Decapsulate with ML-KEM keys count against
//!   it too: AWS's quota page names no rate of ML-KEM's own, and this is
//!   the shared quota of its other post-quantum asymmetric keys (1,000/s,
//!   far from the symmetric 5,500/s a lattice key's work is not);
//! - GenerateDataKeyPair(WithoutPlaintext): 1/s for RSA_2048 pairs, 0.5/s
//!   RSA_3072, 0.1/s RSA_4096, 25/s ECC pairs (ECC_NIST_EDWARDS25519
//!   pairs included; ML-KEM pairs too, for which AWS lists no rate: they
//!   are generated as fast as ECC pairs);
//! - every other operation its own rate (CreateKey 5/s, DescribeKey 2,000/s,
//!   ...).
//!
//! Rates are configurable per quota name in the config file; a bucket holds
//! one second of its rate (at least one request), so short bursts up to the
//! rate pass.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use kms_protocol::ops::{DataKeyPairSpec, KeySpec, Request};

use crate::error::KmsError;
use crate::handlers::{Allow, Ctx, resolve_key};
use crate::registry::Registry;

/// A quota's name and default rate per second.
pub type Quota = (&'static str, f64);

/// AWS's default rates of the per-operation quotas.
const OPERATION_RATES: &[Quota] = &[
    ("CancelKeyDeletion", 5.0),
    ("CreateAlias", 5.0),
    ("CreateGrant", 50.0),
    ("CreateKey", 5.0),
    ("DeleteAlias", 15.0),
    ("DeleteImportedKeyMaterial", 15.0),
    ("DescribeKey", 2000.0),
    ("DisableKey", 5.0),
    ("DisableKeyRotation", 5.0),
    ("EnableKey", 5.0),
    ("EnableKeyRotation", 5.0),
    ("GetKeyPolicy", 1000.0),
    ("GetKeyRotationStatus", 1000.0),
    ("GetParametersForImport", 0.25),
    ("GetPublicKey", 2000.0),
    ("ImportKeyMaterial", 5.0),
    ("ListAliases", 500.0),
    ("ListGrants", 100.0),
    ("ListKeyPolicies", 100.0),
    ("ListKeyRotations", 100.0),
    ("ListKeys", 500.0),
    ("ListResourceTags", 2000.0),
    ("ListRetirableGrants", 100.0),
    ("PutKeyPolicy", 15.0),
    ("ReplicateKey", 5.0),
    ("RetireGrant", 30.0),
    ("RevokeGrant", 30.0),
    ("RotateKeyOnDemand", 5.0),
    ("ScheduleKeyDeletion", 15.0),
    ("TagResource", 10.0),
    ("UntagResource", 5.0),
    ("UpdateAlias", 5.0),
    ("UpdateKeyDescription", 5.0),
    ("UpdatePrimaryRegion", 5.0),
];

/// The shared cryptographic quotas and their default rates.
const SHARED_RATES: &[Quota] = &[
    ("symmetric", 5500.0),
    ("rsa", 500.0),
    ("ecc", 300.0),
    ("ml-dsa", 1000.0),
    ("keypair-rsa-2048", 1.0),
    ("keypair-rsa-3072", 0.5),
    ("keypair-rsa-4096", 0.1),
    ("keypair-ecc", 25.0),
];

/// Every quota name the config file may set.
pub fn quota_names() -> impl Iterator<Item = &'static str> {
    SHARED_RATES
        .iter()
        .chain(OPERATION_RATES.iter())
        .map(|(n, _)| *n)
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The quotas of one server.
#[derive(Debug)]
pub struct Quotas {
    enabled: bool,
    rates: HashMap<&'static str, f64>,
    buckets: Mutex<HashMap<(String, String, &'static str), Bucket>>,
    throttled: Mutex<HashMap<&'static str, u64>>,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas::new(true, &HashMap::new())
    }
}

impl Quotas {
    /// Quotas at AWS's defaults, with `overrides` (by quota name) applied;
    /// `enabled == false` turns throttling off.
    pub fn new(enabled: bool, overrides: &HashMap<String, f64>) -> Self {
        let mut rates: HashMap<&'static str, f64> = SHARED_RATES
            .iter()
            .chain(OPERATION_RATES.iter())
            .copied()
            .collect();
        for name in quota_names() {
            if let Some(rate) = overrides.get(name) {
                rates.insert(name, *rate);
            }
        }
        Quotas {
            enabled,
            rates,
            buckets: Mutex::new(HashMap::new()),
            throttled: Mutex::new(HashMap::new()),
        }
    }

    /// Whether quotas are applied.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Requests throttled so far, by quota name.
    pub fn throttled(&self) -> Vec<(&'static str, u64)> {
        let mut v: Vec<_> = self
            .throttled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        v.sort_unstable();
        v
    }

    /// Takes one request from the bucket of `quota` for the caller's
    /// account and region, or refuses with `ThrottlingException`.
    pub fn take(&self, ctx: &Ctx, quota: &'static str) -> Result<(), KmsError> {
        if !self.enabled {
            return Ok(());
        }
        let Some(rate) = self.rates.get(quota).copied() else {
            return Ok(());
        };
        let capacity = rate.max(1.0);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets
            .entry((ctx.scope.account.clone(), ctx.scope.region.clone(), quota))
            .or_insert(Bucket {
                tokens: capacity,
                last: now,
            });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            drop(buckets);
            *self
                .throttled
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(quota)
                .or_insert(0) += 1;
            Err(KmsError::Throttling(
                "You have exceeded the rate at which you may call KMS. Reduce the frequency of \
                 your calls."
                    .into(),
            ))
        }
    }
}

/// The quota a request counts against.
pub fn quota_of(registry: &Registry, ctx: &Ctx, request: &Request) -> &'static str {
    let by_key = |key_id: Option<&str>| -> &'static str {
        let spec = key_id
            .and_then(|id| resolve_key(registry, ctx, id, Allow::KeysAndAliases).ok())
            .map(|e| e.record.spec);
        match spec {
            Some(KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096) => "rsa",
            Some(
                KeySpec::EccNistP256
                | KeySpec::EccNistP384
                | KeySpec::EccNistP521
                | KeySpec::EccSecgP256k1
                | KeySpec::EccNistEdwards25519
                | KeySpec::Sm2,
            ) => "ecc",
            // ML-KEM: see the module documentation.
            Some(
                KeySpec::MlDsa44
                | KeySpec::MlDsa65
                | KeySpec::MlDsa87
                | KeySpec::MlKem512
                | KeySpec::MlKem768
                | KeySpec::MlKem1024,
            ) => "ml-dsa",
            _ => "symmetric",
        }
    };
    let pair = |spec: Option<DataKeyPairSpec>| match spec {
        Some(DataKeyPairSpec::Rsa2048) => "keypair-rsa-2048",
        Some(DataKeyPairSpec::Rsa3072) => "keypair-rsa-3072",
        Some(DataKeyPairSpec::Rsa4096) => "keypair-rsa-4096",
        _ => "keypair-ecc",
    };
    match request {
        Request::Encrypt(r) => by_key(Some(&r.key_id)),
        Request::Decrypt(r) => by_key(r.key_id.as_deref()),
        Request::ReEncrypt(r) => by_key(r.source_key_id.as_deref()),
        Request::Sign(r) => by_key(Some(&r.key_id)),
        Request::Verify(r) => by_key(Some(&r.key_id)),
        Request::DeriveSharedSecret(r) => by_key(Some(&r.key_id)),
        Request::Encapsulate(r) => by_key(Some(&r.key_id)),
        Request::Decapsulate(r) => by_key(Some(&r.key_id)),
        Request::GenerateDataKey(_)
        | Request::GenerateDataKeyWithoutPlaintext(_)
        | Request::GenerateMac(_)
        | Request::VerifyMac(_)
        | Request::GenerateRandom(_) => "symmetric",
        Request::GenerateDataKeyPair(r) => pair(r.key_pair_spec),
        Request::GenerateDataKeyPairWithoutPlaintext(r) => pair(r.key_pair_spec),
        other => {
            let name = other.operation().as_str();
            OPERATION_RATES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("other", |(n, _)| *n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_quota_or_is_cryptographic() {
        let names: Vec<&str> = quota_names().collect();
        for (name, rate) in SHARED_RATES.iter().chain(OPERATION_RATES) {
            assert!(*rate > 0.0, "{name}");
        }
        assert!(names.contains(&"symmetric") && names.contains(&"CreateKey"));
    }
}
