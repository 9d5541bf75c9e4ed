"""Regenerates signatures.json: Ed25519 and ML-DSA signatures made by
pyca/cryptography (OpenSSL underneath, not RustCrypto) the way KMS Sign makes
them, to check verify::PublicKey against an independent signer.

Needs cryptography 45 or later (ML-DSA): python3 generate.py > signatures.json

Each record: key_spec, algorithm, message_type (RAW or EXTERNAL_MU), the
public key (DER SubjectPublicKeyInfo), the message (for EXTERNAL_MU: the
64-byte mu, computed by cryptography's own hasher over `raw_message`), the
signature, and `valid`. The invalid records are signatures made with a
non-empty ML-DSA context: KMS signs with the empty one, so they must not
verify.
"""

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

MESSAGE = b"A message signed as KMS Sign with MessageType RAW would be.\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def spki(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def record(spec, algorithm, message_type, key, message, signature, valid=True, **extra):
    out = {
        "key_spec": spec,
        "algorithm": algorithm,
        "message_type": message_type,
        "public_key": b64(spki(key)),
        "message": b64(message),
        "signature": b64(signature),
        "valid": valid,
    }
    out.update({k: b64(v) for k, v in extra.items()})
    return out


def main():
    records = []
    ed = ed25519.Ed25519PrivateKey.generate()
    records.append(
        record("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "RAW", ed, MESSAGE, ed.sign(MESSAGE))
    )
    for spec, cls in [
        ("ML_DSA_44", mldsa.MLDSA44PrivateKey),
        ("ML_DSA_65", mldsa.MLDSA65PrivateKey),
        ("ML_DSA_87", mldsa.MLDSA87PrivateKey),
    ]:
        key = cls.generate()
        records.append(
            record(spec, "ML_DSA_SHAKE_256", "RAW", key, MESSAGE, key.sign(MESSAGE))
        )
        hasher = mldsa.MLDSAMuHasher(key.public_key())
        hasher.update(MESSAGE)
        mu = hasher.finalize()
        records.append(
            record(
                spec,
                "ML_DSA_SHAKE_256",
                "EXTERNAL_MU",
                key,
                mu,
                key.sign_mu(mu),
                raw_message=MESSAGE,
            )
        )
        records.append(
            record(
                spec,
                "ML_DSA_SHAKE_256",
                "RAW",
                key,
                MESSAGE,
                key.sign(MESSAGE, b"not the empty context"),
                valid=False,
            )
        )
    print(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
