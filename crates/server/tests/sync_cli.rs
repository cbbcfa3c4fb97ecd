//! `trellis simulate` and `trellis sync --once` through the binary: a simulator started on its
//! own, an account connected to it with the credentials it prints, one sync storing its messages
//! and a second finding nothing new.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use support::{run, trellis};

/// Kills the simulator when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_simulated_forum_syncs_once_and_a_second_sync_finds_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut simulate = trellis(dir.path())
        .args(["simulate", "--platform", "discourse", "--bind", "127.0.0.1:0", "--rate", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = simulate.stdout.take().unwrap();
    let simulator = Running(simulate);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("discourse simulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    let connect = lines.next().unwrap().unwrap();
    assert!(connect.contains("connect an account"), "{connect}");
    let command = lines.next().unwrap().unwrap();
    assert!(command.contains("--api-key sim-api-key"), "{command}");

    run(trellis(dir.path())
        .args([
            "account",
            "add",
            "--provider",
            "discourse",
            "--base-url",
            &url,
            "--username",
            "acme_support",
            "--api-key",
            "sim-api-key",
        ])
        // The simulator listens on 127.0.0.1, a forum address allowed only when configured so.
        .env("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES", "true"))
    .assert_success();

    let synced = run(trellis(dir.path()).args(["sync", "--once"]));
    synced.assert_success();
    let line = synced.stdout.lines().find(|l| l.contains("discourse")).unwrap_or_default();
    let new: u64 = line
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {:?}", synced.stdout));
    assert!(new > 10, "{}", synced.stdout);

    let again = run(trellis(dir.path()).args(["sync", "--once"]));
    again.assert_success();
    assert!(again.stdout.contains(": 0 new,"), "{}", again.stdout);
    drop(simulator);
}

#[test]
fn sync_once_without_accounts_says_how_to_connect_one() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(trellis(dir.path()).args(["sync", "--once"]));
    ran.assert_success();
    assert!(ran.stdout.contains("trellis account add"), "{}", ran.stdout);
}
