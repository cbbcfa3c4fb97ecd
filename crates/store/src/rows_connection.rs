//! Rows of the connection tables (account health and credentials, ingest errors, the outbox) and
//! their conversion to domain types. Kept apart from `rows.rs`, which holds the message store's.

use crate::error::corrupt;
use crate::rows::parse;
use crate::time::{from_micros, opt_from_micros};
use trellis_core::{
    AccountHealth, IngestError, NewIngestError, OutboxId, OutboxItem, SealedSecret, StoreError,
    StoredCredentials,
};

/// An account's health columns with its ingest-error count, from `accounts a`.
pub(crate) const ACCOUNT_HEALTH_SELECT: &str = "select a.id, a.status, a.status_reason, \
     a.credentials_sealed is not null as has_credentials, a.credentials_expires_at, \
     a.last_poll_at, a.last_success_at, a.last_error, a.last_error_at, a.consecutive_failures, \
     a.rate_limit_limit, a.rate_limit_remaining, a.rate_limit_reset_at, a.next_poll_at, \
     a.lease_owner, a.lease_expires_at, \
     (select count(*) from ingest_errors e where e.account_id = a.id) as ingest_error_count \
     from accounts a";

#[derive(sqlx::FromRow)]
pub(crate) struct AccountHealthRow {
    pub id: i64,
    pub status: String,
    pub status_reason: Option<String>,
    pub has_credentials: bool,
    pub credentials_expires_at: Option<i64>,
    pub last_poll_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub consecutive_failures: i64,
    pub rate_limit_limit: Option<i64>,
    pub rate_limit_remaining: Option<i64>,
    pub rate_limit_reset_at: Option<i64>,
    pub next_poll_at: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub ingest_error_count: i64,
}

impl AccountHealthRow {
    pub fn into_domain(self) -> Result<AccountHealth, StoreError> {
        Ok(AccountHealth {
            account_id: self.id.into(),
            status: parse("account status", &self.status)?,
            status_reason: self.status_reason,
            has_credentials: self.has_credentials,
            credentials_expire_at: opt_from_micros(self.credentials_expires_at)?,
            last_poll_at: opt_from_micros(self.last_poll_at)?,
            last_success_at: opt_from_micros(self.last_success_at)?,
            last_error: self.last_error,
            last_error_at: opt_from_micros(self.last_error_at)?,
            consecutive_failures: count("consecutive failures", self.consecutive_failures)?,
            rate_limit_limit: opt_count("rate limit", self.rate_limit_limit)?,
            rate_limit_remaining: opt_count("rate limit remaining", self.rate_limit_remaining)?,
            rate_limit_reset_at: opt_from_micros(self.rate_limit_reset_at)?,
            next_poll_at: opt_from_micros(self.next_poll_at)?,
            lease_owner: self.lease_owner,
            lease_expires_at: opt_from_micros(self.lease_expires_at)?,
            ingest_error_count: u64::try_from(self.ingest_error_count)
                .map_err(|err| corrupt("ingest error count", err))?,
        })
    }
}

/// The poll-health columns `record_poll` reads, rewrites and compares.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct PollColumns {
    pub last_poll_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub consecutive_failures: i64,
    pub rate_limit_limit: Option<i64>,
    pub rate_limit_remaining: Option<i64>,
    pub rate_limit_reset_at: Option<i64>,
    pub next_poll_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    pub credentials_sealed: Option<String>,
    pub credentials_expires_at: Option<i64>,
    pub credentials_updated_at: Option<i64>,
}

impl CredentialsRow {
    /// `None` when the account has never been given credentials.
    pub fn into_domain(self) -> Result<Option<StoredCredentials>, StoreError> {
        let Some(sealed) = self.credentials_sealed else { return Ok(None) };
        let updated_at = self
            .credentials_updated_at
            .ok_or_else(|| corrupt("credentials", "sealed credentials without an update time"))?;
        Ok(Some(StoredCredentials {
            sealed: SealedSecret(sealed),
            expires_at: opt_from_micros(self.credentials_expires_at)?,
            updated_at: from_micros(updated_at)?,
        }))
    }
}

pub(crate) const INGEST_ERROR_COLUMNS: &str =
    "id, account_id, source, stream, platform_id, reason, payload_excerpt, at";

#[derive(sqlx::FromRow)]
pub(crate) struct IngestErrorRow {
    pub id: i64,
    pub account_id: i64,
    pub source: String,
    pub stream: Option<String>,
    pub platform_id: Option<String>,
    pub reason: String,
    pub payload_excerpt: String,
    pub at: i64,
}

impl IngestErrorRow {
    pub fn into_domain(self) -> Result<IngestError, StoreError> {
        Ok(IngestError {
            id: self.id,
            error: NewIngestError {
                account_id: self.account_id.into(),
                source: parse("ingest source", &self.source)?,
                stream: self.stream,
                platform_id: self.platform_id,
                reason: self.reason,
                payload_excerpt: self.payload_excerpt,
                at: from_micros(self.at)?,
            },
        })
    }
}

pub(crate) const OUTBOX_COLUMNS: &str = "id, account_id, conversation_id, action, \
     idempotency_key, requested_by, state, attempts, next_attempt_at, platform_id, \
     thread_platform_id, error, created_at, updated_at, sent_at";

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: Option<i64>,
    pub action: String,
    pub idempotency_key: String,
    pub requested_by: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub platform_id: Option<String>,
    pub thread_platform_id: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
}

impl OutboxRow {
    pub fn into_domain(self) -> Result<OutboxItem, StoreError> {
        Ok(OutboxItem {
            id: OutboxId(self.id),
            account_id: self.account_id.into(),
            conversation_id: self.conversation_id.map(Into::into),
            action: serde_json::from_str(&self.action)
                .map_err(|err| corrupt("outbound action", err))?,
            idempotency_key: self.idempotency_key,
            requested_by: serde_json::from_str(&self.requested_by)
                .map_err(|err| corrupt("outbox actor", err))?,
            state: parse("outbox state", &self.state)?,
            attempts: count("outbox attempts", self.attempts)?,
            next_attempt_at: opt_from_micros(self.next_attempt_at)?,
            platform_id: self.platform_id,
            thread_platform_id: self.thread_platform_id,
            error: self.error,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
            sent_at: opt_from_micros(self.sent_at)?,
        })
    }
}

fn count(what: &str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|err| corrupt(what, err))
}

fn opt_count(what: &str, value: Option<i64>) -> Result<Option<u32>, StoreError> {
    value.map(|value| count(what, value)).transpose()
}
