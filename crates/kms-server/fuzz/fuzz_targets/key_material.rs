//! Imported key material (ImportKeyMaterial, after unwrapping) and the
//! storage form read back at start-up: `KeyMaterial::from_bytes` never
//! panics for any spec, and what it loads stores to bytes that load as the
//! same material, with a public key exactly for the asymmetric specs.
//!
//! Input: a key spec as KMS spells it (e.g. `ECC_NIST_P256`), a NUL, then
//! the material.
#![no_main]

use kms_protocol::ops::KeySpec;
use kms_server::crypto::material::KeyMaterial;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(nul) = data.iter().position(|b| *b == 0) else {
        return;
    };
    let (name, bytes) = (&data[..nul], &data[nul + 1..]);
    let Some(spec) = std::str::from_utf8(name)
        .ok()
        .and_then(|n| n.parse::<KeySpec>().ok())
    else {
        return;
    };
    let Ok(material) = KeyMaterial::from_bytes(spec, bytes) else {
        return;
    };
    assert_eq!(material.spec(), spec);
    let stored = material
        .to_bytes()
        .unwrap_or_else(|e| panic!("loaded {spec:?} material does not store: {e:?}"));
    let again = KeyMaterial::from_bytes(spec, &stored)
        .unwrap_or_else(|e| panic!("stored {spec:?} material does not load: {e:?}"));
    assert_eq!(again.same_material_as(&material).ok(), Some(true));
    assert_eq!(
        material.public_key_der().is_ok(),
        spec.is_asymmetric(),
        "{spec:?}"
    );
});
