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
    /// Seconds between bandit-weight recomputations.
    #[arg(long, default_value_t = 600)]
    pub bandit_interval: u64,
    /// Seconds a snapshot stays valid after it is issued.
    #[arg(long, default_value_t = 900)]
    pub snapshot_ttl: u64,
    /// An origin (`https://shop.example`) whose pages may call the runtime routes (bundle,
    /// snapshots, events, signing key) from a browser; repeatable; `*` for any. Default: none.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = waymark_server::cors::parse_origin)]
    pub cors_origins: Vec<String>,
}

/// Runs the API until Ctrl-C.
pub fn serve(args: ServeArgs) -> Result<(), String> {
    init_logging();
    let mut config = ServerConfig::new(&args.db);
    config.token_secret = args.token_secret;
    config.bandit_interval = Duration::from_secs(args.bandit_interval.max(1));
    config.snapshot_ttl = Duration::from_secs(args.snapshot_ttl.max(1));
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
        println!("Waymark API: http://{addr}/");
        waymark_server::serve(listener, waymark_server::app(state))
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
