//! Output that appears only on success: a temporary file beside the
//! destination, renamed into place by `commit`, deleted otherwise.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

/// Where results go: standard output, or a file that exists only once
/// everything succeeded.
pub enum Output {
    /// Standard output (bytes go out as they are released).
    Stdout(BufWriter<io::Stdout>),
    /// A temporary file in the destination's directory.
    File {
        /// The temporary file; dropped (and deleted) on failure.
        temp: BufWriter<NamedTempFile>,
        /// The final name.
        path: String,
    },
}

impl Output {
    /// Opens `path` (`-` for standard output).
    pub fn create(path: &str) -> Result<Self> {
        if path == "-" {
            return Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )));
        }
        let dir = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let temp = tempfile::Builder::new()
            .prefix(".kms-envelope-")
            .suffix(".partial")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        Ok(Output::File {
            temp: BufWriter::with_capacity(1 << 16, temp),
            path: path.to_owned(),
        })
    }

    /// Whether bytes written become visible before `commit` (standard
    /// output), so nothing unverified may be written.
    pub fn is_immediate(&self) -> bool {
        matches!(self, Output::Stdout(_))
    }

    /// Makes the output final: flushes and renames the file into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().context("cannot write to standard output"),
            Output::File { temp, path } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .context("cannot write the output")?;
                temp.as_file()
                    .sync_all()
                    .context("cannot write the output")?;
                temp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot create {path}"))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File { temp, .. } => temp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { temp, .. } => temp.flush(),
        }
    }
}

/// Opens the input (`-` for standard input).
pub fn open_input(path: &str) -> Result<Box<dyn io::Read>> {
    if path == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let file = File::open(path).with_context(|| format!("cannot open {path}"))?;
    Ok(Box::new(file))
}
