//! PKCS#8 in the "seed" form of the post-quantum keys: RFC 9881's
//! ML-DSA-PrivateKey and the IETF LAMPS ML-KEM-PrivateKey both choose
//! `seed [0] IMPLICIT OCTET STRING`, under an algorithm identifier without
//! parameters and with no public key. kms-server stores, imports and hands
//! out ML-DSA and ML-KEM keys in this form; the expanded-key forms are
//! refused, since without the seed a key could not be stored this way.

use der::Decode;
use der::asn1::{ObjectIdentifier, OctetStringRef};
use pkcs8::PrivateKeyInfoRef;
use spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

use super::ed25519::encode_secret;

/// The context-specific tag `[0]` of the `seed` choice (primitive).
const SEED_TAG: u8 = 0x80;

/// The `N`-byte seed of `der`, if it is a seed-form PrivateKeyInfo of
/// `oid`: any other algorithm, parameters, a public key, another length or
/// trailing bytes give `None`.
pub(crate) fn parse<const N: usize>(der: &[u8], oid: ObjectIdentifier) -> Option<&[u8; N]> {
    let info = PrivateKeyInfoRef::from_der(der).ok()?;
    if info.algorithm.oid != oid || info.algorithm.parameters.is_some() || info.public_key.is_some()
    {
        return None;
    }
    let header = [SEED_TAG, u8::try_from(N).ok().filter(|n| *n < 0x80)?];
    let seed = info.private_key.as_bytes().strip_prefix(&header[..])?;
    <&[u8; N]>::try_from(seed).ok()
}

/// The seed-form PrivateKeyInfo DER of `seed` (shorter than 128 bytes)
/// under `oid`, in buffers wiped on drop.
pub(crate) fn encode(oid: ObjectIdentifier, seed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let len = u8::try_from(seed.len()).ok().filter(|n| *n < 0x80)?;
    let mut inner = Zeroizing::new(Vec::with_capacity(2 + seed.len()));
    inner.extend_from_slice(&[SEED_TAG, len]);
    inner.extend_from_slice(seed);
    let info = PrivateKeyInfoRef::new(
        AlgorithmIdentifierRef {
            oid,
            parameters: None,
        },
        OctetStringRef::new(&inner).ok()?,
    );
    encode_secret(&info)
}
