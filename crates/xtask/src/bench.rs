//! `cargo xtask bench`: benchmarks, each compared with a peer measured in
//! the same run, reported as ratios first.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::util::{self, cargo, run};

pub fn main(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let which: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = which.is_empty();
    for name in &which {
        if !["core", "server"].contains(name) {
            bail!("unknown benchmark '{name}' (available: core, server)");
        }
    }
    if all || which.contains(&"core") {
        core(quick)?;
    }
    if all || which.contains(&"server") {
        crate::bench_server::run(quick)?;
    }
    Ok(())
}

/// Criterion benchmarks of the core; prints each result against the
/// `baseline` function of its group (raw AES-GCM over the same bytes).
fn core(quick: bool) -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "kms-envelope", "--bench", "core", "--"]);
    if quick {
        cmd.args([
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
            "--sample-size",
            "10",
        ]);
    }
    run(&mut cmd)?;
    let results = read_criterion(&util::target_dir().join("criterion"))?;
    print_table(&results);
    Ok(())
}

/// One criterion result: group, function, median seconds per iteration and
/// the declared throughput per iteration (bytes or elements).
struct Measurement {
    median_s: f64,
    throughput: Option<(String, f64)>,
}

fn read_criterion(dir: &Path) -> Result<BTreeMap<(String, String), Measurement>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    if let Some(m) = read_one(&path)? {
                        out.insert(m.0, m.1);
                    }
                } else {
                    stack.push(path);
                }
            }
        }
    }
    Ok(out)
}

fn read_one(dir: &Path) -> Result<Option<((String, String), Measurement)>> {
    let (Ok(bench), Ok(est)) = (
        std::fs::read_to_string(dir.join("benchmark.json")),
        std::fs::read_to_string(dir.join("estimates.json")),
    ) else {
        return Ok(None);
    };
    let bench: serde_json::Value = serde_json::from_str(&bench).context("benchmark.json")?;
    let est: serde_json::Value = serde_json::from_str(&est).context("estimates.json")?;
    let group = bench["group_id"].as_str().unwrap_or_default().to_owned();
    let mut function = bench["function_id"].as_str().unwrap_or_default().to_owned();
    if let Some(p) = bench["value_str"].as_str() {
        function = format!("{function}/{p}");
    }
    let median_ns = est["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
    let throughput = bench["throughput"].as_object().and_then(|t| {
        t.iter()
            .next()
            .and_then(|(kind, v)| v.as_f64().map(|n| (kind.clone(), n)))
    });
    Ok(Some((
        (group, function),
        Measurement {
            median_s: median_ns / 1e9,
            throughput,
        },
    )))
}

fn print_table(results: &BTreeMap<(String, String), Measurement>) {
    println!(
        "\n{:<40} {:<36} {:>14} {:>10}",
        "group", "function", "rate", "vs peer"
    );
    for ((group, function), m) in results {
        let rate = rate(m);
        let peer = results
            .iter()
            .find(|((g, f), _)| g == group && f.starts_with("baseline"))
            .map(|(_, p)| rate_value(p));
        let ratio = match peer {
            Some(p) if p > 0.0 && !function.starts_with("baseline") => {
                let r = rate_value(m) / p;
                // Signed suites run at a thousandth of the primitive: keep
                // their digits visible.
                if r < 0.1 {
                    format!("{r:.4}x")
                } else {
                    format!("{r:.2}x")
                }
            }
            _ => "-".into(),
        };
        println!("{group:<40} {function:<36} {rate:>14} {ratio:>10}");
    }
}

fn rate_value(m: &Measurement) -> f64 {
    match &m.throughput {
        Some((_, n)) => n / m.median_s,
        None => 1.0 / m.median_s,
    }
}

fn rate(m: &Measurement) -> String {
    match &m.throughput {
        Some((kind, _)) if kind.starts_with("Bytes") => format!("{:.0} MB/s", rate_value(m) / 1e6),
        Some(_) => format!("{:.0} elem/s", rate_value(m)),
        None => format!("{:.0} iter/s", rate_value(m)),
    }
}
