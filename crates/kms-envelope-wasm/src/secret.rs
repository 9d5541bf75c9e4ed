//! Plaintext held in wasm memory, cleared when dropped.

/// Bytes that are zeroed, whole allocation included, when dropped: the
/// core's [`PlaintextPiece`](kms_envelope::PlaintextPiece), which clears
/// with one bulk fill (a `memory.fill` in wasm) behind a `black_box`
/// barrier. `zeroize::Zeroizing<Vec<u8>>` clears one volatile byte at a
/// time; in wasm that loop was a fifth of a 16 MiB one-shot decryption
/// (Node's profiler).
pub type SecretBytes = kms_envelope::PlaintextPiece;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derefs_to_its_bytes() {
        let s = SecretBytes::new(vec![1, 2, 3]);
        assert_eq!(&*s, &[1, 2, 3]);
    }
}
