//! The server's shared state and its start-up from a data directory.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::audit::AuditLog;
use crate::clock::Clock;
use crate::credentials::{self, AccessKey, AccessKeys, Principal};
use crate::crypto::RootKey;
use crate::crypto::root::ROOT_KEY_LEN;
use crate::error::KmsError;
use crate::fs_util;
use crate::metrics::Metrics;
use crate::policy::IdentityPolicies;
use crate::quota::Quotas;
use crate::registry::Registry;
use crate::store::{Change, SqliteStore, Store, StoreError};
use crate::usage::UsageTracker;

/// File names inside the data directory.
pub const ROOT_KEY_FILE: &str = "root.key";
/// The SQLite database.
pub const DATABASE_FILE: &str = "kms.sqlite3";
/// The admin shared-credentials file.
pub const CREDENTIALS_FILE: &str = "credentials";

/// Settings that shape request handling.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Browser origins allowed by CORS (exact match; `*` allows any).
    pub cors_origins: Vec<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Identity policies by principal ARN (there is no IAM here).
    pub identity_policies: IdentityPolicies,
    /// Most grants a key may have (AWS: 50,000).
    pub grants_per_key: usize,
    /// Whether tests may advance the lifecycle clock (`--test-clock`).
    pub test_clock: bool,
    /// Whether request quotas throttle.
    pub quotas_enabled: bool,
    /// Quota rates that differ from AWS's defaults, by quota name.
    pub quota_rates: HashMap<String, f64>,
    /// Whether to keep the audit log (in the data directory).
    pub audit: bool,
}

/// AWS's limit of grants per key.
pub const DEFAULT_GRANTS_PER_KEY: usize = 50_000;

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            cors_origins: Vec::new(),
            max_body_bytes: 64 * 1024,
            identity_policies: IdentityPolicies::default(),
            grants_per_key: DEFAULT_GRANTS_PER_KEY,
            test_clock: false,
            quotas_enabled: true,
            quota_rates: HashMap::new(),
            audit: true,
        }
    }
}

/// Everything a request handler needs.
pub struct AppState {
    /// Request handling settings.
    pub options: ServerOptions,
    /// Who may call.
    pub access_keys: AccessKeys,
    /// In-memory view of every key, alias and tag.
    pub registry: Registry,
    /// Durable storage.
    pub store: Arc<dyn Store>,
    /// Seals key material at rest.
    pub root: RootKey,
    /// Time for key lifecycles.
    pub clock: Clock,
    /// Request quotas.
    pub quotas: Quotas,
    /// Request counters for `/metrics`.
    pub metrics: Metrics,
    /// The audit log (absent for a server without a data directory).
    pub audit: Option<AuditLog>,
    /// Each key's last successful cryptographic operation.
    pub usage: UsageTracker,
    /// Serializes writers so the store and the registry change in one order.
    write_lock: Mutex<()>,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("options", &self.options)
            .field("access_keys", &self.access_keys.len())
            .finish_non_exhaustive()
    }
}

/// What `open_data_dir` found or created.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The directory.
    pub path: PathBuf,
    /// The admin access key.
    pub admin: AccessKey,
    /// Whether it was created now.
    pub created: bool,
}

impl AppState {
    /// Builds the state from its parts, loading the registry from the store.
    pub fn new(
        store: Arc<dyn Store>,
        root: RootKey,
        access_keys: AccessKeys,
        options: ServerOptions,
    ) -> anyhow::Result<Self> {
        let mut snapshot = store.load()?;
        let usage = UsageTracker::load(&mut snapshot);
        let registry = Registry::load(snapshot, &root)?;
        let clock = if options.test_clock {
            Clock::adjustable()
        } else {
            Clock::system()
        };
        let quotas = Quotas::new(options.quotas_enabled, &options.quota_rates);
        Ok(AppState {
            clock,
            quotas,
            metrics: Metrics::default(),
            audit: None,
            usage,
            options,
            access_keys,
            registry,
            store,
            root,
            write_lock: Mutex::new(()),
        })
    }

    /// Opens (creating on first start) a data directory: root key, store and
    /// admin credentials. `extra_keys` come from the config file.
    pub fn open(
        data_dir: &Path,
        account_id: &str,
        region: &str,
        extra_keys: Vec<AccessKey>,
        options: ServerOptions,
    ) -> anyhow::Result<(Self, DataDir)> {
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            anyhow::bail!("account id {account_id:?} must be 12 digits");
        }
        fs_util::create_private_dir(data_dir)?;
        let root = load_or_create_root_key(&data_dir.join(ROOT_KEY_FILE))?;
        let store = SqliteStore::open(&data_dir.join(DATABASE_FILE))?;
        let creds_path = data_dir.join(CREDENTIALS_FILE);
        let (created, (id, secret)) = if creds_path.exists() {
            (false, credentials::read_credentials_file(&creds_path)?)
        } else {
            let pair = credentials::generate_key_pair()?;
            credentials::write_credentials_file(&creds_path, &pair.0, &pair.1, region)?;
            (true, pair)
        };
        let admin = AccessKey {
            access_key_id: id,
            secret,
            principal: Principal::account_root(account_id),
        };
        let mut keys = AccessKeys::default();
        keys.insert(admin.clone());
        for key in extra_keys {
            keys.insert(key);
        }
        let audit = options.audit;
        let mut state = AppState::new(Arc::new(store), root, keys, options)?;
        if audit {
            state.audit = Some(AuditLog::open(data_dir)?);
        }
        Ok((
            state,
            DataDir {
                path: data_dir.to_owned(),
                admin,
                created,
            },
        ))
    }

    /// Runs `plan` against the current registry under the write lock, makes
    /// its changes durable, then applies them to memory. `plan` validates
    /// against the state it sees, so check-then-write races cannot happen.
    pub async fn commit<R, F>(self: &Arc<Self>, plan: F) -> Result<R, KmsError>
    where
        R: Send + 'static,
        F: FnOnce(&Registry) -> Result<(Vec<Change>, R), KmsError> + Send + 'static,
    {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _guard = state
                .write_lock
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let (changes, result) = plan(&state.registry)?;
            state.store.apply(&changes)?;
            state.registry.apply(&changes);
            for change in &changes {
                if let Change::DeleteKey { scope, key_id } = change {
                    state.usage.forget(&scope.key_arn(key_id));
                }
            }
            Ok(result)
        })
        .await
        .map_err(|e| KmsError::Internal(format!("write task failed: {e}")))?
    }

    /// Writes the keys' last use recorded since the previous flush (the
    /// server does every second and on shutdown); returns how many keys.
    pub fn flush_usage(&self) -> Result<usize, StoreError> {
        self.usage.flush(self.store.as_ref())
    }
}

fn load_or_create_root_key(path: &Path) -> anyhow::Result<RootKey> {
    if path.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                anyhow::bail!(
                    "{} is readable by others (mode {:o}); run chmod 600 on it",
                    path.display(),
                    mode & 0o777
                );
            }
        }
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(ROOT_KEY_LEN));
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
        return Ok(RootKey::from_bytes(&bytes)?);
    }
    let bytes = RootKey::generate_bytes()?;
    let mut file = fs_util::create_private(path)?;
    file.write_all(bytes.as_ref())?;
    file.sync_all()?;
    Ok(RootKey::from_bytes(bytes.as_ref())?)
}
