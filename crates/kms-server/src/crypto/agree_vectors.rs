//! ECDH vectors made with OpenSSL 3.0: key pairs from `openssl genpkey
//! -algorithm EC -pkeyopt ec_paramgen_curve:P-<N>`, the KMS side converted
//! with `openssl pkcs8 -topk8 -nocrypt -outform DER`, the peer's public key
//! with `openssl pkey -pubout -outform DER`, and the shared secret from
//! `openssl pkeyutl -derive -inkey <kms key> -peerkey <peer public key>`.

/// P-256 private key of the KMS key, PKCS#8 DER.
pub(crate) const P256_KMS_KEY_PKCS8: &str = concat!(
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420e538039240ec0686",
    "3bbaad17c70d157dd0e98ff680ec967319f93fb7a632ed2ca14403420004669ef57756758db32916f0a7484d",
    "07507e448d60055f2ef0aa12f63a885ac5843fd77e85fb0e0422cd895f959464051aba73b8bc248473928eae",
    "a5d0f55b9120",
);

/// P-256 public key of the peer, SubjectPublicKeyInfo DER.
pub(crate) const P256_PEER_SPKI: &str = concat!(
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004d0e1b7af18d32dad3b1a77afcab0afc757",
    "aca578153cfeca4a1abaaba043b01d32dc065e044bec8c08194a44d09e019e54d4e7419bf2255e71e0fe3cb3",
    "4141e0",
);

/// P-256 shared secret (the x-coordinate), as OpenSSL derives it.
pub(crate) const P256_SHARED: &str =
    "45f7cc7c402a6f560207e29ab0efef4ccf3a165872e32b310858a2fc53694103";

/// P-384 private key of the KMS key, PKCS#8 DER.
pub(crate) const P384_KMS_KEY_PKCS8: &str = concat!(
    "3081b6020100301006072a8648ce3d020106052b8104002204819e30819b02010104306b19f0f62007339c25",
    "0a9fbc3526e3d7e61dd6b7c4b56bc77b59e19b28ad0c5e1db4b49fcb7f74770622661d2332175ca164036200",
    "04477c010dc107dc997b3a707d36ae5657d1f7024f0ba3b798e15e742dce5f184aff4c8bf7e568fe03803fd7",
    "856aca401955e2f92bf50038620b92c3a564164b119344963d7172cb144d4ffd002d2ae6842b922631f43f9c",
    "9632962912742d7723",
);

/// P-384 public key of the peer, SubjectPublicKeyInfo DER.
pub(crate) const P384_PEER_SPKI: &str = concat!(
    "3076301006072a8648ce3d020106052b81040022036200041be1bf3c001104a311aa2f30ff907b9b9cf63bcb",
    "c95492a411b5c21385a3d00899ee3f6de0389b54a6145205a183e056741d1faf0312a05ad9f42344a4aeca46",
    "dce61eb1a3d9e1b92c104a1039e9cde91038b339dc44740f3635fca3265cff15",
);

/// P-384 shared secret (the x-coordinate), as OpenSSL derives it.
pub(crate) const P384_SHARED: &str = concat!(
    "a451b72e03eb450ca0c3cc37b6ed2502dc5b743c909cee7988ad11c1799e173f5aff2b305002326862e90483",
    "d15d56fd",
);

/// P-521 private key of the KMS key, PKCS#8 DER.
pub(crate) const P521_KMS_KEY_PKCS8: &str = concat!(
    "3081ee020100301006072a8648ce3d020106052b810400230481d63081d30201010442009f55dba072b568b5",
    "f921ff49c40b1e508c3e97bab53e4033504d557400dc18dbf7c519e307d485fcda23d6a3367bd13c37a3d812",
    "f4cd6a1e65c28f5e329d898f90a1818903818600040038a0bcc1cc7f29ecd7b77e0db39e2bb358180d9cf9e9",
    "7891267988a7a7566316db96ebb851d812ee86eda52cb2a2b785414548fc52c9f936251ddb04f0029e206901",
    "717fc9492a08496e4a0bbf6b643c1c35362101cfe3ee083082c027d979992a0f70e4a5a4ecdf9bfa770d09e2",
    "fff77315ca67de16a8a82fce026515a744aaf6be58",
);

/// P-521 public key of the peer, SubjectPublicKeyInfo DER.
pub(crate) const P521_PEER_SPKI: &str = concat!(
    "30819b301006072a8648ce3d020106052b8104002303818600040173520457fcb407851c59df865d5327837d",
    "db64c7b1ea304eda7a86779cbd09160e3f15258f361710d01e872d1dd8302a6e5db93779820a45d4701761c7",
    "d20ca3910059373f844fba51601a5322dbb597ee03ea95cb14922f707420bc29f367217b6e2aeb37ef20b519",
    "08da9117f37246ee8a6c1216a932de81a6408e5b1adf22529804",
);

/// P-521 shared secret (the x-coordinate), as OpenSSL derives it.
pub(crate) const P521_SHARED: &str = concat!(
    "01d5af884a393d7caa0921b5ec461ed78646c0fcfe0b8e8c76f5137e29873ca355f8f55a753765adab140041",
    "39f32da030de4d2b28b586811c65eeac1f93103b5905",
);
