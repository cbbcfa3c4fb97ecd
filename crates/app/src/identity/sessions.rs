//! Signing in and proving who is asking: browser sessions (a random id in a cookie, its hash in
//! the store, idle and absolute expiry) and personal API tokens. Sign-in attempts are throttled
//! per address and per email with growing waits, in the store so every node counts alike, and an
//! unknown email gets the same answer, after the same work, as a wrong password.

use super::passwords;
use super::secrets::{csrf_token, digest, random_secret, TOKEN_PREFIX};
use crate::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Duration, Utc};
use trellis_core::{ApiToken, NewSession, SessionWithUser, Store, User};

/// How long sessions last; `[auth]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in however much it is used.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle: Duration::hours(12), absolute: Duration::days(7) }
    }
}

/// How sign-in attempts are throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failures are counted over this window.
    pub window: Duration,
    /// Failures for one email before waits begin.
    pub free_per_email: u32,
    /// Failures from one address before waits begin (higher: an office shares one address).
    pub free_per_address: u32,
    /// The longest wait.
    pub max_wait: Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            free_per_email: 3,
            free_per_address: 10,
            max_wait: Duration::minutes(15),
        }
    }
}

/// The same words for every refused sign-in: which part was wrong is not told.
pub const WRONG_CREDENTIALS: &str = "the email or the password is not right";

/// Who is signing in and from where.
#[derive(Debug, Clone)]
pub struct SignIn<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// A new session: the secret for the cookie (shown once, never stored) and its CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub secret: String,
    pub csrf_token: String,
    pub session: SessionWithUser,
}

/// Signs a user in with email and password, opening a session.
pub async fn sign_in(
    store: &dyn Store,
    policy: SessionPolicy,
    throttle: Throttle,
    attempt: SignIn<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<SignedIn> {
    let email_key = format!("email:{}", attempt.email.trim().to_lowercase());
    let address_key = attempt.address.as_deref().map(|address| format!("address:{address}"));
    let since = now - throttle.window;
    let mut wait = wait_needed(
        store.login_failures(&email_key, since).await?,
        throttle.free_per_email,
        throttle.max_wait,
        now,
    );
    if let Some(key) = &address_key {
        let failures = store.login_failures(key, since).await?;
        wait = wait.max(wait_needed(failures, throttle.free_per_address, throttle.max_wait, now));
    }
    if let Some(wait) = wait {
        let retry_after_secs = u64::try_from(wait.num_seconds()).unwrap_or(1).max(1);
        return Err(ServiceError::TooManyAttempts {
            retry_after_secs,
            message: format!("too many failed sign-ins; try again in {retry_after_secs} seconds"),
        });
    }

    let user = store.find_user_by_email(attempt.email.trim()).await?;
    let hash = match &user {
        Some(user) => store.user_password_hash(user.id).await?,
        None => None,
    };
    // The same hashing work whether or not the user exists or has a password.
    let matches =
        passwords::verify(attempt.password, hash.as_deref().unwrap_or(passwords::decoy_hash()))
            .await
            && hash.is_some();
    let user = match user {
        Some(user) if matches && user.deactivated_at.is_none() => user,
        _ => {
            store.record_login_failure(&email_key, now).await?;
            if let Some(key) = &address_key {
                store.record_login_failure(key, now).await?;
            }
            return Err(ServiceError::Unauthenticated(WRONG_CREDENTIALS.into()));
        }
    };
    store.clear_login_failures(&email_key).await?;
    open_session(store, policy, &user, attempt.address, attempt.user_agent, now).await
}

/// Opens a session for `user` (signed in already, or just set up).
pub async fn open_session(
    store: &dyn Store,
    policy: SessionPolicy,
    user: &User,
    address: Option<String>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<SignedIn> {
    let secret = random_secret();
    let absolute_expires_at = now + policy.absolute;
    let session = store
        .create_session(NewSession {
            id_hash: digest(&secret),
            user_id: user.id,
            created_at: now,
            idle_expires_at: (now + policy.idle).min(absolute_expires_at),
            absolute_expires_at,
            user_agent: user_agent.map(|agent| agent.chars().take(256).collect()),
            address,
        })
        .await?;
    let csrf_token = csrf_token(&secret);
    Ok(SignedIn { secret, csrf_token, session: SessionWithUser { session, user: user.clone() } })
}

/// The live session whose cookie holds `secret`, its idle expiry moved on; `None` when there is
/// none (expired, signed out, user deactivated).
pub async fn session_for(
    store: &dyn Store,
    policy: SessionPolicy,
    secret: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<SessionWithUser>> {
    Ok(store.touch_session(&digest(secret), now, now + policy.idle).await?)
}

/// The usable API token `secret` and its user; `None` for anything else.
pub async fn token_for(
    store: &dyn Store,
    secret: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<(ApiToken, User)>> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(store.authenticate_api_token(&digest(secret), now).await?)
}

/// Ends the session whose cookie holds `secret`.
pub async fn sign_out(store: &dyn Store, secret: &str) -> ServiceResult<()> {
    store.delete_session(&digest(secret)).await?;
    Ok(())
}

/// How long a sign-in must still wait after `failures`, if at all: none for the first `free`
/// failures, then 1 s, 2 s, 4 s … after the last failure, up to `max_wait`.
fn wait_needed(
    failures: trellis_core::LoginFailures,
    free: u32,
    max_wait: Duration,
    now: DateTime<Utc>,
) -> Option<Duration> {
    let last = failures.last_at?;
    let over = failures.count.checked_sub(free)?;
    let wait = Duration::seconds(1_i64 << over.min(20)).min(max_wait);
    let remaining = last + wait - now;
    (remaining > Duration::zero()).then_some(remaining)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_core::LoginFailures;

    fn failures(count: u32, seconds_ago: i64, now: DateTime<Utc>) -> LoginFailures {
        LoginFailures { count, last_at: Some(now - Duration::seconds(seconds_ago)) }
    }

    #[test]
    fn waits_begin_after_the_free_failures_and_double() {
        let now = Utc::now();
        let max = Duration::minutes(15);
        assert_eq!(wait_needed(failures(2, 0, now), 3, max, now), None);
        assert_eq!(wait_needed(failures(3, 0, now), 3, max, now), Some(Duration::seconds(1)));
        assert_eq!(wait_needed(failures(5, 0, now), 3, max, now), Some(Duration::seconds(4)));
        assert_eq!(wait_needed(failures(5, 3, now), 3, max, now), Some(Duration::seconds(1)));
        assert_eq!(wait_needed(failures(5, 4, now), 3, max, now), None);
        assert_eq!(wait_needed(failures(60, 0, now), 3, max, now), Some(max));
        assert_eq!(wait_needed(LoginFailures::default(), 0, max, now), None);
    }
}
