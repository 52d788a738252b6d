//! The real API on 127.0.0.1 (random port, temporary database), driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use common::{SHOP, Server};
use reqwest::StatusCode;
use serde_json::{Value, json};
use waymark_server::ServerConfig;
use waymark_server::auth;

const SECRET: &str = "test-secret-test-secret";

async fn start() -> Server {
    start_with(|_| {}).await
}

async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> Server {
    common::start_with("api", |config| {
        config.token_secret = Some(SECRET.into());
        configure(config);
    })
    .await
}

impl Server {
    fn req(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}{path}", self.url));
        if let Some(key) = key {
            r = r.header("x-waymark-key", key);
        }
        r
    }

    /// Sends a request without a body.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
    ) -> reqwest::Response {
        self.req(method, path, key).send().await.unwrap()
    }

    async fn publish(&self, body: &str) -> (StatusCode, Value) {
        let r = self
            .req(reqwest::Method::POST, "/v1/bundles", Some(&self.admin))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    async fn put_profile(&self, id: &str, doc: Value) -> StatusCode {
        self.req(
            reqwest::Method::PUT,
            &format!("/v1/profiles/{id}"),
            Some(&self.admin),
        )
        .json(&doc)
        .send()
        .await
        .unwrap()
        .status()
    }

    /// Posts events with the admin key, as a site's backend does (any profile, no token).
    async fn events(&self, events: Value) -> (StatusCode, Value) {
        let r = self
            .req(reqwest::Method::POST, "/v1/events", Some(&self.admin))
            .json(&json!({ "events": events }))
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    async fn snapshot(
        &self,
        id: &str,
        key: Option<&str>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut r = self.req(
            reqwest::Method::GET,
            &format!("/v1/profiles/{id}/snapshot"),
            key,
        );
        if let Some(token) = token {
            r = r.bearer_auth(token);
        }
        r.send().await.unwrap()
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Checks `header` against `label`, a newline and `body`; and that the body alone, or under
/// any other label, does not verify (a signature vouches for one kind of body).
fn verify(public_b64: &str, label: &str, body: &[u8], header: &str) {
    let key: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(public_b64)
        .unwrap()
        .try_into()
        .unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap();
    let sig: [u8; 64] = base64::engine::general_purpose::STANDARD
        .decode(header.strip_prefix("ed25519=").unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let sig = ed25519_dalek::Signature::from_bytes(&sig);
    let labelled = |label: &str| [label.as_bytes(), b"\n", body].concat();
    key.verify_strict(&labelled(label), &sig)
        .expect("the signature verifies with the served public key and the body's label");
    assert!(
        key.verify_strict(body, &sig).is_err(),
        "an unlabelled signature"
    );
    for other in [
        "waymark-bundle-v1",
        "waymark-compiled-v1",
        "waymark-snapshot-v1",
    ] {
        if other != label {
            assert!(
                key.verify_strict(&labelled(other), &sig).is_err(),
                "{other}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_publish_validate_sign_cache_and_roll_back() {
    let s = start().await;
    let r = s
        .send(reqwest::Method::GET, "/v1/bundle", Some(&s.client))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let (status, body) = s.publish(SHOP).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["revision"], 1);

    let (status, body) = s
        .publish(r#"{"format": 1, "id": "broken", "activities": [{"id": "a", "surfaces": []}]}"#)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["status"], 422);
    assert_eq!(body["problems"][0]["pointer"], "/activities/0/surfaces");
    let (status, body) = s.publish("{\"format\": 1,").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("line 1 column 13"),
        "{body}"
    );

    // The good bundle stayed current, and is served signed with an ETag.
    let r = s
        .send(reqwest::Method::GET, "/v1/bundle", Some(&s.client))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let signature = r.headers()["waymark-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    let bytes = r.bytes().await.unwrap();
    let served: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(served["id"], "demo-shop");
    assert_eq!(served["revision"], 1);
    let key: Value = s
        .send(reqwest::Method::GET, "/v1/keys/signing", None)
        .await
        .json()
        .await
        .unwrap();
    verify(
        key["base64"].as_str().unwrap(),
        "waymark-bundle-v1",
        &bytes,
        &signature,
    );
    assert_eq!(key["labels"]["/v1/bundle"], "waymark-bundle-v1");
    assert_eq!(key["hex"].as_str().unwrap().len(), 64);

    let r = s
        .req(reqwest::Method::GET, "/v1/bundle", Some(&s.client))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.unwrap().is_empty());

    // The same bundle compiled for the browser SDK: signed, revalidated, and it decides as the
    // bundle does.
    let r = s
        .send(reqwest::Method::GET, "/v1/bundle/compiled", Some(&s.client))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.waymark.compiled-bundle"
    );
    let compiled_etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(compiled_etag, etag);
    let signature = r.headers()["waymark-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    let compiled = r.bytes().await.unwrap();
    verify(
        key["base64"].as_str().unwrap(),
        "waymark-compiled-v1",
        &compiled,
        &signature,
    );
    let engine = waymark_core::engine::Engine::from_compiled(&compiled).unwrap();
    assert_eq!(engine.bundle().id, "demo-shop");
    let r = s
        .req(reqwest::Method::GET, "/v1/bundle/compiled", Some(&s.client))
        .header("if-none-match", &compiled_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = s
        .send(reqwest::Method::GET, "/v1/bundle/compiled", None)
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Gzipped for clients that accept it: the same bytes once inflated, and the signature
    // still over them.
    let r = s
        .req(reqwest::Method::GET, "/v1/bundle/compiled", Some(&s.client))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["waymark-signature"], signature.as_str());
    let gzipped = r.bytes().await.unwrap();
    assert!(gzipped.len() < compiled.len(), "{} bytes", gzipped.len());
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzipped[..]),
        &mut inflated,
    )
    .unwrap();
    assert_eq!(inflated, compiled);

    // A second bundle, then a rollback to the first as revision 3.
    let mut second: Value = serde_json::from_str(SHOP).unwrap();
    second["id"] = json!("demo-shop-2");
    assert_eq!(s.publish(&second.to_string()).await.0, StatusCode::CREATED);
    let r = s
        .send(
            reqwest::Method::POST,
            "/v1/bundles/1/rollback",
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = s
        .send(
            reqwest::Method::POST,
            "/v1/bundles/3/rollback",
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = s
        .send(
            reqwest::Method::POST,
            "/v1/bundles/9/rollback",
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list: Value = s
        .send(reqwest::Method::GET, "/v1/bundles", Some(&s.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["current"], 3);
    assert_eq!(list["revisions"][0]["source"], "rollback to 1");
    assert_eq!(list["revisions"].as_array().unwrap().len(), 3);
    let r = s
        .req(reqwest::Method::GET, "/v1/bundle", Some(&s.client))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let served: Value = r.json().await.unwrap();
    assert_eq!(
        (served["id"].as_str(), served["revision"].as_i64()),
        (Some("demo-shop"), Some(3))
    );

    // Writes need an admin key.
    let r = s
        .req(reqwest::Method::POST, "/v1/bundles", Some(&s.client))
        .body(SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = s
        .req(reqwest::Method::POST, "/v1/bundles", None)
        .body(SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_only_for_their_visitor() {
    let s = start().await;
    s.publish(SHOP).await;
    let doc = json!({"attributes": {"firstName": "Ann", "loyalty": {"tier": "gold"}}});
    assert_eq!(s.put_profile("ann", doc.clone()).await, StatusCode::CREATED);
    assert_eq!(s.put_profile("bob", doc).await, StatusCode::CREATED);
    let later = jiff::Timestamp::now().as_second() + 600;
    let ann = auth::mint_token(SECRET.as_bytes(), "ann", later).unwrap();
    let expired = auth::mint_token(SECRET.as_bytes(), "ann", later - 1200).unwrap();
    let forged = auth::mint_token(b"another secret", "ann", later).unwrap();
    let anon = "anon-abcdefghijklmnopqrstuv";
    let cases: Vec<(&str, Option<&str>, Option<&str>, StatusCode)> = vec![
        ("ann", None, None, StatusCode::UNAUTHORIZED),
        ("ann", Some("wmc_nope"), None, StatusCode::UNAUTHORIZED),
        ("ann", None, Some(&ann), StatusCode::UNAUTHORIZED),
        ("ann", Some(&s.client), None, StatusCode::FORBIDDEN),
        ("ann", Some(&s.client), Some(&ann), StatusCode::OK),
        ("bob", Some(&s.client), Some(&ann), StatusCode::FORBIDDEN),
        (
            "ann",
            Some(&s.client),
            Some(&expired),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "ann",
            Some(&s.client),
            Some(&forged),
            StatusCode::UNAUTHORIZED,
        ),
        ("bob", Some(&s.admin), None, StatusCode::OK),
        ("nobody", Some(&s.admin), None, StatusCode::NOT_FOUND),
        (anon, Some(&s.client), None, StatusCode::OK),
        (anon, None, None, StatusCode::UNAUTHORIZED),
        ("anon-short", Some(&s.client), None, StatusCode::FORBIDDEN),
    ];
    for (id, key, token, want) in cases {
        let r = s.snapshot(id, key, token).await;
        assert_eq!(r.status(), want, "{id} key={key:?} token={token:?}");
        if want != StatusCode::OK {
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["status"], want.as_u16());
            assert!(!problem["detail"].as_str().unwrap().is_empty());
        }
    }
    // Only the attributes the bundle reads leave the server; none without consent to personalise.
    let full = json!({"firstName": "Ann", "email": "ann@example.com", "city": "Paris",
                      "loyalty": {"tier": "gold", "points": 10}});
    s.put_profile(
        "ann",
        json!({"attributes": full, "consent": {"personalize": "in"}}),
    )
    .await;
    s.put_profile(
        "out",
        json!({"attributes": full, "consent": {"personalize": "out"}}),
    )
    .await;
    let snap: Value = s
        .snapshot("ann", Some(&s.admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(snap["attributes"]["firstName"], "Ann", "{snap}");
    assert_eq!(snap["attributes"]["loyalty"]["tier"], "gold", "{snap}");
    assert!(snap["attributes"].get("email").is_none(), "{snap}");
    assert!(snap["attributes"].get("city").is_none(), "{snap}");
    let snap: Value = s
        .snapshot("out", Some(&s.admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(snap["attributes"], json!({}));
    assert_eq!(snap["consent"]["personalize"], "out");

    // A new bundle changes every snapshot (revision, projection) and so its ETag.
    let before = s.snapshot("ann", Some(&s.admin), None).await;
    let etag = before.headers()["etag"].to_str().unwrap().to_owned();
    s.publish(SHOP).await;
    let after = s
        .req(
            reqwest::Method::GET,
            "/v1/profiles/ann/snapshot",
            Some(&s.admin),
        )
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);
    let snap: Value = after.json().await.unwrap();
    assert_eq!(snap["bundleRevision"], 2);

    // An unknown anonymous visitor gets an empty snapshot with nothing the site did not give.
    let r = s.snapshot(anon, Some(&s.client), None).await;
    let signature = r.headers()["waymark-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    let bytes = r.bytes().await.unwrap();
    let key: Value = s
        .send(reqwest::Method::GET, "/v1/keys/signing", None)
        .await
        .json()
        .await
        .unwrap();
    let public = key["base64"].as_str().unwrap();
    verify(public, "waymark-snapshot-v1", &bytes, &signature);
    let snap: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(snap["attributes"], json!({}));
    assert_eq!(snap["counters"]["items"], json!([]));
    assert_eq!(snap["bundleRevision"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_idempotent_and_counted_in_the_next_snapshot() {
    let s = start().await;
    s.publish(SHOP).await;
    s.put_profile(
        "ann",
        json!({"timeZone": "Europe/Paris", "consent": {"personalize": "in"}}),
    )
    .await;
    let first = s.snapshot("ann", Some(&s.admin), None).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    let again = s
        .req(
            reqwest::Method::GET,
            "/v1/profiles/ann/snapshot",
            Some(&s.admin),
        )
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let t = now_ms();
    let batch = json!([
        {"id": "e1", "type": "display", "profileId": "ann", "timestamp": t - 1000, "activityId": "hero-gold"},
        {"id": "e2", "type": "click", "profileId": "ann", "timestamp": t, "activityId": "hero-gold"},
        {"id": "e3", "type": "custom", "name": "purchase", "profileId": "ann", "timestamp": t, "data": {"total": 30}},
        {"id": "e4", "type": "click", "profileId": "ann", "timestamp": t},
        {"id": "e5", "type": "display", "profileId": "ann", "timestamp": 1234, "activityId": "x"},
        {"type": "display", "profileId": "ann", "timestamp": t, "activityId": "x"},
        {"id": "e7", "type": "custom", "profileId": "ann", "timestamp": t},
    ]);
    let (status, body) = s.events(batch.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["accepted"].as_i64(), body["duplicates"].as_i64()),
        (Some(3), Some(0))
    );
    let rejected: Vec<i64> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_i64().unwrap())
        .collect();
    assert_eq!(rejected, [3, 4, 5, 6]);
    assert!(
        body["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("activityId")
    );

    // The retried batch counts nothing twice.
    let (_, body) = s.events(batch).await;
    assert_eq!(
        (body["accepted"].as_i64(), body["duplicates"].as_i64()),
        (Some(0), Some(3))
    );

    let r = s
        .req(
            reqwest::Method::GET,
            "/v1/profiles/ann/snapshot",
            Some(&s.admin),
        )
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the counters changed, so the ETag did"
    );
    let snap: Value = r.json().await.unwrap();
    assert!(snap["version"].as_i64() > first["version"].as_i64());
    assert_eq!(snap["counters"]["watermark"], t);
    let items = snap["counters"]["items"].as_array().unwrap();
    let find = |target: &str, event: &str| {
        items
            .iter()
            .find(|i| i["target"] == target && i["event"] == event)
            .unwrap_or_else(|| panic!("{target} {event} in {items:?}"))
            .clone()
    };
    assert_eq!(find("hero-gold", "display")["total"], 1);
    assert_eq!(find("hero-gold", "click")["total"], 1);
    assert_eq!(find("*", "purchase")["total"], 1);
    let today = jiff::tz::TimeZone::get("Europe/Paris")
        .unwrap()
        .to_datetime(jiff::Timestamp::from_millisecond(t).unwrap())
        .date()
        .to_string();
    assert_eq!(find("hero-gold", "click")["days"][&today], 1);

    // All rejected: 422; too many: 413; not JSON: 400 with the position.
    let (status, body) = s.events(json!([{"id": "x"}])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["problems"][0]["index"], 0);
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"id": format!("m{i}"), "type": "custom", "name": "n", "profileId": "ann", "timestamp": t}))
        .collect();
    assert_eq!(
        s.events(Value::Array(many)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let r = s
        .req(reqwest::Method::POST, "/v1/events", Some(&s.client))
        .body("{\"events\": [}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("line 1 column 13"),
        "{body}"
    );

    // Events of a profile that opted out of tracking are refused, and say so.
    s.put_profile("quiet", json!({"consent": {"track": "out"}}))
        .await;
    let (status, body) = s
        .events(json!([
            {"id": "q1", "type": "display", "profileId": "quiet", "timestamp": t, "activityId": "a"},
            {"id": "q2", "type": "display", "profileId": "ann", "timestamp": t, "activityId": "a"},
        ]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["rejected"][0]["index"], 0);
    assert!(
        body["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("opted out")
    );

    // Erasing the profile erases its counters and events.
    let r = s
        .send(reqwest::Method::DELETE, "/v1/profiles/ann", Some(&s.admin))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        s.snapshot("ann", Some(&s.admin), None).await.status(),
        StatusCode::NOT_FOUND
    );
    let metrics = s
        .send(reqwest::Method::GET, "/metrics", Some(&s.admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("waymark_events_total{outcome=\"accepted\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/v1/events\",status=\"200\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("waymark_bundle_revision 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_put_patch_get_delete() {
    let s = start().await;
    let doc = json!({"attributes": {"firstName": "Ann", "city": "Paris"}, "identities": {"email": "a@x"},
                     "audiences": ["vip"], "consent": {"personalize": "in", "track": "out"}, "timeZone": "Europe/Paris"});
    assert_eq!(s.put_profile("ann", doc.clone()).await, StatusCode::CREATED);
    assert_eq!(s.put_profile("ann", doc).await, StatusCode::OK);
    let r = s
        .req(reqwest::Method::PATCH, "/v1/profiles/ann", Some(&s.admin))
        .json(
            &json!({"attributes": {"city": null, "loyalty": {"tier": "gold"}}, "timeZone": "UTC"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let got: Value = s
        .send(reqwest::Method::GET, "/v1/profiles/ann", Some(&s.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["attributes"],
        json!({"firstName": "Ann", "loyalty": {"tier": "gold"}})
    );
    assert_eq!(got["timeZone"], "UTC");
    assert_eq!(got["consent"]["track"], "out");
    assert_eq!(
        s.put_profile("bad", json!({"timeZone": "Nowhere/Else"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = s
        .req(reqwest::Method::PATCH, "/v1/profiles/ghost", Some(&s.admin))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = s
        .send(reqwest::Method::GET, "/v1/profiles/ann", Some(&s.client))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_count_and_bandits_feed_the_next_bundle() {
    let s = start().await;
    s.publish(SHOP).await;
    let t = now_ms();
    let day = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::from_millisecond(t).unwrap())
        .date()
        .to_string();
    let mut events = Vec::new();
    // Variant "coats": 4 displays, 2 clicks, 1 dismissal; "control": 4 displays, 0 clicks.
    for i in 0..4 {
        let p = format!("p{i}");
        events.push(
            json!({"id": format!("d{i}"), "type": "display", "profileId": p, "timestamp": t - 5000,
                           "activityId": "hero-test", "variantId": "coats"}),
        );
        events.push(json!({"id": format!("c{i}"), "type": "display", "profileId": format!("q{i}"), "timestamp": t - 5000,
                           "activityId": "hero-test", "variantId": "control"}));
    }
    for i in 0..2 {
        events.push(json!({"id": format!("k{i}"), "type": "click", "profileId": format!("p{i}"), "timestamp": t - 4000,
                           "activityId": "hero-test", "variantId": "coats"}));
    }
    events.push(
        json!({"id": "x0", "type": "dismiss", "profileId": "p3", "timestamp": t - 3000,
                       "activityId": "hero-test", "variantId": "coats"}),
    );
    // Two purchases by p0 (two conversions), one by p1, one by someone never shown anything.
    for (id, p) in [("b0", "p0"), ("b1", "p0"), ("b2", "p1"), ("b3", "zz")] {
        events.push(json!({"id": id, "type": "custom", "name": "purchase", "profileId": p, "timestamp": t - 1000}));
    }
    events.push(json!({"id": "s0", "type": "custom", "name": "signup", "profileId": "q0", "timestamp": t - 1000}));
    let (status, body) = s.events(Value::Array(events)).await;
    assert_eq!(body["accepted"], 16, "{body}");
    assert_eq!(status, StatusCode::OK);

    let report: Value = s
        .send(
            reqwest::Method::GET,
            &format!("/v1/reports?from={day}&to={day}"),
            Some(&s.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    let coats = rows.iter().find(|r| r["variantId"] == "coats").unwrap();
    assert_eq!(
        (
            &coats["displays"],
            &coats["clicks"],
            &coats["dismissals"],
            &coats["conversions"]
        ),
        (&json!(4), &json!(2), &json!(1), &json!(3))
    );
    assert_eq!(coats["ctr"], 0.5);
    let control = rows.iter().find(|r| r["variantId"] == "control").unwrap();
    assert_eq!(
        (&control["displays"], &control["conversions"]),
        (&json!(4), &json!(0))
    );
    let signups: Value = s
        .send(
            reqwest::Method::GET,
            &format!("/v1/reports?from={day}&to={day}&conversion=signup"),
            Some(&s.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let control = signups["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["variantId"] == "control")
        .unwrap()
        .clone();
    assert_eq!(control["conversions"], 1);
    let r = s
        .send(
            reqwest::Method::GET,
            "/v1/reports?from=yesterday",
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let bandits: Value = s
        .send(
            reqwest::Method::POST,
            "/v1/bandits/recompute",
            Some(&s.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let experiment = &bandits["bandits"][0];
    assert_eq!(experiment["experimentId"], "hero-autumn");
    let weights: Vec<f64> = experiment["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(experiment["variants"][1]["variantId"], "coats");
    assert_eq!(experiment["variants"][1]["clicks"], 2);
    assert!(
        weights[1] > 0.9 && (weights.iter().sum::<f64>() - 1.0).abs() < 1e-9,
        "{weights:?}"
    );
    let again: Value = s
        .send(
            reqwest::Method::POST,
            "/v1/bandits/recompute",
            Some(&s.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["bandits"][0]["variants"], experiment["variants"],
        "deterministic"
    );

    // The next publication carries the weights.
    s.publish(SHOP).await;
    let bundle: Value = s
        .send(reqwest::Method::GET, "/v1/bundle", Some(&s.client))
        .await
        .json()
        .await
        .unwrap();
    let activity = bundle["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "hero-test")
        .unwrap();
    assert_eq!(activity["experiment"]["bandit"], json!(weights));
    let report: Value = s
        .send(reqwest::Method::GET, "/v1/reports", Some(&s.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["bandits"][0]["activityId"], "hero-test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandits_are_recomputed_on_a_schedule_and_keys_may_be_bearer_tokens() {
    let s = start_with(|c| c.bandit_interval = std::time::Duration::from_millis(200)).await;
    s.publish(SHOP).await;
    let t = now_ms();
    let (status, _) = s
        .events(json!([
            {"id": "d1", "type": "display", "profileId": "p", "timestamp": t, "activityId": "hero-test", "variantId": "coats"},
        ]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut bandits = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let report: Value = s
            .send(reqwest::Method::GET, "/v1/reports", Some(&s.admin))
            .await
            .json()
            .await
            .unwrap();
        if report["bandits"].as_array().is_some_and(|b| !b.is_empty()) {
            bandits = report["bandits"].clone();
            break;
        }
    }
    assert_eq!(
        bandits[0]["experimentId"], "hero-autumn",
        "recomputed without a request"
    );

    // An API key also works as `Authorization: Bearer` when there is no X-Waymark-Key.
    let r = s
        .http
        .get(format!("{}/v1/bundle", s.url))
        .bearer_auth(&s.client)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn decide_previews_stored_and_inline_profiles() {
    let s = start().await;
    let decide = |body: Value, key: Option<String>| {
        let r = s
            .req(reqwest::Method::POST, "/v1/decide", key.as_deref())
            .json(&body);
        async move {
            let r = r.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let now = 1_795_867_200_000_i64; // 2026-11-28T12:00:00Z, during the gold sale
    let request =
        json!({"profileId": "ann", "now": now, "surfaces": ["web://shop.example/product/1"]});
    let (status, _) = decide(request.clone(), Some(s.admin.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "no bundle yet");
    s.publish(SHOP).await;
    let (status, _) = decide(request.clone(), Some(s.client.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "previews are for admins");
    let (status, _) = decide(request.clone(), Some(s.admin.clone())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such profile");

    let doc = json!({"attributes": {"firstName": "Ann", "loyalty": {"tier": "gold"}}, "consent": {"personalize": "in"}});
    assert_eq!(s.put_profile("ann", doc).await, StatusCode::CREATED);
    let (status, decision) = decide(request, Some(s.admin.clone())).await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    assert_eq!(decision["propositions"][0]["activityId"], "hero-gold");
    assert_eq!(
        decision["propositions"][0]["content"]["actions"][0]["content"],
        "Hi Ann, your gold perks are waiting"
    );

    let inline = json!({
        "profile": {"profileId": "test", "attributes": {"firstName": "Tess", "loyalty": {"tier": "silver"}}, "consent": {"personalize": "in"}},
        "state": {"visitorId": "v-5"},
        "now": now,
        "surfaces": ["web://shop.example/product/1#hero"]
    });
    let (status, decision) = decide(inline, Some(s.admin.clone())).await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    let reasons = decision["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r["id"] == "hero-gold" && r["outcome"] == "audience"),
        "{decision}"
    );

    let (status, problem) = decide(json!({"surfaces": "nope"}), Some(s.admin.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

/// Static files go out as built, or as the gzipped twin the build wrote when the client accepts
/// gzip.
#[tokio::test]
async fn static_files_are_served_precompressed() {
    let www = std::env::temp_dir().join(format!("waymark-static-{}", std::process::id()));
    std::fs::create_dir_all(&www).unwrap();
    let js = "export const answer = 42;\n".repeat(40);
    std::fs::write(www.join("sdk.js"), &js).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, js.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(www.join("sdk.js.gz"), &gz).unwrap();
    let s = start_with(|config| config.static_dir = Some(www.clone())).await;

    let plain = s.send(reqwest::Method::GET, "/sdk.js", None).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.headers()["vary"], "accept-encoding");
    assert_eq!(plain.text().await.unwrap(), js);
    let r = s
        .req(reqwest::Method::GET, "/sdk.js", None)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["vary"], "accept-encoding");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(r.bytes().await.unwrap(), gz);
    std::fs::remove_dir_all(&www).unwrap();
}

/// `DELETE /v1/profiles/{id}` erases the profile's counters and events, not only the profile:
/// a profile created again under the same id starts with no counters, and the erased events'
/// ids are new to the API again (idempotency is by profile and event id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_profile_erases_its_counters_and_events() {
    let s = start().await;
    s.publish(SHOP).await;
    let doc = json!({"consent": {"personalize": "in"}});
    s.put_profile("eve", doc.clone()).await;
    let t = now_ms();
    let batch = json!({"events": [
        {"id": "d1", "type": "display", "profileId": "eve", "timestamp": t, "activityId": "hero-gold"},
        {"id": "d2", "type": "custom", "name": "purchase", "profileId": "eve", "timestamp": t},
    ]});
    let post = || async {
        let r = s
            .req(reqwest::Method::POST, "/v1/events", Some(&s.admin))
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        (body["accepted"].as_i64(), body["duplicates"].as_i64())
    };
    let counters = || async {
        let snap: Value = s
            .snapshot("eve", Some(&s.admin), None)
            .await
            .json()
            .await
            .unwrap();
        snap["counters"]["items"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(post().await, (Some(2), Some(0)));
    assert_eq!(
        post().await,
        (Some(0), Some(2)),
        "idempotent before erasure"
    );
    assert_eq!(counters().await, 2);

    let r = s
        .send(reqwest::Method::DELETE, "/v1/profiles/eve", Some(&s.admin))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.put_profile("eve", doc).await, StatusCode::CREATED);
    assert_eq!(counters().await, 0, "the counters were erased");
    assert_eq!(post().await, (Some(2), Some(0)), "the events were erased");
    assert_eq!(counters().await, 2);
}

/// Posts `{"events": …, "tokens": …}` with the client key in the header, and `bearer` as a
/// visitor token in `Authorization` if given.
async fn client_events(
    s: &Server,
    events: Value,
    tokens: &[&str],
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    let mut r = s
        .req(reqwest::Method::POST, "/v1/events", Some(&s.client))
        .json(&json!({ "events": events, "tokens": tokens }));
    if let Some(token) = bearer {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_keys_post_events_only_for_their_visitor() {
    let s = start().await;
    s.publish(SHOP).await;
    s.put_profile("ann", json!({})).await;
    s.put_profile("bob", json!({})).await;
    let now = jiff::Timestamp::now().as_second();
    let ann = auth::mint_token(SECRET.as_bytes(), "ann", now + 600).unwrap();
    let expired = auth::mint_token(SECRET.as_bytes(), "ann", now - 600).unwrap();
    let forged = auth::mint_token(b"another secret", "ann", now + 600).unwrap();
    let anon = "anon-abcdefghijklmnopqrstuv";
    let t = now_ms();
    let event = |id: &str, profile: &str| json!({"id": id, "type": "custom", "name": "visit", "profileId": profile, "timestamp": t});
    let refused = |body: &Value, index: usize, words: &[&str]| {
        let problems = body["problems"].as_array().or(body["rejected"].as_array());
        let problem = problems
            .and_then(|p| p.iter().find(|p| p["index"] == index))
            .unwrap_or_else(|| panic!("event {index} is refused: {body}"));
        let reason = problem["reason"].as_str().unwrap();
        for word in words {
            assert!(reason.contains(word), "{word}: {reason}");
        }
    };

    // Someone else's profile, without its token: refused, and nothing else changes.
    let (status, body) = client_events(&s, json!([event("a1", "ann")]), &[], None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    refused(&body, 0, &["`ann`", "visitor token", "tokens"]);
    let (status, body) = client_events(
        &s,
        json!([event("a2", "ann"), event("n1", anon)]),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["accepted"], 1,
        "the anonymous event is its own credential"
    );
    refused(&body, 0, &["`ann`"]);
    // With the visitor's token, in the body (beacons) or in the header.
    let (status, body) = client_events(&s, json!([event("a3", "ann")]), &[&ann], None).await;
    assert_eq!(
        (status, body["accepted"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    let (status, body) = client_events(&s, json!([event("a4", "ann")]), &[], Some(&ann)).await;
    assert_eq!(
        (status, body["accepted"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    // Another visitor's token, an expired one, a forged one, a short `anon-` id: refused.
    let (status, body) = client_events(&s, json!([event("b1", "bob")]), &[&ann], None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    refused(&body, 0, &["`bob`"]);
    let (_, body) = client_events(&s, json!([event("a5", "ann")]), &[&expired], None).await;
    refused(&body, 0, &["has expired"]);
    let (_, body) = client_events(&s, json!([event("a6", "ann")]), &[&forged], None).await;
    refused(&body, 0, &["bad signature"]);
    let (_, body) = client_events(&s, json!([event("s1", "anon-short")]), &[], None).await;
    refused(&body, 0, &["`anon-short`"]);
    // A beacon: the key in the query, the token in the body.
    let r = s
        .http
        .post(format!("{}/v1/events?key={}", s.url, s.client))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(json!({"events": [event("a7", "ann")], "tokens": [ann]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["accepted"], 1);
    let tokens = vec![ann.as_str(); 17];
    let (status, _) = client_events(&s, json!([event("a8", "ann")]), &tokens, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "at most 16 tokens");
    // An admin key posts for anyone.
    let (status, body) = s.events(json!([event("b2", "bob")])).await;
    assert_eq!(
        (status, body["accepted"].as_i64()),
        (StatusCode::OK, Some(1))
    );

    // Only the accepted events counted.
    let visits = |snap: Value| {
        snap["counters"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["event"] == "visit")
            .map_or(0, |i| i["total"].as_i64().unwrap())
    };
    let snap = s.snapshot("ann", Some(&s.admin), None).await.json().await;
    assert_eq!(visits(snap.unwrap()), 3, "a3, a4 and a7");
    let snap = s.snapshot("bob", Some(&s.admin), None).await.json().await;
    assert_eq!(visits(snap.unwrap()), 1, "b2 only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after_and_profiles_have_an_event_cap() {
    use std::num::NonZeroU32;
    use waymark_server::limits::Rate;
    // One token an hour: nothing refills during the test.
    let hourly = |burst| {
        Some(Rate {
            burst: NonZeroU32::new(burst).unwrap(),
            period: std::time::Duration::from_secs(3600),
        })
    };
    let s = start_with(|c| {
        c.key_rate = hourly(20);
        c.profile_event_rate = hourly(3);
        c.max_events_per_profile = Some(4);
    })
    .await;
    s.publish(SHOP).await;
    let t = now_ms();
    let event = |id: &str, profile: &str| json!({"id": id, "type": "custom", "name": "visit", "profileId": profile, "timestamp": t});
    let (a, b, c) = (
        "anon-aaaaaaaaaaaaaaaaaaaaaa",
        "anon-bbbbbbbbbbbbbbbbbbbbbb",
        "anon-cccccccccccccccccccccc",
    );
    // Per profile: three events, then 429 with Retry-After; other profiles are not affected.
    let batch = json!([event("1", a), event("2", a), event("3", a)]);
    assert_eq!(client_events(&s, batch, &[], None).await.0, StatusCode::OK);
    let r = s
        .req(reqwest::Method::POST, "/v1/events", Some(&s.client))
        .json(&json!({"events": [event("4", a)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["retryAfter"], retry);
    assert!(problem["detail"].as_str().unwrap().contains(a), "{problem}");
    assert_eq!(
        client_events(&s, json!([event("1", b)]), &[], None).await.0,
        StatusCode::OK
    );
    let four = json!([event("1", c), event("2", c), event("3", c), event("4", c)]);
    assert_eq!(
        client_events(&s, four, &[], None).await.0,
        StatusCode::PAYLOAD_TOO_LARGE,
        "more events for one profile than its bucket holds"
    );

    // Per key: 20 requests, 4 of them above; the 17th from here is refused.
    let mut ok = 0;
    let refused = loop {
        let r = s.send(reqwest::Method::GET, "/v1/keys/signing", None).await;
        assert_eq!(r.status(), StatusCode::OK, "keyless routes are not charged");
        let r = s
            .send(reqwest::Method::GET, "/v1/bundle", Some(&s.client))
            .await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            break r;
        }
        ok += 1;
        assert!(ok <= 16, "{}", r.status());
    };
    assert_eq!(ok, 16);
    assert!(refused.headers().contains_key("retry-after"));
    let r = s
        .send(reqwest::Method::GET, "/v1/bundles", Some(&s.admin))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "each key has its own bucket");

    // At most 4 events stored per profile (admin: no per-profile rate): the rest are refused,
    // a repeat of a stored one is still a duplicate.
    let six: Vec<Value> = (0..6).map(|i| event(&format!("e{i}"), "capped")).collect();
    let (status, body) = s.events(Value::Array(six)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 4);
    let rejected = body["rejected"].as_array().unwrap();
    assert_eq!(
        rejected
            .iter()
            .map(|r| r["index"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [4, 5]
    );
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("4 events stored"),
        "{body}"
    );
    let (_, body) = s.events(json!([event("e0", "capped")])).await;
    assert_eq!(
        (body["accepted"].as_i64(), body["duplicates"].as_i64()),
        (Some(0), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start_with(|c| {
        c.connections.header_read_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let addr = s.url.trim_start_matches("http://").to_owned();
    // A whole request is answered on the same kind of connection.
    let mut whole = tokio::net::TcpStream::connect(&addr).await.unwrap();
    whole
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    whole.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The head never ends: the server closes the connection (the guard only ends a hung test).
    let mut half = tokio::net::TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        half.read_to_end(&mut rest),
    )
    .await;
    assert!(
        matches!(closed, Ok(Ok(_))),
        "the connection was not closed: {closed:?}"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "{rest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_keys_stop_working_at_once() {
    let s = start().await;
    s.publish(SHOP).await;
    let bundle = || s.send(reqwest::Method::GET, "/v1/bundle", Some(&s.client));
    assert_eq!(bundle().await.status(), StatusCode::OK, "cached as valid");
    let keys: Value = s
        .send(reqwest::Method::GET, "/v1/keys", Some(&s.admin))
        .await
        .json()
        .await
        .unwrap();
    let client = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "client")
        .unwrap();
    assert!(client.get("hash").is_none() && client["prefix"].is_string());
    let path = format!("/v1/keys/{}", client["id"]);
    let r = s
        .send(reqwest::Method::DELETE, &path, Some(&s.client))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = s.send(reqwest::Method::DELETE, &path, Some(&s.admin)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let revoked: Value = r.json().await.unwrap();
    assert!(revoked["revokedAt"].is_i64(), "{revoked}");
    assert_eq!(bundle().await.status(), StatusCode::UNAUTHORIZED);
    let r = s
        .send(reqwest::Method::DELETE, "/v1/keys/999", Some(&s.admin))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// A zone's rule is public and cacheable at `/v1/zones/{name}`, is in every snapshot next to
/// the profile's zone, and with it an engine loaded from the compiled bundle (which carries no
/// zone table) decides in the visitor's zone exactly as the full engine does.
#[tokio::test]
async fn zone_rules_are_served_and_travel_in_snapshots() {
    let s = start().await;
    let r = s
        .send(reqwest::Method::GET, "/v1/zones/Europe%2FParis", None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "public, max-age=86400");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let signature = r.headers()["waymark-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    let bytes = r.bytes().await.unwrap();
    let key: Value = s
        .send(reqwest::Method::GET, "/v1/keys/signing", None)
        .await
        .json()
        .await
        .unwrap();
    verify(
        key["base64"].as_str().unwrap(),
        "waymark-zone-v1",
        &bytes,
        &signature,
    );
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        body,
        json!({"timeZone": "Europe/Paris", "rule": "CET-1CEST,M3.5.0,M10.5.0/3"})
    );
    let r = s
        .req(reqwest::Method::GET, "/v1/zones/Europe%2FParis", None)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    for unknown in ["Mars%2FOlympus_Mons", "Europe"] {
        let r = s
            .send(reqwest::Method::GET, &format!("/v1/zones/{unknown}"), None)
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{unknown}");
    }

    let bundle = json!({
        "format": 1, "id": "zones", "revision": 1,
        "activities": [{"id": "a", "surfaces": ["web://s.example/*"], "content": {
            "channel": "web",
            "actions": [{"selector": "h1", "type": "setText",
                         "content": "{{formatDate (now) \"longDateTime\" \"en-GB\"}} {{daysUntil \"2026-12-25\"}}"}]
        }}]
    })
    .to_string();
    assert_eq!(s.publish(&bundle).await.0, StatusCode::CREATED);
    let consent = json!({"personalize": "in"});
    let doc = json!({"timeZone": "Asia/Tokyo", "consent": consent});
    assert_eq!(s.put_profile("kei", doc).await, StatusCode::CREATED);
    let doc = json!({"consent": consent});
    assert_eq!(s.put_profile("utc", doc).await, StatusCode::CREATED);
    let compiled = s
        .send(reqwest::Method::GET, "/v1/bundle/compiled", Some(&s.client))
        .await
        .bytes()
        .await
        .unwrap();
    let runtime = waymark_core::engine::Engine::from_compiled(&compiled).unwrap();
    let full = waymark_core::engine::Engine::from_json(&bundle).unwrap();
    for (id, zone, rule) in [("kei", "Asia/Tokyo", "JST-9"), ("utc", "UTC", "UTC0")] {
        let snapshot: Value = s
            .snapshot(id, Some(&s.admin), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(snapshot["timeZone"], zone);
        assert_eq!(snapshot["timeZoneRule"], rule);
        let input = json!({
            "snapshot": snapshot,
            "now": 1_795_908_600_000_i64, // 2026-11-28 23:30 UTC, 08:30 the next day in Tokyo
            "request": {"surfaces": ["web://s.example/p"]}
        });
        let input = waymark_core::engine::DecideInput::from_json(&input.to_string()).unwrap();
        let decision = serde_json::to_value(runtime.decide(&input)).unwrap();
        assert_eq!(decision, serde_json::to_value(full.decide(&input)).unwrap());
        let text = &decision["propositions"][0]["content"]["actions"][0]["content"];
        let want = if id == "kei" {
            "29 November 2026 08:30 26"
        } else {
            "28 November 2026 23:30 27"
        };
        assert_eq!(text, want, "{decision}");
    }
}
