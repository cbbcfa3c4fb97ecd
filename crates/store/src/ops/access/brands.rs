//! Which brands each team serves (migration 0009), and so which brands an agent works: those of
//! every team they are a member of. A team without rows serves every brand. Changing a team's
//! brands appends `team_updated`.

macro_rules! team_brand_ops {
    () => {
        impl This {
            async fn set_team_brands_impl(
                &self,
                team: TeamId,
                brands: &[BrandId],
            ) -> StoreResult<Vec<BrandId>> {
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from teams where id = $1", team.0, "team")
                    .await?;
                let mut wanted: Vec<i64> = brands.iter().map(|brand| brand.0).collect();
                wanted.sort_unstable();
                wanted.dedup();
                for brand in &wanted {
                    Self::require(&mut tx, "select id from brands where id = $1", *brand, "brand")
                        .await?;
                }
                let current: Vec<i64> = sqlx::query_scalar(
                    "select brand_id from team_brands where team_id = $1 order by brand_id",
                )
                .bind(team.0)
                .fetch_all(&mut *tx)
                .await
                .db()?;
                if current != wanted {
                    sqlx::query("delete from team_brands where team_id = $1")
                        .bind(team.0)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    for brand in &wanted {
                        sqlx::query("insert into team_brands (team_id, brand_id) values ($1, $2)")
                            .bind(team.0)
                            .bind(*brand)
                            .execute(&mut *tx)
                            .await
                            .db()?;
                    }
                    let now = crate::time::to_micros(crate::time::now());
                    Self::announce(&mut tx, ChangeKind::TeamUpdated, team.0, now).await?;
                }
                tx.commit().await.db()?;
                Ok(wanted.into_iter().map(BrandId).collect())
            }

            async fn team_brands_impl(&self, team: TeamId) -> StoreResult<Vec<BrandId>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from teams where id = $1", team.0, "team")
                    .await?;
                let brands: Vec<i64> = sqlx::query_scalar(
                    "select brand_id from team_brands where team_id = $1 order by brand_id",
                )
                .bind(team.0)
                .fetch_all(&mut *conn)
                .await
                .db()?;
                Ok(brands.into_iter().map(BrandId).collect())
            }

            async fn brands_served_by_impl(
                &self,
                user: UserId,
            ) -> StoreResult<Option<Vec<BrandId>>> {
                // One row per (team, brand) of the user's teams; a team without brands gives
                // one row whose brand is null: it serves every brand.
                let rows: Vec<Option<i64>> = sqlx::query_scalar(
                    "select tb.brand_id from team_members m \
                     left join team_brands tb on tb.team_id = m.team_id \
                     where m.user_id = $1",
                )
                .bind(user.0)
                .fetch_all(self.reader())
                .await
                .db()?;
                if rows.iter().any(Option::is_none) {
                    return Ok(None);
                }
                let mut brands: Vec<BrandId> = rows.into_iter().flatten().map(BrandId).collect();
                brands.sort_unstable();
                brands.dedup();
                Ok(Some(brands))
            }
        }
    };
}
pub(crate) use team_brand_ops;
