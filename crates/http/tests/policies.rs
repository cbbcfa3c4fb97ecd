//! Business-hours calendars and SLA policies over HTTP: everyone reads them, supervisors write
//! them, each definition checked as triage reads it with a refusal naming its field, deletes
//! refused while something depends on them, every change audited with before and after. The
//! whole story runs on SQLite, and once more on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env, Answer, Env};
use serde_json::{json, Value};
use std::sync::Arc;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_app::Principal;
use trellis_core::Role;
use trellis_http::{app, AppState, HttpSettings};

fn office_hours() -> Value {
    json!({
        "time_zone": "Europe/Berlin",
        "hours": {"weekly": {"mon": ["13:00-17:00", "09:00-12:00"], "fri": ["09:00-16:00"]}},
        "holidays": ["2025-12-26", "2025-12-25"]
    })
}

fn targets() -> Value {
    json!({
        "targets": {
            "urgent": {"first_response_minutes": 30, "next_response_minutes": 30, "resolution_minutes": 480},
            "normal": {"first_response_seconds": 14400, "resolution_minutes": 2880}
        },
        "warning_percent": 75,
        "escalation": {"on_warning": ["notify_supervisors"], "on_breach": ["raise_priority"]}
    })
}

/// A request as `token`, with `body` when given.
async fn send(env: &Env, method: Method, uri: &str, token: &str, body: Option<Value>) -> Answer {
    let request = call(method, uri).bearer(token);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send(&env.app).await
}

/// The `422 invalid_field` answer's field, after checking it is one.
fn refused_field(answer: &Answer) -> &str {
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
    assert_eq!(answer.code(), "invalid_field", "{}", answer.body);
    answer.body["error"]["field"].as_str().unwrap()
}

/// The admin's view of the audit log for `entity`, newest first.
async fn audit(env: &Env, entity: &str) -> Vec<Value> {
    let admin = env.token(&env.admin).await;
    let uri = format!("/api/v1/audit?entity={entity}");
    let answer = send(env, Method::GET, &uri, &admin, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body["items"].as_array().unwrap().clone()
}

async fn calendars_are_read_by_everyone_written_by_supervisors_and_audited(env: &Env) {
    let (agent, supervisor) = (env.token(&env.agent).await, env.token(&env.supervisor).await);
    let new = json!({"name": "support-eu", "definition": office_hours()});
    let refused = send(env, Method::POST, "/api/v1/calendars", &agent, Some(new.clone())).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let made = send(env, Method::POST, "/api/v1/calendars", &supervisor, Some(new.clone())).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["name"], "support-eu");
    // Stored as triage reads it: periods and holidays sorted.
    assert_eq!(
        made.body["definition"]["hours"]["weekly"]["mon"],
        json!(["09:00-12:00", "13:00-17:00"])
    );
    assert_eq!(made.body["definition"]["holidays"], json!(["2025-12-25", "2025-12-26"]));
    let id = made.body["id"].as_i64().unwrap();
    let uri = format!("/api/v1/calendars/{id}");
    let taken = json!({"name": "Support-EU", "definition": office_hours()});
    let taken = send(env, Method::POST, "/api/v1/calendars", &supervisor, Some(taken)).await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "conflict"), "{}", taken.body);

    let with = |change: Value| {
        let mut definition = office_hours();
        for (key, value) in change.as_object().unwrap() {
            definition[key] = value.clone();
        }
        json!({"name": "other", "definition": definition})
    };
    for (body, field) in [
        (with(json!({"time_zone": "Mars/Olympus"})), "definition.time_zone"),
        (
            with(json!({"hours": {"weekly": {"tue": ["09:00-12:00", "11:00-13:00"]}}})),
            "definition.hours",
        ),
        (with(json!({"hours": {"weekly": {"tue": ["17:00-17:00"]}}})), "definition.hours"),
        (with(json!({"hours": {"weekly": {"tue": ["9am-5pm"]}}})), "definition.hours"),
        (with(json!({"holidays": ["2025-02-30"]})), "definition.holidays"),
        (with(json!({"colour": "red"})), "definition"),
        (json!({"name": " ", "definition": office_hours()}), "name"),
    ] {
        let answer = send(env, Method::POST, "/api/v1/calendars", &supervisor, Some(body)).await;
        assert_eq!(refused_field(&answer), field, "{}", answer.body);
    }
    let unknown = json!({"name": "x", "definition": office_hours(), "zone": "UTC"});
    let unknown = send(env, Method::POST, "/api/v1/calendars", &supervisor, Some(unknown)).await;
    assert_eq!(unknown.code(), "invalid_body", "{}", unknown.body);

    let listed = send(env, Method::GET, "/api/v1/calendars", &agent, None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.body);
    let shown = send(env, Method::GET, &uri, &agent, None).await;
    assert_eq!((shown.status, &shown.body["name"]), (StatusCode::OK, &json!("support-eu")));
    let missing = send(env, Method::GET, "/api/v1/calendars/999", &agent, None).await;
    assert_eq!((missing.status, missing.code()), (StatusCode::NOT_FOUND, "not_found"));

    // A new definition replaces the old one whole; an agent may not.
    let night =
        json!({"definition": {"time_zone": "UTC", "hours": {"weekly": {"fri": ["22:00-02:00"]}}}});
    let refused = send(env, Method::PATCH, &uri, &agent, Some(night.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let changed = send(env, Method::PATCH, &uri, &supervisor, Some(night)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["definition"]["time_zone"], "UTC");
    assert_eq!(changed.body["definition"]["holidays"], json!([]));
    assert_eq!(changed.body["name"], "support-eu", "the name stays");
    let bad = json!({"definition": {"time_zone": "Europe/Nowhere", "hours": "always_open"}});
    let bad = send(env, Method::PATCH, &uri, &supervisor, Some(bad)).await;
    assert_eq!(refused_field(&bad), "definition.time_zone");
    let rename = Some(json!({"name": "support-emea"}));
    let gone = send(env, Method::PATCH, "/api/v1/calendars/999", &supervisor, rename.clone()).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // A rule naming the calendar keeps its name and the calendar itself.
    let rule = json!({"name": "After hours", "definition": {
        "conditions": {"conditions": [{"type": "outside_business_hours", "calendar": "support-eu"}]},
        "actions": [{"type": "add_tag", "tag": "after-hours"}]
    }});
    let rule = send(env, Method::POST, "/api/v1/rules", &supervisor, Some(rule)).await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let renamed = send(env, Method::PATCH, &uri, &supervisor, rename.clone()).await;
    assert_eq!(renamed.status, StatusCode::CONFLICT, "{}", renamed.body);
    let message = renamed.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("\"After hours\""), "{message}");
    let kept = send(env, Method::DELETE, &uri, &supervisor, None).await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.body);
    let rule_uri = format!("/api/v1/rules/{}", rule.body["id"]);
    let deleted = send(env, Method::DELETE, &rule_uri, &supervisor, None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    let renamed = send(env, Method::PATCH, &uri, &supervisor, rename).await;
    assert_eq!(renamed.body["name"], "support-emea", "{}", renamed.body);

    let refused = send(env, Method::DELETE, &uri, &agent, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let deleted = send(env, Method::DELETE, &uri, &supervisor, None).await;
    assert_eq!((deleted.status, &deleted.body["id"]), (StatusCode::OK, &json!(id)));
    let again = send(env, Method::DELETE, &uri, &supervisor, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let entries = audit(env, "calendar").await;
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["calendar.deleted", "calendar.updated", "calendar.updated", "calendar.created"]
    );
    let (renaming, deleting) = (&entries[1], &entries[0]);
    assert_eq!(renaming["entity_id"], id.to_string());
    assert_eq!(renaming["before"]["name"], "support-eu");
    assert_eq!(renaming["after"]["name"], "support-emea");
    assert_eq!(renaming["actor_user_id"], env.supervisor.id.0);
    assert_eq!(entries[2]["before"]["definition"]["time_zone"], "Europe/Berlin");
    assert_eq!(entries[2]["after"]["definition"]["time_zone"], "UTC");
    assert_eq!(
        (&deleting["after"], &deleting["before"]["name"]),
        (&Value::Null, &json!("support-emea"))
    );
    assert_eq!(entries[3]["before"], Value::Null);
}

async fn policies_are_read_by_everyone_written_by_supervisors_and_audited(env: &Env) {
    let (agent, supervisor) = (env.token(&env.agent).await, env.token(&env.supervisor).await);
    let calendar = json!({"name": "support-eu", "definition": office_hours()});
    let calendar = send(env, Method::POST, "/api/v1/calendars", &supervisor, Some(calendar)).await;
    let calendar_id = calendar.body["id"].as_i64().unwrap();

    let standard = json!({"name": "Standard", "is_default": true, "definition": targets()});
    let refused =
        send(env, Method::POST, "/api/v1/sla-policies", &agent, Some(standard.clone())).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let standard =
        send(env, Method::POST, "/api/v1/sla-policies", &supervisor, Some(standard)).await;
    assert_eq!(standard.status, StatusCode::CREATED, "{}", standard.body);
    assert_eq!(
        (&standard.body["is_default"], &standard.body["calendar_id"]),
        (&json!(true), &Value::Null)
    );
    // Stored as triage reads it: whole minutes in minutes.
    assert_eq!(
        standard.body["definition"]["targets"]["normal"],
        json!({"first_response_minutes": 240, "resolution_minutes": 2880})
    );
    let standard_id = standard.body["id"].as_i64().unwrap();
    let office = json!({"name": "Office", "calendar_id": calendar_id, "definition": targets()});
    let office = send(env, Method::POST, "/api/v1/sla-policies", &supervisor, Some(office)).await;
    assert_eq!(office.status, StatusCode::CREATED, "{}", office.body);
    assert_eq!(
        (&office.body["is_default"], &office.body["calendar_id"]),
        (&json!(false), &json!(calendar_id))
    );
    let office_id = office.body["id"].as_i64().unwrap();
    let office_uri = format!("/api/v1/sla-policies/{office_id}");
    let standard_uri = format!("/api/v1/sla-policies/{standard_id}");

    let taken = json!({"name": "office", "definition": targets()});
    let taken = send(env, Method::POST, "/api/v1/sla-policies", &supervisor, Some(taken)).await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "conflict"), "{}", taken.body);
    for (body, field) in [
        (json!({"name": "x", "calendar_id": 999, "definition": targets()}), "calendar_id"),
        (
            json!({"name": "x", "definition": {"targets": {"low": {"first_response_minutes": 0}}}}),
            "definition.targets",
        ),
        (
            json!({"name": "x", "definition": {"targets": {"critical": {"resolution_minutes": 60}}}}),
            "definition.targets",
        ),
        (
            json!({"name": "x", "definition": {"targets": {"low": {"resolution_minutes": 1, "resolution_seconds": 60}}}}),
            "definition.targets",
        ),
        (
            json!({"name": "x", "definition": {"warning_percent": 100}}),
            "definition.warning_percent",
        ),
        (
            json!({"name": "x", "definition": {"escalation": {"on_breach": ["page_the_ceo"]}}}),
            "definition.escalation",
        ),
        (json!({"name": "x", "definition": {"conditions": []}}), "definition"),
        (json!({"name": "", "definition": targets()}), "name"),
    ] {
        let answer = send(env, Method::POST, "/api/v1/sla-policies", &supervisor, Some(body)).await;
        assert_eq!(refused_field(&answer), field, "{}", answer.body);
    }

    let listed = send(env, Method::GET, "/api/v1/sla-policies", &agent, None).await;
    let names: Vec<(&str, bool)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["is_default"].as_bool().unwrap()))
        .collect();
    assert_eq!(names, [("Standard", true), ("Office", false)]);
    let shown = send(env, Method::GET, &office_uri, &agent, None).await;
    assert_eq!((shown.status, &shown.body["name"]), (StatusCode::OK, &json!("Office")));
    let missing = send(env, Method::GET, "/api/v1/sla-policies/999", &agent, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Rename, count round the clock (null), new targets; absent fields stay.
    let change = json!({"name": "Office hours", "calendar_id": null});
    let refused = send(env, Method::PATCH, &office_uri, &agent, Some(change.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let changed = send(env, Method::PATCH, &office_uri, &supervisor, Some(change)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        (&changed.body["name"], &changed.body["calendar_id"]),
        (&json!("Office hours"), &Value::Null)
    );
    assert_eq!(changed.body["definition"]["warning_percent"], 75);
    let change = json!({"calendar_id": calendar_id, "definition": {"targets": {"high": {"first_response_minutes": 60}}}});
    let changed = send(env, Method::PATCH, &office_uri, &supervisor, Some(change)).await;
    assert_eq!(changed.body["calendar_id"], calendar_id, "{}", changed.body);
    assert_eq!(changed.body["definition"]["warning_percent"], 80, "replaced whole");
    let bad = json!({"definition": {"warning_percent": 0}});
    let bad = send(env, Method::PATCH, &office_uri, &supervisor, Some(bad)).await;
    assert_eq!(refused_field(&bad), "definition.warning_percent");
    let gone = json!({"name": "x"});
    let gone = send(env, Method::PATCH, "/api/v1/sla-policies/999", &supervisor, Some(gone)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // The calendar is in use; the default cannot go; making another the default moves the flag.
    let calendar_uri = format!("/api/v1/calendars/{calendar_id}");
    let in_use = send(env, Method::DELETE, &calendar_uri, &supervisor, None).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.body);
    assert!(in_use.body["error"]["message"].as_str().unwrap().contains("\"Office hours\""));
    let default = send(env, Method::DELETE, &standard_uri, &supervisor, None).await;
    assert_eq!(default.status, StatusCode::CONFLICT, "{}", default.body);
    assert!(default.body["error"]["message"].as_str().unwrap().contains("is the default"));
    let default_uri = format!("{office_uri}/default");
    let refused = send(env, Method::POST, &default_uri, &agent, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let made = send(env, Method::POST, &default_uri, &supervisor, None).await;
    assert_eq!(
        (made.status, &made.body["is_default"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        made.body
    );
    let standard = send(env, Method::GET, &standard_uri, &agent, None).await;
    assert_eq!(standard.body["is_default"], false);
    let missing =
        send(env, Method::POST, "/api/v1/sla-policies/999/default", &supervisor, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A rule applying a policy keeps it.
    let rule = json!({"name": "Standard for VIPs", "definition": {
        "actions": [{"type": "apply_sla_policy", "policy_id": standard_id}]
    }});
    let rule = send(env, Method::POST, "/api/v1/rules", &supervisor, Some(rule)).await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let applied = send(env, Method::DELETE, &standard_uri, &supervisor, None).await;
    assert_eq!(applied.status, StatusCode::CONFLICT, "{}", applied.body);
    assert!(applied.body["error"]["message"].as_str().unwrap().contains("\"Standard for VIPs\""));
    let rule_uri = format!("/api/v1/rules/{}", rule.body["id"]);
    assert_eq!(
        send(env, Method::DELETE, &rule_uri, &supervisor, None).await.status,
        StatusCode::OK
    );
    let refused = send(env, Method::DELETE, &standard_uri, &agent, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let deleted = send(env, Method::DELETE, &standard_uri, &supervisor, None).await;
    assert_eq!((deleted.status, &deleted.body["name"]), (StatusCode::OK, &json!("Standard")));
    let again = send(env, Method::DELETE, &standard_uri, &supervisor, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let entries = audit(env, "sla_policy").await;
    let actions: Vec<(&str, i64)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["entity_id"].as_str().unwrap().parse().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("sla_policy.deleted", standard_id),
            ("sla_policy.default_unset", standard_id),
            ("sla_policy.default_set", office_id),
            ("sla_policy.updated", office_id),
            ("sla_policy.updated", office_id),
            ("sla_policy.created", office_id),
            ("sla_policy.created", standard_id),
        ]
    );
    let (unset, set) = (&entries[1], &entries[2]);
    assert_eq!(
        (&unset["before"]["is_default"], &unset["after"]["is_default"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(
        (&set["before"]["is_default"], &set["after"]["is_default"]),
        (&json!(false), &json!(true))
    );
    let renamed = &entries[4];
    assert_eq!(
        (&renamed["before"]["name"], &renamed["after"]["name"]),
        (&json!("Office"), &json!("Office hours"))
    );
    assert_eq!(renamed["before"]["calendar_id"], calendar_id);
    assert_eq!(renamed["after"]["calendar_id"], Value::Null);
    assert_eq!(entries[0]["after"], Value::Null);
    assert!(entries[0]["actor_label"].as_str().unwrap().contains("token:"), "{}", entries[0]);
}

#[tokio::test]
async fn calendars_on_sqlite() {
    calendars_are_read_by_everyone_written_by_supervisors_and_audited(&env().await).await;
}

#[tokio::test]
async fn sla_policies_on_sqlite() {
    policies_are_read_by_everyone_written_by_supervisors_and_audited(&env().await).await;
}

#[tokio::test]
async fn calendars_and_sla_policies_on_postgresql() {
    let Some(database) = trellis_store::testing::fresh_postgres_database().await.unwrap() else {
        eprintln!("SKIPPED: PostgreSQL is not reachable");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = trellis_store::connect(&database.url).await.unwrap();
    store.migrate().await.unwrap();
    let mut people = Vec::new();
    for (name, role) in
        [("admin", Role::Admin), ("supervisor", Role::Supervisor), ("agent", Role::Agent)]
    {
        let input = NewUserInput {
            email: format!("{name}@example.com"),
            name: name.to_owned(),
            role,
            password: Some(common::PASSWORD.to_owned()),
        };
        people
            .push(users::create_user(store.as_ref(), &Principal::operator(), input).await.unwrap());
    }
    let index = trellis_search::TantivyIndex::in_memory().unwrap();
    let connection =
        trellis_sync::ConnectionSettings::new(dir.path().to_owned(), Default::default());
    let settings = HttpSettings::new("127.0.0.1:8080".parse().unwrap(), connection);
    let state = AppState::new(store.clone(), Arc::new(index), Arc::new(settings));
    let (agent, supervisor, admin) =
        (people.pop().unwrap(), people.pop().unwrap(), people.pop().unwrap());
    let env = Env { _dir: dir, store, app: app(state), admin, supervisor, agent };
    calendars_are_read_by_everyone_written_by_supervisors_and_audited(&env).await;
    policies_are_read_by_everyone_written_by_supervisors_and_audited(&env).await;
    database.cleanup().await.unwrap();
}
