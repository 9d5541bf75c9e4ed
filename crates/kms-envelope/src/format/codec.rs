//! The one reader and the writer helpers for the message format.
//!
//! The reader never indexes untrusted bytes directly: every field is taken
//! through a length-checked `get`, and when the input ends early it records
//! how many bytes the structure needs in total, so a streaming caller can
//! wait for exactly that many instead of re-parsing on every chunk.

use alloc::vec::Vec;

use crate::error::Error;

/// A cursor over untrusted message bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    wanted: Option<usize>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            pos: 0,
            wanted: None,
        }
    }

    /// Bytes consumed so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// After a `Truncated` error: the total input length the structure needs
    /// to be read further (at least one more field). `None` when the last
    /// error was not a truncation.
    pub(crate) fn wanted(&self) -> Option<usize> {
        self.wanted
    }

    /// The bytes consumed so far.
    pub(crate) fn consumed(&self) -> &'a [u8] {
        self.bytes.get(..self.pos).unwrap_or_default()
    }

    /// Takes the next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(Error::truncated(what))?;
        match self.bytes.get(self.pos..end) {
            Some(field) => {
                self.pos = end;
                Ok(field)
            }
            None => {
                self.wanted = Some(end);
                Err(Error::truncated(what))
            }
        }
    }

    /// Takes the next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A byte.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(u8::from_be_bytes(self.array(what)?))
    }

    /// A big-endian u16.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// A big-endian u32.
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// A big-endian u64.
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// A field preceded by its u16 length.
    pub(crate) fn u16_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }
}

/// Appends a field preceded by its u16 length, refusing fields longer than
/// 65,535 bytes.
pub(crate) fn put_u16_prefixed(
    out: &mut Vec<u8>,
    field: &[u8],
    what: &'static str,
) -> Result<(), Error> {
    let len = u16::try_from(field.len())
        .map_err(|_| Error::invalid_field(what, "at most 65535 bytes"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
    Ok(())
}

/// Splits `bytes` after `n` bytes, or returns it whole with nothing after
/// when `n` is past the end (callers pass lengths they just measured).
pub(crate) fn split(bytes: &[u8], n: usize) -> (&[u8], &[u8]) {
    bytes.split_at_checked(n).unwrap_or((bytes, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_reports_the_length_needed() {
        let mut r = Reader::new(&[0, 5, 1, 2]);
        assert_eq!(r.u16("x").unwrap(), 5);
        assert!(r.take(5, "x").is_err());
        assert_eq!(r.wanted(), Some(7));
        assert_eq!(r.position(), 2);
        let mut r = Reader::new(&[]);
        assert!(r.take(usize::MAX, "x").is_err());
    }
}
