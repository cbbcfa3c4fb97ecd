//! Working conversations through the `trellis` binary on a temp data dir: the list and its
//! filters, `assign`, `take`, `resolve`, `reopen`, `snooze`, `tag` and `priority` (as the operator
//! and `--as` a user), what the timeline records of them, and `team member remove`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::path::Path;
use support::{run, trellis, Ran};

fn ok(dir: &Path, args: &[&str]) -> Ran {
    let ran = run(trellis(dir).args(args));
    ran.assert_success();
    ran
}

fn refused(dir: &Path, args: &[&str]) -> Ran {
    let ran = run(trellis(dir).args(args));
    assert_ne!(ran.code, Some(0), "expected a refusal\nstdout:\n{}", ran.stdout);
    ran
}

/// Imports three messages of the last hour, each its own conversation; their ids, oldest first.
fn import_conversations(dir: &Path) -> Vec<String> {
    let at = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let line = |id: &str, handle: &str, text: &str| {
        json!({
            "channel": "x", "account": "acme", "platform_id": id, "kind": "mention",
            "thread_platform_id": id,
            "author": { "platform_id": format!("user-{handle}"), "handle": handle },
            "text": text, "created_at": at,
        })
        .to_string()
    };
    let lines = [
        line("3001", "jane", "@acme I want a refund for my order"),
        line("3002", "bob", "@acme the latte art is lovely"),
        line("3003", "carl", "@acme the cup leaked"),
    ];
    let file = dir.join("messages.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    ok(dir, &["import", file.to_str().unwrap()]);
    let mut ids = listed(dir, &[]);
    ids.sort_by_key(|id| id.parse::<i64>().unwrap());
    assert_eq!(ids.len(), 3, "{ids:?}");
    ids
}

/// The ids `trellis conversations --json` lists with these extra flags.
fn listed(dir: &Path, flags: &[&str]) -> Vec<String> {
    let args: Vec<&str> = ["conversations", "--json"].iter().chain(flags).copied().collect();
    let list = ok(dir, &args).json();
    list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap().to_string()).collect()
}

/// Adds an agent, in a team of their own that serves every brand; their user id.
fn add_agent(dir: &Path, name: &str) -> i64 {
    let email = format!("{}@example.com", name.to_lowercase());
    ok(dir, &["user", "add", "--email", &email, "--name", name, "--role", "agent"]);
    let team = format!("{name}'s team");
    ok(dir, &["team", "add", &team]);
    ok(dir, &["team", "member", "add", &team, &email]);
    let users = ok(dir, &["users", "--json"]).json();
    let user = users.as_array().unwrap().iter().find(|user| user["email"] == email.as_str());
    user.unwrap()["id"].as_i64().unwrap()
}

/// `trellis conversation ID --json`.
fn detail(dir: &Path, id: &str) -> Value {
    ok(dir, &["conversation", id, "--json"]).json()
}

/// The timeline as (kind, actor, detail), oldest first.
fn timeline(dir: &Path, id: &str) -> Vec<(String, Value, Value)> {
    let detail = detail(dir, id);
    let events = detail["timeline"].as_array().unwrap().clone();
    events
        .into_iter()
        .map(|event| {
            (
                event["kind"].as_str().unwrap().to_owned(),
                event["actor"].clone(),
                event["detail"].clone(),
            )
        })
        .collect()
}

fn system() -> Value {
    json!({ "type": "system" })
}

fn user(id: i64) -> Value {
    json!({ "type": "user", "id": id })
}

#[test]
fn an_assignment_shows_in_the_detail_the_list_filters_and_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ids = import_conversations(dir);
    let alice = add_agent(dir, "Alice");

    let assigned = ok(dir, &["assign", &ids[0], "--to", "alice@example.com"]);
    assert_eq!(
        assigned.stdout.trim(),
        format!(
            "conversation {} is now assigned to Alice <alice@example.com> (user {alice})",
            ids[0]
        )
    );
    assert_eq!(detail(dir, &ids[0])["conversation"]["assignee_id"], alice);
    assert_eq!(detail(dir, &ids[1])["conversation"]["assignee_id"], Value::Null);
    assert_eq!(listed(dir, &["--assignee", "alice@example.com"]), [ids[0].clone()]);
    let unassigned = listed(dir, &["--assignee", "unassigned"]);
    assert!(!unassigned.contains(&ids[0]) && unassigned.len() == 2, "{unassigned:?}");
    let unknown = refused(dir, &["conversations", "--assignee", "nobody@example.com"]);
    assert!(unknown.stderr.contains("no user with id or email"), "{}", unknown.stderr);
    assert_eq!(
        timeline(dir, &ids[0]),
        [("assigned".to_owned(), system(), json!({ "from": null, "to": alice }))]
    );

    let cleared = ok(dir, &["assign", &ids[0], "--to", "nobody", "--json"]).json();
    assert_eq!(cleared["id"].as_i64().unwrap().to_string(), ids[0]);
    assert_eq!(cleared["assignee_id"], Value::Null);
    let refused_me = refused(dir, &["assign", &ids[0], "--to", "me"]);
    assert!(refused_me.stderr.contains("--as"), "{}", refused_me.stderr);
}

#[test]
fn resolve_then_reopen_is_recorded_under_who_did_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ids = import_conversations(dir);
    let alice = add_agent(dir, "Alice");

    let resolved = ok(dir, &["resolve", &ids[1]]);
    assert_eq!(resolved.stdout.trim(), format!("conversation {} is now resolved", ids[1]));
    assert_eq!(detail(dir, &ids[1])["conversation"]["status"], "resolved");
    assert_eq!(listed(dir, &["--status", "resolved"]), [ids[1].clone()]);

    let reopened = ok(dir, &["reopen", &ids[1], "--as", "alice@example.com"]);
    assert!(reopened.stdout.contains("is now open (by alice@example.com)"), "{}", reopened.stdout);
    assert_eq!(detail(dir, &ids[1])["conversation"]["status"], "open");
    assert_eq!(
        timeline(dir, &ids[1]),
        [
            ("status_changed".to_owned(), system(), json!({ "from": "open", "to": "resolved" })),
            ("status_changed".to_owned(), user(alice), json!({ "from": "resolved", "to": "open" })),
        ]
    );
    let missing = refused(dir, &["resolve", "9999"]);
    assert!(missing.stderr.contains("conversation 9999 not found"), "{}", missing.stderr);
}

#[test]
fn a_snooze_lies_ahead_and_a_past_time_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ids = import_conversations(dir);

    let past = refused(dir, &["snooze", &ids[0], "--until", "2020-01-01T00:00:00Z"]);
    assert!(past.stderr.contains("must be in the future"), "{}", past.stderr);
    assert_eq!(detail(dir, &ids[0])["conversation"]["status"], "open", "nothing was changed");
    let garbage = refused(dir, &["snooze", &ids[0], "--until", "tomorrow"]);
    assert!(garbage.stderr.contains("RFC 3339"), "{}", garbage.stderr);

    let before = Utc::now();
    ok(dir, &["snooze", &ids[0], "--until", "2h"]);
    let conversation = detail(dir, &ids[0])["conversation"].clone();
    assert_eq!(conversation["status"], "snoozed");
    let until: DateTime<Utc> = conversation["snoozed_until"].as_str().unwrap().parse().unwrap();
    assert!(until >= before + Duration::hours(2), "{until}");
    assert!(until <= Utc::now() + Duration::hours(2), "{until}");

    let at = ok(dir, &["snooze", &ids[1], "--until", "2099-01-02T03:04:05+01:00", "--json"]).json();
    assert_eq!(at["snoozed_until"], "2099-01-02T02:04:05Z");
    assert_eq!(
        timeline(dir, &ids[1]),
        [
            ("status_changed".to_owned(), system(), json!({ "from": "open", "to": "snoozed" })),
            ("snoozed".to_owned(), system(), json!({ "until": "2099-01-02T02:04:05Z" })),
        ]
    );
    ok(dir, &["reopen", &ids[1]]);
    assert_eq!(detail(dir, &ids[1])["conversation"]["snoozed_until"], Value::Null);
}

#[test]
fn tags_are_added_and_removed_and_the_list_filters_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ids = import_conversations(dir);

    let tagged = ok(dir, &["tag", &ids[2], "--add", "vip,Billing"]);
    assert_eq!(tagged.stdout.trim(), format!("conversation {} is now tagged billing,vip", ids[2]));
    assert_eq!(listed(dir, &["--tag", "vip"]), [ids[2].clone()]);
    let untagged = ok(dir, &["tag", &ids[2], "--remove", "vip", "--json"]).json();
    assert_eq!(untagged["tags"], json!(["billing"]));
    assert!(listed(dir, &["--tag", "vip"]).is_empty());
    let kinds: Vec<(String, Value)> =
        timeline(dir, &ids[2]).into_iter().map(|(kind, _, detail)| (kind, detail)).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(kinds.contains(&("tagged".to_owned(), json!({ "tag": "vip" }))), "{kinds:?}");
    assert!(kinds.contains(&("tagged".to_owned(), json!({ "tag": "billing" }))), "{kinds:?}");
    assert_eq!(kinds[2], ("untagged".to_owned(), json!({ "tag": "vip" })));

    let both = refused(dir, &["tag", &ids[2], "--add", "spam", "--remove", "spam"]);
    assert!(both.stderr.contains("both added and removed"), "{}", both.stderr);
    refused(dir, &["tag", &ids[2]]);
}

#[test]
fn a_user_takes_an_unassigned_conversation_and_cannot_take_one_held_by_another() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ids = import_conversations(dir);
    let alice = add_agent(dir, "Alice");
    let bob = add_agent(dir, "Bob");

    refused(dir, &["take", &ids[0]]);
    let taken = ok(dir, &["take", &ids[0], "--as", "bob@example.com"]);
    assert_eq!(
        taken.stdout.trim(),
        format!("conversation {} is now taken by Bob <bob@example.com> (user {bob})", ids[0])
    );
    assert_eq!(detail(dir, &ids[0])["conversation"]["assignee_id"], bob);

    let held = refused(dir, &["take", &ids[0], "--as", &alice.to_string()]);
    assert!(
        held.stderr.contains(&format!("user {bob} holds this conversation")),
        "{}",
        held.stderr
    );
    assert_eq!(detail(dir, &ids[0])["conversation"]["assignee_id"], bob, "still Bob's");
    assert_eq!(
        timeline(dir, &ids[0]),
        [("assigned".to_owned(), user(bob), json!({ "from": null, "to": bob }))]
    );

    ok(dir, &["user", "deactivate", "alice@example.com"]);
    let inactive = refused(dir, &["take", &ids[1], "--as", "alice@example.com"]);
    assert!(inactive.stderr.contains("deactivated"), "{}", inactive.stderr);
    assert_eq!(detail(dir, &ids[1])["conversation"]["assignee_id"], Value::Null);
}

#[test]
fn priority_is_set_and_filtered_on() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ids = import_conversations(dir);

    let set = ok(dir, &["priority", &ids[1], "urgent"]);
    assert_eq!(set.stdout.trim(), format!("conversation {} is now urgent priority", ids[1]));
    assert_eq!(listed(dir, &["--priority", "urgent"]), [ids[1].clone()]);
    assert_eq!(
        timeline(dir, &ids[1]),
        [("priority_changed".to_owned(), system(), json!({ "from": "normal", "to": "urgent" }))]
    );
    refused(dir, &["priority", &ids[1], "critical"]);
    let filtered = ok(dir, &["conversations", "--priority", "low"]);
    assert_eq!(filtered.stdout.trim(), "no conversations match");
}

#[test]
fn a_member_is_removed_from_a_team_and_a_non_member_cannot_be() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let alice = add_agent(dir, "Alice");
    let bob = add_agent(dir, "Bob");
    ok(dir, &["team", "add", "Support"]);
    ok(dir, &["team", "member", "add", "Support", "alice@example.com"]);
    ok(dir, &["team", "member", "add", "Support", "bob@example.com"]);

    let removed = ok(dir, &["team", "member", "remove", "Support", "alice@example.com"]);
    assert_eq!(
        removed.stdout.trim(),
        "Alice <alice@example.com> is no longer a member of team Support"
    );
    let teams = ok(dir, &["teams", "--json"]).json();
    let support = teams.as_array().unwrap().iter().find(|team| team["name"] == "Support");
    assert_eq!(support.unwrap()["members"], json!([bob]));

    let again = refused(dir, &["team", "member", "remove", "Support", &alice.to_string()]);
    assert!(
        again.stderr.contains("Alice <alice@example.com> is not a member of team Support"),
        "{}",
        again.stderr
    );
    let no_team = refused(dir, &["team", "member", "remove", "Sales", "bob@example.com"]);
    assert!(no_team.stderr.contains("no team"), "{}", no_team.stderr);
}
