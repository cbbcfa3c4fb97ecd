//! Named leases (migration 0004): a job that must run on one node at a time holds the lease of
//! its name. Taking and renewing are one conditional upsert, like the accounts' polling leases:
//! the database decides which of two racing nodes gets it, no home-made consensus.

macro_rules! leases_ops {
    () => {
        impl This {
            /// Takes `name` for `owner` until `now + ttl` when nobody holds it, the holder let it
            /// expire, or `owner` already holds it (a renewal). On PostgreSQL a second node's
            /// upsert waits for the first one's row lock, then re-evaluates the `where` against
            /// the new owner; SQLite's single writer serializes them anyway.
            async fn acquire_named_lease_impl(
                &self,
                name: &str,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                ttl: chrono::Duration,
            ) -> StoreResult<bool> {
                let name = crate::ops::directory::required("lease name", name)?;
                let owner = crate::ops::directory::required("lease owner", owner)?;
                if ttl <= chrono::Duration::zero() {
                    return Err(StoreError::Invalid(format!("a lease must last, not {ttl}")));
                }
                let now_micros = crate::time::to_micros(now);
                let mut tx = self.begin_write().await?;
                let taken = sqlx::query(
                    "insert into leases (name, owner, expires_at, acquired_at) \
                     values ($1, $2, $3, $4) on conflict (name) do update set \
                     owner = excluded.owner, expires_at = excluded.expires_at, \
                     acquired_at = case when leases.owner = excluded.owner \
                     then leases.acquired_at else excluded.acquired_at end \
                     where leases.owner = excluded.owner or leases.expires_at < $4",
                )
                .bind(name)
                .bind(owner)
                .bind(crate::time::to_micros(now + ttl))
                .bind(now_micros)
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected();
                tx.commit().await.db()?;
                Ok(taken > 0)
            }

            /// Gives `name` up if `owner` holds it; a lease another node holds (or nobody does)
            /// is left alone.
            async fn release_named_lease_impl(&self, name: &str, owner: &str) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("delete from leases where name = $1 and owner = $2")
                    .bind(name.trim())
                    .bind(owner.trim())
                    .execute(&mut *tx)
                    .await
                    .db()?;
                tx.commit().await.db()
            }
        }
    };
}
pub(crate) use leases_ops;
