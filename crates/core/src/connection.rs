//! Connected accounts at work: sealed credentials, health, polling leases, ingest errors, and the
//! outbox of actions waiting to be delivered to a platform.
//!
//! The store keeps credentials only as ciphertext ([`SealedSecret`]); sealing and opening with
//! `TRELLIS_SECRET_KEY` happens in the server, so neither the database file nor the store crate
//! ever holds a token in plain text.

use crate::connector::{OutboundAction, RateLimit};
use crate::enums::string_enum_pub;
use crate::ids::{AccountId, ConversationId};
use crate::store::StoreResult;
use crate::workflow::Actor;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

string_enum_pub!(
    /// Whether trellis can act for an account.
    #[derive(Default)]
    AccountStatus, "account status" {
        /// Polled on its schedule.
        #[default]
        Active = "active",
        /// The platform refused the token (expired, revoked, `invalid_grant`, error 190): an admin
        /// must connect the account again. Polling pauses; other accounts are unaffected.
        NeedsReauth = "needs_reauth",
        /// An admin paused polling.
        Paused = "paused",
    }
);

/// Credentials as the store keeps them: ciphertext only, produced and opened by the server with
/// `TRELLIS_SECRET_KEY`. `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(pub String);

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(<sealed>)")
    }
}

/// An account's sealed credentials and when the access they hold expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredentials {
    pub sealed: SealedSecret,
    /// When the access token expires, when the platform says; refreshed before.
    pub expires_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// How an account is doing, for `trellis account list`, the admin UI and the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountHealth {
    pub account_id: AccountId,
    pub status: AccountStatus,
    /// Why the account is not active (the platform's words for a refused token).
    pub status_reason: Option<String>,
    pub has_credentials: bool,
    pub credentials_expire_at: Option<DateTime<Utc>>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed polls since the last success; drives the backoff.
    pub consecutive_failures: u32,
    /// The rate-limit budget the platform stated last.
    pub rate_limit_limit: Option<u32>,
    pub rate_limit_remaining: Option<u32>,
    pub rate_limit_reset_at: Option<DateTime<Utc>>,
    /// When the scheduler means to poll next.
    pub next_poll_at: Option<DateTime<Utc>>,
    /// The node polling this account and until when its lease holds.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Ingest errors recorded for this account (malformed deliveries, unreadable items).
    pub ingest_error_count: u64,
}

/// The outcome of one poll of one account, as the scheduler records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollReport {
    pub at: DateTime<Utc>,
    /// `None` for a successful poll; otherwise what went wrong, never containing a token.
    pub error: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub next_poll_at: DateTime<Utc>,
}

string_enum_pub!(
    /// Where something that could not be ingested came from.
    IngestSource, "ingest source" {
        Poll = "poll",
        Webhook = "webhook",
        Import = "import",
    }
);

/// Something a connector received but could not turn into a message. Recorded so an admin sees
/// it, while the rest of its batch is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIngestError {
    pub account_id: AccountId,
    pub source: IngestSource,
    pub stream: Option<String>,
    /// The platform id of the item, when it could be read.
    pub platform_id: Option<String>,
    pub reason: String,
    /// The start of the offending payload, for diagnosis (the store truncates it to 4 KiB).
    pub payload_excerpt: String,
    pub at: DateTime<Utc>,
}

/// A recorded ingest error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestError {
    pub id: i64,
    #[serde(flatten)]
    pub error: NewIngestError,
}

/// An outbox entry's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OutboxId(pub i64);

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

string_enum_pub!(
    /// Where an outbound action stands.
    OutboxState, "outbox state" {
        /// Waiting for its first attempt or for a retry at `next_attempt_at`.
        Queued = "queued",
        /// Claimed by a worker (until its claim expires, after which it is queued again).
        Sending = "sending",
        /// Delivered; `platform_id` holds what the platform created or acted on.
        Sent = "sent",
        /// Refused for good; `error` holds the platform's reason.
        Failed = "failed",
    }
);

/// An action to deliver. Enqueuing the same `idempotency_key` twice returns the first entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxItem {
    pub account_id: AccountId,
    pub conversation_id: Option<ConversationId>,
    pub action: OutboundAction,
    pub idempotency_key: String,
    pub requested_by: Actor,
}

/// An outbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: OutboxId,
    pub account_id: AccountId,
    pub conversation_id: Option<ConversationId>,
    pub action: OutboundAction,
    pub idempotency_key: String,
    pub requested_by: Actor,
    pub state: OutboxState,
    /// Delivery attempts started so far.
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub platform_id: Option<String>,
    pub thread_platform_id: Option<String>,
    /// The last error, in the platform's words.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxResult {
    Sent {
        platform_id: String,
        thread_platform_id: Option<String>,
    },
    /// A transient failure: queued again for `retry_at`.
    Retry {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// A permanent refusal: failed for good.
    Failed {
        error: String,
    },
}

/// Which outbox entries to list, newest first. `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFilter {
    pub account: Option<AccountId>,
    pub conversation: Option<ConversationId>,
    pub state: Option<OutboxState>,
    pub limit: u32,
}

/// A connect flow between its steps (an OAuth authorization under way, Pages waiting for the
/// admin's pick), kept by the store so the platform may send the admin back to any node. What it
/// holds (a PKCE verifier, Page tokens) is sealed like credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFlow {
    /// The one-time token the flow is found by: the OAuth `state`, or a Page selection.
    pub token: String,
    /// Which step of which flow (`x`, `facebook`, `facebook_pages`): a token is only taken for
    /// the step it was made for.
    pub kind: String,
    pub sealed: SealedSecret,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Seals an account's first credentials for the id the store has just given it: the id is bound
/// into the ciphertext, so sealing has to wait for it. It runs inside the store's transaction, so
/// it must be quick and must not call the store; an error from it rolls the account back.
pub type SealFor<'a> = Box<dyn FnOnce(AccountId) -> StoreResult<SealedSecret> + Send + 'a>;

/// Accounts at work: credentials, health, leases, ingest errors and the outbox. Part of
/// [`crate::Store`]; every write that changes what an admin sees appends to the change feed
/// (`account_updated`, `outbox_updated`).
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// The account a platform id names on a channel (webhooks route deliveries by it).
    async fn find_account(
        &self,
        channel: crate::enums::Channel,
        platform_account_id: &str,
    ) -> StoreResult<Option<crate::directory::Account>>;

    /// Creates an account together with its first credentials, in one transaction: the store
    /// gives the account its id, `seal` seals the credentials for that id, and the account is
    /// saved with them or not at all, so no account ever exists without the credentials it was
    /// connected with. The same rules as `Store::create_account` apply (a known brand, a platform
    /// account connected once), and a blank sealed text is refused as `set_credentials` does.
    async fn create_account_with_credentials(
        &self,
        account: crate::directory::NewAccount,
        seal: SealFor<'_>,
        expires_at: Option<DateTime<Utc>>,
    ) -> StoreResult<crate::directory::Account>;

    /// Deletes an account that never brought anything in, with what only it holds (credentials,
    /// poll cursors, ingest errors, finished outbox entries). An account with conversations or
    /// messages, or with actions still waiting to be delivered, is refused with
    /// [`crate::StoreError::Conflict`]: its history would go with it, so pause it instead.
    async fn delete_account(&self, account: AccountId) -> StoreResult<()>;

    /// Replaces an account's sealed credentials (connect, refresh, rotation).
    async fn set_credentials(
        &self,
        account: AccountId,
        sealed: SealedSecret,
        expires_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    async fn credentials(&self, account: AccountId) -> StoreResult<Option<StoredCredentials>>;

    /// Sets the account's status and the reason shown beside it (`None` clears it).
    async fn set_account_status(
        &self,
        account: AccountId,
        status: AccountStatus,
        reason: Option<String>,
    ) -> StoreResult<()>;
    async fn account_health(&self, account: AccountId) -> StoreResult<AccountHealth>;
    /// Every account's health, by account id.
    async fn list_account_health(&self) -> StoreResult<Vec<AccountHealth>>;
    /// Records a poll: success resets the failure count, an error increments it.
    async fn record_poll(&self, account: AccountId, report: PollReport) -> StoreResult<()>;

    /// Takes or renews the polling lease of an account for `owner` (a node id) until `now + ttl`.
    /// `false` while another owner holds an unexpired lease, so each account is polled by
    /// exactly one node.
    async fn acquire_lease(
        &self,
        account: AccountId,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<bool>;
    /// Gives up a lease `owner` holds (at shutdown), so another node can take over at once.
    async fn release_lease(&self, account: AccountId, owner: &str) -> StoreResult<()>;

    async fn record_ingest_error(&self, error: NewIngestError) -> StoreResult<IngestError>;
    /// An account's ingest errors, newest first.
    async fn ingest_errors(&self, account: AccountId, limit: u32) -> StoreResult<Vec<IngestError>>;

    /// Queues an action; with an idempotency key already queued, returns that entry unchanged.
    async fn enqueue_outbound(&self, item: NewOutboxItem) -> StoreResult<OutboxItem>;
    /// Claims up to `limit` entries due at `now` (queued with `next_attempt_at <= now`, or sending
    /// with an expired claim), marks them sending for `claim_for`, and counts the attempt. Two
    /// workers never claim the same entry.
    async fn claim_outbound(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        claim_for: Duration,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>>;
    /// Records how an attempt ended. Only the worker holding the claim (`owner`, as given to
    /// [`ConnectionStore::claim_outbound`]) may: an entry not sending, or whose expired claim
    /// another worker has taken over, is [`crate::StoreError::Conflict`], so a late worker never
    /// records over the new holder's attempt.
    async fn complete_outbound(
        &self,
        id: OutboxId,
        owner: &str,
        result: OutboxResult,
        now: DateTime<Utc>,
    ) -> StoreResult<OutboxItem>;
    async fn get_outbound(&self, id: OutboxId) -> StoreResult<OutboxItem>;
    async fn list_outbound(&self, filter: &OutboxFilter) -> StoreResult<Vec<OutboxItem>>;
    /// The earliest time an entry becomes due (queued retry or expiring claim), so a worker sleeps
    /// exactly until then.
    async fn next_outbound_due(&self) -> StoreResult<Option<DateTime<Utc>>>;

    // --- connect flows ---
    /// Keeps a connect flow until it is taken or expires. Flows that expired before its
    /// `created_at` are forgotten on the way, so the table holds only the flows under way. A
    /// token already kept is refused with [`crate::StoreError::Conflict`].
    async fn put_connect_flow(&self, flow: ConnectFlow) -> StoreResult<()>;
    /// Takes the flow of `token` made for `kind`, at most once: it is deleted and returned when
    /// it has not expired at `now`. An unknown, taken, expired or other-kind token is `None`.
    async fn take_connect_flow(
        &self,
        kind: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SealedSecret>>;
}
