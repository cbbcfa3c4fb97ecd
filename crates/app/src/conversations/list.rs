//! The conversation list: newest activity first, filtered by the fields every transport offers and
//! by the views of the inbox, paged with an opaque cursor. Each item carries its SLA summary (the
//! worst clock state and the countdown's due time).

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use serde::{Deserialize, Deserializer, Serialize};
use trellis_core::{
    AccountId, AssigneeFilter, BrandId, Channel, ContactId, Conversation, ConversationFilter,
    ConversationStatus, PageCursor, Priority, SlaLevel, SlaSummary, Store, TagName, TeamId, UserId,
};

/// A named slice of the inbox. Every view but `all` leaves resolved conversations out unless a
/// `status` is asked for; the other parameters narrow a view further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Assigned to the caller, not resolved.
    Mine,
    /// Nobody's yet, not resolved.
    Unassigned,
    /// Routed to any team the caller is a member of, not resolved.
    MyTeams,
    /// Not resolved, with an SLA clock past its warning threshold and none breached.
    SlaAtRisk,
    /// Not resolved, with an SLA clock breached.
    Breached,
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
    pub brand: Option<i64>,
    pub tag: Option<TagName>,
    pub team: Option<i64>,
    /// A user id, `me` or `unassigned`.
    pub assignee: Option<String>,
    pub priority: Option<Priority>,
    /// SLA levels, any of; in a query string a comma list (`sla=warning,breached`).
    #[serde(default, deserialize_with = "comma_list")]
    pub sla: Vec<SlaLevel>,
    /// Conversations started by any of these contacts (empty: anyone). Not read from a query
    /// string: a contact's history sets it.
    #[serde(skip)]
    pub contacts: Vec<ContactId>,
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// `warning,breached` as its levels; an empty value is none.
fn comma_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SlaLevel>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
    text.split(',')
        .map(str::trim)
        .filter(|level| !level.is_empty())
        .map(|level| level.parse().map_err(serde::de::Error::custom))
        .collect()
}

/// One conversation of the list, with its SLA summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationListItem {
    #[serde(flatten)]
    pub conversation: Conversation,
    /// The worst state of its SLA clocks and when the next one falls due; `null` when no SLA
    /// policy times the conversation.
    pub sla: Option<SlaSummary>,
}

/// One page of the list.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationList {
    pub items: Vec<ConversationListItem>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next: Option<String>,
}

const UNRESOLVED: [ConversationStatus; 3] =
    [ConversationStatus::Open, ConversationStatus::Pending, ConversationStatus::Snoozed];

/// The signed-in user behind `principal`, which `what` needs.
fn signed_in(principal: &Principal, field: &'static str, what: &str) -> ServiceResult<UserId> {
    principal.user_id.ok_or_else(|| {
        ServiceError::invalid_parameter(field, format!("{what} needs a signed-in user"))
    })
}

/// `asked` narrowed to `allowed`: `allowed` itself when nothing was asked.
fn narrow<T: Copy + PartialEq>(allowed: &[T], asked: &[T]) -> Vec<T> {
    if asked.is_empty() {
        return allowed.to_vec();
    }
    asked.iter().copied().filter(|value| allowed.contains(value)).collect()
}

impl ConversationQuery {
    /// The store filter this query means for `principal` (`me` and `mine` are the caller), whose
    /// teams are `my_teams` (read only for the `my_teams` view), limited to the brands the
    /// principal works. `None` when nothing can match: the `my_teams` view for someone in no
    /// team, a view and a parameter that exclude each other (`view=breached&sla=ok`), or an agent
    /// asking for a brand they do not work.
    pub fn to_filter(
        &self,
        principal: &Principal,
        my_teams: &[TeamId],
    ) -> ServiceResult<Option<ConversationFilter>> {
        let limit = self.limit.unwrap_or(ConversationFilter::DEFAULT_LIMIT);
        if limit == 0 || limit > ConversationFilter::MAX_LIMIT {
            return Err(ServiceError::invalid_parameter(
                "limit",
                format!("limit must be between 1 and {}", ConversationFilter::MAX_LIMIT),
            ));
        }
        let me = || signed_in(principal, "assignee", "`me`").map(AssigneeFilter::User);
        let mut assignee = match self.assignee.as_deref().map(str::parse).transpose()? {
            None => None,
            Some(AssigneeParam::Me) => Some(me()?),
            Some(AssigneeParam::Unassigned) => Some(AssigneeFilter::Unassigned),
            Some(AssigneeParam::User(id)) => Some(AssigneeFilter::User(id)),
        };
        let mut statuses: Vec<ConversationStatus> = self.status.into_iter().collect();
        let mut teams: Vec<TeamId> = self.team.map(TeamId).into_iter().collect();
        let mut sla = self.sla.clone();
        match self.view {
            None | Some(View::All) => {}
            Some(View::Mine) => assignee = Some(me()?),
            Some(View::Unassigned) => assignee = Some(AssigneeFilter::Unassigned),
            Some(View::MyTeams) => {
                signed_in(principal, "view", "the my_teams view")?;
                teams = narrow(my_teams, &teams);
                if teams.is_empty() {
                    return Ok(None);
                }
            }
            Some(View::SlaAtRisk) => sla = narrow(&[SlaLevel::Warning], &sla),
            Some(View::Breached) => sla = narrow(&[SlaLevel::Breached], &sla),
        }
        if matches!(self.view, Some(View::SlaAtRisk | View::Breached)) && sla.is_empty() {
            return Ok(None);
        }
        if !matches!(self.view, None | Some(View::All)) && statuses.is_empty() {
            statuses = UNRESOLVED.to_vec();
        }
        let after = self.after.as_deref().map(PageCursor::decode).transpose().map_err(|_| {
            ServiceError::invalid_parameter("after", "after is not a cursor this API returned")
        })?;
        let asked: Vec<BrandId> = self.brand.map(BrandId).into_iter().collect();
        let Some(brands) = principal.brands.narrow(&asked) else {
            return Ok(None);
        };
        Ok(Some(ConversationFilter {
            statuses,
            channels: self.channel.into_iter().collect(),
            brands,
            account: self.account.map(AccountId),
            assignee,
            teams,
            contacts: self.contacts.clone(),
            sla,
            tag: self.tag.clone(),
            priority: self.priority,
            limit,
            after,
            ..ConversationFilter::default()
        }))
    }
}

pub async fn list_conversations(
    store: &dyn Store,
    principal: &Principal,
    query: &ConversationQuery,
) -> ServiceResult<ConversationList> {
    principal.require(Permission::ReadInbox)?;
    let my_teams = match query.view {
        Some(View::MyTeams) => {
            store.user_teams(signed_in(principal, "view", "the my_teams view")?).await?
        }
        _ => Vec::new(),
    };
    let Some(filter) = query.to_filter(principal, &my_teams)? else {
        return Ok(ConversationList { items: Vec::new(), next: None });
    };
    let mut page = store.list_conversations(&filter).await?;
    let items = page
        .items
        .into_iter()
        .map(|conversation| {
            let sla = page.sla.remove(&conversation.id);
            ConversationListItem { conversation, sla }
        })
        .collect();
    Ok(ConversationList { items, next: page.next.map(|cursor| cursor.encode()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{BrandScope, Via};
    use trellis_core::Role;

    /// An agent of a team that serves every brand.
    fn agent() -> Principal {
        let user = crate::access::tests::user(12, Role::Agent);
        Principal { brands: BrandScope::Every, ..Principal::user(&user, Via::Session) }
    }

    #[test]
    fn an_agent_lists_only_the_brands_they_work() {
        let scoped = |brands: Vec<i64>, asked: Option<i64>| {
            let agent = Principal {
                brands: BrandScope::Only(brands.into_iter().map(BrandId).collect()),
                ..agent()
            };
            let query = ConversationQuery { brand: asked, ..ConversationQuery::default() };
            query.to_filter(&agent, &[]).unwrap().map(|filter| filter.brands)
        };
        assert_eq!(scoped(vec![2, 4], None), Some(vec![BrandId(2), BrandId(4)]));
        assert_eq!(scoped(vec![2, 4], Some(4)), Some(vec![BrandId(4)]));
        assert_eq!(scoped(vec![2, 4], Some(3)), None, "another brand finds nothing");
        assert_eq!(scoped(vec![], None), None, "an agent in no team finds nothing");
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

    fn view(view: View) -> ConversationQuery {
        ConversationQuery { view: Some(view), ..ConversationQuery::default() }
    }

    /// The filter of `query` for the agent, a member of `teams`.
    fn filter(query: &ConversationQuery, teams: &[i64]) -> Option<ConversationFilter> {
        let teams: Vec<TeamId> = teams.iter().copied().map(TeamId).collect();
        query.to_filter(&agent(), &teams).unwrap()
    }

    #[test]
    fn query_parameters_become_the_store_filter() {
        let unassigned = filter(&query(Some("unassigned"), None, None), &[]).unwrap();
        assert_eq!(unassigned.statuses, [ConversationStatus::Open]);
        assert_eq!(unassigned.teams, [TeamId(3)]);
        assert_eq!(unassigned.assignee, Some(AssigneeFilter::Unassigned));
        assert_eq!(unassigned.limit, ConversationFilter::DEFAULT_LIMIT);
        let theirs = filter(&query(Some("40"), None, Some(5)), &[]).unwrap();
        assert_eq!(theirs.assignee, Some(AssigneeFilter::User(UserId(40))));
        assert_eq!(theirs.limit, 5);
        let mine = filter(&query(Some("me"), None, None), &[]).unwrap();
        assert_eq!(mine.assignee, Some(AssigneeFilter::User(UserId(12))));
        let scoped = ConversationQuery {
            brand: Some(7),
            sla: vec![SlaLevel::Ok, SlaLevel::Warning],
            ..ConversationQuery::default()
        };
        let scoped = filter(&scoped, &[]).unwrap();
        assert_eq!(scoped.brands, [BrandId(7)]);
        assert_eq!(scoped.sla, [SlaLevel::Ok, SlaLevel::Warning]);
        assert!(scoped.statuses.is_empty() && scoped.teams.is_empty());
    }

    #[test]
    fn the_mine_view_is_the_callers_unresolved_conversations() {
        let filter = view(View::Mine).to_filter(&agent(), &[]).unwrap().unwrap();
        assert_eq!(filter.assignee, Some(AssigneeFilter::User(UserId(12))));
        assert!(!filter.statuses.contains(&ConversationStatus::Resolved));
        assert!(filter.statuses.contains(&ConversationStatus::Snoozed));
        let error = view(View::Mine).to_filter(&Principal::operator(), &[]).unwrap_err();
        assert!(error.to_string().contains("signed-in"), "{error}");
    }

    #[test]
    fn the_my_teams_view_is_the_unresolved_conversations_of_the_callers_teams() {
        let mine = filter(&view(View::MyTeams), &[3, 5]).unwrap();
        assert_eq!(mine.teams, [TeamId(3), TeamId(5)]);
        assert_eq!(mine.statuses, UNRESOLVED);
        assert_eq!(mine.assignee, None, "assigned or not");
        // A team parameter narrows the view to that team, if it is one of the caller's.
        let one = ConversationQuery { team: Some(5), ..view(View::MyTeams) };
        assert_eq!(filter(&one, &[3, 5]).unwrap().teams, [TeamId(5)]);
        assert_eq!(filter(&one, &[3]), None, "not a team of theirs");
        // Someone in no team has nothing in this view (an empty team list would mean any team).
        assert_eq!(filter(&view(View::MyTeams), &[]), None);
        let error = view(View::MyTeams).to_filter(&Principal::operator(), &[]).unwrap_err();
        assert!(matches!(error, ServiceError::InvalidParameter { field: "view", .. }), "{error}");
    }

    #[test]
    fn the_sla_views_are_unresolved_conversations_at_their_level() {
        let at_risk = filter(&view(View::SlaAtRisk), &[]).unwrap();
        assert_eq!(at_risk.sla, [SlaLevel::Warning]);
        assert_eq!(at_risk.statuses, UNRESOLVED);
        let breached = filter(&view(View::Breached), &[]).unwrap();
        assert_eq!(breached.sla, [SlaLevel::Breached]);
        assert_eq!(breached.statuses, UNRESOLVED);
        // A status or a level asked for narrows the view; one it excludes leaves nothing.
        let resolved = ConversationQuery {
            status: Some(ConversationStatus::Resolved),
            ..view(View::Breached)
        };
        assert_eq!(filter(&resolved, &[]).unwrap().statuses, [ConversationStatus::Resolved]);
        let both = ConversationQuery {
            sla: vec![SlaLevel::Warning, SlaLevel::Breached],
            ..view(View::Breached)
        };
        assert_eq!(filter(&both, &[]).unwrap().sla, [SlaLevel::Breached]);
        let ok = ConversationQuery { sla: vec![SlaLevel::Ok], ..view(View::SlaAtRisk) };
        assert_eq!(filter(&ok, &[]), None);
        let all = filter(&view(View::All), &[]).unwrap();
        assert!(all.statuses.is_empty() && all.sla.is_empty());
    }

    #[test]
    fn sla_levels_are_read_from_a_comma_list() {
        let parse = |text: &str| {
            serde_json::from_value::<ConversationQuery>(serde_json::json!({ "sla": text }))
                .map(|query| query.sla)
        };
        assert_eq!(parse("warning").unwrap(), [SlaLevel::Warning]);
        assert_eq!(parse("warning, breached").unwrap(), [SlaLevel::Warning, SlaLevel::Breached]);
        assert_eq!(parse("").unwrap(), []);
        let error = parse("warning,late").unwrap_err().to_string();
        assert!(error.contains("late"), "{error}");
        let none = serde_json::from_value::<ConversationQuery>(serde_json::json!({})).unwrap();
        assert!(none.sla.is_empty());
    }

    #[test]
    fn a_bad_assignee_cursor_or_limit_is_refused_by_name() {
        let field = |query: ConversationQuery| match query.to_filter(&agent(), &[]).unwrap_err() {
            ServiceError::InvalidParameter { field, .. } => field,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(field(query(Some("bob"), None, None)), "assignee");
        assert_eq!(field(query(None, Some("nope"), None)), "after");
        assert_eq!(field(query(None, None, Some(0))), "limit");
    }

    #[test]
    fn list_items_carry_their_sla_summary_beside_the_conversation() {
        let conversation = Conversation {
            id: trellis_core::ConversationId(9),
            account_id: AccountId(1),
            brand_id: BrandId(1),
            channel: Channel::X,
            key: trellis_core::ConversationKey::from_stored("thread:1".into()),
            subject: None,
            contact_id: None,
            status: ConversationStatus::Open,
            priority: Priority::Normal,
            assignee_id: None,
            team_id: None,
            tags: Vec::new(),
            snoozed_until: None,
            message_count: 1,
            last_message_at: chrono::DateTime::UNIX_EPOCH,
            last_inbound_at: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        };
        let sla = SlaSummary { level: SlaLevel::Warning, due_at: None };
        let item = ConversationListItem { conversation, sla: Some(sla) };
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(json["id"], 9, "the conversation's fields stay at the top level");
        assert_eq!(json["sla"], serde_json::json!({ "level": "warning", "due_at": null }));
    }
}
