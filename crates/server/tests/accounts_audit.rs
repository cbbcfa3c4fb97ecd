//! `trellis account add|pause|resume|remove` leave the same audit entries as the API does, as
//! `cli`: the binary on a temp SQLite data dir against the Discourse simulator, the audit log read
//! from the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use std::sync::Arc;
use support::{run, trellis, Ran};
use trellis_connector_discourse::simulator as discourse;
use trellis_core::{AccountId, AccountStatus, AuditEntry, AuditFilter, Store};

/// Runs the binary off the runtime, so the simulator keeps serving while it works.
async fn run_off_runtime(mut command: Command) -> Ran {
    tokio::task::spawn_blocking(move || run(&mut command)).await.unwrap()
}

async fn account(dir: &std::path::Path, args: &[&str]) -> Ran {
    let mut command = trellis(dir);
    command.arg("account").args(args);
    run_off_runtime(command).await
}

async fn store(dir: &std::path::Path) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.join("trellis.sqlite").display());
    trellis_store::connect(&url).await.unwrap()
}

/// The audit log, oldest first.
async fn audit(store: &Arc<dyn Store>) -> Vec<AuditEntry> {
    let filter = AuditFilter { limit: 100, ..AuditFilter::default() };
    let mut entries = store.audit_log(&filter).await.unwrap();
    entries.reverse();
    entries
}

#[tokio::test]
async fn each_account_change_at_the_cli_is_audited_as_cli_with_before_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let local = "127.0.0.1:0".parse().unwrap();
    let forum =
        discourse::Simulator::start(local, discourse::SimulatorConfig::default()).await.unwrap();
    let mut add = trellis(dir.path());
    add.args(["account", "add", "--provider", "discourse", "--brand", "Acme", "--base-url"])
        .arg(forum.base_url())
        .args(["--username", forum.username()])
        .env("TRELLIS_API_KEY", "sim-api-key")
        .env("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES", "true");
    let added = run_off_runtime(add).await;
    assert!(added.assert_success().stdout.contains("connected discourse account 1"), "{added:?}");
    let store = store(dir.path()).await;

    let entries = audit(&store).await;
    let [connected] = entries.as_slice() else { panic!("one entry after add: {entries:?}") };
    assert_eq!(connected.action, "account.connected");
    assert_eq!((connected.actor_label.as_str(), connected.actor_user_id), ("cli", None));
    assert_eq!((connected.entity.as_str(), connected.entity_id.as_deref()), ("account", Some("1")));
    assert!(connected.before.is_none());
    assert_eq!(connected.after.as_ref().unwrap()["channel"], "discourse");
    assert!(!serde_json::to_string(connected).unwrap().contains("sim-api-key"), "no secret");

    // The output is as it was before the CLI went through the service.
    let paused = account(dir.path(), &["pause", "1"]).await.assert_success().stdout.clone();
    assert!(paused.starts_with("account 1 ") && paused.ends_with(" is paused\n"), "{paused}");
    let resumed = account(dir.path(), &["resume", "1"]).await.assert_success().stdout.clone();
    assert!(resumed.starts_with("account 1 ") && resumed.ends_with(" is active\n"), "{resumed}");

    let entries = audit(&store).await;
    let changes: Vec<_> = entries[1..].iter().collect();
    let actions: Vec<&str> = changes.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["account.paused", "account.resumed"], "{entries:?}");
    for entry in &changes {
        assert_eq!((entry.actor_label.as_str(), entry.entity_id.as_deref()), ("cli", Some("1")));
    }
    let status = |value: &Option<serde_json::Value>| value.as_ref().unwrap()["status"].clone();
    assert_eq!(
        (status(&changes[0].before), status(&changes[0].after)),
        ("active".into(), "paused".into())
    );
    assert_eq!(
        (status(&changes[1].before), status(&changes[1].after)),
        ("paused".into(), "active".into())
    );

    // A refused change leaves no entry, and the CLI still says how to go on.
    let reason = Some("token revoked".to_owned());
    store.set_account_status(AccountId(1), AccountStatus::NeedsReauth, reason).await.unwrap();
    let refused = account(dir.path(), &["resume", "1"]).await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    let said = "account 1 needs re-authorization (token revoked): connect it again with `trellis \
                account add`";
    assert!(refused.stderr.contains(said), "{}", refused.stderr);
    assert_eq!(audit(&store).await.len(), 3);

    let removed = account(dir.path(), &["remove", "1"]).await;
    assert!(removed.assert_success().stdout.contains("account 1 "), "{}", removed.stdout);
    let entries = audit(&store).await;
    let last = entries.last().unwrap();
    assert_eq!((last.action.as_str(), last.actor_label.as_str()), ("account.removed", "cli"));
    assert_eq!(last.entity_id.as_deref(), Some("1"));
    assert_eq!(last.before.as_ref().unwrap()["channel"], "discourse", "{last:?}");
    assert!(last.after.is_none());
    assert_eq!(entries.len(), 4, "{entries:?}");
}
