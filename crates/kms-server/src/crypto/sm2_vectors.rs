//! SM2 vectors made with OpenSSL 3.0:
//! - the KMS key from `openssl genpkey -algorithm ec -pkeyopt
//!   ec_paramgen_curve:sm2`, converted with `openssl pkcs8 -topk8 -nocrypt
//!   -outform DER` (AWS's instructions for importing SM2 material), its
//!   public key with `openssl pkey -pubout -outform DER`;
//! - an SM2DSA signature from `openssl pkeyutl -sign -rawin -digest sm3
//!   -pkeyopt distid:1234567812345678`;
//! - an SM2PKE ciphertext from `openssl pkeyutl -encrypt` (GM/T 0009 DER);
//! - a P-256 key wrapped for import with `openssl pkeyutl -encrypt` under
//!   the KMS key;
//! - a peer's public key from another `genpkey`. OpenSSL 3.0 does not
//!   derive with SM2 keys, so the ECDH secret is the x-coordinate of d·Q
//!   computed with Python integers (affine double-and-add on the SM2
//!   curve), apart from any library used here.

/// The KMS key, PKCS#8 DER (id-ecPublicKey, curve sm2).
pub(crate) const KMS_KEY_PKCS8: &str = concat!(
    "308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420d0425b4444c44d70",
    "083a6a965ff3795dc6219e1b9e05f8c2f69997551855be47a1440342000411f7fe91924baf62035c0f108c43",
    "c47b65df93d6b1fde560e4ebd4a8aaf8cb26ec889bc77cdc728937e777e0531b65e96049e1ff1072567c85b0",
    "c69158320a7e",
);

/// Its public key, SubjectPublicKeyInfo DER.
pub(crate) const KMS_KEY_SPKI: &str = concat!(
    "3059301306072a8648ce3d020106082a811ccf5501822d0342000411f7fe91924baf62035c0f108c43c47b65",
    "df93d6b1fde560e4ebd4a8aaf8cb26ec889bc77cdc728937e777e0531b65e96049e1ff1072567c85b0c69158",
    "320a7e",
);

/// The signed message (`kms-server SM2 fixture message`).
pub(crate) const MESSAGE: &str = "6b6d732d73657276657220534d322066697874757265206d657373616765";

/// OpenSSL's SM2DSA signature of [`MESSAGE`], DER.
pub(crate) const SIGNATURE: &str = concat!(
    "30460221009bddecbb9a14571bacbc78e142f188623b5c9b7a17f04a0bd888d49f60bc14780221009e28b957",
    "0df324a821518222550792dd903a24443eafd85e96a93ba6df5e6e93",
);

/// The encrypted plaintext (`SM2PKE plaintext from OpenSSL`).
pub(crate) const PLAINTEXT: &str = "534d32504b4520706c61696e746578742066726f6d204f70656e53534c";

/// OpenSSL's SM2PKE ciphertext of [`PLAINTEXT`] under the KMS key.
pub(crate) const CIPHERTEXT: &str = concat!(
    "308187022100e8e44dfa48337ee3d7123dd792bfd80dc63ae323d6883d023d71388f84d95e7202210097a838",
    "09fa97130175a820713d78e35831b2f603d7871ddf47317f0098ee2f9504200ab71f651166a6220653d2a426",
    "ae26dd006311ff7cc096855d1d5733d70df1d7041d8819dfa05e7c7245706d436f0ea3001d37a729379b209f",
    "883be9ae0bcf",
);

/// The peer's public key, SubjectPublicKeyInfo DER.
pub(crate) const PEER_SPKI: &str = concat!(
    "3059301306072a8648ce3d020106082a811ccf5501822d03420004ca285e71d9302a61416bddfa1fe44404e3",
    "88e98b38aa4b6cbdc579f2f6b405d681fe0dd3dced41bd5bdf17bd4e7140f8670f4148fbddffd4fafc1c09a9",
    "1fa520",
);

/// The ECDH shared secret of the KMS key and the peer (x-coordinate).
pub(crate) const SHARED: &str = "23a6018bccf33abb94fca49b1fca21078c9be05f079f533475d2ef695757d0a0";

/// A P-256 private key to import, PKCS#8 DER (`genpkey`, then `pkcs8 -topk8`).
pub(crate) const P256_MATERIAL: &str = concat!(
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420cbc9303a576f28df",
    "59211eb7ec84a13bb3113d81f5fdf72f547b0fe67b1199ffa14403420004a3f3240a898e82810023fa0cdcb5",
    "35a8dd56efa99deadf97a6d2fe0014b2437d5b80294b6eb0ac0d7bb18eb84b86e05907f6483c32134e40d1d6",
    "d01843e9f3f0",
);

/// [`P256_MATERIAL`] wrapped with SM2PKE under the KMS key as a wrapping key
/// (`openssl pkeyutl -encrypt`, as AWS documents for the SM2PKE wrapping
/// algorithm).
pub(crate) const P256_MATERIAL_WRAPPED: &str = concat!(
    "3081f4022100dca25f5f8472d915376864603ec83df75cfe3608ac99454795045a2d114ebaf602206a23568c",
    "925d4eac029ddb00ef73d17e6116eaf7acfd5f33c056bc25c68ee9a104204e93ef7ba23b5e54e5d96b054fb4",
    "f0da6e6c14f127f4e583b7cd3e0dc81c629904818a525e693adf7ec4176622b44ffb94e76fd3f6e2aa14a0e7",
    "3150de923e1c1e3841217c501daac9fe0826b7968036316fc7773db8221abf501db5ce7fce9bed45700fdb8a",
    "627acc2147805eddb03d042fdb372890881e238e5334e4d0bb2a6c3e5d7729061b71df26265430d0ad611da6",
    "8fcbfcc9c4898fcf07f82beeb793508abed1717faec842a81cf28b",
);
