//! The in-memory view of the store that every request reads.
//!
//! Keys, their unsealed material, aliases and tags are all held here so the
//! hot path (GenerateDataKey, Decrypt, ...) takes one read lock and clones an
//! `Arc`; no request reads SQLite. Writers change the store first and then
//! apply the same [`Change`]s here, under the state's write mutex, so memory
//! never shows a write that is not durable.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use kms_protocol::ids::partition_of_region;

use crate::crypto::{KeyMaterial, RootKey};
use crate::policy::{Policy, PolicyKind, default_key_policy};
use crate::store::{AliasRecord, Change, GrantRecord, KeyRecord, Scope, Snapshot, StoreError};

/// A key with everything needed to use it.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// Metadata.
    pub record: KeyRecord,
    /// Unsealed material by version.
    pub materials: BTreeMap<u32, Arc<KeyMaterial>>,
    /// Tags by tag key.
    pub tags: BTreeMap<String, String>,
    /// The key policy, parsed.
    pub policy: Arc<Policy>,
    /// Grants by grant id.
    pub grants: BTreeMap<String, Arc<GrantRecord>>,
}

impl KeyEntry {
    /// A key with no material, tags or grants yet.
    pub fn new(record: KeyRecord) -> Self {
        let policy = Arc::new(parse_key_policy(&record));
        KeyEntry {
            record,
            materials: BTreeMap::new(),
            tags: BTreeMap::new(),
            policy,
            grants: BTreeMap::new(),
        }
    }

    /// The policy document's text (AWS's default when none was set).
    pub fn policy_text(&self) -> String {
        self.record.policy.clone().unwrap_or_else(|| {
            default_key_policy(
                partition_of_region(&self.record.scope.region),
                &self.record.scope.account,
            )
        })
    }

    /// The material that encrypts and signs now, if any.
    pub fn current_material(&self) -> Option<(u32, &Arc<KeyMaterial>)> {
        let v = self.record.current_version;
        self.materials.get(&v).map(|m| (v, m))
    }
}

#[derive(Debug, Default)]
struct Region {
    keys: BTreeMap<String, Arc<KeyEntry>>,
    aliases: BTreeMap<String, AliasRecord>,
}

/// Every key and alias of every (account, region), in memory.
#[derive(Debug, Default)]
pub struct Registry {
    regions: RwLock<HashMap<Scope, Region>>,
}

impl Registry {
    /// Loads a snapshot, unsealing every material version with `root`.
    pub fn load(snapshot: Snapshot, root: &RootKey) -> Result<Self, StoreError> {
        let mut regions: HashMap<Scope, Region> = HashMap::new();
        let mut entries: HashMap<(Scope, String), KeyEntry> = HashMap::new();
        for record in snapshot.keys {
            entries.insert(
                (record.scope.clone(), record.key_id.clone()),
                KeyEntry::new(record),
            );
        }
        for m in snapshot.materials {
            let Some(entry) = entries.get_mut(&(m.scope.clone(), m.key_id.clone())) else {
                continue;
            };
            let material = root
                .unseal_material(&m.sealed, &m.key_id, m.version, entry.record.spec)
                .map_err(|e| {
                    StoreError(format!(
                        "key {} version {}: {e}",
                        entry.record.key_id, m.version
                    ))
                })?;
            entry.materials.insert(m.version, Arc::new(material));
        }
        for t in snapshot.tags {
            if let Some(entry) = entries.get_mut(&(t.scope, t.key_id)) {
                entry.tags.insert(t.tag_key, t.tag_value);
            }
        }
        for g in snapshot.grants {
            if let Some(entry) = entries.get_mut(&(g.scope.clone(), g.key_id.clone())) {
                entry.grants.insert(g.grant_id.clone(), Arc::new(g));
            }
        }
        for ((scope, key_id), entry) in entries {
            regions
                .entry(scope)
                .or_default()
                .keys
                .insert(key_id, Arc::new(entry));
        }
        for alias in snapshot.aliases {
            regions
                .entry(alias.scope.clone())
                .or_default()
                .aliases
                .insert(alias.name.clone(), alias);
        }
        Ok(Registry {
            regions: RwLock::new(regions),
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<Scope, Region>> {
        // A poisoned lock means a writer panicked between store commit and
        // memory update; the map itself is still consistent per entry.
        self.regions.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<Scope, Region>> {
        self.regions.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A key by id.
    pub fn key(&self, scope: &Scope, key_id: &str) -> Option<Arc<KeyEntry>> {
        self.read().get(scope)?.keys.get(key_id).cloned()
    }

    /// An alias by name (`alias/...`).
    pub fn alias(&self, scope: &Scope, name: &str) -> Option<AliasRecord> {
        self.read().get(scope)?.aliases.get(name).cloned()
    }

    /// Up to `limit` keys with ids after `after`, in id order, and whether more follow.
    pub fn keys_page(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<Arc<KeyEntry>>, bool) {
        let guard = self.read();
        let Some(region) = guard.get(scope) else {
            return (Vec::new(), false);
        };
        let iter: Box<dyn Iterator<Item = &Arc<KeyEntry>>> = match after {
            Some(a) => Box::new(
                region
                    .keys
                    .range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                    .map(|(_, v)| v),
            ),
            None => Box::new(region.keys.values()),
        };
        let mut page: Vec<Arc<KeyEntry>> = iter.take(limit + 1).cloned().collect();
        let more = page.len() > limit;
        page.truncate(limit);
        (page, more)
    }

    /// Every key of every scope (for the deletion sweeper).
    pub fn all_keys(&self) -> Vec<Arc<KeyEntry>> {
        self.read()
            .values()
            .flat_map(|r| r.keys.values().cloned())
            .collect()
    }

    /// Every alias of a scope, in name order.
    pub fn aliases(&self, scope: &Scope) -> Vec<AliasRecord> {
        self.read()
            .get(scope)
            .map(|r| r.aliases.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Applies changes already committed to the store.
    pub fn apply(&self, changes: &[Change]) {
        let mut guard = self.write();
        for change in changes {
            match change {
                Change::PutKey(record) => {
                    let region = guard.entry(record.scope.clone()).or_default();
                    let entry = match region.keys.get(&record.key_id) {
                        Some(old) => {
                            let policy = if old.record.policy == record.policy {
                                Arc::clone(&old.policy)
                            } else {
                                Arc::new(parse_key_policy(record))
                            };
                            KeyEntry {
                                record: record.clone(),
                                policy,
                                ..KeyEntry::clone(old)
                            }
                        }
                        None => KeyEntry::new(record.clone()),
                    };
                    region.keys.insert(record.key_id.clone(), Arc::new(entry));
                }
                Change::PutMaterial {
                    scope,
                    key_id,
                    version,
                    material,
                    ..
                } => {
                    update_entry(&mut guard, scope, key_id, |e| {
                        e.materials.insert(*version, Arc::clone(material));
                    });
                }
                Change::DeleteKey { scope, key_id } => {
                    if let Some(region) = guard.get_mut(scope) {
                        region.keys.remove(key_id);
                        region.aliases.retain(|_, a| &a.target_key_id != key_id);
                    }
                }
                Change::DeleteMaterial {
                    scope,
                    key_id,
                    version,
                } => {
                    update_entry(&mut guard, scope, key_id, |e| {
                        e.materials.remove(version);
                    });
                }
                Change::PutGrant(grant) => {
                    update_entry(&mut guard, &grant.scope, &grant.key_id, |e| {
                        e.grants
                            .insert(grant.grant_id.clone(), Arc::new(grant.clone()));
                    });
                }
                Change::DeleteGrant {
                    scope,
                    key_id,
                    grant_id,
                } => {
                    update_entry(&mut guard, scope, key_id, |e| {
                        e.grants.remove(grant_id);
                    });
                }
                Change::PutAlias(alias) => {
                    guard
                        .entry(alias.scope.clone())
                        .or_default()
                        .aliases
                        .insert(alias.name.clone(), alias.clone());
                }
                Change::DeleteAlias { scope, name } => {
                    if let Some(region) = guard.get_mut(scope) {
                        region.aliases.remove(name);
                    }
                }
                Change::PutTag {
                    scope,
                    key_id,
                    tag_key,
                    tag_value,
                } => {
                    update_entry(&mut guard, scope, key_id, |e| {
                        e.tags.insert(tag_key.clone(), tag_value.clone());
                    });
                }
                Change::DeleteTag {
                    scope,
                    key_id,
                    tag_key,
                } => {
                    update_entry(&mut guard, scope, key_id, |e| {
                        e.tags.remove(tag_key);
                    });
                }
            }
        }
    }
}

/// The parsed key policy of a record. Policies are checked when written, so
/// one that no longer parses (written by an older version with looser
/// checks) allows nothing rather than something it was not meant to.
fn parse_key_policy(record: &KeyRecord) -> Policy {
    let Some(text) = &record.policy else {
        let default = default_key_policy(
            partition_of_region(&record.scope.region),
            &record.scope.account,
        );
        return Policy::parse(&default, PolicyKind::Key).unwrap_or_else(|_| Policy::deny_all());
    };
    Policy::parse(text, PolicyKind::Key).unwrap_or_else(|e| {
        tracing::warn!(key_id = %record.key_id, error = %e, "stored key policy does not parse; it allows nothing");
        Policy::deny_all()
    })
}

/// Replaces a key's entry with an updated copy (readers holding the old
/// `Arc` keep a consistent view).
fn update_entry(
    regions: &mut HashMap<Scope, Region>,
    scope: &Scope,
    key_id: &str,
    f: impl FnOnce(&mut KeyEntry),
) {
    let Some(region) = regions.get_mut(scope) else {
        return;
    };
    let Some(old) = region.keys.get(key_id) else {
        return;
    };
    let mut entry = KeyEntry::clone(old);
    f(&mut entry);
    region.keys.insert(key_id.to_owned(), Arc::new(entry));
}
