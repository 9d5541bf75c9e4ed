"""kms-server driven by boto3: every operation's success path and the error
codes AWS KMS answers with."""

import base64
import hashlib
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from conftest import ACCOUNT, REGION


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def expect_error(code, fn, *args, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        fn(*args, **kwargs)
    assert error_code(excinfo) == code, excinfo.value.response
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] >= 400
    return excinfo.value


@pytest.fixture(scope="module")
def sym(kms):
    return kms.create_key(Description="symmetric")["KeyMetadata"]


# ---------------------------------------------------------------- keys


def test_create_key_defaults_match_aws(kms):
    md = kms.create_key()["KeyMetadata"]
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["KeyState"] == "Enabled"
    assert md["Enabled"] is True
    assert md["Origin"] == "AWS_KMS"
    assert md["KeyManager"] == "CUSTOMER"
    assert md["MultiRegion"] is False
    assert md["AWSAccountId"] == ACCOUNT
    assert md["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{md['KeyId']}"
    assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert "CreationDate" in md


@pytest.mark.parametrize(
    "spec,usage",
    [
        ("RSA_2048", "ENCRYPT_DECRYPT"),
        ("RSA_2048", "SIGN_VERIFY"),
        ("ECC_NIST_P256", "SIGN_VERIFY"),
        ("ECC_NIST_P384", "SIGN_VERIFY"),
        ("ECC_NIST_P521", "SIGN_VERIFY"),
        ("ECC_SECG_P256K1", "SIGN_VERIFY"),
        ("ECC_NIST_P256", "KEY_AGREEMENT"),
        ("ECC_NIST_P384", "KEY_AGREEMENT"),
        ("ECC_NIST_P521", "KEY_AGREEMENT"),
        ("HMAC_224", "GENERATE_VERIFY_MAC"),
        ("HMAC_256", "GENERATE_VERIFY_MAC"),
        ("HMAC_384", "GENERATE_VERIFY_MAC"),
        ("HMAC_512", "GENERATE_VERIFY_MAC"),
    ],
)
def test_create_key_of_every_spec(kms, spec, usage):
    md = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    assert md["KeySpec"] == spec and md["KeyUsage"] == usage
    if usage == "SIGN_VERIFY":
        assert md["SigningAlgorithms"]
    if usage == "GENERATE_VERIFY_MAC":
        assert md["MacAlgorithms"]
    if usage == "KEY_AGREEMENT":
        assert md["KeyAgreementAlgorithms"] == ["ECDH"]
        assert "SigningAlgorithms" not in md


def test_create_key_validation(kms):
    expect_error("ValidationException", kms.create_key, KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    expect_error("ValidationException", kms.create_key, KeySpec="HMAC_256", KeyUsage="ENCRYPT_DECRYPT")
    expect_error("ValidationException", kms.create_key, KeySpec="ECC_SECG_P256K1", KeyUsage="KEY_AGREEMENT")
    expect_error("ValidationException", kms.create_key, Description="x" * 8193)


def test_multi_region_key_has_mrk_id(kms):
    md = kms.create_key(MultiRegion=True)["KeyMetadata"]
    assert md["KeyId"].startswith("mrk-") and md["MultiRegion"] is True
    assert md["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"


def test_external_origin_key_waits_for_import(kms):
    md = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert md["KeyState"] == "PendingImport" and md["Origin"] == "EXTERNAL"
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=md["KeyId"], Plaintext=b"x")


def test_describe_key_by_every_identifier_form(kms):
    md = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/describe-me", TargetKeyId=md["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/describe-me"
    for ident in (md["KeyId"], md["Arn"], "alias/describe-me", alias_arn):
        assert kms.describe_key(KeyId=ident)["KeyMetadata"]["KeyId"] == md["KeyId"]
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/absent")
    expect_error("NotFoundException", kms.describe_key, KeyId="11111111-2222-3333-4444-555555555555")


def test_list_keys_pages(kms):
    created = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)}
    seen, marker, pages = set(), None, 0
    while True:
        kwargs = {"Limit": 2}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_keys(**kwargs)
        pages += 1
        assert len(page["Keys"]) <= 2
        seen |= {k["KeyId"] for k in page["Keys"]}
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert created <= seen and pages >= 3
    paginated = {k["KeyId"] for p in kms.get_paginator("list_keys").paginate() for k in p["Keys"]}
    assert paginated == seen
    expect_error("ValidationException", kms.list_keys, Limit=0)


def test_update_description_enable_disable(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.update_key_description(KeyId=key, Description="new words")
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["Description"] == "new words"
    kms.disable_key(KeyId=key)
    md = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert md["KeyState"] == "Disabled" and md["Enabled"] is False
    expect_error("DisabledException", kms.encrypt, KeyId=key, Plaintext=b"x")
    expect_error("DisabledException", kms.generate_data_key, KeyId=key, KeySpec="AES_256")
    kms.enable_key(KeyId=key)
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["KeyId"].endswith(key)


def test_schedule_and_cancel_deletion(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    expect_error("ValidationException", kms.schedule_key_deletion, KeyId=key, PendingWindowInDays=6)
    expect_error("ValidationException", kms.schedule_key_deletion, KeyId=key, PendingWindowInDays=31)
    out = kms.schedule_key_deletion(KeyId=key)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 30
    assert "DeletionDate" in out
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=key, Plaintext=b"x")
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    kms.cancel_key_deletion(KeyId=key)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    short = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.schedule_key_deletion(KeyId=short, PendingWindowInDays=7)["PendingWindowInDays"] == 7


# ---------------------------------------------------------------- aliases and tags


def test_alias_lifecycle(kms):
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/life", TargetKeyId=a)
    expect_error("AlreadyExistsException", kms.create_alias, AliasName="alias/life", TargetKeyId=b)
    kms.update_alias(AliasName="alias/life", TargetKeyId=b)
    assert kms.describe_key(KeyId="alias/life")["KeyMetadata"]["KeyId"] == b
    listed = kms.list_aliases(KeyId=b)["Aliases"]
    assert [x["AliasName"] for x in listed] == ["alias/life"]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/life"
    assert listed[0]["TargetKeyId"] == b
    kms.delete_alias(AliasName="alias/life")
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/life")
    expect_error("NotFoundException", kms.delete_alias, AliasName="alias/life")
    expect_error("NotFoundException", kms.create_alias, AliasName="alias/x", TargetKeyId="11111111-2222-3333-4444-555555555555")


def test_alias_names_are_validated(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    # AWS reserves alias/aws/ for AWS managed keys.
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key)
    assert error_code(excinfo) in ("NotAuthorizedException", "ValidationException")
    expect_error("ValidationException", kms.create_alias, AliasName="no-prefix", TargetKeyId=key)
    expect_error("ValidationException", kms.create_alias, AliasName="alias/bad name", TargetKeyId=key)


def test_list_aliases_pages(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for i in range(4):
        kms.create_alias(AliasName=f"alias/page-{i}", TargetKeyId=key)
    names = [a["AliasName"] for p in kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}) for a in p["Aliases"]]
    assert {f"alias/page-{i}" for i in range(4)} <= set(names)
    assert len(names) == len(set(names))


def test_tags(kms):
    key = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "crypto"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "env", "TagValue": "test"}, {"TagKey": "team", "TagValue": "kms"}])
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key)["Tags"]}
    assert tags == {"team": "kms", "env": "test"}
    kms.untag_resource(KeyId=key, TagKeys=["env"])
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key)["Tags"]}
    assert tags == {"team": "kms"}
    expect_error("NotFoundException", kms.list_resource_tags, KeyId="11111111-2222-3333-4444-555555555555")


# ---------------------------------------------------------------- symmetric cryptography


def test_encrypt_decrypt_with_context_and_without_key_id(kms, sym):
    ctx = {"tenant": "42", "aws-crypto-public-key": "AqZx"}
    out = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"hello", EncryptionContext=ctx)
    assert out["KeyId"] == sym["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=ctx)
    assert back["Plaintext"] == b"hello" and back["KeyId"] == sym["Arn"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"tenant": "43"})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=out["CiphertextBlob"])


def test_tampered_and_foreign_ciphertexts(kms, sym):
    blob = bytearray(kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"hello")["CiphertextBlob"])
    blob[-1] ^= 1
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(blob))
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=b"\x01" * 64)
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    good = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"hello")["CiphertextBlob"]
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=good, KeyId=other)
    assert kms.decrypt(CiphertextBlob=good, KeyId=sym["Arn"])["Plaintext"] == b"hello"


def test_plaintext_limits(kms, sym):
    assert kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"x" * 4096)["CiphertextBlob"]
    expect_error("ValidationException", kms.encrypt, KeyId=sym["KeyId"], Plaintext=b"x" * 4097)


def test_reencrypt(kms, sym):
    dest = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"move me", EncryptionContext={"a": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"a": "1"},
        DestinationKeyId=dest["KeyId"],
        DestinationEncryptionContext={"b": "2"},
    )
    assert out["SourceKeyId"] == sym["Arn"] and out["KeyId"] == dest["Arn"]
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})["Plaintext"] == b"move me"


def test_generate_data_key_forms(kms, sym):
    for spec, n in (("AES_256", 32), ("AES_128", 16)):
        out = kms.generate_data_key(KeyId=sym["KeyId"], KeySpec=spec, EncryptionContext={"k": "v"})
        assert len(out["Plaintext"]) == n
        assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"] == out["Plaintext"]
    for n in (1, 1024):
        assert len(kms.generate_data_key(KeyId=sym["KeyId"], NumberOfBytes=n)["Plaintext"]) == n
    expect_error("ValidationException", kms.generate_data_key, KeyId=sym["KeyId"], NumberOfBytes=1025)
    expect_error("ValidationException", kms.generate_data_key, KeyId=sym["KeyId"], NumberOfBytes=0)
    expect_error("ValidationException", kms.generate_data_key, KeyId=sym["KeyId"], KeySpec="AES_256", NumberOfBytes=32)
    expect_error("ValidationException", kms.generate_data_key, KeyId=sym["KeyId"])
    out = kms.generate_data_key_without_plaintext(KeyId=sym["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in out
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 32


def test_generate_data_key_pairs(kms, sym):
    for spec in ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_SECG_P256K1", "RSA_2048"):
        out = kms.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec=spec)
        private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], password=None)
        public = serialization.load_der_public_key(out["PublicKey"])
        assert private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) == public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"] == out["PrivateKeyPlaintext"]
        assert out["KeyPairSpec"] == spec
    out = kms.generate_data_key_pair_without_plaintext(KeyId=sym["KeyId"], KeyPairSpec="ECC_NIST_P256")
    assert "PrivateKeyPlaintext" not in out and out["PublicKey"]


def test_generate_random(kms):
    assert len(kms.generate_random(NumberOfBytes=1)["Plaintext"]) == 1
    a = kms.generate_random(NumberOfBytes=1024)["Plaintext"]
    assert len(a) == 1024 and a != kms.generate_random(NumberOfBytes=1024)["Plaintext"]
    expect_error("ValidationException", kms.generate_random, NumberOfBytes=1025)


def test_wrong_usage(kms):
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=signing, Plaintext=b"x")
    expect_error("InvalidKeyUsageException", kms.generate_data_key, KeyId=signing, KeySpec="AES_256")
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("InvalidKeyUsageException", kms.sign, KeyId=sym, Message=b"x", SigningAlgorithm="ECDSA_SHA_256")


# ---------------------------------------------------------------- asymmetric


def test_rsa_encrypt_decrypt(kms):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    for alg, h in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
        blob = kms.encrypt(KeyId=key, Plaintext=b"rsa secret", EncryptionAlgorithm=alg)["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, KeyId=key, EncryptionAlgorithm=alg)["Plaintext"] == b"rsa secret"
        # Encrypted locally with the public key, as a client would.
        local = public.encrypt(b"local", padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None))
        assert kms.decrypt(CiphertextBlob=local, KeyId=key, EncryptionAlgorithm=alg)["Plaintext"] == b"local"
    expect_error("ValidationException", kms.encrypt, KeyId=key, Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")


def test_sign_verify_ecc_and_rsa(kms):
    cases = [
        ("ECC_NIST_P256", "ECDSA_SHA_256", hashes.SHA256()),
        ("ECC_NIST_P384", "ECDSA_SHA_384", hashes.SHA384()),
        ("ECC_NIST_P521", "ECDSA_SHA_512", hashes.SHA512()),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256", hashes.SHA256()),
        ("RSA_2048", "RSASSA_PSS_SHA_256", hashes.SHA256()),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", hashes.SHA512()),
    ]
    for spec, alg, h in cases:
        key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        pub = kms.get_public_key(KeyId=key)
        assert pub["KeySpec"] == spec and alg in pub["SigningAlgorithms"]
        public = serialization.load_der_public_key(pub["PublicKey"])
        message = b"sign this message"
        sig = kms.sign(KeyId=key, Message=message, SigningAlgorithm=alg)["Signature"]
        assert kms.verify(KeyId=key, Message=message, Signature=sig, SigningAlgorithm=alg)["SignatureValid"]
        digest = hashlib.new(h.name, message).digest()
        sig2 = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm=alg)["Signature"]
        assert kms.verify(KeyId=key, Message=message, Signature=sig2, SigningAlgorithm=alg)["SignatureValid"]
        # Independent verification with the public key.
        if spec.startswith("ECC"):
            public.verify(sig, message, ec.ECDSA(h))
        elif "PSS" in alg:
            public.verify(sig, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
        else:
            public.verify(sig, message, padding.PKCS1v15(), h)
        with pytest.raises(InvalidSignature):
            if spec.startswith("ECC"):
                public.verify(sig, b"other", ec.ECDSA(h))
            else:
                public.verify(sig, b"other", padding.PKCS1v15() if "PKCS1" in alg else padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
        expect_error("KMSInvalidSignatureException", kms.verify, KeyId=key, Message=b"other", Signature=sig, SigningAlgorithm=alg)
        expect_error("ValidationException", kms.sign, KeyId=key, Message=b"short", MessageType="DIGEST", SigningAlgorithm=alg)


def test_derive_shared_secret_matches_a_local_ecdh(kms):
    """Alice's key lives in KMS; Bob's pair is made here by `cryptography`.
    Both sides must arrive at the same raw shared secret."""
    for spec, curve in (
        ("ECC_NIST_P256", ec.SECP256R1()),
        ("ECC_NIST_P384", ec.SECP384R1()),
        ("ECC_NIST_P521", ec.SECP521R1()),
    ):
        alice = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
        pub = kms.get_public_key(KeyId=alice)
        assert pub["KeyUsage"] == "KEY_AGREEMENT" and pub["KeyAgreementAlgorithms"] == ["ECDH"]
        alice_public = serialization.load_der_public_key(pub["PublicKey"])
        bob = ec.generate_private_key(curve)
        bob_spki = bob.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        out = kms.derive_shared_secret(KeyId=alice, KeyAgreementAlgorithm="ECDH", PublicKey=bob_spki)
        assert out["SharedSecret"] == bob.exchange(ec.ECDH(), alice_public), spec
        assert out["KeyId"].endswith(alice)
        assert out["KeyAgreementAlgorithm"] == "ECDH" and out["KeyOrigin"] == "AWS_KMS"

    other_curve = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    p256 = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    expect_error(
        "ValidationException", kms.derive_shared_secret,
        KeyId=p256, KeyAgreementAlgorithm="ECDH", PublicKey=other_curve,
    )
    expect_error(
        "DryRunOperationException", kms.derive_shared_secret,
        KeyId=p256, KeyAgreementAlgorithm="ECDH", PublicKey=other_curve, DryRun=True,
    )
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    expect_error(
        "InvalidKeyUsageException", kms.derive_shared_secret,
        KeyId=signing, KeyAgreementAlgorithm="ECDH", PublicKey=other_curve,
    )


def test_sign_with_algorithm_of_another_spec(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=key, Message=b"x", SigningAlgorithm="ECDSA_SHA_384")
    assert error_code(excinfo) in ("InvalidKeyUsageException", "ValidationException")


def test_mac(kms):
    for spec, alg in (("HMAC_224", "HMAC_SHA_224"), ("HMAC_256", "HMAC_SHA_256"), ("HMAC_384", "HMAC_SHA_384"), ("HMAC_512", "HMAC_SHA_512")):
        key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        mac = kms.generate_mac(KeyId=key, Message=b"m", MacAlgorithm=alg)["Mac"]
        assert kms.verify_mac(KeyId=key, Message=b"m", Mac=mac, MacAlgorithm=alg)["MacValid"]
        expect_error("KMSInvalidMacException", kms.verify_mac, KeyId=key, Message=b"n", Mac=mac, MacAlgorithm=alg)
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert error_code(excinfo) in ("InvalidKeyUsageException", "ValidationException")


# ---------------------------------------------------------------- authentication and regions


def test_wrong_secret_is_invalid_signature(server):
    ak, _ = server.credentials()
    bad = server.client(access_key=ak, secret_key="wrong" * 8)
    expect_error("InvalidSignatureException", bad.list_keys)


def test_unknown_access_key_is_unrecognized(server):
    bad = server.client(access_key="AKIAUNKNOWNUNKNOWN00", secret_key="x" * 40)
    expect_error("UnrecognizedClientException", bad.list_keys)


def test_unsigned_request_is_missing_token(server):
    req = urllib.request.Request(
        server.url + "/",
        data=b"{}",
        method="POST",
        headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(req, timeout=10)
    body = json.loads(excinfo.value.read())
    assert body["__type"].endswith("MissingAuthenticationTokenException")


def test_regions_are_separate(server):
    east = server.client(region="us-east-1")
    west = server.client(region="us-west-2")
    key = west.create_key()["KeyMetadata"]
    assert key["Arn"].startswith("arn:aws:kms:us-west-2:")
    expect_error("NotFoundException", east.describe_key, KeyId=key["KeyId"])
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_cors_preflight_and_healthz(server):
    req = urllib.request.Request(
        server.url + "/",
        method="OPTIONS",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target,x-amz-security-token",
        },
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status in (200, 204)
        assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
        allowed = resp.headers["Access-Control-Allow-Headers"].lower()
        for h in ("authorization", "x-amz-date", "x-amz-target", "x-amz-security-token"):
            assert h in allowed or "*" in allowed
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as resp:
        assert resp.status == 200


def test_unknown_operation(server):
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    ak, sk = server.credentials()
    req = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=b"{}",
        headers={"X-Amz-Target": "TrentService.NoSuchThing", "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials(ak, sk), "kms", REGION).add_auth(req)
    prepared = urllib.request.Request(req.url, data=req.body, method="POST", headers=dict(req.headers.items()))
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(prepared, timeout=10)
    body = json.loads(excinfo.value.read())
    assert body["__type"].endswith("UnknownOperationException")
    assert excinfo.value.headers.get("x-amzn-RequestId")


# ---------------------------------------------------------------- key last usage

def test_get_key_last_usage_reports_the_last_successful_use(server, kms):
    from conftest import wait_until

    meta = kms.create_key(Description="usage")["KeyMetadata"]
    key = meta["KeyId"]
    fresh = kms.get_key_last_usage(KeyId=meta["Arn"])
    assert fresh["KeyId"] == key
    assert fresh["KeyLastUsage"] == {}
    assert fresh["KeyCreationDate"] == meta["CreationDate"]
    assert fresh["TrackingStartDate"] == meta["CreationDate"]

    other = kms.create_key(Description="usage destination")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"k": "v"})["CiphertextBlob"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"k": "other"})
    used = kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]
    assert used["Operation"] == "Encrypt", "a failed Decrypt is no use"
    assert used["Timestamp"].microsecond == 0, "whole seconds"
    assert used["Timestamp"] >= meta["CreationDate"].replace(microsecond=0)

    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"k": "v"},
                         DestinationKeyId=other)
    request_id = out["ResponseMetadata"]["RequestId"]
    for k in (key, other):
        u = kms.get_key_last_usage(KeyId=k)["KeyLastUsage"]
        assert u["Operation"] == "ReEncrypt"
        assert u["KmsRequestId"] == request_id

    # The event id is the one in the audit log's record of that request.
    log = server.data_dir + "/audit/events.jsonl"

    def record():
        with open(log) as f:
            for line in f:
                event = json.loads(line)["event"]
                if event["requestID"] == request_id:
                    return event
        return None

    assert wait_until(lambda: record() is not None)
    assert record()["eventID"] == u["CloudTrailEventId"]

    expect_error("NotFoundException", kms.get_key_last_usage, KeyId="alias/aws/none")
    kms.create_alias(AliasName="alias/usage-by-alias", TargetKeyId=key)
    expect_error("NotFoundException", kms.get_key_last_usage, KeyId="alias/usage-by-alias")
    expect_error("InvalidArnException", kms.get_key_last_usage, KeyId="arn:aws:kms:bad")
    expect_error("NotFoundException", kms.get_key_last_usage,
                 KeyId="11111111-2222-3333-4444-555555555555")
