//! `trellis assign|take|resolve|reopen|snooze|tag|priority ID`: the changes agents make to a
//! conversation, through the same service as `PATCH /api/v1/conversations/{id}` and
//! `POST /api/v1/conversations/{id}/take`. They act as the operator (recorded as `system` on the
//! timeline) unless `--as USER` names a user, whose role then decides and whom the timeline names.
//! `take` always needs `--as`: it is a user taking the conversation for themselves.

use crate::commands::admin::duration::parse_duration;
use crate::commands::admin::{find_user, print_json};
use crate::commands::render::utc_time;
use crate::config::Config;
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use clap::{Args, Subcommand};
use std::io::Write;
use std::sync::Arc;
use trellis_app::conversations::{self, ConversationChange};
use trellis_app::Principal;
use trellis_core::{
    Conversation, ConversationId, ConversationStatus, Priority, Store, TagName, User,
};

/// The verbs, flattened into the top level of `trellis`.
#[derive(Debug, Subcommand)]
pub enum ConversationOp {
    /// Assign a conversation to a user, or to nobody
    Assign(AssignArgs),
    /// Take an unassigned conversation as a user; refused when someone holds it
    Take(TakeArgs),
    /// Resolve a conversation: its SLA clocks stop until a new message reopens it
    Resolve(Target),
    /// Reopen a pending, snoozed or resolved conversation
    Reopen(Target),
    /// Snooze a conversation until a time: it reopens then, or when a new message comes
    Snooze(SnoozeArgs),
    /// Add or remove a conversation's tags
    Tag(TagArgs),
    /// Set a conversation's priority
    Priority(PriorityArgs),
}

/// The conversation a verb acts on, who acts, and how to print the result.
#[derive(Debug, Args)]
pub struct Target {
    /// The conversation's id (see `trellis conversations`)
    #[arg(value_name = "ID")]
    pub id: i64,

    /// Act as this user (id or email): their role decides and the timeline names them [default:
    /// the operator, with every permission, recorded as `system`]
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,

    /// Print the conversation as JSON after the change
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    #[command(flatten)]
    pub target: Target,

    /// The assignee: a user id or email, `me` (the `--as` user) or `nobody`
    #[arg(long, value_name = "USER|me|nobody")]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct TakeArgs {
    /// The conversation's id (see `trellis conversations`)
    #[arg(value_name = "ID")]
    pub id: i64,

    /// The user taking it (id or email)
    #[arg(long = "as", value_name = "USER")]
    pub as_user: String,

    /// Print the conversation as JSON after the change
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SnoozeArgs {
    #[command(flatten)]
    pub target: Target,

    /// When it wakes: an RFC 3339 time (2024-05-01T14:00:00Z) or a duration from now (90s, 30m,
    /// 2h, 3d)
    #[arg(long, value_name = "TIME|DURATION", value_parser = WakeUp::parse)]
    pub until: WakeUp,
}

#[derive(Debug, Args)]
#[group(id = "tag_change", required = true, multiple = true, args = ["add", "remove"])]
pub struct TagArgs {
    #[command(flatten)]
    pub target: Target,

    /// Tags to add, comma-separated
    #[arg(long, value_name = "TAGS", value_delimiter = ',', value_parser = clap::value_parser!(TagName))]
    pub add: Vec<TagName>,

    /// Tags to remove, comma-separated
    #[arg(long, value_name = "TAGS", value_delimiter = ',', value_parser = clap::value_parser!(TagName))]
    pub remove: Vec<TagName>,
}

#[derive(Debug, Args)]
pub struct PriorityArgs {
    #[command(flatten)]
    pub target: Target,

    /// low, normal, high or urgent
    #[arg(value_name = "PRIORITY", value_parser = clap::value_parser!(Priority))]
    pub priority: Priority,
}

/// When a snooze ends, as typed: a time, or a duration counted from when the command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeUp {
    At(DateTime<Utc>),
    After(TimeDelta),
}

impl WakeUp {
    fn parse(text: &str) -> Result<Self, String> {
        if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
            return Ok(WakeUp::At(at.with_timezone(&Utc)));
        }
        let expected = || {
            format!(
                "invalid time {text:?}, expected an RFC 3339 time (2024-05-01T14:00:00Z) or a \
                 duration (90s, 30m, 2h, 3d)"
            )
        };
        let secs = parse_duration(text).map_err(|_| expected())?;
        TimeDelta::try_seconds(secs)
            .map(WakeUp::After)
            .ok_or_else(|| format!("invalid duration {text:?}: too long"))
    }

    /// The time it means when read at `now`.
    fn at(self, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
        match self {
            WakeUp::At(at) => Ok(at),
            WakeUp::After(delta) => now.checked_add_signed(delta).context("--until is too far"),
        }
    }
}

pub async fn run(config: &Config, op: ConversationOp) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    match op {
        ConversationOp::Assign(args) => {
            let acting = Acting::new(&store, &args.target).await?;
            let assignee = match args.to.as_str() {
                "nobody" => None,
                "me" => Some(acting.user.clone().context("--to me needs --as USER")?),
                user => Some(find_user(&store, user).await?),
            };
            let change = ConversationChange::assign(assignee.as_ref().map(|user| user.id));
            let conversation = acting.patch(&store, "assign", change).await?;
            let line = match &assignee {
                Some(user) => format!("is now assigned to {}", name(user)),
                None => "is now unassigned".to_owned(),
            };
            acting.report(&conversation, &line)
        }
        ConversationOp::Take(args) => {
            let user = find_active_user(&store, &args.as_user).await?;
            let principal = Principal::operator_as(&user);
            let id = ConversationId(args.id);
            let conversation = conversations::take(store.as_ref(), &principal, id)
                .await
                .with_context(|| format!("cannot take conversation {id} as {}", user.email))?;
            // The line names the taker already: no "(by …)" after it.
            let acting = Acting { principal, user: None, id, json: args.json };
            acting.report(&conversation, &format!("is now taken by {}", name(&user)))
        }
        ConversationOp::Resolve(target) => {
            let acting = Acting::new(&store, &target).await?;
            let change = ConversationChange::status(ConversationStatus::Resolved);
            let conversation = acting.patch(&store, "resolve", change).await?;
            acting.report(&conversation, "is now resolved")
        }
        ConversationOp::Reopen(target) => {
            let acting = Acting::new(&store, &target).await?;
            let change = ConversationChange::status(ConversationStatus::Open);
            let conversation = acting.patch(&store, "reopen", change).await?;
            acting.report(&conversation, "is now open")
        }
        ConversationOp::Snooze(args) => {
            let acting = Acting::new(&store, &args.target).await?;
            let until = args.until.at(Utc::now())?;
            let conversation =
                acting.patch(&store, "snooze", ConversationChange::snooze(until)).await?;
            let until = conversation.snoozed_until.unwrap_or(until);
            acting.report(&conversation, &format!("is snoozed until {} UTC", utc_time(until)))
        }
        ConversationOp::Tag(args) => {
            let acting = Acting::new(&store, &args.target).await?;
            let change = ConversationChange::tags(args.add, args.remove);
            let conversation = acting.patch(&store, "tag", change).await?;
            let tags: Vec<&str> = conversation.tags.iter().map(TagName::as_str).collect();
            let line = if tags.is_empty() {
                "has no tags now".to_owned()
            } else {
                format!("is now tagged {}", tags.join(","))
            };
            acting.report(&conversation, &line)
        }
        ConversationOp::Priority(args) => {
            let acting = Acting::new(&store, &args.target).await?;
            let change = ConversationChange { priority: Some(args.priority), ..Default::default() };
            let conversation = acting.patch(&store, "set the priority of", change).await?;
            acting.report(&conversation, &format!("is now {} priority", conversation.priority))
        }
    }
}

/// Who acts on which conversation, and how the result is printed.
struct Acting {
    principal: Principal,
    /// The `--as` user, if any.
    user: Option<User>,
    id: ConversationId,
    json: bool,
}

impl Acting {
    async fn new(store: &Arc<dyn Store>, target: &Target) -> anyhow::Result<Self> {
        let user = match &target.as_user {
            Some(key) => Some(find_active_user(store, key).await?),
            None => None,
        };
        let principal = match &user {
            Some(user) => Principal::operator_as(user),
            None => Principal::operator(),
        };
        Ok(Self { principal, user, id: ConversationId(target.id), json: target.json })
    }

    /// Applies `change` through the service; a refusal says what was attempted (`verb`).
    async fn patch(
        &self,
        store: &Arc<dyn Store>,
        verb: &str,
        change: ConversationChange,
    ) -> anyhow::Result<Conversation> {
        conversations::patch(store.as_ref(), &self.principal, self.id, &change)
            .await
            .with_context(|| format!("cannot {verb} conversation {}", self.id))
    }

    /// One line saying what the conversation is now (`conversation 12 is now resolved`), or the
    /// conversation as JSON with `--json`.
    fn report(&self, conversation: &Conversation, what: &str) -> anyhow::Result<()> {
        if self.json {
            return print_json(conversation);
        }
        let by = match &self.user {
            Some(user) => format!(" (by {})", user.email),
            None => String::new(),
        };
        writeln!(std::io::stdout().lock(), "conversation {} {what}{by}", conversation.id)?;
        Ok(())
    }
}

/// A user to act as: one who may still sign in, as a session or a token would require.
async fn find_active_user(store: &Arc<dyn Store>, key: &str) -> anyhow::Result<User> {
    let user = find_user(store, key).await?;
    anyhow::ensure!(
        user.deactivated_at.is_none(),
        "user {} <{}> is deactivated and cannot act",
        user.id,
        user.email
    );
    Ok(user)
}

/// `Alice <alice@example.com> (user 3)`
fn name(user: &User) -> String {
    format!("{} <{}> (user {})", user.name, user.email, user.id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<ConversationOp, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("trellis").chain(args.iter().copied()))?;
        match cli.command {
            Command::ConversationOp(op) => Ok(op),
            other => panic!("expected a conversation verb, got {other:?}"),
        }
    }

    #[test]
    fn a_snooze_reads_a_time_or_a_duration_and_refuses_anything_else() {
        let ConversationOp::Snooze(args) = parse(&["snooze", "4", "--until", "2h"]).unwrap() else {
            panic!("expected snooze")
        };
        assert_eq!(args.until, WakeUp::After(TimeDelta::hours(2)));
        let now = Utc::now();
        assert_eq!(args.until.at(now).unwrap(), now + TimeDelta::hours(2));
        let at = "2030-01-02T03:04:05+01:00";
        let ConversationOp::Snooze(args) = parse(&["snooze", "4", "--until", at]).unwrap() else {
            panic!("expected snooze")
        };
        let expected = DateTime::parse_from_rfc3339("2030-01-02T02:04:05Z").unwrap();
        assert_eq!(args.until, WakeUp::At(expected.with_timezone(&Utc)));
        for bad in ["tomorrow", "2h30", "0m", "2030-01-02"] {
            assert!(parse(&["snooze", "4", "--until", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_needs_a_change_and_splits_commas() {
        let ConversationOp::Tag(args) =
            parse(&["tag", "4", "--add", "Billing,vip", "--remove", "spam"]).unwrap()
        else {
            panic!("expected tag")
        };
        let added: Vec<&str> = args.add.iter().map(TagName::as_str).collect();
        assert_eq!(added, ["billing", "vip"]);
        assert_eq!(args.remove.len(), 1);
        assert!(parse(&["tag", "4"]).is_err(), "a tag with nothing to change is refused");
    }

    #[test]
    fn take_needs_a_user_and_priority_a_known_level() {
        assert!(parse(&["take", "4"]).is_err());
        let ConversationOp::Take(args) = parse(&["take", "4", "--as", "a@example.com"]).unwrap()
        else {
            panic!("expected take")
        };
        assert_eq!((args.id, args.as_user.as_str()), (4, "a@example.com"));
        let ConversationOp::Priority(args) = parse(&["priority", "4", "urgent", "--json"]).unwrap()
        else {
            panic!("expected priority")
        };
        assert_eq!((args.priority, args.target.json), (Priority::Urgent, true));
        assert!(parse(&["priority", "4", "critical"]).is_err());
        let ConversationOp::Assign(args) =
            parse(&["assign", "4", "--to", "nobody", "--as", "7"]).unwrap()
        else {
            panic!("expected assign")
        };
        assert_eq!((args.to.as_str(), args.target.as_user.as_deref()), ("nobody", Some("7")));
    }
}
