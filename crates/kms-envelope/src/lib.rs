//! kms-envelope core (being written).
#![no_std]
