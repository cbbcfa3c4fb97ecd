//! An account's beginning and end: created together with its first sealed credentials, so it never
//! exists without them, and deleted only while it holds no history.

macro_rules! account_lifecycle_ops {
    () => {
        impl This {
            async fn create_account_with_credentials_impl(
                &self,
                account: NewAccount,
                seal: trellis_core::connection::SealFor<'_>,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> StoreResult<Account> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                // The id comes from the insert; the credentials, sealed for it, follow in the
                // same transaction, so no reader ever sees the account without them.
                let row = Self::insert_account(&mut tx, &account, now).await?;
                let sealed = match seal(AccountId(row.id)) {
                    Ok(sealed) if sealed.0.trim().is_empty() => {
                        Err(StoreError::Invalid("sealed credentials must not be empty".into()))
                    }
                    sealed => sealed,
                };
                let sealed = match sealed {
                    Ok(sealed) => sealed,
                    Err(error) => {
                        // Ended now, not when sqlx gets round to it: the writer must not linger.
                        tx.rollback().await.db()?;
                        return Err(error);
                    }
                };
                sqlx::query(
                    "update accounts set credentials_sealed = $2, credentials_expires_at = $3, \
                     credentials_updated_at = $4 where id = $1",
                )
                .bind(row.id)
                .bind(sealed.0)
                .bind(expires_at.map(crate::time::to_micros))
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?;
                Self::announce(&mut tx, ChangeKind::AccountUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn delete_account_impl(&self, account: AccountId) -> StoreResult<()> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                // Locking the row first makes an ingest that is adding a message to this account
                // finish before the count below (PostgreSQL; SQLite has one writer anyway).
                let sql = format!(
                    "select id from accounts where id = $1{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let found: Option<i64> =
                    sqlx::query_scalar(&sql).bind(account.0).fetch_optional(&mut *tx).await.db()?;
                if found.is_none() {
                    return Err(StoreError::not_found("account", account));
                }
                // Every message belongs to a conversation of its account: no conversation, no
                // message.
                let conversation: Option<i64> = sqlx::query_scalar(
                    "select id from conversations where account_id = $1 limit 1",
                )
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await
                .db()?;
                let undelivered: Option<i64> = sqlx::query_scalar(
                    "select id from outbox where account_id = $1 \
                     and state in ('queued', 'sending') limit 1",
                )
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await
                .db()?;
                let refusal = crate::ops::accounts_state::lifecycle::deletion_refusal(
                    account,
                    conversation.is_some(),
                    undelivered.is_some(),
                );
                if let Some(refusal) = refusal {
                    tx.rollback().await.db()?;
                    return Err(refusal);
                }
                for sql in [
                    "delete from cursors where account_id = $1",
                    "delete from ingest_errors where account_id = $1",
                    "delete from outbox where account_id = $1",
                    "delete from accounts where id = $1",
                ] {
                    sqlx::query(sql).bind(account.0).execute(&mut *tx).await.db()?;
                }
                // Followers of the feed read the account again and find it gone.
                Self::announce(&mut tx, ChangeKind::AccountUpdated, account.0, now).await?;
                tx.commit().await.db()
            }
        }
    };
}
pub(crate) use account_lifecycle_ops;

/// Why an account cannot be deleted, if it cannot: its conversations and messages are the team's
/// history, and actions waiting for delivery were promised to someone.
pub(crate) fn deletion_refusal(
    account: trellis_core::AccountId,
    has_conversations: bool,
    has_undelivered: bool,
) -> Option<trellis_core::StoreError> {
    let holds = if has_conversations {
        "conversations and messages"
    } else if has_undelivered {
        "actions waiting to be delivered"
    } else {
        return None;
    };
    Some(trellis_core::StoreError::Conflict(format!(
        "account {account} has {holds}, which deleting it would lose; \
         pause it instead with `trellis account pause {account}`"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_core::{AccountId, StoreError};

    #[test]
    fn an_account_without_history_or_pending_actions_may_go() {
        assert!(deletion_refusal(AccountId(3), false, false).is_none());
    }

    #[test]
    fn an_account_with_messages_is_kept_and_the_refusal_suggests_pausing() {
        let Some(StoreError::Conflict(reason)) = deletion_refusal(AccountId(3), true, true) else {
            panic!("an account with messages must be kept");
        };
        assert!(reason.contains("has conversations and messages"), "{reason}");
        assert!(reason.contains("`trellis account pause 3`"), "{reason}");
    }

    #[test]
    fn an_account_with_actions_waiting_is_kept() {
        let Some(StoreError::Conflict(reason)) = deletion_refusal(AccountId(3), false, true) else {
            panic!("an account with undelivered actions must be kept");
        };
        assert!(reason.contains("has actions waiting to be delivered"), "{reason}");
    }
}
