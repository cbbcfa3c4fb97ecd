//! Conversation tags in use, for the inbox's tag views and the tag picker. Everyone reads them.

use crate::access::{Permission, Principal};
use crate::error::ServiceResult;
use trellis_core::store::TagCount;
use trellis_core::Store;

/// Every tag some conversation carries, by name, with how many open conversations of the
/// caller's brands carry it. The names are not scoped: tags are one vocabulary for the whole
/// deployment (rules and canned replies share them), and a name tells nothing of a conversation.
pub async fn list(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<TagCount>> {
    principal.require(Permission::ReadInbox)?;
    match principal.brands.narrow(&[]) {
        Some(brands) => Ok(store.tag_counts(&brands).await?),
        // No brand at all: the names, none of them open for this caller.
        None => {
            let mut counts = store.tag_counts(&[]).await?;
            for count in &mut counts {
                count.open = 0;
            }
            Ok(counts)
        }
    }
}
