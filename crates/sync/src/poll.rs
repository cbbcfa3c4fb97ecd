//! One poll of one account: open its access, read each stream from its stored cursor, ingest each
//! stream's batch on its own (cursor with exactly its messages), record how it went, and say when
//! each stream should be polled next.

use crate::accounts::AccessError;
use crate::ingest::{add_outcome, ingest_keeping_the_rest};
use crate::plan::{after_error, after_success};
use crate::SyncContext;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use trellis_core::{
    Account, AccountStatus, ConnectorError, IngestBatch, IngestOutcome, IngestSource, PollReport,
    PollRequest, RateLimit, StoreResult, StreamPoll,
};

/// Which streams to poll: all of the connector's, or the named ones (a webhook's doorbell).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollScope {
    /// `None` polls every stream.
    pub streams: Option<Vec<String>>,
    /// The earliest next poll of the streams left out, so the recorded next poll time of the
    /// account stays the earliest of all its streams.
    pub others_due: Option<DateTime<Utc>>,
}

/// How one stream's poll went.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamReport {
    pub stream: String,
    pub outcome: IngestOutcome,
    /// Messages the store refused, recorded as ingest errors.
    pub refused: usize,
    /// Whether the platform has more waiting for this stream.
    pub more: bool,
    pub error: Option<String>,
    pub rate_limit: Option<RateLimit>,
    /// When to poll this stream next, jitter applied.
    pub next_poll_at: DateTime<Utc>,
}

/// How one account's poll ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountPoll {
    /// The streams were polled (each may still have failed on its own).
    Polled { streams: Vec<StreamReport>, next_poll_at: DateTime<Utc> },
    /// The account is paused or waits for re-authorization: not polled.
    Inactive { status: AccountStatus },
    /// The platform refused the token: the account now needs re-authorization.
    NeedsReauth { reason: String },
    /// Its credentials could not be opened or refreshed for another reason; retried later.
    NoAccess { error: String, next_poll_at: DateTime<Utc> },
}

impl AccountPoll {
    /// Whether any stream said more is waiting.
    pub fn more(&self) -> bool {
        matches!(self, Self::Polled { streams, .. } if streams.iter().any(|s| s.more))
    }

    /// The sum of what every stream ingested.
    pub fn ingested(&self) -> IngestOutcome {
        let mut total = IngestOutcome::default();
        if let Self::Polled { streams, .. } = self {
            for stream in streams {
                add_outcome(&mut total, stream.outcome.clone());
            }
        }
        total
    }
}

/// Polls `account` once. Errors are only the store's (it cannot record anything then); every
/// platform failure is recorded in the account's health and scheduled by its kind.
pub async fn poll_account(
    ctx: &SyncContext,
    account: &Account,
    scope: &PollScope,
) -> StoreResult<AccountPoll> {
    let store = &ctx.store;
    let health = store.account_health(account.id).await?;
    if health.status != AccountStatus::Active {
        return Ok(AccountPoll::Inactive { status: health.status });
    }
    let attempt = health.consecutive_failures.saturating_add(1);
    let now = Utc::now();
    let access = match ctx.access(account).await {
        Ok(access) => access,
        Err(AccessError::NeedsReauth(reason)) => {
            tracing::warn!(account_id = %account.id, reason = %reason, "account needs re-authorization, polling paused");
            return Ok(AccountPoll::NeedsReauth { reason });
        }
        Err(other) => {
            let error = format!("cannot open credentials: {other}");
            let transient = ConnectorError::Transient { reason: error.clone() };
            let next_poll_at =
                ctx.jittered(now, after_error(now, &transient, attempt, &ctx.pacing));
            tracing::warn!(account_id = %account.id, error = %error, "account not polled");
            store
                .record_poll(
                    account.id,
                    PollReport {
                        at: now,
                        error: Some(error.clone()),
                        rate_limit: None,
                        next_poll_at,
                    },
                )
                .await?;
            return Ok(AccountPoll::NoAccess { error, next_poll_at });
        }
    };

    let connector = ctx.connectors.get(account.channel);
    let mut cursors = HashMap::new();
    for stream in connector.streams() {
        if let Some(value) = store.cursor(account.id, stream).await? {
            cursors.insert((*stream).to_owned(), value);
        }
    }
    let request = PollRequest { access, cursors };
    let wanted: Vec<&str> = connector
        .streams()
        .iter()
        .copied()
        .filter(|stream| scope.streams.as_ref().is_none_or(|only| only.iter().any(|s| s == stream)))
        .collect();

    let mut reports = Vec::new();
    let mut unauthorized = None;
    for stream in wanted {
        let result = connector.poll_stream(&request, stream).await;
        let report =
            settle_stream(ctx, account, stream, result, attempt, &mut unauthorized).await?;
        reports.push(report);
        if unauthorized.is_some() {
            break; // no other stream can succeed with the same token
        }
    }

    let first_error = reports.iter().find_map(|report| {
        report.error.as_ref().map(|error| format!("{}: {error}", report.stream))
    });
    let slowest = reports.iter().max_by_key(|report| report.next_poll_at);
    let rate_limit = slowest.and_then(|report| report.rate_limit);
    let earliest = reports.iter().map(|report| report.next_poll_at).min();
    let next_poll_at = match (earliest, scope.others_due) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(now + ctx.pacing.min_interval),
    };
    store
        .record_poll(
            account.id,
            PollReport { at: now, error: first_error, rate_limit, next_poll_at },
        )
        .await?;

    if let Some(reason) = unauthorized {
        ctx.mark_needs_reauth(account, &reason).await;
        return Ok(AccountPoll::NeedsReauth { reason });
    }
    Ok(AccountPoll::Polled { streams: reports, next_poll_at })
}

/// Ingests one stream's result and plans its next poll.
async fn settle_stream(
    ctx: &SyncContext,
    account: &Account,
    stream: &str,
    result: Result<StreamPoll, ConnectorError>,
    attempt: u32,
    unauthorized: &mut Option<String>,
) -> StoreResult<StreamReport> {
    let now = Utc::now();
    let poll = match result {
        Ok(poll) => poll,
        Err(error) => {
            note_unauthorized(&error, unauthorized);
            tracing::warn!(account_id = %account.id, stream, error = %error, "poll failed");
            let next = after_error(now, &error, attempt, &ctx.pacing);
            return Ok(StreamReport {
                stream: stream.to_owned(),
                outcome: IngestOutcome::default(),
                refused: 0,
                more: false,
                error: Some(error.to_string()),
                rate_limit: None,
                next_poll_at: ctx.jittered(now, next),
            });
        }
    };
    let batch =
        IngestBatch { account_id: account.id, messages: poll.messages, cursors: poll.cursors };
    let mut refused = 0;
    let mut outcome = IngestOutcome::default();
    let mut store_error = None;
    if !batch.messages.is_empty() || !batch.cursors.is_empty() {
        let store = ctx.store.clone();
        let ingest = |batch| {
            let store = store.clone();
            async move { store.ingest(batch).await }
        };
        match ingest_keeping_the_rest(ingest, batch, IngestSource::Poll, Some(stream), now).await {
            Ok(ingested) => {
                refused = ingested.refused.len();
                for error in ingested.refused {
                    ctx.store.record_ingest_error(error).await?;
                }
                outcome = ingested.outcome;
            }
            Err(error) => {
                tracing::error!(account_id = %account.id, stream, error = %error, "cannot store a poll");
                store_error = Some(format!("cannot store: {error}"));
            }
        }
    }
    if outcome.inserted + outcome.updated > 0 || refused > 0 {
        tracing::info!(
            account_id = %account.id,
            stream,
            inserted = outcome.inserted,
            updated = outcome.updated,
            refused,
            more = poll.more,
            "polled"
        );
    }
    let next = match (&poll.interrupted, &store_error) {
        (_, Some(reason)) => after_error(
            now,
            &ConnectorError::Transient { reason: reason.clone() },
            attempt,
            &ctx.pacing,
        ),
        (Some(error), None) => {
            note_unauthorized(error, unauthorized);
            tracing::warn!(account_id = %account.id, stream, error = %error, "poll interrupted after progress");
            after_error(now, error, attempt, &ctx.pacing)
        }
        (None, None) => after_success(now, poll.rate_limit.as_ref(), poll.more, &ctx.pacing),
    };
    Ok(StreamReport {
        stream: stream.to_owned(),
        outcome,
        refused,
        more: poll.more && store_error.is_none(),
        error: store_error.or_else(|| poll.interrupted.as_ref().map(ToString::to_string)),
        rate_limit: poll.rate_limit,
        next_poll_at: ctx.jittered(now, next),
    })
}

fn note_unauthorized(error: &ConnectorError, unauthorized: &mut Option<String>) {
    if let ConnectorError::Unauthorized { platform_reason } = error {
        unauthorized.get_or_insert_with(|| platform_reason.clone());
    }
}
