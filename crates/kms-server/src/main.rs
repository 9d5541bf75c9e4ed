//! The `kms-server` binary.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser as _;
use kms_server::config::{AuditCommand, Cli, Command, ConfigFile, LogFormat};
use kms_server::state::{AppState, ServerOptions};
use tracing_subscriber::EnvFilter;

/// How often due rotations run and keys past their deletion date are removed.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How often keys' last use is written to the store.
const USAGE_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    if let Some(Command::Audit {
        action: AuditCommand::Verify { data_dir },
    }) = &cli.command
    {
        return verify_audit_log(data_dir);
    }
    let config = match &cli.config {
        Some(path) => ConfigFile::load_config(path)?,
        None => Default::default(),
    };
    let extra_keys = config.access_keys;
    let options = ServerOptions {
        cors_origins: cli.cors_origins.clone(),
        max_body_bytes: cli.max_body_bytes,
        identity_policies: config.identity_policies,
        grants_per_key: config.grants_per_key,
        test_clock: cli.test_clock,
        quotas_enabled: config.quotas_enabled && !cli.no_request_quotas,
        quota_rates: config.quota_rates,
        audit: true,
    };
    let (state, data_dir) = AppState::open(
        &cli.data_dir,
        &cli.account_id,
        &cli.region,
        extra_keys,
        options,
    )?;
    let state = Arc::new(state);
    tracing::info!(
        data_dir = %data_dir.path.display(),
        created = data_dir.created,
        admin_access_key_id = %data_dir.admin.access_key_id,
        admin_principal = %data_dir.admin.principal.arn,
        access_keys = state.access_keys.len(),
        "data directory ready"
    );

    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let addr = listener.local_addr()?;
    {
        // The first stdout line is the contract with scripts and tests.
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, "listening");

    let sweeper_state = Arc::clone(&state);
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            tick.tick().await;
            match kms_server::handlers::lifecycle::sweep(&sweeper_state).await {
                Ok(r) if r.deleted == 0 && r.rotated == 0 && r.expired == 0 => {}
                Ok(r) => tracing::info!(
                    deleted = r.deleted,
                    rotated = r.rotated,
                    expired = r.expired,
                    "lifecycle sweep: keys past their deletion date removed, due rotations done"
                ),
                Err(e) => tracing::error!(error = %e, "lifecycle sweep failed"),
            }
        }
    });

    // Keys' last use reaches the store in batches, off the request path.
    let flusher_state = Arc::clone(&state);
    let flusher = tokio::spawn(async move {
        let mut tick = tokio::time::interval(USAGE_FLUSH_INTERVAL);
        loop {
            tick.tick().await;
            let st = Arc::clone(&flusher_state);
            match tokio::task::spawn_blocking(move || st.flush_usage()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "saving keys' last use failed"),
                Err(e) => tracing::error!(error = %e, "key last use flush task failed"),
            }
        }
    });

    let app = kms_server::app(Arc::clone(&state));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    sweeper.abort();
    flusher.abort();
    if let Err(e) = state.flush_usage() {
        tracing::error!(error = %e, "saving keys' last use at shutdown failed");
    }
    if let Some(audit) = &state.audit {
        audit.close();
    }
    Ok(())
}

/// `kms-server audit verify`: exit 0 when intact, 1 at the first break.
fn verify_audit_log(data_dir: &std::path::Path) -> anyhow::Result<()> {
    use kms_server::audit::{Verdict, verify};
    let verdict = verify(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot read the audit log of {}: {e}", data_dir.display()))?;
    match verdict {
        Verdict::Intact { records, last_hash } => {
            println!("audit log intact: {records} records, last hash {last_hash}");
            Ok(())
        }
        Verdict::Broken {
            line,
            sequence,
            request_id,
            reason,
        } => {
            println!(
                "audit log broken at line {line} (record {sequence}{}): {reason}",
                request_id
                    .map(|r| format!(", requestID {r}"))
                    .unwrap_or_default()
            );
            std::process::exit(1);
        }
    }
}
