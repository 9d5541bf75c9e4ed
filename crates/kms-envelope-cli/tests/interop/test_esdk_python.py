"""Cross-decryption between the kms-envelope CLI and the AWS Encryption SDK
for Python, both directions, with raw AES and raw RSA keys.

Run by `cargo xtask test` (suite `interop`), which installs the SDK in a
virtual environment and points KMS_ENVELOPE_BIN at the CLI it built.
"""

import os
import subprocess

import aws_encryption_sdk
import pytest
from aws_encryption_sdk.identifiers import (
    Algorithm,
    CommitmentPolicy,
    EncryptionKeyType,
    WrappingAlgorithm,
)
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKey
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CLI = os.environ.get("KMS_ENVELOPE_BIN", "kms-envelope")
NAMESPACE = "interop-namespace"
CONTEXT = {"purpose": "interop", "tenant": "ä-unicode-✓"}

SUITES = {
    "0x0478": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    "0x0578": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    "0x0178": Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA256,
}

RSA_PADDINGS = {
    "pkcs1": WrappingAlgorithm.RSA_PKCS1,
    "oaep-sha1": WrappingAlgorithm.RSA_OAEP_SHA1_MGF1,
    "oaep-sha256": WrappingAlgorithm.RSA_OAEP_SHA256_MGF1,
    "oaep-sha384": WrappingAlgorithm.RSA_OAEP_SHA384_MGF1,
    "oaep-sha512": WrappingAlgorithm.RSA_OAEP_SHA512_MGF1,
}


def policy_for(suite):
    # Legacy (non-committing) suites can only be written under FORBID.
    if suite == "0x0178":
        return CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    return CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT


def cli_policy_for(suite):
    return "FORBID_ENCRYPT_ALLOW_DECRYPT" if suite == "0x0178" else "REQUIRE_ENCRYPT_REQUIRE_DECRYPT"


@pytest.fixture(scope="module")
def aes_key(tmp_path_factory):
    key = os.urandom(32)
    path = tmp_path_factory.mktemp("keys") / "aes.key"
    path.write_bytes(key)
    return key, path


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path_factory.mktemp("keys") / "rsa.pem"
    path.write_bytes(pem)
    return pem, path


def aes_master_key(key):
    return RawMasterKey(
        provider_id=NAMESPACE,
        key_id=b"aes-key",
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=key,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )


def rsa_master_key(pem, padding):
    return RawMasterKey(
        provider_id=NAMESPACE,
        key_id=b"rsa-key",
        wrapping_key=WrappingKey(
            wrapping_algorithm=RSA_PADDINGS[padding],
            wrapping_key=pem,
            wrapping_key_type=EncryptionKeyType.PRIVATE,
        ),
    )


def plaintext_of(size):
    return bytes((i * 7 + 3) % 251 for i in range(size))


def cli(*args, check=True):
    result = subprocess.run([CLI, *map(str, args)], capture_output=True)
    if check and result.returncode != 0:
        raise AssertionError(f"kms-envelope {' '.join(map(str, args))} failed: {result.stderr.decode()}")
    return result


def context_args(context):
    args = []
    for k, v in context.items():
        args += ["--context", f"{k}={v}"]
    return args


CASES = [
    (suite, keyring, size)
    for suite in SUITES
    for keyring in ("aes", "rsa-oaep-sha256", "rsa-pkcs1")
    for size in (0, 1, 4096, 10000)
]


def key_setup(keyring, aes_key, rsa_key):
    """The SDK's master key and the CLI's --wrapping-key for one keyring."""
    if keyring == "aes":
        key, path = aes_key
        return aes_master_key(key), f"raw-aes:{NAMESPACE}:aes-key:{path}"
    padding = keyring[len("rsa-"):]
    pem, path = rsa_key
    return rsa_master_key(pem, padding), f"raw-rsa:{NAMESPACE}:rsa-key:{padding}:{path}"


@pytest.mark.parametrize("suite,keyring,size", CASES)
def test_python_encrypts_cli_decrypts(tmp_path, aes_key, rsa_key, suite, keyring, size):
    master_key, spec = key_setup(keyring, aes_key, rsa_key)
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy_for(suite))
    plaintext = plaintext_of(size)
    ciphertext, _ = client.encrypt(
        source=plaintext,
        key_provider=master_key,
        encryption_context=CONTEXT,
        algorithm=SUITES[suite],
        frame_length=512,
    )
    (tmp_path / "in.enc").write_bytes(ciphertext)
    cli(
        "decrypt",
        "--input", tmp_path / "in.enc",
        "--output", tmp_path / "out",
        "--wrapping-key", spec,
        "--commitment-policy", "REQUIRE_ENCRYPT_ALLOW_DECRYPT",
        *context_args(CONTEXT),
    )
    assert (tmp_path / "out").read_bytes() == plaintext


@pytest.mark.parametrize("suite,keyring,size", CASES)
def test_cli_encrypts_python_decrypts(tmp_path, aes_key, rsa_key, suite, keyring, size):
    master_key, spec = key_setup(keyring, aes_key, rsa_key)
    plaintext = plaintext_of(size)
    (tmp_path / "plain").write_bytes(plaintext)
    cli(
        "encrypt",
        "--input", tmp_path / "plain",
        "--output", tmp_path / "out.enc",
        "--wrapping-key", spec,
        "--suite", suite,
        "--frame-length", 1024,
        "--commitment-policy", cli_policy_for(suite),
        *context_args(CONTEXT),
    )
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
    )
    decrypted, header = client.decrypt(
        source=(tmp_path / "out.enc").read_bytes(), key_provider=master_key
    )
    assert decrypted == plaintext
    assert header.algorithm == SUITES[suite]
    for k, v in CONTEXT.items():
        assert header.encryption_context[k] == v
    if suite == "0x0578":
        assert "aws-crypto-public-key" in header.encryption_context


def test_cli_refuses_wrong_context_and_leaves_no_output(tmp_path, aes_key):
    master_key, spec = key_setup("aes", aes_key, None)
    client = aws_encryption_sdk.EncryptionSDKClient()
    ciphertext, _ = client.encrypt(
        source=b"secret", key_provider=master_key, encryption_context=CONTEXT
    )
    (tmp_path / "in.enc").write_bytes(ciphertext)
    result = cli(
        "decrypt",
        "--input", tmp_path / "in.enc",
        "--output", tmp_path / "out",
        "--wrapping-key", spec,
        "--context", "purpose=other",
        check=False,
    )
    assert result.returncode != 0
    assert len(result.stderr.decode().strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_refuses_tampered_message_and_leaves_no_output(tmp_path, aes_key):
    master_key, spec = key_setup("aes", aes_key, None)
    client = aws_encryption_sdk.EncryptionSDKClient()
    ciphertext, _ = client.encrypt(
        source=plaintext_of(100000), key_provider=master_key, frame_length=4096
    )
    tampered = bytearray(ciphertext)
    tampered[-100] ^= 0x01  # inside the last frame
    (tmp_path / "in.enc").write_bytes(bytes(tampered))
    result = cli(
        "decrypt",
        "--input", tmp_path / "in.enc",
        "--output", tmp_path / "out",
        "--wrapping-key", spec,
        check=False,
    )
    assert result.returncode != 0
    assert not (tmp_path / "out").exists()


def test_inspect_shows_the_header_python_wrote(tmp_path, aes_key):
    import json

    master_key, _ = key_setup("aes", aes_key, None)
    client = aws_encryption_sdk.EncryptionSDKClient()
    ciphertext, _ = client.encrypt(
        source=b"x",
        key_provider=master_key,
        encryption_context=CONTEXT,
        frame_length=2048,
        algorithm=SUITES["0x0478"],  # the SDK's own default is 0x0578
    )
    (tmp_path / "in.enc").write_bytes(ciphertext)
    header = json.loads(cli("inspect", "--input", tmp_path / "in.enc").stdout)
    assert header["format_version"] == 2
    assert header["algorithm_suite"] == "0x0478"
    assert header["encryption_context"] == CONTEXT
    assert [k["provider_id"] for k in header["encrypted_data_keys"]] == [NAMESPACE]
    assert header["content_type"] == "framed"
    assert header["frame_length"] == 2048
