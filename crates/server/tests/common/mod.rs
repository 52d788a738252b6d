//! The real API on 127.0.0.1 (random port, temporary database) for the HTTP tests, with an admin
//! and a client key.

use std::path::PathBuf;

use reqwest::Client;
use waymark_server::auth::{self, KeyKind};
use waymark_server::{AppState, ServerConfig};

#[allow(dead_code)] // not every test file publishes the shop
pub const SHOP: &str = include_str!("../../../../tests/fixtures/shop/bundle.json");

pub struct Server {
    pub url: String,
    pub admin: String,
    #[allow(dead_code)] // not every test file posts as a client
    pub client: String,
    pub http: Client,
    /// The server's state, for tests that call the server's functions directly (scheduled
    /// publications at a given time).
    #[allow(dead_code)]
    pub state: AppState,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts an API whose database lives in a fresh temporary folder named after `name`, with the
/// configuration `configure` leaves.
pub async fn start_with(name: &str, configure: impl FnOnce(&mut ServerConfig)) -> Server {
    let dir = std::env::temp_dir().join(format!(
        "waymark-{name}-{}-{}",
        std::process::id(),
        auth::hex(&auth::random_bytes::<6>().unwrap())
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = ServerConfig::new(dir.join("api.db"));
    configure(&mut config);
    let state = AppState::open(config).unwrap();
    let (admin, _) = state
        .db
        .write_blocking(|c| auth::create_key(c, KeyKind::Admin, "admin"))
        .unwrap();
    let (client, _) = state
        .db
        .write_blocking(|c| auth::create_key(c, KeyKind::Client, "web"))
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    waymark_server::spawn_bandit_schedule(state.clone());
    waymark_server::spawn_publication_schedule(state.clone());
    let limits = state.config.connections;
    tokio::spawn(waymark_server::serve(
        listener,
        waymark_server::app(state.clone()),
        limits,
    ));
    Server {
        url,
        admin,
        client,
        http: Client::new(),
        state,
        dir,
    }
}
