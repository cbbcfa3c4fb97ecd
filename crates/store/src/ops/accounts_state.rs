//! An account at work: finding it by platform id, its sealed credentials, status, poll health,
//! polling lease and ingest errors; creating it with its credentials and deleting it are in
//! `lifecycle.rs`; connect flows under way in `flows.rs`. The outbox is in `outbox.rs`.

pub(crate) mod flows;
pub(crate) mod lifecycle;
mod poll;
pub(crate) use poll::{after_poll, check_report, health_visibly_changed};

/// The most of a payload (or of an error text) the store keeps, in bytes.
pub(crate) const EXCERPT_MAX_BYTES: usize = 4096;

/// The longest prefix of `text` that fits in [`EXCERPT_MAX_BYTES`] and ends on a char boundary.
pub(crate) fn excerpt(text: &str) -> &str {
    if text.len() <= EXCERPT_MAX_BYTES {
        return text;
    }
    let mut end = EXCERPT_MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A trimmed reason, `None` when blank: a blank reason shows nothing, so it is none.
pub(crate) fn reason(reason: Option<String>) -> Option<String> {
    reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty())
}

macro_rules! accounts_state_ops {
    () => {
        $crate::ops::accounts_state::flows::connect_flow_ops!();
        $crate::ops::accounts_state::lifecycle::account_lifecycle_ops!();
        impl This {
            async fn find_account_impl(
                &self,
                channel: Channel,
                platform_account_id: &str,
            ) -> StoreResult<Option<Account>> {
                let row: Option<crate::rows::AccountRow> = sqlx::query_as(
                    "select id, brand_id, channel, platform_account_id, display_name, base_url, \
                     created_at from accounts where channel = $1 and platform_account_id = $2",
                )
                .bind(channel.as_str())
                .bind(platform_account_id.trim())
                .fetch_optional(self.reader())
                .await
                .db()?;
                row.map(crate::rows::AccountRow::into_domain).transpose()
            }

            async fn set_credentials_impl(
                &self,
                account: AccountId,
                sealed: SealedSecret,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> StoreResult<()> {
                if sealed.0.trim().is_empty() {
                    return Err(StoreError::Invalid("sealed credentials must not be empty".into()));
                }
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                // The sealed text is stored as given: the store never trims or re-encodes it.
                let updated = sqlx::query(
                    "update accounts set credentials_sealed = $2, credentials_expires_at = $3, \
                     credentials_updated_at = $4, updated_at = $4 where id = $1",
                )
                .bind(account.0)
                .bind(sealed.0)
                .bind(expires_at.map(crate::time::to_micros))
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected();
                if updated == 0 {
                    return Err(StoreError::not_found("account", account));
                }
                Self::announce(&mut tx, ChangeKind::AccountUpdated, account.0, now).await?;
                tx.commit().await.db()
            }

            async fn credentials_impl(
                &self,
                account: AccountId,
            ) -> StoreResult<Option<StoredCredentials>> {
                let row: Option<crate::rows_connection::CredentialsRow> = sqlx::query_as(
                    "select credentials_sealed, credentials_expires_at, credentials_updated_at \
                     from accounts where id = $1",
                )
                .bind(account.0)
                .fetch_optional(self.reader())
                .await
                .db()?;
                row.ok_or_else(|| StoreError::not_found("account", account))?.into_domain()
            }

            async fn set_account_status_impl(
                &self,
                account: AccountId,
                status: AccountStatus,
                reason: Option<String>,
            ) -> StoreResult<()> {
                let reason = crate::ops::accounts_state::reason(reason);
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "select status, status_reason from accounts where id = $1{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let before: Option<(String, Option<String>)> =
                    sqlx::query_as(&sql).bind(account.0).fetch_optional(&mut *tx).await.db()?;
                let before = before.ok_or_else(|| StoreError::not_found("account", account))?;
                if before == (status.as_str().to_owned(), reason.clone()) {
                    // Ended now, not when sqlx gets round to it: the row lock must not linger.
                    return tx.rollback().await.db();
                }
                sqlx::query(
                    "update accounts set status = $2, status_reason = $3, updated_at = $4 \
                     where id = $1",
                )
                .bind(account.0)
                .bind(status.as_str())
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?;
                Self::announce(&mut tx, ChangeKind::AccountUpdated, account.0, now).await?;
                tx.commit().await.db()
            }

            async fn account_health_impl(&self, account: AccountId) -> StoreResult<AccountHealth> {
                let sql =
                    format!("{} where a.id = $1", crate::rows_connection::ACCOUNT_HEALTH_SELECT);
                let row: Option<crate::rows_connection::AccountHealthRow> =
                    sqlx::query_as(&sql).bind(account.0).fetch_optional(self.reader()).await.db()?;
                row.ok_or_else(|| StoreError::not_found("account", account))?.into_domain()
            }

            async fn list_account_health_impl(&self) -> StoreResult<Vec<AccountHealth>> {
                let sql =
                    format!("{} order by a.id", crate::rows_connection::ACCOUNT_HEALTH_SELECT);
                let rows: Vec<crate::rows_connection::AccountHealthRow> =
                    sqlx::query_as(&sql).fetch_all(self.reader()).await.db()?;
                rows.into_iter().map(crate::rows_connection::AccountHealthRow::into_domain).collect()
            }

            async fn record_poll_impl(
                &self,
                account: AccountId,
                report: PollReport,
            ) -> StoreResult<()> {
                crate::ops::accounts_state::check_report(&report)?;
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "select last_poll_at, last_success_at, last_error, last_error_at, \
                     consecutive_failures, rate_limit_limit, rate_limit_remaining, \
                     rate_limit_reset_at, next_poll_at from accounts where id = $1{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let before: Option<crate::rows_connection::PollColumns> =
                    sqlx::query_as(&sql).bind(account.0).fetch_optional(&mut *tx).await.db()?;
                let before = before.ok_or_else(|| StoreError::not_found("account", account))?;
                let after = crate::ops::accounts_state::after_poll(&before, &report);
                sqlx::query(
                    "update accounts set last_poll_at = $2, last_success_at = $3, \
                     last_error = $4, last_error_at = $5, consecutive_failures = $6, \
                     rate_limit_limit = $7, rate_limit_remaining = $8, rate_limit_reset_at = $9, \
                     next_poll_at = $10 where id = $1",
                )
                .bind(account.0)
                .bind(after.last_poll_at)
                .bind(after.last_success_at)
                .bind(after.last_error.as_deref())
                .bind(after.last_error_at)
                .bind(after.consecutive_failures)
                .bind(after.rate_limit_limit)
                .bind(after.rate_limit_remaining)
                .bind(after.rate_limit_reset_at)
                .bind(after.next_poll_at)
                .execute(&mut *tx)
                .await
                .db()?;
                if crate::ops::accounts_state::health_visibly_changed(&before, &after) {
                    let now = crate::time::to_micros(crate::time::now());
                    Self::announce(&mut tx, ChangeKind::AccountUpdated, account.0, now).await?;
                }
                tx.commit().await.db()
            }

            async fn acquire_lease_impl(
                &self,
                account: AccountId,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                ttl: chrono::Duration,
            ) -> StoreResult<bool> {
                let owner = crate::ops::directory::required("lease owner", owner)?;
                if ttl <= chrono::Duration::zero() {
                    return Err(StoreError::Invalid(format!("a lease must last, not {ttl}")));
                }
                let mut tx = self.begin_write().await?;
                // One conditional statement: on PostgreSQL a second node's update waits for the
                // first one's row lock, then re-evaluates the condition against the new owner.
                let taken = sqlx::query(
                    "update accounts set lease_owner = $2, lease_expires_at = $3 where id = $1 \
                     and (lease_owner is null or lease_owner = $2 or lease_expires_at < $4)",
                )
                .bind(account.0)
                .bind(owner)
                .bind(crate::time::to_micros(now + ttl))
                .bind(crate::time::to_micros(now))
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected();
                if taken == 0 {
                    Self::require(&mut tx, "select id from accounts where id = $1", account.0, "account")
                        .await?;
                }
                tx.commit().await.db()?;
                Ok(taken > 0)
            }

            async fn release_lease_impl(&self, account: AccountId, owner: &str) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from accounts where id = $1", account.0, "account")
                    .await?;
                // Releasing a lease another node holds (or nobody does) changes nothing.
                sqlx::query(
                    "update accounts set lease_owner = null, lease_expires_at = null \
                     where id = $1 and lease_owner = $2",
                )
                .bind(account.0)
                .bind(owner.trim())
                .execute(&mut *tx)
                .await
                .db()?;
                tx.commit().await.db()
            }

            async fn record_ingest_error_impl(
                &self,
                error: NewIngestError,
            ) -> StoreResult<IngestError> {
                let reason = crate::ops::directory::required("ingest error reason", &error.reason)?;
                let reason = crate::ops::accounts_state::excerpt(reason);
                let excerpt = crate::ops::accounts_state::excerpt(&error.payload_excerpt);
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                Self::require(
                    &mut tx,
                    "select id from accounts where id = $1",
                    error.account_id.0,
                    "account",
                )
                .await?;
                let sql = format!(
                    "insert into ingest_errors (account_id, source, stream, platform_id, reason, \
                     payload_excerpt, at) values ($1, $2, $3, $4, $5, $6, $7) returning {}",
                    crate::rows_connection::INGEST_ERROR_COLUMNS
                );
                let row: crate::rows_connection::IngestErrorRow = sqlx::query_as(&sql)
                    .bind(error.account_id.0)
                    .bind(error.source.as_str())
                    .bind(error.stream.as_deref())
                    .bind(error.platform_id.as_deref())
                    .bind(reason)
                    .bind(excerpt)
                    .bind(crate::time::to_micros(error.at))
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                // The account's error count is part of its health.
                Self::announce(&mut tx, ChangeKind::AccountUpdated, error.account_id.0, now)
                    .await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn ingest_errors_impl(
                &self,
                account: AccountId,
                limit: u32,
            ) -> StoreResult<Vec<IngestError>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from accounts where id = $1", account.0, "account")
                    .await?;
                let sql = format!(
                    "select {} from ingest_errors where account_id = $1 \
                     order by at desc, id desc limit $2",
                    crate::rows_connection::INGEST_ERROR_COLUMNS
                );
                let rows: Vec<crate::rows_connection::IngestErrorRow> = sqlx::query_as(&sql)
                    .bind(account.0)
                    .bind(i64::from(limit.min(crate::ops::accounts_state::MAX_LISTED)))
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                rows.into_iter().map(crate::rows_connection::IngestErrorRow::into_domain).collect()
            }
        }
    };
}
pub(crate) use accounts_state_ops;

/// The most rows one list call returns (ingest errors, outbox entries).
pub(crate) const MAX_LISTED: u32 = 1_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_never_splits_a_character() {
        let text = format!("a{}", "é".repeat(EXCERPT_MAX_BYTES));
        let cut = excerpt(&text);
        assert_eq!(cut.len(), EXCERPT_MAX_BYTES - 1, "the last 'é' would straddle the limit");
        assert!(text.starts_with(cut));
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn a_blank_reason_is_none() {
        assert_eq!(reason(Some("  ".into())), None);
        assert_eq!(reason(Some(" revoked ".into())).as_deref(), Some("revoked"));
    }
}
