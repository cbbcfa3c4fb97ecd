//! The `Connector` seam: how a platform's pages become normalized batches and how outbound actions
//! become platform calls. One implementation per platform (X, Facebook, Discourse), each with a
//! simulator. Connectors know nothing of the store: they take an account's access and stored cursors
//! and hand back messages with the cursors to commit together with exactly those messages.
//!
//! Everything here is plain data and pure arithmetic; the HTTP lives in the connector crates.

use crate::enums::Channel;
use crate::ids::AccountId;
use crate::message::{CursorUpdate, IngestBatch, NewMessage};
use crate::validated::PlatformId;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::fmt;

/// What a connector needs to act for one connected account.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountAccess {
    pub account_id: AccountId,
    /// The account's own id on the platform (X user id, Page id, Discourse username).
    pub platform_account_id: String,
    /// The platform's API base URL for this account; configuration, never a constant.
    pub base_url: String,
    pub credentials: Credentials,
}

/// The secret a connector presents. Never logged: `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// An OAuth access token (X, Graph API Page token) or an API key (Discourse).
    pub access_token: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("access_token", &"<redacted>").finish()
    }
}

impl fmt::Debug for AccountAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountAccess")
            .field("account_id", &self.account_id)
            .field("platform_account_id", &self.platform_account_id)
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// Input to a poll: the account and every cursor stored for it, by stream name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRequest {
    pub access: AccountAccess,
    pub cursors: HashMap<String, String>,
}

/// The platform's rate-limit budget as its last answer stated it. Every field is optional because
/// platforms state different subsets (X: limit, remaining, reset; Discourse: only `Retry-After`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: Option<u32>,
    /// Requests left in the current window.
    pub remaining: Option<u32>,
    /// When the window resets.
    pub reset_at: Option<DateTime<Utc>>,
    /// When the platform asked us to come back (a `Retry-After` or a 429's reset).
    pub retry_after: Option<DateTime<Utc>>,
}

impl RateLimit {
    /// When to poll this stream next: spread the remaining budget evenly over what is left of the
    /// window, never sooner than `min_interval`, never before the platform's `retry_after`, and at
    /// the reset when the budget is spent. Without any header, `min_interval` from now.
    pub fn next_poll_at(&self, now: DateTime<Utc>, min_interval: Duration) -> DateTime<Utc> {
        let earliest = now + min_interval;
        let by_budget = match (self.remaining, self.reset_at) {
            (Some(0), Some(reset)) => reset,
            (Some(remaining), Some(reset)) if reset > now => {
                // Keep one request in reserve for outbound-adjacent calls such as token checks.
                let spendable =
                    i32::try_from(remaining.saturating_sub(1).max(1)).unwrap_or(i32::MAX);
                now + (reset - now) / spendable
            }
            _ => earliest,
        };
        let at = by_budget.max(earliest);
        match self.retry_after {
            Some(retry) => at.max(retry),
            None => at,
        }
    }
}

/// Capped exponential backoff for transient failures (5xx, timeouts, truncated bodies).
/// The scheduler owns the attempt count; add jitter there if many accounts share a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// A sane default for platform APIs: 2 s doubling up to 10 minutes.
    pub const DEFAULT: Backoff = Backoff { base: Duration::seconds(2), cap: Duration::minutes(10) };

    /// The wait before retry number `attempt` (1 for the first retry): `base · 2^(attempt-1)`,
    /// at most `cap`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let factor = 1_i32 << exponent;
        self.base.checked_mul(factor).map_or(self.cap, |delay| delay.min(self.cap))
    }
}

/// What one stream of one account produced in one poll.
///
/// `messages` and `cursors` belong together: the store commits them in one transaction. When the
/// poll was cut short after some pages (an error or the page budget), `cursors` point at the resume
/// position, so committing them with these messages loses and repeats nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamPoll {
    pub messages: Vec<NewMessage>,
    pub cursors: Vec<CursorUpdate>,
    /// The budget stated by the stream's last answer.
    pub rate_limit: Option<RateLimit>,
    /// Whether more is waiting (the page budget ran out, or `interrupted` cut the poll short).
    pub more: bool,
    /// The error that stopped the poll after some progress; schedule the next poll by it.
    pub interrupted: Option<ConnectorError>,
}

/// One stream's result inside a [`PollOutcome`].
#[derive(Debug)]
pub struct StreamOutcome {
    pub stream: String,
    pub result: Result<StreamPoll, ConnectorError>,
}

/// What polling every stream of one account produced. Streams fail independently: a rate-limited
/// DM stream does not hold back mentions.
#[derive(Debug, Default)]
pub struct PollOutcome {
    pub streams: Vec<StreamOutcome>,
}

impl PollOutcome {
    /// One batch per stream that produced anything, each to be ingested on its own so a stream's
    /// cursor commits with exactly its messages.
    pub fn batches(&self, account_id: AccountId) -> Vec<IngestBatch> {
        self.streams
            .iter()
            .filter_map(|stream| stream.result.as_ref().ok())
            .filter(|poll| !poll.messages.is_empty() || !poll.cursors.is_empty())
            .map(|poll| IngestBatch {
                account_id,
                messages: poll.messages.clone(),
                cursors: poll.cursors.clone(),
            })
            .collect()
    }

    /// The first error of any stream, fatal or interrupting.
    pub fn first_error(&self) -> Option<&ConnectorError> {
        self.streams.iter().find_map(|stream| match &stream.result {
            Err(error) => Some(error),
            Ok(poll) => poll.interrupted.as_ref(),
        })
    }
}

/// Why a platform call failed, in terms the scheduler and the outbox act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The platform refused for rate: try again at `retry_at`, not before.
    #[error("rate limited until {retry_at}")]
    RateLimited { retry_at: DateTime<Utc> },
    /// The token is expired, revoked or lacks a scope: an admin must re-authorize the account.
    #[error("needs re-authorization: {platform_reason}")]
    Unauthorized { platform_reason: String },
    /// A 5xx, a timeout, a dropped connection or a truncated body: retry with backoff.
    #[error("transient platform failure: {reason}")]
    Transient { reason: String },
    /// The platform permanently refused the request (an outbound action on a deleted post, text too
    /// long, outside a messaging window): retrying the same request will not help.
    #[error("refused by the platform: {platform_reason}")]
    Refused { status: u16, platform_reason: String },
    /// The platform answered something this connector cannot read.
    #[error("malformed platform answer: {reason}")]
    Malformed { reason: String },
    /// The platform has no call for this action (X cannot flag, Discourse cannot hide).
    #[error("{action} is not supported on {channel}")]
    Unsupported { channel: Channel, action: &'static str },
    /// The account's configuration cannot work (an unparsable base URL).
    #[error("misconfigured account: {0}")]
    Misconfigured(String),
}

impl ConnectorError {
    /// Whether the same request may succeed later without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient { .. })
    }

    /// When to try again: the rate limit's reset, a backoff for transient failures, `None` when
    /// retrying cannot help.
    pub fn retry_at(
        &self,
        now: DateTime<Utc>,
        backoff: Backoff,
        attempt: u32,
    ) -> Option<DateTime<Utc>> {
        match self {
            Self::RateLimited { retry_at } => Some(*retry_at),
            Self::Transient { .. } => Some(now + backoff.delay(attempt)),
            _ => None,
        }
    }
}

/// Where a direct message goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum DmTarget {
    /// An existing private conversation (X `dm_conversation_id`, a Messenger thread).
    Conversation(PlatformId),
    /// A person, starting or continuing the one-to-one conversation with them.
    Participant(PlatformId),
}

/// Why a post is flagged to the platform's moderators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    Spam,
    Inappropriate,
    NotifyModerators,
}

/// Something an agent or a rule does on the platform, delivered from the outbox. Stored in the
/// outbox as JSON tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundAction {
    /// A public reply under a post, tweet or comment.
    Reply {
        in_reply_to: PlatformId,
        text: String,
    },
    DirectMessage {
        to: DmTarget,
        text: String,
    },
    /// Hide a reply or comment from the public without deleting it.
    Hide {
        id: PlatformId,
    },
    Unhide {
        id: PlatformId,
    },
    /// Delete something the account itself posted (or moderates).
    Delete {
        id: PlatformId,
    },
    Flag {
        id: PlatformId,
        reason: FlagReason,
    },
}

impl OutboundAction {
    /// A stable name for logs and `Unsupported` errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::DirectMessage { .. } => "direct_message",
            Self::Hide { .. } => "hide",
            Self::Unhide { .. } => "unhide",
            Self::Delete { .. } => "delete",
            Self::Flag { .. } => "flag",
        }
    }
}

/// A delivered action: the id of what it created (reply, DM event) or acted on (hide, delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub platform_id: PlatformId,
    /// The thread the created message belongs to, when the platform says (a DM conversation id).
    pub thread_platform_id: Option<PlatformId>,
}

/// Who a token belongs to, as the platform says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountIdentity {
    pub platform_account_id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
}

/// One platform's connector. Implementations hold an HTTP client and their configuration, never a
/// store: they read pages and make calls, and the caller commits what they return.
#[async_trait]
pub trait Connector: Send + Sync {
    fn channel(&self) -> Channel;

    /// The streams an account of this platform is polled on (`mentions`, `dm_events`, …); also the
    /// cursor names.
    fn streams(&self) -> &'static [&'static str];

    /// Polls one stream from its stored cursor. `Err` only when no page was read; an error after
    /// progress comes back as [`StreamPoll::interrupted`] beside what was read.
    async fn poll_stream(
        &self,
        request: &PollRequest,
        stream: &str,
    ) -> Result<StreamPoll, ConnectorError>;

    /// Polls every stream in turn; streams fail independently. An `Unauthorized` stops the rest,
    /// since no other stream can succeed with the same token.
    async fn poll(&self, request: &PollRequest) -> PollOutcome {
        let mut outcome = PollOutcome::default();
        for stream in self.streams() {
            let result = self.poll_stream(request, stream).await;
            let unauthorized = match &result {
                Err(error) => matches!(error, ConnectorError::Unauthorized { .. }),
                Ok(poll) => matches!(poll.interrupted, Some(ConnectorError::Unauthorized { .. })),
            };
            outcome.streams.push(StreamOutcome { stream: (*stream).to_owned(), result });
            if unauthorized {
                break;
            }
        }
        outcome
    }

    /// Performs one outbound action.
    async fn deliver(
        &self,
        access: &AccountAccess,
        action: &OutboundAction,
    ) -> Result<Delivered, ConnectorError>;

    /// Checks a token and says whose it is.
    async fn verify(&self, access: &AccountAccess) -> Result<AccountIdentity, ConnectorError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn a_spent_budget_waits_for_the_reset() {
        let limit = RateLimit {
            limit: Some(15),
            remaining: Some(0),
            reset_at: Some(at(600)),
            ..Default::default()
        };
        assert_eq!(limit.next_poll_at(at(0), Duration::seconds(5)), at(600));
    }

    #[test]
    fn the_remaining_budget_is_spread_over_the_window() {
        let limit = RateLimit {
            limit: Some(300),
            remaining: Some(101),
            reset_at: Some(at(900)),
            ..Default::default()
        };
        assert_eq!(limit.next_poll_at(at(0), Duration::seconds(1)), at(9));
        assert_eq!(limit.next_poll_at(at(0), Duration::seconds(30)), at(30));
    }

    #[test]
    fn retry_after_wins_over_a_generous_budget() {
        let limit = RateLimit {
            remaining: Some(100),
            reset_at: Some(at(900)),
            retry_after: Some(at(120)),
            ..Default::default()
        };
        assert_eq!(limit.next_poll_at(at(0), Duration::seconds(1)), at(120));
    }

    #[test]
    fn without_headers_the_minimum_interval_applies() {
        assert_eq!(RateLimit::default().next_poll_at(at(0), Duration::seconds(60)), at(60));
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let backoff = Backoff { base: Duration::seconds(2), cap: Duration::seconds(60) };
        assert_eq!(backoff.delay(1), Duration::seconds(2));
        assert_eq!(backoff.delay(3), Duration::seconds(8));
        assert_eq!(backoff.delay(6), Duration::seconds(60));
        assert_eq!(backoff.delay(u32::MAX), Duration::seconds(60));
    }

    #[test]
    fn only_rate_limits_and_transient_failures_are_retried() {
        let backoff = Backoff::DEFAULT;
        let limited = ConnectorError::RateLimited { retry_at: at(300) };
        assert_eq!(limited.retry_at(at(0), backoff, 1), Some(at(300)));
        let transient = ConnectorError::Transient { reason: "503".into() };
        assert_eq!(transient.retry_at(at(0), backoff, 2), Some(at(4)));
        let refused = ConnectorError::Refused { status: 403, platform_reason: "deleted".into() };
        assert!(!refused.is_retryable());
        assert_eq!(refused.retry_at(at(0), backoff, 1), None);
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let access = AccountAccess {
            account_id: AccountId(1),
            platform_account_id: "42".into(),
            base_url: "http://127.0.0.1:1".into(),
            credentials: Credentials { access_token: "s3cret-token".into() },
        };
        let printed = format!("{access:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn batches_skip_failed_and_empty_streams() {
        let cursor = CursorUpdate { stream: "mentions".into(), value: "9".into() };
        let outcome = PollOutcome {
            streams: vec![
                StreamOutcome {
                    stream: "mentions".into(),
                    result: Ok(StreamPoll { cursors: vec![cursor.clone()], ..Default::default() }),
                },
                StreamOutcome { stream: "dm_events".into(), result: Ok(StreamPoll::default()) },
                StreamOutcome {
                    stream: "other".into(),
                    result: Err(ConnectorError::Transient { reason: "timeout".into() }),
                },
            ],
        };
        let batches = outcome.batches(AccountId(7));
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].cursors, vec![cursor]);
        assert!(matches!(outcome.first_error(), Some(ConnectorError::Transient { .. })));
    }
}
