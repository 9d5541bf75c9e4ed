//! `cargo xtask test`: every suite, in an order that builds once and reuses.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::install;
use crate::util::{self, cargo, run};

/// One named suite.
struct Suite {
    name: &'static str,
    what: &'static str,
    run: fn() -> Result<()>,
}

const SUITES: &[Suite] = &[
    Suite {
        name: "fmt",
        what: "cargo fmt --check",
        run: fmt,
    },
    Suite {
        name: "clippy",
        what: "clippy on every target, warnings denied",
        run: clippy,
    },
    Suite {
        name: "cargo-test",
        what: "unit, property, ESDK vector, SigV4 vector and server tests",
        run: cargo_test,
    },
    Suite {
        name: "wasm32",
        what: "the core and protocol crates build for wasm32 without std; the minimal bindings pass clippy",
        run: wasm32,
    },
    Suite {
        name: "wasm-bindgen-test",
        what: "the wasm bindings under wasm-bindgen-test, in Node and headless Chromium",
        run: wasm_bindgen_test,
    },
    Suite {
        name: "pkg-tests",
        what: "the packed npm package in Node (20.0, the machine's, 22, 24 and 26), Deno, workerd and Chromium (one page built by Vite and by webpack) against a kms-server, and with the Python ESDK",
        run: pkg_tests,
    },
    Suite {
        name: "demo",
        what: "the demo page in headless Chromium (playwright-core) against `cargo xtask demo`'s kms-server, and the CLI on the page's files",
        run: demo,
    },
    Suite {
        name: "interop",
        what: "AWS Encryption SDK for Python, boto3 and the AWS CLI against our CLI and server",
        run: interop,
    },
    Suite {
        name: "fuzz",
        what: "a short run of every fuzz target",
        run: fuzz,
    },
];

pub fn main(args: &[String]) -> Result<()> {
    let mut only: Option<Vec<String>> = None;
    let mut skip: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--list" => {
                for s in SUITES {
                    println!("{:<12} {}", s.name, s.what);
                }
                return Ok(());
            }
            "--only" => only = Some(split(it.next())?),
            "--skip" => skip.extend(split(it.next())?),
            other => bail!("unknown option '{other}' (see --list, --only, --skip)"),
        }
    }
    for name in only.iter().flatten().chain(&skip) {
        if !SUITES.iter().any(|s| s.name == name) {
            bail!("no suite named '{name}' (see cargo xtask test --list)");
        }
    }

    let mut failed = Vec::new();
    let mut passed = 0;
    for suite in SUITES {
        let wanted = only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == suite.name));
        if !wanted || skip.iter().any(|n| n == suite.name) {
            continue;
        }
        eprintln!("\n=== {}: {}", suite.name, suite.what);
        let start = Instant::now();
        match (suite.run)() {
            Ok(()) => {
                passed += 1;
                eprintln!("=== {} passed in {:.0?}", suite.name, start.elapsed());
            }
            Err(e) => {
                eprintln!(
                    "=== {} FAILED in {:.0?}: {e:#}",
                    suite.name,
                    start.elapsed()
                );
                failed.push(suite.name);
            }
        }
    }
    println!("xtask suites: {passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("failed suites: {}", failed.join(", "))
    }
}

fn split(arg: Option<&String>) -> Result<Vec<String>> {
    match arg {
        Some(list) => Ok(list.split(',').map(str::to_owned).collect()),
        None => bail!("--only and --skip take a comma-separated list of suite names"),
    }
}

fn fmt() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))
}

fn clippy() -> Result<()> {
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn cargo_test() -> Result<()> {
    // Some tests compare with botocore's signer; they use $PYTHON.
    let bin = install::python_venv()?;
    run(cargo()
        .args(["test", "--workspace"])
        .env("PYTHON", bin.join("python")))?;
    // The core as the npm package's minimal build has it (no ECDSA, RSA or
    // `verify`: signed suites refused with UnsupportedSuite), then with each
    // of those features alone: a test that assumes another feature fails
    // only in such a build.
    for features in ["std", "std,ecdsa", "std,rsa", "std,verify"] {
        run(cargo().args([
            "test",
            "-p",
            "kms-envelope",
            "--no-default-features",
            "--features",
            features,
        ]))?;
    }
    Ok(())
}

/// The workspace's binaries as `cargo test` builds them: a no-op after the
/// cargo-test suite. (`cargo build --bins` would resolve features without
/// the dev-dependencies and rebuild part of the graph for nothing.)
fn build_test_binaries() -> Result<()> {
    run(cargo().args(["test", "--workspace", "--no-run"]))
}

fn wasm32() -> Result<()> {
    install::wasm_target()?;
    run(cargo().args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "kms-envelope",
        "--no-default-features",
    ]))?;
    run(cargo().args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "kms-protocol",
    ]))?;
    // The bindings as the npm package's minimal build has them.
    run(cargo().args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "kms-envelope-wasm",
        "--no-default-features",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The bindings' tests, built once for wasm32 and run twice: in Node (the
/// runner's default) and in headless Chromium through chromedriver, the
/// second time by `wasm-pack test --headless --chrome` as a user of the
/// crate would run it (the browser flags are in the crate's webdriver.json;
/// WASM_BINDGEN_USE_BROWSER=1 because the tests also run in Node, so they
/// are not configured `run_in_browser`).
fn wasm_bindgen_test() -> Result<()> {
    install::wasm_bindgen_cli()?;
    install::chromium()?;
    install::wasm_pack()?;
    let test = || {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "-p",
            "kms-envelope-wasm",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        );
        cmd
    };
    run(&mut test())?;
    run(Command::new("wasm-pack")
        .args(["test", "--headless", "--chrome", "--mode", "no-install"])
        .arg("--chromedriver")
        .arg(install::CHROMEDRIVER)
        .env("WASM_BINDGEN_USE_BROWSER", "1")
        .current_dir(util::root().join("crates/kms-envelope-wasm")))
}

/// `npm pack`s the package, installs the tarball into a throwaway project
/// beside copies of pkg-tests/, and runs each runtime's tests there against
/// the kms-server binary `cargo test` built.
fn pkg_tests() -> Result<()> {
    install::chromium()?;
    install::openssl()?;
    build_test_binaries()?;
    let package = crate::package::build()?;
    let npm_dir = util::target_dir().join("npm");
    let packed = util::probe(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&npm_dir)
            .current_dir(&package.dir),
    )
    .context("npm pack failed")?;
    let tarball = npm_dir.join(packed.trim());
    let project = util::target_dir().join("pkg-tests");
    if project.exists() {
        std::fs::remove_dir_all(&project)?;
    }
    let root = util::root();
    copy_dir(&root.join("pkg-tests"), &project)?;
    let other_nodes = other_node_packages()?;
    std::fs::write(
        project.join("package.json"),
        format!(
            "{{\"private\": true, \"type\": \"module\", \"dependencies\": {{\"kms-envelope\": \"file:{}\", \"deno\": \"{DENO_VERSION}\", \"workerd\": \"{WORKERD_VERSION}\", \"vite\": \"{VITE_VERSION}\", \"playwright-core\": \"{PLAYWRIGHT_VERSION}\", \"webpack\": \"{WEBPACK_VERSION}\", \"@types/node\": \"{TYPES_NODE_VERSION}\"{}}}}}\n",
            tarball.display(),
            other_nodes
                .iter()
                .map(|(alias, spec)| format!(", \"{alias}\": \"{spec}\""))
                .collect::<String>()
        ),
    )?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-package-lock"])
        .current_dir(&project))?;
    let server = util::target_dir().join("debug").join("kms-server");
    let venv = install::python_venv()?;
    run(Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "node/",
            "workerd/",
            "browser/",
        ])
        .env("CHROMIUM", install::CHROMIUM)
        .env("KMS_SERVER_BIN", &server)
        .env("PYTHON", venv.join("python"))
        .current_dir(&project))?;
    // The Node tests again on the other Node releases: the oldest the
    // package supports (which lacks process.getBuiltinModule, so it takes
    // the browser's WebCrypto paths) and the LTS lines. The file is named:
    // from Node 21, `--test` takes globs, not directories.
    for (alias, _) in &other_nodes {
        run(
            Command::new(project.join("node_modules").join(alias).join("bin/node"))
                .args(["--test", "--test-reporter=spec", "node/package.test.mjs"])
                .env("KMS_SERVER_BIN", &server)
                .env("PYTHON", venv.join("python"))
                .current_dir(&project),
        )?;
    }
    // Deno type-checks the test against the package's .d.ts, then runs it
    // through the package's `deno` export condition.
    run(Command::new(project.join("node_modules/.bin/deno"))
        .args(["test", "--allow-all", "deno/"])
        .env("KMS_SERVER_BIN", &server)
        .env("DENO_NO_UPDATE_CHECK", "1")
        .current_dir(&project))
}

fn demo() -> Result<()> {
    install::chromium()?;
    let dir = util::target_dir().join("demo-test").join("kms-data");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let demo = crate::demo::start(&dir, 0)?;
    let shots = util::target_dir().join("demo-test").join("screenshots");
    std::fs::create_dir_all(&shots)?;
    run(Command::new("node")
        .args(["--test", "--test-reporter=spec", "tests/"])
        .env("DEMO_URL", &demo.url)
        .env("DEMO_ENDPOINT", &demo.endpoint)
        .env("DEMO_DATA_DIR", &demo.data_dir)
        .env(
            "KMS_ENVELOPE_BIN",
            util::target_dir().join("debug").join("kms-envelope"),
        )
        .env("CHROMIUM", install::CHROMIUM)
        .env("SCREENSHOTS", &shots)
        .current_dir(util::root().join("www")))
}

/// The Deno release the pkg-tests run on (the `deno` npm package).
const DENO_VERSION: &str = "2.9.6";
/// The workerd release (Cloudflare's Workers runtime, the `workerd` npm
/// package) the worker test runs in.
const WORKERD_VERSION: &str = "1.20261117.1";
/// Vite builds the browser test's page from the packed package.
const VITE_VERSION: &str = "8.3.8";
/// webpack bundles the browser test's page a second time.
const WEBPACK_VERSION: &str = "5.113.0";
/// playwright-core drives Debian's Chromium (it downloads no browser).
const PLAYWRIGHT_VERSION: &str = "1.65.1";
/// Types for pkg-tests/lib (Node APIs) under Deno's type check.
const TYPES_NODE_VERSION: &str = "20.19.43";
/// The Node releases the Node tests run on besides the machine's own: the
/// package's oldest supported (its `engines` field) and the LTS lines.
const OTHER_NODE_VERSIONS: &[&str] = &["20.0.0", "22.23.5", "24.22.3", "26.12.1"];

/// Each release in [`OTHER_NODE_VERSIONS`] as an npm alias and spec: the
/// registry's `node-<os>-<arch>` packages hold Node's release binaries.
fn other_node_packages() -> Result<Vec<(String, String)>> {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        os => os,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => bail!("no Node release binaries for {other} in the npm registry"),
    };
    Ok(OTHER_NODE_VERSIONS
        .iter()
        .map(|v| (format!("node-{v}"), format!("npm:node-{os}-{arch}@{v}")))
        .collect())
}

/// Copies a directory tree (small: the pkg-tests sources).
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            if entry.file_name() != "node_modules" {
                copy_dir(&entry.path(), &target)?;
            }
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn interop() -> Result<()> {
    build_test_binaries()?;
    let bin = install::python_venv()?;
    // kms-server's SM2 tests exchange keys, signatures and ciphertexts with
    // the OpenSSL command line.
    install::openssl()?;
    let root = util::root();
    let target = util::target_dir().join("debug");
    let dirs: Vec<_> = [
        "crates/kms-envelope-cli/tests/interop",
        "crates/kms-server/tests/interop",
    ]
    .iter()
    .map(|d| root.join(d))
    .filter(|d| d.is_dir())
    .collect();
    if dirs.is_empty() {
        bail!("no interoperability tests found");
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run(Command::new(bin.join("pytest"))
        .current_dir(&root)
        .env("PATH", path)
        .env("KMS_ENVELOPE_BIN", target.join("kms-envelope"))
        .env("KMS_SERVER_BIN", target.join("kms-server"))
        .env("KMS_SHARED_DIR", util::shared())
        .args(["-p", "no:cacheprovider", "-q", "-rs"])
        .args(&dirs))
}

/// Seconds per fuzz target (XTASK_FUZZ_SECONDS overrides).
fn fuzz_seconds() -> u64 {
    std::env::var("XTASK_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

/// Every `crates/*/fuzz` directory with cargo-fuzz targets.
fn fuzz_dirs() -> Result<Vec<std::path::PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(util::root().join("crates"))? {
        let dir = entry?.path().join("fuzz");
        if dir.join("fuzz_targets").is_dir() {
            dirs.push(dir);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Valid messages under the decrypt target's fixed key ("fuzz", "fixed-key",
/// 32 bytes of 0x42), one per suite family, so the fuzzer starts past the
/// header tag rather than having to forge one. Written with the CLI.
fn seed_core_corpus() -> Result<()> {
    build_test_binaries()?;
    let cli = util::target_dir().join("debug").join("kms-envelope");
    let fuzz = util::root().join("crates/kms-envelope/fuzz/corpus");
    let work = util::target_dir().join("fuzz-seeds");
    std::fs::create_dir_all(&work)?;
    let key = work.join("fixed.key");
    std::fs::write(&key, [0x42u8; 32])?;
    let spec = format!("raw-aes:fuzz:fixed-key:{}", key.display());
    for target in ["decrypt", "header"] {
        std::fs::create_dir_all(fuzz.join(target))?;
    }
    let suites = [
        ("0x0478", "REQUIRE_ENCRYPT_REQUIRE_DECRYPT"),
        ("0x0578", "REQUIRE_ENCRYPT_REQUIRE_DECRYPT"),
        ("0x0178", "FORBID_ENCRYPT_ALLOW_DECRYPT"),
        ("0x0214", "FORBID_ENCRYPT_ALLOW_DECRYPT"),
        ("0x0014", "FORBID_ENCRYPT_ALLOW_DECRYPT"),
    ];
    for (suite, policy) in suites {
        for size in [0usize, 17, 300] {
            let plain = work.join("plain");
            let message = work.join("message");
            std::fs::write(&plain, vec![0x61u8; size])?;
            run(Command::new(&cli)
                .args([
                    "encrypt",
                    "--wrapping-key",
                    &spec,
                    "--suite",
                    suite,
                    "--commitment-policy",
                    policy,
                ])
                .args(["--frame-length", "64", "--context", "seed=yes", "--input"])
                .arg(&plain)
                .arg("--output")
                .arg(&message))?;
            let bytes = std::fs::read(&message)?;
            let name = format!("seed-{suite}-{size}");
            // The decrypt target reads its streaming chunk size from byte 0.
            let mut decrypt_seed = vec![7u8];
            decrypt_seed.extend_from_slice(&bytes);
            std::fs::write(fuzz.join("decrypt").join(&name), decrypt_seed)?;
            std::fs::write(fuzz.join("header").join(&name), &bytes)?;
        }
    }
    seed_public_key_corpus(&fuzz.join("public_key"))?;
    seed_provider_info_corpus(&fuzz.join("kms_provider_info"))
}

/// Key identifiers of every form, so the provider-info target starts from
/// valid ARNs (which random bytes almost never are).
fn seed_provider_info_corpus(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let seeds = [
        "arn:aws:kms:us-west-2:111122223333:key/mrk-1234",
        "arn:aws:kms:us-east-1:111122223333:key/mrk-1234",
        "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-cn:kms:cn-north-1:444455556666:key/k/with/slashes",
        "arn:aws:kms:us-west-2:111122223333:alias/app",
        "alias/app",
        "mrk-1234",
    ];
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i}")), seed)?;
    }
    Ok(())
}

/// Key and identity policies using every element and operator, each
/// followed by a NUL and the encryption context the target evaluates with.
fn seed_policy_corpus(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let seeds = [
        r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#,
        r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/other"]},"NotAction":["kms:Describe*","kms:Get?ublicKey"],"NotResource":"arn:aws:kms:*:111122223333:key/*"}]}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:tenant":["blue","red"]},"ForAllValues:StringLike":{"kms:EncryptionContextKeys":["ten*","x?"]},"StringNotEqualsIfExists":{"kms:ViaService":"s3.us-east-1.amazonaws.com"},"Bool":{"aws:SecureTransport":false},"Null":{"kms:GrantOperations":"true"}}}}"#,
        r#"{"Statement":[{"Effect":"Allow","Action":["kms:List*","kms:CreateKey"],"Resource":"*","Condition":{"ForAnyValue:StringEqualsIgnoreCase":{"kms:EncryptionContextKeys":"TENANT"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/*","Condition":{"StringLike":{"kms:EncryptionContext:tenant":"${aws:username, 'none'}-${*}${?}${$}"},"NumericLessThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":["7","30.5"]},"DateGreaterThanIfExists":{"aws:CurrentTime":"2026-12-03T10:00:00.5+01:00"},"ForAnyValue:DateLessThan":{"aws:EpochTime":"1796292000"},"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.7"]}}}}"#,
    ];
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(
            dir.join(format!("seed-{i}")),
            format!("{seed}\0tenant=blue&x=y|t*"),
        )?;
    }
    Ok(())
}

/// One valid material per key spec, after the spec's name and a NUL (as
/// the key_material target reads its input): raw symmetric and HMAC keys,
/// the ML-DSA and ML-KEM seed forms, and OpenSSL's PKCS#8 for RSA, the
/// curves (SM2's too) and Ed25519 (skipped, with a note, where `openssl` is absent),
/// so the target starts from keys AWS would accept.
fn seed_key_material_corpus(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let write = |spec: &str, material: &[u8]| -> Result<()> {
        let mut bytes = spec.as_bytes().to_vec();
        bytes.push(0);
        bytes.extend_from_slice(material);
        Ok(std::fs::write(dir.join(format!("seed-{spec}")), bytes)?)
    };
    write("SYMMETRIC_DEFAULT", &[0x42; 32])?;
    for (bits, len) in [(224, 28usize), (256, 32), (384, 48), (512, 64)] {
        write(&format!("HMAC_{bits}"), &vec![0x5a; len])?;
    }
    // PrivateKeyInfo { 0, { oid }, OCTET STRING { [0] seed } } (RFC 9881 and
    // the LAMPS ML-KEM draft), under NIST's 2.16.840.1.101.3.4 arc: every
    // length fits one byte.
    const NIST_ARC: [u8; 9] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04];
    let seed_form = |oid_last: [u8; 2], seed_len: u8| -> Result<Vec<u8>> {
        let mut body = vec![0x02, 0x01, 0x00, 0x30, 11];
        body.extend_from_slice(&NIST_ARC);
        body.extend_from_slice(&oid_last);
        body.extend_from_slice(&[0x04, seed_len + 2, 0x80, seed_len]);
        body.extend(std::iter::repeat_n(0x33, usize::from(seed_len)));
        let mut der = vec![0x30, u8::try_from(body.len())?];
        der.extend_from_slice(&body);
        Ok(der)
    };
    for (spec, oid_last, seed_len) in [
        ("ML_DSA_44", [0x03, 0x11], 32u8),
        ("ML_DSA_65", [0x03, 0x12], 32),
        ("ML_DSA_87", [0x03, 0x13], 32),
        ("ML_KEM_512", [0x04, 0x01], 64),
        ("ML_KEM_768", [0x04, 0x02], 64),
        ("ML_KEM_1024", [0x04, 0x03], 64),
    ] {
        write(spec, &seed_form(oid_last, seed_len)?)?;
    }
    if util::probe(Command::new("openssl").arg("version")).is_none() {
        eprintln!("openssl not found: the key_material corpus has no RSA, EC, Ed25519 or SM2 seed");
        return Ok(());
    }
    let work = util::target_dir().join("fuzz-seeds");
    std::fs::create_dir_all(&work)?;
    let curve = |name: &str| format!("ec_paramgen_curve:{name}");
    for (spec, algorithm, option) in [
        ("RSA_2048", "RSA", Some("rsa_keygen_bits:2048".to_owned())),
        ("ECC_NIST_P256", "EC", Some(curve("P-256"))),
        ("ECC_NIST_P384", "EC", Some(curve("P-384"))),
        ("ECC_NIST_P521", "EC", Some(curve("P-521"))),
        ("ECC_SECG_P256K1", "EC", Some(curve("secp256k1"))),
        ("ECC_NIST_EDWARDS25519", "ED25519", None),
        ("SM2", "EC", Some(curve("sm2"))),
    ] {
        // genpkey writes PKCS#8 only as PEM (its DER is PKCS#1 or SEC1);
        // `pkcs8 -topk8` makes the DER that AWS's import instructions make.
        let pem = work.join(format!("{spec}.pem"));
        let der = work.join(format!("{spec}.der"));
        let mut genpkey = Command::new("openssl");
        genpkey.args(["genpkey", "-algorithm", algorithm]);
        if let Some(option) = option {
            genpkey.args(["-pkeyopt", &option]);
        }
        run(genpkey.arg("-out").arg(&pem))?;
        run(Command::new("openssl")
            .args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"])
            .arg(&pem)
            .arg("-out")
            .arg(&der))?;
        write(spec, &std::fs::read(&der)?)?;
    }
    Ok(())
}

/// One body of each response the client reads, with escapes, nesting and
/// unknown members, each after the byte that picks its shape.
fn seed_response_corpus(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let seeds = [
        r#"{"CiphertextBlob":"AQIDBA==","Plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","KeyId":"arn:aws:kms:us-east-1:111122223333:key/k"}"#,
        r#"{"CiphertextBlob":"AQID","KeyId":"k","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#,
        r#"{"KeyId":"k\u00e9\ud83d\ude00","Plaintext":"\/w==","EncryptionAlgorithm":"RSAES_OAEP_SHA_256","X":[1,-2.5e3,{"a":[null,true,false]}]}"#,
        r#"{"KeyId":"k","PublicKey":"MFkw","CustomerMasterKeySpec":"ECC_NIST_P256","KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY","SigningAlgorithms":["ECDSA_SHA_256"],"EncryptionAlgorithms":null}"#,
        r#"{"__type":"com.amazonaws.kms#NotFoundException","Message":"Alias \"x\" not found"}"#,
    ];
    for (pick, seed) in (0u8..).zip(seeds) {
        let mut bytes = vec![pick];
        bytes.extend_from_slice(seed.as_bytes());
        std::fs::write(dir.join(format!("seed-{pick}")), bytes)?;
    }
    Ok(())
}

/// Real KMS public keys and signatures (the OpenSSL- and pyca-made fixtures
/// of the verify tests), laid out as the public_key target reads its input.
fn seed_public_key_corpus(dir: &Path) -> Result<()> {
    use base64::Engine as _;
    let mut cases: Vec<serde_json::Value> = Vec::new();
    for signer in ["openssl", "pyca"] {
        let fixtures = util::root().join(format!(
            "crates/kms-envelope/tests/data/{signer}/signatures.json"
        ));
        let more: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(fixtures)?)?;
        cases.extend(more);
    }
    std::fs::create_dir_all(dir)?;
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default())
    };
    for (i, case) in cases.iter().enumerate() {
        let mut seed = Vec::new();
        for field in ["public_key", "signature"] {
            let bytes = b64(&case[field])?;
            seed.extend_from_slice(&u16::try_from(bytes.len())?.to_be_bytes());
            seed.extend_from_slice(&bytes);
        }
        seed.extend_from_slice(&b64(&case["message"])?);
        std::fs::write(dir.join(format!("seed-{i}")), seed)?;
    }
    Ok(())
}

fn fuzz() -> Result<()> {
    install::cargo_fuzz()?;
    seed_core_corpus()?;
    seed_policy_corpus(&util::root().join("crates/kms-protocol/fuzz/corpus/policy_document"))?;
    seed_response_corpus(&util::root().join("crates/kms-client/fuzz/corpus/response_json"))?;
    seed_key_material_corpus(&util::root().join("crates/kms-server/fuzz/corpus/key_material"))?;
    let dirs = fuzz_dirs()?;
    if dirs.is_empty() {
        bail!("no fuzz targets under crates/*/fuzz");
    }
    // Build every target before running any, so a target that no longer
    // compiles fails the suite in minutes rather than after the others ran.
    // The three fuzz workspaces share one target directory (and the same
    // release profile), so the dependencies they have in common build once.
    let target_dir = util::target_dir().join("fuzz");
    for dir in &dirs {
        run(Command::new("cargo")
            .current_dir(dir)
            .args(["+nightly", "fuzz", "build", "--target-dir"])
            .arg(&target_dir))?;
    }
    let mut queue = Vec::new();
    for dir in &dirs {
        for target in fuzz_targets(dir)? {
            queue.push((dir, target));
        }
    }
    // libFuzzer runs on one core, so as many targets run at once as there
    // are cores, each for its full time. Each one's output goes to a log,
    // printed if it fails.
    let seconds = fuzz_seconds();
    let logs = util::target_dir().join("fuzz-logs");
    std::fs::create_dir_all(&logs)?;
    let at_once = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut failed = Vec::new();
    for batch in queue.chunks(at_once) {
        let mut running = Vec::new();
        for (dir, target) in batch {
            let log = logs.join(format!("{target}.log"));
            let out = std::fs::File::create(&log)?;
            let mut cmd = Command::new("cargo");
            cmd.current_dir(dir)
                .args(["+nightly", "fuzz", "run", "--target-dir"])
                .arg(&target_dir)
                .args([target.as_str(), "--"])
                .arg(format!("-max_total_time={seconds}"))
                .arg("-rss_limit_mb=2048")
                .stdout(out.try_clone()?)
                .stderr(out);
            eprintln!("$ {} > {}", util::describe(&cmd), log.display());
            let child = cmd
                .spawn()
                .with_context(|| format!("cannot start {}", util::describe(&cmd)))?;
            running.push((target, log, child));
        }
        for (target, log, mut child) in running {
            let status = child.wait()?;
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if status.success() {
                let done = text.lines().rev().find(|l| l.starts_with("Done "));
                eprintln!("fuzz target {target}: {}", done.unwrap_or("finished"));
            } else {
                let lines: Vec<&str> = text.lines().collect();
                for line in &lines[lines.len().saturating_sub(80)..] {
                    eprintln!("{line}");
                }
                eprintln!(
                    "fuzz target {target} failed with {status} (log: {})",
                    log.display()
                );
                failed.push(target.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("fuzz targets failed: {}", failed.join(", "))
    }
}

fn fuzz_targets(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir.join("fuzz_targets"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem()
        {
            names.push(stem.to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}
