//! `std::io` adapters over the streaming encryptor and decryptor, for
//! command-line tools that stream files.

use alloc::vec::Vec;
use std::io::{self, Write};

use crate::decrypt::BodyDecryptor;
use crate::encrypt::Encryptor;
use crate::error::Error;

fn to_io(e: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// A `Write` that encrypts what is written to it into `inner`. Call
/// [`EncryptingWriter::finish`]: dropping it leaves a truncated message.
#[derive(Debug)]
pub struct EncryptingWriter<W: Write> {
    encryptor: Encryptor,
    inner: W,
    scratch: Vec<u8>,
}

impl<W: Write> EncryptingWriter<W> {
    /// Wraps an encryptor and the sink of the ciphertext.
    pub fn new(encryptor: Encryptor, inner: W) -> Self {
        EncryptingWriter {
            encryptor,
            inner,
            scratch: Vec::new(),
        }
    }

    /// Writes the final frame and footer, flushes, and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.scratch.clear();
        self.encryptor.finish(&mut self.scratch).map_err(to_io)?;
        self.inner.write_all(&self.scratch)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EncryptingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.scratch.clear();
        self.encryptor
            .update(buf, &mut self.scratch)
            .map_err(to_io)?;
        self.inner.write_all(&self.scratch)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A `Write` that takes the message body (after the header was read and
/// materials obtained) and writes released plaintext into `inner`. Call
/// [`DecryptingWriter::finish`]: only its success means the whole message
/// authenticated (and, for signed suites, that held plaintext is written).
#[derive(Debug)]
pub struct DecryptingWriter<W: Write> {
    decryptor: BodyDecryptor,
    inner: W,
    scratch: Vec<u8>,
}

impl<W: Write> DecryptingWriter<W> {
    /// Wraps a body decryptor and the sink of the plaintext.
    pub fn new(decryptor: BodyDecryptor, inner: W) -> Self {
        DecryptingWriter {
            decryptor,
            inner,
            scratch: Vec::new(),
        }
    }

    /// Checks that the message ended properly, writes any held plaintext,
    /// flushes, and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.scratch.clear();
        self.decryptor.finish(&mut self.scratch).map_err(to_io)?;
        self.inner.write_all(&self.scratch)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for DecryptingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.scratch.clear();
        self.decryptor
            .update(buf, &mut self.scratch)
            .map_err(to_io)?;
        self.inner.write_all(&self.scratch)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
