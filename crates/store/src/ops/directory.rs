//! Brands, accounts, users and teams.

macro_rules! directory_ops {
    () => {
        impl This {
            async fn create_brand_impl(&self, name: &str) -> StoreResult<Brand> {
                let name = crate::ops::directory::required("brand name", name)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let row: crate::rows::BrandRow = sqlx::query_as(
                    "insert into brands (name, created_at) values ($1, $2) \
                     returning id, name, created_at",
                )
                .bind(name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .db()?;
                Self::announce(&mut tx, ChangeKind::BrandUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn list_brands_impl(&self) -> StoreResult<Vec<Brand>> {
                let rows: Vec<crate::rows::BrandRow> =
                    sqlx::query_as("select id, name, created_at from brands order by id")
                        .fetch_all(self.reader())
                        .await
                        .db()?;
                rows.into_iter().map(crate::rows::BrandRow::into_domain).collect()
            }

            async fn create_account_impl(&self, account: NewAccount) -> StoreResult<Account> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let row = Self::insert_account(&mut tx, &account, now).await?;
                Self::announce(&mut tx, ChangeKind::AccountUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            /// Inserts a new account of an existing brand, inside `tx`; a platform account already
            /// connected is a `Conflict` saying so. Announcing is the caller's.
            async fn insert_account(
                tx: &mut sqlx::Transaction<'static, Db>,
                account: &NewAccount,
                now: i64,
            ) -> StoreResult<crate::rows::AccountRow> {
                let platform_account_id = crate::ops::directory::required(
                    "platform account id",
                    &account.platform_account_id,
                )?;
                let display_name =
                    crate::ops::directory::required("display name", &account.display_name)?;
                let brand: Option<i64> = sqlx::query_scalar("select id from brands where id = $1")
                    .bind(account.brand_id.0)
                    .fetch_optional(&mut **tx)
                    .await
                    .db()?;
                if brand.is_none() {
                    return Err(StoreError::not_found("brand", account.brand_id));
                }
                sqlx::query_as(
                    "insert into accounts (brand_id, channel, platform_account_id, display_name, \
                     base_url, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) \
                     returning id, brand_id, channel, platform_account_id, display_name, \
                     base_url, created_at",
                )
                .bind(account.brand_id.0)
                .bind(account.channel.as_str())
                .bind(platform_account_id)
                .bind(display_name)
                .bind(account.base_url.trim())
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(|err| match crate::error::map(err) {
                    StoreError::Conflict(_) => StoreError::Conflict(format!(
                        "{} account {} is already connected",
                        account.channel, platform_account_id
                    )),
                    other => other,
                })
            }

            async fn get_account_impl(&self, id: AccountId) -> StoreResult<Account> {
                let row: Option<crate::rows::AccountRow> = sqlx::query_as(
                    "select id, brand_id, channel, platform_account_id, display_name, base_url, \
                     created_at from accounts where id = $1",
                )
                .bind(id.0)
                .fetch_optional(self.reader())
                .await
                .db()?;
                row.ok_or_else(|| StoreError::not_found("account", id))?.into_domain()
            }

            async fn list_accounts_impl(&self) -> StoreResult<Vec<Account>> {
                let rows: Vec<crate::rows::AccountRow> = sqlx::query_as(
                    "select id, brand_id, channel, platform_account_id, display_name, base_url, \
                     created_at from accounts order by id",
                )
                .fetch_all(self.reader())
                .await
                .db()?;
                rows.into_iter().map(crate::rows::AccountRow::into_domain).collect()
            }

            async fn create_user_impl(&self, user: NewUser) -> StoreResult<User> {
                let email = crate::ops::directory::required("email", &user.email)?;
                if !email.contains('@') {
                    return Err(StoreError::Invalid(format!("{email:?} is not an email address")));
                }
                let name = crate::ops::directory::required("user name", &user.name)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "insert into users (email, email_key, name, role, created_at) \
                     values ($1, $2, $3, $4, $5) returning {}",
                    crate::rows::USER_COLUMNS
                );
                let row: crate::rows::UserRow = sqlx::query_as(&sql)
                    .bind(email)
                    .bind(email.to_lowercase())
                    .bind(name)
                    .bind(user.role.as_str())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|err| match crate::error::map(err) {
                        StoreError::Conflict(_) => StoreError::Conflict(format!(
                            "a user with email {email} already exists"
                        )),
                        other => other,
                    })?;
                Self::announce(&mut tx, ChangeKind::UserUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn get_user_impl(&self, id: UserId) -> StoreResult<User> {
                let sql = format!("select {} from users where id = $1", crate::rows::USER_COLUMNS);
                let row: Option<crate::rows::UserRow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(self.reader()).await.db()?;
                row.ok_or_else(|| StoreError::not_found("user", id))?.into_domain()
            }

            async fn list_users_impl(&self) -> StoreResult<Vec<User>> {
                let sql = format!("select {} from users order by id", crate::rows::USER_COLUMNS);
                let rows: Vec<crate::rows::UserRow> =
                    sqlx::query_as(&sql).fetch_all(self.reader()).await.db()?;
                rows.into_iter().map(crate::rows::UserRow::into_domain).collect()
            }

            async fn create_team_impl(&self, name: &str) -> StoreResult<Team> {
                let name = crate::ops::directory::required("team name", name)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let row: crate::rows::TeamRow = sqlx::query_as(
                    "insert into teams (name, created_at) values ($1, $2) \
                     returning id, name, created_at",
                )
                .bind(name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .db()?;
                Self::announce(&mut tx, ChangeKind::TeamUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn list_teams_impl(&self) -> StoreResult<Vec<Team>> {
                let rows: Vec<crate::rows::TeamRow> =
                    sqlx::query_as("select id, name, created_at from teams order by id")
                        .fetch_all(self.reader())
                        .await
                        .db()?;
                rows.into_iter().map(crate::rows::TeamRow::into_domain).collect()
            }

            async fn add_team_member_impl(&self, team: TeamId, user: UserId) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from teams where id = $1", team.0, "team")
                    .await?;
                Self::require(&mut tx, "select id from users where id = $1", user.0, "user")
                    .await?;
                let added = sqlx::query(
                    "insert into team_members (team_id, user_id) values ($1, $2) \
                     on conflict (team_id, user_id) do nothing",
                )
                .bind(team.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected();
                // Adding a member again changes nothing, so it announces nothing.
                if added > 0 {
                    let now = crate::time::to_micros(crate::time::now());
                    Self::announce(&mut tx, ChangeKind::TeamUpdated, team.0, now).await?;
                }
                tx.commit().await.db()
            }

            async fn team_members_impl(&self, team: TeamId) -> StoreResult<Vec<UserId>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from teams where id = $1", team.0, "team")
                    .await?;
                let ids: Vec<i64> = sqlx::query_scalar(
                    "select user_id from team_members where team_id = $1 order by user_id",
                )
                .bind(team.0)
                .fetch_all(&mut *conn)
                .await
                .db()?;
                Ok(ids.into_iter().map(UserId).collect())
            }

            async fn user_teams_impl(&self, user: UserId) -> StoreResult<Vec<TeamId>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from users where id = $1", user.0, "user")
                    .await?;
                let ids: Vec<i64> = sqlx::query_scalar(
                    "select team_id from team_members where user_id = $1 order by team_id",
                )
                .bind(user.0)
                .fetch_all(&mut *conn)
                .await
                .db()?;
                Ok(ids.into_iter().map(TeamId).collect())
            }

            /// Appends one directory change (no conversation) in the caller's transaction.
            async fn announce(
                conn: &mut <Db as sqlx::Database>::Connection,
                kind: ChangeKind,
                entity_id: i64,
                at: i64,
            ) -> StoreResult<()> {
                let change = crate::ops::feed::NewChange { kind, entity_id, conversation_id: None };
                Self::append_changes(conn, &[change], at).await.map(|_| ())
            }

            /// `NotFound` unless `sql` (selecting by one id) finds a row.
            async fn require(
                conn: &mut <Db as sqlx::Database>::Connection,
                sql: &'static str,
                id: i64,
                entity: &'static str,
            ) -> StoreResult<()> {
                let found: Option<i64> =
                    sqlx::query_scalar(sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                found.map(|_| ()).ok_or_else(|| StoreError::not_found(entity, id))
            }
        }
    };
}
pub(crate) use directory_ops;

/// A trimmed, non-empty name; blank input is `Invalid` rather than a row nobody can read.
pub(crate) fn required<'a>(
    what: &str,
    value: &'a str,
) -> Result<&'a str, trellis_core::StoreError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(trellis_core::StoreError::Invalid(format!("{what} must not be empty")));
    }
    Ok(value)
}
