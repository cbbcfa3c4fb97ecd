//! The audit log: every change to accounts, users, roles, tokens, teams, rules, policies and
//! calendars, with who made it, from where, and the thing before and after. Written by the
//! service that makes the change, right after it; read by admins.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use chrono::Utc;
use serde::Serialize;
use trellis_core::{AuditEntry, AuditFilter, AuditId, NewAuditEntry, Store};

/// Records that `principal` did `action` to `entity` `id`. `before` and `after` are what the
/// caller chooses to show of the thing, never a secret.
pub async fn record(
    store: &dyn Store,
    principal: &Principal,
    action: &str,
    entity: &str,
    id: impl ToString,
    before: Option<impl Serialize>,
    after: Option<impl Serialize>,
) -> ServiceResult<()> {
    let entry = NewAuditEntry {
        actor_user_id: principal.user_id,
        actor_label: principal.audit_label(),
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id: Some(id.to_string()),
        before: before.map(to_json).transpose()?,
        after: after.map(to_json).transpose()?,
        address: principal.address.clone(),
        at: Utc::now(),
    };
    store.record_audit(entry).await?;
    Ok(())
}

fn to_json(value: impl Serialize) -> ServiceResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|error| ServiceError::Internal(error.to_string()))
}

/// The audit log for admins, newest first: `before` is the last id of the previous page.
pub async fn read(
    store: &dyn Store,
    principal: &Principal,
    entity: Option<String>,
    before: Option<AuditId>,
    limit: u32,
) -> ServiceResult<Vec<AuditEntry>> {
    principal.require(Permission::ReadAudit)?;
    if !(1..=500).contains(&limit) {
        return Err(ServiceError::invalid_parameter("limit", "limit must be between 1 and 500"));
    }
    let filter = AuditFilter { before_id: before, limit, entity, actor_user_id: None };
    Ok(store.audit_log(&filter).await?)
}
