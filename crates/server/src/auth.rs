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

use std::collections::HashMap;
use std::sync::RwLock;

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

/// A stored key, without its secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub id: i64,
    pub kind: KeyKind,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: i64,
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

/// Creates a key and returns it (the only time it is visible) with its record.
pub fn create_key(
    conn: &Connection,
    kind: KeyKind,
    name: &str,
) -> Result<(String, KeyInfo), AppError> {
    let prefix = match kind {
        KeyKind::Admin => "wma_",
        KeyKind::Client => "wmc_",
    };
    let key = format!("{prefix}{}", B64URL.encode(random_bytes::<32>()?));
    let shown: String = key.chars().take(10).collect();
    let now = crate::db::now_ms();
    conn.execute(
        "INSERT INTO api_keys (kind, name, hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![kind.as_str(), name, hash_key(&key), shown, now],
    )?;
    let info = KeyInfo {
        id: conn.last_insert_rowid(),
        kind,
        name: name.to_owned(),
        prefix: shown,
        created_at: now,
    };
    Ok((key, info))
}

/// Every key, oldest first.
pub fn list_keys(conn: &Connection) -> Result<Vec<KeyInfo>, AppError> {
    let mut stmt =
        conn.prepare("SELECT id, kind, name, prefix, created_at FROM api_keys ORDER BY id")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    let mut keys = Vec::new();
    for row in rows {
        let (id, kind, name, prefix, created_at) = row?;
        let kind = KeyKind::parse(&kind)
            .ok_or_else(|| AppError::internal(format!("key {id} has kind {kind}")))?;
        keys.push(KeyInfo {
            id,
            kind,
            name,
            prefix,
            created_at,
        });
    }
    Ok(keys)
}

fn lookup_key(conn: &Connection, hash: &str) -> Result<Option<KeyKind>, AppError> {
    let kind: Option<String> = conn
        .query_row("SELECT kind FROM api_keys WHERE hash = ?1", [hash], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(kind.as_deref().and_then(KeyKind::parse))
}

/// Valid keys seen so far, by hash (keys are never deleted, so entries never go stale).
#[derive(Debug, Default)]
pub struct KeyCache {
    known: RwLock<HashMap<String, KeyKind>>,
}

impl KeyCache {
    /// The kind of `key`, asking the database on a cache miss.
    pub async fn kind(
        &self,
        db: &std::sync::Arc<crate::db::Db>,
        key: &str,
    ) -> Result<Option<KeyKind>, AppError> {
        let hash = hash_key(key);
        if let Some(kind) = read(&self.known).get(&hash) {
            return Ok(Some(*kind));
        }
        let lookup = hash.clone();
        let kind = db.read(move |conn| lookup_key(conn, &lookup)).await?;
        if let Some(kind) = kind {
            write(&self.known).insert(hash, kind);
        }
        Ok(kind)
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

    #[test]
    fn anonymous_ids_need_22_url_safe_characters() {
        assert!(is_anonymous("anon-abcdefghijklmnopqrstuv"));
        assert!(is_anonymous("anon-AB_-0123456789abcdefghij"));
        assert!(!is_anonymous("anon-short"));
        assert!(!is_anonymous("anon-abcdefghijklmnopqrstu!"));
        assert!(!is_anonymous("user-abcdefghijklmnopqrstuvwxyz"));
    }
}
