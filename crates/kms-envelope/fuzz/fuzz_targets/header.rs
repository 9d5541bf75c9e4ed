//! Parses arbitrary bytes as a message header: any input gives a header or a
//! typed error, never a panic; a parsed header re-serializes to the bytes it
//! was read from.
#![no_main]

use kms_envelope::format::{Header, HeaderLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = HeaderLimits {
        max_encrypted_data_keys: Some(64),
        max_header_size: 64 * 1024,
    };
    if let Ok((header, len)) = Header::parse(data, &limits) {
        let mut out = Vec::new();
        header.write(&mut out);
        assert_eq!(out.len(), len);
        assert_eq!(&out[..], &data[..len]);
    }
});
