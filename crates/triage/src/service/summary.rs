//! The daily summary: per team, the SLA clocks that were met or breached in the last 24 hours
//! and the conversations open now, written to the log and sent to every supervisor.

use super::{TriageError, TriageService};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use trellis_core::{ConversationFilter, ConversationStatus, NewNotification, Role, TeamId};

/// Kind of the summary notification.
pub const DAILY_SUMMARY: &str = "daily_summary";

/// One team's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamSummary {
    pub team_id: TeamId,
    pub team_name: String,
    /// Conversations of the team open now.
    pub open: u64,
    /// Clocks of the team's conversations that breached within the period.
    pub breached: u64,
    /// Clocks of the team's conversations met within the period.
    pub met: u64,
}

/// The summary of the 24 hours before `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailySummary {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub teams: Vec<TeamSummary>,
}

impl DailySummary {
    /// One line per team, for the log and the notification.
    pub fn text(&self) -> String {
        let mut text = format!("SLA summary for the 24 hours to {}:", self.until.to_rfc3339());
        for team in &self.teams {
            text.push_str(&format!(
                "\n{}: {} open, {} breached, {} met",
                team.team_name, team.open, team.breached, team.met
            ));
        }
        text
    }
}

impl TriageService {
    /// Computes the summary of the day before `now`, logs it and notifies every supervisor.
    pub async fn daily_summary(&self, now: DateTime<Utc>) -> Result<DailySummary, TriageError> {
        let store = self.store();
        let since = now - Duration::days(1);
        let mut teams = Vec::new();
        for team in store.list_teams().await? {
            let mut summary = TeamSummary {
                team_id: team.id,
                team_name: team.name.clone(),
                open: 0,
                breached: 0,
                met: 0,
            };
            let open = ConversationFilter {
                teams: vec![team.id],
                statuses: vec![ConversationStatus::Open],
                limit: ConversationFilter::MAX_LIMIT,
                ..ConversationFilter::default()
            };
            self.each_conversation(open, |_| summary.open += 1).await?;
            let touched = ConversationFilter {
                teams: vec![team.id],
                updated_after: Some(since),
                limit: ConversationFilter::MAX_LIMIT,
                ..ConversationFilter::default()
            };
            let mut ids = Vec::new();
            self.each_conversation(touched, |id| ids.push(id)).await?;
            for id in ids {
                let Some(sla) = store.conversation_sla(id).await? else { continue };
                for clock in sla.clocks {
                    if !clock.settled_at.is_some_and(|at| since <= at && at < now) {
                        continue;
                    }
                    match clock.state.as_str() {
                        "breached" => summary.breached += 1,
                        "met" => summary.met += 1,
                        _ => {}
                    }
                }
            }
            teams.push(summary);
        }
        let summary = DailySummary { since, until: now, teams };
        let text = summary.text();
        tracing::info!(teams = summary.teams.len(), summary = %text, "daily sla summary");
        for user in store.list_users().await? {
            if user.role == Role::Supervisor {
                store
                    .notify(NewNotification {
                        user_id: user.id,
                        conversation_id: None,
                        kind: DAILY_SUMMARY.to_owned(),
                        text: text.clone(),
                        at: now,
                    })
                    .await?;
            }
        }
        Ok(summary)
    }

    /// Walks every page of a conversation list.
    async fn each_conversation(
        &self,
        mut filter: ConversationFilter,
        mut visit: impl FnMut(trellis_core::ConversationId),
    ) -> Result<(), TriageError> {
        loop {
            let page = self.store().list_conversations(&filter).await?;
            page.items.iter().for_each(|conversation| visit(conversation.id));
            match page.next {
                Some(next) => filter.after = Some(next),
                None => return Ok(()),
            }
        }
    }
}
