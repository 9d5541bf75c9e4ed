//! The AWS Encryption SDK message format: header, body and footer, read
//! with one length-checking reader and written with one writer.
//!
//! This module knows the layout only; the cryptography that fills and checks
//! the fields lives in [`mod@crate::encrypt`] and [`mod@crate::decrypt`].

pub(crate) mod codec;

pub mod body;
pub mod header;

pub use body::{BodyAad, BodyAadContent, frame_iv};
pub use header::{ContentType, Header, HeaderLimits};
