//! Encrypt and decrypt throughput (16 MiB) and message rate (1 KiB), suites
//! 0x0478 and 0x0578, with fresh materials (a raw AES keyring per message)
//! and cached materials (the caching manager). After criterion's report a
//! side-by-side summary prints the ratios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)] // bench code

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group};
use kms_envelope::cmm::{
    CachingMaterialsManager, DefaultMaterialsManager, MaterialsManager, SystemClock,
};
use kms_envelope::keyring::RawAesKeyring;
use kms_envelope::{
    AlgorithmSuiteId, DecryptOptions, EncryptOptions, EncryptionContext, decrypt, encrypt,
};
use pollster::block_on;

const SUITES: [(AlgorithmSuiteId, &str); 2] = [
    (AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey, "0478"),
    (
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
        "0578",
    ),
];
const BIG: usize = 16 << 20;
const SMALL: usize = 1024;

fn fresh() -> Box<dyn MaterialsManager> {
    let keyring = RawAesKeyring::new("bench", "key", &[7; 32]).unwrap();
    Box::new(DefaultMaterialsManager::new(keyring))
}

fn cached() -> Box<dyn MaterialsManager> {
    Box::new(
        CachingMaterialsManager::builder(fresh(), SystemClock, Duration::from_secs(600))
            .max_messages(1 << 32)
            .build()
            .unwrap(),
    )
}

fn context() -> EncryptionContext {
    [("tenant", "bench"), ("purpose", "throughput")]
        .into_iter()
        .collect()
}

fn managers() -> [(&'static str, Box<dyn MaterialsManager>); 2] {
    [("fresh", fresh()), ("cached", cached())]
}

fn bench(c: &mut Criterion) {
    let big = vec![0x5au8; BIG];
    let small = vec![0x5au8; SMALL];
    let ctx = context();
    for (size, plaintext, throughput) in [
        ("16MiB", &big, Throughput::Bytes(BIG as u64)),
        ("1KiB", &small, Throughput::Elements(1)),
    ] {
        let mut enc = c.benchmark_group(format!("encrypt_{size}"));
        enc.throughput(throughput.clone());
        bench_raw_aes_gcm(&mut enc, plaintext);
        for (suite, name) in SUITES {
            let opts = EncryptOptions::default().with_suite(suite);
            for (kind, m) in managers() {
                enc.bench_function(BenchmarkId::new(name, kind), |b| {
                    b.iter(|| block_on(encrypt(&*m, black_box(plaintext), &ctx, &opts)).unwrap())
                });
            }
        }
        enc.finish();
        let mut dec = c.benchmark_group(format!("decrypt_{size}"));
        dec.throughput(throughput);
        bench_raw_aes_gcm(&mut dec, plaintext);
        for (suite, name) in SUITES {
            let opts = EncryptOptions::default().with_suite(suite);
            for (kind, m) in managers() {
                let ct = block_on(encrypt(&*m, plaintext, &ctx, &opts))
                    .unwrap()
                    .ciphertext;
                let dopts = DecryptOptions::default();
                dec.bench_function(BenchmarkId::new(name, kind), |b| {
                    b.iter(|| block_on(decrypt(&*m, black_box(&ct), &dopts)).unwrap())
                });
            }
        }
        dec.finish();
    }
}

/// The peer in every group: one AES-256-GCM call in place over the same
/// bytes, with the key schedule done once. It is the ceiling the message
/// format can approach; `cargo xtask bench core` prints each result as a
/// ratio against it.
fn bench_raw_aes_gcm(group: &mut BenchmarkGroup<'_, WallTime>, plaintext: &[u8]) {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&[1; 32]).unwrap();
    let mut buf = plaintext.to_vec();
    group.bench_function(BenchmarkId::new("baseline", "raw-aes-256-gcm"), |b| {
        b.iter(|| {
            cipher
                .encrypt_inout_detached(
                    &[0u8; 12].into(),
                    b"",
                    black_box(buf.as_mut_slice()).into(),
                )
                .unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
