//! Drafts, previews, diffs, safe publishing (now, scheduled, pause and resume), the audit log,
//! key roles and test profiles: the real API on 127.0.0.1 over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{SHOP, Server};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use waymark_server::auth::{self, Role};
use waymark_server::{Clock, ServerConfig};

/// 2026-11-28T12:00:00Z, during the shop's gold sale.
const NOW: i64 = 1_795_867_200_000;

async fn start() -> Server {
    start_with(|_| {}).await
}

async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> Server {
    common::start_with("drafts", |config| {
        config.token_secret = Some("test-secret-test-secret".into());
        configure(config);
    })
    .await
}

/// Sends `body` (JSON, or raw text when a string) and reads the answer as JSON (`null` when
/// empty).
async fn call(
    s: &Server,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = s
        .http
        .request(method, format!("{}{path}", s.url))
        .header("x-waymark-key", key);
    match body {
        Some(Value::String(text)) => r = r.body(text),
        Some(value) => r = r.json(&value),
        None => {}
    }
    let response = r.send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

fn role_key(s: &Server, role: Role, name: &str) -> String {
    let name = name.to_owned();
    s.state
        .db
        .write_blocking(move |c| auth::create_role_key(c, role, &name))
        .unwrap()
        .0
}

fn shop() -> Value {
    serde_json::from_str(SHOP).unwrap()
}

/// The shop with hero-gold's headline changed, card-welcome removed and a new activity added.
fn edited_shop() -> Value {
    let mut draft = shop();
    let activities = draft["activities"].as_array_mut().unwrap();
    activities[0]["content"]["actions"][0]["content"] = json!("{{> greeting}}, gold sale inside");
    activities.retain(|a| a["id"] != "card-welcome");
    activities.push(json!({
        "id": "banner-new", "surfaces": ["web://shop.example/*#banner"],
        "content": {"channel": "web", "actions": [{"selector": "#banner", "type": "setText", "content": "New"}]}
    }));
    draft
}

async fn live_bundle(s: &Server) -> Value {
    let (status, bundle) = call(s, Method::GET, "/v1/bundle", &s.client, None).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    bundle
}

#[tokio::test]
async fn a_bad_draft_is_refused_with_its_pointer_and_the_last_good_draft_stays() {
    let s = start().await;
    let editor = role_key(&s, Role::Editor, "eddie");
    let (status, body) = call(&s, Method::PUT, "/v1/drafts/autumn", &editor, Some(shop())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], shop()["id"]);

    let mut bad = shop();
    bad["activities"][1]["priority"] = json!("high");
    let (status, problem) = call(&s, Method::PUT, "/v1/drafts/autumn", &editor, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let pointers: Vec<&str> = problem["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["pointer"].as_str())
        .collect();
    assert!(
        pointers.iter().any(|p| p.starts_with("/activities/1")),
        "{problem}"
    );
    let (status, problem) = call(
        &s,
        Method::PUT,
        "/v1/drafts/autumn",
        &editor,
        Some(json!("{\"format\": ")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("line 1"),
        "{problem}"
    );

    // The good draft is what is stored, byte for byte the same document.
    let (status, stored) = call(&s, Method::GET, "/v1/drafts/autumn", &editor, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored, shop());

    let (status, _) = call(
        &s,
        Method::PUT,
        "/v1/drafts/autumn",
        &editor,
        Some(edited_shop()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "replaced");
    let (_, list) = call(&s, Method::GET, "/v1/drafts", &editor, None).await;
    assert_eq!(list["drafts"][0]["name"], "autumn");
    assert_eq!(list["drafts"][0]["updatedBy"], "eddie");
    let (status, _) = call(&s, Method::PUT, "/v1/drafts/a%20b", &editor, Some(shop())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a bad name");
    let (status, _) = call(&s, Method::DELETE, "/v1/drafts/autumn", &editor, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&s, Method::GET, "/v1/drafts/autumn", &editor, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&s, Method::DELETE, "/v1/drafts/autumn", &editor, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_preview_with_a_draft_differs_from_the_live_bundle() {
    let s = start().await;
    let (status, _) = call(&s, Method::POST, "/v1/bundles", &s.admin, Some(shop())).await;
    assert_eq!(status, StatusCode::CREATED);
    let editor = role_key(&s, Role::Editor, "eddie");
    call(
        &s,
        Method::PUT,
        "/v1/drafts/autumn",
        &editor,
        Some(edited_shop()),
    )
    .await;
    // A stored test profile with a sample context.
    let doc = json!({
        "attributes": {"firstName": "Ann", "loyalty": {"tier": "gold"}},
        "consent": {"personalize": "in"},
        "test": true,
        "context": {"page": {"url": "https://shop.example/product/1"}}
    });
    let (status, _) = call(&s, Method::PUT, "/v1/profiles/ann", &s.admin, Some(doc)).await;
    assert_eq!(status, StatusCode::CREATED);
    let headline = |decision: &Value| {
        decision["propositions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["activityId"] == "hero-gold")
            .map(|p| p["content"]["actions"][0]["content"].clone())
    };
    let request = |draft: Option<&str>| {
        let mut body =
            json!({"profileId": "ann", "now": NOW, "surfaces": ["web://shop.example/product/1"]});
        if let Some(draft) = draft {
            body["draft"] = json!(draft);
        }
        body
    };
    let (status, live) = call(&s, Method::POST, "/v1/decide", &editor, Some(request(None))).await;
    assert_eq!(status, StatusCode::OK, "{live}");
    assert_eq!(
        headline(&live),
        Some(json!("Hi Ann, your gold perks are waiting"))
    );
    let (status, draft) = call(
        &s,
        Method::POST,
        "/v1/decide",
        &editor,
        Some(request(Some("autumn"))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(headline(&draft), Some(json!("Hi Ann, gold sale inside")));
    // The live bundle is untouched by the preview.
    let bundle = live_bundle(&s).await;
    assert_eq!(
        bundle["activities"][0]["content"]["actions"][0]["content"],
        "{{> greeting}}, your gold perks are waiting"
    );
    let (status, _) = call(
        &s,
        Method::POST,
        "/v1/decide",
        &editor,
        Some(request(Some("nothing"))),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An inline profile with a draft, and no live bundle needed for it.
    let inline = json!({"draft": "autumn", "profile": {"profileId": "t", "consent": {"personalize": "in"}}, "now": NOW, "surfaces": ["web://shop.example/product/1#banner"]});
    let (status, decision) = call(&s, Method::POST, "/v1/decide", &editor, Some(inline)).await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    assert_eq!(decision["propositions"][0]["activityId"], "banner-new");
}

#[tokio::test]
async fn the_diff_lists_added_removed_and_changed_items_with_pointers() {
    let s = start().await;
    call(&s, Method::POST, "/v1/bundles", &s.admin, Some(shop())).await;
    let mut draft = edited_shop();
    draft["offers"][0]["priority"] = json!(99);
    draft["settings"]["cardFeedSize"] = json!(7);
    call(&s, Method::PUT, "/v1/drafts/autumn", &s.admin, Some(draft)).await;
    let viewer = role_key(&s, Role::Viewer, "vera");
    let (status, diff) = call(&s, Method::GET, "/v1/drafts/autumn/diff", &viewer, None).await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(diff["activities"]["added"], json!(["banner-new"]));
    assert_eq!(diff["activities"]["removed"], json!(["card-welcome"]));
    assert_eq!(
        diff["activities"]["changed"],
        json!([{"id": "hero-gold", "fields": ["/content/actions/0/content"]}])
    );
    let offer = shop()["offers"][0]["id"].clone();
    assert_eq!(
        diff["offers"]["changed"],
        json!([{"id": offer, "fields": ["/priority"]}])
    );
    assert_eq!(diff["policies"]["changed"], json!([]));
    assert_eq!(diff["other"], json!(["/settings/cardFeedSize"]));
    assert_eq!(diff["identical"], json!(false));
    // The live bundle against itself (server-written revision and weights left out).
    call(&s, Method::PUT, "/v1/drafts/same", &s.admin, Some(shop())).await;
    let (_, diff) = call(&s, Method::GET, "/v1/drafts/same/diff", &viewer, None).await;
    assert_eq!(diff["identical"], json!(true), "{diff}");
}

#[tokio::test]
async fn roles_an_editor_drafts_and_an_admin_publishes() {
    let s = start().await;
    let editor = role_key(&s, Role::Editor, "eddie");
    let viewer = role_key(&s, Role::Viewer, "vera");
    let (status, _) = call(&s, Method::PUT, "/v1/drafts/autumn", &editor, Some(shop())).await;
    assert_eq!(status, StatusCode::CREATED);
    for (method, path) in [
        (Method::POST, "/v1/drafts/autumn/publish"),
        (Method::POST, "/v1/bundles"),
        (Method::POST, "/v1/bundles/1/rollback"),
        (Method::POST, "/v1/activities/hero-gold/pause"),
        (Method::GET, "/v1/audit"),
        (Method::GET, "/v1/keys"),
    ] {
        let (status, problem) = call(&s, method.clone(), path, &editor, Some(json!({}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "editor {method} {path}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("an editor key was given"),
            "{problem}"
        );
    }
    // A viewer reads reports and drafts, writes nothing.
    let (status, _) = call(&s, Method::GET, "/v1/reports", &viewer, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&s, Method::GET, "/v1/drafts", &viewer, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&s, Method::PUT, "/v1/drafts/x", &viewer, Some(shop())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&s, Method::POST, "/v1/decide", &viewer, Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let event = json!({"events": [{"id": "e1", "type": "display", "profileId": "anon-abcdefghijklmnopqrstuv", "timestamp": waymark_server::db::now_ms(), "activityId": "hero-gold"}]});
    let (status, _) = call(&s, Method::POST, "/v1/events", &viewer, Some(event)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "viewers post no events");
    // Client keys are not management keys.
    let (status, _) = call(&s, Method::GET, "/v1/drafts", &s.client, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The admin publishes the editor's draft: a new signed revision, served at once.
    let (status, published) = call(
        &s,
        Method::POST,
        "/v1/drafts/autumn/publish",
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!(published["revision"], 1);
    let response = s
        .http
        .get(format!("{}/v1/bundle", s.url))
        .header("x-waymark-key", &s.client)
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("waymark-signature"));
    let bundle: Value = response.json().await.unwrap();
    assert_eq!(bundle["revision"], 1);
    let (_, revisions) = call(&s, Method::GET, "/v1/bundles", &viewer, None).await;
    assert_eq!(revisions["revisions"][0]["source"], "draft autumn");
    let (_, keys) = call(&s, Method::GET, "/v1/keys", &s.admin, None).await;
    let roles: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["role"].as_str())
        .collect();
    assert_eq!(roles, ["admin", "editor", "viewer"], "{keys}");
}

#[tokio::test]
async fn a_scheduled_publication_fires_when_the_clock_passes_its_time() {
    let clock = Clock::manual(NOW);
    let ticking = clock.clone();
    let s = start_with(move |config| {
        config.clock = ticking;
        config.schedule_interval = Duration::from_millis(20);
    })
    .await;
    call(&s, Method::POST, "/v1/bundles", &s.admin, Some(shop())).await;
    call(
        &s,
        Method::PUT,
        "/v1/drafts/autumn",
        &s.admin,
        Some(edited_shop()),
    )
    .await;
    let (status, problem) = call(
        &s,
        Method::POST,
        "/v1/drafts/autumn/publish",
        &s.admin,
        Some(json!({"at": "2026-11-28T11:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "in the past");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not in the future")
    );
    let (status, scheduled) = call(
        &s,
        Method::POST,
        "/v1/drafts/autumn/publish",
        &s.admin,
        Some(json!({"at": "2026-11-28T13:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{scheduled}");
    let due = NOW + 3_600_000;
    assert_eq!(scheduled["scheduled"]["at"], due);
    assert_eq!(scheduled["scheduled"]["state"], "pending");
    // Edits after scheduling do not change what was scheduled.
    call(&s, Method::PUT, "/v1/drafts/autumn", &s.admin, Some(shop())).await;

    // Before its time nothing is due, whatever the ticker does.
    let fired = waymark_server::drafts::publish_due(&s.state, due - 1)
        .await
        .unwrap();
    assert!(fired.is_empty());
    assert_eq!(live_bundle(&s).await["revision"], 1);

    // The clock passes its time: the ticker publishes it.
    clock.set(due + 1);
    let mut bundle = live_bundle(&s).await;
    for _ in 0..500 {
        if bundle["revision"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        bundle = live_bundle(&s).await;
    }
    assert_eq!(bundle["revision"], 2, "the scheduled publication fired");
    assert!(
        bundle["activities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "banner-new"),
        "the bytes scheduled, not the later edit"
    );
    let (_, list) = call(&s, Method::GET, "/v1/schedules", &s.admin, None).await;
    assert_eq!(list["schedules"][0]["state"], "published");
    assert_eq!(list["schedules"][0]["revision"], 2);
    // It fires once.
    let again = waymark_server::drafts::publish_due(&s.state, due + 10)
        .await
        .unwrap();
    assert!(again.is_empty());
    let (status, _) = call(&s, Method::DELETE, "/v1/schedules/1", &s.admin, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "already published");
}

#[tokio::test]
async fn pause_reaches_the_bundle_and_resume_restores_it() {
    let s = start().await;
    call(&s, Method::POST, "/v1/bundles", &s.admin, Some(shop())).await;
    let (status, paused) = call(
        &s,
        Method::POST,
        "/v1/activities/hero-gold/pause",
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{paused}");
    assert_eq!(paused["revision"], 2);
    let bundle = live_bundle(&s).await;
    assert_eq!(bundle["revision"], 2);
    assert_eq!(bundle["paused"], json!(["hero-gold"]));
    let (status, _) = call(
        &s,
        Method::POST,
        "/v1/activities/hero-gold/pause",
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "already paused");
    let (status, _) = call(
        &s,
        Method::POST,
        "/v1/activities/nope/pause",
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let offer = shop()["offers"][1]["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &s,
        Method::POST,
        &format!("/v1/offers/{offer}/pause"),
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // The engine skips it with the reason `paused`.
    let decide = json!({
        "profile": {"profileId": "t", "attributes": {"loyalty": {"tier": "gold"}}, "consent": {"personalize": "in"}},
        "now": NOW, "surfaces": ["web://shop.example/product/1#hero", "web://shop.example/#offer"]
    });
    let (status, decision) = call(
        &s,
        Method::POST,
        "/v1/decide",
        &s.admin,
        Some(decide.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    let outcome = |decision: &Value, id: &str| {
        decision["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["outcome"].clone())
    };
    assert_eq!(
        outcome(&decision, "hero-gold"),
        Some(json!("paused")),
        "{decision}"
    );
    assert_eq!(
        outcome(&decision, &offer),
        Some(json!("paused")),
        "{decision}"
    );

    // A pause outlasts a new publication.
    let (_, published) = call(&s, Method::POST, "/v1/bundles", &s.admin, Some(shop())).await;
    assert_eq!(published["revision"], 4);
    assert_eq!(
        live_bundle(&s).await["paused"],
        json!(["hero-gold", offer.clone()])
    );

    let (status, resumed) = call(
        &s,
        Method::POST,
        "/v1/activities/hero-gold/resume",
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{resumed}");
    call(
        &s,
        Method::POST,
        &format!("/v1/offers/{offer}/resume"),
        &s.admin,
        None,
    )
    .await;
    let bundle = live_bundle(&s).await;
    assert_eq!(bundle["revision"], 6);
    assert!(bundle.get("paused").is_none(), "{}", bundle["paused"]);
    let (_, decision) = call(&s, Method::POST, "/v1/decide", &s.admin, Some(decide)).await;
    assert_eq!(
        outcome(&decision, "hero-gold"),
        Some(json!("chosen")),
        "{decision}"
    );
    let (status, _) = call(
        &s,
        Method::POST,
        "/v1/activities/hero-gold/resume",
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "not paused");
}

#[tokio::test]
async fn the_audit_log_lists_who_did_what() {
    let s = start().await;
    let editor = role_key(&s, Role::Editor, "eddie");
    call(&s, Method::PUT, "/v1/drafts/autumn", &editor, Some(shop())).await;
    call(
        &s,
        Method::POST,
        "/v1/drafts/autumn/publish",
        &s.admin,
        None,
    )
    .await;
    call(
        &s,
        Method::POST,
        "/v1/activities/hero-gold/pause",
        &s.admin,
        None,
    )
    .await;
    call(
        &s,
        Method::POST,
        "/v1/activities/hero-gold/resume",
        &s.admin,
        None,
    )
    .await;
    call(&s, Method::POST, "/v1/bundles/1/rollback", &s.admin, None).await;
    call(
        &s,
        Method::POST,
        "/v1/drafts/autumn/publish",
        &s.admin,
        Some(json!({"at": "2099-01-01T00:00:00Z"})),
    )
    .await;
    call(&s, Method::DELETE, "/v1/drafts/autumn", &editor, None).await;
    let (_, keys) = call(&s, Method::GET, "/v1/keys", &s.admin, None).await;
    let editor_id = keys["keys"][2]["id"].clone();
    call(
        &s,
        Method::DELETE,
        &format!("/v1/keys/{editor_id}"),
        &s.admin,
        None,
    )
    .await;
    let (status, audit) = call(&s, Method::GET, "/v1/audit", &s.admin, None).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entries: Vec<(String, String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            (
                e["keyName"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("eddie", "draft.put", "autumn"),
        ("admin", "draft.publish", "autumn"),
        ("admin", "pause", "activity/hero-gold"),
        ("admin", "resume", "activity/hero-gold"),
        ("admin", "rollback", "1"),
        ("admin", "draft.schedule", "autumn"),
        ("eddie", "draft.delete", "autumn"),
        ("admin", "key.revoke", &editor_id.to_string()),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(entries, expected);
    let first = &audit["entries"].as_array().unwrap().last().unwrap().clone();
    assert!(first["at"].as_i64().unwrap() > 0);
    assert_eq!(audit["entries"][3]["detail"]["revision"], 4, "{audit}");
    let (_, limited) = call(&s, Method::GET, "/v1/audit?limit=2", &s.admin, None).await;
    assert_eq!(limited["entries"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn events_of_test_profiles_stay_out_of_reports_and_bandits() {
    let s = start().await;
    call(&s, Method::POST, "/v1/bundles", &s.admin, Some(shop())).await;
    let (status, _) = call(
        &s,
        Method::PUT,
        "/v1/profiles/tess",
        &s.admin,
        Some(json!({"test": true, "consent": {"track": "in"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = call(
        &s,
        Method::PUT,
        "/v1/profiles/real",
        &s.admin,
        Some(json!({"context": {"page": {}}})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sample contexts are for test profiles"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("test profiles")
    );
    call(
        &s,
        Method::PUT,
        "/v1/profiles/real",
        &s.admin,
        Some(json!({})),
    )
    .await;

    let ts = waymark_server::db::now_ms() - 60_000;
    let mut events = Vec::new();
    for profile in ["tess", "real"] {
        for (i, kind) in ["display", "click"].iter().enumerate() {
            events.push(json!({"id": format!("{profile}-{i}"), "type": kind, "profileId": profile, "timestamp": ts + i as i64, "activityId": "hero-test", "variantId": "coats"}));
        }
        events.push(json!({"id": format!("{profile}-buy"), "type": "custom", "name": "purchase", "profileId": profile, "timestamp": ts + 10}));
    }
    let (status, accepted) = call(
        &s,
        Method::POST,
        "/v1/events",
        &s.admin,
        Some(json!({"events": events})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["accepted"], 6);

    let (_, report) = call(&s, Method::GET, "/v1/reports", &s.admin, None).await;
    let rows = report["rows"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["activityId"] == "hero-test" && r["variantId"] == "coats")
        .unwrap();
    assert_eq!(row["displays"], 1, "{report}");
    assert_eq!(row["clicks"], 1);
    assert_eq!(row["conversions"], 1);
    let (_, bandits) = call(&s, Method::POST, "/v1/bandits/recompute", &s.admin, None).await;
    let coats = bandits["bandits"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variantId"] == "coats")
        .unwrap()
        .clone();
    assert_eq!(coats["displays"], 1, "{bandits}");
    // The test profile's own counters still see its events (previews use them).
    let (_, snapshot) = call(
        &s,
        Method::GET,
        "/v1/profiles/tess/snapshot",
        &s.admin,
        None,
    )
    .await;
    assert!(
        snapshot["counters"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["target"] == "hero-test" && c["event"] == "display"),
        "{snapshot}"
    );
}
