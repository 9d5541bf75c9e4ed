//! kms-server: an AWS-KMS-compatible endpoint with an embedded store.
//!
//! - [`app`]: the axum router (`POST /`, `GET /healthz`, CORS, request ids).
//! - [`auth`]: SigV4 verification against the configured access keys.
//! - [`dispatch`]: typed request → handler, one exhaustive `match`.
//! - [`handlers`]: one handler per operation, grouped by resource.
//! - [`error`]: domain errors and their AWS wire form.
//! - [`registry`]: the in-memory view every request reads.
//! - [`store`]: durable storage (SQLite), written before acknowledging.
//! - [`state`]: shared state and start-up from a data directory.
//! - [`crypto`]: key material and every cryptographic operation.

pub mod app;
pub mod auth;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod dispatch;
pub mod error;
pub mod fs_util;
pub mod handlers;
pub mod registry;
pub mod resolve;
pub mod state;
pub mod store;

pub use app::app;
pub use state::AppState;
