"""ML-KEM keys driven by boto3, checked against the `cryptography` package
(OpenSSL): clients encapsulate to KMS's public keys, data key pairs load as
ML-KEM private keys, and the implicit-rejection value of an imported key is
FIPS 203's J(z || c), computed here with hashlib's SHAKE256."""

import hashlib

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import mlkem, padding

# cryptography 50 has ML-KEM-768 and -1024 (OpenSSL), not ML-KEM-512.
ML_KEM = {
    "ML_KEM_768": (mlkem.MLKEM768PublicKey, mlkem.MLKEM768PrivateKey, 1184, 1088, 2),
    "ML_KEM_1024": (mlkem.MLKEM1024PublicKey, mlkem.MLKEM1024PrivateKey, 1568, 1568, 3),
}
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
PKCS8 = (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def sym(kms):
    return kms.create_key(Description="wraps ML-KEM data key pairs")["KeyMetadata"]


def expect_error(code, fn, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        fn(**kwargs)
    assert excinfo.value.response["Error"]["Code"] == code, excinfo.value.response
    return excinfo.value


def seed_pkcs8(arc, seed):
    """PrivateKeyInfo { 0, id-alg-ml-kem-*, OCTET STRING { seed [0] } }."""
    return bytes.fromhex(f"3054020100300b06096086480165030404{arc:02x}04428040") + seed


@pytest.mark.parametrize("spec", sorted(ML_KEM))
def test_a_client_encapsulates_to_the_kms_public_key(kms, spec):
    public_type, _, ek_len, ct_len, _ = ML_KEM[spec]
    md = kms.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
    assert md["KeySpec"] == spec and md["KeyUsage"] == "ENCAPSULATE_DECAPSULATE"
    assert md["EncapsulationAlgorithms"] == ["ML_KEM"]
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["EncapsulationAlgorithms"] == ["ML_KEM"]
    pub = kms.get_public_key(KeyId=md["KeyId"])
    assert pub["KeySpec"] == spec and pub["KeyUsage"] == "ENCAPSULATE_DECAPSULATE"
    assert pub["EncapsulationAlgorithms"] == ["ML_KEM"]
    public = serialization.load_der_public_key(pub["PublicKey"])
    assert isinstance(public, public_type)
    assert len(public.public_bytes_raw()) == ek_len
    assert public.public_bytes(*SPKI) == pub["PublicKey"], "canonical SPKI"

    secret, ciphertext = public.encapsulate()
    assert len(ciphertext) == ct_len
    out = kms.decapsulate(
        KeyId=md["KeyId"], SharedSecretCiphertextBlob=ciphertext, EncapsulationAlgorithm="ML_KEM",
    )
    assert out["SharedSecret"] == secret
    assert out["KeyId"] == md["Arn"] and out["EncapsulationAlgorithm"] == "ML_KEM"

    # KMS's own encapsulation round-trips through KMS.
    enc = kms.encapsulate(KeyId=md["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert len(enc["SharedSecret"]) == 32 and len(enc["SharedSecretCiphertextBlob"]) == ct_len
    assert enc["KeyId"] == md["Arn"] and enc["EncapsulationAlgorithm"] == "ML_KEM"
    back = kms.decapsulate(
        KeyId=md["KeyId"], SharedSecretCiphertextBlob=enc["SharedSecretCiphertextBlob"],
        EncapsulationAlgorithm="ML_KEM",
    )
    assert back["SharedSecret"] == enc["SharedSecret"]

    expect_error(
        "InvalidCiphertextException", kms.decapsulate, KeyId=md["KeyId"],
        SharedSecretCiphertextBlob=ciphertext[:-1], EncapsulationAlgorithm="ML_KEM",
    )
    altered = ciphertext[:9] + bytes([ciphertext[9] ^ 0x10]) + ciphertext[10:]
    rejected = kms.decapsulate(
        KeyId=md["KeyId"], SharedSecretCiphertextBlob=altered, EncapsulationAlgorithm="ML_KEM",
    )["SharedSecret"]
    assert len(rejected) == 32 and rejected != secret


@pytest.mark.parametrize("spec", sorted(ML_KEM))
def test_data_key_pairs_load_in_cryptography_and_match(kms, sym, spec):
    public_type, private_type, _, _, arc = ML_KEM[spec]
    pair = kms.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec=spec)
    assert pair["KeyPairSpec"] == spec
    der = pair["PrivateKeyPlaintext"]
    assert len(der) == 86 and der[:22] == seed_pkcs8(arc, b""), "seed form"
    private = serialization.load_der_private_key(der, password=None)
    assert isinstance(private, private_type)
    assert private.private_bytes(*PKCS8) == der, "OpenSSL writes the same seed form"
    public = serialization.load_der_public_key(pair["PublicKey"])
    assert isinstance(public, public_type)
    assert private.public_key().public_bytes(*SPKI) == pair["PublicKey"]
    secret, ciphertext = public.encapsulate()
    assert private.decapsulate(ciphertext) == secret

    plain = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"]
    assert plain == der
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=sym["KeyId"], KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in bare
    plain = kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"]
    restored = serialization.load_der_private_key(plain, password=None)
    assert restored.public_key().public_bytes(*SPKI) == bare["PublicKey"]


def test_imported_key_decapsulates_as_openssl_and_rejects_as_fips_203(kms):
    """A key imported from a seed known here: OpenSSL's encapsulation
    decapsulates in KMS, and an altered ciphertext gives J(z || c) =
    SHAKE256(z || c, 32), z being the seed's second half."""
    seed = bytes(range(64))
    material = seed_pkcs8(2, seed)
    local = serialization.load_der_private_key(material, password=None)
    md = kms.create_key(KeySpec="ML_KEM_768", Origin="EXTERNAL")["KeyMetadata"]
    params = kms.get_parameters_for_import(
        KeyId=md["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048",
    )
    wrapping = serialization.load_der_public_key(params["PublicKey"])
    wrapped = wrapping.encrypt(
        material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    kms.import_key_material(
        KeyId=md["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    pub = kms.get_public_key(KeyId=md["KeyId"])["PublicKey"]
    assert pub == local.public_key().public_bytes(*SPKI)
    assert hashlib.sha256(pub).hexdigest() == "c23e23dd3d485a9256cda09358a4a286e00b373db10761eadf99f710649ca31c"

    secret, ciphertext = local.public_key().encapsulate()
    got = kms.decapsulate(KeyId=md["KeyId"], SharedSecretCiphertextBlob=ciphertext, EncapsulationAlgorithm="ML_KEM")
    assert got["SharedSecret"] == secret
    enc = kms.encapsulate(KeyId=md["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert local.decapsulate(enc["SharedSecretCiphertextBlob"]) == enc["SharedSecret"]

    altered = bytes([ciphertext[0] ^ 0x01]) + ciphertext[1:]
    rejected = kms.decapsulate(
        KeyId=md["KeyId"], SharedSecretCiphertextBlob=altered, EncapsulationAlgorithm="ML_KEM",
    )["SharedSecret"]
    z = seed[32:]
    assert rejected == hashlib.shake_256(z + altered).digest(32)
    assert rejected == local.decapsulate(altered), "OpenSSL rejects the same way"


def test_ml_kem_512_round_trips_and_usage_errors(kms):
    md = kms.create_key(KeySpec="ML_KEM_512")["KeyMetadata"]
    assert md["KeyUsage"] == "ENCAPSULATE_DECAPSULATE"
    enc = kms.encapsulate(KeyId=md["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert len(enc["SharedSecretCiphertextBlob"]) == 768
    back = kms.decapsulate(
        KeyId=md["KeyId"], SharedSecretCiphertextBlob=enc["SharedSecretCiphertextBlob"],
        EncapsulationAlgorithm="ML_KEM",
    )
    assert back["SharedSecret"] == enc["SharedSecret"]
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=md["KeyId"], Plaintext=b"x")
    expect_error(
        "InvalidKeyUsageException", kms.sign, KeyId=md["KeyId"], Message=b"m",
        SigningAlgorithm="ML_DSA_SHAKE_256",
    )
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("InvalidKeyUsageException", kms.encapsulate, KeyId=sym, EncapsulationAlgorithm="ML_KEM")
    expect_error(
        "ValidationException", kms.create_key, KeySpec="ML_KEM_512", KeyUsage="SIGN_VERIFY",
    )
    expect_error(
        "DryRunOperationException", kms.encapsulate, KeyId=md["KeyId"], EncapsulationAlgorithm="ML_KEM",
        DryRun=True,
    )
    kms.disable_key(KeyId=md["KeyId"])
    expect_error("DisabledException", kms.encapsulate, KeyId=md["KeyId"], EncapsulationAlgorithm="ML_KEM")
