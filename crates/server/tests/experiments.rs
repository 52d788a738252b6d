//! Experiment results over HTTP against the real API: units, conversions within the reward's
//! window, lift against the control with its interval, the sample-ratio-mismatch check, the
//! holdout's exposures, a conversion reward letting a control win the bandit, and report days in
//! the time zone the query names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// 2026-11-30T23:30:00Z: 2026-12-01 00:30 in Paris.
const T0: i64 = 1_796_081_400_000;
const HOUR: i64 = 3_600_000;

async fn call(s: &Server, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut r = s
        .http
        .request(method, format!("{}{path}", s.url))
        .header("x-waymark-key", &s.admin);
    if let Some(value) = body {
        r = r.json(&value);
    }
    let response = r.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `hero`: a control and a variant, a 10 % holdout, rewarded by a purchase within a day.
/// `banner`: two variants with content, rewarded by clicks (the default).
fn bundle() -> Value {
    let shows = |text: &str| {
        json!({"channel": "web", "actions": [
            {"selector": "#hero", "type": "setText", "content": text}]})
    };
    json!({"format": 1, "id": "results", "activities": [
        {"id": "hero", "surfaces": ["web://shop.example/*#hero"],
         "experiment": {"id": "hero-exp", "holdout": 1000,
                        "reward": {"event": "purchase", "windowHours": 24},
                        "variants": [{"id": "control", "weight": 1},
                                     {"id": "bold", "weight": 1, "content": shows("Bold")}]}},
        {"id": "banner", "surfaces": ["web://shop.example/*#banner"],
         "experiment": {"id": "banner-exp",
                        "variants": [{"id": "a", "weight": 1, "content": shows("A")},
                                     {"id": "b", "weight": 1, "content": shows("B")}]}}
    ]})
}

fn event(id: String, kind: &str, profile: &str, ts: i64, extra: Value) -> Value {
    let mut event = json!({"id": id, "type": kind, "profileId": profile, "timestamp": ts});
    if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
        event.extend(extra.clone());
    }
    event
}

/// `units` profiles named `prefix-N`, each shown `activity`'s `variant` once at T0; the first
/// `clicks` click, the first `converted` purchase an hour later and the next `late` two days
/// later (outside the day's window).
fn shown(
    prefix: &str,
    activity: &str,
    variant: &str,
    units: usize,
    (clicks, converted, late): (usize, usize, usize),
) -> Vec<Value> {
    let target = json!({"activityId": activity, "variantId": variant});
    let mut out = Vec::new();
    for n in 0..units {
        let profile = format!("{prefix}-{n}");
        out.push(event(
            format!("d-{profile}"),
            "display",
            &profile,
            T0,
            target.clone(),
        ));
        if n < clicks {
            out.push(event(
                format!("c-{profile}"),
                "click",
                &profile,
                T0 + 1000,
                target.clone(),
            ));
        }
        let purchase = json!({"name": "purchase"});
        if n < converted {
            out.push(event(
                format!("p-{profile}"),
                "custom",
                &profile,
                T0 + HOUR,
                purchase,
            ));
        } else if n < converted + late {
            out.push(event(
                format!("p-{profile}"),
                "custom",
                &profile,
                T0 + 48 * HOUR,
                purchase,
            ));
        }
    }
    out
}

async fn post_events(s: &Server, events: Vec<Value>) {
    for batch in events.chunks(500) {
        let (status, body) = call(
            s,
            Method::POST,
            "/v1/events",
            Some(json!({"events": batch})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], batch.len(), "{body}");
    }
}

fn variant<'a>(experiment: &'a Value, id: &str) -> &'a Value {
    experiment["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variantId"] == id)
        .unwrap()
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn experiments_report_lift_with_intervals_a_sample_ratio_check_and_a_conversion_bandit() {
    let s = common::start_with("experiments", |_| {}).await;
    let (status, body) = call(&s, Method::POST, "/v1/bundles", Some(bundle())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let mut events = Vec::new();
    // The control converts better: 40 of 200 within the day, against 20 of 200 (and 15 of the
    // variant's visitors buy two days later, too late to count).
    events.extend(shown("ctl", "hero", "control", 200, (0, 40, 0)));
    events.extend(shown("bold", "hero", "bold", 200, (30, 20, 15)));
    events.extend(shown("held", "hero", "holdout", 30, (0, 0, 0)));
    // 300 against 200 units at 50/50 weights: a sample ratio mismatch.
    events.extend(shown("a", "banner", "a", 300, (30, 0, 0)));
    events.extend(shown("b", "banner", "b", 200, (10, 0, 0)));
    post_events(&s, events).await;

    let (status, report) = call(
        &s,
        Method::GET,
        "/v1/reports?from=2026-11-29&to=2026-12-03",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["timeZone"], "UTC");
    let experiments = report["experiments"].as_array().unwrap();
    assert_eq!(experiments.len(), 2, "{report}");

    let hero = &experiments[0];
    assert_eq!(hero["experimentId"], "hero-exp");
    assert_eq!(
        (hero["reward"].as_str(), hero["windowHours"].as_u64()),
        (Some("purchase"), Some(24))
    );
    assert_eq!(hero["baseline"], "control");
    assert_eq!(hero["holdoutUnits"], 30);
    let control = variant(hero, "control");
    assert_eq!(
        (control["units"].as_u64(), control["conversions"].as_u64()),
        (Some(200), Some(40))
    );
    assert_eq!(number(&control["rate"]), 0.2);
    assert!(control["lift"].is_null() && !control["significant"].as_bool().unwrap());
    let bold = variant(hero, "bold");
    assert_eq!(
        (bold["units"].as_u64(), bold["conversions"].as_u64()),
        (Some(200), Some(20))
    );
    assert_eq!(
        (bold["clicks"].as_u64(), bold["displays"].as_u64()),
        (Some(30), Some(200))
    );
    assert!((number(&bold["lift"]) + 0.5).abs() < 1e-12, "{bold}");
    let [low, high] = [
        number(&bold["liftInterval"][0]),
        number(&bold["liftInterval"][1]),
    ];
    assert!(low < -0.5 && high < 0.0 && high > -0.5, "{bold}");
    assert!((number(&bold["difference"]) + 0.1).abs() < 1e-12);
    assert!(bold["significant"].as_bool().unwrap(), "{bold}");
    // A held-out visitor's exposure counts towards no cap: no counter of theirs moved.
    let counters = |profile: &'static str| {
        s.state
            .db
            .read_blocking(move |c| {
                Ok(c.query_row(
                    "SELECT COUNT(*) FROM counters WHERE profile_id = ?1",
                    [profile],
                    |row| row.get::<_, i64>(0),
                )?)
            })
            .unwrap()
    };
    assert_eq!((counters("held-0"), counters("ctl-0")), (0, 2));
    let srm = &hero["sampleRatio"];
    assert!(
        !srm["mismatch"].as_bool().unwrap() && number(&srm["pValue"]) > 0.99,
        "{srm}"
    );

    let banner = &experiments[1];
    assert_eq!(
        (banner["reward"].as_str(), banner["baseline"].as_str()),
        (Some("click"), Some("a"))
    );
    assert_eq!(number(&variant(banner, "a")["rate"]), 0.1);
    assert!((number(&variant(banner, "b")["lift"]) + 0.5).abs() < 1e-12);
    let srm = &banner["sampleRatio"];
    assert!((number(&srm["chiSquared"]) - 20.0).abs() < 1e-9, "{srm}");
    assert!(
        srm["mismatch"].as_bool().unwrap() && number(&srm["pValue"]) < 1e-5,
        "{srm}"
    );
    assert_eq!(srm["expected"], json!([0.5, 0.5]));

    // The conversion reward lets the control, which nothing can click, win the bandit.
    let (status, bandits) = call(&s, Method::POST, "/v1/bandits/recompute", None).await;
    assert_eq!(status, StatusCode::OK, "{bandits}");
    let hero = bandits["bandits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["activityId"] == "hero")
        .unwrap();
    assert_eq!(hero["reward"], "purchase");
    let control = variant(hero, "control");
    assert_eq!(
        (control["trials"].as_u64(), control["successes"].as_u64()),
        (Some(200), Some(40))
    );
    assert!(number(&control["weight"]) > 0.95, "{hero}");
    let banner = bandits["bandits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["activityId"] == "banner")
        .unwrap();
    assert_eq!(
        (
            banner["reward"].as_str(),
            variant(banner, "a")["trials"].as_u64()
        ),
        (Some("click"), Some(300))
    );
    // The weights were published: the bundle's hero experiment now favours the control.
    let (_, live) = call(&s, Method::GET, "/v1/bundle", None).await;
    let weights = &live["activities"][0]["experiment"]["bandit"];
    assert!(number(&weights[0]) > 0.95, "{live}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_days_are_counted_in_the_time_zone_the_query_names() {
    let s = common::start_with("report-zones", |_| {}).await;
    let (status, body) = call(&s, Method::POST, "/v1/bundles", Some(bundle())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // 23:30 UTC on 30 November is 00:30 on 1 December in Paris; the purchases an hour later
    // are on 1 December in both.
    post_events(&s, shown("z", "banner", "a", 4, (2, 3, 0))).await;

    let days = |report: &Value| -> Vec<(String, i64, i64, i64)> {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let n = |k: &str| r[k].as_i64().unwrap();
                (
                    r["day"].as_str().unwrap().to_owned(),
                    n("displays"),
                    n("clicks"),
                    n("conversions"),
                )
            })
            .collect()
    };
    let path = "/v1/reports?from=2026-11-30&to=2026-12-01";
    let (_, utc) = call(&s, Method::GET, path, None).await;
    assert_eq!(
        days(&utc),
        [
            ("2026-11-30".into(), 4, 2, 0),
            ("2026-12-01".into(), 0, 0, 3)
        ],
        "{utc}"
    );
    let (status, paris) = call(
        &s,
        Method::GET,
        &format!("{path}&timeZone=Europe/Paris"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{paris}");
    assert_eq!(paris["timeZone"], "Europe/Paris");
    assert_eq!(days(&paris), [("2026-12-01".into(), 4, 2, 3)], "{paris}");
    // New York is five hours behind: everything is on 30 November there.
    let (_, new_york) = call(
        &s,
        Method::GET,
        &format!("{path}&timeZone=America/New_York"),
        None,
    )
    .await;
    assert_eq!(
        days(&new_york),
        [("2026-11-30".into(), 4, 2, 3)],
        "{new_york}"
    );
    // Only 1 December in Paris: its first half hour is 30 November in UTC, and in range.
    let (_, one_day) = call(
        &s,
        Method::GET,
        "/v1/reports?from=2026-12-01&to=2026-12-01&timeZone=Europe/Paris",
        None,
    )
    .await;
    assert_eq!(days(&one_day).len(), 1, "{one_day}");

    let (status, problem) = call(
        &s,
        Method::GET,
        &format!("{path}&timeZone=Mars/Olympus"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("`Mars/Olympus`"),
        "{problem}"
    );
}
