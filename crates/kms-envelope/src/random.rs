//! Randomness: the operating system's CSPRNG natively, `crypto.getRandomValues`
//! on wasm32 (through getrandom's `wasm_js` backend).
//!
//! On wasm32 with `std`, small requests are served from a pool of 1 KiB
//! drawn in one `getRandomValues` call. Each call to the runtime costs a
//! crossing, a new typed array and, in Node, a synchronous `randomFillSync`:
//! three of them (data key, message ID, IV) were a ninth of a 1 KiB
//! encrypt+decrypt there. The pool holds only bytes no one has been given
//! yet: each byte served is zeroed in the pool as it is copied out, so no
//! key drawn from it stays behind in a second place.

use crate::error::Error;

/// Fills `buf` with cryptographically secure random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), Error> {
    #[cfg(all(target_arch = "wasm32", feature = "std"))]
    if buf.len() <= pool::LARGEST {
        return pool::fill(buf);
    }
    os_fill(buf)
}

/// Straight from the platform's CSPRNG.
fn os_fill(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|_| Error::RandomnessUnavailable)
}

#[cfg(all(target_arch = "wasm32", feature = "std"))]
mod pool {
    use core::cell::RefCell;

    use zeroize::Zeroize;

    use crate::error::Error;

    /// Bytes drawn at once.
    const SIZE: usize = 1024;
    /// Requests larger than this go to the platform directly.
    pub const LARGEST: usize = 64;

    struct Pool {
        bytes: [u8; SIZE],
        /// The first byte not yet served; everything before it is zero.
        next: usize,
    }

    std::thread_local! {
        static POOL: RefCell<Pool> = const {
            RefCell::new(Pool { bytes: [0; SIZE], next: SIZE })
        };
    }

    pub fn fill(buf: &mut [u8]) -> Result<(), Error> {
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if SIZE - pool.next < buf.len() {
                if let Err(e) = super::os_fill(&mut pool.bytes) {
                    pool.bytes.zeroize();
                    pool.next = SIZE;
                    return Err(e);
                }
                pool.next = 0;
            }
            let range = pool.next..pool.next + buf.len();
            buf.copy_from_slice(&pool.bytes[range.clone()]);
            pool.bytes[range.clone()].zeroize();
            pool.next = range.end;
            Ok(())
        })
    }
}

/// A `rand_core` RNG over the same source, for APIs that take one (RSA-OAEP,
/// ECDSA key generation). It is fallible: a failure of the source reaches
/// the API as an error, never as a panic.
pub fn rng() -> Rng {
    Rng
}

/// See [`rng`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Rng;

impl rand_core::TryRng for Rng {
    type Error = Error;

    fn try_next_u32(&mut self) -> Result<u32, Error> {
        let mut bytes = [0u8; 4];
        fill(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Error> {
        let mut bytes = [0u8; 8];
        fill(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Error> {
        fill(dst)
    }
}

impl rand_core::TryCryptoRng for Rng {}
