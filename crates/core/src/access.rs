//! Who may come in: users' passwords and standing, browser sessions, personal API tokens, the audit
//! log of what was done, and the failed sign-ins that slow down guessing.
//!
//! The store keeps no secret that a copy of the database would give away: a password arrives as a
//! PHC string the caller hashed with argon2, a session as the hash of the random id its cookie
//! holds, an API token as the SHA-256 of its secret. Everything here is shared by every node, so a
//! session opened on one node holds on another and a sign-in throttled on one is throttled on all.

use crate::directory::User;
use crate::enums::Role;
use crate::ids::{ApiTokenId, AuditId, BrandId, TeamId, UserId};
use crate::store::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A browser session to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The hash of the random id the cookie holds (hex or similar text). The store never sees the
    /// id itself.
    pub id_hash: String,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    /// When the session ends unless it is used again; moved forward by
    /// [`AccessStore::touch_session`]. Kept no later than `absolute_expires_at`.
    pub idle_expires_at: DateTime<Utc>,
    /// When the session ends however often it is used.
    pub absolute_expires_at: DateTime<Utc>,
    /// What the browser and the network said about the client, shown in the list of sessions.
    /// Trimmed, blank as `None`, and cut to 512 bytes: both come from the request.
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

/// A kept browser session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The session's handle, as given by [`NewSession::id_hash`]: it names the session (to end it)
    /// but cannot be turned back into the cookie that opens it.
    pub id_hash: String,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub idle_expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

impl Session {
    /// Whether the session still holds at `now`: before both its idle and its absolute expiry.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.idle_expires_at && now < self.absolute_expires_at
    }
}

/// A live session and the active user it signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWithUser {
    pub session: Session,
    pub user: User,
}

/// A personal API token to keep. The caller generates the secret, shows it once, and passes only
/// its SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    pub user_id: UserId,
    /// What the user calls it ("CI export").
    pub name: String,
    pub token_hash: String,
    /// The first few characters of the secret, shown in lists so a user can tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// `None`: the token lasts until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A kept API token: everything but its hash, which never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request, to within a minute (see
    /// [`AccessStore::authenticate_api_token`]).
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Whether the token itself may authenticate at `now`: not revoked and not expired. Its
    /// user must be active too.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires_at| now < expires_at)
    }
}

/// Something done that the audit log keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// The user who did it, when a user did.
    pub actor_user_id: Option<UserId>,
    /// Who did it, as shown: `user:3`, `token:5`, `cli`, `system`.
    pub actor_label: String,
    /// What was done, a stable dotted word: `user.role_changed`, `rule.deleted`.
    pub action: String,
    /// The kind of thing it was done to: `user`, `team`, `rule`, `account`.
    pub entity: String,
    pub entity_id: Option<String>,
    /// The thing before and after, as the caller chooses to show it (never a secret).
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The network address the request came from.
    pub address: Option<String>,
    pub at: DateTime<Utc>,
}

/// An entry of the audit log. Entries are never changed or deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: AuditId,
    pub actor_user_id: Option<UserId>,
    pub actor_label: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub address: Option<String>,
    pub at: DateTime<Utc>,
}

/// Which audit entries to read, newest first. `None` means any; a `limit` of 0 means the store's
/// default page (100), and no page holds more than 1,000.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Keyset paging: only entries strictly older than this one (pass the last id of a page).
    pub before_id: Option<AuditId>,
    pub limit: u32,
    pub entity: Option<String>,
    pub actor_user_id: Option<UserId>,
}

/// Failed sign-ins under one key since a given time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub count: u32,
    /// The latest of them; `None` when there are none.
    pub last_at: Option<DateTime<Utc>>,
}

/// Users' passwords and standing, sessions, API tokens, the audit log and the sign-in throttle.
/// Part of [`crate::Store`].
///
/// Writes to users append `user_updated` to the change feed (team membership `team_updated`), and
/// only when something changed; sessions, tokens, audit entries and failures append nothing: no
/// follower projects them.
#[async_trait]
pub trait AccessStore: Send + Sync {
    // --- users ---------------------------------------------------------------------------

    /// The user whose email this is, whatever its case; deactivated users are found too.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// The user's password hash (a PHC string), `None` when no password was ever set.
    async fn user_password_hash(&self, user: UserId) -> StoreResult<Option<String>>;
    /// Replaces the user's password hash and records `at` as when the password changed. The
    /// store never hashes: a value that is not a PHC string (`$argon2id$…`) is
    /// [`crate::StoreError::Invalid`], so a plain password is never stored by mistake. Sessions
    /// and tokens are left alone: ending them is the caller's choice.
    async fn set_password_hash(
        &self,
        user: UserId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Changes the user's role. Taking the admin role from the last active admin is
    /// [`crate::StoreError::Conflict`], checked atomically so two nodes demoting the last two
    /// admins at once leave one.
    async fn set_user_role(&self, user: UserId, role: Role) -> StoreResult<User>;
    /// Renames the user (trimmed; blank is invalid).
    async fn set_user_name(&self, user: UserId, name: &str) -> StoreResult<User>;
    /// Deactivates the user at `at` and, in the same transaction, deletes their sessions and
    /// revokes their API tokens (at `at`). Deactivating again keeps the first time. The last
    /// active admin cannot be deactivated ([`crate::StoreError::Conflict`]).
    async fn deactivate_user(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<User>;
    /// Lets a deactivated user sign in again. Tokens revoked by the deactivation stay revoked.
    async fn reactivate_user(&self, user: UserId) -> StoreResult<User>;
    /// Admins who are not deactivated.
    async fn count_active_admins(&self) -> StoreResult<u64>;
    /// Takes a user out of a team; a user who is not a member is [`crate::StoreError::NotFound`].
    async fn remove_team_member(&self, team: TeamId, user: UserId) -> StoreResult<()>;
    /// Replaces the brands `team` serves (duplicates ignored); returns them sorted. Empty means
    /// every brand, those added later included. An unknown team or brand is
    /// [`crate::StoreError::NotFound`]. Appends `team_updated` when they change.
    async fn set_team_brands(&self, team: TeamId, brands: &[BrandId]) -> StoreResult<Vec<BrandId>>;
    /// The brands `team` serves, sorted; empty when it serves every brand.
    async fn team_brands(&self, team: TeamId) -> StoreResult<Vec<BrandId>>;
    /// The brands `user` works through their teams, sorted: `None` when one of their teams
    /// serves every brand, `Some` of the union otherwise (empty for a user in no team).
    async fn brands_served_by(&self, user: UserId) -> StoreResult<Option<Vec<BrandId>>>;

    // --- browser sessions ----------------------------------------------------------------

    /// Keeps a new session of an active user; an `id_hash` already kept is
    /// [`crate::StoreError::Conflict`].
    async fn create_session(&self, session: NewSession) -> StoreResult<Session>;
    /// The session of `id_hash` and its user, when the session holds at `now` and the user is
    /// active; otherwise `None`, and an expired session is deleted on the way. A live session's
    /// idle expiry moves to `idle_expires_at` (never back, never past its absolute expiry) and
    /// its `last_seen_at` to `now`. To spare a write per request, neither is written while both
    /// would move by less than a minute, so what is returned may lag `now` by that much. Safe
    /// with several nodes: every write is one conditional statement.
    async fn touch_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_expires_at: DateTime<Utc>,
    ) -> StoreResult<Option<SessionWithUser>>;
    /// Ends a session (sign-out); whether there was one to end.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<bool>;
    /// Ends every session of the user but `except` (the one making the request, when it should
    /// stay signed in); how many were ended.
    async fn delete_user_sessions(&self, user: UserId, except: Option<&str>) -> StoreResult<u64>;
    /// The user's sessions, newest first. Sessions expired but not yet swept are included: see
    /// [`Session::is_live`].
    async fn list_user_sessions(&self, user: UserId) -> StoreResult<Vec<Session>>;
    /// Deletes every session expired at `now`; how many.
    async fn sweep_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    // --- personal API tokens -------------------------------------------------------------

    /// Keeps a new token of an active user. A hash already kept is
    /// [`crate::StoreError::Conflict`]; an expiry not after `created_at` is invalid.
    async fn create_api_token(&self, token: NewApiToken) -> StoreResult<ApiToken>;
    /// The tokens of `user`, or of everyone with `None`, newest first, revoked and expired ones
    /// included.
    async fn api_tokens(&self, user: Option<UserId>) -> StoreResult<Vec<ApiToken>>;
    async fn get_api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken>;
    /// Revokes a token at `at`; revoking again keeps the first time.
    async fn revoke_api_token(&self, id: ApiTokenId, at: DateTime<Utc>) -> StoreResult<ApiToken>;
    /// The token of `token_hash` and its user, when the token is neither revoked nor expired at
    /// `now` and the user is active; otherwise `None`. Records `now` as the token's
    /// `last_used_at`, but only once it has moved by a minute or more, so a busy script does
    /// not cost a write per request.
    async fn authenticate_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(ApiToken, User)>>;

    // --- audit log -----------------------------------------------------------------------

    /// Appends an entry. `actor_label`, `action` and `entity` must not be blank.
    async fn record_audit(&self, entry: NewAuditEntry) -> StoreResult<AuditEntry>;
    /// Entries matching `filter`, newest first (by id).
    async fn audit_log(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>>;

    // --- sign-in throttle ----------------------------------------------------------------

    /// Records one failed sign-in under `key`, an opaque text chosen by the caller
    /// (`address:127.0.0.1`, `email:a@b.c`).
    async fn record_login_failure(&self, key: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// The failures under `key` at or after `since`.
    async fn login_failures(&self, key: &str, since: DateTime<Utc>) -> StoreResult<LoginFailures>;
    /// Forgets every failure under `key` (after a successful sign-in).
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
    /// Forgets every failure, under any key, before `older_than`; how many.
    async fn sweep_login_failures(&self, older_than: DateTime<Utc>) -> StoreResult<u64>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    fn session(idle: i64, absolute: i64) -> Session {
        Session {
            id_hash: "h".into(),
            user_id: UserId(1),
            created_at: at(0),
            last_seen_at: at(0),
            idle_expires_at: at(idle),
            absolute_expires_at: at(absolute),
            user_agent: None,
            address: None,
        }
    }

    #[test]
    fn a_session_ends_at_whichever_expiry_comes_first() {
        assert!(session(10, 100).is_live(at(9)));
        assert!(!session(10, 100).is_live(at(10)), "idle expiry reached");
        assert!(!session(100, 10).is_live(at(10)), "absolute expiry reached");
    }

    #[test]
    fn a_token_is_usable_until_revoked_or_expired() {
        let token = ApiToken {
            id: ApiTokenId(1),
            user_id: UserId(1),
            name: "ci".into(),
            prefix: "trl_ab".into(),
            created_at: at(0),
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
        };
        assert!(token.is_usable(at(1_000_000)), "no expiry");
        let expiring = ApiToken { expires_at: Some(at(60)), ..token.clone() };
        assert!(expiring.is_usable(at(59)));
        assert!(!expiring.is_usable(at(60)));
        let revoked = ApiToken { revoked_at: Some(at(5)), ..token };
        assert!(
            !revoked.is_usable(at(5) - Duration::seconds(10)),
            "revoked is revoked at any time"
        );
    }
}
