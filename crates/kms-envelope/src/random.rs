//! Randomness: the operating system's CSPRNG natively, `crypto.getRandomValues`
//! on wasm32 (through getrandom's `js` backend).
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
    getrandom::getrandom(buf).map_err(|_| Error::RandomnessUnavailable)
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
/// ECDSA key generation).
pub fn rng() -> rand_core::OsRng {
    rand_core::OsRng
}
