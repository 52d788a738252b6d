//! The central API survives what happens to real servers, run as users run it (`waymark
//! serve` on a SQLite file): `kill -9` in the middle of event ingest and of a publish, a full
//! disk, and database files it cannot use. Nothing acknowledged may be lost or counted twice.
//!
//! The full-disk and read-only tests mount a small tmpfs, which needs root (as in CI); without
//! it they say so on stderr and check nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::{Value, json};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waymark-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn admin_key(db: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
        .args(["keys", "create", "--admin", "--name", "ops", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A running `waymark serve`; `kill -9` on drop if still running.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start(db: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--key-rate",
                "off",
                "--db",
            ])
            .arg(db)
            .current_dir(ROOT)
            .env_remove("WAYMARK_TOKEN_SECRET")
            .env_remove("WAYMARK_SIGNING_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let start = line.find("http://").expect("an http URL on stdout");
        let url = line[start..].trim().trim_end_matches('/').to_owned();
        Serve { child, url }
    }

    /// SIGKILL: no shutdown, no flush, no destructor.
    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A display event of `hero-gold` for one of 50 profiles, a minute ago.
fn event(id: &str, n: usize, ts: i64) -> Value {
    json!({"id": id, "type": "display", "profileId": format!("p{}", n % 50),
           "timestamp": ts, "activityId": "hero-gold"})
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// The day (UTC) of a Unix-millisecond time, as `YYYY-MM-DD`.
fn day(ts: i64) -> String {
    let days = ts.div_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Displays of `hero-gold` on `day` in the report.
fn displays(server: &Serve, admin: &str, day: &str) -> u64 {
    let report: Value = http()
        .get(format!("{}/v1/reports?from={day}&to={day}", server.url))
        .header("x-waymark-key", admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let rows = report["rows"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .filter(|r| r["activityId"] == "hero-gold")
        .map(|r| r["displays"].as_u64().unwrap_or(0))
        .sum()
}

fn post_events(url: &str, admin: &str, events: &[Value]) -> reqwest::Result<Value> {
    let response = http()
        .post(format!("{url}/v1/events"))
        .header("x-waymark-key", admin)
        .json(&json!({ "events": events }))
        .send()?
        .error_for_status()?;
    response.json()
}

#[test]
fn kill_9_during_ingest_loses_no_acknowledged_event_and_retries_add_no_duplicate() {
    let dir = temp_dir("ingest");
    let db = dir.join("w.db");
    let admin = admin_key(&db);
    let mut server = Serve::start(&db);
    let ts = now_ms() - 60_000;
    let today = day(ts);

    // Four clients post batches of 20 until the server dies; each keeps what was acknowledged.
    let batches: Vec<Vec<Value>> = (0..400)
        .map(|b| {
            (0..20)
                .map(|i| {
                    event(
                        &format!("e{b}-{i}"),
                        b * 20 + i,
                        ts + i64::try_from(i).unwrap(),
                    )
                })
                .collect()
        })
        .collect();
    let batches = Arc::new(batches);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let url = server.url.clone();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (batches, acked, stop, admin, url) = (
                Arc::clone(&batches),
                Arc::clone(&acked),
                Arc::clone(&stop),
                admin.clone(),
                url.clone(),
            );
            std::thread::spawn(move || {
                for b in (c..batches.len()).step_by(4) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    match post_events(&url, &admin, &batches[b]) {
                        Ok(answer) => {
                            assert_eq!(answer["accepted"], 20, "{answer}");
                            acked.lock().unwrap().push(b);
                        }
                        Err(_) => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Kill it once some batches are in, while the others are in flight.
    while acked.lock().unwrap().len() < 40 {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill_9();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let sent = batches.len();
    assert!(
        acked.len() < sent,
        "the kill came before every batch was posted"
    );

    let server = Serve::start(&db);
    let stored = displays(&server, &admin, &today);
    assert!(
        stored >= 20 * acked.len() as u64,
        "{stored} displays stored, {} acknowledged",
        20 * acked.len()
    );
    // Every acknowledged batch is already there, whole: posting it again stores nothing.
    for &b in &acked {
        let answer = post_events(&server.url, &admin, &batches[b]).unwrap();
        assert_eq!(answer["duplicates"], 20, "batch {b}: {answer}");
    }
    // Clients retry everything else; each event ends up counted exactly once.
    for (b, batch) in batches.iter().enumerate() {
        if !acked.contains(&b) {
            let answer = post_events(&server.url, &admin, batch).unwrap();
            assert_eq!(
                answer["accepted"].as_u64().unwrap() + answer["duplicates"].as_u64().unwrap(),
                20,
                "{answer}"
            );
        }
    }
    assert_eq!(displays(&server, &admin, &today), 20 * sent as u64);
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The current bundle and whether its signature verifies with the server's key.
fn current_bundle(server: &Serve, admin: &str) -> (Value, bool) {
    let client = http();
    let key: Value = client
        .get(format!("{}/v1/keys/signing", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(key["base64"].as_str().unwrap())
        .unwrap();
    let key = VerifyingKey::from_bytes(&key.try_into().unwrap()).unwrap();
    let response = client
        .get(format!("{}/v1/bundle", server.url))
        .header("x-waymark-key", admin)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let header = response.headers()["waymark-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.bytes().unwrap();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(header.strip_prefix("ed25519=").unwrap())
        .unwrap();
    let signature = Signature::from_slice(&signature).unwrap();
    let mut message = b"waymark-bundle-v1\n".to_vec();
    message.extend_from_slice(&body);
    let verified = key.verify(&message, &signature).is_ok();
    (serde_json::from_slice(&body).unwrap(), verified)
}

#[test]
fn kill_9_during_publish_leaves_the_old_bundle_or_the_new_one_whole_and_signed() {
    let dir = temp_dir("publish");
    let db = dir.join("w.db");
    let admin = admin_key(&db);
    let shop: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/shop/bundle.json")).unwrap(),
    )
    .unwrap();
    // Publication `k` differs from the others in its first activity's priority.
    let version = move |k: u64| {
        let mut bundle = shop.clone();
        bundle["activities"][0]["priority"] = json!(k);
        bundle
    };
    for round in 1..=8_u64 {
        let mut server = Serve::start(&db);
        let url = server.url.clone();
        let first: Value = http()
            .post(format!("{url}/v1/bundles"))
            .header("x-waymark-key", &admin)
            .json(&version(0))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let (admin_, version_) = (admin.clone(), version.clone());
        let published = Arc::new(AtomicU64::new(0));
        let published_ = Arc::clone(&published);
        // (server revision, k) of the last acknowledged publication.
        let publisher = std::thread::spawn(move || {
            let mut acked = (first["revision"].as_u64().unwrap(), 0);
            for k in 1..500 {
                let sent = http()
                    .post(format!("{url}/v1/bundles"))
                    .header("x-waymark-key", &admin_)
                    .json(&version_(k))
                    .send();
                match sent {
                    Ok(r) if r.status() == 201 => {
                        let created: Value = r.json().unwrap();
                        acked = (created["revision"].as_u64().unwrap(), k);
                        published_.store(k, Ordering::Relaxed);
                    }
                    _ => break,
                }
            }
            acked
        });
        // Once the stream runs, a little later each round, so the kill lands at different points
        // of a publication.
        while published.load(Ordering::Relaxed) < 2 {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(round * 6));
        server.kill_9();
        let acked = publisher.join().unwrap();

        let server = Serve::start(&db);
        let (bundle, verified) = current_bundle(&server, &admin);
        assert!(
            verified,
            "round {round}: the current bundle's signature verifies"
        );
        let revision = bundle["revision"].as_u64().unwrap();
        let k = bundle["activities"][0]["priority"].as_u64().unwrap();
        let mut expected = version(k);
        expected["revision"] = json!(revision);
        assert_eq!(bundle, expected, "round {round}: the bundle is whole");
        let (acked_revision, acked_k) = acked;
        assert!(
            acked_k < 499,
            "round {round}: the kill came before the last publication"
        );
        eprintln!("round {round}: publication {acked_k} acknowledged, {k} current");
        assert!(
            (revision, k) == (acked_revision, acked_k)
                || (revision, k) == (acked_revision + 1, acked_k + 1),
            "round {round}: revision {revision} (publication {k}) after {acked_revision} ({acked_k}) was acknowledged"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A tmpfs of `size` mounted at a fresh folder, unmounted on drop; `None` without root.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(name: &str, size: &str) -> Option<SmallDisk> {
        let dir = temp_dir(name);
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            Some(SmallDisk(dir))
        } else {
            eprintln!("cannot mount a tmpfs here (not root?): this test checks nothing");
            None
        }
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_full_disk_refuses_writes_with_503_keeps_reads_and_recovers_when_space_returns() {
    let Some(disk) = SmallDisk::mount("full", "4m") else {
        return;
    };
    let db = disk.0.join("w.db");
    let admin = admin_key(&db);
    let server = Serve::start(&db);
    let shop =
        std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/shop/bundle.json")).unwrap();
    let r = http()
        .post(format!("{}/v1/bundles", server.url))
        .header("x-waymark-key", &admin)
        .body(shop)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    // Leave about 256 KB free.
    let free = || {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&disk.0)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let filler = disk.0.join("filler");
    std::fs::write(
        &filler,
        vec![0_u8; usize::try_from(free().saturating_sub(256 * 1024)).unwrap()],
    )
    .unwrap();

    let ts = now_ms() - 60_000;
    let today = day(ts);
    let mut acked = 0_u64;
    let mut refused = None;
    for b in 0..2_000 {
        let batch: Vec<Value> = (0..50)
            .map(|i| {
                let mut e = event(&format!("f{b}-{i}"), i, ts);
                e["data"] = json!({"pad": "x".repeat(400)});
                e
            })
            .collect();
        let response = http()
            .post(format!("{}/v1/events", server.url))
            .header("x-waymark-key", &admin)
            .json(&json!({ "events": batch }))
            .send()
            .unwrap();
        if response.status() == 200 {
            acked += 50;
            continue;
        }
        let status = response.status();
        let retry_after = response.headers().get("retry-after").cloned();
        refused = Some((status, retry_after, response.json::<Value>().unwrap()));
        break;
    }
    let (status, retry_after, problem) = refused.expect("the disk filled up");
    assert_eq!(status, 503, "{problem}");
    assert!(retry_after.is_some());
    assert_eq!(problem["title"], "Storage unavailable");
    assert!(
        problem["detail"].as_str().unwrap().contains("disk is full"),
        "{problem}"
    );
    assert!(acked > 0);

    // Reads keep working, and every acknowledged event is counted.
    let bundle = http()
        .get(format!("{}/v1/bundle", server.url))
        .header("x-waymark-key", &admin)
        .send()
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert_eq!(displays(&server, &admin, &today), acked);

    // Space returns: the same server takes writes again, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let batch: Vec<Value> = (0..50)
        .map(|i| event(&format!("after-{i}"), i, ts))
        .collect();
    let answer = post_events(&server.url, &admin, &batch).unwrap();
    assert_eq!(answer["accepted"], 50, "{answer}");
    assert_eq!(displays(&server, &admin, &today), acked + 50);
    drop(server);
}

#[test]
fn a_read_only_database_is_refused_at_startup_saying_what_to_do() {
    let Some(disk) = SmallDisk::mount("read-only", "4m") else {
        return;
    };
    let db = disk.0.join("w.db");
    admin_key(&db);
    disk.remount("ro");
    let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&db.display().to_string()), "{stderr}");
    assert!(stderr.contains("cannot be written"), "{stderr}");
    assert!(stderr.contains("make them writable"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    disk.remount("rw");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_at_startup_saying_what_to_do() {
    let dir = temp_dir("corrupt");
    let garbage: Vec<u8> = (0..8192_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut damaged = b"SQLite format 3\0".to_vec();
    damaged.extend_from_slice(&garbage[..5000]);
    for (name, bytes) in [("garbage.db", garbage.clone()), ("damaged.db", damaged)] {
        let db = dir.join(name);
        std::fs::write(&db, &bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&db.display().to_string()), "{stderr}");
        assert!(
            stderr.contains("not a SQLite database, or a damaged one: restore it from a backup"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            bytes,
            "{name} is left as it was"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
