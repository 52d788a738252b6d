//! Identity stitching (`POST /v1/profiles/{id}/merge`): an anonymous visitor's events, counters
//! and caps continue on the known profile after sign-in. The real API on 127.0.0.1 over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SHOP, Server};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use waymark_server::auth::{self, Role};

const SECRET: &str = "test-secret-test-secret";
/// 2026-11-28T12:00:00Z, during the shop's gold sale.
const NOW: i64 = 1_795_867_200_000;
const ANON: &str = "anon-AAAAAAAAAAAAAAAAAAAAAAAA";
const OTHER_ANON: &str = "anon-BBBBBBBBBBBBBBBBBBBBBBBB";

async fn start() -> Server {
    let s = common::start_with("stitch", |config| {
        config.token_secret = Some(SECRET.into());
    })
    .await;
    let (status, body) = call(
        &s,
        Method::POST,
        "/v1/bundles",
        &s.admin,
        None,
        Some(shop()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let gina = json!({"attributes": {"firstName": "Gina", "loyalty": {"tier": "gold"}},
                      "consent": {"personalize": "in", "track": "in"}});
    let (status, _) = call(
        &s,
        Method::PUT,
        "/v1/profiles/gina",
        &s.admin,
        None,
        Some(gina),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    s
}

fn shop() -> Value {
    serde_json::from_str(SHOP).unwrap()
}

fn token(profile: &str) -> String {
    let later = jiff::Timestamp::now().as_second() + 3600;
    auth::mint_token(SECRET.as_bytes(), profile, later).unwrap()
}

async fn call(
    s: &Server,
    method: Method,
    path: &str,
    key: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = s.http.request(method, format!("{}{path}", s.url));
    if !key.is_empty() {
        r = r.header("x-waymark-key", key);
    }
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    if let Some(value) = body {
        r = r.json(&value);
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

/// Merges `from` into `into` with the client key and `into`'s visitor token, as the SDK does.
async fn identify(s: &Server, from: &str, into: &str) -> (StatusCode, Value) {
    call(
        s,
        Method::POST,
        &format!("/v1/profiles/{into}/merge"),
        &s.client,
        Some(&token(into)),
        Some(json!({ "from": from })),
    )
    .await
}

/// Posts events with the client key, with a visitor token for `token_for` when given.
async fn post_events(s: &Server, token_for: Option<&str>, events: Vec<Value>) -> Value {
    let tokens: Vec<String> = token_for.into_iter().map(token).collect();
    let (status, body) = call(
        s,
        Method::POST,
        "/v1/events",
        &s.client,
        None,
        Some(json!({ "events": events, "tokens": tokens })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn display(profile: &str, id: &str) -> Value {
    json!({"id": id, "type": "display", "profileId": profile, "timestamp": NOW,
           "offerId": "offer-gold-15", "placementId": "home-offer"})
}

fn custom(profile: &str, id: &str, name: &str, ts: i64) -> Value {
    json!({"id": id, "type": "custom", "name": name, "profileId": profile, "timestamp": ts})
}

/// The snapshot's counter total for (target, event), read with the admin key (0 when none).
async fn total(s: &Server, profile: &str, target: &str, event: &str) -> i64 {
    let (status, snapshot) = call(
        s,
        Method::GET,
        &format!("/v1/profiles/{profile}/snapshot"),
        &s.admin,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{snapshot}");
    snapshot["counters"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["target"] == target && c["event"] == event)
        .map_or(0, |c| c["total"].as_i64().unwrap())
}

/// What a decision for gina at NOW says about the gold offer (its weekly cap is 5 displays).
async fn gold_offer_outcome(s: &Server) -> Value {
    let request =
        json!({"profileId": "gina", "now": NOW, "surfaces": ["web://shop.example/#offer"]});
    let (status, decision) =
        call(s, Method::POST, "/v1/decide", &s.admin, None, Some(request)).await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "offer-gold-15")
        .map(|r| r["outcome"].clone())
        .unwrap_or_default()
}

async fn snapshot_version(s: &Server) -> Value {
    let (_, snap) = call(
        s,
        Method::GET,
        "/v1/profiles/gina/snapshot",
        &s.admin,
        None,
        None,
    )
    .await;
    snap["version"].clone()
}

/// The report line of hero-test's variant `coats` on `day`.
async fn coats(s: &Server, day: jiff::civil::Date) -> Value {
    let path = format!("/v1/reports?from={day}&to={day}");
    let (status, report) = call(s, Method::GET, &path, &s.admin, None, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["activityId"] == "hero-test" && r["variantId"] == "coats")
        .cloned()
        .expect("a line for hero-test's variant coats")
}

async fn admin_merge(s: &Server, from: &str, into: &str) -> (StatusCode, Value) {
    let path = format!("/v1/profiles/{into}/merge");
    call(
        s,
        Method::POST,
        &path,
        &s.admin,
        None,
        Some(json!({ "from": from })),
    )
    .await
}

async fn merge_entries(s: &Server) -> Vec<Value> {
    let (status, audit) = call(s, Method::GET, "/v1/audit", &s.admin, None, None).await;
    assert_eq!(status, StatusCode::OK);
    audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "merge")
        .cloned()
        .collect()
}

#[tokio::test]
async fn counters_and_caps_continue_across_sign_in() {
    let s = start().await;
    // Three displays while anonymous, two once signed in: the weekly cap of 5 is reached only
    // together. `seen` is the same event sent under both ids: it counts once.
    let mut anonymous: Vec<Value> = (1..=3).map(|i| display(ANON, &format!("a{i}"))).collect();
    anonymous.push(custom(ANON, "seen", "viewProduct", NOW));
    assert_eq!(post_events(&s, None, anonymous).await["accepted"], 4);
    let known = vec![
        display("gina", "k1"),
        display("gina", "k2"),
        custom("gina", "seen", "viewProduct", NOW),
    ];
    assert_eq!(post_events(&s, Some("gina"), known).await["accepted"], 3);
    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 2);
    assert_eq!(gold_offer_outcome(&s).await, "chosen");

    let (status, merged) = identify(&s, ANON, "gina").await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["from"], ANON);
    assert_eq!(merged["into"], "gina");
    assert_eq!(
        (&merged["events"], &merged["duplicates"]),
        (&json!(3), &json!(1))
    );

    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 5);
    assert_eq!(total(&s, "gina", "*", "viewProduct").await, 1);
    let outcome = gold_offer_outcome(&s).await;
    assert_ne!(outcome, "chosen", "the cap counts the anonymous displays");
    assert_ne!(outcome, Value::Null);
    // The anonymous id has nothing left: a new visitor's empty snapshot.
    let (status, snapshot) = call(
        &s,
        Method::GET,
        &format!("/v1/profiles/{ANON}/snapshot"),
        &s.client,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(snapshot["counters"]["items"], json!([]), "{snapshot}");
    // Audit-logged under the client key's name.
    let entries = merge_entries(&s).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["keyName"], "web");
    assert_eq!(entries[0]["target"], "profile/gina");
    assert_eq!(entries[0]["detail"]["from"], ANON);
}

#[tokio::test]
async fn merging_twice_changes_nothing_and_answers_the_same() {
    let s = start().await;
    post_events(&s, None, vec![display(ANON, "a1"), display(ANON, "a2")]).await;
    let (status, first) = identify(&s, ANON, "gina").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["events"], 2);
    let before = snapshot_version(&s).await;
    let (status, again) = identify(&s, ANON, "gina").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, first);
    // The admin key asking for the same merge gets the same answer too.
    let (status, by_admin) = call(
        &s,
        Method::POST,
        "/v1/profiles/gina/merge",
        &s.admin,
        None,
        Some(json!({ "from": ANON })),
    )
    .await;
    assert_eq!((status, &by_admin), (StatusCode::OK, &first));
    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 2);
    assert_eq!(snapshot_version(&s).await, before, "nothing was written");
    assert_eq!(merge_entries(&s).await.len(), 1);
}

#[tokio::test]
async fn late_events_for_the_anonymous_id_land_on_the_known_profile() {
    let s = start().await;
    post_events(&s, None, vec![display(ANON, "a1")]).await;
    identify(&s, ANON, "gina").await;
    // A beacon from before sign-in arrives late: stored for gina, and its retry (or a resend of
    // an event already merged) never counts twice.
    let late = post_events(&s, None, vec![display(ANON, "a2"), display(ANON, "a1")]).await;
    assert_eq!(
        (&late["accepted"], &late["duplicates"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 2);
    assert_eq!(total(&s, ANON, "offer-gold-15", "display").await, 0);
    let again = post_events(&s, None, vec![display(ANON, "a2")]).await;
    assert_eq!(again["duplicates"], 1);
    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 2);

    // Erasing gina erases its merge records: the anonymous id is a new visitor again.
    let (status, _) = call(
        &s,
        Method::DELETE,
        "/v1/profiles/gina",
        &s.admin,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    post_events(&s, None, vec![display(ANON, "a3")]).await;
    assert_eq!(total(&s, ANON, "offer-gold-15", "display").await, 1);
}

#[tokio::test]
async fn a_conversion_after_sign_in_counts_for_the_variant_shown_anonymously() {
    let s = start().await;
    let now = jiff::Timestamp::now().as_millisecond();
    let day = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    // Make sure both events fall on the same UTC day as `day`.
    let start_of_day = now - now % 86_400_000;
    let (shown, bought) = (start_of_day.max(now - 60_000), now);
    let shown_event = json!({"id": "d1", "type": "display", "profileId": ANON, "timestamp": shown,
                             "activityId": "hero-test", "variantId": "coats"});
    post_events(&s, None, vec![shown_event]).await;
    post_events(
        &s,
        Some("gina"),
        vec![custom("gina", "b1", "purchase", bought)],
    )
    .await;
    let before = coats(&s, day).await;
    assert_eq!(
        (&before["displays"], &before["conversions"]),
        (&json!(1), &json!(0))
    );
    identify(&s, ANON, "gina").await;
    let after = coats(&s, day).await;
    assert_eq!(
        (&after["displays"], &after["conversions"]),
        (&json!(1), &json!(1)),
        "the display moved with the merge and is not counted twice"
    );
}

#[tokio::test]
async fn merging_into_itself_twice_or_in_a_loop_is_refused() {
    let s = start().await;
    let (status, body) = admin_merge(&s, "gina", "gina").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("into itself"),
        "{body}"
    );
    let (status, _) = identify(&s, ANON, "gina").await;
    assert_eq!(status, StatusCode::OK);
    // Already merged into gina: not into anyone else.
    let (status, body) = identify(&s, ANON, "bob").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("already merged"),
        "{body}"
    );
    // Into an id that was merged away: a loop, refused.
    let (status, body) = admin_merge(&s, "gina", ANON).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("merge into that one"),
        "{body}"
    );

    // gina merged into another known profile (duplicate accounts, admin key): what was merged
    // into gina now resolves to the new target in one step.
    post_events(&s, None, vec![display(ANON, "a1")]).await;
    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 1);
    let (status, body) = admin_merge(&s, "gina", "gina2").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["events"], 1);
    post_events(&s, None, vec![display(ANON, "a2")]).await;
    assert_eq!(total(&s, "gina2", "offer-gold-15", "display").await, 2);
    // gina2 keeps gina's document (it had none).
    let (status, profile) = call(&s, Method::GET, "/v1/profiles/gina2", &s.admin, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["attributes"]["firstName"], "Gina");
    let (status, _) = call(&s, Method::GET, "/v1/profiles/gina", &s.admin, None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_known_profiles_token_or_an_admin_key_may_merge() {
    let s = start().await;
    post_events(&s, None, vec![display(ANON, "a1")]).await;
    let (editor, _) = s
        .state
        .db
        .write_blocking(|c| auth::create_role_key(c, Role::Editor, "ed"))
        .unwrap();
    let (viewer, _) = s
        .state
        .db
        .write_blocking(|c| auth::create_role_key(c, Role::Viewer, "vi"))
        .unwrap();
    let forged = auth::mint_token(b"another secret", "gina", i64::MAX / 2).unwrap();
    let expired = auth::mint_token(
        SECRET.as_bytes(),
        "gina",
        jiff::Timestamp::now().as_second() - 1,
    )
    .unwrap();
    let body = json!({ "from": ANON });
    let path = "/v1/profiles/gina/merge";
    let bob = token("bob");
    let cases: [(&str, Option<&str>, StatusCode); 7] = [
        ("", None, StatusCode::UNAUTHORIZED),
        (
            "wmc_not-a-key",
            Some(bob.as_str()),
            StatusCode::UNAUTHORIZED,
        ),
        (&s.client, None, StatusCode::UNAUTHORIZED),
        (&s.client, Some(forged.as_str()), StatusCode::UNAUTHORIZED),
        (&s.client, Some(expired.as_str()), StatusCode::UNAUTHORIZED),
        (&s.client, Some(bob.as_str()), StatusCode::FORBIDDEN),
        (&editor, None, StatusCode::FORBIDDEN),
    ];
    for (i, (key, token, expected)) in cases.iter().enumerate() {
        let (status, answer) = call(&s, Method::POST, path, key, *token, Some(body.clone())).await;
        assert_eq!(status, *expected, "case {i}: {answer}");
    }
    let (status, _) = call(&s, Method::POST, path, &viewer, None, Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A client key with gina's token merges only anonymous ids, never a known profile.
    let (status, answer) = identify(&s, "bob", "gina").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(
        answer["detail"].as_str().unwrap().contains("anonymous"),
        "{answer}"
    );
    // Nothing moved.
    assert_eq!(total(&s, ANON, "offer-gold-15", "display").await, 1);
    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 0);
    assert!(merge_entries(&s).await.is_empty());
    // The right token does.
    let (status, _) = identify(&s, ANON, "gina").await;
    assert_eq!(status, StatusCode::OK);
    // An admin key merges any id, known profiles included.
    post_events(&s, None, vec![display(OTHER_ANON, "o1")]).await;
    let (status, answer) = call(
        &s,
        Method::POST,
        "/v1/profiles/bob/merge",
        &s.admin,
        None,
        Some(json!({ "from": OTHER_ANON })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(total(&s, "bob", "offer-gold-15", "display").await, 1);
}

#[tokio::test]
async fn a_profile_that_opted_out_of_tracking_gets_nothing_and_the_anonymous_events_go() {
    let s = start().await;
    let (status, _) = call(
        &s,
        Method::PATCH,
        "/v1/profiles/gina",
        &s.admin,
        None,
        Some(json!({"consent": {"track": "out"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    post_events(&s, None, vec![display(ANON, "a1"), display(ANON, "a2")]).await;
    let (status, merged) = identify(&s, ANON, "gina").await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(
        (&merged["events"], &merged["erased"]),
        (&json!(0), &json!(2))
    );
    assert_eq!(total(&s, "gina", "offer-gold-15", "display").await, 0);
    assert_eq!(total(&s, ANON, "offer-gold-15", "display").await, 0);
}
