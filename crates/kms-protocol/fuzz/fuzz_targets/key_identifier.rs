//! Key identifier parsers never panic, and what parses displays as a string
//! that parses back to the same value.
#![no_main]

use std::fmt::Display;

use kms_protocol::ids::{AliasArn, AliasName, IdError, KeyArn, KeyId, KeyIdentifier};
use libfuzzer_sys::fuzz_target;

fn round_trips<T: Display + PartialEq + std::fmt::Debug>(
    input: &str,
    parse: fn(&str) -> Result<T, IdError>,
) {
    if let Ok(value) = parse(input) {
        let shown = value.to_string();
        assert_eq!(parse(&shown), Ok(value), "{input:?} displayed as {shown:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    round_trips(s, KeyIdentifier::parse);
    round_trips(s, KeyId::parse);
    round_trips(s, AliasName::parse);
    round_trips(s, KeyArn::parse);
    round_trips(s, AliasArn::parse);
    if let Ok(id) = KeyIdentifier::parse(s) {
        // The accessors agree with the variant.
        assert_eq!(id.is_alias(), id.alias_name().is_some());
        let _ = (id.key_id(), id.region(), id.account());
    }
});
