//! `trellis rule preview` and `trellis rule run`: trying rules on real messages. A preview goes
//! through the triage service's preview (the search index narrows the candidates, the store gives
//! their facts) and changes nothing; a run applies the stored rules to one conversation now, as
//! the service does for each new message, each change attributed to its rule on the timeline.

use super::{print_json, read_definition};
use crate::commands::render::cell;
use crate::config::Config;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use trellis_app::rules;
use trellis_app::Principal;
use trellis_core::{ConversationId, Store};
use trellis_triage::rules::AppliedAction;
use trellis_triage::service::{RuleTarget, TriageService};

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The draft's definition (`-` for standard input)
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,

    /// Look at inbound messages of the last DAYS days
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,

    /// Show at most this many matches
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,

    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The conversation whose latest inbound message the rules run on
    #[arg(long, value_name = "ID")]
    pub conversation: i64,

    /// Print what the rules did as JSON
    #[arg(long)]
    pub json: bool,
}

pub async fn preview(
    config: &Config,
    store: &Arc<dyn Store>,
    args: &PreviewArgs,
) -> anyhow::Result<()> {
    let definition = read_definition(&args.file)?;
    // Candidates come from the index, brought up to date when this process may write it.
    let index = crate::startup::open_search_for_reading(config, store).await?;
    let operator = Principal::operator();
    let samples = args.limit as usize;
    let report = rules::preview(store, &operator, index, &definition, args.days, samples).await?;
    if args.json {
        return print_json(&report);
    }
    say!(
        "the draft would match {} of {} inbound messages of the last {} days (nothing was changed)",
        report.matched,
        report.scanned,
        args.days
    );
    if report.samples.is_empty() {
        return Ok(());
    }
    say!("{:>7}  {:>12}  {:<40}  WOULD", "MESSAGE", "CONVERSATION", "TEXT");
    for sample in &report.samples {
        let text = store.get_message(sample.message_id).await.map(|m| m.text).unwrap_or_default();
        let actions: Vec<String> = sample.actions.iter().map(super::rules::action_words).collect();
        say!(
            "{:>7}  {:>12}  {:<40}  {}",
            sample.message_id,
            sample.conversation_id,
            cell(&text, 40),
            actions.join(", ")
        );
    }
    Ok(())
}

pub async fn run(store: &Arc<dyn Store>, args: &RunArgs) -> anyhow::Result<()> {
    let id = ConversationId(args.conversation);
    store.get_conversation(id).await.with_context(|| format!("no conversation {id}"))?;
    let service = TriageService::new(store.clone());
    let evaluation = service
        .run_rules_on(RuleTarget::Conversation(id))
        .await
        .with_context(|| format!("cannot run the rules on conversation {id}"))?;
    if args.json {
        return print_json(&json!({ "conversation_id": id, "evaluation": evaluation }));
    }
    if evaluation.matched.is_empty() {
        say!("no rule matched conversation {id}");
        return Ok(());
    }
    say!("conversation {id}: rules matched: {}", evaluation.matched.len());
    for applied in &evaluation.actions {
        say!("  {}", applied_line(applied));
    }
    if let Some(rule) = evaluation.stopped_by {
        say!("  rule {rule} stopped later rules");
    }
    Ok(())
}

/// `rule 3 "Refunds to billing": add_tag billing`
fn applied_line(applied: &AppliedAction) -> String {
    format!(
        "rule {} \"{}\": {}",
        applied.rule_id,
        applied.rule_name,
        super::rules::action_words(&applied.action)
    )
}
