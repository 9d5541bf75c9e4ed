//! `cargo xtask bench server`: kms-server against moto's KMS server, the
//! same signed load from kms-loadgen on both, ratios first.
//!
//! Both servers run on this machine, on 127.0.0.1, one at a time, with the
//! load generator beside them: the numbers include its cost, as any
//! single-machine benchmark does, and the ratio cancels the machine out.

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::util::{self, cargo, probe, run as run_cmd};

/// Connections of every load, on both servers.
const CONNECTIONS: u32 = 32;
/// How long a server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// One workload: its name in the tables, kms-loadgen's flags, and what
/// kms-server is expected to reach on this 2-core machine kind
/// (successful req/s, and p99 in milliseconds where there is a bound).
struct Workload {
    name: &'static str,
    args: &'static [&'static str],
    target_rps: f64,
    target_p99_ms: Option<f64>,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "GenerateDataKey",
        args: &["--op", "generate-data-key"],
        target_rps: 20_000.0,
        target_p99_ms: Some(5.0),
    },
    Workload {
        name: "Decrypt",
        args: &["--op", "decrypt"],
        target_rps: 20_000.0,
        target_p99_ms: Some(5.0),
    },
    Workload {
        name: "Sign ECC_NIST_P256",
        args: &["--op", "sign", "--key-spec", "ECC_NIST_P256"],
        target_rps: 3_000.0,
        target_p99_ms: None,
    },
    Workload {
        name: "Sign RSA_2048",
        args: &["--op", "sign", "--key-spec", "RSA_2048"],
        target_rps: 500.0,
        target_p99_ms: None,
    },
];

/// What one load reported (kms-loadgen's JSON).
#[derive(Debug, Clone)]
struct Result1 {
    rps: f64,
    p50: f64,
    p99: f64,
    max: f64,
    ok: u64,
    failed: u64,
    throttled: u64,
    errors: String,
}

impl Result1 {
    fn from_json(v: &Value) -> Result1 {
        let f = |path: &[&str]| {
            path.iter()
                .try_fold(v, |v, k| v.get(k))
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        let count_map = |key: &str| -> Vec<(String, u64)> {
            v.get(key)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut all = count_map("errors");
        all.extend(count_map("transport_errors"));
        let throttled = v.get("throttled").and_then(Value::as_u64).unwrap_or(0);
        Result1 {
            rps: f(&["requests_per_second"]),
            p50: f(&["latency_ms", "p50"]),
            p99: f(&["latency_ms", "p99"]),
            max: f(&["latency_ms", "max"]),
            ok: v.get("ok").and_then(Value::as_u64).unwrap_or(0),
            failed: throttled + all.iter().map(|(_, n)| n).sum::<u64>(),
            throttled,
            errors: all
                .iter()
                .map(|(k, n)| format!("{k}:{n}"))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped,
/// so every exit path, errors and panics included, stops what was started.
struct Running {
    name: &'static str,
    child: Child,
}

impl Running {
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // std has no SIGTERM; kill(1) is everywhere this runs.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop on SIGTERM; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Result<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = util::target_dir()
            .join("bench-server")
            .join(format!("{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs every workload on both servers, prints the tables and returns the
/// `server` section of results.json.
pub fn run(quick: bool) -> Result<Value> {
    let (duration, warmup) = if quick { ("3s", "1s") } else { ("10s", "2s") };
    run_cmd(cargo().args([
        "build",
        "--release",
        "-p",
        "kms-server",
        "-p",
        "kms-loadgen",
    ]))?;
    let release = util::target_dir().join("release");
    let loadgen = release.join("kms-loadgen");
    let python = moto_python()?;
    let started = Instant::now();
    let load_before = load_average();

    let ours = {
        let dir = TempDir::new("kms-server")?;
        let (server, url) = start_kms_server(&release.join("kms-server"), &dir.0)?;
        let credentials = dir.0.join("data").join("credentials");
        let creds = ["--credentials-file".to_owned(), path_str(&credentials)?];
        let results = load_all(&loadgen, &url, &creds, duration, warmup);
        drop(server);
        results?
    };
    let moto = {
        let dir = TempDir::new("moto")?;
        let (server, url) = start_moto(&python, &dir.0)?;
        // moto accepts any well-formed signature.
        let creds = [
            "--access-key".to_owned(),
            "AKIAMOTOBENCHMARK000".to_owned(),
            "--secret-key".to_owned(),
            "moto-accepts-any-secret".to_owned(),
        ];
        let results = load_all(&loadgen, &url, &creds, duration, warmup);
        drop(server);
        results?
    };
    eprintln!("loads took {:.0?}", started.elapsed());
    let machine = format!(
        "{}; load average {load_before} before, {} after (other processes share the cores)",
        machine(),
        load_average()
    );
    print_tables(&machine, &ours, &moto, duration, warmup);
    Ok(section(&ours, &moto, duration, warmup))
}

/// The results.json form of one run.
fn section(ours: &[Result1], moto: &[Result1], duration: &str, warmup: &str) -> Value {
    let one = |r: &Result1| {
        json!({
            "rps": r.rps, "p50_ms": r.p50, "p99_ms": r.p99, "max_ms": r.max,
            "ok": r.ok, "failed": r.failed, "throttled": r.throttled, "errors": r.errors,
        })
    };
    let workloads: Vec<Value> = WORKLOADS
        .iter()
        .zip(ours)
        .zip(moto)
        .map(|((w, o), m)| {
            json!({
                "name": w.name,
                "kms-server": one(o),
                "moto": one(m),
                "target_rps": w.target_rps,
                "target_p99_ms": w.target_p99_ms,
            })
        })
        .collect();
    json!({
        "load": format!(
            "kms-loadgen against each server in turn: {CONNECTIONS} keep-alive connections, \
             SigV4-signed requests, {duration} measured after {warmup} of warm-up, one bounded \
             run per operation and server (p50/p99 over every request of the run)."
        ),
        "workloads": workloads,
    })
}

fn path_str(path: &Path) -> Result<String> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{} is not UTF-8", path.display()))
}

fn load_all(
    loadgen: &Path,
    url: &str,
    creds: &[String],
    duration: &str,
    warmup: &str,
) -> Result<Vec<Result1>> {
    let mut out = Vec::new();
    for w in WORKLOADS {
        let mut cmd = Command::new(loadgen);
        cmd.args(["--endpoint", url, "--json", "--duration", duration])
            .args(["--warmup", warmup])
            .args(["--connections", &CONNECTIONS.to_string()])
            .args(creds)
            .args(w.args)
            .stderr(Stdio::inherit());
        eprintln!("$ {} ({})", util::describe(&cmd), w.name);
        let output = cmd
            .output()
            .with_context(|| format!("cannot run {}", loadgen.display()))?;
        // Exit 2 means the load ran and nothing succeeded: still a result.
        if !output.status.success() && output.status.code() != Some(2) {
            bail!("kms-loadgen failed for {} against {url}", w.name);
        }
        let json: Value = serde_json::from_slice(&output.stdout)
            .with_context(|| format!("kms-loadgen printed no JSON for {}", w.name))?;
        out.push(Result1::from_json(&json));
    }
    Ok(out)
}

/// Waits for the first stdout line of `child` (on a thread: std has no
/// read timeout on pipes).
fn first_line(child: &mut Child, timeout: Duration) -> Result<String> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("no stdout pipe"))?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = tx.send(reader.read_line(&mut line).map(|_| line));
        // Drain the rest so the server never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(line)) => Ok(line.trim().to_owned()),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => bail!("no output within {timeout:?}"),
    }
}

fn log_file(dir: &Path, name: &str) -> Result<Stdio> {
    let path = dir.join(name);
    Ok(std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?
        .into())
}

fn start_kms_server(bin: &Path, dir: &Path) -> Result<(Running, String)> {
    let data = dir.join("data");
    let mut cmd = Command::new(bin);
    cmd.args([
        "--listen",
        "127.0.0.1:0",
        "--no-request-quotas",
        "--data-dir",
    ])
    .arg(&data)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(log_file(dir, "kms-server.log")?);
    eprintln!("$ {}", util::describe(&cmd));
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let mut server = Running {
        name: "kms-server",
        child,
    };
    let line = first_line(&mut server.child, START_TIMEOUT).context("kms-server did not start")?;
    let url = line
        .strip_prefix("listening on ")
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .ok_or_else(|| {
            anyhow!("kms-server's first line is {line:?}, not 'listening on http://...'")
        })?
        .to_owned();
    Ok((server, url))
}

/// A free loopback port (free when asked; moto binds it right after).
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_moto(python: &Path, dir: &Path) -> Result<(Running, String)> {
    let port = free_port()?;
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "moto.server",
        "-H",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ])
    .current_dir(dir)
    .stdin(Stdio::null())
    .stdout(log_file(dir, "moto.out")?)
    .stderr(log_file(dir, "moto.log")?);
    eprintln!("$ {}", util::describe(&cmd));
    let child = cmd.spawn().context("cannot start moto")?;
    let mut server = Running {
        name: "moto",
        child,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            bail!(
                "moto exited with {status}; see {}",
                dir.join("moto.log").display()
            );
        }
        if Instant::now() > deadline {
            bail!("moto did not listen on {addr} within {START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((server, format!("http://{addr}")))
}

/// The xtask virtual environment's python, with `moto[server]` installed
/// (only here: the test suites do not need it).
fn moto_python() -> Result<PathBuf> {
    let venv = util::target_dir().join("xtask-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let has_moto = probe(Command::new(&python).args(["-c", "import moto.server, flask"])).is_some();
    if !has_moto {
        run_cmd(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "moto[server]",
        ]))?;
    }
    Ok(python)
}

/// CPUs, CPU model and the date, for the results.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let date = probe(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .map(|d| d.trim().to_owned())
        .unwrap_or_default();
    format!("{cpus} CPUs ({model}), {date}")
}

/// The 1-minute load average: a benchmark on a busy machine says so.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 && a > 0.0 {
        format!("{:.1}x", a / b)
    } else {
        "-".to_owned()
    }
}

fn print_tables(machine: &str, ours: &[Result1], moto: &[Result1], duration: &str, warmup: &str) {
    println!(
        "\nkms-server vs moto: {CONNECTIONS} connections, {duration} measured after {warmup} warm-up, \
         one kms-loadgen thread, same machine\nmachine: {machine}\n"
    );
    println!(
        "{:<20} {:>14} {:>16} {:>16}   target (kms-server)",
        "operation", "req/s ratio", "p50 (moto/ours)", "p99 (moto/ours)"
    );
    for ((w, o), m) in WORKLOADS.iter().zip(ours).zip(moto) {
        let rps_ok = o.rps >= w.target_rps;
        let p99_ok = w.target_p99_ms.is_none_or(|t| o.p99 <= t);
        let target = format!(
            "{} req/s{}: {}",
            w.target_rps,
            w.target_p99_ms
                .map(|t| format!(", p99 <= {t} ms"))
                .unwrap_or_default(),
            if rps_ok && p99_ok && o.failed == 0 {
                "met"
            } else {
                "MISSED"
            }
        );
        println!(
            "{:<20} {:>14} {:>16} {:>16}   {target}",
            w.name,
            ratio(o.rps, m.rps),
            ratio(m.p50, o.p50),
            ratio(m.p99, o.p99),
        );
    }
    println!(
        "\n{:<12} {:<20} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}  errors",
        "server", "operation", "req/s", "p50 ms", "p99 ms", "max ms", "ok", "failed"
    );
    for (server, results) in [("kms-server", ours), ("moto", moto)] {
        for (w, r) in WORKLOADS.iter().zip(results) {
            println!(
                "{server:<12} {:<20} {:>10.0} {:>9.3} {:>9.3} {:>9.3} {:>9} {:>9}  {}{}",
                w.name,
                r.rps,
                r.p50,
                r.p99,
                r.max,
                r.ok,
                r.failed,
                if r.throttled > 0 {
                    format!("throttled:{} ", r.throttled)
                } else {
                    String::new()
                },
                r.errors
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_loadgen_json() {
        let v: Value = serde_json::from_str(
            r#"{"requests_per_second": 1234.5, "ok": 10, "throttled": 2,
                "latency_ms": {"p50": 0.5, "p99": 2.0, "max": 3.0},
                "errors": {"NotFoundException": 1}, "transport_errors": {"timeout": 3}}"#,
        )
        .unwrap();
        let r = Result1::from_json(&v);
        assert_eq!((r.rps, r.p50, r.p99, r.max), (1234.5, 0.5, 2.0, 3.0));
        assert_eq!((r.ok, r.failed, r.throttled), (10, 6, 2));
        assert_eq!(r.errors, "NotFoundException:1 timeout:3");
        assert_eq!(ratio(10.0, 4.0), "2.5x");
        assert_eq!(ratio(10.0, 0.0), "-");
        assert_eq!(ratio(f64::NAN, 1.0), "-");
    }
}
