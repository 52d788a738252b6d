//! `waymark demo`: the central API on a fresh SQLite file with the sample shop bundle and
//! profiles, the browser SDK, and the demo shop page, on one local port.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use waymark_server::auth::{self, KeyKind};
use waymark_server::{AppState, ServerConfig};

/// Options of `waymark demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// Folder holding the built SDK (dist/) and the demo pages (demo/).
    #[arg(long, default_value = "www")]
    www: PathBuf,
    /// Folder holding the sample bundle.json and profiles.ndjson.
    #[arg(long, default_value = "tests/fixtures/shop")]
    fixtures: PathBuf,
    /// Another origin whose pages may call the API's runtime routes from a browser; repeatable;
    /// `*` for any. The demo's own origins (`http://ADDR`, and `http://localhost:PORT` on a
    /// loopback address) are always allowed.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = waymark_server::cors::parse_origin)]
    cors_origins: Vec<String>,
}

/// The surface the demo page plays: it pretends to be a product page of shop.example.
const SURFACE: &str = "web://shop.example/product/42";

pub fn demo(args: DemoArgs) -> Result<(), String> {
    if !args.www.join("dist").is_dir() {
        return Err(format!(
            "{} has no dist/ folder: build the SDK first with `bash scripts/build.sh www`",
            args.www.display()
        ));
    }
    let dir = std::env::temp_dir().join(format!("waymark-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Bound first: the allowed CORS origins name the port.
    let listener = std::net::TcpListener::bind(&args.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut config = ServerConfig::new(dir.join("demo.db"));
    config.static_dir = Some(args.www.clone());
    config.cors_origins = own_origins(addr);
    config.cors_origins.extend(args.cors_origins);
    let state = AppState::open(config).map_err(|e| e.to_string())?;
    let page = setup(&state, &args.fixtures).map_err(|e| format!("setting up the demo: {e}"))?;

    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("starting tokio: {e}"))?;
    let served = runtime.block_on(async {
        let listener = TcpListener::from_std(listener).map_err(|e| e.to_string())?;
        let index = Page {
            path: args.www.join("demo/index.html"),
            client_key: page["clientKey"].as_str().unwrap_or_default().to_owned(),
        };
        let (plain, strict) = (index.clone(), index.clone());
        let router = waymark_server::app(state.clone())
            .route("/demo/config.json", get(move || async move { Json(page.clone()) }))
            .route("/demo/", get(move || serve_page(plain.clone(), false)))
            .route("/demo/index.html", get(move || serve_page(index.clone(), false)))
            .route("/demo/strict", get(move || serve_page(strict.clone(), true)));
        println!("Waymark demo: http://{addr}/demo/  (API at http://{addr}/v1, reports: waymark report --db {})", dir.join("demo.db").display());
        waymark_server::serve(listener, router, state.config.connections).await.map_err(|e| format!("server stopped: {e}"))
    });
    let _ = std::fs::remove_dir_all(&dir);
    served
}

/// The origins a browser sees the demo at: its address, and `localhost` for a loopback one.
fn own_origins(addr: std::net::SocketAddr) -> Vec<String> {
    let mut origins = vec![format!("http://{addr}")];
    if addr.ip().is_loopback() {
        origins.push(format!("http://localhost:{}", addr.port()));
    }
    origins
}

/// The strict Content-Security-Policy of `/demo/strict`: no inline script but the page's own
/// (the snippet and the set-up, allowed by their SHA-256), no eval but WebAssembly's, no inline
/// style, only this origin.
pub fn strict_policy(html: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hashes: Vec<String> = html
        .split("<script>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</script>").map(|(code, _)| code))
        .map(|code| {
            let digest = sha2::Sha256::digest(code.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; connect-src 'self'; style-src 'self'",
        hashes.join(" ")
    )
}

/// The demo page, as a site would serve it: the client key written into its inline set-up.
#[derive(Debug, Clone)]
struct Page {
    path: PathBuf,
    client_key: String,
}

/// `GET /demo/` (and `/demo/strict`, under [`strict_policy`]): the demo page.
async fn serve_page(page: Page, strict: bool) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    match std::fs::read_to_string(&page.path) {
        Ok(html) => {
            let html = html.replace("{{clientKey}}", &page.client_key);
            let mut headers = vec![(header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned())];
            if strict {
                headers.push((header::CONTENT_SECURITY_POLICY, strict_policy(&html)));
            }
            let mut response = html.into_response();
            for (name, value) in headers {
                if let Ok(value) = header::HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Err(e) => (
            StatusCode::NOT_FOUND,
            format!("{}: {e}", page.path.display()),
        )
            .into_response(),
    }
}

/// Publishes the sample bundle, imports the sample profiles, creates a client key and visitor
/// tokens, and returns the page's configuration.
fn setup(state: &AppState, fixtures: &Path) -> Result<Value, String> {
    let text = super::read(&fixtures.join("bundle.json"))?;
    let bundle: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    waymark_core::bundle::Bundle::from_json(&text).map_err(|e| e.to_string())?;
    let (revision, body) = state
        .db
        .write_blocking(|conn| waymark_server::bundles::store(conn, bundle, "demo"))
        .map_err(|e| e.to_string())?;
    state.set_bundle(
        state
            .prepare_bundle(revision, body)
            .map_err(|e| e.to_string())?,
    );

    let path = fixtures.join("profiles.ndjson");
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    waymark_server::import::import(&state.db, BufReader::new(file), |_| {})
        .map_err(|e| e.to_string())?;

    let (client, _) = state
        .db
        .write_blocking(|conn| auth::create_key(conn, KeyKind::Client, "demo page"))
        .map_err(|e| e.to_string())?;
    let expires = jiff::Timestamp::now().as_second() + 24 * 3600;
    let mut profiles = Vec::new();
    for line in super::read(&path)?.lines().filter(|l| !l.trim().is_empty()) {
        let (id, doc) = waymark_server::import::parse_line(line)?;
        let name = doc
            .attributes
            .get("firstName")
            .and_then(Value::as_str)
            .unwrap_or("(no name)")
            .to_owned();
        let token =
            auth::mint_token(state.token_secret(), &id, expires).map_err(|e| e.to_string())?;
        profiles.push(json!({"id": id, "label": format!("{name} ({id})"), "token": token}));
    }
    Ok(json!({"clientKey": client, "surface": SURFACE, "profiles": profiles}))
}
