//! Request and response bodies of the KMS operations (AWS JSON 1.1).
//!
//! Field names are AWS's (PascalCase on the wire); blobs travel as base64.

mod enums;

pub use enums::*;
