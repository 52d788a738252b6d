//! Global caps: the API counts everyone's events and publishes the `exhausted` list itself, as a
//! new signed revision. The real API on 127.0.0.1 over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{SHOP, Server};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// 2026-11-28T12:00:00Z, during the shop's gold sale.
const NOW: i64 = 1_795_867_200_000;

async fn start() -> Server {
    common::start_with("caps", |config| {
        config.token_secret = Some("test-secret-test-secret".into());
        // The schedule's safety net must not be what publishes in these tests.
        config.schedule_interval = Duration::from_secs(3600);
    })
    .await
}

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

/// The shop with a global cap on offer-gold-15's displays (its weekly per-profile cap stays).
fn capped_shop(max: u32) -> Value {
    let mut shop: Value = serde_json::from_str(SHOP).unwrap();
    shop["offers"][0]["caps"]
        .as_array_mut()
        .unwrap()
        .push(json!({"event": "display", "period": "lifetime", "max": max, "scope": "global"}));
    shop
}

fn display(profile: &str, id: &str) -> Value {
    json!({"id": id, "type": "display", "profileId": profile, "timestamp": NOW,
           "offerId": "offer-gold-15", "placementId": "home-offer"})
}

async fn post_events(s: &Server, events: Vec<Value>) -> Value {
    let (status, body) = call(
        s,
        Method::POST,
        "/v1/events",
        &s.admin,
        Some(json!({ "events": events })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The served bundle and its revision, checking it is signed.
async fn live(s: &Server) -> Value {
    let response = s
        .http
        .get(format!("{}/v1/bundle", s.url))
        .header("x-waymark-key", &s.client)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("waymark-signature")
            .is_some_and(|v| v.to_str().unwrap().starts_with("ed25519="))
    );
    response.json().await.unwrap()
}

async fn gold_offer_outcome(s: &Server) -> Value {
    let request =
        json!({"profileId": "gina", "now": NOW, "surfaces": ["web://shop.example/#offer"]});
    let (status, decision) = call(s, Method::POST, "/v1/decide", &s.admin, Some(request)).await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "offer-gold-15")
        .map(|r| r["outcome"].clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_global_cap_reached_republishes_the_bundle_with_the_offer_exhausted() {
    let s = start().await;
    const MAX: u32 = 5;
    let (status, body) = call(
        &s,
        Method::POST,
        "/v1/bundles",
        &s.admin,
        Some(capped_shop(MAX)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let first = body["revision"].as_i64().unwrap();
    let gina = json!({"attributes": {"firstName": "Gina", "loyalty": {"tier": "gold"}},
                      "consent": {"personalize": "in", "track": "in"}});
    call(&s, Method::PUT, "/v1/profiles/gina", &s.admin, Some(gina)).await;
    assert_eq!(gold_offer_outcome(&s).await, "chosen");

    // A test profile's displays never count.
    call(
        &s,
        Method::PUT,
        "/v1/profiles/tess",
        &s.admin,
        Some(json!({"test": true})),
    )
    .await;
    let tests = (0..MAX + 2)
        .map(|i| display("tess", &format!("t{i}")))
        .collect();
    post_events(&s, tests).await;

    // MAX - 1 displays by different visitors, one of them sent twice (a retry).
    let mut last_ordinary = Duration::ZERO;
    for i in 1..MAX {
        let started = Instant::now();
        let body = post_events(&s, vec![display(&format!("v{i}"), "e1")]).await;
        last_ordinary = started.elapsed();
        assert_eq!(body["accepted"], 1, "{body}");
    }
    let retry = post_events(&s, vec![display(&format!("v{}", MAX - 1), "e1")]).await;
    assert_eq!(retry["duplicates"], 1, "{retry}");
    let (status, caps) = call(&s, Method::GET, "/v1/caps", &s.admin, None).await;
    assert_eq!(status, StatusCode::OK, "{caps}");
    assert_eq!(
        caps["caps"],
        json!([{"item": "offer/offer-gold-15", "cap": 1, "event": "display", "max": MAX,
                "count": MAX - 1, "exhausted": false}])
    );
    let bundle = live(&s).await;
    assert_eq!(bundle["revision"], first, "no republication before the cap");
    assert!(bundle.get("exhausted").is_none(), "{}", bundle["exhausted"]);

    // The MAX-th display: by the time the API answers, the new revision is served.
    let started = Instant::now();
    let body = post_events(&s, vec![display("v-last", "e1")]).await;
    let answered = started.elapsed();
    let bundle = live(&s).await;
    let served = started.elapsed();
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(bundle["revision"], first + 1);
    assert_eq!(bundle["exhausted"], json!(["offer-gold-15"]));
    eprintln!(
        "global cap: the event reaching it answered in {answered:?} (republication included; an \
         ordinary event {last_ordinary:?}); new revision served {served:?} after it was sent"
    );
    // The compiled form the browser SDK loads is the same revision.
    let compiled = s
        .http
        .get(format!("{}/v1/bundle/compiled", s.url))
        .header("x-waymark-key", &s.client)
        .send()
        .await
        .unwrap();
    assert!(
        compiled
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(&format!("\"r{}-", first + 1))
    );
    assert_eq!(gold_offer_outcome(&s).await, "exhausted");

    // Audited as the server's own action.
    let (_, audit) = call(&s, Method::GET, "/v1/audit?limit=1", &s.admin, None).await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "exhaust", "{audit}");
    assert_eq!(entry["keyName"], "system");
    assert!(entry.get("keyId").is_none());
    assert_eq!(entry["target"], "offer/offer-gold-15");
    assert_eq!(entry["detail"]["revision"], first + 1);
    assert_eq!(
        entry["detail"]["caps"],
        json!([{"item": "offer/offer-gold-15", "cap": 1, "event": "display", "max": MAX, "count": MAX}])
    );
    let (_, revisions) = call(&s, Method::GET, "/v1/bundles", &s.admin, None).await;
    assert_eq!(
        revisions["revisions"][0]["source"],
        "global cap reached: offer/offer-gold-15"
    );

    // Displays in flight keep counting, without another revision.
    post_events(&s, vec![display("v-late", "e1")]).await;
    assert_eq!(live(&s).await["revision"], first + 1);
    let (_, caps) = call(&s, Method::GET, "/v1/caps", &s.admin, None).await;
    assert_eq!(caps["caps"][0]["count"], MAX + 1);
    assert_eq!(caps["caps"][0]["exhausted"], true);

    // Later publications keep the offer exhausted while the cap is reached, with ids the
    // author lists; a higher cap lets it show again.
    let (status, paused) = call(
        &s,
        Method::POST,
        "/v1/offers/offer-shipping/pause",
        &s.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{paused}");
    assert_eq!(live(&s).await["exhausted"], json!(["offer-gold-15"]));
    let mut authored = capped_shop(MAX);
    authored["exhausted"] = json!(["hero-test"]);
    call(&s, Method::POST, "/v1/bundles", &s.admin, Some(authored)).await;
    assert_eq!(
        live(&s).await["exhausted"],
        json!(["hero-test", "offer-gold-15"])
    );
    call(
        &s,
        Method::POST,
        "/v1/bundles",
        &s.admin,
        Some(capped_shop(MAX + 10)),
    )
    .await;
    assert!(live(&s).await.get("exhausted").is_none());
    assert_eq!(gold_offer_outcome(&s).await, "chosen");
}

/// Many requests crossing the cap at once publish one revision.
#[tokio::test]
async fn concurrent_events_crossing_a_global_cap_republish_once() {
    let s = std::sync::Arc::new(start().await);
    call(
        &s,
        Method::POST,
        "/v1/bundles",
        &s.admin,
        Some(capped_shop(3)),
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let s = std::sync::Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            post_events(&s, vec![display(&format!("c{i}"), "e1")]).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let bundle = live(&s).await;
    assert_eq!(bundle["revision"], 2);
    assert_eq!(bundle["exhausted"], json!(["offer-gold-15"]));
    let (_, audit) = call(&s, Method::GET, "/v1/audit", &s.admin, None).await;
    let exhausts = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "exhaust")
        .count();
    assert_eq!(exhausts, 1, "{audit}");
}

/// A global cap that is not a lifetime cap is refused with its pointer; one reached before the
/// bundle is published is exhausted in the first revision.
#[tokio::test]
async fn global_caps_are_validated_and_apply_to_events_counted_before_publication() {
    let s = start().await;
    let mut bad = capped_shop(5);
    bad["offers"][0]["caps"][1]["period"] = json!("day");
    let (status, problem) = call(&s, Method::POST, "/v1/bundles", &s.admin, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["problems"][0]["pointer"], "/offers/0/caps/1/period",
        "{problem}"
    );
    post_events(&s, vec![display("a", "e1"), display("b", "e1")]).await;
    let (status, _) = call(
        &s,
        Method::POST,
        "/v1/bundles",
        &s.admin,
        Some(capped_shop(2)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let bundle = live(&s).await;
    assert_eq!(bundle["revision"], 1);
    assert_eq!(bundle["exhausted"], json!(["offer-gold-15"]));
}
