//! Hostile input in every text field the API reads from a JSON body: HTML and script, quotes, an
//! ampersand, a right-to-left override and a 4-byte emoji. Each field either takes the text and
//! keeps it byte for byte (read back over the API and from the store), or refuses it with a 4xx
//! naming the field; never a 500. Every answer is JSON (`application/json`) that parses, so the
//! text only ever appears inside a JSON string.
//!
//! [`TEXT_FIELDS`] lists every route with a JSON body and the fields of it that carry text;
//! [`the_list_covers_every_body_in_the_openapi_document`] fails when a route with a body, or a
//! text field of a documented body, appears that the list does not name, and the walk fails when
//! a listed field is never sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{header, Method, StatusCode};
use axum::Router;
use common::{call, env, mention, Answer, Env};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use trellis_connector_discourse::simulator as discourse;

/// Markup that would run if a page put it in the HTML unescaped, the characters JSON and HTML
/// escape, a right-to-left override (U+202E, undone by U+202C) and a 4-byte emoji.
const HOSTILE: &str =
    "<script>alert(1)</script><img src=x onerror=alert(2)>\"'& \u{202E}gnp.exe\u{202C} \u{1F980}";
/// The same for a field that is one word (a shortcut, the local part of an email).
const HOSTILE_WORD: &str =
    "<script>alert(1)</script><img/src=x/onerror=alert(2)>\"'&\u{202E}\u{1F980}";
/// A password that is hostile and strong, and not the user's name.
const HOSTILE_PASSWORD: &str = "</script>\"'&\u{202E} violet harbour quietly \u{1F980}";

/// Every route with a JSON body, and the fields of the body that carry text (dotted for nested
/// fields; a refused field must be named by the refusal). Bodies of numbers only list none.
const TEXT_FIELDS: &[(&str, &str, &[&str])] = &[
    ("PUT", "/api/v1/agents/{id}/availability", &["availability"]),
    ("PUT", "/api/v1/agents/{id}/capacity", &[]),
    ("POST", "/api/v1/auth/login", &["email", "password"]),
    ("POST", "/api/v1/auth/password", &["current_password", "new_password"]),
    (
        "POST",
        "/api/v1/calendars",
        &["name", "definition.time_zone", "definition.hours", "definition.holidays"],
    ),
    ("PATCH", "/api/v1/calendars/{id}", &["name", "definition.time_zone"]),
    ("POST", "/api/v1/canned-replies", &["shortcut", "title", "body"]),
    ("PATCH", "/api/v1/canned-replies/{id}", &["shortcut", "title", "body"]),
    ("POST", "/api/v1/connect/discourse", &["base_url", "username", "api_key"]),
    ("POST", "/api/v1/connect/facebook/pages", &["selection", "page_ids"]),
    (
        "POST",
        "/api/v1/conversations/bulk",
        &[
            "change.status",
            "change.priority",
            "change.snoozed_until",
            "change.add_tags",
            "change.remove_tags",
        ],
    ),
    (
        "PATCH",
        "/api/v1/conversations/{id}",
        &["status", "priority", "snoozed_until", "add_tags", "remove_tags"],
    ),
    ("POST", "/api/v1/conversations/{id}/moderation", &["action"]),
    ("POST", "/api/v1/conversations/{id}/notes", &["text"]),
    ("PUT", "/api/v1/conversations/{id}/presence", &["state"]),
    ("POST", "/api/v1/conversations/{id}/replies", &["text", "loaded_at"]),
    ("PUT", "/api/v1/me/availability", &["availability"]),
    (
        "POST",
        "/api/v1/rules",
        &[
            "name",
            "definition.text_contains",
            "definition.text_matches_regex",
            "definition.text_matches_query",
            "definition.language",
            "definition.within_business_hours",
            "definition.flag_for_moderation",
            "definition.add_tag",
        ],
    ),
    ("POST", "/api/v1/rules/preview", &["definition.flag_for_moderation"]),
    ("PATCH", "/api/v1/rules/{id}", &["name", "definition.text_contains"]),
    ("POST", "/api/v1/rules/{id}/move", &[]),
    ("POST", "/api/v1/setup", &["token", "email", "name", "password"]),
    ("POST", "/api/v1/sla-policies", &["name", "definition.targets", "definition.escalation"]),
    ("PATCH", "/api/v1/sla-policies/{id}", &["name", "definition.escalation"]),
    ("POST", "/api/v1/teams", &["name"]),
    ("PUT", "/api/v1/teams/{id}/brands", &[]),
    ("POST", "/api/v1/teams/{id}/members", &[]),
    ("PATCH", "/api/v1/teams/{id}/settings", &["assignment"]),
    ("POST", "/api/v1/tokens", &["name", "expires_at"]),
    ("POST", "/api/v1/users", &["email", "name", "role", "password"]),
    ("PATCH", "/api/v1/users/{id}", &["name", "role"]),
    ("PUT", "/api/v1/users/{id}/password", &["password"]),
];

fn document() -> Value {
    serde_json::to_value(trellis_http::routes::document()).unwrap()
}

/// Whether a documented property can carry text: a string (or null), strings, or any JSON.
fn carries_text(property: &Value) -> bool {
    let is = |ty: &Value, name: &str| {
        ty == name || ty.as_array().is_some_and(|t| t.contains(&json!(name)))
    };
    match property.get("type") {
        None => property.get("$ref").is_none(),
        Some(ty) if is(ty, "string") => true,
        Some(ty) if is(ty, "array") => {
            property["items"].get("type").is_some_and(|t| is(t, "string"))
        }
        Some(_) => false,
    }
}

#[test]
fn the_list_covers_every_body_in_the_openapi_document() {
    let document = document();
    let listed: BTreeMap<(String, String), BTreeSet<String>> = TEXT_FIELDS
        .iter()
        .map(|(method, path, fields)| {
            let top = fields.iter().map(|f| f.split('.').next().unwrap().to_owned()).collect();
            ((method.to_string(), path.to_string()), top)
        })
        .collect();
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(body) = operation.get("requestBody") else { continue };
            let key = (method.to_uppercase(), path.clone());
            let fields = listed
                .get(&key)
                .unwrap_or_else(|| panic!("{key:?} takes a body: list its text fields here"));
            let schema = &body["content"]["application/json"]["schema"];
            match schema["$ref"].as_str() {
                Some(reference) => {
                    let name = reference.rsplit('/').next().unwrap();
                    let properties = document["components"]["schemas"][name]["properties"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default();
                    let text: BTreeSet<String> = properties
                        .iter()
                        .filter(|(_, property)| carries_text(property))
                        .map(|(field, _)| field.clone())
                        .collect();
                    assert_eq!(&text, fields, "{key:?}: the text fields of {name}");
                }
                // Documented as any JSON: the list was read from the handler's struct.
                None => assert!(!fields.is_empty(), "{key:?}: name the text fields of its body"),
            }
            documented.insert(key);
        }
    }
    let stale: Vec<_> = listed.keys().filter(|key| !documented.contains(*key)).collect();
    assert!(stale.is_empty(), "listed but taking no body: {stale:?}");
}

/// The routes and fields sent so far, to check at the end that every listed one was.
struct Walk {
    sent: BTreeSet<(String, String, String)>,
}

impl Walk {
    /// Sends `body` to `uri` (a `template` route) on `app`, noting `field` of it as tried. Never a
    /// 500; always JSON.
    #[allow(clippy::too_many_arguments)]
    async fn send_on(
        &mut self,
        app: &Router,
        method: Method,
        template: &str,
        uri: &str,
        field: &str,
        token: Option<&str>,
        body: Value,
    ) -> Answer {
        let key = (method.to_string(), template.to_owned(), field.to_owned());
        let mut request = call(method, uri).json(&body);
        if let Some(token) = token {
            request = request.bearer(token);
        }
        let answer = request.send(app).await;
        let what = format!("{} {} {}", key.0, uri, field);
        assert!(!answer.status.is_server_error(), "{what}: {} {}", answer.status, answer.body);
        if answer.status != StatusCode::NO_CONTENT {
            is_json(&answer, &what);
        }
        self.sent.insert(key);
        answer
    }

    /// Notes `fields` of a `template` route as tried: sent in one request with another field.
    fn also(&mut self, method: &str, template: &str, fields: &[&str]) {
        for field in fields {
            self.sent.insert((method.to_owned(), template.to_owned(), (*field).to_owned()));
        }
    }

    async fn send(
        &mut self,
        env: &Env,
        (method, template, uri): &(Method, &str, &str),
        field: &str,
        token: &str,
        body: Value,
    ) -> Answer {
        let method = method.clone();
        self.send_on(&env.app, method, template, uri, field, Some(token), body).await
    }
}

fn is_json(answer: &Answer, what: &str) {
    let content_type = answer.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    assert_eq!(content_type, Some("application/json"), "{what}");
    // `Answer` parses the body; `Null` means it was not JSON.
    assert!(!answer.body.is_null(), "{what}: the answer is not JSON");
}

/// The text was taken, and the answer holds it unchanged at `pointer`.
fn kept(answer: &Answer, pointer: &str, text: &str) {
    assert!(answer.status.is_success(), "{}: {}", answer.status, answer.body);
    assert_eq!(answer.body.pointer(pointer), Some(&json!(text)), "{pointer} in {}", answer.body);
}

/// The text was refused with a 4xx that names `field`.
fn refused(answer: &Answer, field: &str) {
    assert!(answer.status.is_client_error(), "{field}: {} {}", answer.status, answer.body);
    let error = &answer.body["error"];
    let message = error["message"].as_str().unwrap_or("");
    let named = error["field"] == field || message.contains(field);
    assert!(named && !answer.code().is_empty(), "{field} not named: {}", answer.body);
}

/// `value` (a store record, serialized) holds `text` at `pointer`.
fn stored(value: impl serde::Serialize, pointer: &str, text: &str) {
    let value = serde_json::to_value(value).unwrap();
    assert_eq!(value.pointer(pointer), Some(&json!(text)), "{pointer} in the store: {value}");
}

async fn get(env: &Env, uri: &str, token: &str) -> Answer {
    let answer = call(Method::GET, uri).bearer(token).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
    is_json(&answer, uri);
    answer
}

/// The first item of a list answer whose `field` is `text`.
fn find<'a>(list: &'a Answer, field: &str, text: &str) -> &'a Value {
    let items = list.body.as_array().unwrap();
    items
        .iter()
        .find(|item| item[field] == text)
        .unwrap_or_else(|| panic!("{text} in {}", list.body))
}

#[tokio::test]
async fn hostile_text_in_every_field_is_kept_verbatim_or_refused_by_name() {
    let env = env().await;
    let mut walk = Walk { sent: BTreeSet::new() };
    people(&env, &mut walk).await;
    teams_and_agents(&env, &mut walk).await;
    canned_replies(&env, &mut walk).await;
    calendars_policies_and_rules(&env, &mut walk).await;
    conversations(&env, &mut walk).await;
    accounts(&env, &mut walk).await;
    setup(&mut walk).await;

    let listed: BTreeSet<(String, String, String)> = TEXT_FIELDS
        .iter()
        .flat_map(|(method, path, fields)| {
            fields.iter().map(|field| (method.to_string(), path.to_string(), field.to_string()))
        })
        .collect();
    let missed: Vec<_> = listed.difference(&walk.sent).collect();
    assert!(missed.is_empty(), "listed but never sent: {missed:?}");
    let unlisted: Vec<_> = walk.sent.difference(&listed).collect();
    assert!(unlisted.is_empty(), "sent but not listed: {unlisted:?}");
}

async fn people(env: &Env, walk: &mut Walk) {
    let admin = env.token(&env.admin).await;
    let route = (Method::POST, "/api/v1/users", "/api/v1/users");
    let email = format!("{HOSTILE_WORD}@evil.example");
    let person =
        json!({"email": email, "name": HOSTILE, "role": "agent", "password": HOSTILE_PASSWORD});
    let created = walk.send(env, &route, "name", &admin, person).await;
    walk.also("POST", route.1, &["email", "password"]);
    kept(&created, "/name", HOSTILE);
    kept(&created, "/email", &email);
    let id = created.body["id"].as_i64().unwrap();
    let user = env.store.get_user(trellis_core::UserId(id)).await.unwrap();
    assert_eq!((user.name.as_str(), user.email.as_str()), (HOSTILE, email.as_str()));
    let listed = get(env, "/api/v1/users", &admin).await;
    let mine = listed.body.as_array().unwrap().iter().find(|u| u["id"] == id).cloned().unwrap();
    assert_eq!((mine["name"].as_str(), mine["email"].as_str()), (Some(HOSTILE), Some(&*email)));
    let role = json!({"email": "r@example.com", "name": "R", "role": HOSTILE});
    refused(&walk.send(env, &route, "role", &admin, role).await, "role");

    // The password is kept as given: it signs in, and only it.
    let login = (Method::POST, "/api/v1/auth/login", "/api/v1/auth/login");
    let body = json!({"email": email, "password": HOSTILE_PASSWORD});
    let signed_in = walk.send(env, &login, "password", &admin, body).await;
    kept(&signed_in, "/user/name", HOSTILE);
    // An unknown email is the same answer as a wrong password, naming neither.
    let stranger = json!({"email": HOSTILE, "password": HOSTILE});
    let unknown = walk.send(env, &login, "email", &admin, stranger).await;
    assert_eq!((unknown.status, unknown.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));

    let theirs = env.token(&user).await;
    let change = (Method::POST, "/api/v1/auth/password", "/api/v1/auth/password");
    let wrong = json!({"current_password": HOSTILE, "new_password": HOSTILE_PASSWORD});
    refused(&walk.send(env, &change, "current_password", &theirs, wrong).await, "current_password");
    let again = format!("{HOSTILE_PASSWORD} again");
    let body = json!({"current_password": HOSTILE_PASSWORD, "new_password": again});
    let changed = walk.send(env, &change, "new_password", &theirs, body).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let uri = format!("/api/v1/users/{id}/password");
    let route = (Method::PUT, "/api/v1/users/{id}/password", uri.as_str());
    let set =
        walk.send(env, &route, "password", &admin, json!({"password": HOSTILE_PASSWORD})).await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.body);
    let body = json!({"email": email, "password": HOSTILE_PASSWORD});
    let answer = call(Method::POST, "/api/v1/auth/login").json(&body).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK, "the password set is the one given: {}", answer.body);

    let uri = format!("/api/v1/users/{}", env.agent.id);
    let route = (Method::PATCH, "/api/v1/users/{id}", uri.as_str());
    let renamed = walk.send(env, &route, "name", &admin, json!({"name": HOSTILE})).await;
    kept(&renamed, "/name", HOSTILE);
    assert_eq!(env.store.get_user(env.agent.id).await.unwrap().name, HOSTILE);
    refused(&walk.send(env, &route, "role", &admin, json!({"role": HOSTILE})).await, "role");

    let route = (Method::POST, "/api/v1/tokens", "/api/v1/tokens");
    let made = walk.send(env, &route, "name", &admin, json!({"name": HOSTILE})).await;
    kept(&made, "/token/name", HOSTILE);
    find(&get(env, "/api/v1/tokens", &admin).await, "name", HOSTILE);
    let tokens = env.store.api_tokens(Some(env.admin.id)).await.unwrap();
    assert!(tokens.iter().any(|token| token.name == HOSTILE), "{tokens:?}");
    let expiry = json!({"name": "t", "expires_at": HOSTILE});
    refused(&walk.send(env, &route, "expires_at", &admin, expiry).await, "expires_at");
}

async fn teams_and_agents(env: &Env, walk: &mut Walk) {
    let supervisor = env.token(&env.supervisor).await;
    let route = (Method::POST, "/api/v1/teams", "/api/v1/teams");
    let team = walk.send(env, &route, "name", &supervisor, json!({"name": HOSTILE})).await;
    kept(&team, "/name", HOSTILE);
    find(&get(env, "/api/v1/teams", &supervisor).await, "name", HOSTILE);
    assert!(env.store.list_teams().await.unwrap().iter().any(|team| team.name == HOSTILE));

    let uri = format!("/api/v1/teams/{}/settings", team.body["id"]);
    let route = (Method::PATCH, "/api/v1/teams/{id}/settings", uri.as_str());
    let settings = json!({"assignment": HOSTILE});
    refused(&walk.send(env, &route, "assignment", &supervisor, settings).await, "assignment");
    let uri = format!("/api/v1/agents/{}/availability", env.agent.id);
    let route = (Method::PUT, "/api/v1/agents/{id}/availability", uri.as_str());
    let away = json!({"availability": HOSTILE});
    refused(
        &walk.send(env, &route, "availability", &supervisor, away.clone()).await,
        "availability",
    );
    let route = (Method::PUT, "/api/v1/me/availability", "/api/v1/me/availability");
    refused(&walk.send(env, &route, "availability", &supervisor, away).await, "availability");
}

async fn canned_replies(env: &Env, walk: &mut Walk) {
    let supervisor = env.token(&env.supervisor).await;
    let route = (Method::POST, "/api/v1/canned-replies", "/api/v1/canned-replies");
    let spaced = json!({"shortcut": HOSTILE, "title": "t", "body": "b"});
    refused(&walk.send(env, &route, "shortcut", &supervisor, spaced).await, "shortcut");
    let shortcut = format!("/{HOSTILE_WORD}");
    let reply = json!({"shortcut": shortcut, "title": HOSTILE, "body": HOSTILE});
    let created = walk.send(env, &route, "title", &supervisor, reply).await;
    walk.also("POST", route.1, &["shortcut", "body"]);
    for (pointer, text) in
        [("/shortcut", shortcut.as_str()), ("/title", HOSTILE), ("/body", HOSTILE)]
    {
        kept(&created, pointer, text);
        stored(env.store.list_canned_replies().await.unwrap(), &format!("/0{pointer}"), text);
    }
    find(&get(env, "/api/v1/canned-replies", &supervisor).await, "title", HOSTILE);

    let uri = format!("/api/v1/canned-replies/{}", created.body["id"]);
    let route = (Method::PATCH, "/api/v1/canned-replies/{id}", uri.as_str());
    let spaced = json!({"shortcut": HOSTILE});
    refused(&walk.send(env, &route, "shortcut", &supervisor, spaced).await, "shortcut");
    let other = format!("/{HOSTILE_WORD}2");
    for (field, text) in
        [("shortcut", other.as_str()), ("title", HOSTILE_WORD), ("body", HOSTILE_WORD)]
    {
        let changed = walk.send(env, &route, field, &supervisor, json!({field: text})).await;
        kept(&changed, &format!("/{field}"), text);
        stored(env.store.list_canned_replies().await.unwrap(), &format!("/0/{field}"), text);
    }
}

async fn calendars_policies_and_rules(env: &Env, walk: &mut Walk) {
    let supervisor = env.token(&env.supervisor).await;
    let hours = json!({"weekly": {"mon": ["09:00-17:00"]}});
    let route = (Method::POST, "/api/v1/calendars", "/api/v1/calendars");
    let calendar = json!({"name": HOSTILE, "definition": {"time_zone": "UTC", "hours": hours}});
    let created = walk.send(env, &route, "name", &supervisor, calendar).await;
    kept(&created, "/name", HOSTILE);
    stored(env.store.list_calendars().await.unwrap(), "/0/name", HOSTILE);
    find(&get(env, "/api/v1/calendars", &supervisor).await, "name", HOSTILE);
    for (field, definition) in [
        ("definition.time_zone", json!({"time_zone": HOSTILE, "hours": hours})),
        ("definition.hours", json!({"time_zone": "UTC", "hours": HOSTILE})),
        ("definition.holidays", json!({"time_zone": "UTC", "hours": hours, "holidays": [HOSTILE]})),
    ] {
        let body = json!({"name": "c", "definition": definition});
        refused(&walk.send(env, &route, field, &supervisor, body).await, field);
    }
    let calendar_id = created.body["id"].as_i64().unwrap();
    let uri = format!("/api/v1/calendars/{calendar_id}");
    let route = (Method::PATCH, "/api/v1/calendars/{id}", uri.as_str());
    let renamed = format!("{HOSTILE} 2");
    let changed = walk.send(env, &route, "name", &supervisor, json!({"name": renamed})).await;
    kept(&changed, "/name", &renamed);
    kept(&get(env, &uri, &supervisor).await, "/name", &renamed);
    let zone = json!({"definition": {"time_zone": HOSTILE, "hours": hours}});
    refused(
        &walk.send(env, &route, "definition.time_zone", &supervisor, zone).await,
        "definition.time_zone",
    );

    let targets = json!({"normal": {"first_response_minutes": 60}});
    let route = (Method::POST, "/api/v1/sla-policies", "/api/v1/sla-policies");
    let policy = json!({"name": HOSTILE, "definition": {"targets": targets}});
    let created = walk.send(env, &route, "name", &supervisor, policy).await;
    kept(&created, "/name", HOSTILE);
    stored(env.store.list_sla_policies().await.unwrap(), "/0/name", HOSTILE);
    find(&get(env, "/api/v1/sla-policies", &supervisor).await, "name", HOSTILE);
    for (field, definition) in [
        ("definition.targets", json!({"targets": {HOSTILE: {"first_response_minutes": 60}}})),
        (
            "definition.escalation",
            json!({"targets": targets, "escalation": {"on_breach": [HOSTILE]}}),
        ),
    ] {
        let body = json!({"name": "p", "definition": definition});
        refused(&walk.send(env, &route, field, &supervisor, body).await, field);
    }
    let uri = format!("/api/v1/sla-policies/{}", created.body["id"]);
    let route = (Method::PATCH, "/api/v1/sla-policies/{id}", uri.as_str());
    let changed = walk.send(env, &route, "name", &supervisor, json!({"name": renamed})).await;
    kept(&changed, "/name", &renamed);
    kept(&get(env, &uri, &supervisor).await, "/name", &renamed);
    let escalation =
        json!({"definition": {"targets": targets, "escalation": {"on_breach": [HOSTILE]}}});
    let answer = walk.send(env, &route, "definition.escalation", &supervisor, escalation).await;
    refused(&answer, "definition.escalation");

    rules(env, walk, &renamed).await;
}

/// A rule definition of one condition and one action.
fn rule(condition: Value, action: Value) -> Value {
    json!({"conditions": {"conditions": [condition]}, "actions": [action]})
}

/// Rules, whose conditions and actions carry text of their own; `calendar` names a calendar.
async fn rules(env: &Env, walk: &mut Walk, calendar: &str) {
    let supervisor = env.token(&env.supervisor).await;
    let flag = json!({"type": "flag_for_moderation", "reason": HOSTILE});
    let priority = json!({"type": "set_priority", "priority": "high"});
    let contains = json!({"type": "text_contains", "any_of": [HOSTILE]});
    let route = (Method::POST, "/api/v1/rules", "/api/v1/rules");
    let body = json!({"name": HOSTILE, "definition": rule(contains.clone(), flag.clone())});
    let created = walk.send(env, &route, "name", &supervisor, body).await;
    let sent_along = ["definition.text_contains", "definition.flag_for_moderation"];
    walk.also("POST", route.1, &sent_along);
    let at = [
        ("/name", HOSTILE),
        ("/definition/conditions/conditions/0/any_of/0", HOSTILE),
        ("/definition/actions/0/reason", HOSTILE),
    ];
    let id = created.body["id"].as_i64().unwrap();
    let shown = get(env, &format!("/api/v1/rules/{id}"), &supervisor).await;
    for (pointer, text) in at {
        kept(&created, pointer, text);
        kept(&shown, pointer, text);
        stored(env.store.list_rules().await.unwrap(), &format!("/0{pointer}"), text);
    }

    // Text a condition reads as a pattern or a query, or a name it looks up: kept when it is one.
    let regex = json!({"type": "text_matches_regex", "pattern": HOSTILE});
    let query = json!({"type": "text_matches_query", "query": HOSTILE});
    let language = json!({"type": "language", "any_of": [HOSTILE]});
    let hours = json!({"type": "within_business_hours", "calendar": calendar});
    for (field, condition, pointer, text) in [
        ("definition.text_matches_regex", regex, "/pattern", HOSTILE),
        ("definition.text_matches_query", query, "/query", HOSTILE),
        ("definition.language", language, "/any_of/0", HOSTILE),
        ("definition.within_business_hours", hours, "/calendar", calendar),
    ] {
        let body = json!({"name": field, "definition": rule(condition, priority.clone())});
        let created = walk.send(env, &route, field, &supervisor, body).await;
        kept(&created, &format!("/definition/conditions/conditions/0{pointer}"), text);
    }
    // A tag is a word of its own (letters, digits, `-_:/`).
    let tag = json!({"type": "add_tag", "tag": HOSTILE});
    let body = json!({"name": "r", "definition": rule(contains.clone(), tag)});
    refused(&walk.send(env, &route, "definition.add_tag", &supervisor, body).await, "definition");

    let uri = format!("/api/v1/rules/{id}");
    let route = (Method::PATCH, "/api/v1/rules/{id}", uri.as_str());
    let renamed = format!("{HOSTILE} 2");
    let changed = walk.send(env, &route, "name", &supervisor, json!({"name": renamed})).await;
    kept(&changed, "/name", &renamed);
    let other = json!({"type": "text_contains", "any_of": [HOSTILE_WORD]});
    let body = json!({"definition": rule(other, flag.clone())});
    let changed = walk.send(env, &route, "definition.text_contains", &supervisor, body).await;
    kept(&changed, "/definition/conditions/conditions/0/any_of/0", HOSTILE_WORD);
    kept(&get(env, &uri, &supervisor).await, "/name", &renamed);

    let route = (Method::POST, "/api/v1/rules/preview", "/api/v1/rules/preview");
    let order = json!({"type": "text_contains", "any_of": ["order"]});
    let body = json!({"definition": rule(order, flag)});
    let previewed =
        walk.send(env, &route, "definition.flag_for_moderation", &supervisor, body).await;
    // This app's index is empty, so the preview matches nothing: the draft is only read.
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
    assert!(previewed.body["matched"].is_number(), "{}", previewed.body);
}

async fn conversations(env: &Env, walk: &mut Walk) {
    let conversation = mention(env).await;
    let agent = env.token(&env.agent).await;
    let uri = format!("/api/v1/conversations/{conversation}/notes");
    let route = (Method::POST, "/api/v1/conversations/{id}/notes", uri.as_str());
    let note = walk.send(env, &route, "text", &agent, json!({"text": HOSTILE})).await;
    kept(&note, "/text", HOSTILE);
    let detail_uri = format!("/api/v1/conversations/{conversation}");
    let detail = get(env, &detail_uri, &agent).await;
    let timeline = detail.body["timeline"].as_array().unwrap();
    let noted = timeline.iter().find(|event| event["kind"] == "note").unwrap();
    assert_eq!(noted["detail"]["text"], HOSTILE, "{noted}");
    let id = trellis_core::ConversationId(conversation);
    let events = env.store.conversation_timeline(id).await.unwrap();
    let events = serde_json::to_value(events).unwrap();
    let noted = events.as_array().unwrap().iter().find(|event| event["kind"] == "note").unwrap();
    assert_eq!(noted["detail"]["text"], HOSTILE, "{noted}");

    // An X reply: the text fits in 280 characters.
    let uri = format!("/api/v1/conversations/{conversation}/replies");
    let route = (Method::POST, "/api/v1/conversations/{id}/replies", uri.as_str());
    let reply = walk.send(env, &route, "text", &agent, json!({"text": HOSTILE})).await;
    kept(&reply, "/action/text", HOSTILE);
    let outbox = get(env, &format!("/api/v1/outbox?conversation={conversation}"), &agent).await;
    kept(&outbox, "/0/action/text", HOSTILE);
    let queued = env.store.list_outbound(&Default::default()).await.unwrap();
    stored(&queued[0].action, "/text", HOSTILE);
    let late = json!({"text": "hi", "loaded_at": HOSTILE});
    refused(&walk.send(env, &route, "loaded_at", &agent, late).await, "loaded_at");

    let uri = format!("/api/v1/conversations/{conversation}/moderation");
    let route = (Method::POST, "/api/v1/conversations/{id}/moderation", uri.as_str());
    let body = json!({"action": HOSTILE, "message_id": 1});
    refused(&walk.send(env, &route, "action", &agent, body).await, "action");
    let uri = format!("/api/v1/conversations/{conversation}/presence");
    let route = (Method::PUT, "/api/v1/conversations/{id}/presence", uri.as_str());
    refused(&walk.send(env, &route, "state", &agent, json!({"state": HOSTILE})).await, "state");

    // Tags, statuses and priorities are words of their own: refused by name, nothing changed.
    let route = (Method::PATCH, "/api/v1/conversations/{id}", detail_uri.as_str());
    let bulk = (Method::POST, "/api/v1/conversations/bulk", "/api/v1/conversations/bulk");
    for field in ["status", "priority", "snoozed_until", "add_tags", "remove_tags"] {
        let value = if field.ends_with("tags") { json!([HOSTILE]) } else { json!(HOSTILE) };
        let answer = walk.send(env, &route, field, &agent, json!({field: value.clone()})).await;
        refused(&answer, field);
        let body = json!({"ids": [conversation], "change": {field: value}});
        let answer = walk.send(env, &bulk, &format!("change.{field}"), &agent, body).await;
        refused(&answer, field);
    }
    let unchanged = get(env, &detail_uri, &agent).await;
    assert_eq!(unchanged.body["conversation"]["tags"], json!([]), "{}", unchanged.body);
}

/// Connecting accounts: a forum address is checked before anything, and a username or key the
/// forum does not know is the forum's refusal, never a 500.
async fn accounts(env: &Env, walk: &mut Walk) {
    let admin = env.token(&env.admin).await;
    let brand = env.store.create_brand(HOSTILE).await.unwrap();
    let route = (Method::POST, "/api/v1/connect/discourse", "/api/v1/connect/discourse");
    let forum =
        json!({"brand_id": brand.id.0, "base_url": HOSTILE, "username": "u", "api_key": "k"});
    refused(&walk.send(env, &route, "base_url", &admin, forum).await, "base_url");
    let simulator = discourse::Simulator::start("127.0.0.1:0".parse().unwrap(), Default::default())
        .await
        .unwrap();
    let private = common::env_with(|settings| {
        settings.connection.sync.allow_private_addresses = true;
    })
    .await;
    let admin_there = private.token(&private.admin).await;
    let brand = private.store.create_brand("Forum").await.unwrap();
    for (field, username, key) in [
        ("username", HOSTILE, discourse::SimulatorConfig::default().api_key),
        ("api_key", simulator.username(), HOSTILE.to_owned()),
    ] {
        let (brand_id, base_url) = (brand.id.0, simulator.base_url());
        let mut body = json!({"brand_id": brand_id, "base_url": base_url});
        (body["username"], body["api_key"]) = (json!(username), json!(key));
        let answer = walk.send(&private, &route, field, &admin_there, body).await;
        assert!(answer.status.is_client_error(), "{field}: {} {}", answer.status, answer.body);
    }
    assert!(private.store.list_accounts().await.unwrap().is_empty());

    let route = (Method::POST, "/api/v1/connect/facebook/pages", "/api/v1/connect/facebook/pages");
    for field in ["selection", "page_ids"] {
        let body = json!({"selection": HOSTILE, "page_ids": [HOSTILE]});
        let answer = walk.send(env, &route, field, &admin, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert!(answer.body["error"]["message"].as_str().unwrap().contains("selection"));
    }
}

/// The first admin, through the setup link on a store with no one yet.
async fn setup(walk: &mut Walk) {
    let dir = tempfile::tempdir().unwrap();
    let url = trellis_store::testing::temp_sqlite_url(dir.path());
    let store = trellis_store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let index = trellis_search::TantivyIndex::in_memory().unwrap();
    let connection =
        trellis_sync::ConnectionSettings::new(dir.path().to_owned(), Default::default());
    let settings = trellis_http::HttpSettings::new("127.0.0.1:8080".parse().unwrap(), connection);
    let state = trellis_http::AppState::new(store.clone(), Arc::new(index), Arc::new(settings));
    let app = trellis_http::app(state);
    let secret = trellis_app::identity::setup::issue(store.as_ref()).await.unwrap().unwrap();

    let (template, email) = ("/api/v1/setup", format!("{HOSTILE_WORD}@evil.example"));
    let body = |token: &str| {
        let mut body = json!({"email": email, "name": HOSTILE, "password": HOSTILE_PASSWORD});
        body["token"] = json!(token);
        body
    };
    let forged =
        walk.send_on(&app, Method::POST, template, template, "token", None, body(HOSTILE)).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{}", forged.body);
    let admin =
        walk.send_on(&app, Method::POST, template, template, "name", None, body(&secret)).await;
    assert_eq!(admin.status, StatusCode::CREATED, "{}", admin.body);
    kept(&admin, "/name", HOSTILE);
    kept(&admin, "/email", &email);
    let user = store.find_user_by_email(&email).await.unwrap().unwrap();
    assert_eq!(user.name, HOSTILE);
    let login = json!({"email": email, "password": HOSTILE_PASSWORD});
    let signed_in = call(Method::POST, "/api/v1/auth/login").json(&login).send(&app).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    walk.also("POST", template, &["email", "password"]);
}
