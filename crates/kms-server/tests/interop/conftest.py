"""Starts a real kms-server process for boto3 and AWS CLI tests.

`cargo xtask test` sets KMS_SERVER_BIN to the binary it built; the server
writes its admin credentials in shared-credentials format under its data
directory, so boto3 and the AWS CLI use them unchanged.
"""

import os
import signal
import subprocess
import time

import boto3
import pytest
from botocore.config import Config

SERVER = os.environ.get("KMS_SERVER_BIN", "kms-server")
REGION = "us-east-1"
ACCOUNT = "111122223333"


class Server:
    """One kms-server process on an ephemeral 127.0.0.1 port."""

    def __init__(self, data_dir, *extra, quotas=False):
        """Request quotas are off unless asked for: the tests create keys
        faster than AWS's 5 CreateKey calls a second."""
        self.data_dir = str(data_dir)
        self.extra = list(extra) + ([] if quotas else ["--no-request-quotas"])
        self.proc = None
        self.url = None

    def start(self):
        self.proc = subprocess.Popen(
            [SERVER, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir, *self.extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on "), f"unexpected first line: {line!r}"
        self.url = line[len("listening on "):]
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def credentials_file(self):
        return os.path.join(self.data_dir, "credentials")

    def credentials(self):
        values = {}
        with open(self.credentials_file) as f:
            for line in f:
                if "=" in line:
                    k, v = line.split("=", 1)
                    values[k.strip()] = v.strip()
        return values["aws_access_key_id"], values["aws_secret_access_key"]

    def client(self, region=REGION, access_key=None, secret_key=None, retries=0, validate=True):
        """A boto3 KMS client; validate=False skips botocore's own checks of
        lengths and ranges, so the server's validation is what answers."""
        ak, sk = self.credentials()
        return boto3.client(
            "kms",
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=access_key or ak,
            aws_secret_access_key=secret_key or sk,
            config=Config(
                retries={"max_attempts": retries + 1, "mode": "standard"},
                parameter_validation=validate,
            ),
        )

    def env(self, region=REGION):
        """Environment for the AWS CLI: the server's credentials file only."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_SHARED_CREDENTIALS_FILE=self.credentials_file,
            AWS_CONFIG_FILE=os.devnull,
            AWS_DEFAULT_REGION=region,
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("kms-data"), "--cors-origin", "http://localhost:5173").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def kms(server):
    # Without client-side validation, so that every ValidationException the
    # tests expect comes from the server (the AWS CLI tests keep botocore's
    # validation on).
    return server.client(validate=False)


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
