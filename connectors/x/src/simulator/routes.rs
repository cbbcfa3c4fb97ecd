//! The simulated endpoints: bearer auth, per-token rate-limit windows, parameter validation with
//! problem bodies, and the timeline and outbound handlers.

use super::faults::inject;
use super::record::record;
use super::world::{decode_token, Fields, TimelineQuery, World};
use super::{oauth, Shared};
use crate::wire::User;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// Requests allowed per token and endpoint in each window (X's user-context limits by default).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: Duration,
    pub mentions: u32,
    pub dm_events: u32,
    /// Posting tweets, sending DMs, hiding and deleting.
    pub writes: u32,
    pub users_me: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            mentions: 300,
            dm_events: 15,
            writes: 200,
            users_me: 75,
        }
    }
}

/// One token's use of one endpoint in the current window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub reset_at: DateTime<Utc>,
    pub used: u32,
}

type Params = Query<HashMap<String, String>>;

pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/2/users/me", get(me))
        .route("/2/users/{id}/mentions", get(mentions))
        .route("/2/dm_events", get(dm_events))
        .route("/2/tweets", post(post_tweet))
        .route("/2/tweets/{id}", axum::routing::delete(delete_tweet))
        .route("/2/tweets/{id}/hidden", put(hide_reply))
        .route("/2/dm_conversations/with/{participant}/messages", post(dm_with))
        .route("/2/dm_conversations/{conversation}/messages", post(dm_in))
        .merge(oauth::router())
        .layer(from_fn_with_state(shared.clone(), inject))
        .layer(from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// An RFC 7807 problem as X sends it.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str, kind: &str) -> Response {
    let body = json!({"title": title, "detail": detail, "type": kind, "status": status.as_u16()});
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

fn invalid(detail: String) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "Invalid Request",
        &detail,
        "https://api.twitter.com/2/problems/invalid-request",
    )
}

fn not_found(detail: String) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found Error",
        &detail,
        "https://api.twitter.com/2/problems/resource-not-found",
    )
}

fn forbidden(detail: &str) -> Response {
    problem(StatusCode::FORBIDDEN, "Forbidden", detail, "about:blank")
}

/// The `x-rate-limit-*` headers X puts on every answer.
pub(crate) fn rate_headers(
    response: &mut Response,
    limit: u32,
    remaining: u32,
    reset_at: DateTime<Utc>,
) {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-rate-limit-limit", limit.to_string()),
        ("x-rate-limit-remaining", remaining.to_string()),
        ("x-rate-limit-reset", reset_at.timestamp().to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// Who is calling and what their window allows, or the 401 / 429 to answer.
struct Admitted {
    user_id: String,
    limit: u32,
    remaining: u32,
    reset_at: DateTime<Utc>,
}

impl Admitted {
    fn stamp(&self, response: &mut Response) {
        rate_headers(response, self.limit, self.remaining, self.reset_at);
    }

    fn answer(&self, status: StatusCode, body: Value) -> Response {
        let mut response = (status, axum::Json(body)).into_response();
        rate_headers(&mut response, self.limit, self.remaining, self.reset_at);
        response
    }
}

fn admit(
    shared: &Shared,
    headers: &HeaderMap,
    endpoint: &'static str,
) -> Result<Admitted, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let mut inner = shared.lock();
    let Some(user_id) = inner.grants.user_for(token, Utc::now()) else {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
            "about:blank",
        ));
    };
    let limits = inner.limits;
    let limit = match endpoint {
        "mentions" => limits.mentions,
        "dm_events" => limits.dm_events,
        "users_me" => limits.users_me,
        _ => limits.writes,
    };
    let now = Utc::now();
    let window_length =
        chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::minutes(15));
    let window = inner
        .windows
        .entry((token.to_owned(), endpoint))
        .or_insert(Window { reset_at: now + window_length, used: 0 });
    if window.reset_at <= now {
        *window = Window { reset_at: now + window_length, used: 0 };
    }
    if window.used >= limit {
        let mut response = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "Too Many Requests",
            "about:blank",
        );
        rate_headers(&mut response, limit, 0, window.reset_at);
        return Err(response);
    }
    window.used += 1;
    Ok(Admitted { user_id, limit, remaining: limit - window.used, reset_at: window.reset_at })
}

fn number(
    params: &HashMap<String, String>,
    name: &str,
    default: usize,
    range: (usize, usize),
) -> Result<usize, Response> {
    let Some(text) = params.get(name) else { return Ok(default) };
    match text.parse::<usize>() {
        Ok(value) if (range.0..=range.1).contains(&value) => Ok(value),
        _ => Err(invalid(format!(
            "The `{name}` query parameter value [{text}] is not between {} and {}",
            range.0, range.1
        ))),
    }
}

fn id_param(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, Response> {
    params
        .get(name)
        .map(|text| {
            text.parse::<u64>().map_err(|_| {
                invalid(format!("The `{name}` query parameter value [{text}] is not valid"))
            })
        })
        .transpose()
}

fn time_param(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, Response> {
    params
        .get(name)
        .map(|text| {
            DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).map_err(|_| {
                invalid(format!(
                    "The `{name}` query parameter value [{text}] is not a valid RFC 3339 time"
                ))
            })
        })
        .transpose()
}

fn page_token(params: &HashMap<String, String>) -> Result<Option<u64>, Response> {
    params
        .get("pagination_token")
        .map(|token| {
            decode_token(token).ok_or_else(|| {
                invalid(format!(
                    "The `pagination_token` query parameter value [{token}] is not valid"
                ))
            })
        })
        .transpose()
}

async fn me(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let admitted = match admit(&shared, &headers, "users_me") {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let user: Option<User> = shared.lock().world.users.get(&admitted.user_id).cloned();
    match user {
        Some(user) => admitted.answer(
            StatusCode::OK,
            json!({"data": {"id": user.id, "name": user.name, "username": user.username}}),
        ),
        None => not_found(format!("Could not find user with id: [{}].", admitted.user_id)),
    }
}

async fn mentions(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    let admitted = match admit(&shared, &headers, "mentions") {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let query = match (|| {
        Ok::<_, Response>(TimelineQuery {
            max_results: number(&params, "max_results", 10, (5, 100))?,
            since_id: id_param(&params, "since_id")?,
            until_id: id_param(&params, "until_id")?,
            start_time: time_param(&params, "start_time")?,
            end_time: time_param(&params, "end_time")?,
            before: page_token(&params)?,
        })
    })() {
        Ok(query) => query,
        Err(mut response) => {
            admitted.stamp(&mut response);
            return response;
        }
    };
    let fields = Fields::parse(
        params.get("tweet.fields").map(String::as_str),
        params.get("user.fields").map(String::as_str),
        params.get("expansions").map(String::as_str),
    );
    let inner = shared.lock();
    if !inner.world.users.contains_key(&id) {
        return not_found(format!("Could not find user with id: [{id}]."));
    }
    admitted.answer(StatusCode::OK, inner.world.mentions_page(&id, &query, &fields))
}

async fn dm_events(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let admitted = match admit(&shared, &headers, "dm_events") {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let query = match (|| {
        Ok::<_, Response>(TimelineQuery {
            max_results: number(&params, "max_results", 100, (1, 100))?,
            before: page_token(&params)?,
            ..TimelineQuery::default()
        })
    })() {
        Ok(query) => query,
        Err(mut response) => {
            admitted.stamp(&mut response);
            return response;
        }
    };
    if let Some(types) = params.get("event_types").filter(|types| {
        !types
            .split(',')
            .all(|t| ["MessageCreate", "ParticipantsJoin", "ParticipantsLeave"].contains(&t))
    }) {
        return invalid(format!("The `event_types` query parameter value [{types}] is not one of [MessageCreate, ParticipantsJoin, ParticipantsLeave]"));
    }
    let fields = Fields::parse(
        params.get("dm_event.fields").map(String::as_str),
        params.get("user.fields").map(String::as_str),
        params.get("expansions").map(String::as_str),
    );
    let body = shared.lock().world.dm_page(&admitted.user_id, &query, &fields, None);
    admitted.answer(StatusCode::OK, body)
}

/// The request body as JSON, or X's problem for a body it cannot read.
fn json_body(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(body)
        .map_err(|error| invalid(format!("Request body is not valid JSON: {error}")))
}

fn text_field(body: &Value, max_chars: usize) -> Result<String, Response> {
    match body.get("text").and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() && text.chars().count() <= max_chars => {
            Ok(text.to_owned())
        }
        Some(_) => Err(invalid(format!("text must be between 1 and {max_chars} characters"))),
        None => Err(invalid("text is required".to_owned())),
    }
}

async fn post_tweet(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let admitted = match admit(&shared, &headers, "tweets_write") {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let (body, text) =
        match json_body(&body).and_then(|body| text_field(&body, 280).map(|text| (body, text))) {
            Ok(parsed) => parsed,
            Err(response) => return response,
        };
    let reply_to = match body
        .pointer("/reply/in_reply_to_tweet_id")
        .map(|id| id.as_str().and_then(|id| id.parse::<u64>().ok()))
    {
        None => None,
        Some(Some(id)) => Some(id),
        Some(None) => {
            return invalid("reply.in_reply_to_tweet_id must be a tweet id string".to_owned())
        }
    };
    let mut inner = shared.lock();
    if let Some(parent) = reply_to {
        if inner.world.tweets.get(&parent).is_none_or(|tweet| tweet.deleted) {
            return forbidden(
                "You attempted to reply to a Tweet that is deleted or not visible to you.",
            );
        }
    }
    let lang = "en";
    let id = inner.world.add_tweet(&admitted.user_id, text.clone(), Utc::now(), reply_to, lang);
    admitted.answer(StatusCode::CREATED, json!({"data": {"id": id.to_string(), "text": text, "edit_history_tweet_ids": [id.to_string()]}}))
}

async fn hide_reply(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let admitted = match admit(&shared, &headers, "tweets_write") {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let hidden = match json_body(&body).map(|body| body.get("hidden").and_then(Value::as_bool)) {
        Ok(Some(hidden)) => hidden,
        Ok(None) => return invalid("hidden must be a boolean".to_owned()),
        Err(response) => return response,
    };
    let mut inner = shared.lock();
    let world: &mut World = &mut inner.world;
    let root_author = world
        .tweets
        .get(&id.parse().unwrap_or(0))
        .and_then(|tweet| tweet.tweet.conversation_id.as_deref()?.parse::<u64>().ok())
        .and_then(|root| world.tweets.get(&root)?.tweet.author_id.clone());
    let Some(tweet) = world.tweets.get_mut(&id.parse().unwrap_or(0)).filter(|tweet| !tweet.deleted)
    else {
        return not_found(format!("Could not find tweet with id: [{id}]."));
    };
    if tweet.tweet.referenced_tweets.is_none()
        || root_author.as_deref() != Some(admitted.user_id.as_str())
    {
        return forbidden("You cannot hide or unhide replies to conversations you do not own.");
    }
    tweet.hidden = hidden;
    admitted.answer(StatusCode::OK, json!({"data": {"hidden": hidden}}))
}

async fn delete_tweet(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let admitted = match admit(&shared, &headers, "tweets_write") {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let mut inner = shared.lock();
    let Some(tweet) = inner.world.tweets.get_mut(&id.parse().unwrap_or(0)) else {
        return not_found(format!("Could not find tweet with id: [{id}]."));
    };
    if tweet.tweet.author_id.as_deref() != Some(admitted.user_id.as_str()) {
        return forbidden("You are not allowed to delete this Tweet.");
    }
    // Deleting twice answers the same: an outbox retrying after a lost answer must not fail.
    tweet.deleted = true;
    admitted.answer(StatusCode::OK, json!({"data": {"deleted": true}}))
}

async fn dm_with(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(participant): Path<String>,
    body: Bytes,
) -> Response {
    send_dm(shared, headers, DmTo::Participant(participant), body)
}

async fn dm_in(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(conversation): Path<String>,
    body: Bytes,
) -> Response {
    send_dm(shared, headers, DmTo::Conversation(conversation), body)
}

enum DmTo {
    Participant(String),
    Conversation(String),
}

fn send_dm(shared: Shared, headers: HeaderMap, to: DmTo, body: Bytes) -> Response {
    let admitted = match admit(&shared, &headers, "dm_write") {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let text = match json_body(&body).and_then(|body| text_field(&body, 10_000)) {
        Ok(text) => text,
        Err(response) => return response,
    };
    let mut inner = shared.lock();
    let me = admitted.user_id.clone();
    let (conversation, participants) = match to {
        DmTo::Participant(other) => {
            if other == me || !inner.world.users.contains_key(&other) {
                return invalid(format!("Could not find a user to message with id: [{other}]."));
            }
            (World::one_to_one(&me, &other), vec![me.clone(), other])
        }
        DmTo::Conversation(conversation) => {
            let known =
                inner.world.dm_events.values().find(|dm| {
                    dm.event.dm_conversation_id.as_deref() == Some(conversation.as_str())
                });
            match known
                .and_then(|dm| dm.event.participant_ids.clone())
                .filter(|ids| ids.contains(&me))
            {
                Some(participants) => (conversation, participants),
                None => return forbidden("You are not a participant of this conversation."),
            }
        }
    };
    let id = inner.world.add_dm(&me, &conversation, participants, text, Utc::now());
    admitted.answer(
        StatusCode::CREATED,
        json!({"data": {"dm_conversation_id": conversation, "dm_event_id": id.to_string()}}),
    )
}
