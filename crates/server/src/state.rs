//! The shared state of the API: the database, the signing key, the token secret, the current
//! bundle and the in-memory caches.

use std::num::NonZeroU32;
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

use crate::auth::{self, Identity, KeyCache, KeyKind};
use crate::bundles::SignedKind;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::limits::{KeyedLimit, Rate, Refused};
use crate::metrics::Metrics;
use crate::snapshot::SnapshotCache;

/// How the API server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The SQLite database file (created if missing, mode 0600).
    pub db: PathBuf,
    /// The secret visitor tokens are signed with; when unset, the one stored in the database
    /// (generated and stored on first start).
    pub token_secret: Option<String>,
    /// The Ed25519 signing key: the base64 of its 32-byte seed; when unset, the one stored in
    /// the database (generated and stored on first start).
    pub signing_key: Option<String>,
    /// Serve `/metrics` without a key; by default it needs an admin key.
    pub public_metrics: bool,
    /// How long a server trusts a valid API key before asking the database again: a key revoked
    /// by another process stops working within this time (at once in the process that revokes).
    pub key_cache_ttl: Duration,
    /// Requests per API key (each request with a key takes one token); `None`: no limit.
    pub key_rate: Option<Rate>,
    /// Events per profile posted with a client key (each event takes one token); `None`: no
    /// limit. A request whose events exceed a profile's bucket is refused whole (429).
    pub profile_event_rate: Option<Rate>,
    /// Events stored per profile at most; events over it are refused (listed in `rejected`),
    /// the stored ones are kept. `None`: no cap.
    pub max_events_per_profile: Option<u64>,
    /// A request (body read and handler) that takes longer is answered 408.
    pub request_timeout: Duration,
    /// Connection-level limits, applied by [`crate::serve`].
    pub connections: ConnectionLimits,
    /// How often `serve` recomputes the bandit weights (and republishes them when they changed
    /// materially: `bandit::is_material`).
    pub bandit_interval: Duration,
    /// How long a snapshot is valid after it is issued.
    pub snapshot_ttl: Duration,
    /// A folder served as static files for paths the API does not know.
    pub static_dir: Option<PathBuf>,
    /// How often `serve` publishes the scheduled publications that are due.
    pub schedule_interval: Duration,
    /// The clock scheduled publications are due by: the system clock, or one a test sets.
    pub clock: Clock,
    /// Origins whose pages may call the runtime routes (bundle, snapshots, events, signing key)
    /// from a browser: values of [`crate::cors::parse_origin`], `*` for any. Empty: no CORS.
    pub cors_origins: Vec<String>,
}

/// The time scheduled publications are due by (and the audit log's time): the system clock, or
/// a manual one that only moves when set, so tests decide when "now" passes a scheduled time.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// Unix milliseconds, shared by every clone.
    Manual(Arc<std::sync::atomic::AtomicI64>),
}

impl Clock {
    /// A manual clock at `ms`.
    pub fn manual(ms: i64) -> Clock {
        Clock::Manual(Arc::new(std::sync::atomic::AtomicI64::new(ms)))
    }

    /// Unix milliseconds now.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => crate::db::now_ms(),
            Clock::Manual(ms) => ms.load(std::sync::atomic::Ordering::SeqCst),
        }
    }

    /// Sets a manual clock (the system clock cannot be set: nothing happens).
    pub fn set(&self, ms: i64) {
        if let Clock::Manual(now) = self {
            now.store(ms, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// What [`crate::serve`] allows each connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A connection whose request head (request line and headers) has not fully arrived within
    /// this time is closed.
    pub header_read_timeout: Duration,
    /// Requests handled at once; more wait for a slot (and time out after `request_timeout`).
    pub max_concurrency: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_concurrency: 512,
        }
    }
}

impl ServerConfig {
    pub fn new(db: impl Into<PathBuf>) -> ServerConfig {
        let rate = |per_second: u32, burst: u32| {
            Some(Rate::per_second(
                NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN),
                NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
            ))
        };
        ServerConfig {
            db: db.into(),
            token_secret: None,
            signing_key: None,
            public_metrics: false,
            key_cache_ttl: Duration::from_secs(10),
            key_rate: rate(1000, 2000),
            profile_event_rate: rate(5, 300),
            max_events_per_profile: Some(10_000),
            request_timeout: Duration::from_secs(30),
            connections: ConnectionLimits::default(),
            bandit_interval: Duration::from_secs(600),
            schedule_interval: Duration::from_secs(10),
            clock: Clock::System,
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
    key_limit: KeyedLimit,
    /// Events per profile (client keys).
    pub profile_limit: KeyedLimit,
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
        let given_key = config
            .signing_key
            .as_deref()
            .map(|text| decode_key(text, "the configured signing key"))
            .transpose()?;
        let given_secret = config.token_secret.clone();
        // Secrets given by the configuration are used as given and never stored.
        let (signing, token_secret) = db.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let signing = match (given_key, db::meta_get(&tx, "signing_key")?) {
                (Some(key), _) => key,
                (None, Some(text)) => decode_key(&text, "the stored signing key")?,
                (None, None) => {
                    let secret = auth::random_bytes::<32>()?;
                    db::meta_set(&tx, "signing_key", &B64.encode(secret))?;
                    SigningKey::from_bytes(&secret)
                }
            };
            let token_secret = match (given_secret, db::meta_get(&tx, "token_secret")?) {
                (Some(text), _) | (None, Some(text)) => text,
                (None, None) => {
                    let text = B64.encode(auth::random_bytes::<32>()?);
                    db::meta_set(&tx, "token_secret", &text)?;
                    text
                }
            };
            tx.commit()?;
            Ok((signing, token_secret.into_bytes()))
        })?;
        let ingest =
            crate::ingest::IngestQueue::start(Arc::clone(&db), config.max_events_per_profile)?;
        let state = AppState(Arc::new(Inner {
            keys: KeyCache::new(config.key_cache_ttl),
            key_limit: KeyedLimit::new(config.key_rate),
            profile_limit: KeyedLimit::new(config.profile_event_rate),
            config,
            ingest,
            db,
            signing,
            token_secret,
            bundle: RwLock::new(None),
            snapshots: SnapshotCache::default(),
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

    /// Makes `current` the served bundle and drops every cached snapshot, unless a newer
    /// revision is served already (two publications that finish out of order).
    pub fn set_bundle(&self, current: CurrentBundle) {
        let mut served = self
            .bundle
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if served
            .as_ref()
            .is_some_and(|s| s.revision > current.revision)
        {
            return;
        }
        *served = Some(Arc::new(current));
        drop(served);
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

    /// The kind of the request's API key; 401 when missing, unknown or revoked, 429 when the
    /// key is over its rate.
    pub async fn key_kind(&self, headers: &HeaderMap) -> Result<KeyKind, AppError> {
        Ok(self.identity(headers).await?.kind)
    }

    /// Who the request's API key is; 401 when missing, unknown or revoked, 429 when the key is
    /// over its rate.
    pub async fn identity(&self, headers: &HeaderMap) -> Result<Identity, AppError> {
        let credentials = auth::credentials(headers);
        let key = credentials.key.ok_or_else(|| {
            AppError::Unauthorized(
                "an API key is required (header `X-Waymark-Key` or `Authorization: Bearer`)".into(),
            )
        })?;
        self.identity_of(key).await
    }

    /// The kind of `key`, charged one request against its rate.
    pub async fn kind_of(&self, key: &str) -> Result<KeyKind, AppError> {
        Ok(self.identity_of(key).await?.kind)
    }

    /// Who `key` is, charged one request against its rate.
    pub async fn identity_of(&self, key: &str) -> Result<Identity, AppError> {
        let kind = self
            .keys
            .identity(&self.db, key)
            .await?
            .ok_or_else(|| AppError::Unauthorized("the API key is not valid".into()))?;
        self.key_limit
            .take(key, 1)
            .map_err(|refused| match refused {
                Refused::RetryAfter(seconds) => AppError::TooManyRequests {
                    detail: format!(
                        "this API key is over its rate of requests; retry in {seconds} s"
                    ),
                    retry_after: seconds,
                },
                Refused::OverBurst(_) => AppError::internal("a request costs one token"),
            })?;
        Ok(kind)
    }

    /// Revokes a key (by id, value or prefix) and forgets every cached key at once.
    pub async fn revoke_key(&self, which: String) -> Result<auth::KeyInfo, AppError> {
        let info = self
            .db
            .write(move |conn| auth::revoke_key(conn, &which))
            .await?;
        self.keys.clear();
        Ok(info)
    }
}

fn decode_key(text: &str, what: &str) -> Result<SigningKey, AppError> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|e| AppError::internal(format!("{what} is not base64: {e}")))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| AppError::internal(format!("{what} is not the base64 of 32 bytes")))?;
    Ok(SigningKey::from_bytes(&bytes))
}
