//! The changes agents make to a conversation: status, priority, assignee, team, snooze and tags,
//! one at a time or many at once, each recorded on the timeline under the principal acting.

use crate::access::{BrandScope, Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use trellis_core::{
    Conversation, ConversationId, ConversationPatch, ConversationStatus, Priority, Store, TagName,
    TeamId, UserId,
};

/// The most conversations one bulk change may touch.
pub const BULK_LIMIT: usize = 200;

/// A change to a conversation. Absent fields stay as they are; `null` clears the assignee, the
/// team or the snooze.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationChange {
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "present")]
    pub assignee_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "present")]
    pub team_id: Option<Option<TeamId>>,
    /// Snoozing sets the status to `snoozed` until then; the conversation reopens at that time or
    /// when a new message comes.
    #[serde(default, deserialize_with = "present")]
    pub snoozed_until: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    pub add_tags: Vec<TagName>,
    #[serde(default)]
    pub remove_tags: Vec<TagName>,
}

/// A field that is present, even as `null`, is `Some`: `null` means "clear it".
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

impl ConversationChange {
    pub fn status(status: ConversationStatus) -> Self {
        Self { status: Some(status), ..Self::default() }
    }

    pub fn assign(user: Option<UserId>) -> Self {
        Self { assignee_id: Some(user), ..Self::default() }
    }

    pub fn snooze(until: DateTime<Utc>) -> Self {
        Self { snoozed_until: Some(Some(until)), ..Self::default() }
    }

    pub fn tags(add: Vec<TagName>, remove: Vec<TagName>) -> Self {
        Self { add_tags: add, remove_tags: remove, ..Self::default() }
    }

    /// The store patch this change means at `now`, checked: a snooze lies in the future, the
    /// status and the snooze agree, a tag is not both added and removed.
    pub fn to_patch(&self, now: DateTime<Utc>) -> ServiceResult<ConversationPatch> {
        let mut patch = ConversationPatch {
            status: self.status,
            priority: self.priority,
            assignee_id: self.assignee_id,
            team_id: self.team_id,
            snoozed_until: self.snoozed_until,
            add_tags: self.add_tags.clone(),
            remove_tags: self.remove_tags.clone(),
        };
        if patch.is_empty() {
            return Err(ServiceError::Invalid("the change changes nothing".into()));
        }
        if let Some(tag) = patch.add_tags.iter().find(|tag| patch.remove_tags.contains(tag)) {
            return Err(ServiceError::invalid_parameter(
                "add_tags",
                format!("tag {tag} is both added and removed"),
            ));
        }
        match (patch.status, patch.snoozed_until) {
            (_, Some(Some(until))) if until <= now => {
                return Err(ServiceError::invalid_parameter(
                    "snoozed_until",
                    "snoozed_until must be in the future",
                ));
            }
            (None | Some(ConversationStatus::Snoozed), Some(Some(_))) => {
                patch.status = Some(ConversationStatus::Snoozed);
            }
            (Some(status), Some(Some(_))) => {
                return Err(ServiceError::invalid_parameter(
                    "snoozed_until",
                    format!("a {status} conversation cannot be snoozed; leave status out"),
                ));
            }
            (Some(ConversationStatus::Snoozed), _) => {
                return Err(ServiceError::invalid_parameter(
                    "snoozed_until",
                    "snoozing needs snoozed_until",
                ));
            }
            // Leaving the snooze by any other status ends it.
            (Some(_), None) => patch.snoozed_until = Some(None),
            (_, _) => {}
        }
        Ok(patch)
    }
}

/// Applies `change` to one conversation, recording each changed field on its timeline.
pub async fn patch(
    store: &dyn Store,
    principal: &Principal,
    id: ConversationId,
    change: &ConversationChange,
) -> ServiceResult<Conversation> {
    principal.require(Permission::WorkConversations)?;
    let patch = change.to_patch(Utc::now())?;
    check_references(store, &patch).await?;
    let conversation = super::visible(store, principal, id).await?;
    check_assignee_serves(store, &patch, &conversation).await?;
    Ok(store.patch_conversation(id, patch, principal.actor()).await?)
}

/// The caller takes an unassigned conversation; refused when someone holds it already.
pub async fn take(
    store: &dyn Store,
    principal: &Principal,
    id: ConversationId,
) -> ServiceResult<Conversation> {
    principal.require(Permission::WorkConversations)?;
    let me = principal.user_id.ok_or_else(|| {
        ServiceError::Invalid("taking a conversation needs a signed-in user".into())
    })?;
    super::visible(store, principal, id).await?;
    match store.assign_if_unassigned(id, me, principal.actor()).await? {
        Some(conversation) => Ok(conversation),
        None => {
            let conversation = store.get_conversation(id).await?;
            Err(match conversation.assignee_id {
                Some(holder) if holder == me => {
                    ServiceError::Conflict("you hold this conversation already".into())
                }
                Some(holder) => {
                    ServiceError::Conflict(format!("user {holder} holds this conversation"))
                }
                None => ServiceError::Conflict("a resolved conversation cannot be taken".into()),
            })
        }
    }
}

/// What a bulk change did to each conversation, in the order asked.
#[derive(Debug, Clone, Serialize)]
pub struct BulkOutcome {
    pub id: ConversationId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    /// Why this one was not changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Applies one change to many conversations. The change is checked once; a conversation that
/// cannot take it (gone, say) is reported and the others are still changed.
pub async fn bulk_update(
    store: &dyn Store,
    principal: &Principal,
    ids: &[ConversationId],
    change: &ConversationChange,
) -> ServiceResult<Vec<BulkOutcome>> {
    principal.require(Permission::WorkConversations)?;
    if ids.is_empty() || ids.len() > BULK_LIMIT {
        return Err(ServiceError::invalid_parameter(
            "ids",
            format!("ids must name 1 to {BULK_LIMIT} conversations"),
        ));
    }
    let patch = change.to_patch(Utc::now())?;
    check_references(store, &patch).await?;
    let mut outcomes = Vec::with_capacity(ids.len());
    for &id in ids {
        let outcome = match patch_one(store, principal, id, &patch).await {
            Ok(conversation) => BulkOutcome { id, conversation: Some(conversation), error: None },
            Err(error) => BulkOutcome { id, conversation: None, error: Some(error.to_string()) },
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

async fn patch_one(
    store: &dyn Store,
    principal: &Principal,
    id: ConversationId,
    patch: &ConversationPatch,
) -> ServiceResult<Conversation> {
    let conversation = super::visible(store, principal, id).await?;
    check_assignee_serves(store, patch, &conversation).await?;
    Ok(store.patch_conversation(id, patch.clone(), principal.actor()).await?)
}

/// An agent assigned a conversation serves its brand: otherwise they could not open it.
/// Supervisors and admins serve every brand.
async fn check_assignee_serves(
    store: &dyn Store,
    patch: &ConversationPatch,
    conversation: &Conversation,
) -> ServiceResult<()> {
    let Some(Some(user)) = patch.assignee_id else { return Ok(()) };
    let user = store.get_user(user).await?;
    if BrandScope::of(store, &user).await?.serves(conversation.brand_id) {
        return Ok(());
    }
    Err(ServiceError::invalid_parameter(
        "assignee_id",
        format!(
            "{} works no team serving brand {} of conversation {}",
            user.name, conversation.brand_id, conversation.id
        ),
    ))
}

/// The assignee and the team a patch names exist.
async fn check_references(store: &dyn Store, patch: &ConversationPatch) -> ServiceResult<()> {
    if let Some(Some(user)) = patch.assignee_id {
        store.get_user(user).await.map_err(|_| {
            ServiceError::invalid_parameter("assignee_id", format!("there is no user {user}"))
        })?;
    }
    if let Some(Some(team)) = patch.team_id {
        let teams = store.list_teams().await?;
        if !teams.iter().any(|known| known.id == team) {
            return Err(ServiceError::invalid_parameter(
                "team_id",
                format!("there is no team {team}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn tag(name: &str) -> TagName {
        name.parse().unwrap()
    }

    #[test]
    fn null_clears_and_absence_keeps() {
        let change: ConversationChange = serde_json::from_str(r#"{"assignee_id":null}"#).unwrap();
        assert_eq!(change.assignee_id, Some(None));
        assert_eq!(change.team_id, None);
        let change: ConversationChange = serde_json::from_str(r#"{"assignee_id":4}"#).unwrap();
        assert_eq!(change.assignee_id, Some(Some(UserId(4))));
        assert!(serde_json::from_str::<ConversationChange>(r#"{"asignee_id":4}"#).is_err());
    }

    #[test]
    fn a_snooze_sets_the_status_and_must_lie_ahead() {
        let now = Utc::now();
        let patch = ConversationChange::snooze(now + Duration::hours(2)).to_patch(now).unwrap();
        assert_eq!(patch.status, Some(ConversationStatus::Snoozed));
        let past = ConversationChange::snooze(now - Duration::minutes(1)).to_patch(now);
        assert!(past.unwrap_err().to_string().contains("future"));
        let bare = ConversationChange::status(ConversationStatus::Snoozed).to_patch(now);
        assert!(bare.unwrap_err().to_string().contains("snoozed_until"));
    }

    #[test]
    fn reopening_or_resolving_ends_a_snooze() {
        let now = Utc::now();
        let patch = ConversationChange::status(ConversationStatus::Open).to_patch(now).unwrap();
        assert_eq!(patch.snoozed_until, Some(None));
    }

    #[test]
    fn an_empty_or_contradictory_change_is_refused() {
        let now = Utc::now();
        assert!(ConversationChange::default().to_patch(now).is_err());
        let both = ConversationChange::tags(vec![tag("vip")], vec![tag("vip")]).to_patch(now);
        assert!(both.unwrap_err().to_string().contains("vip"));
    }
}
