//! A small load generator for the API (not part of the tests).
//!
//! ```sh
//! cargo run --release -p waymark-server --example load -- events URL CLIENT_KEY [EVENTS] [CONCURRENCY] [BATCH] [PROFILES_PER_BATCH]
//! cargo run --release -p waymark-server --example load -- snapshots URL KEY PROFILE [REQUESTS] [CONCURRENCY]
//! ```
//! Prints throughput and latency percentiles. `wrk` does snapshots with less client overhead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::json;

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> T {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn percentiles(mut latencies: Vec<Duration>) -> String {
    latencies.sort();
    let at = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_default();
    let url = args.get(2).cloned().expect("URL");
    let key = args.get(3).cloned().expect("key");
    let http = reqwest::Client::new();
    match mode.as_str() {
        "events" => {
            let total: usize = arg(&args, 4, 200_000);
            let concurrency: usize = arg(&args, 5, 8);
            let batch: usize = arg(&args, 6, 100);
            // How many distinct profiles one batch's events come from (a browser's batch: 1).
            let spread: usize = arg(&args, 7, 100);
            let run = format!(
                "{:x}",
                Instant::now().elapsed().as_nanos() ^ std::process::id() as u128
            );
            let batches = total / batch;
            let started = Instant::now();
            let mut tasks = Vec::new();
            for worker in 0..concurrency {
                let (http, url, key, run) = (http.clone(), url.clone(), key.clone(), run.clone());
                let spread = spread.max(1);
                tasks.push(tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_millis() as i64;
                    for b in (worker..batches).step_by(concurrency) {
                        let events: Vec<_> = (0..batch)
                            .map(|i| {
                                let n = b * batch + i;
                                json!({"id": format!("{run}-{n}"), "type": if n.is_multiple_of(10) { "click" } else { "display" },
                                       "profileId": format!("u{:08}", ((b * 7919 + i % spread) * 104_729) % 100_000), "timestamp": now - (n % 1000) as i64,
                                       "activityId": "hero-test", "variantId": if n.is_multiple_of(2) { "coats" } else { "control" }})
                            })
                            .collect();
                        let t = Instant::now();
                        let r = http
                            .post(format!("{url}/v1/events"))
                            .header("x-waymark-key", &key)
                            .json(&json!({ "events": events }))
                            .send()
                            .await
                            .unwrap();
                        assert!(r.status().is_success(), "{}", r.status());
                        let _ = r.bytes().await.unwrap();
                        latencies.push(t.elapsed());
                    }
                    latencies
                }));
            }
            let mut latencies = Vec::new();
            for task in tasks {
                latencies.extend(task.await.unwrap());
            }
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "events: {} in {seconds:.2}s = {:.0} events/s ({} batches of {batch} from {spread} profile(s) each, concurrency {concurrency}); per batch {}",
                batches * batch,
                (batches * batch) as f64 / seconds,
                batches,
                percentiles(latencies)
            );
        }
        "snapshots" => {
            let profile = args.get(4).cloned().expect("profile");
            let total: usize = arg(&args, 5, 100_000);
            let concurrency: usize = arg(&args, 6, 32);
            let started = Instant::now();
            let mut tasks = Vec::new();
            for worker in 0..concurrency {
                let (http, url, key, profile) =
                    (http.clone(), url.clone(), key.clone(), profile.clone());
                tasks.push(tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    for _ in (worker..total).step_by(concurrency) {
                        let t = Instant::now();
                        let r = http
                            .get(format!("{url}/v1/profiles/{profile}/snapshot"))
                            .header("x-waymark-key", &key)
                            .send()
                            .await
                            .unwrap();
                        let _ = r.bytes().await.unwrap();
                        latencies.push(t.elapsed());
                    }
                    latencies
                }));
            }
            let mut latencies = Vec::new();
            for task in tasks {
                latencies.extend(task.await.unwrap());
            }
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "snapshots: {total} in {seconds:.2}s = {:.0} req/s; {}",
                total as f64 / seconds,
                percentiles(latencies)
            );
        }
        _ => eprintln!("usage: load events|snapshots URL KEY …"),
    }
}
