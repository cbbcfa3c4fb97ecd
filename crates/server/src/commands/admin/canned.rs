//! `trellis canned` and `trellis canned add|update|delete`: the canned replies agents insert by
//! shortcut and rules send, through the same service as the API (audited as `cli`).

use super::print_json;
use crate::commands::render::cell;
use crate::config::Config;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::sync::Arc;
use trellis_app::canned::{self, CannedChange};
use trellis_app::Principal;
use trellis_core::{CannedReplyId, CannedReplyInput, Store};

#[derive(Debug, Args)]
pub struct CannedArgs {
    #[command(subcommand)]
    pub command: Option<CannedCommand>,

    /// Print the canned replies as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CannedCommand {
    /// Add a canned reply
    Add {
        /// What an agent types to insert it, e.g. /refund
        #[arg(long)]
        shortcut: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body: String,
    },
    /// Change a canned reply's shortcut, title or body
    Update {
        #[arg(value_name = "ID")]
        id: i64,
        #[arg(long)]
        shortcut: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
    },
    /// Delete a canned reply
    Delete {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

pub async fn run(config: &Config, args: CannedArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let Some(command) = args.command else { return list(&store, args.json).await };
    let (store, operator) = (store.as_ref(), Principal::operator());
    match command {
        CannedCommand::Add { shortcut, title, body } => {
            let input = CannedReplyInput { shortcut, title, body };
            let reply = canned::create(store, &operator, input)
                .await
                .context("cannot add the canned reply")?;
            say!("canned reply {} added: {}", reply.id, reply.shortcut);
        }
        CannedCommand::Update { id, shortcut, title, body } => {
            let change = CannedChange { shortcut, title, body };
            let reply = canned::update(store, &operator, CannedReplyId(id), change)
                .await
                .context("cannot update the canned reply")?;
            say!("canned reply {} updated: {}", reply.id, reply.shortcut);
        }
        CannedCommand::Delete { id } => {
            let reply = canned::delete(store, &operator, CannedReplyId(id))
                .await
                .context("cannot delete the canned reply")?;
            say!("canned reply {} deleted: {}", reply.id, reply.shortcut);
        }
    }
    Ok(())
}

async fn list(store: &Arc<dyn Store>, json: bool) -> anyhow::Result<()> {
    let replies = store.list_canned_replies().await?;
    if json {
        return print_json(&replies);
    }
    if replies.is_empty() {
        say!("no canned replies; add one with `trellis canned add --shortcut /refund --title T --body B`");
        return Ok(());
    }
    say!("{:>5}  {:<16}  {:<24}  BODY", "ID", "SHORTCUT", "TITLE");
    for reply in &replies {
        say!(
            "{:>5}  {:<16}  {:<24}  {}",
            reply.id,
            cell(&reply.shortcut, 16),
            cell(&reply.title, 24),
            cell(&reply.body, 60)
        );
    }
    Ok(())
}
