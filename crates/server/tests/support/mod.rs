//! Helpers shared by the tests that run the built `trellis` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod accounts_env;
pub mod sync_env;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use trellis_core::{NewUser, Role, Store};

/// A `trellis` command on its own data dir, isolated from any `TRELLIS_*` in the test environment.
pub fn trellis(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trellis"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TRELLIS_") {
            command.env_remove(name);
        }
    }
    command.env("TRELLIS_DATA_DIR", data_dir).env("TRELLIS_LOG", "info").env("NO_COLOR", "1");
    command
}

/// Runs a command and returns its output, with both streams as text for assertions.
pub fn run(command: &mut Command) -> Ran {
    let output: Output = command.output().unwrap();
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.code, Some(0), "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}):\n{}", self.stdout))
    }
}

pub fn message(account: &str, id: &str, handle: &str, text: &str) -> String {
    json!({
        "channel": "x",
        "account": account,
        "platform_id": id,
        "kind": "mention",
        "author": {"platform_id": format!("user-{handle}"), "handle": handle},
        "text": text,
        "created_at": format!("2024-05-01T12:00:{:02}Z", id.len() % 60),
    })
    .to_string()
}

/// Five lines, the third malformed: four messages by @jane and @bob, two tagged #latte.
pub fn write_sample(dir: &Path) -> PathBuf {
    let lines = [
        message("acme", "1001", "jane", "@acme my #latte was cold again"),
        message("acme", "1002", "bob", "@acme where is my order"),
        "{\"channel\": \"x\", \"account\": ".to_owned(),
        message("acme", "1004", "bob", "@acme loving the new #latte art"),
        message("acme", "1005", "jane", "@acme refund please"),
    ];
    let path = dir.join("sample.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The hits of a `search --json` run as (author handle, message id) pairs.
pub fn hit_authors(results: &Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["author_handle"].as_str().unwrap_or("-").to_owned())
        .collect()
}

/// Creates an admin (`admin@example.com`) and an API token of theirs; the token's secret.
pub async fn admin_token(store: &Arc<dyn Store>) -> String {
    let user = match store.find_user_by_email("admin@example.com").await.unwrap() {
        Some(user) => user,
        None => store
            .create_user(NewUser {
                email: "admin@example.com".into(),
                name: "Test Admin".into(),
                role: Role::Admin,
            })
            .await
            .unwrap(),
    };
    let principal = trellis_app::Principal::operator();
    let created =
        trellis_app::identity::tokens::create(store.as_ref(), &principal, user.id, "tests", None)
            .await
            .unwrap();
    created.secret
}

/// `app` with every request that carries no `Authorization` sent as the holder of `token`.
pub fn signed_in(app: axum::Router, token: &str) -> axum::Router {
    let value = axum::http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    app.layer(tower_http::set_header::SetRequestHeaderLayer::if_not_present(
        axum::http::header::AUTHORIZATION,
        value,
    ))
}
