//! The caching materials manager (framework/caching-cmm.md): reuses the
//! materials of another manager for a while, so a page that encrypts many
//! records calls the KMS a handful of times.
//!
//! Limits per entry: age (measured by a caller-supplied [`Clock`], since
//! `no_std` has no time), messages and bytes encrypted; the cache holds at
//! most `capacity` entries and evicts the least recently used. Materials of
//! suites without a key derivation function are never cached: their data key
//! is the message key itself.
//!
//! Overlapping requests for the same entry share one call to the underlying
//! manager: the first becomes the fetcher, later ones wait for it and then
//! read the entry it stored. Futures are single-threaded (no `Send`), so the
//! state is a `RefCell` that is never borrowed across an `.await`.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use sha2::{Digest as _, Sha384};

use super::{DecryptionMaterialsRequest, EncryptionMaterialsRequest, MaterialsManager};
use crate::LocalBoxFuture;
use crate::context::EncryptionContext;
use crate::error::Error;
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// A source of the current time in milliseconds (any epoch, but monotonic
/// enough that ages are meaningful). Natively use [`SystemClock`]; in wasm
/// pass JavaScript's `Date.now` through a closure.
pub trait Clock {
    /// The current time in milliseconds.
    fn now_millis(&self) -> u64;
}

impl<F: Fn() -> u64> Clock for F {
    fn now_millis(&self) -> u64 {
        self()
    }
}

/// The operating system's wall clock (needs the `std` feature).
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// Counters of a caching manager, for monitoring (the npm package shows
/// them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Cacheable requests that found no usable entry.
    pub misses: u64,
    /// Requests passed through without using the cache (suites without a
    /// KDF, unknown or too large plaintext length).
    pub bypassed: u64,
    /// Calls made to the underlying manager (misses and bypasses; requests
    /// that waited for another's fetch make none).
    pub underlying_calls: u64,
    /// Entries removed for age, usage limits or capacity.
    pub evictions: u64,
    /// Entries held now.
    pub entries: u64,
}

/// The default number of entries.
pub const DEFAULT_CAPACITY: usize = 100;
/// The default message limit per entry (the specification's 2^32).
pub const DEFAULT_MAX_MESSAGES: u64 = 1 << 32;
/// The default byte limit per entry (the specification's 2^63-1).
pub const DEFAULT_MAX_BYTES: u64 = i64::MAX as u64;

/// Configures a [`CachingMaterialsManager`].
pub struct CachingMaterialsManagerBuilder {
    underlying: Box<dyn MaterialsManager>,
    clock: Box<dyn Clock>,
    max_age: Duration,
    capacity: usize,
    max_messages: u64,
    max_bytes: u64,
    partition_id: Option<String>,
}

impl core::fmt::Debug for CachingMaterialsManagerBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachingMaterialsManagerBuilder")
            .field("max_age", &self.max_age)
            .field("capacity", &self.capacity)
            .field("max_messages", &self.max_messages)
            .field("max_bytes", &self.max_bytes)
            .field("partition_id", &self.partition_id)
            .finish()
    }
}

impl CachingMaterialsManagerBuilder {
    /// The most entries held at once (default 100); the least recently used
    /// is evicted beyond it.
    pub fn capacity(mut self, entries: usize) -> Self {
        self.capacity = entries;
        self
    }

    /// The most messages one cached data key may encrypt (default 2^32).
    pub fn max_messages(mut self, messages: u64) -> Self {
        self.max_messages = messages;
        self
    }

    /// The most plaintext bytes one cached data key may encrypt (default
    /// 2^63-1).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Shares entries with other managers on the same partition id (by
    /// default each manager has its own random one).
    pub fn partition_id(mut self, partition_id: impl Into<String>) -> Self {
        self.partition_id = Some(partition_id.into());
        self
    }

    /// Checks the limits and builds the manager.
    pub fn build(self) -> Result<CachingMaterialsManager, Error> {
        if self.max_age.is_zero() {
            return Err(Error::InvalidArgument(
                "caching manager max age must be greater than zero",
            ));
        }
        if self.capacity == 0 {
            return Err(Error::InvalidArgument(
                "caching manager capacity must be at least one entry",
            ));
        }
        if self.max_messages == 0 || self.max_messages > DEFAULT_MAX_MESSAGES {
            return Err(Error::InvalidArgument(
                "caching manager max messages must be between 1 and 2^32",
            ));
        }
        if self.max_bytes > DEFAULT_MAX_BYTES {
            return Err(Error::InvalidArgument(
                "caching manager max bytes must be at most 2^63-1",
            ));
        }
        let partition_id = match self.partition_id {
            Some(id) => id,
            None => random_partition_id()?,
        };
        Ok(CachingMaterialsManager {
            underlying: self.underlying,
            clock: self.clock,
            max_age_ms: u64::try_from(self.max_age.as_millis()).unwrap_or(u64::MAX),
            capacity: self.capacity,
            max_messages: self.max_messages,
            max_bytes: self.max_bytes,
            partition_id,
            state: RefCell::new(State::default()),
        })
    }
}

fn random_partition_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    crate::random::fill(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| alloc::format!("{b:02x}"))
        .collect::<String>())
}

type CacheKey = [u8; 48];

enum Cached {
    Encryption(EncryptionMaterials),
    Decryption(DecryptionMaterials),
}

struct Entry {
    materials: Cached,
    created_ms: u64,
    last_used: u64,
    messages: u64,
    bytes: u64,
}

#[derive(Default)]
struct State {
    entries: Entries,
    /// Keys being fetched now, with the wakers of requests waiting for them:
    /// one item per concurrent fetch.
    in_flight: Vec<(CacheKey, Vec<Waker>)>,
    /// Logical time of the last use, for LRU order.
    tick: u64,
    stats: CacheStats,
}

/// The entries, sorted by key: found by binary search, and inserted or
/// removed by moving the (boxed, so small) items after them. Not a
/// `BTreeMap`: an instantiation of one was about 11 KB of the .wasm, and
/// the least-recently-used eviction scans every entry either way.
#[derive(Default)]
struct Entries(Vec<(CacheKey, Box<Entry>)>);

impl Entries {
    fn find(&self, key: &CacheKey) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(key))
    }

    fn get_mut(&mut self, key: &CacheKey) -> Option<&mut Entry> {
        let at = self.find(key).ok()?;
        self.0.get_mut(at).map(|(_, e)| &mut **e)
    }

    fn insert(&mut self, key: CacheKey, entry: Entry) {
        match self.find(&key) {
            Ok(at) => *self.0[at].1 = entry,
            Err(at) => self.0.insert(at, (key, Box::new(entry))),
        }
    }

    fn remove(&mut self, key: &CacheKey) -> Option<Box<Entry>> {
        let at = self.find(key).ok()?;
        Some(self.0.remove(at).1)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn clear(&mut self) {
        self.0.clear();
    }

    /// The key of the least recently used entry.
    fn oldest(&self) -> Option<CacheKey> {
        self.0
            .iter()
            .min_by_key(|(_, e)| e.last_used)
            .map(|(k, _)| *k)
    }
}

impl State {
    fn remove(&mut self, key: &CacheKey) {
        // Dropping the entry drops its data key, which zeroizes itself.
        if self.entries.remove(key).is_some() {
            self.stats.evictions += 1;
        }
    }

    fn insert(&mut self, key: CacheKey, mut entry: Entry, capacity: usize) {
        self.tick += 1;
        entry.last_used = self.tick;
        self.entries.insert(key, entry);
        while self.entries.len() > capacity {
            match self.entries.oldest() {
                Some(k) => self.remove(&k),
                None => break,
            }
        }
    }
}

/// Removes the in-flight mark and wakes the waiters when the fetch ends,
/// whether it succeeded, failed, or its future was dropped; a waiter then
/// finds the entry or becomes the next fetcher.
struct InFlight<'a> {
    state: &'a RefCell<State>,
    key: CacheKey,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let waiters = {
            let mut state = self.state.borrow_mut();
            let at = state.in_flight.iter().position(|(k, _)| *k == self.key);
            at.map(|i| state.in_flight.swap_remove(i).1)
        };
        for waker in waiters.into_iter().flatten() {
            waker.wake();
        }
    }
}

/// Resolves once no fetch for `key` is in flight.
struct WaitForFetch<'a> {
    state: &'a RefCell<State>,
    key: CacheKey,
}

impl Future for WaitForFetch<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.borrow_mut();
        match state.in_flight.iter_mut().find(|(k, _)| *k == self.key) {
            None => Poll::Ready(()),
            Some((_, waiters)) => {
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

/// What a lookup found.
enum Lookup<T> {
    Hit(T),
    /// No entry and nobody fetching: the caller fetches (in-flight marked).
    Fetch,
    /// Someone else is fetching: wait, then look again.
    Wait,
}

/// A materials manager that caches another's results; see the module docs.
pub struct CachingMaterialsManager {
    underlying: Box<dyn MaterialsManager>,
    clock: Box<dyn Clock>,
    max_age_ms: u64,
    capacity: usize,
    max_messages: u64,
    max_bytes: u64,
    partition_id: String,
    state: RefCell<State>,
}

impl core::fmt::Debug for CachingMaterialsManager {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachingMaterialsManager")
            .field("partition_id", &self.partition_id)
            .field("max_age_ms", &self.max_age_ms)
            .field("capacity", &self.capacity)
            .field("max_messages", &self.max_messages)
            .field("max_bytes", &self.max_bytes)
            .field("stats", &self.stats())
            .finish()
    }
}

impl CachingMaterialsManager {
    /// Starts configuring a cache over `underlying` whose entries live at
    /// most `max_age` by `clock`.
    pub fn builder(
        underlying: Box<dyn MaterialsManager>,
        clock: impl Clock + 'static,
        max_age: Duration,
    ) -> CachingMaterialsManagerBuilder {
        CachingMaterialsManagerBuilder {
            underlying,
            clock: Box::new(clock),
            max_age,
            capacity: DEFAULT_CAPACITY,
            max_messages: DEFAULT_MAX_MESSAGES,
            max_bytes: DEFAULT_MAX_BYTES,
            partition_id: None,
        }
    }

    /// The partition id entries are keyed under.
    pub fn partition_id(&self) -> &str {
        &self.partition_id
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        let state = self.state.borrow();
        CacheStats {
            entries: state.entries.len() as u64,
            ..state.stats
        }
    }

    /// Drops every entry (their data keys zeroize).
    pub fn clear(&self) {
        let mut state = self.state.borrow_mut();
        let n = state.entries.len() as u64;
        state.entries.clear();
        state.stats.evictions += n;
    }

    fn bypass(&self) {
        let mut state = self.state.borrow_mut();
        state.stats.bypassed += 1;
        state.stats.underlying_calls += 1;
    }

    /// Looks up `key`, updating usage (`bytes` > 0 or an encryption entry
    /// counts one message); expired or exhausted entries are evicted.
    fn lookup<T>(
        &self,
        key: &CacheKey,
        bytes: Option<u64>,
        take: impl Fn(&Cached) -> Option<T>,
    ) -> Lookup<T> {
        let now = self.clock.now_millis();
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        let mut usable = None;
        if let Some(entry) = state.entries.get_mut(key) {
            let fresh =
                now.saturating_sub(entry.created_ms) < self.max_age_ms && now >= entry.created_ms;
            let within_limits = match bytes {
                None => true,
                Some(b) => {
                    entry.messages < self.max_messages
                        && entry.bytes.saturating_add(b) <= self.max_bytes
                }
            };
            if fresh && within_limits {
                if let Some(b) = bytes {
                    entry.messages += 1;
                    entry.bytes += b;
                }
                state.tick += 1;
                entry.last_used = state.tick;
                usable = take(&entry.materials);
            }
        }
        if let Some(materials) = usable {
            state.stats.hits += 1;
            return Lookup::Hit(materials);
        }
        state.remove(key);
        if state.in_flight.iter().any(|(k, _)| k == key) {
            return Lookup::Wait;
        }
        state.in_flight.push((*key, Vec::new()));
        state.stats.misses += 1;
        state.stats.underlying_calls += 1;
        Lookup::Fetch
    }

    fn store(&self, key: CacheKey, materials: Cached, bytes: Option<u64>) {
        let entry = Entry {
            materials,
            created_ms: self.clock.now_millis(),
            last_used: 0,
            messages: u64::from(bytes.is_some()),
            bytes: bytes.unwrap_or(0),
        };
        self.state.borrow_mut().insert(key, entry, self.capacity);
    }

    async fn encryption_materials(
        &self,
        request: EncryptionMaterialsRequest,
    ) -> Result<EncryptionMaterials, Error> {
        let cacheable_suite = request.suite.is_none_or(|s| s.suite().is_cacheable());
        // Without a known length the byte limit could not be enforced, so the
        // cache is bypassed (the specification's change
        // 2020-07-13_caching-cmm-max-plaintext-length).
        let bytes = match request.max_plaintext_length {
            Some(len) if cacheable_suite && len <= self.max_bytes => len,
            _ => {
                self.bypass();
                return self.underlying.get_encryption_materials(request).await;
            }
        };
        if let Some(suite) = request.suite {
            request.commitment_policy.check_encrypt(suite)?;
        }
        let key = self.encryption_key(&request)?;
        let policy = request.commitment_policy;
        loop {
            let found = self.lookup(&key, Some(bytes), |c| match c {
                Cached::Encryption(m) if policy.check_encrypt(m.suite.id).is_ok() => {
                    Some(m.clone())
                }
                _ => None,
            });
            match found {
                Lookup::Hit(materials) => return Ok(materials),
                Lookup::Wait => {
                    WaitForFetch {
                        state: &self.state,
                        key,
                    }
                    .await
                }
                Lookup::Fetch => break,
            }
        }
        let _in_flight = InFlight {
            state: &self.state,
            key,
        };
        // Materials fetched for the cache may serve up to the byte limit, so
        // the underlying manager is told that bound, not this request's.
        let mut request = request;
        request.max_plaintext_length = Some(self.max_bytes);
        let materials = self.underlying.get_encryption_materials(request).await?;
        if materials.suite.is_cacheable() {
            self.store(key, Cached::Encryption(materials.clone()), Some(bytes));
        }
        Ok(materials)
    }

    async fn decryption_materials(
        &self,
        request: DecryptionMaterialsRequest,
    ) -> Result<DecryptionMaterials, Error> {
        if !request.suite.suite().is_cacheable() {
            self.bypass();
            return self.underlying.decrypt_materials(request).await;
        }
        // A cached entry must not let a message through that this caller's
        // policy refuses.
        request.commitment_policy.check_decrypt(request.suite)?;
        let key = self.decryption_key(&request)?;
        loop {
            let found = self.lookup(&key, None, |c| match c {
                Cached::Decryption(m) => Some(m.clone()),
                Cached::Encryption(_) => None,
            });
            match found {
                Lookup::Hit(materials) => return Ok(materials),
                Lookup::Wait => {
                    WaitForFetch {
                        state: &self.state,
                        key,
                    }
                    .await
                }
                Lookup::Fetch => break,
            }
        }
        let _in_flight = InFlight {
            state: &self.state,
            key,
        };
        let materials = self.underlying.decrypt_materials(request).await?;
        self.store(key, Cached::Decryption(materials.clone()), None);
        Ok(materials)
    }

    /// The specification's encryption entry id (Appendix A, version 0.4.0):
    /// SHA-384 of resource id 0x01, scope 0x01, partition id, 0x00 or 0x01
    /// and the suite id, and the serialized context, separated by 0x00.
    ///
    /// Two additions keep requests apart that the formula would merge, so
    /// that a hit never returns materials the underlying manager would not
    /// have: the commitment policy when no suite is named (it picks the
    /// default suite), and the required encryption context keys when any.
    fn encryption_key(&self, request: &EncryptionMaterialsRequest) -> Result<CacheKey, Error> {
        let mut h = Sha384::new();
        h.update([0x01, 0x00, 0x01, 0x00]);
        h.update(self.partition_id.as_bytes());
        h.update([0x00]);
        match request.suite {
            None => h.update([0x00]),
            Some(suite) => {
                h.update([0x01, 0x00]);
                h.update(suite.to_be_bytes());
            }
        }
        h.update([0x00]);
        h.update(request.encryption_context.serialize()?);
        if request.suite.is_none() {
            h.update([0x00]);
            h.update(request.commitment_policy.as_str());
        }
        if !request.required_encryption_context_keys.is_empty() {
            // Byte order is str order.
            let mut keys = sorted(
                request
                    .required_encryption_context_keys
                    .iter()
                    .map(|k| k.as_bytes()),
            );
            keys.dedup();
            for k in keys {
                h.update([0x00]);
                h.update(k);
            }
        }
        Ok(h.finalize().into())
    }

    /// The specification's decryption entry id: SHA-384 of resource id 0x01,
    /// scope 0x02, partition id, suite id, the sorted serialized encrypted
    /// data keys, and the serialized context, separated by 0x00. A
    /// reproduced context, when given, is appended: the materials carry it,
    /// so a caller must not receive another caller's.
    fn decryption_key(&self, request: &DecryptionMaterialsRequest) -> Result<CacheKey, Error> {
        let edks = request
            .encrypted_data_keys
            .iter()
            .map(serialize_edk)
            .collect::<Result<Vec<_>, _>>()?;
        let edks = sorted(edks.iter().map(Vec::as_slice));
        let mut h = Sha384::new();
        h.update([0x01, 0x00, 0x02, 0x00]);
        h.update(self.partition_id.as_bytes());
        h.update([0x00]);
        h.update(request.suite.to_be_bytes());
        h.update([0x00]);
        for edk in &edks {
            h.update(edk);
        }
        h.update([0x00]);
        h.update(request.encryption_context.serialize()?);
        if let Some(reproduced) = request
            .reproduced_encryption_context
            .as_ref()
            .filter(|c| !c.is_empty())
        {
            h.update([0x00]);
            h.update(EncryptionContext::serialize(reproduced)?);
        }
        Ok(h.finalize().into())
    }
}

/// Byte strings in ascending order: the cache keys' one sort instantiation
/// (each element type sorted costs ~5 KB of wasm).
fn sorted<'a>(items: impl Iterator<Item = &'a [u8]>) -> Vec<&'a [u8]> {
    let mut out: Vec<&[u8]> = items.collect();
    out.sort_unstable();
    out
}

/// An encrypted data key as the header writes it: three u16-length-prefixed
/// fields.
fn serialize_edk(edk: &EncryptedDataKey) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for field in [
        edk.provider_id.as_bytes(),
        &edk.provider_info[..],
        &edk.ciphertext[..],
    ] {
        let len = u16::try_from(field.len())
            .map_err(|_| Error::InvalidArgument("encrypted data key field over 65535 bytes"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field);
    }
    Ok(out)
}

impl MaterialsManager for CachingMaterialsManager {
    fn get_encryption_materials<'a>(
        &'a self,
        request: EncryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        Box::pin(self.encryption_materials(request))
    }

    fn decrypt_materials<'a>(
        &'a self,
        request: DecryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        Box::pin(self.decryption_materials(request))
    }
}

#[cfg(test)]
mod tests;
