//! `trellis outbox`: the outbox entries, newest first, with where each stands: queued (and when it
//! is tried next), sending, sent with the platform's id, failed with the platform's reason.
//! Also the one line `trellis sync --once` prints per delivered entry.

use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use clap::Args;
use std::io::Write;
use trellis_app::outbox::OutboxView;
use trellis_core::{ConversationId, OutboxFilter, OutboxItem, OutboxState};

#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Only the entries of this conversation
    #[arg(long, value_name = "ID")]
    pub conversation: Option<i64>,

    /// Only the entries in this state: queued, sending, sent or failed
    #[arg(long, value_parser = clap::value_parser!(OutboxState))]
    pub state: Option<OutboxState>,

    /// How many entries to show
    #[arg(long, short = 'n', default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,

    /// Print the entries as JSON, as `GET /api/v1/outbox` does
    #[arg(long)]
    pub json: bool,
}

pub async fn run(config: &Config, args: &OutboxArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let filter = OutboxFilter {
        account: None,
        conversation: args.conversation.map(ConversationId),
        state: args.state,
        limit: args.limit,
    };
    let items = store.list_outbound(&filter).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let views: Vec<OutboxView> = items.into_iter().map(OutboxView::from).collect();
        serde_json::to_writer_pretty(&mut out, &views)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, &items)?;
    }
    Ok(())
}

/// One line an entry; the error, whole and in the platform's words, on its own line below.
pub fn write_table(out: &mut impl Write, items: &[OutboxItem]) -> std::io::Result<()> {
    if items.is_empty() {
        return writeln!(
            out,
            "no outbox entries; queue one with `trellis reply` or `trellis moderate`"
        );
    }
    writeln!(
        out,
        "{:>5}  {:>12}  {:<14}  {:<8}  {:>8}  {:<22}  {:<19}",
        "ID", "CONVERSATION", "ACTION", "STATE", "ATTEMPTS", "PLATFORM ID", "UPDATED"
    )?;
    for item in items {
        writeln!(
            out,
            "{:>5}  {:>12}  {:<14}  {:<8}  {:>8}  {:<22}  {:<19}",
            item.id,
            item.conversation_id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
            item.action.name(),
            item.state.as_str(),
            item.attempts,
            cell(item.platform_id.as_deref().unwrap_or("-"), 22),
            utc_time(item.updated_at),
        )?;
        if let Some(error) = &item.error {
            writeln!(out, "       error: {}", cell(error, usize::MAX))?;
        }
        if let (OutboxState::Queued, Some(at)) = (item.state, item.next_attempt_at) {
            if item.attempts > 0 {
                writeln!(out, "       next attempt: {}", utc_time(at))?;
            }
        }
    }
    Ok(())
}

/// How one delivery ended, as a line, and whether it left nothing for an operator to look at
/// (sent, or queued for a retry the next run will make).
pub fn delivery_line(item: &OutboxItem) -> (String, bool) {
    let conversation =
        item.conversation_id.map(|id| format!(" on conversation {id}")).unwrap_or_default();
    let name = format!("outbox {} {}{conversation}", item.id, item.action.name());
    let error = item.error.as_deref().unwrap_or("no reason given");
    match item.state {
        OutboxState::Sent => {
            let id = item.platform_id.as_deref().unwrap_or("-");
            (format!("{name}: sent as {id}"), true)
        }
        OutboxState::Failed => (format!("{name}: failed: {error}"), false),
        OutboxState::Queued => {
            let at = item.next_attempt_at.map_or_else(|| "-".to_owned(), utc_time);
            (format!("{name}: not sent, retrying after {at}: {error}"), true)
        }
        OutboxState::Sending => (format!("{name}: still sending"), true),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use trellis_core::{AccountId, Actor, OutboundAction, OutboxId, PlatformId};

    fn item(state: OutboxState) -> OutboxItem {
        let at = DateTime::from_timestamp(1_714_564_800, 0).unwrap();
        OutboxItem {
            id: OutboxId(7),
            account_id: AccountId(1),
            conversation_id: Some(ConversationId(12)),
            action: OutboundAction::Reply {
                in_reply_to: PlatformId::parse("99").unwrap(),
                text: "on it".into(),
            },
            idempotency_key: "k".into(),
            requested_by: Actor::System,
            state,
            attempts: 1,
            next_attempt_at: None,
            platform_id: None,
            thread_platform_id: None,
            error: None,
            created_at: at,
            updated_at: at,
            sent_at: None,
        }
    }

    fn table(items: &[OutboxItem]) -> String {
        let mut out = Vec::new();
        write_table(&mut out, items).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_sent_entry_shows_its_platform_id_and_a_failed_one_the_platforms_words() {
        let sent = OutboxItem {
            platform_id: Some("1790000000000000001".into()),
            ..item(OutboxState::Sent)
        };
        let failed = OutboxItem {
            error: Some(
                "(#10) This message is sent outside of allowed window.\nsecond line".into(),
            ),
            ..item(OutboxState::Failed)
        };
        let text = table(&[sent, failed]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("   ID  CONVERSATION  ACTION"), "{text}");
        assert!(lines[1].contains("reply") && lines[1].contains("sent"), "{text}");
        assert!(lines[1].contains("1790000000000000001"), "{text}");
        assert!(lines[1].ends_with("2024-05-01 12:00:00"), "{text}");
        assert!(lines[2].contains("failed"), "{text}");
        assert_eq!(
            lines[3],
            "       error: (#10) This message is sent outside of allowed window. second line"
        );
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn an_empty_outbox_says_how_to_fill_it() {
        assert!(table(&[]).contains("trellis reply"));
    }

    #[test]
    fn a_retry_keeps_the_run_clean_and_a_failure_does_not() {
        let sent = OutboxItem { platform_id: Some("55".into()), ..item(OutboxState::Sent) };
        assert_eq!(
            delivery_line(&sent),
            ("outbox 7 reply on conversation 12: sent as 55".into(), true)
        );
        let retry = OutboxItem {
            error: Some("transient platform failure: 502".into()),
            next_attempt_at: DateTime::from_timestamp(1_714_564_802, 0),
            ..item(OutboxState::Queued)
        };
        let (line, clean) = delivery_line(&retry);
        assert!(clean);
        assert!(
            line.ends_with("retrying after 2024-05-01 12:00:02: transient platform failure: 502"),
            "{line}"
        );
        let failed =
            OutboxItem { error: Some("topic is closed".into()), ..item(OutboxState::Failed) };
        assert_eq!(
            delivery_line(&failed),
            ("outbox 7 reply on conversation 12: failed: topic is closed".into(), false)
        );
    }
}
