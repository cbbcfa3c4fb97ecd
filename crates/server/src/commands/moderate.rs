//! `trellis moderate MESSAGE_ID hide|unhide|delete|flag [--reason …]`: queues a moderation action
//! on one message in the outbox and prints the entry. An action the message's platform has no
//! call for (flagging a tweet, hiding a Discourse post) is refused before anything is queued;
//! a refusal the platform gives for this message is recorded on the entry when delivered.
//!
//! The CLI has no user sessions, so the action is attributed to the system actor.

use crate::commands::reply::{idempotency_key, queued_line, refused};
use crate::config::Config;
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use std::io::Write;
use trellis_core::{Actor, FlagReason, MessageId};
use trellis_sync::outbox::{queue_moderation_for, Moderation};

#[derive(Debug, Args)]
pub struct ModerateArgs {
    /// The message to act on (the ids `trellis conversation ID` lists)
    #[arg(value_name = "MESSAGE_ID")]
    pub message: i64,

    /// What to do with it
    #[arg(value_enum, value_name = "ACTION")]
    pub action: ModerationArg,

    /// Why a flag is raised [default: notify, asking the moderators to look]
    #[arg(long, value_enum)]
    pub reason: Option<ReasonArg>,

    /// Queues once however often the command is repeated with the same key
    #[arg(long, value_name = "KEY", value_parser = idempotency_key)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModerationArg {
    Hide,
    Unhide,
    Delete,
    Flag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReasonArg {
    Spam,
    Inappropriate,
    Notify,
}

impl ModerateArgs {
    /// The moderation and the flag reason it carries; a reason given to anything but a flag is
    /// refused rather than silently dropped.
    pub fn moderation(&self) -> anyhow::Result<(Moderation, FlagReason)> {
        let moderation = match self.action {
            ModerationArg::Hide => Moderation::Hide,
            ModerationArg::Unhide => Moderation::Unhide,
            ModerationArg::Delete => Moderation::Delete,
            ModerationArg::Flag => Moderation::Flag,
        };
        let reason = match self.reason {
            Some(_) if moderation != Moderation::Flag => {
                bail!("--reason goes with flag only")
            }
            Some(ReasonArg::Spam) => FlagReason::Spam,
            Some(ReasonArg::Inappropriate) => FlagReason::Inappropriate,
            Some(ReasonArg::Notify) | None => FlagReason::NotifyModerators,
        };
        Ok((moderation, reason))
    }
}

pub async fn run(config: &Config, args: &ModerateArgs) -> anyhow::Result<()> {
    let (moderation, reason) = args.moderation()?;
    let store = crate::startup::open_store(config).await?;
    let message_id = MessageId(args.message);
    let message = store.get_message(message_id).await.context("cannot find the message")?;
    let conversation = message.conversation_id;
    let item = queue_moderation_for(
        &store,
        conversation,
        moderation,
        reason,
        message_id,
        Actor::System,
        args.idempotency_key.clone(),
    )
    .await
    .map_err(|error| refused(action_name(args.action), conversation, error))?;
    writeln!(std::io::stdout().lock(), "{}", queued_line(&item))?;
    Ok(())
}

fn action_name(action: ModerationArg) -> &'static str {
    match action {
        ModerationArg::Hide => "hide",
        ModerationArg::Unhide => "unhide",
        ModerationArg::Delete => "delete",
        ModerationArg::Flag => "flag",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<ModerateArgs, clap::Error> {
        let cli = Cli::try_parse_from(["trellis", "moderate"].iter().chain(args).copied())?;
        let Command::Moderate(args) = cli.command else { panic!("expected moderate") };
        Ok(args)
    }

    #[test]
    fn a_flag_takes_a_reason_and_defaults_to_notifying_moderators() {
        let spam = parse(&["41", "flag", "--reason", "spam"]).unwrap();
        assert_eq!(spam.message, 41);
        assert_eq!(spam.moderation().unwrap(), (Moderation::Flag, FlagReason::Spam));
        let plain = parse(&["41", "flag"]).unwrap();
        assert_eq!(plain.moderation().unwrap(), (Moderation::Flag, FlagReason::NotifyModerators));
    }

    #[test]
    fn a_reason_on_anything_but_a_flag_is_refused() {
        let hide = parse(&["41", "hide", "--reason", "spam"]).unwrap();
        let error = hide.moderation().unwrap_err().to_string();
        assert!(error.contains("--reason goes with flag only"), "{error}");
        assert_eq!(parse(&["41", "delete"]).unwrap().moderation().unwrap().0, Moderation::Delete);
    }

    #[test]
    fn an_unknown_action_or_reason_is_refused_by_the_parser() {
        assert!(parse(&["41", "ban"]).is_err());
        assert!(parse(&["41", "flag", "--reason", "rude"]).is_err());
        assert!(parse(&["flag"]).is_err());
    }
}
