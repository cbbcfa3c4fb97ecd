//! The first admin. While no active admin exists, `serve` issues a one-time setup secret and logs
//! a link holding it; whoever opens the link (the operator, who can read the log) creates the
//! first admin with it. The store keeps only the secret's hash, as a connect flow of its own kind,
//! taken once, so of several nodes (or several clicks) exactly one creates the admin. The same is
//! done from the shell with `trellis user add --role admin --password-stdin`.

use super::secrets::{digest, random_secret};
use super::users::{self, NewUserInput};
use crate::access::{Principal, Via};
use crate::error::{ServiceError, ServiceResult};
use chrono::{Duration, Utc};
use trellis_core::{ConnectFlow, Role, SealedSecret, Store, User};

const KIND: &str = "first_admin";
/// How long a setup link works; a restart of `serve` issues a new one while no admin exists.
pub const SETUP_LINK_LIFETIME_HOURS: i64 = 24;

/// A new setup secret when no active admin exists, `None` when one does.
pub async fn issue(store: &dyn Store) -> ServiceResult<Option<String>> {
    if users::has_admin(store).await? {
        return Ok(None);
    }
    let secret = random_secret();
    let now = Utc::now();
    store
        .put_connect_flow(ConnectFlow {
            token: digest(&secret),
            kind: KIND.to_owned(),
            sealed: SealedSecret(String::new()),
            created_at: now,
            expires_at: now + Duration::hours(SETUP_LINK_LIFETIME_HOURS),
        })
        .await?;
    Ok(Some(secret))
}

/// The first admin, created with the setup `secret`; refused when the secret is unknown, used or
/// expired, or when an admin exists already.
pub async fn complete(
    store: &dyn Store,
    secret: &str,
    email: String,
    name: String,
    password: String,
    address: Option<String>,
) -> ServiceResult<User> {
    if users::has_admin(store).await? {
        return Err(ServiceError::Conflict("an admin exists already: sign in instead".into()));
    }
    // The password is checked before the secret is spent, so a weak one can be corrected.
    super::passwords::check_strength(&password, &[&email, &name])?;
    let taken = store.take_connect_flow(KIND, &digest(secret), Utc::now()).await?;
    if taken.is_none() {
        return Err(ServiceError::Unauthenticated(
            "this setup link is unknown, used or expired: restart `trellis serve` for a new one"
                .into(),
        ));
    }
    let principal = Principal { address, via: Via::Setup, ..Principal::operator() };
    let input = NewUserInput { email, name, role: Role::Admin, password: Some(password) };
    users::create_user(store, &principal, input).await
}
