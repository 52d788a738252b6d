//! `waymark drafts`, `pause` and `resume`: the marketer's loop from a terminal, against a running
//! central API over HTTP (its routes, with its key roles and audit log), so a server's in-memory
//! bundle and every runtime see the change as they would from any other client.
//!
//! The API's answer is printed as JSON on stdout. A refusal exits 1 and prints, on stderr, the
//! status and the problem's detail, then one `pointer: message` line per problem of a bundle.

use std::path::PathBuf;

use serde_json::Value;

/// Where the API is and the key to call it with.
#[derive(Debug, clap::Args)]
pub struct Api {
    /// The API's base URL.
    #[arg(long, env = "WAYMARK_API", default_value = "http://127.0.0.1:8700")]
    pub api: String,
    /// A management key (editors draft and preview; admins publish, pause and resume).
    #[arg(long, env = "WAYMARK_KEY", hide_env_values = true)]
    pub key: String,
}

/// `waymark drafts …`
#[derive(Debug, clap::Subcommand)]
pub enum DraftsCommand {
    /// List the drafts.
    List(Api),
    /// Store a bundle file as the named draft (validated as a publication is).
    Put {
        name: String,
        file: PathBuf,
        #[command(flatten)]
        api: Api,
    },
    /// Print a draft's bytes as stored.
    Get {
        name: String,
        #[command(flatten)]
        api: Api,
    },
    /// Compare a draft with the live bundle, per activity, offer and policy.
    Diff {
        name: String,
        #[command(flatten)]
        api: Api,
    },
    /// Decide for a stored profile with the draft, as the runtimes would (a preview).
    Preview {
        name: String,
        /// A stored profile (a test profile brings its sample context).
        #[arg(long)]
        profile: String,
        /// A surface to decide (repeat for more): `web://shop.example/`.
        #[arg(long = "surface", required = true)]
        surfaces: Vec<String>,
        #[command(flatten)]
        api: Api,
    },
    /// Publish a draft now, or schedule it with `--at`.
    Publish {
        name: String,
        /// An RFC 3339 time in the future (`2026-12-24T08:00:00+01:00`).
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        api: Api,
    },
    /// Delete a draft.
    Delete {
        name: String,
        #[command(flatten)]
        api: Api,
    },
}

/// What `pause` and `resume` act on.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Item {
    Activity,
    Offer,
}

/// `waymark pause|resume activity|offer ID`
#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    pub item: Item,
    pub id: String,
    #[command(flatten)]
    pub api: Api,
}

pub fn drafts(command: DraftsCommand) -> Result<(), String> {
    use reqwest::Method;
    let segment = |name: &str| encode(name);
    match command {
        DraftsCommand::List(api) => call(&api, Method::GET, "/v1/drafts", None),
        DraftsCommand::Put { name, file, api } => {
            let body =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let path = format!("/v1/drafts/{}", segment(&name));
            call(&api, Method::PUT, &path, Some(body))
        }
        DraftsCommand::Get { name, api } => call(
            &api,
            Method::GET,
            &format!("/v1/drafts/{}", segment(&name)),
            None,
        ),
        DraftsCommand::Diff { name, api } => {
            let path = format!("/v1/drafts/{}/diff", segment(&name));
            call(&api, Method::GET, &path, None)
        }
        DraftsCommand::Preview {
            name,
            profile,
            surfaces,
            api,
        } => {
            let body =
                serde_json::json!({"draft": name, "profileId": profile, "surfaces": surfaces});
            call(
                &api,
                Method::POST,
                "/v1/decide",
                Some(body.to_string().into_bytes()),
            )
        }
        DraftsCommand::Publish { name, at, api } => {
            let body = match at {
                Some(at) => serde_json::json!({ "at": at }),
                None => serde_json::json!({}),
            };
            let path = format!("/v1/drafts/{}/publish", segment(&name));
            call(
                &api,
                Method::POST,
                &path,
                Some(body.to_string().into_bytes()),
            )
        }
        DraftsCommand::Delete { name, api } => {
            let path = format!("/v1/drafts/{}", segment(&name));
            call(&api, Method::DELETE, &path, None)
        }
    }
}

/// `waymark pause` (`resume` with `resume` true).
pub fn pause(args: PauseArgs, resume: bool) -> Result<(), String> {
    let kind = match args.item {
        Item::Activity => "activities",
        Item::Offer => "offers",
    };
    let verb = if resume { "resume" } else { "pause" };
    let path = format!("/v1/{kind}/{}/{verb}", encode(&args.id));
    call(&args.api, reqwest::Method::POST, &path, None)
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn call(
    api: &Api,
    method: reqwest::Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> Result<(), String> {
    let url = format!("{}{path}", api.api.trim_end_matches('/'));
    let mut request = reqwest::blocking::Client::new()
        .request(method, &url)
        .header("x-waymark-key", &api.key);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request
        .send()
        .map_err(|e| format!("cannot reach the API at {}: {e}", api.api))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .map_err(|e| format!("the API's answer broke off: {e}"))?;
    let value: Option<Value> = serde_json::from_slice(&bytes).ok();
    if !status.is_success() {
        let mut message = format!("{url}: {status}");
        if let Some(problem) = &value {
            if let Some(detail) = problem["detail"].as_str() {
                message.push_str(&format!(": {detail}"));
            }
            for p in problem["problems"].as_array().into_iter().flatten() {
                message.push_str(&format!(
                    "\n{}: {}",
                    p["pointer"].as_str().unwrap_or(""),
                    p["message"].as_str().unwrap_or("")
                ));
            }
        }
        return Err(message);
    }
    match value {
        Some(value) => {
            crate::print(&serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?)
        }
        None if bytes.is_empty() => crate::print(&status.to_string()),
        None => crate::print(&String::from_utf8_lossy(&bytes)),
    }
}
