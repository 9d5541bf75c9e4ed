//! Key material shared by the tests of one test binary: RSA generation is
//! slow, so each spec is generated once.

use std::sync::OnceLock;

use kms_protocol::ops::KeySpec;

use super::KeyMaterial;

/// Every key spec kms-server supports.
pub(crate) const SUPPORTED_SPECS: [KeySpec; 17] = [
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
    KeySpec::Sm2,
];

/// Material of `spec`, generated once per test binary.
pub(crate) fn material(spec: KeySpec) -> &'static KeyMaterial {
    static CELLS: [OnceLock<KeyMaterial>; SUPPORTED_SPECS.len()] =
        [const { OnceLock::new() }; SUPPORTED_SPECS.len()];
    let index = SUPPORTED_SPECS
        .iter()
        .position(|s| *s == spec)
        .expect("a supported spec");
    CELLS[index].get_or_init(|| KeyMaterial::generate(spec).expect("generation"))
}
