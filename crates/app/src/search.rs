//! Full-text search as a principal may run it: an agent finds only messages of the brands their
//! teams serve, whatever the query says.

use crate::access::{BrandScope, Permission, Principal};
use crate::error::ServiceResult;
use std::sync::Arc;
use trellis_core::{SearchIndex, SearchRequest, SearchResults};

/// Runs `request` for `principal` on the blocking pool (tantivy searches are CPU work).
pub async fn search(
    index: Arc<dyn SearchIndex>,
    principal: &Principal,
    mut request: SearchRequest,
) -> ServiceResult<SearchResults> {
    principal.require(Permission::ReadInbox)?;
    request.brands = match &principal.brands {
        BrandScope::Every => request.brands,
        BrandScope::Only(mine) => Some(match request.brands {
            None => mine.clone(),
            Some(asked) => asked.into_iter().filter(|brand| principal.serves(*brand)).collect(),
        }),
    };
    let results = tokio::task::spawn_blocking(move || index.search(&request)).await;
    Ok(results.map_err(|error| crate::error::ServiceError::Internal(error.to_string()))??)
}
