//! `waymark keys create|list|revoke` and `waymark token`.

use std::path::PathBuf;

use waymark_server::audit::{Action, Actor};
use waymark_server::auth::{self, KeyKind, Role};
use waymark_server::db::Db;

/// Subcommands of `waymark keys`.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create an API key and print it (it is shown only once; only its hash is stored).
    Create {
        /// An admin key (everything: publishing, profiles, reports, keys); `--role admin`.
        #[arg(long, conflicts_with_all = ["client", "role"], required_unless_present_any = ["client", "role"])]
        admin: bool,
        /// A client key (events, snapshots with a visitor token or an anonymous id, the bundle).
        #[arg(long, conflicts_with = "role")]
        client: bool,
        /// A management key with this role: `admin` (everything), `editor` (drafts and
        /// previews, reads; not publish, pause or rollback), `viewer` (reports and reads).
        #[arg(long, value_parser = ["admin", "editor", "viewer"])]
        role: Option<String>,
        /// A label for the key.
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, default_value = "waymark.db")]
        db: PathBuf,
    },
    /// List keys (their kind, name, first characters, and when revoked).
    List {
        #[arg(long, default_value = "waymark.db")]
        db: PathBuf,
    },
    /// Revoke a key: by its id, its value, or the start of its prefix (5+ characters). Servers
    /// on this database stop accepting it within their key cache TTL (`serve --key-cache-ttl`).
    Revoke {
        /// The key's id (`waymark keys list`), value or prefix.
        key: String,
        #[arg(long, default_value = "waymark.db")]
        db: PathBuf,
    },
}

pub fn keys(command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Create {
            admin,
            role,
            name,
            db,
            ..
        } => {
            let role = match (admin, role.as_deref()) {
                (true, _) => Some(Role::Admin),
                (false, Some(text)) => Some(
                    Role::parse(text)
                        .ok_or_else(|| format!("`{text}` is not a role (admin, editor, viewer)"))?,
                ),
                (false, None) => None,
            };
            let db = open(&db)?;
            let (key, info) = db
                .write_blocking(|conn| {
                    let tx = conn.transaction()?;
                    let created = match role {
                        Some(role) => auth::create_role_key(&tx, role, &name)?,
                        None => auth::create_key(&tx, KeyKind::Client, &name)?,
                    };
                    let action = Action::new(
                        Actor::cli(),
                        jiff::Timestamp::now().as_millisecond(),
                        "key.create",
                        created.1.id.to_string(),
                    )
                    .with(serde_json::json!({
                        "kind": created.1.kind.as_str(),
                        "role": created.1.role.map(Role::as_str),
                        "name": created.1.name,
                    }));
                    waymark_server::audit::record(&tx, &action)?;
                    tx.commit()?;
                    Ok(created)
                })
                .map_err(|e| e.to_string())?;
            eprintln!(
                "created {} key #{} (store it now: it is not shown again)",
                info.role.map_or(info.kind.as_str(), Role::as_str),
                info.id
            );
            crate::print(&key)
        }
        KeysCommand::List { db } => {
            let db = open(&db)?;
            let keys = db
                .read_blocking(auth::list_keys)
                .map_err(|e| e.to_string())?;
            let mut out = format!(
                "{:<4} {:<7} {:<12} {:<20} {:<20} name",
                "id", "role", "prefix", "created", "revoked"
            );
            let time = |ms: i64| {
                jiff::Timestamp::from_millisecond(ms)
                    .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default()
            };
            for k in keys {
                out.push_str(&format!(
                    "\n{:<4} {:<7} {:<12} {:<20} {:<20} {}",
                    k.id,
                    k.role.map_or(k.kind.as_str(), Role::as_str),
                    format!("{}…", k.prefix),
                    time(k.created_at),
                    k.revoked_at.map(time).unwrap_or_else(|| "-".into()),
                    k.name
                ));
            }
            crate::print(&out)
        }
        KeysCommand::Revoke { key, db } => {
            let db = open(&db)?;
            let info = db
                .write_blocking(|conn| {
                    let tx = conn.transaction()?;
                    let info = auth::revoke_key(&tx, &key)?;
                    let action = Action::new(
                        Actor::cli(),
                        jiff::Timestamp::now().as_millisecond(),
                        "key.revoke",
                        info.id.to_string(),
                    )
                    .with(serde_json::json!({ "name": info.name, "prefix": info.prefix }));
                    waymark_server::audit::record(&tx, &action)?;
                    tx.commit()?;
                    Ok(info)
                })
                .map_err(|e| e.to_string())?;
            crate::print(&format!(
                "revoked {} key #{} ({}…{}); running servers stop accepting it within their key cache TTL",
                info.kind.as_str(),
                info.id,
                info.prefix,
                if info.name.is_empty() {
                    String::new()
                } else {
                    format!(", {}", info.name)
                }
            ))
        }
    }
}

/// A secret from `file` (its text without surrounding whitespace) if given, else `value` (a
/// flag or its environment variable): the file wins.
pub fn secret(
    file: Option<&std::path::Path>,
    value: Option<String>,
    what: &str,
) -> Result<Option<String>, String> {
    let Some(file) = file else {
        return Ok(value);
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the {what} from {}: {e}", file.display()))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{} (the {what}) is empty", file.display()));
    }
    Ok(Some(text.to_owned()))
}

pub fn open(path: &std::path::Path) -> Result<std::sync::Arc<Db>, String> {
    Db::open(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Options of `waymark token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The profile the token lets its holder read.
    #[arg(long)]
    pub profile: String,
    /// Lifetime: seconds, or a number with s, m, h or d.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
    /// The secret (default: the one stored in the database, as `serve` uses).
    #[arg(long, env = "WAYMARK_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,
    /// A file holding the secret; wins over `--token-secret` and `WAYMARK_TOKEN_SECRET`.
    #[arg(long, value_name = "PATH")]
    pub token_secret_file: Option<PathBuf>,
    #[arg(long, default_value = "waymark.db")]
    pub db: PathBuf,
}

/// Parses `90`, `90s`, `15m`, `1h`, `2d` into seconds.
pub fn parse_ttl(text: &str) -> Result<i64, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 90s, 15m, 1h or 2d"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: the unit is s, m, h or d")),
    };
    Ok(n.saturating_mul(unit))
}

pub fn token(args: TokenArgs) -> Result<(), String> {
    waymark_server::profiles::check_id(&args.profile)?;
    let ttl = parse_ttl(&args.ttl)?;
    let given = secret(
        args.token_secret_file.as_deref(),
        args.token_secret,
        "token secret",
    )?;
    let secret = match given {
        Some(secret) => secret,
        None => {
            let state = waymark_server::AppState::open(waymark_server::ServerConfig::new(&args.db))
                .map_err(|e| format!("{}: {e}", args.db.display()))?;
            String::from_utf8_lossy(state.token_secret()).into_owned()
        }
    };
    let expires = jiff::Timestamp::now().as_second().saturating_add(ttl);
    let token =
        auth::mint_token(secret.as_bytes(), &args.profile, expires).map_err(|e| e.to_string())?;
    crate::print(&token)
}
