//! Encrypt and decrypt throughput (16 MiB) and message rate (1 KiB), suites
//! 0x0478 and 0x0578, with fresh materials (a raw AES keyring per message)
//! and cached materials (the caching manager). After criterion's report a
//! side-by-side summary prints the ratios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)] // bench code

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
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

/// Rate of `f` over about `budget`.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// One table, side by side, with ratios: cached over fresh, signed over
/// unsigned.
fn summary() {
    let budget = Duration::from_millis(700);
    let big = vec![0x5au8; BIG];
    let small = vec![0x5au8; SMALL];
    let ctx = context();
    println!("\nsummary (rates over {budget:?} each)");
    println!(
        "{:<22} {:>14} {:>14} {:>8}",
        "operation", "fresh", "cached", "c/f"
    );
    let mut by_suite = Vec::new();
    for (suite, name) in SUITES {
        let opts = EncryptOptions::default().with_suite(suite);
        let mut row = Vec::new();
        for (label, plaintext, unit) in [("16MiB", &big, BIG as f64 / 1e6), ("1KiB", &small, 1.0)] {
            let mut enc = Vec::new();
            let mut dec = Vec::new();
            for (_, m) in managers() {
                enc.push(
                    unit * rate(budget, || {
                        block_on(encrypt(&*m, plaintext, &ctx, &opts)).unwrap();
                    }),
                );
                let ct = block_on(encrypt(&*m, plaintext, &ctx, &opts))
                    .unwrap()
                    .ciphertext;
                dec.push(
                    unit * rate(budget, || {
                        block_on(decrypt(&*m, &ct, &DecryptOptions::default())).unwrap();
                    }),
                );
            }
            let u = if label == "16MiB" { "MB/s" } else { "msg/s" };
            for (op, r) in [("encrypt", &enc), ("decrypt", &dec)] {
                println!(
                    "{:<22} {:>9.0} {:<4} {:>9.0} {:<4} {:>7.2}x",
                    format!("{op} {label} {name}"),
                    r[0],
                    u,
                    r[1],
                    u,
                    r[1] / r[0]
                );
                row.push((format!("{op} {label}"), r[1]));
            }
        }
        by_suite.push(row);
    }
    // The primitive alone, in the same run and under the same load: the
    // ceiling the message format can approach.
    {
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&[1; 32]).unwrap();
        let mut buf = vec![0u8; BIG];
        let raw = BIG as f64 / 1e6
            * rate(budget, || {
                cipher
                    .encrypt_in_place_detached(&[0u8; 12].into(), b"", &mut buf)
                    .unwrap();
            });
        let ours = by_suite[0][0].1;
        println!(
            "\nraw AES-256-GCM in place, 16 MiB: {raw:.0} MB/s; encrypt 16MiB 0478 (cached) is {:.2}x of it",
            ours / raw
        );
    }
    println!("\n0578 (signed) relative to 0478, cached materials:");
    for ((op, unsigned), (_, signed)) in by_suite[0].iter().zip(&by_suite[1]) {
        println!("  {op:<16} {:>6.2}x", signed / unsigned);
    }
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
    if std::env::args().all(|a| a != "--list") {
        summary();
    }
}
