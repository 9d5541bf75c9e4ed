//! Each key's last successful cryptographic operation, for `GetKeyLastUsage`.
//!
//! A request that succeeds records its operation, time, request id and audit
//! event id for every key it used (both keys of a `ReEncrypt`, the key's own
//! record for a cross-account caller, a multi-Region replica apart from its
//! primary) in memory: one short critical section, no store access, so the
//! cryptographic path stays off SQLite. A flusher writes what changed to the
//! store in one transaction about once a second, and once more on a clean
//! shutdown; a crash can lose the last second of updates, as the audit log's
//! fsync interval can. Deleting a key forgets its use.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use kms_protocol::ids::KeyIdentifier;
use kms_protocol::ops::{KeyLastUsageTrackingOperation, Operation};

use crate::store::{LastUsage, Scope, Snapshot, Store, StoreError, UsageRecord};

/// The operations `GetKeyLastUsage` reports (their wire names are the
/// operations' own); `None` for every other operation.
pub fn tracked(operation: Operation) -> Option<KeyLastUsageTrackingOperation> {
    operation.as_str().parse().ok()
}

/// Every key's last use, by key ARN, and which of them the store lacks.
#[derive(Debug)]
pub struct UsageTracker {
    state: Mutex<Tracked>,
    tracking_start_ms: i64,
}

#[derive(Debug, Default)]
struct Tracked {
    last: HashMap<String, Used>,
    unsaved: HashSet<String>,
}

/// A [`LastUsage`] as memory holds it: the event id is derived from the
/// request id when asked for (see [`crate::audit::event_id`]), so recording
/// hashes nothing.
#[derive(Debug, Clone)]
struct Used {
    operation: KeyLastUsageTrackingOperation,
    at_ms: i64,
    request_id: String,
}

impl Used {
    fn to_last_usage(&self) -> LastUsage {
        LastUsage {
            operation: self.operation,
            at_ms: self.at_ms,
            event_id: crate::audit::event_id(&self.request_id),
            request_id: self.request_id.clone(),
        }
    }
}

impl UsageTracker {
    /// The tracker of a store, with what it recorded (taken from `snapshot`).
    pub fn load(snapshot: &mut Snapshot) -> Self {
        let last = std::mem::take(&mut snapshot.usage)
            .into_iter()
            .map(|r| {
                let used = Used {
                    operation: r.usage.operation,
                    at_ms: r.usage.at_ms,
                    request_id: r.usage.request_id,
                };
                (r.scope.key_arn(&r.key_id), used)
            })
            .collect();
        UsageTracker {
            state: Mutex::new(Tracked {
                last,
                unsaved: HashSet::new(),
            }),
            tracking_start_ms: snapshot.usage_tracking_start_ms,
        }
    }

    /// Since when use is recorded, ms since the epoch.
    pub fn tracking_start_ms(&self) -> i64 {
        self.tracking_start_ms
    }

    fn lock(&self) -> MutexGuard<'_, Tracked> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a successful `operation` with each of `key_arns`. A record
    /// older than the one held (requests finish out of order) is ignored.
    /// This runs on every cryptographic request: it reuses the held strings
    /// rather than allocating, and hashes nothing.
    pub fn record(
        &self,
        operation: KeyLastUsageTrackingOperation,
        key_arns: &[String],
        at_ms: i64,
        request_id: &str,
    ) {
        if key_arns.is_empty() {
            return;
        }
        let mut guard = self.lock();
        let t = &mut *guard;
        for arn in key_arns {
            match t.last.get_mut(arn.as_str()) {
                Some(held) if held.at_ms > at_ms => continue,
                Some(held) => {
                    held.operation = operation;
                    held.at_ms = at_ms;
                    held.request_id.clear();
                    held.request_id.push_str(request_id);
                }
                None => {
                    let used = Used {
                        operation,
                        at_ms,
                        request_id: request_id.to_owned(),
                    };
                    t.last.insert(arn.clone(), used);
                }
            }
            if !t.unsaved.contains(arn.as_str()) {
                t.unsaved.insert(arn.clone());
            }
        }
    }

    /// The last use of a key, if any since tracking started.
    pub fn last(&self, key_arn: &str) -> Option<LastUsage> {
        self.lock().last.get(key_arn).map(Used::to_last_usage)
    }

    /// Forgets a deleted key.
    pub fn forget(&self, key_arn: &str) {
        let mut t = self.lock();
        t.last.remove(key_arn);
        t.unsaved.remove(key_arn);
    }

    /// Writes every use recorded since the last flush; returns how many keys
    /// it wrote. On failure they stay unsaved, for the next flush.
    pub fn flush(&self, store: &dyn Store) -> Result<usize, StoreError> {
        let (arns, records): (Vec<String>, Vec<UsageRecord>) = {
            let mut t = self.lock();
            let arns: Vec<String> = t.unsaved.drain().collect();
            let records = arns
                .iter()
                .filter_map(|arn| {
                    let usage = t.last.get(arn)?.to_last_usage();
                    let (scope, key_id) = key_of(arn)?;
                    Some(UsageRecord {
                        scope,
                        key_id,
                        usage,
                    })
                })
                .collect();
            (arns, records)
        };
        if records.is_empty() {
            return Ok(0);
        }
        if let Err(e) = store.save_usage(&records) {
            let mut t = self.lock();
            for arn in arns {
                if t.last.contains_key(&arn) {
                    t.unsaved.insert(arn);
                }
            }
            return Err(e);
        }
        Ok(records.len())
    }
}

/// The scope and key id of a key ARN.
fn key_of(arn: &str) -> Option<(Scope, String)> {
    match KeyIdentifier::parse(arn).ok()? {
        KeyIdentifier::KeyArn(a) => Some((
            Scope::new(a.account(), a.region()),
            a.key_id().as_str().to_owned(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use kms_protocol::ops::KeyLastUsageTrackingOperation as Op;

    use super::*;
    use crate::store::Change;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[derive(Default)]
    struct Recorder {
        saved: Mutex<Vec<UsageRecord>>,
        fail: AtomicBool,
    }

    impl Store for Recorder {
        fn apply(&self, _: &[Change]) -> Result<(), StoreError> {
            Ok(())
        }
        fn save_usage(&self, records: &[UsageRecord]) -> Result<(), StoreError> {
            if self.fail.load(Ordering::SeqCst) {
                return Err(StoreError("injected".into()));
            }
            self.saved.lock().unwrap().extend_from_slice(records);
            Ok(())
        }
        fn load(&self) -> Result<Snapshot, StoreError> {
            Ok(Snapshot::default())
        }
    }

    fn tracker() -> UsageTracker {
        UsageTracker::load(&mut Snapshot {
            usage_tracking_start_ms: 42,
            ..Snapshot::default()
        })
    }

    #[test]
    fn the_cryptographic_operations_with_a_key_are_tracked() {
        assert_eq!(tracked(Operation::ReEncrypt), Some(Op::ReEncrypt));
        assert_eq!(
            tracked(Operation::DeriveSharedSecret),
            Some(Op::DeriveSharedSecret)
        );
        assert_eq!(tracked(Operation::GenerateRandom), None);
        assert_eq!(tracked(Operation::DescribeKey), None);
        assert_eq!(tracked(Operation::GetPublicKey), None);
        assert_eq!(tracked(Operation::Encapsulate), Some(Op::Encapsulate));
        assert_eq!(tracked(Operation::Decapsulate), Some(Op::Decapsulate));
        // Every tracked name is an operation served here.
        for op in Op::ALL {
            let operation: Operation = op.as_str().parse().unwrap();
            assert_eq!(tracked(operation), Some(*op));
        }
    }

    #[test]
    fn a_later_use_wins_and_an_earlier_one_arriving_late_does_not() {
        let t = tracker();
        assert_eq!(t.tracking_start_ms(), 42);
        assert_eq!(t.last(ARN), None);
        t.record(Op::Encrypt, &[ARN.into()], 2_000, "r1");
        t.record(Op::Decrypt, &[ARN.into()], 1_000, "r0");
        let u = t.last(ARN).unwrap();
        assert_eq!(
            (u.operation, u.at_ms, u.request_id.as_str()),
            (Op::Encrypt, 2_000, "r1")
        );
        assert_eq!(u.event_id, crate::audit::event_id("r1"));
        t.record(Op::Sign, &[ARN.into()], 2_000, "r2");
        assert_eq!(t.last(ARN).unwrap().operation, Op::Sign);
    }

    #[test]
    fn flush_writes_each_change_once_and_keeps_it_when_the_store_fails() {
        let t = tracker();
        let store = Recorder::default();
        assert_eq!(t.flush(&store).unwrap(), 0);
        t.record(Op::GenerateDataKey, &[ARN.into()], 5, "r");
        store.fail.store(true, Ordering::SeqCst);
        assert!(t.flush(&store).is_err());
        store.fail.store(false, Ordering::SeqCst);
        assert_eq!(t.flush(&store).unwrap(), 1);
        assert_eq!(t.flush(&store).unwrap(), 0, "nothing changed since");
        let saved = store.saved.lock().unwrap().clone();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].scope, Scope::new("111122223333", "us-east-1"));
        assert_eq!(saved[0].key_id, "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(saved[0].usage.operation, Op::GenerateDataKey);
    }

    #[test]
    fn a_forgotten_key_is_neither_reported_nor_written() {
        let t = tracker();
        let store = Recorder::default();
        t.record(Op::Encrypt, &[ARN.into()], 5, "r");
        t.forget(ARN);
        assert_eq!(t.last(ARN), None);
        assert_eq!(t.flush(&store).unwrap(), 0);
    }
}
