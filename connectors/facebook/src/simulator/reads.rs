//! The simulated read endpoints: the Page feed (time-paged), a post's comments and a
//! conversation's messages (cursor-paged), the Messenger conversation list, and single nodes.

use super::routes::{admit, admit_page, limit, link, Call, GraphFailure, GraphResult, Subject};
use super::world::World;
use super::Shared;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

pub(crate) fn feed(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let inner = shared.lock();
    let world = &inner.world;
    check_page(world, node, call)?;
    let number = |name: &str| call.param(name).and_then(|v| v.parse::<i64>().ok());
    let (since, until) = (number("since"), number("until"));
    let position = call.param("__paging_token").and_then(decode_position);
    let posts: Vec<_> = world
        .feed()
        .into_iter()
        .filter(|post| {
            let time = post.updated.timestamp();
            since.is_none_or(|since| time >= since)
                && until.is_none_or(|until| time <= until)
                && position
                    .as_ref()
                    .is_none_or(|(t, id)| (time, post.post.id.as_str()) < (*t, id.as_str()))
        })
        .collect();
    let size = limit(call);
    let fields = call.param("fields").unwrap_or("id,message,created_time");
    // Posts the token may not see still take their place in a page, as on Facebook: a page can
    // come back short (even empty) with more behind it.
    let taken = &posts[..posts.len().min(size)];
    let data: Vec<Value> = taken
        .iter()
        .filter(|post| post.post.from.as_ref().is_none_or(|from| !world.restricted.contains(&from.id)))
        .map(|post| {
            let mut value = json!(post.post);
            let total = world.post_comments.get(&post.post.id).map_or(0, |ids| {
                ids.iter().filter(|id| world.comments.get(*id).is_some_and(|c| !c.deleted)).count()
            });
            value["comments"] = json!({"data": [], "summary": {"order": "ranked", "total_count": total, "can_comment": true}});
            select(value, fields)
        })
        .collect();
    let mut paging = Map::new();
    if let (Some(first), Some(last)) = (taken.first(), taken.last()) {
        let mut common = vec![("fields", fields.to_owned()), ("limit", size.to_string())];
        common.push(("access_token", call.token.clone()));
        let mut previous = common.clone();
        previous.push(("since", first.updated.timestamp().to_string()));
        previous.push(("__previous", "1".to_owned()));
        paging
            .insert("previous".into(), link(&call.base, &format!("{node}/feed"), &previous).into());
        if posts.len() > taken.len() {
            let mut next = common;
            if let Some(since) = since {
                next.push(("since", since.to_string()));
            }
            let time = last.updated.timestamp();
            next.push(("until", time.to_string()));
            next.push(("__paging_token", encode_position(time, &last.post.id)));
            paging.insert("next".into(), link(&call.base, &format!("{node}/feed"), &next).into());
        }
    }
    usage.answer(json!({"data": data, "paging": paging}))
}

pub(crate) fn comments(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let inner = shared.lock();
    let world = &inner.world;
    if world.posts.get(node).is_none_or(|post| post.deleted) {
        return Err(GraphFailure::unsupported("get", node));
    }
    let toplevel = call.param("filter") == Some("toplevel");
    let reverse = call.param("order") == Some("reverse_chronological");
    let after = call.param("after").and_then(decode_seq);
    let mut live: Vec<_> = world
        .post_comments
        .get(node)
        .into_iter()
        .flatten()
        .filter_map(|id| world.comments.get(id))
        .filter(|c| !c.deleted && (!toplevel || c.comment.parent.is_none()))
        .collect();
    if reverse {
        live.reverse();
    }
    let total = live.len();
    let rest: Vec<_> = live
        .into_iter()
        .filter(|c| after.is_none_or(|after| if reverse { c.seq < after } else { c.seq > after }))
        .collect();
    let size = limit(call);
    let fields = call.param("fields").unwrap_or("id,message,created_time,from");
    let data: Vec<Value> =
        rest.iter().take(size).map(|c| select(json!(c.comment), fields)).collect();
    let mut body = json!({"data": data});
    if let (Some(first), Some(last)) = (rest.first(), rest.get(data.len().saturating_sub(1))) {
        let (before, after) =
            (STANDARD.encode(first.seq.to_string()), STANDARD.encode(last.seq.to_string()));
        body["paging"] = json!({"cursors": {"before": before, "after": after}});
        if rest.len() > data.len() {
            let mut params: Vec<(&str, String)> = ["fields", "filter", "order", "summary"]
                .iter()
                .filter_map(|name| Some((*name, call.param(name)?.to_owned())))
                .collect();
            params.extend([
                ("limit", size.to_string()),
                ("after", after),
                ("access_token", call.token.clone()),
            ]);
            body["paging"]["next"] = link(&call.base, &format!("{node}/comments"), &params).into();
        }
    }
    if call.param("summary") == Some("true") {
        let order = if reverse { "reverse_chronological" } else { "chronological" };
        body["summary"] = json!({"order": order, "total_count": total, "can_comment": true});
    }
    usage.answer(body)
}

pub(crate) fn conversations(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let inner = shared.lock();
    let world = &inner.world;
    check_page(world, node, call)?;
    if call.param("platform").is_some_and(|platform| platform != "messenger") {
        return usage.answer(json!({"data": []}));
    }
    let after = call.param("after").and_then(decode_position);
    let user = call.param("user_id");
    let list: Vec<_> = world
        .inbox()
        .into_iter()
        .filter(|c| user.is_none_or(|user| c.person.id == user))
        .filter(|c| {
            after
                .as_ref()
                .is_none_or(|(t, id)| (c.updated.timestamp(), c.id.as_str()) < (*t, id.as_str()))
        })
        .collect();
    let size = limit(call);
    let fields = call.param("fields").unwrap_or("id,updated_time");
    let inline = inline_limit(fields);
    let data: Vec<Value> = list
        .iter()
        .take(size)
        .map(|c| {
            let last = c.messages.last().and_then(|id| world.messages.get(id));
            let snippet: String = last.map(|m| m.message.message.chars().take(100).collect()).unwrap_or_default();
            let person = json!({"name": c.person.name, "email": format!("{}@facebook.com", c.person.id), "id": c.person.id});
            let page = json!({"name": world.page.name, "email": format!("{}@facebook.com", world.page.id), "id": world.page.id});
            let value = json!({
                "id": c.id,
                "updated_time": crate::wire::format_time(c.updated),
                "snippet": snippet,
                "unread_count": 0,
                "participants": {"data": [person, page]},
                "messages": message_page(world, call, &c.id, None, inline),
            });
            select(value, fields)
        })
        .collect();
    let mut body = json!({"data": data});
    if let (Some(first), Some(last)) = (list.first(), list.get(data.len().saturating_sub(1))) {
        let before = encode_position(first.updated.timestamp(), &first.id);
        let after = encode_position(last.updated.timestamp(), &last.id);
        body["paging"] = json!({"cursors": {"before": before, "after": after.clone()}});
        if list.len() > data.len() {
            let mut params =
                vec![("platform", "messenger".to_owned()), ("fields", fields.to_owned())];
            params.extend([
                ("limit", size.to_string()),
                ("after", after),
                ("access_token", call.token.clone()),
            ]);
            body["paging"]["next"] =
                link(&call.base, &format!("{node}/conversations"), &params).into();
        }
    }
    usage.answer(body)
}

pub(crate) fn messages(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let usage = admit_page(shared, call)?;
    let inner = shared.lock();
    if !inner.world.conversations.contains_key(node) {
        return Err(GraphFailure::unsupported("get", node));
    }
    let after = call.param("after").and_then(decode_seq);
    usage.answer(message_page(&inner.world, call, node, after, limit(call)))
}

/// One page of a conversation's messages, newest first, older than `after` (a sequence number).
fn message_page(
    world: &World,
    call: &Call,
    conversation: &str,
    after: Option<u64>,
    size: usize,
) -> Value {
    let Some(state) = world.conversations.get(conversation) else {
        return json!({"data": []});
    };
    let older: Vec<_> = state
        .messages
        .iter()
        .rev()
        .filter_map(|id| world.messages.get(id))
        .filter(|m| after.is_none_or(|after| m.seq < after))
        .collect();
    let data: Vec<Value> = older.iter().take(size).map(|m| json!(m.message)).collect();
    let mut page = json!({"data": data});
    if let (Some(first), Some(last)) = (older.first(), older.get(data.len().saturating_sub(1))) {
        let (before, after) =
            (STANDARD.encode(first.seq.to_string()), STANDARD.encode(last.seq.to_string()));
        page["paging"] = json!({"cursors": {"before": before, "after": after.clone()}});
        if older.len() > data.len() {
            let params = [
                ("fields", crate::wire::MESSAGE_FIELDS.to_owned()),
                ("limit", size.to_string()),
                ("after", after),
                ("access_token", call.token.clone()),
            ];
            page["paging"]["next"] =
                link(&call.base, &format!("{conversation}/messages"), &params).into();
        }
    }
    page
}

/// `GET /{id}`: `me`, a conversation (its participants), a post or a comment.
pub(crate) fn node(shared: &Shared, call: &Call, node: &str) -> GraphResult {
    let (subject, usage) = admit(shared, call)?;
    let inner = shared.lock();
    let world = &inner.world;
    let fields = call.param("fields").unwrap_or("id,name");
    let value = match (node, &subject) {
        ("me", Subject::Page(_)) => json!({"id": world.page.id, "name": world.page.name}),
        ("me", Subject::User(user)) => json!({"id": user, "name": inner.grants.admin_name.clone()}),
        (id, Subject::Page(_)) => {
            if let Some(c) = world.conversations.get(id) {
                let person = json!({"name": c.person.name, "email": format!("{}@facebook.com", c.person.id), "id": c.person.id});
                let page = json!({"name": world.page.name, "email": format!("{}@facebook.com", world.page.id), "id": world.page.id});
                json!({"id": c.id, "participants": {"data": [person, page]}})
            } else if let Some(post) = world.posts.get(id).filter(|p| !p.deleted) {
                json!(post.post)
            } else if let Some(comment) = world.comments.get(id).filter(|c| !c.deleted) {
                json!(comment.comment)
            } else {
                return Err(GraphFailure::unsupported("get", id));
            }
        }
        (id, Subject::User(_)) => return Err(GraphFailure::unsupported("get", id)),
    };
    usage.answer(select(value, fields))
}

fn check_page(world: &World, node: &str, call: &Call) -> Result<(), GraphFailure> {
    if node == world.page.id || node == "me" {
        Ok(())
    } else {
        Err(GraphFailure::unsupported(call.method.as_str(), node))
    }
}

/// Keeps the top-level fields a `fields=` list names (`a,b.limit(3){c},d`), always with `id`.
pub(crate) fn select(value: Value, fields: &str) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    let mut names = vec!["id".to_owned()];
    let (mut depth, mut current, mut skipping) = (0, String::new(), false);
    for ch in fields.chars().chain(std::iter::once(',')) {
        match ch {
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                names.push(std::mem::take(&mut current));
                skipping = false;
                continue;
            }
            '.' if depth == 0 => skipping = true,
            _ if depth == 0 && !skipping => current.push(ch),
            _ => {}
        }
    }
    Value::Object(map.into_iter().filter(|(key, _)| names.contains(key)).collect())
}

/// `N` of `messages.limit(N)` in a fields list, 25 without one.
fn inline_limit(fields: &str) -> usize {
    fields
        .split("messages.limit(")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(25_usize)
        .clamp(1, 100)
}

fn encode_position(time: i64, id: &str) -> String {
    STANDARD.encode(format!("{time}:{id}"))
}

fn decode_position(token: &str) -> Option<(i64, String)> {
    let plain = String::from_utf8(STANDARD.decode(token).ok()?).ok()?;
    let (time, id) = plain.split_once(':')?;
    Some((time.parse().ok()?, id.to_owned()))
}

fn decode_seq(token: &str) -> Option<u64> {
    String::from_utf8(STANDARD.decode(token).ok()?).ok()?.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_fields_list_keeps_the_named_top_level_fields() {
        let value = json!({"id": "1", "message": "m", "from": {}, "comments": {}, "extra": 1});
        let kept = select(value, "message,comments.limit(0).summary(true){id,from},from");
        assert_eq!(kept, json!({"id": "1", "message": "m", "from": {}, "comments": {}}));
        assert_eq!(inline_limit("id,messages.limit(7){id}"), 7);
    }
}
