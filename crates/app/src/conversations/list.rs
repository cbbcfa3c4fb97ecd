//! The conversation list: newest activity first, filtered by the fields every transport offers and
//! by the views of the inbox, paged with an opaque cursor.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use trellis_core::{
    AccountId, AssigneeFilter, Channel, Conversation, ConversationFilter, ConversationStatus,
    PageCursor, Priority, Store, TagName, TeamId, UserId,
};

/// A named slice of the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Assigned to the caller, not resolved.
    Mine,
    /// Nobody's yet, not resolved.
    Unassigned,
    /// Everything, resolved included.
    All,
}

/// Whose conversations: a user id, `me` or `unassigned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeParam {
    Me,
    Unassigned,
    User(UserId),
}

impl std::str::FromStr for AssigneeParam {
    type Err = ServiceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "me" => Ok(Self::Me),
            "unassigned" => Ok(Self::Unassigned),
            id => id.parse().map(|id| Self::User(UserId(id))).map_err(|_| {
                ServiceError::invalid_parameter(
                    "assignee",
                    format!("assignee must be a user id, `me` or `unassigned`, not {id:?}"),
                )
            }),
        }
    }
}

/// What a caller asks of the list, as the query string and the CLI flags say it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConversationQuery {
    pub view: Option<View>,
    pub status: Option<ConversationStatus>,
    pub channel: Option<Channel>,
    pub account: Option<i64>,
    pub tag: Option<TagName>,
    pub team: Option<i64>,
    /// A user id, `me` or `unassigned`.
    pub assignee: Option<String>,
    pub priority: Option<Priority>,
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// One page of the list.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationList {
    pub items: Vec<Conversation>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next: Option<String>,
}

impl ConversationQuery {
    /// The store filter this query means for `principal` (`me` and `mine` are the caller).
    pub fn to_filter(&self, principal: &Principal) -> ServiceResult<ConversationFilter> {
        let limit = self.limit.unwrap_or(ConversationFilter::DEFAULT_LIMIT);
        if limit == 0 || limit > ConversationFilter::MAX_LIMIT {
            return Err(ServiceError::invalid_parameter(
                "limit",
                format!("limit must be between 1 and {}", ConversationFilter::MAX_LIMIT),
            ));
        }
        let me = || {
            principal.user_id.map(AssigneeFilter::User).ok_or_else(|| {
                ServiceError::invalid_parameter("assignee", "`me` needs a signed-in user")
            })
        };
        let mut assignee = match self.assignee.as_deref().map(str::parse).transpose()? {
            None => None,
            Some(AssigneeParam::Me) => Some(me()?),
            Some(AssigneeParam::Unassigned) => Some(AssigneeFilter::Unassigned),
            Some(AssigneeParam::User(id)) => Some(AssigneeFilter::User(id)),
        };
        let mut statuses: Vec<ConversationStatus> = self.status.into_iter().collect();
        let unresolved =
            [ConversationStatus::Open, ConversationStatus::Pending, ConversationStatus::Snoozed];
        match self.view {
            None | Some(View::All) => {}
            Some(View::Mine) => {
                assignee = Some(me()?);
                if statuses.is_empty() {
                    statuses = unresolved.to_vec();
                }
            }
            Some(View::Unassigned) => {
                assignee = Some(AssigneeFilter::Unassigned);
                if statuses.is_empty() {
                    statuses = unresolved.to_vec();
                }
            }
        }
        let after = self.after.as_deref().map(PageCursor::decode).transpose().map_err(|_| {
            ServiceError::invalid_parameter("after", "after is not a cursor this API returned")
        })?;
        Ok(ConversationFilter {
            statuses,
            channels: self.channel.into_iter().collect(),
            account: self.account.map(AccountId),
            assignee,
            team: self.team.map(TeamId),
            tag: self.tag.clone(),
            priority: self.priority,
            limit,
            after,
            ..ConversationFilter::default()
        })
    }
}

pub async fn list_conversations(
    store: &dyn Store,
    principal: &Principal,
    query: &ConversationQuery,
) -> ServiceResult<ConversationList> {
    principal.require(Permission::ReadInbox)?;
    let filter = query.to_filter(principal)?;
    let page = store.list_conversations(&filter).await?;
    Ok(ConversationList { items: page.items, next: page.next.map(|cursor| cursor.encode()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Via;
    use trellis_core::Role;

    fn agent() -> Principal {
        Principal::user(&crate::access::tests::user(12, Role::Agent), Via::Session)
    }

    fn query(assignee: Option<&str>, after: Option<&str>, limit: Option<u32>) -> ConversationQuery {
        ConversationQuery {
            status: Some(ConversationStatus::Open),
            team: Some(3),
            assignee: assignee.map(str::to_owned),
            limit,
            after: after.map(str::to_owned),
            ..ConversationQuery::default()
        }
    }

    #[test]
    fn query_parameters_become_the_store_filter() {
        let unassigned = query(Some("unassigned"), None, None).to_filter(&agent()).unwrap();
        assert_eq!(unassigned.statuses, [ConversationStatus::Open]);
        assert_eq!(unassigned.team, Some(TeamId(3)));
        assert_eq!(unassigned.assignee, Some(AssigneeFilter::Unassigned));
        assert_eq!(unassigned.limit, ConversationFilter::DEFAULT_LIMIT);
        let theirs = query(Some("40"), None, Some(5)).to_filter(&agent()).unwrap();
        assert_eq!(theirs.assignee, Some(AssigneeFilter::User(UserId(40))));
        assert_eq!(theirs.limit, 5);
        let mine = query(Some("me"), None, None).to_filter(&agent()).unwrap();
        assert_eq!(mine.assignee, Some(AssigneeFilter::User(UserId(12))));
    }

    #[test]
    fn the_mine_view_is_the_callers_unresolved_conversations() {
        let view = ConversationQuery { view: Some(View::Mine), ..ConversationQuery::default() };
        let filter = view.to_filter(&agent()).unwrap();
        assert_eq!(filter.assignee, Some(AssigneeFilter::User(UserId(12))));
        assert!(!filter.statuses.contains(&ConversationStatus::Resolved));
        assert!(filter.statuses.contains(&ConversationStatus::Snoozed));
        let error = view.to_filter(&Principal::operator()).unwrap_err();
        assert!(error.to_string().contains("signed-in"), "{error}");
    }

    #[test]
    fn a_bad_assignee_cursor_or_limit_is_refused_by_name() {
        let field = |query: ConversationQuery| match query.to_filter(&agent()).unwrap_err() {
            ServiceError::InvalidParameter { field, .. } => field,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(field(query(Some("bob"), None, None)), "assignee");
        assert_eq!(field(query(None, Some("nope"), None)), "after");
        assert_eq!(field(query(None, None, Some(0))), "limit");
    }
}
