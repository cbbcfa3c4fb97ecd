//! `trellis rules` and `trellis rule show|add|update|enable|disable|delete|move`: the triage rules
//! in evaluation order. A definition file holds a rule's conditions, actions and
//! `stop_processing` (docs/examples/rule.json); it is validated like the triage service compiles
//! it before anything is written. `preview` and `run` live in [`super::rule_runs`].

use super::rule_runs::{PreviewArgs, RunArgs};
use super::{print_json, read_definition};
use crate::commands::render::cell;
use crate::config::Config;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use trellis_app::rules;
use trellis_app::Principal;
use trellis_core::{RuleRecord, RuleRecordId, Store};
use trellis_triage::rules::{Action, Condition};
use trellis_triage::stored::RuleDefinition;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the rules with their definitions as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    #[command(subcommand)]
    pub command: RuleCommand,
}

#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Show one rule with its definition
    Show {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Add a rule after the last one
    Add {
        #[arg(long)]
        name: String,
        /// The definition: conditions, actions, stop_processing (`-` for standard input)
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Store it without running it yet
        #[arg(long)]
        disabled: bool,
    },
    /// Replace a rule's definition (and its name with --name)
    Update {
        #[arg(value_name = "ID")]
        id: i64,
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[arg(long)]
        name: Option<String>,
    },
    /// Run the rule on new messages again
    Enable {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Keep the rule but stop running it
    Disable {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Delete a rule
    Delete {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Move a rule to a position in the evaluation order (1 is first)
    Move {
        #[arg(value_name = "ID")]
        id: i64,
        #[arg(long, value_name = "POSITION", value_parser = clap::value_parser!(u32).range(1..))]
        to: u32,
    },
    /// Show what a draft rule would match and do over recent messages, changing nothing
    Preview(PreviewArgs),
    /// Run the stored rules now on a conversation's latest inbound message
    Run(RunArgs),
}

pub async fn list(config: &Config, args: &RulesArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let rules = store.list_rules().await?;
    if args.json {
        return print_json(&rules);
    }
    if rules.is_empty() {
        say!("no rules; add one with `trellis rule add --name N --file rule.json`");
        return Ok(());
    }
    say!("{:>3}  {:>5}  {:<28}  {:<7}  SUMMARY", "POS", "ID", "NAME", "ENABLED");
    for (position, rule) in rules.iter().enumerate() {
        say!(
            "{:>3}  {:>5}  {:<28}  {:<7}  {}",
            position + 1,
            rule.id,
            cell(&rule.name, 28),
            if rule.enabled { "yes" } else { "no" },
            summary(&rule.definition)
        );
    }
    Ok(())
}

pub async fn run(config: &Config, args: RuleArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let operator = Principal::operator();
    let db = store.as_ref();
    match args.command {
        RuleCommand::Preview(args) => super::rule_runs::preview(config, &store, &args).await?,
        RuleCommand::Run(args) => super::rule_runs::run(&store, &args).await?,
        RuleCommand::Show { id } => {
            let rule = find_rule(&store, id).await?;
            say!("rule {} \"{}\" ({})", rule.id, rule.name, enabled_word(rule.enabled));
            say!("position: {}", position_of(&store, rule.id).await?);
            say!("summary: {}", summary(&rule.definition));
            say!("{}", serde_json::to_string_pretty(&rule.definition)?);
        }
        RuleCommand::Add { name, file, disabled } => {
            let definition = read_definition(&file)?;
            let rule = rules::create(db, &operator, &name, !disabled, &definition)
                .await
                .context("cannot add the rule")?;
            say!("rule {} added: \"{}\" ({})", rule.id, rule.name, enabled_word(rule.enabled));
        }
        RuleCommand::Update { id, file, name } => {
            let definition = read_definition(&file)?;
            let rule =
                rules::update(db, &operator, RuleRecordId(id), name.as_deref(), Some(&definition))
                    .await
                    .context("cannot update the rule")?;
            say!("rule {} updated: \"{}\"", rule.id, rule.name);
        }
        RuleCommand::Enable { id } | RuleCommand::Disable { id } => {
            let enabled = matches!(args.command, RuleCommand::Enable { .. });
            let rule = rules::set_enabled(db, &operator, RuleRecordId(id), enabled).await?;
            say!("rule {} \"{}\" is {}", rule.id, rule.name, enabled_word(rule.enabled));
        }
        RuleCommand::Delete { id } => {
            let rule = rules::delete(db, &operator, RuleRecordId(id)).await?;
            say!("rule {} deleted: \"{}\"", rule.id, rule.name);
        }
        RuleCommand::Move { id, to } => {
            let order = rules::move_to(db, &operator, RuleRecordId(id), to).await?;
            let at =
                order.iter().position(|rule| rule.id == RuleRecordId(id)).map_or(0, |at| at + 1);
            say!("rule {id} is now at position {at}");
        }
    }
    Ok(())
}

pub(super) async fn find_rule(store: &Arc<dyn Store>, id: i64) -> anyhow::Result<RuleRecord> {
    rules::find(store.as_ref(), RuleRecordId(id))
        .await
        .with_context(|| format!("no rule {id} (see `trellis rules`)"))
}

async fn position_of(store: &Arc<dyn Store>, id: RuleRecordId) -> anyhow::Result<usize> {
    let rules = store.list_rules().await?;
    Ok(rules.iter().position(|rule| rule.id == id).map_or(0, |at| at + 1))
}

fn enabled_word(enabled: bool) -> &'static str {
    if enabled {
        "enabled"
    } else {
        "disabled"
    }
}

/// One line saying what a rule looks at and what it does:
/// `any of: text_matches_regex, contact_has_tag → add_tag spam, set_status resolved, stop`.
pub fn summary(definition: &serde_json::Value) -> String {
    let Ok(rule) = serde_json::from_value::<RuleDefinition>(definition.clone()) else {
        return "invalid definition (see `trellis rule show`)".to_owned();
    };
    let conditions: Vec<String> = rule.conditions.conditions.iter().map(condition_word).collect();
    let when = if conditions.is_empty() {
        "every message".to_owned()
    } else {
        let mode = serde_json::to_value(rule.conditions.match_mode).unwrap_or_default();
        format!("{} of: {}", mode.as_str().unwrap_or("all"), conditions.join(", "))
    };
    let mut actions: Vec<String> = rule.actions.iter().map(action_words).collect();
    if rule.stop_processing {
        actions.push("stop".to_owned());
    }
    format!(
        "{when} → {}",
        if actions.is_empty() { "nothing".to_owned() } else { actions.join(", ") }
    )
}

/// A condition's `type`, as written in the definition.
fn condition_word(condition: &Condition) -> String {
    let value = serde_json::to_value(condition).unwrap_or_default();
    value["type"].as_str().unwrap_or("condition").to_owned()
}

pub(super) fn action_words(action: &Action) -> String {
    match action {
        Action::AddTag { tag } => format!("add_tag {tag}"),
        Action::RemoveTag { tag } => format!("remove_tag {tag}"),
        Action::SetPriority { priority } => format!("set_priority {priority}"),
        Action::RouteToTeam { team_id } => format!("route_to_team {team_id}"),
        Action::AssignToUser { user_id } => format!("assign_to_user {user_id}"),
        Action::ApplySlaPolicy { policy_id } => format!("apply_sla_policy {policy_id}"),
        Action::SetStatus { status } => format!("set_status {status}"),
        Action::FlagForModeration { .. } => "flag_for_moderation".to_owned(),
        Action::SendCannedReply { canned_reply_id } => {
            format!("send_canned_reply {canned_reply_id}")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_summary_names_the_conditions_and_the_actions() {
        let definition = json!({
            "conditions": { "match_mode": "any", "conditions": [
                { "type": "text_contains", "any_of": ["refund"] },
                { "type": "author_verified" }
            ] },
            "actions": [ { "type": "add_tag", "tag": "billing" }, { "type": "set_priority", "priority": "high" } ],
            "stop_processing": true
        });
        assert_eq!(
            summary(&definition),
            "any of: text_contains, author_verified → add_tag billing, set_priority high, stop"
        );
    }

    #[test]
    fn a_rule_without_conditions_or_actions_says_so() {
        assert_eq!(summary(&json!({ "actions": [] })), "every message → nothing");
        assert!(summary(&json!({ "oops": 1 })).starts_with("invalid definition"));
    }
}
