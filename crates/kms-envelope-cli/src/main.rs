//! The kms-envelope command (being written).
fn main() {}
