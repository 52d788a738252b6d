//! SQLite storage: schema migrations, one writer connection and a small pool of readers.
//!
//! Every call runs on tokio's blocking pool ([`Db::read`], [`Db::write`]) so the async worker
//! threads never wait on the disk. WAL mode lets readers run while the writer commits;
//! `synchronous = NORMAL` makes commits cheap (durable at the next checkpoint).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppError;

/// The schema, one migration per entry; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('seq', '0');

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'client')),
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE bundles (
    revision INTEGER PRIMARY KEY,
    bundle_id TEXT NOT NULL,
    body BLOB NOT NULL,
    hash TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE profiles (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    time_zone TEXT,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
    profile_id TEXT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT,
    ts INTEGER NOT NULL,
    activity_id TEXT,
    variant_id TEXT,
    offer_id TEXT,
    placement_id TEXT,
    decision_id TEXT,
    data TEXT,
    PRIMARY KEY (profile_id, id)
) WITHOUT ROWID;
CREATE INDEX events_by_name ON events (type, name, ts);

-- A profile's rows sit together (the key starts with the profile), and carry the version of
-- their last change and their newest event, so one B-tree holds the counters and their state.
CREATE TABLE counters (
    profile_id TEXT NOT NULL,
    target TEXT NOT NULL,
    event TEXT NOT NULL,
    day TEXT NOT NULL,
    n INTEGER NOT NULL,
    version INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    PRIMARY KEY (profile_id, target, event, day)
) WITHOUT ROWID;

CREATE TABLE daily (
    day TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    variant_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    placement_id TEXT NOT NULL,
    displays INTEGER NOT NULL DEFAULT 0,
    clicks INTEGER NOT NULL DEFAULT 0,
    dismissals INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, activity_id, variant_id, offer_id, placement_id)
) WITHOUT ROWID;

CREATE TABLE bandit_weights (
    activity_id TEXT NOT NULL,
    variant_id TEXT NOT NULL,
    experiment_id TEXT NOT NULL,
    displays INTEGER NOT NULL,
    clicks INTEGER NOT NULL,
    weight REAL NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (activity_id, variant_id)
) WITHOUT ROWID;
",
    r"
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
",
    r"
-- Roles of management keys; keys made before roles existed keep their powers.
ALTER TABLE api_keys ADD COLUMN role TEXT CHECK (role IN ('admin', 'editor', 'viewer'));
UPDATE api_keys SET role = 'admin' WHERE kind = 'admin';

CREATE TABLE drafts (
    name TEXT PRIMARY KEY,
    body BLOB NOT NULL,
    hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
) WITHOUT ROWID;

-- A scheduled publication holds the draft's bytes as they were when it was scheduled.
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    draft TEXT NOT NULL,
    body BLOB NOT NULL,
    at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published', 'failed', 'cancelled')),
    revision INTEGER,
    error TEXT
);
CREATE INDEX schedules_due ON schedules (state, at);

-- Activities and offers paused by the API, written into every bundle it stores.
CREATE TABLE paused (
    item_id TEXT PRIMARY KEY,
    paused_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    key_id INTEGER,
    key_name TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT
);

-- Events of test profiles are kept (their counters feed previews) but never reach reports.
ALTER TABLE events ADD COLUMN test INTEGER NOT NULL DEFAULT 0;
",
    r"
-- Everyone's events per activity or offer and counted event (the custom event's name, else
-- the type), test profiles left out: what global caps count. Never decremented (erasing a
-- profile leaves it). Starts from the events already stored.
CREATE TABLE global_counts (
    target TEXT NOT NULL,
    event TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (target, event)
) WITHOUT ROWID;
INSERT INTO global_counts (target, event, n)
SELECT target, event, COUNT(*) FROM (
    SELECT activity_id AS target, COALESCE(name, type) AS event FROM events
    WHERE test = 0 AND activity_id IS NOT NULL
    UNION ALL
    SELECT offer_id, COALESCE(name, type) FROM events
    WHERE test = 0 AND offer_id IS NOT NULL AND offer_id IS NOT activity_id
) GROUP BY target, event;
",
    r"
-- Identity stitching: `from_id` was merged into `into_id` (crate::merge). Events posted later
-- for `from_id` are stored for `into_id`; the counts are what the merge moved, so that merging
-- the pair again answers the same.
CREATE TABLE merges (
    from_id TEXT PRIMARY KEY,
    into_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    events INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    erased INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX merges_into ON merges (into_id);
",
    r"
-- What each experiment's weights were computed from: its reward (`click` or a conversion's
-- name), and the trials and successes under it (displays and clicks for a click reward; units
-- shown the variant and those who converted within the window for a conversion).
ALTER TABLE bandit_weights ADD COLUMN reward TEXT NOT NULL DEFAULT 'click';
ALTER TABLE bandit_weights ADD COLUMN trials INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bandit_weights ADD COLUMN successes INTEGER NOT NULL DEFAULT 0;
UPDATE bandit_weights SET trials = displays, successes = clicks;

-- Thompson weights of the offers of policies ranked by bandit, at the policy's placement.
CREATE TABLE policy_weights (
    policy_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    placement_id TEXT NOT NULL,
    displays INTEGER NOT NULL,
    clicks INTEGER NOT NULL,
    weight REAL NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (policy_id, offer_id)
) WITHOUT ROWID;
",
];

/// Readers kept open between calls.
const POOL: usize = 8;

/// The database: one writer, pooled readers.
#[derive(Debug)]
pub struct Db {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Db {
    /// Opens (creating if needed, readable by its owner only) and migrates the database at
    /// `path`. A file that is not a database or cannot be written is refused here, saying what
    /// to do, rather than on the first request.
    pub fn open(path: &Path) -> Result<Arc<Db>, AppError> {
        create_private(path)?;
        let mut writer = connect(path).map_err(|e| unusable(&e))?;
        writable(&writer).map_err(|e| unusable(&e))?;
        migrate(&mut writer)?;
        Ok(Arc::new(Db {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        }))
    }

    /// Runs `f` with the writer connection on the blocking pool.
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || db.write_blocking(f)).await?
    }

    /// Runs `f` with a reader connection on the blocking pool.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || db.read_blocking(f)).await?
    }

    /// Runs `f` with the writer connection on this thread (CLI tools, startup).
    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut conn = lock(&self.writer);
        f(&mut conn)
    }

    /// Runs `f` with a reader connection on this thread.
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        let result = f(&conn);
        let mut readers = lock(&self.readers);
        if readers.len() < POOL {
            readers.push(conn);
        }
        result
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves nothing half-done that SQLite would not roll back.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Creates `path` empty with mode 0600 if it does not exist: it holds the signing key and the
/// token secret (unless they come from elsewhere, see `ServerConfig`). SQLite gives the `-wal`
/// and `-shm` files it creates beside it the database file's mode.
fn create_private(path: &Path) -> Result<(), AppError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // An existing file must be writable: SQLite would open it read-only, or not at all
        // on a read-only file system, and say less about why.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match std::fs::OpenOptions::new().write(true).open(path) {
                Ok(_) => Ok(()),
                Err(e) => Err(AppError::internal(format!(
                    "cannot be written ({e}): the server writes the database and the `-wal` and `-shm` files beside it; make them writable"
                ))),
            }
        }
        Err(e) => Err(AppError::internal(format!(
            "cannot be created ({e}): check that its folder exists and that this user may write there"
        ))),
    }
}

/// Refuses a database SQLite opened read-only (the file, its folder or its file system is).
fn writable(conn: &Connection) -> rusqlite::Result<()> {
    // Reading the schema also fails on a file that is not a database.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            None,
        ));
    }
    Ok(())
}

/// Why the database cannot be used, and what to do about it (startup errors).
fn unusable(e: &rusqlite::Error) -> AppError {
    use rusqlite::ErrorCode::{
        CannotOpen, DatabaseCorrupt, DiskFull, NotADatabase, PermissionDenied, ReadOnly,
    };
    let advice = match e.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => {
            "not a SQLite database, or a damaged one: restore it from a backup, or give `--db` a new file to start afresh"
        }
        Some(ReadOnly) => {
            "read-only (the file, its folder or its file system): the server writes the database and the `-wal` and `-shm` files beside it; make them writable"
        }
        Some(CannotOpen | PermissionDenied) => {
            "cannot be opened: check that its folder exists and that this user may read and write there"
        }
        Some(DiskFull) => "its disk is full: free some space, then start again",
        _ => "cannot be used",
    };
    AppError::internal(format!("{advice} ({e})"))
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Large profile and event tables are read at random: map them, and keep a big page cache.
    conn.pragma_update(None, "cache_size", -64_000)?;
    conn.pragma_update(None, "mmap_size", 4_i64 << 30)?;
    conn.pragma_update(None, "wal_autocheckpoint", 40_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), AppError> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(AppError::internal(format!(
            "the database has schema version {applied}, newer than this binary's {}",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// Reads a `meta` value.
pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .optional()?)
}

/// Writes a `meta` value.
pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// The next value of the database-wide sequence that versions profiles and counters; call it
/// inside the transaction that writes them so versions never repeat, even across deletions.
pub fn next_seq(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING CAST(value AS INTEGER)",
        [],
        |row| row.get(0),
    )?)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[cfg(test)]
mod tests {
    /// A database made before key roles (schema version 2): its admin keys become admins, its
    /// client keys get no role, and they still authenticate.
    #[test]
    fn keys_made_before_roles_keep_their_powers() {
        let dir = std::env::temp_dir().join(format!(
            "waymark-db-roles-{}-{}",
            std::process::id(),
            crate::auth::hex(&crate::auth::random_bytes::<6>().unwrap())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(super::MIGRATIONS[0]).unwrap();
            conn.execute_batch(super::MIGRATIONS[1]).unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
            conn.execute_batch(
                "INSERT INTO api_keys (kind, name, hash, prefix, created_at)
                 VALUES ('admin', 'ops', 'h1', 'wma_x', 1), ('client', 'web', 'h2', 'wmc_x', 1)",
            )
            .unwrap();
        }
        let db = super::Db::open(&path).unwrap();
        let keys = db.read_blocking(crate::auth::list_keys).unwrap();
        let roles: Vec<_> = keys.iter().map(|k| k.role).collect();
        assert_eq!(roles, [Some(crate::auth::Role::Admin), None]);
        drop(db);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Global counts start from the events stored before they existed (schema version 3):
    /// custom events by name, test profiles' events left out, an event for an activity and an
    /// offer counted for both.
    #[test]
    fn global_counts_start_from_the_stored_events() {
        let dir = std::env::temp_dir().join(format!(
            "waymark-db-global-{}-{}",
            std::process::id(),
            crate::auth::hex(&crate::auth::random_bytes::<6>().unwrap())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &super::MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute_batch(
                "INSERT INTO events (profile_id, id, type, name, ts, activity_id, offer_id, test) VALUES
                 ('a', '1', 'display', NULL, 1, NULL, 'o1', 0),
                 ('b', '1', 'display', NULL, 1, 'act', 'o1', 0),
                 ('c', '1', 'display', NULL, 1, NULL, 'o1', 1),
                 ('a', '2', 'custom', 'redeem', 1, NULL, 'o1', 0)",
            )
            .unwrap();
        }
        let db = super::Db::open(&path).unwrap();
        let counts: Vec<(String, String, i64)> = db
            .read_blocking(|c| {
                let mut stmt =
                    c.prepare("SELECT target, event, n FROM global_counts ORDER BY target, event")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .unwrap();
        let expected = [
            ("act", "display", 1),
            ("o1", "display", 2),
            ("o1", "redeem", 1),
        ];
        let expected: Vec<(String, String, i64)> = expected
            .iter()
            .map(|(t, e, n)| ((*t).to_owned(), (*e).to_owned(), *n))
            .collect();
        assert_eq!(counts, expected);
        drop(db);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "waymark-db-mode-{}-{}",
            std::process::id(),
            crate::auth::hex(&crate::auth::random_bytes::<6>().unwrap())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("new.db");
        let db = super::Db::open(&path).unwrap();
        db.write_blocking(|c| super::meta_set(c, "k", "v")).unwrap();
        for file in ["new.db", "new.db-wal", "new.db-shm"] {
            let mode = std::fs::metadata(dir.join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}: {mode:o}");
        }
        drop(db);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
