//! Conversations as the inbox will show them, read straight from the store:
//! - `GET /api/v1/conversations`: newest activity first, filtered by `status`, `channel`, `tag`,
//!   `team`, `assignee` (a user id or `unassigned`) and `priority`, paged with `limit` and the
//!   opaque `after` cursor the previous page returned as `next`.
//! - `GET /api/v1/conversations/{id}`: one conversation with its messages (oldest first), its
//!   timeline (who did what, and which rule) and its SLA clocks.

use crate::error::AppError;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use trellis_core::{
    AssigneeFilter, Channel, Conversation, ConversationFilter, ConversationId, ConversationSla,
    ConversationStatus, Message, PageCursor, Priority, TagName, TeamId, TimelineEvent, UserId,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/conversations", get(list)).route("/conversations/{id}", get(show))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    status: Option<ConversationStatus>,
    channel: Option<Channel>,
    tag: Option<TagName>,
    team: Option<i64>,
    /// A user id, or `unassigned`.
    assignee: Option<String>,
    priority: Option<Priority>,
    limit: Option<u32>,
    after: Option<String>,
}

#[derive(Debug, Serialize)]
struct ListAnswer {
    items: Vec<Conversation>,
    /// Pass as `after` for the next page; absent on the last one.
    next: Option<String>,
}

/// A conversation with everything an agent reads before answering.
#[derive(Debug, Serialize)]
struct ConversationDetail {
    conversation: Conversation,
    messages: Vec<Message>,
    timeline: Vec<TimelineEvent>,
    sla: Option<ConversationSla>,
}

async fn list(
    State(state): State<AppState>,
    AppQuery(params): AppQuery<ListParams>,
) -> Result<AppJson<ListAnswer>, AppError> {
    let filter = filter(params)?;
    let page = state.store.list_conversations(&filter).await?;
    Ok(AppJson(ListAnswer { items: page.items, next: page.next.map(|cursor| cursor.encode()) }))
}

fn filter(params: ListParams) -> Result<ConversationFilter, AppError> {
    let limit = params.limit.unwrap_or(ConversationFilter::DEFAULT_LIMIT);
    if limit == 0 || limit > ConversationFilter::MAX_LIMIT {
        return Err(AppError::InvalidParameter(format!(
            "limit must be between 1 and {}",
            ConversationFilter::MAX_LIMIT
        )));
    }
    let assignee = match params.assignee.as_deref() {
        None => None,
        Some("unassigned") => Some(AssigneeFilter::Unassigned),
        Some(id) => Some(AssigneeFilter::User(UserId(id.parse().map_err(|_| {
            AppError::InvalidParameter(format!(
                "assignee must be a user id or `unassigned`, not {id:?}"
            ))
        })?))),
    };
    let after = params.after.as_deref().map(PageCursor::decode).transpose().map_err(|_| {
        AppError::InvalidParameter("after is not a cursor this API returned".into())
    })?;
    Ok(ConversationFilter {
        statuses: params.status.into_iter().collect(),
        channels: params.channel.into_iter().collect(),
        assignee,
        team: params.team.map(TeamId),
        tag: params.tag,
        priority: params.priority,
        limit,
        after,
        ..ConversationFilter::default()
    })
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<AppJson<ConversationDetail>, AppError> {
    let id = ConversationId(id);
    let conversation = state.store.get_conversation(id).await?;
    let messages = state.store.conversation_messages(id).await?;
    let timeline = state.store.conversation_timeline(id).await?;
    let sla = state.store.conversation_sla(id).await?;
    Ok(AppJson(ConversationDetail { conversation, messages, timeline, sla }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn params(assignee: Option<&str>, after: Option<&str>, limit: Option<u32>) -> ListParams {
        ListParams {
            status: Some(ConversationStatus::Open),
            channel: None,
            tag: None,
            team: Some(3),
            assignee: assignee.map(str::to_owned),
            priority: None,
            limit,
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn list_parameters_become_the_store_filter() {
        let unassigned = filter(params(Some("unassigned"), None, None)).unwrap();
        assert_eq!(unassigned.statuses, [ConversationStatus::Open]);
        assert_eq!(unassigned.team, Some(TeamId(3)));
        assert_eq!(unassigned.assignee, Some(AssigneeFilter::Unassigned));
        assert_eq!(unassigned.limit, ConversationFilter::DEFAULT_LIMIT);
        let mine = filter(params(Some("12"), None, Some(5))).unwrap();
        assert_eq!(mine.assignee, Some(AssigneeFilter::User(UserId(12))));
        assert_eq!(mine.limit, 5);
    }

    #[test]
    fn a_bad_assignee_cursor_or_limit_is_refused_by_name() {
        let message = |params| filter(params).unwrap_err().to_string();
        assert!(message(params(Some("bob"), None, None)).contains("assignee"));
        assert!(message(params(None, Some("nope"), None)).contains("after"));
        assert!(message(params(None, None, Some(0))).contains("limit"));
    }
}
