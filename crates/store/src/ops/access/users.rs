//! Users' standing: finding one by email, password hashes, role and name, deactivation, the count
//! of active admins, and leaving a team. Each change appends `user_updated` (`team_updated` for
//! membership) when something changed.
//!
//! Role changes and deactivations first lock every active admin's row, then the user's: the one
//! order all of them take, so on PostgreSQL two nodes taking the admin role from the last two
//! admins at once serialize (no deadlock), and the second sees one admin left and is refused.

macro_rules! user_access_ops {
    () => {
        impl This {
            async fn find_user_by_email_impl(&self, email: &str) -> StoreResult<Option<User>> {
                let sql =
                    format!("select {} from users where email_key = $1", crate::rows::USER_COLUMNS);
                let row: Option<crate::rows::UserRow> = sqlx::query_as(&sql)
                    .bind(email.trim().to_lowercase())
                    .fetch_optional(self.reader())
                    .await
                    .db()?;
                row.map(crate::rows::UserRow::into_domain).transpose()
            }

            async fn user_password_hash_impl(&self, user: UserId) -> StoreResult<Option<String>> {
                let row: Option<(Option<String>,)> =
                    sqlx::query_as("select password_hash from users where id = $1")
                        .bind(user.0)
                        .fetch_optional(self.reader())
                        .await
                        .db()?;
                row.map(|(hash,)| hash).ok_or_else(|| StoreError::not_found("user", user))
            }

            async fn set_password_hash_impl(
                &self,
                user: UserId,
                hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<()> {
                let hash = crate::ops::access::rules::password_hash(hash)?;
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "update users set password_hash = $2, password_changed_at = $3 where id = $1",
                )
                .bind(user.0)
                .bind(hash)
                .bind(crate::time::to_micros(at))
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected();
                if updated == 0 {
                    return Err(StoreError::not_found("user", user));
                }
                let now = crate::time::to_micros(crate::time::now());
                Self::announce(&mut tx, ChangeKind::UserUpdated, user.0, now).await?;
                tx.commit().await.db()
            }

            async fn set_user_role_impl(&self, user: UserId, role: Role) -> StoreResult<User> {
                let mut tx = self.begin_write().await?;
                let admins = Self::lock_active_admins(&mut tx).await?;
                let before = Self::lock_user(&mut tx, user).await?;
                if before.role == role.as_str() {
                    let unchanged = before.into_domain();
                    tx.rollback().await.db()?;
                    return unchanged;
                }
                if role != Role::Admin {
                    Self::keep_an_admin(&admins, &before, "take the admin role from")?;
                }
                let sql = format!(
                    "update users set role = $2 where id = $1 returning {}",
                    crate::rows::USER_COLUMNS
                );
                let row: crate::rows::UserRow = sqlx::query_as(&sql)
                    .bind(user.0)
                    .bind(role.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                Self::announce_user(tx, row).await
            }

            async fn set_user_name_impl(&self, user: UserId, name: &str) -> StoreResult<User> {
                let name = crate::ops::directory::required("user name", name)?;
                let mut tx = self.begin_write().await?;
                let before = Self::lock_user(&mut tx, user).await?;
                if before.name == name {
                    let unchanged = before.into_domain();
                    tx.rollback().await.db()?;
                    return unchanged;
                }
                let sql = format!(
                    "update users set name = $2 where id = $1 returning {}",
                    crate::rows::USER_COLUMNS
                );
                let row: crate::rows::UserRow =
                    sqlx::query_as(&sql).bind(user.0).bind(name).fetch_one(&mut *tx).await.db()?;
                Self::announce_user(tx, row).await
            }

            async fn deactivate_user_impl(
                &self,
                user: UserId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<User> {
                let at = crate::time::to_micros(at);
                let mut tx = self.begin_write().await?;
                let admins = Self::lock_active_admins(&mut tx).await?;
                let before = Self::lock_user(&mut tx, user).await?;
                if before.deactivated_at.is_some() {
                    // Deactivated already: the first time stands, and the sessions and tokens
                    // went then (none can be made for a deactivated user since).
                    let unchanged = before.into_domain();
                    tx.rollback().await.db()?;
                    return unchanged;
                }
                Self::keep_an_admin(&admins, &before, "deactivate")?;
                let sql = format!(
                    "update users set deactivated_at = $2 where id = $1 returning {}",
                    crate::rows::USER_COLUMNS
                );
                let row: crate::rows::UserRow =
                    sqlx::query_as(&sql).bind(user.0).bind(at).fetch_one(&mut *tx).await.db()?;
                sqlx::query("delete from sessions where user_id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                sqlx::query(
                    "update api_tokens set revoked_at = $2 \
                     where user_id = $1 and revoked_at is null",
                )
                .bind(user.0)
                .bind(at)
                .execute(&mut *tx)
                .await
                .db()?;
                Self::announce_user(tx, row).await
            }

            async fn reactivate_user_impl(&self, user: UserId) -> StoreResult<User> {
                let mut tx = self.begin_write().await?;
                let before = Self::lock_user(&mut tx, user).await?;
                if before.deactivated_at.is_none() {
                    let unchanged = before.into_domain();
                    tx.rollback().await.db()?;
                    return unchanged;
                }
                let sql = format!(
                    "update users set deactivated_at = null where id = $1 returning {}",
                    crate::rows::USER_COLUMNS
                );
                let row: crate::rows::UserRow =
                    sqlx::query_as(&sql).bind(user.0).fetch_one(&mut *tx).await.db()?;
                Self::announce_user(tx, row).await
            }

            async fn count_active_admins_impl(&self) -> StoreResult<u64> {
                let count: i64 = sqlx::query_scalar(
                    "select count(*) from users where role = $1 and deactivated_at is null",
                )
                .bind(Role::Admin.as_str())
                .fetch_one(self.reader())
                .await
                .db()?;
                u64::try_from(count).map_err(|err| crate::error::corrupt("admin count", err))
            }

            async fn remove_team_member_impl(&self, team: TeamId, user: UserId) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from teams where id = $1", team.0, "team")
                    .await?;
                let removed =
                    sqlx::query("delete from team_members where team_id = $1 and user_id = $2")
                        .bind(team.0)
                        .bind(user.0)
                        .execute(&mut *tx)
                        .await
                        .db()?
                        .rows_affected();
                if removed == 0 {
                    return Err(StoreError::not_found(
                        "team member",
                        format!("user {user} in team {team}"),
                    ));
                }
                let now = crate::time::to_micros(crate::time::now());
                Self::announce(&mut tx, ChangeKind::TeamUpdated, team.0, now).await?;
                tx.commit().await.db()
            }

            /// The ids of every active admin, their rows locked until `tx` ends (PostgreSQL).
            async fn lock_active_admins(
                tx: &mut sqlx::Transaction<'static, Db>,
            ) -> StoreResult<Vec<i64>> {
                let sql = format!(
                    "select id from users where role = $1 and deactivated_at is null{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                sqlx::query_scalar(&sql).bind(Role::Admin.as_str()).fetch_all(&mut **tx).await.db()
            }

            /// The user's row, locked until `tx` ends (PostgreSQL); `NotFound` when missing.
            async fn lock_user(
                tx: &mut sqlx::Transaction<'static, Db>,
                user: UserId,
            ) -> StoreResult<crate::rows::UserRow> {
                let sql = format!(
                    "select {} from users where id = $1{}",
                    crate::rows::USER_COLUMNS,
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let row: Option<crate::rows::UserRow> =
                    sqlx::query_as(&sql).bind(user.0).fetch_optional(&mut **tx).await.db()?;
                row.ok_or_else(|| StoreError::not_found("user", user))
            }

            /// `Conflict` when `user` is the only one of the locked active `admins`: trellis would
            /// be left with nobody to administer it.
            fn keep_an_admin(
                admins: &[i64],
                user: &crate::rows::UserRow,
                what: &str,
            ) -> StoreResult<()> {
                if admins == [user.id] {
                    return Err(StoreError::Conflict(format!(
                        "cannot {what} {}: they are the last active admin; make another user \
                         admin first",
                        user.email
                    )));
                }
                Ok(())
            }

            /// Appends `user_updated` for the user just written, commits, and returns them.
            async fn announce_user(
                mut tx: sqlx::Transaction<'static, Db>,
                row: crate::rows::UserRow,
            ) -> StoreResult<User> {
                let now = crate::time::to_micros(crate::time::now());
                Self::announce(&mut tx, ChangeKind::UserUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }
        }
    };
}
pub(crate) use user_access_ops;
