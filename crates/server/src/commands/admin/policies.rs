//! `trellis sla policies`, `trellis sla policy add|update|delete` and `trellis sla show`: SLA
//! policies (targets per priority, warning percent, escalation; docs/examples/policy.json) timed
//! in a business-hours calendar, and one conversation's clocks.

use super::calendars::find_calendar;
use super::{print_json, read_definition};
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use trellis_core::{
    CalendarId, ConversationId, SlaClockRecord, SlaPolicyId, SlaPolicyInput, SlaPolicyRecord, Store,
};
use trellis_triage::stored::{calendar_from_record, policy_draft};

#[derive(Debug, Args)]
pub struct SlaArgs {
    #[command(subcommand)]
    pub command: SlaCommand,
}

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// List the SLA policies
    Policies {
        /// Print the policies with their definitions as JSON
        #[arg(long)]
        json: bool,
    },
    /// Add, update or delete an SLA policy
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Show a conversation's SLA: its policy and each clock's state and due time
    Show {
        #[arg(value_name = "CONVERSATION")]
        conversation: i64,
        /// Print the SLA record as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Add an SLA policy
    Add {
        #[arg(long)]
        name: String,
        /// The definition: targets, warning_percent, escalation (`-` for standard input)
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The business-hours calendar its targets count in [default: round the clock, UTC]
        #[arg(long, value_name = "ID")]
        calendar: Option<i64>,
        /// Apply it to new conversations no rule gave a policy (takes over from the current default)
        #[arg(long)]
        default: bool,
    },
    /// Change an SLA policy's definition, name, calendar, or make it the default
    Update {
        #[arg(value_name = "ID")]
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        #[arg(long, value_name = "ID", conflicts_with = "no_calendar")]
        calendar: Option<i64>,
        /// Count round the clock in UTC instead of in a calendar
        #[arg(long)]
        no_calendar: bool,
        #[arg(long)]
        default: bool,
    },
    /// Delete an SLA policy no rule applies; the conversations it times move to the default
    Delete {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

pub async fn run(config: &Config, args: SlaArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    match args.command {
        SlaCommand::Policies { json } => list(&store, json).await,
        SlaCommand::Policy { command: PolicyCommand::Add { name, file, calendar, default } } => {
            let text = read_definition(&file)?;
            let calendar_id = calendar.map(CalendarId);
            let definition = validate(&store, &name, &text, calendar_id).await?;
            let input = SlaPolicyInput { name, calendar_id, is_default: default, definition };
            let policy = store.create_sla_policy(input).await.context("cannot add the policy")?;
            say!("sla policy {} added: \"{}\"{}", policy.id, policy.name, default_note(&policy));
            Ok(())
        }
        SlaCommand::Policy {
            command: PolicyCommand::Update { id, name, file, calendar, no_calendar, default },
        } => {
            let current = find_policy(&store, id).await?;
            let name = name.unwrap_or(current.name);
            let calendar_id = match (calendar, no_calendar) {
                (Some(calendar), _) => Some(CalendarId(calendar)),
                (None, true) => None,
                (None, false) => current.calendar_id,
            };
            let text = match file {
                Some(file) => read_definition(&file)?,
                None => current.definition.to_string(),
            };
            // Checked again even when only the calendar changed: the targets count in it.
            let definition = validate(&store, &name, &text, calendar_id).await?;
            let is_default = default || current.is_default;
            let input = SlaPolicyInput { name, calendar_id, is_default, definition };
            let policy = store.update_sla_policy(current.id, input).await?;
            say!("sla policy {} updated: \"{}\"{}", policy.id, policy.name, default_note(&policy));
            Ok(())
        }
        SlaCommand::Policy { command: PolicyCommand::Delete { id } } => {
            let policy = find_policy(&store, id).await?;
            store.delete_sla_policy(policy.id).await.context("cannot delete the policy")?;
            say!("sla policy {} deleted: \"{}\"", policy.id, policy.name);
            Ok(())
        }
        SlaCommand::Show { conversation, json } => show(&store, conversation, json).await,
    }
}

async fn validate(
    store: &Arc<dyn Store>,
    name: &str,
    text: &str,
    calendar_id: Option<CalendarId>,
) -> anyhow::Result<serde_json::Value> {
    let calendar = match calendar_id {
        Some(id) => {
            let record = find_calendar(store, id.0).await?;
            Some((id, calendar_from_record(&record)?))
        }
        None => None,
    };
    Ok(policy_draft(name, text, calendar)?.definition)
}

fn default_note(policy: &SlaPolicyRecord) -> &'static str {
    if policy.is_default {
        ", the default"
    } else {
        ""
    }
}

async fn list(store: &Arc<dyn Store>, json: bool) -> anyhow::Result<()> {
    let policies = store.list_sla_policies().await?;
    if json {
        return print_json(&policies);
    }
    if policies.is_empty() {
        say!("no sla policies; add one with `trellis sla policy add --name N --file policy.json`");
        return Ok(());
    }
    let calendars = store.list_calendars().await?;
    say!("{:>5}  {:<24}  {:<7}  {:<24}  {:<19}", "ID", "NAME", "DEFAULT", "CALENDAR", "UPDATED");
    for policy in &policies {
        let calendar = match policy.calendar_id {
            Some(id) => calendars
                .iter()
                .find(|calendar| calendar.id == id)
                .map_or_else(|| format!("{id} (missing)"), |calendar| calendar.name.clone()),
            None => "round the clock (UTC)".to_owned(),
        };
        say!(
            "{:>5}  {:<24}  {:<7}  {:<24}  {:<19}",
            policy.id,
            cell(&policy.name, 24),
            if policy.is_default { "yes" } else { "no" },
            cell(&calendar, 24),
            utc_time(policy.updated_at)
        );
    }
    Ok(())
}

async fn find_policy(store: &Arc<dyn Store>, id: i64) -> anyhow::Result<SlaPolicyRecord> {
    store
        .list_sla_policies()
        .await?
        .into_iter()
        .find(|policy| policy.id == SlaPolicyId(id))
        .with_context(|| format!("no sla policy {id} (see `trellis sla policies`)"))
}

async fn show(store: &Arc<dyn Store>, conversation: i64, json: bool) -> anyhow::Result<()> {
    let id = ConversationId(conversation);
    store.get_conversation(id).await.with_context(|| format!("no conversation {id}"))?;
    let sla = store.conversation_sla(id).await?;
    if json {
        return print_json(&sla);
    }
    let Some(sla) = sla else {
        say!("conversation {id} has no sla clocks yet");
        return Ok(());
    };
    let policies = store.list_sla_policies().await?;
    let policy = match sla.policy_id {
        Some(policy_id) => policies
            .iter()
            .find(|policy| policy.id == policy_id)
            .map_or_else(|| format!("{policy_id}"), |p| format!("{} \"{}\"", p.id, p.name)),
        None => "none".to_owned(),
    };
    say!("conversation {id}: sla policy {policy}, computed {}", utc_time(sla.computed_at));
    if let Some(next) = sla.next_transition_at {
        say!("next transition: {}", utc_time(next));
    }
    if sla.clocks.is_empty() {
        say!("no clocks: the policy sets no target for this conversation's priority");
        return Ok(());
    }
    say!("{:<15}  {:<8}  {:<19}  {:<19}  {:<19}", "METRIC", "STATE", "DUE", "WARNING", "SETTLED");
    for clock in &sla.clocks {
        say!("{}", clock_row(clock));
    }
    Ok(())
}

fn clock_row(clock: &SlaClockRecord) -> String {
    let time = |at: Option<DateTime<Utc>>| at.map_or_else(|| "-".to_owned(), utc_time);
    format!(
        "{:<15}  {:<8}  {:<19}  {:<19}  {:<19}",
        clock.metric,
        clock.state,
        time(clock.due_at),
        time(clock.warning_at),
        time(clock.settled_at)
    )
}
