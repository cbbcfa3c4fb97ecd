//! `trellis sla policies`, `trellis sla policy add|update|delete` and `trellis sla show`: SLA
//! policies (targets per priority, warning percent, escalation; docs/examples/policy.json) timed
//! in a business-hours calendar, and one conversation's clocks. Policies are written through the
//! same service as the API (audited as `cli`).

use super::calendars::refusal;
use super::{print_json, read_definition};
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use trellis_app::calendars;
use trellis_app::policies::{self, PolicyChange};
use trellis_app::{Principal, ServiceError};
use trellis_core::{
    CalendarId, ConversationId, SlaClockRecord, SlaPolicyId, SlaPolicyInput, SlaPolicyRecord, Store,
};

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
    let (db, operator) = (store.as_ref(), Principal::operator());
    match args.command {
        SlaCommand::Policies { json } => list(db, json).await,
        SlaCommand::Policy { command: PolicyCommand::Add { name, file, calendar, default } } => {
            let definition = policies::definition_from_text(&read_definition(&file)?)?;
            let calendar_id = calendar.map(CalendarId);
            let input = SlaPolicyInput { name, calendar_id, is_default: default, definition };
            let policy = policies::create(db, &operator, input)
                .await
                .map_err(refusal)
                .context("cannot add the policy")?;
            say!("sla policy {} added: \"{}\"{}", policy.id, policy.name, default_note(&policy));
            Ok(())
        }
        SlaCommand::Policy {
            command: PolicyCommand::Update { id, name, file, calendar, no_calendar, default },
        } => {
            let current = find_policy(db, id).await?;
            let calendar_id = match (calendar, no_calendar) {
                (Some(calendar), _) => Some(Some(CalendarId(calendar))),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let definition = match file {
                Some(file) => Some(policies::definition_from_text(&read_definition(&file)?)?),
                None => None,
            };
            let change = PolicyChange { name, calendar_id, definition };
            // `--default` alone changes nothing else: no rewrite, only the flag moves.
            let mut policy = if default && change == PolicyChange::default() {
                current
            } else {
                policies::update(db, &operator, current.id, change)
                    .await
                    .map_err(refusal)
                    .context("cannot update the policy")?
            };
            if default {
                policy = policies::make_default(db, &operator, policy.id)
                    .await
                    .map_err(refusal)
                    .context("cannot make the policy the default")?;
            }
            say!("sla policy {} updated: \"{}\"{}", policy.id, policy.name, default_note(&policy));
            Ok(())
        }
        SlaCommand::Policy { command: PolicyCommand::Delete { id } } => {
            let policy = find_policy(db, id).await?;
            policies::delete(db, &operator, policy.id)
                .await
                .map_err(refusal)
                .context("cannot delete the policy")?;
            say!("sla policy {} deleted: \"{}\"", policy.id, policy.name);
            Ok(())
        }
        SlaCommand::Show { conversation, json } => show(&store, conversation, json).await,
    }
}

fn default_note(policy: &SlaPolicyRecord) -> &'static str {
    if policy.is_default {
        ", the default"
    } else {
        ""
    }
}

async fn list(store: &dyn Store, json: bool) -> anyhow::Result<()> {
    let operator = Principal::operator();
    let policies = policies::list(store, &operator).await?;
    if json {
        return print_json(&policies);
    }
    if policies.is_empty() {
        say!("no sla policies; add one with `trellis sla policy add --name N --file policy.json`");
        return Ok(());
    }
    let calendars = calendars::list(store, &operator).await?;
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

async fn find_policy(store: &dyn Store, id: i64) -> anyhow::Result<SlaPolicyRecord> {
    match policies::find(store, SlaPolicyId(id)).await {
        Err(ServiceError::NotFound(_)) => {
            anyhow::bail!("no sla policy {id} (see `trellis sla policies`)")
        }
        found => Ok(found?),
    }
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
