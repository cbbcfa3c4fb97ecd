//! Business-hours calendars and SLA policies. Writes append `policy_updated` (entity: the calendar
//! or policy) so triage recomputes the clocks that depend on them. Deleting one, refused while
//! something still depends on it, is in `policies/delete.rs`.

pub(crate) mod delete;

macro_rules! policies_ops {
    () => {
        $crate::ops::policies::delete::policy_delete_ops!();
        impl This {
            async fn create_calendar_impl(
                &self,
                calendar: CalendarInput,
            ) -> StoreResult<CalendarRecord> {
                let name = crate::ops::directory::required("calendar name", &calendar.name)?;
                let definition =
                    crate::rows_workflow::to_json("calendar definition", &calendar.definition)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "insert into calendars (name, definition, created_at, updated_at) \
                     values ($1, $2, $3, $3) returning {}",
                    crate::rows_workflow::CALENDAR_COLUMNS
                );
                let row: crate::rows_workflow::CalendarRow = sqlx::query_as(&sql)
                    .bind(name)
                    .bind(definition)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                Self::announce(&mut tx, ChangeKind::PolicyUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn update_calendar_impl(
                &self,
                id: CalendarId,
                calendar: CalendarInput,
            ) -> StoreResult<CalendarRecord> {
                let name = crate::ops::directory::required("calendar name", &calendar.name)?;
                let definition =
                    crate::rows_workflow::to_json("calendar definition", &calendar.definition)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "update calendars set name = $2, definition = $3, updated_at = $4 \
                     where id = $1 returning {}",
                    crate::rows_workflow::CALENDAR_COLUMNS
                );
                let row: Option<crate::rows_workflow::CalendarRow> = sqlx::query_as(&sql)
                    .bind(id.0)
                    .bind(name)
                    .bind(definition)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                let row = row.ok_or_else(|| StoreError::not_found("calendar", id))?;
                Self::announce(&mut tx, ChangeKind::PolicyUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn list_calendars_impl(&self) -> StoreResult<Vec<CalendarRecord>> {
                let sql = format!(
                    "select {} from calendars order by id",
                    crate::rows_workflow::CALENDAR_COLUMNS
                );
                let rows: Vec<crate::rows_workflow::CalendarRow> =
                    sqlx::query_as(&sql).fetch_all(self.reader()).await.db()?;
                rows.into_iter().map(crate::rows_workflow::CalendarRow::into_domain).collect()
            }

            /// Creates (`id` `None`) or rewrites a policy. Becoming the default takes the flag
            /// from the previous default in the same transaction; both are announced.
            async fn write_sla_policy(
                &self,
                id: Option<SlaPolicyId>,
                policy: SlaPolicyInput,
            ) -> StoreResult<SlaPolicyRecord> {
                let name = crate::ops::directory::required("sla policy name", &policy.name)?;
                let definition =
                    crate::rows_workflow::to_json("sla policy definition", &policy.definition)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                if let Some(calendar) = policy.calendar_id {
                    let sql = "select id from calendars where id = $1";
                    Self::require(&mut tx, sql, calendar.0, "calendar").await?;
                }
                let mut changes = Vec::new();
                if policy.is_default {
                    // Locks the default's row on PostgreSQL, so two policies made default at
                    // once queue here and the second takes the flag from the first.
                    let sql = format!(
                        "select id from sla_policies where is_default = $1{}",
                        <This as crate::dialect::Dialect>::FOR_UPDATE
                    );
                    let previous: Option<i64> =
                        sqlx::query_scalar(&sql).bind(true).fetch_optional(&mut *tx).await.db()?;
                    if let Some(previous) = previous.filter(|p| Some(*p) != id.map(|id| id.0)) {
                        sqlx::query(
                            "update sla_policies set is_default = $2, updated_at = $3 \
                             where id = $1",
                        )
                        .bind(previous)
                        .bind(false)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                        changes.push(previous);
                    }
                }
                let columns = crate::rows_workflow::POLICY_COLUMNS;
                let row: crate::rows_workflow::PolicyRow = match id {
                    None => {
                        let sql = format!(
                            "insert into sla_policies (name, calendar_id, is_default, \
                             definition, created_at, updated_at) \
                             values ($1, $2, $3, $4, $5, $5) returning {columns}"
                        );
                        sqlx::query_as(&sql)
                            .bind(name)
                            .bind(policy.calendar_id.map(|c| c.0))
                            .bind(policy.is_default)
                            .bind(definition)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await
                            .db()?
                    }
                    Some(id) => {
                        let sql = format!(
                            "update sla_policies set name = $2, calendar_id = $3, \
                             is_default = $4, definition = $5, updated_at = $6 \
                             where id = $1 returning {columns}"
                        );
                        sqlx::query_as(&sql)
                            .bind(id.0)
                            .bind(name)
                            .bind(policy.calendar_id.map(|c| c.0))
                            .bind(policy.is_default)
                            .bind(definition)
                            .bind(now)
                            .fetch_optional(&mut *tx)
                            .await
                            .db()?
                            .ok_or_else(|| StoreError::not_found("sla policy", id))?
                    }
                };
                changes.push(row.id);
                let changes: Vec<crate::ops::feed::NewChange> = changes
                    .into_iter()
                    .map(|entity_id| crate::ops::feed::NewChange {
                        kind: ChangeKind::PolicyUpdated,
                        entity_id,
                        conversation_id: None,
                    })
                    .collect();
                Self::append_changes(&mut tx, &changes, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn list_sla_policies_impl(&self) -> StoreResult<Vec<SlaPolicyRecord>> {
                let sql = format!(
                    "select {} from sla_policies order by id",
                    crate::rows_workflow::POLICY_COLUMNS
                );
                let rows: Vec<crate::rows_workflow::PolicyRow> =
                    sqlx::query_as(&sql).fetch_all(self.reader()).await.db()?;
                rows.into_iter().map(crate::rows_workflow::PolicyRow::into_domain).collect()
            }
        }
    };
}
pub(crate) use policies_ops;
