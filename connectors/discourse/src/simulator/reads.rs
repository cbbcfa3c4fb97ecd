//! The read endpoints: listings, a post, a topic, the current session.

use super::routes::{admit, answer, ApiError, ApiResult};
use super::world::ListingKind;
use super::Shared;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub(crate) struct Before {
    /// Discourse reads it leniently: junk and values ≤ 0 mean "from the newest".
    before: Option<String>,
}

impl Before {
    fn id(&self) -> Option<u64> {
        self.before.as_deref().and_then(|value| value.trim().parse().ok()).filter(|id| *id > 0)
    }
}

/// `GET /posts.json?before=<id>`: the forum's public posts, newest first, 50 a page.
pub(crate) async fn latest_posts(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Before>,
) -> ApiResult {
    let viewer = admit(&shared, &headers)?;
    let posts = shared.lock().world.listing(ListingKind::Public, &viewer, query.id());
    answer(json!({"latest_posts": posts}))
}

/// `GET /private-posts.json?before=<id>`: posts of the caller's private messages.
pub(crate) async fn private_posts(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Before>,
) -> ApiResult {
    let viewer = admit(&shared, &headers)?;
    let posts = shared.lock().world.listing(ListingKind::PrivateOf, &viewer, query.id());
    answer(json!({"private_posts": posts}))
}

/// Reads `123.json` (or `123`) from a path segment.
pub(crate) fn json_id(segment: &str) -> Result<u64, ApiError> {
    segment.strip_suffix(".json").unwrap_or(segment).parse().map_err(|_| ApiError::not_found())
}

/// `GET /posts/{id}.json`.
pub(crate) async fn post(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let viewer = admit(&shared, &headers)?;
    let id = json_id(&id)?;
    let inner = shared.lock();
    let post = inner.world.posts.get(&id).ok_or_else(ApiError::not_found)?;
    let topic = inner.world.topics.get(&post.topic_id).ok_or_else(ApiError::not_found)?;
    if !inner.world.can_read(&viewer, topic) {
        return Err(ApiError::forbidden());
    }
    answer(inner.world.post_json(post, true))
}

/// `GET /t/{id}.json`.
pub(crate) async fn topic(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let viewer = admit(&shared, &headers)?;
    let id = json_id(&id)?;
    let inner = shared.lock();
    let topic = inner.world.topics.get(&id).ok_or_else(ApiError::not_found)?;
    if !inner.world.can_read(&viewer, topic) {
        return Err(ApiError::forbidden());
    }
    answer(inner.world.topic_json(topic))
}

/// `GET /session/current.json`.
pub(crate) async fn current_session(State(shared): State<Shared>, headers: HeaderMap) -> ApiResult {
    let viewer = admit(&shared, &headers)?;
    let inner = shared.lock();
    let user = inner.world.users.get(&viewer).ok_or_else(ApiError::not_found)?;
    answer(json!({"current_user": {
        "id": user.id, "username": user.username, "name": user.name,
        "trust_level": user.trust_level, "admin": true, "moderator": true,
    }}))
}
