//! `cargo xtask demo`: builds the npm package and the demo page (`www/`),
//! starts kms-server on `./.kms-data/` (kept between runs), creates the demo
//! keys and aliases if absent, and serves the page. Ctrl-C stops everything.
//!
//! The page gets the credentials of its own principal
//! (`arn:aws:iam::111122223333:user/demo-page`, generated once into
//! `.kms-data/demo-page.json`), which only the demo keys' policies name, and
//! an identity policy allowing `kms:ListAliases`; never the admin's.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, bail};

use crate::util::{self, cargo, run};

/// The demo page's principal.
const PAGE_PRINCIPAL: &str = "arn:aws:iam::111122223333:user/demo-page";

/// A running demo: kms-server and the page's web server.
pub struct Demo {
    kms: Child,
    web: Child,
    /// The page's URL.
    pub url: String,
    /// kms-server's endpoint.
    pub endpoint: String,
    /// The data directory.
    pub data_dir: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        for child in [&mut self.web, &mut self.kms] {
            // SIGTERM lets kms-server drain its audit log.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

pub fn main(args: &[String]) -> Result<()> {
    let mut port = 5180u16;
    let mut data_dir = util::root().join(".kms-data");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => {
                port = it
                    .next()
                    .context("--port needs a number")?
                    .parse()
                    .context("--port needs a number")?;
            }
            "--data-dir" => data_dir = PathBuf::from(it.next().context("--data-dir needs a path")?),
            other => bail!("unknown demo option '{other}' (options: --port N, --data-dir DIR)"),
        }
    }
    let mut demo = start(&data_dir, port)?;
    println!();
    println!("kms-envelope demo: open {}", demo.url);
    println!(
        "kms-server:        {} (data in {})",
        demo.endpoint,
        demo.data_dir.display()
    );
    println!();
    println!("Decrypt what the page encrypted, on the command line (admin credentials):");
    println!(
        "  AWS_SHARED_CREDENTIALS_FILE={}/credentials target/debug/kms-envelope decrypt \\",
        demo.data_dir.display()
    );
    println!(
        "    --endpoint-url {} --region us-east-1 --wrapping-key kms-discovery -i FILE.encrypted -o FILE",
        demo.endpoint
    );
    println!();
    println!("Ctrl-C stops everything.");
    // Ctrl-C reaches the whole foreground process group: both servers shut
    // down; whichever exits first ends the demo, and Drop stops the other.
    let status = demo.kms.wait()?;
    println!("kms-server stopped ({status})");
    Ok(())
}

/// Builds everything and starts the demo on `port` (0: any free port).
pub fn start(data_dir: &Path, port: u16) -> Result<Demo> {
    let package = crate::package::build()?;
    run(cargo().args(["build", "-p", "kms-server", "-p", "kms-envelope-cli"]))?;
    let www = util::root().join("www");
    let tarball = pack(&package.dir)?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-package-lock"])
        .current_dir(&www))?;
    run(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
            "--no-save",
        ])
        .arg(&tarball)
        .current_dir(&www))?;
    run(Command::new(www.join("node_modules/.bin/vite"))
        .args(["build", "--config", "vite.config.mjs"])
        .current_dir(&www))?;

    std::fs::create_dir_all(data_dir)?;
    let data_dir = data_dir.canonicalize()?;
    let page = page_credentials(&data_dir)?;
    let server_config = data_dir.join("demo-server-config.json");
    write_private(
        &server_config,
        &serde_json::to_string_pretty(&serde_json::json!({
            "access_keys": [{
                "access_key_id": page.0,
                "secret_access_key": page.1,
                "principal_arn": PAGE_PRINCIPAL,
            }],
            "identity_policies": [{
                "principal_arn": PAGE_PRINCIPAL,
                "policy_name": "demo-page-list-aliases",
                "document": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "kms:ListAliases", "Resource": "*"}
                ]},
            }],
        }))?,
    )?;

    let port = if port == 0 { free_port()? } else { port };
    let origin = format!("http://127.0.0.1:{port}");
    let server = util::target_dir().join("debug").join("kms-server");
    let mut kms = Command::new(&server)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .arg("--config")
        .arg(&server_config)
        .args(["--cors-origin", &origin])
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", server.display()))?;
    let endpoint = first_line(&mut kms, "listening on ")?;

    let config = data_dir.join("demo-config.json");
    let setup = run(Command::new("node")
        .arg(www.join("scripts/setup.mjs"))
        .env("DEMO_ENDPOINT", &endpoint)
        .env("DEMO_DATA_DIR", &data_dir)
        .env("DEMO_OUT", &config)
        .current_dir(&www));
    if let Err(e) = setup {
        let _ = kms.kill();
        return Err(e);
    }
    let mut web = Command::new("node")
        .arg(www.join("scripts/serve.mjs"))
        .arg(port.to_string())
        .arg(www.join("dist"))
        .arg(&config)
        .stdout(Stdio::piped())
        .spawn()?;
    let url = match first_line(&mut web, "serving ") {
        Ok(u) => u,
        Err(e) => {
            let _ = kms.kill();
            let _ = web.kill();
            return Err(e);
        }
    };
    Ok(Demo {
        kms,
        web,
        url,
        endpoint,
        data_dir,
    })
}

/// `npm pack`s the package; returns the tarball.
fn pack(dir: &Path) -> Result<PathBuf> {
    let npm_dir = util::target_dir().join("npm");
    let name = util::probe(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&npm_dir)
            .current_dir(dir),
    )
    .context("npm pack failed")?;
    Ok(npm_dir.join(name.trim()))
}

/// The page principal's access key, made once and kept in the data dir.
fn page_credentials(data_dir: &Path) -> Result<(String, String)> {
    let path = data_dir.join("demo-page.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let v: serde_json::Value = serde_json::from_str(&text)?;
        if let (Some(id), Some(secret)) = (v["accessKeyId"].as_str(), v["secretAccessKey"].as_str())
        {
            return Ok((id.to_owned(), secret.to_owned()));
        }
    }
    let mut random = [0u8; 36];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut random)?;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let id: String = "AKIA"
        .chars()
        .chain(
            random[..16]
                .iter()
                .map(|b| ALPHABET[usize::from(b & 31)] as char),
        )
        .collect();
    let secret = base64::engine::Engine::encode(
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &random[16..],
    );
    write_private(
        &path,
        &serde_json::to_string_pretty(&serde_json::json!({
            "principalArn": PAGE_PRINCIPAL,
            "accessKeyId": id,
            "secretAccessKey": secret,
        }))?,
    )?;
    Ok((id, secret))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Reads a child's stdout until a line starting with `prefix`; returns the
/// rest of that line. Later output is passed through.
fn first_line(child: &mut Child, prefix: &str) -> Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.strip_prefix(prefix) {
            let rest = rest.trim().to_owned();
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    println!("{line}");
                }
            });
            return Ok(rest);
        }
    }
    bail!("the process exited before printing '{prefix}...'")
}
