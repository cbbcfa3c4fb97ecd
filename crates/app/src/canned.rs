//! Canned replies: the answers agents insert by shortcut (`/refund`) and rules send. Everyone
//! reads them; supervisors write them, audited. The REST API and `trellis canned` both call here.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::audit;
use serde::Deserialize;
use trellis_core::{CannedReply, CannedReplyId, CannedReplyInput, Store};

/// A change to a canned reply; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedChange {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
}

pub async fn list(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<CannedReply>> {
    principal.require(Permission::ReadInbox)?;
    Ok(store.list_canned_replies().await?)
}

pub async fn create(
    store: &dyn Store,
    principal: &Principal,
    input: CannedReplyInput,
) -> ServiceResult<CannedReply> {
    principal.require(Permission::ManageWorkflow)?;
    let input = checked(input)?;
    let reply = store.create_canned_reply(input).await?;
    audit::record(
        store,
        principal,
        "canned.created",
        "canned_reply",
        reply.id,
        None::<()>,
        Some(&reply),
    )
    .await?;
    Ok(reply)
}

pub async fn update(
    store: &dyn Store,
    principal: &Principal,
    id: CannedReplyId,
    change: CannedChange,
) -> ServiceResult<CannedReply> {
    principal.require(Permission::ManageWorkflow)?;
    let before = find(store, id).await?;
    let input = checked(CannedReplyInput {
        shortcut: change.shortcut.unwrap_or_else(|| before.shortcut.clone()),
        title: change.title.unwrap_or_else(|| before.title.clone()),
        body: change.body.unwrap_or_else(|| before.body.clone()),
    })?;
    let after = store.update_canned_reply(id, input).await?;
    audit::record(
        store,
        principal,
        "canned.updated",
        "canned_reply",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

pub async fn delete(
    store: &dyn Store,
    principal: &Principal,
    id: CannedReplyId,
) -> ServiceResult<CannedReply> {
    principal.require(Permission::ManageWorkflow)?;
    let before = find(store, id).await?;
    store.delete_canned_reply(id).await?;
    audit::record(
        store,
        principal,
        "canned.deleted",
        "canned_reply",
        id,
        Some(&before),
        None::<()>,
    )
    .await?;
    Ok(before)
}

pub async fn find(store: &dyn Store, id: CannedReplyId) -> ServiceResult<CannedReply> {
    store
        .list_canned_replies()
        .await?
        .into_iter()
        .find(|reply| reply.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("canned reply {id} not found")))
}

/// A shortcut is one word an agent types, starting with `/`; title and body are not blank.
fn checked(input: CannedReplyInput) -> ServiceResult<CannedReplyInput> {
    let shortcut = input.shortcut.trim().to_owned();
    if shortcut.len() < 2 || !shortcut.starts_with('/') || shortcut.contains(char::is_whitespace) {
        return Err(ServiceError::invalid_parameter(
            "shortcut",
            format!(
                "invalid shortcut {:?}: expected one word starting with /, e.g. /refund",
                input.shortcut
            ),
        ));
    }
    if input.title.trim().is_empty() {
        return Err(ServiceError::invalid_parameter("title", "the title must not be blank"));
    }
    if input.body.trim().is_empty() || input.body.chars().count() > 10_000 {
        return Err(ServiceError::invalid_parameter("body", "the body has 1 to 10,000 characters"));
    }
    Ok(CannedReplyInput { shortcut, ..input })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(shortcut: &str) -> CannedReplyInput {
        CannedReplyInput {
            shortcut: shortcut.into(),
            title: "Refund".into(),
            body: "Sorry!".into(),
        }
    }

    #[test]
    fn a_shortcut_is_one_word_starting_with_a_slash() {
        assert_eq!(checked(input(" /refund ")).unwrap().shortcut, "/refund");
        for bad in ["refund", "/", "/two words", ""] {
            let error = checked(input(bad)).unwrap_err();
            assert!(
                matches!(error, ServiceError::InvalidParameter { field: "shortcut", .. }),
                "{bad}"
            );
        }
        let blank = CannedReplyInput { body: " ".into(), ..input("/refund") };
        assert!(checked(blank).is_err());
    }
}
