//! Managing triage through the `trellis` binary on a temp data dir: users, teams and their
//! assignment, agents, rules (preview, run, validation, order), calendars, SLA policies and
//! canned replies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use support::{run, trellis, Ran};

/// An example definition from docs/examples, as the docs show it.
fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples").join(name)
}

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

/// Three messages of the last hour, each its own conversation: two ask for a refund.
fn import_messages(dir: &Path) {
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
        line("2001", "jane", "@acme I want a refund for my order"),
        line("2002", "bob", "@acme the latte art is lovely"),
        line("2003", "carl", "@acme refund please, the cup leaked"),
    ];
    let file = dir.join("messages.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    ok(dir, &["import", file.to_str().unwrap()]);
}

/// The conversations whose messages a search finds, sorted.
fn conversations_matching(dir: &Path, query: &str) -> Vec<i64> {
    let results = ok(dir, &["search", query, "--json"]).json();
    let mut ids: Vec<i64> = results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["conversation_id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

fn conversation(dir: &Path, id: i64) -> Value {
    ok(dir, &["conversation", &id.to_string(), "--json"]).json()
}

fn rule_names(dir: &Path) -> Vec<(String, bool)> {
    let rules = ok(dir, &["rules", "--json"]).json();
    rules
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| (rule["name"].as_str().unwrap().to_owned(), rule["enabled"].as_bool().unwrap()))
        .collect()
}

#[test]
fn a_previewed_rule_changes_nothing_and_a_run_tags_the_conversation_as_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    import_messages(dir);
    let rule = example("rule.json");
    let added =
        ok(dir, &["rule", "add", "--name", "Refunds to billing", "--file", rule.to_str().unwrap()]);
    assert!(added.stdout.contains("added: \"Refunds to billing\" (enabled)"), "{}", added.stdout);
    let refunds = conversations_matching(dir, "refund");
    assert_eq!(refunds.len(), 2);

    let preview = ok(dir, &["rule", "preview", "--file", rule.to_str().unwrap(), "--json"]).json();
    assert_eq!(preview["matched"], 2, "{preview}");
    let mut previewed: Vec<i64> = preview["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sample| sample["conversation_id"].as_i64().unwrap())
        .collect();
    previewed.sort_unstable();
    assert_eq!(previewed, refunds);
    assert_eq!(preview["samples"][0]["actions"][0], json!({ "type": "add_tag", "tag": "billing" }));
    for id in &refunds {
        let untouched = conversation(dir, *id);
        assert_eq!(untouched["conversation"]["tags"], json!([]), "preview changed {id}");
        assert_eq!(untouched["timeline"], json!([]), "preview changed {id}");
    }

    let ran = ok(dir, &["rule", "run", "--conversation", &refunds[0].to_string()]);
    assert!(ran.stdout.contains("\"Refunds to billing\": add_tag billing"), "{}", ran.stdout);
    let after = conversation(dir, refunds[0]);
    assert_eq!(after["conversation"]["tags"], json!(["billing"]));
    assert_eq!(after["conversation"]["priority"], "high");
    let by_rule = after["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["actor"]["name"] == "Refunds to billing")
        .count();
    assert!(by_rule >= 2, "tag and priority attributed to the rule: {}", after["timeline"]);
    assert_eq!(conversation(dir, refunds[1])["conversation"]["tags"], json!([]));

    let other = conversations_matching(dir, "latte")[0];
    let missed = ok(dir, &["rule", "run", "--conversation", &other.to_string()]);
    assert!(missed.stdout.contains("no rule matched"), "{}", missed.stdout);
}

#[test]
fn a_bad_rule_file_is_refused_with_the_field_named_and_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let unknown_action = dir.join("rockets.json");
    std::fs::write(&unknown_action, r#"{ "actions": [ { "type": "launch_rockets" } ] }"#).unwrap();
    let ran =
        refused(dir, &["rule", "add", "--name", "x", "--file", unknown_action.to_str().unwrap()]);
    assert!(
        ran.stderr.contains("invalid rule: unknown variant `launch_rockets`"),
        "{}",
        ran.stderr
    );

    let unknown_field = dir.join("colour.json");
    std::fs::write(&unknown_field, "{\n  \"actions\": [],\n  \"colour\": \"red\"\n}").unwrap();
    let ran =
        refused(dir, &["rule", "add", "--name", "x", "--file", unknown_field.to_str().unwrap()]);
    assert!(ran.stderr.contains("unknown field `colour`"), "{}", ran.stderr);
    assert!(ran.stderr.contains("line 3"), "{}", ran.stderr);

    let bad_regex = dir.join("regex.json");
    std::fs::write(
        &bad_regex,
        r#"{ "conditions": { "conditions": [ { "type": "text_matches_regex", "pattern": "(" } ] }, "actions": [] }"#,
    )
    .unwrap();
    let ran = refused(dir, &["rule", "add", "--name", "x", "--file", bad_regex.to_str().unwrap()]);
    assert!(ran.stderr.contains("conditions[0] has an invalid regex"), "{}", ran.stderr);
    assert_eq!(ok(dir, &["rules", "--json"]).json(), json!([]));
}

#[test]
fn rules_move_enable_disable_and_delete_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let rule = example("rule.json");
    for name in ["A", "B", "C"] {
        ok(dir, &["rule", "add", "--name", name, "--file", rule.to_str().unwrap()]);
    }
    let ids: Vec<String> = ok(dir, &["rules", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].to_string())
        .collect();
    let moved = ok(dir, &["rule", "move", &ids[2], "--to", "1"]);
    assert!(moved.stdout.contains("now at position 1"), "{}", moved.stdout);
    ok(dir, &["rule", "disable", &ids[0]]);
    assert_eq!(
        rule_names(dir),
        [("C".to_owned(), true), ("A".to_owned(), false), ("B".to_owned(), true)]
    );
    ok(dir, &["rule", "enable", &ids[0]]);
    ok(dir, &["rule", "delete", &ids[1]]);
    assert_eq!(rule_names(dir), [("C".to_owned(), true), ("A".to_owned(), true)]);
    let table = ok(dir, &["rules"]);
    assert!(
        table
            .stdout
            .contains("all of: text_matches_query, not → add_tag billing, set_priority high"),
        "{}",
        table.stdout
    );
    refused(dir, &["rule", "move", "999", "--to", "1"]);
}

#[test]
fn a_new_default_policy_takes_the_flag_and_sla_show_prints_the_clocks() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let policy = example("policy.json");
    let calendar = example("calendar.json");
    let cal =
        ok(dir, &["calendar", "add", "--name", "support-eu", "--file", calendar.to_str().unwrap()]);
    assert!(cal.stdout.contains("\"support-eu\""), "{}", cal.stdout);
    let calendar_id = ok(dir, &["calendars", "--json"]).json()[0]["id"].to_string();
    ok(
        dir,
        &[
            "sla",
            "policy",
            "add",
            "--name",
            "Standard",
            "--file",
            policy.to_str().unwrap(),
            "--default",
        ],
    );
    let second = ok(
        dir,
        &[
            "sla",
            "policy",
            "add",
            "--name",
            "Office hours",
            "--file",
            policy.to_str().unwrap(),
            "--calendar",
            &calendar_id,
            "--default",
        ],
    );
    assert!(second.stdout.contains("the default"), "{}", second.stdout);
    let policies = ok(dir, &["sla", "policies", "--json"]).json();
    let defaults: Vec<(&str, bool)> = policies
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["is_default"].as_bool().unwrap()))
        .collect();
    assert_eq!(defaults, [("Standard", false), ("Office hours", true)]);
    refused(
        dir,
        &[
            "sla",
            "policy",
            "add",
            "--name",
            "x",
            "--file",
            policy.to_str().unwrap(),
            "--calendar",
            "999",
        ],
    );

    import_messages(dir);
    let id = conversations_matching(dir, "latte")[0].to_string();
    ok(dir, &["rule", "run", "--conversation", &id]);
    let shown = ok(dir, &["sla", "show", &id]);
    assert!(shown.stdout.contains("\"Office hours\""), "{}", shown.stdout);
    let first_response = shown.stdout.lines().find(|line| line.starts_with("first_response"));
    assert!(first_response.is_some_and(|line| line.contains(" running ")), "{}", shown.stdout);
}

#[test]
fn users_teams_and_agents_are_set_up_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(dir, &["user", "add", "--email", "alice@example.com", "--name", "Alice", "--role", "agent"]);
    ok(
        dir,
        &["user", "add", "--email", "bob@example.com", "--name", "Bob", "--role", "supervisor"],
    );
    refused(dir, &["user", "add", "--email", "x@example.com", "--name", "X", "--role", "king"]);
    let users = ok(dir, &["users", "--json"]).json();
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert_eq!(users[1]["role"], "supervisor");

    ok(dir, &["team", "add", "Support"]);
    ok(dir, &["team", "member", "add", "Support", "alice@example.com"]);
    let settings = ok(
        dir,
        &[
            "team",
            "settings",
            "Support",
            "--assignment",
            "balanced",
            "--capacity",
            "5",
            "--return-after",
            "30m",
        ],
    );
    assert!(settings.stdout.contains("assignment:    balanced"), "{}", settings.stdout);
    assert!(settings.stdout.contains("capacity:      5"), "{}", settings.stdout);
    assert!(settings.stdout.contains("return after:  30m"), "{}", settings.stdout);
    let teams = ok(dir, &["teams", "--json"]).json();
    assert_eq!(teams[0]["settings"]["assignment"], "balanced");
    assert_eq!(teams[0]["settings"]["return_after_offline_secs"], 1800);
    assert_eq!(teams[0]["members"], json!([users[0]["id"]]));
    assert_eq!(teams[0]["brands"], json!([]), "a team names no brand: it serves every brand");
    let unknown = refused(dir, &["team", "brands", "Support", "Globex"]);
    assert!(unknown.stderr.contains("no brand"), "{}", unknown.stderr);
    let everything = ok(dir, &["team", "brands", "Support"]);
    assert!(everything.stdout.contains("serves brands: all"), "{}", everything.stdout);
    let never =
        ok(dir, &["team", "settings", "Support", "--return-after", "never", "--json"]).json();
    assert_eq!(never["return_after_offline_secs"], Value::Null);
    assert_eq!(never["assignment"], "balanced", "untouched settings stay");
    refused(dir, &["team", "settings", "Support", "--return-after", "30"]);

    ok(dir, &["agent", "availability", "alice@example.com", "online"]);
    ok(dir, &["agent", "capacity", "alice@example.com", "3"]);
    let agents = ok(dir, &["agents", "--team", "Support", "--json"]).json();
    assert_eq!(agents.as_array().unwrap().len(), 1, "{agents}");
    assert_eq!(agents[0]["availability"], "online");
    assert_eq!(agents[0]["capacity"], 3);
    let table = ok(dir, &["agents"]);
    let alice = table.stdout.lines().find(|line| line.contains("Alice")).unwrap();
    assert!(alice.contains("online") && alice.contains(" 3 "), "{alice}");
    ok(dir, &["agent", "availability", "alice@example.com", "away"]);
    ok(dir, &["agent", "capacity", "alice@example.com", "team"]);
    let agents = ok(dir, &["agents", "--team", "Support", "--json"]).json();
    assert_eq!(agents[0]["availability"], "away");
    assert_eq!(agents[0]["capacity"], Value::Null);
}

#[test]
fn canned_replies_are_added_listed_updated_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(
        dir,
        &["canned", "add", "--shortcut", "/refund", "--title", "Refund", "--body", "We are on it."],
    );
    refused(dir, &["canned", "add", "--shortcut", "refund", "--title", "T", "--body", "B"]);
    let replies = ok(dir, &["canned", "--json"]).json();
    assert_eq!(replies.as_array().unwrap().len(), 1);
    let id = replies[0]["id"].to_string();
    ok(dir, &["canned", "update", &id, "--title", "Refunds"]);
    let replies = ok(dir, &["canned", "--json"]).json();
    assert_eq!(replies[0]["title"], "Refunds");
    assert_eq!(replies[0]["body"], "We are on it.");
    assert!(ok(dir, &["canned"]).stdout.contains("/refund"));
    ok(dir, &["canned", "delete", &id]);
    assert_eq!(ok(dir, &["canned", "--json"]).json(), json!([]));
    refused(dir, &["canned", "delete", &id]);
}

#[test]
fn calendars_and_policies_are_deleted_only_once_nothing_depends_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let policy = example("policy.json");
    let calendar = example("calendar.json");
    ok(dir, &["calendar", "add", "--name", "support-eu", "--file", calendar.to_str().unwrap()]);
    let calendar_id = ok(dir, &["calendars", "--json"]).json()[0]["id"].to_string();
    let policy_file = policy.to_str().unwrap();
    ok(dir, &["sla", "policy", "add", "--name", "Standard", "--file", policy_file, "--default"]);
    let add_office =
        ["sla", "policy", "add", "--name", "Office", "--file", policy_file, "--calendar"];
    ok(dir, &[&add_office[..], &[calendar_id.as_str()]].concat());
    let policies = ok(dir, &["sla", "policies", "--json"]).json();
    let (standard, office) = (policies[0]["id"].to_string(), policies[1]["id"].to_string());
    let applies_office = dir.join("office.json");
    let rule =
        json!({ "actions": [ { "type": "apply_sla_policy", "policy_id": policies[1]["id"] } ] });
    std::fs::write(&applies_office, rule.to_string()).unwrap();
    ok(dir, &["rule", "add", "--name", "Office rule", "--file", applies_office.to_str().unwrap()]);
    let rule_id = ok(dir, &["rules", "--json"]).json()[0]["id"].to_string();

    let ran = refused(dir, &["calendar", "delete", &calendar_id]);
    let used = format!(
        "error: cannot delete the calendar: conflict: calendar {calendar_id} \"support-eu\" is \
         used by sla policy {office} \"Office\": give it another calendar first"
    );
    assert!(ran.stderr.contains(&used), "{}", ran.stderr);
    let ran = refused(dir, &["sla", "policy", "delete", &standard]);
    let default = format!(
        "sla policy {standard} \"Standard\" is the default: make another policy the default first"
    );
    assert!(ran.stderr.contains(&default), "{}", ran.stderr);
    let ran = refused(dir, &["sla", "policy", "delete", &office]);
    let applied =
        format!("is applied by rule {rule_id} \"Office rule\": change or delete it first");
    assert!(ran.stderr.contains(&applied), "{}", ran.stderr);

    import_messages(dir);
    let id = conversations_matching(dir, "latte")[0].to_string();
    ok(dir, &["rule", "run", "--conversation", &id]);
    assert_eq!(ok(dir, &["sla", "show", &id, "--json"]).json()["policy_id"].to_string(), office);
    ok(dir, &["rule", "delete", &rule_id]);
    let deleted = ok(dir, &["sla", "policy", "delete", &office]);
    assert_eq!(deleted.stdout, format!("sla policy {office} deleted: \"Office\"\n"));
    let sla = ok(dir, &["sla", "show", &id, "--json"]).json();
    assert_eq!(sla["policy_id"].to_string(), standard, "handed to the default: {sla}");
    let handed_over = conversation(dir, id.parse().unwrap())["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| {
            event["kind"] == "sla_policy_applied" && event["detail"]["name"] == "Standard"
        })
        .count();
    assert_eq!(handed_over, 1);

    let deleted = ok(dir, &["calendar", "delete", &calendar_id]);
    assert!(deleted.stdout.contains("\"support-eu\""), "{}", deleted.stdout);
    assert_eq!(ok(dir, &["calendars", "--json"]).json(), json!([]));
    let ran = refused(dir, &["calendar", "delete", &calendar_id]);
    assert!(ran.stderr.contains(&format!("no calendar {calendar_id}")), "{}", ran.stderr);
    refused(dir, &["sla", "policy", "delete", &office]);
}
