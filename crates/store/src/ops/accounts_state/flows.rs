//! Connect flows between their steps (migration 0005): put when a flow starts, taken once when
//! the platform sends the admin back. Taking is one `delete … returning`, so of two nodes racing
//! for the same token exactly one gets the flow.

macro_rules! connect_flow_ops {
    () => {
        impl This {
            async fn put_connect_flow_impl(
                &self,
                flow: trellis_core::ConnectFlow,
            ) -> StoreResult<()> {
                let token = crate::ops::directory::required("connect flow token", &flow.token)?;
                let kind = crate::ops::directory::required("connect flow kind", &flow.kind)?;
                if flow.expires_at <= flow.created_at {
                    return Err(StoreError::Invalid(format!(
                        "a connect flow must expire after it starts, not at {}",
                        flow.expires_at
                    )));
                }
                let created_at = crate::time::to_micros(flow.created_at);
                let mut tx = self.begin_write().await?;
                sqlx::query("delete from connect_flows where expires_at < $1")
                    .bind(created_at)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                sqlx::query(
                    "insert into connect_flows (token, kind, sealed, created_at, expires_at) \
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(token)
                .bind(kind)
                .bind(&flow.sealed.0)
                .bind(created_at)
                .bind(crate::time::to_micros(flow.expires_at))
                .execute(&mut *tx)
                .await
                .db()
                .map_err(|error| match error {
                    StoreError::Conflict(_) => {
                        StoreError::Conflict("this connect flow token is already in use".to_owned())
                    }
                    other => other,
                })?;
                tx.commit().await.db()
            }

            async fn take_connect_flow_impl(
                &self,
                kind: &str,
                token: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<SealedSecret>> {
                let mut tx = self.begin_write().await?;
                // An expired flow is deleted too: it is over either way.
                let row: Option<(String, i64)> = sqlx::query_as(
                    "delete from connect_flows where token = $1 and kind = $2 \
                     returning sealed, expires_at",
                )
                .bind(token)
                .bind(kind)
                .fetch_optional(&mut *tx)
                .await
                .db()?;
                tx.commit().await.db()?;
                Ok(row
                    .filter(|(_, expires_at)| *expires_at > crate::time::to_micros(now))
                    .map(|(sealed, _)| SealedSecret(sealed)))
            }
        }
    };
}
pub(crate) use connect_flow_ops;
