//! `cargo xtask package`: the npm package `kms-envelope`, built from
//! crates/kms-envelope-wasm for the `web`, `bundler`, `nodejs` and `deno`
//! targets of wasm-bindgen, optimised with npm binaryen's wasm-opt (never
//! Debian's, which produces broken modules), with the hand-owned
//! package.json and its `exports` map. Also builds the smallest useful
//! variant (symmetric KMS and raw AES keyrings, unsigned suites only) to
//! report its size.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::install;
use crate::util::{self, cargo, probe, run};

/// wasm-bindgen targets and the package directory each goes to.
const TARGETS: &[(&str, &str)] = &[
    ("web", "web"),
    ("bundler", "bundler"),
    ("nodejs", "node"),
    ("deno", "deno"),
];

/// The binaryen release whose wasm-opt is used.
const BINARYEN: &str = "binaryen@132.0.0";

/// Sizes of one build.
pub struct Sizes {
    /// Bytes of the optimised .wasm.
    pub raw: u64,
    /// Bytes of it gzipped at level 9.
    pub gzip: u64,
}

/// What `package` built.
pub struct Package {
    /// The package directory (ready for `npm pack`).
    pub dir: PathBuf,
    /// The full build.
    pub full: Sizes,
    /// The minimal build.
    pub minimal: Sizes,
}

pub fn main(args: &[String]) -> Result<()> {
    if let Some(a) = args.first() {
        bail!("unknown option '{a}' (cargo xtask package takes none)");
    }
    let p = build()?;
    println!("package: {}", p.dir.display());
    println!(
        "wasm full:    {:>8} bytes, {:>7} gzipped",
        p.full.raw, p.full.gzip
    );
    println!(
        "wasm minimal: {:>8} bytes, {:>7} gzipped (symmetric KMS + raw AES keyrings, unsigned suites)",
        p.minimal.raw, p.minimal.gzip
    );
    Ok(())
}

/// Builds the package into `target/npm/kms-envelope`.
pub fn build() -> Result<Package> {
    install::wasm_bindgen_cli()?;
    let wasm_opt = wasm_opt()?;
    let root = util::root();
    // Each target directory is rebuilt (or kept) whole by bindgen_and_opt;
    // the two files of the top level are copied below.
    let out = util::target_dir().join("npm").join("kms-envelope");
    fs::create_dir_all(&out)?;

    let minimal_wasm = compile(&["--no-default-features"])?;
    let minimal_dir = util::target_dir().join("npm").join("minimal");
    let minimal = bindgen_and_opt(&minimal_wasm, "web", &minimal_dir, &wasm_opt)?;

    let wasm = compile(&[])?;
    let mut full = None;
    for (target, dir) in TARGETS {
        let sizes = bindgen_and_opt(&wasm, target, &out.join(dir), &wasm_opt)?;
        full.get_or_insert(sizes);
    }
    // The nodejs target is CommonJS inside a "type": "module" package.
    fs::write(
        out.join("node").join("package.json"),
        "{\"type\": \"commonjs\"}\n",
    )?;
    let npm = root.join("crates/kms-envelope-wasm/npm");
    for file in ["package.json", "README.md"] {
        fs::copy(npm.join(file), out.join(file)).with_context(|| format!("cannot copy {file}"))?;
    }
    let full = full.context("no target built")?;
    Ok(Package {
        dir: out,
        full,
        minimal,
    })
}

/// Compiles the bindings with the size-optimised profile; returns the .wasm.
fn compile(features: &[&str]) -> Result<PathBuf> {
    run(cargo()
        .args([
            "build",
            "-p",
            "kms-envelope-wasm",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
            "--config",
        ])
        .arg(remap_config())
        .args(features))?;
    let built = util::target_dir()
        .join("wasm32-unknown-unknown")
        .join("wasm-release")
        .join("kms_envelope_wasm.wasm");
    // The next build overwrites it: keep a copy per feature set.
    let copy = built.with_file_name(format!(
        "kms_envelope_wasm{}.wasm",
        if features.is_empty() { "" } else { "-minimal" }
    ));
    if copy != built {
        fs::copy(&built, &copy)?;
    }
    Ok(copy)
}

/// A `--config` value that remaps the source paths panic locations embed
/// (dependencies under cargo's registry, the workspace) to paths relative
/// to their crate: shorter strings in the .wasm, and none of this machine's
/// paths. Computed here, not committed, because the prefixes differ per
/// machine. (The standard library's `/rustc/<commit>` paths come from its
/// prebuilt rlibs; remapping does not reach them.)
fn remap_config() -> String {
    let mut prefixes = Vec::new();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        // One directory per registry index: <index>/<crate>-<version>/...
        if let Ok(entries) = fs::read_dir(home.join("registry").join("src")) {
            prefixes.extend(entries.flatten().map(|e| e.path()));
        }
    }
    prefixes.push(util::root());
    let flags: Vec<String> = prefixes
        .iter()
        .map(|p| format!("{:?}", format!("--remap-path-prefix={}/=", p.display())))
        .collect();
    format!(
        "target.wasm32-unknown-unknown.rustflags=[{}]",
        flags.join(", ")
    )
}

/// Runs wasm-bindgen for `target` into `dir`, then wasm-opt on the module;
/// skips both when `dir` was built from the same .wasm (they take most of
/// a package build: benchmarks and tests call this on every run).
fn bindgen_and_opt(wasm: &Path, target: &str, dir: &Path, wasm_opt: &Path) -> Result<Sizes> {
    let module = dir.join("kms_envelope_bg.wasm");
    // What `dir` was built from, outside the package; the binaryen release
    // is in the path so that changing it rebuilds.
    let stamp = util::target_dir()
        .join("npm")
        .join(".built-from")
        .join(BINARYEN)
        .join(dir.file_name().context("a package directory has a name")?);
    let input = fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    if module.exists() && fs::read(&stamp).is_ok_and(|built| built == input) {
        eprintln!("{} is up to date", dir.display());
        return sizes(&module);
    }
    let _ = fs::remove_file(&stamp);
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    run(Command::new("wasm-bindgen")
        .args([
            "--target",
            target,
            "--out-name",
            "kms_envelope",
            "--out-dir",
        ])
        .arg(dir)
        .arg(wasm))?;
    run(Command::new(wasm_opt)
        .args(["-Os", "--strip-debug", "--strip-producers", "-o"])
        .arg(&module)
        .arg(&module))?;
    if let Some(parent) = stamp.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&stamp, &input)?;
    sizes(&module)
}

/// Raw and gzip -9 sizes of a file.
pub fn sizes(file: &Path) -> Result<Sizes> {
    let raw = fs::metadata(file)?.len();
    let gzip = probe(
        Command::new("sh")
            .args(["-c", "gzip -9 -c \"$0\" | wc -c"])
            .arg(file),
    )
    .and_then(|s| s.trim().parse().ok())
    .context("gzip is needed to measure the compressed size")?;
    Ok(Sizes { raw, gzip })
}

/// npm binaryen's wasm-opt, installed once under the target directory.
fn wasm_opt() -> Result<PathBuf> {
    let prefix = util::target_dir().join("xtask-node");
    let bin = prefix.join("node_modules").join(".bin").join("wasm-opt");
    if !bin.exists() {
        fs::create_dir_all(&prefix)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(BINARYEN))?;
    }
    Ok(bin)
}
