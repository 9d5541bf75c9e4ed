//! Installing what a fresh machine lacks. Each step checks first, so a
//! second run costs seconds.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{self, probe, run};

/// The wasm32 target for the default toolchain.
pub fn wasm_target() -> Result<()> {
    let installed =
        probe(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// A nightly toolchain (cargo fuzz needs it for the sanitizer flags).
pub fn nightly() -> Result<()> {
    let toolchains = probe(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))
        .context("cargo fuzz needs a nightly toolchain")?;
    }
    Ok(())
}

/// cargo-fuzz, installed once into cargo's bin directory.
pub fn cargo_fuzz() -> Result<()> {
    nightly()?;
    if probe(Command::new("cargo").args(["fuzz", "--version"])).is_none() {
        cargo_install(&["cargo-fuzz"])?;
    }
    Ok(())
}

/// `cargo install ARGS`, `--locked` first for reproducibility; without it
/// when the lock file names a version the registry mirror lacks (resolution
/// fails before anything builds, so the first try costs seconds).
fn cargo_install(args: &[&str]) -> Result<()> {
    let install = |locked: bool| {
        let mut c = Command::new("cargo");
        c.arg("install").args(args);
        if locked {
            c.arg("--locked");
        }
        run(&mut c)
    };
    install(true).or_else(|_| install(false))
}

/// The Python packages the interoperability suites drive.
pub const PYTHON_PACKAGES: &[&str] = &["pytest", "aws-encryption-sdk", "boto3", "awscli"];

/// A virtual environment under target/ with [`PYTHON_PACKAGES`]; returns its
/// bin directory.
pub fn python_venv() -> Result<PathBuf> {
    let venv = util::target_dir().join("xtask-venv");
    let bin = venv.join("bin");
    if !bin.join("python").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let python = bin.join("python");
    let missing: Vec<&str> = PYTHON_PACKAGES
        .iter()
        .copied()
        .filter(|p| probe(Command::new(&python).args(["-m", "pip", "show", "-q", p])).is_none())
        .collect();
    if !missing.is_empty() {
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(&missing))?;
    }
    if !bin.join("pytest").exists() {
        bail!("pytest missing from {} after installation", venv.display());
    }
    Ok(bin)
}

/// The version Cargo.lock resolves for `package`.
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(util::root().join("Cargo.lock"))
        .context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(v) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return Ok(v.to_owned());
        }
    }
    bail!("Cargo.lock has no {package}")
}

/// wasm-bindgen-cli (with wasm-bindgen-test-runner) at exactly the version
/// of Cargo.lock's wasm-bindgen, which the generated glue must match.
pub fn wasm_bindgen_cli() -> Result<()> {
    wasm_target()?;
    let version = locked_version("wasm-bindgen")?;
    let installed = probe(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if installed.split_whitespace().nth(1) != Some(version.as_str()) {
        // Without --locked: its lock file names versions the registry
        // mirror lacks.
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &version,
            "--force",
        ]))?;
    }
    Ok(())
}

/// The wasm-pack release whose `wasm-pack test` the browser suite runs.
const WASM_PACK_VERSION: &str = "0.15.1";

/// wasm-pack, so the browser leg of the bindings' tests runs the way users
/// of wasm crates run theirs. Only its `--mode no-install` is used: its own
/// downloads (wasm-bindgen, chromedriver) fail on this machine kind.
pub fn wasm_pack() -> Result<()> {
    let installed = probe(Command::new("wasm-pack").arg("--version")).unwrap_or_default();
    if installed.split_whitespace().nth(1) != Some(WASM_PACK_VERSION) {
        cargo_install(&["wasm-pack", "--version", WASM_PACK_VERSION, "--force"])?;
    }
    Ok(())
}

/// Debian's chromium and chromedriver, for browser tests.
pub fn chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
        .context("browser tests need Debian's chromium and chromium-driver")
}

/// The OpenSSL command line, which the package's Node tests and
/// kms-server's interoperability tests exchange SM2 keys, signatures and
/// ciphertexts with.
pub fn openssl() -> Result<()> {
    if probe(Command::new("openssl").arg("version")).is_some() {
        return Ok(());
    }
    apt_install(&["openssl"]).context("the SM2 tests need the openssl command")
}

/// `apt-get install -y` of Debian packages, through sudo unless root.
fn apt_install(packages: &[&str]) -> Result<()> {
    let root = probe(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let mut apt = if root {
        Command::new("apt-get")
    } else {
        let mut c = Command::new("sudo");
        c.arg("apt-get");
        c
    };
    run(apt.args(["install", "-y"]).args(packages))
}

/// Where Debian installs Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian installs chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
