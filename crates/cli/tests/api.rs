//! `waymark serve`, `import`, `keys`, `token` and `report`, run as users run them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn waymark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark"))
        .args(args)
        .current_dir(ROOT)
        .env_remove("WAYMARK_TOKEN_SECRET")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waymark-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key(db: &Path, kind: &str) -> String {
    let out = waymark(&[
        "keys",
        "create",
        kind,
        "--name",
        "t",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

/// A running `waymark serve`, killed on drop.
struct Serve {
    child: Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_waymark"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(ROOT)
        .env_remove("WAYMARK_TOKEN_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let start = line.find("http://").expect("an http URL on stdout");
    let url = line[start..].trim().trim_end_matches('/').to_owned();
    Serve { child, url }
}

#[test]
fn import_reports_bad_lines_and_keeps_good_ones() {
    let dir = temp_dir("import");
    let db = dir.join("w.db");
    let file = dir.join("p.ndjson");
    let fixture =
        std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/shop/profiles.ndjson"))
            .unwrap();
    let good = fixture.lines().count();
    let mut lines: Vec<String> = fixture.lines().map(String::from).collect();
    lines.insert(2, "{not json".into());
    lines.push(r#"{"attributes": {}}"#.into());
    lines.push(r#"{"id": "x", "timeZone": "Atlantis/Deep"}"#.into());
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = waymark(&[
        "import",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("imported {good} profiles")),
        "{stdout}"
    );
    assert!(stdout.contains("3 bad lines skipped"), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("p.ndjson:3: not JSON"), "{stderr}");
    assert!(
        stderr.contains(&format!("p.ndjson:{}: `id` is missing", good + 2)),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown time zone `Atlantis/Deep`"),
        "{stderr}"
    );

    // The imported profiles are served.
    let admin = key(&db, "--admin");
    let server = serve(&db);
    let http = reqwest::blocking::Client::new();
    let ann: Value = http
        .get(format!("{}/v1/profiles/ann-gold", server.url))
        .header("x-waymark-key", &admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ann["attributes"]["loyalty"]["tier"], "gold");
    assert_eq!(ann["timeZone"], "Europe/Paris");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `import --generate N` writes N distinct, valid profiles (the same ones for the same N) and
/// imports every one of them.
#[test]
fn import_generates_profiles_deterministically() {
    let dir = temp_dir("generate");
    let mut files = Vec::new();
    for run in ["a", "b"] {
        let db = dir.join(format!("{run}.db"));
        let file = dir.join(format!("{run}.ndjson"));
        let out = waymark(&[
            "import",
            file.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--generate",
            "500",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("imported 500 profiles from 500 lines"),
            "{stdout}"
        );
        assert!(stdout.contains("0 bad lines skipped"), "{stdout}");
        files.push(std::fs::read_to_string(&file).unwrap());
    }
    assert_eq!(files[0], files[1], "the same N gives the same profiles");
    let ids: std::collections::BTreeSet<String> = files[0]
        .lines()
        .map(|line| {
            let profile: Value = serde_json::from_str(line).unwrap();
            assert!(
                profile["attributes"]["loyalty"]["tier"].is_string(),
                "{line}"
            );
            profile["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 500, "distinct ids");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn serve_with_keys_tokens_and_report() {
    let dir = temp_dir("serve");
    let db = dir.join("w.db");
    let admin = key(&db, "--admin");
    let client = key(&db, "--client");
    assert!(admin.starts_with("wma_") && client.starts_with("wmc_"));
    let out = waymark(&["keys", "list", "--db", db.to_str().unwrap()]);
    let list = text(&out.stdout);
    assert!(list.contains("admin") && list.contains("client"), "{list}");
    assert!(!list.contains(&admin), "keys are never shown again");

    let server = serve(&db);
    let http = reqwest::blocking::Client::new();
    let bundle =
        std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/shop/bundle.json")).unwrap();
    let r = http
        .post(format!("{}/v1/bundles", server.url))
        .header("x-waymark-key", &admin)
        .body(bundle)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .put(format!("{}/v1/profiles/ann", server.url))
        .header("x-waymark-key", &admin)
        .json(&json!({"attributes": {"firstName": "Ann"}}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);

    // `waymark token` mints with the secret `serve` generated and stored.
    let out = waymark(&[
        "token",
        "--profile",
        "ann",
        "--ttl",
        "10m",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let snapshot = |token: &str| {
        http.get(format!("{}/v1/profiles/ann/snapshot", server.url))
            .header("x-waymark-key", &client)
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    let r = snapshot(&token);
    assert_eq!(r.status(), 200);
    let snap: Value = r.json().unwrap();
    assert_eq!(snap["attributes"]["firstName"], "Ann");
    let out = waymark(&["token", "--profile", "bob", "--db", db.to_str().unwrap()]);
    assert_eq!(snapshot(text(&out.stdout).trim()).status(), 403);

    let day = "2026-03-04";
    let ts = 1_772_625_600_000_i64; // 2026-03-04T12:00:00Z
    let events: Vec<Value> = (0..4)
        .map(|i| {
            json!({"id": format!("e{i}"), "type": if i == 0 { "click" } else { "display" },
                   "profileId": "ann", "timestamp": ts + i, "activityId": "hero-gold"})
        })
        .collect();
    let r = http
        .post(format!("{}/v1/events", server.url))
        .header("x-waymark-key", &client)
        .json(&json!({ "events": events, "tokens": [token] }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(server);

    let out = waymark(&[
        "report",
        "--db",
        db.to_str().unwrap(),
        "--from",
        day,
        "--to",
        day,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    let line = report
        .lines()
        .find(|l| l.starts_with(day))
        .unwrap_or_else(|| panic!("{report}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            day,
            "hero-gold",
            "-",
            "-",
            "-",
            "3",
            "1",
            "0",
            "33.33%",
            "0"
        ],
        "{report}"
    );
    let header = report.lines().nth(1).unwrap();
    assert_eq!(
        header.find("displays").map(|i| i + "displays".len()),
        line.find(" 3").map(|i| i + 2),
        "aligned:\n{report}"
    );
    // The live experiment's results follow, even with no exposure yet.
    assert!(
        report.contains("Experiment hero-autumn on hero-test (reward: click within 168 h; baseline control; 0 held out)"),
        "{report}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn keys_are_revoked_by_id_or_prefix() {
    let dir = temp_dir("revoke");
    let db = dir.join("w.db");
    let db = db.to_str().unwrap();
    let client = key(Path::new(db), "--client");
    let out = waymark(&["keys", "revoke", "wmc_", "--db", db]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("5 characters"),
        "{}",
        text(&out.stderr)
    );
    let out = waymark(&["keys", "revoke", &client[..9], "--db", db]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("revoked client key #1"),
        "{}",
        text(&out.stdout)
    );
    let list = text(&waymark(&["keys", "list", "--db", db]).stdout);
    let row = list.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(!row.contains(" - "), "a revocation time: {list}");
    // The database file is the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(db).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_token_secret_file_wins_over_the_environment() {
    let dir = temp_dir("secret-file");
    let file = dir.join("secret");
    std::fs::write(&file, "from-the-file\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
        .args(["token", "--profile", "ann", "--token-secret-file"])
        .arg(&file)
        .env("WAYMARK_TOKEN_SECRET", "from-the-environment")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let now = jiff::Timestamp::now().as_second();
    let subject = waymark_server::auth::verify_token(b"from-the-file", &token, now).unwrap();
    assert_eq!(subject, "ann");
    assert!(waymark_server::auth::verify_token(b"from-the-environment", &token, now).is_err());
    std::fs::write(&file, "  \n").unwrap();
    let out = waymark(&[
        "token",
        "--profile",
        "ann",
        "--token-secret-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is empty"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `keys create --role editor|viewer` makes keys with those powers, `import --test` makes test
/// profiles, and both key commands are in the audit log.
#[test]
fn roles_and_test_profiles_from_the_command_line() {
    let dir = temp_dir("roles");
    let db = dir.join("w.db");
    let db_arg = db.to_str().unwrap();
    let admin = key(&db, "--admin");
    let role_key = |role: &str| {
        let out = waymark(&[
            "keys", "create", "--role", role, "--name", role, "--db", db_arg,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    };
    let editor = role_key("editor");
    let viewer = role_key("viewer");
    assert!(editor.starts_with("wme_") && viewer.starts_with("wmv_"));
    let out = waymark(&["keys", "create", "--role", "owner", "--db", db_arg]);
    assert!(!out.status.success(), "an unknown role is refused");
    let list = text(&waymark(&["keys", "list", "--db", db_arg]).stdout);
    assert!(list.contains("editor") && list.contains("viewer"), "{list}");
    let file = dir.join("testers.ndjson");
    std::fs::write(
        &file,
        "{\"id\": \"tess\", \"attributes\": {\"tier\": \"gold\"}, \"context\": {\"page\": {\"url\": \"/\"}}}\n",
    )
    .unwrap();
    let out = waymark(&["import", file.to_str().unwrap(), "--test", "--db", db_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 1 profiles"));

    let server = serve(&db);
    let http = reqwest::blocking::Client::new();
    let bundle =
        std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/shop/bundle.json")).unwrap();
    let send = |method: reqwest::Method, path: &str, key: &str, body: Option<&str>| {
        let mut r = http
            .request(method, format!("{}{path}", server.url))
            .header("x-waymark-key", key);
        if let Some(body) = body {
            r = r.body(body.to_owned());
        }
        r.send().unwrap()
    };
    let r = send(reqwest::Method::PUT, "/v1/drafts/d", &editor, Some(&bundle));
    assert_eq!(r.status(), 201);
    let r = send(reqwest::Method::PUT, "/v1/drafts/d", &viewer, Some(&bundle));
    assert_eq!(r.status(), 403);
    let r = send(reqwest::Method::POST, "/v1/drafts/d/publish", &editor, None);
    assert_eq!(r.status(), 403);
    let r = send(reqwest::Method::POST, "/v1/drafts/d/publish", &admin, None);
    assert_eq!(r.status(), 201);
    let tess: Value = send(reqwest::Method::GET, "/v1/profiles/tess", &admin, None)
        .json()
        .unwrap();
    assert_eq!(tess["test"], true, "{tess}");
    assert_eq!(tess["context"], json!({"page": {"url": "/"}}));
    let audit: Value = send(reqwest::Method::GET, "/v1/audit", &admin, None)
        .json()
        .unwrap();
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            (
                e["keyName"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("cli", "key.create"),
            ("cli", "key.create"),
            ("cli", "key.create"),
            ("editor", "draft.put"),
            ("t", "draft.publish"),
        ]
    );
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `waymark drafts`, `pause` and `resume` against a running `waymark serve`: a refused draft
/// lists its pointers, an editor drafts and previews but cannot publish, an admin publishes,
/// pauses and resumes, and each step is a new live revision.
#[test]
fn drafts_pause_and_resume_from_the_command_line() {
    let dir = temp_dir("drafts");
    let db = dir.join("w.db");
    let db_arg = db.to_str().unwrap();
    let admin = key(&db, "--admin");
    let out = waymark(&[
        "keys", "create", "--role", "editor", "--name", "ed", "--db", db_arg,
    ]);
    let editor = text(&out.stdout).trim().to_owned();
    let server = serve(&db);
    let remote = |key: &str, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(args)
            .current_dir(ROOT)
            .env("WAYMARK_API", &server.url)
            .env("WAYMARK_KEY", key)
            .output()
            .unwrap();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let json_of = |stdout: &str| -> Value { serde_json::from_str(stdout).unwrap() };
    let shop = Path::new(ROOT).join("tests/fixtures/shop/bundle.json");
    let shop = shop.to_str().unwrap();

    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"format": 1, "id": "x", "activities": [{"id": "a", "surfaces": ["ftp://x"]}]}"#,
    )
    .unwrap();
    let (ok, _, stderr) = remote(&editor, &["drafts", "put", "autumn", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("422") && stderr.contains("\n/activities/0/surfaces/0: "),
        "{stderr}"
    );

    let (ok, stdout, stderr) = remote(&editor, &["drafts", "put", "autumn", shop]);
    assert!(ok, "{stderr}");
    assert_eq!(json_of(&stdout)["name"], "autumn", "{stdout}");
    let (ok, stdout, _) = remote(&editor, &["drafts", "list"]);
    assert!(
        ok && json_of(&stdout)["drafts"][0]["name"] == "autumn",
        "{stdout}"
    );
    let (ok, stdout, stderr) = remote(&editor, &["drafts", "diff", "autumn"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("hero-test"),
        "every activity is added: {stdout}"
    );
    let (ok, stdout, stderr) = remote(
        &editor,
        &[
            "drafts",
            "preview",
            "autumn",
            "--profile",
            "nobody",
            "--surface",
            "web://shop.example/",
        ],
    );
    assert!(
        !ok && stderr.contains("404") && stderr.contains("no profile `nobody`"),
        "{stdout}{stderr}"
    );

    let (ok, _, stderr) = remote(&editor, &["drafts", "publish", "autumn"]);
    assert!(
        !ok && stderr.contains("403"),
        "an editor cannot publish: {stderr}"
    );
    let (ok, stdout, stderr) = remote(&admin, &["drafts", "publish", "autumn"]);
    assert!(ok, "{stderr}");
    let first = json_of(&stdout)["revision"].as_i64().unwrap();

    let (ok, stdout, stderr) = remote(&admin, &["pause", "activity", "hero-test"]);
    assert!(ok, "{stderr}");
    assert_eq!(json_of(&stdout)["revision"].as_i64(), Some(first + 1));
    let live: Value = reqwest::blocking::Client::new()
        .get(format!("{}/v1/bundle", server.url))
        .header("x-waymark-key", &admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(live["paused"], json!(["hero-test"]), "{}", live["paused"]);
    let (ok, _, stderr) = remote(&admin, &["pause", "activity", "hero-test"]);
    assert!(!ok && stderr.contains("409"), "already paused: {stderr}");
    let (ok, stdout, stderr) = remote(&admin, &["resume", "activity", "hero-test"]);
    assert!(ok, "{stderr}");
    assert_eq!(json_of(&stdout)["revision"].as_i64(), Some(first + 2));

    let (ok, _, stderr) = remote(&admin, &["drafts", "delete", "autumn"]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = remote(&admin, &["drafts", "get", "autumn"]);
    assert!(!ok && stderr.contains("404"), "{stderr}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `waymark import FILE.csv`: a header row of dotted paths; bad rows are reported by line and
/// skipped; cells keep their types (numbers, booleans) or stay text (`007`).
#[test]
fn import_reads_test_profiles_from_csv() {
    let dir = temp_dir("csv");
    let db = dir.join("w.db");
    let file = dir.join("testers.csv");
    std::fs::write(
        &file,
        "id,test,timeZone,loyalty.tier,zip,context.cart.total\n\
         tess,true,Europe/Paris,gold,007,60\n\
         ,true,UTC,silver,1,2\n\
         tom,true,Atlantis/Deep,bronze,2,3\n\
         quinn,true,UTC,\"gold, plus\",3,4\n",
    )
    .unwrap();
    let out = waymark(&[
        "import",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported 2 profiles"),
        "{}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("testers.csv:3: "), "{stderr}");
    assert!(
        stderr.contains("testers.csv:4: ") && stderr.contains("Atlantis/Deep"),
        "{stderr}"
    );

    let admin = key(&db, "--admin");
    let server = serve(&db);
    let http = reqwest::blocking::Client::new();
    let get = |id: &str| -> Value {
        http.get(format!("{}/v1/profiles/{id}", server.url))
            .header("x-waymark-key", &admin)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let tess = get("tess");
    assert_eq!(tess["test"], true, "{tess}");
    assert_eq!(
        tess["attributes"],
        json!({"loyalty": {"tier": "gold"}, "zip": "007"})
    );
    assert_eq!(tess["context"], json!({"cart": {"total": 60}}));
    assert_eq!(tess["timeZone"], "Europe/Paris");
    assert_eq!(get("quinn")["attributes"]["loyalty"]["tier"], "gold, plus");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
