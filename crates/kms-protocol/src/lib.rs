//! The AWS KMS wire protocol, defined once for client and server.
//!
//! - [`ops`]: request and response bodies of every KMS operation (AWS JSON 1.1).
//! - [`error`]: KMS error codes and the `{"__type", "message"}` error body.
//! - [`ids`]: key ids, aliases, key and alias ARNs, multi-region (`mrk-`) ids.
//! - [`policy`]: key and identity policy documents (the IAM grammar KMS
//!   accepts) and their evaluation for one request.
//! - [`sigv4`]: AWS Signature Version 4 signing and verification.

pub mod error;
pub mod ids;
pub mod ops;
pub mod policy;
pub mod sigv4;
