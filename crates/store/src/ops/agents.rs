//! Teams' assignment settings and agents' availability and capacity. Settings append
//! `team_updated` (entity: the team); availability and capacity append `agent_updated` (entity:
//! the user), so a follower knows which drain each one calls for.

/// An agent's state with their open-conversation count; `{team}` is replaced by the team filter.
/// A user without an `agent_states` row is offline since they were created.
pub(crate) const AGENT_STATES_SQL: &str = "select u.id as user_id, a.availability, \
     coalesce(a.availability_since, u.created_at) as availability_since, a.capacity, \
     (select count(*) from conversations c where c.assignee_id = u.id \
      and c.status <> 'resolved') as open_conversations \
     from users u left join agent_states a on a.user_id = u.id {team} order by u.id";

macro_rules! agents_ops {
    () => {
        impl This {
            async fn team_settings_impl(&self, team: TeamId) -> StoreResult<TeamSettings> {
                let row: Option<crate::rows_workflow::TeamSettingsRow> = sqlx::query_as(
                    "select t.id as team_id, s.assignment, s.default_capacity, \
                     s.return_after_offline_secs, s.round_robin_last \
                     from teams t left join team_settings s on s.team_id = t.id where t.id = $1",
                )
                .bind(team.0)
                .fetch_optional(self.reader())
                .await
                .db()?;
                row.ok_or_else(|| StoreError::not_found("team", team))?.into_domain()
            }

            async fn update_team_settings_impl(&self, settings: TeamSettings) -> StoreResult<()> {
                if settings.return_after_offline_secs.is_some_and(|secs| secs < 0) {
                    return Err(StoreError::Invalid(
                        "return_after_offline_secs must not be negative".into(),
                    ));
                }
                let team = settings.team_id.0;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from teams where id = $1", team, "team").await?;
                if let Some(user) = settings.round_robin_last {
                    Self::require(&mut tx, "select id from users where id = $1", user.0, "user")
                        .await?;
                }
                sqlx::query(
                    "insert into team_settings (team_id, assignment, default_capacity, \
                     return_after_offline_secs, round_robin_last, updated_at) \
                     values ($1, $2, $3, $4, $5, $6) on conflict (team_id) do update set \
                     assignment = excluded.assignment, \
                     default_capacity = excluded.default_capacity, \
                     return_after_offline_secs = excluded.return_after_offline_secs, \
                     round_robin_last = excluded.round_robin_last, \
                     updated_at = excluded.updated_at",
                )
                .bind(team)
                .bind(settings.assignment.as_str())
                .bind(i64::from(settings.default_capacity))
                .bind(settings.return_after_offline_secs)
                .bind(settings.round_robin_last.map(|u| u.0))
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?;
                Self::announce(&mut tx, ChangeKind::TeamUpdated, team, now).await?;
                tx.commit().await.db()
            }

            /// Setting the availability an agent already has (a user without a row is offline)
            /// changes nothing: `since` keeps telling how long they have been in it, which is
            /// what returning conversations after a long absence measures.
            async fn set_availability_impl(
                &self,
                user: UserId,
                availability: Availability,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<()> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from users where id = $1", user.0, "user").await?;
                let sql = format!(
                    "select availability from agent_states where user_id = $1{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let current: Option<String> =
                    sqlx::query_scalar(&sql).bind(user.0).fetch_optional(&mut *tx).await.db()?;
                let current = current.as_deref().unwrap_or(Availability::Offline.as_str());
                if current == availability.as_str() {
                    // Explicitly, so the row lock goes now rather than when sqlx gets round to
                    // rolling back a dropped transaction.
                    return tx.rollback().await.db();
                }
                sqlx::query(
                    "insert into agent_states (user_id, availability, availability_since, \
                     capacity, updated_at) values ($1, $2, $3, null, $4) \
                     on conflict (user_id) do update set availability = excluded.availability, \
                     availability_since = excluded.availability_since, \
                     updated_at = excluded.updated_at",
                )
                .bind(user.0)
                .bind(availability.as_str())
                .bind(crate::time::to_micros(at))
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?;
                Self::announce(&mut tx, ChangeKind::AgentUpdated, user.0, now).await?;
                tx.commit().await.db()
            }

            /// A user without a row gets one, offline since their creation.
            async fn set_capacity_impl(
                &self,
                user: UserId,
                capacity: Option<u32>,
            ) -> StoreResult<()> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let written = sqlx::query(
                    "insert into agent_states (user_id, availability, availability_since, \
                     capacity, updated_at) \
                     select id, $2, created_at, $3, $4 from users where id = $1 \
                     on conflict (user_id) do update set capacity = excluded.capacity, \
                     updated_at = excluded.updated_at",
                )
                .bind(user.0)
                .bind(Availability::Offline.as_str())
                .bind(capacity.map(i64::from))
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected();
                if written == 0 {
                    return Err(StoreError::not_found("user", user));
                }
                Self::announce(&mut tx, ChangeKind::AgentUpdated, user.0, now).await?;
                tx.commit().await.db()
            }

            async fn agent_states_impl(
                &self,
                team: Option<TeamId>,
            ) -> StoreResult<Vec<AgentState>> {
                let mut conn = self.reader().acquire().await.db()?;
                let filter = match team {
                    Some(team) => {
                        let sql = "select id from teams where id = $1";
                        Self::require(&mut conn, sql, team.0, "team").await?;
                        "where u.id in (select user_id from team_members where team_id = $1)"
                    }
                    None => "",
                };
                let sql = crate::ops::agents::AGENT_STATES_SQL.replace("{team}", filter);
                let mut query = sqlx::query_as::<Db, crate::rows_workflow::AgentStateRow>(&sql);
                if let Some(team) = team {
                    query = query.bind(team.0);
                }
                let rows = query.fetch_all(&mut *conn).await.db()?;
                rows.into_iter().map(crate::rows_workflow::AgentStateRow::into_domain).collect()
            }
        }
    };
}
pub(crate) use agents_ops;
