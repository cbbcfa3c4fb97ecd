//! `trellis canned` and `trellis canned add|update|delete`: the canned replies agents insert by
//! shortcut and rules send.

use super::print_json;
use crate::commands::render::cell;
use crate::config::Config;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::sync::Arc;
use trellis_core::{CannedReply, CannedReplyId, CannedReplyInput, Store};

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
    match command {
        CannedCommand::Add { shortcut, title, body } => {
            let input = CannedReplyInput { shortcut: checked(shortcut)?, title, body };
            let reply =
                store.create_canned_reply(input).await.context("cannot add the canned reply")?;
            say!("canned reply {} added: {}", reply.id, reply.shortcut);
        }
        CannedCommand::Update { id, shortcut, title, body } => {
            let current = find(&store, id).await?;
            let input = CannedReplyInput {
                shortcut: checked(shortcut.unwrap_or(current.shortcut))?,
                title: title.unwrap_or(current.title),
                body: body.unwrap_or(current.body),
            };
            let reply = store
                .update_canned_reply(current.id, input)
                .await
                .context("cannot update the canned reply")?;
            say!("canned reply {} updated: {}", reply.id, reply.shortcut);
        }
        CannedCommand::Delete { id } => {
            let reply = find(&store, id).await?;
            store.delete_canned_reply(reply.id).await?;
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

/// A shortcut is one word an agent types, starting with `/`.
fn checked(shortcut: String) -> anyhow::Result<String> {
    let word = shortcut.trim();
    if word.len() < 2 || !word.starts_with('/') || word.contains(char::is_whitespace) {
        anyhow::bail!(
            "invalid shortcut {shortcut:?}: expected one word starting with /, e.g. /refund"
        );
    }
    Ok(word.to_owned())
}

async fn find(store: &Arc<dyn Store>, id: i64) -> anyhow::Result<CannedReply> {
    store
        .list_canned_replies()
        .await?
        .into_iter()
        .find(|reply| reply.id == CannedReplyId(id))
        .with_context(|| format!("no canned reply {id} (see `trellis canned`)"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_shortcut_is_one_word_starting_with_a_slash() {
        assert_eq!(checked(" /refund ".into()).unwrap(), "/refund");
        for bad in ["refund", "/", "/two words", ""] {
            assert!(checked(bad.into()).is_err(), "{bad}");
        }
    }
}
