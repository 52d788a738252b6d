//! Identity stitching at the edge: a request that carries a visitor token (`Authorization:
//! Bearer wmt.…`) and an anonymous visitor-id cookie (`wm_vid`, not minted for this request) is a
//! sign-in seen by the Worker. It asks the central API to merge the anonymous id into the
//! token's profile (`POST /v1/profiles/{id}/merge` `{"from": "<visitor id>"}`, with the client
//! key and the token, which the central API checks), in `waitUntil`: the response never waits
//! for it. Once per (visitor id, profile): the isolate's memory and KV `SNAPSHOTS` (`m:<visitor
//! id>` → profile, for 30 days) remember a pair the central API merged (200) or refused for
//! good (409, the id was merged into another profile); other failures are tried again on a
//! later request. After a merge the profile's cached snapshot is dropped, so the next request
//! fetches it with the merged counters. Not with a consent cookie saying `out`.

use std::cell::RefCell;
use std::collections::HashMap;

use waymark_core::engine::ConsentState;
use worker::{Context, Env};

use crate::config::Config;
use crate::identity::{Visitor, is_anonymous};

/// How long KV remembers a merged pair (seconds).
const REMEMBER_S: u64 = 30 * 24 * 3600;
/// Pairs this isolate has seen merged, at most this many, then it starts over.
const MEMO_SIZE: usize = 10_000;

thread_local! {
    static MERGED: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

fn known(id: &str, profile: &str) -> bool {
    MERGED.with(|m| m.borrow().get(id).is_some_and(|p| p == profile))
}

fn remember(id: &str, profile: &str) {
    MERGED.with(|m| {
        let mut memo = m.borrow_mut();
        if memo.len() >= MEMO_SIZE {
            memo.clear();
        }
        memo.insert(id.to_owned(), profile.to_owned());
    });
}

/// The (anonymous id, profile, token) of a sign-in this request shows, if it shows one.
pub fn sign_in(visitor: &Visitor) -> Option<(String, String, String)> {
    let (profile, token) = visitor.token.as_ref()?;
    let merge = !visitor.new
        && is_anonymous(&visitor.id)
        && profile != &visitor.id
        && visitor.consent != Some(ConsentState::Out)
        && !known(&visitor.id, profile);
    merge.then(|| (visitor.id.clone(), profile.clone(), token.clone()))
}

/// Starts the merge of a sign-in this request shows (see the module docs).
pub fn after_sign_in(env: &Env, ctx: &Context, config: &Config, visitor: &Visitor) {
    let Some((id, profile, token)) = sign_in(visitor) else {
        return;
    };
    let (env, config, visitor) = (env.clone(), config.clone(), visitor.clone());
    ctx.wait_until(async move {
        if let Err(e) = merge(&env, &config, &visitor, &id, &profile, &token).await {
            worker::console_warn!("merging the visitor id into the signed-in profile: {e}");
        }
    });
}

async fn merge(
    env: &Env,
    config: &Config,
    visitor: &Visitor,
    id: &str,
    profile: &str,
    token: &str,
) -> Result<(), String> {
    let (api, client_key) = config.api().ok_or("the central API is not configured")?;
    let kv = env.kv("SNAPSHOTS").map_err(|e| e.to_string())?;
    let key = format!("m:{id}");
    if kv.get(&key).text().await.ok().flatten().as_deref() == Some(profile) {
        remember(id, profile);
        return Ok(());
    }
    let path = format!("/v1/profiles/{}/merge", crate::snapshot::encode(profile));
    let body = serde_json::json!({ "from": id }).to_string();
    let bearer = format!("Bearer {token}");
    let response = crate::api::post_json_with(
        api,
        client_key,
        &path,
        &[("authorization", Some(&bearer))],
        body,
    )
    .await?;
    match response.status_code() {
        200 | 409 => {
            remember(id, profile);
            crate::api::put(&kv, &key, profile, Some(REMEMBER_S)).await?;
            crate::snapshot::drop_cached(&kv, visitor).await
        }
        status => Err(format!("the central API answered {status}")),
    }
}
