"""The audit log (and `kms-server audit verify` finding tampering), request
quotas under a burst, and /metrics, driven by boto3 and the AWS CLI."""

import base64
import json
import subprocess
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, SERVER, Server


def verify(data_dir):
    return subprocess.run(
        [SERVER, "audit", "verify", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60,
    )


def events(data_dir):
    lines = (data_dir / "audit" / "events.jsonl").read_text().splitlines()
    return [json.loads(line)["event"] for line in lines]


def metrics(server):
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def sample(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def aws(server, *args, env_extra=None):
    env = server.env()
    env.update(env_extra or {})
    return subprocess.run(
        ["aws", "--endpoint-url", server.url, "--output", "json", "kms", *args],
        capture_output=True, text=True, env=env, timeout=60,
    )


def test_audit_log_records_every_call_and_verify_finds_tampering(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    try:
        kms = server.client(validate=False)
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        out = kms.generate_data_key(KeyId=key, KeySpec="AES_256",
                                    EncryptionContext={"purpose": "audit"})
        with pytest.raises(ClientError):
            kms.decrypt(CiphertextBlob=out["CiphertextBlob"],
                        EncryptionContext={"purpose": "wrong"})
        result = aws(server, "describe-key", "--key-id", key)
        assert result.returncode == 0, result.stderr
    finally:
        server.stop()  # SIGTERM: the writer drains and fsyncs

    ok = verify(data)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact: 4 records" in ok.stdout

    evs = events(data)
    assert [e["eventName"] for e in evs] == [
        "CreateKey", "GenerateDataKey", "Decrypt", "DescribeKey"]
    assert evs[1]["requestParameters"]["encryptionContext"] == {"purpose": "audit"}
    assert evs[2]["errorCode"] == "InvalidCiphertextException"
    assert evs[3]["userAgent"].startswith("aws-cli/")
    raw = (data / "audit" / "events.jsonl").read_text()
    assert out["Plaintext"].hex() not in raw
    assert base64.b64encode(out["Plaintext"]).decode() not in raw

    log = data / "audit" / "events.jsonl"
    original = log.read_text().splitlines()

    altered = list(original)
    altered[1] = altered[1].replace('"purpose":"audit"', '"purpose":"other"')
    log.write_text("\n".join(altered) + "\n")
    bad = verify(data)
    assert bad.returncode == 1 and "line 2" in bad.stdout and "altered" in bad.stdout, bad.stdout

    removed = original[:1] + original[2:]
    log.write_text("\n".join(removed) + "\n")
    bad = verify(data)
    assert bad.returncode == 1 and "line 2" in bad.stdout and "missing" in bad.stdout, bad.stdout

    log.write_text("\n".join(original[:2]) + "\n")
    bad = verify(data)
    assert bad.returncode == 1 and "missing from the end" in bad.stdout, bad.stdout

    # Restored, the chain verifies again and a restarted server continues it.
    log.write_text("\n".join(original) + "\n")
    server = Server(data).start()
    try:
        server.client().list_keys()
    finally:
        server.stop()
    ok = verify(data)
    assert ok.returncode == 0 and "intact: 5 records" in ok.stdout, ok.stdout


def test_a_burst_is_throttled_the_server_stays_responsive_and_metrics_count_it(tmp_path):
    config = {"request_quotas": {"rates": {"symmetric": 10, "CreateKey": 50}}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    server = Server(tmp_path / "data", "--config", str(tmp_path / "config.json"),
                    quotas=True).start()
    try:
        ak, sk = server.credentials()
        # total_max_attempts=1: botocore's `max_attempts` counts retries, so
        # even max_attempts=1 would retry a throttled call once.
        kms = boto3.client(
            "kms", region_name=REGION, endpoint_url=server.url,
            aws_access_key_id=ak, aws_secret_access_key=sk,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        outcomes = []
        for _ in range(60):
            try:
                kms.generate_data_key(KeyId=key, KeySpec="AES_256")
                outcomes.append("ok")
            except ClientError as e:
                outcomes.append(e.response["Error"]["Code"])
        throttled = outcomes.count("ThrottlingException")
        assert outcomes.count("ok") >= 10 and throttled > 0, outcomes
        assert set(outcomes) <= {"ok", "ThrottlingException"}
        # Other quotas still answer at once.
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
        # The AWS CLI sees the same error when it may not retry.
        result = aws(server, "encrypt", "--key-id", key, "--plaintext", "aGk=",
                     env_extra={"AWS_MAX_ATTEMPTS": "1"})
        for _ in range(30):
            if result.returncode != 0:
                break
            result = aws(server, "encrypt", "--key-id", key, "--plaintext", "aGk=",
                         env_extra={"AWS_MAX_ATTEMPTS": "1"})
        text = metrics(server)
        assert sample(text, 'kms_throttled_total{quota="symmetric"}') >= throttled
        assert sample(text, 'kms_requests_total{operation="GenerateDataKey",outcome="success"}') \
            == outcomes.count("ok")
        assert sample(text, 'kms_request_duration_seconds_count{operation="GenerateDataKey"}') \
            == len(outcomes)
        assert sample(text, 'kms_requests_total{operation="DescribeKey",outcome="success"}') == 1
    finally:
        server.stop()
