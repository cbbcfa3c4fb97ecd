//! Triage rules: stored definitions run in `position` order. Every write appends `rule_updated`
//! (entity: the rule) so the triage service on every node reloads its rule set.

use std::collections::HashSet;
use trellis_core::{RuleRecordId, StoreError};

/// `Invalid` unless `ids` names every stored rule exactly once.
pub(crate) fn check_permutation(stored: &[i64], ids: &[RuleRecordId]) -> Result<(), StoreError> {
    let wanted: HashSet<i64> = ids.iter().map(|id| id.0).collect();
    let have: HashSet<i64> = stored.iter().copied().collect();
    if wanted.len() != ids.len() {
        return Err(StoreError::Invalid("a rule is named more than once in the new order".into()));
    }
    if wanted != have {
        let mut missing: Vec<i64> = have.difference(&wanted).copied().collect();
        let mut unknown: Vec<i64> = wanted.difference(&have).copied().collect();
        missing.sort_unstable();
        unknown.sort_unstable();
        return Err(StoreError::Invalid(format!(
            "the new order must name every rule once: missing {missing:?}, unknown {unknown:?}"
        )));
    }
    Ok(())
}

macro_rules! rules_ops {
    () => {
        impl This {
            /// Two rules created at once on two PostgreSQL nodes may share a position; lists
            /// and evaluation break the tie by id, and the next reorder renumbers them.
            async fn create_rule_impl(&self, rule: RuleInput) -> StoreResult<RuleRecord> {
                let name = crate::ops::directory::required("rule name", &rule.name)?;
                let definition =
                    crate::rows_workflow::to_json("rule definition", &rule.definition)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "insert into rules (name, enabled, position, definition, created_at, \
                     updated_at) select $1, $2, coalesce(max(position), 0) + 1, $3, $4, $4 \
                     from rules returning {}",
                    crate::rows_workflow::RULE_COLUMNS
                );
                let row: crate::rows_workflow::RuleRow = sqlx::query_as(&sql)
                    .bind(name)
                    .bind(rule.enabled)
                    .bind(definition)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                Self::announce(&mut tx, ChangeKind::RuleUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn update_rule_impl(
                &self,
                id: RuleRecordId,
                rule: RuleInput,
            ) -> StoreResult<RuleRecord> {
                let name = crate::ops::directory::required("rule name", &rule.name)?;
                let definition =
                    crate::rows_workflow::to_json("rule definition", &rule.definition)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "update rules set name = $2, enabled = $3, definition = $4, updated_at = $5 \
                     where id = $1 returning {}",
                    crate::rows_workflow::RULE_COLUMNS
                );
                let row: Option<crate::rows_workflow::RuleRow> = sqlx::query_as(&sql)
                    .bind(id.0)
                    .bind(name)
                    .bind(rule.enabled)
                    .bind(definition)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                let row = row.ok_or_else(|| StoreError::not_found("rule", id))?;
                Self::announce(&mut tx, ChangeKind::RuleUpdated, row.id, now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            /// Deleting leaves a gap in the positions; the order of the others is unchanged.
            async fn delete_rule_impl(&self, id: RuleRecordId) -> StoreResult<()> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query("delete from rules where id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                if deleted == 0 {
                    return Err(StoreError::not_found("rule", id));
                }
                Self::announce(&mut tx, ChangeKind::RuleUpdated, id.0, now).await?;
                tx.commit().await.db()
            }

            async fn list_rules_impl(&self) -> StoreResult<Vec<RuleRecord>> {
                let sql = format!(
                    "select {} from rules order by position, id",
                    crate::rows_workflow::RULE_COLUMNS
                );
                let rows: Vec<crate::rows_workflow::RuleRow> =
                    sqlx::query_as(&sql).fetch_all(self.reader()).await.db()?;
                rows.into_iter().map(crate::rows_workflow::RuleRow::into_domain).collect()
            }

            /// Numbers the rules 1, 2, … in the order given, announcing those that moved.
            async fn reorder_rules_impl(&self, ids: &[RuleRecordId]) -> StoreResult<()> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "select id, position from rules order by id{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let stored: Vec<(i64, i64)> = sqlx::query_as(&sql).fetch_all(&mut *tx).await.db()?;
                let stored_ids: Vec<i64> = stored.iter().map(|(id, _)| *id).collect();
                crate::ops::rules::check_permutation(&stored_ids, ids)?;
                let position: std::collections::HashMap<i64, i64> = stored.into_iter().collect();
                let mut changes = Vec::new();
                for (new_position, id) in (1_i64..).zip(ids) {
                    if position.get(&id.0) == Some(&new_position) {
                        continue;
                    }
                    sqlx::query("update rules set position = $2, updated_at = $3 where id = $1")
                        .bind(id.0)
                        .bind(new_position)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    changes.push(crate::ops::feed::NewChange {
                        kind: ChangeKind::RuleUpdated,
                        entity_id: id.0,
                        conversation_id: None,
                    });
                }
                Self::append_changes(&mut tx, &changes, now).await?;
                tx.commit().await.db()
            }
        }
    };
}
pub(crate) use rules_ops;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_ids_in_another_order_are_a_permutation() {
        assert!(check_permutation(
            &[1, 2, 3],
            &[RuleRecordId(3), RuleRecordId(1), RuleRecordId(2)]
        )
        .is_ok());
    }

    #[test]
    fn a_missing_rule_a_repeated_rule_or_an_unknown_rule_is_invalid() {
        let cases: [&[RuleRecordId]; 3] = [
            &[RuleRecordId(1), RuleRecordId(2)],
            &[RuleRecordId(1), RuleRecordId(1), RuleRecordId(3)],
            &[RuleRecordId(1), RuleRecordId(2), RuleRecordId(4)],
        ];
        for ids in cases {
            assert!(matches!(check_permutation(&[1, 2, 3], ids), Err(StoreError::Invalid(_))));
        }
    }
}
