//! Rows of the sign-in tables (sessions, API tokens, the audit log) and their conversion to domain
//! types. A token's hash is never selected: no row here can carry it out of the store.

use crate::error::corrupt;
use crate::rows::parse;
use crate::time::{from_micros, opt_from_micros};
use trellis_core::{ApiToken, ApiTokenId, AuditEntry, AuditId, Session, StoreError, User};

pub(crate) const SESSION_COLUMNS: &str = "id_hash, user_id, created_at, last_seen_at, \
     idle_expires_at, absolute_expires_at, user_agent, address";

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub id_hash: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

impl SessionRow {
    pub fn into_domain(self) -> Result<Session, StoreError> {
        Ok(Session {
            id_hash: self.id_hash,
            user_id: self.user_id.into(),
            created_at: from_micros(self.created_at)?,
            last_seen_at: from_micros(self.last_seen_at)?,
            idle_expires_at: from_micros(self.idle_expires_at)?,
            absolute_expires_at: from_micros(self.absolute_expires_at)?,
            user_agent: self.user_agent,
            address: self.address,
        })
    }
}

/// The user columns read beside a session or a token, from `users u`, named apart from theirs.
pub(crate) const OWNER_COLUMNS: &str = "u.email as owner_email, u.name as owner_name, \
     u.role as owner_role, u.created_at as owner_created_at, \
     u.deactivated_at as owner_deactivated_at";

/// The user a session or token belongs to; its id is the session's or token's `user_id`.
#[derive(sqlx::FromRow)]
pub(crate) struct OwnerRow {
    pub owner_email: String,
    pub owner_name: String,
    pub owner_role: String,
    pub owner_created_at: i64,
    pub owner_deactivated_at: Option<i64>,
}

impl OwnerRow {
    pub fn into_domain(self, id: i64) -> Result<User, StoreError> {
        Ok(User {
            id: id.into(),
            email: self.owner_email,
            name: self.owner_name,
            role: parse("role", &self.owner_role)?,
            created_at: from_micros(self.owner_created_at)?,
            deactivated_at: opt_from_micros(self.owner_deactivated_at)?,
        })
    }
}

/// A session with its user, from `sessions s join users u`.
#[derive(sqlx::FromRow)]
pub(crate) struct SessionOwnerRow {
    #[sqlx(flatten)]
    pub session: SessionRow,
    #[sqlx(flatten)]
    pub owner: OwnerRow,
}

pub(crate) const API_TOKEN_COLUMNS: &str =
    "id, user_id, name, prefix, created_at, last_used_at, expires_at, revoked_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiTokenRow {
    pub fn into_domain(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: ApiTokenId(self.id),
            user_id: self.user_id.into(),
            name: self.name,
            prefix: self.prefix,
            created_at: from_micros(self.created_at)?,
            last_used_at: opt_from_micros(self.last_used_at)?,
            expires_at: opt_from_micros(self.expires_at)?,
            revoked_at: opt_from_micros(self.revoked_at)?,
        })
    }
}

/// A token with its user, from `api_tokens t join users u`.
#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenOwnerRow {
    #[sqlx(flatten)]
    pub token: ApiTokenRow,
    #[sqlx(flatten)]
    pub owner: OwnerRow,
}

pub(crate) const AUDIT_COLUMNS: &str = "id, at, actor_user_id, actor_label, action, entity, \
     entity_id, before_json, after_json, address";

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub address: Option<String>,
}

impl AuditRow {
    pub fn into_domain(self) -> Result<AuditEntry, StoreError> {
        let json = |text: Option<String>| {
            text.map(|text| serde_json::from_str(&text).map_err(|err| corrupt("audit json", err)))
                .transpose()
        };
        Ok(AuditEntry {
            id: AuditId(self.id),
            actor_user_id: self.actor_user_id.map(Into::into),
            actor_label: self.actor_label,
            action: self.action,
            entity: self.entity,
            entity_id: self.entity_id,
            before: json(self.before_json)?,
            after: json(self.after_json)?,
            address: self.address,
            at: from_micros(self.at)?,
        })
    }
}
