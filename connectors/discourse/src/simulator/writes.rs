//! The write endpoints: creating posts and private messages, deleting, unhiding and flagging.

use super::body::fields;
use super::reads::json_id;
use super::routes::{admit, answer, ApiError, ApiResult};
use super::Shared;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::Utc;
use serde_json::json;

/// Discourse's default `min_post_length` and `min_personal_message_post_length`.
const MIN_POST_LENGTH: usize = 20;
const MIN_PRIVATE_POST_LENGTH: usize = 10;
const MIN_TITLE_LENGTH: usize = 2;

/// `POST /posts.json`: a reply in a topic, or with `archetype=private_message` a new private message.
pub(crate) async fn create_post(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let author = admit(&shared, &headers)?;
    let fields = fields(&headers, &body);
    let raw = fields.get("raw").cloned().unwrap_or_default();
    let mut inner = shared.lock();
    let world = &mut inner.world;
    let username =
        world.users.get(&author).map(|user| user.username.clone()).unwrap_or(author.clone());
    let private = fields.get("archetype").map(String::as_str) == Some("private_message");
    let topic_id = match fields.get("topic_id").filter(|id| !id.is_empty()) {
        Some(id) => {
            let id: u64 = id.parse().map_err(|_| ApiError::invalid_parameters("topic_id"))?;
            let topic = world.topics.get(&id).ok_or_else(ApiError::not_found)?;
            if !world.can_read(&author, topic) {
                return Err(ApiError::forbidden());
            }
            check_length(
                &raw,
                if topic.private { MIN_PRIVATE_POST_LENGTH } else { MIN_POST_LENGTH },
            )?;
            id
        }
        None if private => {
            let title = fields.get("title").cloned().unwrap_or_default();
            let recipients: Vec<String> = fields
                .get("target_recipients")
                .map(|list| {
                    list.split(',')
                        .map(|name| name.trim().to_owned())
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let mut errors = Vec::new();
            if title.trim().chars().count() < MIN_TITLE_LENGTH {
                errors
                    .push(format!("Title is too short (minimum is {MIN_TITLE_LENGTH} characters)"));
            }
            if recipients.is_empty() {
                errors.push("You must choose a valid user.".to_owned());
            }
            for name in &recipients {
                if !world.users.contains_key(&name.to_lowercase()) {
                    errors.push(format!("Sorry, {name} is not a valid username."));
                }
            }
            if raw.trim().chars().count() < MIN_PRIVATE_POST_LENGTH {
                errors.push(format!(
                    "Body is too short (minimum is {MIN_PRIVATE_POST_LENGTH} characters)"
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::create_post(errors));
            }
            let mut participants = recipients;
            participants.push(username.clone());
            world.add_topic(&title, None, Some(participants))
        }
        None => {
            return Err(ApiError::create_post(vec!["Title can't be blank".to_owned()]));
        }
    };
    let reply_to = fields.get("reply_to_post_number").and_then(|n| n.parse().ok());
    let id = world
        .add_post(topic_id, &username, raw, Utc::now(), reply_to, 1)
        .ok_or_else(ApiError::not_found)?;
    let post = world.posts.get(&id).ok_or_else(ApiError::not_found)?;
    answer(world.post_json(post, true))
}

fn check_length(raw: &str, min: usize) -> Result<(), ApiError> {
    if raw.trim().chars().count() < min {
        return Err(ApiError::create_post(vec![format!(
            "Body is too short (minimum is {min} characters)"
        )]));
    }
    Ok(())
}

/// `DELETE /posts/{id}.json`: 200 with an empty body.
pub(crate) async fn delete_post(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    admit(&shared, &headers)?;
    let id = json_id(&id)?;
    let mut inner = shared.lock();
    let post = inner.world.posts.get_mut(&id).ok_or_else(ApiError::not_found)?;
    if post.deleted_at.is_none() {
        post.deleted_at = Some(Utc::now());
        post.updated_at = Utc::now();
    }
    Ok(StatusCode::OK.into_response())
}

/// `PUT /posts/{id}/unhide`.
pub(crate) async fn unhide(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    admit(&shared, &headers)?;
    let id = json_id(&id)?;
    let mut inner = shared.lock();
    let post = inner.world.posts.get_mut(&id).ok_or_else(ApiError::not_found)?;
    post.hidden = false;
    answer(json!({"success": "OK"}))
}

/// `POST /post_actions.json` `{"id","post_action_type_id"}`: flags (3 off topic, 4 inappropriate,
/// 6 notify user, 7 notify moderators, 8 spam). A staff flag of 4 or 8 hides the post at once.
pub(crate) async fn post_action(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let actor = admit(&shared, &headers)?;
    let fields = fields(&headers, &body);
    let id: u64 = fields
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ApiError::invalid_parameters("id"))?;
    let kind: u8 = fields
        .get("post_action_type_id")
        .and_then(|kind| kind.parse().ok())
        .filter(|kind| [3, 4, 6, 7, 8].contains(kind))
        .ok_or_else(|| ApiError::invalid_parameters("post_action_type_id"))?;
    if kind == 7 && fields.get("message").is_none_or(|message| message.trim().is_empty()) {
        return Err(ApiError::create_post(vec![
            "A message is required to notify moderators".into()
        ]));
    }
    let mut inner = shared.lock();
    let world = &mut inner.world;
    let post = world.posts.get_mut(&id).ok_or_else(ApiError::not_found)?;
    if post.flags.iter().any(|(who, k)| *who == actor && *k == kind) {
        return Err(ApiError::forbidden());
    }
    post.flags.push((actor, kind));
    if matches!(kind, 4 | 8) {
        post.hidden = true;
    }
    let post = post.clone();
    answer(world.post_json(&post, true))
}
