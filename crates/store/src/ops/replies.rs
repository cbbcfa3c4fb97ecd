//! Canned replies: texts agents and rules insert by shortcut. The shortcut is unique; reusing one
//! is `Conflict`.

use trellis_core::{CannedReplyInput, StoreError};

/// The reply's fields, trimmed and checked: a shortcut is one word (what an agent types), and no
/// field may be blank.
pub(crate) fn checked(reply: &CannedReplyInput) -> Result<(&str, &str, &str), StoreError> {
    let shortcut = crate::ops::directory::required("shortcut", &reply.shortcut)?;
    if shortcut.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid(format!("shortcut {shortcut:?} must not contain spaces")));
    }
    let title = crate::ops::directory::required("canned reply title", &reply.title)?;
    let body = crate::ops::directory::required("canned reply body", &reply.body)?;
    Ok((shortcut, title, body))
}

/// A uniqueness break on the shortcut, told in the caller's words.
pub(crate) fn taken(shortcut: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |err| match crate::error::map(err) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("a canned reply with shortcut {shortcut} already exists"))
        }
        other => other,
    }
}

macro_rules! replies_ops {
    () => {
        impl This {
            async fn create_canned_reply_impl(
                &self,
                reply: CannedReplyInput,
            ) -> StoreResult<CannedReply> {
                let (shortcut, title, body) = crate::ops::replies::checked(&reply)?;
                let now = crate::time::to_micros(crate::time::now());
                let sql = format!(
                    "insert into canned_replies (shortcut, title, body, created_at, updated_at) \
                     values ($1, $2, $3, $4, $4) returning {}",
                    crate::rows_workflow::CANNED_REPLY_COLUMNS
                );
                let mut tx = self.begin_write().await?;
                let row: crate::rows_workflow::CannedReplyRow = sqlx::query_as(&sql)
                    .bind(shortcut)
                    .bind(title)
                    .bind(body)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(crate::ops::replies::taken(shortcut))?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn update_canned_reply_impl(
                &self,
                id: CannedReplyId,
                reply: CannedReplyInput,
            ) -> StoreResult<CannedReply> {
                let (shortcut, title, body) = crate::ops::replies::checked(&reply)?;
                let now = crate::time::to_micros(crate::time::now());
                let sql = format!(
                    "update canned_replies set shortcut = $2, title = $3, body = $4, \
                     updated_at = $5 where id = $1 returning {}",
                    crate::rows_workflow::CANNED_REPLY_COLUMNS
                );
                let mut tx = self.begin_write().await?;
                let row: Option<crate::rows_workflow::CannedReplyRow> = sqlx::query_as(&sql)
                    .bind(id.0)
                    .bind(shortcut)
                    .bind(title)
                    .bind(body)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(crate::ops::replies::taken(shortcut))?;
                let row = row.ok_or_else(|| StoreError::not_found("canned reply", id))?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn delete_canned_reply_impl(&self, id: CannedReplyId) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query("delete from canned_replies where id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                if deleted == 0 {
                    return Err(StoreError::not_found("canned reply", id));
                }
                tx.commit().await.db()
            }

            async fn list_canned_replies_impl(&self) -> StoreResult<Vec<CannedReply>> {
                let sql = format!(
                    "select {} from canned_replies order by shortcut, id",
                    crate::rows_workflow::CANNED_REPLY_COLUMNS
                );
                let rows: Vec<crate::rows_workflow::CannedReplyRow> =
                    sqlx::query_as(&sql).fetch_all(self.reader()).await.db()?;
                rows.into_iter().map(crate::rows_workflow::CannedReplyRow::into_domain).collect()
            }
        }
    };
}
pub(crate) use replies_ops;

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(shortcut: &str, title: &str) -> CannedReplyInput {
        CannedReplyInput { shortcut: shortcut.into(), title: title.into(), body: "Sorry!".into() }
    }

    #[test]
    fn fields_are_trimmed() {
        assert!(matches!(checked(&reply(" /refund ", " Refund ")), Ok(("/refund", "Refund", _))));
    }

    #[test]
    fn a_shortcut_with_spaces_or_a_blank_title_is_invalid() {
        assert!(matches!(checked(&reply("/re fund", "Refund")), Err(StoreError::Invalid(_))));
        assert!(matches!(checked(&reply("/refund", "  ")), Err(StoreError::Invalid(_))));
    }
}
