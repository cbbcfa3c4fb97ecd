//! People and their roles: creating users with a password, changing roles, deactivating and
//! reactivating, passwords changed by their owner or reset by an admin. Each change is in the
//! audit log; a password change ends the user's other sessions.

use super::audit;
use super::passwords;
use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use chrono::Utc;
use serde::Deserialize;
use trellis_core::{NewUser, Role, Store, User, UserId};

/// A user to create, as an admin gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Without one the user cannot sign in until an admin sets one.
    #[serde(default)]
    pub password: Option<String>,
}

pub async fn create_user(
    store: &dyn Store,
    principal: &Principal,
    input: NewUserInput,
) -> ServiceResult<User> {
    principal.require(Permission::ManageUsers)?;
    let email = input.email.trim().to_owned();
    let name = input.name.trim().to_owned();
    if !looks_like_email(&email) {
        return Err(ServiceError::invalid_parameter("email", "email must look like name@domain"));
    }
    if name.is_empty() {
        return Err(ServiceError::invalid_parameter("name", "name must not be blank"));
    }
    let hash = match &input.password {
        Some(password) => {
            passwords::check_strength(password, &[&email, &name])?;
            Some(passwords::hash(password).await?)
        }
        None => None,
    };
    let user = store.create_user(NewUser { email, name, role: input.role }).await?;
    if let Some(hash) = hash {
        store.set_password_hash(user.id, &hash, Utc::now()).await?;
    }
    audit::record(store, principal, "user.created", "user", user.id, None::<()>, Some(&user))
        .await?;
    Ok(user)
}

pub async fn set_role(
    store: &dyn Store,
    principal: &Principal,
    id: UserId,
    role: Role,
) -> ServiceResult<User> {
    principal.require(Permission::ManageUsers)?;
    audited(store, principal, id, "user.role_changed", store.set_user_role(id, role)).await
}

pub async fn set_name(
    store: &dyn Store,
    principal: &Principal,
    id: UserId,
    name: &str,
) -> ServiceResult<User> {
    if !principal.is(id) {
        principal.require(Permission::ManageUsers)?;
    }
    audited(store, principal, id, "user.renamed", store.set_user_name(id, name)).await
}

/// Deactivates a user: their sessions end and their tokens are revoked at once.
pub async fn deactivate(
    store: &dyn Store,
    principal: &Principal,
    id: UserId,
) -> ServiceResult<User> {
    principal.require(Permission::ManageUsers)?;
    audited(store, principal, id, "user.deactivated", store.deactivate_user(id, Utc::now())).await
}

pub async fn reactivate(
    store: &dyn Store,
    principal: &Principal,
    id: UserId,
) -> ServiceResult<User> {
    principal.require(Permission::ManageUsers)?;
    audited(store, principal, id, "user.reactivated", store.reactivate_user(id)).await
}

/// Applies `change` to user `id` and records `action` with the user before and after. The user
/// is read before `change` is awaited: a future does nothing until then.
async fn audited(
    store: &dyn Store,
    principal: &Principal,
    id: UserId,
    action: &str,
    change: impl std::future::Future<Output = trellis_core::StoreResult<User>>,
) -> ServiceResult<User> {
    let before = store.get_user(id).await?;
    let after = change.await?;
    audit::record(store, principal, action, "user", id, Some(&before), Some(&after)).await?;
    Ok(after)
}

/// The signed-in user changes their own password, proving the current one. Every other session
/// of theirs ends; `this_session` (the hash of the one asking) stays.
pub async fn change_own_password(
    store: &dyn Store,
    principal: &Principal,
    current: &str,
    new: &str,
    this_session: Option<&str>,
) -> ServiceResult<()> {
    let id = principal
        .user_id
        .ok_or_else(|| ServiceError::Invalid("only a signed-in user has a password".into()))?;
    let user = store.get_user(id).await?;
    let hash = store.user_password_hash(id).await?;
    let matches = passwords::verify(current, hash.as_deref().unwrap_or(passwords::decoy_hash()))
        .await
        && hash.is_some();
    if !matches {
        return Err(ServiceError::invalid_parameter(
            "current_password",
            "the current password is not right",
        ));
    }
    store_password(store, principal, &user, new, this_session).await
}

/// An admin (or the CLI) sets a user's password; every session of that user ends.
pub async fn set_password(
    store: &dyn Store,
    principal: &Principal,
    id: UserId,
    new: &str,
) -> ServiceResult<()> {
    if !principal.is(id) {
        principal.require(Permission::ManageUsers)?;
    }
    let user = store.get_user(id).await?;
    store_password(store, principal, &user, new, None).await
}

async fn store_password(
    store: &dyn Store,
    principal: &Principal,
    user: &User,
    new: &str,
    keep_session: Option<&str>,
) -> ServiceResult<()> {
    passwords::check_strength(new, &[&user.email, &user.name])?;
    let hash = passwords::hash(new).await?;
    store.set_password_hash(user.id, &hash, Utc::now()).await?;
    let ended = store.delete_user_sessions(user.id, keep_session).await?;
    tracing::info!(user_id = %user.id, sessions_ended = ended, "password changed");
    audit::record(
        store,
        principal,
        "user.password_changed",
        "user",
        user.id,
        None::<()>,
        None::<()>,
    )
    .await
}

/// Every user, for anyone signed in (agents assign to each other).
pub async fn list(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<User>> {
    principal.require(Permission::ReadInbox)?;
    Ok(store.list_users().await?)
}

/// Whether an active admin exists: until one does, `serve` offers a setup link.
pub async fn has_admin(store: &dyn Store) -> ServiceResult<bool> {
    Ok(store.count_active_admins().await? > 0)
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_needs_a_local_part_and_a_dotted_domain() {
        assert!(looks_like_email("ada@example.com"));
        assert!(!looks_like_email("ada@localhost"));
        assert!(!looks_like_email("@example.com"));
        assert!(!looks_like_email("ada lovelace@example.com"));
        assert!(!looks_like_email("ada.example.com"));
    }
}
