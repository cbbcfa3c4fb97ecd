//! Deleting calendars and SLA policies, refused while something still depends on them. Two of those
//! dependents are rules, whose definitions are the triage crate's JSON; the store knows just enough of it to find
//! references: `{"type": "apply_sla_policy", "policy_id": N}` among a rule's `actions`, and
//! `{"type": "within_business_hours" | "outside_business_hours", "calendar": NAME}` anywhere in
//! its `conditions` (groups and `not` nest them). The triage service tests pin those shapes.

use serde_json::Value;
use trellis_core::{RuleRecord, SlaPolicyId};

/// Whether a rule definition has an action applying `policy`.
pub(crate) fn applies_policy(definition: &Value, policy: SlaPolicyId) -> bool {
    definition["actions"].as_array().is_some_and(|actions| {
        actions.iter().any(|action| {
            action["type"] == "apply_sla_policy" && action["policy_id"].as_i64() == Some(policy.0)
        })
    })
}

/// Whether a rule definition has a business-hours condition naming the calendar `name`.
pub(crate) fn names_calendar(definition: &Value, name: &str) -> bool {
    fn walk(value: &Value, name: &str) -> bool {
        match value {
            Value::Object(fields) => {
                let business_hours = matches!(
                    fields.get("type").and_then(Value::as_str),
                    Some("within_business_hours" | "outside_business_hours")
                );
                (business_hours && fields.get("calendar").and_then(Value::as_str) == Some(name))
                    || fields.values().any(|nested| walk(nested, name))
            }
            Value::Array(items) => items.iter().any(|item| walk(item, name)),
            _ => false,
        }
    }
    walk(&definition["conditions"], name)
}

/// `rule 3 "Spam"` or `rules 3 "Spam", 5 "VIP"`: what a refusal names.
pub(crate) fn named(singular: &str, plural: &str, items: &[(i64, String)]) -> String {
    let list: Vec<String> = items.iter().map(|(id, name)| format!("{id} \"{name}\"")).collect();
    let noun = if items.len() == 1 { singular } else { plural };
    format!("{noun} {}", list.join(", "))
}

/// How a refusal goes on to speak of what it named.
pub(crate) fn them(items: &[(i64, String)]) -> &'static str {
    if items.len() == 1 {
        "it"
    } else {
        "them"
    }
}

/// The ids and names of the rules whose definition `refers`.
pub(crate) fn referring_rules(
    rules: &[RuleRecord],
    refers: impl Fn(&Value) -> bool,
) -> Vec<(i64, String)> {
    rules
        .iter()
        .filter(|rule| refers(&rule.definition))
        .map(|rule| (rule.id.0, rule.name.clone()))
        .collect()
}

macro_rules! policy_delete_ops {
    () => {
        impl This {
            /// See `WorkflowStore::delete_calendar`. The calendar's row is locked first, so a
            /// policy written at the same moment either waits and then finds it gone, or is seen.
            async fn delete_calendar_impl(&self, id: CalendarId) -> StoreResult<()> {
                use crate::ops::policies::delete::{named, names_calendar, referring_rules, them};
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "select name from calendars where id = $1{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let name: Option<String> =
                    sqlx::query_scalar(&sql).bind(id.0).fetch_optional(&mut *tx).await.db()?;
                let name = name.ok_or_else(|| StoreError::not_found("calendar", id))?;
                let policies: Vec<(i64, String)> = sqlx::query_as(
                    "select id, name from sla_policies where calendar_id = $1 order by id",
                )
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await
                .db()?;
                if !policies.is_empty() {
                    return Err(StoreError::Conflict(format!(
                        "calendar {id} \"{name}\" is used by {}: give {} another calendar first",
                        named("sla policy", "sla policies", &policies),
                        them(&policies)
                    )));
                }
                // Rules name calendars by name: another calendar of the same name keeps them
                // working.
                let namesakes: i64 =
                    sqlx::query_scalar("select count(*) from calendars where name = $1 and id <> $2")
                        .bind(&name)
                        .bind(id.0)
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                if namesakes == 0 {
                    let rules = Self::rules_in(&mut tx).await?;
                    let naming = referring_rules(&rules, |d| names_calendar(d, &name));
                    if !naming.is_empty() {
                        return Err(StoreError::Conflict(format!(
                            "calendar {id} \"{name}\" is named by the business-hours conditions \
                             of {}: change or delete {} first",
                            named("rule", "rules", &naming),
                            them(&naming)
                        )));
                    }
                }
                sqlx::query("delete from calendars where id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                Self::announce(&mut tx, ChangeKind::PolicyUpdated, id.0, now).await?;
                tx.commit().await.db()
            }

            /// See `WorkflowStore::delete_sla_policy`. Locks the default's row, then the
            /// policy's, in the order `write_sla_policy` takes them: making this policy the
            /// default at the same moment waits and then finds it gone, or is seen and refused,
            /// and an SLA record put on it at the same moment waits for the move or is moved.
            /// A rule written on another node at the same moment is not seen; triage passes
            /// over a rule naming a policy that is gone, with a warning.
            async fn delete_sla_policy_impl(&self, id: SlaPolicyId) -> StoreResult<()> {
                use crate::ops::policies::delete::{applies_policy, named, referring_rules, them};
                let now_at = crate::time::now();
                let now = crate::time::to_micros(now_at);
                let mut tx = self.begin_write().await?;
                let (columns, lock) = (
                    crate::rows_workflow::POLICY_COLUMNS,
                    <This as crate::dialect::Dialect>::FOR_UPDATE,
                );
                let sql = format!("select {columns} from sla_policies where is_default = $1{lock}");
                let default: Option<crate::rows_workflow::PolicyRow> =
                    sqlx::query_as(&sql).bind(true).fetch_optional(&mut *tx).await.db()?;
                let sql = format!("select {columns} from sla_policies where id = $1{lock}");
                let policy: Option<crate::rows_workflow::PolicyRow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *tx).await.db()?;
                let policy = policy.ok_or_else(|| StoreError::not_found("sla policy", id))?;
                if policy.is_default {
                    return Err(StoreError::Conflict(format!(
                        "sla policy {id} \"{}\" is the default: make another policy the default \
                         first",
                        policy.name
                    )));
                }
                let rules = Self::rules_in(&mut tx).await?;
                let applying = referring_rules(&rules, |d| applies_policy(d, id));
                if !applying.is_empty() {
                    return Err(StoreError::Conflict(format!(
                        "sla policy {id} \"{}\" is applied by {}: change or delete {} first",
                        policy.name,
                        named("rule", "rules", &applying),
                        them(&applying)
                    )));
                }
                let timed: Vec<i64> = sqlx::query_scalar(
                    "select conversation_id from conversation_sla where policy_id = $1 \
                     order by conversation_id",
                )
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await
                .db()?;
                if !timed.is_empty() {
                    let Some(default) = default else {
                        let noun = if timed.len() == 1 { "conversation" } else { "conversations" };
                        return Err(StoreError::Conflict(format!(
                            "sla policy {id} \"{}\" times {} {noun} and no default policy \
                             exists to take them over: make a policy the default first",
                            policy.name,
                            timed.len()
                        )));
                    };
                    sqlx::query("update conversation_sla set policy_id = $2 where policy_id = $1")
                        .bind(id.0)
                        .bind(default.id)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    let detail = serde_json::json!({
                        "policy_id": default.id,
                        "name": default.name,
                        "replaced_policy_id": id,
                    });
                    let events: Vec<NewTimelineEvent> = timed
                        .iter()
                        .map(|conversation| NewTimelineEvent {
                            conversation_id: ConversationId(*conversation),
                            at: now_at,
                            actor: Actor::System,
                            kind: "sla_policy_applied".to_owned(),
                            detail: detail.clone(),
                        })
                        .collect();
                    Self::insert_timeline(&mut tx, &events).await?;
                }
                sqlx::query("delete from sla_policies where id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                Self::announce(&mut tx, ChangeKind::PolicyUpdated, id.0, now).await?;
                tx.commit().await.db()
            }

            /// Every rule, read in the caller's transaction.
            async fn rules_in(
                conn: &mut <Db as sqlx::Database>::Connection,
            ) -> StoreResult<Vec<RuleRecord>> {
                let sql =
                    format!("select {} from rules order by id", crate::rows_workflow::RULE_COLUMNS);
                let rows: Vec<crate::rows_workflow::RuleRow> =
                    sqlx::query_as(&sql).fetch_all(&mut *conn).await.db()?;
                rows.into_iter().map(crate::rows_workflow::RuleRow::into_domain).collect()
            }
        }
    };
}
pub(crate) use policy_delete_ops;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_an_apply_action_naming_the_policy_refers_to_it() {
        let definition = json!({
            "conditions": { "conditions": [ { "type": "priority", "any_of": ["urgent"] } ] },
            "actions": [
                { "type": "add_tag", "tag": "vip" },
                { "type": "apply_sla_policy", "policy_id": 4 }
            ]
        });
        assert!(applies_policy(&definition, SlaPolicyId(4)));
        assert!(!applies_policy(&definition, SlaPolicyId(5)));
        assert!(!applies_policy(&json!({ "actions": [] }), SlaPolicyId(4)));
        // A policy id elsewhere (a canned reply's id, say) is not an application.
        let other = json!({ "actions": [ { "type": "send_canned_reply", "canned_reply_id": 4 } ] });
        assert!(!applies_policy(&other, SlaPolicyId(4)));
    }

    #[test]
    fn a_calendar_is_found_in_nested_groups_and_negations_but_not_in_actions() {
        let nested = json!({
            "conditions": { "match_mode": "all", "conditions": [
                { "type": "group", "match_mode": "any", "conditions": [
                    { "type": "not", "condition":
                        { "type": "outside_business_hours", "calendar": "support-eu" } }
                ] }
            ] },
            "actions": []
        });
        assert!(names_calendar(&nested, "support-eu"));
        assert!(!names_calendar(&nested, "support-us"));
        let in_text = json!({
            "conditions": { "conditions": [
                { "type": "text_contains", "any_of": ["support-eu"] }
            ] },
            "actions": [ { "type": "add_tag", "tag": "support-eu" } ]
        });
        assert!(!names_calendar(&in_text, "support-eu"));
    }

    #[test]
    fn a_refusal_names_one_item_in_the_singular_and_several_in_the_plural() {
        assert_eq!(named("rule", "rules", &[(3, "Spam".into())]), "rule 3 \"Spam\"");
        assert_eq!(
            named("rule", "rules", &[(3, "Spam".into()), (5, "VIP".into())]),
            "rules 3 \"Spam\", 5 \"VIP\""
        );
        assert_eq!(them(&[(3, "Spam".into())]), "it");
        assert_eq!(them(&[(3, "Spam".into()), (5, "VIP".into())]), "them");
    }
}
