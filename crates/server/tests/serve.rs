//! `trellis serve` as a real process on a free port: readiness, search over HTTP and from the CLI
//! beside it, graceful stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::{run, trellis, write_sample};

/// Kills the server if the test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    // Bind port 0 to let the OS choose, then release it for the server. Another process could take
    // it in between, which is unlikely enough on a test machine.
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn serve_rebuilds_a_lost_index_becomes_ready_answers_searches_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());
    run(trellis(dir.path()).arg("import").arg(&file)).assert_success();
    run(trellis(dir.path()).args([
        "user",
        "add",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        "--role",
        "admin",
    ]))
    .assert_success();
    let token = run(trellis(dir.path()).args([
        "token",
        "create",
        "--user",
        "ops@example.com",
        "--name",
        "serve test",
        "--quiet",
    ]));
    let token = token.assert_success().stdout.trim().to_owned();
    assert!(token.starts_with("trellis_pat_"), "{token}");
    // Without its index the server must rebuild it from the store before it reports ready.
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();

    let port = free_port();
    let log_path = dir.path().join("serve.log");
    let mut server = Server(
        trellis(dir.path())
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if matches!(&ready, Ok(response) if response.status() == 200) {
            let body: serde_json::Value = ready.unwrap().json().await.unwrap();
            assert_eq!(body["checks"]["store"], "ok");
            break;
        }
        assert!(Instant::now() < deadline, "never ready; log:\n{}", log());
        assert!(server.0.try_wait().unwrap().is_none(), "server exited; log:\n{}", log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(log().contains("trellis is serving"), "{}", log());
    assert!(
        log().contains("rebuilding search index from the store in the background"),
        "{}",
        log()
    );

    let health: serde_json::Value =
        client.get(format!("{base}/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let anonymous = client.get(format!("{base}/api/v1/search")).query(&[("q", "#latte")]);
    assert_eq!(anonymous.send().await.unwrap().status(), 401);
    let response = client
        .get(format!("{base}/api/v1/search"))
        .bearer_auth(&token)
        .query(&[("q", "#latte"), ("sort", "newest")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let results: serde_json::Value = response.json().await.unwrap();
    assert_eq!(results["total"], 2, "{results}");

    // While the server holds the index writer, searches from the command line read the index
    // read-only, two at once included.
    let searches: Vec<_> = (0..2)
        .map(|_| {
            let data_dir = dir.path().to_owned();
            std::thread::spawn(move || run(trellis(&data_dir).args(["search", "#latte", "--json"])))
        })
        .collect();
    for search in searches {
        let ran = search.join().unwrap();
        ran.assert_success();
        assert_eq!(ran.json()["total"], 2, "{}", ran.stdout);
    }

    let response = client
        .get(format!("{base}/api/v1/search"))
        .bearer_auth(&token)
        .query(&[("limit", "5")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "invalid_parameter");

    let pid = server.0.id().to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM; log:\n{}", log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit {status:?}; log:\n{}", log());
    let log = log();
    assert!(log.contains("SIGTERM") && log.contains("trellis stopped"), "{log}");
}
