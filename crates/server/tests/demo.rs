//! `trellis demo` as a real process: it brings all three simulated platforms into search, triage
//! tags, routes and assigns, Ctrl-C stops it cleanly, and a second start on the same data dir
//! finds its brand, accounts, team, rules and sign-ins instead of adding them again. Nothing is
//! served without a sign-in; the demo's printed passwords and token work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::trellis;

/// Kills the demo if the test fails before stopping it.
struct Demo {
    child: Child,
    dir: std::path::PathBuf,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(dir: &Path, run: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.with_extension(format!("{run}.log"));
        let child = trellis(dir)
            .args(["demo", "--data-dir"])
            .arg(dir)
            .args(["--bind", &format!("127.0.0.1:{port}"), "--rate", "60"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self { child, dir: dir.to_owned(), base: format!("http://127.0.0.1:{port}/api/v1"), log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The admin's API token the demo printed, once it has written its credentials.
    fn token(dir: &Path) -> Option<String> {
        let bytes = std::fs::read(dir.join("demo-credentials.json")).ok()?;
        let credentials: Value = serde_json::from_slice(&bytes).ok()?;
        credentials["token"].as_str().map(str::to_owned)
    }

    /// GETs `path` until `ready` accepts the answer, failing with the log at the deadline.
    async fn wait_for(&mut self, what: &str, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let mut request = client.get(format!("{}{path}", self.base));
            if let Some(token) = Self::token(&self.dir) {
                request = request.bearer_auth(token);
            }
            if let Ok(response) = request.send().await {
                if response.status() == 200 {
                    let body: Value = response.json().await.unwrap();
                    if ready(&body) {
                        return body;
                    }
                }
            }
            assert!(self.child.try_wait().unwrap().is_none(), "demo exited; log:\n{}", self.log());
            assert!(Instant::now() < deadline, "never saw {what}; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends SIGINT and waits for the process to end on its own.
    async fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "demo did not stop; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(status.success(), "demo exited with {status}; log:\n{}", self.log());
        assert!(self.log().contains("demo stopped"), "{}", self.log());
    }
}

fn total(results: &Value) -> u64 {
    results["total"].as_u64().unwrap_or(0)
}

/// What the demo seeded, counted in the store.
async fn seeded(dir: &Path) -> (Vec<String>, usize, usize, usize, usize) {
    let url = format!("sqlite://{}", dir.join("trellis.sqlite").display());
    let store = trellis_store::connect(&url).await.unwrap();
    let brands = store.list_brands().await.unwrap().into_iter().map(|b| b.name).collect();
    let accounts = store.list_accounts().await.unwrap().len();
    let teams = store.list_teams().await.unwrap().len();
    let users = store.list_users().await.unwrap().len();
    let rules = store.list_rules().await.unwrap().len();
    (brands, accounts, teams, users, rules)
}

#[tokio::test]
async fn the_demo_runs_the_product_on_three_platforms_stops_on_ctrl_c_and_restarts_in_place() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let mut demo = Demo::start(&dir, "first");

    for channel in ["x", "facebook", "discourse"] {
        let path = format!("/search?q=channel:{channel}&limit=1");
        demo.wait_for(&format!("{channel} messages in search"), &path, |r| total(r) > 0).await;
    }
    let billing = demo
        .wait_for(
            "a billing conversation routed and assigned",
            "/conversations?tag=billing",
            |page| {
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["team_id"].is_number() && c["assignee_id"].is_number())
            },
        )
        .await;
    let assigned =
        billing["items"].as_array().unwrap().iter().find(|c| c["assignee_id"].is_number()).unwrap();
    let detail = demo
        .wait_for(
            "the conversation's timeline",
            &format!("/conversations/{}", assigned["id"]),
            |d| !d["timeline"].as_array().unwrap().is_empty(),
        )
        .await;
    assert!(!detail["messages"].as_array().unwrap().is_empty(), "{detail}");
    let by_rule = detail["timeline"].as_array().unwrap().iter().any(|event| {
        event["kind"] == "tagged" && event["actor"]["name"] == "Refunds go to billing"
    });
    assert!(by_rule, "no tag by the refund rule on the timeline: {detail}");
    let accounts =
        demo.wait_for("three accounts", "/accounts", |a| a.as_array().unwrap().len() == 3).await;
    assert!(
        accounts.as_array().unwrap().iter().all(|a| a["health"]["status"] == "active"),
        "{accounts}"
    );
    // Nothing is served without signing in; the printed sign-ins work.
    let client = reqwest::Client::new();
    let anonymous = client.get(format!("{}/accounts", demo.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo-credentials.json")).unwrap()).unwrap();
    let people = credentials["people"].as_array().unwrap();
    assert_eq!(people.len(), 6, "{credentials}");
    let ava = people.iter().find(|p| p["email"] == "ava@acme-coffee.example").unwrap();
    let login = client
        .post(format!("{}/auth/login", demo.base))
        .json(&serde_json::json!({"email": ava["email"], "password": ava["password"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("trellis_session=") && cookie.contains("HttpOnly"), "{cookie}");
    let me: Value = login.json().await.unwrap();
    assert_eq!(me["user"]["role"], "agent");

    demo.interrupt().await;
    let first = seeded(&dir).await;
    assert_eq!(first.0, ["Acme Coffee"]);
    assert_eq!((first.1, first.2, first.3), (3, 1, 6));

    // The same dir again: everything found, nothing added, the accounts still polling.
    let restarted = chrono::Utc::now();
    let mut again = Demo::start(&dir, "second");
    let accounts = again
        .wait_for("the accounts polled again", "/accounts", |accounts| {
            accounts.as_array().unwrap().iter().all(|account| {
                let success = account["health"]["last_success_at"].as_str().unwrap_or_default();
                chrono::DateTime::parse_from_rfc3339(success).is_ok_and(|at| at > restarted)
            })
        })
        .await;
    assert_eq!(accounts.as_array().unwrap().len(), 3, "{accounts}");
    again.interrupt().await;
    assert_eq!(seeded(&dir).await, first);
    // The same sign-ins as before the restart.
    let kept: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo-credentials.json")).unwrap()).unwrap();
    assert_eq!(kept, credentials);
}
