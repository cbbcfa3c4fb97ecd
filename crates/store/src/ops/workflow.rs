//! `WorkflowStore` for a backend: each method forwards to the file that implements it
//! (`commands.rs` for patches, `assignment.rs`, `timeline.rs`, `rules.rs`, `policies.rs`,
//! `sla.rs`, `agents.rs`, `replies.rs`, `notifications.rs`), plus the explain helper their plan
//! checks share.

/// A value bound into a statement being explained.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExplainBind {
    Int(i64),
    Text(&'static str),
}

macro_rules! workflow_ops {
    () => {
        impl This {
            /// The database's plan for `sql` with `binds`, one line per plan row, under the
            /// backend's explain settings (see `Dialect::EXPLAIN_SETUP`).
            async fn explain_lines(
                &self,
                sql: &str,
                binds: &[crate::ops::workflow::ExplainBind],
            ) -> StoreResult<Vec<String>> {
                let sql = format!("{}{sql}", <This as crate::dialect::Dialect>::EXPLAIN);
                let mut tx = self.reader().begin().await.db()?;
                for statement in <This as crate::dialect::Dialect>::EXPLAIN_SETUP {
                    sqlx::query(statement).execute(&mut *tx).await.db()?;
                }
                let mut query = sqlx::query::<Db>(&sql);
                for bind in binds {
                    query = match bind {
                        crate::ops::workflow::ExplainBind::Int(value) => query.bind(*value),
                        crate::ops::workflow::ExplainBind::Text(value) => query.bind(*value),
                    };
                }
                let rows = query.fetch_all(&mut *tx).await.db()?;
                let lines =
                    rows.iter().map(Self::plan_line).collect::<StoreResult<Vec<String>>>()?;
                tx.rollback().await.db()?;
                Ok(lines)
            }
        }

        #[async_trait::async_trait]
        impl trellis_core::WorkflowStore for This {
            async fn patch_conversation(
                &self,
                id: ConversationId,
                patch: ConversationPatch,
                actor: Actor,
            ) -> StoreResult<Conversation> {
                self.patch_conversation_impl(id, patch, actor).await
            }

            async fn assign_if_unassigned(
                &self,
                id: ConversationId,
                user: UserId,
                actor: Actor,
            ) -> StoreResult<Option<Conversation>> {
                self.assign_if_unassigned_impl(id, user, actor).await
            }

            async fn assign_within_capacity(
                &self,
                id: ConversationId,
                user: UserId,
                capacity: u32,
                actor: Actor,
            ) -> StoreResult<Option<Conversation>> {
                self.assign_within_capacity_impl(id, user, capacity, actor).await
            }

            async fn unassign_if_held(
                &self,
                id: ConversationId,
                user: UserId,
                actor: Actor,
            ) -> StoreResult<Option<Conversation>> {
                self.unassign_if_held_impl(id, user, actor).await
            }

            async fn record_timeline(&self, events: Vec<NewTimelineEvent>) -> StoreResult<()> {
                self.record_timeline_impl(events).await
            }

            async fn conversation_timeline(
                &self,
                id: ConversationId,
            ) -> StoreResult<Vec<TimelineEvent>> {
                self.conversation_timeline_impl(id).await
            }

            async fn create_rule(&self, rule: RuleInput) -> StoreResult<RuleRecord> {
                self.create_rule_impl(rule).await
            }

            async fn update_rule(
                &self,
                id: RuleRecordId,
                rule: RuleInput,
            ) -> StoreResult<RuleRecord> {
                self.update_rule_impl(id, rule).await
            }

            async fn delete_rule(&self, id: RuleRecordId) -> StoreResult<()> {
                self.delete_rule_impl(id).await
            }

            async fn list_rules(&self) -> StoreResult<Vec<RuleRecord>> {
                self.list_rules_impl().await
            }

            async fn reorder_rules(&self, ids: &[RuleRecordId]) -> StoreResult<()> {
                self.reorder_rules_impl(ids).await
            }

            async fn create_calendar(
                &self,
                calendar: CalendarInput,
            ) -> StoreResult<CalendarRecord> {
                self.create_calendar_impl(calendar).await
            }

            async fn update_calendar(
                &self,
                id: CalendarId,
                calendar: CalendarInput,
            ) -> StoreResult<CalendarRecord> {
                self.update_calendar_impl(id, calendar).await
            }

            async fn list_calendars(&self) -> StoreResult<Vec<CalendarRecord>> {
                self.list_calendars_impl().await
            }

            async fn delete_calendar(&self, id: CalendarId) -> StoreResult<()> {
                self.delete_calendar_impl(id).await
            }

            async fn create_sla_policy(
                &self,
                policy: SlaPolicyInput,
            ) -> StoreResult<SlaPolicyRecord> {
                self.write_sla_policy(None, policy).await
            }

            async fn update_sla_policy(
                &self,
                id: SlaPolicyId,
                policy: SlaPolicyInput,
            ) -> StoreResult<SlaPolicyRecord> {
                self.write_sla_policy(Some(id), policy).await
            }

            async fn list_sla_policies(&self) -> StoreResult<Vec<SlaPolicyRecord>> {
                self.list_sla_policies_impl().await
            }

            async fn delete_sla_policy(&self, id: SlaPolicyId) -> StoreResult<()> {
                self.delete_sla_policy_impl(id).await
            }

            async fn conversation_sla(
                &self,
                id: ConversationId,
            ) -> StoreResult<Option<ConversationSla>> {
                self.conversation_sla_impl(id).await
            }

            async fn put_conversation_sla(&self, sla: ConversationSla) -> StoreResult<()> {
                self.put_conversation_sla_impl(sla).await
            }

            async fn due_sla(
                &self,
                until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> StoreResult<Vec<(ConversationId, chrono::DateTime<chrono::Utc>)>> {
                self.due_sla_impl(until, limit).await
            }

            async fn next_sla_transition(
                &self,
            ) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                self.next_sla_transition_impl().await
            }

            async fn team_settings(&self, team: TeamId) -> StoreResult<TeamSettings> {
                self.team_settings_impl(team).await
            }

            async fn update_team_settings(&self, settings: TeamSettings) -> StoreResult<()> {
                self.update_team_settings_impl(settings).await
            }

            async fn set_availability(
                &self,
                user: UserId,
                availability: Availability,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<()> {
                self.set_availability_impl(user, availability, at).await
            }

            async fn set_capacity(&self, user: UserId, capacity: Option<u32>) -> StoreResult<()> {
                self.set_capacity_impl(user, capacity).await
            }

            async fn agent_states(&self, team: Option<TeamId>) -> StoreResult<Vec<AgentState>> {
                self.agent_states_impl(team).await
            }

            async fn assignment_queue(
                &self,
                team: TeamId,
                limit: u32,
            ) -> StoreResult<Vec<Conversation>> {
                self.assignment_queue_impl(team, limit).await
            }

            async fn open_assigned(&self, user: UserId) -> StoreResult<Vec<Conversation>> {
                self.open_assigned_impl(user).await
            }

            async fn create_canned_reply(
                &self,
                reply: CannedReplyInput,
            ) -> StoreResult<CannedReply> {
                self.create_canned_reply_impl(reply).await
            }

            async fn update_canned_reply(
                &self,
                id: CannedReplyId,
                reply: CannedReplyInput,
            ) -> StoreResult<CannedReply> {
                self.update_canned_reply_impl(id, reply).await
            }

            async fn delete_canned_reply(&self, id: CannedReplyId) -> StoreResult<()> {
                self.delete_canned_reply_impl(id).await
            }

            async fn list_canned_replies(&self) -> StoreResult<Vec<CannedReply>> {
                self.list_canned_replies_impl().await
            }

            async fn notify(&self, notification: NewNotification) -> StoreResult<Notification> {
                self.notify_impl(notification).await
            }

            async fn notifications(
                &self,
                user: UserId,
                unread_only: bool,
                limit: u32,
            ) -> StoreResult<Vec<Notification>> {
                self.notifications_impl(user, unread_only, limit).await
            }

            async fn get_notification(&self, id: NotificationId) -> StoreResult<Notification> {
                self.get_notification_impl(id).await
            }

            async fn set_presence(&self, entry: trellis_core::PresenceEntry) -> StoreResult<bool> {
                self.set_presence_impl(entry).await
            }

            async fn clear_presence(
                &self,
                conversation: ConversationId,
                user: UserId,
            ) -> StoreResult<bool> {
                self.clear_presence_impl(conversation, user).await
            }

            async fn expire_presence(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<u64> {
                self.expire_presence_impl(now).await
            }

            async fn presence(
                &self,
                conversation: ConversationId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Vec<trellis_core::PresenceEntry>> {
                self.presence_impl(conversation, now).await
            }

            async fn presence_of(
                &self,
                conversation: ConversationId,
                user: UserId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<trellis_core::PresenceEntry>> {
                self.presence_of_impl(conversation, user, now).await
            }

            async fn mark_notification_read(&self, id: NotificationId) -> StoreResult<()> {
                self.mark_notification_read_impl(id).await
            }

            async fn follower_position(&self, name: &str) -> StoreResult<Seq> {
                self.follower_position_impl(name).await
            }

            async fn save_follower_position(&self, name: &str, seq: Seq) -> StoreResult<()> {
                self.save_follower_position_impl(name, seq).await
            }

            async fn acquire_named_lease(
                &self,
                name: &str,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                ttl: chrono::Duration,
            ) -> StoreResult<bool> {
                self.acquire_named_lease_impl(name, owner, now, ttl).await
            }

            async fn release_named_lease(&self, name: &str, owner: &str) -> StoreResult<()> {
                self.release_named_lease_impl(name, owner).await
            }
        }
    };
}
pub(crate) use workflow_ops;
