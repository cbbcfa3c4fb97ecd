//! `trellis account add`, `list`, `pause`, `resume` and `remove` through the binary on a temp
//! SQLite data dir, against the simulators over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use support::{run, trellis, write_sample, Ran};
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_x::simulator as x;

/// The simulators listen on 127.0.0.1, which a forum address may name only when this is set.
const ALLOW_PRIVATE: &str = "TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES";

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Runs the binary off the runtime, so the simulators keep serving while it works.
async fn run_off_runtime(mut command: Command) -> Ran {
    tokio::task::spawn_blocking(move || run(&mut command)).await.unwrap()
}

#[tokio::test]
async fn account_add_verifies_and_saves_then_account_list_shows_the_accounts_with_health() {
    let dir = tempfile::tempdir().unwrap();
    let forum =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    let x_sim = x::Simulator::start(local(), x::SimulatorConfig::default()).await.unwrap();
    let x_app = x::SimulatorConfig::default();

    let mut add = trellis(dir.path());
    add.args(["account", "add", "--provider", "discourse", "--brand", "Acme", "--base-url"])
        .arg(forum.base_url())
        .args(["--username", forum.username()])
        .env("TRELLIS_API_KEY", "sim-api-key")
        .env(ALLOW_PRIVATE, "true");
    let added = run_off_runtime(add).await;
    added.assert_success();
    assert!(added.stdout.contains("connected discourse account 1"), "{}", added.stdout);
    assert!(forum.requests().iter().any(|r| r.path == "/session/current.json"));

    // X through the OAuth code flow: the simulator consents without a browser.
    let mut oauth = trellis(dir.path());
    oauth
        .args(["account", "add", "--provider", "x", "--brand", "Acme", "--base-url"])
        .arg(x_sim.base_url())
        .env("TRELLIS_X_CLIENT_ID", &x_app.client_id)
        .env("TRELLIS_X_CLIENT_SECRET", &x_app.client_secret);
    let connected = run_off_runtime(oauth).await;
    connected.assert_success();
    assert!(connected.stdout.contains("connected x account 2 @acme"), "{}", connected.stdout);
    let token_request = x_sim.requests().into_iter().find(|r| r.path == "/2/oauth2/token").unwrap();
    assert!(token_request.form().contains_key("code_verifier"));

    let mut list = trellis(dir.path());
    list.args(["account", "list", "--json"]);
    let listed = run_off_runtime(list).await;
    let accounts = listed.assert_success().json();
    assert_eq!(accounts.as_array().unwrap().len(), 2, "{accounts}");
    assert_eq!(accounts[0]["channel"], "discourse");
    assert_eq!(accounts[0]["health"]["status"], "active");
    assert_eq!(accounts[0]["health"]["ingest_error_count"], 0);
    assert_eq!(accounts[1]["display_name"], "@acme");
    assert!(!listed.stdout.contains("sim-api-key") && !listed.stdout.contains("sim-access"));

    let mut pause = trellis(dir.path());
    pause.args(["account", "pause", "1"]);
    run_off_runtime(pause).await.assert_success();
    let mut table = trellis(dir.path());
    table.args(["account", "list"]);
    let shown = run_off_runtime(table).await;
    shown.assert_success();
    let lines: Vec<&str> = shown.stdout.lines().collect();
    assert!(lines[0].starts_with("  ID  PROVIDER"), "{}", shown.stdout);
    assert!(lines[1].contains("discourse") && lines[1].contains("paused"), "{}", shown.stdout);
    assert!(lines[1].contains("never"), "no poll has succeeded yet: {}", shown.stdout);
    assert!(lines[2].contains("@acme") && lines[2].contains("active"), "{}", shown.stdout);
}

#[tokio::test]
async fn a_key_the_platform_refuses_is_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let forum =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    let mut add = trellis(dir.path());
    add.args(["account", "add", "--provider", "discourse", "--base-url"])
        .arg(forum.base_url())
        .args(["--username", forum.username(), "--api-key", "wrong"])
        .env(ALLOW_PRIVATE, "true");
    let refused = run_off_runtime(add).await;
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert!(refused.stderr.contains("the platform refused"), "{}", refused.stderr);

    let mut list = trellis(dir.path());
    list.args(["account", "list"]);
    let listed = run_off_runtime(list).await;
    assert!(listed.assert_success().stdout.contains("no accounts"), "{}", listed.stdout);
}

#[tokio::test]
async fn a_forum_on_a_private_address_is_refused_unless_the_configuration_allows_it() {
    let dir = tempfile::tempdir().unwrap();
    let forum =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    let mut add = trellis(dir.path());
    add.args(["account", "add", "--provider", "discourse", "--base-url"])
        .arg(forum.base_url())
        .args(["--username", forum.username(), "--api-key", "sim-api-key"]);
    let refused = run_off_runtime(add).await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("--base-url resolves to a loopback address (127.0.0.1)")
            && refused.stderr.contains("sync.allow_private_addresses"),
        "{}",
        refused.stderr
    );
    assert!(forum.requests().is_empty(), "the forum was never called");

    let mut list = trellis(dir.path());
    list.args(["account", "list"]);
    let listed = run_off_runtime(list).await;
    assert!(listed.assert_success().stdout.contains("no accounts"), "{}", listed.stdout);
}

#[tokio::test]
async fn x_without_a_configured_app_or_token_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut add = trellis(dir.path());
    add.args(["account", "add", "--provider", "x", "--base-url", "http://127.0.0.1:9"]);
    let refused = run_off_runtime(add).await;
    assert_eq!(refused.code, Some(1));
    assert!(refused.stderr.contains("x.client_id is not set"), "{}", refused.stderr);
}

#[tokio::test]
async fn an_account_connected_by_mistake_is_removed_and_one_with_conversations_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    // Account 1 (acme) arrives with the imported messages.
    run(trellis(dir.path()).arg("import").arg(write_sample(dir.path()))).assert_success();
    let forum =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    let mut add = trellis(dir.path());
    add.args(["account", "add", "--provider", "discourse", "--base-url"])
        .arg(forum.base_url())
        .args(["--username", forum.username()])
        .env("TRELLIS_API_KEY", "sim-api-key")
        .env(ALLOW_PRIVATE, "true");
    let added = run_off_runtime(add).await;
    assert!(added.assert_success().stdout.contains("connected discourse account 2"), "{added:?}");

    let mut remove = trellis(dir.path());
    remove.args(["account", "remove", "1"]);
    let kept = run_off_runtime(remove).await;
    assert_eq!(kept.code, Some(1), "{kept:?}");
    assert!(kept.stderr.contains("has conversations and messages"), "{}", kept.stderr);
    assert!(kept.stderr.contains("`trellis account pause 1`"), "{}", kept.stderr);

    let mut remove = trellis(dir.path());
    remove.args(["account", "remove", "2"]);
    let removed = run_off_runtime(remove).await;
    assert!(removed.assert_success().stdout.contains("account 2"), "{}", removed.stdout);
    let mut remove_again = trellis(dir.path());
    remove_again.args(["account", "remove", "2"]);
    let gone = run_off_runtime(remove_again).await;
    assert_eq!(gone.code, Some(1), "{gone:?}");
    assert!(gone.stderr.contains("account 2 not found"), "{}", gone.stderr);

    let mut list = trellis(dir.path());
    list.args(["account", "list", "--json"]);
    let listed = run_off_runtime(list).await;
    let accounts = listed.assert_success().json();
    let ids: Vec<i64> =
        accounts.as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1], "{accounts}");
}
