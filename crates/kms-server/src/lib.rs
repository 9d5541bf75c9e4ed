//! kms-server: an AWS-KMS-compatible endpoint with an embedded store.
//!
//! - [`mod@app`]: the axum router (`POST /`, `GET /healthz`, CORS, request ids).
//! - [`auth`]: SigV4 verification against the configured access keys.
//! - [`dispatch`]: typed request → handler, one exhaustive `match`.
//! - [`handlers`]: one handler per operation, grouped by resource.
//! - [`error`]: domain errors and their AWS wire form.
//! - [`registry`]: the in-memory view every request reads.
//! - [`store`]: durable storage (SQLite), written before acknowledging.
//! - [`state`]: shared state and start-up from a data directory.
//! - [`crypto`]: key material and every cryptographic operation.
//!
//! # Where the next features plug in
//!
//! - Key policies and grants: every handler receives a [`handlers::Ctx`]
//!   with the caller's principal ARN; an authorization check belongs in
//!   [`handlers::find_key`] (the one place a request reaches a key), and
//!   policies are already stored per key (`KeyRecord::policy`).
//! - Rotation: material is versioned (`key_materials` table,
//!   `KeyEntry::materials`, `KeyRecord::current_version`) and ciphertexts
//!   name their version, so a rotation adds a `Change::PutMaterial` and bumps
//!   the current version.
//! - Multi-region replicas: everything is scoped by `(account, region)`
//!   ([`store::Scope`]) and `mrk-` ids are issued, so a replica is the same
//!   key id and material in another scope.
//! - Audit log and quotas: [`mod@app`] has one request pipeline with the request
//!   id, principal, operation and outcome in hand; both wrap [`dispatch`].

pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod dispatch;
pub mod error;
pub mod fs_util;
pub mod handlers;
pub mod metrics;
pub mod policy;
pub mod quota;
pub mod registry;
pub mod resolve;
pub mod state;
pub mod store;
pub mod usage;

pub use app::app;
pub use state::AppState;
