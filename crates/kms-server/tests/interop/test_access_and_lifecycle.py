"""Key policies, identity policies, grants, rotation, deletion windows and
multi-Region keys, driven by boto3 and the AWS CLI against one kms-server
started with a config file (more principals, their identity policies, a small
grant limit) and --test-clock (so a year of rotation passes in a request)."""

import base64
import datetime
import json
import subprocess
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, Server

OTHER_ACCOUNT = "444455556666"
APP = f"arn:aws:iam::{ACCOUNT}:user/app"
DEV = f"arn:aws:iam::{ACCOUNT}:user/dev"
BOB = f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
SECRET = "interopUserSecret000000000000000000000000"
KEYS = {APP: "AKIAINTEROPAPP000001", DEV: "AKIAINTEROPDEV000001", BOB: "AKIAINTEROPBOB000001"}
ALLOW_ALL = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
DAY = 86400


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    base = tmp_path_factory.mktemp("access")
    config = {
        "access_keys": [{"access_key_id": k, "secret_access_key": SECRET, "principal_arn": p}
                        for p, k in KEYS.items()],
        "identity_policies": [
            {"principal_arn": DEV, "policy_name": "dev-all", "document": ALLOW_ALL},
            {"principal_arn": BOB, "policy_name": "bob-all", "document": json.dumps(ALLOW_ALL)},
        ],
        "grants_per_key": 3,
    }
    (base / "config.json").write_text(json.dumps(config))
    s = Server(base / "data", "--config", str(base / "config.json"), "--test-clock").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(srv):
    return srv.client(validate=False)


def client_as(srv, principal, region=REGION):
    return srv.client(region=region, access_key=KEYS[principal], secret_key=SECRET, validate=False)


def code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


def advance(srv, seconds):
    req = urllib.request.Request(
        f"{srv.url}/_kms-server/test-clock",
        data=json.dumps({"advance_seconds": seconds}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def root_statement():
    return {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": ROOT},
            "Action": "kms:*", "Resource": "*"}


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_default_policy_and_key_policy_conditions(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    doc = json.loads(admin.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert doc["Statement"][0]["Principal"]["AWS"] == ROOT
    assert admin.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]

    app = client_as(srv, APP)
    with pytest.raises(ClientError) as e:
        app.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert e.value.response["Error"]["Message"].startswith(
        f"User: {APP} is not authorized to perform: kms:GenerateDataKey on resource: "
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}")

    admin.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": APP},
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "blue"}}},
    ))
    out = app.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"tenant": "blue"})
    back = app.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"tenant": "blue"})
    assert back["Plaintext"] == out["Plaintext"]
    assert code(app.generate_data_key, KeyId=key, KeySpec="AES_256",
                EncryptionContext={"tenant": "red"}) == "AccessDeniedException"
    assert code(app.decrypt, CiphertextBlob=out["CiphertextBlob"],
                EncryptionContext={"tenant": "red"}) == "AccessDeniedException"
    assert code(app.describe_key, KeyId=key) == "AccessDeniedException"
    assert code(app.list_aliases) == "AccessDeniedException"

    # Disabled and pending-deletion keys: the authorized principal is told why.
    admin.disable_key(KeyId=key)
    assert code(app.generate_data_key, KeyId=key, KeySpec="AES_256",
                EncryptionContext={"tenant": "blue"}) == "DisabledException"
    admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert code(app.decrypt, CiphertextBlob=out["CiphertextBlob"],
                EncryptionContext={"tenant": "blue"}) == "KMSInvalidStateException"


def test_malformed_policies_and_the_lockout_check(admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    for bad in ["{", json.dumps({"Statement": []}),
                policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}),
                policy({"Effect": "Allow", "Principal": "*", "Action": "kms:*",
                        "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-02-30"}}}),
                policy(root_statement(),
                       {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
                        "Condition": {"NumericLessThan": {"kms:RotationPeriodInDays": "a year"}}}),
                policy(root_statement(),
                       {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
                        "Condition": {"DateLike": {"aws:CurrentTime": "2030-*"}}})]:
        assert code(admin.put_key_policy, KeyId=key, PolicyName="default",
                    Policy=bad) == "MalformedPolicyDocumentException", bad
    lockout = policy({"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:*",
                      "Resource": "*"})
    assert code(admin.put_key_policy, KeyId=key, PolicyName="default",
                Policy=lockout) == "MalformedPolicyDocumentException"
    assert code(admin.create_key, Policy=lockout) == "MalformedPolicyDocumentException"
    admin.create_key(Policy=lockout, BypassPolicyLockoutSafetyCheck=True)


def test_date_and_numeric_conditions(srv, admin):
    meta = admin.create_key()["KeyMetadata"]
    key = meta["KeyId"]
    # The key's creation date is the server's (test) clock now.
    now = meta["CreationDate"].astimezone(datetime.timezone.utc)
    until = (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    admin.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": until}}},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*",
         "Condition": {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10}}},
    ))
    app = client_as(srv, APP)
    app.encrypt(KeyId=key, Plaintext=b"x")
    advance(srv, 2 * DAY)
    assert code(app.encrypt, KeyId=key, Plaintext=b"x") == "AccessDeniedException"
    assert code(admin.schedule_key_deletion, KeyId=key,
                PendingWindowInDays=7) == "AccessDeniedException"
    admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=10)


def test_policy_variables_name_the_caller(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    admin.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": [APP, DEV]},
         "Action": ["kms:Encrypt", "kms:Decrypt"],
         "Resource": "arn:aws:kms:*:${aws:PrincipalAccount}:key/*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:owner": "${aws:username}"}}},
    ))
    app = client_as(srv, APP)
    blob = app.encrypt(KeyId=key, Plaintext=b"mine", EncryptionContext={"owner": "app"})["CiphertextBlob"]
    assert code(app.encrypt, KeyId=key, Plaintext=b"x",
                EncryptionContext={"owner": "dev"}) == "AccessDeniedException"
    assert app.decrypt(CiphertextBlob=blob, EncryptionContext={"owner": "app"})["Plaintext"] == b"mine"
    # user/dev's identity policy allows kms:*, and the account statement
    # delegates to it, so dev is not bound to its own name.
    dev = client_as(srv, DEV)
    dev.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"owner": "app"})
    assert code(admin.put_key_policy, KeyId=key, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:*",
         "Resource": "${aws:PrincipalAccount"},
    )) == "MalformedPolicyDocumentException"


def test_ip_address_conditions_see_the_client(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    app = client_as(srv, APP)

    def allow_app_from(ranges):
        admin.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(
            root_statement(),
            {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Encrypt",
             "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": ranges}}},
        ))

    # The tests reach the server over loopback.
    allow_app_from(["127.0.0.0/8", "::1"])
    app.encrypt(KeyId=key, Plaintext=b"x")
    allow_app_from(["192.0.2.0/24"])
    assert code(app.encrypt, KeyId=key, Plaintext=b"x") == "AccessDeniedException"
    assert code(admin.put_key_policy, KeyId=key, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "300.0.0.0/8"}}},
    )) == "MalformedPolicyDocumentException"


def test_identity_policies_explicit_deny_and_cross_account(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"
    dev, bob = client_as(srv, DEV), client_as(srv, BOB)
    blob = dev.encrypt(KeyId=key, Plaintext=b"dev data")["CiphertextBlob"]
    assert code(bob.decrypt, KeyId=arn, CiphertextBlob=blob) == "AccessDeniedException"
    admin.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": DEV}, "Action": "kms:Encrypt", "Resource": "*"},
    ))
    assert bob.decrypt(KeyId=arn, CiphertextBlob=blob)["Plaintext"] == b"dev data"
    assert code(bob.encrypt, KeyId=arn, Plaintext=b"x") == "AccessDeniedException"
    assert code(bob.disable_key, KeyId=arn) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        dev.encrypt(KeyId=key, Plaintext=b"x")
    assert e.value.response["Error"]["Message"].endswith(
        "with an explicit deny in a resource-based policy")
    assert dev.decrypt(CiphertextBlob=blob)["Plaintext"] == b"dev data"


def test_grants_constraints_tokens_retire_revoke_and_limit(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    app, dev = client_as(srv, APP), client_as(srv, DEV)
    grant = admin.create_grant(
        KeyId=key, GranteePrincipal=APP, RetiringPrincipal=DEV,
        Operations=["Encrypt", "Decrypt"], Name="nightly",
        Constraints={"EncryptionContextSubset": {"job": "nightly"}},
    )
    again = admin.create_grant(
        KeyId=key, GranteePrincipal=APP, RetiringPrincipal=DEV,
        Operations=["Encrypt", "Decrypt"], Name="nightly",
        Constraints={"EncryptionContextSubset": {"job": "nightly"}},
    )
    assert again["GrantId"] == grant["GrantId"]
    ctx = {"job": "nightly", "run": "42"}
    blob = app.encrypt(KeyId=key, Plaintext=b"backup", EncryptionContext=ctx,
                       GrantTokens=[grant["GrantToken"]])["CiphertextBlob"]
    assert app.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"backup"
    assert code(app.encrypt, KeyId=key, Plaintext=b"x",
                EncryptionContext={"job": "adhoc"}) == "AccessDeniedException"
    assert code(app.generate_data_key, KeyId=key, KeySpec="AES_256",
                EncryptionContext=ctx) == "AccessDeniedException"
    assert code(app.encrypt, KeyId=key, Plaintext=b"x", EncryptionContext=ctx,
                GrantTokens=["bm90LWEtdG9rZW4="]) == "InvalidGrantTokenException"

    listed = admin.list_grants(KeyId=key)["Grants"]
    assert [g["GrantId"] for g in listed] == [grant["GrantId"]]
    assert listed[0]["Constraints"]["EncryptionContextSubset"] == {"job": "nightly"}
    assert sorted(listed[0]["Operations"]) == ["Decrypt", "Encrypt"]
    retirable = admin.list_retirable_grants(RetiringPrincipal=DEV)["Grants"]
    assert grant["GrantId"] in [g["GrantId"] for g in retirable]

    assert code(app.retire_grant, GrantToken=grant["GrantToken"]) == "AccessDeniedException"
    dev.retire_grant(GrantToken=grant["GrantToken"])
    assert code(app.decrypt, CiphertextBlob=blob, EncryptionContext=ctx) == "AccessDeniedException"

    second = admin.create_grant(KeyId=key, GranteePrincipal=APP, Operations=["Decrypt"])
    assert app.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"backup"
    admin.revoke_grant(KeyId=key, GrantId=second["GrantId"])
    assert code(app.decrypt, CiphertextBlob=blob, EncryptionContext=ctx) == "AccessDeniedException"

    for _ in range(3):
        admin.create_grant(KeyId=key, GranteePrincipal=APP, Operations=["Decrypt"])
    assert code(admin.create_grant, KeyId=key, GranteePrincipal=APP,
                Operations=["Decrypt"]) == "LimitExceededException"


def test_rotation_on_the_test_clock(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    old = admin.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
    admin.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = admin.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 90
    assert advance(srv, 91 * DAY)["rotated"] >= 1
    rotations = admin.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    admin.rotate_key_on_demand(KeyId=key)
    rotations = admin.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC", "ON_DEMAND"]
    new = admin.encrypt(KeyId=key, Plaintext=b"after")["CiphertextBlob"]
    assert admin.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert admin.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    signing = admin.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    assert code(admin.enable_key_rotation,
                KeyId=signing["KeyMetadata"]["KeyId"]) == "UnsupportedOperationException"


def test_deletion_window_on_the_test_clock(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    advance(srv, 6 * DAY)
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    admin.cancel_key_deletion(KeyId=key)
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert advance(srv, 8 * DAY)["deleted"] >= 1
    assert code(admin.describe_key, KeyId=key) == "NotFoundException"


def test_multi_region_keys_across_regions(srv, admin):
    west = srv.client(region="eu-west-1", validate=False)
    key = admin.create_key(MultiRegion=True)["KeyMetadata"]
    assert key["KeyId"].startswith("mrk-")
    replica = admin.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    meta = replica["ReplicaKeyMetadata"]
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    blob = admin.encrypt(KeyId=key["Arn"], Plaintext=b"east")["CiphertextBlob"]
    assert west.decrypt(KeyId=meta["Arn"], CiphertextBlob=blob)["Plaintext"] == b"east"
    back = west.encrypt(KeyId=meta["Arn"], Plaintext=b"west")["CiphertextBlob"]
    assert admin.decrypt(KeyId=key["Arn"], CiphertextBlob=back)["Plaintext"] == b"west"
    admin.update_primary_region(KeyId=key["Arn"], PrimaryRegion="eu-west-1")
    described = admin.describe_key(KeyId=key["Arn"])["KeyMetadata"]
    assert described["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert west.describe_key(KeyId=meta["Arn"])["KeyMetadata"][
        "MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"


def aws(srv, *args, principal=None, check=True):
    env = srv.env()
    if principal:
        env.pop("AWS_SHARED_CREDENTIALS_FILE", None)
        env.update(AWS_ACCESS_KEY_ID=KEYS[principal], AWS_SECRET_ACCESS_KEY=SECRET)
    result = subprocess.run(
        ["aws", "--endpoint-url", srv.url, "--output", "json", "kms", *args],
        capture_output=True, text=True, env=env, timeout=60,
    )
    if check:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}
    return result


def test_cli_policies_grants_rotation_and_a_denial(srv, tmp_path):
    key = aws(srv, "create-key")["KeyMetadata"]["KeyId"]
    doc = json.loads(aws(srv, "get-key-policy", "--key-id", key, "--policy-name", "default",
                         "--output", "json")["Policy"])
    doc["Statement"].append({"Sid": "app", "Effect": "Allow", "Principal": {"AWS": APP},
                             "Action": "kms:Encrypt", "Resource": "*"})
    (tmp_path / "policy.json").write_text(json.dumps(doc))
    aws(srv, "put-key-policy", "--key-id", key, "--policy-name", "default",
        "--policy", f"file://{tmp_path / 'policy.json'}")
    (tmp_path / "plain").write_bytes(b"cli")
    aws(srv, "encrypt", "--key-id", key, "--plaintext", f"fileb://{tmp_path / 'plain'}",
        principal=APP)
    denied = aws(srv, "describe-key", "--key-id", key, principal=APP, check=False)
    assert denied.returncode != 0 and "AccessDeniedException" in denied.stderr

    grant = aws(srv, "create-grant", "--key-id", key, "--grantee-principal", APP,
                "--operations", "DescribeKey")
    aws(srv, "describe-key", "--key-id", key, principal=APP)
    listed = aws(srv, "list-grants", "--key-id", key)["Grants"]
    assert grant["GrantId"] in [g["GrantId"] for g in listed]
    aws(srv, "revoke-grant", "--key-id", key, "--grant-id", grant["GrantId"])
    assert aws(srv, "describe-key", "--key-id", key, principal=APP, check=False).returncode != 0

    aws(srv, "enable-key-rotation", "--key-id", key, "--rotation-period-in-days", "180")
    status = aws(srv, "get-key-rotation-status", "--key-id", key)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 180
    aws(srv, "rotate-key-on-demand", "--key-id", key)
    rotations = aws(srv, "list-key-rotations", "--key-id", key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]



def _wrap(public_der, material, algorithm):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    public = serialization.load_der_public_key(public_der)
    digest = hashes.SHA256() if algorithm.endswith("256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    ephemeral = bytes(range(32))
    return public.encrypt(ephemeral, oaep) + aes_key_wrap_with_padding(ephemeral, material)


def test_imported_key_material_expires_and_is_reimported(srv, admin):
    key = admin.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
    material = bytes(range(100, 132))
    params = admin.get_parameters_for_import(
        KeyId=key, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec="RSA_2048")
    # The server's clock, which earlier tests of this module moved forward.
    now = advance(srv, 0)["now_ms"] / 1000
    valid_to = datetime.datetime.fromtimestamp(now + 2 * DAY, datetime.timezone.utc)
    admin.import_key_material(
        KeyId=key, ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=_wrap(params["PublicKey"], material, "RSA_AES_KEY_WRAP_SHA_256"),
        ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    meta = admin.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    blob = admin.encrypt(KeyId=key, Plaintext=b"imported")["CiphertextBlob"]
    assert code(admin.import_key_material, KeyId=key, ImportToken=b"not a token",
                EncryptedKeyMaterial=b"x" * 256) == "InvalidImportTokenException"

    assert advance(srv, 3 * DAY)["expired"] == 1
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert code(admin.decrypt, CiphertextBlob=blob) == "KMSInvalidStateException"
    assert code(admin.import_key_material, KeyId=key, ImportToken=params["ImportToken"],
                EncryptedKeyMaterial=b"x" * 300) == "ExpiredImportTokenException"

    params = admin.get_parameters_for_import(
        KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_3072")
    other = bytes(32)
    assert code(admin.import_key_material, KeyId=key, ImportToken=params["ImportToken"],
                EncryptedKeyMaterial=_wrap(params["PublicKey"], other, "RSAES_OAEP_SHA_256"),
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE") == "IncorrectKeyMaterialException"
    admin.import_key_material(
        KeyId=key, ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=_wrap(params["PublicKey"], material, "RSAES_OAEP_SHA_256"),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert admin.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    # Importing it again while the key has it changes only its expiry.
    now = advance(srv, 0)["now_ms"] / 1000
    later = datetime.datetime.fromtimestamp(now + 5 * DAY, datetime.timezone.utc)
    admin.import_key_material(
        KeyId=key, ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=_wrap(params["PublicKey"], material, "RSAES_OAEP_SHA_256"),
        ValidTo=later)
    meta = admin.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert meta["ValidTo"] == later
    assert admin.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    admin.delete_imported_key_material(KeyId=key)
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_imported_key_material_rotates_on_demand(admin):
    key = admin.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]

    def import_(material, **extra):
        params = admin.get_parameters_for_import(
            KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        return admin.import_key_material(
            KeyId=key, ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=_wrap(params["PublicKey"], material, "RSAES_OAEP_SHA_256"),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", **extra)

    first = import_(bytes(range(32)))["KeyMaterialId"]
    blob = admin.encrypt(KeyId=key, Plaintext=b"first")["CiphertextBlob"]
    second = import_(bytes(range(32, 64)), ImportType="NEW_KEY_MATERIAL",
                     KeyMaterialDescription="2026 rotation")["KeyMaterialId"]
    listed = admin.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"]) for r in listed] == [
        (first, "CURRENT"), (second, "PENDING_ROTATION")]
    assert listed[1]["KeyMaterialDescription"] == "2026 rotation"
    assert listed[1]["ImportState"] == "IMPORTED"

    admin.rotate_key_on_demand(KeyId=key)
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"] == second
    done = admin.list_key_rotations(KeyId=key)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"]) for r in done] == [(second, "ON_DEMAND")]
    assert admin.decrypt(CiphertextBlob=blob)["Plaintext"] == b"first"

    deleted = admin.delete_imported_key_material(KeyId=key, KeyMaterialId=first)
    assert deleted["KeyMaterialId"] == first
    assert code(admin.decrypt, CiphertextBlob=blob) == "KMSInvalidStateException"
    import_(bytes(range(32)), ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first)
    assert admin.decrypt(CiphertextBlob=blob)["Plaintext"] == b"first"
    assert code(import_, bytes(64 - i for i in range(32)),
                ImportType="NEW_KEY_MATERIAL") == "ok"
    assert code(import_, bytes(range(100, 132)),
                ImportType="NEW_KEY_MATERIAL") == "KMSInvalidStateException"


def test_aws_managed_keys_on_first_use(admin):
    meta = admin.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    blob = admin.encrypt(KeyId="alias/aws/sqs", Plaintext=b"queue")["CiphertextBlob"]
    assert admin.decrypt(CiphertextBlob=blob)["Plaintext"] == b"queue"
    assert any(a["AliasName"] == "alias/aws/sqs" for a in admin.list_aliases()["Aliases"])
    assert code(admin.schedule_key_deletion, KeyId=meta["KeyId"],
                PendingWindowInDays=7) == "AccessDeniedException"
    assert code(admin.disable_key, KeyId=meta["KeyId"]) == "AccessDeniedException"


def test_cli_imports_key_material(srv, tmp_path):
    key = aws(srv, "create-key", "--origin", "EXTERNAL")["KeyMetadata"]["KeyId"]
    params = aws(srv, "get-parameters-for-import", "--key-id", key,
                 "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048")
    public = base64.b64decode(params["PublicKey"])
    (tmp_path / "token").write_bytes(base64.b64decode(params["ImportToken"]))
    (tmp_path / "material").write_bytes(_wrap(public, bytes(range(32)), "RSAES_OAEP_SHA_256"))
    aws(srv, "import-key-material", "--key-id", key,
        "--import-token", f"fileb://{tmp_path / 'token'}",
        "--encrypted-key-material", f"fileb://{tmp_path / 'material'}",
        "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert aws(srv, "describe-key", "--key-id", key)["KeyMetadata"]["KeyState"] == "Enabled"


def denied_message(fn, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(*args, **kwargs)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    return e.value.response["Error"]["Message"]


def test_condition_keys_come_from_the_real_requests(srv, admin):
    """Each condition key the issue names, set by the server from a boto3
    request and decided by a key policy (APP has no identity policy, so the
    key policy alone decides for it; BOB is in another account)."""
    app, bob = client_as(srv, APP), client_as(srv, BOB)

    # kms:EncryptionAlgorithm on an RSA key; NotAction allows all but what it
    # names (ListResourceTags yes, Decrypt and DescribeKey no).
    rsa = admin.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    admin.put_key_policy(KeyId=rsa, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}}},
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Resource": "*",
         "NotAction": ["kms:Decrypt", "kms:Encrypt", "kms:*Key*", "kms:*Grant*"]},
    ))
    blob = app.encrypt(KeyId=rsa, Plaintext=b"oaep",
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    message = denied_message(app.encrypt, KeyId=rsa, Plaintext=b"oaep",
                             EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert message.startswith(f"User: {APP} is not authorized to perform: kms:Encrypt "), message
    assert code(app.decrypt, KeyId=rsa, CiphertextBlob=blob,
                EncryptionAlgorithm="RSAES_OAEP_SHA_256") == "AccessDeniedException"
    assert code(app.describe_key, KeyId=rsa) == "AccessDeniedException"
    assert app.list_resource_tags(KeyId=rsa)["Tags"] == []
    assert admin.decrypt(KeyId=rsa, CiphertextBlob=blob,
                         EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"oaep"

    # kms:SigningAlgorithm with StringLike.
    signing = admin.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    admin.put_key_policy(KeyId=signing, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Sign", "Resource": "*",
         "Condition": {"StringLike": {"kms:SigningAlgorithm": "RSASSA_PSS_*"}}},
    ))
    digest = bytes(32)
    app.sign(KeyId=signing, Message=digest, MessageType="DIGEST",
             SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert code(app.sign, KeyId=signing, Message=digest, MessageType="DIGEST",
                SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256") == "AccessDeniedException"

    # kms:CallerAccount, aws:PrincipalArn, kms:EncryptionContextKeys
    # (ForAnyValue / ForAllValues), StringNotEquals, and IfExists on
    # kms:ViaService, which a direct call never carries.
    key = admin.create_key()["KeyMetadata"]
    arn = key["Arn"]
    admin.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}},
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER_ACCOUNT}:user/b*"},
                       "ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["tenant"]}}},
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"ForAllValues:StringLike": {"kms:EncryptionContextKeys": ["tenant", "x-*"]},
                       "StringNotEquals": {"kms:EncryptionContext:tenant": "red"},
                       "StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    ))
    app.describe_key(KeyId=arn)
    assert code(bob.describe_key, KeyId=arn) == "AccessDeniedException"
    ctx = {"tenant": "blue", "x-run": "7"}
    blob = bob.encrypt(KeyId=arn, Plaintext=b"bob", EncryptionContext=ctx)["CiphertextBlob"]
    assert code(bob.encrypt, KeyId=arn, Plaintext=b"bob",
                EncryptionContext={"other": "1"}) == "AccessDeniedException"
    assert code(app.encrypt, KeyId=arn, Plaintext=b"app",
                EncryptionContext=ctx) == "AccessDeniedException"
    assert app.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"bob"
    red = admin.encrypt(KeyId=arn, Plaintext=b"red", EncryptionContext={"tenant": "red"})
    assert code(app.decrypt, CiphertextBlob=red["CiphertextBlob"],
                EncryptionContext={"tenant": "red"}) == "AccessDeniedException"
    extra = admin.encrypt(KeyId=arn, Plaintext=b"extra",
                          EncryptionContext={"tenant": "blue", "stage": "prod"})
    assert code(app.decrypt, CiphertextBlob=extra["CiphertextBlob"],
                EncryptionContext={"tenant": "blue", "stage": "prod"}) == "AccessDeniedException"

    # kms:GrantOperations (ForAllValues) and Bool on kms:GrantIsForAWSResource.
    admin.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy(
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:CreateGrant",
         "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "Decrypt"]},
                       "Bool": {"kms:GrantIsForAWSResource": "false"}}},
    ))
    app.create_grant(KeyId=arn, GranteePrincipal=DEV, Operations=["Decrypt"])
    message = denied_message(app.create_grant, KeyId=arn, GranteePrincipal=DEV,
                             Operations=["Decrypt", "ReEncryptFrom"])
    assert f"kms:CreateGrant on resource: {arn}" in message, message


def test_a_grant_with_encryption_context_equals_needs_the_exact_context(srv, admin):
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    app = client_as(srv, APP)
    exact = {"order": "17", "shop": "north"}
    grant = admin.create_grant(KeyId=key, GranteePrincipal=APP,
                               Operations=["Encrypt", "Decrypt", "GenerateDataKey"],
                               Constraints={"EncryptionContextEquals": exact})
    blob = app.encrypt(KeyId=key, Plaintext=b"order", EncryptionContext=exact,
                       GrantTokens=[grant["GrantToken"]])["CiphertextBlob"]
    assert app.decrypt(CiphertextBlob=blob, EncryptionContext=exact)["Plaintext"] == b"order"
    app.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=exact)
    for ctx in [{}, {"order": "17"}, dict(exact, extra="1"), dict(exact, shop="south")]:
        assert code(app.encrypt, KeyId=key, Plaintext=b"x",
                    EncryptionContext=ctx) == "AccessDeniedException", ctx
    listed = admin.list_grants(KeyId=key, GrantId=grant["GrantId"])["Grants"]
    assert listed[0]["Constraints"] == {"EncryptionContextEquals": exact}


@pytest.mark.parametrize("algorithm,wrapping_spec", [
    ("RSAES_OAEP_SHA_1", "RSA_4096"),
    ("RSAES_OAEP_SHA_256", "RSA_2048"),
    ("RSA_AES_KEY_WRAP_SHA_1", "RSA_3072"),
    ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
])
def test_every_wrapping_algorithm_and_key_spec_imports(srv, admin, algorithm, wrapping_spec):
    key = admin.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    now = advance(srv, 0)["now_ms"] / 1000
    params = admin.get_parameters_for_import(
        KeyId=key, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec)
    valid_to = params["ParametersValidTo"].timestamp()
    assert abs(valid_to - (now + DAY)) < 60, (valid_to, now)
    from cryptography.hazmat.primitives import serialization
    public = serialization.load_der_public_key(params["PublicKey"])
    assert public.key_size == int(wrapping_spec.split("_")[1])
    material = bytes(range(1, 33))
    admin.import_key_material(
        KeyId=key, ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=_wrap(params["PublicKey"], material, algorithm),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    blob = admin.encrypt(KeyId=key, Plaintext=algorithm.encode())["CiphertextBlob"]
    assert admin.decrypt(CiphertextBlob=blob)["Plaintext"] == algorithm.encode()


def test_imported_material_expiring_in_the_deletion_window_keeps_pending_deletion(srv, admin):
    key = admin.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = admin.get_parameters_for_import(
        KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    now = advance(srv, 0)["now_ms"] / 1000
    admin.import_key_material(
        KeyId=key, ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=_wrap(params["PublicKey"], bytes(32), "RSAES_OAEP_SHA_256"),
        ValidTo=datetime.datetime.fromtimestamp(now + DAY, datetime.timezone.utc),
        ExpirationModel="KEY_MATERIAL_EXPIRES")
    blob = admin.encrypt(KeyId=key, Plaintext=b"soon gone")["CiphertextBlob"]
    admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert advance(srv, 2 * DAY)["expired"] >= 1
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert code(admin.decrypt, CiphertextBlob=blob) == "KMSInvalidStateException"
    # Cancelled, the key has no material: it waits for an import again.
    admin.cancel_key_deletion(KeyId=key)
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
