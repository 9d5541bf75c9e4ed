//! `cargo xtask bench`: benchmarks, each compared with a peer measured in
//! the same run, reported as ratios first.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use crate::bench_client::{self, Params};
use crate::bench_results;
use crate::util::{self, cargo, probe, run};

/// Benchmarks `cargo xtask bench` runs when none is named.
const DEFAULT_SET: &[&str] = &["size", "client", "cache", "server"];
/// Every benchmark.
const ALL: &[&str] = &["size", "client", "cache", "server", "core"];

pub fn main(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let mut which: Vec<&str> = Vec::new();
    for a in args {
        match a.as_str() {
            "--quick" => {}
            flag if flag.starts_with("--") => bail!("unknown option '{flag}' (only --quick)"),
            name if ALL.contains(&name) || name == "report" => which.push(name),
            name => bail!("unknown benchmark '{name}' (available: {})", ALL.join(", ")),
        }
    }
    if which == ["report"] {
        // Only rewrite RESULTS.md and chart.svg from results.json.
        return write_results(Map::new());
    }
    if which.contains(&"report") {
        bail!("'report' runs alone: it rewrites the reports from bench/results.json");
    }
    if which.is_empty() {
        which = DEFAULT_SET.to_vec();
    }
    let started = Instant::now();
    let params = Params::new(quick);
    let mut sections = Map::new();
    // The package and the Node project serve size, client and cache.
    let mut project = None;
    let mut package = None;
    for name in ALL.iter().filter(|n| which.contains(n)) {
        eprintln!("\n=== bench {name}{}", if quick { " (quick)" } else { "" });
        let section_start = Instant::now();
        let header = header(quick);
        let mut section = match *name {
            "core" => {
                core(quick)?;
                continue;
            }
            "server" => crate::bench_server::run(quick)?,
            other => {
                if package.is_none() {
                    package = Some(crate::package::build()?);
                }
                let pkg = package.as_ref().context("the package was not built")?;
                if project.is_none() {
                    project = Some(bench_client::prepare(pkg)?);
                }
                let proj = project
                    .as_ref()
                    .context("the bench project was not prepared")?;
                match other {
                    "size" => {
                        let sizes =
                            |s: &crate::package::Sizes| json!({"raw": s.raw, "gzip": s.gzip});
                        json!({
                            "wasm": {"full": sizes(&pkg.full), "minimal": sizes(&pkg.minimal)},
                            "bundles": proj.bundles()?,
                        })
                    }
                    "client" => proj.client(&params)?,
                    _ => proj.cache(&params)?,
                }
            }
        };
        if let Some(obj) = section.as_object_mut() {
            for (k, v) in header {
                obj.insert(k, v);
            }
            obj.insert(
                "seconds".into(),
                json!(section_start.elapsed().as_secs_f64().round()),
            );
        }
        sections.insert((*name).to_owned(), section);
    }
    if !sections.is_empty() {
        write_results(sections)?;
    }
    eprintln!("bench took {:.0?}", started.elapsed());
    Ok(())
}

/// Date, machine and mode of a section.
fn header(quick: bool) -> Map<String, Value> {
    let date = probe(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .map(|d| d.trim().to_owned())
        .unwrap_or_default();
    let mut m = Map::new();
    m.insert("date".into(), json!(date));
    m.insert("machine".into(), json!(machine()));
    m.insert("quick".into(), json!(quick));
    m
}

/// CPUs, model, memory, OS and load: what the numbers depend on.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim());
    let memory = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(String::new(), |kb| {
            format!(", {:.0} GiB RAM", kb / 1_048_576.0)
        });
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|n| format!(", {}", n.trim_matches('"')))
        .unwrap_or_default();
    format!(
        "{cpus} vCPUs ({model}){memory}{os}; load average {} when the section started (shared machine)",
        crate::bench_server::load_average()
    )
}

/// Merges the fresh sections into bench/results.json and rewrites
/// bench/RESULTS.md and bench/chart.svg from the whole document.
fn write_results(sections: Map<String, Value>) -> Result<()> {
    let dir = util::root().join("bench");
    let json_path = dir.join("results.json");
    let previous = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let doc = bench_results::merge(previous, sections);
    std::fs::write(&json_path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    let md = bench_results::markdown(&doc);
    std::fs::write(dir.join("RESULTS.md"), &md)?;
    let subtitle = doc["sections"]["client"]["date"]
        .as_str()
        .or_else(|| doc["sections"]["server"]["date"].as_str())
        .map(|d| format!("{d}; {}", machine_short(&doc)))
        .unwrap_or_default();
    std::fs::write(dir.join("chart.svg"), bench_results::chart(&doc, &subtitle))?;
    println!("{md}");
    eprintln!("wrote {}, RESULTS.md and chart.svg", json_path.display());
    Ok(())
}

/// The machine of the client section (or any), without the load.
fn machine_short(doc: &Value) -> String {
    doc["sections"]
        .as_object()
        .and_then(|s| s.values().find_map(|v| v["machine"].as_str()))
        .map(|m| m.split(';').next().unwrap_or(m).to_owned())
        .unwrap_or_default()
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
