//! The write endpoints: posting a reply, hiding a reply, deleting a tweet, sending a DM. Each
//! changes the simulated world, so later polls see what a connector did.

use super::routes::{admit, ApiError, ApiResult};
use super::world::World;
use super::Shared;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use serde_json::{json, Value};

/// The request body as JSON, or X's problem for a body it cannot read.
fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid(format!("Request body is not valid JSON: {error}")))
}

fn text_field(body: &Value, max_chars: usize) -> Result<String, ApiError> {
    match body.get("text").and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() && text.chars().count() <= max_chars => {
            Ok(text.to_owned())
        }
        Some(_) => {
            Err(ApiError::invalid(format!("text must be between 1 and {max_chars} characters")))
        }
        None => Err(ApiError::invalid("text is required".to_owned())),
    }
}

fn tweet_id(id: &str) -> Result<u64, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(format!("Could not find tweet with id: [{id}].")))
}

pub(crate) async fn post_tweet(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let admitted = admit(&shared, &headers, "tweets_write")?;
    let body = json_body(&body)?;
    let text = text_field(&body, 280)?;
    let reply_to = match body.pointer("/reply/in_reply_to_tweet_id") {
        None => None,
        Some(id) => Some(id.as_str().and_then(|id| id.parse::<u64>().ok()).ok_or_else(|| {
            ApiError::invalid("reply.in_reply_to_tweet_id must be a tweet id string".to_owned())
        })?),
    };
    let mut inner = shared.lock();
    if let Some(parent) = reply_to {
        if inner.world.tweets.get(&parent).is_none_or(|tweet| tweet.deleted) {
            return Err(ApiError::forbidden(
                "You attempted to reply to a Tweet that is deleted or not visible to you.",
            ));
        }
    }
    let id = inner
        .world
        .add_tweet(&admitted.user_id, text.clone(), Utc::now(), reply_to, "en")
        .to_string();
    admitted.answer(
        StatusCode::CREATED,
        json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}}),
    )
}

pub(crate) async fn hide_reply(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let admitted = admit(&shared, &headers, "hide_write")?;
    let hidden = json_body(&body)?
        .get("hidden")
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::invalid("hidden must be a boolean".to_owned()))?;
    let target = tweet_id(&id)?;
    let mut inner = shared.lock();
    let world: &mut World = &mut inner.world;
    let root_author = world
        .tweets
        .get(&target)
        .and_then(|tweet| tweet.tweet.conversation_id.as_deref()?.parse::<u64>().ok())
        .and_then(|root| world.tweets.get(&root)?.tweet.author_id.clone());
    let tweet = world
        .tweets
        .get_mut(&target)
        .filter(|tweet| !tweet.deleted)
        .ok_or_else(|| ApiError::not_found(format!("Could not find tweet with id: [{id}].")))?;
    // Only replies in a conversation the caller started can be hidden, as on X.
    if tweet.tweet.referenced_tweets.is_none()
        || root_author.as_deref() != Some(admitted.user_id.as_str())
    {
        return Err(ApiError::forbidden(
            "You cannot hide or unhide replies to conversations you do not own.",
        ));
    }
    tweet.hidden = hidden;
    admitted.answer(StatusCode::OK, json!({"data": {"hidden": hidden}}))
}

pub(crate) async fn delete_tweet(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let admitted = admit(&shared, &headers, "delete_write")?;
    let target = tweet_id(&id)?;
    let mut inner = shared.lock();
    let tweet = inner
        .world
        .tweets
        .get_mut(&target)
        .ok_or_else(|| ApiError::not_found(format!("Could not find tweet with id: [{id}].")))?;
    if tweet.tweet.author_id.as_deref() != Some(admitted.user_id.as_str()) {
        return Err(ApiError::forbidden("You are not allowed to delete this Tweet."));
    }
    // Deleting twice answers the same: an outbox retrying after a lost answer must not fail.
    tweet.deleted = true;
    admitted.answer(StatusCode::OK, json!({"data": {"deleted": true}}))
}

pub(crate) async fn dm_with(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(participant): Path<String>,
    body: Bytes,
) -> ApiResult {
    send_dm(&shared, &headers, DmTo::Participant(participant), &body)
}

pub(crate) async fn dm_in(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(conversation): Path<String>,
    body: Bytes,
) -> ApiResult {
    send_dm(&shared, &headers, DmTo::Conversation(conversation), &body)
}

enum DmTo {
    Participant(String),
    Conversation(String),
}

fn send_dm(shared: &Shared, headers: &HeaderMap, to: DmTo, body: &Bytes) -> ApiResult {
    let admitted = admit(shared, headers, "dm_write")?;
    let text = text_field(&json_body(body)?, 10_000)?;
    let mut inner = shared.lock();
    let me = admitted.user_id.clone();
    let (conversation, participants) = match to {
        DmTo::Participant(other) => {
            if other == me || !inner.world.users.contains_key(&other) {
                return Err(ApiError::invalid(format!(
                    "Could not find a user to message with id: [{other}]."
                )));
            }
            (World::one_to_one(&me, &other), vec![me.clone(), other])
        }
        DmTo::Conversation(conversation) => {
            let known = inner
                .world
                .dm_events
                .values()
                .find(|dm| dm.event.dm_conversation_id.as_deref() == Some(conversation.as_str()))
                .and_then(|dm| dm.event.participant_ids.clone())
                .filter(|participants| participants.contains(&me));
            let participants = known.ok_or_else(|| {
                ApiError::forbidden("You are not a participant of this conversation.")
            })?;
            (conversation, participants)
        }
    };
    let id = inner.world.add_dm(&me, &conversation, participants, text, Utc::now());
    admitted.answer(
        StatusCode::CREATED,
        json!({"data": {"dm_conversation_id": conversation, "dm_event_id": id.to_string()}}),
    )
}
