//! The message body's layout: frame fields, the body AAD and frame IVs.

use crate::suite::AlgorithmSuite;

/// The sequence-number field value that marks the final frame.
pub const FINAL_FRAME_MARKER: u32 = 0xFFFF_FFFF;

/// The largest non-framed content the format allows (2^36 - 32 bytes).
pub const MAX_NON_FRAMED_LENGTH: u64 = (1 << 36) - 32;

/// Bytes a regular frame adds around its content: sequence number, IV, tag.
pub const REGULAR_FRAME_OVERHEAD: usize = 4 + AlgorithmSuite::IV_LEN + AlgorithmSuite::TAG_LEN;

/// Bytes a final frame adds around its content: marker, sequence number, IV,
/// content length, tag.
pub const FINAL_FRAME_OVERHEAD: usize =
    4 + 4 + AlgorithmSuite::IV_LEN + 4 + AlgorithmSuite::TAG_LEN;

/// Which kind of body structure a body AAD belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyAadContent {
    /// A regular frame.
    Frame,
    /// The final frame.
    FinalFrame,
    /// A non-framed body.
    SingleBlock,
}

impl BodyAadContent {
    /// The string the specification assigns to it.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            BodyAadContent::Frame => b"AWSKMSEncryptionClient Frame",
            BodyAadContent::FinalFrame => b"AWSKMSEncryptionClient Final Frame",
            BodyAadContent::SingleBlock => b"AWSKMSEncryptionClient Single Block",
        }
    }
}

/// The body AAD of one frame, built on the stack: message id, content
/// string, sequence number (u32), content length (u64).
pub struct BodyAad {
    bytes: [u8; Self::MAX_LEN],
    len: usize,
}

impl BodyAad {
    /// 32-byte message id, the longest content string, 4 + 8 bytes.
    const MAX_LEN: usize = 32 + 35 + 12;

    /// The AAD of one body structure.
    pub fn new(
        message_id: &[u8],
        content: BodyAadContent,
        sequence_number: u32,
        length: u64,
    ) -> Self {
        let mut bytes = [0u8; Self::MAX_LEN];
        let mut len = 0;
        for part in [
            message_id,
            content.as_bytes(),
            &sequence_number.to_be_bytes(),
            &length.to_be_bytes(),
        ] {
            // Message ids are 16 or 32 bytes (the header parser and the
            // encryptor guarantee it), so every part fits; a longer one would
            // be cut, never written out of bounds.
            let end = (len + part.len()).min(Self::MAX_LEN);
            if let (Some(dst), Some(src)) = (bytes.get_mut(len..end), part.get(..end - len)) {
                dst.copy_from_slice(src);
            }
            len = end;
        }
        BodyAad { bytes, len }
    }

    /// The AAD bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// The IV of a frame: the sequence number, big-endian, in the last four
/// bytes of a zero IV.
pub const fn frame_iv(sequence_number: u32) -> [u8; AlgorithmSuite::IV_LEN] {
    let s = sequence_number.to_be_bytes();
    [0, 0, 0, 0, 0, 0, 0, 0, s[0], s[1], s[2], s[3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aad_and_iv_follow_the_specification() {
        let aad = BodyAad::new(&[7; 16], BodyAadContent::FinalFrame, 2, 5);
        let mut expected = alloc::vec![7u8; 16];
        expected.extend_from_slice(b"AWSKMSEncryptionClient Final Frame");
        expected.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(aad.as_bytes(), &expected[..]);
        let long = BodyAad::new(&[1; 32], BodyAadContent::SingleBlock, 1, 0);
        assert_eq!(long.as_bytes().len(), 32 + 35 + 12);
        assert_eq!(frame_iv(0x01020304), [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    }
}
