//! Personal API tokens: created by their owner (or an admin for anyone), shown once, kept hashed,
//! acting with their owner's role, revocable, their last use recorded.

use super::audit;
use super::secrets::{digest, new_token, TOKEN_PREFIX};
use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use trellis_core::{ApiToken, ApiTokenId, NewApiToken, Store, UserId};

/// A token just created: `secret` is shown this once and never again.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

pub async fn create(
    store: &dyn Store,
    principal: &Principal,
    owner: UserId,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
) -> ServiceResult<CreatedToken> {
    may_manage(principal, owner)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid_parameter("name", "name must have 1 to 100 characters"));
    }
    let now = Utc::now();
    if expires_at.is_some_and(|expires_at| expires_at <= now) {
        return Err(ServiceError::invalid_parameter("expires_at", "expires_at must be ahead"));
    }
    let secret = new_token();
    let token = store
        .create_api_token(NewApiToken {
            user_id: owner,
            name: name.to_owned(),
            token_hash: digest(&secret),
            prefix: secret.chars().take(TOKEN_PREFIX.len() + 4).collect(),
            created_at: now,
            expires_at,
        })
        .await?;
    audit::record(store, principal, "token.created", "token", token.id, None::<()>, Some(&token))
        .await?;
    Ok(CreatedToken { token, secret })
}

/// `owner`'s tokens, or everyone's with `None` (admins only).
pub async fn list(
    store: &dyn Store,
    principal: &Principal,
    owner: Option<UserId>,
) -> ServiceResult<Vec<ApiToken>> {
    match owner {
        Some(owner) => may_manage(principal, owner)?,
        None => principal.require(Permission::ManageAllTokens)?,
    }
    Ok(store.api_tokens(owner).await?)
}

pub async fn revoke(
    store: &dyn Store,
    principal: &Principal,
    id: ApiTokenId,
) -> ServiceResult<ApiToken> {
    let before = store.get_api_token(id).await?;
    // Someone else's token is "not found" to a non-admin: its existence is not theirs to learn.
    if may_manage(principal, before.user_id).is_err() {
        return Err(ServiceError::NotFound(format!("token {id} not found")));
    }
    let after = store.revoke_api_token(id, Utc::now()).await?;
    audit::record(store, principal, "token.revoked", "token", id, Some(&before), Some(&after))
        .await?;
    Ok(after)
}

fn may_manage(principal: &Principal, owner: UserId) -> ServiceResult<()> {
    if principal.is(owner) {
        return Ok(());
    }
    principal.require(Permission::ManageAllTokens)
}
