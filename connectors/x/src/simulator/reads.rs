//! The read endpoints: `users/me`, the mentions timeline and DM events, with X's parameter rules.

use super::routes::{admit, ApiError, ApiResult};
use super::world::{decode_token, Fields, TimelineQuery};
use super::Shared;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;

type Params = HashMap<String, String>;

fn number(
    params: &Params,
    name: &str,
    default: usize,
    range: (usize, usize),
) -> Result<usize, ApiError> {
    let Some(text) = params.get(name) else { return Ok(default) };
    match text.parse::<usize>() {
        Ok(value) if (range.0..=range.1).contains(&value) => Ok(value),
        _ => Err(ApiError::invalid(format!(
            "The `{name}` query parameter value [{text}] is not between {} and {}",
            range.0, range.1
        ))),
    }
}

fn id_param(params: &Params, name: &str) -> Result<Option<u64>, ApiError> {
    let Some(text) = params.get(name) else { return Ok(None) };
    let refuse =
        || ApiError::invalid(format!("The `{name}` query parameter value [{text}] is not valid"));
    text.parse::<u64>().map(Some).map_err(|_| refuse())
}

fn time_param(params: &Params, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = params.get(name) else { return Ok(None) };
    let refuse = || {
        ApiError::invalid(format!(
            "The `{name}` query parameter value [{text}] is not a valid RFC 3339 time"
        ))
    };
    DateTime::parse_from_rfc3339(text)
        .map(|time| Some(time.with_timezone(&Utc)))
        .map_err(|_| refuse())
}

fn page_token(params: &Params) -> Result<Option<u64>, ApiError> {
    let Some(token) = params.get("pagination_token") else { return Ok(None) };
    let refuse = || {
        ApiError::invalid(format!(
            "The `pagination_token` query parameter value [{token}] is not valid"
        ))
    };
    decode_token(token).map(Some).ok_or_else(refuse)
}

fn fields(params: &Params, item_fields: &str) -> Fields {
    let get = |name: &str| params.get(name).map(String::as_str);
    Fields::parse(get(item_fields), get("user.fields"), get("expansions"))
}

pub(crate) async fn me(State(shared): State<Shared>, headers: HeaderMap) -> ApiResult {
    let admitted = admit(&shared, &headers, "users_me")?;
    let user = shared.lock().world.users.get(&admitted.user_id).cloned();
    let user = user.ok_or_else(|| {
        ApiError::not_found(format!("Could not find user with id: [{}].", admitted.user_id))
    })?;
    admitted.answer(
        StatusCode::OK,
        json!({"data": {"id": user.id, "name": user.name, "username": user.username}}),
    )
}

pub(crate) async fn mentions(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> ApiResult {
    let admitted = admit(&shared, &headers, "mentions")?;
    let query = (|| {
        Ok(TimelineQuery {
            max_results: number(&params, "max_results", 10, (5, 100))?,
            since_id: id_param(&params, "since_id")?,
            until_id: id_param(&params, "until_id")?,
            start_time: time_param(&params, "start_time")?,
            end_time: time_param(&params, "end_time")?,
            before: page_token(&params)?,
        })
    })()
    .map_err(|error: ApiError| error.stamped(&admitted))?;
    let inner = shared.lock();
    if !inner.world.users.contains_key(&id) {
        return Err(
            ApiError::not_found(format!("Could not find user with id: [{id}].")).stamped(&admitted)
        );
    }
    admitted.answer(
        StatusCode::OK,
        inner.world.mentions_page(&id, &query, &fields(&params, "tweet.fields")),
    )
}

pub(crate) async fn dm_events(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> ApiResult {
    let admitted = admit(&shared, &headers, "dm_events")?;
    let query = (|| {
        Ok(TimelineQuery {
            max_results: number(&params, "max_results", 100, (1, 100))?,
            before: page_token(&params)?,
            ..TimelineQuery::default()
        })
    })()
    .map_err(|error: ApiError| error.stamped(&admitted))?;
    const TYPES: [&str; 3] = ["MessageCreate", "ParticipantsJoin", "ParticipantsLeave"];
    if let Some(types) =
        params.get("event_types").filter(|types| !types.split(',').all(|t| TYPES.contains(&t)))
    {
        let detail =
            format!("The `event_types` query parameter value [{types}] is not one of {TYPES:?}");
        return Err(ApiError::invalid(detail).stamped(&admitted));
    }
    let body =
        shared.lock().world.dm_page(&admitted.user_id, &query, &fields(&params, "dm_event.fields"));
    admitted.answer(StatusCode::OK, body)
}
