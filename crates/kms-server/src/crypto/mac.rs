//! GenerateMac and VerifyMac: HMAC with SHA-224/256/384/512, the algorithm
//! fixed by the key spec (HMAC_224 only does HMAC_SHA_224, and so on).

use hmac::{Hmac, KeyInit, Mac};
use kms_protocol::ops::MacAlgorithmSpec;
use sha2::{Sha224, Sha256, Sha384, Sha512};

use super::error::CryptoError;
use super::material::{KeyMaterial, Loaded};

/// Largest message GenerateMac and VerifyMac accept (AWS's limit).
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Checks the algorithm and message and returns the HMAC key bytes.
fn prepare<'a>(
    operation: &'static str,
    material: &'a KeyMaterial,
    algorithm: MacAlgorithmSpec,
    message: &[u8],
) -> Result<&'a [u8], CryptoError> {
    let spec = material.spec();
    let Loaded::Hmac(key) = &material.loaded else {
        return Err(CryptoError::OperationNotValidForKey {
            operation,
            key_spec: spec,
        });
    };
    if !spec.mac_algorithms().contains(&algorithm) {
        return Err(CryptoError::AlgorithmNotValidForKey {
            algorithm: algorithm.as_str(),
            key_spec: spec,
        });
    }
    if message.is_empty() || message.len() > MAX_MESSAGE_LEN {
        return Err(CryptoError::length(
            "message",
            "1 to 4096 bytes",
            message.len(),
        ));
    }
    Ok(&key.bytes)
}

/// Runs `$body` with `$mac` bound to a keyed HMAC of the algorithm's hash.
macro_rules! with_hmac {
    ($algorithm:expr, $key:expr, |$mac:ident| $body:expr) => {{
        let bad_key = |_| CryptoError::Internal {
            step: "HMAC keying",
        };
        match $algorithm {
            MacAlgorithmSpec::HmacSha224 => {
                let $mac = <Hmac<Sha224>>::new_from_slice($key).map_err(bad_key)?;
                $body
            }
            MacAlgorithmSpec::HmacSha256 => {
                let $mac = <Hmac<Sha256>>::new_from_slice($key).map_err(bad_key)?;
                $body
            }
            MacAlgorithmSpec::HmacSha384 => {
                let $mac = <Hmac<Sha384>>::new_from_slice($key).map_err(bad_key)?;
                $body
            }
            MacAlgorithmSpec::HmacSha512 => {
                let $mac = <Hmac<Sha512>>::new_from_slice($key).map_err(bad_key)?;
                $body
            }
        }
    }};
}

/// Computes the HMAC of `message` (1 to 4096 bytes, checked here) under the
/// HMAC key `material`; `algorithm` must be the one its spec allows.
pub fn generate_mac(
    material: &KeyMaterial,
    algorithm: MacAlgorithmSpec,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let key = prepare("GenerateMac", material, algorithm, message)?;
    with_hmac!(algorithm, key, |mac| {
        let mut mac = mac;
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    })
}

/// Verifies `tag` in constant time. `Ok(())` when valid;
/// [`CryptoError::InvalidMac`] when not (including a tag of the wrong
/// length); other errors for malformed input or a misfit algorithm.
pub fn verify_mac(
    material: &KeyMaterial,
    algorithm: MacAlgorithmSpec,
    message: &[u8],
    tag: &[u8],
) -> Result<(), CryptoError> {
    let key = prepare("VerifyMac", material, algorithm, message)?;
    with_hmac!(algorithm, key, |mac| {
        let mut mac = mac;
        mac.update(message);
        // `verify_slice` compares in constant time and rejects other lengths.
        mac.verify_slice(tag).map_err(|_| CryptoError::InvalidMac)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_keys::material;
    use kms_protocol::ops::KeySpec;

    /// An RFC 4231 test case: key, data, and HMAC-SHA-224, -256, -384, -512.
    struct Vector {
        key: &'static str,
        data: &'static [u8],
        macs: [&'static str; 4],
    }

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    const CASE_1: Vector = Vector {
        key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        data: b"Hi There",
        macs: [
            "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        ],
    };

    const CASE_2: Vector = Vector {
        key: "4a656665",
        data: b"what do ya want for nothing?",
        macs: [
            "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        ],
    };

    const CASE_4: Vector = Vector {
        key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
        data: &[0xcd; 50],
        macs: [
            "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
            "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
        ],
    };

    const CASE_6: Vector = Vector {
        key: "",
        data: b"Test Using Larger Than Block-Size Key - Hash Key First",
        macs: [
            "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        ],
    };

    const SPECS: [(KeySpec, MacAlgorithmSpec); 4] = [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512),
    ];

    /// RFC 4231 cases 1, 2, 4 and 6 through `generate_mac`/`verify_mac`.
    /// Their keys (20, 4, 25 and 131 bytes) are outside AWS's import
    /// lengths, so the material is built without that check.
    #[test]
    fn rfc_4231_vectors() {
        for v in [CASE_1, CASE_2, CASE_4, CASE_6] {
            let key = if v.key.is_empty() {
                vec![0xaau8; 131]
            } else {
                unhex(v.key)
            };
            for ((spec, alg), expected) in SPECS.into_iter().zip(v.macs) {
                let m = KeyMaterial::hmac_without_length_check(spec, &key);
                let tag = generate_mac(&m, alg, v.data).unwrap();
                assert_eq!(hex::encode(&tag), expected, "{alg}");
                verify_mac(&m, alg, v.data, &unhex(expected)).unwrap();
            }
        }
    }

    #[test]
    fn imported_keys_mac_and_differ() {
        for (spec, alg) in SPECS {
            // 64 bytes is an allowed import length for every HMAC spec.
            let a = KeyMaterial::from_bytes(spec, &[1u8; 64]).unwrap();
            let b = KeyMaterial::from_bytes(spec, &[2u8; 64]).unwrap();
            let tag = generate_mac(&a, alg, b"m").unwrap();
            verify_mac(&a, alg, b"m", &tag).unwrap();
            assert_eq!(
                verify_mac(&b, alg, b"m", &tag).unwrap_err(),
                CryptoError::InvalidMac
            );
        }
    }

    #[test]
    fn every_spec_generates_and_verifies_and_rejects_changes() {
        for (spec, alg) in SPECS {
            let m = material(spec);
            let tag = generate_mac(m, alg, b"message").unwrap();
            verify_mac(m, alg, b"message", &tag).unwrap();
            for i in 0..tag.len() * 8 {
                let mut bad = tag.clone();
                bad[i / 8] ^= 1 << (i % 8);
                assert_eq!(
                    verify_mac(m, alg, b"message", &bad).unwrap_err(),
                    CryptoError::InvalidMac
                );
            }
            assert_eq!(
                verify_mac(m, alg, b"messagf", &tag).unwrap_err(),
                CryptoError::InvalidMac
            );
            assert_eq!(
                verify_mac(m, alg, b"message", &tag[..tag.len() - 1]).unwrap_err(),
                CryptoError::InvalidMac
            );
            // Every other algorithm is a usage error.
            for (_, other) in SPECS.into_iter().filter(|(_, a)| *a != alg) {
                assert!(matches!(
                    generate_mac(m, other, b"message"),
                    Err(CryptoError::AlgorithmNotValidForKey { .. })
                ));
            }
            assert!(matches!(
                generate_mac(m, alg, &[]),
                Err(CryptoError::InvalidLength { .. })
            ));
            assert!(generate_mac(m, alg, &[0u8; MAX_MESSAGE_LEN]).is_ok());
            assert!(matches!(
                generate_mac(m, alg, &[0u8; MAX_MESSAGE_LEN + 1]),
                Err(CryptoError::InvalidLength { .. })
            ));
        }
    }

    #[test]
    fn non_hmac_keys_cannot_mac() {
        let err = generate_mac(
            material(KeySpec::SymmetricDefault),
            MacAlgorithmSpec::HmacSha256,
            b"m",
        )
        .unwrap_err();
        assert_eq!(err.kms_error_code(), "InvalidKeyUsageException");
    }
}
