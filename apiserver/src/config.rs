//! Flags of porch-server and the start-up sequence: credentials, Store,
//! watch cache, registry, listener, kubeconfig.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use porch_engine::store::{EtcdOptions, EtcdStore, HistoryWindow, RedbOptions, RedbStore, Store};
use serde_json::json;

use crate::auth::Authenticator;
use crate::discovery::Discovery;
use crate::openapi::OpenApi;
use crate::registry::Registry;
use crate::resources;
use crate::state::{AppState, RestOptions};
use crate::storage::cache::Cache;
use crate::storage::objects::Objects;

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d: jiff::SignedDuration = s
        .parse()
        .map_err(|e| format!("invalid duration {s:?}: {e}"))?;
    Duration::try_from(d).map_err(|_| format!("duration {s:?} must not be negative"))
}

/// porch-server flags.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "porch-server",
    version,
    about = "porch-rs: Porch-compatible package orchestration apiserver"
)]
pub struct Config {
    /// Directory holding the Store (redb), certificates, the admin kubeconfig and git caches.
    #[arg(long, env = "PORCH_DATA_DIR", default_value = "porch-data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_address: String,
    /// HTTPS port (0 picks a free one; the kubeconfig names the port in use).
    #[arg(long, default_value_t = 4443)]
    pub secure_port: u16,
    /// etcd endpoints (comma separated); the Store lives in redb under --data-dir when empty.
    #[arg(long, value_delimiter = ',')]
    pub etcd_servers: Vec<String>,
    /// Key prefix of everything porch-rs writes to etcd.
    #[arg(long, default_value = "/porch-rs")]
    pub etcd_prefix: String,
    /// Events kept for resuming watches (revisions).
    #[arg(long, default_value_t = 100_000)]
    pub watch_history: u64,
    /// Age beyond which events are dropped from the history (e.g. `1h`).
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub watch_history_age: Duration,
    /// Largest accepted request body in bytes (64 MiB of package content must fit once encoded).
    #[arg(long, default_value_t = 96 * 1024 * 1024)]
    pub max_request_body_bytes: usize,
    /// Period of BOOKMARK events on watches that allow them.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub bookmark_interval: Duration,
    /// Period of the cheap change poll (ls-remote) of every registered repository.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub repo_sync_interval: Duration,
    /// Bound of every git network operation (a hanging server fails after it).
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    pub git_timeout: Duration,
    /// Do not sync git repositories (serve the API machinery only; for tests of the REST layer).
    #[arg(long)]
    pub disable_repository_sync: bool,
    /// Create and register an example blueprint repository on first start.
    #[arg(long)]
    pub demo: bool,
    /// Expiry of a package revision operation lock whose holder died (flag; tests set it low).
    #[arg(long, value_parser = parse_duration, default_value = "2m")]
    pub operation_lock_ttl: Duration,
    /// Address of a `porch-fn-runner` (host:port) for functions that are not builtins.
    #[arg(long, env = "PORCH_FUNCTION_RUNNER")]
    pub function_runner: Option<String>,
    /// Prefix of function images named without a registry (Porch's `--default-image-prefix`).
    #[arg(long, default_value = "ghcr.io/kptdev/krm-functions-catalog")]
    pub default_image_prefix: String,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, env = "PORCH_LOG", default_value = "info")]
    pub log: String,
}

async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let mut history = HistoryWindow::revisions(config.watch_history.max(1));
    history.max_age = Some(config.watch_history_age);
    if config.etcd_servers.is_empty() {
        let path = config.data_dir.join("store.redb");
        let opts = RedbOptions {
            history,
            ..RedbOptions::default()
        };
        let store = RedbStore::open(&path, opts)
            .with_context(|| format!("opening the Store at {}", path.display()))?;
        Ok(Arc::new(store))
    } else {
        let opts = EtcdOptions {
            history,
            ..EtcdOptions::default()
        };
        let store = EtcdStore::connect(&config.etcd_servers, &config.etcd_prefix, opts)
            .await
            .with_context(|| format!("connecting to etcd at {}", config.etcd_servers.join(",")))?;
        Ok(Arc::new(store))
    }
}

/// The resources this server serves.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    r.register(Arc::new(resources::repository::RepositoryStrategy::new()));
    r.register(Arc::new(resources::core::NamespaceStrategy::new()));
    r.register(Arc::new(resources::core::SecretStrategy::new()));
    r.register(Arc::new(
        resources::packagerevision::PackageRevisionStrategy::new(),
    ));
    r.register(Arc::new(
        resources::packagerevision::PackageRevisionResourcesStrategy::new(),
    ));
    r.register(Arc::new(
        resources::packagerevision::PorchPackageStrategy::new(),
    ));
    r
}

/// Make sure `default` exists, as on every Kubernetes cluster.
async fn ensure_default_namespace(objects: &Objects) -> anyhow::Result<()> {
    objects
        .cache()
        .sync()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = format!(
        "{}core/namespaces/default",
        crate::storage::cache::REGISTRY_PREFIX
    );
    if objects.cache().get(&key).is_some() {
        return Ok(());
    }
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default",
        "uid": uuid::Uuid::new_v4().to_string(), "creationTimestamp": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    match objects.create(&key, &ns).await {
        Ok(_) | Err(crate::storage::objects::WriteError::Exists) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("creating namespace default: {e:?}")),
    }
}

/// Start the standalone server and serve until the process is stopped.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let data_dir = config
        .data_dir
        .canonicalize()
        .unwrap_or_else(|_| config.data_dir.clone());
    let creds =
        crate::bootstrap::credentials(&data_dir, std::slice::from_ref(&config.bind_address))?;
    let store = open_store(&config).await?;
    let registry = registry();
    let cache = Cache::start(store, config.watch_history as usize, registry.indexes())
        .await
        .context("loading the Store")?;
    let objects = Objects::new(cache);
    let addr: SocketAddr = format!("{}:{}", config.bind_address, config.secure_port)
        .parse()
        .or_else(|_| format!("[{}]:{}", config.bind_address, config.secure_port).parse())
        .with_context(|| format!("invalid --bind-address {:?}", config.bind_address))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    let host = if local.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        local.ip().to_string()
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let url = format!("https://{host}:{}", local.port());
    let git = Arc::new(porch_engine::git::GitCache::new(
        data_dir.join("git"),
        porch_engine::git::GitOptions {
            timeout: config.git_timeout,
        },
    ));
    let state = Arc::new(AppState {
        discovery: Discovery::build(&registry, &format!("{host}:{}", local.port())),
        openapi: OpenApi::build(&registry),
        registry,
        objects: objects.clone(),
        options: RestOptions {
            max_body: config.max_request_body_bytes,
            bookmark_interval: config.bookmark_interval,
            operation_lock_ttl: config.operation_lock_ttl,
        },
        auth: Authenticator::standalone(&creds.admin_token),
        git: Some(Arc::clone(&git)),
        renderer: porch_engine::authoring::Renderer::with_runner(
            config.function_runner.as_deref(),
            &config.default_image_prefix,
        )
        .map_err(|e| anyhow::anyhow!("--function-runner: {e}"))?,
    });
    ensure_default_namespace(&objects).await?;
    if config.demo {
        crate::demo::ensure(&data_dir, &objects).await?;
    }
    if !config.disable_repository_sync {
        let opts = crate::sync::SyncOptions {
            poll_interval: config.repo_sync_interval,
        };
        crate::sync::spawn(Arc::clone(&state), git, opts);
    }
    let acceptor = crate::server::tls_acceptor(&creds.cert_pem, &creds.key_pem)?;
    let kubeconfig = crate::bootstrap::write_kubeconfig(&data_dir, &url, &creds)?;
    tracing::info!(%url, kubeconfig = %kubeconfig.display(), "porch-server ready");
    println!(
        "porch-server listening on {url}\nPoint kubectl at it with:\n  export KUBECONFIG={}\n  kubectl api-resources",
        kubeconfig.display()
    );
    let router = crate::server::router(Arc::clone(&state));
    tokio::select! {
        _ = crate::server::serve(listener, acceptor, router) => Ok(()),
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}
