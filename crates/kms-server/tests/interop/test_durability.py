"""kms-server keeps what it acknowledged: across a clean restart, and after
`kill -9` in the middle of a burst of writes."""

import signal
import threading
import time

from conftest import Server


def test_ciphertext_decrypts_after_restart(tmp_path):
    server = Server(tmp_path / "data").start()
    kms = server.client()
    key = kms.create_key(Description="survivor")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/survivor", TargetKeyId=key)
    blob = kms.encrypt(KeyId="alias/survivor", Plaintext=b"kept", EncryptionContext={"a": "b"})["CiphertextBlob"]
    first_credentials = server.credentials()
    server.stop()

    server.start()
    try:
        assert server.credentials() == first_credentials
        kms = server.client()
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"kept"
        assert kms.describe_key(KeyId="alias/survivor")["KeyMetadata"]["Description"] == "survivor"
    finally:
        server.stop()


def test_data_dir_files_are_private(tmp_path):
    import os
    import stat

    server = Server(tmp_path / "data").start()
    try:
        for entry in os.listdir(server.data_dir):
            path = os.path.join(server.data_dir, entry)
            if "root" in entry or entry == "credentials":
                mode = stat.S_IMODE(os.stat(path).st_mode)
                assert mode & 0o077 == 0, f"{entry} is readable by others: {oct(mode)}"
    finally:
        server.stop()


def test_kill_9_during_write_burst_loses_no_acknowledged_write(tmp_path):
    server = Server(tmp_path / "data").start()
    kms_clients = [server.client() for _ in range(4)]
    acknowledged = []  # (key id, ciphertext) pairs the server answered
    lock = threading.Lock()
    stop = threading.Event()

    def writer(kms):
        # Bounded: at most 200 iterations per thread, and stops on kill.
        for i in range(200):
            if stop.is_set():
                return
            try:
                key = kms.create_key(Description=f"burst-{i}")["KeyMetadata"]["KeyId"]
                blob = kms.encrypt(KeyId=key, Plaintext=key.encode())["CiphertextBlob"]
            except Exception:
                return  # the server was killed mid-request: not acknowledged
            with lock:
                acknowledged.append((key, blob))

    threads = [threading.Thread(target=writer, args=(k,)) for k in kms_clients]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 40:
                break
        time.sleep(0.01)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 40, "the burst did not get going"

    server.start()
    try:
        kms = server.client()
        for key, blob in acknowledged:
            assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
            assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == key.encode()
    finally:
        server.stop()


def test_key_last_usage_survives_a_clean_restart_and_kill_9_after_a_second(tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        kms = server.client()
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        kms.generate_data_key(KeyId=key, KeySpec="AES_256")
        before = kms.get_key_last_usage(KeyId=key)
        assert before["KeyLastUsage"]["Operation"] == "GenerateDataKey"
    finally:
        server.stop()

    server.start()
    try:
        kms = server.client()
        after = kms.get_key_last_usage(KeyId=key)
        for member in ("KeyId", "KeyLastUsage", "TrackingStartDate", "KeyCreationDate"):
            assert after[member] == before[member], member
        kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
        signed = kms.get_key_last_usage(KeyId=signing)["KeyLastUsage"]
        # The flusher writes within about a second; kill -9 after it has.
        time.sleep(2.5)
    finally:
        server.stop(signal.SIGKILL)

    server.start()
    try:
        kms = server.client()
        assert kms.get_key_last_usage(KeyId=signing)["KeyLastUsage"] == signed
        assert kms.get_key_last_usage(KeyId=key)["KeyLastUsage"] == before["KeyLastUsage"]
    finally:
        server.stop()
