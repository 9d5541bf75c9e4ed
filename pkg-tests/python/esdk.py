"""The AWS Encryption SDK for Python's side of the npm package's
cross-decryption test: `esdk.py encrypt|decrypt KEY_ARN IN OUT` with the
strict KMS master key provider, against the kms-server named by
AWS_ENDPOINT_URL_KMS (botocore reads it), the encryption context
{"origin": "..."} and suite 0x0478 or (ESDK_SUITE=0578) 0x0578."""

import json
import sys

import aws_encryption_sdk
import botocore.session
from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy
from aws_encryption_sdk.key_providers.kms import StrictAwsKmsMasterKeyProvider


def main():
    mode, key_arn, src, dst = sys.argv[1:5]
    suite = sys.argv[5] if len(sys.argv) > 5 else "0478"
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )
    provider = StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=botocore.session.Session()
    )
    with open(src, "rb") as f:
        data = f.read()
    if mode == "encrypt":
        algorithm = {
            "0478": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
            "0578": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
        }[suite]
        out, _ = client.encrypt(
            source=data,
            key_provider=provider,
            encryption_context={"origin": "python"},
            algorithm=algorithm,
        )
    else:
        out, header = client.decrypt(source=data, key_provider=provider)
        print(json.dumps(header.encryption_context))
    with open(dst, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
