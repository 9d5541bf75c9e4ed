"""SM2 keys, which AWS offers in its China Regions, driven by boto3 and the AWS
CLI in cn-north-1. Signatures, ciphertexts and imported key material go to
and from the OpenSSL command line, the tool AWS's developer guide uses for
SM2 (`pkeyutl` with SM3 and the distinguishing ID 1234567812345678 for
SM2DSA; GM/T 0009 DER ciphertexts for SM2PKE)."""

import base64
import json
import subprocess

import pytest
from botocore.exceptions import ClientError

CN = "cn-north-1"
DISTID = "distid:1234567812345678"


@pytest.fixture(scope="module")
def cn(server):
    return server.client(region=CN, validate=False)


def openssl(*args, check=True):
    result = subprocess.run(["openssl", *args], capture_output=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


def write(path, data):
    path.write_bytes(data)
    return str(path)


def sm2_key_pair(tmp_path, name):
    """An OpenSSL SM2 key: (PEM private key path, PKCS#8 DER bytes), made as
    AWS's import instructions make it."""
    pem = tmp_path / f"{name}.pem"
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:sm2", "-out", str(pem))
    der = openssl("pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", str(pem)).stdout
    return str(pem), der


def openssl_verify(key_args, message_path, signature):
    sig = message_path.parent / "signature"
    sig.write_bytes(signature)
    return openssl(
        "pkeyutl", "-verify", *key_args, "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
        "-in", str(message_path), "-sigfile", str(sig), check=False,
    )


def import_sm2(cn, tmp_path, usage):
    """An EXTERNAL SM2 key holding an OpenSSL key, wrapped for import with
    SM2PKE by `openssl pkeyutl -encrypt`: (key id, PEM private key path)."""
    key = cn.create_key(KeySpec="SM2", KeyUsage=usage, Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    pem, der = sm2_key_pair(tmp_path, f"imported-{usage}")
    params = cn.get_parameters_for_import(KeyId=key, WrappingAlgorithm="SM2PKE", WrappingKeySpec="SM2")
    wrapping = write(tmp_path / "wrapping.der", params["PublicKey"])
    wrapped = openssl(
        "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", wrapping,
        "-in", write(tmp_path / "material.der", der),
    ).stdout
    cn.import_key_material(
        KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    public = cn.get_public_key(KeyId=key)["PublicKey"]
    mine = openssl("pkey", "-in", pem, "-pubout", "-outform", "DER").stdout
    assert public == mine
    return key, pem


def test_sm2_keys_exist_only_in_china_regions(kms, cn):
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    error = excinfo.value.response["Error"]
    assert error["Code"] == "UnsupportedOperationException"
    assert error["Message"] == "KeySpec SM2 is not supported in this Region."
    md = cn.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["Arn"].startswith("arn:aws-cn:kms:cn-north-1:")
    assert md["SigningAlgorithms"] == ["SM2DSA"]


def test_kms_signatures_verify_with_openssl_and_openssl_signatures_with_kms(cn, tmp_path):
    key = cn.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    pub = write(tmp_path / "kms.der", cn.get_public_key(KeyId=key)["PublicKey"])
    message = tmp_path / "message"
    message.write_bytes(b"signed by kms-server, verified by OpenSSL " * 20)
    signature = cn.sign(
        KeyId=key, Message=message.read_bytes(), MessageType="RAW", SigningAlgorithm="SM2DSA",
    )["Signature"]
    kms_key = ["-pubin", "-keyform", "DER", "-inkey", pub]
    assert b"Signature Verified Successfully" in openssl_verify(kms_key, message, signature).stdout
    tampered = signature[:-1] + bytes([signature[-1] ^ 1])
    assert openssl_verify(kms_key, message, tampered).returncode != 0

    # OpenSSL signs with its own key, imported into KMS; KMS verifies it, and
    # KMS's signature with that key verifies with OpenSSL's private key file.
    imported, pem = import_sm2(cn, tmp_path, "SIGN_VERIFY")
    theirs = openssl(
        "pkeyutl", "-sign", "-inkey", pem, "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
        "-in", str(message),
    ).stdout
    assert cn.verify(
        KeyId=imported, Message=message.read_bytes(), Signature=theirs, SigningAlgorithm="SM2DSA",
    )["SignatureValid"] is True
    ours = cn.sign(KeyId=imported, Message=message.read_bytes(), SigningAlgorithm="SM2DSA")["Signature"]
    assert openssl_verify(["-inkey", pem], message, ours).returncode == 0


def test_sm2pke_ciphertexts_go_both_ways_with_openssl(cn, tmp_path):
    key, pem = import_sm2(cn, tmp_path, "ENCRYPT_DECRYPT")
    plaintext = bytes(range(256)) * 4  # 1,024 bytes, AWS's limit
    blob = cn.encrypt(KeyId=key, Plaintext=plaintext, EncryptionAlgorithm="SM2PKE")["CiphertextBlob"]
    assert openssl("asn1parse", "-inform", "DER", "-in", write(tmp_path / "kms.ct", blob)).returncode == 0
    opened = openssl("pkeyutl", "-decrypt", "-inkey", pem, "-in", str(tmp_path / "kms.ct")).stdout
    assert opened == plaintext

    pub = write(tmp_path / "kms.der", cn.get_public_key(KeyId=key)["PublicKey"])
    theirs = openssl(
        "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", pub,
        "-in", write(tmp_path / "plain", b"encrypted by OpenSSL"),
    ).stdout
    back = cn.decrypt(KeyId=key, CiphertextBlob=theirs, EncryptionAlgorithm="SM2PKE")
    assert back["Plaintext"] == b"encrypted by OpenSSL"
    assert back["EncryptionAlgorithm"] == "SM2PKE"

    with pytest.raises(ClientError) as excinfo:
        cn.encrypt(KeyId=key, Plaintext=plaintext + b"!", EncryptionAlgorithm="SM2PKE")
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_data_key_pairs_and_key_agreement(cn, tmp_path):
    wrapping = cn.create_key()["KeyMetadata"]["KeyId"]
    pair = cn.generate_data_key_pair(KeyId=wrapping, KeyPairSpec="SM2")
    assert pair["KeyPairSpec"] == "SM2"
    private = write(tmp_path / "pair.der", pair["PrivateKeyPlaintext"])
    text = openssl("pkey", "-inform", "DER", "-in", private, "-text", "-noout").stdout
    assert b"ASN1 OID: SM2" in text
    public = openssl("pkey", "-inform", "DER", "-in", private, "-pubout", "-outform", "DER").stdout
    assert public == pair["PublicKey"]

    agreement = cn.create_key(KeySpec="SM2", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    assert agreement["KeyAgreementAlgorithms"] == ["ECDH"]
    # The data key pair is the peer: both sides reach one secret.
    derived = cn.derive_shared_secret(
        KeyId=agreement["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=pair["PublicKey"],
    )["SharedSecret"]
    assert len(derived) == 32
    peer_key = cn.create_key(KeySpec="SM2", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    a = cn.get_public_key(KeyId=agreement["KeyId"])["PublicKey"]
    b = cn.get_public_key(KeyId=peer_key)["PublicKey"]
    ab = cn.derive_shared_secret(KeyId=agreement["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=b)
    ba = cn.derive_shared_secret(KeyId=peer_key, KeyAgreementAlgorithm="ECDH", PublicKey=a)
    assert ab["SharedSecret"] == ba["SharedSecret"]


def test_aws_cli_signs_with_an_sm2_key(server, tmp_path):
    def aws(*args):
        result = subprocess.run(
            ["aws", "--endpoint-url", server.url, "--output", "json", "kms", *args],
            capture_output=True, text=True, env=server.env(region=CN), timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    key = aws("create-key", "--key-spec", "SM2", "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    message = tmp_path / "message"
    message.write_bytes(b"signed through the AWS CLI in cn-north-1")
    signature = base64.b64decode(aws(
        "sign", "--key-id", key, "--message", f"fileb://{message}",
        "--message-type", "RAW", "--signing-algorithm", "SM2DSA",
    )["Signature"])
    pub = aws("get-public-key", "--key-id", key)
    assert pub["KeySpec"] == "SM2"
    der = write(tmp_path / "cli.der", base64.b64decode(pub["PublicKey"]))
    verified = openssl_verify(["-pubin", "-keyform", "DER", "-inkey", der], message, signature)
    assert verified.returncode == 0, verified.stderr
