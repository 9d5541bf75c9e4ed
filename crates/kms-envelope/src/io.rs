//! `std::io` adapters over the streaming encryptor and decryptor, for
//! command-line tools that stream files.

use alloc::vec::Vec;
use std::io::{self, Write};

use crate::decrypt::BodyDecryptor;
use crate::encrypt::Encryptor;
use crate::error::Error;

/// A `Write` that encrypts what is written to it into `inner`. Call
/// [`StreamWriter::finish`]: dropping it leaves a truncated message.
pub type EncryptingWriter<W> = StreamWriter<Encryptor, W>;

/// A `Write` that takes the message body (after the header was read and
/// materials obtained) and writes released plaintext into `inner`. Call
/// [`StreamWriter::finish`]: only its success means the whole message
/// authenticated (and, for signed suites, that held plaintext is written).
pub type DecryptingWriter<W> = StreamWriter<BodyDecryptor, W>;

/// A streaming stage that turns input bytes into output bytes and must be
/// finished: the encryptor or the body decryptor.
pub trait StreamStage: sealed::Sealed {
    /// Consumes `input`, appending what it releases to `out`.
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error>;
    /// Ends the stream, appending the rest to `out`.
    fn finish(self, out: &mut Vec<u8>) -> Result<(), Error>;
    /// Ends the stream and writes the rest to `sink` (`scratch` is free
    /// space for it).
    fn finish_to<W: Write>(self, scratch: &mut Vec<u8>, sink: &mut W) -> io::Result<()>
    where
        Self: Sized,
    {
        self.finish(scratch).map_err(to_io)?;
        sink.write_all(scratch)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::encrypt::Encryptor {}
    impl Sealed for crate::decrypt::BodyDecryptor {}
}

impl StreamStage for Encryptor {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        Encryptor::update(self, input, out)
    }
    fn finish(self, out: &mut Vec<u8>) -> Result<(), Error> {
        Encryptor::finish(self, out)
    }
}

impl StreamStage for BodyDecryptor {
    fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        BodyDecryptor::update(self, input, out)
    }
    fn finish(self, out: &mut Vec<u8>) -> Result<(), Error> {
        BodyDecryptor::finish(self, out)
    }
    /// The held plaintext of a signed suite is written piece by piece, not
    /// gathered into one more copy of it first.
    fn finish_to<W: Write>(self, _scratch: &mut Vec<u8>, sink: &mut W) -> io::Result<()> {
        for piece in self.finish_in_pieces().map_err(to_io)? {
            sink.write_all(&piece)?;
        }
        Ok(())
    }
}

/// A `Write` over a [`StreamStage`]; see [`EncryptingWriter`] and
/// [`DecryptingWriter`].
#[derive(Debug)]
pub struct StreamWriter<S: StreamStage, W: Write> {
    stage: S,
    inner: W,
    scratch: Vec<u8>,
}

fn to_io(e: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl<S: StreamStage, W: Write> StreamWriter<S, W> {
    /// Wraps a stage and the sink of its output.
    pub fn new(stage: S, inner: W) -> Self {
        StreamWriter {
            stage,
            inner,
            scratch: Vec::new(),
        }
    }

    /// Ends the stream (final frame and footer when encrypting; the checks
    /// that the message ended properly, and any held plaintext, when
    /// decrypting), flushes, and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.scratch.clear();
        self.stage.finish_to(&mut self.scratch, &mut self.inner)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<S: StreamStage, W: Write> Write for StreamWriter<S, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.scratch.clear();
        self.stage.update(buf, &mut self.scratch).map_err(to_io)?;
        self.inner.write_all(&self.scratch)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
