-- Accounts at work: sealed credentials, health, polling leases, ingest errors and the outbox.
-- Kept column-for-column identical to migrations/postgres/0002_connections.sql. Times are integer
-- microseconds since the Unix epoch, UTC.

-- Status: 'active', 'needs_reauth' or 'paused'; the reason is shown beside it.
alter table accounts add column status text not null default 'active';
alter table accounts add column status_reason text;
-- Ciphertext sealed by the server with TRELLIS_SECRET_KEY, stored exactly as given.
alter table accounts add column credentials_sealed text;
alter table accounts add column credentials_expires_at integer;
alter table accounts add column credentials_updated_at integer;
-- Health, written by every poll.
alter table accounts add column last_poll_at integer;
alter table accounts add column last_success_at integer;
alter table accounts add column last_error text;
alter table accounts add column last_error_at integer;
alter table accounts add column consecutive_failures integer not null default 0;
alter table accounts add column rate_limit_limit integer;
alter table accounts add column rate_limit_remaining integer;
alter table accounts add column rate_limit_reset_at integer;
alter table accounts add column next_poll_at integer;
-- The node polling the account, until its lease expires.
alter table accounts add column lease_owner text;
alter table accounts add column lease_expires_at integer;

-- What a connector received but could not turn into a message.
create table ingest_errors (
    id integer primary key,
    account_id integer not null references accounts (id),
    source text not null,
    stream text,
    platform_id text,
    reason text not null,
    -- at most 4 KiB of the offending payload
    payload_excerpt text not null,
    at integer not null
);
create index ingest_errors_account on ingest_errors (account_id, at, id);

-- Actions waiting to be delivered to a platform.
create table outbox (
    id integer primary key,
    account_id integer not null references accounts (id),
    conversation_id integer references conversations (id),
    -- OutboundAction as JSON, tagged by "type"
    action text not null,
    idempotency_key text not null unique,
    -- the Actor who asked, as JSON tagged by "type"
    requested_by text not null,
    state text not null,
    attempts integer not null,
    -- When the entry is next due for an attempt: a queued entry's first try or retry, a sending
    -- entry's claim expiry (a worker that died gives it up then). Null once sent or failed, so the
    -- partial index below holds only the entries a worker may still claim.
    next_attempt_at integer,
    claimed_by text,
    platform_id text,
    thread_platform_id text,
    error text,
    created_at integer not null,
    updated_at integer not null,
    sent_at integer
);
create index outbox_due on outbox (next_attempt_at, id) where next_attempt_at is not null;
create index outbox_account on outbox (account_id, id);
create index outbox_conversation on outbox (conversation_id, id) where conversation_id is not null;
create index outbox_state on outbox (state, id);
