//! Bandits that close the loop: recomputed weights are republished, signed, as a new revision
//! when they move an experiment's split materially, and a simulated population converges to
//! the better arm. The real API on 127.0.0.1 over HTTP; the visitors are decided by the engine
//! from the bundle the API serves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::Server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use waymark_core::bundle::Bundle;
use waymark_core::engine::{DecideInput, Engine};

async fn start(bandit_interval: Duration) -> Server {
    common::start_with("bandits", |config| {
        config.token_secret = Some("test-secret-test-secret".into());
        config.bandit_interval = bandit_interval;
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

/// One activity, an experiment with two arms that both render something.
fn bundle() -> Value {
    let arm = |id: &str| {
        json!({"id": id, "weight": 1, "content": {"channel": "web", "actions": [
            {"selector": "#hero", "type": "setText", "content": format!("variant {id}")}]}})
    };
    json!({"format": 1, "id": "sim", "activities": [{
        "id": "hero", "surfaces": ["web://sim.example/*#hero"],
        "experiment": {"id": "hero-exp", "variants": [arm("a"), arm("b")]}
    }]})
}

/// The served bundle (signed) and its revision.
async fn served(s: &Server) -> (String, i64) {
    let response = s
        .http
        .get(format!("{}/v1/bundle", s.url))
        .header("x-waymark-key", &s.client)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("waymark-signature"));
    let text = response.text().await.unwrap();
    let revision = serde_json::from_str::<Value>(&text).unwrap()["revision"]
        .as_i64()
        .unwrap();
    (text, revision)
}

/// SplitMix64, seeded: the simulated visitors' clicks.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a simulated visitor gets from `engine`.
fn variant(engine: &Engine, visitor: &str, now: i64) -> String {
    let input: DecideInput = serde_json::from_value(json!({
        "snapshot": {"profileId": visitor, "consent": {"personalize": "in"}},
        "now": now,
        "request": {"surfaces": ["web://sim.example/home#hero"]}
    }))
    .unwrap();
    let decision = engine.decide(&input);
    decision.propositions[0].variant_id.clone().unwrap()
}

/// The outcome of one simulated run.
#[derive(Debug, PartialEq)]
struct Run {
    /// The served split of arm `b` after each round.
    weights_b: Vec<f64>,
    /// Rounds whose recomputation published a revision.
    published: Vec<bool>,
    /// Σ over visitors of (best rate − the rate of the arm shown).
    regret: f64,
    visitors: u64,
}

const RATES: [(&str, f64); 2] = [("a", 0.03), ("b", 0.05)];
const ROUNDS: usize = 12;
const VISITORS: usize = 1000;

/// Rounds of new visitors: each is assigned by the bundle the API serves, shown its arm, and
/// clicks with the arm's rate; then the weights are recomputed (and republished if moved).
async fn simulate(seed: u64) -> Run {
    let s = start(Duration::from_secs(3600)).await;
    let (status, body) = call(&s, Method::POST, "/v1/bundles", &s.admin, Some(bundle())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut rng = Rng(seed);
    let now = waymark_server::db::now_ms() - 60_000;
    let best = RATES.iter().map(|(_, r)| *r).fold(0.0, f64::max);
    let mut run = Run {
        weights_b: Vec::new(),
        published: Vec::new(),
        regret: 0.0,
        visitors: 0,
    };
    for round in 0..ROUNDS {
        let (text, revision) = served(&s).await;
        let engine = Engine::new(Bundle::from_json(&text).unwrap()).unwrap();
        let mut events = Vec::new();
        for i in 0..VISITORS {
            let visitor = format!("sim-{round}-{i}");
            let arm = variant(&engine, &visitor, now);
            let rate = RATES.iter().find(|(id, _)| *id == arm).unwrap().1;
            run.regret += best - rate;
            run.visitors += 1;
            let event = |kind: &str| {
                json!({"id": kind, "type": kind, "profileId": visitor, "timestamp": now,
                       "activityId": "hero", "variantId": arm})
            };
            events.push(event("display"));
            if rng.uniform() < rate {
                events.push(event("click"));
            }
        }
        for chunk in events.chunks(1000) {
            let (status, body) = call(
                &s,
                Method::POST,
                "/v1/events",
                &s.admin,
                Some(json!({ "events": chunk })),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let (status, body) = call(&s, Method::POST, "/v1/bandits/recompute", &s.admin, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (text, now_revision) = served(&s).await;
        match body["published"].as_i64() {
            Some(published) => {
                assert_eq!(published, revision + 1);
                assert_eq!(now_revision, published);
            }
            None => assert_eq!(now_revision, revision),
        }
        run.published.push(body["published"].is_i64());
        let bundle = Bundle::from_json(&text).unwrap();
        let split =
            waymark_server::bandit::split(bundle.activities[0].experiment.as_ref().unwrap());
        run.weights_b.push(split[1]);
    }
    // Nothing new: the same weights, no revision.
    let (_, body) = call(&s, Method::POST, "/v1/bandits/recompute", &s.admin, None).await;
    assert!(body["published"].is_null(), "{body}");
    // Each publication is audited as the server's.
    let (_, audit) = call(&s, Method::GET, "/v1/audit", &s.admin, None).await;
    let bandit: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "bandit")
        .collect();
    assert_eq!(
        bandit.len(),
        run.published.iter().filter(|p| **p).count(),
        "{audit}"
    );
    assert!(
        bandit
            .iter()
            .all(|e| e["keyName"] == "system" && e["target"] == "activity/hero")
    );
    assert!(
        bandit
            .iter()
            .all(|e| e["detail"]["experiments"][0]["weights"].is_array())
    );
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_population_converges_to_the_better_arm() {
    let run = simulate(42).await;
    let uniform = run.visitors as f64 * (0.05 - 0.04);
    eprintln!(
        "bandit simulation: split of b by round {:?}; published {:?}; regret {:.1} over {} visitors (an even split: {uniform:.1})",
        run.weights_b
            .iter()
            .map(|w| (w * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>(),
        run.published,
        run.regret,
        run.visitors,
    );
    let last = *run.weights_b.last().unwrap();
    assert!(last > 0.95, "{run:?}");
    assert!(run.regret < uniform / 2.0, "{run:?}");
    assert!(run.published[0], "the first weights move the even split");
    assert!(
        run.published.iter().any(|p| !p),
        "a recomputation that moves little publishes nothing: {run:?}"
    );
    // Deterministic: the same seed gives the same run.
    assert_eq!(simulate(42).await, run);
}

/// The schedule recomputes and republishes by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bandit_schedule_republishes_moved_weights_by_itself() {
    let s = start(Duration::from_millis(200)).await;
    call(&s, Method::POST, "/v1/bundles", &s.admin, Some(bundle())).await;
    let now = waymark_server::db::now_ms() - 60_000;
    let mut events = Vec::new();
    for i in 0..200 {
        let arm = if i % 2 == 0 { "a" } else { "b" };
        let visitor = format!("v{i}");
        events.push(json!({"id": "d", "type": "display", "profileId": visitor, "timestamp": now, "activityId": "hero", "variantId": arm}));
        if arm == "b" && i % 5 == 1 {
            events.push(json!({"id": "c", "type": "click", "profileId": visitor, "timestamp": now, "activityId": "hero", "variantId": arm}));
        }
    }
    call(
        &s,
        Method::POST,
        "/v1/events",
        &s.admin,
        Some(json!({ "events": events })),
    )
    .await;
    let mut revision = 1;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        revision = served(&s).await.1;
        if revision > 1 {
            break;
        }
    }
    assert_eq!(revision, 2, "republished without a request");
    let (text, _) = served(&s).await;
    let bundle = Bundle::from_json(&text).unwrap();
    let weights = bundle.activities[0]
        .experiment
        .as_ref()
        .unwrap()
        .bandit
        .clone()
        .unwrap();
    assert!(weights[1] > 0.99, "{weights:?}");
    // Later ticks with the same counts publish nothing more.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(served(&s).await.1, 2);
    let (_, revisions) = call(&s, Method::GET, "/v1/bundles", &s.admin, None).await;
    assert_eq!(
        revisions["revisions"][0]["source"],
        "bandit weights: activity/hero"
    );
}

/// A placement whose policy ranks three offers by bandit weights (none yet), and a fallback.
fn offers_bundle() -> Value {
    let offer = |id: &str| json!({"id": id, "representations": {"deal": {"format": "text", "content": id}}});
    json!({"format": 1, "id": "sim-offers",
           "placements": [{"id": "deal", "surface": "web://sim.example/home#deal"}],
           "offers": [offer("o-a"), offer("o-b"), offer("o-c"), offer("o-fallback")],
           "policies": [{"id": "deals", "placement": "deal", "fallback": "o-fallback",
                         "ranking": {"by": "bandit", "weights": {}}}]})
}

const OFFER_RATES: [(&str, f64); 3] = [("o-a", 0.02), ("o-b", 0.04), ("o-c", 0.08)];

/// Rounds of visitors shown the offer the served bundle ranks first, clicking at its rate; the
/// policy's weights are recomputed after each round. Every offer gets tried (an untried one is
/// likely the best under its uniform prior), and the best one ends first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_ranked_by_bandit_tries_its_offers_and_ranks_the_best_first() {
    let s = start(Duration::from_secs(3600)).await;
    let (status, body) = call(
        &s,
        Method::POST,
        "/v1/bundles",
        &s.admin,
        Some(offers_bundle()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut rng = Rng(7);
    let now = waymark_server::db::now_ms() - 60_000;
    let mut shown = Vec::new();
    for round in 0..6 {
        let (text, _) = served(&s).await;
        let engine = Engine::new(Bundle::from_json(&text).unwrap()).unwrap();
        let mut events = Vec::new();
        for i in 0..500 {
            let visitor = format!("sim-{round}-{i}");
            let input: DecideInput = serde_json::from_value(json!({
                "snapshot": {"profileId": visitor, "consent": {"personalize": "in"}},
                "now": now,
                "request": {"surfaces": ["web://sim.example/home#deal"]}
            }))
            .unwrap();
            let decision = engine.decide(&input);
            let Some(item) = decision.offers.first().and_then(|p| p.items.first()) else {
                panic!("no offer: {}", serde_json::to_string(&decision).unwrap());
            };
            let offer = item.offer_id.clone();
            if i == 0 {
                shown.push(offer.clone());
            }
            let rate = OFFER_RATES.iter().find(|(id, _)| *id == offer).unwrap().1;
            let event = |kind: &str| {
                json!({"id": kind, "type": kind, "profileId": visitor, "timestamp": now,
                       "offerId": offer, "placementId": "deal"})
            };
            events.push(event("display"));
            if rng.uniform() < rate {
                events.push(event("click"));
            }
        }
        let (status, body) = call(
            &s,
            Method::POST,
            "/v1/events",
            &s.admin,
            Some(json!({ "events": events })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = call(&s, Method::POST, "/v1/bandits/recompute", &s.admin, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["policies"][0]["policyId"], "deals", "{body}");
    }
    eprintln!("offer bandit: first offer by round {shown:?}");
    let mut tried = shown.clone();
    tried.sort();
    tried.dedup();
    assert_eq!(
        tried,
        ["o-a", "o-b", "o-c"],
        "every offer was tried: {shown:?}"
    );
    assert_eq!(shown.last().map(String::as_str), Some("o-c"), "{shown:?}");
    let (text, _) = served(&s).await;
    let live: Value = serde_json::from_str(&text).unwrap();
    let weights = &live["policies"][0]["ranking"]["weights"];
    assert!(weights["o-c"].as_f64().unwrap() > 0.9, "{weights}");
    assert!(
        weights.get("o-fallback").is_none(),
        "the fallback is never ranked: {weights}"
    );
    let (_, audit) = call(&s, Method::GET, "/v1/audit", &s.admin, None).await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "bandit"
                && e["target"] == "policy/deals"
                && e["detail"]["policies"][0]["order"][0] == "o-c"),
        "{audit}"
    );
    let (_, report) = call(&s, Method::GET, "/v1/reports", &s.admin, None).await;
    assert_eq!(
        report["policies"][0]["offers"].as_array().map(Vec::len),
        Some(3),
        "{report}"
    );
}
