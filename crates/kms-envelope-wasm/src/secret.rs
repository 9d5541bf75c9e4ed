//! Plaintext held in wasm memory, cleared when dropped.

use core::ops::Deref;

/// Bytes that are zeroed, whole allocation included, when dropped.
///
/// `zeroize::Zeroizing<Vec<u8>>` clears one volatile byte at a time; in
/// wasm that loop was a fifth of a 16 MiB one-shot decryption (Node's
/// profiler). This clears with one `fill` (a bulk `memory.fill` in wasm)
/// and then hands the buffer to `black_box`, which is the barrier zeroize
/// itself uses on wasm, so the stores cannot be dropped as dead.
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(bytes)
    }
}

impl Deref for SecretBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        let capacity = self.0.capacity();
        self.0.fill(0);
        // The spare capacity too: it may hold bytes of an earlier length.
        self.0.resize(capacity, 0);
        core::hint::black_box(self.0.as_mut_slice());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derefs_to_its_bytes() {
        let s = SecretBytes::new(vec![1, 2, 3]);
        assert_eq!(&*s, &[1, 2, 3]);
    }
}
