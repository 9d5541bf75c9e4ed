//! kms-loadgen against a real kms-server (in this process, on a loopback
//! socket): every workload succeeds without errors, bounds hold, and a bad
//! secret shows up as errors counted by `__type`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use clap::Parser as _;
use kms_loadgen::cli::Cli;
use kms_loadgen::report::Report;
use kms_server::state::{AppState, ServerOptions};

/// Starts kms-server on 127.0.0.1:0; returns its URL. The server task ends
/// with the test's runtime.
async fn start_server(dir: &Path) -> String {
    let (state, _) = AppState::open(
        dir,
        "111122223333",
        "us-east-1",
        Vec::new(),
        ServerOptions {
            quotas_enabled: false,
            ..ServerOptions::default()
        },
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, kms_server::app(Arc::new(state)))
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

async fn load(url: &str, extra: &[&str]) -> Report {
    let args = [
        "kms-loadgen",
        "--endpoint",
        url,
        "-c",
        "4",
        "-d",
        "3s",
        "-n",
        "150",
    ];
    let cli = Cli::try_parse_from(args.iter().chain(extra)).unwrap();
    kms_loadgen::execute(&cli).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_runs_clean_against_kms_server() {
    let dir = tempfile::tempdir().unwrap();
    let url = start_server(dir.path()).await;
    let creds = dir.path().join("credentials");
    let creds = creds.to_str().unwrap();
    for (extra, workload) in [
        (
            &["--op", "generate-data-key"][..],
            "GenerateDataKey AES_256",
        ),
        (&["--op", "decrypt"], "Decrypt"),
        (
            &["--op", "encrypt", "--payload-bytes", "100"],
            "Encrypt 100 bytes",
        ),
        (
            &["--op", "sign"],
            "Sign ECC_NIST_P256 ECDSA_SHA_256 DIGEST (32 bytes)",
        ),
        (
            &[
                "--op",
                "sign",
                "--key-spec",
                "RSA_2048",
                "--message-type",
                "RAW",
            ],
            "Sign RSA_2048 RSASSA_PKCS1_V1_5_SHA_256 RAW (32 bytes)",
        ),
    ] {
        let mut args = vec!["--credentials-file", creds, "--warmup", "0s"];
        args.extend_from_slice(extra);
        let r = load(&url, &args).await;
        assert!(r.workload.starts_with(workload), "{}", r.workload);
        assert_eq!(r.failed(), 0, "{}", r.table());
        assert_eq!(
            r.ok,
            150,
            "the request budget bounds the load: {}",
            r.table()
        );
        assert!(r.requests_per_second > 0.0);
        assert!(r.latency_ms.p50 > 0.0 && r.latency_ms.p50 <= r.latency_ms.p99);
        assert!(r.latency_ms.p99 <= r.latency_ms.max);
        assert_eq!(r.connects, 4, "keep-alive: one connection each");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_counted_by_error_type() {
    let dir = tempfile::tempdir().unwrap();
    let url = start_server(dir.path()).await;
    let text = std::fs::read_to_string(dir.path().join("credentials")).unwrap();
    let access_key = text
        .lines()
        .find_map(|l| l.strip_prefix("aws_access_key_id = "))
        .unwrap();
    // With --key-id nothing is set up, so every request is the load.
    let r = load(
        &url,
        &[
            "--access-key",
            access_key,
            "--secret-key",
            "not-the-secret",
            "--key-id",
            "alias/none",
        ],
    )
    .await;
    assert_eq!(r.ok, 0);
    assert_eq!(r.failed(), 150, "{}", r.table());
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(
        r.errors.contains_key("InvalidSignatureException"),
        "{:?}",
        r.errors
    );
}

#[tokio::test]
async fn an_absent_server_is_an_error_not_a_hang() {
    // Bind and drop to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let cli = Cli::try_parse_from([
        "kms-loadgen",
        "--endpoint",
        &url,
        "--access-key",
        "A",
        "--secret-key",
        "s",
        "-d",
        "1s",
    ])
    .unwrap();
    let err = kms_loadgen::execute(&cli).await.unwrap_err();
    assert!(err.to_string().contains("no response"), "{err:#}");
}
