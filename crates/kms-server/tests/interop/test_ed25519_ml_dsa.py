"""ECC_NIST_EDWARDS25519 and ML-DSA keys driven by boto3, their signatures and
keys checked with the `cryptography` package (OpenSSL), and μ computed here
with hashlib's SHAKE256 as FIPS 204 section 6.2 defines it."""

import hashlib

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa, padding

ML_DSA = {
    "ML_DSA_44": (mldsa.MLDSA44PublicKey, mldsa.MLDSA44PrivateKey, 1312, 2420),
    "ML_DSA_65": (mldsa.MLDSA65PublicKey, mldsa.MLDSA65PrivateKey, 1952, 3309),
    "ML_DSA_87": (mldsa.MLDSA87PublicKey, mldsa.MLDSA87PrivateKey, 2592, 4627),
}
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
PKCS8 = (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def sym(kms):
    return kms.create_key(Description="wraps data key pairs")["KeyMetadata"]


def expect_error(code, fn, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        fn(**kwargs)
    assert excinfo.value.response["Error"]["Code"] == code, excinfo.value.response
    return excinfo.value


def external_mu(public_key_raw, message):
    """μ = SHAKE256(tr || 0x00 || len(ctx) || ctx || M, 64) with an empty
    context and tr = SHAKE256(pk, 64) (FIPS 204 Algorithm 2 and 7)."""
    tr = hashlib.shake_256(public_key_raw).digest(64)
    return hashlib.shake_256(tr + b"\x00\x00" + message).digest(64)


def flip(signature, index=5):
    return signature[:index] + bytes([signature[index] ^ 0x01]) + signature[index + 1:]


def test_ed25519_signatures_verify_with_cryptography(kms):
    md = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["KeySpec"] == "ECC_NIST_EDWARDS25519" and md["KeyUsage"] == "SIGN_VERIFY"
    assert md["SigningAlgorithms"] == ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    key = md["KeyId"]
    pub = kms.get_public_key(KeyId=key)
    assert pub["KeySpec"] == "ECC_NIST_EDWARDS25519"
    assert pub["SigningAlgorithms"] == ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    public = serialization.load_der_public_key(pub["PublicKey"])
    assert isinstance(public, ed25519.Ed25519PublicKey)
    assert len(pub["PublicKey"]) == 44

    message = b"signed by kms-server, verified by OpenSSL"
    sig = kms.sign(KeyId=key, Message=message, MessageType="RAW", SigningAlgorithm="ED25519_SHA_512")["Signature"]
    assert len(sig) == 64
    public.verify(sig, message)
    with pytest.raises(InvalidSignature):
        public.verify(sig, message + b"!")
    with pytest.raises(InvalidSignature):
        public.verify(flip(sig), message)
    assert kms.verify(KeyId=key, Message=message, Signature=sig, SigningAlgorithm="ED25519_SHA_512")["SignatureValid"]
    expect_error("KMSInvalidSignatureException", kms.verify, KeyId=key, Message=message,
                 Signature=flip(sig), SigningAlgorithm="ED25519_SHA_512")

    # Ed25519ph: cryptography has no API for it, so KMS Verify must agree
    # and a flipped bit must fail.
    digest = hashlib.sha512(message).digest()
    ph = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")["Signature"]
    assert len(ph) == 64
    assert kms.verify(KeyId=key, Message=digest, MessageType="DIGEST", Signature=ph,
                      SigningAlgorithm="ED25519_PH_SHA_512")["SignatureValid"]
    for bad in (flip(ph), flip(ph, 40)):
        expect_error("KMSInvalidSignatureException", kms.verify, KeyId=key, Message=digest, MessageType="DIGEST",
                     Signature=bad, SigningAlgorithm="ED25519_PH_SHA_512")
    other = hashlib.sha512(b"another message").digest()
    expect_error("KMSInvalidSignatureException", kms.verify, KeyId=key, Message=other, MessageType="DIGEST",
                 Signature=ph, SigningAlgorithm="ED25519_PH_SHA_512")
    with pytest.raises(InvalidSignature):
        public.verify(ph, digest)

    # The pairings AWS refuses.
    for alg, message_type, msg in [
        ("ED25519_SHA_512", "DIGEST", digest),
        ("ED25519_PH_SHA_512", "RAW", digest),
        ("ED25519_PH_SHA_512", "DIGEST", digest[:32]),
        ("ED25519_SHA_512", "EXTERNAL_MU", digest),
    ]:
        expect_error("ValidationException", kms.sign, KeyId=key, Message=msg, MessageType=message_type,
                     SigningAlgorithm=alg)
    expect_error("InvalidKeyUsageException", kms.sign, KeyId=key, Message=message, SigningAlgorithm="ECDSA_SHA_512")
    expect_error("ValidationException", kms.create_key, KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="KEY_AGREEMENT")


@pytest.mark.parametrize("spec", sorted(ML_DSA))
def test_ml_dsa_signatures_verify_with_cryptography(kms, spec):
    public_type, _, public_len, signature_len = ML_DSA[spec]
    md = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["SigningAlgorithms"] == ["ML_DSA_SHAKE_256"]
    key = md["KeyId"]
    pub = kms.get_public_key(KeyId=key)
    assert pub["KeySpec"] == spec and pub["SigningAlgorithms"] == ["ML_DSA_SHAKE_256"]
    public = serialization.load_der_public_key(pub["PublicKey"])
    assert isinstance(public, public_type)
    raw = public.public_bytes(*RAW)
    assert len(raw) == public_len

    message = b"post-quantum, verified by OpenSSL"
    sig = kms.sign(KeyId=key, Message=message, MessageType="RAW", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    assert len(sig) == signature_len
    public.verify(sig, message)
    with pytest.raises(InvalidSignature):
        public.verify(sig, message, b"a context")
    with pytest.raises(InvalidSignature):
        public.verify(flip(sig), message)
    again = kms.sign(KeyId=key, Message=message, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    assert again != sig, "hedged signing"
    public.verify(again, message)

    mu = external_mu(raw, message)
    public.verify_mu(sig, mu)
    from_mu = kms.sign(KeyId=key, Message=mu, MessageType="EXTERNAL_MU",
                       SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    public.verify(from_mu, message)
    assert kms.verify(KeyId=key, Message=message, Signature=from_mu,
                      SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
    assert kms.verify(KeyId=key, Message=mu, MessageType="EXTERNAL_MU", Signature=sig,
                      SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
    expect_error("KMSInvalidSignatureException", kms.verify, KeyId=key, Message=message, Signature=flip(sig),
                 SigningAlgorithm="ML_DSA_SHAKE_256")

    expect_error("ValidationException", kms.sign, KeyId=key, Message=hashlib.sha512(message).digest(),
                 MessageType="DIGEST", SigningAlgorithm="ML_DSA_SHAKE_256")
    expect_error("ValidationException", kms.sign, KeyId=key, Message=mu[:32], MessageType="EXTERNAL_MU",
                 SigningAlgorithm="ML_DSA_SHAKE_256")


def test_external_mu_is_refused_for_ecdsa(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    expect_error("ValidationException", kms.sign, KeyId=key, Message=b"\x00" * 64, MessageType="EXTERNAL_MU",
                 SigningAlgorithm="ECDSA_SHA_256")


def test_ed25519_data_key_pairs_load_in_cryptography(kms, sym):
    out = kms.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec="ECC_NIST_EDWARDS25519")
    assert out["KeyPairSpec"] == "ECC_NIST_EDWARDS25519"
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], password=None)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    public = serialization.load_der_public_key(out["PublicKey"])
    assert private.public_key().public_bytes(*SPKI) == out["PublicKey"] == public.public_bytes(*SPKI)
    assert kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"] == out["PrivateKeyPlaintext"]
    public.verify(private.sign(b"pair"), b"pair")

    out = kms.generate_data_key_pair_without_plaintext(KeyId=sym["KeyId"], KeyPairSpec="ECC_NIST_EDWARDS25519")
    assert "PrivateKeyPlaintext" not in out
    der = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"]
    private = serialization.load_der_private_key(der, password=None)
    assert private.public_key().public_bytes(*SPKI) == out["PublicKey"]


def import_into(kms, key, material):
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_3072")
    wrapping = serialization.load_der_public_key(params["PublicKey"])
    wrapped = wrapping.encrypt(material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                      algorithm=hashes.SHA256(), label=None))
    kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")


def test_keys_made_by_cryptography_import_and_sign(kms):
    local = ed25519.Ed25519PrivateKey.generate()
    key = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_into(kms, key, local.private_bytes(*PKCS8))
    assert kms.get_public_key(KeyId=key)["PublicKey"] == local.public_key().public_bytes(*SPKI)
    sig = kms.sign(KeyId=key, Message=b"imported", SigningAlgorithm="ED25519_SHA_512")["Signature"]
    assert sig == local.sign(b"imported"), "Ed25519 is deterministic"

    _, private_type, _, _ = ML_DSA["ML_DSA_87"]
    local = private_type.generate()
    key = kms.create_key(KeySpec="ML_DSA_87", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_into(kms, key, local.private_bytes(*PKCS8))
    assert kms.get_public_key(KeyId=key)["PublicKey"] == local.public_key().public_bytes(*SPKI)
    sig = kms.sign(KeyId=key, Message=b"imported", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    local.public_key().verify(sig, b"imported")
    local_sig = local.sign(b"made by OpenSSL")
    assert kms.verify(KeyId=key, Message=b"made by OpenSSL", Signature=local_sig,
                      SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
