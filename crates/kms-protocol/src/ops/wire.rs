//! Wire helpers shared by every operation: base64 blobs and epoch-second timestamps.

use core::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// A binary field (`blob` in the API model), base64 on the wire.
///
/// The bytes are wiped on drop because blobs carry plaintexts and data keys,
/// and `Debug` shows only the length so they never reach a log.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blob(Vec<u8>);

impl Blob {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Blob(bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves the bytes out, leaving an empty blob (so nothing is copied unwiped).
    pub fn take(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.0)
    }
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Self {
        Blob(bytes)
    }
}

impl From<&[u8]> for Blob {
    fn from(bytes: &[u8]) -> Self {
        Blob(bytes.to_vec())
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base64Visitor;
        impl Visitor<'_> for Base64Visitor {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64-encoded string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Blob, E> {
                STANDARD
                    .decode(v)
                    .map(Blob)
                    .map_err(|_| E::custom("blob is not valid base64"))
            }
        }
        deserializer.deserialize_str(Base64Visitor)
    }
}

/// A point in time as AWS JSON 1.1 sends it: seconds since the Unix epoch,
/// with a fractional part.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub f64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// From whole milliseconds since the epoch (how the server stores times).
    pub fn from_millis(millis: i64) -> Self {
        // Millisecond precision, as AWS returns: i64 -> f64 is exact below 2^53.
        Timestamp(millis as f64 / 1000.0)
    }

    /// Whole seconds since the epoch.
    pub fn as_secs(self) -> i64 {
        self.0 as i64
    }

    /// Whole milliseconds since the epoch (saturating for absurd values).
    pub fn as_millis(self) -> i64 {
        let ms = (self.0 * 1000.0).round();
        if ms.is_nan() { 0 } else { ms as i64 }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        let millis = t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self::from_millis(millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_base64_and_hide_their_bytes_in_debug() {
        let b = Blob::from(&b"hello"[..]);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"aGVsbG8=\"");
        assert_eq!(format!("{b:?}"), "Blob(5 bytes)");
        let back: Blob = serde_json::from_str("\"aGVsbG8=\"").unwrap();
        assert_eq!(back.as_bytes(), b"hello");
        assert!(serde_json::from_str::<Blob>("\"***\"").is_err());
        assert!(serde_json::from_str::<Blob>("12").is_err());
    }

    #[test]
    fn timestamps_are_epoch_seconds_with_milliseconds() {
        let t = Timestamp::from_millis(1_700_000_000_123);
        assert_eq!(serde_json::to_string(&t).unwrap(), "1700000000.123");
        assert_eq!(t.as_secs(), 1_700_000_000);
    }
}
