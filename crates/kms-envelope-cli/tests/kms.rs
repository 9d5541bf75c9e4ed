//! `kms:`, `kms-discovery` and `kms-rsa:` wrapping keys end to end, against
//! a kms-server on 127.0.0.1 (in this process), configured the way users
//! configure the AWS CLI: shared credentials file, region and endpoint from
//! the environment or flags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use kms_client::{ClientConfig, KmsHttpClient};
use kms_protocol::sigv4::Credentials;
use kms_server::state::{AppState, ServerOptions};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_kms-envelope");
const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";

struct Server {
    endpoint: String,
    credentials: Credentials,
    dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (state, data) = AppState::open(
            &dir.path().join("data"),
            ACCOUNT,
            REGION,
            Vec::new(),
            ServerOptions {
                quotas_enabled: false,
                ..ServerOptions::default()
            },
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let app = kms_server::app(Arc::new(state));
        runtime.spawn(async move { axum::serve(listener, app).await });
        Server {
            endpoint,
            credentials: Credentials::new(
                data.admin.access_key_id.clone(),
                data.admin.secret.expose().to_owned(),
                None,
            ),
            dir,
            _runtime: runtime,
        }
    }

    fn call(&self, operation: &str, body: Value) -> Value {
        self.call_in(REGION, operation, &body)
    }

    fn call_in(&self, region: &str, operation: &str, body: &Value) -> Value {
        let config = ClientConfig::new(self.endpoint.clone(), region, self.credentials.clone());
        let response = KmsHttpClient::new(config)
            .unwrap()
            .call(operation, &serde_json::to_vec(body).unwrap())
            .unwrap();
        serde_json::from_slice(&response).unwrap()
    }

    fn create_key(&self, spec: &str) -> String {
        self.create_key_in(REGION, spec)
    }

    fn create_key_in(&self, region: &str, spec: &str) -> String {
        let v = self.call_in(
            region,
            "CreateKey",
            &json!({"KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT"}),
        );
        v["KeyMetadata"]["Arn"].as_str().unwrap().to_owned()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the CLI with only the server's credentials file for AWS
    /// configuration (and whatever `env` adds).
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(BIN);
        for (name, _) in std::env::vars() {
            if name.starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command
            .env("HOME", self.dir.path())
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("data/credentials"),
            )
            .env("AWS_CONFIG_FILE", "/dev/null")
            .envs(env.iter().copied())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.output().unwrap()
    }

    /// Encrypts [`PLAINTEXT`] to `name`, the endpoint and region given by
    /// flags.
    fn encrypt(&self, name: &str, keys: &[String], extra: &[&str]) -> Output {
        let input = self.file("plain");
        std::fs::write(&input, PLAINTEXT).unwrap();
        let output = self.file(name);
        let mut args: Vec<String> = [
            "encrypt",
            s(&input),
            "--endpoint-url",
            &self.endpoint,
            "--region",
            REGION,
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        args.insert(1, "-i".into());
        args.extend(["-o".into(), s(&output).to_owned()]);
        for k in keys {
            args.extend(["-w".into(), k.clone()]);
        }
        args.extend(extra.iter().map(|e| (*e).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&refs, &[])
    }

    /// Decrypts `name` with the endpoint and region from the environment;
    /// the plaintext on success.
    fn decrypt(&self, name: &str, keys: &[String]) -> Result<Vec<u8>, String> {
        let input = self.file(name);
        let mut args = vec!["decrypt", "-i", s(&input), "-o", "-"];
        for k in keys {
            args.extend(["-w", k.as_str()]);
        }
        let out = self.run(
            &args,
            &[
                ("AWS_ENDPOINT_URL_KMS", &self.endpoint),
                ("AWS_REGION", REGION),
            ],
        );
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

const PLAINTEXT: &[u8] = b"quarterly numbers, not for the public";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The one error line, which must end with `[CODE]`.
fn error_code(stderr: &str) -> &str {
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let line = stderr.trim_end();
    let start = line
        .rfind('[')
        .unwrap_or_else(|| panic!("no code in {line}"));
    &line[start + 1..line.len() - 1]
}

#[test]
fn kms_keys_encrypt_and_each_decrypts_strict_or_by_discovery() {
    let server = Server::start();
    let first = server.create_key("SYMMETRIC_DEFAULT");
    let second = server.create_key("SYMMETRIC_DEFAULT");
    let first_id = first.rsplit('/').next().unwrap();
    server.call(
        "CreateAlias",
        json!({"AliasName": "alias/reports", "TargetKeyId": first_id}),
    );
    for suite in ["0x0478", "0x0578"] {
        let name = format!("msg-{suite}");
        // Any key id form to encrypt: the alias generates, the ARN wraps too.
        let keys = ["kms:alias/reports".to_owned(), format!("kms:{second}")];
        ok(&server.encrypt(&name, &keys, &["--suite", suite, "-c", "dept=finance"]));
        for key in [&first, &second] {
            assert_eq!(
                server.decrypt(&name, &[format!("kms:{key}")]).unwrap(),
                PLAINTEXT
            );
        }
        assert_eq!(
            server.decrypt(&name, &["kms-discovery".into()]).unwrap(),
            PLAINTEXT
        );
        let own = format!("kms-discovery:aws:{ACCOUNT}");
        assert_eq!(server.decrypt(&name, &[own]).unwrap(), PLAINTEXT);
        // A filter that excludes the account finds nothing of its own.
        let err = server
            .decrypt(&name, &["kms-discovery:aws:444455556666".into()])
            .unwrap_err();
        assert_eq!(error_code(&err), "NoDecryptableDataKey", "{err}");
        // The first spec that fails does not stop the next.
        let other = server.create_key("SYMMETRIC_DEFAULT");
        let keys = [format!("kms:{other}"), format!("kms:{second}")];
        assert_eq!(server.decrypt(&name, &keys).unwrap(), PLAINTEXT);
    }
}

#[test]
fn discovery_asks_the_configured_region_or_the_discovery_regions() {
    let server = Server::start();
    let west = server.create_key_in("us-west-2", "SYMMETRIC_DEFAULT");
    assert!(west.contains(":us-west-2:"), "{west}");
    // The key ARN's region picks the client, whatever --region says.
    ok(&server.encrypt("m", &[format!("kms:{west}")], &[]));
    assert_eq!(
        server.decrypt("m", &[format!("kms:{west}")]).unwrap(),
        PLAINTEXT
    );
    // Discovery in us-east-1 does not try a us-west-2 single-region key.
    let err = server.decrypt("m", &["kms-discovery".into()]).unwrap_err();
    assert_eq!(error_code(&err), "NoDecryptableDataKey", "{err}");
    let message = server.file("m");
    let out = server.run(
        &[
            "decrypt",
            "-i",
            s(&message),
            "-o",
            "-",
            "-w",
            "kms-discovery",
            "--discovery-region",
            REGION,
            "--discovery-region",
            "us-west-2",
            "--endpoint-url",
            &server.endpoint,
        ],
        &[],
    );
    ok(&out);
    assert_eq!(out.stdout, PLAINTEXT);
}

#[test]
fn decrypting_needs_a_key_arn_and_encrypting_a_key() {
    let server = Server::start();
    let key = server.create_key("SYMMETRIC_DEFAULT");
    ok(&server.encrypt("m", &[format!("kms:{key}")], &[]));
    let key_id = key.rsplit('/').next().unwrap();
    let err = server.decrypt("m", &[format!("kms:{key_id}")]).unwrap_err();
    assert!(err.contains("key ARN"), "{err}");
    let out = server.encrypt("m2", &["kms-discovery".into()], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("only decrypts"));
    assert!(!server.file("m2").exists());
}

#[test]
fn the_region_comes_from_the_key_arn_when_nothing_else_sets_it() {
    let server = Server::start();
    let key = server.create_key("SYMMETRIC_DEFAULT");
    let input = server.file("plain");
    std::fs::write(&input, PLAINTEXT).unwrap();
    // Credentials from the environment only: the server's credentials file
    // also names a region.
    let env = [
        ("AWS_ENDPOINT_URL", server.endpoint.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_ACCESS_KEY_ID", server.credentials.access_key_id()),
        (
            "AWS_SECRET_ACCESS_KEY",
            server.credentials.secret_access_key().expose_secret(),
        ),
    ];
    let spec = format!("kms:{key}");
    let out = server.run(
        &[
            "encrypt",
            "-i",
            s(&input),
            "-o",
            s(&server.file("m")),
            "-w",
            &spec,
        ],
        &env,
    );
    ok(&out);
    // Without region or key ARN there is nothing to go on: a clear error.
    let out = server.run(
        &[
            "encrypt",
            "-i",
            s(&input),
            "-o",
            "-",
            "-w",
            "kms:alias/none",
        ],
        &env,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no AWS region"), "{err}");
}

#[test]
fn kms_rsa_keys_wrap_locally_and_unwrap_through_kms() {
    let server = Server::start();
    let key = server.create_key("RSA_2048");
    for algorithm in ["oaep-sha1", "oaep-sha256", "RSAES_OAEP_SHA_256"] {
        let spec = format!("kms-rsa:{algorithm}:{key}");
        ok(&server.encrypt("rsa", std::slice::from_ref(&spec), &[]));
        assert_eq!(
            server.decrypt("rsa", std::slice::from_ref(&spec)).unwrap(),
            PLAINTEXT
        );
        // Signed suites are refused, as the specification requires.
        let out = server.encrypt("rsa-signed", &[spec], &["--suite", "0x0578"]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains("signed"), "{err}");
    }
}

#[test]
fn kms_failures_end_with_their_stable_code() {
    let server = Server::start();
    let key = server.create_key("SYMMETRIC_DEFAULT");
    ok(&server.encrypt("m", &[format!("kms:{key}")], &[]));

    server.call("DisableKey", json!({"KeyId": key}));
    let out = server.encrypt("m2", &[format!("kms:{key}")], &[]);
    assert_eq!(
        error_code(&String::from_utf8_lossy(&out.stderr)),
        "KeyUnavailable"
    );
    assert!(!server.file("m2").exists(), "no output after a failure");
    let err = server.decrypt("m", &[format!("kms:{key}")]).unwrap_err();
    assert_eq!(error_code(&err), "KeyUnavailable", "{err}");
    server.call("EnableKey", json!({"KeyId": key}));

    let absent = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000");
    let out = server.encrypt("m3", &[format!("kms:{absent}")], &[]);
    assert_eq!(
        error_code(&String::from_utf8_lossy(&out.stderr)),
        "NotFound"
    );

    // Credentials the server does not know.
    let input = server.file("plain");
    let spec = format!("kms:{key}");
    let out = server.run(
        &[
            "encrypt",
            "-i",
            s(&input),
            "-o",
            "-",
            "-w",
            &spec,
            "--endpoint-url",
            &server.endpoint,
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN000000000"),
            ("AWS_SECRET_ACCESS_KEY", "wrong"),
        ],
    );
    assert_eq!(
        error_code(&String::from_utf8_lossy(&out.stderr)),
        "AccessDenied"
    );
}
