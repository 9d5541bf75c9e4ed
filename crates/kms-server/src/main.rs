//! kms-server (being written).
fn main() {}
