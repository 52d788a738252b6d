//! API keys, visitor tokens, and who may do what.
//!
//! Headers:
//! - `X-Waymark-Key: <key>` carries an API key (`wma_…` admin, `wmc_…` client).
//! - `Authorization: Bearer <…>` carries either an API key (when there is no `X-Waymark-Key`)
//!   or a visitor token (`wmt.…`). A request with a client key and a visitor token sends the
//!   key in `X-Waymark-Key` and the token in `Authorization`.
//!
//! Keys are random (256 bits), shown once, and stored only as their SHA-256. Visitor tokens are
//! `wmt.<base64url payload>.<base64url HMAC-SHA256(payload)>` with payload
//! `{"p": profile id, "exp": unix seconds}`, signed with the server's token secret.
//!
//! Keys can be revoked ([`revoke_key`]). Each server remembers valid keys for
//! [`KeyCache::ttl`] at most, and forgets them all at once when it revokes one itself; so a key
//! revoked by another process (`waymark keys revoke`) stops working within that time.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// What a key may do. Admin keys may do everything a client key may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Admin,
    Client,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Admin => "admin",
            KeyKind::Client => "client",
        }
    }

    fn parse(s: &str) -> Option<KeyKind> {
        match s {
            "admin" => Some(KeyKind::Admin),
            "client" => Some(KeyKind::Client),
            _ => None,
        }
    }
}

/// What a management key (kind `admin`) may do: an admin everything; an editor write drafts,
/// preview decisions and read; a viewer read reports, bundles, drafts and schedules. Keys made
/// before roles existed are admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// Who a valid key is: its record's id and name (what the audit log shows), kind and role
/// (management keys only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: i64,
    pub name: String,
    pub kind: KeyKind,
    pub role: Option<Role>,
}

impl Identity {
    /// Whether the key has at least `role` (client keys have no role).
    pub fn has(&self, role: Role) -> bool {
        self.kind == KeyKind::Admin && self.role.is_some_and(|r| r >= role)
    }

    /// The name the audit log records: the key's name, or `key #id` when it has none.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("key #{}", self.id)
        } else {
            self.name.clone()
        }
    }
}

/// A stored key, without its secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub id: i64,
    pub kind: KeyKind,
    /// The role of a management key (`admin`, `editor`, `viewer`); none for client keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: i64,
    /// When the key was revoked (ms since 1970); revoked keys authenticate nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// Random bytes from the OS.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| AppError::internal(format!("OS randomness: {e}")))?;
    Ok(bytes)
}

fn hash_key(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a key and returns it (the only time it is visible) with its record; an admin-kind
/// key gets the admin role.
pub fn create_key(
    conn: &Connection,
    kind: KeyKind,
    name: &str,
) -> Result<(String, KeyInfo), AppError> {
    let role = match kind {
        KeyKind::Admin => Some(Role::Admin),
        KeyKind::Client => None,
    };
    create_key_as(conn, kind, role, name)
}

/// Creates a management key with `role` (`wma_…` admin, `wme_…` editor, `wmv_…` viewer).
pub fn create_role_key(
    conn: &Connection,
    role: Role,
    name: &str,
) -> Result<(String, KeyInfo), AppError> {
    create_key_as(conn, KeyKind::Admin, Some(role), name)
}

fn create_key_as(
    conn: &Connection,
    kind: KeyKind,
    role: Option<Role>,
    name: &str,
) -> Result<(String, KeyInfo), AppError> {
    let prefix = match (kind, role) {
        (KeyKind::Client, _) => "wmc_",
        (KeyKind::Admin, Some(Role::Editor)) => "wme_",
        (KeyKind::Admin, Some(Role::Viewer)) => "wmv_",
        (KeyKind::Admin, _) => "wma_",
    };
    let key = format!("{prefix}{}", B64URL.encode(random_bytes::<32>()?));
    let shown: String = key.chars().take(10).collect();
    let now = crate::db::now_ms();
    conn.execute(
        "INSERT INTO api_keys (kind, role, name, hash, prefix, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            kind.as_str(),
            role.map(Role::as_str),
            name,
            hash_key(&key),
            shown,
            now
        ],
    )?;
    let info = KeyInfo {
        id: conn.last_insert_rowid(),
        kind,
        role,
        name: name.to_owned(),
        prefix: shown,
        created_at: now,
        revoked_at: None,
    };
    Ok((key, info))
}

const KEY_COLUMNS: &str = "id, kind, name, prefix, created_at, revoked_at, role";

fn key_info(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyInfo> {
    let id: i64 = row.get(0)?;
    let kind: String = row.get(1)?;
    let kind = KeyKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("key {id} has kind {kind}").into(),
        )
    })?;
    let role: Option<String> = row.get(6)?;
    Ok(KeyInfo {
        id,
        kind,
        role: role.as_deref().and_then(Role::parse),
        name: row.get(2)?,
        prefix: row.get(3)?,
        created_at: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

/// Every key, oldest first, revoked ones included.
pub fn list_keys(conn: &Connection) -> Result<Vec<KeyInfo>, AppError> {
    let mut stmt = conn.prepare(&format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id"))?;
    let keys = stmt
        .query_map([], key_info)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(keys)
}

/// Revokes one key, named by its id, by the key itself, or by the start of its prefix (as
/// `waymark keys list` shows it); revoking a revoked key changes nothing. 404 when nothing
/// matches, 409 when a prefix matches several keys.
pub fn revoke_key(conn: &Connection, which: &str) -> Result<KeyInfo, AppError> {
    let which = which.trim();
    let mut stmt = conn.prepare(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys
         WHERE id = ?1 OR hash = ?2 OR (length(?3) >= 5 AND substr(prefix, 1, length(?3)) = ?3)"
    ))?;
    let id = which.parse::<i64>().ok();
    let matches = stmt
        .query_map(params![id, hash_key(which), which], key_info)?
        .collect::<Result<Vec<_>, _>>()?;
    let key = match matches.as_slice() {
        [] => {
            return Err(AppError::NotFound(format!(
                "no key has the id, value or prefix `{which}` (prefixes need 5 characters or more)"
            )));
        }
        [key] => key,
        several => {
            let ids: Vec<String> = several.iter().map(|k| k.id.to_string()).collect();
            return Err(AppError::Conflict(format!(
                "`{which}` is the prefix of several keys (ids {}); give the id",
                ids.join(", ")
            )));
        }
    };
    let now = crate::db::now_ms();
    conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![key.id, now],
    )?;
    Ok(KeyInfo {
        revoked_at: key.revoked_at.or(Some(now)),
        ..key.clone()
    })
}

fn lookup_key(conn: &Connection, hash: &str) -> Result<Option<Identity>, AppError> {
    let row: Option<(i64, String, String, Option<String>)> = conn
        .query_row(
            "SELECT id, name, kind, role FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL",
            [hash],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    Ok(row.and_then(|(id, name, kind, role)| {
        Some(Identity {
            id,
            name,
            kind: KeyKind::parse(&kind)?,
            role: role.as_deref().and_then(Role::parse),
        })
    }))
}

/// Valid keys seen lately, by hash, each for [`KeyCache::ttl`] at most: a key revoked
/// elsewhere stops working when its entry expires.
#[derive(Debug)]
pub struct KeyCache {
    known: RwLock<HashMap<String, (Identity, Instant)>>,
    ttl: Duration,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> KeyCache {
        KeyCache {
            known: RwLock::default(),
            ttl,
        }
    }

    /// How long a key is trusted without asking the database again.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The kind of `key` (`None`: unknown or revoked), asking the database on a miss.
    pub async fn kind(
        &self,
        db: &std::sync::Arc<crate::db::Db>,
        key: &str,
    ) -> Result<Option<KeyKind>, AppError> {
        self.kind_at(db, key, Instant::now()).await
    }

    /// [`KeyCache::kind`] at the instant `now`.
    pub async fn kind_at(
        &self,
        db: &std::sync::Arc<crate::db::Db>,
        key: &str,
        now: Instant,
    ) -> Result<Option<KeyKind>, AppError> {
        Ok(self.identity_at(db, key, now).await?.map(|who| who.kind))
    }

    /// Who `key` is (`None`: unknown or revoked), asking the database on a miss.
    pub async fn identity(
        &self,
        db: &std::sync::Arc<crate::db::Db>,
        key: &str,
    ) -> Result<Option<Identity>, AppError> {
        self.identity_at(db, key, Instant::now()).await
    }

    /// [`KeyCache::identity`] at the instant `now`.
    pub async fn identity_at(
        &self,
        db: &std::sync::Arc<crate::db::Db>,
        key: &str,
        now: Instant,
    ) -> Result<Option<Identity>, AppError> {
        let hash = hash_key(key);
        if let Some((who, seen)) = read(&self.known).get(&hash)
            && now.saturating_duration_since(*seen) < self.ttl
        {
            return Ok(Some(who.clone()));
        }
        let lookup = hash.clone();
        let who = db.read(move |conn| lookup_key(conn, &lookup)).await?;
        let mut known = write(&self.known);
        match &who {
            Some(who) => known.insert(hash, (who.clone(), now)),
            None => known.remove(&hash),
        };
        Ok(who)
    }

    /// Forgets every key (after a revocation in this process).
    pub fn clear(&self) {
        write(&self.known).clear();
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The credentials a request carries.
#[derive(Debug, Default)]
pub struct Credentials<'a> {
    pub key: Option<&'a str>,
    pub token: Option<&'a str>,
}

/// Reads the key and visitor token from the headers (see the module docs).
pub fn credentials(headers: &HeaderMap) -> Credentials<'_> {
    let header_key = headers
        .get("x-waymark-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match (header_key, bearer) {
        (Some(key), token) => Credentials {
            key: Some(key),
            token,
        },
        (None, Some(b)) if b.starts_with("wmt.") => Credentials {
            key: None,
            token: Some(b),
        },
        (None, b) => Credentials {
            key: b,
            token: None,
        },
    }
}

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Serialize, Deserialize)]
struct TokenPayload {
    p: String,
    exp: i64,
}

/// Mints a visitor token for `profile_id`, valid until `expires_at` (unix seconds).
pub fn mint_token(secret: &[u8], profile_id: &str, expires_at: i64) -> Result<String, AppError> {
    let payload = serde_json::to_vec(&TokenPayload {
        p: profile_id.to_owned(),
        exp: expires_at,
    })?;
    let payload = B64URL.encode(payload);
    let mut mac = HmacSha256::new_from_slice(secret)
        .map_err(|e| AppError::internal(format!("token secret: {e}")))?;
    mac.update(payload.as_bytes());
    let signature = B64URL.encode(mac.finalize().into_bytes());
    Ok(format!("wmt.{payload}.{signature}"))
}

/// Checks a visitor token and returns its profile id; 401 when forged, malformed or expired.
pub fn verify_token(secret: &[u8], token: &str, now_secs: i64) -> Result<String, AppError> {
    let bad = |why: &str| AppError::Unauthorized(format!("the visitor token {why}"));
    let rest = token
        .strip_prefix("wmt.")
        .ok_or_else(|| bad("is not a Waymark token"))?;
    let (payload, signature) = rest.split_once('.').ok_or_else(|| bad("is malformed"))?;
    let signature = B64URL.decode(signature).map_err(|_| bad("is malformed"))?;
    let mut mac = HmacSha256::new_from_slice(secret)
        .map_err(|e| AppError::internal(format!("token secret: {e}")))?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| bad("has a bad signature"))?;
    let payload = B64URL.decode(payload).map_err(|_| bad("is malformed"))?;
    let payload: TokenPayload =
        serde_json::from_slice(&payload).map_err(|_| bad("is malformed"))?;
    if payload.exp <= now_secs {
        return Err(bad("has expired"));
    }
    Ok(payload.p)
}

/// Whether `id` is an anonymous profile id: `anon-` and at least 22 URL-safe characters.
pub fn is_anonymous(id: &str) -> bool {
    id.strip_prefix("anon-").is_some_and(|rest| {
        rest.len() >= 22
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A short, non-reversible label for a profile id in logs.
pub fn log_label(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes())[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let secret = b"0123456789abcdef";
        let token = mint_token(secret, "u1", 1_000).unwrap();
        assert_eq!(verify_token(secret, &token, 999).unwrap(), "u1");
        assert!(matches!(
            verify_token(secret, &token, 1_000),
            Err(AppError::Unauthorized(_))
        ));
        assert!(verify_token(b"another secret!!", &token, 0).is_err());
        let forged = token.replace("wmt.", "wmt.x");
        assert!(verify_token(secret, &forged, 0).is_err());
    }

    #[tokio::test]
    async fn revoked_keys_stop_working_once_their_cache_entry_expires() {
        let dir = std::env::temp_dir().join(format!(
            "waymark-keys-{}-{}",
            std::process::id(),
            hex(&random_bytes::<6>().unwrap())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let db = crate::db::Db::open(&dir.join("keys.db")).unwrap();
        let (key, info) = db
            .write_blocking(|c| create_key(c, KeyKind::Client, "web"))
            .unwrap();
        let (other, _) = db
            .write_blocking(|c| create_key(c, KeyKind::Client, "other"))
            .unwrap();
        let cache = KeyCache::new(Duration::from_secs(5));
        let t0 = Instant::now();
        assert_eq!(
            cache.kind_at(&db, &key, t0).await.unwrap(),
            Some(KeyKind::Client)
        );
        // Revoked in the database, as another process (`waymark keys revoke`) does; `wmc_` is
        // too short a prefix to name one key.
        assert!(matches!(
            db.write_blocking(|c| revoke_key(c, "wmc_")),
            Err(AppError::NotFound(_))
        ));
        let revoked = db
            .write_blocking(|c| revoke_key(c, &info.prefix[..8]))
            .unwrap();
        assert_eq!(revoked.id, info.id);
        assert!(revoked.revoked_at.is_some());
        let later = t0 + Duration::from_secs(4);
        assert_eq!(
            cache.kind_at(&db, &key, later).await.unwrap(),
            Some(KeyKind::Client),
            "still trusted within the TTL"
        );
        let expired = t0 + Duration::from_secs(5);
        assert_eq!(cache.kind_at(&db, &key, expired).await.unwrap(), None);
        assert_eq!(
            cache.kind_at(&db, &other, expired).await.unwrap(),
            Some(KeyKind::Client)
        );
        // By the key itself; unknown names are 404.
        let by_value = db.write_blocking(|c| revoke_key(c, &other)).unwrap();
        assert_ne!(by_value.id, info.id);
        assert!(matches!(
            db.write_blocking(|c| revoke_key(c, "wmc_nothing-like-this")),
            Err(AppError::NotFound(_))
        ));
        let listed = db.read_blocking(list_keys).unwrap();
        assert!(listed.iter().all(|k| k.revoked_at.is_some()), "{listed:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn anonymous_ids_need_22_url_safe_characters() {
        assert!(is_anonymous("anon-abcdefghijklmnopqrstuv"));
        assert!(is_anonymous("anon-AB_-0123456789abcdefghij"));
        assert!(!is_anonymous("anon-short"));
        assert!(!is_anonymous("anon-abcdefghijklmnopqrstu!"));
        assert!(!is_anonymous("user-abcdefghijklmnopqrstuvwxyz"));
    }
}
