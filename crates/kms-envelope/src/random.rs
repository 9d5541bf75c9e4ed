//! Randomness: the operating system's CSPRNG natively, `crypto.getRandomValues`
//! on wasm32 (through getrandom's `js` backend).

use crate::error::Error;

/// Fills `buf` with cryptographically secure random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::getrandom(buf).map_err(|_| Error::RandomnessUnavailable)
}

/// A `rand_core` RNG over the same source, for APIs that take one (RSA-OAEP,
/// ECDSA key generation).
pub fn rng() -> rand_core::OsRng {
    rand_core::OsRng
}
