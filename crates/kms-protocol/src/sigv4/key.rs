//! HMAC-SHA256 and the SigV4 signing-key derivation.

use core::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{SCOPE_TERMINATOR, SecretAccessKey};

type HmacSha256 = Hmac<Sha256>;

/// SHA-256's block size, the size HMAC pads its key to.
const BLOCK: usize = 64;

/// A keyed HMAC-SHA256 instance.
///
/// HMAC is defined for keys of any length: a key longer than the block is
/// replaced by its hash, a shorter one is padded with zeros. Doing that here
/// lets us use the infallible fixed-size constructor instead of
/// `new_from_slice`, whose `Result` can never be `Err` for HMAC.
fn keyed(key: &[u8]) -> HmacSha256 {
    let mut block = Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        let digest = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(key)));
        block[..digest.len()].copy_from_slice(&digest[..]);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    <HmacSha256 as hmac::digest::KeyInit>::new(&(*block).into())
}

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The key that signs requests of one access key for one day, region and
/// service. Deriving it costs four HMACs; a server may cache it per
/// `(access key id, scope)`. Zeroized on drop; `Debug` redacts it.
#[derive(Clone)]
pub struct SigningKey(Zeroizing<[u8; 32]>);

impl SigningKey {
    /// HMAC-SHA256 of `data` under this key.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0[..], data)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// Derives the signing key:
/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
///
/// `scope_date` is `YYYYMMDD`.
pub fn derive_signing_key(
    secret: &SecretAccessKey,
    scope_date: &str,
    region: &str,
    service: &str,
) -> SigningKey {
    let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.expose_secret().len()));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.expose_secret().as_bytes());
    let k_date = Zeroizing::new(hmac_sha256(&seed, scope_date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&k_date[..], region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&k_region[..], service.as_bytes()));
    SigningKey(Zeroizing::new(hmac_sha256(
        &k_service[..],
        SCOPE_TERMINATOR.as_bytes(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test cases 1, 6 and 7: short key, and keys longer than the block.
    #[test]
    fn hmac_rfc4231() {
        assert_eq!(
            hex::encode(hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
            )),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        );
    }

    #[test]
    fn hmac_matches_new_from_slice_at_every_length() {
        for len in 0..=200usize {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut reference = <HmacSha256 as hmac::KeyInit>::new_from_slice(&key).unwrap();
            reference.update(b"data");
            let expected: [u8; 32] = reference.finalize().into_bytes().into();
            assert_eq!(hmac_sha256(&key, b"data"), expected, "key length {len}");
        }
    }

    /// The example from the AWS documentation ("Deriving the signing key").
    #[test]
    fn derive_documented_key() {
        let key = derive_signing_key(
            &SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(&key.0[..]),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    }
}
