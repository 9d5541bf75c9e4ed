"""Cross-decryption with KMS keys between the kms-envelope CLI and the AWS
Encryption SDK for Python, both pointed at a real kms-server.

The SDK uses its KMS master key providers (strict, MRK-aware strict and
discovery) through botocore, which honours AWS_ENDPOINT_URL_KMS; the CLI is
configured the same way (shared credentials file, region and endpoint from
the environment), or by flags. Run by `cargo xtask test` (suite `interop`),
which sets KMS_SERVER_BIN and KMS_ENVELOPE_BIN.
"""

import os
import subprocess

import aws_encryption_sdk
import boto3
import botocore.session
import pytest
from aws_encryption_sdk.exceptions import DecryptKeyError
from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy
from aws_encryption_sdk.key_providers.kms import (
    DiscoveryAwsKmsMasterKeyProvider,
    DiscoveryFilter,
    MRKAwareDiscoveryAwsKmsMasterKeyProvider,
    MRKAwareStrictAwsKmsMasterKeyProvider,
    StrictAwsKmsMasterKeyProvider,
)

CLI = os.environ.get("KMS_ENVELOPE_BIN", "kms-envelope")
SERVER = os.environ.get("KMS_SERVER_BIN", "kms-server")
REGION = "us-east-1"
ACCOUNT = "111122223333"
CONTEXT = {"purpose": "kms-interop", "tenant": "ä-unicode-✓"}

SUITES = {
    "0x0478": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    "0x0578": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
}


class KmsServer:
    """One kms-server process on an ephemeral 127.0.0.1 port."""

    def __init__(self, data_dir):
        self.data_dir = str(data_dir)
        self.proc = subprocess.Popen(
            [SERVER, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
             "--no-request-quotas"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on "), f"unexpected first line: {line!r}"
        self.url = line[len("listening on "):]
        self.credentials_file = os.path.join(self.data_dir, "credentials")
        values = {}
        with open(self.credentials_file) as f:
            for entry in f:
                if "=" in entry:
                    k, v = entry.split("=", 1)
                    values[k.strip()] = v.strip()
        self.access_key = values["aws_access_key_id"]
        self.secret_key = values["aws_secret_access_key"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def boto3(self):
        return boto3.client(
            "kms",
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def cli_env(self):
        """The CLI's environment: the server's credentials file, region and
        endpoint as the AWS CLI would take them, nothing else of AWS."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_SHARED_CREDENTIALS_FILE=self.credentials_file,
            AWS_CONFIG_FILE=os.devnull,
            AWS_REGION=REGION,
            AWS_ENDPOINT_URL_KMS=self.url,
        )
        return env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = KmsServer(tmp_path_factory.mktemp("kms-interop-data"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def keys(server):
    """Two symmetric keys (the first with an alias) and a multi-Region key."""
    kms = server.boto3()
    first = kms.create_key()["KeyMetadata"]["Arn"]
    second = kms.create_key()["KeyMetadata"]["Arn"]
    mrk = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/interop", TargetKeyId=first)
    return {"first": first, "second": second, "mrk": mrk}


@pytest.fixture
def botocore_session(server, monkeypatch):
    """A botocore session that reaches kms-server: botocore reads
    AWS_ENDPOINT_URL_KMS when the SDK creates its KMS client."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return botocore.session.Session()


def sdk():
    return aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )


def cli(server, *args, check=True):
    result = subprocess.run(
        [CLI, *map(str, args)], capture_output=True, env=server.cli_env()
    )
    if check and result.returncode != 0:
        raise AssertionError(f"kms-envelope {' '.join(map(str, args))} failed: {result.stderr.decode()}")
    return result


def context_args():
    args = []
    for k, v in CONTEXT.items():
        args += ["--context", f"{k}={v}"]
    return args


def plaintext_of(size):
    return bytes((i * 13 + 5) % 251 for i in range(size))


def cli_encrypt(server, tmp_path, suite, *specs, size=10000):
    plaintext = plaintext_of(size)
    (tmp_path / "plain").write_bytes(plaintext)
    args = []
    for spec in specs:
        args += ["--wrapping-key", spec]
    cli(
        server,
        "encrypt",
        "--input", tmp_path / "plain",
        "--output", tmp_path / "msg",
        "--suite", suite,
        *args,
        *context_args(),
    )
    return plaintext, (tmp_path / "msg").read_bytes()


def assert_header(header, suite, key_arns):
    assert header.algorithm == SUITES[suite]
    for k, v in CONTEXT.items():
        assert header.encryption_context[k] == v
    # The SDK keeps encrypted data keys in a set: compare without order.
    infos = sorted(k.key_provider.key_info.decode() for k in header.encrypted_data_keys)
    assert {k.key_provider.provider_id for k in header.encrypted_data_keys} == {"aws-kms"}
    assert infos == sorted(key_arns)


@pytest.mark.parametrize("suite", SUITES)
def test_cli_encrypts_python_strict_and_discovery_decrypt(tmp_path, server, keys, botocore_session, suite):
    # Any key id form to encrypt: the alias generates, the ARN wraps too.
    plaintext, message = cli_encrypt(
        server, tmp_path, suite, "kms:alias/interop", f"kms:{keys['second']}"
    )
    for arn in (keys["first"], keys["second"]):
        provider = StrictAwsKmsMasterKeyProvider(key_ids=[arn], botocore_session=botocore_session)
        decrypted, header = sdk().decrypt(source=message, key_provider=provider)
        assert decrypted == plaintext
        # Provider info is the key ARN KMS answered with, whatever form named it.
        assert_header(header, suite, [keys["first"], keys["second"]])
    discovery = DiscoveryAwsKmsMasterKeyProvider(
        discovery_filter=DiscoveryFilter(account_ids=[ACCOUNT], partition="aws"),
        botocore_session=botocore_session,
    )
    decrypted, _ = sdk().decrypt(source=message, key_provider=discovery)
    assert decrypted == plaintext


@pytest.mark.parametrize("suite", SUITES)
def test_python_encrypts_cli_strict_and_discovery_decrypt(tmp_path, server, keys, botocore_session, suite):
    provider = StrictAwsKmsMasterKeyProvider(
        key_ids=[keys["first"], keys["second"]], botocore_session=botocore_session
    )
    plaintext = plaintext_of(20000)
    message, _ = sdk().encrypt(
        source=plaintext,
        key_provider=provider,
        encryption_context=CONTEXT,
        algorithm=SUITES[suite],
        frame_length=1024,
    )
    (tmp_path / "msg").write_bytes(message)
    specs = [
        f"kms:{keys['first']}",
        f"kms:{keys['second']}",
        "kms-discovery",
        f"kms-discovery:aws:{ACCOUNT}",
    ]
    for spec in specs:
        out = tmp_path / "out"
        cli(
            server,
            "decrypt",
            "--input", tmp_path / "msg",
            "--output", out,
            "--wrapping-key", spec,
            *context_args(),
        )
        assert out.read_bytes() == plaintext, spec
        out.unlink()


def test_multi_region_key_both_ways_with_mrk_aware_providers(tmp_path, server, keys, botocore_session):
    mrk = keys["mrk"]
    assert ":key/mrk-" in mrk
    plaintext, message = cli_encrypt(server, tmp_path, "0x0578", f"kms:{mrk}")
    provider = MRKAwareStrictAwsKmsMasterKeyProvider(key_ids=[mrk], botocore_session=botocore_session)
    decrypted, _ = sdk().decrypt(source=message, key_provider=provider)
    assert decrypted == plaintext
    discovery = MRKAwareDiscoveryAwsKmsMasterKeyProvider(
        discovery_region=REGION,
        discovery_filter=DiscoveryFilter(account_ids=[ACCOUNT], partition="aws"),
        botocore_session=botocore_session,
    )
    decrypted, _ = sdk().decrypt(source=message, key_provider=discovery)
    assert decrypted == plaintext
    message, _ = sdk().encrypt(
        source=plaintext, key_provider=provider, encryption_context=CONTEXT,
        algorithm=SUITES["0x0478"],
    )
    (tmp_path / "from-python").write_bytes(message)
    for spec in (f"kms:{mrk}", "kms-discovery"):
        result = cli(
            server, "decrypt", "--input", tmp_path / "from-python", "--output", "-",
            "--wrapping-key", spec,
        )
        assert result.stdout == plaintext, spec


def test_endpoint_and_region_flags_instead_of_the_environment(tmp_path, server, keys, botocore_session):
    plaintext = b"flags only"
    (tmp_path / "plain").write_bytes(plaintext)
    env = server.cli_env()
    del env["AWS_ENDPOINT_URL_KMS"], env["AWS_REGION"]
    result = subprocess.run(
        [
            CLI, "encrypt", "--input", str(tmp_path / "plain"), "--output", "-",
            "--wrapping-key", "kms:alias/interop",
            "--endpoint-url", server.url, "--region", REGION,
        ],
        capture_output=True, env=env,
    )
    assert result.returncode == 0, result.stderr.decode()
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[keys["first"]], botocore_session=botocore_session)
    decrypted, _ = sdk().decrypt(source=result.stdout, key_provider=provider)
    assert decrypted == plaintext


def test_errors_name_their_kms_cause(tmp_path, server, keys, botocore_session):
    kms = server.boto3()
    spare = kms.create_key()["KeyMetadata"]["Arn"]
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[spare], botocore_session=botocore_session)
    message, _ = sdk().encrypt(
        source=b"secret", key_provider=provider, encryption_context=CONTEXT,
        algorithm=SUITES["0x0478"],
    )
    (tmp_path / "msg").write_bytes(message)

    def decrypt_with(spec):
        return cli(
            server, "decrypt", "--input", tmp_path / "msg", "--output", tmp_path / "out",
            "--wrapping-key", spec, check=False,
        )

    # A key that did not wrap this message: nothing to decrypt with.
    result = decrypt_with(f"kms:{keys['second']}")
    assert result.returncode != 0
    line = result.stderr.decode().strip()
    assert len(line.splitlines()) == 1 and line.endswith("[NoDecryptableDataKey]"), line
    # The key disabled: KMS refuses, and the code says why.
    kms.disable_key(KeyId=spare)
    try:
        result = decrypt_with(f"kms:{spare}")
        assert result.returncode != 0
        assert result.stderr.decode().strip().endswith("[KeyUnavailable]"), result.stderr
        assert not (tmp_path / "out").exists()
        # The SDK refuses too.
        with pytest.raises(DecryptKeyError):
            sdk().decrypt(source=message, key_provider=provider)
    finally:
        kms.enable_key(KeyId=spare)
    # Another account in the discovery filter: the message's key is not tried.
    result = decrypt_with("kms-discovery:aws:444455556666")
    assert result.returncode != 0
    assert result.stderr.decode().strip().endswith("[NoDecryptableDataKey]")
    decrypt_with(f"kms:{spare}").check_returncode()
    assert (tmp_path / "out").read_bytes() == b"secret"
