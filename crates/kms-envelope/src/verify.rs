//! Verification of KMS signatures (being written).
