//! WebAssembly bindings of kms-envelope: the npm package `kms-envelope`.
//!
//! Bindings only: JavaScript values in and out, a KMS client over
//! `globalThis.fetch`, Web Streams, and errors with stable codes. The
//! message format, keyrings and caches are the core crate's.
//!
//! ```js
//! import { Session } from "kms-envelope";
//! const session = new Session({
//!   region: "us-east-1",
//!   endpoint: "http://127.0.0.1:4599",
//!   credentials: { accessKeyId, secretAccessKey },
//!   keyring: { type: "kms", generatorKeyId: "alias/app" },
//!   cache: { maxAgeMs: 60_000, maxMessages: 100 },
//! });
//! const { ciphertext } = await session.encrypt(data, { encryptionContext: { tenant: "42" } });
//! const { plaintext } = await session.decrypt(ciphertext, { encryptionContext: { tenant: "42" } });
//! ```

mod error;
mod fetch;
mod js;
mod keyrings;
mod native_sig;
mod node_crypto;
mod secret;
mod session;
mod stream;
#[cfg(feature = "verify")]
mod verify;
mod webcrypto;

pub use session::{Session, inspect};
#[cfg(feature = "verify")]
pub use verify::sm2_digest;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
