//! The shared state of the API: the database, the signing key, the token secret, the current
//! bundle and the in-memory caches.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use ed25519_dalek::{Signer, SigningKey};
use waymark_core::bundle::Bundle;
use waymark_core::engine::Engine;

use crate::auth::{self, KeyCache, KeyKind};
use crate::bundles::SignedKind;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::snapshot::SnapshotCache;

/// How the API server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The SQLite database file (created if missing).
    pub db: PathBuf,
    /// The secret visitor tokens are signed with; generated and stored in the database if unset.
    pub token_secret: Option<String>,
    /// How often `serve` recomputes the bandit weights.
    pub bandit_interval: Duration,
    /// How long a snapshot is valid after it is issued.
    pub snapshot_ttl: Duration,
    /// A folder served as static files for paths the API does not know.
    pub static_dir: Option<PathBuf>,
    /// Origins whose pages may call the runtime routes (bundle, snapshots, events, signing key)
    /// from a browser: values of [`crate::cors::parse_origin`], `*` for any. Empty: no CORS.
    pub cors_origins: Vec<String>,
}

impl ServerConfig {
    pub fn new(db: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            db: db.into(),
            token_secret: None,
            bandit_interval: Duration::from_secs(600),
            snapshot_ttl: Duration::from_secs(15 * 60),
            static_dir: None,
            cors_origins: Vec::new(),
        }
    }
}

/// The bundle runtimes get now, ready to serve.
#[derive(Debug)]
pub struct CurrentBundle {
    pub revision: i64,
    /// The compiled bundle: its projection filters snapshot attributes (the same as
    /// `Bundle::profile_projection`, compiled once per publication), and `decide` can use it.
    pub engine: Engine,
    /// The stored bytes, served as is.
    pub body: Bytes,
    pub etag: String,
    /// `ed25519=<base64>` over `body`.
    pub signature: String,
    /// The same bundle compiled, for runtimes without the bundle compiler (the browser SDK):
    /// `Engine::from_compiled` loads it.
    pub compiled: Bytes,
    pub compiled_etag: String,
    /// `ed25519=<base64>` over `compiled`.
    pub compiled_signature: String,
}

impl CurrentBundle {
    pub fn bundle(&self) -> &Bundle {
        self.engine.bundle()
    }
}

/// Cheap to clone; everything lives behind one `Arc`.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub config: ServerConfig,
    pub db: Arc<Db>,
    signing: SigningKey,
    token_secret: Vec<u8>,
    bundle: RwLock<Option<Arc<CurrentBundle>>>,
    pub snapshots: SnapshotCache,
    keys: KeyCache,
    pub metrics: Metrics,
    pub ingest: crate::ingest::IngestQueue,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the database, creating the signing key and token secret on first start, and loads
    /// the current bundle. Blocking: call it before serving.
    pub fn open(config: ServerConfig) -> Result<AppState, AppError> {
        let db = Db::open(&config.db)?;
        let (signing, stored_secret) = db.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let signing = match db::meta_get(&tx, "signing_key")? {
                Some(text) => decode_key(&text)?,
                None => {
                    let secret = auth::random_bytes::<32>()?;
                    db::meta_set(&tx, "signing_key", &B64.encode(secret))?;
                    SigningKey::from_bytes(&secret)
                }
            };
            let token_secret = match db::meta_get(&tx, "token_secret")? {
                Some(text) => text,
                None => {
                    let text = B64.encode(auth::random_bytes::<32>()?);
                    db::meta_set(&tx, "token_secret", &text)?;
                    text
                }
            };
            tx.commit()?;
            Ok((signing, token_secret))
        })?;
        let token_secret = config
            .token_secret
            .clone()
            .unwrap_or(stored_secret)
            .into_bytes();
        let ingest = crate::ingest::IngestQueue::start(Arc::clone(&db))?;
        let state = AppState(Arc::new(Inner {
            config,
            ingest,
            db,
            signing,
            token_secret,
            bundle: RwLock::new(None),
            snapshots: SnapshotCache::default(),
            keys: KeyCache::default(),
            metrics: Metrics::default(),
        }));
        let current = state
            .db
            .read_blocking(crate::bundles::load_current)?
            .map(|(revision, body)| state.prepare_bundle(revision, body))
            .transpose()?;
        if let Some(current) = current {
            state.set_bundle(current);
        }
        Ok(state)
    }

    /// The visitor-token secret.
    pub fn token_secret(&self) -> &[u8] {
        &self.token_secret
    }

    /// The public half of the signing key.
    pub fn verifying_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The `Waymark-Signature` value for `body` served as `kind`: the signature is over the
    /// kind's label, a newline and the body (see [`SignedKind`]).
    pub fn sign(&self, kind: SignedKind, body: &[u8]) -> String {
        let signature = self.signing.sign(&kind.message(body));
        format!("ed25519={}", B64.encode(signature.to_bytes()))
    }

    pub fn bundle(&self) -> Option<Arc<CurrentBundle>> {
        self.bundle
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn bundle_revision(&self) -> i64 {
        self.bundle().map_or(0, |b| b.revision)
    }

    /// Makes `current` the served bundle and drops every cached snapshot.
    pub fn set_bundle(&self, current: CurrentBundle) {
        *self
            .bundle
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(current));
        self.snapshots.clear();
    }

    /// Parses, hashes and signs stored bundle bytes.
    pub fn prepare_bundle(&self, revision: i64, body: Vec<u8>) -> Result<CurrentBundle, AppError> {
        let text = std::str::from_utf8(&body)
            .map_err(|e| AppError::internal(format!("stored bundle {revision}: {e}")))?;
        let bundle = Bundle::from_json(text).map_err(|e| {
            AppError::internal(format!("stored bundle {revision} no longer loads: {e}"))
        })?;
        let hash = crate::bundles::content_hash(&body);
        let (engine, compiled) = Engine::compile_encoded(bundle).map_err(|e| {
            AppError::internal(format!("stored bundle {revision} does not compile: {e}"))
        })?;
        Ok(CurrentBundle {
            revision,
            engine,
            etag: format!("\"r{revision}-{}\"", &hash[..16]),
            signature: self.sign(SignedKind::Bundle, &body),
            body: Bytes::from(body),
            // From the compiled bytes: a new engine version re-encodes the same revision.
            compiled_etag: format!(
                "\"r{revision}-{}\"",
                &crate::bundles::content_hash(&compiled)[..16]
            ),
            compiled_signature: self.sign(SignedKind::Compiled, &compiled),
            compiled: Bytes::from(compiled),
        })
    }

    /// The kind of the request's API key; 401 when missing or unknown.
    pub async fn key_kind(&self, headers: &HeaderMap) -> Result<KeyKind, AppError> {
        let credentials = auth::credentials(headers);
        let key = credentials.key.ok_or_else(|| {
            AppError::Unauthorized(
                "an API key is required (header `X-Waymark-Key` or `Authorization: Bearer`)".into(),
            )
        })?;
        self.keys
            .kind(&self.db, key)
            .await?
            .ok_or_else(|| AppError::Unauthorized("the API key is not valid".into()))
    }

    /// 401 without a valid key, 403 with a client key.
    pub async fn require_admin(&self, headers: &HeaderMap) -> Result<(), AppError> {
        match self.key_kind(headers).await? {
            KeyKind::Admin => Ok(()),
            KeyKind::Client => Err(AppError::Forbidden(
                "this route needs an admin key; a client key was given".into(),
            )),
        }
    }

    /// 401 without a valid key; admin keys pass too.
    pub async fn require_client(&self, headers: &HeaderMap) -> Result<KeyKind, AppError> {
        self.key_kind(headers).await
    }

    /// The events route's check: a key in the headers as on every route, or else a client key
    /// in the `key` query parameter, which is what `navigator.sendBeacon` can send (it cannot
    /// set headers). Admin keys are refused there (403): they belong in headers, never in URLs
    /// that end up in logs and browser histories.
    pub async fn require_events_key(
        &self,
        headers: &HeaderMap,
        query_key: Option<&str>,
    ) -> Result<KeyKind, AppError> {
        let Some(key) = query_key.filter(|_| auth::credentials(headers).key.is_none()) else {
            return self.require_client(headers).await;
        };
        match self.keys.kind(&self.db, key).await? {
            Some(KeyKind::Client) => Ok(KeyKind::Client),
            Some(KeyKind::Admin) => Err(AppError::Forbidden(
                "an admin key is accepted only in a header (`X-Waymark-Key`), never in the URL"
                    .into(),
            )),
            None => Err(AppError::Unauthorized("the API key is not valid".into())),
        }
    }
}

fn decode_key(text: &str) -> Result<SigningKey, AppError> {
    let bytes = B64
        .decode(text)
        .map_err(|e| AppError::internal(format!("stored signing key: {e}")))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| AppError::internal("stored signing key is not 32 bytes"))?;
    Ok(SigningKey::from_bytes(&bytes))
}
