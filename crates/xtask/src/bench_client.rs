//! `cargo xtask bench client | cache | size`: the Node project of `bench/`
//! (kms-envelope, the AWS Encryption SDK for JavaScript and raw WebCrypto,
//! in Node and in headless Chromium), installed into the target directory
//! with the packed npm package, as pkg-tests does.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::bench_results::summarize;
use crate::install;
use crate::package::Package;
use crate::util::{self, cargo, run};

/// How hard to measure.
pub struct Params {
    /// Samples of every client figure (the issue asks for at least 5).
    pub runs: u32,
    /// Seconds of each 1 KiB messages sample.
    pub message_seconds: f64,
    /// Bytes streamed for the peak-memory figure.
    pub stream_bytes: u64,
    /// Fresh processes per library for the peak-memory figure.
    pub memory_runs: u32,
    /// Messages of the cache-effect count.
    pub cache_messages: u32,
}

impl Params {
    /// The default set, or the `--quick` one.
    pub fn new(quick: bool) -> Params {
        if quick {
            Params {
                runs: 5,
                message_seconds: 0.25,
                stream_bytes: 64 << 20,
                memory_runs: 1,
                cache_messages: 1000,
            }
        } else {
            Params {
                runs: 5,
                message_seconds: 1.0,
                stream_bytes: 256 << 20,
                memory_runs: 5,
                cache_messages: 1000,
            }
        }
    }
}

/// The installed bench project.
pub struct Project {
    dir: PathBuf,
}

/// Copies `bench/` (sources only) into target/bench, adds the packed
/// package to its dependencies and installs them (and the browser SDK's
/// own install in browser/).
pub fn prepare(package: &Package) -> Result<Project> {
    let npm_dir = util::target_dir().join("npm");
    let packed = util::probe(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&npm_dir)
            .current_dir(&package.dir),
    )
    .context("npm pack failed")?;
    let tarball = npm_dir.join(packed.trim());
    let source = util::root().join("bench");
    let dir = util::target_dir().join("bench");
    // Keep node_modules between runs (npm makes a second install quick);
    // replace everything else.
    for sub in [
        "lib",
        "browser/page",
        "browser/size",
        "browser/dist",
        "browser/dist-size",
    ] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p)?;
        }
    }
    for sub in ["lib", "browser/page", "browser/size"] {
        crate::suites::copy_dir(&source.join(sub), &dir.join(sub))?;
    }
    for file in [
        "node.mjs",
        "browser.mjs",
        "browser/vite.config.mjs",
        "browser/size.config.mjs",
        "browser/package.json",
    ] {
        std::fs::copy(source.join(file), dir.join(file))
            .with_context(|| format!("cannot copy bench/{file}"))?;
    }
    // One kms-server starter for pkg-tests and the cache benchmark.
    std::fs::copy(
        util::root().join("pkg-tests/lib/kms.mjs"),
        dir.join("lib/kms.mjs"),
    )?;
    let mut manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(source.join("package.json")).context("bench/package.json")?,
    )
    .context("bench/package.json is not JSON")?;
    let tarball = tarball
        .to_str()
        .context("the target directory's path is not UTF-8")?;
    manifest["dependencies"]["kms-envelope"] = json!(format!("file:{tarball}"));
    std::fs::write(
        dir.join("package.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    // The same version number with new contents: make npm unpack it again.
    let stale = dir.join("node_modules/kms-envelope");
    if stale.exists() {
        std::fs::remove_dir_all(&stale)?;
    }
    for d in [dir.clone(), dir.join("browser")] {
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-package-lock"])
            .current_dir(&d))?;
    }
    Ok(Project { dir })
}

impl Project {
    /// Runs `node SCRIPT ARGS --out FILE` in the project and reads FILE.
    fn node(&self, script: &str, args: &[String], env: &[(&str, &Path)]) -> Result<Value> {
        let out = self.dir.join(format!(
            "{}-{}.json",
            script.trim_end_matches(".mjs"),
            args[0]
        ));
        let _ = std::fs::remove_file(&out);
        let mut cmd = Command::new("node");
        // lib/client.mjs collects garbage before each timed operation.
        cmd.arg("--expose-gc")
            .arg(script)
            .args(args)
            .arg("--out")
            .arg(&out)
            .env("CHROMIUM", install::CHROMIUM)
            .current_dir(&self.dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd)?;
        let text = std::fs::read_to_string(&out)
            .with_context(|| format!("{script} {} wrote no results", args[0]))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", out.display()))
    }

    /// The client figures in Node and Chromium, and the streams' peak memory.
    pub fn client(&self, p: &Params) -> Result<Value> {
        install::chromium()?;
        let measure = vec![
            "client".to_owned(),
            "--runs".into(),
            p.runs.to_string(),
            "--message-seconds".into(),
            p.message_seconds.to_string(),
        ];
        let memory = vec![
            "memory".to_owned(),
            "--runs".into(),
            p.memory_runs.to_string(),
            "--bytes".into(),
            p.stream_bytes.to_string(),
        ];
        let mut runtimes = Vec::new();
        let mut memories = Vec::new();
        for script in ["node.mjs", "browser.mjs"] {
            runtimes.push(with_figures(self.node(script, &measure, &[])?));
            memories.push(with_figures(self.node(script, &memory, &[])?));
        }
        Ok(json!({
            "frameLength": 65536,
            "runtimes": runtimes,
            "memory": memories,
        }))
    }

    /// KMS calls per N messages with and without the caches, against a
    /// release kms-server.
    pub fn cache(&self, p: &Params) -> Result<Value> {
        // The same package set as the server benchmark, so neither rebuilds the other.
        run(cargo().args([
            "build",
            "--release",
            "-p",
            "kms-server",
            "-p",
            "kms-loadgen",
        ]))?;
        let server = util::target_dir().join("release").join("kms-server");
        self.node(
            "node.mjs",
            &[
                "cache".to_owned(),
                "--messages".into(),
                p.cache_messages.to_string(),
            ],
            &[("KMS_SERVER_BIN", &server)],
        )
    }

    /// The minified browser bundles of both libraries.
    pub fn bundles(&self) -> Result<Value> {
        self.node("browser.mjs", &["size".to_owned()], &[])
    }
}

/// Renames `records` to `figures` with median/min/max added.
fn with_figures(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut()
        && let Some(mut records) = obj.remove("records")
    {
        summarize(&mut records);
        obj.insert("figures".into(), records);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_figures_with_statistics() {
        let v = with_figures(json!({"runtime": "node", "records": [{"runs": [1.0, 3.0, 2.0]}]}));
        assert!(v.get("records").is_none());
        assert_eq!(v["figures"][0]["median"], json!(2.0));
        assert_eq!(v["figures"][0]["count"], json!(3));
        assert_eq!(v["runtime"], "node");
        // Nothing to rename: unchanged.
        assert_eq!(with_figures(json!({"a": 1})), json!({"a": 1}));
    }

    #[test]
    fn every_mode_takes_at_least_five_samples_of_each_client_figure() {
        for quick in [false, true] {
            let p = Params::new(quick);
            assert!(p.runs >= 5);
            assert!(
                p.cache_messages >= 1000,
                "the cache target is per 1,000 messages"
            );
        }
        assert_eq!(Params::new(false).stream_bytes, 256 << 20);
        assert_eq!(Params::new(false).memory_runs, 5);
    }
}
