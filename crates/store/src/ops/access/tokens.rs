//! Personal API tokens, found by the SHA-256 of their secret. The hash goes in and is compared,
//! never read back out.
//!
//! Authenticating reads first and records the use only once `last_used_at` would move by a minute
//! (one conditional statement, so two nodes recording at once write once): a script calling the API
//! in a loop costs a read per request and a write per minute.

macro_rules! api_token_ops {
    () => {
        impl This {
            async fn create_api_token_impl(&self, token: NewApiToken) -> StoreResult<ApiToken> {
                let name = crate::ops::directory::required("token name", &token.name)?;
                let token_hash = crate::ops::directory::required("token hash", &token.token_hash)?;
                let prefix = crate::ops::directory::required("token prefix", &token.prefix)?;
                if token.expires_at.is_some_and(|expires_at| expires_at <= token.created_at) {
                    return Err(StoreError::Invalid(
                        "a token must expire after it is created".to_owned(),
                    ));
                }
                let mut tx = self.begin_write().await?;
                Self::require_active_user(&mut tx, token.user_id).await?;
                let sql = format!(
                    "insert into api_tokens (user_id, name, token_hash, prefix, created_at, \
                     expires_at) values ($1, $2, $3, $4, $5, $6) returning {}",
                    crate::rows_access::API_TOKEN_COLUMNS
                );
                let row: crate::rows_access::ApiTokenRow = sqlx::query_as(&sql)
                    .bind(token.user_id.0)
                    .bind(name)
                    .bind(token_hash)
                    .bind(prefix)
                    .bind(crate::time::to_micros(token.created_at))
                    .bind(token.expires_at.map(crate::time::to_micros))
                    .fetch_one(&mut *tx)
                    .await
                    .db()
                    .map_err(|error| match error {
                        // Never echo the hash, not even in an error.
                        StoreError::Conflict(_) => {
                            StoreError::Conflict("this token is already in use".to_owned())
                        }
                        other => other,
                    })?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn api_tokens_impl(&self, user: Option<UserId>) -> StoreResult<Vec<ApiToken>> {
                let columns = crate::rows_access::API_TOKEN_COLUMNS;
                let mut conn = self.reader().acquire().await.db()?;
                let rows: Vec<crate::rows_access::ApiTokenRow> = match user {
                    Some(user) => {
                        let sql = "select id from users where id = $1";
                        Self::require(&mut conn, sql, user.0, "user").await?;
                        let sql = format!(
                            "select {columns} from api_tokens where user_id = $1 order by id desc"
                        );
                        sqlx::query_as(&sql).bind(user.0).fetch_all(&mut *conn).await
                    }
                    None => {
                        let sql = format!("select {columns} from api_tokens order by id desc");
                        sqlx::query_as(&sql).fetch_all(&mut *conn).await
                    }
                }
                .db()?;
                rows.into_iter().map(crate::rows_access::ApiTokenRow::into_domain).collect()
            }

            async fn get_api_token_impl(&self, id: ApiTokenId) -> StoreResult<ApiToken> {
                let sql = format!(
                    "select {} from api_tokens where id = $1",
                    crate::rows_access::API_TOKEN_COLUMNS
                );
                let row: Option<crate::rows_access::ApiTokenRow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(self.reader()).await.db()?;
                row.ok_or_else(|| StoreError::not_found("api token", id))?.into_domain()
            }

            async fn revoke_api_token_impl(
                &self,
                id: ApiTokenId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<ApiToken> {
                let sql = format!(
                    "update api_tokens set revoked_at = coalesce(revoked_at, $2) where id = $1 \
                     returning {}",
                    crate::rows_access::API_TOKEN_COLUMNS
                );
                let mut tx = self.begin_write().await?;
                let row: Option<crate::rows_access::ApiTokenRow> = sqlx::query_as(&sql)
                    .bind(id.0)
                    .bind(crate::time::to_micros(at))
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                let row = row.ok_or_else(|| StoreError::not_found("api token", id))?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn authenticate_api_token_impl(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<(ApiToken, User)>> {
                let sql = crate::ops::access::rules::token_by_hash_sql();
                let found: Option<crate::rows_access::ApiTokenOwnerRow> = sqlx::query_as(&sql)
                    .bind(token_hash)
                    .fetch_optional(self.reader())
                    .await
                    .db()?;
                let Some(found) = found else { return Ok(None) };
                let user = found.owner.into_domain(found.token.user_id)?;
                let mut token = found.token.into_domain()?;
                if !token.is_usable(now) || !user.is_active() {
                    return Ok(None);
                }
                let now_micros = crate::time::to_micros(now);
                let last_used = token.last_used_at.map(crate::time::to_micros);
                if crate::ops::access::rules::use_needs_write(last_used, now_micros) {
                    let mut tx = self.begin_write().await?;
                    let recorded = sqlx::query(
                        "update api_tokens set last_used_at = $2 \
                         where id = $1 and (last_used_at is null or last_used_at <= $3)",
                    )
                    .bind(token.id.0)
                    .bind(now_micros)
                    .bind(crate::ops::access::rules::stale_use_before(now_micros))
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                    tx.commit().await.db()?;
                    if recorded > 0 {
                        token.last_used_at = Some(crate::time::from_micros(now_micros)?);
                    }
                }
                Ok(Some((token, user)))
            }
        }
    };
}
pub(crate) use api_token_ops;
