//! `waymark serve`: the central API on SQLite.

use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use waymark_server::{AppState, ServerConfig};

/// Options of `waymark serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The SQLite database (created if missing).
    #[arg(long, default_value = "waymark.db")]
    pub db: PathBuf,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8700")]
    pub listen: String,
    /// Secret for visitor tokens (default: generated on first start and kept in the database).
    #[arg(long, env = "WAYMARK_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,
    /// A file holding the visitor-token secret; wins over `--token-secret` and
    /// `WAYMARK_TOKEN_SECRET`.
    #[arg(long, value_name = "PATH")]
    pub token_secret_file: Option<PathBuf>,
    /// The Ed25519 signing key, the base64 of its 32-byte seed (default: generated on first
    /// start and kept in the database). Prefer the environment variable or the file.
    #[arg(long, env = "WAYMARK_SIGNING_KEY", hide_env_values = true)]
    pub signing_key: Option<String>,
    /// A file holding the signing key (base64 of the 32-byte seed); wins over `--signing-key`
    /// and `WAYMARK_SIGNING_KEY`.
    #[arg(long, value_name = "PATH")]
    pub signing_key_file: Option<PathBuf>,
    /// Serve `/metrics` without a key (default: an admin key is required).
    #[arg(long)]
    pub public_metrics: bool,
    /// Requests per API key: RATE/BURST a second, or `off`.
    #[arg(long, default_value = "1000/2000", value_parser = rate)]
    pub key_rate: Rate,
    /// Events per profile posted with a client key: RATE/BURST a second, or `off`.
    #[arg(long, default_value = "5/300", value_parser = rate)]
    pub profile_event_rate: Rate,
    /// Events stored per profile at most (more are refused); 0: no cap.
    #[arg(long, default_value_t = 10_000)]
    pub max_events_per_profile: u64,
    /// Seconds a request may take (body and handler) before it is answered 408.
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
    /// Seconds a connection has to send a request's head before it is closed.
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Requests handled at once (more wait for a slot).
    #[arg(long, default_value_t = 512)]
    pub max_concurrency: usize,
    /// Seconds a valid API key is trusted before the database is asked again: how soon a key
    /// revoked by `waymark keys revoke` stops working on this server.
    #[arg(long, default_value_t = 10)]
    pub key_cache_ttl: u64,
    /// Seconds between bandit-weight recomputations (each republishes the bundle when the
    /// weights changed materially).
    #[arg(long, default_value_t = 600)]
    pub bandit_interval: u64,
    /// Seconds between checks for scheduled publications that are due.
    #[arg(long, default_value_t = 10)]
    pub schedule_interval: u64,
    /// Seconds a snapshot stays valid after it is issued.
    #[arg(long, default_value_t = 900)]
    pub snapshot_ttl: u64,
    /// An origin (`https://shop.example`) whose pages may call the runtime routes (bundle,
    /// snapshots, events, signing key) from a browser; repeatable; `*` for any. Default: none.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = waymark_server::cors::parse_origin)]
    pub cors_origins: Vec<String>,
}

/// A rate limit given on the command line: `RATE/BURST`, `RATE`, or `off`.
#[derive(Debug, Clone, Copy)]
pub struct Rate(Option<waymark_server::limits::Rate>);

fn rate(text: &str) -> Result<Rate, String> {
    if text == "off" {
        return Ok(Rate(None));
    }
    waymark_server::limits::Rate::parse(text).map(|r| Rate(Some(r)))
}

/// Runs the API until Ctrl-C.
pub fn serve(args: ServeArgs) -> Result<(), String> {
    init_logging();
    let mut config = ServerConfig::new(&args.db);
    config.token_secret = crate::keys::secret(
        args.token_secret_file.as_deref(),
        args.token_secret,
        "token secret",
    )?;
    config.signing_key = crate::keys::secret(
        args.signing_key_file.as_deref(),
        args.signing_key,
        "signing key",
    )?;
    config.public_metrics = args.public_metrics;
    config.key_rate = args.key_rate.0;
    config.profile_event_rate = args.profile_event_rate.0;
    config.max_events_per_profile = Some(args.max_events_per_profile).filter(|n| *n > 0);
    config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.key_cache_ttl = Duration::from_secs(args.key_cache_ttl);
    config.connections = waymark_server::ConnectionLimits {
        header_read_timeout: Duration::from_secs(args.header_timeout.max(1)),
        max_concurrency: args.max_concurrency.max(1),
    };
    config.bandit_interval = Duration::from_secs(args.bandit_interval.max(1));
    config.snapshot_ttl = Duration::from_secs(args.snapshot_ttl.max(1));
    config.schedule_interval = Duration::from_secs(args.schedule_interval.max(1));
    config.cors_origins = args.cors_origins;
    let state = AppState::open(config).map_err(|e| format!("{}: {e}", args.db.display()))?;
    let admins = state
        .db
        .read_blocking(waymark_server::auth::list_keys)
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|k| k.kind == waymark_server::auth::KeyKind::Admin)
        .count();
    if admins == 0 {
        eprintln!(
            "waymark: no admin key yet; create one with `waymark keys create --admin --db {}`",
            args.db.display()
        );
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("starting tokio: {e}"))?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        waymark_server::spawn_bandit_schedule(state.clone());
        waymark_server::spawn_publication_schedule(state.clone());
        println!("Waymark API: http://{addr}/");
        let limits = state.config.connections;
        waymark_server::serve(listener, waymark_server::app(state), limits)
            .await
            .map_err(|e| format!("server stopped: {e}"))
    })
}

/// Logs to stderr at `info` (`WAYMARK_LOG=debug|warn|error` changes the level).
fn init_logging() {
    use tracing_subscriber::filter::LevelFilter;
    let level = match std::env::var("WAYMARK_LOG").as_deref() {
        Ok("debug") => LevelFilter::DEBUG,
        Ok("warn") => LevelFilter::WARN,
        Ok("error") => LevelFilter::ERROR,
        Ok("off") => LevelFilter::OFF,
        _ => LevelFilter::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}
