//! `trellis reply CONVERSATION_ID TEXT`: queues a reply in the outbox, the right action for the
//! conversation (a DM into a private thread, else a public reply under its last inbound message),
//! and prints the entry. `trellis sync --once` or a running node delivers it.
//!
//! The CLI has no user sessions, so the reply is attributed to the system actor.

use crate::config::Config;
use clap::Args;
use std::io::Write;
use trellis_core::{Actor, ConversationId, OutboxItem};
use trellis_sync::outbox::{queue_reply, QueueError};

#[derive(Debug, Args)]
pub struct ReplyArgs {
    /// The conversation to answer (see `trellis conversations`)
    #[arg(value_name = "CONVERSATION_ID")]
    pub conversation: i64,

    /// The reply's text
    #[arg(value_name = "TEXT")]
    pub text: String,

    /// Queues once however often the command is repeated with the same key [default: derived
    /// from the conversation, the target message and the text]
    #[arg(long, value_name = "KEY", value_parser = idempotency_key)]
    pub idempotency_key: Option<String>,
}

pub async fn run(config: &Config, args: &ReplyArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let conversation = ConversationId(args.conversation);
    let item =
        queue_reply(&store, conversation, &args.text, Actor::System, args.idempotency_key.clone())
            .await
            .map_err(|error| refused("reply", conversation, error))?;
    writeln!(std::io::stdout().lock(), "{}", queued_line(&item))?;
    Ok(())
}

/// `queued outbox 4: reply on conversation 12 (queued)`; a repeated request shows the entry
/// it queued the first time, in whatever state that has reached.
pub fn queued_line(item: &OutboxItem) -> String {
    let conversation =
        item.conversation_id.map(|id| format!(" on conversation {id}")).unwrap_or_default();
    format!("queued outbox {}: {}{conversation} ({})", item.id, item.action.name(), item.state)
}

/// The error for an action that could not be queued, naming what was asked.
pub fn refused(action: &str, conversation: ConversationId, error: QueueError) -> anyhow::Error {
    anyhow::Error::new(error)
        .context(format!("cannot queue the {action} on conversation {conversation}"))
}

/// An idempotency key: 1 to 200 characters, not blank (as the API's header).
pub fn idempotency_key(value: &str) -> Result<String, String> {
    let key = value.trim();
    if key.is_empty() || key.chars().count() > 200 {
        return Err("an idempotency key is 1 to 200 characters".to_owned());
    }
    Ok(key.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn reply_takes_a_conversation_a_text_and_an_optional_key() {
        let cli =
            Cli::try_parse_from(["trellis", "reply", "12", "On it!", "--idempotency-key", " k-1 "])
                .unwrap();
        let Command::Reply(args) = cli.command else { panic!("expected reply") };
        assert_eq!(args.conversation, 12);
        assert_eq!(args.text, "On it!");
        assert_eq!(args.idempotency_key.as_deref(), Some("k-1"));
        assert!(Cli::try_parse_from(["trellis", "reply", "12"]).is_err(), "the text is required");
        assert!(Cli::try_parse_from(["trellis", "reply", "twelve", "hi"]).is_err());
        assert!(
            Cli::try_parse_from(["trellis", "reply", "1", "hi", "--idempotency-key", " "]).is_err()
        );
    }
}
