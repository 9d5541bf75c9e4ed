//! Data keys (GenerateDataKey, GenerateRandom-like lengths) and data key
//! pairs (GenerateDataKeyPair). The caller encrypts what must be returned
//! encrypted with [`super::ciphertext::seal`] (or RSA under an RSA key).

use core::fmt;

use kms_protocol::ops::{DataKeyPairSpec, DataKeySpec, KeySpec};
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::{KeyMaterial, fill_random};

/// Largest `NumberOfBytes` of GenerateDataKey (AWS's limit).
pub const MAX_DATA_KEY_BYTES: u32 = 1024;

/// The length of a data key, from exactly one of `KeySpec` and
/// `NumberOfBytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeyLength {
    /// `KeySpec`: AES_128 (16 bytes) or AES_256 (32 bytes).
    Spec(DataKeySpec),
    /// `NumberOfBytes`: 1 to 1024.
    Bytes(u32),
}

impl DataKeyLength {
    /// Validates the request fields as AWS does: exactly one must be given,
    /// and `NumberOfBytes` must be 1 to 1024.
    pub fn from_request(
        key_spec: Option<DataKeySpec>,
        number_of_bytes: Option<u32>,
    ) -> Result<Self, CryptoError> {
        match (key_spec, number_of_bytes) {
            (Some(spec), None) => Ok(DataKeyLength::Spec(spec)),
            (None, Some(n)) if (1..=MAX_DATA_KEY_BYTES).contains(&n) => Ok(DataKeyLength::Bytes(n)),
            (None, Some(n)) => Err(CryptoError::length(
                "NumberOfBytes",
                "1 to 1024",
                usize::try_from(n).unwrap_or(usize::MAX),
            )),
            _ => Err(CryptoError::InvalidInput {
                what: "data key length",
                expected: "exactly one of KeySpec and NumberOfBytes",
            }),
        }
    }

    /// The length in bytes.
    pub fn len(self) -> usize {
        match self {
            DataKeyLength::Spec(DataKeySpec::Aes128) => 16,
            DataKeyLength::Spec(DataKeySpec::Aes256) => 32,
            DataKeyLength::Bytes(n) => usize::try_from(n).unwrap_or(usize::MAX),
        }
    }

    /// Whether the length is zero (never, once validated).
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// A fresh random data key of `length` (1 to 1024 bytes, checked here).
pub fn generate_data_key(length: DataKeyLength) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let len = length.len();
    if len == 0 || len > MAX_DATA_KEY_BYTES as usize {
        return Err(CryptoError::length("data key", "1 to 1024 bytes", len));
    }
    let mut key = Zeroizing::new(vec![0u8; len]);
    fill_random(&mut key)?;
    Ok(key)
}

/// A generated data key pair: what GenerateDataKeyPair returns (the private
/// key also encrypted by the caller).
pub struct DataKeyPair {
    /// The private key, PKCS#8 DER (PrivateKeyInfo), as AWS returns it.
    pub private_key_der: Zeroizing<Vec<u8>>,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
}

impl fmt::Debug for DataKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKeyPair")
            .field("private_key_der", &"<redacted>")
            .field("public_key_der", &hex::encode(&self.public_key_der))
            .finish()
    }
}

/// The KMS key spec with the same key type as a data key pair spec.
pub fn key_spec_of(spec: DataKeyPairSpec) -> Result<KeySpec, CryptoError> {
    Ok(match spec {
        DataKeyPairSpec::Rsa2048 => KeySpec::Rsa2048,
        DataKeyPairSpec::Rsa3072 => KeySpec::Rsa3072,
        DataKeyPairSpec::Rsa4096 => KeySpec::Rsa4096,
        DataKeyPairSpec::EccNistP256 => KeySpec::EccNistP256,
        DataKeyPairSpec::EccNistP384 => KeySpec::EccNistP384,
        DataKeyPairSpec::EccNistP521 => KeySpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256k1 => KeySpec::EccSecgP256k1,
        DataKeyPairSpec::EccNistEdwards25519 => KeySpec::EccNistEdwards25519,
        DataKeyPairSpec::MlKem512 => KeySpec::MlKem512,
        DataKeyPairSpec::MlKem768 => KeySpec::MlKem768,
        DataKeyPairSpec::MlKem1024 => KeySpec::MlKem1024,
        DataKeyPairSpec::Sm2 => KeySpec::Sm2,
    })
}

/// Generates a data key pair of `spec`. RSA specs take
/// from tens of milliseconds to seconds: run off the async workers.
pub fn generate_data_key_pair(spec: DataKeyPairSpec) -> Result<DataKeyPair, CryptoError> {
    let material = KeyMaterial::generate(key_spec_of(spec)?)?;
    Ok(DataKeyPair {
        private_key_der: material.to_bytes()?,
        public_key_der: material.public_key_der()?.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pkcs8::{DecodePrivateKey, DecodePublicKey};

    #[test]
    fn lengths_follow_aws_rules() {
        assert_eq!(
            DataKeyLength::from_request(Some(DataKeySpec::Aes256), None)
                .unwrap()
                .len(),
            32
        );
        assert_eq!(
            DataKeyLength::from_request(Some(DataKeySpec::Aes128), None)
                .unwrap()
                .len(),
            16
        );
        assert_eq!(DataKeyLength::from_request(None, Some(1)).unwrap().len(), 1);
        assert_eq!(
            DataKeyLength::from_request(None, Some(1024)).unwrap().len(),
            1024
        );
        for bad in [
            DataKeyLength::from_request(None, Some(0)),
            DataKeyLength::from_request(None, Some(1025)),
            DataKeyLength::from_request(None, None),
            DataKeyLength::from_request(Some(DataKeySpec::Aes256), Some(32)),
        ] {
            assert_eq!(bad.unwrap_err().kms_error_code(), "ValidationException");
        }
        assert!(generate_data_key(DataKeyLength::Bytes(0)).is_err());
        assert!(generate_data_key(DataKeyLength::Bytes(1025)).is_err());
    }

    #[test]
    fn data_keys_are_random_and_of_the_asked_length() {
        let a = generate_data_key(DataKeyLength::Spec(DataKeySpec::Aes256)).unwrap();
        let b = generate_data_key(DataKeyLength::Spec(DataKeySpec::Aes256)).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        for n in [1u32, 7, 1024] {
            assert_eq!(
                generate_data_key(DataKeyLength::Bytes(n)).unwrap().len(),
                n as usize
            );
        }
    }

    #[test]
    fn ecc_data_key_pairs_parse_as_pkcs8_and_spki_and_match() {
        use p256::ecdsa::signature::{Signer, Verifier};
        let pair = generate_data_key_pair(DataKeyPairSpec::EccNistP256).unwrap();
        let sk = p256::ecdsa::SigningKey::from_pkcs8_der(&pair.private_key_der).unwrap();
        let vk = p256::ecdsa::VerifyingKey::from_public_key_der(&pair.public_key_der).unwrap();
        let sig: p256::ecdsa::Signature = sk.sign(b"pair");
        vk.verify(b"pair", &sig).unwrap();
        assert!(format!("{pair:?}").contains("<redacted>"));

        let pair = generate_data_key_pair(DataKeyPairSpec::EccNistP384).unwrap();
        let sk = p384::SecretKey::from_pkcs8_der(&pair.private_key_der).unwrap();
        assert_eq!(
            sk.public_key(),
            p384::PublicKey::from_public_key_der(&pair.public_key_der).unwrap()
        );
        let pair = generate_data_key_pair(DataKeyPairSpec::EccNistP521).unwrap();
        let sk = p521::SecretKey::from_pkcs8_der(&pair.private_key_der).unwrap();
        assert_eq!(
            sk.public_key(),
            p521::PublicKey::from_public_key_der(&pair.public_key_der).unwrap()
        );
        let pair = generate_data_key_pair(DataKeyPairSpec::EccSecgP256k1).unwrap();
        let sk = k256::SecretKey::from_pkcs8_der(&pair.private_key_der).unwrap();
        assert_eq!(
            sk.public_key(),
            k256::PublicKey::from_public_key_der(&pair.public_key_der).unwrap()
        );
    }

    #[test]
    fn ed25519_data_key_pairs_are_rfc8410_pkcs8_and_spki_and_match() {
        let pair = generate_data_key_pair(DataKeyPairSpec::EccNistEdwards25519).unwrap();
        let info = pkcs8::PrivateKeyInfoRef::try_from(pair.private_key_der.as_slice()).unwrap();
        assert_eq!(info.algorithm.oid.to_string(), "1.3.101.112");
        assert!(info.algorithm.parameters.is_none() && info.public_key.is_none());
        let private_key = info.private_key.as_bytes();
        assert_eq!(&private_key[..2], &[0x04, 0x20], "CurvePrivateKey");
        let seed: [u8; 32] = private_key[2..].try_into().unwrap();
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let spki = spki::SubjectPublicKeyInfoRef::try_from(pair.public_key_der.as_slice()).unwrap();
        assert_eq!(spki.algorithm.oid.to_string(), "1.3.101.112");
        assert_eq!(
            spki.subject_public_key.as_bytes().unwrap(),
            public.as_bytes()
        );
        let other = generate_data_key_pair(DataKeyPairSpec::EccNistEdwards25519).unwrap();
        assert_ne!(other.public_key_der, pair.public_key_der);
    }

    #[test]
    fn ml_kem_data_key_pairs_are_seed_form_pkcs8_and_spki_and_match() {
        for (spec, arc, ek_len) in [
            (DataKeyPairSpec::MlKem512, 1, 800),
            (DataKeyPairSpec::MlKem768, 2, 1184),
            (DataKeyPairSpec::MlKem1024, 3, 1568),
        ] {
            let pair = generate_data_key_pair(spec).unwrap();
            assert_eq!(pair.private_key_der.len(), 86, "seed form: one length");
            let info = pkcs8::PrivateKeyInfoRef::try_from(pair.private_key_der.as_slice()).unwrap();
            let oid = format!("2.16.840.1.101.3.4.4.{arc}");
            assert_eq!(info.algorithm.oid.to_string(), oid);
            assert!(info.algorithm.parameters.is_none() && info.public_key.is_none());
            assert_eq!(
                &info.private_key.as_bytes()[..2],
                &[0x80, 0x40],
                "seed [0] (64 bytes)"
            );
            let spki =
                spki::SubjectPublicKeyInfoRef::try_from(pair.public_key_der.as_slice()).unwrap();
            assert_eq!(spki.algorithm.oid.to_string(), oid);
            assert_eq!(spki.subject_public_key.as_bytes().unwrap().len(), ek_len);
            let key_spec = key_spec_of(spec).unwrap();
            let material = KeyMaterial::from_bytes(key_spec, &pair.private_key_der).unwrap();
            assert_eq!(material.public_key_der().unwrap(), pair.public_key_der);
        }
    }

    #[test]
    fn rsa_data_key_pairs_parse_as_pkcs8_and_spki_and_match() {
        use crate::crypto::material::modulus_bits;
        // One size is enough here: the material tests cover 3072 and 4096.
        let pair = generate_data_key_pair(DataKeyPairSpec::Rsa2048).unwrap();
        let private = rsa::PrivateKey::from_pkcs8_der(&pair.private_key_der).unwrap();
        let public = rsa::PublicKey::from_public_key_der(&pair.public_key_der).unwrap();
        assert_eq!(private.to_public_key(), public);
        assert_eq!(modulus_bits(&public), Some(2048));
    }

    #[test]
    fn sm2_pairs_are_pkcs8_and_spki_on_the_sm2_curve() {
        let pair = generate_data_key_pair(DataKeyPairSpec::Sm2).unwrap();
        let private = sm2::SecretKey::from_pkcs8_der(&pair.private_key_der).unwrap();
        let public = sm2::PublicKey::from_public_key_der(&pair.public_key_der).unwrap();
        assert_eq!(private.public_key(), public);
    }
}
