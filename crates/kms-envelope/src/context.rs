//! The encryption context: non-secret key-value pairs bound to a message as
//! additional authenticated data, and their serialization.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{ContextError, Error, Limit};

/// Keys starting with this prefix are reserved for the SDK itself (e.g. the
/// signature public key) and refused from callers.
pub const RESERVED_PREFIX: &str = "aws-crypto-";

/// The key under which signed suites carry the signature public key.
pub const PUBLIC_KEY_KEY: &str = "aws-crypto-public-key";

/// An encryption context: UTF-8 keys mapped to UTF-8 values, kept sorted by
/// key bytes, which is the order the message format serializes them in.
///
/// The pairs are a sorted vector, not a map: a context holds a handful of
/// pairs, and a `BTreeMap` instantiation was about 11 KB of the .wasm.
/// Bulk construction (parsing, collecting, caller input) sorts once, so a
/// header with thousands of pairs costs O(n log n), not O(n^2).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct EncryptionContext(Vec<(String, String)>);

impl core::fmt::Debug for EncryptionContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl EncryptionContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a context from caller pairs, refusing reserved keys.
    pub fn from_caller<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut all = Vec::new();
        for (k, v) in pairs {
            all.push((k.into(), v.into()));
        }
        Self::from_caller_pairs(all)
    }

    /// Caller pairs, refusing a reserved key. Not generic, so the checks are
    /// compiled once here rather than again in each crate that calls
    /// `from_caller`.
    fn from_caller_pairs(pairs: Vec<(String, String)>) -> Result<Self, Error> {
        if let Some((key, _)) = pairs.iter().find(|(k, _)| k.starts_with(RESERVED_PREFIX)) {
            return Err(ContextError::ReservedKey(key.clone()).into());
        }
        Ok(Self::from_pairs(pairs))
    }

    /// Sorts `pairs` by key; of equal keys the last one given stays, as
    /// inserting them one by one would leave it.
    fn from_pairs(mut pairs: Vec<(String, String)>) -> Self {
        sort_by_key(&mut pairs);
        let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        EncryptionContext(out)
    }

    /// Where `key` is, or where it would go.
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Inserts a pair without the reserved-prefix check (for materials
    /// managers that add the SDK's own keys); returns the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.insert_pair(key.into(), value.into())
    }

    fn insert_pair(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(at) => Some(core::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        let at = self.find(key).ok()?;
        self.0.get(at).map(|(_, v)| v.as_str())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let at = self.find(key).ok()?;
        Some(self.0.remove(at).1)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Checks that every pair of `expected` is present here with the same
    /// value (the check a decrypting caller makes).
    pub fn require_subset(&self, expected: &EncryptionContext) -> Result<(), Error> {
        for (k, v) in expected.iter() {
            if self.get(k) != Some(v) {
                return Err(ContextError::Mismatch { key: k.to_string() }.into());
            }
        }
        Ok(())
    }

    /// The pairs whose keys are in `keys`, as a new context.
    pub fn restricted_to<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> EncryptionContext {
        let mut out = EncryptionContext::new();
        for k in keys {
            if let Some(v) = self.get(k) {
                out.insert(k, v);
            }
        }
        out
    }

    /// The context without the pairs whose keys are in `keys`.
    pub fn without<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> EncryptionContext {
        let mut out = self.clone();
        for k in keys {
            out.remove(k);
        }
        out
    }

    /// Serializes as the message format specifies: nothing for an empty
    /// context; otherwise the pair count (u16), then for each pair in key
    /// order the key length (u16), key, value length (u16), value.
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        if self.0.is_empty() {
            return Ok(out);
        }
        let count = u16::try_from(self.0.len()).map_err(|_| Limit::EncryptionContextSize)?;
        out.extend_from_slice(&count.to_be_bytes());
        for (k, v) in &self.0 {
            for field in [k.as_bytes(), v.as_bytes()] {
                let len = u16::try_from(field.len()).map_err(|_| ContextError::TooLong)?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(field);
            }
        }
        if out.len() > usize::from(u16::MAX) {
            return Err(Limit::EncryptionContextSize.into());
        }
        Ok(out)
    }

    /// Parses the serialized form (exactly `bytes`, no more, no less). An
    /// empty slice is the empty context. Duplicate keys and invalid UTF-8 are
    /// refused; key order is not checked here because the header's
    /// authentication tag covers the bytes as written.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.is_empty() {
            return Ok(EncryptionContext::new());
        }
        let mut rest = bytes;
        let count = take_u16(&mut rest)?;
        if count == 0 {
            return Err(Error::invalid_field(
                "encryption context",
                "a non-zero pair count (an empty context serializes to zero bytes)",
            ));
        }
        // Each pair takes at least four bytes, so `count` is not trusted
        // for the allocation beyond what `bytes` could hold.
        let mut pairs = Vec::with_capacity(usize::from(count).min(rest.len() / 4));
        for _ in 0..count {
            let key = take_str(&mut rest)?;
            let value = take_str(&mut rest)?;
            pairs.push((key, value));
        }
        if !rest.is_empty() {
            return Err(Error::invalid_field(
                "encryption context",
                "no bytes after the last pair",
            ));
        }
        sort_by_key(&mut pairs);
        if let Some(pair) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(ContextError::DuplicateKey(pair[0].0.clone()).into());
        }
        Ok(EncryptionContext(pairs))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EncryptionContext {
    /// Collects pairs without the reserved-prefix check; use
    /// [`EncryptionContext::from_caller`] for caller input.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::from_pairs(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

fn take_u16(rest: &mut &[u8]) -> Result<u16, Error> {
    match rest {
        [a, b, tail @ ..] => {
            let v = u16::from_be_bytes([*a, *b]);
            *rest = tail;
            Ok(v)
        }
        _ => Err(Error::truncated("encryption context")),
    }
}

fn take_str(rest: &mut &[u8]) -> Result<String, Error> {
    let len = usize::from(take_u16(rest)?);
    if rest.len() < len {
        return Err(Error::truncated("encryption context"));
    }
    let (field, tail) = rest.split_at(len);
    *rest = tail;
    core::str::from_utf8(field)
        .map(ToString::to_string)
        .map_err(|_| ContextError::NotUtf8.into())
}

/// Sorts pairs by key, stably: of equal keys the first given stays first.
/// One function for both callers, so that the wasm build carries one copy
/// of the sort (1.5 KB of the minimal build).
fn sort_by_key(pairs: &mut [(String, String)]) {
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn empty_context_serializes_to_nothing() {
        assert!(EncryptionContext::new().serialize().unwrap().is_empty());
        assert!(EncryptionContext::deserialize(&[]).unwrap().is_empty());
    }

    #[test]
    fn serialization_is_sorted_by_key_bytes_and_round_trips() {
        let ctx: EncryptionContext = [("b", "2"), ("a", "1"), ("B", "3")].into_iter().collect();
        let bytes = ctx.serialize().unwrap();
        assert_eq!(
            bytes,
            [
                0, 3, 0, 1, b'B', 0, 1, b'3', 0, 1, b'a', 0, 1, b'1', 0, 1, b'b', 0, 1, b'2'
            ]
        );
        assert_eq!(EncryptionContext::deserialize(&bytes).unwrap(), ctx);
    }

    #[test]
    fn it_behaves_as_a_map_sorted_by_key_bytes() {
        // The last of equal keys wins, as inserting one by one would.
        let mut ctx: EncryptionContext =
            [("b", "1"), ("a", "2"), ("b", "3"), ("é", "4"), ("Z", "5")]
                .into_iter()
                .collect();
        assert_eq!(
            ctx.iter().collect::<Vec<_>>(),
            [("Z", "5"), ("a", "2"), ("b", "3"), ("é", "4")]
        );
        assert_eq!(ctx.insert("c", "6"), None);
        assert_eq!(ctx.insert("a", "7").as_deref(), Some("2"));
        assert_eq!(ctx.get("a"), Some("7"));
        assert_eq!(ctx.get("c"), Some("6"));
        assert_eq!(ctx.get("d"), None);
        assert!(ctx.contains_key("Z") && !ctx.contains_key("z"));
        assert_eq!(ctx.remove("b").as_deref(), Some("3"));
        assert_eq!(ctx.remove("b"), None);
        assert_eq!(ctx.len(), 4);
        assert_eq!(
            ctx.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["Z", "a", "c", "é"]
        );
        let caller = EncryptionContext::from_caller([("k", "1"), ("j", "2"), ("k", "3")]).unwrap();
        assert_eq!(caller.iter().collect::<Vec<_>>(), [("j", "2"), ("k", "3")]);
        assert_eq!(format!("{caller:?}"), r#"{"j": "2", "k": "3"}"#);
    }

    #[test]
    fn a_header_with_thousands_of_pairs_parses_in_any_order() {
        // 16,000 pairs, written in reverse: sorted once, not per pair.
        let mut bytes = 16_000u16.to_be_bytes().to_vec();
        for i in (0..16_000u32).rev() {
            let key = format!("{i:05}");
            bytes.extend_from_slice(&(key.len() as u16).to_be_bytes());
            bytes.extend_from_slice(key.as_bytes());
            bytes.extend_from_slice(&0u16.to_be_bytes());
        }
        let ctx = EncryptionContext::deserialize(&bytes).unwrap();
        assert_eq!(ctx.len(), 16_000);
        assert_eq!(ctx.iter().next(), Some(("00000", "")));
        assert_eq!(ctx.get("15999"), Some(""));
        // A duplicate anywhere is refused.
        let mut dup = bytes.clone();
        let first: Vec<u8> = dup[2..11].to_vec();
        dup[2 + 9 * 100..2 + 9 * 101].copy_from_slice(&first);
        assert!(matches!(
            EncryptionContext::deserialize(&dup),
            Err(Error::EncryptionContext(ContextError::DuplicateKey(_)))
        ));
    }

    #[test]
    fn reserved_keys_are_refused_from_callers() {
        let err = EncryptionContext::from_caller([("aws-crypto-public-key", "x")]).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::EncryptionContextMismatch);
    }

    #[test]
    fn malformed_serializations_are_typed_errors() {
        for bad in [
            &[0u8][..],
            &[0, 0],
            &[0, 1, 0, 1, b'a'],
            &[0, 1, 0, 1, b'a', 0, 2, b'x'],
            &[0, 1, 0, 1, 0xff, 0, 0],
            &[0, 2, 0, 1, b'a', 0, 0, 0, 1, b'a', 0, 0],
            &[0, 1, 0, 1, b'a', 0, 0, 9],
        ] {
            assert!(EncryptionContext::deserialize(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subset_check_names_the_key_that_differs() {
        let ctx: EncryptionContext = [("a", "1"), ("b", "2")].into_iter().collect();
        let ok: EncryptionContext = [("a", "1")].into_iter().collect();
        let bad: EncryptionContext = [("b", "3")].into_iter().collect();
        assert!(ctx.require_subset(&ok).is_ok());
        assert_eq!(
            ctx.require_subset(&bad),
            Err(Error::EncryptionContext(ContextError::Mismatch {
                key: "b".into()
            }))
        );
    }
}
