//! The encryption context: non-secret key-value pairs bound to a message as
//! additional authenticated data, and their serialization.

use alloc::collections::BTreeMap;
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EncryptionContext(BTreeMap<String, String>);

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
        let mut context = EncryptionContext::new();
        for (k, v) in pairs {
            context.insert_caller(k.into(), v.into())?;
        }
        Ok(context)
    }

    /// One caller pair, refusing a reserved key. Not generic, so the map
    /// insertion is compiled once here rather than again in each crate
    /// that calls `from_caller` (~3 KB of wasm per copy).
    fn insert_caller(&mut self, key: String, value: String) -> Result<(), Error> {
        if key.starts_with(RESERVED_PREFIX) {
            return Err(ContextError::ReservedKey(key).into());
        }
        self.0.insert(key, value);
        Ok(())
    }

    /// Inserts a pair without the reserved-prefix check (for materials
    /// managers that add the SDK's own keys).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
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

    /// The underlying map.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
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
        let mut map = BTreeMap::new();
        if bytes.is_empty() {
            return Ok(EncryptionContext(map));
        }
        let mut rest = bytes;
        let count = take_u16(&mut rest)?;
        if count == 0 {
            return Err(Error::invalid_field(
                "encryption context",
                "a non-zero pair count (an empty context serializes to zero bytes)",
            ));
        }
        for _ in 0..count {
            let key = take_str(&mut rest)?;
            let value = take_str(&mut rest)?;
            if map.contains_key(&key) {
                return Err(ContextError::DuplicateKey(key).into());
            }
            map.insert(key, value);
        }
        if !rest.is_empty() {
            return Err(Error::invalid_field(
                "encryption context",
                "no bytes after the last pair",
            ));
        }
        Ok(EncryptionContext(map))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EncryptionContext {
    /// Collects pairs without the reserved-prefix check; use
    /// [`EncryptionContext::from_caller`] for caller input.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        EncryptionContext(
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

#[cfg(test)]
mod tests {
    use super::*;

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
