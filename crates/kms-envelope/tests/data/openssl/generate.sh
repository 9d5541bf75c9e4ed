#!/bin/sh
# Regenerates signatures.json: signatures made by the OpenSSL command line
# (not by RustCrypto) for every KMS signing algorithm and key spec, to check
# verify::PublicKey against an independent signer. Needs openssl 3.
# Usage: sh generate.sh > signatures.json
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'A message signed as KMS Sign with MessageType RAW would be.\n' > "$dir/msg"
first=1
emit() { # spec alg key sig
    [ "$first" = 1 ] && first=0 || printf ',\n'
    printf '  {"key_spec": "%s", "algorithm": "%s", "public_key": "%s", "message": "%s", "signature": "%s"}' \
        "$1" "$2" "$(openssl pkey -in "$3" -pubout -outform DER | base64 -w0)" \
        "$(base64 -w0 < "$dir/msg")" "$(base64 -w0 < "$4")"
}
printf '[\n'
for spec in ECC_NIST_P256:prime256v1:256 ECC_NIST_P384:secp384r1:384 ECC_NIST_P521:secp521r1:512 ECC_SECG_P256K1:secp256k1:256; do
    name=${spec%%:*}; rest=${spec#*:}; curve=${rest%%:*}; bits=${rest#*:}
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$curve" -out "$dir/key" 2>/dev/null
    openssl dgst -sha"$bits" -sign "$dir/key" -out "$dir/sig" "$dir/msg"
    emit "$name" "ECDSA_SHA_$bits" "$dir/key" "$dir/sig"
done
for size in 2048 3072 4096; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$size" -out "$dir/key" 2>/dev/null
    for bits in 256 384 512; do
        openssl dgst -sha"$bits" -sign "$dir/key" -out "$dir/sig" "$dir/msg"
        emit "RSA_$size" "RSASSA_PKCS1_V1_5_SHA_$bits" "$dir/key" "$dir/sig"
        openssl dgst -sha"$bits" -sign "$dir/key" -sigopt rsa_padding_mode:pss \
            -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha"$bits" -out "$dir/sig" "$dir/msg"
        emit "RSA_$size" "RSASSA_PSS_SHA_$bits" "$dir/key" "$dir/sig"
    done
done
# SM2DSA (KMS's SM2 keys, China Regions): SM3 after the Z value of KMS's
# distinguishing ID.
openssl genpkey -algorithm SM2 -out "$dir/key" 2>/dev/null
openssl dgst -sm3 -sign "$dir/key" -sigopt distid:1234567812345678 -out "$dir/sig" "$dir/msg"
emit SM2 SM2DSA "$dir/key" "$dir/sig"
printf '\n]\n'
