//! `trellis user …` and `trellis token …` as an operator uses them: passwords from standard input,
//! roles, deactivation, tokens shown once and revoked, everything in the audit log as `cli`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::process::Stdio;
use support::{run, trellis, Ran};
use trellis_core::AuditFilter;

/// Runs `trellis ARGS` with `input` on standard input.
fn with_stdin(dir: &std::path::Path, args: &[&str], input: &str) -> Ran {
    let mut child = trellis(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn store(dir: &std::path::Path) -> std::sync::Arc<dyn trellis_core::Store> {
    let url = format!("sqlite://{}", dir.join("trellis.sqlite").display());
    trellis_store::connect(&url).await.unwrap()
}

#[tokio::test]
async fn an_admin_is_created_with_a_password_and_a_weak_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let add = [
        "user",
        "add",
        "--email",
        "root@example.com",
        "--name",
        "Root",
        "--role",
        "admin",
        "--password-stdin",
    ];
    let weak = with_stdin(dir.path(), &add, "password123\n");
    assert_ne!(weak.code, Some(0));
    assert!(weak.stderr.contains("password"), "{}", weak.stderr);
    let made = with_stdin(dir.path(), &add, "violet-harbour-quietly-87\n");
    made.assert_success();
    assert!(made.stdout.contains("root@example.com"), "{}", made.stdout);

    let store = store(dir.path()).await;
    let user = store.find_user_by_email("root@example.com").await.unwrap().unwrap();
    let hash = store.user_password_hash(user.id).await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("violet"), "{hash}");
    let audit =
        store.audit_log(&AuditFilter { limit: 10, ..AuditFilter::default() }).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "user.created" && e.actor_label == "cli"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn roles_change_users_deactivate_and_come_back_and_the_last_admin_stays() {
    let dir = tempfile::tempdir().unwrap();
    for (email, role) in [("root@example.com", "admin"), ("ava@example.com", "agent")] {
        run(trellis(dir.path())
            .args(["user", "add", "--email", email, "--name", "N", "--role", role]))
        .assert_success();
    }
    let promoted = run(trellis(dir.path()).args(["user", "role", "ava@example.com", "supervisor"]));
    assert!(promoted.assert_success().stdout.contains("supervisor"), "{}", promoted.stdout);
    let last = run(trellis(dir.path()).args(["user", "role", "root@example.com", "agent"]));
    assert_ne!(last.code, Some(0), "the last admin was demoted: {}", last.stdout);

    let token = run(trellis(dir.path()).args([
        "token",
        "create",
        "--user",
        "ava@example.com",
        "--name",
        "ci",
        "--quiet",
    ]));
    let secret = token.assert_success().stdout.trim().to_owned();
    run(trellis(dir.path()).args(["user", "deactivate", "ava@example.com"])).assert_success();
    let store = store(dir.path()).await;
    let hash = trellis_app::identity::secrets::digest(&secret);
    let authenticated = store.authenticate_api_token(&hash, chrono::Utc::now()).await.unwrap();
    assert!(authenticated.is_none(), "a deactivated user's token still works");
    let listed = run(trellis(dir.path()).args(["users"]));
    assert!(listed.assert_success().stdout.contains("inactive"), "{}", listed.stdout);
    run(trellis(dir.path()).args(["user", "reactivate", "ava@example.com"])).assert_success();
    let password = with_stdin(
        dir.path(),
        &["user", "password", "ava@example.com"],
        "amber-lantern-softly-42\n",
    );
    password.assert_success();
    let ava = store.find_user_by_email("ava@example.com").await.unwrap().unwrap();
    assert!(store.user_password_hash(ava.id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_token_is_shown_once_listed_without_its_secret_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
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
    let created = run(trellis(dir.path()).args([
        "token",
        "create",
        "--user",
        "ops@example.com",
        "--name",
        "nightly export",
    ]));
    let text = created.assert_success().stdout.clone();
    let secret = text.lines().find(|line| line.starts_with("trellis_pat_")).unwrap().to_owned();
    let listed = run(trellis(dir.path()).args(["token", "list", "--json"]));
    let tokens = listed.assert_success().json();
    assert_eq!(tokens[0]["name"], "nightly export");
    assert!(!listed.stdout.contains(&secret), "the list shows the secret");
    let id = tokens[0]["id"].as_i64().unwrap().to_string();
    run(trellis(dir.path()).args(["token", "revoke", &id])).assert_success();
    let listed = run(trellis(dir.path()).args(["token", "list"]));
    assert!(listed.assert_success().stdout.contains("revoked"), "{}", listed.stdout);
    let store = store(dir.path()).await;
    let hash = trellis_app::identity::secrets::digest(&secret);
    assert!(store.authenticate_api_token(&hash, chrono::Utc::now()).await.unwrap().is_none());
}
