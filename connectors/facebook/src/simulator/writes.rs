//! The simulated write endpoints: comment replies, Messenger sends (inside the 24-hour window),
//! hide/unhide and delete. Writes act as the Page.

use super::routes::{admit_page, Call, GraphFailure, GraphResult};
use super::Shared;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::json;

/// `POST /{post-or-comment-id}/comments message=…`: a reply under a post, or to a comment (a
/// reply to a reply attaches to the top-level comment, as on Facebook).
pub(crate) fn comment(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let message = call
        .param("message")
        .ok_or_else(|| GraphFailure::invalid("(#100) Missing message or attachment"))?;
    let mut inner = shared.lock();
    let world = &mut inner.world;
    let page = world.page.clone();
    let (post_id, parent) = match world.comments.get(node).filter(|c| !c.deleted) {
        Some(target) => {
            let top =
                target.comment.parent.as_ref().map_or(node.to_owned(), |parent| parent.id.clone());
            (target.post_id.clone(), Some(top))
        }
        None => (node.to_owned(), None),
    };
    let id = world
        .add_comment(&post_id, parent.as_deref(), page, message.to_owned(), Utc::now())
        .ok_or_else(|| GraphFailure::unsupported("post", node))?;
    usage.answer(json!({ "id": id }))
}

/// `POST /{page-id}/messages`: a `RESPONSE` is allowed within 24 hours of the person's last
/// message, as the Messenger platform policy says; later it is refused with error 10.
pub(crate) fn send(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let mut inner = shared.lock();
    let world = &mut inner.world;
    if node != world.page.id && node != "me" {
        return Err(GraphFailure::unsupported("post", node));
    }
    let recipient = call.json.pointer("/recipient/id").and_then(|v| v.as_str());
    let text = call.json.pointer("/message/text").and_then(|v| v.as_str());
    let (Some(recipient), Some(text)) = (recipient, text) else {
        return Err(GraphFailure::invalid(
            "(#100) param recipient and message[text] must be non-empty",
        ));
    };
    let Some(person) = world.person(recipient).filter(|person| person.id != world.page.id) else {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            100,
            Some(2_018_001),
            "(#100) No matching user found",
        ));
    };
    let now = Utc::now();
    let in_window =
        world.last_inbound.get(&person.id).is_some_and(|last| now - *last <= Duration::hours(24));
    if !in_window {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            10,
            Some(2_018_278),
            "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
        ));
    }
    let id = world.add_message(&person, true, text.to_owned(), now);
    usage.answer(json!({"recipient_id": person.id, "message_id": id}))
}

/// `POST /{comment-id} is_hidden=true|false`.
pub(crate) fn update(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let hidden = match call.param("is_hidden") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(GraphFailure::invalid("(#100) is_hidden must be true or false")),
    };
    let mut inner = shared.lock();
    let changed = inner
        .world
        .change_comment(node, Utc::now(), |state| state.comment.is_hidden = Some(hidden));
    if !changed {
        return Err(GraphFailure::unsupported("post", node));
    }
    usage.answer(json!({"success": true}))
}

/// `DELETE /{id}`: a comment, or a post on the Page.
pub(crate) fn delete(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let mut inner = shared.lock();
    let world = &mut inner.world;
    if world.change_comment(node, Utc::now(), |state| state.deleted = true) {
        return usage.answer(json!({"success": true}));
    }
    match world.posts.get_mut(node).filter(|post| !post.deleted) {
        Some(post) => {
            post.deleted = true;
            usage.answer(json!({"success": true}))
        }
        None => Err(GraphFailure::unsupported("delete", node)),
    }
}
