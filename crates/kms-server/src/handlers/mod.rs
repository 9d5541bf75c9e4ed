//! One handler per operation, grouped by resource, and the helpers they share:
//! who is calling ([`Ctx`]), finding a key from any identifier form, and the
//! key-state and key-usage checks every cryptographic operation makes.

pub mod access;
pub mod aliases;
pub mod crypto_ops;
pub mod data_keys;
pub mod import;
pub mod keys;
pub mod lifecycle;
pub mod tags;

use std::sync::Arc;

use kms_protocol::ops::{
    EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec,
    KeyState, KeyUsageType, MacAlgorithmSpec, SigningAlgorithmSpec,
};

use crate::authz::{Access, authorize_key};
use crate::credentials::Principal;
use crate::error::KmsError;
use crate::registry::{KeyEntry, Registry};
use crate::resolve::{KeyRef, parse_key_ref};
use crate::store::Scope;

/// Who is calling, from where.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The `x-amzn-RequestId` of this request.
    pub request_id: String,
    /// The principal of the access key that signed the request.
    pub principal: Principal,
    /// The caller's account and the region of the credential scope.
    pub scope: Scope,
    /// What authorization needs to know about the request.
    pub access: Access,
    /// The lifecycle clock when the request arrived, ms since the epoch.
    pub now_ms: i64,
    /// The client's address (`aws:SourceIp`), when the connection has one.
    pub source_ip: Option<String>,
    /// The keys the request touched, for its audit record.
    pub resources: Resources,
}

/// The key ARNs a request resolved (shared by a request's clones of `Ctx`).
#[derive(Debug, Clone, Default)]
pub struct Resources(Arc<std::sync::Mutex<Vec<String>>>);

impl Resources {
    /// Notes a key.
    pub fn add(&self, arn: String) {
        let mut list = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !list.contains(&arn) {
            list.push(arn);
        }
    }

    /// Runs `f` on the keys noted so far, without copying them.
    pub fn with<R>(&self, f: impl FnOnce(&[String]) -> R) -> R {
        f(&self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The keys noted so far.
    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Whether a key scheduled for deletion has passed its deletion date (it is
/// then gone for every purpose, even before the sweeper removes it).
pub fn is_expired(entry: &KeyEntry, now: i64) -> bool {
    entry.record.state == KeyState::PendingDeletion
        && entry.record.deletion_ms.is_some_and(|d| d <= now)
}

/// Which identifier forms an operation accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Key id, key ARN, alias name, alias ARN.
    KeysAndAliases,
    /// Key id and key ARN only.
    KeysOnly,
}

/// Finds the key an identifier names, in the caller's scope or the one its
/// ARN names, and checks the caller may do the request's action with it.
pub fn find_key(
    registry: &Registry,
    ctx: &Ctx,
    key_id: &str,
    allow: Allow,
) -> Result<Arc<KeyEntry>, KmsError> {
    find_key_for(registry, ctx, key_id, allow, ctx.access.action)
}

/// [`find_key`] for an action other than the request's own (ReEncrypt's
/// destination, UpdateAlias's previous key).
pub fn find_key_for(
    registry: &Registry,
    ctx: &Ctx,
    key_id: &str,
    allow: Allow,
    action: &str,
) -> Result<Arc<KeyEntry>, KmsError> {
    let entry = resolve_key(registry, ctx, key_id, allow)?;
    authorize_key(ctx, &entry, action)?;
    Ok(entry)
}

/// Finds the key an identifier names, without authorization.
pub(crate) fn resolve_key(
    registry: &Registry,
    ctx: &Ctx,
    key_id: &str,
    allow: Allow,
) -> Result<Arc<KeyEntry>, KmsError> {
    let key_ref = parse_key_ref(key_id, &ctx.scope)?;
    let not_found = || KmsError::NotFound(format!("Invalid keyId {key_id}"));
    let entry = match key_ref {
        KeyRef::Key { scope, key_id: id } => registry.key(&scope, &id).ok_or_else(|| {
            KmsError::NotFound(format!("Key '{}' does not exist", scope.key_arn(&id)))
        })?,
        KeyRef::Alias { scope, name } => {
            if allow == Allow::KeysOnly {
                return Err(not_found());
            }
            let alias = registry.alias(&scope, &name).ok_or_else(|| {
                KmsError::NotFound(format!("Alias {} is not found.", scope.alias_arn(&name)))
            })?;
            registry
                .key(&scope, &alias.target_key_id)
                .ok_or_else(|| KmsError::NotFound(format!("Alias {name} is not found.")))?
        }
    };
    if is_expired(&entry, ctx.now_ms) {
        return Err(KmsError::NotFound(format!(
            "Key '{}' does not exist",
            entry.record.scope.key_arn(&entry.record.key_id)
        )));
    }
    ctx.resources.add(arn_of(&entry));
    Ok(entry)
}

/// The ARN of a key entry.
pub fn arn_of(entry: &KeyEntry) -> String {
    entry.record.scope.key_arn(&entry.record.key_id)
}

/// Checks that a key can be used for a cryptographic operation right now.
pub fn check_usable(entry: &KeyEntry) -> Result<(), KmsError> {
    let arn = arn_of(entry);
    match entry.record.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::Disabled(format!("{arn} is disabled."))),
        KeyState::PendingDeletion => Err(KmsError::InvalidState(format!(
            "{arn} is pending deletion."
        ))),
        KeyState::PendingImport => Err(KmsError::InvalidState(format!("{arn} is pending import."))),
        other => Err(KmsError::InvalidState(format!(
            "{arn} is not usable in state {other}."
        ))),
    }
}

/// The algorithm lists DescribeKey and GetPublicKey report: only the list of
/// the key's usage is present.
pub struct UsageAlgorithms {
    /// `EncryptionAlgorithms` (ENCRYPT_DECRYPT keys).
    pub encryption: Option<Vec<EncryptionAlgorithmSpec>>,
    /// `SigningAlgorithms` (SIGN_VERIFY keys).
    pub signing: Option<Vec<SigningAlgorithmSpec>>,
    /// `KeyAgreementAlgorithms` (KEY_AGREEMENT keys).
    pub key_agreement: Option<Vec<KeyAgreementAlgorithmSpec>>,
    /// `MacAlgorithms` (GENERATE_VERIFY_MAC keys).
    pub mac: Option<Vec<MacAlgorithmSpec>>,
    /// `EncapsulationAlgorithms` (ENCAPSULATE_DECAPSULATE keys).
    pub encapsulation: Option<Vec<EncapsulationAlgorithmSpec>>,
}

impl UsageAlgorithms {
    /// The lists of a key of `spec` used for `usage`.
    pub fn of(spec: KeySpec, usage: KeyUsageType) -> Self {
        use KeyUsageType::*;
        UsageAlgorithms {
            encryption: (usage == EncryptDecrypt).then(|| spec.encryption_algorithms().to_vec()),
            signing: (usage == SignVerify).then(|| spec.signing_algorithms().to_vec()),
            key_agreement: (usage == KeyAgreement)
                .then(|| spec.key_agreement_algorithms().to_vec()),
            mac: (usage == GenerateVerifyMac).then(|| spec.mac_algorithms().to_vec()),
            encapsulation: (usage == EncapsulateDecapsulate)
                .then(|| spec.encapsulation_algorithms().to_vec()),
        }
    }
}

/// Checks that a key's usage permits `operation`.
pub fn check_usage(entry: &KeyEntry, usage: KeyUsageType, operation: &str) -> Result<(), KmsError> {
    if entry.record.usage == usage {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for {operation}.",
            arn_of(entry),
            entry.record.usage
        )))
    }
}

/// AWS offers SM2 (KMS keys, data key pairs, wrapping keys and SM2PKE
/// wrapping) only in its China Regions, the `aws-cn` partition. `what`
/// names the member, for example `KeySpec SM2`.
pub fn check_sm2_region(ctx: &Ctx, what: &str) -> Result<(), KmsError> {
    if kms_protocol::ids::partition_of_region(&ctx.scope.region) == "aws-cn" {
        Ok(())
    } else {
        Err(KmsError::Unsupported(format!(
            "{what} is not supported in this Region."
        )))
    }
}

/// A member the request validation already required: absent only if a
/// handler is reached without validation, answered in AWS's words.
pub fn required<T>(value: Option<T>, member: &str) -> Result<T, KmsError> {
    value.ok_or_else(|| {
        KmsError::Validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy \
             constraint: Member must not be null"
        ))
    })
}

/// The `DryRun` answer once every check has passed.
pub fn dry_run(flag: Option<bool>) -> Result<(), KmsError> {
    if flag == Some(true) {
        Err(KmsError::DryRun)
    } else {
        Ok(())
    }
}

/// Runs CPU-heavy work (RSA key generation, RSA decryption) off the async workers.
pub async fn blocking<T, F>(f: F) -> Result<T, KmsError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, KmsError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| KmsError::Internal(format!("blocking task failed: {e}")))?
}

/// Runs one request's RSA private-key operation (Sign, Decrypt) off the
/// async workers, at most one such task per core at a time; the others wait
/// their turn in order.
///
/// Unbounded, 32 clients signing with RSA put 32 blocking threads on 2
/// cores: each signature took as long as all of them together, the async
/// workers (and every other request) waited behind them for the CPU, and
/// the threads' switching cost throughput. Key generation stays on
/// [`blocking`]: one RSA-4096 key must not stop every signature for seconds.
pub async fn cpu_bound<T, F>(f: F) -> Result<T, KmsError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, KmsError> + Send + 'static,
{
    let permit = Arc::clone(cpu_permits())
        .acquire_owned()
        .await
        .map_err(|e| KmsError::Internal(format!("CPU permits closed: {e}")))?;
    // The permit moves into the task: a client that hangs up does not free
    // a core that is still busy with its signature.
    blocking(move || {
        let _permit = permit;
        f()
    })
    .await
}

/// One permit per core, shared by every server in the process.
fn cpu_permits() -> &'static Arc<tokio::sync::Semaphore> {
    static PERMITS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Arc::new(tokio::sync::Semaphore::new(cores))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::cpu_bound;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cpu_bound_work_runs_at_most_one_task_per_core() {
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                tokio::spawn(cpu_bound(move || {
                    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                    MOST.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    RUNNING.fetch_sub(1, Ordering::SeqCst);
                    Ok(i)
                }))
            })
            .collect();
        let mut done = Vec::new();
        for task in tasks {
            done.push(task.await.unwrap().unwrap());
        }
        assert_eq!(done, (0..16).collect::<Vec<_>>());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let most = MOST.load(Ordering::SeqCst);
        assert!(
            (1..=cores).contains(&most),
            "{most} at once on {cores} cores"
        );
    }
}
