"""kms-server driven by the AWS CLI, configured only through
AWS_SHARED_CREDENTIALS_FILE and --endpoint-url."""

import base64
import json
import subprocess


def aws(server, *args, check=True):
    result = subprocess.run(
        ["aws", "--endpoint-url", server.url, "--output", "json", "kms", *args],
        capture_output=True,
        text=True,
        env=server.env(),
        timeout=60,
    )
    if check:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}
    return result


def test_cli_key_lifecycle_and_cryptography(server, tmp_path):
    key = aws(server, "create-key", "--description", "from the cli")["KeyMetadata"]["KeyId"]
    aws(server, "create-alias", "--alias-name", "alias/cli", "--target-key-id", key)
    assert any(a["AliasName"] == "alias/cli" for a in aws(server, "list-aliases")["Aliases"])
    assert any(k["KeyId"] == key for k in aws(server, "list-keys")["Keys"])

    (tmp_path / "plain").write_bytes(b"from the command line")
    out = aws(
        server, "encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{tmp_path / 'plain'}",
        "--encryption-context", "purpose=cli",
    )
    (tmp_path / "blob").write_bytes(base64.b64decode(out["CiphertextBlob"]))
    back = aws(
        server, "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}",
        "--encryption-context", "purpose=cli",
    )
    assert base64.b64decode(back["Plaintext"]) == b"from the command line"

    dk = aws(server, "generate-data-key", "--key-id", key, "--key-spec", "AES_256")
    assert len(base64.b64decode(dk["Plaintext"])) == 32

    signing = aws(server, "create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = aws(
        server, "sign", "--key-id", signing, "--message", f"fileb://{tmp_path / 'plain'}",
        "--signing-algorithm", "ECDSA_SHA_256",
    )["Signature"]
    (tmp_path / "sig").write_bytes(base64.b64decode(sig))
    ok = aws(
        server, "verify", "--key-id", signing, "--message", f"fileb://{tmp_path / 'plain'}",
        "--signature", f"fileb://{tmp_path / 'sig'}", "--signing-algorithm", "ECDSA_SHA_256",
    )
    assert ok["SignatureValid"] is True
    pub = aws(server, "get-public-key", "--key-id", signing)
    assert pub["KeySpec"] == "ECC_NIST_P256"


def test_cli_signs_with_ed25519_and_ml_dsa_keys(server, tmp_path):
    (tmp_path / "msg").write_bytes(b"signed through the AWS CLI")
    for spec, algorithm in (("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"), ("ML_DSA_44", "ML_DSA_SHAKE_256")):
        md = aws(server, "create-key", "--key-spec", spec, "--key-usage", "SIGN_VERIFY")["KeyMetadata"]
        assert md["KeySpec"] == spec and algorithm in md["SigningAlgorithms"]
        sig = aws(
            server, "sign", "--key-id", md["KeyId"], "--message", f"fileb://{tmp_path / 'msg'}",
            "--message-type", "RAW", "--signing-algorithm", algorithm,
        )
        assert sig["SigningAlgorithm"] == algorithm
        (tmp_path / "sig").write_bytes(base64.b64decode(sig["Signature"]))
        ok = aws(
            server, "verify", "--key-id", md["KeyId"], "--message", f"fileb://{tmp_path / 'msg'}",
            "--signature", f"fileb://{tmp_path / 'sig'}", "--signing-algorithm", algorithm,
        )
        assert ok["SignatureValid"] is True
        assert aws(server, "get-public-key", "--key-id", md["KeyId"])["KeySpec"] == spec
    # The AWS CLI validates nothing here: the server's error code comes back.
    bad = aws(
        server, "sign", "--key-id", md["KeyId"], "--message", f"fileb://{tmp_path / 'msg'}",
        "--message-type", "DIGEST", "--signing-algorithm", "ML_DSA_SHAKE_256", check=False,
    )
    assert bad.returncode != 0 and "ValidationException" in bad.stderr, bad.stderr


def test_cli_derive_shared_secret_between_two_kms_keys(server, tmp_path):
    def key_agreement_key():
        return aws(server, "create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "KEY_AGREEMENT")["KeyMetadata"]["KeyId"]

    alice, bob = key_agreement_key(), key_agreement_key()
    secrets = []
    for me, peer in ((alice, bob), (bob, alice)):
        public = base64.b64decode(aws(server, "get-public-key", "--key-id", peer)["PublicKey"])
        (tmp_path / "peer.der").write_bytes(public)
        out = aws(
            server, "derive-shared-secret", "--key-id", me, "--key-agreement-algorithm", "ECDH",
            "--public-key", f"fileb://{tmp_path / 'peer.der'}",
        )
        secrets.append(base64.b64decode(out["SharedSecret"]))
    assert secrets[0] == secrets[1] and len(secrets[0]) == 48


def test_cli_get_key_last_usage(server):
    key = aws(server, "create-key")["KeyMetadata"]
    out = aws(server, "get-key-last-usage", "--key-id", key["KeyId"])
    assert out["KeyId"] == key["KeyId"]
    assert out["KeyLastUsage"] == {}
    assert out["TrackingStartDate"] == key["CreationDate"]
    aws(server, "generate-data-key-without-plaintext", "--key-id", key["Arn"], "--key-spec", "AES_256")
    used = aws(server, "get-key-last-usage", "--key-id", key["Arn"])["KeyLastUsage"]
    assert used["Operation"] == "GenerateDataKeyWithoutPlaintext"
    assert set(used) == {"Operation", "Timestamp", "CloudTrailEventId", "KmsRequestId"}
    failed = aws(server, "get-key-last-usage", "--key-id", "alias/aws/nothing", check=False)
    assert failed.returncode != 0 and "NotFoundException" in failed.stderr


def test_cli_reports_aws_error_codes(server, tmp_path):
    result = aws(server, "describe-key", "--key-id", "alias/does-not-exist", check=False)
    assert result.returncode != 0 and "NotFoundException" in result.stderr

    key = aws(server, "create-key")["KeyMetadata"]["KeyId"]
    aws(server, "disable-key", "--key-id", key)
    (tmp_path / "p").write_bytes(b"x")
    result = aws(server, "encrypt", "--key-id", key, "--plaintext", f"fileb://{tmp_path / 'p'}", check=False)
    assert result.returncode != 0 and "DisabledException" in result.stderr

    result = aws(server, "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "3", check=False)
    assert result.returncode != 0 and "ValidationException" in result.stderr


def test_cli_tags_and_deletion(server):
    key = aws(server, "create-key", "--tags", "TagKey=owner,TagValue=cli")["KeyMetadata"]["KeyId"]
    tags = aws(server, "list-resource-tags", "--key-id", key)["Tags"]
    assert tags == [{"TagKey": "owner", "TagValue": "cli"}]
    out = aws(server, "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "7")
    assert out["KeyState"] == "PendingDeletion"
    aws(server, "cancel-key-deletion", "--key-id", key)
    assert aws(server, "describe-key", "--key-id", key)["KeyMetadata"]["KeyState"] == "Disabled"
