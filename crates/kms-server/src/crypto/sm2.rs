//! SM2 keys (GB/T 32918; the SM2 key spec AWS offers in its China Regions):
//! SM2DSA signatures, SM2PKE encryption and ECDH key agreement.
//!
//! - Storage and import form: PKCS#8 DER under id-ecPublicKey with the SM2
//!   curve (1.2.156.10197.1.301) as parameters, as OpenSSL 3 writes it.
//! - Public key: SubjectPublicKeyInfo under the same identifiers.
//! - SM2DSA: the signer's Z value uses the distinguishing ID AWS signs with,
//!   `1234567812345678`. RAW messages (1 to 4096 bytes) are hashed here as
//!   SM3(Z || M); a DIGEST is that 32-byte value, computed by the caller.
//!   Signatures are DER `SEQUENCE { r, s }`, hedged (RFC 6979 with fresh
//!   random bytes mixed in).
//! - SM2PKE: GB/T 32918.4 encryption with SM3, its ciphertext the ASN.1 DER
//!   of GM/T 0009 (`SEQUENCE { x, y, C3 hash, C2 ciphertext }`), which is
//!   also what OpenSSL's SM2 encryption writes; 1 to 1,024 bytes of
//!   plaintext, AWS's limit.
//! - ECDH: the x-coordinate of the shared point (the SM2 curve's cofactor
//!   is 1), as for the NIST curves.
//!
//! sm2 0.14's signing and decrypting keys do not wipe their copy of the
//! secret scalar when dropped (its secret key does). So only the secret key
//! is kept; each operation builds the key object it needs on its own stack
//! and drops it before returning.

use core::fmt;

use getrandom::SysRng;
use kms_protocol::ops::KeySpec;
use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sm2::elliptic_curve::Generate;
use sm2::pke::{Cipher, DecryptingKey, EncryptingKey, Mode};
use zeroize::Zeroizing;

use super::error::CryptoError;

/// The distinguishing ID AWS KMS uses in SM2DSA's Z value.
pub const DISTINGUISHING_ID: &str = "1234567812345678";

/// Largest plaintext SM2PKE encryption takes (AWS's limit).
pub const MAX_PLAINTEXT_LEN: usize = 1024;

/// Length of an SM3 digest: the DIGEST that SM2DSA signs.
pub const DIGEST_LEN: usize = 32;

const INVALID: &str = "a PKCS#8 DER SM2 private key (id-ecPublicKey on the SM2 curve)";

/// An SM2 key pair: the secret key (wiped on drop by elliptic-curve) and
/// its verifying key, which holds the public point and its Z value.
pub(crate) struct Sm2Key {
    secret: sm2::SecretKey,
    verifying: sm2::dsa::VerifyingKey,
}

impl fmt::Debug for Sm2Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sm2Key(<redacted>)")
    }
}

fn internal(step: &'static str) -> CryptoError {
    CryptoError::Internal { step }
}

impl Sm2Key {
    /// A fresh key from the operating system's random number generator.
    pub(crate) fn generate() -> Result<Self, CryptoError> {
        let secret = sm2::SecretKey::try_generate_from_rng(&mut SysRng)
            .map_err(|_| CryptoError::RandomUnavailable)?;
        Self::from_secret(secret)
    }

    /// Parses PKCS#8 DER of an SM2 private key; another curve, another
    /// algorithm, a public key that does not match or trailing bytes are
    /// refused.
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        let secret =
            sm2::SecretKey::from_pkcs8_der(der).map_err(|_| CryptoError::InvalidKeyMaterial {
                key_spec: KeySpec::Sm2,
                expected: INVALID,
            })?;
        Self::from_secret(secret)
    }

    fn from_secret(secret: sm2::SecretKey) -> Result<Self, CryptoError> {
        let verifying = sm2::dsa::VerifyingKey::new(DISTINGUISHING_ID, secret.public_key())
            .map_err(|_| internal("computing an SM2 key's Z value"))?;
        Ok(Sm2Key { secret, verifying })
    }

    /// The storage form: PKCS#8 DER (RFC 5915 ECPrivateKey with the public
    /// key, as OpenSSL writes it).
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.secret
            .to_pkcs8_der()
            .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
            .map_err(|_| internal("encoding an SM2 private key"))
    }

    /// SubjectPublicKeyInfo DER.
    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        self.secret
            .public_key()
            .to_public_key_der()
            .map(|doc| doc.into_vec())
            .map_err(|_| internal("encoding an SM2 public key"))
    }

    fn signing_key(&self) -> Result<sm2::dsa::SigningKey, CryptoError> {
        sm2::dsa::SigningKey::new(DISTINGUISHING_ID, &self.secret)
            .map_err(|_| internal("loading an SM2 signing key"))
    }

    /// Signs a RAW message (its length checked by the caller): SM3(Z || M)
    /// is computed by sm2. Returns the DER signature.
    pub(crate) fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use signature::RandomizedSigner;
        let signature: sm2::dsa::Signature = self
            .signing_key()?
            .try_sign_with_rng(&mut SysRng, message)
            .map_err(|_| CryptoError::RandomUnavailable)?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    /// Signs a [`DIGEST_LEN`]-byte digest (checked by the caller) and
    /// returns the DER signature.
    pub(crate) fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use signature::hazmat::RandomizedPrehashSigner;
        let signature: sm2::dsa::Signature = self
            .signing_key()?
            .sign_prehash_with_rng(&mut SysRng, digest)
            .map_err(|_| CryptoError::RandomUnavailable)?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    /// Verifies a DER signature over a RAW message.
    pub(crate) fn verify_message(
        &self,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        use signature::Verifier;
        let signature = parse_signature(signature)?;
        self.verifying
            .verify(message, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }

    /// Verifies a DER signature over a [`DIGEST_LEN`]-byte digest.
    pub(crate) fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        use signature::hazmat::PrehashVerifier;
        let signature = parse_signature(signature)?;
        self.verifying
            .verify_prehash(digest, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }

    /// SM2PKE encryption of 1 to [`MAX_PLAINTEXT_LEN`] bytes (checked here)
    /// under the public key; the ciphertext is GM/T 0009 DER.
    pub(crate) fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(CryptoError::length(
                "plaintext",
                "1 to 1024 bytes for SM2PKE",
                plaintext.len(),
            ));
        }
        EncryptingKey::new_with_mode(self.secret.public_key(), Mode::C1C3C2)
            .encrypt_der(&mut SysRng, plaintext)
            .map_err(|_| CryptoError::RandomUnavailable)
    }

    /// SM2PKE decryption of GM/T 0009 DER. Every failure (malformed DER, a
    /// point off the curve, a hash that does not match) is
    /// [`CryptoError::DecryptionFailed`]. The plaintext is written straight
    /// into a buffer that is wiped on drop, also when the hash check fails.
    ///
    /// sm2 0.14 compares the C3 hash with `!=`, not in constant time. The
    /// hash covers the secret shared point (x2, y2), so its value says
    /// nothing an attacker could use without that point.
    pub(crate) fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        use sm2::pkcs8::der::Decode;
        let cipher: Cipher<'_> =
            Cipher::from_der(ciphertext).map_err(|_| CryptoError::DecryptionFailed)?;
        let mut plaintext = Zeroizing::new(vec![0u8; cipher.c2().len()]);
        let key = DecryptingKey::new_with_mode(self.secret.to_nonzero_scalar(), Mode::C1C3C2);
        let len = key
            .decrypt_cipher_with_buf(&cipher, &mut plaintext)
            .map_err(|_| CryptoError::DecryptionFailed)?;
        plaintext.truncate(len);
        Ok(plaintext)
    }

    /// ECDH with a peer's SubjectPublicKeyInfo DER (a point on the SM2
    /// curve): the shared point's x-coordinate, 32 bytes, wiped on drop.
    pub(crate) fn agree(&self, peer_spki: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let peer = sm2::PublicKey::from_public_key_der(peer_spki).map_err(|_| {
            CryptoError::InvalidInput {
                what: "publicKey",
                expected: "a DER SubjectPublicKeyInfo of a point on the key's curve, SM2",
            }
        })?;
        let shared = sm2::elliptic_curve::ecdh::diffie_hellman(
            self.secret.to_nonzero_scalar(),
            peer.as_affine(),
        );
        Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
    }
}

fn parse_signature(der: &[u8]) -> Result<sm2::dsa::Signature, CryptoError> {
    sm2::dsa::Signature::from_der(der).map_err(|_| CryptoError::InvalidSignature)
}

#[cfg(test)]
mod tests;
