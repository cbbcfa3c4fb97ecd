//! `trellis conversations` and `trellis conversation ID`: what an operator reads to pick what to
//! answer, from the service layer exactly as `GET /api/v1/conversations[/{id}]` answers it. The
//! list is newest activity first; one conversation shows its messages oldest first (with the ids
//! `trellis moderate` takes), its timeline (who did what, and which rule) and its SLA clocks.

use crate::commands::admin::{find_team, find_user};
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use anyhow::Context;
use clap::Args;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use trellis_app::conversations::{self, ConversationQuery};
use trellis_app::Principal;
use trellis_core::{
    Actor, Channel, ContactId, Conversation, ConversationId, ConversationStatus, Direction,
    Message, Priority, SlaClockRecord, Store, TagName, TimelineEvent,
};

#[derive(Debug, Args)]
pub struct ConversationsArgs {
    /// Only conversations in this status: open, pending, snoozed or resolved
    #[arg(long, value_parser = clap::value_parser!(ConversationStatus))]
    pub status: Option<ConversationStatus>,

    /// Only conversations on this platform: x, facebook or discourse
    #[arg(long, value_parser = clap::value_parser!(Channel))]
    pub channel: Option<Channel>,

    /// Only conversations with this tag
    #[arg(long, value_parser = clap::value_parser!(TagName))]
    pub tag: Option<TagName>,

    /// Only conversations assigned to this user (id or email), or `unassigned`
    #[arg(long, value_name = "USER|unassigned")]
    pub assignee: Option<String>,

    /// Only conversations routed to this team (id or name)
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,

    /// Only conversations of this priority: low, normal, high or urgent
    #[arg(long, value_parser = clap::value_parser!(Priority))]
    pub priority: Option<Priority>,

    /// Only conversations of this connected account (see `trellis account list`)
    #[arg(long, value_name = "ID")]
    pub account: Option<i64>,

    /// How many conversations to show
    #[arg(long, short = 'n', default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,

    /// Print the conversations as JSON
    #[arg(long)]
    pub json: bool,
}

impl ConversationsArgs {
    /// Whether any flag narrows the list.
    fn filters(&self) -> bool {
        self.status.is_some()
            || self.channel.is_some()
            || self.tag.is_some()
            || self.assignee.is_some()
            || self.team.is_some()
            || self.priority.is_some()
            || self.account.is_some()
    }
}

#[derive(Debug, Args)]
pub struct ConversationArgs {
    /// The conversation to show
    #[arg(value_name = "ID")]
    pub id: i64,

    /// Print it as JSON, as `GET /api/v1/conversations/{id}` does
    #[arg(long)]
    pub json: bool,
}

/// Words of a conversation without a subject shown in its place.
const SUBJECT_WIDTH: usize = 40;

pub async fn list(config: &Config, args: &ConversationsArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let query = query(&store, args).await?;
    let page = conversations::list_conversations(store.as_ref(), &Principal::operator(), &query)
        .await
        .context("cannot list conversations")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &page.items)?;
        writeln!(out)?;
        return Ok(());
    }
    if page.items.is_empty() && args.filters() {
        writeln!(out, "no conversations match")?;
        return Ok(());
    }
    if page.items.is_empty() {
        writeln!(out, "no conversations; bring some in with `trellis sync --once`")?;
        return Ok(());
    }
    writeln!(out, "{}", list_header())?;
    for conversation in page.items.iter().map(|item| &item.conversation) {
        let title = match &conversation.subject {
            Some(subject) => subject.clone(),
            None => first_words(&store, conversation.id).await?,
        };
        writeln!(out, "{}", list_row(conversation, &title))?;
    }
    Ok(())
}

/// The list query the flags mean. Users and teams are looked up by id, email or name first, so a
/// typo is an error rather than an empty list.
async fn query(
    store: &Arc<dyn Store>,
    args: &ConversationsArgs,
) -> anyhow::Result<ConversationQuery> {
    let assignee = match args.assignee.as_deref() {
        None => None,
        Some("unassigned") => Some("unassigned".to_owned()),
        Some(user) => Some(find_user(store, user).await?.id.to_string()),
    };
    let team = match args.team.as_deref() {
        None => None,
        Some(team) => Some(find_team(store, team).await?.id.0),
    };
    Ok(ConversationQuery {
        status: args.status,
        channel: args.channel,
        account: args.account,
        tag: args.tag.clone(),
        team,
        assignee,
        priority: args.priority,
        limit: Some(args.limit),
        ..ConversationQuery::default()
    })
}

pub async fn show(config: &Config, args: &ConversationArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let id = ConversationId(args.id);
    let detail = conversations::conversation_detail(store.as_ref(), &Principal::operator(), id)
        .await
        .context("cannot find the conversation")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &detail)?;
        writeln!(out)?;
        return Ok(());
    }
    let authors = authors(&store, &detail.messages).await?;
    writeln!(out, "{}", heading(&detail.conversation))?;
    writeln!(out, "messages:")?;
    for message in &detail.messages {
        let author = authors.get(&message.contact_id).map_or("-", String::as_str);
        writeln!(out, "  {}", message_line(message, author))?;
    }
    writeln!(out, "timeline:")?;
    if detail.timeline.is_empty() {
        writeln!(out, "  nothing yet")?;
    }
    for event in &detail.timeline {
        writeln!(out, "  {}", timeline_line(event))?;
    }
    match &detail.sla {
        Some(sla) if !sla.clocks.is_empty() => {
            writeln!(out, "sla:")?;
            for clock in &sla.clocks {
                writeln!(out, "  {}", clock_line(clock))?;
            }
        }
        _ => writeln!(out, "sla: no clocks")?,
    }
    Ok(())
}

/// The first message's words, for a conversation the platform gave no title.
async fn first_words(store: &Arc<dyn Store>, id: ConversationId) -> anyhow::Result<String> {
    let messages = store.conversation_messages(id).await?;
    Ok(messages.first().map(|m| m.text.clone()).unwrap_or_default())
}

/// Each author's `@handle`, else their display name, else their platform id.
async fn authors(
    store: &Arc<dyn Store>,
    messages: &[Message],
) -> anyhow::Result<HashMap<ContactId, String>> {
    let mut names = HashMap::new();
    for message in messages {
        if names.contains_key(&message.contact_id) {
            continue;
        }
        let contact = store.get_contact(message.contact_id).await?;
        let name = match (&contact.handle, &contact.display_name) {
            (Some(handle), _) => format!("@{handle}"),
            (None, Some(name)) => name.clone(),
            (None, None) => contact.platform_id.as_str().to_owned(),
        };
        names.insert(message.contact_id, name);
    }
    Ok(names)
}

fn list_header() -> String {
    format!(
        "{:>5}  {:<9}  {:<SUBJECT_WIDTH$}  {:<8}  {:<8}  {:<8}  {:<20}  {:<19}",
        "ID", "CHANNEL", "SUBJECT", "STATUS", "PRIORITY", "ASSIGNEE", "TAGS", "LAST MESSAGE"
    )
}

/// `   12  x          @acme where is my order   open      normal    -         billing   2024-…`
pub fn list_row(conversation: &Conversation, title: &str) -> String {
    let tags: Vec<&str> = conversation.tags.iter().map(TagName::as_str).collect();
    let tags = if tags.is_empty() { "-".to_owned() } else { tags.join(",") };
    format!(
        "{:>5}  {:<9}  {:<SUBJECT_WIDTH$}  {:<8}  {:<8}  {:<8}  {:<20}  {:<19}",
        conversation.id,
        conversation.channel.as_str(),
        cell(title, SUBJECT_WIDTH),
        conversation.status.as_str(),
        conversation.priority.as_str(),
        conversation.assignee_id.map_or_else(|| "-".to_owned(), |id| format!("user {id}")),
        cell(&tags, 20),
        utc_time(conversation.last_message_at),
    )
}

/// `conversation 12 on x: open, normal priority, unassigned, tags billing — Opening hours?`
pub fn heading(conversation: &Conversation) -> String {
    let assignee =
        conversation.assignee_id.map_or_else(|| "unassigned".to_owned(), |id| format!("user {id}"));
    let mut line = format!(
        "conversation {} on {}: {}, {} priority, {assignee}",
        conversation.id, conversation.channel, conversation.status, conversation.priority
    );
    if !conversation.tags.is_empty() {
        let tags: Vec<&str> = conversation.tags.iter().map(TagName::as_str).collect();
        line.push_str(&format!(", tags {}", tags.join(",")));
    }
    if let Some(subject) = &conversation.subject {
        line.push_str(&format!(" — {}", cell(subject, 80)));
    }
    line
}

/// `#41  2024-05-01 12:00:00  in   comment  123_456  @jane: the text on one line`
pub fn message_line(message: &Message, author: &str) -> String {
    let direction = match message.direction {
        Direction::Inbound => "in",
        Direction::Outbound => "out",
    };
    let deleted = if message.deleted_at.is_some() { " (deleted)" } else { "" };
    format!(
        "#{:<5} {}  {:<3}  {:<13}  {}  {author}: {}{deleted}",
        message.id,
        utc_time(message.created_at),
        direction,
        message.kind.as_str(),
        message.platform_id.as_str(),
        cell(&message.text, usize::MAX),
    )
}

/// `2024-05-01 12:00:00  rule 3 "Spam"  tagged {"tag":"spam"}`
pub fn timeline_line(event: &TimelineEvent) -> String {
    let event = &event.event;
    format!("{}  {}  {} {}", utc_time(event.at), actor_name(&event.actor), event.kind, event.detail)
}

/// Who acted: `system`, `user 4`, `rule 3 "Spam"`.
pub fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::System => "system".to_owned(),
        Actor::User { id } => format!("user {id}"),
        Actor::Rule { id, name } => format!("rule {id} {name:?}"),
    }
}

/// `first_response  running  due 2024-05-01 13:00:00, warning 2024-05-01 12:45:00`
pub fn clock_line(clock: &SlaClockRecord) -> String {
    let times =
        [("due", clock.due_at), ("warning", clock.warning_at), ("settled", clock.settled_at)];
    let times: Vec<String> = times
        .iter()
        .filter_map(|(what, at)| at.map(|at| format!("{what} {}", utc_time(at))))
        .collect();
    format!("{:<15} {:<8} {}", clock.metric, clock.state, times.join(", ")).trim_end().to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use chrono::DateTime;
    use clap::Parser;
    use trellis_core::{
        AccountId, BrandId, ConversationKey, MessageId, MessageKind, NewTimelineEvent, PlatformId,
        Priority, RuleRecordId, UserId,
    };

    fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
        DateTime::from_timestamp(1_714_564_800 + seconds, 0).unwrap()
    }

    fn conversation() -> Conversation {
        Conversation {
            id: ConversationId(12),
            account_id: AccountId(1),
            brand_id: BrandId(1),
            channel: Channel::Facebook,
            key: ConversationKey::from_stored("post:1_2".into()),
            subject: None,
            contact_id: None,
            status: ConversationStatus::Open,
            priority: Priority::High,
            assignee_id: Some(UserId(4)),
            team_id: None,
            tags: vec![TagName::parse("billing").unwrap(), TagName::parse("vip").unwrap()],
            snoozed_until: None,
            message_count: 2,
            last_message_at: at(3),
            last_inbound_at: Some(at(3)),
            created_at: at(0),
            updated_at: at(3),
        }
    }

    #[test]
    fn conversations_takes_its_filters_and_refuses_unknown_values() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["trellis", "conversations"].iter().chain(args).copied())
        };
        let cli =
            parse(&["--status", "open", "--channel", "x", "--tag", "#Billing", "-n", "5"]).unwrap();
        let Command::Conversations(args) = cli.command else { panic!("expected conversations") };
        assert_eq!(args.status, Some(ConversationStatus::Open));
        assert_eq!(args.channel, Some(Channel::X));
        assert_eq!(args.tag.as_ref().unwrap().as_str(), "billing");
        assert_eq!(args.limit, 5);
        assert!(args.filters());
        let cli =
            parse(&["--assignee", "unassigned", "--priority", "urgent", "--account", "3"]).unwrap();
        let Command::Conversations(args) = cli.command else { panic!("expected conversations") };
        assert_eq!(args.assignee.as_deref(), Some("unassigned"));
        assert_eq!((args.priority, args.account), (Some(Priority::Urgent), Some(3)));
        let Command::Conversations(args) = parse(&[]).unwrap().command else {
            panic!("expected conversations")
        };
        assert!(!args.filters());
        assert!(parse(&["--priority", "critical"]).is_err());
        assert!(parse(&["--status", "closed"]).is_err());
        assert!(parse(&["--channel", "myspace"]).is_err());
        assert!(parse(&["--limit", "0"]).is_err());
        let cli = Cli::try_parse_from(["trellis", "conversation", "12", "--json"]).unwrap();
        let Command::Conversation(args) = cli.command else { panic!("expected conversation") };
        assert_eq!((args.id, args.json), (12, true));
    }

    #[test]
    fn a_row_shows_the_first_words_status_assignee_tags_and_last_message() {
        let row =
            list_row(&conversation(), "Open on\nSunday? We would like to come with the whole team");
        assert!(
            row.starts_with("   12  facebook   Open on Sunday? We would like to come w…"),
            "{row}"
        );
        assert!(row.contains("open      high      user 4    billing,vip"), "{row}");
        assert!(row.ends_with("2024-05-01 12:00:03"), "{row}");
        assert_eq!(row.chars().count(), list_header().chars().count());
    }

    #[test]
    fn a_message_line_shows_its_id_direction_kind_and_platform_id() {
        let message = Message {
            id: MessageId(41),
            account_id: AccountId(1),
            conversation_id: ConversationId(12),
            contact_id: ContactId(2),
            channel: Channel::Facebook,
            platform_id: PlatformId::parse("1_2_3").unwrap(),
            kind: MessageKind::Comment,
            direction: Direction::Outbound,
            parent_platform_id: None,
            thread_platform_id: None,
            text: "Yes,\nfrom 9!".into(),
            lang: None,
            raw: serde_json::Value::Null,
            created_at: at(5),
            received_at: at(5),
            updated_at: at(5),
            deleted_at: None,
        };
        assert_eq!(
            message_line(&message, "Acme Coffee"),
            "#41    2024-05-01 12:00:05  out  comment        1_2_3  Acme Coffee: Yes, from 9!"
        );
    }

    #[test]
    fn the_timeline_names_the_rule_that_acted_and_clocks_show_their_times() {
        let event = TimelineEvent {
            id: 1,
            event: NewTimelineEvent {
                conversation_id: ConversationId(12),
                at: at(1),
                actor: Actor::Rule { id: RuleRecordId(3), name: "Spam".into() },
                kind: "tagged".into(),
                detail: serde_json::json!({"tag": "spam"}),
            },
        };
        assert_eq!(
            timeline_line(&event),
            "2024-05-01 12:00:01  rule 3 \"Spam\"  tagged {\"tag\":\"spam\"}"
        );
        let clock = SlaClockRecord {
            metric: "first_response".into(),
            state: "running".into(),
            due_at: Some(at(3600)),
            warning_at: Some(at(2700)),
            settled_at: None,
        };
        assert_eq!(
            clock_line(&clock),
            "first_response  running  due 2024-05-01 13:00:00, warning 2024-05-01 12:45:00"
        );
        assert!(heading(&conversation()).contains("open, high priority, user 4, tags billing,vip"));
    }
}
