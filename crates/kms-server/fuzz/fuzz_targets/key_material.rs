//! Imported key material (ImportKeyMaterial, after unwrapping) and the
//! storage form read back at start-up: `KeyMaterial::from_bytes` never
//! panics for any spec, and what it loads stores to bytes that load as the
//! same material, with a public key exactly for the asymmetric specs.
//!
//! Input: byte 0 picks the key spec, the rest is the material.
#![no_main]

use kms_protocol::ops::KeySpec;
use kms_server::crypto::material::KeyMaterial;
use libfuzzer_sys::fuzz_target;

/// Every spec, SM2 (refused: not implemented) included.
const SPECS: [KeySpec; 20] = [
    KeySpec::SymmetricDefault,
    KeySpec::Rsa2048,
    KeySpec::Rsa3072,
    KeySpec::Rsa4096,
    KeySpec::EccNistP256,
    KeySpec::EccNistP384,
    KeySpec::EccNistP521,
    KeySpec::EccSecgP256k1,
    KeySpec::Hmac224,
    KeySpec::Hmac256,
    KeySpec::Hmac384,
    KeySpec::Hmac512,
    KeySpec::EccNistEdwards25519,
    KeySpec::MlDsa44,
    KeySpec::MlDsa65,
    KeySpec::MlDsa87,
    KeySpec::MlKem512,
    KeySpec::MlKem768,
    KeySpec::MlKem1024,
    KeySpec::Sm2,
];

fuzz_target!(|data: &[u8]| {
    let [pick, bytes @ ..] = data else {
        return;
    };
    let spec = SPECS[usize::from(*pick) % SPECS.len()];
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
    let symmetric = matches!(
        spec,
        KeySpec::SymmetricDefault
            | KeySpec::Hmac224
            | KeySpec::Hmac256
            | KeySpec::Hmac384
            | KeySpec::Hmac512
    );
    assert_eq!(material.public_key_der().is_ok(), !symmetric, "{spec:?}");
});
